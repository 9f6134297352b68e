/* madoguchi.c — the command-line tool for editors, tests and evaluation. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../nlp/tok.h"
#include "cmd.h"

#ifndef MDG_DATADIR
#define MDG_DATADIR "."
#endif

static const struct {
	const char *name;
	int (*fn)(int, char **);
	const char *usage;
} commands[] = {
	{"import", cmd_import,
	 "import --db FILE --bot ID [--internal] [--dry-run] [--sheet NAME]\n"
	 "         [--synonyms FILE | --no-synonyms] [--dicdir DIR] SPREADSHEET"},
	{"export", cmd_export, "export --db FILE --bot ID OUT.{xlsx,csv,tsv}"},
	{"search", cmd_search,
	 "search --db FILE --bot ID [--top N] --jsonl   (queries on stdin, one per line)"},
	{"ask", cmd_ask, "ask --db FILE --bot ID \"message\""},
	{"bots", cmd_bots, "bots --db FILE"},
	{"rollback", cmd_rollback, "rollback --db FILE --bot ID"},
	{"key", cmd_key,
	 "key create --db FILE --bot ID [--bot ID ...] [--label TEXT]\n"
	 "  key list --db FILE [--bot ID]\n"
	 "  key revoke --db FILE KEY-ID|PREFIX"},
	{"token", cmd_token,
	 "token create --db FILE --bot ID [--bot ID ...] [--label TEXT]   (admin API)\n"
	 "  token list --db FILE [--bot ID]\n"
	 "  token revoke --db FILE TOKEN-ID|PREFIX"},
	{"flows", cmd_flows,
	 "flows import --db FILE --bot ID [--dry-run] FLOWS.yaml...\n"
	 "  flows print (--db FILE --bot ID | FLOWS.yaml...)\n"
	 "  flows export --db FILE --bot ID [DIR]\n"
	 "  flows rollback --db FILE --bot ID\n"
	 "  flows redflags --db FILE [--bot ID] [--dry-run] REDFLAGS.yaml"},
};

static void usage(FILE *f)
{
	fprintf(f, "usage: madoguchi COMMAND [options]\n\ncommands:\n");
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		fprintf(f, "  %s\n", commands[i].usage);
}

int cmd_opt(int argc, char **argv, int *i, const char *name, const char **val,
	    int *bad)
{
	if (strcmp(argv[*i], name) != 0)
		return 0;
	if (*i + 1 >= argc) {
		fprintf(stderr, "madoguchi: %s needs a value\n", name);
		*bad = 1;
		return 1;
	}
	*val = argv[++*i];
	return 1;
}

const char *cmd_default_synonyms(void)
{
	const char *env = getenv("MDG_SYNONYMS");
	if (env && *env)
		return env;
	static const char path[] = MDG_DATADIR "/kb/synonyms.yaml";
	return access(path, R_OK) == 0 ? path : NULL;
}

int cmd_open(const char *db_path, const char *dicdir, int flags, nlp_model **model,
	     kb **k)
{
	char *err = NULL, *recorded = NULL;
	*model = NULL;
	*k = NULL;
	if (dicdir == NULL) {
		kb_recorded_dicdir(db_path, &recorded, NULL);
		dicdir = recorded;
	}
	mdg_rc rc = nlp_model_open(dicdir, model, &err);
	free(recorded);
	if (rc == MDG_OK)
		rc = kb_open(db_path, *model, flags, k, &err);
	if (rc != MDG_OK) {
		fprintf(stderr, "madoguchi: %s\n", err ? err : mdg_strerror(rc));
		free(err);
		nlp_model_close(*model);
		*model = NULL;
		return 1;
	}
	return 0;
}

void cmd_close(nlp_model *model, kb *k)
{
	kb_close(k);
	nlp_model_close(model);
}

int main(int argc, char **argv)
{
	if (argc < 2 || !strcmp(argv[1], "-h") || !strcmp(argv[1], "--help")) {
		usage(argc < 2 ? stderr : stdout);
		return argc < 2 ? 2 : 0;
	}
	for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
		if (strcmp(argv[1], commands[i].name) == 0)
			return commands[i].fn(argc - 2, argv + 2);
	fprintf(stderr, "madoguchi: unknown command '%s'\n", argv[1]);
	usage(stderr);
	return 2;
}
