/* redflag.c — the red-flag list: parsing, validation and matching (see
 * redflag.h). */
#include "redflag.h"

#include <stdlib.h>
#include <string.h>

#include "../nlp/norm.h"
#include "flow_internal.h"

#define REDFLAG_MAX_INPUT_BYTES 8192

typedef struct flag {
	char *id, *label;
	char **norm; /* phrases, normalised */
	char **bare; /* ... without particles */
	size_t n;
} flag;

struct redflag_list {
	int refs;
	char *message;
	flow_phone *phones;
	size_t nphones;
	flag *flags;
	size_t nflags;
};

static void list_free(redflag_list *l)
{
	for (size_t i = 0; i < l->nflags; i++) {
		free(l->flags[i].id);
		free(l->flags[i].label);
		flow_strv_free(l->flags[i].norm, l->flags[i].n);
		flow_strv_free(l->flags[i].bare, l->flags[i].n);
	}
	free(l->flags);
	free(l->message);
	flow_phones_free(l->phones, l->nphones);
	free(l);
}

redflag_list *redflag_retain(redflag_list *l)
{
	if (l)
		l->refs++;
	return l;
}

void redflag_release(redflag_list *l)
{
	if (l && --l->refs <= 0)
		list_free(l);
}

const char *redflag_message(const redflag_list *l)
{
	return l->message;
}

const flow_phone *redflag_phones(const redflag_list *l, size_t *n)
{
	*n = l->nphones;
	return l->phones;
}

size_t redflag_count(const redflag_list *l)
{
	return l ? l->nflags : 0;
}

/* A copy of s without the particles が, は, も, を (3 bytes each in UTF-8);
 * malloc'd. */
static char *strip_particles(const char *s)
{
	static const char *const particles[] = {"が", "は", "も", "を", NULL};
	size_t n = strlen(s), o = 0;
	char *out = malloc(n + 1);
	if (out == NULL)
		return NULL;
	for (size_t i = 0; i < n;) {
		int skip = 0;
		for (const char *const *p = particles; *p && !skip; p++)
			skip = strncmp(s + i, *p, 3) == 0;
		if (skip) {
			i += 3;
			continue;
		}
		uint32_t cp;
		size_t k = nlp_utf8_decode(s + i, &cp);
		memcpy(out + o, s + i, k);
		o += k;
		i += k;
	}
	out[o] = '\0';
	return out;
}

static mdg_rc parse_flag(flow_yaml *y, yaml_node_t *m, flag *f)
{
	static const char *const keys[] = {"id", "label", "phrases", NULL};
	mdg_rc rc = MDG_OK;
	if (m->type != YAML_MAPPING_NODE)
		return flow_yaml_problem(y, m,
		                         "a flag must be a mapping {id, label, "
		                         "phrases}");
	if ((rc = flow_yaml_id(y, m, "id", 1, &f->id)) != MDG_OK)
		return rc;
	y->node = f->id;
	if (rc == MDG_OK)
		rc = flow_yaml_check_keys(y, m, keys, "flag");
	if (rc == MDG_OK)
		rc = flow_yaml_str(y, m, "label", 1, FLOW_MAX_LABEL_CHARS, &f->label);
	char **phr = NULL;
	size_t n = 0;
	if (rc == MDG_OK)
		rc = flow_yaml_strlist(y, m, "phrases", REDFLAG_MAX_PHRASES,
		                       FLOW_MAX_PHRASE_CHARS, &phr, &n);
	if (rc == MDG_OK && n == 0)
		rc = flow_yaml_problem(y, m, "a flag needs 'phrases'");
	if (rc == MDG_OK && n) {
		f->norm = calloc(n, sizeof *f->norm);
		f->bare = calloc(n, sizeof *f->bare);
		if (!f->norm || !f->bare)
			rc = MDG_ERR_NOMEM;
		for (size_t i = 0; i < n && rc == MDG_OK; i++) {
			size_t nn = 0;
			rc = nlp_norm(phr[i], strlen(phr[i]), &f->norm[i], &nn, NULL);
			if (rc == MDG_OK)
				nn = flow_strip_tail(f->norm[i], nn);
			if (rc == MDG_OK && nlp_utf8_len(f->norm[i], nn) < 2)
				rc = flow_yaml_problem(y, flow_yaml_get(y, m, "phrases"),
				                       "phrase '%s' is too short to "
				                       "match safely (2 characters or "
				                       "more)",
				                       phr[i]);
			if (rc == MDG_OK &&
			    (f->bare[i] = strip_particles(f->norm[i])) == NULL)
				rc = MDG_ERR_NOMEM;
			f->n = i + 1;
		}
	}
	flow_strv_free(phr, n);
	y->node = NULL;
	return rc;
}

mdg_rc redflag_parse(const char *name, const char *text, size_t len, redflag_list **out,
                     flow_report **rep, char **err)
{
	static const char *const keys[] = {"message", "phones", "flags", NULL};
	*out = NULL;
	*rep = NULL;
	const char *base = strrchr(name, '/');
	name = base ? base + 1 : name;
	flow_report *r = calloc(1, sizeof *r);
	redflag_list *l = calloc(1, sizeof *l);
	if (!r || !l) {
		free(r);
		free(l);
		return MDG_ERR_NOMEM;
	}
	l->refs = 1;
	flow_yaml y;
	mdg_rc rc = MDG_OK;
	if (len > FLOW_MAX_FILE_BYTES) {
		rc = flow_report_add(r, name, 0, NULL, NULL, "the file is over %u bytes",
		                     FLOW_MAX_FILE_BYTES);
		memset(&y, 0, sizeof y);
		goto out;
	}
	rc = flow_yaml_load(&y, name, text, len, r);
	if (rc != MDG_OK)
		goto out;
	yaml_node_t *root = flow_yaml_root(&y);
	if (root->type != YAML_MAPPING_NODE) {
		rc = flow_yaml_problem(&y, root,
		                       "the file must be a mapping with "
		                       "'message' and 'flags'");
		goto out;
	}
	rc = flow_yaml_check_keys(&y, root, keys, "file");
	if (rc == MDG_OK)
		rc = flow_yaml_str(&y, root, "message", 1, FLOW_MAX_TEXT_CHARS,
		                   &l->message);
	if (rc == MDG_OK)
		rc = flow_yaml_phones(&y, root, "phones", &l->phones, &l->nphones);
	yaml_node_t *flags = flow_yaml_get(&y, root, "flags");
	size_t cnt = flow_yaml_len(flags);
	if (rc == MDG_OK &&
	    (flags == NULL || flags->type != YAML_SEQUENCE_NODE || cnt == 0)) {
		rc = flow_yaml_problem(&y, flags ? flags : root,
		                       "'flags' must be a non-empty list");
		goto out;
	}
	if (rc == MDG_OK && cnt > REDFLAG_MAX_FLAGS) {
		rc =
		    flow_yaml_problem(&y, flags, "more than %d flags", REDFLAG_MAX_FLAGS);
		goto out;
	}
	if (rc == MDG_OK && (l->flags = calloc(cnt, sizeof *l->flags)) == NULL)
		rc = MDG_ERR_NOMEM;
	for (size_t i = 0; i < cnt && rc == MDG_OK; i++) {
		flag *f = &l->flags[l->nflags++];
		rc = parse_flag(&y, flow_yaml_item(&y, flags, i), f);
		for (size_t j = 0; rc == MDG_OK && f->id && j + 1 < l->nflags; j++)
			if (l->flags[j].id && strcmp(l->flags[j].id, f->id) == 0)
				rc = flow_yaml_problem(&y, flow_yaml_item(&y, flags, i),
				                       "flag id '%s' is used twice",
				                       f->id);
	}
out:
	flow_yaml_free(&y);
	if (rc == MDG_ERR_VALIDATION)
		rc = MDG_OK; /* reported */
	if (rc == MDG_OK && r->nproblems)
		rc = MDG_ERR_VALIDATION;
	if (rc == MDG_OK) {
		r->nflows = l->nflags;
		*out = l;
	} else {
		list_free(l);
	}
	if (rc == MDG_OK || rc == MDG_ERR_VALIDATION)
		*rep = r;
	else
		flow_report_free(r);
	(void)err;
	return rc;
}

/* 1 if needle occurs in hay at a place not followed by a negation. */
static int affirmed(const char *hay, const char *needle)
{
	size_t k = strlen(needle);
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle)) {
		const char *after = p + k;
		/* (After particle removal 「ことはない」 reads 「ことない」, which
		 * flow_negated_after knows too.) */
		if (!flow_negated_after(after))
			return 1;
	}
	return 0;
}

mdg_rc redflag_match(const redflag_list *l, const char *text, size_t len,
                     redflag_hit *hits, size_t max, size_t *nhits, char **err)
{
	*nhits = 0;
	if (l == NULL || len == 0)
		return MDG_OK;
	if (len > REDFLAG_MAX_INPUT_BYTES)
		len = REDFLAG_MAX_INPUT_BYTES; /* the start is what matters */
	char *norm = NULL, *bare = NULL;
	size_t nn = 0;
	mdg_rc rc = nlp_norm(text, len, &norm, &nn, err);
	if (rc == MDG_ERR_UTF8 && len == REDFLAG_MAX_INPUT_BYTES) {
		/* The cut may have split a character: back off to a boundary. */
		free(norm);
		norm = NULL;
		while (len > 0 && ((unsigned char)text[len] & 0xC0) == 0x80)
			len--;
		rc = nlp_norm(text, len, &norm, &nn, err);
	}
	if (rc == MDG_OK && (bare = strip_particles(norm)) == NULL)
		rc = MDG_ERR_NOMEM;
	for (size_t i = 0; rc == MDG_OK && i < l->nflags && *nhits < max; i++) {
		const flag *f = &l->flags[i];
		int hit = 0;
		for (size_t j = 0; j < f->n && !hit; j++)
			hit = affirmed(norm, f->norm[j]) || affirmed(bare, f->bare[j]);
		if (hit)
			hits[(*nhits)++] = (redflag_hit){f->id, f->label};
	}
	free(norm);
	free(bare);
	return rc;
}
