/* http.c — libmicrohttpd daemon, routing, request lifecycle, replies.
 *
 * Request lifecycle (MHD calls on_request several times per request):
 *   1st call  allocate the http_req, route it, refuse a declared body over
 *             the cap (413) before reading it;
 *   next      append body bytes up to limits.max_body (the rest of an
 *             over-long chunked body is discarded and answered 413);
 *   last      (upload_data_size 0) checks: URL length, method, rate limit,
 *             then the route's handler;
 *   completed on_completed records metrics and frees the http_req.
 *
 * Every response goes through http_send, which adds the security headers
 * and, for allowed origins only, the CORS headers. */
#include "http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <math.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "api_admin.h"
#include "api_bots.h"
#include "api_chat.h"
#include "log.h"
#include "metrics.h"
#include "static_files.h"

#define PAGE_CSP                                                               \
	"default-src 'self'; script-src 'self'; style-src 'self'; "            \
	"img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'"
#define API_CSP "default-src 'none'; frame-ancestors 'none'"
#define JSON_TYPE "application/json; charset=utf-8"

enum {
	R_API = 1,    /* JSON API: rate limit, CORS for the bot's origins */
	R_ADMIN = 2,  /* admin token checked before the body; never CORS */
	R_UPLOAD = 4, /* body up to admin.max_upload instead of limits.max_body */
	R_SLOW = 8,   /* may take seconds: runs on the slow lane (jobs.h) */
};
#define R_ADMIN_API (R_API | R_ADMIN)

typedef struct route {
	const char *label; /* metrics */
	const char *method;
	const char *pattern; /* "*" matches one path segment: the bot id */
	http_handler fn;
	int flags;
	const char *allow; /* all methods of this path */
} route;

static const route routes[] = {
	{"chat", "POST", "/v1/bots/*/chat", api_chat, R_API, "POST, OPTIONS"},
	{"feedback", "POST", "/v1/bots/*/feedback", api_feedback, R_API, "POST, OPTIONS"},
	{"bots", "GET", "/v1/bots", api_bots_list, R_API, "GET, HEAD, OPTIONS"},
	{"bot", "GET", "/v1/bots/*", api_bot_info, R_API, "GET, HEAD, OPTIONS"},
	{"healthz", "GET", "/healthz", api_healthz, 0, "GET, HEAD"},
	{"readyz", "GET", "/readyz", api_readyz, 0, "GET, HEAD"},
	{"metrics", "GET", "/metrics", api_metrics, 0, "GET, HEAD"},
	{"admin_me", "GET", "/v1/admin/me", api_admin_me, R_ADMIN_API, "GET, HEAD"},
	{"admin_import", "POST", "/v1/admin/bots/*/import", api_admin_import,
	 R_ADMIN_API | R_UPLOAD | R_SLOW, "POST"},
	{"admin_rollback", "POST", "/v1/admin/bots/*/rollback", api_admin_rollback,
	 R_ADMIN_API, "POST"},
	{"admin_export", "GET", "/v1/admin/bots/*/export", api_admin_export, R_ADMIN_API,
	 "GET, HEAD"},
	{"admin_template", "GET", "/v1/admin/bots/*/template", api_admin_template,
	 R_ADMIN_API, "GET, HEAD"},
	{"admin_unanswered", "GET", "/v1/admin/bots/*/unanswered", api_admin_unanswered,
	 R_ADMIN_API, "GET, HEAD"},
	{"admin_stats", "GET", "/v1/admin/bots/*/stats", api_admin_stats, R_ADMIN_API,
	 "GET, HEAD"},
	{"admin_flows", "POST", "/v1/admin/bots/*/flows", api_admin_flows_import,
	 R_ADMIN_API | R_UPLOAD | R_SLOW, "GET, HEAD, POST"},
	{"admin_flows_export", "GET", "/v1/admin/bots/*/flows", api_admin_flows_export,
	 R_ADMIN_API, "GET, HEAD, POST"},
	{"admin_flows_rollback", "POST", "/v1/admin/bots/*/flows/rollback",
	 api_admin_flows_rollback, R_ADMIN_API, "POST"},
};
#define NROUTES (sizeof routes / sizeof *routes)
/* Metrics labels for requests no route handles. */
enum { RT_STATIC = NROUTES, RT_PREFLIGHT, RT_OTHER, RT_COUNT };
/* Filled from routes[] by http_start, so a new route cannot shift them. */
static const char *route_labels[RT_COUNT];

/* The daemon and the listening socket; set by http_start before any
 * request and cleared by http_stop after the daemon has stopped. The
 * server accepts connections itself (accept_loop) and hands them to the
 * daemon: libmicrohttpd 0.9.75's MHD_quiesce_daemon(), the way to stop a
 * daemon's own accepting, races the epoll workers for removing the listen
 * socket from their sets and aborts the process at random ("Failed to
 * remove listen FD from epoll set", seen once in `make test`). */
static struct MHD_Daemon *daemon_;
static srv_jobs *slow_lane;
static int listen_fd = -1;
static pthread_t acceptor;
static int acceptor_running;
/* Requests between their first access-handler call and completion. */
static atomic_uint inflight;
/* Returned by on_uri as the request's initial context to flag a raw URI
 * (before MHD decodes it) that is too long or encodes a NUL byte; never
 * written, so no allocation can leak if the request dies early. */
static const char uri_too_long_mark, uri_nul_mark;

unsigned http_inflight(void)
{
	return atomic_load(&inflight);
}

const char *http_header(http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_HEADER_KIND, name);
}

unsigned http_status_for(mdg_rc rc)
{
	switch (rc) {
	case MDG_OK: return MHD_HTTP_OK;
	case MDG_ERR_INVALID:
	case MDG_ERR_UTF8:
	case MDG_ERR_FORMAT:
	case MDG_ERR_VALIDATION: return MHD_HTTP_BAD_REQUEST;
	case MDG_ERR_TOOBIG: return MHD_HTTP_CONTENT_TOO_LARGE;
	case MDG_ERR_NOTFOUND: return MHD_HTTP_NOT_FOUND;
	case MDG_ERR_AUTH: return MHD_HTTP_UNAUTHORIZED;
	case MDG_ERR_NOMEM:
	case MDG_ERR_IO:
	case MDG_ERR_DB:
	case MDG_ERR_MECAB:
	case MDG_ERR_CONFIG: return MHD_HTTP_INTERNAL_SERVER_ERROR;
	}
	return MHD_HTTP_INTERNAL_SERVER_ERROR;
}

enum MHD_Result http_send(http_req *r, unsigned status, struct MHD_Response *resp,
			  int html)
{
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	MHD_add_response_header(resp, "Content-Security-Policy", html ? PAGE_CSP : API_CSP);
	if (MHD_get_response_header(resp, "Cache-Control") == NULL)
		MHD_add_response_header(resp, "Cache-Control", "no-store");
	if (r->api) {
		MHD_add_response_header(resp, "Vary", "Origin");
		/* Only origins listed in the configuration, never "*". */
		if (r->origin)
			MHD_add_response_header(resp, "Access-Control-Allow-Origin",
						r->origin);
	}
	if (r->deferred) { /* on the slow lane: queued once resumed */
		if (r->pending) {
			MHD_destroy_response(resp);
			return MHD_NO;
		}
		r->pending = resp;
		r->pending_status = status;
		return MHD_YES;
	}
	enum MHD_Result ret = MHD_queue_response(r->conn, status, resp);
	if (ret == MHD_YES)
		r->status = status;
	MHD_destroy_response(resp);
	return ret;
}

/* Copies s into buf with control characters replaced (log injection). */
static const char *log_safe(const char *s, char *buf, size_t n)
{
	size_t i = 0;
	for (; s[i] && i + 1 < n; i++)
		buf[i] = (unsigned char)s[i] < 0x20 || s[i] == 0x7f ? '?' : s[i];
	buf[i] = '\0';
	return buf;
}

static struct MHD_Response *json_response(json_t *j)
{
	char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
	json_decref(j);
	if (s == NULL)
		return NULL;
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(s);
		return NULL;
	}
	MHD_add_response_header(resp, "Content-Type", JSON_TYPE);
	return resp;
}

enum MHD_Result http_reply_json_steal(http_req *r, unsigned status, json_t *j)
{
	return http_send(r, status, json_response(j), 0);
}

static struct MHD_Response *error_response(const char *code, const char *message)
{
	return json_response(json_pack("{s:{s:s, s:s}}", "error", "code", code,
				       "message", message));
}

enum MHD_Result http_reply_error(http_req *r, unsigned status, const char *code,
				 const char *message)
{
	return http_send(r, status, error_response(code, message), 0);
}

enum MHD_Result http_reply_rc(http_req *r, mdg_rc rc, const char *message)
{
	unsigned status = http_status_for(rc);
	if (status >= 500) {
		/* Server-side detail goes to the log, not to the client. */
		char url[256];
		srv_log(SRV_LOG_ERROR, "%s %s: %s", r->method, log_safe(r->url, url, sizeof url),
			message ? message : mdg_strerror(rc));
		message = "サーバーで問題が発生しました。しばらくしてからもう一度お試しください。";
	}
	return http_reply_error(r, status, mdg_code_name(rc),
				message ? message : mdg_strerror(rc));
}

/* Matches url against pattern; the "*" segment is copied into bot. */
static int match(const char *pattern, const char *url, char *bot, size_t botn)
{
	while (*pattern && *url) {
		if (*pattern == '*') {
			size_t n = strcspn(url, "/");
			if (n == 0)
				return 0;
			if (n < botn) {
				memcpy(bot, url, n);
				bot[n] = '\0';
			} else {
				bot[0] = '\0'; /* too long for a bot id: unknown bot */
			}
			url += n;
			pattern++;
			continue;
		}
		if (*pattern != *url)
			return 0;
		pattern++;
		url++;
	}
	return *pattern == '\0' && *url == '\0';
}

static int method_is(const char *m, const char *want)
{
	return strcmp(m, want) == 0 || (strcmp(want, "GET") == 0 && strcmp(m, "HEAD") == 0);
}

/* Routes r: sets r->route, handler, api and allow. */
static void route_request(http_req *r)
{
	r->route = RT_OTHER;
	/* The first route whose path and method match; else the first whose
	 * path matches (405 or a CORS preflight). */
	size_t hit = NROUTES;
	for (size_t i = 0; i < NROUTES; i++) {
		char bot[KB_BOT_NAME_MAX + 1] = "";
		if (!match(routes[i].pattern, r->url, bot, sizeof bot))
			continue;
		if (hit == NROUTES || method_is(r->method, routes[i].method)) {
			hit = i;
			memcpy(r->bot, bot, sizeof bot);
		}
		if (method_is(r->method, routes[i].method))
			break;
	}
	if (hit < NROUTES) {
		r->api = (routes[hit].flags & R_API) != 0;
		r->admin = (routes[hit].flags & R_ADMIN) != 0;
		r->allow = routes[hit].allow;
		if (method_is(r->method, routes[hit].method)) {
			r->route = hit;
			r->handler = routes[hit].fn;
			r->slow = (routes[hit].flags & R_SLOW) != 0;
			if (routes[hit].flags & R_UPLOAD)
				r->body.limit = (size_t)r->app->cfg->admin.max_upload;
		} else if (strcmp(r->method, "OPTIONS") == 0 && r->api) {
			r->route = RT_PREFLIGHT;
		}
		return;
	}
	if (strncmp(r->url, "/v1/", 4) == 0 || strcmp(r->url, "/v1") == 0) {
		r->api = 1;
		return;
	}
	r->allow = "GET, HEAD";
	if (method_is(r->method, "GET")) {
		r->route = RT_STATIC;
		r->handler = static_serve;
	}
}

static enum MHD_Result preflight(http_req *r)
{
	const char *origin = http_header(r, "Origin");
	if (r->origin == NULL) {
		/* Preflights from other sites learn nothing but the refusal. */
		srv_log(SRV_LOG_DEBUG, "CORS preflight from unlisted origin %s",
			origin ? origin : "(none)");
		return http_reply_error(r, MHD_HTTP_FORBIDDEN, "origin_not_allowed",
					"このサイトからの利用は許可されていません。");
	}
	struct MHD_Response *resp =
		MHD_create_response_from_buffer(0, NULL, MHD_RESPMEM_PERSISTENT);
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Access-Control-Allow-Methods", r->allow);
	MHD_add_response_header(resp, "Access-Control-Allow-Headers",
				"Content-Type, Authorization");
	MHD_add_response_header(resp, "Access-Control-Max-Age", "600");
	return http_send(r, MHD_HTTP_NO_CONTENT, resp, 0);
}

static enum MHD_Result method_not_allowed(http_req *r)
{
	struct MHD_Response *resp = error_response(
		"method_not_allowed", "このURLではそのメソッドは使えません。");
	if (resp == NULL)
		return MHD_NO;
	MHD_add_response_header(resp, "Allow", r->allow);
	return http_send(r, MHD_HTTP_METHOD_NOT_ALLOWED, resp, 0);
}

static enum MHD_Result too_many(http_req *r, int wait)
{
	struct MHD_Response *resp = error_response(
		"rate_limited",
		"短時間に多くのリクエストがありました。少し待ってからもう一度お試しください。");
	if (resp == NULL)
		return MHD_NO;
	char buf[16];
	snprintf(buf, sizeof buf, "%d", wait);
	MHD_add_response_header(resp, "Retry-After", buf);
	atomic_fetch_add(&r->app->rate_limited, 1);
	return http_send(r, MHD_HTTP_TOO_MANY_REQUESTS, resp, 0);
}

static enum MHD_Result body_too_large(http_req *r)
{
	return http_reply_error(r, MHD_HTTP_CONTENT_TOO_LARGE, "body_too_large",
				"送信されたデータが大きすぎます。");
}

/* On the slow lane: builds the response, then hands the connection back
 * to its worker, which queues it (on_request). */
static void run_slow(srv_job *job)
{
	http_req *r = (http_req *)((char *)job - offsetof(http_req, job));
	r->handler(r);
	if (r->pending == NULL) /* the handler gave up without a reply */
		http_reply_rc(r, MDG_ERR_IO, NULL);
	MHD_resume_connection(r->conn);
}

/* Everything but the handler itself, once the body is in. */
static enum MHD_Result dispatch(http_req *r)
{
	if (r->uri_too_long || strlen(r->url) > HTTP_MAX_URL)
		return http_reply_error(r, MHD_HTTP_URI_TOO_LONG, "uri_too_long",
					"URLが長すぎます。");
	if (r->uri_nul)
		return http_reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_url",
					"URLに使えない文字が含まれています。");
	if (r->body_too_big)
		return body_too_large(r);
	if (r->route == RT_PREFLIGHT)
		return preflight(r);
	if (r->handler == NULL) {
		if (r->allow == NULL)
			return http_reply_error(r, MHD_HTTP_NOT_FOUND, "not_found",
						"ページが見つかりません。");
		return method_not_allowed(r);
	}
	if (r->api && !r->gated) {
		int wait = ratelimit_take(r->app->rl, r->addr, r->addrlen, app_now());
		if (wait > 0)
			return too_many(r, wait);
	}
	if (r->slow && slow_lane) {
		/* Suspended before it is queued, so the lane's resume always
		 * follows the suspend. */
		r->deferred = 1;
		MHD_suspend_connection(r->conn);
		r->job.run = run_slow;
		srv_jobs_submit(slow_lane, &r->job);
		return MHD_YES;
	}
	return r->handler(r);
}

/* Admin routes: rate limit and token check on the first callback, so an
 * upload without a valid token is refused before its body is read.
 * Returns 1 to go on reading the request. */
static int admin_gate(http_req *r, enum MHD_Result *ret)
{
	r->gated = 1;
	int wait = ratelimit_take(r->app->rl, r->addr, r->addrlen, app_now());
	if (wait > 0) {
		*ret = too_many(r, wait);
		return 0;
	}
	return api_admin_authorize(r, ret);
}

/* Behind a reverse proxy (limits.trust_proxy), the client is the last
 * address in X-Forwarded-For: the one the proxy itself appended. Earlier
 * entries come from the client and are not trusted. */
static void forwarded_address(http_req *r)
{
	const char *h = http_header(r, "X-Forwarded-For");
	if (h == NULL)
		return;
	const char *last = strrchr(h, ',');
	last = last ? last + 1 : h;
	while (*last == ' ' || *last == '\t')
		last++;
	char ip[INET6_ADDRSTRLEN];
	size_t n = strcspn(last, " \t");
	if (n == 0 || n >= sizeof ip)
		return;
	memcpy(ip, last, n);
	ip[n] = '\0';
	unsigned char buf[16];
	if (inet_pton(AF_INET, ip, buf) == 1) {
		memcpy(r->addr, buf, 4);
		r->addrlen = 4;
	} else if (inet_pton(AF_INET6, ip, buf) == 1) {
		memcpy(r->addr, buf, 8); /* one bucket per /64, as for direct peers */
		r->addrlen = 8;
	} else {
		return;
	}
	snprintf(r->client, sizeof r->client, "%s", ip);
}

static void client_address(http_req *r)
{
	const union MHD_ConnectionInfo *ci =
		MHD_get_connection_info(r->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	snprintf(r->client, sizeof r->client, "?");
	if (ci == NULL || ci->client_addr == NULL)
		return;
	const struct sockaddr *sa = ci->client_addr;
	if (sa->sa_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)(const void *)sa;
		memcpy(r->addr, &in->sin_addr, 4);
		r->addrlen = 4;
		inet_ntop(AF_INET, &in->sin_addr, r->client, sizeof r->client);
	} else if (sa->sa_family == AF_INET6) {
		const struct sockaddr_in6 *in6 =
			(const struct sockaddr_in6 *)(const void *)sa;
		/* One bucket per /64: a single client controls a whole one. */
		memcpy(r->addr, &in6->sin6_addr, 8);
		r->addrlen = 8;
		inet_ntop(AF_INET6, &in6->sin6_addr, r->client, sizeof r->client);
	}
	if (r->app->cfg->limits.trust_proxy)
		forwarded_address(r);
}

static void *on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	if (strlen(uri) > HTTP_MAX_URL)
		return (void *)&uri_too_long_mark;
	if (strstr(uri, "%00"))
		return (void *)&uri_nul_mark;
	return NULL;
}

static int is_mark(const void *p)
{
	return p == &uri_too_long_mark || p == &uri_nul_mark;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn,
				  const char *url, const char *method,
				  const char *version, const char *upload_data,
				  size_t *upload_data_size, void **con_cls)
{
	srv_app *app = cls;
	http_req *r = *con_cls;
	if (r == NULL || is_mark(r)) {
		const void *mark = r;
		r = calloc(1, sizeof *r);
		if (r == NULL)
			return MHD_NO;
		atomic_fetch_add(&inflight, 1);
		r->uri_too_long = mark == &uri_too_long_mark;
		r->uri_nul = mark == &uri_nul_mark;
		r->conn = conn;
		r->app = app;
		r->method = method;
		r->url = url;
		r->start = app_now();
		r->body.limit = (size_t)app->cfg->limits.max_body;
		*con_cls = r;
		client_address(r);
		route_request(r);
		/* Admin routes never answer the bots' public origins (CORS). */
		if (r->api && !r->admin) {
			const char *origin = http_header(r, "Origin");
			if (srv_config_origin_allowed(app->cfg, r->bot[0] ? r->bot : NULL,
						      origin))
				r->origin = origin;
		}
		/* Admin routes: no body is read without a valid token. */
		if (r->admin && r->handler && !r->uri_too_long && !r->uri_nul) {
			enum MHD_Result ret = MHD_YES;
			if (!admin_gate(r, &ret)) {
				r->early = 1;
				return ret;
			}
		}
		/* A declared body over the cap is refused before it is read. */
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
							     MHD_HTTP_HEADER_CONTENT_LENGTH);
		if (cl) {
			char *end = NULL;
			unsigned long long n = strtoull(cl, &end, 10);
			if (end != cl && *end == '\0' && n > (unsigned long long)r->body.limit) {
				r->early = 1;
				return body_too_large(r);
			}
		}
		return MHD_YES;
	}
	if (*upload_data_size > 0) {
		if (!r->early && !r->body_too_big &&
		    mdg_buf_add(&r->body, upload_data, *upload_data_size) != MDG_OK) {
			r->body_too_big = 1;
			mdg_buf_free(&r->body);
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	if (r->early)
		return MHD_YES;
	if (r->deferred) { /* resumed: the slow lane's response */
		struct MHD_Response *resp = r->pending;
		r->pending = NULL;
		if (resp == NULL)
			return MHD_NO;
		enum MHD_Result ret = MHD_queue_response(conn, r->pending_status, resp);
		if (ret == MHD_YES)
			r->status = r->pending_status;
		MHD_destroy_response(resp);
		return ret;
	}
	return dispatch(r);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
			 enum MHD_RequestTerminationCode toe)
{
	srv_app *app = cls;
	http_req *r = *con_cls;
	if (r == NULL || is_mark(r))
		return;
	double secs = app_now() - r->start;
	if (r->status)
		metrics_request(r->route, r->status, secs);
	if (app->cfg->log.access) {
		char url[256];
		srv_log(SRV_LOG_INFO, "%s %s %s %u %.1fms%s", r->client, r->method,
			log_safe(r->url, url, sizeof url), r->status, secs * 1000,
			toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
	}
	if (r->pending)
		MHD_destroy_response(r->pending);
	mdg_buf_free(&r->body);
	free(r);
	*con_cls = NULL;
	atomic_fetch_sub(&inflight, 1);
}

static void mhd_log(void *cls, const char *fmt, va_list ap)
	__attribute__((format(printf, 2, 0)));

static void mhd_log(void *cls, const char *fmt, va_list ap)
{
	char buf[512];
	vsnprintf(buf, sizeof buf, fmt, ap);
	size_t n = strlen(buf);
	while (n > 0 && buf[n - 1] == '\n')
		buf[--n] = '\0';
	srv_log(SRV_LOG_DEBUG, "libmicrohttpd: %s", buf);
}

/* Accepts connections until http_stop shuts the socket down (accept then
 * fails with EINVAL) and gives each to the daemon, which spreads them over
 * its workers (and closes one over the connection limit). */
static void *accept_loop(void *arg)
{
	(void)arg;
	for (;;) {
		struct sockaddr_storage ss;
		socklen_t len = sizeof ss;
		int s = accept4(listen_fd, (struct sockaddr *)&ss, &len, SOCK_CLOEXEC);
		if (s >= 0) {
			MHD_add_connection(daemon_, s, (struct sockaddr *)&ss, len);
			continue;
		}
		if (errno == EINTR || errno == ECONNABORTED || errno == EPROTO)
			continue;
		if (errno == EMFILE || errno == ENFILE || errno == ENOBUFS || errno == ENOMEM) {
			struct timespec ts = {0, 10 * 1000000L}; /* out of descriptors */
			nanosleep(&ts, NULL);
			continue;
		}
		return NULL; /* shut down */
	}
}

/* The listening socket on sa (port 0: any free port). */
static mdg_rc listen_on(const struct sockaddr *sa, socklen_t salen, int backlog,
			const char *addr, char **err)
{
	listen_fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
	int on = 1;
	if (listen_fd < 0 ||
	    setsockopt(listen_fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof on) != 0 ||
	    (sa->sa_family == AF_INET6 &&
	     setsockopt(listen_fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof on) != 0) ||
	    bind(listen_fd, sa, salen) != 0 || listen(listen_fd, backlog) != 0) {
		int e = errno;
		if (listen_fd >= 0)
			close(listen_fd);
		listen_fd = -1;
		return mdg_fail(err, MDG_ERR_IO,
				"cannot listen on %s: %s (address in use or not available?)", addr,
				strerror(e));
	}
	return MDG_OK;
}

mdg_rc http_start(srv_app *a, char **err)
{
	char host[64];
	unsigned port;
	if (srv_parse_listen(a->cfg->listen, host, sizeof host, &port))
		return mdg_fail(err, MDG_ERR_CONFIG, "invalid listen address '%s'",
				a->cfg->listen);
	struct sockaddr_in in4;
	struct sockaddr_in6 in6;
	const struct sockaddr *sa;
	unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
			 MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_NO_LISTEN_SOCKET;
	socklen_t salen;
	memset(&in4, 0, sizeof in4);
	memset(&in6, 0, sizeof in6);
	if (inet_pton(AF_INET, host, &in4.sin_addr) == 1) {
		in4.sin_family = AF_INET;
		in4.sin_port = htons((uint16_t)port);
		sa = (const struct sockaddr *)&in4;
		salen = sizeof in4;
	} else if (inet_pton(AF_INET6, host, &in6.sin6_addr) == 1) {
		in6.sin6_family = AF_INET6;
		in6.sin6_port = htons((uint16_t)port);
		sa = (const struct sockaddr *)&in6;
		salen = sizeof in6;
		flags |= MHD_USE_IPv6;
	} else {
		return mdg_fail(err, MDG_ERR_CONFIG,
				"listen: '%s' is not a numeric IPv4 or IPv6 address", host);
	}
	for (size_t i = 0; i < NROUTES; i++)
		route_labels[i] = routes[i].label;
	route_labels[RT_STATIC] = "static";
	route_labels[RT_PREFLIGHT] = "preflight";
	route_labels[RT_OTHER] = "other";
	metrics_init(route_labels, RT_COUNT);
	/* Before the daemon: its workers read slow_lane. */
	mdg_rc rc = srv_jobs_start(&slow_lane, err);
	if (rc != MDG_OK)
		return rc;
	const srv_config *c = a->cfg;
	if ((rc = listen_on(sa, salen, 128, c->listen, err)) != MDG_OK) {
		srv_jobs_stop(slow_lane);
		slow_lane = NULL;
		return rc;
	}
	daemon_ = MHD_start_daemon(
		flags, 0, NULL, NULL, on_request, a,
		MHD_OPTION_THREAD_POOL_SIZE, (unsigned int)srv_config_threads(c),
		MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int)c->limits.connection_timeout,
		MHD_OPTION_CONNECTION_LIMIT, (unsigned int)c->limits.max_connections,
		MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(64 * 1024),
		MHD_OPTION_NOTIFY_COMPLETED, on_completed, a,
		MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
		MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
	if (daemon_ == NULL || pthread_create(&acceptor, NULL, accept_loop, NULL) != 0) {
		if (daemon_)
			MHD_stop_daemon(daemon_);
		daemon_ = NULL;
		close(listen_fd);
		listen_fd = -1;
		srv_jobs_stop(slow_lane);
		slow_lane = NULL;
		return mdg_fail(err, MDG_ERR_IO, "cannot start the HTTP daemon on %s", c->listen);
	}
	acceptor_running = 1;
	struct sockaddr_storage bound_sa;
	socklen_t bl = sizeof bound_sa;
	unsigned bound = port;
	if (getsockname(listen_fd, (struct sockaddr *)&bound_sa, &bl) == 0)
		bound = ntohs(bound_sa.ss_family == AF_INET6
				      ? ((struct sockaddr_in6 *)&bound_sa)->sin6_port
				      : ((struct sockaddr_in *)&bound_sa)->sin_port);
	srv_log(SRV_LOG_INFO, "listening on http://%s%s%s:%u/ (%d threads, database %s)",
		sa->sa_family == AF_INET6 ? "[" : "", host,
		sa->sa_family == AF_INET6 ? "]" : "", bound, srv_config_threads(c), c->database);
	return MDG_OK;
}

void http_stop(srv_app *a, int timeout, const sigset_t *sigs)
{
	if (daemon_ == NULL)
		return;
	/* Stop listening now, so new clients are refused instead of left
	 * hanging: shutdown() ends the acceptor's accept(), and the kernel
	 * refuses connections from then on. */
	if (listen_fd >= 0)
		shutdown(listen_fd, SHUT_RDWR);
	if (acceptor_running)
		pthread_join(acceptor, NULL);
	acceptor_running = 0;
	double until = app_now() + timeout;
	unsigned n;
	while ((n = http_inflight()) > 0 && app_now() < until) {
		struct timespec ts = {0, 20 * 1000000L};
		if (sigs && sigtimedwait(sigs, NULL, &ts) > 0) {
			srv_log(SRV_LOG_WARN, "second signal: not waiting for %u requests", n);
			break;
		}
		if (sigs == NULL)
			nanosleep(&ts, NULL);
	}
	if ((n = http_inflight()) > 0)
		srv_log(SRV_LOG_WARN, "stopping with %u requests unfinished", n);
	/* No suspended connection may outlive the daemon: the lane finishes
	 * its jobs (each resumes its connection), then the daemon stops. */
	srv_jobs_stop(slow_lane);
	slow_lane = NULL;
	MHD_stop_daemon(daemon_);
	daemon_ = NULL;
	if (listen_fd >= 0)
		close(listen_fd);
	listen_fd = -1;
	(void)a;
}
