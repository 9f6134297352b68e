/* strtab.h — a string-keyed hash table of counts (open addressing, FNV-1a),
 * used to count document frequencies at import and to look terms up in
 * memory at search time. */
#ifndef KB_STRTAB_H
#define KB_STRTAB_H

#include <stddef.h>
#include <stdint.h>

#include "../nlp/mdg.h"

typedef struct kb_strtab_entry {
	char *key;
	int64_t count;
	int64_t last_doc; /* kb_strtab_bump: to count each document once */
} kb_strtab_entry;

typedef struct kb_strtab {
	kb_strtab_entry *e;
	size_t cap, n;
} kb_strtab;

/* The entry of key, added with count 0 if it is new; NULL when out of
 * memory. The pointer is valid until the next kb_strtab_put. */
kb_strtab_entry *kb_strtab_put(kb_strtab *t, const char *key);

/* Counts key once per document doc (doc 0: count every call). */
mdg_rc kb_strtab_bump(kb_strtab *t, const char *key, int64_t doc);

/* key's entry, or NULL. */
const kb_strtab_entry *kb_strtab_find(const kb_strtab *t, const char *key);

/* key's count, 0 if absent. */
int64_t kb_strtab_get(const kb_strtab *t, const char *key);

void kb_strtab_free(kb_strtab *t);

#endif
