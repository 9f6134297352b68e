/* kb_fts_score.h — the FTS5 ranking functions of candidate generation.
 *
 *   SELECT rowid, mdg_score(fts, ?2) AS s FROM fts WHERE fts MATCH ?1
 *   ORDER BY s DESC LIMIT n
 *
 * scores row by row; mdg_topk (below), which the search uses, returns the
 * same n best in one call, reading each phrase's posting list once.
 *
 * A BM25 without document-length normalisation: for each query phrase,
 * idf * f * (k1 + 1) / (f + k1), where f sums the weight of the column of
 * each of the phrase's occurrences in the row. Unlike FTS5's bm25() it
 * reads neither the row's size (a %_docsize lookup per matching row) nor
 * each phrase's document count (a scan of its posting list per query):
 * the caller passes the IDFs it already knows (see kb_fts_params). */
#ifndef KB_FTS_SCORE_H
#define KB_FTS_SCORE_H

#include <sqlite3.h>

#include "../nlp/mdg.h"

#define KB_FTS_COLUMNS 5     /* question, alt, keywords, category, answer */
#define KB_FTS_MAX_PHRASES 512

/* The second argument of mdg_score, bound as a blob. A negative idf asks
 * the function to count the phrase's documents itself (once per query). */
typedef struct kb_fts_params {
	double weight[KB_FTS_COLUMNS];
	int nphrases;
	double idf[KB_FTS_MAX_PHRASES];
} kb_fts_params;

/* mdg_topk(fts, params, k) — one call per query:
 *
 *   SELECT mdg_topk(fts, ?2, k) FROM fts WHERE fts MATCH ?1 LIMIT 1
 *
 * returns the k (1..KB_FTS_TOPK_MAX) best rows of the whole match as a blob
 * of kb_fts_hit, best first (equal scores: lower rowid first), scored as
 * mdg_score scores them but term at a time; no match, no row. */
#define KB_FTS_TOPK_MAX 256
typedef struct kb_fts_hit {
	sqlite3_int64 rowid;
	double score;
} kb_fts_hit;

/* Bytes of p to bind (the used part of idf only). */
size_t kb_fts_params_size(const kb_fts_params *p);

/* Registers mdg_score and mdg_topk on db. */
mdg_rc kb_fts_score_register(sqlite3 *db, char **err);

#endif
