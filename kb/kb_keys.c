/* kb_keys.c — API keys and admin tokens (see kb_keys.h). */
#include "kb_keys.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define HASH_BYTES crypto_generichash_BYTES /* 32 */
#define RANDOM_BYTES 32

static const char keys_schema[] =
	"CREATE TABLE IF NOT EXISTS api_keys("
	" id INTEGER PRIMARY KEY,"
	" kind TEXT NOT NULL CHECK(kind IN ('api','admin')),"
	" prefix TEXT NOT NULL,"
	" hash BLOB NOT NULL UNIQUE,"
	" label TEXT NOT NULL DEFAULT '',"
	" created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
	" revoked_at TEXT);"
	"CREATE INDEX IF NOT EXISTS api_keys_prefix ON api_keys(prefix);"
	"CREATE TABLE IF NOT EXISTS api_key_bots("
	" key_id INTEGER NOT NULL REFERENCES api_keys(id),"
	" bot TEXT NOT NULL,"
	" PRIMARY KEY(key_id, bot)) WITHOUT ROWID;";

const char *kb_key_kind_name(kb_key_kind kind)
{
	switch (kind) {
	case KB_KEY_API: return "api";
	case KB_KEY_ADMIN: return "admin";
	}
	return "unknown";
}

static kb_key_kind kind_from_name(const char *s)
{
	return strcmp(s, "admin") == 0 ? KB_KEY_ADMIN : KB_KEY_API;
}

static int init_sodium(char **err)
{
	if (sodium_init() < 0) {
		mdg_fail(err, MDG_ERR_IO, "libsodium could not be initialised");
		return -1;
	}
	return 0;
}

static void hash_key(const char *secret, size_t n, unsigned char out[HASH_BYTES])
{
	crypto_generichash(out, HASH_BYTES, (const unsigned char *)secret, n, NULL, 0);
}

/* Shape check before any database work: prefix, length, alphabet. */
static int well_formed(const char *s, size_t n)
{
	if (n != KB_KEY_LEN || memcmp(s, KB_KEY_PREFIX, strlen(KB_KEY_PREFIX)) != 0)
		return 0;
	for (size_t i = strlen(KB_KEY_PREFIX); i < n; i++) {
		char c = s[i];
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
		      (c >= '0' && c <= '9') || c == '-' || c == '_'))
			return 0;
	}
	return 1;
}

/* 1 if the failed statement preparation means "no key table yet". */
static int no_table(kb *k)
{
	return strstr(sqlite3_errmsg(kb_sqlite(k)), "no such table") != NULL;
}

typedef struct create_arg {
	kb_key_kind kind;
	const char *const *bots;
	size_t nbots;
	const char *label;
	const char *secret;
	int64_t id;
	char **err;
} create_arg;

static mdg_rc do_create(kb *k, void *p)
{
	create_arg *a = p;
	mdg_rc rc = kb_exec(k, keys_schema, a->err);
	if (rc != MDG_OK)
		return rc;
	for (size_t i = 0; i < a->nbots; i++) {
		kb_bot b;
		if ((rc = kb_bot_get(k, a->bots[i], &b, a->err)) != MDG_OK)
			return rc;
	}
	unsigned char h[HASH_BYTES];
	hash_key(a->secret, strlen(a->secret), h);
	sqlite3_stmt *st = kb_stmt(k,
				   "INSERT INTO api_keys(kind, prefix, hash, label) "
				   "VALUES(?1, ?2, ?3, ?4)",
				   a->err);
	if (st == NULL)
		return MDG_ERR_DB;
	sqlite3_bind_text(st, 1, kb_key_kind_name(a->kind), -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, a->secret, KB_KEY_PREFIX_LEN, SQLITE_STATIC);
	sqlite3_bind_blob(st, 3, h, HASH_BYTES, SQLITE_STATIC);
	sqlite3_bind_text(st, 4, a->label ? a->label : "", -1, SQLITE_STATIC);
	int r = sqlite3_step(st);
	sqlite3_reset(st);
	if (r != SQLITE_DONE)
		return mdg_fail(a->err, MDG_ERR_DB, "%s", sqlite3_errmsg(kb_sqlite(k)));
	a->id = sqlite3_last_insert_rowid(kb_sqlite(k));
	st = kb_stmt(k, "INSERT OR IGNORE INTO api_key_bots(key_id, bot) VALUES(?1, ?2)",
		     a->err);
	if (st == NULL)
		return MDG_ERR_DB;
	for (size_t i = 0; i < a->nbots; i++) {
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, a->id);
		sqlite3_bind_text(st, 2, a->bots[i], -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE) {
			sqlite3_reset(st);
			return mdg_fail(a->err, MDG_ERR_DB, "%s",
					sqlite3_errmsg(kb_sqlite(k)));
		}
	}
	sqlite3_reset(st);
	return MDG_OK;
}

mdg_rc kb_keys_create(kb *k, kb_key_kind kind, const char *const *bots,
		      size_t nbots, const char *label, char **secret, int64_t *id,
		      char **err)
{
	*secret = NULL;
	if (init_sodium(err))
		return MDG_ERR_IO;
	if (kind != KB_KEY_API && kind != KB_KEY_ADMIN)
		return mdg_fail(err, MDG_ERR_INVALID, "unknown key kind");
	if (nbots == 0 || nbots > KB_KEY_MAX_BOTS)
		return mdg_fail(err, MDG_ERR_INVALID,
				"a key must be scoped to 1-%d bots", KB_KEY_MAX_BOTS);
	for (size_t i = 0; i < nbots; i++)
		if (!kb_bot_name_valid(bots[i]))
			return mdg_fail(err, MDG_ERR_INVALID, "invalid bot id '%s'",
					bots[i]);
	if (label && strlen(label) > KB_KEY_LABEL_MAX * 4)
		return mdg_fail(err, MDG_ERR_TOOBIG, "label too long");

	unsigned char raw[RANDOM_BYTES];
	char b64[sodium_base64_ENCODED_LEN(RANDOM_BYTES,
					   sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(b64, sizeof b64, raw, sizeof raw,
			  sodium_base64_VARIANT_URLSAFE_NO_PADDING);
	sodium_memzero(raw, sizeof raw);
	char *s = malloc(KB_KEY_LEN + 1);
	if (s == NULL)
		return MDG_ERR_NOMEM;
	snprintf(s, KB_KEY_LEN + 1, "%s%s", KB_KEY_PREFIX, b64);
	sodium_memzero(b64, sizeof b64);

	create_arg a = {kind, bots, nbots, label, s, 0, err};
	mdg_rc rc = kb_write_txn(k, do_create, &a, err);
	if (rc != MDG_OK) {
		sodium_memzero(s, KB_KEY_LEN);
		free(s);
		return rc;
	}
	if (id)
		*id = a.id;
	*secret = s;
	return MDG_OK;
}

mdg_rc kb_keys_verify(kb *k, unsigned kinds, const char *bot, const char *secret,
		      size_t n, int64_t *id, char **err)
{
	if (id)
		*id = 0;
	if (init_sodium(err))
		return MDG_ERR_IO;
	if (secret == NULL || !well_formed(secret, n))
		return MDG_ERR_AUTH;
	unsigned char h[HASH_BYTES];
	hash_key(secret, n, h);
	char *serr = NULL;
	sqlite3_stmt *st = kb_stmt(k,
				   "SELECT k.id, k.kind, k.hash FROM api_keys k"
				   " JOIN api_key_bots b ON b.key_id = k.id"
				   " WHERE k.prefix = ?1 AND b.bot = ?2"
				   " AND k.revoked_at IS NULL",
				   &serr);
	if (st == NULL) {
		mdg_rc rc = no_table(k) ? MDG_ERR_AUTH
					: mdg_fail(err, MDG_ERR_DB, "%s", serr);
		free(serr);
		return rc;
	}
	sqlite3_bind_text(st, 1, secret, KB_KEY_PREFIX_LEN, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, bot, -1, SQLITE_STATIC);
	mdg_rc rc = MDG_ERR_AUTH;
	int r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		const void *stored = sqlite3_column_blob(st, 2);
		kb_key_kind kind = kind_from_name((const char *)sqlite3_column_text(st, 1));
		if (stored && sqlite3_column_bytes(st, 2) == HASH_BYTES &&
		    sodium_memcmp(stored, h, HASH_BYTES) == 0 && (kinds & kind)) {
			if (id)
				*id = sqlite3_column_int64(st, 0);
			rc = MDG_OK;
			break;
		}
	}
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		rc = mdg_fail(err, MDG_ERR_DB, "%s", sqlite3_errmsg(kb_sqlite(k)));
	/* Reset now: a read-only worker must not keep its read snapshot open. */
	sqlite3_reset(st);
	return rc;
}

static mdg_rc dup_into(char **dst, const unsigned char *src)
{
	*dst = strdup(src ? (const char *)src : "");
	return *dst ? MDG_OK : MDG_ERR_NOMEM;
}

mdg_rc kb_keys_list(kb *k, const char *bot, kb_key_info **out, size_t *n,
		    char **err)
{
	*out = NULL;
	*n = 0;
	char *serr = NULL;
	sqlite3_stmt *st = kb_stmt(
		k,
		"SELECT k.id, k.kind, k.prefix, k.label, k.created_at,"
		" COALESCE(k.revoked_at, ''),"
		" (SELECT group_concat(bot, ',') FROM (SELECT bot FROM api_key_bots"
		"  WHERE key_id = k.id ORDER BY bot))"
		" FROM api_keys k WHERE ?1 IS NULL OR EXISTS (SELECT 1 FROM"
		" api_key_bots b WHERE b.key_id = k.id AND b.bot = ?1) ORDER BY k.id",
		&serr);
	if (st == NULL) {
		mdg_rc rc = no_table(k) ? MDG_OK : mdg_fail(err, MDG_ERR_DB, "%s", serr);
		free(serr);
		return rc;
	}
	if (bot)
		sqlite3_bind_text(st, 1, bot, -1, SQLITE_STATIC);
	kb_key_info *v = NULL;
	size_t cnt = 0;
	mdg_rc rc = MDG_OK;
	int r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		kb_key_info *nv = realloc(v, (cnt + 1) * sizeof *v);
		if (nv == NULL) {
			rc = MDG_ERR_NOMEM;
			goto out;
		}
		v = nv;
		kb_key_info *ki = &v[cnt++];
		memset(ki, 0, sizeof *ki);
		ki->id = sqlite3_column_int64(st, 0);
		ki->kind = kind_from_name((const char *)sqlite3_column_text(st, 1));
		snprintf(ki->prefix, sizeof ki->prefix, "%s", sqlite3_column_text(st, 2));
		snprintf(ki->created_at, sizeof ki->created_at, "%s",
			 sqlite3_column_text(st, 4));
		snprintf(ki->revoked_at, sizeof ki->revoked_at, "%s",
			 sqlite3_column_text(st, 5));
		if ((rc = dup_into(&ki->label, sqlite3_column_text(st, 3))) != MDG_OK ||
		    (rc = dup_into(&ki->bots, sqlite3_column_text(st, 6))) != MDG_OK)
			goto out;
	}
	if (r != SQLITE_DONE)
		rc = mdg_fail(err, MDG_ERR_DB, "%s", sqlite3_errmsg(kb_sqlite(k)));
out:
	sqlite3_reset(st);
	if (rc != MDG_OK) {
		kb_keys_list_free(v, cnt);
		return rc;
	}
	*out = v;
	*n = cnt;
	return MDG_OK;
}

void kb_keys_list_free(kb_key_info *v, size_t n)
{
	if (v == NULL)
		return;
	for (size_t i = 0; i < n; i++) {
		free(v[i].label);
		free(v[i].bots);
	}
	free(v);
}

typedef struct revoke_arg {
	const char *which;
	int64_t id;
	char **err;
	kb_key_kind kind;
} revoke_arg;

static mdg_rc do_revoke(kb *k, void *p)
{
	revoke_arg *a = p;
	char *end = NULL;
	long long num = strtoll(a->which, &end, 10);
	int by_id = a->which[0] >= '0' && a->which[0] <= '9' && end && *end == '\0';
	char *serr = NULL;
	sqlite3_stmt *st = kb_stmt(k,
				   "SELECT id FROM api_keys WHERE revoked_at IS NULL"
				   " AND (id = ?1 OR prefix = ?2) AND kind = ?3",
				   &serr);
	if (st == NULL) {
		mdg_rc rc = no_table(k) ? mdg_fail(a->err, MDG_ERR_NOTFOUND,
						   "no valid key '%s'", a->which)
					: mdg_fail(a->err, MDG_ERR_DB, "%s", serr);
		free(serr);
		return rc;
	}
	sqlite3_bind_int64(st, 1, by_id ? num : -1);
	sqlite3_bind_text(st, 2, by_id ? "" : a->which, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, kb_key_kind_name(a->kind), -1, SQLITE_STATIC);
	int64_t found = 0;
	int matches = 0;
	while (sqlite3_step(st) == SQLITE_ROW) {
		found = sqlite3_column_int64(st, 0);
		matches++;
	}
	sqlite3_reset(st);
	if (matches == 0)
		return mdg_fail(a->err, MDG_ERR_NOTFOUND, "no valid %s key '%s'",
				kb_key_kind_name(a->kind), a->which);
	if (matches > 1)
		return mdg_fail(a->err, MDG_ERR_INVALID,
				"'%s' names more than one key; use its id", a->which);
	st = kb_stmt(k,
		     "UPDATE api_keys SET revoked_at ="
		     " strftime('%Y-%m-%dT%H:%M:%SZ','now') WHERE id = ?1",
		     a->err);
	if (st == NULL)
		return MDG_ERR_DB;
	sqlite3_bind_int64(st, 1, found);
	int r = sqlite3_step(st);
	sqlite3_reset(st);
	if (r != SQLITE_DONE)
		return mdg_fail(a->err, MDG_ERR_DB, "%s", sqlite3_errmsg(kb_sqlite(k)));
	a->id = found;
	return MDG_OK;
}

mdg_rc kb_keys_revoke(kb *k, kb_key_kind kind, const char *which, int64_t *id,
		      char **err)
{
	if (id)
		*id = 0;
	if (which == NULL || which[0] == '\0')
		return mdg_fail(err, MDG_ERR_INVALID, "no key named");
	revoke_arg a = {which, 0, err, kind};
	mdg_rc rc = kb_write_txn(k, do_revoke, &a, err);
	if (rc == MDG_OK && id)
		*id = a.id;
	return rc;
}
