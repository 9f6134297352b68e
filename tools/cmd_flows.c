/* cmd_flows.c — `madoguchi flows ...`: importing, reviewing, exporting and
 * rolling back decision-tree flows and the red-flag list. */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "../kb/flow.h"
#include "../kb/flow_store.h"
#include "../kb/redflag.h"
#include "cmd.h"

#define MAX_FILES FLOW_MAX_FILES

typedef struct opts {
	const char *db, *bot, *dicdir;
	const char *files[MAX_FILES];
	size_t nfiles;
	int dry_run;
} opts;

static void usage(void)
{
	fprintf(stderr,
	        "usage: madoguchi flows import --db FILE --bot ID [--dry-run] "
	        "FLOWS.yaml...\n"
	        "       madoguchi flows print (--db FILE --bot ID | FLOWS.yaml...)\n"
	        "       madoguchi flows export --db FILE --bot ID [DIR]\n"
	        "       madoguchi flows rollback --db FILE --bot ID\n"
	        "       madoguchi flows redflags --db FILE [--bot ID] [--dry-run] "
	        "REDFLAGS.yaml\n");
}

/* Parses the options shared by the subcommands; 0 on success. */
static int parse_opts(const char *sub, int argc, char **argv, opts *o)
{
	int bad = 0;
	memset(o, 0, sizeof *o);
	for (int i = 0; i < argc && !bad; i++) {
		if (cmd_opt(argc, argv, &i, "--db", &o->db, &bad) ||
		    cmd_opt(argc, argv, &i, "--bot", &o->bot, &bad) ||
		    cmd_opt(argc, argv, &i, "--dicdir", &o->dicdir, &bad))
			continue;
		if (!strcmp(argv[i], "--dry-run")) {
			o->dry_run = 1;
		} else if (argv[i][0] == '-' || o->nfiles == MAX_FILES) {
			fprintf(stderr, "madoguchi flows %s: unexpected argument '%s'\n",
			        sub, argv[i]);
			bad = 1;
		} else {
			o->files[o->nfiles++] = argv[i];
		}
	}
	return bad;
}

/* Reads a whole file (at most FLOW_MAX_FILE_BYTES + 1, so the library
 * reports the cap); malloc'd, NUL-terminated. */
static char *read_file(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL) {
		fprintf(stderr, "%s:0: cannot open: %s\n", path, strerror(errno));
		return NULL;
	}
	size_t cap = FLOW_MAX_FILE_BYTES + 2;
	char *buf = malloc(cap);
	size_t n = buf ? fread(buf, 1, cap - 1, f) : 0;
	int bad = ferror(f);
	fclose(f);
	if (buf == NULL || bad) {
		fprintf(stderr, "%s:0: cannot read\n", path);
		free(buf);
		return NULL;
	}
	buf[n] = '\0';
	*len = n;
	return buf;
}

static int read_sources(const opts *o, flow_source *src)
{
	for (size_t i = 0; i < o->nfiles; i++) {
		size_t len = 0;
		char *text = read_file(o->files[i], &len);
		if (text == NULL) {
			for (size_t j = 0; j < i; j++)
				free((char *)src[j].text);
			return 1;
		}
		src[i] = (flow_source){o->files[i], text, len, 0};
	}
	return 0;
}

static void free_sources(flow_source *src, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free((char *)src[i].text);
}

static void print_problems(const flow_report *rep)
{
	for (size_t i = 0; rep && i < rep->nproblems; i++) {
		char *line = flow_problem_format(&rep->problems[i]);
		fprintf(stderr, "%s\n", line ? line : rep->problems[i].message);
		free(line);
	}
}

static int flows_import(int argc, char **argv)
{
	opts o;
	if (parse_opts("import", argc, argv, &o) || !o.db || !o.bot || !o.nfiles) {
		if (!o.db || !o.bot || !o.nfiles)
			fprintf(stderr, "madoguchi flows import: --db, --bot and at "
			                "least one file are required\n");
		return 2;
	}
	flow_source src[MAX_FILES];
	if (read_sources(&o, src))
		return 1;
	nlp_model *m;
	kb *k;
	if (cmd_open(o.db, o.dicdir, KB_OPEN_CREATE, &m, &k)) {
		free_sources(src, o.nfiles);
		return 1;
	}
	flow_report *rep = NULL;
	char *err = NULL;
	int64_t set_id = 0;
	mdg_rc rc = flow_import(k, o.bot, src, o.nfiles, o.dry_run, &rep, &set_id, &err);
	int code = 0;
	if (rc == MDG_ERR_VALIDATION) {
		print_problems(rep);
		fprintf(stderr,
		        "%zu problem(s); the flows of bot '%s' were not changed\n",
		        rep->nproblems, o.bot);
		code = 1;
	} else if (rc != MDG_OK) {
		fprintf(stderr, "madoguchi flows import: %s\n",
		        err ? err : mdg_strerror(rc));
		code = 1;
	} else if (o.dry_run) {
		printf("validated %zu flow(s), %zu node(s), %zu leaves for bot '%s' "
		       "(dry run, nothing changed)\n",
		       rep->nflows, rep->nnodes, rep->nleaves, o.bot);
	} else {
		printf("imported %zu flow(s), %zu node(s), %zu leaves for bot '%s' "
		       "(flow set %lld, now active)\n",
		       rep->nflows, rep->nnodes, rep->nleaves, o.bot, (long long)set_id);
	}
	flow_report_free(rep);
	free(err);
	free_sources(src, o.nfiles);
	cmd_close(m, k);
	return code;
}

/* One table row per path: flow, title, answers, result, leaf node id (for
 * finding it in the YAML). Tabs and newlines
 * inside cells become spaces so the table stays a table. */
static void cell(const char *s, size_t max_chars)
{
	size_t chars = 0;
	for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
		if ((*p & 0xC0) != 0x80 && ++chars > max_chars) {
			fputs("…", stdout);
			return;
		}
		putchar(*p == '\t' || *p == '\n' || *p == '\r' ? ' ' : *p);
	}
}

static int print_path(void *ctx, const flow_path *p)
{
	const flow_set *s = ctx;
	cell(p->flow_id, 64);
	putchar('\t');
	cell(p->flow_title, 100);
	putchar('\t');
	for (size_t i = 0; i < p->nsteps; i++) {
		if (i)
			fputs(" → ", stdout);
		cell(p->steps[i].summary[0] ? p->steps[i].summary : p->steps[i].question,
		     40);
		fputs(": ", stdout);
		cell(p->steps[i].answer, 40);
	}
	putchar('\t');
	if (p->level) {
		flow_urgency u = flow_urgency_of(p->level);
		printf("緊急度%d（%s）%s", u.level, u.color_ja, u.label);
	} else if (p->jump_flow) {
		const char *title = "";
		for (size_t i = 0; i < flow_set_nflows(s); i++)
			if (!strcmp(flow_set_flow_id(s, i), p->jump_flow))
				title = flow_set_flow_title(s, i);
		printf("→ フロー %s（%s）", p->jump_flow, title);
	} else {
		fputs("回答: ", stdout);
		cell(p->answer_title[0] ? p->answer_title : p->answer_text, 60);
	}
	putchar('\t');
	cell(p->leaf_node, 64);
	putchar('\n');
	return 0;
}

static int flows_print(int argc, char **argv)
{
	opts o;
	if (parse_opts("print", argc, argv, &o) ||
	    !((o.db && o.bot && !o.nfiles) || (!o.db && o.nfiles))) {
		fprintf(stderr, "madoguchi flows print: give --db and --bot, or YAML "
		                "files\n");
		return 2;
	}
	nlp_model *m = NULL;
	kb *k = NULL;
	flow_set *s = NULL;
	flow_report *rep = NULL;
	char *err = NULL;
	mdg_rc rc;
	if (o.db) {
		if (cmd_open(o.db, o.dicdir, KB_OPEN_READONLY, &m, &k))
			return 1;
		rc = flow_active(k, o.bot, &s, NULL, &err);
		if (rc == MDG_OK && s == NULL)
			rc = mdg_fail(&err, MDG_ERR_NOTFOUND, "bot '%s' has no flows",
			              o.bot);
	} else {
		flow_source src[MAX_FILES];
		if (read_sources(&o, src))
			return 1;
		rc = flow_set_parse(src, o.nfiles, NULL, &s, &rep, &err);
		free_sources(src, o.nfiles);
	}
	if (rc == MDG_ERR_VALIDATION) {
		print_problems(rep);
	} else if (rc != MDG_OK) {
		fprintf(stderr, "madoguchi flows print: %s\n",
		        err ? err : mdg_strerror(rc));
	} else {
		printf("flow\ttitle\tanswers\tresult\tnode\n");
		rc = flow_set_paths(s, print_path, s, &err);
	}
	flow_set_release(s);
	flow_report_free(rep);
	free(err);
	cmd_close(m, k);
	return rc == MDG_OK ? 0 : 1;
}

static int flows_export(int argc, char **argv)
{
	opts o;
	if (parse_opts("export", argc, argv, &o) || !o.db || !o.bot || o.nfiles > 1) {
		fprintf(stderr, "madoguchi flows export: --db and --bot are required, "
		                "and at most one directory\n");
		return 2;
	}
	nlp_model *m;
	kb *k;
	if (cmd_open(o.db, o.dicdir, KB_OPEN_READONLY, &m, &k))
		return 1;
	flow_source *src = NULL;
	size_t n = 0;
	char *err = NULL;
	mdg_rc rc = flow_export(k, o.bot, &src, &n, &err);
	int code = rc == MDG_OK ? 0 : 1;
	if (rc != MDG_OK)
		fprintf(stderr, "madoguchi flows export: %s\n",
		        err ? err : mdg_strerror(rc));
	for (size_t i = 0; rc == MDG_OK && i < n; i++) {
		if (o.nfiles == 0) {
			/* stdout: files one after the other, each introduced by a
			 * comment so the output stays readable YAML per part. */
			if (n > 1)
				printf("# ---- %s ----\n", src[i].name);
			fwrite(src[i].text, 1, src[i].len, stdout);
			continue;
		}
		char path[4096];
		snprintf(path, sizeof path, "%s/%s", o.files[0], src[i].name);
		mkdir(o.files[0], 0777);
		FILE *f = fopen(path, "wb");
		if (f == NULL || fwrite(src[i].text, 1, src[i].len, f) != src[i].len) {
			fprintf(stderr, "madoguchi flows export: cannot write %s\n",
			        path);
			code = 1;
		} else {
			printf("%s\n", path);
		}
		if (f && fclose(f) != 0)
			code = 1;
	}
	flow_sources_free(src, n);
	free(err);
	cmd_close(m, k);
	return code;
}

static int flows_rollback(int argc, char **argv)
{
	opts o;
	if (parse_opts("rollback", argc, argv, &o) || !o.db || !o.bot || o.nfiles) {
		fprintf(stderr, "madoguchi flows rollback: --db and --bot are "
		                "required\n");
		return 2;
	}
	nlp_model *m;
	kb *k;
	if (cmd_open(o.db, o.dicdir, 0, &m, &k))
		return 1;
	char *err = NULL;
	mdg_rc rc = flow_rollback(k, o.bot, &err);
	if (rc == MDG_OK)
		printf("bot '%s': previous flows restored\n", o.bot);
	else
		fprintf(stderr, "madoguchi flows rollback: %s\n",
		        err ? err : mdg_strerror(rc));
	free(err);
	cmd_close(m, k);
	return rc == MDG_OK ? 0 : 1;
}

static int flows_redflags(int argc, char **argv)
{
	opts o;
	if (parse_opts("redflags", argc, argv, &o) || !o.db || o.nfiles != 1) {
		fprintf(stderr, "madoguchi flows redflags: --db and one file are "
		                "required\n");
		return 2;
	}
	size_t len = 0;
	char *text = read_file(o.files[0], &len);
	if (text == NULL)
		return 1;
	nlp_model *m;
	kb *k;
	if (cmd_open(o.db, o.dicdir, KB_OPEN_CREATE, &m, &k)) {
		free(text);
		return 1;
	}
	flow_report *rep = NULL;
	char *err = NULL;
	mdg_rc rc =
	    flow_redflags_import(k, o.bot, o.files[0], text, len, o.dry_run, &rep, &err);
	int code = 0;
	if (rc == MDG_ERR_VALIDATION) {
		print_problems(rep);
		fprintf(stderr, "%zu problem(s); the red-flag list was not changed\n",
		        rep->nproblems);
		code = 1;
	} else if (rc != MDG_OK) {
		fprintf(stderr, "madoguchi flows redflags: %s\n",
		        err ? err : mdg_strerror(rc));
		code = 1;
	} else {
		printf("%s %zu red flag(s) for %s%s%s\n",
		       o.dry_run ? "validated" : "imported", rep->nflows,
		       o.bot ? "bot '" : "every bot", o.bot ? o.bot : "",
		       o.bot ? "'" : "");
	}
	flow_report_free(rep);
	free(err);
	free(text);
	cmd_close(m, k);
	return code;
}

int cmd_flows(int argc, char **argv)
{
	static const struct {
		const char *name;
		int (*fn)(int, char **);
	} subs[] = {
	    {"import", flows_import},     {"print", flows_print},
	    {"export", flows_export},     {"rollback", flows_rollback},
	    {"redflags", flows_redflags},
	};
	if (argc < 1) {
		usage();
		return 2;
	}
	for (size_t i = 0; i < sizeof subs / sizeof *subs; i++)
		if (!strcmp(argv[0], subs[i].name))
			return subs[i].fn(argc - 1, argv + 1);
	fprintf(stderr, "madoguchi flows: unknown subcommand '%s'\n", argv[0]);
	usage();
	return 2;
}
