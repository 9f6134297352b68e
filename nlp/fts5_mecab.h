/* fts5_mecab.h — the "mecab" FTS5 tokenizer.
 *
 * Documents (FTS5_TOKENIZE_DOCUMENT) are split into content-word terms by
 * nlp_tagger_terms; the text stored in the index must already be
 * normalised (nlp_norm). Queries (FTS5_TOKENIZE_QUERY) are built by
 * kb_search from terms that were produced by the same tagger, each quoted
 * as one phrase, so a query phrase is passed through as a single token. */
#ifndef NLP_FTS5_MECAB_H
#define NLP_FTS5_MECAB_H

#include <sqlite3.h>

#include "mdg.h"
#include "tok.h"

/* Documents also get a compound token for every two adjacent content
 * words ("a+b"); queries search them to favour matching compounds. */
#define NLP_BIGRAM_SEP '+'
#define NLP_BIGRAM_MAX 256
/* Writes the compound term of a and b into out; returns its length, 0 if
 * it does not fit. */
size_t nlp_bigram(const char *a, size_t an, const char *b, size_t bn, char *out,
		  size_t cap);

/* The connection's FTS5 extension API (version 2 or later). */
mdg_rc nlp_fts5_api(sqlite3 *db, fts5_api **out, char **err);

/* Registers the tokenizer "mecab" on db. The model must outlive db. With
 * shared == NULL each FTS5 table instance creates its own tagger; otherwise
 * every instance uses shared (the connection's own tagger, which must
 * outlive db): a connection belongs to one thread at a time, and text the
 * caller just analysed is then replayed from the tagger's memo instead of
 * being analysed twice. */
mdg_rc nlp_fts5_register(sqlite3 *db, nlp_model *model, nlp_tagger *shared,
			 char **err);

#endif
