/* metrics.c — lock-free counters and their Prometheus rendering. */
#include "metrics.h"

#include <stdatomic.h>
#include <string.h>

#define MAX_ROUTES 16

static const unsigned statuses[] = {200, 204, 304, 400, 401, 403, 404, 405,
				    408, 413, 414, 429, 431, 500, 503};
#define NSTATUS (sizeof statuses / sizeof *statuses)
#define OTHER_STATUS NSTATUS /* index for anything not listed */

static const double buckets[] = {0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1,
				 0.25,  0.5,    1,     2.5,  5,     10};
#define NBUCKETS (sizeof buckets / sizeof *buckets)

static const char *const reply_types[] = {"answer",        "candidates", "fallback",
					  "flow",          "triage_result", "emergency",
					  "handoff"};
#define NREPLY (sizeof reply_types / sizeof *reply_types)

/* Route labels are set once by metrics_init before the server starts;
 * the counters below are the only mutable state and are atomic. */
static const char *const *route_names;
static size_t nroutes;
static atomic_uint_fast64_t requests[MAX_ROUTES][NSTATUS + 1];
static atomic_uint_fast64_t latency[MAX_ROUTES][NBUCKETS + 1];
static atomic_uint_fast64_t latency_sum_us[MAX_ROUTES];
static atomic_uint_fast64_t replies[NREPLY];
static atomic_uint_fast64_t searches[2]; /* miss, hit */

void metrics_init(const char *const *routes, size_t n)
{
	route_names = routes;
	nroutes = n < MAX_ROUTES ? n : MAX_ROUTES;
}

void metrics_request(size_t route, unsigned status, double seconds)
{
	if (route >= nroutes)
		return;
	size_t s = OTHER_STATUS;
	for (size_t i = 0; i < NSTATUS; i++)
		if (statuses[i] == status)
			s = i;
	atomic_fetch_add_explicit(&requests[route][s], 1, memory_order_relaxed);
	size_t b = NBUCKETS;
	for (size_t i = 0; i < NBUCKETS; i++)
		if (seconds <= buckets[i]) {
			b = i;
			break;
		}
	atomic_fetch_add_explicit(&latency[route][b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&latency_sum_us[route],
				  (uint_fast64_t)(seconds * 1e6), memory_order_relaxed);
}

void metrics_reply(const char *type)
{
	for (size_t i = 0; i < NREPLY; i++)
		if (strcmp(reply_types[i], type) == 0)
			atomic_fetch_add_explicit(&replies[i], 1, memory_order_relaxed);
}

void metrics_search(int cached)
{
	atomic_fetch_add_explicit(&searches[cached != 0], 1, memory_order_relaxed);
}

#define LOAD(x) ((unsigned long long)atomic_load_explicit(&(x), memory_order_relaxed))

mdg_rc metrics_render(mdg_buf *b, const metrics_gauges *g)
{
	mdg_rc rc = mdg_buf_adds(b,
				 "# HELP madoguchi_http_requests_total HTTP requests by "
				 "route and status.\n"
				 "# TYPE madoguchi_http_requests_total counter\n");
	for (size_t r = 0; r < nroutes && rc == MDG_OK; r++)
		for (size_t s = 0; s <= NSTATUS && rc == MDG_OK; s++) {
			unsigned long long v = LOAD(requests[r][s]);
			if (v == 0)
				continue;
			if (s == OTHER_STATUS)
				rc = mdg_buf_printf(b,
						    "madoguchi_http_requests_total{route=\"%s\","
						    "status=\"other\"} %llu\n",
						    route_names[r], v);
			else
				rc = mdg_buf_printf(b,
						    "madoguchi_http_requests_total{route=\"%s\","
						    "status=\"%u\"} %llu\n",
						    route_names[r], statuses[s], v);
		}
	if (rc == MDG_OK)
		rc = mdg_buf_adds(b, "# HELP madoguchi_http_request_duration_seconds "
				     "Request latency by route.\n"
				     "# TYPE madoguchi_http_request_duration_seconds "
				     "histogram\n");
	for (size_t r = 0; r < nroutes && rc == MDG_OK; r++) {
		unsigned long long cum = 0;
		for (size_t i = 0; i <= NBUCKETS && rc == MDG_OK; i++) {
			cum += LOAD(latency[r][i]);
			if (i < NBUCKETS)
				rc = mdg_buf_printf(b,
						    "madoguchi_http_request_duration_seconds_"
						    "bucket{route=\"%s\",le=\"%g\"} %llu\n",
						    route_names[r], buckets[i], cum);
			else
				rc = mdg_buf_printf(b,
						    "madoguchi_http_request_duration_seconds_"
						    "bucket{route=\"%s\",le=\"+Inf\"} %llu\n"
						    "madoguchi_http_request_duration_seconds_"
						    "sum{route=\"%s\"} %.6f\n"
						    "madoguchi_http_request_duration_seconds_"
						    "count{route=\"%s\"} %llu\n",
						    route_names[r], cum, route_names[r],
						    (double)LOAD(latency_sum_us[r]) / 1e6,
						    route_names[r], cum);
		}
	}
	if (rc == MDG_OK)
		rc = mdg_buf_adds(b, "# HELP madoguchi_chat_replies_total Chat replies "
				     "by type.\n"
				     "# TYPE madoguchi_chat_replies_total counter\n");
	for (size_t i = 0; i < NREPLY && rc == MDG_OK; i++)
		rc = mdg_buf_printf(b, "madoguchi_chat_replies_total{type=\"%s\"} %llu\n",
				    reply_types[i], LOAD(replies[i]));
	if (rc == MDG_OK)
		rc = mdg_buf_printf(
			b,
			"# HELP madoguchi_http_requests_in_flight Requests being "
			"processed.\n"
			"# TYPE madoguchi_http_requests_in_flight gauge\n"
			"madoguchi_http_requests_in_flight %llu\n"
			"# HELP madoguchi_rate_limited_total Requests refused with 429.\n"
			"# TYPE madoguchi_rate_limited_total counter\n"
			"madoguchi_rate_limited_total %llu\n"
			"# HELP madoguchi_turnlog_queued Turn log records waiting to be "
			"written.\n"
			"# TYPE madoguchi_turnlog_queued gauge\n"
			"madoguchi_turnlog_queued %llu\n"
			"# HELP madoguchi_turnlog_written_total Turn log records "
			"stored.\n"
			"# TYPE madoguchi_turnlog_written_total counter\n"
			"madoguchi_turnlog_written_total %llu\n"
			"# HELP madoguchi_turnlog_dropped_total Turn log records dropped "
			"because the queue was full.\n"
			"# TYPE madoguchi_turnlog_dropped_total counter\n"
			"madoguchi_turnlog_dropped_total %llu\n"
			"# HELP madoguchi_search_total Knowledge-base searches, by whether "
			"the result cache answered.\n"
			"# TYPE madoguchi_search_total counter\n"
			"madoguchi_search_total{cache=\"miss\"} %llu\n"
			"madoguchi_search_total{cache=\"hit\"} %llu\n"
			"# HELP madoguchi_uptime_seconds Seconds since start-up.\n"
			"# TYPE madoguchi_uptime_seconds gauge\n"
			"madoguchi_uptime_seconds %.0f\n",
			(unsigned long long)g->inflight, (unsigned long long)g->rate_limited,
			(unsigned long long)g->log_queued, (unsigned long long)g->log_written,
			(unsigned long long)g->log_dropped, LOAD(searches[0]), LOAD(searches[1]),
			g->uptime);
	return rc;
}
