/* api_chat.h — POST /v1/bots/{bot}/chat and POST /v1/bots/{bot}/feedback. */
#ifndef SRV_API_CHAT_H
#define SRV_API_CHAT_H

#include "http.h"

/* {"message": "..."} or {"choice": "<option id>"}, plus "state" from the
 * previous reply; replies {"state": "...", "reply": {...}}. */
enum MHD_Result api_chat(http_req *r);

/* {"state", "qa_id", "helpful": bool, "comment"?}; replies {"ok": true}. */
enum MHD_Result api_feedback(http_req *r);

#endif
