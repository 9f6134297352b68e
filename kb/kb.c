/* kb.c — database connections, schema and bots (see kb.h). */
#include "kb.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../nlp/fts5_mecab.h"
#include "kb_fts_score.h"

#define KB_SCHEMA_VERSION "1"
#define KB_STMT_CACHE 48

struct kb {
	sqlite3 *db;
	nlp_model *model;
	nlp_tagger *tagger;
	struct {
		const char *sql;
		sqlite3_stmt *st;
	} stmts[KB_STMT_CACHE];
	int nstmts;
	struct {
		void *p;
		void (*free_fn)(void *);
	} caches[KB_NCACHES];
	int analyzer_col; /* versions.analyzer exists (older files lack it) */
};

void *kb_cache_get(kb *k, int slot)
{
	return slot >= 0 && slot < KB_NCACHES ? k->caches[slot].p : NULL;
}

void kb_cache_set(kb *k, int slot, void *p, void (*free_fn)(void *))
{
	if (slot < 0 || slot >= KB_NCACHES)
		return;
	if (k->caches[slot].p && k->caches[slot].free_fn)
		k->caches[slot].free_fn(k->caches[slot].p);
	k->caches[slot].p = p;
	k->caches[slot].free_fn = free_fn;
}

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT NOT NULL);"
	"CREATE TABLE IF NOT EXISTS bots("
	" id INTEGER PRIMARY KEY,"
	" name TEXT NOT NULL UNIQUE,"
	" audience TEXT NOT NULL CHECK(audience IN ('public','internal')),"
	" active_version INTEGER NOT NULL DEFAULT 0,"
	" previous_version INTEGER NOT NULL DEFAULT 0,"
	" created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')));"
	"CREATE TABLE IF NOT EXISTS versions("
	" id INTEGER PRIMARY KEY,"
	" bot_id INTEGER NOT NULL REFERENCES bots(id),"
	" created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
	" source TEXT NOT NULL DEFAULT '',"
	" n_qa INTEGER NOT NULL DEFAULT 0,"
	" dicdir TEXT NOT NULL DEFAULT '',"
	" analyzer INTEGER NOT NULL DEFAULT 0);"
	/* Q&A rows keep the editors' text as written (for display and export);
	 * qterms/aterms/dterms are the normalised terms of the question, of the
	 * alternative questions and keywords, and of the whole row; qidf is the
	 * IDF mass of the question's terms. All are used by the re-ranker. */
	"CREATE TABLE IF NOT EXISTS qa("
	" id INTEGER PRIMARY KEY,"
	" version_id INTEGER NOT NULL REFERENCES versions(id),"
	" ext_id TEXT NOT NULL,"
	" question TEXT NOT NULL,"
	" answer TEXT NOT NULL,"
	" alt_questions TEXT NOT NULL DEFAULT '',"
	" category TEXT NOT NULL DEFAULT '',"
	" department TEXT NOT NULL DEFAULT '',"
	" contact TEXT NOT NULL DEFAULT '',"
	" url TEXT NOT NULL DEFAULT '',"
	" keywords TEXT NOT NULL DEFAULT '',"
	" flow TEXT NOT NULL DEFAULT '',"
	" line INTEGER NOT NULL DEFAULT 0,"
	" qterms TEXT NOT NULL DEFAULT '',"
	" aterms TEXT NOT NULL DEFAULT '',"
	" dterms TEXT NOT NULL DEFAULT '',"
	" qidf REAL NOT NULL DEFAULT 0,"
	" UNIQUE(version_id, ext_id));"
	"CREATE TABLE IF NOT EXISTS terms("
	" version_id INTEGER NOT NULL, term TEXT NOT NULL, df INTEGER NOT NULL,"
	" PRIMARY KEY(version_id, term)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS readings("
	" version_id INTEGER NOT NULL, reading TEXT NOT NULL, term TEXT NOT NULL,"
	" PRIMARY KEY(version_id, reading, term)) WITHOUT ROWID;"
	"CREATE TABLE IF NOT EXISTS synonyms("
	" version_id INTEGER NOT NULL, grp INTEGER NOT NULL, phrase TEXT NOT NULL,"
	" terms TEXT NOT NULL);"
	"CREATE INDEX IF NOT EXISTS synonyms_version ON synonyms(version_id);";

mdg_rc kb_exec(kb *k, const char *sql, char **err)
{
	char *msg = NULL;
	if (sqlite3_exec(k->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
		mdg_fail(err, MDG_ERR_DB, "%s", msg ? msg : sqlite3_errmsg(k->db));
		sqlite3_free(msg);
		return MDG_ERR_DB;
	}
	return MDG_OK;
}

sqlite3_stmt *kb_stmt(kb *k, const char *sql, char **err)
{
	/* Callers pass string literals: the pointer identifies the statement;
	 * an equal string at another address (another translation unit) is
	 * found by the second pass. */
	int hit = -1;
	for (int i = 0; i < k->nstmts && hit < 0; i++)
		if (k->stmts[i].sql == sql)
			hit = i;
	for (int i = 0; i < k->nstmts && hit < 0; i++)
		if (strcmp(k->stmts[i].sql, sql) == 0)
			hit = i;
	if (hit >= 0) {
		sqlite3_reset(k->stmts[hit].st);
		sqlite3_clear_bindings(k->stmts[hit].st);
		return k->stmts[hit].st;
	}
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v3(k->db, sql, -1, SQLITE_PREPARE_PERSISTENT, &st,
			       NULL) != SQLITE_OK) {
		mdg_fail(err, MDG_ERR_DB, "%s", sqlite3_errmsg(k->db));
		return NULL;
	}
	if (k->nstmts < KB_STMT_CACHE) {
		k->stmts[k->nstmts].sql = sql;
		k->stmts[k->nstmts].st = st;
		k->nstmts++;
	} else {
		/* Cache full: cannot happen with the fixed set of constant SQL
		 * strings the kb modules use; fail loudly rather than leak. */
		sqlite3_finalize(st);
		mdg_fail(err, MDG_ERR_DB, "statement cache full");
		return NULL;
	}
	return st;
}

/* Whether the versions table has the analyzer column. */
static int has_analyzer_col(sqlite3 *db)
{
	sqlite3_stmt *st = NULL;
	int ok = sqlite3_prepare_v2(db, "SELECT analyzer FROM versions LIMIT 0", -1, &st,
				    NULL) == SQLITE_OK;
	sqlite3_finalize(st);
	return ok;
}

mdg_rc kb_open(const char *path, nlp_model *model, int flags, kb **out,
	       char **err)
{
	*out = NULL;
	kb *k = calloc(1, sizeof *k);
	if (k == NULL)
		return MDG_ERR_NOMEM;
	k->model = model;
	mdg_rc rc = MDG_OK;
	int oflags = SQLITE_OPEN_NOMUTEX;
	if (flags & KB_OPEN_READONLY)
		oflags |= SQLITE_OPEN_READONLY;
	else
		oflags |= SQLITE_OPEN_READWRITE |
			  ((flags & KB_OPEN_CREATE) ? SQLITE_OPEN_CREATE : 0);
	if (sqlite3_open_v2(path, &k->db, oflags, NULL) != SQLITE_OK) {
		rc = mdg_fail(err, MDG_ERR_DB, "cannot open database %s: %s", path,
			      k->db ? sqlite3_errmsg(k->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(k->db, 10000);
	sqlite3_extended_result_codes(k->db, 1);
	if ((rc = nlp_tagger_new(model, &k->tagger, err)) != MDG_OK)
		goto fail;
	if ((rc = nlp_fts5_register(k->db, model, k->tagger, err)) != MDG_OK)
		goto fail;
	if ((rc = kb_fts_score_register(k->db, err)) != MDG_OK)
		goto fail;
	if (!(flags & KB_OPEN_READONLY)) {
		rc = kb_exec(k,
			     "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
			     "PRAGMA foreign_keys=ON;",
			     err);
		if (rc == MDG_OK)
			rc = kb_exec(k, schema_sql, err);
		/* Files from before the analyzer revision was recorded. */
		k->analyzer_col = rc == MDG_OK && has_analyzer_col(k->db);
		if (rc == MDG_OK && !k->analyzer_col &&
		    (rc = kb_exec(k,
				  "ALTER TABLE versions ADD COLUMN analyzer INTEGER "
				  "NOT NULL DEFAULT 0",
				  err)) == MDG_OK)
			k->analyzer_col = 1;
		if (rc == MDG_OK)
			rc = kb_exec(k,
				     "INSERT OR IGNORE INTO meta(key, value) "
				     "VALUES('schema', '" KB_SCHEMA_VERSION "')",
				     err);
		if (rc != MDG_OK)
			goto fail;
	} else {
		sqlite3_stmt *st = NULL;
		if (sqlite3_prepare_v2(k->db, "SELECT 1 FROM bots LIMIT 1", -1, &st,
				       NULL) != SQLITE_OK) {
			rc = mdg_fail(err, MDG_ERR_DB,
				      "%s is not a madoguchi database (import a "
				      "knowledge base first)",
				      path);
			sqlite3_finalize(st);
			goto fail;
		}
		sqlite3_finalize(st);
		k->analyzer_col = has_analyzer_col(k->db);
	}
	*out = k;
	return MDG_OK;
fail:
	kb_close(k);
	return rc;
}

void kb_close(kb *k)
{
	if (k == NULL)
		return;
	for (int i = 0; i < KB_NCACHES; i++)
		kb_cache_set(k, i, NULL, NULL);
	for (int i = 0; i < k->nstmts; i++)
		sqlite3_finalize(k->stmts[i].st);
	if (k->db)
		sqlite3_close_v2(k->db);
	nlp_tagger_free(k->tagger);
	free(k);
}

sqlite3 *kb_sqlite(kb *k)
{
	return k->db;
}

nlp_tagger *kb_tagger(kb *k)
{
	return k->tagger;
}

nlp_model *kb_model(kb *k)
{
	return k->model;
}

mdg_rc kb_recorded_dicdir(const char *path, char **dicdir, char **err)
{
	*dicdir = NULL;
	sqlite3 *db = NULL;
	if (sqlite3_open_v2(path, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
		sqlite3_close(db);
		return MDG_OK; /* no file yet: nothing recorded */
	}
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT value FROM meta WHERE key='dicdir'", -1,
			       &st, NULL) == SQLITE_OK &&
	    sqlite3_step(st) == SQLITE_ROW) {
		*dicdir = strdup((const char *)sqlite3_column_text(st, 0));
	}
	sqlite3_finalize(st);
	sqlite3_close(db);
	(void)err;
	return MDG_OK;
}

int kb_bot_name_valid(const char *name)
{
	size_t n = strlen(name);
	if (n == 0 || n > KB_BOT_NAME_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = name[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '-' && c != '_')))
			return 0;
	}
	return 1;
}

static void fill_bot(sqlite3_stmt *st, kb_bot *b)
{
	memset(b, 0, sizeof *b);
	b->id = sqlite3_column_int64(st, 0);
	snprintf(b->name, sizeof b->name, "%s", sqlite3_column_text(st, 1));
	b->internal = strcmp((const char *)sqlite3_column_text(st, 2), "internal") == 0;
	b->active_version = sqlite3_column_int64(st, 3);
	b->previous_version = sqlite3_column_int64(st, 4);
	b->n_qa = sqlite3_column_int64(st, 5);
	b->analyzer = sqlite3_column_int(st, 6);
}

#define BOT_SELECT                                                             \
	"SELECT b.id, b.name, b.audience, b.active_version, b.previous_version," \
	" COALESCE(v.n_qa, 0), "
#define BOT_FROM " FROM bots b LEFT JOIN versions v ON v.id = b.active_version "
/* The bot query ending in tail; a file written before versions.analyzer
 * (opened read-only, so not migrated) reads analyzer 0. */
#define BOT_QUERY(k, tail)                                                    \
	((k)->analyzer_col ? BOT_SELECT "COALESCE(v.analyzer, 0)" BOT_FROM tail \
			   : BOT_SELECT "0" BOT_FROM tail)

int kb_bot_stale(const kb_bot *b)
{
	return b->active_version != 0 && b->analyzer < NLP_ANALYZER_REVISION;
}

mdg_rc kb_bot_get(kb *k, const char *name, kb_bot *out, char **err)
{
	sqlite3_stmt *st = kb_stmt(k, BOT_QUERY(k, "WHERE b.name = ?1"), err);
	if (st == NULL)
		return MDG_ERR_DB;
	sqlite3_bind_text(st, 1, name, -1, SQLITE_STATIC);
	int r = sqlite3_step(st);
	mdg_rc rc = MDG_OK;
	if (r == SQLITE_ROW)
		fill_bot(st, out);
	else if (r == SQLITE_DONE)
		rc = mdg_fail(err, MDG_ERR_NOTFOUND, "no bot named '%s'", name);
	else
		rc = mdg_fail(err, MDG_ERR_DB, "%s", sqlite3_errmsg(k->db));
	sqlite3_reset(st);
	return rc;
}

mdg_rc kb_bot_list(kb *k, kb_bot **out, size_t *n, char **err)
{
	*out = NULL;
	*n = 0;
	sqlite3_stmt *st = kb_stmt(k, BOT_QUERY(k, "ORDER BY b.name"), err);
	if (st == NULL)
		return MDG_ERR_DB;
	kb_bot *v = NULL;
	size_t cnt = 0;
	int r;
	while ((r = sqlite3_step(st)) == SQLITE_ROW) {
		kb_bot *nv = realloc(v, (cnt + 1) * sizeof *v);
		if (nv == NULL) {
			free(v);
			sqlite3_reset(st);
			return MDG_ERR_NOMEM;
		}
		v = nv;
		fill_bot(st, &v[cnt++]);
	}
	sqlite3_reset(st);
	if (r != SQLITE_DONE) {
		free(v);
		return mdg_fail(err, MDG_ERR_DB, "%s", sqlite3_errmsg(k->db));
	}
	*out = v;
	*n = cnt;
	return MDG_OK;
}

int kb_read_begin(kb *k, char **err)
{
	if (!sqlite3_get_autocommit(k->db))
		return 0;
	sqlite3_stmt *b = kb_stmt(k, "BEGIN", err);
	if (b == NULL)
		return 0;
	int ok = sqlite3_step(b) == SQLITE_DONE;
	sqlite3_reset(b);
	return ok;
}

void kb_read_end(kb *k, int began)
{
	if (!began)
		return;
	/* Nothing was written: ending the transaction cannot lose anything. */
	sqlite3_stmt *c = kb_stmt(k, "COMMIT", NULL);
	if (c == NULL || sqlite3_step(c) != SQLITE_DONE)
		sqlite3_exec(k->db, "ROLLBACK", NULL, NULL, NULL);
	if (c)
		sqlite3_reset(c);
}

mdg_rc kb_write_txn(kb *k, mdg_rc (*fn)(kb *, void *), void *arg, char **err)
{
	mdg_rc rc = kb_exec(k, "BEGIN IMMEDIATE", err);
	if (rc != MDG_OK)
		return rc;
	rc = fn(k, arg);
	if (rc == MDG_OK)
		rc = kb_exec(k, "COMMIT", err);
	if (rc != MDG_OK)
		sqlite3_exec(k->db, "ROLLBACK", NULL, NULL, NULL);
	return rc;
}

typedef struct rollback_arg {
	const char *name;
	char **err;
} rollback_arg;

static mdg_rc do_rollback(kb *k, void *p)
{
	rollback_arg *a = p;
	kb_bot b;
	mdg_rc rc = kb_bot_get(k, a->name, &b, a->err);
	if (rc != MDG_OK)
		return rc;
	if (b.previous_version == 0)
		return mdg_fail(a->err, MDG_ERR_NOTFOUND,
				"bot '%s' has no previous version to restore",
				a->name);
	sqlite3_stmt *st = kb_stmt(k,
				   "UPDATE bots SET active_version = ?2, "
				   "previous_version = ?3 WHERE id = ?1",
				   a->err);
	if (st == NULL)
		return MDG_ERR_DB;
	sqlite3_bind_int64(st, 1, b.id);
	sqlite3_bind_int64(st, 2, b.previous_version);
	sqlite3_bind_int64(st, 3, b.active_version);
	int r = sqlite3_step(st);
	sqlite3_reset(st);
	return r == SQLITE_DONE ? MDG_OK
				: mdg_fail(a->err, MDG_ERR_DB, "%s",
					   sqlite3_errmsg(k->db));
}

mdg_rc kb_bot_rollback(kb *k, const char *name, char **err)
{
	rollback_arg a = {name, err};
	return kb_write_txn(k, do_rollback, &a, err);
}
