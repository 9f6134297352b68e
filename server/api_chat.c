/* api_chat.c — the chat and feedback endpoints.
 *
 * A chat turn: find the bot (404), check the API key of an internal bot
 * (401), read and validate the JSON body (400), verify the state from the
 * previous reply (400), then either follow a clicked option ("choice") or
 * search the knowledge base with the message, preferring the category of
 * the previous answer. The reply is one of
 *   answer      a Q&A (text, links, contact, department)
 *   candidates  up to 3 "did you mean" questions, offered as options
 *   fallback    the general counter: departments with phone and hours
 * or, from the decision trees (api_flow.h: red flags first, then a flow in
 * progress, a Q&A's flow or a trigger phrase), one of flow, answer (a
 * flow's leaf), triage_result, handoff, emergency and flow_end,
 * and comes with the new signed state. The turn is queued for the turn
 * log with the message normalised and personal data masked. */
#include "api_chat.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../kb/kb_keys.h"
#include "../kb/kb_search.h"
#include "../nlp/mask.h"
#include "../nlp/norm.h"
#include "api_bots.h"
#include "api_flow.h"
#include "log.h"
#include "metrics.h"

#define MAX_JSON_DEPTH 8
#define MAX_CANDIDATES 3
#define MAX_QA_ID_BYTES 256
#define MAX_KEY_HEADER 512

/* Texts shown to residents. */
#define T_CANDIDATES "もしかして、次のどれかについてのご質問ですか？当てはまるものを選んでください。"
#define T_NONE_OF_THESE "どれにも当てはまらない"
#define T_FALLBACK "申し訳ありません。ご質問に合う回答が見つかりませんでした。"
#define T_REPHRASE                                                             \
	"言葉を変えて、もう一度質問してみてください。お急ぎの場合は、下記の担当窓口へお問い合わせください。"
#define T_REPHRASE_NO_COUNTER "言葉を変えて、もう一度質問してみてください。"
#define T_LINK "関連ページ"

typedef struct chat_ctx {
	http_req *r;
	kb *k;
	kb_bot bot;
	const cfg_bot *cb;
	chat_state st;
	int have_state;
	/* for the turn log */
	const char *input;
	char *logged_query; /* masked */
	const char *decision;
	char qa_id[MAX_QA_ID_BYTES + 1];
	double score;
	char *flow_resume; /* flow position a search interrupted (api_flow.h) */
	int txn;           /* a read transaction is open (open_bot/close_bot) */
} chat_ctx;

/* ---------- request checks shared by chat and feedback ---------- */

/* 1 if the request carries an API key valid for the bot; -1 on a database
 * failure (logged). */
static int authorized(http_req *r, kb *k, const char *bot)
{
	const char *h = http_header(r, "Authorization");
	if (h == NULL || strlen(h) > MAX_KEY_HEADER || strncasecmp(h, "Bearer ", 7) != 0)
		return 0;
	const char *tok = h + 7;
	while (*tok == ' ')
		tok++;
	size_t n = strlen(tok);
	while (n > 0 && tok[n - 1] == ' ')
		n--;
	char *err = NULL;
	mdg_rc rc = kb_keys_verify(k, KB_KEY_API, bot, tok, n, NULL, &err);
	if (rc != MDG_OK && rc != MDG_ERR_AUTH) {
		srv_log(SRV_LOG_ERROR, "API key check for bot %s: %s", bot,
			err ? err : mdg_strerror(rc));
		free(err);
		return -1;
	}
	free(err);
	return rc == MDG_OK;
}

static enum MHD_Result unauthorized(http_req *r)
{
	struct MHD_Response *resp = NULL;
	char *s = NULL;
	json_t *j = json_pack("{s:{s:s, s:s}}", "error", "code", "unauthorized",
			      "message",
			      "このボットを利用するには有効なAPIキーが必要です。");
	if (j)
		s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	if (s)
		resp = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(s);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "application/json; charset=utf-8");
	MHD_add_response_header(resp, "WWW-Authenticate", "Bearer realm=\"madoguchi\"");
	return http_send(r, MHD_HTTP_UNAUTHORIZED, resp, 0);
}

/* Finds the bot and checks access. Returns 1 and fills c on success;
 * otherwise a reply has been queued and *ret holds its result. */
static int open_bot(http_req *r, chat_ctx *c, enum MHD_Result *ret)
{
	char *err = NULL;
	c->r = r;
	if (!kb_bot_name_valid(r->bot)) {
		*ret = http_reply_error(r, MHD_HTTP_NOT_FOUND, "bot_not_found",
					"指定されたボットは見つかりません。");
		return 0;
	}
	mdg_rc rc = app_kb(r->app, &c->k, &err);
	/* The whole request reads one snapshot: an import switching the bot's
	 * knowledge base meanwhile is seen wholly or not at all. Ended by
	 * close_bot. */
	if (rc == MDG_OK)
		c->txn = kb_read_begin(c->k, NULL);
	if (rc == MDG_OK)
		rc = kb_bot_get(c->k, r->bot, &c->bot, &err);
	if (rc == MDG_OK && c->bot.active_version == 0)
		rc = MDG_ERR_NOTFOUND;
	if (rc == MDG_ERR_NOTFOUND) {
		*ret = http_reply_error(r, MHD_HTTP_NOT_FOUND, "bot_not_found",
					"指定されたボットは見つかりません。");
	} else if (rc != MDG_OK) {
		*ret = http_reply_rc(r, rc, err);
	} else if (c->bot.internal) {
		/* Staff bots: nothing about their content without a key. */
		int ok = authorized(r, c->k, c->bot.name);
		if (ok <= 0) {
			*ret = ok < 0 ? http_reply_rc(r, MDG_ERR_DB, "API key check failed")
				      : unauthorized(r);
			rc = MDG_ERR_AUTH;
		}
	}
	free(err);
	if (rc != MDG_OK)
		return 0;
	c->cb = srv_config_bot(r->app->cfg, c->bot.name);
	return 1;
}

static void close_bot(chat_ctx *c)
{
	if (c->k)
		kb_read_end(c->k, c->txn);
	c->txn = 0;
}

/* Bracket depth outside strings; jansson would accept far deeper input. */
static int depth_ok(const char *s, size_t n)
{
	int depth = 0, in_str = 0;
	for (size_t i = 0; i < n; i++) {
		char ch = s[i];
		if (in_str) {
			if (ch == '\\')
				i++;
			else if (ch == '"')
				in_str = 0;
		} else if (ch == '"') {
			in_str = 1;
		} else if (ch == '{' || ch == '[') {
			if (++depth > MAX_JSON_DEPTH)
				return 0;
		} else if (ch == '}' || ch == ']') {
			depth--;
		}
	}
	return 1;
}

/* Parses the body as a JSON object. NULL after queueing a 400. */
static json_t *parse_body(http_req *r, enum MHD_Result *ret)
{
	size_t bad = 0;
	const char *msg = NULL, *code = "invalid_json";
	json_t *j = NULL;
	if (r->body.len == 0) {
		msg = "リクエストの本文（JSON）がありません。";
	} else if (!nlp_utf8_valid(r->body.data, r->body.len, &bad)) {
		code = "invalid_utf8";
		msg = "リクエストの本文が正しいUTF-8ではありません。";
	} else if (!depth_ok(r->body.data, r->body.len)) {
		msg = "リクエストのJSONの入れ子が深すぎます。";
	} else {
		json_error_t e;
		j = json_loadb(r->body.data, r->body.len, JSON_REJECT_DUPLICATES, &e);
		if (j == NULL)
			msg = "リクエストの本文が正しいJSONではありません。";
		else if (!json_is_object(j))
			msg = "リクエストの本文はJSONオブジェクトで送ってください。";
	}
	if (msg) {
		json_decref(j);
		*ret = http_reply_error(r, MHD_HTTP_BAD_REQUEST, code, msg);
		return NULL;
	}
	return j;
}

/* The string member k of j: 1 = present (*out set), 0 = absent or null,
 * -1 = another type. */
static int opt_string(json_t *j, const char *k, const char **out, size_t *len)
{
	json_t *v = json_object_get(j, k);
	*out = NULL;
	if (v == NULL || json_is_null(v))
		return 0;
	if (!json_is_string(v))
		return -1;
	*out = json_string_value(v);
	if (len)
		*len = json_string_length(v);
	return 1;
}

static enum MHD_Result bad_field(http_req *r, const char *msg)
{
	return http_reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_field", msg);
}

/* Verifies the "state" member if present. Returns 1 on success (c->st is
 * the old state or a fresh one, c->have_state set accordingly). */
static int load_state(chat_ctx *c, json_t *body, int required, enum MHD_Result *ret)
{
	const char *tok = NULL;
	size_t n = 0;
	int has = opt_string(body, "state", &tok, &n);
	if (has < 0) {
		*ret = bad_field(c->r, "state は前回の応答の文字列をそのまま送ってください。");
		return 0;
	}
	if (has == 0) {
		if (required) {
			*ret = bad_field(c->r, "state がありません。");
			return 0;
		}
		state_init(&c->st, c->bot.name);
		return 1;
	}
	state_status s = state_decode(c->r->app->state_key, tok, n, c->bot.name,
				      (int64_t)time(NULL), &c->st);
	if (s == STATE_OK) {
		c->have_state = 1;
		return 1;
	}
	if (s == STATE_EXPIRED)
		*ret = http_reply_error(c->r, MHD_HTTP_BAD_REQUEST, "state_expired",
					"会話の有効期限が切れました。最初からやり直してください。");
	else
		*ret = http_reply_error(c->r, MHD_HTTP_BAD_REQUEST, "invalid_state",
					"会話の状態が正しくありません。最初からやり直してください。");
	return 0;
}

/* ---------- replies ---------- */

static json_t *options_json(const chat_state *st, json_t *labels)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < st->nopts; i++)
		json_array_append_new(a, json_pack("{s:s, s:O}", "id", st->opts[i].id,
						   "label", json_array_get(labels, i)));
	return a;
}

/* Splits the url cell (one or more URLs separated by spaces, newlines or
 * "|"/"｜") into links; only http(s) URLs are passed on to the widget. */
static json_t *links_json(const char *cell)
{
	json_t *a = json_array();
	const char *p = cell;
	int n = 0;
	while (a && *p) {
		size_t sep = 0;
		if (*p == ' ' || *p == '\n' || *p == '\r' || *p == '\t' || *p == '|')
			sep = 1;
		else if (!strncmp(p, "｜", 3))
			sep = 3;
		if (sep) {
			p += sep;
			continue;
		}
		size_t len = 0;
		while (p[len] && p[len] != ' ' && p[len] != '\n' && p[len] != '\r' &&
		       p[len] != '\t' && p[len] != '|' && strncmp(p + len, "｜", 3))
			len++;
		if ((len > 8 && !strncmp(p, "https://", 8)) ||
		    (len > 7 && !strncmp(p, "http://", 7))) {
			char label[64];
			n++;
			if (n == 1)
				snprintf(label, sizeof label, "%s", T_LINK);
			else
				snprintf(label, sizeof label, "%s%d", T_LINK, n);
			json_array_append_new(a, json_pack("{s:s, s:s%}", "label", label, "url",
							   p, len));
		}
		p += len;
	}
	return a;
}

static void set_nonempty(json_t *o, const char *k, const char *v)
{
	if (v && v[0])
		json_object_set_new(o, k, json_string(v));
}

static void remember_answer(chat_ctx *c, const kb_qa *qa)
{
	size_t cl = strlen(qa->category), ql = strlen(qa->ext_id);
	/* Over-long values are not carried (the state stays small). */
	snprintf(c->st.category, sizeof c->st.category, "%s",
		 cl <= STATE_CATEGORY_MAX ? qa->category : "");
	snprintf(c->st.last_qa, sizeof c->st.last_qa, "%s",
		 ql <= STATE_QA_MAX ? qa->ext_id : "");
	snprintf(c->qa_id, sizeof c->qa_id, "%s", qa->ext_id);
	c->decision = "answer";
}

static mdg_rc answer_reply(chat_ctx *c, const kb_qa *qa, json_t **reply)
{
	json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:o, s:[]}", "type", "answer", "qa_id",
			      qa->ext_id, "question", qa->question, "text", qa->answer,
			      "links", links_json(qa->url), "options");
	if (o == NULL)
		return MDG_ERR_NOMEM;
	set_nonempty(o, "category", qa->category);
	set_nonempty(o, "department", qa->department);
	set_nonempty(o, "contact", qa->contact);
	remember_answer(c, qa);
	*reply = o;
	return MDG_OK;
}

/* A Q&A whose flow column names one of the bot's flows starts it (reply
 * type flow, see api_flow.h); otherwise, or if the flows cannot be read,
 * it is answered like any other. */
static mdg_rc reply_for_qa(chat_ctx *c, const kb_qa *qa, json_t **reply)
{
	if (qa->flow[0]) {
		char *err = NULL;
		mdg_rc rc = api_flow_start_qa(c->k, c->bot.name, &c->st, qa, reply, &err);
		free(err);
		if (rc == MDG_OK && *reply) {
			remember_answer(c, qa);
			c->decision = api_flow_reply_type(*reply);
			return MDG_OK;
		}
	}
	return answer_reply(c, qa, reply);
}

static mdg_rc fallback_reply(chat_ctx *c, json_t **reply)
{
	const cfg_counter *ct = srv_config_counter(c->r->app->cfg, c->bot.name);
	mdg_buf text = {0};
	mdg_rc rc;
	/* The counter table's own text (it invites the resident to rephrase),
	 * else ours. */
	if (ct && ct->text)
		rc = mdg_buf_adds(&text, ct->text);
	else
		rc = mdg_buf_printf(&text, "%s%s", T_FALLBACK,
				    ct && ct->ndeps ? T_REPHRASE : T_REPHRASE_NO_COUNTER);
	json_t *deps = json_array();
	for (size_t i = 0; ct && deps && i < ct->ndeps; i++) {
		const cfg_department *d = &ct->deps[i];
		json_t *dj = json_pack("{s:s}", "name", d->name);
		set_nonempty(dj, "handles", d->handles);
		set_nonempty(dj, "phone", d->phone);
		set_nonempty(dj, "hours", d->hours);
		json_array_append_new(deps, dj);
	}
	json_t *o = rc == MDG_OK ? json_pack("{s:s, s:s, s:o, s:[]}", "type", "fallback",
					     "text", text.data, "departments", deps,
					     "options")
				 : (json_decref(deps), NULL);
	mdg_buf_free(&text);
	if (o == NULL)
		return MDG_ERR_NOMEM;
	c->decision = "fallback";
	*reply = o;
	return MDG_OK;
}

static mdg_rc candidates_reply(chat_ctx *c, const kb_result *res, json_t **reply)
{
	json_t *cands = json_array(), *labels = json_array();
	for (size_t i = 0; i < res->nhits && i < MAX_CANDIDATES; i++) {
		const kb_hit *h = &res->hits[i];
		char id[8], action[STATE_ACTION_MAX + 1];
		if (snprintf(action, sizeof action, "qa:%s", h->ext_id) >= (int)sizeof action)
			continue; /* an id too long for the state cannot be offered */
		snprintf(id, sizeof id, "c%zu", i + 1);
		if (state_add_option(&c->st, id, action) != MDG_OK)
			continue;
		json_array_append_new(cands, json_pack("{s:s, s:s}", "qa_id", h->ext_id,
						       "question", h->question));
		json_array_append_new(labels, json_string(h->question));
	}
	state_add_option(&c->st, "none", "counter");
	json_array_append_new(labels, json_string(T_NONE_OF_THESE));
	json_t *o = json_pack("{s:s, s:s, s:o, s:o}", "type", "candidates", "text",
			      T_CANDIDATES, "candidates", cands, "options",
			      options_json(&c->st, labels));
	json_decref(labels);
	if (o == NULL)
		return MDG_ERR_NOMEM;
	if (res->nhits)
		snprintf(c->qa_id, sizeof c->qa_id, "%s", res->hits[0].ext_id);
	c->decision = "candidates";
	*reply = o;
	return MDG_OK;
}

/* Answers Q&A ext_id, or the general counter if it has gone (the
 * knowledge base may have been re-imported since it was offered). */
static mdg_rc qa_reply(chat_ctx *c, const char *ext_id, json_t **reply, char **err)
{
	kb_qa *qa = NULL;
	mdg_rc rc = kb_qa_get(c->k, c->bot.name, ext_id, &qa, err);
	if (rc == MDG_ERR_NOTFOUND)
		return fallback_reply(c, reply);
	if (rc == MDG_OK)
		rc = reply_for_qa(c, qa, reply);
	kb_qa_free(qa);
	return rc;
}

/* ---------- the turn ---------- */

static void log_turn(chat_ctx *c, int64_t kb_version)
{
	turn_rec t = {
		.bot = c->bot.name,
		.conversation = c->st.conv,
		.turn = c->st.turn,
		.input = c->input,
		.query = c->logged_query,
		.decision = c->decision,
		.qa_id = c->qa_id,
		.score = c->score,
		.kb_version = kb_version,
	};
	turnlog_turn(c->r->app->log, &t);
}

/* Normalises and masks text for storage; NULL on failure. */
static char *masked_norm(const char *s, size_t n)
{
	char *norm = NULL, *out = NULL;
	size_t nn = 0;
	if (nlp_norm(s, n, &norm, &nn, NULL) != MDG_OK)
		return NULL;
	if (nlp_mask(norm, nn, &out, NULL, NULL) != MDG_OK)
		out = NULL;
	free(norm);
	return out;
}

/* Context settles a "did you mean": after an answer in one category, a
 * terse follow-up ("更新の場合は？") whose best match is in that category
 * and has no close rival in it is answered outright. */
static int context_decides(const chat_ctx *c, const kb_result *res)
{
	const char *cat = c->st.category;
	if (!cat[0] || res->decision != KB_DECISION_CANDIDATES || res->nhits == 0 ||
	    strcmp(res->hits[0].category, cat) != 0)
		return 0;
	for (size_t i = 1; i < res->nhits; i++)
		if (strcmp(res->hits[i].category, cat) == 0 &&
		    res->hits[0].score - res->hits[i].score < c->cb->answer_margin)
			return 0;
	return 1;
}

static enum MHD_Result search_turn(chat_ctx *c, const char *msg, size_t len,
				   json_t **reply, mdg_rc *rc, char **err)
{
	http_req *r = c->r;
	kb_search_opts o;
	kb_search_opts_init(&o);
	o.answer_threshold = c->cb->answer_threshold;
	o.answer_margin = c->cb->answer_margin;
	o.candidate_threshold = c->cb->candidate_threshold;
	o.min_known_share = c->cb->min_known_share;
	o.max_missing_subject = c->cb->max_missing_subject;
	/* Read by open_bot in this request's read transaction. */
	o.version = c->bot.active_version;
	/* Context: a terse follow-up prefers the previous answer's category. */
	o.prefer_category = c->st.category[0] ? c->st.category : NULL;
	kb_result *res = NULL;
	*rc = kb_search(c->k, c->bot.name, msg, len, &o, &res, err);
	if (*rc == MDG_ERR_TOOBIG) {
		*rc = MDG_OK;
		return http_reply_error(r, MHD_HTTP_BAD_REQUEST, "message_too_long",
					"質問が長すぎます。");
	}
	if (*rc == MDG_ERR_INVALID) {
		*rc = MDG_OK;
		return http_reply_error(r, MHD_HTTP_BAD_REQUEST, "empty_message",
					"質問を入力してください。");
	}
	if (*rc != MDG_OK)
		return MHD_YES; /* the caller replies */
	metrics_search(res->cached);
	free(c->logged_query);
	c->logged_query = NULL;
	if (res->norm_query &&
	    nlp_mask(res->norm_query, strlen(res->norm_query), &c->logged_query, NULL,
		     NULL) != MDG_OK)
		c->logged_query = NULL;
	if (res->nhits)
		c->score = res->hits[0].score;
	int answer = res->decision == KB_DECISION_ANSWER || context_decides(c, res);
	/* A flow's trigger phrase in the message starts it, unless the answer
	 * is a Q&A that starts a flow of its own. */
	if (!(answer && res->hits[0].flow[0]) &&
	    ((*rc = api_flow_trigger(c->k, c->bot.name, &c->st, msg, len, reply, err)) !=
		     MDG_OK ||
	     *reply))
		c->decision = api_flow_reply_type(*reply);
	else if (answer)
		*rc = qa_reply(c, res->hits[0].ext_id, reply, err);
	else if (res->decision == KB_DECISION_CANDIDATES)
		*rc = candidates_reply(c, res, reply);
	else
		*rc = fallback_reply(c, reply);
	/* Typed text in a flow that the search could not answer either: ask
	 * the flow's question again. */
	if (*rc == MDG_OK && c->flow_resume && !strcmp(c->decision, "fallback")) {
		*rc = api_flow_reask(c->k, c->bot.name, &c->st, c->flow_resume, reply, err);
		c->decision = api_flow_reply_type(*reply);
	}
	c->st.turn++;
	log_turn(c, res->version);
	kb_result_free(res);
	return MHD_YES;
}

enum MHD_Result api_chat(http_req *r)
{
	chat_ctx c;
	memset(&c, 0, sizeof c);
	enum MHD_Result ret = MHD_YES;
	json_t *body = NULL, *reply = NULL;
	char *err = NULL, *token = NULL;
	const char *msg = NULL, *choice = NULL;
	size_t mlen = 0;
	mdg_rc rc = MDG_OK;

	if (!open_bot(r, &c, &ret))
		goto out;
	if ((body = parse_body(r, &ret)) == NULL)
		goto out;
	int hm = opt_string(body, "message", &msg, &mlen);
	int hc = opt_string(body, "choice", &choice, NULL);
	if (hm < 0 || hc < 0) {
		ret = bad_field(r, "message と choice は文字列で送ってください。");
		goto out;
	}
	if (hm && hc) {
		ret = bad_field(r, "message と choice はどちらか一方だけを送ってください。");
		goto out;
	}
	if (!hm && !hc) {
		ret = http_reply_error(r, MHD_HTTP_BAD_REQUEST, "empty_message",
				       "質問を入力してください。");
		goto out;
	}
	if (!load_state(&c, body, 0, &ret))
		goto out;

	if (hc && c.have_state && api_flow_pos(&c.st)[0] && !state_option(&c.st, choice)) {
		/* A choice inside a flow (the flow checks it is offered). */
		c.input = "choice";
		if ((c.logged_query = strdup(choice)) == NULL) {
			rc = MDG_ERR_NOMEM;
			goto out;
		}
		state_clear_options(&c.st);
		rc = api_flow_turn(c.k, c.bot.name, &c.st, choice, NULL, 0, &reply,
				   &c.flow_resume, &err);
		if (rc == MDG_ERR_INVALID) {
			rc = MDG_OK;
			ret = http_reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_choice",
					       "選択肢が正しくありません。表示されている選択肢から選んでください。");
			goto out;
		}
		if (rc != MDG_OK)
			goto out;
		c.decision = api_flow_reply_type(reply);
		c.st.turn++;
		log_turn(&c, c.bot.active_version);
	} else if (hc) {
		const char *action = c.have_state ? state_option(&c.st, choice) : NULL;
		if (action == NULL || (strncmp(action, "qa:", 3) && strcmp(action, "counter"))) {
			ret = http_reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_choice",
					       "選択肢が正しくありません。表示されている選択肢から選んでください。");
			goto out;
		}
		c.input = "choice";
		if ((c.logged_query = strdup(choice)) == NULL) {
			rc = MDG_ERR_NOMEM;
			goto out;
		}
		/* action points into the options about to be cleared */
		char act[STATE_ACTION_MAX + 1];
		snprintf(act, sizeof act, "%s", action);
		state_clear_options(&c.st);
		api_flow_set_pos(&c.st, NULL); /* a choice outside the flow leaves it */
		if (strncmp(act, "qa:", 3) == 0)
			rc = qa_reply(&c, act + 3, &reply, &err);
		else
			rc = fallback_reply(&c, &reply);
		if (rc != MDG_OK)
			goto out;
		c.st.turn++;
		log_turn(&c, c.bot.active_version);
	} else {
		if (nlp_utf8_len(msg, mlen) > (size_t)r->app->cfg->limits.max_message_chars) {
			char m[160];
			snprintf(m, sizeof m, "質問は%d文字以内で入力してください。",
				 r->app->cfg->limits.max_message_chars);
			ret = http_reply_error(r, MHD_HTTP_BAD_REQUEST, "message_too_long", m);
			goto out;
		}
		c.input = "message";
		c.logged_query = masked_norm(msg, mlen);
		if (c.logged_query == NULL || c.logged_query[0] == '\0') {
			ret = http_reply_error(r, MHD_HTTP_BAD_REQUEST, "empty_message",
					       "質問を入力してください。");
			goto out;
		}
		state_clear_options(&c.st);
		/* Red flags first, in every bot and at any point; then a flow in
		 * progress; then the search. */
		rc = api_flow_redflags(c.k, c.bot.name, &c.st, msg, mlen, &reply, &err);
		if (rc == MDG_OK && reply == NULL && api_flow_pos(&c.st)[0])
			rc = api_flow_turn(c.k, c.bot.name, &c.st, NULL, msg, mlen, &reply,
					   &c.flow_resume, &err);
		if (rc != MDG_OK)
			goto out;
		if (reply) {
			c.decision = api_flow_reply_type(reply);
			c.st.turn++;
			log_turn(&c, c.bot.active_version);
		} else {
			ret = search_turn(&c, msg, mlen, &reply, &rc, &err);
			if (rc != MDG_OK || reply == NULL)
				goto out;
		}
	}
	metrics_reply(c.decision);
	if ((rc = state_encode(r->app->state_key, &c.st, (int64_t)time(NULL),
			       r->app->cfg->state_ttl, &token)) != MDG_OK)
		goto out;
	ret = http_reply_json_steal(r, MHD_HTTP_OK,
				    json_pack("{s:s, s:O}", "state", token, "reply", reply));
out:
	close_bot(&c);
	if (rc != MDG_OK)
		ret = http_reply_rc(r, rc, err);
	free(token);
	free(err);
	free(c.logged_query);
	free(c.flow_resume);
	json_decref(reply);
	json_decref(body);
	state_free(&c.st);
	return ret;
}

enum MHD_Result api_feedback(http_req *r)
{
	chat_ctx c;
	memset(&c, 0, sizeof c);
	enum MHD_Result ret = MHD_YES;
	json_t *body = NULL;
	char *err = NULL, *comment = NULL;
	const char *qa_id = NULL, *raw_comment = NULL;
	size_t qlen = 0, clen = 0;
	mdg_rc rc = MDG_OK;
	kb_qa *qa = NULL;

	if (!open_bot(r, &c, &ret))
		goto out;
	if ((body = parse_body(r, &ret)) == NULL)
		goto out;
	json_t *helpful = json_object_get(body, "helpful");
	if (opt_string(body, "qa_id", &qa_id, &qlen) != 1 || qlen == 0 ||
	    qlen > MAX_QA_ID_BYTES) {
		ret = bad_field(r, "qa_id に回答のIDを文字列で指定してください。");
		goto out;
	}
	if (!json_is_boolean(helpful)) {
		ret = bad_field(r, "helpful は true か false で指定してください。");
		goto out;
	}
	int hc = opt_string(body, "comment", &raw_comment, &clen);
	if (hc < 0) {
		ret = bad_field(r, "comment は文字列で送ってください。");
		goto out;
	}
	if (hc && nlp_utf8_len(raw_comment, clen) >
			  (size_t)r->app->cfg->limits.max_message_chars) {
		ret = http_reply_error(r, MHD_HTTP_BAD_REQUEST, "comment_too_long",
				       "コメントが長すぎます。");
		goto out;
	}
	if (!load_state(&c, body, 1, &ret))
		goto out;
	if (strcmp(qa_id, c.st.last_qa) != 0) {
		rc = kb_qa_get(c.k, c.bot.name, qa_id, &qa, &err);
		if (rc == MDG_ERR_NOTFOUND) {
			rc = MDG_OK;
			ret = http_reply_error(r, MHD_HTTP_BAD_REQUEST, "unknown_qa",
					       "指定された回答が見つかりません。");
			goto out;
		}
		if (rc != MDG_OK)
			goto out;
	}
	if (hc && (comment = masked_norm(raw_comment, clen)) == NULL) {
		rc = MDG_ERR_NOMEM;
		goto out;
	}
	feedback_rec f = {
		.bot = c.bot.name,
		.conversation = c.st.conv,
		.qa_id = qa_id,
		.helpful = json_is_true(helpful),
		.comment = comment,
	};
	turnlog_feedback(r->app->log, &f);
	ret = http_reply_json_steal(r, MHD_HTTP_OK, json_pack("{s:b}", "ok", 1));
out:
	close_bot(&c);
	if (rc != MDG_OK)
		ret = http_reply_rc(r, rc, err);
	kb_qa_free(qa);
	free(comment);
	free(err);
	json_decref(body);
	state_free(&c.st);
	return ret;
}

enum MHD_Result api_bot_info(http_req *r)
{
	chat_ctx c;
	memset(&c, 0, sizeof c);
	enum MHD_Result ret = MHD_YES;
	if (open_bot(r, &c, &ret)) {
		json_t *j = api_bot_presentation(c.bot.name, c.cb);
		if (j)
			json_object_set_new(j, "internal", json_boolean(c.bot.internal));
		ret = http_reply_json_steal(r, MHD_HTTP_OK, j);
	}
	close_bot(&c);
	return ret;
}
