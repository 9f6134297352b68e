/* synonyms.c — loads the YAML synonym dictionary (see synonyms.h). */
#include "synonyms.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "norm.h"

#define SYN_MAX_PHRASES 64
#define SYN_MAX_PHRASE 200

typedef struct group {
	char *phrases[SYN_MAX_PHRASES];
	size_t n;
} group;

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
	return MDG_OK;
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
	group g = {0};
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
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}
