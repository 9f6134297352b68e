/* kb_search.c — query analysis, FTS5 retrieval, re-ranking, decision
 * (see kb_search.h for the method). */
#include "kb_search.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../nlp/fts5_mecab.h"
#include "../nlp/norm.h"
#include "kb_cand.h"
#include "kb_fts_score.h"
#include "kb_rcache.h"
#include "kb_version.h"
#include "strtab.h"

#define MAX_TOKENS 256     /* terms taken from one message */
#define MAX_CONCEPTS 256
#define MAX_AUX 64         /* auxiliaries after a conjugated word, per message */
#define MAX_ALTS 16        /* alternatives per concept */
#define COMPOUND_SPELLINGS 4 /* spellings of a word tried in its compounds */
#define MAX_ALT_TERMS 8    /* terms per alternative */
#define MAX_TERMS 1024     /* distinct terms in one analysed query */
#define TERM_SLOTS 2048    /* hash slots for them (power of two, > 2x) */
#define SEARCH_VERSIONS 8   /* versions' search data kept per connection */
#define CAND_SLOTS 512      /* candidate rows kept parsed per connection */
#define FTS_LIMIT 30 /* candidates re-ranked (10 already score the same on the dev set) */
#define FTS_POSTINGS_BUDGET 1.0 /* postings searched, x the number of Q&A ... */
#define FTS_POSTINGS_CAP 8000.0 /* ... and at most this many (a latency bound) */
#define FTS_MIN_TERMS 3         /* ... but at least this many rarest terms */
#define KANA_RUN_MIN 3     /* hiragana run length worth reading-matching */
#define KANA_RUN_MAX 48
#define KANA_WORD_MIN 4    /* kana of a word read from a run MeCab could not */
#define KANA_TERM_MIN 3    /* ... or of a hiragana word of the knowledge base */
#define READING_MAX 12     /* longest reading piece, in characters */
#define SET_TERMS 4        /* terms kept per reading or spelling */

/* Field weights for candidate scoring (mdg_score): question, alt,
 * keywords, category, answer. */
static const double fts_weights[KB_FTS_COLUMNS] = {4.0, 3.0, 2.0, 1.0, 1.0};

/* Re-ranking mixture (sums to 1): coverage of the message by the question
 * fields, by the whole Q&A, share of the question explained by the
 * message, and the normalised FTS5 score (mdg_score). Chosen by a coarse
 * grid search with `make eval` (step 0.1, re-checked after mdg_score
 * replaced bm25: still the best of 27 settings). */
#define W_QCOV 0.20
#define W_DCOV 0.40
#define W_PREC 0.20
#define W_BM25 0.20
#define CATEGORY_BOOST 1.12
#define UNKNOWN_PREDICATE_WEIGHT 0.5 /* x an unknown word's IDF, see load_idf */
#define ANSWER_MIN_QCOV 0.1 /* share of the message an answer's question matches */

static pthread_once_t debug_once = PTHREAD_ONCE_INIT;
static int debug_on; /* written once under debug_once, then read-only */

static void debug_init(void)
{
	const char *e = getenv("MDG_SEARCH_DEBUG");
	debug_on = e && *e && strcmp(e, "0") != 0;
}

/* MDG_SEARCH_DEBUG=1 prints each query's concepts and hit features to
 * stderr (for tuning with make eval). */
static int search_debug(void)
{
	pthread_once(&debug_once, debug_init);
	return debug_on;
}

const char *kb_decision_name(kb_decision d)
{
	switch (d) {
	case KB_DECISION_NONE: return "none";
	case KB_DECISION_CANDIDATES: return "candidates";
	case KB_DECISION_ANSWER: return "answer";
	}
	return "none";
}

void kb_search_opts_init(kb_search_opts *o)
{
	memset(o, 0, sizeof *o);
	o->top = KB_SEARCH_DEFAULT_TOP;
	o->answer_threshold = KB_SEARCH_DEFAULT_ANSWER;
	o->answer_margin = KB_SEARCH_DEFAULT_MARGIN;
	o->candidate_threshold = KB_SEARCH_DEFAULT_CANDIDATE;
	o->min_known_share = KB_SEARCH_DEFAULT_KNOWN;
	o->max_missing_subject = KB_SEARCH_DEFAULT_MISSING;
}

/* ---- per-connection cache: the active version's synonyms ---- */

typedef struct syn_phrase {
	int grp;
	int nterms;
	char *terms[MAX_ALT_TERMS];
	char *whole; /* set: matches only where the message has this text */
} syn_phrase;

/* Terms of the knowledge base filed under one key: a reading (as the
 * readings table lists them) or an okurigana-free spelling. */
typedef struct term_set {
	char *t[SET_TERMS];
	int n;
} term_set;

/* key -> 1 + index into sets. */
typedef struct term_index {
	kb_strtab keys;
	term_set *sets;
	size_t n;
} term_index;

typedef struct search_cache {
	int64_t version;
	int64_t ndocs;
	syn_phrase *phr; /* sorted by phrase_cmp */
	size_t nphr;
	int *by_grp;     /* indices into phr, ordered by group */
	sqlite3_stmt *topk; /* mdg_topk over fts_<version> */
	sqlite3_stmt *rows; /* the candidates' Q&A rows */
	/* The version's vocabulary in memory (looked up for every term and
	 * every kana substring of a message): term -> df, reading -> terms,
	 * and okurigana-free spelling -> the terms written with kana. */
	kb_strtab df;
	term_index readings, variants;
} search_cache;

static void index_free(term_index *x)
{
	kb_strtab_free(&x->keys);
	for (size_t i = 0; i < x->n; i++)
		for (int j = 0; j < x->sets[i].n; j++)
			free(x->sets[i].t[j]);
	free(x->sets);
}

/* Adds term to key's set (the first SET_TERMS added). */
static mdg_rc index_add(term_index *x, const char *key, const char *term)
{
	kb_strtab_entry *e = kb_strtab_put(&x->keys, key);
	if (e == NULL)
		return MDG_ERR_NOMEM;
	if (e->count == 0) {
		if ((x->n & (x->n - 1)) == 0) { /* grow at powers of two */
			term_set *v = realloc(x->sets, (x->n ? 2 * x->n : 64) * sizeof *v);
			if (v == NULL)
				return MDG_ERR_NOMEM;
			x->sets = v;
		}
		memset(&x->sets[x->n], 0, sizeof *x->sets);
		e->count = (int64_t)++x->n;
	}
	term_set *r = &x->sets[e->count - 1];
	if (r->n < SET_TERMS && (r->t[r->n] = strdup(term)) != NULL)
		r->n++;
	return MDG_OK;
}

/* key's set, or NULL. */
static const term_set *index_get(const term_index *x, const char *key)
{
	const kb_strtab_entry *e = kb_strtab_find(&x->keys, key);
	return e ? &x->sets[e->count - 1] : NULL;
}

static void cache_free(void *p)
{
	search_cache *c = p;
	if (c == NULL)
		return;
	kb_strtab_free(&c->df);
	index_free(&c->readings);
	index_free(&c->variants);
	for (size_t i = 0; i < c->nphr; i++) {
		for (int j = 0; j < c->phr[i].nterms; j++)
			free(c->phr[i].terms[j]);
		free(c->phr[i].whole);
	}
	free(c->phr);
	free(c->by_grp);
	sqlite3_finalize(c->topk);
	sqlite3_finalize(c->rows);
	free(c);
}

/* Sorted by first term, then longer phrases first (so "車の税金" wins over
 * "車"): the phrases that can start at a token are one binary search away. */
static int phrase_cmp(const void *a, const void *b)
{
	const syn_phrase *x = a, *y = b;
	int c = strcmp(x->terms[0], y->terms[0]);
	if (c == 0)
		c = y->nterms - x->nterms;
	/* Of two phrases with the same terms, the one that needs the
	 * message's whole text (いつまで, not only いつ) is tried first. */
	return c ? c : (y->whole != NULL) - (x->whole != NULL);
}

/* Index of the first phrase whose first term is t (or c->nphr). */
static size_t phrase_lower_bound(const search_cache *c, const char *t)
{
	size_t lo = 0, hi = c->nphr;
	while (lo < hi) {
		size_t mid = (lo + hi) / 2;
		if (strcmp(c->phr[mid].terms[0], t) < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static int grp_cmp(const void *a, const void *b, void *arg)
{
	const syn_phrase *phr = arg;
	return phr[*(const int *)a].grp - phr[*(const int *)b].grp;
}

/* The connection's caches: the search data of the versions searched last
 * (several bots share a connection) and, if enabled, recent results. */
typedef struct search_caches {
	search_cache *v[SEARCH_VERSIONS]; /* most recently used first */
	size_t n;
	kb_rcache *results;
	kb_cand_cache *cands;
} search_caches;

static void caches_free(void *p)
{
	search_caches *cs = p;
	if (cs == NULL)
		return;
	for (size_t i = 0; i < cs->n; i++)
		cache_free(cs->v[i]);
	kb_rcache_free(cs->results);
	kb_cand_cache_free(cs->cands);
	free(cs);
}

static search_caches *caches_of(kb *k)
{
	search_caches *cs = kb_cache_get(k, KB_CACHE_SEARCH);
	if (cs == NULL && (cs = calloc(1, sizeof *cs)) != NULL) {
		if ((cs->cands = kb_cand_cache_new(CAND_SLOTS)) == NULL) {
			free(cs);
			return NULL;
		}
		kb_cache_set(k, KB_CACHE_SEARCH, cs, caches_free);
	}
	return cs;
}

mdg_rc kb_search_cache_results(kb *k, size_t entries)
{
	search_caches *cs = caches_of(k);
	if (cs == NULL)
		return MDG_ERR_NOMEM;
	kb_rcache_free(cs->results);
	cs->results = NULL;
	if (entries > 0 && (cs->results = kb_rcache_new(entries)) == NULL)
		return MDG_ERR_NOMEM;
	return MDG_OK;
}

static mdg_rc cache_build(kb *k, int64_t version, search_cache **out, char **err);

/* Reads the version's terms and readings into c. */
static mdg_rc load_vocab(kb *k, search_cache *c, char **err)
{
	sqlite3_stmt *st = kb_stmt(k, "SELECT term, df FROM terms WHERE version_id=?1", err);
	if (st == NULL)
		return MDG_ERR_DB;
	sqlite3_bind_int64(st, 1, c->version);
	mdg_rc rc = MDG_OK;
	while (rc == MDG_OK && sqlite3_step(st) == SQLITE_ROW) {
		const char *t = (const char *)sqlite3_column_text(st, 0);
		kb_strtab_entry *e = kb_strtab_put(&c->df, t);
		if (e == NULL)
			rc = MDG_ERR_NOMEM;
		else
			e->count = sqlite3_column_int64(st, 1);
		char key[128];
		size_t n = nlp_okurigana_key(t, strlen(t), key, sizeof key);
		if (rc == MDG_OK && n > 0 && strcmp(key, t) != 0)
			rc = index_add(&c->variants, key, t);
	}
	sqlite3_reset(st);
	if (rc != MDG_OK)
		return rc;
	st = kb_stmt(k,
		     /* A reading keeps the SET_TERMS terms most Q&A use: ケン
		      * is 県 first, not the first four in character order. */
		     "SELECT r.reading, r.term FROM readings r LEFT JOIN terms t "
		     "ON t.version_id=r.version_id AND t.term=r.term "
		     "WHERE r.version_id=?1 ORDER BY r.reading, coalesce(t.df, 0) DESC, r.term",
		     err);
	if (st == NULL)
		return MDG_ERR_DB;
	sqlite3_bind_int64(st, 1, c->version);
	while (rc == MDG_OK && sqlite3_step(st) == SQLITE_ROW)
		rc = index_add(&c->readings, (const char *)sqlite3_column_text(st, 0),
			       (const char *)sqlite3_column_text(st, 1));
	sqlite3_reset(st);
	return rc;
}

/* The search data of version, loaded on first use. */
static mdg_rc cache_load(kb *k, int64_t version, search_cache **out, char **err)
{
	search_caches *cs = caches_of(k);
	if (cs == NULL)
		return MDG_ERR_NOMEM;
	size_t i = 0;
	while (i < cs->n && cs->v[i]->version != version)
		i++;
	search_cache *c = NULL;
	if (i < cs->n) {
		c = cs->v[i];
	} else {
		mdg_rc rc = cache_build(k, version, &c, err);
		if (rc != MDG_OK)
			return rc;
		if (cs->n == SEARCH_VERSIONS)
			cache_free(cs->v[--cs->n]);
		i = cs->n++;
	}
	memmove(cs->v + 1, cs->v, i * sizeof *cs->v);
	cs->v[0] = c;
	*out = c;
	return MDG_OK;
}

static mdg_rc cache_build(kb *k, int64_t version, search_cache **out, char **err)
{
	search_cache *c = calloc(1, sizeof *c);
	if (c == NULL)
		return MDG_ERR_NOMEM;
	c->version = version;
	mdg_rc rc = MDG_OK;
	sqlite3_stmt *st = kb_stmt(k, "SELECT n_qa FROM versions WHERE id=?1", err);
	if (st == NULL) {
		rc = MDG_ERR_DB;
		goto fail;
	}
	sqlite3_bind_int64(st, 1, version);
	if (sqlite3_step(st) == SQLITE_ROW)
		c->ndocs = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	st = kb_stmt(k, "SELECT grp, terms, phrase FROM synonyms WHERE version_id=?1",
		     err);
	if (st == NULL) {
		rc = MDG_ERR_DB;
		goto fail;
	}
	sqlite3_bind_int64(st, 1, version);
	while (sqlite3_step(st) == SQLITE_ROW) {
		syn_phrase *np = realloc(c->phr, (c->nphr + 1) * sizeof *np);
		if (np == NULL) {
			sqlite3_reset(st);
			rc = MDG_ERR_NOMEM;
			goto fail;
		}
		c->phr = np;
		syn_phrase *p = &c->phr[c->nphr++];
		memset(p, 0, sizeof *p);
		p->grp = sqlite3_column_int(st, 0);
		const char *s = (const char *)sqlite3_column_text(st, 1);
		while (*s && *s != '\t' && p->nterms < MAX_ALT_TERMS) {
			while (*s == ' ')
				s++;
			size_t n = strcspn(s, " \t");
			if (n == 0)
				break;
			p->terms[p->nterms++] = strndup(s, n);
			s += n;
		}
		int ok = p->nterms > 0;
		if (strchr(s, '\t'))
			ok &= (p->whole = strdup((const char *)sqlite3_column_text(st, 2))) != NULL;
		for (int j = 0; j < p->nterms; j++)
			ok &= p->terms[j] != NULL;
		if (!ok) { /* empty or out of memory: drop the phrase */
			for (int j = 0; j < p->nterms; j++)
				free(p->terms[j]);
			free(p->whole);
			c->nphr--;
		}
	}
	sqlite3_reset(st);
	if (c->nphr > 1)
		qsort(c->phr, c->nphr, sizeof *c->phr, phrase_cmp);
	/* Phrases by group, to list a matched phrase's alternatives. */
	if (c->nphr > 0) {
		c->by_grp = malloc(c->nphr * sizeof *c->by_grp);
		if (c->by_grp == NULL) {
			rc = MDG_ERR_NOMEM;
			goto fail;
		}
		for (size_t i = 0; i < c->nphr; i++)
			c->by_grp[i] = (int)i;
		qsort_r(c->by_grp, c->nphr, sizeof *c->by_grp, grp_cmp, c->phr);
	}
	char name[32], sql[1024];
	kb_version_fts_name(version, name, sizeof name);
	/* The candidates (mdg_topk, one call per query), then their rows. */
	int n = snprintf(sql, sizeof sql,
			 "SELECT mdg_topk(%s, ?2, %d) FROM %s WHERE %s MATCH ?1 LIMIT 1",
			 name, FTS_LIMIT, name, name);
	if (sqlite3_prepare_v3(kb_sqlite(k), sql, n, SQLITE_PREPARE_PERSISTENT, &c->topk,
			       NULL) != SQLITE_OK) {
		rc = mdg_fail(err, MDG_ERR_DB, "%s", sqlite3_errmsg(kb_sqlite(k)));
		goto fail;
	}
	n = snprintf(sql, sizeof sql,
		     "SELECT id, 0, ext_id, question, category, flow, qterms, aterms,"
		     " dterms, qidf FROM qa WHERE id IN (?1");
	for (int i = 2; i <= FTS_LIMIT; i++)
		n += snprintf(sql + n, sizeof sql - (size_t)n, ",?%d", i);
	n += snprintf(sql + n, sizeof sql - (size_t)n, ")");
	if (sqlite3_prepare_v3(kb_sqlite(k), sql, n, SQLITE_PREPARE_PERSISTENT, &c->rows,
			       NULL) != SQLITE_OK) {
		rc = mdg_fail(err, MDG_ERR_DB, "%s", sqlite3_errmsg(kb_sqlite(k)));
		goto fail;
	}
	if ((rc = load_vocab(k, c, err)) != MDG_OK)
		goto fail;
	*out = c;
	return MDG_OK;
fail:
	cache_free(c);
	return rc;
}

/* ---- query analysis ---- */

typedef struct token {
	char *term;
	size_t start, end;
	int concept; /* concept index once assigned, -1 before */
	int homo;    /* a word read from kana: the concept of its homophones, or -1 */
	int predicate; /* a verb or adjective (nlp_term.predicate) */
	int part[2];   /* a word IPADIC split (join_split_words): its pieces' term ids */
} token;

typedef struct concept {
	int nalts;
	int nterms[MAX_ALTS];
	int terms[MAX_ALTS][MAX_ALT_TERMS]; /* indices into query.terms */
	double weight;
	int synonym; /* 1 if built from a synonym group */
	int grp;     /* that group's id */
	int noun;    /* 1 if the message wrote it with a noun-like word */
} concept;

typedef struct query {
	kb *k;
	search_cache *cache;
	int64_t version;
	char *norm;
	size_t nlen;
	token tok[MAX_TOKENS];
	int ntok;
	char *terms[MAX_TERMS];
	uint64_t thash[MAX_TERMS]; /* mdg_hash of each term */
	int64_t df[MAX_TERMS];
	double idf[MAX_TERMS];
	unsigned char in_q[MAX_TERMS], in_a[MAX_TERMS], in_d[MAX_TERMS];
	int nterms;
	short slot[TERM_SLOTS]; /* open-addressing index: term id + 1, 0 = empty */
	concept con[MAX_CONCEPTS];
	int ncon;
	nlp_span aux[MAX_AUX]; /* auxiliaries after a conjugated word (aux_at) */
	size_t naux;
	int aux_read; /* 1 once aux[] is filled */
	char **err;
} query;

/* Id of query term t[0..n) whose mdg_hash is h, or -1 if the query has no
 * such term. */
static int term_find_hashed(const query *q, const char *t, size_t n, uint64_t h)
{
	uint32_t j = (uint32_t)h & (TERM_SLOTS - 1);
	while (q->slot[j]) {
		int id = q->slot[j] - 1;
		const char *u = q->terms[id];
		if (q->thash[id] == h && strncmp(u, t, n) == 0 && u[n] == '\0')
			return id;
		j = (j + 1) & (TERM_SLOTS - 1);
	}
	return -1;
}

static int term_find(const query *q, const char *t, size_t n)
{
	return term_find_hashed(q, t, n, mdg_hash(t, n));
}

/* Id of query term t, added if new; -1 when full or out of memory. */
static int term_id(query *q, const char *t)
{
	size_t n = strlen(t);
	int id = term_find(q, t, n);
	if (id >= 0)
		return id;
	if (q->nterms >= MAX_TERMS)
		return -1;
	q->terms[q->nterms] = strdup(t);
	if (q->terms[q->nterms] == NULL)
		return -1;
	q->thash[q->nterms] = mdg_hash(t, n);
	uint32_t j = (uint32_t)q->thash[q->nterms] & (TERM_SLOTS - 1);
	while (q->slot[j])
		j = (j + 1) & (TERM_SLOTS - 1);
	q->slot[j] = (short)(q->nterms + 1);
	return q->nterms++;
}

/* Marks present[id] for every query term in a candidate's term set. */
static void mark_terms(const query *q, const kb_cand_term *set, int n,
		       unsigned char *present)
{
	memset(present, 0, (size_t)q->nterms);
	for (int i = 0; i < n; i++) {
		int id = term_find_hashed(q, set[i].s, set[i].len, set[i].hash);
		if (id >= 0)
			present[id] = 1;
	}
}

static int add_token(void *p, const nlp_term *t)
{
	query *q = p;
	if (q->ntok >= MAX_TOKENS)
		return 0; /* ignore the rest of a very long message */
	token *w = &q->tok[q->ntok];
	if ((w->term = strndup(t->term, t->len)) == NULL)
		return MDG_ERR_NOMEM;
	w->start = t->start;
	w->end = t->end;
	w->concept = -1;
	w->homo = -1;
	w->predicate = t->predicate;
	w->part[0] = w->part[1] = -1;
	q->ntok++;
	return 0;
}

/* Drops the tokens whose term an analysis step freed and set to NULL (a
 * reading or a joined word took their place). */
static void compact_tokens(query *q)
{
	int w = 0;
	for (int i = 0; i < q->ntok; i++)
		if (q->tok[i].term)
			q->tok[w++] = q->tok[i];
	q->ntok = w;
}

static void drop_token(token *t)
{
	free(t->term);
	t->term = NULL;
}

/* 1 if cp is hiragana (not the long-vowel mark). */
static int is_hiragana(uint32_t cp)
{
	return cp >= 0x3041 && cp <= 0x3096;
}

/* Document frequency of a term in the searched version (0 = unknown). */
static int64_t term_df(query *q, const char *term)
{
	return kb_strtab_get(&q->cache->df, term);
}

/* Whether s is written in hiragana only (もらう, いくら). */
static int hiragana_only(const char *s)
{
	while (*s) {
		uint32_t cp;
		s += nlp_utf8_decode(s, &cp);
		if (!is_hiragana(cp) && cp != 0x30FC)
			return 0;
	}
	return 1;
}

/* Looks up the terms whose reading is kata[0..n) (katakana): those the
 * knowledge base writes in hiragana when kana is set, else the others. */
static int reading_terms(query *q, const char *kata, size_t n, char out[][64],
			 int max, int kana)
{
	char key[READING_MAX * 4 + 1];
	if (n >= sizeof key)
		return 0;
	memcpy(key, kata, n);
	key[n] = '\0';
	const term_set *r = index_get(&q->cache->readings, key);
	if (r == NULL)
		return 0;
	int cnt = 0;
	for (int i = 0; cnt < max && i < r->n; i++)
		if (hiragana_only(r->t[i]) == kana)
			snprintf(out[cnt++], 64, "%s", r->t[i]);
	return cnt;
}

/* Particles and auxiliary endings as a kana-only message writes them
 * between its words (しけんちこく「まで」, かいぎしつ「の」よやく「は」). */
static const char *const kana_grammar[] = {
	"ノ", "ヲ", "ニ", "ガ", "ハ", "デ", "ト", "モ", "ヘ", "カ", "マデ", "カラ", "ヨリ",
	"ッテ", "テ", "タ", "ダ", "デス", "マス", "ナイ", "タイ", "ケド", "ノデ", "ノニ", NULL};

static int is_kana_grammar(const char *kata, size_t n)
{
	for (const char *const *g = kana_grammar; *g; g++)
		if (strlen(*g) == n && memcmp(*g, kata, n) == 0)
			return 1;
	return 0;
}

/* Whether every term read kata[0..n) is one kanji. */
static int single_kanji_piece(query *q, const char *kata, size_t n)
{
	char t[SET_TERMS][64];
	int nt = reading_terms(q, kata, n, t, SET_TERMS, 0);
	for (int a = 0; a < nt; a++) {
		uint32_t cp;
		size_t l = nlp_utf8_decode(t[a], &cp);
		if (t[a][l] != '\0' || !nlp_is_kanji(cp))
			return 0;
	}
	return nt > 0;
}

/* What a piece of a kana run's best segmentation is. */
enum piece {
	PIECE_NONE,      /* not read: a character skipped */
	PIECE_WORD,      /* a kanji or katakana word read from kana */
	PIECE_GRAMMAR,   /* a particle or ending between words */
	PIECE_KANA,      /* a word the knowledge base writes in hiragana ... */
	PIECE_KANA_TERM, /* ... that is a term here (not after a te-form) */
};

/* End of the piece of the best path starting at character j, or 0. */
static size_t piece_from(const int *from, size_t nch, size_t j)
{
	for (size_t k = nch; k > j; k = (size_t)from[k])
		if ((size_t)from[k] == j)
			return k;
	return 0;
}

/* Whether the piece of the best path starting at character j is a word. */
static int next_word_at(const int *matched, const int *from, size_t nch, size_t j)
{
	size_t k = piece_from(from, nch, j);
	return k && matched[k] == PIECE_WORD;
}

/* Whether a one-kanji piece [i, j) starts a synonym phrase with the word
 * after it, one particle between (くるま|の|ぜいきん → 車の税金): the
 * phrase says which homophone it is. */
static int starts_phrase(query *q, const char *kata, const size_t *off, const int *matched,
			 const int *from, size_t nch, size_t i, size_t j)
{
	size_t a = j, b = piece_from(from, nch, a); /* the next word: [a, b) */
	if (b && matched[b] == PIECE_GRAMMAR) {
		a = b;
		b = piece_from(from, nch, a);
	}
	if (b == 0 || matched[b] != PIECE_WORD)
		return 0;
	char t[SET_TERMS][64], u[SET_TERMS][64];
	int nt = reading_terms(q, kata + off[i], off[j] - off[i], t, SET_TERMS, 0);
	int nu = reading_terms(q, kata + off[a], off[b] - off[a], u, SET_TERMS, 0);
	const search_cache *c = q->cache;
	for (int x = 0; x < nt; x++)
		for (size_t p = phrase_lower_bound(c, t[x]);
		     p < c->nphr && strcmp(c->phr[p].terms[0], t[x]) == 0; p++)
			for (int y = 0; y < nu && c->phr[p].nterms > 1; y++)
				if (strcmp(c->phr[p].terms[1], u[y]) == 0)
					return 1;
	return 0;
}

/* Whether the katakana text before byte at ends in テ or デ: a verb after
 * a te-form (〜て「もらう」, 〜て「いただける」, 〜て「しまう」) is an auxiliary. */
static int after_te(const char *kata, size_t at)
{
	return at >= 3 && (memcmp(kata + at - 3, "テ", 3) == 0 ||
			   memcmp(kata + at - 3, "デ", 3) == 0);
}

/* Whether a token MeCab read between bytes a and b is a known term. */
static int known_token_in(query *q, size_t a, size_t b)
{
	for (int i = 0; i < q->ntok; i++)
		if (q->tok[i].start < b && q->tok[i].end > a && term_df(q, q->tok[i].term) > 0)
			return 1;
	return 0;
}

/* Whether MeCab reads an auxiliary after a conjugated word at byte at of
 * the message (nlp_tagger_aux_spans, parsed on first use). */
static mdg_rc aux_at(query *q, size_t at, int *yes)
{
	*yes = 0;
	if (!q->aux_read) {
		mdg_rc rc = nlp_tagger_aux_spans(kb_tagger(q->k), q->norm, q->nlen, q->aux,
						 MAX_AUX, &q->naux);
		if (rc != MDG_OK)
			return mdg_fail(q->err, rc, "search: MeCab could not parse the message");
		q->aux_read = 1;
	}
	for (size_t i = 0; i < q->naux && !*yes; i++)
		*yes = q->aux[i].start == at;
	return MDG_OK;
}

/* Whether token t overlaps a word piece of a run's best segmentation
 * (pieces end at character j, start at from[j]; offsets off, from byte
 * start). */
static int under_piece(const token *t, size_t start, const size_t *off, const int *from,
		       const int *matched, size_t nch)
{
	for (size_t j = nch; j > 0; j = (size_t)from[j])
		if (matched[j] == PIECE_WORD && t->start < start + off[j] &&
		    t->end > start + off[from[j]])
			return 1;
	return 0;
}

/* Segments one hiragana run by the knowledge base's readings and the
 * particles between them (dynamic programming maximising covered
 * characters, then fewest pieces). If most of the run is covered, MeCab's
 * tokens inside the run are replaced by the matched terms; homophones
 * become alternatives of one concept. */
static mdg_rc kana_run(query *q, size_t start, size_t end, int phrase)
{
	char *kata = NULL;
	mdg_rc rc = nlp_to_katakana(q->norm + start, end - start, &kata);
	if (rc != MDG_OK)
		return rc;
	size_t off[KANA_RUN_MAX + 1], nch = 0, klen = strlen(kata);
	for (size_t i = 0; i < klen && nch < KANA_RUN_MAX;) {
		uint32_t cp;
		off[nch++] = i;
		i += nlp_utf8_decode(kata + i, &cp);
	}
	off[nch] = klen;
	int best_cov[KANA_RUN_MAX + 1], best_pieces[KANA_RUN_MAX + 1];
	int from[KANA_RUN_MAX + 1], matched[KANA_RUN_MAX + 1];
	best_cov[0] = 0, best_pieces[0] = 0;
	for (size_t j = 1; j <= nch; j++) {
		/* skip one character */
		best_cov[j] = best_cov[j - 1];
		best_pieces[j] = best_pieces[j - 1];
		from[j] = (int)j - 1;
		matched[j] = PIECE_NONE;
		for (size_t i = j >= READING_MAX ? j - READING_MAX : 0; i + 2 <= j; i++) {
			int cov = best_cov[i] + (int)(j - i);
			int pcs = best_pieces[i] + 1;
			if (cov < best_cov[j] || (cov == best_cov[j] && pcs >= best_pieces[j]))
				continue;
			char tmp[1][64];
			int m = reading_terms(q, kata + off[i], off[j] - off[i], tmp, 1, 0) > 0
					? PIECE_WORD
				: reading_terms(q, kata + off[i], off[j] - off[i], tmp, 1, 1) > 0
					? PIECE_KANA
					: PIECE_NONE;
			if (m) {
				best_cov[j] = cov;
				best_pieces[j] = pcs;
				from[j] = (int)i;
				matched[j] = m;
			}
		}
		/* A particle: covered, not a term (one or two characters); only
		 * in a run that starts a phrase (after a space, a punctuation mark
		 * or at the start): a run after a kanji (業者「さんから」,
		 * 話「をつけてもらえますか」) is okurigana and grammar. */
		for (size_t i = j >= 2 ? j - 2 : 0; phrase && i < j; i++) {
			int cov = best_cov[i] + (int)(j - i);
			int pcs = best_pieces[i] + 1;
			/* Ending for ending, a particle reads the kana rather than
			 * a one-kanji homophone (とり「たい」 is no 体), but after
			 * another one-kanji word, with which it is a compound
			 * (ちょう「ない」 → 庁内). */
			int tie = cov == best_cov[j] && pcs == best_pieces[j] &&
				  from[j] == (int)i && matched[j] == PIECE_WORD &&
				  single_kanji_piece(q, kata + off[i], off[j] - off[i]) &&
				  !(i > 0 && matched[i] == PIECE_WORD &&
				    single_kanji_piece(q, kata + off[from[i]],
						       off[i] - off[from[i]]));
			if (!tie &&
			    (cov < best_cov[j] || (cov == best_cov[j] && pcs >= best_pieces[j])))
				continue;
			if (is_kana_grammar(kata + off[i], off[j] - off[i])) {
				best_cov[j] = cov;
				best_pieces[j] = pcs;
				from[j] = (int)i;
				matched[j] = PIECE_GRAMMAR;
			}
		}
	}
	/* A single kanji read from two or three kana (きょう → 橋, げん → 原)
	 * is mostly a homophone of another word; it counts only next to
	 * another word of the run (じどうしゃ|ぜい → 自動車 税) or where it
	 * starts a synonym phrase (starts_phrase). */
	int words = 0, cov = best_cov[nch];
	for (size_t j = nch; j > 0; j = (size_t)from[j]) {
		size_t i = (size_t)from[j];
		if (matched[j] == PIECE_WORD &&
		    single_kanji_piece(q, kata + off[i], off[j] - off[i])) {
			int prev = i > 0 && matched[i] == PIECE_WORD;
			int next = j < nch && next_word_at(matched, from, nch, j);
			if (!prev && !next &&
			    !starts_phrase(q, kata, off, matched, from, nch, i, j)) {
				matched[j] = PIECE_NONE;
				cov -= (int)(j - i);
			}
		}
		words += matched[j] == PIECE_WORD;
	}
	/* Nor does a word start where MeCab reads an auxiliary after a verb
	 * (でき「なく」なった is no 亡くなる, おくり「たい」 no 帯; the piece is
	 * grammar), in a run right after a word: in a sentence typed all in
	 * kana MeCab invents such verbs (さいきん|たい|ちょう for 体調). */
	for (size_t j = nch; !phrase && j > 0 && rc == MDG_OK; j = (size_t)from[j]) {
		size_t i = (size_t)from[j];
		int aux = 0;
		if (matched[j] == PIECE_WORD || matched[j] == PIECE_KANA)
			rc = aux_at(q, start + off[i], &aux);
		if (aux) {
			words -= matched[j] == PIECE_WORD;
			matched[j] = PIECE_GRAMMAR;
		}
	}
	if (rc != MDG_OK)
		goto out;
	int whole = cov * 10 >= (int)nch * 6, longest = 0, longest_kana = 0;
	for (size_t j = nch; j > 0; j = (size_t)from[j]) {
		int len = (int)(j - (size_t)from[j]);
		if (matched[j] == PIECE_WORD && len > longest)
			longest = len;
		if (matched[j] == PIECE_KANA && len > longest_kana)
			longest_kana = len;
	}
	int inside = 0, known = 0;
	for (int i = 0; i < q->ntok; i++) {
		if (q->tok[i].start >= start && q->tok[i].end <= end) {
			inside++;
			known += term_df(q, q->tok[i].term) > 0;
		}
	}
	/* MeCab read the run into words the knowledge base has, or as grammar
	 * only (〜たいです, 〜はいつ: okurigana, particles, auxiliaries) and
	 * no long word reads it: either way it is not a kana spelling of an
	 * unknown word. */
	if (nch == 0 || (words == 0 && (inside > 0 || longest_kana < KANA_TERM_MIN)))
		goto out;
	if (whole && (inside > 0 ? known == inside
				 : longest < KANA_WORD_MIN && longest_kana < KANA_TERM_MIN))
		goto out;
	if (!whole) {
		/* Too little of the run is known to read all of it (a sentence
		 * in kana): only its long words (しんだん, ざんぎょう) are taken,
		 * where MeCab read no known word. */
		words = 0;
		for (size_t j = nch; j > 0; j = (size_t)from[j]) {
			size_t i = (size_t)from[j];
			if (matched[j] != PIECE_WORD || j - i < KANA_WORD_MIN ||
			    known_token_in(q, start + off[i], start + off[j]))
				matched[j] = PIECE_NONE;
			words += matched[j] == PIECE_WORD;
		}
		if (words == 0)
			goto out;
	}
	/* A word the knowledge base writes in hiragana (いくら, もらう) is a
	 * term but after a te-form, where it is grammar (〜て「もらう」). */
	for (size_t j = nch; j > 0; j = (size_t)from[j])
		if (matched[j] == PIECE_KANA && !after_te(kata, off[from[j]]))
			matched[j] = PIECE_KANA_TERM;
	/* Drop MeCab's tokens inside the run (or under its long words), then
	 * add the matched pieces. */
	for (int i = 0; i < q->ntok; i++)
		if (whole ? q->tok[i].start >= start && q->tok[i].end <= end
			  : under_piece(&q->tok[i], start, off, from, matched, nch))
			drop_token(&q->tok[i]);
	compact_tokens(q);
	for (size_t j = nch; j > 0;) {
		size_t i = (size_t)from[j];
		if ((matched[j] == PIECE_WORD || matched[j] == PIECE_KANA_TERM) &&
		    q->ntok < MAX_TOKENS && q->ncon < MAX_CONCEPTS) {
			char alts[MAX_ALTS][64];
			int na = reading_terms(q, kata + off[i], off[j] - off[i], alts,
					       MAX_ALTS > 4 ? 4 : MAX_ALTS,
					       matched[j] == PIECE_KANA_TERM);
			concept *c = &q->con[q->ncon];
			memset(c, 0, sizeof *c);
			for (int a = 0; a < na; a++) {
				int id = term_id(q, alts[a]);
				if (id < 0)
					continue;
				c->terms[c->nalts][0] = id;
				c->nterms[c->nalts++] = 1;
			}
			if (c->nalts > 0) {
				/* A word read from kana is a token like any other (so
				 * synonyms apply); homophones form one concept. */
				token *t = &q->tok[q->ntok++];
				t->term = strdup(alts[0]);
				t->start = start + off[i];
				t->end = start + off[j];
				t->predicate = 0; /* not known: counts as a subject */
				t->part[0] = t->part[1] = -1;
				t->concept = -1;
				t->homo = c->nalts > 1 ? q->ncon++ : -1;
				if (t->term == NULL) {
					rc = MDG_ERR_NOMEM;
					goto out;
				}
			}
		}
		j = i;
	}
out:
	free(kata);
	return rc;
}

/* A katakana word the IME left half converted (パスポーとの申請, メーるが):
 * when the katakana at [start, end) (chars characters) is no word of the
 * knowledge base but it and the one or two hiragana after it, in
 * katakana, are a word of three kana or more, that word replaces MeCab's
 * tokens there. */
static mdg_rc half_converted(query *q, size_t start, size_t end, size_t chars)
{
	if (known_token_in(q, start, end))
		return MDG_OK;
	size_t e = end;
	for (int k = 0; k < 2 && e < q->nlen; k++) {
		uint32_t cp;
		size_t l = nlp_utf8_decode(q->norm + e, &cp);
		if (!is_hiragana(cp))
			break;
		e += l;
		if (chars + (size_t)k + 1 < KANA_RUN_MIN)
			continue;
		char *kata = NULL;
		mdg_rc rc = nlp_to_katakana(q->norm + start, e - start, &kata);
		if (rc != MDG_OK)
			return rc;
		if (term_df(q, kata) == 0) {
			free(kata);
			continue;
		}
		for (int i = 0; i < q->ntok; i++)
			if (q->tok[i].start < e && q->tok[i].end > start)
				drop_token(&q->tok[i]);
		compact_tokens(q);
		if (q->ntok >= MAX_TOKENS) {
			free(kata);
			return MDG_OK;
		}
		token *t = &q->tok[q->ntok++];
		memset(t, 0, sizeof *t);
		t->term = kata;
		t->start = start;
		t->end = e;
		t->concept = t->homo = -1;
		t->part[0] = t->part[1] = -1;
		return MDG_OK;
	}
	return MDG_OK;
}

/* Whether a word begins with a small kana or a long-vowel mark, as no
 * word does: MeCab split a kana run inside a syllable (きょかっている read
 * き + ょかっている). */
static int starts_mid_syllable(const char *t)
{
	uint32_t cp = 0;
	if (*t)
		nlp_utf8_decode(t, &cp);
	static const uint32_t small[] = {0x3041, 0x3043, 0x3045, 0x3047, 0x3049, 0x3063,
					 0x3083, 0x3085, 0x3087, 0x308E, 0x30A1, 0x30A3,
					 0x30A5, 0x30A7, 0x30A9, 0x30C3, 0x30E3, 0x30E5,
					 0x30E7, 0x30EE, 0x30FC};
	for (size_t i = 0; i < sizeof small / sizeof *small; i++)
		if (cp == small[i])
			return 1;
	return 0;
}

/* Drops the unknown pieces of a mis-split kana run (starts_mid_syllable):
 * they are no word the user wrote, and would count as unknown words. */
static void drop_split_pieces(query *q)
{
	for (int i = 0; i < q->ntok; i++)
		if (starts_mid_syllable(q->tok[i].term) && term_df(q, q->tok[i].term) == 0)
			drop_token(&q->tok[i]);
	compact_tokens(q);
}

/* Hiragana runs (and katakana runs of words the knowledge base does not
 * have: ﾅﾝﾋﾞｮｳ typed for 難病) are read by kana_run. */
static mdg_rc find_kana_runs(query *q)
{
	size_t i = 0, run_start = 0, run_chars = 0, kata_start = 0, kata_chars = 0;
	int in_run = 0, phrase = 0, after_word = 0;
	while (i <= q->nlen) {
		uint32_t cp = 0;
		size_t len = 1;
		if (i < q->nlen)
			len = nlp_utf8_decode(q->norm + i, &cp);
		int hira = is_hiragana(cp) || (cp == 0x30FC && in_run);
		int kata = !hira && ((cp >= 0x30A1 && cp <= 0x30FA) || cp == 0x30FC);
		if (kata) {
			if (kata_chars++ == 0)
				kata_start = i;
		} else if (kata_chars) {
			mdg_rc rc = MDG_OK;
			if (hira && kata_chars >= 2)
				rc = half_converted(q, kata_start, i, kata_chars);
			if (rc == MDG_OK && kata_chars >= KANA_WORD_MIN && kata_chars <= KANA_RUN_MAX)
				rc = kana_run(q, kata_start, i, 0);
			if (rc != MDG_OK)
				return rc;
			kata_chars = 0;
		}
		if (hira) {
			if (!in_run)
				in_run = 1, run_start = i, run_chars = 0, phrase = !after_word;
			run_chars++;
		} else if (in_run) {
			in_run = 0;
			if (run_chars >= KANA_RUN_MIN && run_chars <= KANA_RUN_MAX) {
				mdg_rc rc = kana_run(q, run_start, i, phrase);
				if (rc != MDG_OK)
					return rc;
			}
		}
		/* Kanji, katakana, letters and digits write words; a hiragana
		 * run right after one continues it. */
		after_word = !hira && (nlp_is_kanji(cp) || (cp >= 0x30A1 && cp <= 0x30FC) ||
				       (cp >= '0' && cp <= '9') || (cp >= 'a' && cp <= 'z'));
		i += len;
	}
	return MDG_OK;
}

/* Units of measure (「何MBまで」): they name the kind of answer wanted, a
 * size or a distance, not what the message is about. */
static int is_unit(const char *t)
{
	static const char *const units[] = {"kb", "mb", "gb", "tb", "bps", "kbps", "mbps",
					    "gbps", "mm", "cm", "km", "mg", "kg", "ml",
					    "px", "dpi", NULL};
	for (const char *const *u = units; *u; u++)
		if (strcmp(t, *u) == 0)
			return 1;
	return 0;
}

static int tok_cmp(const void *a, const void *b)
{
	const token *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

/* Whether the message has the text w around token t. */
static int whole_around(const query *q, const char *w, const token *t)
{
	size_t n = strlen(w);
	for (const char *p = strstr(q->norm, w); p; p = strstr(p + 1, w)) {
		size_t at = (size_t)(p - q->norm);
		if (at <= t->start && t->end <= at + n)
			return 1;
	}
	return 0;
}

/* The spellings of term the knowledge base may use: term itself, then
 * those told apart from it only by okurigana (申し込み, 申込み, 申込;
 * 取消し, 取り消す), the kanji-only one (known or not) first. Official
 * texts and residents rarely agree on them, and no word list holds them
 * all. Returns how many (at least 1); out[i] point into term, key or the
 * version's vocabulary. */
#define SPELLINGS (SET_TERMS + 2)
static int spellings(const query *q, const char *term, char key[128],
		     const char *out[SPELLINGS])
{
	int n = 0;
	out[n++] = term;
	if (nlp_okurigana_key(term, strlen(term), key, 128) == 0)
		return n;
	if (strcmp(key, term) != 0)
		out[n++] = key;
	const term_set *v = index_get(&q->cache->variants, key);
	for (int i = 0; v && i < v->n; i++)
		if (strcmp(v->t[i], term) != 0)
			out[n++] = v->t[i];
	return n;
}

/* Whether token t is term: its own, or one of its homophones when it was
 * read from kana (ひょう is 票 or 表). */
static int tok_is(const query *q, const token *t, const char *term)
{
	if (strcmp(t->term, term) == 0)
		return 1;
	const concept *h = t->homo >= 0 ? &q->con[t->homo] : NULL;
	for (int a = 0; h && a < h->nalts; a++)
		if (h->nterms[a] == 1 && strcmp(q->terms[h->terms[a][0]], term) == 0)
			return 1;
	return 0;
}

/* Whether every homophone of h is a one-word phrase of group grp: they are
 * then spellings of one word (しめきり: 締切, 締め切り, 〆切), not a guess. */
static int homophones_in_group(const query *q, const concept *h, int grp)
{
	const search_cache *c = q->cache;
	for (int a = 0; a < h->nalts; a++) {
		if (h->nterms[a] != 1)
			return 0;
		const char *t = q->terms[h->terms[a][0]];
		int in = 0;
		for (size_t p = phrase_lower_bound(c, t);
		     !in && p < c->nphr && strcmp(c->phr[p].terms[0], t) == 0; p++)
			in = c->phr[p].nterms == 1 && c->phr[p].grp == grp;
		if (!in)
			return 0;
	}
	return 1;
}

/* The synonym phrase starting at token s, if any; a phrase's first word
 * may be written with other okurigana than the message's, or be any
 * homophone of a word read from kana when more words follow (or when all
 * its homophones are of the phrase's group). */
static syn_phrase *phrase_at(query *q, int s)
{
	search_cache *c = q->cache;
	char key[128];
	const char *sp[SPELLINGS];
	const concept *h = q->tok[s].homo >= 0 ? &q->con[q->tok[s].homo] : NULL;
	int nsp = 0;
	if (h) {
		for (int a = 0; a < h->nalts && nsp < SPELLINGS; a++)
			if (h->nterms[a] == 1)
				sp[nsp++] = q->terms[h->terms[a][0]];
	} else {
		nsp = spellings(q, q->tok[s].term, key, sp);
	}
	for (int k = 0; k < nsp; k++) {
		for (size_t p = phrase_lower_bound(c, sp[k]);
		     p < c->nphr && strcmp(c->phr[p].terms[0], sp[k]) == 0; p++) {
			/* one homophone alone is no more this word than another */
			int ok = s + c->phr[p].nterms <= q->ntok &&
				 (!h || c->phr[p].nterms > 1 ||
				  homophones_in_group(q, h, c->phr[p].grp));
			if (ok && c->phr[p].whole)
				ok = whole_around(q, c->phr[p].whole, &q->tok[s]);
			for (int j = 1; j < c->phr[p].nterms && ok; j++)
				ok = q->tok[s + j].concept < 0 &&
				     tok_is(q, &q->tok[s + j], c->phr[p].terms[j]);
			if (ok)
				return &c->phr[p];
		}
	}
	return NULL;
}

/* Whether the knowledge base or its synonyms have a word whose
 * okurigana-free spelling is key. */
static int key_known(const query *q, const char *key)
{
	const search_cache *c = q->cache;
	size_t p = phrase_lower_bound(c, key);
	return kb_strtab_get(&c->df, key) > 0 || index_get(&c->variants, key) ||
	       (p < c->nphr && strcmp(c->phr[p].terms[0], key) == 0);
}

static int starts_kanji(const char *s)
{
	uint32_t cp = 0;
	if (*s)
		nlp_utf8_decode(s, &cp);
	return nlp_is_kanji(cp);
}

static int one_kanji(const char *s)
{
	uint32_t cp = 0;
	return *s && starts_kanji(s) && s[nlp_utf8_decode(s, &cp)] == '\0';
}

/* IPADIC splits some okurigana spellings into a kanji and a suffix
 * (申込み -> 申 + 込み, 引落し -> 引 + 落し): a single kanji followed by a
 * piece starting with a kanji that together spell a known word with
 * okurigana are taken as that word. */
static mdg_rc join_split_words(query *q)
{
	for (int i = 0; i + 1 < q->ntok; i++) {
		token *x = &q->tok[i], *y = &q->tok[i + 1];
		if (x->end != y->start || x->concept >= 0 || y->concept >= 0 ||
		    x->homo >= 0 || y->homo >= 0 || x->predicate || !one_kanji(x->term) ||
		    !starts_kanji(y->term))
			continue;
		char w[128], key[128];
		int n = snprintf(w, sizeof w, "%s%s", x->term, y->term);
		if (n <= 0 || (size_t)n >= sizeof w ||
		    nlp_okurigana_key(w, (size_t)n, key, sizeof key) == 0 ||
		    strcmp(key, w) == 0 || !key_known(q, key))
			continue;
		char *t = strdup(w);
		x->part[0] = term_id(q, x->term);
		x->part[1] = term_id(q, y->term);
		if (t == NULL || x->part[0] < 0 || x->part[1] < 0) {
			free(t);
			return MDG_ERR_NOMEM;
		}
		free(x->term);
		free(y->term);
		x->term = t;
		x->end = y->end;
		x->predicate = y->predicate;
		memmove(y, y + 1, (size_t)(q->ntok - i - 2) * sizeof *y);
		q->ntok--;
	}
	return MDG_OK;
}

/* Whether the knowledge base has a term of a synonym phrase. */
static int phrase_known(query *q, const syn_phrase *ph)
{
	for (int j = 0; j < ph->nterms; j++)
		if (term_df(q, ph->terms[j]) > 0)
			return 1;
	return 0;
}

/* Removes the concepts no token has (homophones read from kana that a
 * synonym phrase took), renumbering the others. */
static void drop_unused_concepts(query *q)
{
	int map[MAX_CONCEPTS], used[MAX_CONCEPTS] = {0}, n = 0;
	for (int i = 0; i < q->ntok; i++)
		if (q->tok[i].concept >= 0)
			used[q->tok[i].concept] = 1;
	for (int c = 0; c < q->ncon; c++) {
		map[c] = used[c] ? n : -1;
		if (used[c] && n != c)
			q->con[n] = q->con[c];
		n += used[c];
	}
	for (int i = 0; i < q->ntok; i++) {
		if (q->tok[i].concept >= 0)
			q->tok[i].concept = map[q->tok[i].concept];
		q->tok[i].homo = -1; /* every one is now its token's concept */
	}
	q->ncon = n;
}

/* Turns tokens into concepts, merging synonym phrases. */
static mdg_rc build_concepts(query *q)
{
	qsort(q->tok, (size_t)q->ntok, sizeof *q->tok, tok_cmp);
	mdg_rc rc = join_split_words(q);
	if (rc != MDG_OK)
		return rc;
	search_cache *c = q->cache;
	for (int s = 0; s < q->ntok; s++) {
		if (q->tok[s].concept >= 0)
			continue;
		syn_phrase *ph = phrase_at(q, s);
		if (ph == NULL || q->ncon >= MAX_CONCEPTS)
			continue;
		/* Two phrases of one group in a message (手数料 … いくら) are
		 * one concept, not two. */
		int same = -1;
		for (int c2 = 0; c2 < q->ncon && same < 0; c2++)
			if (q->con[c2].synonym && q->con[c2].grp == ph->grp)
				same = c2;
		if (same >= 0) {
			for (int j = 0; j < ph->nterms; j++)
				q->tok[s + j].concept = same;
			continue;
		}
		concept *cn = &q->con[q->ncon];
		memset(cn, 0, sizeof *cn);
		cn->synonym = 1;
		cn->grp = ph->grp;
		/* The user's own words first, then every phrase of the group. */
		size_t lo = 0, hi = c->nphr;
		while (lo < hi) { /* first phrase of the group in by_grp */
			size_t mid = (lo + hi) / 2;
			if (c->phr[c->by_grp[mid]].grp < ph->grp)
				lo = mid + 1;
			else
				hi = mid;
		}
		for (size_t o = 0; cn->nalts < MAX_ALTS; o++) {
			const syn_phrase *alt;
			if (o == 0)
				alt = ph;
			else if (lo + o - 1 < c->nphr && c->phr[c->by_grp[lo + o - 1]].grp == ph->grp)
				alt = &c->phr[c->by_grp[lo + o - 1]];
			else
				break;
			if (o > 0 && (alt == ph || !phrase_known(q, alt)))
				continue; /* an alternative the knowledge base lacks matches nothing */
			for (int j = 0; j < alt->nterms; j++)
				cn->terms[cn->nalts][j] = term_id(q, alt->terms[j]);
			cn->nterms[cn->nalts] = alt->nterms;
			int dup = 0; /* phrases often share terms (なくす/無くす) */
			for (int a = 0; a < cn->nalts && !dup; a++)
				dup = cn->nterms[a] == alt->nterms &&
				      !memcmp(cn->terms[a], cn->terms[cn->nalts],
					      sizeof(int) * (size_t)alt->nterms);
			if (!dup)
				cn->nalts++;
		}
		for (int j = 0; j < ph->nterms; j++)
			q->tok[s + j].concept = q->ncon;
		q->ncon++;
	}
	/* Homophones no phrase took are their own concept. */
	for (int i = 0; i < q->ntok; i++)
		if (q->tok[i].concept < 0 && q->tok[i].homo >= 0)
			q->tok[i].concept = q->tok[i].homo;
	drop_unused_concepts(q);
	for (int i = 0; i < q->ntok && q->ncon < MAX_CONCEPTS; i++) {
		if (q->tok[i].concept >= 0)
			continue;
		int id = term_id(q, q->tok[i].term);
		if (id < 0)
			continue;
		int dup = -1;
		for (int j = 0; j < q->ncon && dup < 0; j++)
			if (!q->con[j].synonym && q->con[j].nterms[0] == 1 &&
			    q->con[j].terms[0][0] == id)
				dup = j;
		if (dup >= 0) {
			q->tok[i].concept = dup;
			continue;
		}
		concept *cn = &q->con[q->ncon];
		memset(cn, 0, sizeof *cn);
		cn->nalts = 1;
		cn->nterms[0] = 1;
		cn->terms[0][0] = id;
		char key[128];
		const char *sp[SPELLINGS];
		int nsp = spellings(q, q->tok[i].term, key, sp);
		for (int k = 1; k < nsp && cn->nalts < MAX_ALTS; k++) {
			cn->terms[cn->nalts][0] = term_id(q, sp[k]);
			cn->nterms[cn->nalts++] = 1;
		}
		q->tok[i].concept = q->ncon++;
	}
	for (int i = 0; i < q->ntok; i++)
		if (q->tok[i].concept >= 0 && !q->tok[i].predicate && !is_unit(q->tok[i].term))
			q->con[q->tok[i].concept].noun = 1;
	/* A joined word still matches the texts IPADIC split the same way. */
	for (int i = 0; i < q->ntok; i++) {
		concept *cn = q->tok[i].concept >= 0 ? &q->con[q->tok[i].concept] : NULL;
		if (cn == NULL || q->tok[i].part[0] < 0 || cn->nalts >= MAX_ALTS)
			continue;
		cn->terms[cn->nalts][0] = q->tok[i].part[0];
		cn->terms[cn->nalts][1] = q->tok[i].part[1];
		cn->nterms[cn->nalts++] = 2;
	}
	/* A term id of -1 (allocation failure) would be unsafe later. */
	for (int i = 0; i < q->ncon; i++)
		for (int a = 0; a < q->con[i].nalts; a++)
			for (int j = 0; j < q->con[i].nterms[a]; j++)
				if (q->con[i].terms[a][j] < 0)
					return MDG_ERR_NOMEM;
	return MDG_OK;
}

/* Digits only, or an ASCII word with '.' or '@' (example.co.jp). */
static int is_contact_data(const char *t)
{
	size_t n = strlen(t);
	if (strspn(t, "0123456789-") == n)
		return 1;
	int ascii = 1;
	for (size_t i = 0; i < n; i++)
		ascii &= (unsigned char)t[i] < 0x80;
	return ascii && (strchr(t, '.') || strchr(t, '@'));
}

static mdg_rc load_idf(query *q)
{
	for (int i = 0; i < q->nterms; i++) {
		q->df[i] = term_df(q, q->terms[i]);
		q->idf[i] = kb_term_weight(q->terms[i], q->df[i], q->cache->ndocs);
	}
	/* A concept weighs what its best-known alternative weighs: the user's
	 * word may be unknown to the knowledge base while its synonym is not. */
	for (int i = 0; i < q->ncon; i++) {
		concept *c = &q->con[i];
		double best = -1, fallback = 0;
		for (int a = 0; a < c->nalts; a++) {
			double sum = 0;
			int known = 1;
			for (int j = 0; j < c->nterms[a]; j++) {
				sum += q->idf[c->terms[a][j]];
				known &= q->df[c->terms[a][j]] > 0;
			}
			if (a == 0)
				fallback = sum;
			if (known && (best < 0 || sum < best))
				best = sum;
		}
		c->weight = best >= 0 ? best : fallback;
		/* A verb or adjective the knowledge base never uses is mostly
		 * the user's own way of saying what to do (変えたい for 変更,
		 * 打ち間違える); an unknown noun names another topic. */
		if (best < 0 && !c->noun)
			c->weight *= UNKNOWN_PREDICATE_WEIGHT;
		/* Numbers and addresses the knowledge base does not contain (phone
		 * numbers, amounts, e-mail, domains) say nothing about the topic. */
		if (best < 0 && c->nalts == 1 && c->nterms[0] == 1 &&
		    is_contact_data(q->terms[c->terms[0][0]]))
			c->weight = 0;
	}
	return MDG_OK;
}

/* Adds one more phrase's IDF to the mdg_score parameters; a query with
 * more phrases than they hold stops growing. */
static int fts_param(kb_fts_params *p, double idf)
{
	if (p->nphrases >= KB_FTS_MAX_PHRASES)
		return 0;
	p->idf[p->nphrases++] = idf;
	return 1;
}

/* The one-word spellings a token stands for in compounds: its concept's
 * (okurigana variants, homophones read from kana) unless that is a synonym
 * group, whose phrases are other words; the token's own term first. */
static int word_spellings(const query *q, const token *t, const char *out[COMPOUND_SPELLINGS])
{
	int n = 0;
	out[n++] = t->term;
	const concept *c = t->concept >= 0 ? &q->con[t->concept] : NULL;
	for (int a = 0; c && !c->synonym && a < c->nalts && n < COMPOUND_SPELLINGS; a++) {
		const char *w = q->terms[c->terms[a][0]];
		if (c->nterms[a] == 1 && strcmp(w, t->term) != 0)
			out[n++] = w;
	}
	return n;
}

/* FTS5 query: the OR of every known term, each quoted as one phrase, and
 * the matching mdg_score parameters. */
static mdg_rc fts_query(query *q, mdg_buf *b, kb_fts_params *p)
{
	mdg_rc rc = MDG_OK;
	memcpy(p->weight, fts_weights, sizeof p->weight);
	p->nphrases = 0;
	/* Compounds of adjacent words in the message (see nlp_bigram), of
	 * each spelling or homophone of the two words (じゅしん|ばこ: 受信箱,
	 * though 受診 is read first). */
	for (int i = 0; i + 1 < q->ntok && rc == MDG_OK; i++) {
		const token *x = &q->tok[i], *y = &q->tok[i + 1];
		if (x->end != y->start || x->concept == y->concept)
			continue;
		const char *xs[COMPOUND_SPELLINGS], *ys[COMPOUND_SPELLINGS];
		int nx = word_spellings(q, x, xs), ny = word_spellings(q, y, ys);
		for (int a = 0; a < nx * ny && rc == MDG_OK; a++) {
			/* other spellings leave half the phrases to the terms */
			if (a > 0 && p->nphrases >= KB_FTS_MAX_PHRASES / 2)
				break;
			const char *u = xs[a / ny], *v = ys[a % ny];
			char bg[NLP_BIGRAM_MAX];
			size_t n = nlp_bigram(u, strlen(u), v, strlen(v), bg, sizeof bg);
			if (n == 0 || memchr(bg, '"', n) || !fts_param(p, -1))
				continue; /* -1: mdg_score counts a compound's documents */
			rc = mdg_buf_printf(b, "%s\"%s\"", b->len ? " OR " : "", bg);
		}
	}
	/* FTS5 scores every document containing any searched term, so the
	 * cost is the summed length of the terms' posting lists. The rarest
	 * terms (most of the score's weight) are searched first, up to a budget of
	 * postings proportional to the knowledge base; common terms beyond it
	 * are left out of the MATCH (the re-ranker still counts them). Only
	 * the concepts' terms are searched: a homophone a synonym phrase ruled
	 * out (講座 in ぎんこうこうざ) is no longer the message's. */
	unsigned char searched[MAX_TERMS] = {0};
	for (int c = 0; c < q->ncon; c++)
		for (int a = 0; a < q->con[c].nalts; a++)
			for (int j = 0; j < q->con[c].nterms[a]; j++)
				searched[q->con[c].terms[a][j]] = 1;
	int order[MAX_TERMS], n = 0;
	for (int i = 0; i < q->nterms; i++)
		if (q->df[i] > 0 && searched[i])
			order[n++] = i;
	for (int i = 1; i < n; i++) { /* insertion sort by df: n is small */
		int v = order[i], j = i;
		for (; j > 0 && q->df[order[j - 1]] > q->df[v]; j--)
			order[j] = order[j - 1];
		order[j] = v;
	}
	double budget = FTS_POSTINGS_BUDGET * (double)q->cache->ndocs, used = 0;
	if (budget > FTS_POSTINGS_CAP)
		budget = FTS_POSTINGS_CAP;
	for (int r = 0; r < n && rc == MDG_OK; r++) {
		int i = order[r];
		used += (double)q->df[i];
		if ((r >= FTS_MIN_TERMS && used > budget) || !fts_param(p, q->idf[i]))
			break;
		if (b->len)
			rc = mdg_buf_adds(b, " OR ");
		if (rc == MDG_OK)
			rc = mdg_buf_adds(b, "\"");
		/* Inside an FTS5 string a quote is written twice; nothing else
		 * in user text has a meaning there. */
		for (const char *s = q->terms[i]; *s && rc == MDG_OK; s++)
			rc = mdg_buf_add(b, *s == '"' ? "\"\"" : s, *s == '"' ? 2 : 1);
		if (rc == MDG_OK)
			rc = mdg_buf_adds(b, "\"");
	}
	return rc;
}

/* Share (by IDF) of concept c found in a term set; present[id] says
 * whether query term id is in the set. */
static double concept_match(const query *q, const concept *c,
			    const unsigned char *present)
{
	double best = 0;
	for (int a = 0; a < c->nalts; a++) {
		double tot = 0, hit = 0;
		for (int j = 0; j < c->nterms[a]; j++) {
			int id = c->terms[a][j];
			tot += q->idf[id];
			if (present[id])
				hit += q->idf[id];
		}
		if (tot > 0 && hit / tot > best)
			best = hit / tot;
	}
	return best;
}

/* Whether the knowledge base has every term of one of c's alternatives. */
static int concept_known(const query *q, const concept *c)
{
	for (int a = 0; a < c->nalts; a++) {
		int all = 1;
		for (int j = 0; j < c->nterms[a]; j++)
			all &= q->df[c->terms[a][j]] > 0;
		if (all)
			return 1;
	}
	return 0;
}

static int hit_cmp(const void *a, const void *b)
{
	double x = ((const kb_hit *)a)->score, y = ((const kb_hit *)b)->score;
	return x < y ? 1 : x > y ? -1 : 0;
}

static void hit_free(kb_hit *h)
{
	free(h->ext_id);
	free(h->question);
	free(h->category);
	free(h->flow);
}

/* Scores one candidate into h; bm: its FTS5 score, bmax: the best
 * candidate's, total: the message's concept weight. */
static mdg_rc rerank(query *q, const kb_search_opts *o, const kb_cand *row, double bm,
		     double bmax, double total, kb_hit *h)
{
	double qidf = row->qidf;
	double qcov = 0, dcov = 0, prec_hit = 0, missing = 0;
	/* One pass over each field's terms marks the query terms in it. */
	mark_terms(q, row->set[0], row->nset[0], q->in_q);
	mark_terms(q, row->set[1], row->nset[1], q->in_a);
	mark_terms(q, row->set[2], row->nset[2], q->in_d);
	for (int c = 0; c < q->ncon; c++) {
		const concept *cn = &q->con[c];
		double mq = concept_match(q, cn, q->in_q);
		double ma = concept_match(q, cn, q->in_a);
		double md = concept_match(q, cn, q->in_d);
		qcov += cn->weight * (mq > ma ? mq : ma);
		dcov += cn->weight * md;
		prec_hit += cn->weight * mq;
		/* The heaviest known noun-like concept mostly absent from the
		 * question fields: what the message is about (unknown words are
		 * known_share's; a verb says what is done with the subject, and
		 * 「作る」 asks what 「申請」 answers). */
		if (cn->noun && mq < 0.5 && ma < 0.5 && cn->weight > missing &&
		    concept_known(q, cn))
			missing = cn->weight;
	}
	if (search_debug()) {
		fprintf(stderr, "  cm %s", row->ext_id);
		for (int c = 0; c < q->ncon; c++)
			fprintf(stderr, " %s:%.2f:%d:%d:%.2f:%.2f:%.2f",
				q->terms[q->con[c].terms[0][0]], q->con[c].weight,
				concept_known(q, &q->con[c]), q->con[c].noun,
				concept_match(q, &q->con[c], q->in_q),
				concept_match(q, &q->con[c], q->in_a),
				concept_match(q, &q->con[c], q->in_d));
		fprintf(stderr, "\n");
	}
	double s = 0;
	if (total > 0)
		s += W_QCOV * qcov / total + W_DCOV * dcov / total;
	if (qidf > 0)
		s += W_PREC * (prec_hit > qidf ? 1.0 : prec_hit / qidf);
	s += W_BM25 * bm / bmax;
	if (search_debug())
		fprintf(stderr, "  hit %s qcov=%.2f dcov=%.2f prec=%.2f bm=%.2f s=%.4f\n",
			row->ext_id, qcov / total, dcov / total,
			qidf > 0 ? prec_hit / qidf : 0, bm / bmax, s);
	if (o->prefer_category && o->prefer_category[0] &&
	    strcmp(row->category, o->prefer_category) == 0)
		s *= CATEGORY_BOOST;
	h->rowid = row->id;
	h->score = s;
	h->missing = total > 0 ? missing / total : 0;
	h->qcov = total > 0 ? qcov / total : 0;
	h->ext_id = strdup(row->ext_id);
	h->question = strdup(row->question);
	h->category = strdup(row->category);
	h->flow = strdup(row->flow);
	return h->ext_id && h->question && h->category && h->flow ? MDG_OK : MDG_ERR_NOMEM;
}

static mdg_rc rank(query *q, const kb_search_opts *o, kb_result *res)
{
	mdg_buf fq = {0};
	kb_fts_params par;
	mdg_rc rc = fts_query(q, &fq, &par);
	if (rc != MDG_OK || fq.len == 0) {
		mdg_buf_free(&fq);
		return rc;
	}
	if (search_debug()) {
		fprintf(stderr, "fts query: %s\n", fq.data);
		for (int i = 0; i < q->ncon; i++) {
			fprintf(stderr, "  concept %d w=%.2f:", i, q->con[i].weight);
			for (int a = 0; a < q->con[i].nalts; a++) {
				fprintf(stderr, " [");
				for (int j = 0; j < q->con[i].nterms[a]; j++)
					fprintf(stderr, " %s",
						q->terms[q->con[i].terms[a][j]]);
				fprintf(stderr, " ]");
			}
			fprintf(stderr, "\n");
		}
	}
	/* Candidates: the FTS5 match's best FTS_LIMIT by mdg_topk, best first. */
	kb_fts_hit cand[FTS_LIMIT];
	int ncand = 0;
	sqlite3_stmt *st = q->cache->topk;
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, fq.data, (int)fq.len, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, &par, (int)kb_fts_params_size(&par), SQLITE_STATIC);
	int r = sqlite3_step(st);
	if (r == SQLITE_ROW) {
		int bytes = sqlite3_column_bytes(st, 0);
		ncand = bytes / (int)sizeof *cand;
		if (ncand > FTS_LIMIT)
			ncand = FTS_LIMIT;
		if (ncand > 0)
			memcpy(cand, sqlite3_column_blob(st, 0), (size_t)ncand * sizeof *cand);
	} else if (r != SQLITE_DONE) {
		rc = mdg_fail(q->err, MDG_ERR_DB, "search: %s",
			      sqlite3_errmsg(kb_sqlite(q->k)));
	}
	sqlite3_reset(st);
	mdg_buf_free(&fq);
	if (rc != MDG_OK || ncand == 0)
		return rc;
	/* Each re-ranked into the candidate's slot (so equal scores keep the
	 * FTS5 order): rows this connection parsed before from its cache, the
	 * others read with one statement (and cached). */
	res->hits = calloc(FTS_LIMIT, sizeof *res->hits);
	if (res->hits == NULL)
		return MDG_ERR_NOMEM;
	res->nhits = (size_t)ncand;
	double total = 0, bmax = cand[0].score > 0 ? cand[0].score : 1;
	for (int i = 0; i < q->ncon; i++)
		total += q->con[i].weight;
	search_caches *cs = caches_of(q->k);
	if (cs == NULL)
		return MDG_ERR_NOMEM;
	kb_cand_cache *cc = cs->cands;
	st = q->cache->rows;
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	int nmiss = 0;
	for (int i = 0; i < ncand && rc == MDG_OK; i++) {
		const kb_cand *row = kb_cand_get(cc, q->version, cand[i].rowid);
		if (row)
			rc = rerank(q, o, row, cand[i].score, bmax, total, &res->hits[i]);
		else
			sqlite3_bind_int64(st, ++nmiss, cand[i].rowid);
	}
	while (rc == MDG_OK && nmiss > 0 && (r = sqlite3_step(st)) == SQLITE_ROW) {
		int64_t id = sqlite3_column_int64(st, 0);
		int slot = 0;
		while (slot < ncand && cand[slot].rowid != id)
			slot++;
		if (slot == ncand)
			continue;
		const char *sets[KB_CAND_SETS];
		for (int j = 0; j < KB_CAND_SETS; j++)
			sets[j] = (const char *)sqlite3_column_text(st, 6 + j);
		const kb_cand *row = kb_cand_put(
			cc, q->version, id, (const char *)sqlite3_column_text(st, 2),
			(const char *)sqlite3_column_text(st, 3),
			(const char *)sqlite3_column_text(st, 4),
			(const char *)sqlite3_column_text(st, 5), sqlite3_column_double(st, 9),
			sets);
		rc = row ? rerank(q, o, row, cand[slot].score, bmax, total, &res->hits[slot])
			 : MDG_ERR_NOMEM;
	}
	if (rc == MDG_OK && nmiss > 0 && r != SQLITE_DONE)
		rc = mdg_fail(q->err, MDG_ERR_DB, "search: %s",
			      sqlite3_errmsg(kb_sqlite(q->k)));
	sqlite3_reset(st);
	if (rc != MDG_OK)
		return rc;
	size_t w = 0; /* a row gone since the match (never in one snapshot) */
	for (size_t i = 0; i < res->nhits; i++)
		if (res->hits[i].ext_id)
			res->hits[w++] = res->hits[i];
	res->nhits = w;
	qsort(res->hits, res->nhits, sizeof *res->hits, hit_cmp);
	/* Share of the message the knowledge base has words for: greetings,
	 * chit-chat and other topics are mostly unknown words, and no hit on the
	 * few known ones (「今日」「明日」) makes them answerable. */
	double known = 0;
	for (int i = 0; i < q->ncon; i++) {
		if (concept_known(q, &q->con[i]))
			known += q->con[i].weight;
	}
	res->known_share = total > 0 ? known / total : 0;
	if (res->nhits > 0 && res->known_share >= o->min_known_share) {
		double s1 = res->hits[0].score;
		double s2 = res->nhits > 1 ? res->hits[1].score : 0;
		/* Two questions that both say all the message says (「旅費」,
		 * 「パスポート」 alone): it does not tell which one it wants. */
		int undecided = res->nhits > 1 && res->hits[0].qcov > 0.999 &&
				res->hits[1].qcov > 0.999;
		/* An answer's own question says some of the message: one only its
		 * answer text matches (an address's みどり市) is a "did you mean". */
		if (s1 >= o->answer_threshold && s1 - s2 >= o->answer_margin && !undecided &&
		    res->hits[0].qcov >= ANSWER_MIN_QCOV)
			res->decision = KB_DECISION_ANSWER;
		else if (s1 >= o->candidate_threshold &&
			 res->hits[0].missing <= o->max_missing_subject)
			res->decision = KB_DECISION_CANDIDATES;
	}
	/* Only now the caller's top: the decision weighs the runner-up
	 * whatever number of results was asked for. */
	if (res->nhits > o->top) {
		for (size_t i = o->top; i < res->nhits; i++)
			hit_free(&res->hits[i]);
		res->nhits = o->top;
	}
	return MDG_OK;
}

static void query_free(query *q)
{
	for (int i = 0; i < q->ntok; i++)
		free(q->tok[i].term);
	for (int i = 0; i < q->nterms; i++)
		free(q->terms[i]);
}

static mdg_rc search_txn(kb *k, const char *bot, const char *text, size_t tlen,
			 const kb_search_opts *o, kb_result **out, char **err);

mdg_rc kb_search(kb *k, const char *bot, const char *text, size_t tlen,
		 const kb_search_opts *o, kb_result **out, char **err)
{
	*out = NULL;
	kb_search_opts defaults;
	if (o == NULL) {
		kb_search_opts_init(&defaults);
		o = &defaults;
	}
	if (tlen > KB_SEARCH_MAX_QUERY_BYTES)
		return mdg_fail(err, MDG_ERR_TOOBIG, "message too long (%zu bytes)", tlen);
	/* One read transaction for the whole search: one consistent snapshot
	 * (an import switching versions meanwhile is seen wholly or not at
	 * all) and one lock acquisition instead of one per statement. */
	int began = kb_read_begin(k, err);
	mdg_rc rc = search_txn(k, bot, text, tlen, o, out, err);
	kb_read_end(k, began);
	return rc;
}

static mdg_rc search_txn(kb *k, const char *bot, const char *text, size_t tlen,
			 const kb_search_opts *o, kb_result **out, char **err)
{
	kb_bot b = {.active_version = o->version};
	mdg_rc rc = o->version > 0 ? MDG_OK : kb_bot_get(k, bot, &b, err);
	if (rc != MDG_OK)
		return rc;
	if (b.active_version == 0)
		return mdg_fail(err, MDG_ERR_NOTFOUND, "bot '%s' has no knowledge base",
				bot);
	kb_result *res = calloc(1, sizeof *res);
	query *q = calloc(1, sizeof *q);
	if (res == NULL || q == NULL) {
		free(res);
		free(q);
		return MDG_ERR_NOMEM;
	}
	res->version = b.active_version;
	q->k = k;
	q->err = err;
	q->version = b.active_version;
	if ((rc = nlp_norm(text, tlen, &q->norm, &q->nlen, err)) != MDG_OK)
		goto out;
	if ((res->norm_query = strdup(q->norm)) == NULL) {
		rc = MDG_ERR_NOMEM;
		goto out;
	}
	if (q->nlen == 0) {
		rc = mdg_fail(err, MDG_ERR_INVALID, "message is empty");
		goto out;
	}
	search_caches *cs = caches_of(k);
	kb_rcache *results = cs && !search_debug() ? cs->results : NULL;
	kb_result *cached = results ? kb_rcache_get(results, q->version, q->norm, o) : NULL;
	if (cached) {
		kb_result_free(res);
		res = cached;
		goto out;
	}
	if ((rc = cache_load(k, q->version, &q->cache, err)) != MDG_OK)
		goto out;
	if (search_debug())
		fprintf(stderr, "QUERY %.*s\n", (int)q->nlen, q->norm);
	rc = nlp_tagger_terms(kb_tagger(k), q->norm, q->nlen, add_token, q);
	if (rc == MDG_OK)
		rc = find_kana_runs(q);
	if (rc == MDG_OK)
		drop_split_pieces(q);
	if (rc == MDG_OK)
		rc = build_concepts(q);
	if (rc == MDG_OK)
		rc = load_idf(q);
	if (rc == MDG_OK)
		rc = rank(q, o, res);
	if (rc == MDG_OK && results)
		kb_rcache_put(results, q->version, q->norm, o, res);
	if (rc == MDG_OK && search_debug())
		fprintf(stderr, "FEAT s1=%.4f s2=%.4f known=%.3f missing=%.3f -> %s\n",
			res->nhits ? res->hits[0].score : 0,
			res->nhits > 1 ? res->hits[1].score : 0, res->known_share,
			res->nhits ? res->hits[0].missing : 0,
			kb_decision_name(res->decision));
out:
	query_free(q);
	free(q->norm);
	free(q);
	if (rc != MDG_OK) {
		kb_result_free(res);
		return rc;
	}
	*out = res;
	return MDG_OK;
}

void kb_result_free(kb_result *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nhits; i++)
		hit_free(&r->hits[i]);
	free(r->hits);
	free(r->norm_query);
	free(r);
}

mdg_rc kb_qa_get(kb *k, const char *bot, const char *ext_id, kb_qa **out,
		 char **err)
{
	*out = NULL;
	sqlite3_stmt *st = kb_stmt(
		k,
		"SELECT q.id, q.ext_id, q.question, q.answer, q.alt_questions,"
		" q.category, q.department, q.contact, q.url, q.keywords, q.flow"
		" FROM qa q JOIN bots b ON q.version_id = b.active_version"
		" WHERE b.name=?1 AND q.ext_id=?2",
		err);
	if (st == NULL)
		return MDG_ERR_DB;
	sqlite3_bind_text(st, 1, bot, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, ext_id, -1, SQLITE_STATIC);
	if (sqlite3_step(st) != SQLITE_ROW) {
		sqlite3_reset(st);
		return mdg_fail(err, MDG_ERR_NOTFOUND, "no Q&A '%s' in bot '%s'",
				ext_id, bot);
	}
	kb_qa *q = calloc(1, sizeof *q);
	if (q == NULL) {
		sqlite3_reset(st);
		return MDG_ERR_NOMEM;
	}
	q->rowid = sqlite3_column_int64(st, 0);
	char **f[] = {&q->ext_id,   &q->question, &q->answer, &q->alt_questions,
		      &q->category, &q->department, &q->contact, &q->url,
		      &q->keywords, &q->flow};
	int ok = 1;
	for (int i = 0; i < 10; i++)
		ok &= (*f[i] = strdup((const char *)sqlite3_column_text(st, i + 1))) != NULL;
	sqlite3_reset(st);
	if (!ok) {
		kb_qa_free(q);
		return MDG_ERR_NOMEM;
	}
	*out = q;
	return MDG_OK;
}

void kb_qa_free(kb_qa *q)
{
	if (q == NULL)
		return;
	free(q->ext_id);
	free(q->question);
	free(q->answer);
	free(q->alt_questions);
	free(q->category);
	free(q->department);
	free(q->contact);
	free(q->url);
	free(q->keywords);
	free(q->flow);
	free(q);
}
