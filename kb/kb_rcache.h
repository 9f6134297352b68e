/* kb_rcache.h — a connection's cache of recent search results (internal to
 * kb_search).
 *
 * Residents ask the same few questions in bursts (a tax notice goes out,
 * a storm comes), so the whole analysis and ranking of a message is kept,
 * keyed by everything the result depends on: the knowledge-base version
 * (a new import is a new version, so no entry ever goes stale), the
 * normalised message and the search options. Four-way set-associative:
 * a new entry replaces the least recently used one of its set. Version ids
 * are never reused (an import prunes only versions older than the one it
 * creates), so a key can never meet another knowledge base's result. */
#ifndef KB_RCACHE_H
#define KB_RCACHE_H

#include <stdint.h>

#include "kb_search.h"

#define KB_RCACHE_MAX_QUERY 1024 /* longer messages are not kept (bytes) */

typedef struct kb_rcache kb_rcache;

/* A cache of about `entries` slots (rounded up to a power of two, at least
 * one set); NULL when out of memory. */
kb_rcache *kb_rcache_new(size_t entries);
void kb_rcache_free(kb_rcache *c);

/* A copy of the cached result, marked `cached` (caller frees with
 * kb_result_free), or NULL on a miss. */
kb_result *kb_rcache_get(kb_rcache *c, int64_t version, const char *norm,
			 const kb_search_opts *o);

/* Keeps a copy of r (silently nothing when out of memory or too long). */
void kb_rcache_put(kb_rcache *c, int64_t version, const char *norm,
		   const kb_search_opts *o, const kb_result *r);

#endif
