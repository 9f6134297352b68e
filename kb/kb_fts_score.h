/* kb_fts_score.h — the FTS5 ranking function used for candidate generation.
 *
 *   SELECT rowid, mdg_score(fts, ?2) AS s FROM fts WHERE fts MATCH ?1
 *   ORDER BY s DESC LIMIT n
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

/* Bytes of p to bind (the used part of idf only). */
size_t kb_fts_params_size(const kb_fts_params *p);

/* Registers mdg_score on db. */
mdg_rc kb_fts_score_register(sqlite3 *db, char **err);

#endif
