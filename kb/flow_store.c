/* flow_store.c — storing, versioning and caching flow sets and red-flag
 * lists (see flow_store.h). */
#include "flow_store.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow_internal.h"

#define CACHE_MAX 64 /* bots whose content one connection keeps parsed */

static const char schema_sql[] =
    "CREATE TABLE IF NOT EXISTS flow_sets("
    " id INTEGER PRIMARY KEY,"
    " bot_id INTEGER NOT NULL REFERENCES bots(id),"
    " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
    " source TEXT NOT NULL DEFAULT '',"
    " n_flows INTEGER NOT NULL DEFAULT 0,"
    " state TEXT NOT NULL CHECK(state IN ('active','previous')));"
    "CREATE INDEX IF NOT EXISTS flow_sets_bot ON flow_sets(bot_id, state);"
    "CREATE TABLE IF NOT EXISTS flow_files("
    " set_id INTEGER NOT NULL REFERENCES flow_sets(id),"
    " seq INTEGER NOT NULL,"
    " name TEXT NOT NULL,"
    " yaml TEXT NOT NULL,"
    " PRIMARY KEY(set_id, seq));"
    "CREATE TABLE IF NOT EXISTS redflag_sets("
    " id INTEGER PRIMARY KEY,"
    " bot_id INTEGER NOT NULL DEFAULT 0," /* 0: every bot */
    " created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ','now')),"
    " source TEXT NOT NULL DEFAULT '',"
    " n_flags INTEGER NOT NULL DEFAULT 0,"
    " yaml TEXT NOT NULL,"
    " state TEXT NOT NULL CHECK(state IN ('active','previous')));";

/* ---- the per-connection cache ---- */

typedef struct entry {
	char bot[KB_BOT_NAME_MAX + 1];
	int64_t id;
	void *obj;
	/* flow sets: the included bots and their set ids when parsed */
	char inc[FLOW_MAX_INCLUDES][KB_BOT_NAME_MAX + 1];
	int64_t inc_id[FLOW_MAX_INCLUDES];
	size_t ninc;
} entry;

typedef struct store_cache {
	int tables_ok;
	int64_t missing_at; /* schema version when the tables were missing; 0 = unknown */
	entry flows[CACHE_MAX], flags[CACHE_MAX];
	size_t nflows, nflags;
} store_cache;

static void cache_free(void *p)
{
	store_cache *c = p;
	if (c == NULL)
		return;
	for (size_t i = 0; i < c->nflows; i++)
		flow_set_release(c->flows[i].obj);
	for (size_t i = 0; i < c->nflags; i++)
		redflag_release(c->flags[i].obj);
	free(c);
}

static store_cache *cache_of(kb *k)
{
	store_cache *c = kb_cache_get(k, KB_CACHE_FLOWS);
	if (c == NULL && (c = calloc(1, sizeof *c)) != NULL)
		kb_cache_set(k, KB_CACHE_FLOWS, c, cache_free);
	return c;
}

static entry *cache_find(entry *v, size_t n, const char *bot)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(v[i].bot, bot) == 0)
			return &v[i];
	return NULL;
}

/* Stores obj for bot (taking the reference), evicting the oldest entry
 * when full. */
static entry *cache_put(entry *v, size_t *n, const char *bot, int64_t id, void *obj,
                        void (*release)(void *))
{
	entry *e = cache_find(v, *n, bot);
	if (e == NULL) {
		if (*n == CACHE_MAX) {
			release(v[0].obj);
			memmove(v, v + 1, (CACHE_MAX - 1) * sizeof *v);
			(*n)--;
		}
		e = &v[(*n)++];
		snprintf(e->bot, sizeof e->bot, "%s", bot);
	} else {
		release(e->obj);
	}
	e->id = id;
	e->obj = obj;
	e->ninc = 0;
	return e;
}

static void release_set(void *p)
{
	flow_set_release(p);
}

static void release_flags(void *p)
{
	redflag_release(p);
}

/* 1 once the tables exist; re-checked until they do, since another
 * process may run the first import while we serve. */
static int tables_exist(kb *k, store_cache *c)
{
	if (c->tables_ok)
		return 1;
	/* Databases without flows are common (and checked on every chat
	 * turn): look at sqlite_master again only when the schema changed. */
	sqlite3_stmt *sv = kb_stmt(k, "PRAGMA schema_version", NULL);
	int64_t version = sv && sqlite3_step(sv) == SQLITE_ROW ? sqlite3_column_int64(sv, 0) : 0;
	if (sv)
		sqlite3_reset(sv);
	if (version != 0 && version == c->missing_at)
		return 0;
	sqlite3_stmt *st = kb_stmt(k,
	                           "SELECT count(*) FROM sqlite_master WHERE type='table'"
	                           " AND name IN ('flow_sets','flow_files','redflag_sets')",
	                           NULL);
	if (st && sqlite3_step(st) == SQLITE_ROW)
		c->tables_ok = sqlite3_column_int(st, 0) == 3;
	if (st)
		sqlite3_reset(st);
	if (!c->tables_ok)
		c->missing_at = version;
	return c->tables_ok;
}

mdg_rc flow_store_init(kb *k, char **err)
{
	return kb_exec(k, schema_sql, err);
}

/* ---- reading ---- */

static mdg_rc db_fail(kb *k, char **err)
{
	return mdg_fail(err, MDG_ERR_DB, "%s", sqlite3_errmsg(kb_sqlite(k)));
}

/* Appends the files of flow set set_id to *v. With from_bot, they are
 * marked borrowed and named "bot:file". */
static mdg_rc append_files(kb *k, int64_t set_id, const char *from_bot, flow_source **v,
                           size_t *n, char **err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(kb_sqlite(k),
	                       "SELECT name, yaml FROM flow_files WHERE set_id=?1 "
	                       "ORDER BY seq",
	                       -1, &st, NULL) != SQLITE_OK)
		return db_fail(k, err);
	sqlite3_bind_int64(st, 1, set_id);
	mdg_rc rc = MDG_OK;
	int r;
	while (rc == MDG_OK && (r = sqlite3_step(st)) == SQLITE_ROW) {
		flow_source *nv = realloc(*v, (*n + 1) * sizeof *nv);
		if (nv == NULL) {
			rc = MDG_ERR_NOMEM;
			break;
		}
		*v = nv;
		size_t len = (size_t)sqlite3_column_bytes(st, 1);
		const char *name = (const char *)sqlite3_column_text(st, 0);
		char *text = malloc(len + 1), *nm = NULL;
		if (asprintf(&nm, "%s%s%s", from_bot ? from_bot : "", from_bot ? ":" : "",
		             name ? name : "") < 0)
			nm = NULL;
		if (text) {
			memcpy(text, sqlite3_column_blob(st, 1), len);
			text[len] = '\0';
		}
		nv[(*n)++] = (flow_source){nm, text, len, from_bot != NULL};
		if (!text || !nm)
			rc = MDG_ERR_NOMEM;
	}
	if (rc == MDG_OK && r != SQLITE_DONE)
		rc = db_fail(k, err);
	sqlite3_finalize(st);
	return rc;
}

static mdg_rc load_files(kb *k, int64_t set_id, flow_source **out, size_t *n, char **err)
{
	*out = NULL;
	*n = 0;
	mdg_rc rc = append_files(k, set_id, NULL, out, n, err);
	if (rc != MDG_OK) {
		flow_sources_free(*out, *n);
		*out = NULL;
		*n = 0;
	}
	return rc;
}

void flow_sources_free(flow_source *src, size_t n)
{
	for (size_t i = 0; src && i < n; i++) {
		free((char *)src[i].name);
		free((char *)src[i].text);
	}
	free(src);
}

/* Id of bot's active flow set, 0 if none. */
static mdg_rc active_set_id(kb *k, const char *bot, int64_t *id, char **err)
{
	*id = 0;
	sqlite3_stmt *st = kb_stmt(k,
	                           "SELECT fs.id FROM flow_sets fs JOIN bots b ON "
	                           "b.id = fs.bot_id WHERE b.name = ?1 AND "
	                           "fs.state = 'active'",
	                           err);
	if (st == NULL)
		return MDG_ERR_DB;
	sqlite3_bind_text(st, 1, bot, -1, SQLITE_STATIC);
	int r = sqlite3_step(st);
	if (r == SQLITE_ROW)
		*id = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	return r == SQLITE_ROW || r == SQLITE_DONE ? MDG_OK : db_fail(k, err);
}

/* The first problem of a report, for errors about stored content that no
 * longer parses (validated at import, so only after an engine change). */
static mdg_rc stored_invalid(flow_report *rep, const char *what, char **err)
{
	char *p = rep && rep->nproblems ? flow_problem_format(&rep->problems[0]) : NULL;
	mdg_rc rc = mdg_fail(err, MDG_ERR_FORMAT, "stored %s no longer valid: %s", what,
	                     p ? p : "?");
	free(p);
	return rc;
}

/* Adds the active files of the bots the first *n sources include
 * (include_bots) and records them in inc. Bots without flows, or the bot
 * itself, are problems in rep (if given) and otherwise skipped. */
static mdg_rc add_includes(kb *k, const char *bot, flow_source **v, size_t *n, entry *inc,
                           flow_report *rep, char **err)
{
	char *names[FLOW_MAX_INCLUDES];
	size_t nn = 0;
	const char *file = *n ? (*v)[0].name : "";
	inc->ninc = 0;
	mdg_rc rc = flow_scan_includes(*v, *n, names, &nn);
	for (size_t i = 0; i < nn && rc == MDG_OK; i++) {
		int64_t id = 0;
		if (strcmp(names[i], bot) == 0) {
			if (rep)
				rc = flow_report_add(
				    rep, file, 0, NULL, NULL,
				    "include_bots: bot '%s' cannot include "
				    "itself",
				    bot);
			continue;
		}
		rc = active_set_id(k, names[i], &id, err);
		if (rc == MDG_OK && id == 0) {
			if (rep)
				rc =
				    flow_report_add(rep, file, 0, NULL, NULL,
				                    "include_bots: bot '%s' has no flows "
				                    "(import them first)",
				                    names[i]);
			continue;
		}
		if (rc == MDG_OK)
			rc = append_files(k, id, names[i], v, n, err);
		if (rc == MDG_OK) {
			snprintf(inc->inc[inc->ninc], sizeof inc->inc[0], "%s", names[i]);
			inc->inc_id[inc->ninc++] = id;
		}
	}
	for (size_t i = 0; i < nn; i++)
		free(names[i]);
	return rc;
}

/* 1 if the included bots still have the flow sets e was parsed with. */
static int includes_current(kb *k, const entry *e, mdg_rc *rc, char **err)
{
	for (size_t i = 0; i < e->ninc; i++) {
		int64_t id = 0;
		if ((*rc = active_set_id(k, e->inc[i], &id, err)) != MDG_OK ||
		    id != e->inc_id[i])
			return 0;
	}
	return 1;
}

mdg_rc flow_active(kb *k, const char *bot, flow_set **out, int64_t *set_id, char **err)
{
	*out = NULL;
	if (set_id)
		*set_id = 0;
	store_cache *c = cache_of(k);
	if (c == NULL)
		return MDG_ERR_NOMEM;
	if (!tables_exist(k, c))
		return MDG_OK;
	int64_t id;
	mdg_rc rc = active_set_id(k, bot, &id, err);
	if (rc != MDG_OK || id == 0)
		return rc;
	entry *e = cache_find(c->flows, c->nflows, bot);
	if (e && e->id == id && includes_current(k, e, &rc, err)) {
		*out = flow_set_retain(e->obj);
		if (set_id)
			*set_id = id;
		return MDG_OK;
	}
	if (rc != MDG_OK)
		return rc;
	flow_source *src = NULL;
	size_t n = 0, own = 0;
	entry inc = {0};
	if ((rc = load_files(k, id, &src, &n, err)) != MDG_OK)
		return rc;
	own = n;
	rc = add_includes(k, bot, &src, &n, &inc, NULL, err);
	flow_set *s = NULL;
	flow_report *rep = NULL;
	if (rc == MDG_OK)
		rc = flow_set_parse(src, n, kb_tagger(k), &s, &rep, err);
	if (rc == MDG_ERR_VALIDATION && n > own) {
		/* An included bot changed in a way imports should have refused:
		 * serve this bot's own flows rather than none. */
		flow_report_free(rep);
		rep = NULL;
		rc = flow_set_parse(src, own, kb_tagger(k), &s, &rep, err);
	}
	if (rc == MDG_ERR_VALIDATION)
		rc = stored_invalid(rep, "flow set", err);
	flow_report_free(rep);
	flow_sources_free(src, n);
	if (rc != MDG_OK)
		return rc;
	e = cache_put(c->flows, &c->nflows, bot, id, s, release_set);
	memcpy(e->inc, inc.inc, sizeof inc.inc);
	memcpy(e->inc_id, inc.inc_id, sizeof inc.inc_id);
	e->ninc = inc.ninc;
	*out = flow_set_retain(s);
	if (set_id)
		*set_id = id;
	return MDG_OK;
}

mdg_rc flow_export(kb *k, const char *bot, flow_source **out, size_t *n, char **err)
{
	*out = NULL;
	*n = 0;
	store_cache *c = cache_of(k);
	if (c == NULL)
		return MDG_ERR_NOMEM;
	int64_t id = 0;
	mdg_rc rc = MDG_OK;
	if (tables_exist(k, c))
		rc = active_set_id(k, bot, &id, err);
	if (rc == MDG_OK && id == 0)
		return mdg_fail(err, MDG_ERR_NOTFOUND, "bot '%s' has no flows", bot);
	return rc == MDG_OK ? load_files(k, id, out, n, err) : rc;
}

/* ---- writing ---- */

typedef struct import_arg {
	int64_t bot_id;
	const flow_source *src;
	size_t nsrc, nflows;
	int64_t set_id;
	char **err;
} import_arg;

static mdg_rc exec_bind_id(kb *k, const char *sql, int64_t id, char **err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(kb_sqlite(k), sql, -1, &st, NULL) != SQLITE_OK)
		return db_fail(k, err);
	sqlite3_bind_int64(st, 1, id);
	int r = sqlite3_step(st);
	sqlite3_finalize(st);
	return r == SQLITE_DONE || r == SQLITE_ROW ? MDG_OK : db_fail(k, err);
}

static mdg_rc do_import(kb *k, void *p)
{
	import_arg *a = p;
	mdg_rc rc = exec_bind_id(k,
	                         "DELETE FROM flow_files WHERE set_id IN (SELECT id "
	                         "FROM flow_sets WHERE bot_id=?1 AND state='previous')",
	                         a->bot_id, a->err);
	if (rc == MDG_OK)
		rc = exec_bind_id(k,
		                  "DELETE FROM flow_sets WHERE bot_id=?1 AND "
		                  "state='previous'",
		                  a->bot_id, a->err);
	if (rc == MDG_OK)
		rc = exec_bind_id(k,
		                  "UPDATE flow_sets SET state='previous' WHERE "
		                  "bot_id=?1 AND state='active'",
		                  a->bot_id, a->err);
	if (rc != MDG_OK)
		return rc;
	mdg_buf names = {.limit = 64 * 1024};
	for (size_t i = 0; i < a->nsrc && rc == MDG_OK; i++) {
		const char *base = strrchr(a->src[i].name, '/');
		rc = mdg_buf_printf(&names, "%s%s", i ? " " : "",
		                    base ? base + 1 : a->src[i].name);
	}
	sqlite3_stmt *st = NULL;
	if (rc == MDG_OK &&
	    sqlite3_prepare_v2(kb_sqlite(k),
	                       "INSERT INTO flow_sets(bot_id, source, n_flows, state)"
	                       " VALUES(?1, ?2, ?3, 'active')",
	                       -1, &st, NULL) != SQLITE_OK)
		rc = db_fail(k, a->err);
	if (rc == MDG_OK) {
		sqlite3_bind_int64(st, 1, a->bot_id);
		sqlite3_bind_text(st, 2, names.data ? names.data : "", -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (int64_t)a->nflows);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = db_fail(k, a->err);
		a->set_id = sqlite3_last_insert_rowid(kb_sqlite(k));
	}
	sqlite3_finalize(st);
	mdg_buf_free(&names);
	st = NULL;
	if (rc == MDG_OK &&
	    sqlite3_prepare_v2(kb_sqlite(k),
	                       "INSERT INTO flow_files(set_id, seq, name, yaml) "
	                       "VALUES(?1, ?2, ?3, ?4)",
	                       -1, &st, NULL) != SQLITE_OK)
		rc = db_fail(k, a->err);
	for (size_t i = 0; i < a->nsrc && rc == MDG_OK; i++) {
		const char *base = strrchr(a->src[i].name, '/');
		sqlite3_reset(st);
		sqlite3_bind_int64(st, 1, a->set_id);
		sqlite3_bind_int64(st, 2, (int64_t)i);
		sqlite3_bind_text(st, 3, base ? base + 1 : a->src[i].name, -1,
		                  SQLITE_STATIC);
		sqlite3_bind_text(st, 4, a->src[i].text, (int)a->src[i].len,
		                  SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = db_fail(k, a->err);
	}
	sqlite3_finalize(st);
	return rc;
}

/* Every Q&A of the active version that links a flow must find it. */
static mdg_rc check_links(kb *k, const kb_bot *b, const flow_set *s, flow_report *rep,
                          char **err)
{
	if (b->active_version == 0)
		return MDG_OK;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(kb_sqlite(k),
	                       "SELECT ext_id, flow, line FROM qa WHERE version_id=?1"
	                       " AND flow <> '' ORDER BY id",
	                       -1, &st, NULL) != SQLITE_OK)
		return db_fail(k, err);
	sqlite3_bind_int64(st, 1, b->active_version);
	mdg_rc rc = MDG_OK;
	while (rc == MDG_OK && sqlite3_step(st) == SQLITE_ROW) {
		const char *ext = (const char *)sqlite3_column_text(st, 0);
		const char *flow = (const char *)sqlite3_column_text(st, 1);
		if (!flow_set_has(s, flow))
			rc = flow_report_add(rep, "", 0, NULL, NULL,
			                     "Q&A '%s' of bot '%s' links flow '%s', "
			                     "which these files do not define",
			                     ext, b->name, flow);
	}
	sqlite3_finalize(st);
	return rc;
}

/* Copies problems of r into rep, each message prefixed. */
static mdg_rc merge_problems(flow_report *rep, const flow_report *r, const char *prefix)
{
	mdg_rc rc = MDG_OK;
	for (size_t i = 0; r && i < r->nproblems && rc == MDG_OK; i++) {
		const flow_problem *p = &r->problems[i];
		rc = flow_report_add(rep, p->file, p->line, p->flow, p->node, "%s%s",
		                     prefix, p->message);
	}
	return rc;
}

/* Owned copies of sources (from_bot: borrowed, named "bot:file"). */
static mdg_rc append_copies(const flow_source *src, size_t nsrc, const char *from_bot,
                            flow_source **v, size_t *n)
{
	for (size_t i = 0; i < nsrc; i++) {
		flow_source *nv = realloc(*v, (*n + 1) * sizeof *nv);
		if (nv == NULL)
			return MDG_ERR_NOMEM;
		*v = nv;
		const char *base = strrchr(src[i].name, '/');
		char *nm = NULL, *text = malloc(src[i].len + 1);
		if (asprintf(&nm, "%s%s%s", from_bot ? from_bot : "", from_bot ? ":" : "",
		             base ? base + 1 : src[i].name) < 0)
			nm = NULL;
		if (text) {
			memcpy(text, src[i].text, src[i].len);
			text[src[i].len] = '\0';
		}
		nv[(*n)++] = (flow_source){nm, text, src[i].len, from_bot != NULL};
		if (!nm || !text)
			return MDG_ERR_NOMEM;
	}
	return MDG_OK;
}

/* Bots whose flows include bot (include_bots) must still be valid with
 * bot's new files src: their own files, src and their other includes are
 * parsed together, and their Q&A's flow links checked. */
static mdg_rc check_dependents(kb *k, const char *bot, const flow_source *src,
                               size_t nsrc, flow_report *rep, char **err)
{
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(
	        kb_sqlite(k),
	        "SELECT b.name, fs.id FROM flow_sets fs JOIN bots b ON "
	        "b.id = fs.bot_id WHERE fs.state = 'active' AND b.name <> ?1",
	        -1, &st, NULL) != SQLITE_OK)
		return db_fail(k, err);
	sqlite3_bind_text(st, 1, bot, -1, SQLITE_STATIC);
	mdg_rc rc = MDG_OK;
	while (rc == MDG_OK && sqlite3_step(st) == SQLITE_ROW) {
		char other[KB_BOT_NAME_MAX + 1];
		snprintf(other, sizeof other, "%s",
		         (const char *)sqlite3_column_text(st, 0));
		flow_source *v = NULL;
		size_t n = 0;
		char *names[FLOW_MAX_INCLUDES];
		size_t nn = 0;
		int uses = 0;
		rc = append_files(k, sqlite3_column_int64(st, 1), NULL, &v, &n, err);
		if (rc == MDG_OK)
			rc = flow_scan_includes(v, n, names, &nn);
		for (size_t i = 0; i < nn; i++)
			uses |= strcmp(names[i], bot) == 0;
		for (size_t i = 0; i < nn && rc == MDG_OK && uses; i++) {
			int64_t id = 0;
			if (strcmp(names[i], bot) == 0)
				rc = append_copies(src, nsrc, bot, &v, &n);
			else if ((rc = active_set_id(k, names[i], &id, err)) == MDG_OK &&
			         id)
				rc = append_files(k, id, names[i], &v, &n, err);
		}
		if (rc == MDG_OK && uses) {
			flow_set *s = NULL;
			flow_report *r = NULL;
			kb_bot ob;
			char prefix[KB_BOT_NAME_MAX + 64];
			snprintf(prefix, sizeof prefix,
			         "in bot '%s', which includes these flows: ", other);
			rc = flow_set_parse(v, n, NULL, &s, &r, err);
			if (rc == MDG_ERR_VALIDATION)
				rc = merge_problems(rep, r, prefix);
			else if (rc == MDG_OK &&
			         (rc = kb_bot_get(k, other, &ob, err)) == MDG_OK) {
				flow_report tmp = {0};
				rc = check_links(k, &ob, s, &tmp, err);
				if (rc == MDG_OK)
					rc = merge_problems(rep, &tmp, prefix);
				for (size_t i = 0; i < tmp.nproblems; i++) {
					free(tmp.problems[i].file);
					free(tmp.problems[i].flow);
					free(tmp.problems[i].node);
					free(tmp.problems[i].message);
				}
				free(tmp.problems);
			}
			flow_set_release(s);
			flow_report_free(r);
		}
		for (size_t i = 0; i < nn; i++)
			free(names[i]);
		flow_sources_free(v, n);
	}
	sqlite3_finalize(st);
	return rc;
}

mdg_rc flow_import(kb *k, const char *bot, const flow_source *src, size_t nsrc,
                   int dry_run, flow_report **rep, int64_t *set_id, char **err)
{
	*rep = NULL;
	if (set_id)
		*set_id = 0;
	kb_bot b;
	mdg_rc rc = kb_bot_get(k, bot, &b, err);
	if (rc == MDG_ERR_NOTFOUND) {
		free(err ? *err : NULL);
		if (err)
			*err = NULL;
		return mdg_fail(err, rc, "no bot named '%s' (import its Q&A first)", bot);
	}
	if (rc == MDG_OK)
		rc = flow_store_init(k, err);
	if (rc != MDG_OK)
		return rc;
	/* The new files with the active flows of the bots they include. */
	flow_source *all = NULL;
	size_t n = 0;
	entry inc = {0};
	flow_report pre = {0};
	flow_set *s = NULL;
	rc = append_copies(src, nsrc, NULL, &all, &n);
	if (rc == MDG_OK)
		rc = add_includes(k, bot, &all, &n, &inc, &pre, err);
	if (rc == MDG_OK)
		rc = flow_set_parse(all, n, kb_tagger(k), &s, rep, err);
	if ((rc == MDG_OK || rc == MDG_ERR_VALIDATION) && pre.nproblems) {
		rc = merge_problems(*rep, &pre, "");
		if (rc == MDG_OK)
			rc = MDG_ERR_VALIDATION;
	}
	if (rc == MDG_OK)
		rc = check_links(k, &b, s, *rep, err);
	if (rc == MDG_OK || rc == MDG_ERR_VALIDATION) {
		mdg_rc rc2 = check_dependents(k, bot, src, nsrc, *rep, err);
		if (rc2 != MDG_OK)
			rc = rc2;
	}
	if (rc == MDG_OK && (*rep)->nproblems)
		rc = MDG_ERR_VALIDATION;
	if (rc == MDG_OK && !dry_run) {
		import_arg a = {b.id, src, nsrc, flow_set_nflows(s), 0, err};
		rc = kb_write_txn(k, do_import, &a, err);
		if (rc == MDG_OK && set_id)
			*set_id = a.set_id;
	}
	flow_set_release(s);
	flow_sources_free(all, n);
	for (size_t i = 0; i < pre.nproblems; i++) {
		free(pre.problems[i].file);
		free(pre.problems[i].flow);
		free(pre.problems[i].node);
		free(pre.problems[i].message);
	}
	free(pre.problems);
	if (rc != MDG_OK && rc != MDG_ERR_VALIDATION) {
		flow_report_free(*rep);
		*rep = NULL;
	}
	return rc;
}

typedef struct swap_arg {
	const char *table;
	int64_t bot_id;
	char **err;
} swap_arg;

static mdg_rc do_swap(kb *k, void *p)
{
	swap_arg *a = p;
	char sql[256];
	snprintf(sql, sizeof sql,
	         "SELECT count(*) FROM %s WHERE bot_id=?1 AND state='previous'",
	         a->table);
	sqlite3_stmt *st = NULL;
	int have = 0;
	if (sqlite3_prepare_v2(kb_sqlite(k), sql, -1, &st, NULL) == SQLITE_OK) {
		sqlite3_bind_int64(st, 1, a->bot_id);
		if (sqlite3_step(st) == SQLITE_ROW)
			have = sqlite3_column_int(st, 0);
	}
	sqlite3_finalize(st);
	if (!have)
		return mdg_fail(a->err, MDG_ERR_NOTFOUND,
		                "no previous version to restore");
	snprintf(sql, sizeof sql,
	         "UPDATE %s SET state = CASE state WHEN 'active' THEN 'previous' "
	         "ELSE 'active' END WHERE bot_id=?1",
	         a->table);
	return exec_bind_id(k, sql, a->bot_id, a->err);
}

mdg_rc flow_rollback(kb *k, const char *bot, char **err)
{
	kb_bot b;
	mdg_rc rc = kb_bot_get(k, bot, &b, err);
	if (rc == MDG_OK)
		rc = flow_store_init(k, err);
	if (rc != MDG_OK)
		return rc;
	swap_arg a = {"flow_sets", b.id, err};
	return kb_write_txn(k, do_swap, &a, err);
}

/* ---- red flags ---- */

typedef struct flags_arg {
	int64_t bot_id;
	const char *name, *text;
	size_t len, nflags;
	char **err;
} flags_arg;

static mdg_rc do_flags_import(kb *k, void *p)
{
	flags_arg *a = p;
	mdg_rc rc = exec_bind_id(k,
	                         "DELETE FROM redflag_sets WHERE bot_id=?1 AND "
	                         "state='previous'",
	                         a->bot_id, a->err);
	if (rc == MDG_OK)
		rc = exec_bind_id(k,
		                  "UPDATE redflag_sets SET state='previous' WHERE "
		                  "bot_id=?1 AND state='active'",
		                  a->bot_id, a->err);
	sqlite3_stmt *st = NULL;
	if (rc == MDG_OK &&
	    sqlite3_prepare_v2(kb_sqlite(k),
	                       "INSERT INTO redflag_sets(bot_id, source, n_flags, "
	                       "yaml, state) VALUES(?1, ?2, ?3, ?4, 'active')",
	                       -1, &st, NULL) != SQLITE_OK)
		rc = db_fail(k, a->err);
	if (rc == MDG_OK) {
		const char *base = strrchr(a->name, '/');
		sqlite3_bind_int64(st, 1, a->bot_id);
		sqlite3_bind_text(st, 2, base ? base + 1 : a->name, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, (int64_t)a->nflags);
		sqlite3_bind_text(st, 4, a->text, (int)a->len, SQLITE_STATIC);
		if (sqlite3_step(st) != SQLITE_DONE)
			rc = db_fail(k, a->err);
	}
	sqlite3_finalize(st);
	return rc;
}

mdg_rc flow_redflags_import(kb *k, const char *bot, const char *name, const char *text,
                            size_t len, int dry_run, flow_report **rep, char **err)
{
	*rep = NULL;
	int64_t bot_id = 0;
	if (bot) {
		kb_bot b;
		mdg_rc rc = kb_bot_get(k, bot, &b, err);
		if (rc != MDG_OK)
			return rc;
		bot_id = b.id;
	}
	redflag_list *l = NULL;
	mdg_rc rc = redflag_parse(name, text, len, &l, rep, err);
	if (rc == MDG_OK && !dry_run) {
		flags_arg a = {bot_id, name, text, len, redflag_count(l), err};
		rc = flow_store_init(k, err);
		if (rc == MDG_OK)
			rc = kb_write_txn(k, do_flags_import, &a, err);
	}
	redflag_release(l);
	if (rc != MDG_OK && rc != MDG_ERR_VALIDATION) {
		flow_report_free(*rep);
		*rep = NULL;
	}
	return rc;
}

mdg_rc flow_redflags_active(kb *k, const char *bot, redflag_list **out, char **err)
{
	*out = NULL;
	store_cache *c = cache_of(k);
	if (c == NULL)
		return MDG_ERR_NOMEM;
	if (!tables_exist(k, c))
		return MDG_OK;
	sqlite3_stmt *st = kb_stmt(k,
	                           "SELECT id FROM redflag_sets WHERE state='active' "
	                           "AND bot_id IN (0, (SELECT id FROM bots WHERE "
	                           "name=?1)) ORDER BY bot_id DESC LIMIT 1",
	                           err);
	if (st == NULL)
		return MDG_ERR_DB;
	sqlite3_bind_text(st, 1, bot, -1, SQLITE_STATIC);
	int r = sqlite3_step(st);
	int64_t id = r == SQLITE_ROW ? sqlite3_column_int64(st, 0) : 0;
	sqlite3_reset(st);
	if (r != SQLITE_ROW && r != SQLITE_DONE)
		return db_fail(k, err);
	if (id == 0)
		return MDG_OK;
	entry *e = cache_find(c->flags, c->nflags, bot);
	if (e && e->id == id) {
		*out = redflag_retain(e->obj);
		return MDG_OK;
	}
	sqlite3_stmt *q = NULL;
	if (sqlite3_prepare_v2(kb_sqlite(k),
	                       "SELECT source, yaml FROM redflag_sets WHERE id=?1", -1,
	                       &q, NULL) != SQLITE_OK)
		return db_fail(k, err);
	sqlite3_bind_int64(q, 1, id);
	mdg_rc rc = MDG_OK;
	redflag_list *l = NULL;
	if (sqlite3_step(q) == SQLITE_ROW) {
		flow_report *rep = NULL;
		rc = redflag_parse((const char *)sqlite3_column_text(q, 0),
		                   (const char *)sqlite3_column_text(q, 1),
		                   (size_t)sqlite3_column_bytes(q, 1), &l, &rep, err);
		if (rc == MDG_ERR_VALIDATION)
			rc = stored_invalid(rep, "red-flag list", err);
		flow_report_free(rep);
	} else {
		rc = db_fail(k, err);
	}
	sqlite3_finalize(q);
	if (rc != MDG_OK)
		return rc;
	cache_put(c->flags, &c->nflags, bot, id, l, release_flags);
	*out = redflag_retain(l);
	return MDG_OK;
}
