/* kb_cand.h — the re-rank fields of candidate Q&A rows, parsed once.
 *
 * Every search re-ranks its top candidates by matching the message's terms
 * against each candidate's three term sets (question; alternative questions
 * and keywords; the whole Q&A). A connection keeps the rows it re-ranked
 * last, their term sets split and hashed (mdg_hash), so a popular Q&A is
 * neither read from SQLite nor re-hashed again. Direct-mapped by row id,
 * keyed by (version, id): a version's rows never change, and another
 * version's row with a recycled id is another key. Not thread-safe: one
 * cache per connection. */
#ifndef KB_CAND_H
#define KB_CAND_H

#include <stddef.h>
#include <stdint.h>

#define KB_CAND_SETS 3 /* question, alternatives + keywords, whole Q&A */

typedef struct kb_cand_term {
	uint64_t hash; /* mdg_hash of the term */
	const char *s; /* the term (NUL-terminated) */
	size_t len;
} kb_cand_term;

typedef struct kb_cand {
	int64_t version, id; /* id 0: an empty slot */
	const char *ext_id, *question, *category, *flow;
	double qidf;
	const kb_cand_term *set[KB_CAND_SETS];
	int nset[KB_CAND_SETS];
	/* owned storage */
	char *buf;
	kb_cand_term *terms;
} kb_cand;

typedef struct kb_cand_cache kb_cand_cache;

/* A cache of `slots` rows (a power of two); NULL when out of memory. */
kb_cand_cache *kb_cand_cache_new(size_t slots);
void kb_cand_cache_free(kb_cand_cache *c);

/* The cached row, or NULL. */
const kb_cand *kb_cand_get(kb_cand_cache *c, int64_t version, int64_t id);

/* Parses a row into its slot (replacing the slot's row) and returns it;
 * NULL when out of memory. sets: " t1 t2 ... " strings as stored in qa. */
const kb_cand *kb_cand_put(kb_cand_cache *c, int64_t version, int64_t id,
			   const char *ext_id, const char *question,
			   const char *category, const char *flow, double qidf,
			   const char *const sets[KB_CAND_SETS]);

#endif
