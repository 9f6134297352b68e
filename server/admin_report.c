/* admin_report.c — the editors' reports from the turn and feedback logs
 * (tables of server/turnlog.c in the knowledge-base database):
 *
 *   GET /v1/admin/bots/{bot}/unanswered?days=N[&limit=N][&format=...]
 *       messages that ended in the general counter (fallback) or in "did
 *       you mean" (candidates), as logged (normalised and masked), grouped
 *       by similarity (kb_unanswered) with counts, most frequent first,
 *       each with the closest existing Q&A. As xlsx/csv/tsv the list has
 *       the import headers (ID and 回答 empty, 質問 the representative
 *       message, 言い換え the group's other messages) plus notes columns
 *       the importer ignores; &with_kb=1 appends the current knowledge
 *       base so the filled-in file can be uploaded as it is.
 *   GET /v1/admin/bots/{bot}/stats?days=N
 *       conversations, messages, answered / candidates / fallback shares,
 *       per day (JST), top Q&A, helpful / not helpful per Q&A.
 *
 * A window of N days is N calendar days in Japan time, today included. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "../kb/kb_export.h"
#include "../kb/kb_import.h"
#include "../kb/kb_search.h"
#include "../kb/kb_unanswered.h"
#include "admin_internal.h"
#include "api_admin.h"

#define MAX_DAYS        365
#define DEF_DAYS        30
#define MAX_EXAMPLES    20   /* messages listed per group (JSON) */
#define MAX_ALT_BYTES   3000 /* 言い換え cell of an exported group (cap 4,000 chars) */
#define TOP_QA          20
#define MAX_FEEDBACK_QA 200

/* Unix time the window of days calendar days (JST, today included) starts. */
static int64_t window_start(long days)
{
	int64_t now = (int64_t)time(NULL) + ADMIN_TZ_OFFSET;
	int64_t today = now - now % 86400; /* JST midnight, in shifted time */
	return today - (int64_t)(days - 1) * 86400 - ADMIN_TZ_OFFSET;
}

/* Prepares sql on the worker's connection: 0 ok, 1 the log tables do not
 * exist (nothing logged yet), -1 error (*err set). */
static int prepare(kb *k, const char *sql, sqlite3_stmt **st, char **err)
{
	*st = NULL;
	if (sqlite3_prepare_v2(kb_sqlite(k), sql, -1, st, NULL) == SQLITE_OK)
		return 0;
	const char *m = sqlite3_errmsg(kb_sqlite(k));
	if (strstr(m, "no such table"))
		return 1;
	mdg_fail(err, MDG_ERR_DB, "%s", m);
	return -1;
}

static const char *col_text(sqlite3_stmt *st, int i)
{
	const unsigned char *t = sqlite3_column_text(st, i);
	return t ? (const char *)t : "";
}

/* ---------- unanswered ---------- */

typedef struct unans_rows {
	kb_unanswered_item *items;
	char **texts;
	size_t n;
} unans_rows;

static void unans_rows_free(unans_rows *u)
{
	for (size_t i = 0; i < u->n; i++)
		free(u->texts[i]);
	free(u->texts);
	free(u->items);
}

static mdg_rc load_unanswered(kb *k, const char *bot, int64_t since, unans_rows *out,
                              char **err)
{
	sqlite3_stmt *st = NULL;
	memset(out, 0, sizeof *out);
	int p = prepare(k,
	                "SELECT query, COUNT(*), MAX(ts) FROM turns WHERE bot = ?1"
	                " AND ts >= ?2 AND input = 'message' AND decision IN"
	                " ('fallback', 'candidates') AND query <> '' GROUP BY query"
	                " ORDER BY 2 DESC, 3 DESC LIMIT ?3",
	                &st, err);
	if (p)
		return p > 0 ? MDG_OK : MDG_ERR_DB;
	sqlite3_bind_text(st, 1, bot, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, since);
	sqlite3_bind_int(st, 3, KB_UNANSWERED_MAX_ITEMS);
	mdg_rc rc = MDG_OK;
	size_t cap = 0;
	int r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		if (out->n == cap) {
			size_t nc = cap ? cap * 2 : 64;
			kb_unanswered_item *ni = realloc(out->items, nc * sizeof *ni);
			if (ni)
				out->items = ni;
			char **nt = ni ? realloc(out->texts, nc * sizeof *nt) : NULL;
			if (nt)
				out->texts = nt;
			if (ni == NULL || nt == NULL) {
				rc = MDG_ERR_NOMEM;
				break;
			}
			cap = nc;
		}
		char *t = strdup(col_text(st, 0));
		if (t == NULL) {
			rc = MDG_ERR_NOMEM;
			break;
		}
		out->texts[out->n] = t;
		out->items[out->n] = (kb_unanswered_item){
		    t, (size_t)sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2)};
		out->n++;
	}
	if (rc == MDG_OK && r != SQLITE_DONE)
		rc = mdg_fail(err, MDG_ERR_DB, "%s", sqlite3_errmsg(kb_sqlite(k)));
	sqlite3_finalize(st);
	return rc;
}

static json_t *group_json(const kb_unanswered *u, size_t g, const unans_rows *rows)
{
	const kb_unanswered_group *gr = &u->groups[g];
	char last[40];
	admin_jst_time(gr->last_ts, last, sizeof last);
	json_t *ex = json_array();
	for (size_t i = 0; ex && i < gr->nitems && i < MAX_EXAMPLES; i++) {
		const kb_unanswered_item *it = &rows->items[gr->items[i]];
		json_array_append_new(ex, json_pack("{s:s, s:I}", "text", it->text,
		                                    "count", (json_int_t)it->count));
	}
	json_t *closest =
	    gr->qa_id ? json_pack("{s:s, s:s, s:f}", "qa_id", gr->qa_id, "question",
	                          gr->qa_question, "score", gr->qa_score)
	              : json_null();
	return json_pack("{s:I, s:s, s:s, s:I, s:o, s:o}", "count", (json_int_t)gr->count,
	                 "text", rows->items[gr->items[0]].text, "last_seen", last,
	                 "distinct", (json_int_t)gr->nitems, "examples", ex, "closest",
	                 closest);
}

/* Residents' messages are untrusted: a cell starting with = + - @ (or a
 * tab or carriage return) would be a formula when the CSV is opened in a
 * spreadsheet program ("CSV injection"). Such text gets a leading
 * apostrophe, the usual neutraliser; *buf holds the copy if one is made. */
static const char *formula_safe(const char *t, char **buf)
{
	*buf = NULL;
	if (!strchr("=+-@\t\r", t[0]) || t[0] == '\0')
		return t;
	size_t n = strlen(t);
	if ((*buf = malloc(n + 2)) == NULL)
		return "";
	(*buf)[0] = '\'';
	memcpy(*buf + 1, t, n + 1);
	return *buf;
}

/* The to-do list as a spreadsheet in the import format. */
static mdg_rc unanswered_sheet(kb *k, const char *bot, const kb_unanswered *u,
                               const unans_rows *rows, int with_kb, sheet **out,
                               char **err)
{
	enum { NC = 13 };
	const char *head[NC];
	for (size_t i = 0; i < kb_ncolumns && i < 10; i++)
		head[i] = kb_columns_ja[i];
	head[10] = "件数";
	head[11] = "最後に聞かれた日時";
	head[12] = "近いQ&A";
	sheet *s = NULL;
	mdg_rc rc = sheet_new(&s);
	if (rc == MDG_OK)
		rc = sheet_add_row(s, head, NC);
	for (size_t g = 0; rc == MDG_OK && g < u->ngroups; g++) {
		const kb_unanswered_group *gr = &u->groups[g];
		mdg_buf alt = {0};
		for (size_t i = 1; rc == MDG_OK && i < gr->nitems; i++) {
			const char *t = rows->items[gr->items[i]].text;
			if (alt.len + strlen(t) + 1 > MAX_ALT_BYTES)
				break;
			rc = mdg_buf_printf(&alt, "%s%s", alt.len ? "\n" : "", t);
		}
		char count[32], last[40], near[600];
		snprintf(count, sizeof count, "%zu", gr->count);
		admin_jst_time(gr->last_ts, last, sizeof last);
		near[0] = '\0';
		if (gr->qa_id)
			snprintf(near, sizeof near, "%s %s", gr->qa_id, gr->qa_question);
		char *qbuf, *abuf;
		const char *q = formula_safe(rows->items[gr->items[0]].text, &qbuf);
		const char *a = formula_safe(alt.len ? alt.data : "", &abuf);
		const char *cells[NC] = {"",    q,
		                         "",    a,
		                         "",    "",
		                         "",    "",
		                         "",    "",
		                         count, last,
		                         near};
		if (rc == MDG_OK)
			rc = sheet_add_row(s, cells, NC);
		free(qbuf);
		free(abuf);
		mdg_buf_free(&alt);
	}
	if (rc == MDG_OK && with_kb) {
		sheet *cur = NULL;
		rc = kb_export(k, bot, &cur, err);
		for (size_t i = 1; rc == MDG_OK && i < sheet_nrows(cur); i++) {
			const char *cells[10];
			for (size_t c = 0; c < 10; c++)
				cells[c] = sheet_cell(cur, i, c);
			rc = sheet_add_row(s, cells, 10);
		}
		sheet_free(cur);
	}
	if (rc != MDG_OK) {
		sheet_free(s);
		return rc;
	}
	*out = s;
	return MDG_OK;
}

enum MHD_Result api_admin_unanswered(http_req *r)
{
	enum MHD_Result ret = MHD_YES;
	long days, limit;
	sheet_format fmt;
	int json = 0;
	kb *k = NULL;
	kb_bot bot;
	if (admin_arg_int(r, "days", DEF_DAYS, 1, MAX_DAYS, &days, &ret) ||
	    admin_arg_int(r, "limit", 200, 1, KB_UNANSWERED_MAX_GROUPS, &limit, &ret) ||
	    admin_arg_format(r, SHEET_AUTO, &fmt, &json, &ret) ||
	    !admin_bot(r, &k, &bot, &ret))
		return ret;
	if (fmt == SHEET_AUTO)
		json = 1;
	char *err = NULL;
	unans_rows rows;
	kb_unanswered *u = NULL;
	sheet *s = NULL;
	int64_t since = window_start(days);
	mdg_rc rc = load_unanswered(k, bot.name, since, &rows, &err);
	if (rc == MDG_OK)
		rc = kb_unanswered_build(k, bot.active_version ? bot.name : NULL,
		                         rows.items, rows.n, (size_t)limit, &u, &err);
	if (rc == MDG_OK && json) {
		json_t *groups = json_array();
		for (size_t g = 0; groups && g < u->ngroups; g++)
			json_array_append_new(groups, group_json(u, g, &rows));
		char from[16], to[16];
		admin_jst_date(since, from, sizeof from);
		admin_jst_date((int64_t)time(NULL), to, sizeof to);
		ret = http_reply_json_steal(
		    r, MHD_HTTP_OK,
		    json_pack("{s:s, s:i, s:s, s:s, s:I, s:I, s:o}", "bot", bot.name,
		              "days", (int)days, "from", from, "to", to, "messages",
		              (json_int_t)u->total, "groups_total",
		              (json_int_t)u->ntotal_groups, "groups", groups));
	} else if (rc == MDG_OK) {
		rc = unanswered_sheet(k, bot.name, u, &rows, admin_arg_bool(r, "with_kb"),
		                      &s, &err);
		if (rc == MDG_OK) {
			char base[KB_BOT_NAME_MAX + 16];
			snprintf(base, sizeof base, "%s-unanswered", bot.name);
			ret = admin_send_sheet(r, s, fmt, base);
		}
	}
	if (rc != MDG_OK)
		ret = http_reply_rc(r, rc, err);
	sheet_free(s);
	kb_unanswered_free(u);
	unans_rows_free(&rows);
	free(err);
	return ret;
}

/* ---------- stats ---------- */

typedef struct counts {
	int64_t conversations, turns, messages, answered, candidates, fallback;
} counts;

#define COUNT_COLUMNS                                                                    \
	"COUNT(DISTINCT conversation), COUNT(*), TOTAL(input = 'message'),"              \
	" TOTAL(input = 'message' AND decision = 'answer'),"                             \
	" TOTAL(input = 'message' AND decision = 'candidates'),"                         \
	" TOTAL(input = 'message' AND decision = 'fallback')"

static void read_counts(sqlite3_stmt *st, int first, counts *c)
{
	c->conversations = sqlite3_column_int64(st, first);
	c->turns = sqlite3_column_int64(st, first + 1);
	c->messages = sqlite3_column_int64(st, first + 2);
	c->answered = sqlite3_column_int64(st, first + 3);
	c->candidates = sqlite3_column_int64(st, first + 4);
	c->fallback = sqlite3_column_int64(st, first + 5);
}

static double share(int64_t part, int64_t whole)
{
	return whole > 0 ? (double)part / (double)whole : 0.0;
}

static json_t *counts_json(const counts *c)
{
	int64_t other = c->messages - c->answered - c->candidates - c->fallback;
	return json_pack(
	    "{s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:f, s:f, s:f, s:f}", "conversations",
	    (json_int_t)c->conversations, "turns", (json_int_t)c->turns, "messages",
	    (json_int_t)c->messages, "answered", (json_int_t)c->answered, "candidates",
	    (json_int_t)c->candidates, "fallback", (json_int_t)c->fallback, "other",
	    (json_int_t)other, "answered_share", share(c->answered, c->messages),
	    "candidates_share", share(c->candidates, c->messages), "fallback_share",
	    share(c->fallback, c->messages), "other_share", share(other, c->messages));
}

/* The current question of a Q&A id (NULL if it is gone). */
static json_t *question_of(kb *k, const char *bot, const char *qa_id)
{
	kb_qa *q = NULL;
	json_t *j = kb_qa_get(k, bot, qa_id, &q, NULL) == MDG_OK
	                ? json_string(q->question)
	                : json_null();
	kb_qa_free(q);
	return j;
}

static mdg_rc stats_totals(kb *k, const char *bot, int64_t since, json_t *out, char **err)
{
	sqlite3_stmt *st = NULL;
	counts c;
	memset(&c, 0, sizeof c);
	int p =
	    prepare(k, "SELECT " COUNT_COLUMNS " FROM turns WHERE bot = ?1 AND ts >= ?2",
	            &st, err);
	if (p < 0)
		return MDG_ERR_DB;
	if (p == 0) {
		sqlite3_bind_text(st, 1, bot, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, since);
		if (sqlite3_step(st) == SQLITE_ROW)
			read_counts(st, 0, &c);
		sqlite3_finalize(st);
	}
	json_object_set_new(out, "totals", counts_json(&c));
	return MDG_OK;
}

static mdg_rc stats_per_day(kb *k, const char *bot, int64_t since, long days, json_t *out,
                            char **err)
{
	sqlite3_stmt *st = NULL;
	int p = prepare(k,
	                "SELECT date(ts + 32400, 'unixepoch'), " COUNT_COLUMNS
	                " FROM turns WHERE bot = ?1 AND ts >= ?2 GROUP BY 1 ORDER BY 1",
	                &st, err);
	if (p < 0)
		return MDG_ERR_DB;
	if (p == 0) {
		sqlite3_bind_text(st, 1, bot, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 2, since);
	}
	json_t *a = json_array();
	int have = p == 0 && sqlite3_step(st) == SQLITE_ROW;
	/* Every day of the window, zeros where nothing was logged. */
	for (long d = 0; d < days; d++) {
		char date[16];
		admin_jst_date(since + (int64_t)d * 86400, date, sizeof date);
		counts c;
		memset(&c, 0, sizeof c);
		while (have && strcmp(col_text(st, 0), date) < 0)
			have = sqlite3_step(st) == SQLITE_ROW;
		if (have && strcmp(col_text(st, 0), date) == 0)
			read_counts(st, 1, &c);
		json_t *o = counts_json(&c);
		json_object_set_new(o, "date", json_string(date));
		json_array_append_new(a, o);
	}
	sqlite3_finalize(st);
	json_object_set_new(out, "per_day", a);
	return MDG_OK;
}

/* Appends to key of out one object per Q&A row of sql (?1 bot, ?2 since,
 * ?3 limit; column 0 the Q&A id): its id, its question and names[i] =
 * column i + 1. */
static mdg_rc qa_rows(kb *k, const char *bot, int64_t since, const char *sql, int limit,
                      const char *key, const char *const *names, int nnames, json_t *out,
                      char **err)
{
	sqlite3_stmt *st = NULL;
	json_t *a = json_array();
	json_object_set_new(out, key, a);
	int p = prepare(k, sql, &st, err);
	if (p)
		return p > 0 ? MDG_OK : MDG_ERR_DB;
	sqlite3_bind_text(st, 1, bot, -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 2, since);
	sqlite3_bind_int(st, 3, limit);
	while (sqlite3_step(st) == SQLITE_ROW) {
		const char *id = col_text(st, 0);
		json_t *o = json_pack("{s:s, s:o}", "qa_id", id, "question",
		                      question_of(k, bot, id));
		for (int i = 0; i < nnames; i++)
			json_object_set_new(o, names[i],
			                    json_integer(sqlite3_column_int64(st, i + 1)));
		json_array_append_new(a, o);
	}
	sqlite3_finalize(st);
	return MDG_OK;
}

static mdg_rc stats_top(kb *k, const char *bot, int64_t since, json_t *out, char **err)
{
	static const char *const names[] = {"count"};
	return qa_rows(k, bot, since,
	               "SELECT qa_id, COUNT(*) FROM turns WHERE bot = ?1 AND ts >= ?2"
	               " AND decision = 'answer' AND qa_id <> '' GROUP BY qa_id"
	               " ORDER BY 2 DESC, 1 LIMIT ?3",
	               TOP_QA, "top_qa", names, 1, out, err);
}

static mdg_rc stats_feedback(kb *k, const char *bot, int64_t since, json_t *out,
                             char **err)
{
	static const char *const names[] = {"helpful", "not_helpful"};
	return qa_rows(k, bot, since,
	               "SELECT qa_id, TOTAL(helpful <> 0), TOTAL(helpful = 0) FROM feedback"
	               " WHERE bot = ?1 AND ts >= ?2 GROUP BY qa_id"
	               " ORDER BY 3 DESC, COUNT(*) DESC, 1 LIMIT ?3",
	               MAX_FEEDBACK_QA, "feedback", names, 2, out, err);
}

enum MHD_Result api_admin_stats(http_req *r)
{
	enum MHD_Result ret = MHD_YES;
	long days;
	kb *k = NULL;
	kb_bot bot;
	if (admin_arg_int(r, "days", DEF_DAYS, 1, MAX_DAYS, &days, &ret) ||
	    !admin_bot(r, &k, &bot, &ret))
		return ret;
	char *err = NULL, from[16], to[16];
	int64_t since = window_start(days);
	admin_jst_date(since, from, sizeof from);
	admin_jst_date((int64_t)time(NULL), to, sizeof to);
	json_t *o =
	    json_pack("{s:s, s:i, s:s, s:s, s:s}", "bot", bot.name, "days", (int)days,
	              "from", from, "to", to, "timezone", "Asia/Tokyo");
	if (o == NULL)
		return http_reply_rc(r, MDG_ERR_NOMEM, NULL);
	mdg_rc rc = stats_totals(k, bot.name, since, o, &err);
	if (rc == MDG_OK)
		rc = stats_per_day(k, bot.name, since, days, o, &err);
	if (rc == MDG_OK)
		rc = stats_top(k, bot.name, since, o, &err);
	if (rc == MDG_OK)
		rc = stats_feedback(k, bot.name, since, o, &err);
	if (rc == MDG_OK) {
		ret = http_reply_json_steal(r, MHD_HTTP_OK, o);
	} else {
		json_decref(o);
		ret = http_reply_rc(r, rc, err);
	}
	free(err);
	return ret;
}
