/* kb_fts_score.c — mdg_score(), see kb_fts_score.h. */
#include "kb_fts_score.h"

#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "../nlp/fts5_mecab.h"
#include "kb_version.h"

#define SCORE_K1 1.2

size_t kb_fts_params_size(const kb_fts_params *p)
{
	return offsetof(kb_fts_params, idf) + (size_t)p->nphrases * sizeof p->idf[0];
}

static int count_row(const Fts5ExtensionApi *api, Fts5Context *fts, void *n)
{
	(void)api;
	(void)fts;
	++*(int64_t *)n;
	return SQLITE_OK;
}

/* The query's IDFs, with the missing ones counted, kept for its later rows
 * as the cursor's auxiliary data. */
static double *query_idf(const Fts5ExtensionApi *api, Fts5Context *fts,
			 const kb_fts_params *p, int *rc)
{
	double *idf = api->xGetAuxdata(fts, 0);
	if (idf)
		return idf;
	idf = malloc((size_t)p->nphrases * sizeof *idf + 1);
	if (idf == NULL) {
		*rc = SQLITE_NOMEM;
		return NULL;
	}
	sqlite3_int64 ndocs = 0;
	*rc = api->xRowCount(fts, &ndocs);
	for (int i = 0; i < p->nphrases && *rc == SQLITE_OK; i++) {
		idf[i] = p->idf[i];
		if (idf[i] >= 0)
			continue;
		int64_t df = 0;
		*rc = api->xQueryPhrase(fts, i, &df, count_row);
		idf[i] = kb_idf(df, ndocs);
	}
	if (*rc == SQLITE_OK)
		*rc = api->xSetAuxdata(fts, idf, free);
	else
		free(idf);
	return *rc == SQLITE_OK ? idf : NULL;
}

/* Whether the len bytes at p are parameters for the query of fts. */
static int params_fit(const Fts5ExtensionApi *api, Fts5Context *fts,
		      const kb_fts_params *p, int len)
{
	return p && len >= (int)offsetof(kb_fts_params, idf) &&
	       (size_t)len == kb_fts_params_size(p) &&
	       p->nphrases == api->xPhraseCount(fts) &&
	       api->xColumnCount(fts) == KB_FTS_COLUMNS;
}

/* Phrase i's occurrences in the current row, each counted at its column's
 * weight (0: the row lacks the phrase). */
static double phrase_f(const Fts5ExtensionApi *api, Fts5Context *fts, int i,
		       const double *weight, int *rc)
{
	Fts5PhraseIter it;
	int col = -1, off = 0;
	double f = 0;
	*rc = api->xPhraseFirst(fts, i, &it, &col, &off);
	for (; *rc == SQLITE_OK && col >= 0; api->xPhraseNext(fts, &it, &col, &off))
		f += weight[col];
	return f;
}

/* A phrase's share of the score: BM25 without length normalisation. */
static double phrase_score(double idf, double f)
{
	return idf * f * (SCORE_K1 + 1) / (f + SCORE_K1);
}

static void score_fn(const Fts5ExtensionApi *api, Fts5Context *fts,
		     sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (argc != 1 || sqlite3_value_type(argv[0]) != SQLITE_BLOB) {
		sqlite3_result_error(ctx, "mdg_score: expected one parameter blob", -1);
		return;
	}
	const kb_fts_params *p = sqlite3_value_blob(argv[0]);
	if (!params_fit(api, fts, p, sqlite3_value_bytes(argv[0]))) {
		sqlite3_result_error(ctx, "mdg_score: parameters do not fit the query", -1);
		return;
	}
	int rc = SQLITE_OK;
	const double *idf = query_idf(api, fts, p, &rc);
	if (idf == NULL) {
		sqlite3_result_error_code(ctx, rc);
		return;
	}
	double score = 0;
	for (int i = 0; i < p->nphrases; i++) {
		double f = phrase_f(api, fts, i, p->weight, &rc);
		if (rc != SQLITE_OK) {
			sqlite3_result_error_code(ctx, rc);
			return;
		}
		if (f > 0)
			score += phrase_score(idf[i], f);
	}
	sqlite3_result_double(ctx, score);
}

/* ---- mdg_topk: the whole match scored term at a time ----
 *
 * Each phrase's posting list is read once (xQueryPhrase) and its rows'
 * contributions added into an accumulator keyed by rowid: no per-row pass
 * of the SQL engine, no merge of the phrases' lists, and each row's
 * positions are read only for the phrases it contains. The accumulator
 * belongs to the connection (one per worker thread) and is reused from
 * query to query: a generation number marks the live slots, so nothing
 * is cleared or allocated in the steady state. */

typedef struct acc_slot {
	sqlite3_int64 rowid;
	double score;
	uint32_t gen; /* live when == the scratch's gen */
} acc_slot;

typedef struct topk_scratch {
	acc_slot *slot;
	size_t cap;       /* power of two */
	uint32_t gen;
	size_t *live;     /* indices of this query's slots (cap / 2 of them) */
	size_t nlive;
	struct posting {
		sqlite3_int64 rowid;
		double f; /* weighted occurrence count (phrase_f) */
	} *row;             /* the current phrase's rows */
	size_t nrow, rowcap;
	const double *weight;
} topk_scratch;

static void scratch_free(void *p)
{
	topk_scratch *t = p;
	if (t == NULL)
		return;
	free(t->slot);
	free(t->live);
	free(t->row);
	free(t);
}

static size_t slot_of(const topk_scratch *t, sqlite3_int64 rowid)
{
	size_t m = t->cap - 1;
	size_t j = (size_t)(((uint64_t)rowid * 0x9e3779b97f4a7c15u) >> 32) & m;
	while (t->slot[j].gen == t->gen && t->slot[j].rowid != rowid)
		j = (j + 1) & m;
	return j;
}

/* Doubles the table (at least 4096 slots), keeping this query's slots. */
static int scratch_grow(topk_scratch *t)
{
	size_t ncap = t->cap ? t->cap * 2 : 4096;
	acc_slot *old = t->slot, *nw = calloc(ncap, sizeof *nw);
	size_t *live = realloc(t->live, ncap / 2 * sizeof *live);
	if (nw == NULL || live == NULL) {
		free(nw);
		if (live)
			t->live = live;
		return SQLITE_NOMEM;
	}
	t->live = live;
	t->slot = nw;
	t->cap = ncap;
	t->gen = 1;
	for (size_t i = 0; i < t->nlive; i++) {
		const acc_slot *o = &old[t->live[i]];
		size_t j = slot_of(t, o->rowid);
		t->slot[j] = *o;
		t->slot[j].gen = 1;
		t->live[i] = j;
	}
	free(old);
	return SQLITE_OK;
}

/* Starts a query: no live slot. */
static int scratch_begin(topk_scratch *t)
{
	t->nlive = 0;
	if (t->cap == 0)
		return scratch_grow(t);
	if (++t->gen == 0) { /* wrapped: old marks could look live */
		memset(t->slot, 0, t->cap * sizeof *t->slot);
		t->gen = 1;
	}
	return SQLITE_OK;
}

static int phrase_row(const Fts5ExtensionApi *api, Fts5Context *fts, void *ctx)
{
	topk_scratch *t = ctx;
	int rc;
	double f = phrase_f(api, fts, 0, t->weight, &rc);
	if (rc != SQLITE_OK || f <= 0)
		return rc;
	if (t->nrow == t->rowcap) {
		size_t ncap = t->rowcap ? t->rowcap * 2 : 1024;
		struct posting *v = realloc(t->row, ncap * sizeof *v);
		if (v == NULL)
			return SQLITE_NOMEM;
		t->row = v;
		t->rowcap = ncap;
	}
	t->row[t->nrow].rowid = api->xRowid(fts);
	t->row[t->nrow++].f = f;
	return SQLITE_OK;
}

/* Adds one phrase's rows (idf: its weight) into the accumulator. */
static int accumulate(topk_scratch *t, double idf)
{
	for (size_t i = 0; i < t->nrow; i++) {
		if ((t->nlive + 1) * 2 > t->cap) {
			int rc = scratch_grow(t);
			if (rc != SQLITE_OK)
				return rc;
		}
		size_t j = slot_of(t, t->row[i].rowid);
		acc_slot *a = &t->slot[j];
		if (a->gen != t->gen) {
			a->gen = t->gen;
			a->rowid = t->row[i].rowid;
			a->score = 0;
			t->live[t->nlive++] = j;
		}
		a->score += phrase_score(idf, t->row[i].f); /* as mdg_score */
	}
	return SQLITE_OK;
}

static int better(const acc_slot *a, const kb_fts_hit *b)
{
	return a->score > b->score || (a->score == b->score && a->rowid < b->rowid);
}

static void topk_fn(const Fts5ExtensionApi *api, Fts5Context *fts,
		    sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	const kb_fts_params *p = argc == 2 && sqlite3_value_type(argv[0]) == SQLITE_BLOB
					 ? sqlite3_value_blob(argv[0])
					 : NULL;
	int k = argc == 2 ? sqlite3_value_int(argv[1]) : 0;
	if (!params_fit(api, fts, p, p ? sqlite3_value_bytes(argv[0]) : 0) || k < 1 ||
	    k > KB_FTS_TOPK_MAX) {
		sqlite3_result_error(ctx, "mdg_topk: parameters do not fit the query", -1);
		return;
	}
	topk_scratch *t = api->xUserData(fts);
	t->weight = p->weight;
	sqlite3_int64 ndocs = 0;
	int rc = api->xRowCount(fts, &ndocs);
	if (rc == SQLITE_OK)
		rc = scratch_begin(t);
	for (int i = 0; i < p->nphrases && rc == SQLITE_OK; i++) {
		t->nrow = 0;
		rc = api->xQueryPhrase(fts, i, t, phrase_row);
		if (rc == SQLITE_OK)
			rc = accumulate(t, p->idf[i] >= 0 ? p->idf[i]
							 : kb_idf((int64_t)t->nrow, ndocs));
	}
	if (rc != SQLITE_OK) {
		sqlite3_result_error_code(ctx, rc);
		return;
	}
	/* The k best, best first (equal scores: lower rowid first). */
	kb_fts_hit best[KB_FTS_TOPK_MAX];
	int nb = 0;
	for (size_t i = 0; i < t->nlive; i++) {
		const acc_slot *a = &t->slot[t->live[i]];
		if (nb == k && !better(a, &best[k - 1]))
			continue;
		int j = nb < k ? nb++ : k - 1;
		for (; j > 0 && better(a, &best[j - 1]); j--)
			best[j] = best[j - 1];
		best[j].rowid = a->rowid;
		best[j].score = a->score;
	}
	sqlite3_result_blob(ctx, best, nb * (int)sizeof *best, SQLITE_TRANSIENT);
}

mdg_rc kb_fts_score_register(sqlite3 *db, char **err)
{
	fts5_api *api;
	mdg_rc rc = nlp_fts5_api(db, &api, err);
	if (rc != MDG_OK)
		return rc;
	topk_scratch *t = calloc(1, sizeof *t);
	if (t == NULL)
		return MDG_ERR_NOMEM;
	/* FTS5 frees the scratch (scratch_free) when the connection closes. */
	if (api->xCreateFunction(api, "mdg_topk", t, topk_fn, scratch_free) != SQLITE_OK) {
		scratch_free(t);
		return mdg_fail(err, MDG_ERR_DB, "cannot register mdg_topk: %s",
				sqlite3_errmsg(db));
	}
	if (api->xCreateFunction(api, "mdg_score", NULL, score_fn, NULL) != SQLITE_OK)
		return mdg_fail(err, MDG_ERR_DB, "cannot register mdg_score: %s",
				sqlite3_errmsg(db));
	return MDG_OK;
}
