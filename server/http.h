/* http.h — the HTTP layer: libmicrohttpd daemon, route table, per-request
 * context, body caps, JSON replies and errors, security headers, CORS.
 *
 * Endpoint modules (api_chat.c, api_bots.c, static_files.c) receive an
 * http_req once its body has been read completely and reply with one of
 * the http_reply_* functions, each of which queues exactly one response. */
#ifndef SRV_HTTP_H
#define SRV_HTTP_H

#include <jansson.h>
#include <microhttpd.h>
#include <signal.h>
#include <stddef.h>
#include <sys/socket.h>

#include "../kb/kb.h"
#include "../nlp/mdg.h"
#include "app.h"
#include "jobs.h"

#define HTTP_MAX_URL 2048

typedef struct http_req http_req;
typedef enum MHD_Result (*http_handler)(http_req *r);

struct http_req {
	struct MHD_Connection *conn;
	srv_app *app;
	const char *method; /* "GET", "POST", ... (MHD's string) */
	const char *url;    /* decoded path, without the query string */
	size_t route;       /* index into the route table (metrics label) */
	char bot[KB_BOT_NAME_MAX + 1]; /* {bot} of /v1/bots/{bot}/... or "" */
	const char *origin; /* allowed Origin to echo in CORS headers, or NULL */
	mdg_buf body;
	int body_too_big;
	int early; /* a response was queued before the body was read */
	int uri_too_long, uri_nul; /* from the raw (undecoded) URI */
	unsigned status; /* the status sent, 0 until a response is queued */
	double start;
	unsigned char addr[16]; /* client address bytes (rate limiting) */
	size_t addrlen;
	char client[64]; /* client address as text (logs) */
	/* set by routing */
	http_handler handler;
	int api;           /* a /v1/ API route: JSON, CORS, rate limit */
	int admin;         /* an admin route (token checked before the body) */
	int gated;         /* rate limit already taken (admin routes) */
	int slow;          /* handled on the slow lane (jobs.h), not a worker */
	const char *allow; /* methods of the matched path (405, preflight) */
	/* slow lane: the connection is suspended while the job runs, and the
	 * response it builds waits here until the connection is resumed */
	srv_job job;
	int deferred;
	struct MHD_Response *pending;
	unsigned pending_status;
};

/* Starts the daemon on cfg listen address; logs the bound address. */
mdg_rc http_start(srv_app *a, char **err);

/* Graceful stop: no new connections, wait up to timeout seconds (or until
 * another signal in *sigs arrives) for in-flight requests, then stop. */
void http_stop(srv_app *a, int timeout, const sigset_t *sigs);

/* Requests being processed right now. */
unsigned http_inflight(void);

/* A request header (case-insensitive name), NULL if absent. */
const char *http_header(http_req *r, const char *name);

/* Sends j (reference consumed) as JSON with status. */
enum MHD_Result http_reply_json_steal(http_req *r, unsigned status, json_t *j);

/* Sends {"error": {"code": code, "message": message}}. */
enum MHD_Result http_reply_error(http_req *r, unsigned status, const char *code,
				 const char *message);

/* The same for a library return code: status and code from rc
 * (mdg_code_name), message as given (or a generic one for server-side
 * failures, whose detail is logged instead of sent). */
enum MHD_Result http_reply_rc(http_req *r, mdg_rc rc, const char *message);

/* HTTP status for a library return code. */
unsigned http_status_for(mdg_rc rc);

/* Sends a prepared response (destroyed here) after adding the common
 * headers; html selects the page Content-Security-Policy. */
enum MHD_Result http_send(http_req *r, unsigned status, struct MHD_Response *resp,
			  int html);

#endif
