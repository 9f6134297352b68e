/* api_flow.h — decision trees and red flags in the chat API.
 *
 * Called from a few hooks in api_chat.c:
 *   1. every message, in every bot, is checked for red flags first
 *      (api_flow_redflags → reply type "emergency", urgency level 1);
 *   2. when the state holds a flow position, a choice or message goes to
 *      the flow (api_flow_turn); typed text that names no option falls
 *      through to the FAQ search, and if that finds nothing the question
 *      is asked again (api_flow_reask);
 *   3. an answered Q&A whose `flow` column names a flow starts it
 *      (api_flow_start_qa), and so does a flow's trigger phrase when the
 *      search has no clear answer (api_flow_trigger).
 *
 * The position travels in the signed state's extension object as
 * {"f": "flow/choice/..."}; no server-side session. Flow replies use the
 * chat API's options [{"id", "label"}] (+ "kind": next, handoff, back,
 * restart, quit, resume) and choice mechanism, so a client can walk any
 * flow without knowing it. Reply types: flow, answer, triage_result,
 * handoff, emergency, flow_end (see docs in flow.h). */
#ifndef SRV_API_FLOW_H
#define SRV_API_FLOW_H

#include <jansson.h>

#include "../kb/kb.h"
#include "../kb/kb_search.h"
#include "state.h"

/* Minimum trigger score that starts a flow (a trigger phrase contained in
 * the message scores 0.85 or more; see flow_phrase_score). */
#define API_FLOW_TRIGGER_MIN 0.85

/* The flow position in st, "" when not in a flow. */
const char *api_flow_pos(const chat_state *st);

/* Sets (pos "" or NULL: removes) the position in st. */
mdg_rc api_flow_set_pos(chat_state *st, const char *pos);

/* Red flags: if msg shows signs of a life-threatening emergency, *reply
 * is the emergency reply (the position is kept, and "resume" offered when
 * in a flow); else *reply stays NULL. */
mdg_rc api_flow_redflags(kb *k, const char *bot, chat_state *st, const char *msg,
                         size_t len, json_t **reply, char **err);

/* A turn while st holds a position: a choice (msg NULL) or a message.
 * *reply NULL means the message named nothing the flow offers: the
 * position has been removed from st, *resume (malloc'd) holds it for
 * api_flow_reask, and the caller searches the FAQ. MDG_ERR_INVALID: the
 * choice is not offered at the current node (400). A position the content
 * no longer has restarts its flow (or leaves flows if it is gone). */
mdg_rc api_flow_turn(kb *k, const char *bot, chat_state *st, const char *choice,
                     const char *msg, size_t len, json_t **reply, char **resume,
                     char **err);

/* Replaces *reply (consumed) with the question at pos asked again, and
 * puts the position back into st. */
mdg_rc api_flow_reask(kb *k, const char *bot, chat_state *st, const char *pos,
                      json_t **reply, char **err);

/* Starts the flow qa links; *reply NULL if the bot has no such flow (the
 * Q&A is then answered as usual). */
mdg_rc api_flow_start_qa(kb *k, const char *bot, chat_state *st, const kb_qa *qa,
                         json_t **reply, char **err);

/* Starts the flow whose trigger phrase msg contains; *reply NULL if none
 * scores API_FLOW_TRIGGER_MIN. */
mdg_rc api_flow_trigger(kb *k, const char *bot, chat_state *st, const char *msg,
                        size_t len, json_t **reply, char **err);

/* The reply's "type" (for metrics and the turn log); "" if none. The
 * string lives as long as the reply. */
const char *api_flow_reply_type(json_t *reply);

#endif
