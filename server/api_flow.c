/* api_flow.c — decision trees and red flags in the chat API (see
 * api_flow.h): engine replies as JSON, the position in the signed state. */
#include "api_flow.h"

#include <stdlib.h>
#include <string.h>

#include "../kb/flow.h"
#include "../kb/flow_store.h"
#include "../kb/redflag.h"
#include "log.h"

#define MAX_FLAGS     8
#define STATE_POS_KEY "f"

#define T_RESUME  "相談を続ける"
#define T_CHANGED "ご案内の内容が更新されたため、最初からご案内します。\n"
#define T_REASK   "ご質問に合う回答が見つかりませんでした。次の中から選んでください。\n"

const char *api_flow_pos(const chat_state *st)
{
	const char *p = json_string_value(json_object_get(st->ext, STATE_POS_KEY));
	return p ? p : "";
}

mdg_rc api_flow_set_pos(chat_state *st, const char *pos)
{
	if (pos == NULL || pos[0] == '\0') {
		if (st->ext)
			json_object_del(st->ext, STATE_POS_KEY);
		return MDG_OK;
	}
	if (st->ext == NULL && (st->ext = json_object()) == NULL)
		return MDG_ERR_NOMEM;
	return json_object_set_new(st->ext, STATE_POS_KEY, json_string(pos))
	           ? MDG_ERR_NOMEM
	           : MDG_OK;
}

const char *api_flow_reply_type(json_t *reply)
{
	const char *t = json_string_value(json_object_get(reply, "type"));
	return t ? t : "";
}

/* ---- JSON ---- */

static json_t *links_json(const flow_link *l, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(
		    a, json_pack("{s:s, s:s}", "label", l[i].label, "url", l[i].url));
	return a;
}

static json_t *phones_json(const flow_phone *p, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_pack("{s:s, s:s}", "label", p[i].label,
		                                   "number", p[i].number));
	return a;
}

static json_t *urgency_json(flow_urgency u)
{
	return json_pack("{s:i, s:s, s:s, s:s}", "level", u.level, "label", u.label,
	                 "color", u.color, "color_name", u.color_ja);
}

static json_t *options_json(const flow_reply *r)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < r->noptions; i++)
		json_array_append_new(
		    a, json_pack("{s:s, s:s, s:s}", "id", r->options[i].id, "label",
		                 r->options[i].label, "kind",
		                 flow_option_kind_name(r->options[i].kind)));
	return a;
}

static json_t *steps_json(const flow_reply *r)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < r->nsteps; i++)
		json_array_append_new(a, json_pack("{s:s, s:s}", "question",
		                                   r->steps[i].summary[0]
		                                       ? r->steps[i].summary
		                                       : r->steps[i].question,
		                                   "answer", r->steps[i].answer));
	return a;
}

static void set_nonempty(json_t *o, const char *k, const char *v)
{
	if (v && v[0])
		json_object_set_new(o, k, json_string(v));
}

/* The engine's reply as the chat API's reply object. */
static json_t *reply_json(const flow_reply *r)
{
	json_t *o = json_pack("{s:s, s:s, s:o}", "type", flow_reply_type_name(r->type),
	                      "text", r->text, "options", options_json(r));
	if (o == NULL)
		return NULL;
	if (r->type != FLOW_REPLY_END)
		json_object_set_new(o, "flow",
		                    json_pack("{s:s, s:s, s:s}", "id", r->flow_id,
		                              "title", r->flow_title, "node",
		                              r->node_id));
	switch (r->type) {
	case FLOW_REPLY_ANSWER:
		set_nonempty(o, "title", r->answer_title);
		json_object_set_new(o, "links", links_json(r->links, r->nlinks));
		set_nonempty(o, "contact", r->contact);
		break;
	case FLOW_REPLY_TRIAGE:
		json_object_set_new(o, "urgency", urgency_json(r->urgency));
		set_nonempty(o, "advice", r->advice);
		json_object_set_new(o, "care",
		                    json_pack("{s:s, s:o}", "text", r->care_text, "links",
		                              links_json(r->care_links, r->ncare_links)));
		break;
	case FLOW_REPLY_HANDOFF:
		json_object_set_new(o, "phones", phones_json(r->phones, r->nphones));
		json_object_set_new(o, "summary",
		                    json_string(r->summary ? r->summary : ""));
		json_object_set_new(o, "answers", steps_json(r));
		if (r->urgency.level)
			json_object_set_new(o, "urgency", urgency_json(r->urgency));
		break;
	case FLOW_REPLY_QUESTION:
	case FLOW_REPLY_END:
	case FLOW_REPLY_NOMATCH:
		break;
	}
	return o;
}

/* Stores the reply's position in st and converts it. */
static mdg_rc finish(chat_state *st, const flow_reply *fr, json_t **reply)
{
	mdg_rc rc = api_flow_set_pos(st, fr->pos);
	if (rc == MDG_OK && (*reply = reply_json(fr)) == NULL)
		rc = MDG_ERR_NOMEM;
	return rc;
}

static mdg_rc active_set(kb *k, const char *bot, flow_set **s, char **err)
{
	mdg_rc rc = flow_active(k, bot, s, NULL, err);
	if (rc != MDG_OK)
		srv_log(SRV_LOG_ERROR, "flows of bot %s: %s", bot,
		        err && *err ? *err : mdg_strerror(rc));
	return rc;
}

/* ---- red flags ---- */

mdg_rc api_flow_redflags(kb *k, const char *bot, chat_state *st, const char *msg,
                         size_t len, json_t **reply, char **err)
{
	*reply = NULL;
	redflag_list *l = NULL;
	mdg_rc rc = flow_redflags_active(k, bot, &l, err);
	if (rc != MDG_OK) {
		srv_log(SRV_LOG_ERROR, "red flags for bot %s: %s", bot,
		        err && *err ? *err : mdg_strerror(rc));
		return rc;
	}
	if (l == NULL)
		return MDG_OK;
	redflag_hit hits[MAX_FLAGS];
	size_t n = 0;
	rc = redflag_match(l, msg, len, hits, MAX_FLAGS, &n, err);
	if (rc == MDG_ERR_UTF8) {
		rc = MDG_OK; /* the search reports bad text as it always does */
		free(*err);
		*err = NULL;
	}
	if (rc == MDG_OK && n > 0) {
		json_t *flags = json_array(), *opts = json_array();
		for (size_t i = 0; flags && i < n; i++)
			json_array_append_new(flags,
			                      json_pack("{s:s, s:s}", "id", hits[i].id,
			                                "label", hits[i].label));
		/* In a flow, the user may come back to it (a false alarm). */
		if (opts && api_flow_pos(st)[0])
			json_array_append_new(opts, json_pack("{s:s, s:s, s:s}", "id",
			                                      "resume", "label", T_RESUME,
			                                      "kind", "resume"));
		size_t np = 0;
		const flow_phone *ph = redflag_phones(l, &np);
		*reply = json_pack("{s:s, s:s, s:o, s:o, s:o, s:o}", "type", "emergency",
		                   "text", redflag_message(l), "urgency",
		                   urgency_json(flow_urgency_of(1)), "flags", flags,
		                   "phones", phones_json(ph, np), "options", opts);
		if (*reply == NULL)
			rc = MDG_ERR_NOMEM;
	}
	redflag_release(l);
	return rc;
}

/* ---- flows ---- */

static mdg_rc start(kb *k, const flow_set *s, chat_state *st, const char *flow_id,
                    const char *prefix, json_t **reply, char **err)
{
	flow_reply *fr = NULL;
	mdg_rc rc = flow_start(s, flow_id, &fr, err);
	if (rc == MDG_OK && prefix) {
		char *t = NULL;
		if (asprintf(&t, "%s%s", prefix, fr->text) < 0)
			rc = MDG_ERR_NOMEM;
		else {
			free(fr->text);
			fr->text = t;
		}
	}
	if (rc == MDG_OK)
		rc = finish(st, fr, reply);
	flow_reply_free(fr);
	(void)k;
	return rc;
}

mdg_rc api_flow_turn(kb *k, const char *bot, chat_state *st, const char *choice,
                     const char *msg, size_t len, json_t **reply, char **resume,
                     char **err)
{
	*reply = NULL;
	*resume = NULL;
	char *pos = strdup(api_flow_pos(st));
	if (pos == NULL)
		return MDG_ERR_NOMEM;
	flow_set *s = NULL;
	mdg_rc rc = active_set(k, bot, &s, err);
	if (rc != MDG_OK || s == NULL) {
		/* The bot's flows are gone: leave flows, answer normally. */
		api_flow_set_pos(st, NULL);
		free(pos);
		if (rc == MDG_OK && choice)
			rc = mdg_fail(err, MDG_ERR_INVALID, "no flow in progress");
		return rc;
	}
	flow_input in = {choice, msg, len};
	flow_reply *fr = NULL;
	rc = flow_step_input(s, kb_tagger(k), pos, &in, &fr, err);
	if (rc == MDG_ERR_NOTFOUND) {
		/* Content changed under the conversation: start its flow again
		 * if it still exists, else leave flows. */
		free(*err);
		*err = NULL;
		char id[FLOW_ID_MAX + 1];
		size_t n = strcspn(pos, "/");
		snprintf(id, sizeof id, "%.*s", (int)(n <= FLOW_ID_MAX ? n : 0), pos);
		api_flow_set_pos(st, NULL);
		rc = MDG_OK;
		if (flow_set_has(s, id))
			rc = start(k, s, st, id, T_CHANGED, reply, err);
		else if (choice)
			rc = mdg_fail(err, MDG_ERR_INVALID, "no flow in progress");
	} else if (rc == MDG_OK && fr->type == FLOW_REPLY_NOMATCH) {
		api_flow_set_pos(st, NULL);
		*resume = pos;
		pos = NULL;
	} else if (rc == MDG_OK) {
		rc = finish(st, fr, reply);
	}
	flow_reply_free(fr);
	flow_set_release(s);
	free(pos);
	return rc;
}

mdg_rc api_flow_reask(kb *k, const char *bot, chat_state *st, const char *pos,
                      json_t **reply, char **err)
{
	flow_set *s = NULL;
	mdg_rc rc = active_set(k, bot, &s, err);
	if (rc != MDG_OK || s == NULL)
		return rc;
	flow_reply *fr = NULL;
	rc = flow_render(s, pos, &fr, err);
	if (rc == MDG_OK && fr->type == FLOW_REPLY_QUESTION) {
		char *t = NULL;
		if (asprintf(&t, "%s%s", T_REASK, fr->text) < 0) {
			rc = MDG_ERR_NOMEM;
		} else {
			free(fr->text);
			fr->text = t;
			json_t *o = NULL;
			rc = finish(st, fr, &o);
			if (rc == MDG_OK) {
				json_decref(*reply);
				*reply = o;
			}
		}
	} else if (rc == MDG_ERR_NOTFOUND) {
		free(*err);
		*err = NULL;
		rc = MDG_OK; /* leave the fallback as it is */
	}
	flow_reply_free(fr);
	flow_set_release(s);
	return rc;
}

mdg_rc api_flow_start_qa(kb *k, const char *bot, chat_state *st, const kb_qa *qa,
                         json_t **reply, char **err)
{
	*reply = NULL;
	flow_set *s = NULL;
	mdg_rc rc = active_set(k, bot, &s, err);
	if (rc != MDG_OK || s == NULL || !flow_set_has(s, qa->flow)) {
		flow_set_release(s);
		return rc;
	}
	rc = start(k, s, st, qa->flow, NULL, reply, err);
	if (rc == MDG_OK) {
		/* The Q&A the resident asked: its answer introduces the flow. */
		json_object_set_new(*reply, "qa_id", json_string(qa->ext_id));
		json_object_set_new(*reply, "question", json_string(qa->question));
		set_nonempty(*reply, "intro", qa->answer);
	}
	flow_set_release(s);
	return rc;
}

mdg_rc api_flow_trigger(kb *k, const char *bot, chat_state *st, const char *msg,
                        size_t len, json_t **reply, char **err)
{
	*reply = NULL;
	flow_set *s = NULL;
	mdg_rc rc = active_set(k, bot, &s, err);
	if (rc != MDG_OK || s == NULL)
		return rc;
	const char *id = NULL;
	double score = 0;
	rc = flow_trigger_match(s, kb_tagger(k), msg, len, &id, &score, err);
	if (rc == MDG_OK && id && score >= API_FLOW_TRIGGER_MIN)
		rc = start(k, s, st, id, NULL, reply, err);
	else if (rc == MDG_ERR_UTF8 || rc == MDG_ERR_TOOBIG) {
		free(*err);
		*err = NULL;
		rc = MDG_OK;
	}
	flow_set_release(s);
	return rc;
}
