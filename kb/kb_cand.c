/* kb_cand.c — candidate rows parsed once (see kb_cand.h). */
#include "kb_cand.h"

#include <stdlib.h>
#include <string.h>

#include "../nlp/mdg.h"

struct kb_cand_cache {
	size_t mask;
	kb_cand slot[];
};

static void cand_clear(kb_cand *r)
{
	free(r->buf);
	free(r->terms);
	memset(r, 0, sizeof *r);
}

kb_cand_cache *kb_cand_cache_new(size_t slots)
{
	if (slots == 0 || (slots & (slots - 1)) != 0)
		return NULL;
	kb_cand_cache *c = calloc(1, sizeof *c + slots * sizeof c->slot[0]);
	if (c)
		c->mask = slots - 1;
	return c;
}

void kb_cand_cache_free(kb_cand_cache *c)
{
	if (c == NULL)
		return;
	for (size_t i = 0; i <= c->mask; i++)
		cand_clear(&c->slot[i]);
	free(c);
}

const kb_cand *kb_cand_get(kb_cand_cache *c, int64_t version, int64_t id)
{
	const kb_cand *r = &c->slot[(uint64_t)id & c->mask];
	return r->id == id && r->version == version && id != 0 ? r : NULL;
}

/* Words in a " t1 t2 ... " set. */
static int count_terms(const char *s)
{
	int n = 0;
	for (const char *p = s; *p; p++)
		n += *p != ' ' && (p == s || p[-1] == ' ');
	return n;
}

/* Splits the copy of a set at p in place (spaces become NULs) into out. */
static int split_set(char *p, kb_cand_term *out)
{
	int n = 0;
	while (*p) {
		while (*p == ' ')
			*p++ = '\0';
		char *e = p;
		while (*e && *e != ' ')
			e++;
		if (e > p) {
			out[n].s = p;
			out[n].len = (size_t)(e - p);
			out[n].hash = mdg_hash(p, out[n].len);
			n++;
		}
		p = e;
	}
	return n;
}

const kb_cand *kb_cand_put(kb_cand_cache *c, int64_t version, int64_t id,
			   const char *ext_id, const char *question,
			   const char *category, const char *flow, double qidf,
			   const char *const sets[KB_CAND_SETS])
{
	kb_cand *r = &c->slot[(uint64_t)id & c->mask];
	cand_clear(r);
	const char *fields[4 + KB_CAND_SETS] = {ext_id, question, category, flow};
	size_t len[4 + KB_CAND_SETS], total = 0;
	int nterms = 0;
	for (int i = 0; i < KB_CAND_SETS; i++) {
		fields[4 + i] = sets[i];
		nterms += count_terms(sets[i]);
	}
	for (int i = 0; i < 4 + KB_CAND_SETS; i++)
		total += (len[i] = strlen(fields[i])) + 1;
	r->buf = malloc(total);
	r->terms = malloc((size_t)(nterms ? nterms : 1) * sizeof *r->terms);
	if (r->buf == NULL || r->terms == NULL) {
		cand_clear(r);
		return NULL;
	}
	char *p = r->buf, *at[4 + KB_CAND_SETS];
	for (int i = 0; i < 4 + KB_CAND_SETS; i++) {
		at[i] = p;
		memcpy(p, fields[i], len[i] + 1);
		p += len[i] + 1;
	}
	r->ext_id = at[0];
	r->question = at[1];
	r->category = at[2];
	r->flow = at[3];
	kb_cand_term *t = r->terms;
	for (int i = 0; i < KB_CAND_SETS; i++) {
		r->set[i] = t;
		r->nset[i] = split_set(at[4 + i], t);
		t += r->nset[i];
	}
	r->qidf = qidf;
	r->version = version;
	r->id = id;
	return r;
}
