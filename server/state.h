/* state.h — the signed conversation state that travels with each turn.
 *
 * The server keeps no sessions: every reply carries the conversation's
 * state and the client sends it back with the next message. The token is
 *
 *     base64url(JSON payload) "." base64url(HMAC-SHA256(key, first part))
 *
 * (libsodium crypto_auth_hmacsha256, URL-safe base64 without padding), so
 * any server process holding the same secret can continue a conversation,
 * and a client can neither forge nor alter one. The payload is small
 * (well under 2 KB): version, bot, conversation id, issue and expiry times,
 * turn count, the category and Q&A of the last answer (context for terse
 * follow-ups), the options offered by the last reply (id -> action), and
 * an extension object for later features (decision trees). */
#ifndef SRV_STATE_H
#define SRV_STATE_H

#include <jansson.h>
#include <stdint.h>

#include "../kb/kb.h"
#include "../nlp/mdg.h"

#define STATE_KEY_BYTES 32
#define STATE_MAX_TOKEN 4096 /* longer tokens are rejected unread */
#define STATE_MAX_OPTIONS 8
#define STATE_OPTION_ID_MAX 15
#define STATE_ACTION_MAX 300     /* bytes: "qa:" + an external id */
#define STATE_CATEGORY_MAX 255   /* bytes; longer categories are not kept */
#define STATE_QA_MAX 300         /* bytes */

typedef struct chat_option {
	char id[STATE_OPTION_ID_MAX + 1]; /* what the client sends as "choice" */
	char action[STATE_ACTION_MAX + 1]; /* "qa:<ext id>", "counter", ... */
} chat_option;

typedef struct chat_state {
	char bot[KB_BOT_NAME_MAX + 1];
	char conv[24]; /* random conversation id (base64url) */
	int64_t iat, exp;
	int turn; /* turns answered so far */
	char category[STATE_CATEGORY_MAX + 1]; /* of the last answer, "" none */
	char last_qa[STATE_QA_MAX + 1];        /* last answered ext id, "" none */
	size_t nopts;
	chat_option opts[STATE_MAX_OPTIONS];
	json_t *ext; /* extension object (owned; NULL when empty) */
} chat_state;

typedef enum state_status {
	STATE_OK = 0,
	STATE_MALFORMED,     /* not a token of ours */
	STATE_BAD_SIGNATURE, /* signed with another secret, or altered */
	STATE_EXPIRED,
	STATE_WRONG_BOT      /* valid, but for another bot */
} state_status;

/* Derives the HMAC key from the configured secret (any length). */
void state_derive_key(const char *secret, size_t n,
		      unsigned char key[STATE_KEY_BYTES]);

/* A fresh conversation for bot: random conversation id, turn 0. */
void state_init(chat_state *s, const char *bot);

/* Drops the options offered by the previous reply. */
void state_clear_options(chat_state *s);

/* Adds an offered option; MDG_ERR_TOOBIG past STATE_MAX_OPTIONS or for an
 * over-long id/action. */
mdg_rc state_add_option(chat_state *s, const char *id, const char *action);

/* The action of option id, NULL if the last reply did not offer it. */
const char *state_option(const chat_state *s, const char *id);

/* Signs s, valid from now for ttl seconds; *out malloc'd (caller frees). */
mdg_rc state_encode(const unsigned char key[STATE_KEY_BYTES], const chat_state *s,
		    int64_t now, int ttl, char **out);

/* Verifies and reads token[0..n) for bot. On STATE_OK *out holds the state
 * (state_free when done); otherwise *out is zeroed. */
state_status state_decode(const unsigned char key[STATE_KEY_BYTES],
			  const char *token, size_t n, const char *bot,
			  int64_t now, chat_state *out);

/* Frees what s owns (the extension object); s itself is caller memory. */
void state_free(chat_state *s);

#endif
