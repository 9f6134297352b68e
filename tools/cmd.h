/* cmd.h — subcommands of the `madoguchi` command-line tool.
 *
 * Each subcommand gets argv after its name and returns the process exit
 * code: 0 success, 1 validation/lookup failure, 2 usage error. The tool only
 * calls into the nlp/ and kb/ libraries. */
#ifndef CMD_H
#define CMD_H

#include "../kb/kb.h"

int cmd_import(int argc, char **argv);
int cmd_export(int argc, char **argv);
int cmd_search(int argc, char **argv);
int cmd_ask(int argc, char **argv);
int cmd_bots(int argc, char **argv);
int cmd_rollback(int argc, char **argv);
int cmd_key(int argc, char **argv); /* cmd_keys.c: API keys */
int cmd_token(int argc, char **argv); /* cmd_keys.c: admin tokens */
int cmd_flows(int argc, char **argv); /* cmd_flows.c: decision trees */

/* Shared helpers. */

/* Opens the MeCab model (dicdir: explicit, else the one recorded in the
 * database, else $MDG_DICDIR, else the default) and the database. Prints
 * errors to stderr. Returns 0 on success. */
int cmd_open(const char *db_path, const char *dicdir, int flags, nlp_model **model,
	     kb **k);
void cmd_close(nlp_model *model, kb *k);

/* Looks up "--name VALUE" style options: returns 1 and sets *val if argv[*i]
 * is name and a value follows (advancing *i); prints a usage error and
 * sets *bad if the value is missing. */
int cmd_opt(int argc, char **argv, int *i, const char *name, const char **val,
	    int *bad);

/* Default synonym dictionary path (kb/synonyms.yaml of the source tree or
 * $MDG_SYNONYMS); NULL if none exists. */
const char *cmd_default_synonyms(void);

#endif
