/* api_chat.h — POST /v1/bots/{bot}/chat, POST /v1/bots/{bot}/feedback and
 * GET /v1/bots/{bot}: the requests that address one bot (and so share its
 * existence and API-key checks). */
#ifndef SRV_API_CHAT_H
#define SRV_API_CHAT_H

#include "http.h"

/* {"message": "..."} or {"choice": "<option id>"}, plus "state" from the
 * previous reply; replies {"state": "...", "reply": {...}}. */
enum MHD_Result api_chat(http_req *r);

/* {"state", "qa_id", "helpful": bool, "comment"?}; replies {"ok": true}. */
enum MHD_Result api_feedback(http_req *r);

/* One bot's presentation {id, name, greeting, suggestions}: public bots
 * for anyone, internal bots only with their API key (401 otherwise), so a
 * staff widget can show its own name and greeting. */
enum MHD_Result api_bot_info(http_req *r);

#endif
