/* state.c — signed, expiring conversation state tokens (see state.h). */
#include "state.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STATE_VERSION 1
#define B64 sodium_base64_VARIANT_URLSAFE_NO_PADDING
/* Clock skew tolerated between server processes sharing a secret. */
#define STATE_MAX_SKEW 300

static const char key_context[] = "madoguchi conversation state v1";

void state_derive_key(const char *secret, size_t n,
		      unsigned char key[STATE_KEY_BYTES])
{
	/* Keyed BLAKE2b: a secret of any length becomes a 32-byte HMAC key
	 * that is used for nothing else. */
	crypto_generichash(key, STATE_KEY_BYTES, (const unsigned char *)secret, n,
			   (const unsigned char *)key_context, sizeof key_context - 1);
}

void state_init(chat_state *s, const char *bot)
{
	memset(s, 0, sizeof *s);
	snprintf(s->bot, sizeof s->bot, "%s", bot);
	unsigned char raw[12];
	randombytes_buf(raw, sizeof raw);
	sodium_bin2base64(s->conv, sizeof s->conv, raw, sizeof raw, B64);
}

void state_clear_options(chat_state *s)
{
	s->nopts = 0;
	memset(s->opts, 0, sizeof s->opts);
}

mdg_rc state_add_option(chat_state *s, const char *id, const char *action)
{
	if (s->nopts >= STATE_MAX_OPTIONS || strlen(id) > STATE_OPTION_ID_MAX ||
	    strlen(action) > STATE_ACTION_MAX)
		return MDG_ERR_TOOBIG;
	chat_option *o = &s->opts[s->nopts++];
	snprintf(o->id, sizeof o->id, "%s", id);
	snprintf(o->action, sizeof o->action, "%s", action);
	return MDG_OK;
}

const char *state_option(const chat_state *s, const char *id)
{
	for (size_t i = 0; i < s->nopts; i++)
		if (strcmp(s->opts[i].id, id) == 0)
			return s->opts[i].action;
	return NULL;
}

void state_free(chat_state *s)
{
	if (s == NULL)
		return;
	json_decref(s->ext);
	s->ext = NULL;
}

static void mac_b64(const unsigned char key[STATE_KEY_BYTES], const char *msg,
		    size_t n, char *out, size_t outn)
{
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	crypto_auth_hmacsha256(mac, (const unsigned char *)msg, n, key);
	sodium_bin2base64(out, outn, mac, sizeof mac, B64);
}

mdg_rc state_encode(const unsigned char key[STATE_KEY_BYTES], const chat_state *s,
		    int64_t now, int ttl, char **out)
{
	*out = NULL;
	mdg_rc rc = MDG_ERR_NOMEM;
	char *payload = NULL, *b64 = NULL;
	json_t *opts = json_array();
	json_t *j = json_pack("{s:i, s:s, s:s, s:I, s:I, s:i}", "v", STATE_VERSION,
			      "b", s->bot, "c", s->conv, "i", (json_int_t)now, "e",
			      (json_int_t)(now + ttl), "t", s->turn);
	if (j == NULL || opts == NULL)
		goto out;
	for (size_t i = 0; i < s->nopts; i++)
		if (json_array_append_new(opts, json_pack("[s, s]", s->opts[i].id,
							  s->opts[i].action)))
			goto out;
	if ((s->category[0] && json_object_set_new(j, "k", json_string(s->category))) ||
	    (s->last_qa[0] && json_object_set_new(j, "q", json_string(s->last_qa))) ||
	    (s->nopts && json_object_set(j, "o", opts)) ||
	    (s->ext && json_object_size(s->ext) && json_object_set(j, "x", s->ext)))
		goto out;
	payload = json_dumps(j, JSON_COMPACT);
	if (payload == NULL)
		goto out;
	size_t plen = strlen(payload);
	size_t b64len = sodium_base64_ENCODED_LEN(plen, B64);
	size_t maclen = sodium_base64_ENCODED_LEN(crypto_auth_hmacsha256_BYTES, B64);
	if ((b64 = malloc(b64len + maclen + 1)) == NULL)
		goto out;
	sodium_bin2base64(b64, b64len, (const unsigned char *)payload, plen, B64);
	size_t n = strlen(b64);
	b64[n] = '.';
	mac_b64(key, b64, n, b64 + n + 1, maclen);
	*out = b64;
	b64 = NULL;
	rc = MDG_OK;
out:
	free(b64);
	free(payload);
	json_decref(opts);
	json_decref(j);
	return rc;
}

/* Copies a JSON string of at most max bytes into dst; -1 if absent/too long. */
static int get_str(json_t *j, const char *k, char *dst, size_t max, int required)
{
	json_t *v = json_object_get(j, k);
	if (v == NULL && !required) {
		dst[0] = '\0';
		return 0;
	}
	if (!json_is_string(v) || json_string_length(v) > max)
		return -1;
	memcpy(dst, json_string_value(v), json_string_length(v) + 1);
	return 0;
}

state_status state_decode(const unsigned char key[STATE_KEY_BYTES],
			  const char *token, size_t n, const char *bot,
			  int64_t now, chat_state *out)
{
	memset(out, 0, sizeof *out);
	if (n == 0 || n > STATE_MAX_TOKEN)
		return STATE_MALFORMED;
	const char *dot = memchr(token, '.', n);
	if (dot == NULL)
		return STATE_MALFORMED;
	size_t plen = (size_t)(dot - token);
	/* Verify before reading anything: nothing unauthenticated is parsed. */
	unsigned char mac[crypto_auth_hmacsha256_BYTES];
	size_t maclen = 0;
	const char *end = NULL;
	if (sodium_base642bin(mac, sizeof mac, dot + 1, n - plen - 1, NULL, &maclen,
			      &end, B64) != 0 ||
	    end != token + n || maclen != sizeof mac)
		return STATE_MALFORMED;
	if (crypto_auth_hmacsha256_verify(mac, (const unsigned char *)token, plen, key))
		return STATE_BAD_SIGNATURE;

	state_status st = STATE_MALFORMED;
	unsigned char *payload = malloc(plen + 1);
	json_t *j = NULL;
	size_t len = 0;
	if (payload == NULL)
		return STATE_MALFORMED;
	if (sodium_base642bin(payload, plen, token, plen, NULL, &len, &end, B64) != 0 ||
	    end != dot)
		goto out;
	j = json_loadb((const char *)payload, len, JSON_REJECT_DUPLICATES, NULL);
	json_int_t v = 0, iat = 0, exp = 0, turn = 0;
	if (j == NULL ||
	    json_unpack(j, "{s:I, s:I, s:I, s:I}", "v", &v, "i", &iat, "e", &exp, "t",
			&turn) != 0 ||
	    v != STATE_VERSION || turn < 0 || turn > 1000000)
		goto out;
	if (get_str(j, "b", out->bot, KB_BOT_NAME_MAX, 1) ||
	    get_str(j, "c", out->conv, sizeof out->conv - 1, 1) ||
	    get_str(j, "k", out->category, STATE_CATEGORY_MAX, 0) ||
	    get_str(j, "q", out->last_qa, STATE_QA_MAX, 0))
		goto out;
	out->iat = iat;
	out->exp = exp;
	out->turn = (int)turn;
	json_t *opts = json_object_get(j, "o");
	if (opts) {
		size_t i;
		json_t *o;
		if (!json_is_array(opts) || json_array_size(opts) > STATE_MAX_OPTIONS)
			goto out;
		json_array_foreach(opts, i, o)
		{
			const char *id = NULL, *action = NULL;
			if (json_unpack(o, "[s, s]", &id, &action) != 0 ||
			    state_add_option(out, id, action) != MDG_OK)
				goto out;
		}
	}
	json_t *x = json_object_get(j, "x");
	if (x && !json_is_object(x))
		goto out;
	if (strcmp(out->bot, bot) != 0) {
		st = STATE_WRONG_BOT;
		goto out;
	}
	if (now > exp || iat > now + STATE_MAX_SKEW) {
		st = STATE_EXPIRED;
		goto out;
	}
	out->ext = json_incref(x);
	st = STATE_OK;
out:
	json_decref(j);
	free(payload);
	if (st != STATE_OK)
		memset(out, 0, sizeof *out);
	return st;
}
