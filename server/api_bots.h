/* api_bots.h — GET /v1/bots, /healthz, /readyz, /metrics. */
#ifndef SRV_API_BOTS_H
#define SRV_API_BOTS_H

#include <jansson.h>

#include "config.h"
#include "http.h"

/* A bot's presentation {id, name, greeting, suggestions} from its config
 * (name defaults to the id); a new reference, NULL on allocation failure. */
json_t *api_bot_presentation(const char *id, const cfg_bot *b);

/* Public bots with an active knowledge base: id, name, greeting,
 * suggestions. Internal bots are never listed. */
enum MHD_Result api_bots_list(http_req *r);

/* Liveness: 200 while the process serves HTTP. */
enum MHD_Result api_healthz(http_req *r);

/* Readiness: 200 when start-up is complete, the database answers and no
 * shutdown is under way; else 503. */
enum MHD_Result api_readyz(http_req *r);

/* Prometheus text exposition. */
enum MHD_Result api_metrics(http_req *r);

#endif
