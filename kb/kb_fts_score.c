/* kb_fts_score.c — mdg_score(), see kb_fts_score.h. */
#include "kb_fts_score.h"

#include <stddef.h>
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

static void score_fn(const Fts5ExtensionApi *api, Fts5Context *fts,
		     sqlite3_context *ctx, int argc, sqlite3_value **argv)
{
	if (argc != 1 || sqlite3_value_type(argv[0]) != SQLITE_BLOB) {
		sqlite3_result_error(ctx, "mdg_score: expected one parameter blob", -1);
		return;
	}
	const kb_fts_params *p = sqlite3_value_blob(argv[0]);
	int len = sqlite3_value_bytes(argv[0]);
	if (len < (int)offsetof(kb_fts_params, idf) ||
	    (size_t)len != kb_fts_params_size(p) ||
	    p->nphrases != api->xPhraseCount(fts) ||
	    api->xColumnCount(fts) != KB_FTS_COLUMNS) {
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
		Fts5PhraseIter it;
		int col = -1, off = 0;
		double f = 0;
		rc = api->xPhraseFirst(fts, i, &it, &col, &off);
		for (; rc == SQLITE_OK && col >= 0; api->xPhraseNext(fts, &it, &col, &off))
			f += p->weight[col];
		if (rc != SQLITE_OK) {
			sqlite3_result_error_code(ctx, rc);
			return;
		}
		if (f > 0)
			score += idf[i] * f * (SCORE_K1 + 1) / (f + SCORE_K1);
	}
	sqlite3_result_double(ctx, score);
}

mdg_rc kb_fts_score_register(sqlite3 *db, char **err)
{
	fts5_api *api;
	mdg_rc rc = nlp_fts5_api(db, &api, err);
	if (rc != MDG_OK)
		return rc;
	if (api->xCreateFunction(api, "mdg_score", NULL, score_fn, NULL) != SQLITE_OK)
		return mdg_fail(err, MDG_ERR_DB, "cannot register mdg_score: %s",
				sqlite3_errmsg(db));
	return MDG_OK;
}
