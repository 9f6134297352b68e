/* kb_import.h — validating and importing a spreadsheet into a bot.
 *
 * Columns (header row, English or Japanese names, any order):
 *   id/ID, question/質問, answer/回答                  required
 *   alt_questions/言い換え (newline or ｜ separated), category/カテゴリ,
 *   department/担当課, contact/問合せ先, url/参考URL,
 *   keywords/キーワード, flow/フロー                   optional
 * Every problem is collected (never just the first) as FILE:ROW:COLUMN;
 * when there is any, nothing in the database changes. A successful import
 * writes a new version and switches the bot to it in one transaction. */
#ifndef KB_IMPORT_H
#define KB_IMPORT_H

#include "kb.h"
#include "sheet.h"

/* Caps on cell sizes, in characters. */
#define KB_MAX_ID_CHARS 64
#define KB_MAX_QUESTION_CHARS 1000
#define KB_MAX_ANSWER_CHARS 10000
#define KB_MAX_ALT_CHARS 4000
#define KB_MAX_FIELD_CHARS 1000
#define KB_MAX_ROWS 200000

typedef struct kb_problem {
	size_t row;    /* 1-based spreadsheet row; 0 = the file as a whole */
	char *column;  /* column header as used in the file (or canonical) */
	char *message; /* human-readable, English */
} kb_problem;

typedef struct kb_report {
	kb_problem *problems; /* stop the import */
	size_t nproblems;
	kb_problem *warnings; /* do not (e.g. the same question in two rows) */
	size_t nwarnings;
	char **added, **updated, **removed; /* external ids */
	size_t nadded, nupdated, nremoved;
	size_t nrows;    /* Q&A rows read */
	size_t nhtml;    /* cells whose HTML markup was imported as text */
	size_t header;   /* spreadsheet row of the header (1 unless titles above) */
	int64_t version; /* new active version (0 on dry run / failure) */
} kb_report;

typedef struct kb_import_opts {
	int internal;              /* create as / make the bot staff-only */
	int dry_run;               /* validate and diff only */
	const char *synonyms_path; /* YAML synonym dictionary, NULL = none */
	const char *source;        /* file name recorded with the version */
} kb_import_opts;

/* Validates sheet s and (unless dry_run) imports it as bot's knowledge
 * base. Returns MDG_OK on success, MDG_ERR_VALIDATION if the report lists
 * problems, other codes (with *err) on system failures. *report is always
 * set when the return is MDG_OK or MDG_ERR_VALIDATION (kb_report_free). */
mdg_rc kb_import(kb *k, const char *bot, const sheet *s, const kb_import_opts *o,
		 kb_report **report, char **err);

void kb_report_free(kb_report *r);

/* The canonical column names, in export order. */
extern const char *const kb_columns[];
extern const size_t kb_ncolumns;
/* Japanese header for canonical column i (for templates). */
extern const char *const kb_columns_ja[];

#endif
