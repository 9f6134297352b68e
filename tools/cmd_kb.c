/* cmd_kb.c — knowledge-base subcommands: import, export, search, ask,
 * bots, rollback. */
#include <jansson.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kb/kb_export.h"
#include "../kb/kb_import.h"
#include "../kb/kb_search.h"
#include "cmd.h"

typedef struct common_opts {
	const char *db, *bot, *dicdir;
} common_opts;

/* A subcommand's own option: with a value (value != NULL) or a flag. */
typedef struct arg_spec {
	const char *name;
	const char **value;
	int *flag;
} arg_spec;

/* Parses --db/--bot/--dicdir, the command's own options (specs, ending
 * with {NULL}) and, if what is not NULL, one required positional argument
 * into *positional. Returns 0, or 2 after printing a usage error. */
static int parse_args(const char *cmd, int argc, char **argv, common_opts *c,
		      const arg_spec *specs, int need_bot, const char *what,
		      const char **positional)
{
	int bad = 0;
	for (int i = 0; i < argc && !bad; i++) {
		if (cmd_opt(argc, argv, &i, "--db", &c->db, &bad) ||
		    cmd_opt(argc, argv, &i, "--bot", &c->bot, &bad) ||
		    cmd_opt(argc, argv, &i, "--dicdir", &c->dicdir, &bad))
			continue;
		const arg_spec *sp = specs;
		for (; sp && sp->name; sp++) {
			if (sp->value && cmd_opt(argc, argv, &i, sp->name, sp->value, &bad))
				break;
			if (sp->flag && strcmp(argv[i], sp->name) == 0) {
				*sp->flag = 1;
				break;
			}
		}
		if (sp && sp->name)
			continue;
		if (argv[i][0] == '-' || what == NULL || *positional) {
			fprintf(stderr, "madoguchi %s: unexpected argument '%s'\n", cmd,
				argv[i]);
			bad = 1;
		} else {
			*positional = argv[i];
		}
	}
	if (bad)
		return 2;
	if (c->db == NULL || (need_bot && c->bot == NULL)) {
		fprintf(stderr, "madoguchi %s: --db%s required\n", cmd,
			need_bot ? " and --bot are" : " is");
		return 2;
	}
	if (what && *positional == NULL) {
		fprintf(stderr, "madoguchi %s: no %s given\n", cmd, what);
		return 2;
	}
	return 0;
}

int cmd_import(int argc, char **argv)
{
	common_opts c = {0};
	const char *file = NULL, *sheet_name = NULL, *syn = cmd_default_synonyms();
	kb_import_opts o = {0};
	int no_syn = 0;
	const arg_spec specs[] = {{"--sheet", &sheet_name, NULL},
				  {"--synonyms", &syn, NULL},
				  {"--internal", NULL, &o.internal},
				  {"--dry-run", NULL, &o.dry_run},
				  {"--no-synonyms", NULL, &no_syn},
				  {NULL, NULL, NULL}};
	int usage = parse_args("import", argc, argv, &c, specs, 1, "spreadsheet", &file);
	if (usage)
		return usage;
	if (no_syn)
		syn = NULL;
	char *err = NULL;
	sheet *s = NULL;
	mdg_rc rc = sheet_read_file(file, sheet_name, &s, &err);
	if (rc != MDG_OK) {
		fprintf(stderr, "%s:0:: %s\n", file, err ? err : mdg_strerror(rc));
		free(err);
		return 1;
	}
	nlp_model *m;
	kb *k;
	if (cmd_open(c.db, c.dicdir, KB_OPEN_CREATE, &m, &k)) {
		sheet_free(s);
		return 1;
	}
	o.synonyms_path = syn;
	const char *base = strrchr(file, '/');
	o.source = base ? base + 1 : file;
	kb_report *rep = NULL;
	rc = kb_import(k, c.bot, s, &o, &rep, &err);
	int code = 0;
	if (rc == MDG_ERR_VALIDATION) {
		for (size_t i = 0; i < rep->nproblems; i++)
			fprintf(stderr, "%s:%zu:%s: %s\n", file, rep->problems[i].row,
				rep->problems[i].column, rep->problems[i].message);
		fprintf(stderr, "%zu problem(s); the knowledge base was not changed\n",
			rep->nproblems);
		code = 1;
	} else if (rc != MDG_OK) {
		/* Not the spreadsheet's rows: the synonym dictionary (whose
		 * message names its own file and line) or the database. */
		fprintf(stderr, "madoguchi import: %s\n", err ? err : mdg_strerror(rc));
		code = 1;
	} else {
		printf("%s %zu Q&A for bot '%s' (%s): %zu added, %zu updated, "
		       "%zu removed\n",
		       o.dry_run ? "validated" : "imported", rep->nrows, c.bot,
		       o.dry_run ? "dry run, nothing changed" : "now active",
		       rep->nadded, rep->nupdated, rep->nremoved);
		if (rep->header > 1)
			printf("header on row %zu: the rows above it were ignored\n",
			       rep->header);
		if (rep->nhtml)
			printf("%zu cell(s) held HTML markup (<br>, <p>, <a href>, &amp;): "
			       "imported as plain text\n",
			       rep->nhtml);
		for (size_t i = 0; i < rep->nwarnings; i++)
			fprintf(stderr, "%s:%zu:%s: warning: %s\n", file, rep->warnings[i].row,
				rep->warnings[i].column, rep->warnings[i].message);
	}
	kb_report_free(rep);
	free(err);
	sheet_free(s);
	cmd_close(m, k);
	return code;
}

int cmd_export(int argc, char **argv)
{
	common_opts c = {0};
	const char *out = NULL;
	int usage = parse_args("export", argc, argv, &c, NULL, 1, "output file", &out);
	if (usage)
		return usage;
	if (sheet_format_from_name(out) == SHEET_AUTO) {
		fprintf(stderr, "madoguchi export: %s: use .xlsx, .csv or .tsv\n", out);
		return 2;
	}
	nlp_model *m;
	kb *k;
	if (cmd_open(c.db, c.dicdir, KB_OPEN_READONLY, &m, &k))
		return 1;
	char *err = NULL;
	sheet *s = NULL;
	mdg_rc rc = kb_export(k, c.bot, &s, &err);
	if (rc == MDG_OK)
		rc = sheet_write_file(s, out, &err);
	if (rc != MDG_OK)
		fprintf(stderr, "madoguchi export: %s\n", err ? err : mdg_strerror(rc));
	free(err);
	sheet_free(s);
	cmd_close(m, k);
	return rc == MDG_OK ? 0 : 1;
}

static json_t *result_json(const char *query, const kb_result *r)
{
	json_t *hits = json_array();
	for (size_t i = 0; r && i < r->nhits; i++)
		json_array_append_new(hits, json_pack("{s:s, s:f, s:s}", "id",
						      r->hits[i].ext_id, "score",
						      r->hits[i].score, "question",
						      r->hits[i].question));
	return json_pack("{s:s, s:s, s:o}", "query", query, "decision",
			 kb_decision_name(r ? r->decision : KB_DECISION_NONE),
			 "results", hits);
}

int cmd_search(int argc, char **argv)
{
	common_opts c = {0};
	const char *top = NULL;
	int jsonl = 0;
	const arg_spec specs[] = {{"--top", &top, NULL}, {"--jsonl", NULL, &jsonl},
				  {NULL, NULL, NULL}};
	int usage = parse_args("search", argc, argv, &c, specs, 1, NULL, NULL);
	if (usage)
		return usage;
	kb_search_opts o;
	kb_search_opts_init(&o);
	if (top) {
		char *end;
		long n = strtol(top, &end, 10);
		if (*end || n < 1 || n > 100) {
			fprintf(stderr, "madoguchi search: --top must be 1-100\n");
			return 2;
		}
		o.top = (size_t)n;
	}
	if (!jsonl) {
		fprintf(stderr, "madoguchi search: only --jsonl output is supported "
				"(use 'ask' for a readable answer)\n");
		return 2;
	}
	nlp_model *m;
	kb *k;
	if (cmd_open(c.db, c.dicdir, KB_OPEN_READONLY, &m, &k))
		return 1;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int code = 0;
	while ((n = getline(&line, &cap, stdin)) >= 0) {
		while (n > 0 && (line[n - 1] == '\n' || line[n - 1] == '\r'))
			line[--n] = '\0';
		char *err = NULL;
		kb_result *r = NULL;
		mdg_rc rc = kb_search(k, c.bot, line, (size_t)n, &o, &r, &err);
		json_t *j;
		if (rc == MDG_OK || rc == MDG_ERR_INVALID) {
			/* An empty line is a query with no answer, not an error. */
			j = result_json(rc == MDG_OK ? r->norm_query : "", r);
			if (rc == MDG_OK)
				json_object_set_new(j, "query", json_string(line));
		} else if (rc == MDG_ERR_UTF8 || rc == MDG_ERR_TOOBIG) {
			j = json_pack("{s:s, s:s, s:[], s:s}", "query", "", "decision",
				      "none", "results", "error", err ? err : "");
		} else {
			fprintf(stderr, "madoguchi search: %s\n",
				err ? err : mdg_strerror(rc));
			free(err);
			code = 1;
			break;
		}
		char *s = json_dumps(j, JSON_COMPACT);
		if (s) {
			puts(s);
			free(s);
		}
		json_decref(j);
		kb_result_free(r);
		free(err);
	}
	free(line);
	cmd_close(m, k);
	return code;
}

int cmd_ask(int argc, char **argv)
{
	common_opts c = {0};
	const char *msg = NULL;
	int usage = parse_args("ask", argc, argv, &c, NULL, 1, "message", &msg);
	if (usage)
		return usage;
	nlp_model *m;
	kb *k;
	if (cmd_open(c.db, c.dicdir, KB_OPEN_READONLY, &m, &k))
		return 1;
	char *err = NULL;
	kb_result *r = NULL;
	mdg_rc rc = kb_search(k, c.bot, msg, strlen(msg), NULL, &r, &err);
	int code = 0;
	if (rc != MDG_OK) {
		fprintf(stderr, "madoguchi ask: %s\n", err ? err : mdg_strerror(rc));
		code = 1;
	} else if (r->decision == KB_DECISION_ANSWER) {
		kb_qa *qa = NULL;
		if (kb_qa_get(k, c.bot, r->hits[0].ext_id, &qa, &err) == MDG_OK) {
			printf("[%s] %s\n\n%s\n", qa->ext_id, qa->question, qa->answer);
			if (qa->contact[0])
				printf("\n問合せ先: %s\n", qa->contact);
			if (qa->url[0])
				printf("参考: %s\n", qa->url);
			kb_qa_free(qa);
		}
	} else if (r->decision == KB_DECISION_CANDIDATES) {
		printf("もしかして:\n");
		for (size_t i = 0; i < r->nhits && i < 3; i++)
			printf("  [%s] %s (%.2f)\n", r->hits[i].ext_id,
			       r->hits[i].question, r->hits[i].score);
	} else {
		printf("該当する回答が見つかりませんでした（総合窓口へご案内します）。\n");
	}
	kb_result_free(r);
	free(err);
	cmd_close(m, k);
	return code;
}

int cmd_bots(int argc, char **argv)
{
	common_opts c = {0};
	int usage = parse_args("bots", argc, argv, &c, NULL, 0, NULL, NULL);
	if (usage)
		return usage;
	nlp_model *m;
	kb *k;
	if (cmd_open(c.db, c.dicdir, KB_OPEN_READONLY, &m, &k))
		return 1;
	kb_bot *bots = NULL;
	size_t n = 0;
	char *err = NULL;
	mdg_rc rc = kb_bot_list(k, &bots, &n, &err);
	for (size_t i = 0; rc == MDG_OK && i < n; i++) {
		printf("%s\t%s\t%lld Q&A\tversion %lld", bots[i].name,
		       bots[i].internal ? "internal" : "public", (long long)bots[i].n_qa,
		       (long long)bots[i].active_version);
		if (kb_bot_stale(&bots[i]))
			printf("\tre-import advised: indexed by word analysis revision "
			       "%d (now %d)",
			       bots[i].analyzer, NLP_ANALYZER_REVISION);
		printf("\n");
	}
	if (rc != MDG_OK)
		fprintf(stderr, "madoguchi bots: %s\n", err ? err : mdg_strerror(rc));
	free(bots);
	free(err);
	cmd_close(m, k);
	return rc == MDG_OK ? 0 : 1;
}

int cmd_rollback(int argc, char **argv)
{
	common_opts c = {0};
	int usage = parse_args("rollback", argc, argv, &c, NULL, 1, NULL, NULL);
	if (usage)
		return usage;
	nlp_model *m;
	kb *k;
	if (cmd_open(c.db, c.dicdir, 0, &m, &k))
		return 1;
	char *err = NULL;
	mdg_rc rc = kb_bot_rollback(k, c.bot, &err);
	if (rc == MDG_OK)
		printf("bot '%s' restored to its previous version\n", c.bot);
	else
		fprintf(stderr, "madoguchi rollback: %s\n", err ? err : mdg_strerror(rc));
	free(err);
	cmd_close(m, k);
	return rc == MDG_OK ? 0 : 1;
}
