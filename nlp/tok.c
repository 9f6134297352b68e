/* tok.c — MeCab wrapper producing index terms (see tok.h). */
#include "tok.h"

#include <mecab.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "norm.h"

#define MAX_FIELDS 32
#define MAX_TERM 256

struct nlp_model {
	mecab_model_t *model;
	nlp_dict_kind kind;
	char *dicdir;
};

/* The last few texts a tagger analysed, with their terms. An import
 * analyses each field for its statistics and then FTS5 analyses the same
 * text again through the tokenizer on the same connection: the second time
 * is a replay instead of a second MeCab run. */
#define MEMO_SLOTS 8
#define MEMO_MAX_TEXT 16384

typedef struct memo_term {
	size_t term_off, term_len, reading_off, start, end;
	int predicate;
} memo_term;

typedef struct memo {
	char *text;
	size_t len;
	mdg_buf strings; /* term and reading bytes, NUL-separated */
	memo_term *terms;
	size_t nterms, cap;
} memo;

struct nlp_tagger {
	nlp_model *m;
	mecab_t *tagger;
	mecab_lattice_t *lattice;
	memo memo[MEMO_SLOTS];
	int memo_next;
	memo *recording; /* slot being filled by the current analysis */
};

const char *nlp_default_dicdir(void)
{
	return "/var/lib/mecab/dic/ipadic-utf8";
}

/* Splits a MeCab feature string (CSV, UniDic quotes some fields) into
 * fields, in place in buf. Returns the number of fields. */
static int split_features(char *buf, char *fields[], int max)
{
	int n = 0;
	char *p = buf;
	while (n < max) {
		char *start = p;
		if (*p == '"') {
			/* quoted field: "" inside is a literal quote; we only need to
			 * skip it, so the content keeps its doubled quotes. */
			start = ++p;
			while (*p && !(*p == '"' && p[1] != '"'))
				p += (*p == '"') ? 2 : 1;
			if (*p == '"')
				*p++ = '\0';
		} else {
			while (*p && *p != ',')
				p++;
		}
		fields[n++] = start;
		if (*p == ',') {
			*p++ = '\0';
		} else {
			*p = '\0';
			break;
		}
	}
	return n;
}

mdg_rc nlp_model_open(const char *dicdir, nlp_model **out, char **err)
{
	*out = NULL;
	if (dicdir == NULL || *dicdir == '\0')
		dicdir = getenv("MDG_DICDIR");
	if (dicdir == NULL || *dicdir == '\0')
		dicdir = nlp_default_dicdir();
	nlp_model *m = calloc(1, sizeof *m);
	if (m == NULL)
		return MDG_ERR_NOMEM;
	m->dicdir = strdup(dicdir);
	/* "-r /dev/null": never read /etc/mecabrc, whose default dictionary
	 * Debian's alternatives system may switch behind our back. */
	const char *argv[] = {"mecab", "-r", "/dev/null", "-d", dicdir};
	m->model = mecab_model_new(5, (char **)argv);
	if (m->model == NULL || m->dicdir == NULL) {
		nlp_model_close(m);
		return mdg_fail(err, MDG_ERR_MECAB,
				"cannot load MeCab dictionary %s: %s", dicdir,
				mecab_strerror(NULL));
	}
	/* Detect the feature layout: IPADIC has 9 fields, UniDic 17 or more. */
	mecab_t *tg = mecab_model_new_tagger(m->model);
	mecab_lattice_t *lat = mecab_model_new_lattice(m->model);
	int nf = 0;
	if (tg && lat) {
		mecab_lattice_set_sentence(lat, "東京");
		if (mecab_parse_lattice(tg, lat)) {
			const mecab_node_t *node = mecab_lattice_get_bos_node(lat);
			for (; node; node = node->next) {
				if (node->stat == MECAB_NOR_NODE) {
					char buf[1024];
					char *f[MAX_FIELDS];
					snprintf(buf, sizeof buf, "%s", node->feature);
					nf = split_features(buf, f, MAX_FIELDS);
					break;
				}
			}
		}
	}
	mecab_lattice_destroy(lat);
	mecab_destroy(tg);
	if (nf >= 17) {
		m->kind = NLP_DICT_UNIDIC;
	} else if (nf >= 7) {
		m->kind = NLP_DICT_IPADIC;
	} else {
		nlp_model_close(m);
		return mdg_fail(err, MDG_ERR_MECAB,
				"unsupported MeCab dictionary at %s "
				"(expected IPADIC or UniDic)",
				dicdir);
	}
	*out = m;
	return MDG_OK;
}

void nlp_model_close(nlp_model *m)
{
	if (m == NULL)
		return;
	if (m->model)
		mecab_model_destroy(m->model);
	free(m->dicdir);
	free(m);
}

nlp_dict_kind nlp_model_kind(const nlp_model *m)
{
	return m->kind;
}

const char *nlp_model_dicdir(const nlp_model *m)
{
	return m->dicdir;
}

mdg_rc nlp_tagger_new(nlp_model *m, nlp_tagger **out, char **err)
{
	*out = NULL;
	nlp_tagger *t = calloc(1, sizeof *t);
	if (t == NULL)
		return MDG_ERR_NOMEM;
	t->m = m;
	t->tagger = mecab_model_new_tagger(m->model);
	t->lattice = mecab_model_new_lattice(m->model);
	if (t->tagger == NULL || t->lattice == NULL) {
		nlp_tagger_free(t);
		return mdg_fail(err, MDG_ERR_MECAB, "cannot create MeCab tagger");
	}
	*out = t;
	return MDG_OK;
}

static void memo_clear(memo *e)
{
	free(e->text);
	free(e->terms);
	mdg_buf_free(&e->strings);
	memset(e, 0, sizeof *e);
}

void nlp_tagger_free(nlp_tagger *t)
{
	if (t == NULL)
		return;
	for (int i = 0; i < MEMO_SLOTS; i++)
		memo_clear(&t->memo[i]);
	if (t->lattice)
		mecab_lattice_destroy(t->lattice);
	if (t->tagger)
		mecab_destroy(t->tagger);
	free(t);
}

static int in_list(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strcmp(s, *list) == 0)
			return 1;
	return 0;
}

/* Semantically empty verbs and adjectives, by base form / lemma. IPADIC's
 * base form keeps the spelling, so the kanji spellings an FAQ may use
 * (申請出来ます, 送って頂けます, 分かる) are listed too. */
static const char *const ipa_stop[] = {
	"する", "いる", "ある", "なる", "できる", "いう", "おる", "くる",
	"いく", "れる", "られる", "せる", "させる", "やる", "くれる",
	"思う", "ない", "よい", "いい", "いただく", "いただける", "くださる", "しまう",
	"おく", "みる", "ござる", "いたす", "つく", "わかる",
	"為る", "居る", "有る", "在る", "成る", "出来る", "言う", "遣る", "呉れる",
	"無い", "良い", "頂く", "頂ける", "下さる", "仕舞う", "御座る", "致す", "分かる", NULL};
static const char *const uni_stop[] = {
	"為る", "居る", "有る", "成る", "出来る", "言う", "来る", "行く",
	"遣る", "貰う", "呉れる", "思う", "無い", "良い", "頂く", "下さる",
	"仕舞う", "置く", "見る", "御座る", "致す", "付く", "分かる", "れる",
	"られる", "せる", "させる", "いい", NULL};

/* Interrogative pronouns and adverbs that name what a question asks for
 * (when, where, who, how much, why): 「いつ申し込める」 and 「申込の時期」 ask
 * the same thing, so they are terms (and join synonym groups such as
 * 時期/いつ, 料金/いくら), unlike other pronouns and adverbs. IPADIC reads
 * いくら as a noun before a particle (いくらですか) but as an adverb before
 * a word (いくら支給されますか): both are the term. IPADIC base forms and
 * UniDic lemmas. */
static const char *const interrogatives[] = {
	"いつ", "どこ", "誰", "だれ", "何時", "何処", "いくら", "幾ら", "なぜ", "何故", NULL};

/* Adverbs that say which procedure is meant: 初めて asks for a first
 * application, not a renewal (and joins 新規's synonym group). IPADIC base
 * forms and UniDic lemmas. */
static const char *const which_adverbs[] = {"初めて", "はじめて", NULL};

/* Decides whether a node is a content word; fills term/reading pointers
 * into the split fields (or NULL term to take the surface). */
static int ipadic_content(char **f, int nf, const char **term,
			  const char **reading)
{
	if (nf < 7)
		return 0;
	const char *p1 = f[0], *p2 = f[1], *p3 = nf > 2 ? f[2] : "";
	*term = strcmp(f[6], "*") ? f[6] : NULL;
	*reading = nf > 7 && strcmp(f[7], "*") ? f[7] : "";
	if (strcmp(p1, "名詞") == 0) {
		if (!strcmp(p2, "代名詞"))
			return *term && in_list(*term, interrogatives);
		if (!strcmp(p2, "非自立") || !strcmp(p2, "数"))
			return 0;
		if (!strcmp(p2, "接尾") &&
		    (!strcmp(p3, "助数詞") || !strcmp(p3, "特殊") ||
		     !strcmp(p3, "助動詞語幹")))
			return 0;
		return 1;
	}
	if (strcmp(p1, "動詞") == 0 || strcmp(p1, "形容詞") == 0) {
		if (strcmp(p2, "自立") != 0)
			return 0;
		return *term == NULL || !in_list(*term, ipa_stop);
	}
	if (strcmp(p1, "接頭詞") == 0)
		return strcmp(p2, "名詞接続") == 0;
	if (strcmp(p1, "副詞") == 0)
		return *term && (in_list(*term, interrogatives) || in_list(*term, which_adverbs));
	return 0;
}

static int unidic_content(char **f, int nf, const char **term,
			  const char **reading)
{
	if (nf < 8)
		return 0;
	const char *p1 = f[0], *p2 = f[1], *p3 = f[2];
	*term = f[7][0] ? f[7] : NULL;
	*reading = nf > 20 ? f[20] : "";
	if (strcmp(p1, "名詞") == 0)
		return strcmp(p2, "数詞") != 0 && strcmp(p2, "助動詞語幹") != 0;
	if (strcmp(p1, "動詞") == 0 || strcmp(p1, "形容詞") == 0)
		return *term == NULL || !in_list(*term, uni_stop);
	if (strcmp(p1, "代名詞") == 0 || strcmp(p1, "副詞") == 0)
		return *term && (in_list(*term, interrogatives) || in_list(*term, which_adverbs));
	if (strcmp(p1, "形状詞") == 0)
		return strcmp(p2, "助動詞語幹") != 0;
	if (strcmp(p1, "接頭辞") == 0)
		return 1;
	if (strcmp(p1, "接尾辞") == 0)
		return strcmp(p2, "名詞的") == 0 && strcmp(p3, "助数詞") != 0;
	return 0;
}

/* Copies a term into out, folding ASCII case and full-width ASCII, and
 * dropping UniDic's "-english" gloss suffix on loanword lemmas. */
/* A katakana word of four or more characters written with a final ー is
 * also written without it (サーバー/サーバ, プリンター/プリンタ: official
 * texts long dropped it, people type either): the term drops it. Returns
 * the new length. */
static size_t drop_long_vowel(char *t, size_t n)
{
	size_t chars = 0;
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		i += nlp_utf8_decode(t + i, &cp);
		if (!(cp >= 0x30A1 && cp <= 0x30FA) && cp != 0x30FC)
			return n; /* not katakana only */
		chars++;
	}
	if (chars >= 4 && n >= 3 && memcmp(t + n - 3, "ー", 3) == 0) {
		n -= 3;
		t[n] = '\0';
	}
	return n;
}

static size_t clean_term(const char *s, size_t n, int lemma, char *out,
			 size_t cap)
{
	const char *dash = lemma ? memchr(s, '-', n) : NULL;
	if (dash && dash > s)
		n = (size_t)(dash - s);
	char *norm = NULL;
	size_t nn = 0;
	if (nlp_norm(s, n, &norm, &nn, NULL) != MDG_OK)
		return 0;
	if (nn >= cap)
		nn = 0;
	memcpy(out, norm, nn);
	out[nn] = '\0';
	free(norm);
	return drop_long_vowel(out, nn);
}

static int all_symbols(const char *s, size_t n)
{
	for (size_t i = 0; i < n;) {
		uint32_t cp;
		i += nlp_utf8_decode(s + i, &cp);
		if (cp >= 0x80 || (cp >= '0' && cp <= '9') ||
		    (cp >= 'a' && cp <= 'z'))
			if (!(cp >= 0x3000 && cp <= 0x303F) &&
			    !(cp >= 0xFF00 && cp <= 0xFF0F))
				return 0;
	}
	return 1;
}

/* ASCII words ("aed", "e-tax", "wi-fi", "7119") are one term each, whatever
 * the dictionary does with them (UniDic splits Latin letters one by one). */
typedef struct ascii_run {
	size_t start, end;
} ascii_run;

#define MAX_ASCII_RUNS 64

static int is_alnum_ascii(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
}

static int find_ascii_runs(const char *s, size_t n, ascii_run *runs, int max)
{
	int nr = 0;
	for (size_t i = 0; i < n && nr < max;) {
		if (!is_alnum_ascii(s[i]) && !(s[i] >= 'A' && s[i] <= 'Z')) {
			i++;
			continue;
		}
		size_t j = i;
		int letters = 0;
		while (j < n) {
			char c = s[j];
			if (is_alnum_ascii(c) || (c >= 'A' && c <= 'Z')) {
				letters += !(c >= '0' && c <= '9');
				j++;
			} else if ((c == '-' || c == '_' || c == '.' || c == '\'' || c == '@') &&
				   j + 1 < n && is_alnum_ascii(s[j + 1]) && j > i) {
				j++;
			} else {
				break;
			}
		}
		/* Single letters and one-digit numbers carry no meaning alone. */
		if (j - i >= 2 && (letters > 0 || j - i >= 3)) {
			runs[nr].start = i;
			runs[nr].end = j;
			nr++;
		}
		i = j;
	}
	return nr;
}

/* Records a term into the memo slot being filled, then passes it on. */
typedef struct recorder {
	nlp_tagger *t;
	nlp_term_cb cb;
	void *ctx;
	int ok; /* recording still consistent */
} recorder;

static int deliver(recorder *r, const nlp_term *nt)
{
	memo *e = r->t->recording;
	if (e && r->ok) {
		if (e->nterms == e->cap) {
			size_t ncap = e->cap ? e->cap * 2 : 32;
			memo_term *nv = realloc(e->terms, ncap * sizeof *nv);
			if (nv == NULL)
				r->ok = 0;
			else
				e->terms = nv, e->cap = ncap;
		}
		if (r->ok) {
			memo_term *mt = &e->terms[e->nterms];
			mt->term_off = e->strings.len;
			mt->term_len = nt->len;
			r->ok = mdg_buf_add(&e->strings, nt->term, nt->len) == MDG_OK &&
				mdg_buf_add(&e->strings, "", 1) == MDG_OK;
			mt->reading_off = e->strings.len;
			r->ok = r->ok && mdg_buf_adds(&e->strings, nt->reading) == MDG_OK &&
				mdg_buf_add(&e->strings, "", 1) == MDG_OK;
			mt->start = nt->start;
			mt->end = nt->end;
			mt->predicate = nt->predicate;
			if (r->ok)
				e->nterms++;
		}
	}
	return r->cb(r->ctx, nt);
}

static int emit_ascii(const char *text, const ascii_run *r, recorder *rec)
{
	char tb[MAX_TERM];
	size_t n = r->end - r->start;
	if (n >= sizeof tb)
		n = sizeof tb - 1;
	for (size_t i = 0; i < n; i++) {
		char c = text[r->start + i];
		tb[i] = (c >= 'A' && c <= 'Z') ? (char)(c + 32) : c;
	}
	tb[n] = '\0';
	nlp_term nt = {.term = tb, .len = n, .reading = "", .start = r->start,
		       .end = r->start + n};
	int rc = deliver(rec, &nt);
	/* A number with a unit (30mb, 2gb, 10km) is also the unit: "何MBまで"
	 * asks about the "30MB" of an answer. */
	size_t d = strspn(tb, "0123456789.");
	if (rc == 0 && d > 0 && n - d >= 2 && strspn(tb + d, "abcdefghijklmnopqrstuvwxyz") == n - d) {
		nlp_term unit = {.term = tb + d, .len = n - d, .reading = "",
				 .start = r->start + d, .end = r->start + n};
		rc = deliver(rec, &unit);
	}
	return rc;
}

/* Whether node is a dictionary word whose part of speech starts with pos
 * ("助動詞,"). */
static int has_pos(const mecab_node_t *node, const char *pos)
{
	return node->stat == MECAB_NOR_NODE && node->feature &&
	       strncmp(node->feature, pos, strlen(pos)) == 0;
}

/* A verb negated in front of a noun (燃えないごみ, 使えないカード) keeps its
 * negation: a lemma would make it the opposite term (燃えるごみ). Returns the
 * auxiliary's node, or NULL. Predicates (届かない。) keep the lemma, which
 * tells 届かない from 届いていない no worse than before. */
static const mecab_node_t *negated_before_noun(const mecab_node_t *verb)
{
	const mecab_node_t *aux = verb->next;
	if (aux == NULL || aux->stat != MECAB_NOR_NODE || aux->next == NULL ||
	    aux->next->stat == MECAB_EOS_NODE || aux->surface != verb->surface + verb->length)
		return NULL;
	if (!((aux->length == 6 && memcmp(aux->surface, "ない", 6) == 0) ||
	      (aux->length == 3 && memcmp(aux->surface, "ぬ", 3) == 0)))
		return NULL;
	if (!has_pos(aux, "助動詞,"))
		return NULL;
	const char *nf = aux->next->feature ? aux->next->feature : "";
	return strncmp(nf, "名詞,", strlen("名詞,")) == 0 ? aux : NULL;
}

/* IPADIC reads 「〜はいつ」 as は + い(いる) + つ (a classical auxiliary no
 * one types today): 「試験はいつ」 would lose its いつ. Returns the つ node
 * of that misreading, or NULL. */
static const mecab_node_t *misread_itsu(const mecab_node_t *node)
{
	const mecab_node_t *tsu = node->next;
	return node->stat == MECAB_NOR_NODE && node->length == 3 &&
			       memcmp(node->surface, "い", 3) == 0 && tsu &&
			       tsu->stat == MECAB_NOR_NODE && tsu->length == 3 &&
			       tsu->surface == node->surface + 3 &&
			       memcmp(tsu->surface, "つ", 3) == 0 && has_pos(tsu, "助動詞,")
		       ? tsu
		       : NULL;
}

/* 何 and the counter after it (何日, 何時, 何回, 何人) ask for an amount, and
 * a question that says 何日かかりますか must be found by one that does too:
 * the pair is one term, though neither part is one. Returns the counter's
 * node and fills its reading (何's and the counter's), or NULL. */
static const mecab_node_t *interrogative_counter(const mecab_node_t *node, int unidic,
						 char *reading, size_t cap)
{
	const mecab_node_t *c = node->next;
	if (node->stat != MECAB_NOR_NODE || node->length != 3 ||
	    memcmp(node->surface, "何", 3) != 0 || c == NULL || c->stat != MECAB_NOR_NODE ||
	    c->surface != node->surface + node->length || c->length > 9)
		return NULL;
	char fb[2][2048];
	char *f[2][MAX_FIELDS];
	int nf[2];
	const mecab_node_t *nodes[2] = {node, c};
	for (int i = 0; i < 2; i++) {
		snprintf(fb[i], sizeof fb[i], "%s", nodes[i]->feature ? nodes[i]->feature : "");
		nf[i] = split_features(fb[i], f[i], MAX_FIELDS);
	}
	int counter = unidic ? nf[1] > 2 && strstr(f[1][2], "助数詞") != NULL
			     : nf[1] > 2 && strcmp(f[1][0], "名詞") == 0 &&
				       strcmp(f[1][1], "接尾") == 0 &&
				       strcmp(f[1][2], "助数詞") == 0;
	if (!counter)
		return NULL;
	int ri = unidic ? 20 : 7; /* the reading field */
	snprintf(reading, cap, "%s%s", nf[0] > ri ? f[0][ri] : "", nf[1] > ri ? f[1][ri] : "");
	if (strchr(reading, '*'))
		reading[0] = '\0';
	return c;
}

static mdg_rc cb_rc(int rc)
{
	return rc > 0 && rc <= MDG_ERR_VALIDATION ? (mdg_rc)rc : MDG_ERR_INVALID;
}

static mdg_rc analyse(nlp_tagger *t, const char *text, size_t n, recorder *rec)
{
	ascii_run runs[MAX_ASCII_RUNS];
	int nruns = find_ascii_runs(text, n, runs, MAX_ASCII_RUNS), next_run = 0;
	mecab_lattice_set_sentence2(t->lattice, text, n);
	if (!mecab_parse_lattice(t->tagger, t->lattice))
		return MDG_ERR_MECAB;
	int unidic = t->m->kind == NLP_DICT_UNIDIC;
	const mecab_node_t *node = mecab_lattice_get_bos_node(t->lattice);
	for (; node; node = node->next) {
		if (node->stat != MECAB_NOR_NODE && node->stat != MECAB_UNK_NODE)
			continue;
		if (node->length == 0)
			continue;
		size_t ns = (size_t)(node->surface - text), ne = ns + node->length;
		while (next_run < nruns && runs[next_run].start <= ns) {
			int rc = emit_ascii(text, &runs[next_run++], rec);
			if (rc)
				return cb_rc(rc);
		}
		int inside = 0;
		for (int r = 0; r < nruns && !inside; r++)
			inside = ns < runs[r].end && ne > runs[r].start;
		if (inside)
			continue;
		const mecab_node_t *tsu = misread_itsu(node);
		if (tsu) {
			nlp_term it = {.term = "いつ", .len = strlen("いつ"), .reading = "イツ",
				       .start = ns, .end = ns + 6};
			node = tsu;
			int rc = deliver(rec, &it);
			if (rc)
				return cb_rc(rc);
			continue;
		}
		char cr[MAX_TERM];
		const mecab_node_t *ctr = interrogative_counter(node, unidic, cr, sizeof cr);
		if (ctr) {
			char ct[MAX_TERM];
			size_t cl = clean_term(node->surface, node->length + ctr->length, 0, ct,
					       sizeof ct);
			nlp_term it = {.term = ct, .len = cl, .reading = cr, .start = ns,
				       .end = ns + node->length + ctr->length};
			node = ctr;
			int rc = cl ? deliver(rec, &it) : 0;
			if (rc)
				return cb_rc(rc);
			continue;
		}
		char fb[2048];
		char *f[MAX_FIELDS];
		snprintf(fb, sizeof fb, "%s", node->feature ? node->feature : "");
		int nf = split_features(fb, f, MAX_FIELDS);
		const char *term = NULL, *reading = "";
		int content;
		if (node->stat == MECAB_UNK_NODE)
			content = !all_symbols(node->surface, node->length) &&
				  strcmp(f[0], "記号") != 0 &&
				  strcmp(f[0], "補助記号") != 0 &&
				  strcmp(f[0], "助詞") != 0;
		else
			content = unidic ? unidic_content(f, nf, &term, &reading)
					 : ipadic_content(f, nf, &term, &reading);
		if (!content)
			continue;
		if (node->stat == MECAB_UNK_NODE)
			term = NULL, reading = "";
		char tb[MAX_TERM], rb[MAX_TERM];
		size_t tl;
		const mecab_node_t *neg = NULL;
		if (node->stat == MECAB_NOR_NODE && strcmp(f[0], "動詞") == 0)
			neg = negated_before_noun(node);
		if (neg) {
			/* The surfaces as written (燃え+ない), read 燃えない. */
			tl = clean_term(node->surface, node->length + neg->length, 0, tb,
					sizeof tb);
			snprintf(rb, sizeof rb, "%s%s", reading,
				 reading[0] ? (neg->length == 6 ? "ナイ" : "ヌ") : "");
			reading = rb;
			ne = ns + node->length + neg->length;
		} else if (term && strcmp(term, "*") != 0) {
			tl = clean_term(term, strlen(term), unidic, tb, sizeof tb);
		} else {
			tl = clean_term(node->surface, node->length, 0, tb, sizeof tb);
		}
		if (tl == 0 || all_symbols(tb, tl))
			continue;
		nlp_term nt = {
			.term = tb,
			.len = tl,
			.reading = reading,
			.start = ns,
			.end = ne,
			.predicate = node->stat == MECAB_NOR_NODE &&
				     (strcmp(f[0], "動詞") == 0 || strcmp(f[0], "形容詞") == 0),
		};
		int rc = deliver(rec, &nt);
		if (rc)
			return cb_rc(rc);
	}
	while (next_run < nruns) {
		int rc = emit_ascii(text, &runs[next_run++], rec);
		if (rc)
			return cb_rc(rc);
	}
	return MDG_OK;
}

/* Whether node is one of today's auxiliaries of conjugation (the negative,
 * the desiderative, polite ます, the past, the passive and causative), by
 * base form or lemma: IPADIC also has classical ones (じ, き) that it reads
 * into kana text where no one wrote them (うけつけ「じ」かん). */
static int modern_aux(const mecab_node_t *node, int unidic)
{
	static const char *const aux[] = {"ない", "ぬ", "たい", "ます", "た", "れる",
					  "られる", "せる", "させる", NULL};
	if (!has_pos(node, "助動詞,"))
		return 0;
	char fb[2048];
	char *f[MAX_FIELDS];
	snprintf(fb, sizeof fb, "%s", node->feature);
	int nf = split_features(fb, f, MAX_FIELDS), bi = unidic ? 7 : 6;
	for (const char *const *a = aux; nf > bi && *a; a++)
		if (strcmp(f[bi], *a) == 0)
			return 1;
	return 0;
}

mdg_rc nlp_tagger_aux_spans(nlp_tagger *t, const char *text, size_t n, nlp_span *out,
			    size_t max, size_t *count)
{
	*count = 0;
	if (n == 0)
		return MDG_OK;
	mecab_lattice_set_sentence2(t->lattice, text, n);
	if (!mecab_parse_lattice(t->tagger, t->lattice))
		return MDG_ERR_MECAB;
	int unidic = t->m->kind == NLP_DICT_UNIDIC;
	/* conj: the previous node conjugates (a verb, an adjective or an
	 * auxiliary after one) and ends where this one starts. */
	int conj = 0;
	const char *end = NULL;
	for (const mecab_node_t *node = mecab_lattice_get_bos_node(t->lattice);
	     node && *count < max; node = node->next) {
		int adjacent = end == node->surface;
		if (node->stat != MECAB_NOR_NODE && node->stat != MECAB_UNK_NODE) {
			conj = 0, end = NULL;
			continue;
		}
		int aux = adjacent && conj && modern_aux(node, unidic);
		if (aux) {
			out[*count].start = (size_t)(node->surface - text);
			out[*count].end = out[*count].start + node->length;
			(*count)++;
		}
		conj = aux || has_pos(node, "動詞,") || has_pos(node, "形容詞,");
		end = node->surface + node->length;
	}
	return MDG_OK;
}

mdg_rc nlp_tagger_terms(nlp_tagger *t, const char *text, size_t n,
			nlp_term_cb cb, void *ctx)
{
	if (n == 0)
		return MDG_OK;
	for (int i = 0; i < MEMO_SLOTS; i++) {
		memo *e = &t->memo[i];
		if (e->text == NULL || e->len != n || memcmp(e->text, text, n) != 0)
			continue;
		for (size_t k = 0; k < e->nterms; k++) {
			const memo_term *mt = &e->terms[k];
			nlp_term nt = {.term = e->strings.data + mt->term_off,
				       .len = mt->term_len,
				       .reading = e->strings.data + mt->reading_off,
				       .start = mt->start,
				       .end = mt->end,
				       .predicate = mt->predicate};
			int rc = cb(ctx, &nt);
			if (rc)
				return cb_rc(rc);
		}
		return MDG_OK;
	}
	recorder r = {.t = t, .cb = cb, .ctx = ctx, .ok = 1};
	memo *e = NULL;
	if (n <= MEMO_MAX_TEXT) {
		e = &t->memo[t->memo_next];
		t->memo_next = (t->memo_next + 1) % MEMO_SLOTS;
		memo_clear(e);
		t->recording = e;
	}
	mdg_rc rc = analyse(t, text, n, &r);
	t->recording = NULL;
	if (e) {
		/* Keep the slot only for a complete, successful analysis. */
		if (rc == MDG_OK && r.ok && (e->text = malloc(n)) != NULL) {
			memcpy(e->text, text, n);
			e->len = n;
		} else {
			memo_clear(e);
		}
	}
	return rc;
}
