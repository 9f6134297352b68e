/* kb_version.h — building a knowledge-base version (used by kb_import).
 *
 * Must run inside a write transaction (kb_write_txn). begin creates the
 * bot if needed and a new empty version with its FTS5 table; add_qa
 * normalises and indexes one Q&A; commit computes term statistics,
 * makes the version active (the former active one becomes previous) and
 * deletes older versions. */
#ifndef KB_VERSION_H
#define KB_VERSION_H

#include "kb.h"

typedef struct kb_version_builder kb_version_builder;

typedef struct kb_qa_fields {
	const char *ext_id, *question, *answer, *alt_questions, *category,
		*department, *contact, *url, *keywords, *flow;
	size_t line;
} kb_qa_fields;

/* MDG_ERR_CONFIG if the database was indexed with another dictionary. */
mdg_rc kb_version_check_dicdir(kb *k, char **err);

mdg_rc kb_version_begin(kb *k, const char *bot, int internal, const char *source,
			kb_version_builder **out, char **err);
mdg_rc kb_version_add_qa(kb_version_builder *b, const kb_qa_fields *f, char **err);
mdg_rc kb_version_add_synonyms(kb_version_builder *b, const char *path, char **err);
mdg_rc kb_version_commit(kb_version_builder *b, int64_t *version, char **err);
/* Frees the builder (after commit or on failure; NULL is fine). */
void kb_version_abort(kb_version_builder *b);

/* Name of a version's FTS5 table into buf ("fts_<id>"). */
void kb_version_fts_name(int64_t version, char *buf, size_t n);

/* Splits alternative questions ("a｜b" or one per line) into a
 * space-separated string for indexing; malloc'd. */
char *kb_alt_join(const char *alt);

/* Inverse document frequency used by index statistics and ranking
 * (BM25's, always positive). */
double kb_idf(int64_t df, int64_t ndocs);

/* A term's weight in ranking: its IDF, reduced for words of the request
 * frame (教える, 方法, 場合 ...) that say how something is asked, not what. */
double kb_term_weight(const char *term, int64_t df, int64_t ndocs);

#endif
