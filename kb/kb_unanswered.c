/* kb_unanswered.c — greedy similarity grouping of unanswered messages
 * (see kb_unanswered.h). */
#include "kb_unanswered.h"

#include <stdlib.h>
#include <string.h>

#include "../nlp/norm.h"
#include "kb_search.h"

#define MAX_TERMS 64 /* per message; longer messages keep their first terms */

typedef struct termset {
	uint64_t *h; /* sorted, unique term hashes */
	size_t n;
} termset;

typedef struct gacc { /* a group being built */
	size_t rep;   /* item index of the representative */
	size_t count;
	int64_t last_ts;
	size_t *items;
	size_t nitems, cap;
} gacc;

/* Inverted index: term hash -> groups whose representative has it. */
typedef struct posting {
	uint64_t h;
	size_t *groups;
	size_t n, cap;
	int used;
} posting;

typedef struct index_ {
	posting *slots;
	size_t cap; /* power of two */
	size_t used;
} index_;

/* Hashes are never 0 here (0 marks an empty slot). */
static uint64_t nonzero_hash(const char *s, size_t n)
{
	uint64_t h = mdg_hash(s, n);
	return h ? h : 1;
}

int kb_unanswered_similar(size_t common, size_t na, size_t nb)
{
	size_t uni = na + nb - common;
	if (common == 0 || uni == 0)
		return 0;
	/* Jaccard >= 1/2, or >= 1/3 with at least two shared terms. */
	return 2 * common >= uni || (common >= 2 && 3 * common >= uni);
}

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

typedef struct term_ctx {
	uint64_t h[MAX_TERMS];
	size_t n;
} term_ctx;

static int on_term(void *p, const nlp_term *t)
{
	term_ctx *c = p;
	if (c->n < MAX_TERMS)
		c->h[c->n++] = nonzero_hash(t->term, t->len);
	return 0;
}

/* The message's term set; a message without terms is its whole text. */
static mdg_rc terms_of(kb *k, const char *text, termset *out, char **err)
{
	char *norm = NULL;
	size_t nn = 0;
	term_ctx c;
	c.n = 0;
	mdg_rc rc = nlp_norm(text, strlen(text), &norm, &nn, NULL);
	if (rc == MDG_ERR_NOMEM)
		return rc;
	if (rc == MDG_OK && nn > 0)
		rc = nlp_tagger_terms(kb_tagger(k), norm, nn, on_term, &c);
	if (rc != MDG_OK && rc != MDG_ERR_UTF8 && rc != MDG_ERR_INVALID) {
		free(norm);
		return mdg_fail(err, rc, "term analysis failed");
	}
	if (c.n == 0) /* no content word (or unreadable): the text itself */
		c.h[c.n++] = nonzero_hash(norm && rc == MDG_OK ? norm : text,
		                 norm && rc == MDG_OK ? nn : strlen(text));
	free(norm);
	qsort(c.h, c.n, sizeof *c.h, cmp_u64);
	size_t u = 0;
	for (size_t i = 0; i < c.n; i++)
		if (u == 0 || c.h[u - 1] != c.h[i])
			c.h[u++] = c.h[i];
	out->h = malloc(u * sizeof *out->h);
	if (out->h == NULL)
		return MDG_ERR_NOMEM;
	memcpy(out->h, c.h, u * sizeof *out->h);
	out->n = u;
	return MDG_OK;
}

static size_t common_terms(const termset *a, const termset *b)
{
	size_t i = 0, j = 0, c = 0;
	while (i < a->n && j < b->n) {
		if (a->h[i] == b->h[j]) {
			c++;
			i++;
			j++;
		} else if (a->h[i] < b->h[j]) {
			i++;
		} else {
			j++;
		}
	}
	return c;
}

static posting *index_slot(index_ *ix, uint64_t h)
{
	size_t j = (size_t)h & (ix->cap - 1);
	while (ix->slots[j].used && ix->slots[j].h != h)
		j = (j + 1) & (ix->cap - 1);
	return &ix->slots[j];
}

/* Doubles the table (kept at most half full). */
static mdg_rc index_grow(index_ *ix)
{
	index_ nx = {calloc(ix->cap * 2, sizeof *nx.slots), ix->cap * 2, ix->used};
	if (nx.slots == NULL)
		return MDG_ERR_NOMEM;
	for (size_t i = 0; i < ix->cap; i++)
		if (ix->slots[i].used)
			*index_slot(&nx, ix->slots[i].h) = ix->slots[i];
	free(ix->slots);
	*ix = nx;
	return MDG_OK;
}

static mdg_rc index_add(index_ *ix, uint64_t h, size_t group)
{
	posting *p = index_slot(ix, h);
	if (!p->used) {
		if (2 * (ix->used + 1) > ix->cap) {
			if (index_grow(ix) != MDG_OK)
				return MDG_ERR_NOMEM;
			p = index_slot(ix, h);
		}
		p->used = 1;
		p->h = h;
		ix->used++;
	}
	if (p->n == p->cap) {
		size_t nc = p->cap ? p->cap * 2 : 4;
		size_t *v = realloc(p->groups, nc * sizeof *v);
		if (v == NULL)
			return MDG_ERR_NOMEM;
		p->groups = v;
		p->cap = nc;
	}
	p->groups[p->n++] = group;
	return MDG_OK;
}

static mdg_rc gacc_add(gacc *g, size_t item, const kb_unanswered_item *it)
{
	if (g->nitems == g->cap) {
		size_t nc = g->cap ? g->cap * 2 : 4;
		size_t *v = realloc(g->items, nc * sizeof *v);
		if (v == NULL)
			return MDG_ERR_NOMEM;
		g->items = v;
		g->cap = nc;
	}
	g->items[g->nitems++] = item;
	g->count += it->count;
	if (it->last_ts > g->last_ts)
		g->last_ts = it->last_ts;
	return MDG_OK;
}

/* Sort key of an item: most frequent, then most recent, then input order. */
typedef struct okey {
	size_t count;
	int64_t last_ts;
	size_t idx;
} okey;

static int cmp_okeys(const void *a, const void *b)
{
	const okey *p = a, *q = b;
	if (p->count != q->count)
		return p->count > q->count ? -1 : 1;
	if (p->last_ts != q->last_ts)
		return p->last_ts > q->last_ts ? -1 : 1;
	return p->idx < q->idx ? -1 : p->idx > q->idx;
}

static int cmp_groups(const void *a, const void *b)
{
	const gacc *p = a, *q = b;
	if (p->count != q->count)
		return p->count > q->count ? -1 : 1;
	if (p->last_ts != q->last_ts)
		return p->last_ts > q->last_ts ? -1 : 1;
	return p->rep < q->rep ? -1 : p->rep > q->rep;
}

void kb_unanswered_free(kb_unanswered *u)
{
	if (u == NULL)
		return;
	for (size_t i = 0; i < u->ngroups; i++) {
		free(u->groups[i].items);
		free(u->groups[i].qa_id);
		free(u->groups[i].qa_question);
	}
	free(u->groups);
	free(u);
}

/* Fills g's closest Q&A from a search for its representative. */
static mdg_rc closest(kb *k, const char *bot, const char *text, kb_unanswered_group *g,
                      char **err)
{
	kb_search_opts o;
	kb_search_opts_init(&o);
	o.top = 1;
	kb_result *r = NULL;
	char *serr = NULL;
	mdg_rc rc = kb_search(k, bot, text, strlen(text), &o, &r, &serr);
	if (rc == MDG_ERR_INVALID || rc == MDG_ERR_UTF8 || rc == MDG_ERR_TOOBIG ||
	    rc == MDG_ERR_NOTFOUND) {
		free(serr);
		return MDG_OK; /* nothing to compare with */
	}
	if (rc != MDG_OK) {
		mdg_fail(err, rc, "%s", serr ? serr : mdg_strerror(rc));
		free(serr);
		return rc;
	}
	free(serr);
	if (r->nhits) {
		g->qa_id = strdup(r->hits[0].ext_id);
		g->qa_question = strdup(r->hits[0].question);
		g->qa_score = r->hits[0].score;
		if (g->qa_id == NULL || g->qa_question == NULL)
			rc = MDG_ERR_NOMEM;
	}
	kb_result_free(r);
	return rc;
}

mdg_rc kb_unanswered_build(kb *k, const char *bot, const kb_unanswered_item *items,
                           size_t n, size_t max_groups, kb_unanswered **out, char **err)
{
	*out = NULL;
	if (n > KB_UNANSWERED_MAX_ITEMS)
		n = KB_UNANSWERED_MAX_ITEMS;
	if (max_groups == 0 || max_groups > KB_UNANSWERED_MAX_GROUPS)
		max_groups = KB_UNANSWERED_MAX_GROUPS;
	mdg_rc rc = MDG_OK;
	okey *order = calloc(n ? n : 1, sizeof *order);
	termset *ts = calloc(n ? n : 1, sizeof *ts);
	gacc *gs = calloc(n ? n : 1, sizeof *gs);
	size_t *seen = calloc(n ? n : 1, sizeof *seen); /* stamp per group */
	index_ ix = {0};
	size_t ng = 0;
	kb_unanswered *u = calloc(1, sizeof *u);
	ix.cap = 256;
	ix.slots = calloc(ix.cap, sizeof *ix.slots);
	if (!order || !ts || !gs || !seen || !u || !ix.slots) {
		rc = MDG_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < n && rc == MDG_OK; i++) {
		order[i] = (okey){items[i].count, items[i].last_ts, i};
		rc = terms_of(k, items[i].text ? items[i].text : "", &ts[i], err);
	}
	if (rc != MDG_OK)
		goto out;
	qsort(order, n, sizeof *order, cmp_okeys);
	for (size_t oi = 0; oi < n && rc == MDG_OK; oi++) {
		size_t i = order[oi].idx;
		const termset *t = &ts[i];
		size_t best = SIZE_MAX;
		double best_j = -1;
		for (size_t a = 0; a < t->n; a++) {
			posting *p = index_slot(&ix, t->h[a]);
			if (!p->used)
				continue;
			for (size_t b = 0; b < p->n; b++) {
				size_t g = p->groups[b];
				if (seen[g] == oi + 1)
					continue;
				seen[g] = oi + 1;
				const termset *r = &ts[gs[g].rep];
				size_t c = common_terms(t, r);
				if (!kb_unanswered_similar(c, t->n, r->n))
					continue;
				double jac = (double)c / (double)(t->n + r->n - c);
				if (jac > best_j) {
					best_j = jac;
					best = g;
				}
			}
		}
		if (best == SIZE_MAX) {
			best = ng++;
			gs[best].rep = i;
			for (size_t a = 0; a < t->n && rc == MDG_OK; a++)
				rc = index_add(&ix, t->h[a], best);
		}
		if (rc == MDG_OK)
			rc = gacc_add(&gs[best], i, &items[i]);
	}
	if (rc != MDG_OK)
		goto out;
	qsort(gs, ng, sizeof *gs, cmp_groups);
	for (size_t g = 0; g < ng; g++)
		u->total += gs[g].count;
	u->ntotal_groups = ng;
	size_t keep = ng < max_groups ? ng : max_groups;
	u->groups = calloc(keep ? keep : 1, sizeof *u->groups);
	if (u->groups == NULL) {
		rc = MDG_ERR_NOMEM;
		goto out;
	}
	for (size_t g = 0; g < keep && rc == MDG_OK; g++) {
		kb_unanswered_group *d = &u->groups[g];
		d->count = gs[g].count;
		d->last_ts = gs[g].last_ts;
		d->items = gs[g].items; /* take */
		d->nitems = gs[g].nitems;
		gs[g].items = NULL;
		u->ngroups++;
		if (bot)
			rc = closest(k, bot, items[d->items[0]].text, d, err);
	}
out:
	for (size_t g = 0; gs && g < ng; g++)
		free(gs[g].items);
	for (size_t i = 0; ts && i < n; i++)
		free(ts[i].h);
	for (size_t s = 0; ix.slots && s < ix.cap; s++)
		free(ix.slots[s].groups);
	free(ix.slots);
	free(order);
	free(ts);
	free(gs);
	free(seen);
	if (rc != MDG_OK) {
		kb_unanswered_free(u);
		return rc;
	}
	*out = u;
	return MDG_OK;
}
