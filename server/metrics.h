/* metrics.h — counters for GET /metrics (Prometheus text format 0.0.4).
 *
 * Requests by route and status, a request latency histogram by route,
 * replies by type, and gauges supplied by other modules at render time.
 * Counters are C11 atomics: recording never takes a lock. */
#ifndef SRV_METRICS_H
#define SRV_METRICS_H

#include <stddef.h>
#include <stdint.h>

#include "../nlp/mdg.h"

/* Route labels, in the order of the ids passed to metrics_request. */
void metrics_init(const char *const *routes, size_t nroutes);

/* One finished request: route id, HTTP status, latency in seconds. */
void metrics_request(size_t route, unsigned status, double seconds);

/* One chat reply of the given type ("answer", "candidates", "fallback",
 * "flow", "triage_result", "emergency", "handoff"). */
void metrics_reply(const char *type);

/* One knowledge-base search, answered from the result cache or not. */
void metrics_search(int cached);

/* Extra values rendered with the counters. */
typedef struct metrics_gauges {
	uint64_t inflight;       /* requests being processed */
	uint64_t log_queued;     /* turn log records waiting */
	uint64_t log_written;    /* turn log records stored */
	uint64_t log_dropped;    /* dropped because the queue was full */
	uint64_t rate_limited;   /* requests answered 429 */
	double uptime;           /* seconds */
} metrics_gauges;

/* Appends the whole exposition to b. */
mdg_rc metrics_render(mdg_buf *b, const metrics_gauges *g);

#endif
