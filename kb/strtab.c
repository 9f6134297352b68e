/* strtab.c — see strtab.h. */
#include "strtab.h"

#include <stdlib.h>
#include <string.h>

static size_t slot_of(const kb_strtab *t, const char *key)
{
	size_t j = mdg_hash(key, strlen(key)) & (t->cap - 1);
	while (t->e[j].key && strcmp(t->e[j].key, key) != 0)
		j = (j + 1) & (t->cap - 1);
	return j;
}

static mdg_rc grow(kb_strtab *t)
{
	size_t ncap = t->cap ? t->cap * 2 : 4096;
	kb_strtab_entry *ne = calloc(ncap, sizeof *ne);
	if (ne == NULL)
		return MDG_ERR_NOMEM;
	kb_strtab old = *t;
	t->e = ne;
	t->cap = ncap;
	for (size_t i = 0; i < old.cap; i++)
		if (old.e[i].key)
			t->e[slot_of(t, old.e[i].key)] = old.e[i];
	free(old.e);
	return MDG_OK;
}

kb_strtab_entry *kb_strtab_put(kb_strtab *t, const char *key)
{
	if (t->n * 2 >= t->cap && grow(t) != MDG_OK)
		return NULL;
	kb_strtab_entry *e = &t->e[slot_of(t, key)];
	if (!e->key) {
		if ((e->key = strdup(key)) == NULL)
			return NULL;
		t->n++;
	}
	return e;
}

mdg_rc kb_strtab_bump(kb_strtab *t, const char *key, int64_t doc)
{
	kb_strtab_entry *e = kb_strtab_put(t, key);
	if (e == NULL)
		return MDG_ERR_NOMEM;
	if (doc == 0 || e->last_doc != doc) {
		e->count++;
		e->last_doc = doc;
	}
	return MDG_OK;
}

const kb_strtab_entry *kb_strtab_find(const kb_strtab *t, const char *key)
{
	if (t->cap == 0)
		return NULL;
	const kb_strtab_entry *e = &t->e[slot_of(t, key)];
	return e->key ? e : NULL;
}

int64_t kb_strtab_get(const kb_strtab *t, const char *key)
{
	const kb_strtab_entry *e = kb_strtab_find(t, key);
	return e ? e->count : 0;
}

void kb_strtab_free(kb_strtab *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->e[i].key);
	free(t->e);
	memset(t, 0, sizeof *t);
}
