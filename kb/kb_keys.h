/* kb_keys.h — API keys and admin tokens, stored hashed in the database.
 *
 * A key is "mdg_" followed by 43 base64url characters (256 random bits
 * from libsodium). It is shown once, when created; the database keeps
 * only its BLAKE2b-256 hash (crypto_generichash — no pepper is needed:
 * 256-bit random secrets cannot be guessed from their hash), the first
 * KB_KEY_PREFIX_LEN characters (to find and name it in listings), a
 * label, its kind and the bots it is valid for.
 *
 * Kinds: KB_KEY_API lets a client use an internal (staff) bot's chat API;
 * KB_KEY_ADMIN is for the knowledge editors' admin API. Both are scoped to
 * one or more bots. Revoking a key is permanent.
 *
 * Tables api_keys and api_key_bots are created on first use by
 * kb_keys_create (CREATE TABLE IF NOT EXISTS), so databases without keys
 * need no migration; on such a database every key is simply invalid. */
#ifndef KB_KEYS_H
#define KB_KEYS_H

#include <stdint.h>

#include "kb.h"

typedef enum kb_key_kind { KB_KEY_API = 1, KB_KEY_ADMIN = 2 } kb_key_kind;

/* "api", "admin". */
const char *kb_key_kind_name(kb_key_kind kind);

#define KB_KEY_PREFIX "mdg_"
#define KB_KEY_LEN 47        /* strlen of a key */
#define KB_KEY_PREFIX_LEN 12 /* "mdg_" + 8 characters shown in listings */
#define KB_KEY_LABEL_MAX 200 /* characters */
#define KB_KEY_MAX_BOTS 64

typedef struct kb_key_info {
	int64_t id;
	kb_key_kind kind;
	char prefix[KB_KEY_PREFIX_LEN + 1];
	char *label;            /* owned */
	char *bots;             /* owned; the scope, comma-separated, sorted */
	char created_at[32];    /* ISO 8601 UTC */
	char revoked_at[32];    /* "" while the key is valid */
} kb_key_info;

/* Creates a key of the given kind valid for the nbots bots named (each
 * must exist). label may be NULL. On success *secret is the key itself
 * (malloc'd, caller frees; it is not stored anywhere) and *id (may be
 * NULL) its id. Runs in its own write transaction. */
mdg_rc kb_keys_create(kb *k, kb_key_kind kind, const char *const *bots,
		      size_t nbots, const char *label, char **secret, int64_t *id,
		      char **err);

/* Checks the key secret[0..n) — as sent by a client, untrusted — for bot.
 * kinds is a mask of kb_key_kind values the caller accepts. MDG_OK if an
 * unrevoked key of an accepted kind scoped to bot matches (hash compared
 * in constant time), *id (may be NULL) set to its id; MDG_ERR_AUTH
 * otherwise (including databases without any key); MDG_ERR_DB on
 * database failures. Read-only: works on KB_OPEN_READONLY handles. */
mdg_rc kb_keys_verify(kb *k, unsigned kinds, const char *bot, const char *secret,
		      size_t n, int64_t *id, char **err);

/* Keys (revoked ones too) ordered by id; bot (may be NULL = all) keeps only
 * keys scoped to that bot. *out is owned by the caller (kb_keys_list_free). */
mdg_rc kb_keys_list(kb *k, const char *bot, kb_key_info **out, size_t *n,
		    char **err);
void kb_keys_list_free(kb_key_info *v, size_t n);

/* Revokes the key of the given kind named by which: its numeric id or its
 * prefix as shown by kb_keys_list (a key of the other kind is never
 * touched: `token revoke` cannot revoke an API key by mistake).
 * MDG_ERR_NOTFOUND if no valid key of that kind matches, MDG_ERR_INVALID if
 * a prefix matches more than one. *id (may be NULL) receives its id. */
mdg_rc kb_keys_revoke(kb *k, kb_key_kind kind, const char *which, int64_t *id,
		      char **err);

#endif
