/* kb_rcache.c — see kb_rcache.h. */
#include "kb_rcache.h"

#include <stdlib.h>
#include <string.h>

#define WAYS 4 /* slots per set */

typedef struct slot {
	uint64_t hash;
	uint64_t used; /* the cache's clock at the last hit or store */
	char *norm; /* NULL: empty */
	char *category; /* o->prefer_category, "" for none */
	int64_t version;
	kb_search_opts opts; /* prefer_category not used here */
	kb_result *res;
} slot;

struct kb_rcache {
	slot *s;    /* nsets * WAYS */
	size_t mask; /* nsets - 1 */
	uint64_t clock;
};

kb_rcache *kb_rcache_new(size_t entries)
{
	size_t n = 1; /* sets */
	while (n * WAYS < entries && n < ((size_t)1 << 18))
		n <<= 1;
	kb_rcache *c = calloc(1, sizeof *c);
	if (c && (c->s = calloc(n * WAYS, sizeof *c->s)) == NULL) {
		free(c);
		return NULL;
	}
	if (c)
		c->mask = n - 1;
	return c;
}

static void slot_clear(slot *s)
{
	free(s->norm);
	free(s->category);
	kb_result_free(s->res);
	memset(s, 0, sizeof *s);
}

void kb_rcache_free(kb_rcache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i < (c->mask + 1) * WAYS; i++)
		slot_clear(&c->s[i]);
	free(c->s);
	free(c);
}

static const char *category_of(const kb_search_opts *o)
{
	return o->prefer_category ? o->prefer_category : "";
}

static uint64_t key_hash(int64_t version, const char *norm, const kb_search_opts *o)
{
	const char *cat = category_of(o);
	uint64_t h = mdg_hash(norm, strlen(norm));
	h ^= mdg_hash(cat, strlen(cat)) * 31u;
	return h ^ (uint64_t)version * 0x9e3779b97f4a7c15u;
}

/* The first slot of the set for hash h. */
static slot *set_of(kb_rcache *c, uint64_t h)
{
	return &c->s[(h & c->mask) * WAYS];
}

/* Every option but the category (compared as a string). */
static int opts_equal(const kb_search_opts *a, const kb_search_opts *b)
{
	return a->top == b->top && a->answer_threshold == b->answer_threshold &&
	       a->answer_margin == b->answer_margin &&
	       a->candidate_threshold == b->candidate_threshold &&
	       a->min_known_share == b->min_known_share &&
	       a->max_missing_subject == b->max_missing_subject;
}

static kb_result *result_dup(const kb_result *r)
{
	kb_result *d = calloc(1, sizeof *d);
	if (d == NULL)
		return NULL;
	*d = *r;
	d->hits = NULL;
	d->nhits = 0;
	d->norm_query = strdup(r->norm_query ? r->norm_query : "");
	if (d->norm_query == NULL || (r->nhits &&
				      (d->hits = calloc(r->nhits, sizeof *d->hits)) == NULL)) {
		kb_result_free(d);
		return NULL;
	}
	for (size_t i = 0; i < r->nhits; i++) {
		const kb_hit *h = &r->hits[i];
		kb_hit *e = &d->hits[d->nhits++];
		*e = *h;
		e->ext_id = strdup(h->ext_id);
		e->question = strdup(h->question);
		e->category = strdup(h->category);
		e->flow = strdup(h->flow);
		if (!e->ext_id || !e->question || !e->category || !e->flow) {
			kb_result_free(d);
			return NULL;
		}
	}
	return d;
}

kb_result *kb_rcache_get(kb_rcache *c, int64_t version, const char *norm,
			 const kb_search_opts *o)
{
	uint64_t h = key_hash(version, norm, o);
	slot *set = set_of(c, h);
	for (int w = 0; w < WAYS; w++) {
		slot *s = &set[w];
		if (s->norm && s->hash == h && s->version == version &&
		    strcmp(s->norm, norm) == 0 && strcmp(s->category, category_of(o)) == 0 &&
		    opts_equal(&s->opts, o)) {
			kb_result *r = result_dup(s->res);
			if (r) {
				r->cached = 1;
				s->used = ++c->clock;
			}
			return r;
		}
	}
	return NULL;
}

void kb_rcache_put(kb_rcache *c, int64_t version, const char *norm,
		   const kb_search_opts *o, const kb_result *r)
{
	if (strlen(norm) > KB_RCACHE_MAX_QUERY)
		return;
	uint64_t h = key_hash(version, norm, o);
	slot *set = set_of(c, h), *s = set;
	for (int w = 1; w < WAYS && s->norm; w++) /* an empty slot, else the LRU one */
		if (!set[w].norm || set[w].used < s->used)
			s = &set[w];
	slot_clear(s);
	s->norm = strdup(norm);
	s->category = strdup(category_of(o));
	s->res = result_dup(r);
	if (!s->norm || !s->category || !s->res) {
		slot_clear(s);
		return;
	}
	s->hash = h;
	s->used = ++c->clock;
	s->version = version;
	s->opts = *o;
	s->opts.prefer_category = NULL; /* the caller's pointer: kept as s->category */
}
