/* kb_import.c — spreadsheet validation and versioned import (see kb_import.h). */
#include "kb_import.h"

#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../nlp/norm.h"
#include "../nlp/synonyms.h"
#include "kb_html.h"
#include "kb_version.h"
#include "strtab.h"

enum col {
	COL_ID,
	COL_QUESTION,
	COL_ANSWER,
	COL_ALT,
	COL_CATEGORY,
	COL_DEPARTMENT,
	COL_CONTACT,
	COL_URL,
	COL_KEYWORDS,
	COL_FLOW,
	NCOLS
};

const char *const kb_columns[] = {"id", "question", "answer", "alt_questions",
				  "category", "department", "contact", "url",
				  "keywords", "flow"};
const char *const kb_columns_ja[] = {"ID", "質問", "回答", "言い換え",
				     "カテゴリ", "担当課", "問合せ先", "参考URL",
				     "キーワード", "フロー"};
const size_t kb_ncolumns = NCOLS;

/* Accepted header spellings (after normalisation: half-width, lower case). */
static const char *const aliases[NCOLS][8] = {
	[COL_ID] = {"id", "no", "no.", "番号", "管理番号", "faq id", NULL},
	[COL_QUESTION] = {"question", "質問", "質問内容", "質問文", "問い", NULL},
	[COL_ANSWER] = {"answer", "回答", "回答内容", "回答文", "答え", NULL},
	[COL_ALT] = {"alt_questions", "言い換え", "類似質問", "別の聞き方", NULL},
	[COL_CATEGORY] = {"category", "カテゴリ", "カテゴリー", "分類", "区分", "ジャンル", NULL},
	[COL_DEPARTMENT] = {"department", "担当課", "担当部署", "所管部署", "所管課", "部署",
			    "部署名", NULL},
	[COL_CONTACT] = {"contact", "問合せ先", "問い合わせ先", "問合わせ先", "連絡先", NULL},
	[COL_URL] = {"url", "参考url", "リンク", "関連url", "関連リンク", NULL},
	[COL_KEYWORDS] = {"keywords", "キーワード", "タグ", NULL},
	[COL_FLOW] = {"flow", "フロー", NULL},
};

static const size_t col_caps[NCOLS] = {
	[COL_ID] = KB_MAX_ID_CHARS,	     [COL_QUESTION] = KB_MAX_QUESTION_CHARS,
	[COL_ANSWER] = KB_MAX_ANSWER_CHARS,  [COL_ALT] = KB_MAX_ALT_CHARS,
	[COL_CATEGORY] = KB_MAX_FIELD_CHARS, [COL_DEPARTMENT] = KB_MAX_FIELD_CHARS,
	[COL_CONTACT] = KB_MAX_FIELD_CHARS,  [COL_URL] = KB_MAX_FIELD_CHARS,
	[COL_KEYWORDS] = KB_MAX_FIELD_CHARS, [COL_FLOW] = 64,
};

typedef struct row {
	size_t line;
	char *cell[NCOLS]; /* trimmed copies; "" when absent */
} row;

typedef struct ctx {
	kb *k;
	const char *bot;
	const kb_import_opts *o;
	kb_report *rep;
	row *rows;
	size_t nrows;
	char *headers[NCOLS]; /* header text as written, for messages */
	char **err;
	int64_t version;
	size_t *idx; /* open-addressing table of row numbers by id (+1; 0 = empty) */
	size_t idx_cap;
} ctx;

/* Indexes every row's id (first occurrence wins) so duplicate checks and
 * diffs stay linear for large spreadsheets. */
static mdg_rc id_index_build(ctx *c)
{
	size_t cap = 16;
	while (cap < c->nrows * 2)
		cap *= 2;
	c->idx = calloc(cap, sizeof *c->idx);
	if (c->idx == NULL)
		return MDG_ERR_NOMEM;
	c->idx_cap = cap;
	for (size_t i = 0; i < c->nrows; i++) {
		const char *id = c->rows[i].cell[COL_ID];
		if (id == NULL || !id[0])
			continue;
		size_t j = mdg_hash(id, strlen(id)) & (cap - 1);
		while (c->idx[j] && strcmp(c->rows[c->idx[j] - 1].cell[COL_ID], id) != 0)
			j = (j + 1) & (cap - 1);
		if (!c->idx[j])
			c->idx[j] = i + 1;
	}
	return MDG_OK;
}

/* Row index of the first row with this id, or SIZE_MAX. */
static size_t id_index_find(const ctx *c, const char *id)
{
	if (c->idx_cap == 0)
		return SIZE_MAX;
	size_t j = mdg_hash(id, strlen(id)) & (c->idx_cap - 1);
	while (c->idx[j]) {
		if (strcmp(c->rows[c->idx[j] - 1].cell[COL_ID], id) == 0)
			return c->idx[j] - 1;
		j = (j + 1) & (c->idx_cap - 1);
	}
	return SIZE_MAX;
}

/* Appends one (row, column, message) to a list of problems or warnings. */
static mdg_rc note_add(kb_problem **v, size_t *n, size_t line, const char *column,
		       const char *fmt, va_list ap)
{
	char msg[512];
	vsnprintf(msg, sizeof msg, fmt, ap);
	kb_problem *p = realloc(*v, (*n + 1) * sizeof *p);
	if (p == NULL)
		return MDG_ERR_NOMEM;
	*v = p;
	p[*n].row = line;
	p[*n].column = strdup(column ? column : "");
	p[*n].message = strdup(msg);
	if (!p[*n].column || !p[*n].message) {
		free(p[*n].column);
		free(p[*n].message);
		return MDG_ERR_NOMEM;
	}
	(*n)++;
	return MDG_OK;
}

/* A problem stops the import; a warning does not. */
static mdg_rc problem(kb_report *r, size_t line, const char *column,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));
static mdg_rc warning(kb_report *r, size_t line, const char *column,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static mdg_rc problem(kb_report *r, size_t line, const char *column,
		      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mdg_rc rc = note_add(&r->problems, &r->nproblems, line, column, fmt, ap);
	va_end(ap);
	return rc;
}

static mdg_rc warning(kb_report *r, size_t line, const char *column,
		      const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	mdg_rc rc = note_add(&r->warnings, &r->nwarnings, line, column, fmt, ap);
	va_end(ap);
	return rc;
}

static mdg_rc push_id(char ***v, size_t *n, const char *id)
{
	char **nv = realloc(*v, (*n + 1) * sizeof *nv);
	if (nv == NULL)
		return MDG_ERR_NOMEM;
	*v = nv;
	if ((nv[*n] = strdup(id)) == NULL)
		return MDG_ERR_NOMEM;
	(*n)++;
	return MDG_OK;
}

static void notes_free(kb_problem *v, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(v[i].column);
		free(v[i].message);
	}
	free(v);
}

void kb_report_free(kb_report *r)
{
	if (r == NULL)
		return;
	notes_free(r->problems, r->nproblems);
	notes_free(r->warnings, r->nwarnings);
	for (size_t i = 0; i < r->nadded; i++)
		free(r->added[i]);
	for (size_t i = 0; i < r->nupdated; i++)
		free(r->updated[i]);
	for (size_t i = 0; i < r->nremoved; i++)
		free(r->removed[i]);
	free(r->added);
	free(r->updated);
	free(r->removed);
	free(r);
}

/* Trims ASCII and ideographic spaces at both ends; returns a copy. */
static char *trim_copy(const char *s)
{
	size_t n = strlen(s);
	const char *a = s, *b = s + n;
	for (;;) {
		if (a < b && (*a == ' ' || *a == '\t' || *a == '\r' || *a == '\n'))
			a++;
		else if (b - a >= 3 && memcmp(a, "\xe3\x80\x80", 3) == 0)
			a += 3;
		else
			break;
	}
	for (;;) {
		if (b > a && (b[-1] == ' ' || b[-1] == '\t' || b[-1] == '\r' ||
			      b[-1] == '\n'))
			b--;
		else if (b - a >= 3 && memcmp(b - 3, "\xe3\x80\x80", 3) == 0)
			b -= 3;
		else
			break;
	}
	return strndup(a, (size_t)(b - a));
}

static int header_col(const char *h)
{
	char *norm = NULL;
	size_t n = 0;
	if (nlp_norm(h, strlen(h), &norm, &n, NULL) != MDG_OK)
		return -1;
	int found = -1;
	for (int c = 0; c < NCOLS && found < 0; c++)
		for (int a = 0; aliases[c][a]; a++)
			if (strcmp(norm, aliases[c][a]) == 0)
				found = c;
	free(norm);
	return found;
}

/* Rows searched for the header when the first row is not one: a sheet
 * published on a web site often has a title or a note above it. */
#define HEADER_SEARCH_ROWS 10

/* Whether row i names every required column (a header row). */
static int is_header_row(const sheet *s, size_t i)
{
	int seen[NCOLS] = {0};
	for (size_t j = 0; j < sheet_ncols(s, i) && j < SHEET_MAX_COLS; j++) {
		const char *h = sheet_cell(s, i, j);
		if (!h[0] || !nlp_utf8_valid(h, strlen(h), NULL))
			continue;
		char *t = trim_copy(h);
		int col = t && *t ? header_col(t) : -1;
		free(t);
		if (col >= 0)
			seen[col] = 1;
	}
	return seen[COL_ID] && seen[COL_QUESTION] && seen[COL_ANSWER];
}

/* The header row: the first row, or else the first of the next few that
 * names every required column (rows above it are titles and notes). */
static size_t header_row(const sheet *s)
{
	size_t nr = sheet_nrows(s);
	if (is_header_row(s, 0))
		return 0;
	for (size_t i = 1; i < nr && i < HEADER_SEARCH_ROWS; i++)
		if (is_header_row(s, i))
			return i;
	return 0;
}

/* Warns of rows asking the same question (after normalisation) as an
 * earlier row: a message can only ever find one of them. */
static mdg_rc duplicate_questions(ctx *c)
{
	kb_strtab seen = {0};
	mdg_rc rc = MDG_OK;
	for (size_t i = 0; i < c->nrows && rc == MDG_OK; i++) {
		const char *q = c->rows[i].cell[COL_QUESTION];
		char *norm = NULL;
		if (q && q[0] && nlp_norm(q, strlen(q), &norm, NULL, NULL) == MDG_OK) {
			kb_strtab_entry *e = kb_strtab_put(&seen, norm);
			if (e == NULL)
				rc = MDG_ERR_NOMEM;
			else if (e->count == 0)
				e->count = (int64_t)i + 1;
			else
				rc = warning(c->rep, c->rows[i].line, c->headers[COL_QUESTION],
					     "the same question as row %zu: a message finds "
					     "only one of them (merge the two or reword one)",
					     c->rows[e->count - 1].line);
		}
		free(norm);
	}
	kb_strtab_free(&seen);
	return rc;
}

static int flow_id_valid(const char *s)
{
	for (; *s; s++)
		if (!((*s >= 'a' && *s <= 'z') || (*s >= '0' && *s <= '9') ||
		      *s == '-' || *s == '_'))
			return 0;
	return 1;
}

static void rows_free(ctx *c)
{
	for (size_t i = 0; i < c->nrows; i++)
		for (int k = 0; k < NCOLS; k++)
			free(c->rows[i].cell[k]);
	free(c->rows);
	free(c->idx);
	for (int k = 0; k < NCOLS; k++)
		free(c->headers[k]);
}

/* Reads and validates every row; problems go to the report. */
static mdg_rc validate(ctx *c, const sheet *s)
{
	kb_report *r = c->rep;
	mdg_rc rc = MDG_OK;
	int map[SHEET_MAX_COLS];
	size_t nr = sheet_nrows(s);
	if (nr == 0)
		return problem(r, 1, "", "the file is empty: expected a header "
					 "row with id, question and answer");
	size_t h0 = header_row(s);
	size_t nh = sheet_ncols(s, h0);
	if (nh > SHEET_MAX_COLS)
		nh = SHEET_MAX_COLS;
	size_t hline = sheet_line(s, h0);
	r->header = hline;
	for (size_t i = 0; i < nh && rc == MDG_OK; i++) {
		const char *h = sheet_cell(s, h0, i);
		map[i] = -1;
		if (!nlp_utf8_valid(h, strlen(h), NULL)) {
			rc = problem(r, hline, "", "header in column %zu is not valid "
						   "text (check the file encoding)",
				     i + 1);
			continue;
		}
		char *t = trim_copy(h);
		if (t == NULL)
			return MDG_ERR_NOMEM;
		int col = *t ? header_col(t) : -1;
		if (col >= 0 && c->headers[col]) {
			rc = problem(r, hline, t, "column appears twice in the header");
			free(t);
		} else if (col >= 0) {
			map[i] = col;
			c->headers[col] = t;
		} else {
			free(t); /* unknown columns (editors' notes) are ignored */
		}
	}
	for (int col = 0; col <= COL_ANSWER && rc == MDG_OK; col++)
		if (c->headers[col] == NULL)
			rc = problem(r, hline, kb_columns[col],
				     "required column '%s' (%s) is missing from "
				     "the header row",
				     kb_columns[col], kb_columns_ja[col]);
	if (rc != MDG_OK || r->nproblems)
		return rc;
	if (nr - 1 - h0 > KB_MAX_ROWS)
		return problem(r, 0, "", "too many rows (%zu, at most %d)", nr - 1 - h0,
			       KB_MAX_ROWS);
	c->rows = calloc(nr, sizeof *c->rows);
	if (c->rows == NULL)
		return MDG_ERR_NOMEM;
	for (size_t i = h0 + 1; i < nr && rc == MDG_OK; i++) {
		row *w = &c->rows[c->nrows];
		w->line = sheet_line(s, i);
		int empty = 1, bad = 0;
		for (size_t j = 0; j < nh && j < sheet_ncols(s, i); j++)
			if (sheet_cell(s, i, j)[0])
				empty = 0;
		if (empty)
			continue;
		for (size_t j = 0; j < nh && rc == MDG_OK; j++) {
			int col = map[j];
			if (col < 0)
				continue;
			const char *v = sheet_cell(s, i, j);
			size_t bad_at = 0;
			if (!nlp_utf8_valid(v, strlen(v), &bad_at)) {
				rc = problem(r, w->line, c->headers[col],
					     "invalid text encoding at byte %zu "
					     "(save the file as UTF-8 or Shift_JIS)",
					     bad_at);
				bad = 1;
				continue;
			}
			if ((w->cell[col] = trim_copy(v)) == NULL)
				return MDG_ERR_NOMEM;
			if (col != COL_ID && col != COL_URL && col != COL_FLOW &&
			    kb_html_detect(w->cell[col])) {
				/* A CMS export's HTML: the text a reader sees. */
				char *plain = NULL;
				mdg_rc hr = kb_html_to_text(w->cell[col], &plain);
				if (hr == MDG_ERR_NOMEM)
					return hr;
				if (hr == MDG_OK) {
					free(w->cell[col]);
					w->cell[col] = plain;
					r->nhtml++;
				}
			}
			size_t chars = nlp_utf8_len(w->cell[col], strlen(w->cell[col]));
			if (chars > col_caps[col])
				rc = problem(r, w->line, c->headers[col],
					     "cell is too long (%zu characters, at "
					     "most %zu)",
					     chars, col_caps[col]);
		}
		for (int col = 0; col < NCOLS && rc == MDG_OK; col++) {
			if (w->cell[col] == NULL && !(bad && col <= COL_ANSWER))
				if ((w->cell[col] = strdup("")) == NULL)
					return MDG_ERR_NOMEM;
			if (col <= COL_ANSWER && w->cell[col] && !w->cell[col][0])
				rc = problem(r, w->line, c->headers[col],
					     "required cell is empty");
		}
		if (rc == MDG_OK && w->cell[COL_FLOW] && w->cell[COL_FLOW][0] &&
		    !flow_id_valid(w->cell[COL_FLOW]))
			rc = problem(r, w->line, c->headers[COL_FLOW],
				     "flow id '%s' may only contain a-z, 0-9, '-' "
				     "and '_'",
				     w->cell[COL_FLOW]);
		c->nrows++;
	}
	/* Duplicate ids: report each repeat with the row of its first use. */
	if (rc == MDG_OK)
		rc = id_index_build(c);
	for (size_t i = 0; i < c->nrows && rc == MDG_OK; i++) {
		const char *id = c->rows[i].cell[COL_ID];
		if (id == NULL || !id[0])
			continue;
		size_t first = id_index_find(c, id);
		if (first < i)
			rc = problem(r, c->rows[i].line, c->headers[COL_ID],
				     "duplicate id '%s' (first used in row %zu)", id,
				     c->rows[first].line);
	}
	if (rc == MDG_OK && c->nrows == 0)
		rc = problem(r, hline, "", "no Q&A rows below the header");
	if (rc == MDG_OK && r->nproblems == 0)
		rc = duplicate_questions(c);
	r->nrows = c->nrows;
	return rc;
}

/* Compares the new rows with the bot's active version by external id. */
static mdg_rc diff(ctx *c)
{
	kb_bot bot;
	mdg_rc rc = kb_bot_get(c->k, c->bot, &bot, NULL);
	if (rc == MDG_ERR_NOTFOUND || (rc == MDG_OK && bot.active_version == 0)) {
		for (size_t i = 0; i < c->nrows && rc != MDG_ERR_NOMEM; i++)
			rc = push_id(&c->rep->added, &c->rep->nadded,
				     c->rows[i].cell[COL_ID]);
		return rc == MDG_ERR_NOMEM ? rc : MDG_OK;
	}
	if (rc != MDG_OK)
		return rc;
	sqlite3_stmt *st = kb_stmt(
		c->k,
		"SELECT question, answer, alt_questions, category, department,"
		" contact, url, keywords, flow FROM qa WHERE version_id=?1 AND ext_id=?2",
		c->err);
	if (st == NULL)
		return MDG_ERR_DB;
	for (size_t i = 0; i < c->nrows && rc == MDG_OK; i++) {
		row *w = &c->rows[i];
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, bot.active_version);
		sqlite3_bind_text(st, 2, w->cell[COL_ID], -1, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_ROW) {
			rc = push_id(&c->rep->added, &c->rep->nadded, w->cell[COL_ID]);
			continue;
		}
		int same = 1;
		for (int col = COL_QUESTION; col < NCOLS; col++)
			if (strcmp((const char *)sqlite3_column_text(st, col - 1),
				   w->cell[col]) != 0)
				same = 0;
		if (!same)
			rc = push_id(&c->rep->updated, &c->rep->nupdated, w->cell[COL_ID]);
	}
	sqlite3_reset(st);
	if (rc != MDG_OK)
		return rc;
	st = kb_stmt(c->k, "SELECT ext_id FROM qa WHERE version_id=?1 ORDER BY id",
		     c->err);
	if (st == NULL)
		return MDG_ERR_DB;
	sqlite3_bind_int64(st, 1, bot.active_version);
	while (rc == MDG_OK && sqlite3_step(st) == SQLITE_ROW) {
		const char *id = (const char *)sqlite3_column_text(st, 0);
		if (id_index_find(c, id) == SIZE_MAX)
			rc = push_id(&c->rep->removed, &c->rep->nremoved, id);
	}
	sqlite3_reset(st);
	return rc;
}

static mdg_rc write_version(kb *k, void *p)
{
	ctx *c = p;
	kb_version_builder *vb = NULL;
	mdg_rc rc = kb_version_begin(k, c->bot, c->o->internal, c->o->source, &vb,
				     c->err);
	for (size_t i = 0; i < c->nrows && rc == MDG_OK; i++) {
		row *w = &c->rows[i];
		kb_qa_fields f = {
			.ext_id = w->cell[COL_ID],
			.question = w->cell[COL_QUESTION],
			.answer = w->cell[COL_ANSWER],
			.alt_questions = w->cell[COL_ALT],
			.category = w->cell[COL_CATEGORY],
			.department = w->cell[COL_DEPARTMENT],
			.contact = w->cell[COL_CONTACT],
			.url = w->cell[COL_URL],
			.keywords = w->cell[COL_KEYWORDS],
			.flow = w->cell[COL_FLOW],
			.line = w->line,
		};
		rc = kb_version_add_qa(vb, &f, c->err);
	}
	if (rc == MDG_OK && c->o->synonyms_path)
		rc = kb_version_add_synonyms(vb, c->o->synonyms_path, c->err);
	if (rc == MDG_OK)
		rc = kb_version_commit(vb, &c->version, c->err);
	kb_version_abort(vb);
	return rc;
}

mdg_rc kb_import(kb *k, const char *bot, const sheet *s, const kb_import_opts *o,
		 kb_report **report, char **err)
{
	*report = NULL;
	if (!kb_bot_name_valid(bot))
		return mdg_fail(err, MDG_ERR_INVALID,
				"invalid bot id '%s' (use 1-64 of a-z, 0-9, '-', '_')",
				bot);
	mdg_rc rc = kb_version_check_dicdir(k, err);
	if (rc != MDG_OK)
		return rc;
	ctx c = {.k = k, .bot = bot, .o = o, .err = err};
	c.rep = calloc(1, sizeof *c.rep);
	if (c.rep == NULL)
		return MDG_ERR_NOMEM;
	rc = validate(&c, s);
	if (rc == MDG_OK && c.rep->nproblems == 0)
		rc = diff(&c);
	if (rc == MDG_OK && c.rep->nproblems == 0 && !o->dry_run) {
		rc = kb_write_txn(k, write_version, &c, err);
		c.rep->version = c.version;
	}
	rows_free(&c);
	if (rc != MDG_OK) {
		kb_report_free(c.rep);
		return rc;
	}
	*report = c.rep;
	return c.rep->nproblems ? MDG_ERR_VALIDATION : MDG_OK;
}
