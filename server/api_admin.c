/* api_admin.c — the admin API: token checks, spreadsheet import (dry run,
 * row-level problems, atomic swap), rollback, export, template and flow
 * files (see api_admin.h; unanswered questions and statistics are in
 * admin_report.c).
 *
 * Reads use the worker's read-only handle. A write (import, rollback,
 * flow import) opens a handle of its own for the duration of the request:
 * kb_import builds the new version next to the active one and switches
 * bots.active_version in one write transaction, so the other workers keep
 * answering from the old version until the commit and from the new one
 * after it — never a mix, and no request waits for the import. */
#include "api_admin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "../kb/flow_store.h"
#include "../kb/kb_export.h"
#include "../kb/kb_import.h"
#include "../kb/kb_keys.h"
#include "../nlp/norm.h"
#include "admin_internal.h"
#include "log.h"

#define MAX_AUTH_HEADER 512
#define MAX_FILENAME    200 /* bytes of ?filename= kept in the version's source */

#define XLSX_TYPE "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

/* ---------- shared helpers (admin_internal.h) ---------- */

static const char *arg(http_req *r, const char *name)
{
	return MHD_lookup_connection_value(r->conn, MHD_GET_ARGUMENT_KIND, name);
}

int admin_arg_int(http_req *r, const char *name, long def, long min, long max, long *out,
                  enum MHD_Result *ret)
{
	const char *v = arg(r, name);
	*out = def;
	if (v == NULL || v[0] == '\0')
		return 0;
	char *end = NULL;
	long n = strtol(v, &end, 10);
	if (end == v || *end || n < min || n > max) {
		char msg[160];
		snprintf(msg, sizeof msg,
		         "%s は %ld から %ld までの整数で指定してください。", name, min,
		         max);
		*ret = http_reply_error(r, MHD_HTTP_BAD_REQUEST, "invalid_argument", msg);
		return -1;
	}
	*out = n;
	return 0;
}

int admin_arg_bool(http_req *r, const char *name)
{
	const char *v = arg(r, name);
	return v && (!strcmp(v, "1") || !strcasecmp(v, "true") || !strcasecmp(v, "yes"));
}

int admin_arg_format(http_req *r, sheet_format def, sheet_format *out, int *json,
                     enum MHD_Result *ret)
{
	const char *v = arg(r, "format");
	*out = def;
	if (json)
		*json = 0;
	if (v == NULL || v[0] == '\0')
		return 0;
	if (!strcmp(v, "xlsx"))
		*out = SHEET_XLSX;
	else if (!strcmp(v, "csv"))
		*out = SHEET_CSV;
	else if (!strcmp(v, "tsv"))
		*out = SHEET_TSV;
	else if (json && !strcmp(v, "json"))
		*json = 1;
	else {
		*ret = http_reply_error(
		    r, MHD_HTTP_BAD_REQUEST, "invalid_argument",
		    json ? "format は json, xlsx, csv, tsv のどれかです。"
		         : "format は xlsx, csv, tsv のどれかです。");
		return -1;
	}
	return 0;
}

int admin_bot(http_req *r, kb **k, kb_bot *bot, enum MHD_Result *ret)
{
	char *err = NULL;
	mdg_rc rc = app_kb(r->app, k, &err);
	if (rc == MDG_OK)
		rc = kb_bot_get(*k, r->bot, bot, &err);
	if (rc == MDG_ERR_NOTFOUND)
		*ret = http_reply_error(r, MHD_HTTP_NOT_FOUND, "bot_not_found",
		                        "指定されたボットは見つかりません。");
	else if (rc != MDG_OK)
		*ret = http_reply_rc(r, rc, err);
	free(err);
	return rc == MDG_OK;
}

void admin_jst_date(int64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)(t + ADMIN_TZ_OFFSET);
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, n, "%Y-%m-%d", &tm);
}

void admin_jst_time(int64_t t, char *buf, size_t n)
{
	time_t tt = (time_t)(t + ADMIN_TZ_OFFSET);
	struct tm tm;
	gmtime_r(&tt, &tm);
	strftime(buf, n, "%Y-%m-%dT%H:%M:%S+09:00", &tm);
}

static const char *ext_of(sheet_format f)
{
	switch (f) {
	case SHEET_CSV:
		return "csv";
	case SHEET_TSV:
		return "tsv";
	case SHEET_XLSX:
	case SHEET_AUTO:
		break;
	}
	return "xlsx";
}

static const char *type_of(sheet_format f)
{
	switch (f) {
	case SHEET_CSV:
		return "text/csv; charset=utf-8";
	case SHEET_TSV:
		return "text/tab-separated-values; charset=utf-8";
	case SHEET_XLSX:
	case SHEET_AUTO:
		break;
	}
	return XLSX_TYPE;
}

enum MHD_Result admin_send_sheet(http_req *r, const sheet *s, sheet_format fmt,
                                 const char *base)
{
	char *out = NULL, *err = NULL;
	size_t outn = 0;
	mdg_rc rc = sheet_write_mem(s, fmt, NULL, &out, &outn, &err);
	if (rc != MDG_OK) {
		enum MHD_Result ret = http_reply_rc(r, rc, err);
		free(err);
		return ret;
	}
	struct MHD_Response *resp =
	    MHD_create_response_from_buffer(outn, out, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL) {
		free(out);
		return MHD_NO;
	}
	char date[16], disp[160];
	admin_jst_date((int64_t)time(NULL), date, sizeof date);
	snprintf(disp, sizeof disp, "attachment; filename=\"%s-%s.%s\"", base, date,
	         ext_of(fmt));
	MHD_add_response_header(resp, "Content-Type", type_of(fmt));
	MHD_add_response_header(resp, "Content-Disposition", disp);
	return http_send(r, MHD_HTTP_OK, resp, 0);
}

/* ---------- tokens ---------- */

/* The bearer token of the request: *tok into the header, *n its length;
 * 0 if there is none. */
static int bearer(http_req *r, const char **tok, size_t *n)
{
	const char *h = http_header(r, "Authorization");
	if (h == NULL || strlen(h) > MAX_AUTH_HEADER || strncasecmp(h, "Bearer ", 7) != 0)
		return 0;
	const char *t = h + 7;
	while (*t == ' ')
		t++;
	size_t len = strlen(t);
	while (len > 0 && t[len - 1] == ' ')
		len--;
	*tok = t;
	*n = len;
	return len > 0;
}

typedef struct admin_key {
	int64_t id;
	char prefix[KB_KEY_PREFIX_LEN + 1];
	char *bots; /* comma-separated, sorted */
	char *label;
} admin_key;

static void admin_key_clear(admin_key *a)
{
	free(a->bots);
	free(a->label);
	memset(a, 0, sizeof *a);
}

/* Which admin key tok is, whatever bot it is for: *found 1 and *out
 * filled (admin_key_clear) if it is a valid one. The listing only narrows
 * the candidates by prefix; kb_keys_verify compares the hash. */
static mdg_rc identify(kb *k, const char *tok, size_t n, int *found, admin_key *out,
                       char **err)
{
	*found = 0;
	memset(out, 0, sizeof *out);
	if (n != KB_KEY_LEN)
		return MDG_OK;
	kb_key_info *v = NULL;
	size_t nv = 0;
	mdg_rc rc = kb_keys_list(k, NULL, &v, &nv, err);
	for (size_t i = 0; rc == MDG_OK && i < nv && !*found; i++) {
		if (v[i].kind != KB_KEY_ADMIN || v[i].revoked_at[0] ||
		    memcmp(v[i].prefix, tok, KB_KEY_PREFIX_LEN) != 0)
			continue;
		char first[KB_BOT_NAME_MAX + 1];
		size_t fl = strcspn(v[i].bots, ",");
		if (fl == 0 || fl > KB_BOT_NAME_MAX)
			continue;
		memcpy(first, v[i].bots, fl);
		first[fl] = '\0';
		int64_t id = 0;
		rc = kb_keys_verify(k, KB_KEY_ADMIN, first, tok, n, &id, err);
		if (rc == MDG_ERR_AUTH) {
			rc = MDG_OK;
			continue;
		}
		if (rc != MDG_OK)
			break;
		*found = 1;
		out->id = id;
		snprintf(out->prefix, sizeof out->prefix, "%s", v[i].prefix);
		out->bots = strdup(v[i].bots);
		out->label = strdup(v[i].label);
		if (out->bots == NULL || out->label == NULL) {
			admin_key_clear(out);
			*found = 0;
			rc = MDG_ERR_NOMEM;
		}
	}
	kb_keys_list_free(v, nv);
	return rc;
}

static enum MHD_Result unauthorized(http_req *r)
{
	char *s = NULL;
	json_t *j = json_pack(
	    "{s:{s:s, s:s}}", "error", "code", "unauthorized", "message",
	    "管理用のトークンが必要です。正しいトークンでログインしてください。");
	if (j)
		s = json_dumps(j, JSON_COMPACT);
	json_decref(j);
	struct MHD_Response *resp =
	    s ? MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE)
	      : NULL;
	if (resp == NULL) {
		free(s);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type", "application/json; charset=utf-8");
	MHD_add_response_header(resp, "WWW-Authenticate",
	                        "Bearer realm=\"madoguchi-admin\"");
	return http_send(r, MHD_HTTP_UNAUTHORIZED, resp, 0);
}

static enum MHD_Result forbidden(http_req *r, const char *code, const char *msg)
{
	return http_reply_error(r, MHD_HTTP_FORBIDDEN, code, msg);
}

/* 1 if origin is this server itself as the client addressed it. */
static int own_origin(http_req *r, const char *origin)
{
	const char *host = http_header(r, "Host");
	if (host == NULL)
		return 0;
	const char *rest = !strncmp(origin, "https://", 8)  ? origin + 8
	                   : !strncmp(origin, "http://", 7) ? origin + 7
	                                                    : NULL;
	return rest && strcasecmp(rest, host) == 0;
}

int api_admin_authorize(http_req *r, enum MHD_Result *ret)
{
	/* Browsers say where a request comes from: the admin API is for the
	 * admin page on this server only, never for the bots' public sites. */
	const char *site = http_header(r, "Sec-Fetch-Site");
	const char *origin = http_header(r, "Origin");
	if ((site && strcmp(site, "same-origin") != 0 && strcmp(site, "none") != 0) ||
	    (!site && origin && !own_origin(r, origin) &&
	     srv_config_origin_allowed(r->app->cfg, NULL, origin))) {
		*ret = forbidden(r, "origin_not_allowed",
		                 "管理機能は管理画面からのみ利用できます。");
		return 0;
	}
	const char *tok = NULL;
	size_t n = 0;
	if (!bearer(r, &tok, &n)) {
		*ret = unauthorized(r);
		return 0;
	}
	kb *k = NULL;
	char *err = NULL;
	mdg_rc rc = app_kb(r->app, &k, &err);
	if (rc == MDG_OK && r->bot[0])
		rc = kb_keys_verify(k, KB_KEY_ADMIN, r->bot, tok, n, NULL, &err);
	else if (rc == MDG_OK)
		rc = MDG_ERR_AUTH; /* /v1/admin/me: any bot */
	if (rc == MDG_OK) {
		free(err);
		return 1;
	}
	int found = 0;
	admin_key key;
	memset(&key, 0, sizeof key);
	if (rc == MDG_ERR_AUTH)
		rc = identify(k, tok, n, &found, &key, &err);
	if (rc != MDG_OK) {
		*ret = http_reply_rc(r, rc, err);
		free(err);
		return 0;
	}
	free(err);
	admin_key_clear(&key);
	if (found && !r->bot[0])
		return 1;
	if (found) {
		/* A valid token for other bots: 403, whether or not this bot
		 * exists. */
		*ret = forbidden(r, "forbidden",
		                 "このトークンではこのボットを管理できません。");
		return 0;
	}
	*ret = unauthorized(r);
	return 0;
}

/* The token's prefix for logs and version sources ("" if none). */
static void token_prefix(http_req *r, char *buf, size_t n)
{
	const char *tok = NULL;
	size_t len = 0;
	buf[0] = '\0';
	if (bearer(r, &tok, &len) && len >= KB_KEY_PREFIX_LEN)
		snprintf(buf, n, "%.*s", KB_KEY_PREFIX_LEN, tok);
}

/* ---------- GET /v1/admin/me ---------- */

enum MHD_Result api_admin_me(http_req *r)
{
	kb *k = NULL;
	char *err = NULL;
	const char *tok = NULL;
	size_t n = 0;
	int found = 0;
	admin_key key;
	memset(&key, 0, sizeof key);
	bearer(r, &tok, &n);
	mdg_rc rc = app_kb(r->app, &k, &err);
	if (rc == MDG_OK)
		rc = identify(k, tok, n, &found, &key, &err);
	if (rc == MDG_OK && !found)
		rc = MDG_ERR_AUTH; /* revoked since the check */
	json_t *bots = json_array();
	for (const char *p = key.bots; rc == MDG_OK && p && *p;) {
		size_t l = strcspn(p, ",");
		char name[KB_BOT_NAME_MAX + 1];
		kb_bot b;
		if (l > 0 && l <= KB_BOT_NAME_MAX) {
			memcpy(name, p, l);
			name[l] = '\0';
			mdg_rc brc = kb_bot_get(k, name, &b, NULL);
			if (brc == MDG_OK) {
				const cfg_bot *cb = srv_config_bot(r->app->cfg, b.name);
				json_array_append_new(
				    bots, json_pack("{s:s, s:s, s:b, s:I, s:I, s:I}",
				                    "id", b.name, "name",
				                    cb->name ? cb->name : b.name,
				                    "internal", b.internal, "n_qa",
				                    (json_int_t)b.n_qa, "active_version",
				                    (json_int_t)b.active_version,
				                    "previous_version",
				                    (json_int_t)b.previous_version));
			}
		}
		p += l;
		if (*p == ',')
			p++;
	}
	enum MHD_Result ret;
	if (rc == MDG_ERR_AUTH)
		ret = unauthorized(r);
	else if (rc != MDG_OK)
		ret = http_reply_rc(r, rc, err);
	else
		ret = http_reply_json_steal(r, MHD_HTTP_OK,
		                            json_pack("{s:{s:I, s:s, s:s}, s:O}", "token",
		                                      "id", (json_int_t)key.id, "prefix",
		                                      key.prefix, "label", key.label,
		                                      "bots", bots));
	json_decref(bots);
	admin_key_clear(&key);
	free(err);
	return ret;
}

/* ---------- import ---------- */

/* Format of an upload: an xlsx signature wins, then ?format=, then the
 * Content-Type, else detection by content. */
static sheet_format upload_format(http_req *r)
{
	if (r->body.len >= 4 && memcmp(r->body.data, "PK\3\4", 4) == 0)
		return SHEET_XLSX;
	const char *f = arg(r, "format");
	if (f && !strcmp(f, "csv"))
		return SHEET_CSV;
	if (f && !strcmp(f, "tsv"))
		return SHEET_TSV;
	const char *ct = http_header(r, "Content-Type");
	if (ct == NULL)
		return SHEET_AUTO;
	size_t l = strcspn(ct, "; ");
	static const struct {
		const char *type;
		sheet_format f;
	} types[] = {
	    {"text/csv", SHEET_CSV},
	    {"application/csv", SHEET_CSV},
	    {"text/comma-separated-values", SHEET_CSV},
	    {"text/tab-separated-values", SHEET_TSV},
	    {"text/tsv", SHEET_TSV},
	    {XLSX_TYPE, SHEET_XLSX},
	};
	for (size_t i = 0; i < sizeof types / sizeof *types; i++)
		if (strlen(types[i].type) == l && !strncasecmp(ct, types[i].type, l))
			return types[i].f;
	return SHEET_AUTO;
}

/* ?filename= as safe text for the version's source (or a default). */
static void upload_name(http_req *r, const char *def, char *buf, size_t n)
{
	const char *f = arg(r, "filename");
	snprintf(buf, n, "%s", def);
	if (f == NULL || f[0] == '\0' || strlen(f) > MAX_FILENAME ||
	    !nlp_utf8_valid(f, strlen(f), NULL))
		return;
	for (const char *p = f; *p; p++)
		if ((unsigned char)*p < 0x20 || *p == 0x7f || *p == '/' || *p == '\\')
			return;
	snprintf(buf, n, "%s", f);
}

static json_t *ids_json(char **v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && i < n; i++)
		json_array_append_new(a, json_string(v[i]));
	return a;
}

/* [{row, column, message}] of an import's problems or warnings. */
static json_t *notes_json(const kb_problem *v, size_t n)
{
	json_t *a = json_array();
	for (size_t i = 0; a && v && i < n; i++)
		json_array_append_new(a, json_pack("{s:I, s:s, s:s}", "row", (json_int_t)v[i].row,
		                                   "column", v[i].column, "message",
		                                   v[i].message));
	return a;
}

static json_t *problems_json(const kb_report *rep)
{
	return rep ? notes_json(rep->problems, rep->nproblems) : json_array();
}

static enum MHD_Result validation_failed(http_req *r, int dry_run, size_t rows,
                                         json_t *problems)
{
	char msg[200];
	snprintf(
	    msg, sizeof msg,
	    "%zu件の問題があるため取り込めません。ナレッジベースは変更されていません。",
	    json_array_size(problems));
	return http_reply_json_steal(
	    r, MHD_HTTP_UNPROCESSABLE_CONTENT,
	    json_pack("{s:{s:s, s:s}, s:b, s:b, s:s, s:I, s:o}", "error", "code",
	              "validation_failed", "message", msg, "ok", 0, "dry_run", dry_run,
	              "bot", r->bot, "rows", (json_int_t)rows, "problems", problems));
}

static enum MHD_Result empty_body(http_req *r)
{
	return http_reply_error(r, MHD_HTTP_BAD_REQUEST, "empty_body",
	                        "ファイルが送られていません。");
}

/* A writer handle of the request's own: workers' handles are read-only. */
static mdg_rc admin_writer(http_req *r, kb **w, char **err)
{
	return kb_open(r->app->cfg->database, r->app->model, 0, w, err);
}

enum MHD_Result api_admin_import(http_req *r)
{
	enum MHD_Result ret = MHD_YES;
	kb *k = NULL, *w = NULL;
	kb_bot bot;
	sheet *s = NULL;
	kb_report *rep = NULL;
	char *err = NULL;
	int dry_run = admin_arg_bool(r, "dry_run");
	if (!admin_bot(r, &k, &bot, &ret))
		return ret;
	if (r->body.len == 0)
		return empty_body(r);
	const char *sheet_name = arg(r, "sheet");
	mdg_rc rc =
	    sheet_read_mem(r->body.data, r->body.len, upload_format(r),
	                   sheet_name && sheet_name[0] ? sheet_name : NULL, &s, &err);
	if (rc != MDG_OK && rc != MDG_ERR_NOMEM && rc != MDG_ERR_IO) {
		/* An unreadable file is the file's problem, reported like the
		 * CLI does: row 0, no column. */
		json_t *p = json_array();
		json_array_append_new(p,
		                      json_pack("{s:i, s:s, s:s}", "row", 0, "column", "",
		                                "message", err ? err : mdg_strerror(rc)));
		ret = validation_failed(r, dry_run, 0, p);
		rc = MDG_OK;
		goto out;
	}
	if (rc != MDG_OK)
		goto out;
	char name[MAX_FILENAME + 1], pfx[KB_KEY_PREFIX_LEN + 1],
	    source[MAX_FILENAME + 64];
	upload_name(r, "upload", name, sizeof name);
	token_prefix(r, pfx, sizeof pfx);
	snprintf(source, sizeof source, "%s (admin %s)", name, pfx);
	kb_import_opts o = {0};
	o.internal = bot.internal;
	o.dry_run = dry_run;
	o.synonyms_path = r->app->cfg->admin.synonyms;
	o.source = source;
	/* A dry run only reads: the worker's handle will do. */
	if (!dry_run &&
	    (rc = admin_writer(r, &w, &err)) != MDG_OK)
		goto out;
	rc = kb_import(dry_run ? k : w, bot.name, s, &o, &rep, &err);
	if (rc == MDG_ERR_VALIDATION) {
		ret = validation_failed(r, dry_run, rep->nrows, problems_json(rep));
		rc = MDG_OK;
		goto out;
	}
	if (rc != MDG_OK)
		goto out;
	if (!dry_run)
		srv_log(SRV_LOG_INFO,
		        "admin %s: bot %s imported %zu Q&A as version %lld (%zu added, "
		        "%zu updated, %zu removed)",
		        pfx, bot.name, rep->nrows, (long long)rep->version, rep->nadded,
		        rep->nupdated, rep->nremoved);
	ret = http_reply_json_steal(
	    r, MHD_HTTP_OK,
	    json_pack("{s:b, s:b, s:s, s:I, s:I, s:I, s:I, s:{s:o, s:o, s:o}, s:[], s:o}", "ok",
	              1, "dry_run", dry_run, "bot", bot.name, "rows", (json_int_t)rep->nrows,
	              "version", (json_int_t)rep->version, "header_row",
	              (json_int_t)rep->header, "html_cells", (json_int_t)rep->nhtml,
	              "changes", "added",
	              ids_json(rep->added, rep->nadded), "updated",
	              ids_json(rep->updated, rep->nupdated), "removed",
	              ids_json(rep->removed, rep->nremoved), "problems", "warnings",
	              notes_json(rep->warnings, rep->nwarnings)));
out:
	if (rc != MDG_OK)
		ret = http_reply_rc(r, rc, err);
	kb_report_free(rep);
	sheet_free(s);
	kb_close(w);
	free(err);
	return ret;
}

/* ---------- rollback ---------- */

/* The reply to a failed rollback: 409 when there was no previous version
 * of `what` to go back to. */
static enum MHD_Result rollback_failed(http_req *r, mdg_rc rc, const char *err,
                                       const char *what)
{
	if (rc != MDG_ERR_NOTFOUND)
		return http_reply_rc(r, rc, err);
	char msg[200];
	snprintf(msg, sizeof msg, "戻せる以前の%sがありません。", what);
	return http_reply_error(r, MHD_HTTP_CONFLICT, "no_previous_version", msg);
}

enum MHD_Result api_admin_rollback(http_req *r)
{
	enum MHD_Result ret = MHD_YES;
	kb *k = NULL, *w = NULL;
	kb_bot bot;
	char *err = NULL;
	if (!admin_bot(r, &k, &bot, &ret))
		return ret;
	mdg_rc rc = admin_writer(r, &w, &err);
	if (rc == MDG_OK)
		rc = kb_bot_rollback(w, bot.name, &err);
	if (rc == MDG_OK)
		rc = kb_bot_get(w, bot.name, &bot, &err);
	if (rc != MDG_OK) {
		ret = rollback_failed(r, rc, err, "ナレッジベース");
	} else {
		char pfx[KB_KEY_PREFIX_LEN + 1];
		token_prefix(r, pfx, sizeof pfx);
		srv_log(SRV_LOG_INFO, "admin %s: bot %s rolled back to version %lld", pfx,
		        bot.name, (long long)bot.active_version);
		ret = http_reply_json_steal(
		    r, MHD_HTTP_OK,
		    json_pack("{s:b, s:s, s:I, s:I, s:I}", "ok", 1, "bot", bot.name,
		              "active_version", (json_int_t)bot.active_version,
		              "previous_version", (json_int_t)bot.previous_version,
		              "n_qa", (json_int_t)bot.n_qa));
	}
	kb_close(w);
	free(err);
	return ret;
}

/* ---------- export and template ---------- */

enum MHD_Result api_admin_export(http_req *r)
{
	enum MHD_Result ret = MHD_YES;
	kb *k = NULL;
	kb_bot bot;
	sheet_format fmt;
	if (admin_arg_format(r, SHEET_XLSX, &fmt, NULL, &ret) ||
	    !admin_bot(r, &k, &bot, &ret))
		return ret;
	sheet *s = NULL;
	char *err = NULL;
	mdg_rc rc = kb_export(k, bot.name, &s, &err);
	if (rc == MDG_OK) {
		char base[KB_BOT_NAME_MAX + 8];
		snprintf(base, sizeof base, "%s-qa", bot.name);
		ret = admin_send_sheet(r, s, fmt, base);
	} else {
		ret = http_reply_rc(r, rc, err);
	}
	sheet_free(s);
	free(err);
	return ret;
}

enum MHD_Result api_admin_template(http_req *r)
{
	enum MHD_Result ret = MHD_YES;
	sheet_format fmt;
	if (admin_arg_format(r, SHEET_XLSX, &fmt, NULL, &ret))
		return ret;
	sheet *s = NULL;
	char *err = NULL;
	mdg_rc rc = kb_export_template(&s, &err);
	ret = rc == MDG_OK ? admin_send_sheet(r, s, fmt, "template")
	                   : http_reply_rc(r, rc, err);
	sheet_free(s);
	free(err);
	return ret;
}

/* ---------- flows ---------- */

static json_t *flow_problems_json(const flow_report *rep)
{
	json_t *a = json_array();
	for (size_t i = 0; a && rep && i < rep->nproblems; i++) {
		const flow_problem *p = &rep->problems[i];
		char *text = flow_problem_format(p);
		json_t *o = json_pack("{s:s, s:I, s:s?, s:s?, s:s, s:s?}", "file",
		                      p->file ? p->file : "", "line", (json_int_t)p->line,
		                      "flow", p->flow, "node", p->node, "message",
		                      p->message ? p->message : "", "text", text);
		free(text);
		json_array_append_new(a, o);
	}
	return a;
}

enum MHD_Result api_admin_flows_import(http_req *r)
{
	enum MHD_Result ret = MHD_YES;
	kb *k = NULL, *w = NULL;
	kb_bot bot;
	flow_report *rep = NULL;
	char *err = NULL;
	int64_t set_id = 0;
	int dry_run = admin_arg_bool(r, "dry_run");
	if (!admin_bot(r, &k, &bot, &ret))
		return ret;
	if (r->body.len == 0)
		return empty_body(r);
	char name[MAX_FILENAME + 1];
	upload_name(r, "flows.yaml", name, sizeof name);
	flow_source src = {.name = name, .text = r->body.data, .len = r->body.len};
	/* Even a dry run may create the flow tables: a writable handle. */
	mdg_rc rc = admin_writer(r, &w, &err);
	if (rc == MDG_OK)
		rc = flow_import(w, bot.name, &src, 1, dry_run, &rep, &set_id, &err);
	if (rc == MDG_ERR_VALIDATION && rep) {
		json_t *p = flow_problems_json(rep);
		char msg[200];
		snprintf(
		    msg, sizeof msg,
		    "%zu件の問題があるため取り込めません。フローは変更されていません。",
		    json_array_size(p));
		ret = http_reply_json_steal(
		    r, MHD_HTTP_UNPROCESSABLE_CONTENT,
		    json_pack("{s:{s:s, s:s}, s:b, s:b, s:s, s:o}", "error", "code",
		              "validation_failed", "message", msg, "ok", 0, "dry_run",
		              dry_run, "bot", bot.name, "problems", p));
	} else if (rc != MDG_OK) {
		ret = http_reply_rc(r, rc, err);
	} else {
		if (!dry_run) {
			char pfx[KB_KEY_PREFIX_LEN + 1];
			token_prefix(r, pfx, sizeof pfx);
			srv_log(SRV_LOG_INFO,
			        "admin %s: bot %s flow set %lld (%zu flows)", pfx,
			        bot.name, (long long)set_id, rep->nflows);
		}
		ret = http_reply_json_steal(
		    r, MHD_HTTP_OK,
		    json_pack("{s:b, s:b, s:s, s:I, s:I, s:I, s:I, s:[]}", "ok", 1,
		              "dry_run", dry_run, "bot", bot.name, "flows",
		              (json_int_t)rep->nflows, "nodes", (json_int_t)rep->nnodes,
		              "leaves", (json_int_t)rep->nleaves, "set_id",
		              (json_int_t)set_id, "problems"));
	}
	flow_report_free(rep);
	kb_close(w);
	free(err);
	return ret;
}

enum MHD_Result api_admin_flows_export(http_req *r)
{
	enum MHD_Result ret = MHD_YES;
	kb *k = NULL;
	kb_bot bot;
	if (!admin_bot(r, &k, &bot, &ret))
		return ret;
	flow_source *src = NULL;
	size_t n = 0;
	char *err = NULL;
	mdg_rc rc = flow_export(k, bot.name, &src, &n, &err);
	if (rc == MDG_ERR_NOTFOUND) { /* no flows yet */
		rc = MDG_OK;
		n = 0;
	}
	if (rc == MDG_OK) {
		json_t *files = json_array();
		for (size_t i = 0; files && i < n; i++)
			json_array_append_new(files, json_pack("{s:s, s:s%}", "name",
			                                       src[i].name, "yaml",
			                                       src[i].text, src[i].len));
		ret = http_reply_json_steal(
		    r, MHD_HTTP_OK,
		    json_pack("{s:s, s:o}", "bot", bot.name, "files", files));
	} else {
		ret = http_reply_rc(r, rc, err);
	}
	flow_sources_free(src, n);
	free(err);
	return ret;
}

enum MHD_Result api_admin_flows_rollback(http_req *r)
{
	enum MHD_Result ret = MHD_YES;
	kb *k = NULL, *w = NULL;
	kb_bot bot;
	char *err = NULL;
	if (!admin_bot(r, &k, &bot, &ret))
		return ret;
	mdg_rc rc = admin_writer(r, &w, &err);
	if (rc == MDG_OK)
		rc = flow_rollback(w, bot.name, &err);
	if (rc != MDG_OK)
		ret = rollback_failed(r, rc, err, "フロー");
	else
		ret = http_reply_json_steal(
		    r, MHD_HTTP_OK, json_pack("{s:b, s:s}", "ok", 1, "bot", bot.name));
	kb_close(w);
	free(err);
	return ret;
}
