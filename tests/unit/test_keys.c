/* test_keys.c — unit tests for kb/kb_keys: creating, verifying, scoping,
 * listing and revoking API keys and admin tokens. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../../kb/kb_import.h"
#include "../../kb/kb_keys.h"
#include "tap.h"

static mdg_rc import_bot(kb *k, const char *bot, int internal)
{
	static const char tsv[] = "id\tquestion\tanswer\n"
				  "Q1\t開館時間を教えてください\t9時から17時です\n";
	sheet *s = NULL;
	kb_report *rep = NULL;
	kb_import_opts o = {0};
	o.internal = internal;
	mdg_rc rc = sheet_read_mem(tsv, sizeof tsv - 1, SHEET_TSV, NULL, &s, NULL);
	if (rc == MDG_OK)
		rc = kb_import(k, bot, s, &o, &rep, NULL);
	kb_report_free(rep);
	sheet_free(s);
	return rc;
}

static int verify(kb *k, unsigned kinds, const char *bot, const char *key)
{
	return kb_keys_verify(k, kinds, bot, key, key ? strlen(key) : 0, NULL, NULL) ==
	       MDG_OK;
}

int main(void)
{
	char dir[] = "/tmp/mdg-test-keys-XXXXXX", path[128];
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof path, "%s/keys.db", dir);
	nlp_model *m = NULL;
	kb *k = NULL, *ro = NULL;
	char *err = NULL;
	mdg_rc rc = nlp_model_open(NULL, &m, &err);
	if (rc == MDG_OK)
		rc = kb_open(path, m, KB_OPEN_CREATE, &k, &err);
	CHECK(rc == MDG_OK, "open database");
	if (rc != MDG_OK) {
		printf("# %s\n", err ? err : "");
		return tap_done();
	}
	CHECK(import_bot(k, "staff", 1) == MDG_OK && import_bot(k, "other", 1) == MDG_OK,
	      "import two bots");

	/* before any key exists, verification fails cleanly */
	CHECK(kb_keys_verify(k, KB_KEY_API, "staff",
			     "mdg_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", KB_KEY_LEN,
			     NULL, &err) == MDG_ERR_AUTH,
	      "no key table: MDG_ERR_AUTH");
	kb_key_info *v = NULL;
	size_t n = 9;
	CHECK(kb_keys_list(k, NULL, &v, &n, &err) == MDG_OK && n == 0,
	      "no key table: empty list");

	char *key = NULL, *admin = NULL, *key2 = NULL;
	int64_t id = 0, aid = 0;
	const char *staff[] = {"staff"};
	const char *both[] = {"staff", "other"};
	rc = kb_keys_create(k, KB_KEY_API, staff, 1, "総務課 端末", &key, &id, &err);
	CHECK(rc == MDG_OK && key && id > 0, "create an API key");
	CHECK(key && strlen(key) == KB_KEY_LEN && strncmp(key, "mdg_", 4) == 0,
	      "key format mdg_ + 43 characters");
	CHECK(kb_keys_create(k, KB_KEY_ADMIN, both, 2, NULL, &admin, &aid, &err) ==
		      MDG_OK,
	      "create an admin token for two bots");
	CHECK(kb_keys_create(k, KB_KEY_API, staff, 1, NULL, &key2, NULL, &err) == MDG_OK &&
		      strcmp(key, key2) != 0,
	      "keys are random");

	const char *nobot[] = {"nosuchbot"};
	char *x = NULL;
	CHECK(kb_keys_create(k, KB_KEY_API, nobot, 1, NULL, &x, NULL, NULL) ==
			      MDG_ERR_NOTFOUND &&
		      x == NULL,
	      "unknown bot refused");
	const char *badname[] = {"Bad Name"};
	CHECK(kb_keys_create(k, KB_KEY_API, badname, 1, NULL, &x, NULL, NULL) ==
		      MDG_ERR_INVALID,
	      "invalid bot id refused");
	CHECK(kb_keys_create(k, KB_KEY_API, staff, 0, NULL, &x, NULL, NULL) ==
		      MDG_ERR_INVALID,
	      "a key needs a bot");

	/* verification, on a read-only connection like a server worker */
	CHECK(kb_open(path, m, KB_OPEN_READONLY, &ro, &err) == MDG_OK, "open read-only");
	CHECK(verify(ro, KB_KEY_API, "staff", key), "valid key accepted");
	int64_t got = 0;
	CHECK(kb_keys_verify(ro, KB_KEY_API, "staff", key, strlen(key), &got, NULL) ==
			      MDG_OK &&
		      got == id,
	      "verify reports the key id");
	CHECK(!verify(ro, KB_KEY_API, "other", key), "key not valid for another bot");
	CHECK(!verify(ro, KB_KEY_ADMIN, "staff", key), "API key is not an admin token");
	CHECK(verify(ro, KB_KEY_ADMIN, "other", admin) && verify(ro, KB_KEY_ADMIN, "staff", admin),
	      "admin token valid for both its bots");
	CHECK(!verify(ro, KB_KEY_API, "staff", admin), "admin token is not an API key");
	CHECK(verify(ro, KB_KEY_API | KB_KEY_ADMIN, "staff", admin), "kind mask");

	char tampered[KB_KEY_LEN + 1];
	memcpy(tampered, key, KB_KEY_LEN + 1);
	tampered[KB_KEY_LEN - 1] = tampered[KB_KEY_LEN - 1] == 'A' ? 'B' : 'A';
	CHECK(!verify(ro, KB_KEY_API, "staff", tampered), "last character changed");
	CHECK(kb_keys_verify(ro, KB_KEY_API, "staff", key, KB_KEY_LEN - 1, NULL, NULL) ==
		      MDG_ERR_AUTH,
	      "truncated key");
	CHECK(!verify(ro, KB_KEY_API, "staff", ""), "empty key");
	CHECK(!verify(ro, KB_KEY_API, "staff", "mdg_' OR 1=1 --"), "SQL in key");
	CHECK(!verify(ro, KB_KEY_API, "staff", NULL), "NULL key");

	/* listing never shows the secret */
	CHECK(kb_keys_list(ro, NULL, &v, &n, &err) == MDG_OK && n == 3, "list all keys");
	if (n == 3) {
		CHECK_STR(v[0].label, "総務課 端末", "label stored");
		CHECK_STR(v[0].bots, "staff", "scope listed");
		CHECK_STR(v[1].bots, "other,staff", "two-bot scope listed sorted");
		CHECK(v[1].kind == KB_KEY_ADMIN && v[0].kind == KB_KEY_API, "kinds listed");
		CHECK(strncmp(v[0].prefix, key, KB_KEY_PREFIX_LEN) == 0 &&
			      strlen(v[0].prefix) == KB_KEY_PREFIX_LEN,
		      "prefix is the key's first characters");
		CHECK(v[0].revoked_at[0] == '\0' && v[0].created_at[0] == '2',
		      "created, not revoked");
	}
	kb_keys_list_free(v, n);
	CHECK(kb_keys_list(ro, "other", &v, &n, &err) == MDG_OK && n == 1,
	      "list filtered by bot");
	kb_keys_list_free(v, n);

	/* revoking, by prefix and by id */
	char prefix[KB_KEY_PREFIX_LEN + 1];
	snprintf(prefix, sizeof prefix, "%s", key);
	int64_t rid = 0;
	char *kerr = NULL;
	CHECK(kb_keys_revoke(k, KB_KEY_ADMIN, prefix, NULL, &kerr) == MDG_ERR_NOTFOUND &&
		      verify(ro, KB_KEY_API, "staff", key),
	      "an API key cannot be revoked as an admin token");
	free(kerr);
	CHECK(kb_keys_revoke(k, KB_KEY_API, prefix, &rid, &err) == MDG_OK && rid == id,
	      "revoke by prefix");
	CHECK(!verify(ro, KB_KEY_API, "staff", key), "revoked key refused");
	CHECK(verify(ro, KB_KEY_API, "staff", key2), "other key still valid");
	CHECK(kb_keys_revoke(k, KB_KEY_API, prefix, NULL, NULL) == MDG_ERR_NOTFOUND,
	      "revoking twice: not found");
	char idbuf[32];
	snprintf(idbuf, sizeof idbuf, "%lld", (long long)aid);
	CHECK(kb_keys_revoke(k, KB_KEY_ADMIN, idbuf, NULL, NULL) == MDG_OK &&
		      !verify(ro, KB_KEY_ADMIN, "staff", admin),
	      "revoke by id");
	CHECK(kb_keys_revoke(k, KB_KEY_API, "999", NULL, NULL) == MDG_ERR_NOTFOUND,
	      "unknown id");
	CHECK(kb_keys_list(ro, NULL, &v, &n, &err) == MDG_OK && n == 3 &&
		      v[0].revoked_at[0] == '2',
	      "revocation listed");
	kb_keys_list_free(v, n);

	free(key);
	free(key2);
	free(admin);
	free(err);
	kb_close(ro);
	kb_close(k);
	nlp_model_close(m);
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	return tap_done();
}
