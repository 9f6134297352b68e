/* cmd_keys.c — `madoguchi key create|list|revoke`: API keys for internal
 * (staff) bots. keys_command() is written for every key kind so the admin
 * tokens (`madoguchi token ...`, KB_KEY_ADMIN) can reuse it as is. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../kb/kb_keys.h"
#include "cmd.h"

static int key_create(kb_key_kind kind, const char *cmd, int argc, char **argv)
{
	const char *db = NULL, *label = NULL, *bot = NULL;
	const char *bots[KB_KEY_MAX_BOTS];
	size_t nbots = 0;
	int bad = 0;
	for (int i = 0; i < argc && !bad; i++) {
		if (cmd_opt(argc, argv, &i, "--db", &db, &bad) ||
		    cmd_opt(argc, argv, &i, "--label", &label, &bad))
			continue;
		if (cmd_opt(argc, argv, &i, "--bot", &bot, &bad)) {
			if (!bad && nbots < KB_KEY_MAX_BOTS)
				bots[nbots++] = bot;
			continue;
		}
		fprintf(stderr, "madoguchi %s create: unexpected argument '%s'\n", cmd,
			argv[i]);
		bad = 1;
	}
	if (bad || db == NULL || nbots == 0) {
		if (!bad)
			fprintf(stderr, "madoguchi %s create: --db and --bot are required\n",
				cmd);
		return 2;
	}
	nlp_model *m;
	kb *k;
	if (cmd_open(db, NULL, 0, &m, &k))
		return 1;
	char *err = NULL, *secret = NULL;
	int64_t id = 0;
	mdg_rc rc = kb_keys_create(k, kind, bots, nbots, label, &secret, &id, &err);
	if (rc == MDG_OK) {
		/* The key alone on stdout (for scripts); the rest on stderr. */
		printf("%s\n", secret);
		fprintf(stderr,
			"created %s key %lld (%.*s...) for %s%s; it is shown only "
			"this once — store it now\n",
			kb_key_kind_name(kind), (long long)id, KB_KEY_PREFIX_LEN, secret,
			nbots > 1 ? "bots " : "bot ", bots[0]);
		free(secret);
	} else {
		fprintf(stderr, "madoguchi %s create: %s\n", cmd,
			err ? err : mdg_strerror(rc));
	}
	free(err);
	cmd_close(m, k);
	return rc == MDG_OK ? 0 : 1;
}

static int key_list(kb_key_kind kind, const char *cmd, int argc, char **argv)
{
	const char *db = NULL, *bot = NULL;
	int bad = 0;
	for (int i = 0; i < argc && !bad; i++) {
		if (cmd_opt(argc, argv, &i, "--db", &db, &bad) ||
		    cmd_opt(argc, argv, &i, "--bot", &bot, &bad))
			continue;
		fprintf(stderr, "madoguchi %s list: unexpected argument '%s'\n", cmd,
			argv[i]);
		bad = 1;
	}
	if (bad || db == NULL) {
		if (!bad)
			fprintf(stderr, "madoguchi %s list: --db is required\n", cmd);
		return 2;
	}
	nlp_model *m;
	kb *k;
	if (cmd_open(db, NULL, KB_OPEN_READONLY, &m, &k))
		return 1;
	char *err = NULL;
	kb_key_info *v = NULL;
	size_t n = 0;
	mdg_rc rc = kb_keys_list(k, bot, &v, &n, &err);
	if (rc == MDG_OK) {
		printf("id\tprefix\tbots\tcreated\tstatus\tlabel\n");
		for (size_t i = 0; i < n; i++) {
			if (v[i].kind != kind)
				continue;
			printf("%lld\t%s\t%s\t%s\t%s\t%s\n", (long long)v[i].id,
			       v[i].prefix, v[i].bots, v[i].created_at,
			       v[i].revoked_at[0] ? "revoked" : "active", v[i].label);
		}
	} else {
		fprintf(stderr, "madoguchi %s list: %s\n", cmd,
			err ? err : mdg_strerror(rc));
	}
	kb_keys_list_free(v, n);
	free(err);
	cmd_close(m, k);
	return rc == MDG_OK ? 0 : 1;
}

static int key_revoke(kb_key_kind kind, const char *cmd, int argc, char **argv)
{
	const char *db = NULL, *which = NULL;
	int bad = 0;
	for (int i = 0; i < argc && !bad; i++) {
		if (cmd_opt(argc, argv, &i, "--db", &db, &bad))
			continue;
		if (argv[i][0] == '-' || which) {
			fprintf(stderr, "madoguchi %s revoke: unexpected argument '%s'\n",
				cmd, argv[i]);
			bad = 1;
		} else {
			which = argv[i];
		}
	}
	if (bad || db == NULL || which == NULL) {
		if (!bad)
			fprintf(stderr, "madoguchi %s revoke: --db and a key id or "
					"prefix are required\n",
				cmd);
		return 2;
	}
	nlp_model *m;
	kb *k;
	if (cmd_open(db, NULL, 0, &m, &k))
		return 1;
	char *err = NULL;
	int64_t id = 0;
	mdg_rc rc = kb_keys_revoke(k, kind, which, &id, &err);
	if (rc == MDG_OK)
		printf("revoked key %lld\n", (long long)id);
	else
		fprintf(stderr, "madoguchi %s revoke: %s\n", cmd,
			err ? err : mdg_strerror(rc));
	free(err);
	cmd_close(m, k);
	return rc == MDG_OK ? 0 : 1;
}

/* Dispatches "create|list|revoke" for keys of one kind. */
static int keys_command(kb_key_kind kind, const char *cmd, int argc, char **argv)
{
	if (argc < 1) {
		fprintf(stderr, "madoguchi %s: create, list or revoke?\n", cmd);
		return 2;
	}
	if (strcmp(argv[0], "create") == 0)
		return key_create(kind, cmd, argc - 1, argv + 1);
	if (strcmp(argv[0], "list") == 0)
		return key_list(kind, cmd, argc - 1, argv + 1);
	if (strcmp(argv[0], "revoke") == 0)
		return key_revoke(kind, cmd, argc - 1, argv + 1);
	fprintf(stderr, "madoguchi %s: unknown action '%s' (create, list, revoke)\n",
		cmd, argv[0]);
	return 2;
}

int cmd_key(int argc, char **argv)
{
	return keys_command(KB_KEY_API, "key", argc, argv);
}

int cmd_token(int argc, char **argv)
{
	return keys_command(KB_KEY_ADMIN, "token", argc, argv);
}
