/* synonyms.c — loads the YAML synonym dictionary (see synonyms.h). */
#include "synonyms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "norm.h"

#define SYN_MAX_PHRASES 64
#define SYN_MAX_PHRASE 200

/* Every phrase seen so far (normalised), to refuse one in two groups:
 * it would make the meaning of a message depend on the file's order. */
typedef struct seen_entry {
	char *phrase;
	size_t line;
} seen_entry;

typedef struct seen {
	seen_entry *e;
	size_t cap, n;
} seen;

typedef struct group {
	char *phrases[SYN_MAX_PHRASES];
	size_t n;
	seen *seen;
} group;

/* Records phrase; if it was already seen, returns that line (else 0). */
static mdg_rc seen_add(seen *t, const char *phrase, size_t line, size_t *before)
{
	*before = 0;
	if (t->n * 2 >= t->cap) {
		size_t ncap = t->cap ? t->cap * 2 : 1024;
		seen_entry *ne = calloc(ncap, sizeof *ne);
		if (ne == NULL)
			return MDG_ERR_NOMEM;
		for (size_t i = 0; i < t->cap; i++) {
			if (!t->e[i].phrase)
				continue;
			size_t j = mdg_hash(t->e[i].phrase, strlen(t->e[i].phrase)) & (ncap - 1);
			while (ne[j].phrase)
				j = (j + 1) & (ncap - 1);
			ne[j] = t->e[i];
		}
		free(t->e);
		t->e = ne;
		t->cap = ncap;
	}
	size_t j = mdg_hash(phrase, strlen(phrase)) & (t->cap - 1);
	while (t->e[j].phrase && strcmp(t->e[j].phrase, phrase) != 0)
		j = (j + 1) & (t->cap - 1);
	if (t->e[j].phrase) {
		*before = t->e[j].line;
		return MDG_OK;
	}
	if ((t->e[j].phrase = strdup(phrase)) == NULL)
		return MDG_ERR_NOMEM;
	t->e[j].line = line;
	t->n++;
	return MDG_OK;
}

static void seen_free(seen *t)
{
	for (size_t i = 0; i < t->cap; i++)
		free(t->e[i].phrase);
	free(t->e);
}

static void group_clear(group *g)
{
	for (size_t i = 0; i < g->n; i++)
		free(g->phrases[i]);
	g->n = 0;
}

static mdg_rc group_add(group *g, const char *s, size_t len, const char *path,
			size_t line, char **err)
{
	if (!nlp_utf8_valid(s, len, NULL))
		return mdg_fail(err, MDG_ERR_UTF8, "%s:%zu: invalid UTF-8", path, line);
	if (len == 0 || len > SYN_MAX_PHRASE)
		return mdg_fail(err, MDG_ERR_INVALID,
				"%s:%zu: synonym must be 1-%d bytes", path, line,
				SYN_MAX_PHRASE);
	if (g->n >= SYN_MAX_PHRASES)
		return mdg_fail(err, MDG_ERR_TOOBIG,
				"%s:%zu: more than %d synonyms in one group", path,
				line, SYN_MAX_PHRASES);
	char *p = strndup(s, len);
	if (p == NULL)
		return MDG_ERR_NOMEM;
	g->phrases[g->n++] = p;
	char *norm = NULL;
	size_t before = 0;
	mdg_rc rc = nlp_norm(s, len, &norm, NULL, err);
	if (rc == MDG_OK)
		rc = seen_add(g->seen, norm, line, &before);
	if (rc == MDG_OK && before)
		rc = mdg_fail(err, MDG_ERR_INVALID,
			      "%s:%zu: '%s' is already listed at line %zu (a phrase "
			      "belongs to one group)",
			      path, line, p, before);
	free(norm);
	return rc;
}

/* "a=b=c" -> three phrases (whitespace around '=' trimmed). */
static mdg_rc split_scalar(group *g, const char *s, const char *path, size_t line,
			   char **err)
{
	mdg_rc rc = MDG_OK;
	while (rc == MDG_OK) {
		const char *eq = strchr(s, '=');
		size_t len = eq ? (size_t)(eq - s) : strlen(s);
		const char *a = s, *b = s + len;
		while (a < b && (*a == ' ' || *a == '\t'))
			a++;
		while (b > a && (b[-1] == ' ' || b[-1] == '\t'))
			b--;
		rc = group_add(g, a, (size_t)(b - a), path, line, err);
		if (!eq)
			break;
		s = eq + 1;
	}
	return rc;
}

mdg_rc nlp_synonyms_load(const char *path, nlp_syn_group_cb cb, void *ctx,
			 char **err)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return mdg_fail(err, MDG_ERR_IO, "%s: cannot open synonym file", path);
	yaml_parser_t parser;
	yaml_event_t ev;
	seen seen_phrases = {0};
	group g = {.seen = &seen_phrases};
	mdg_rc rc = MDG_OK;
	int depth = 0, done = 0;
	size_t ngroups = 0, line = 0;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	while (!done && rc == MDG_OK) {
		if (!yaml_parser_parse(&parser, &ev)) {
			rc = mdg_fail(err, MDG_ERR_FORMAT, "%s:%zu: %s", path,
				      parser.problem_mark.line + 1,
				      parser.problem ? parser.problem : "YAML error");
			break;
		}
		line = ev.start_mark.line + 1;
		switch (ev.type) {
		case YAML_STREAM_END_EVENT:
			done = 1;
			break;
		case YAML_SEQUENCE_START_EVENT:
			if (++depth > 2)
				rc = mdg_fail(err, MDG_ERR_FORMAT,
					      "%s:%zu: nested list too deep "
					      "(expected a list of groups)",
					      path, line);
			break;
		case YAML_SEQUENCE_END_EVENT:
			if (depth == 2) {
				if (g.n < 2)
					rc = mdg_fail(err, MDG_ERR_INVALID,
						      "%s:%zu: a synonym group needs "
						      "at least two entries",
						      path, line);
				else
					rc = cb(ctx, ngroups++,
						(const char *const *)g.phrases, g.n);
				group_clear(&g);
			}
			depth--;
			break;
		case YAML_SCALAR_EVENT:
			if (depth == 1) {
				rc = split_scalar(&g, (const char *)ev.data.scalar.value,
						  path, line, err);
				if (rc == MDG_OK && g.n < 2)
					rc = mdg_fail(err, MDG_ERR_INVALID,
						      "%s:%zu: a synonym group needs "
						      "at least two entries (a=b)",
						      path, line);
				if (rc == MDG_OK)
					rc = cb(ctx, ngroups++,
						(const char *const *)g.phrases, g.n);
				group_clear(&g);
			} else if (depth == 2) {
				rc = group_add(&g, (const char *)ev.data.scalar.value,
					       ev.data.scalar.length, path, line, err);
			} else {
				rc = mdg_fail(err, MDG_ERR_FORMAT,
					      "%s:%zu: expected a list of synonym "
					      "groups",
					      path, line);
			}
			break;
		case YAML_MAPPING_START_EVENT:
			rc = mdg_fail(err, MDG_ERR_FORMAT,
				      "%s:%zu: expected a list of synonym groups, "
				      "found a mapping",
				      path, line);
			break;
		default:
			break;
		}
		yaml_event_delete(&ev);
	}
	group_clear(&g);
	seen_free(&seen_phrases);
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}
