/* kb.h — the knowledge-base database: connections, schema, bots, versions.
 *
 * One SQLite file holds every bot (several municipalities can share one
 * installation). A bot's content is a *version*: Q&A rows, synonyms,
 * term statistics, readings, flows and an FTS5 index table fts_<version>.
 * An import builds a new version next to the active one and switches
 * bots.active_version in one transaction, so readers see either the old or
 * the new knowledge base, never a mix; the previous version is kept for
 * rollback, older ones are deleted.
 *
 * A kb handle is one connection plus one MeCab tagger: use it from one
 * thread at a time (each server worker owns one). */
#ifndef KB_H
#define KB_H

#include <sqlite3.h>
#include <stdint.h>

#include "../nlp/mdg.h"
#include "../nlp/tok.h"

typedef struct kb kb;

enum {
	KB_OPEN_READONLY = 1, /* never writes (search only) */
	KB_OPEN_CREATE = 2    /* create the file and schema if missing */
};

/* Opens (and with KB_OPEN_CREATE creates) the database at path, enables
 * WAL, registers the "mecab" FTS5 tokenizer with model. model must outlive
 * the handle. */
mdg_rc kb_open(const char *path, nlp_model *model, int flags, kb **out,
	       char **err);
void kb_close(kb *k);

sqlite3 *kb_sqlite(kb *k);
nlp_tagger *kb_tagger(kb *k);
nlp_model *kb_model(kb *k);

/* Reads the MeCab dictionary directory recorded by the last import into
 * the database at path (so every process tokenises queries exactly as the
 * index was built). *dicdir is malloc'd, NULL if the file has none yet. */
mdg_rc kb_recorded_dicdir(const char *path, char **dicdir, char **err);

#define KB_BOT_NAME_MAX 64

typedef struct kb_bot {
	int64_t id;
	char name[KB_BOT_NAME_MAX + 1];
	int internal;             /* audience: 1 = staff only */
	int64_t active_version;   /* 0 = nothing imported yet */
	int64_t previous_version; /* 0 = none (rollback impossible) */
	int64_t n_qa;             /* Q&A in the active version */
	int analyzer;             /* its NLP_ANALYZER_REVISION (0: unrecorded) */
} kb_bot;

/* 1 if name is a valid bot id: 1-64 of [a-z0-9_-], starting alphanumeric. */
int kb_bot_name_valid(const char *name);

/* 1 if b's active version was indexed by an older word analysis than this
 * release's (NLP_ANALYZER_REVISION): it should be re-imported. */
int kb_bot_stale(const kb_bot *b);

/* Looks a bot up by name; MDG_ERR_NOTFOUND if it does not exist. */
mdg_rc kb_bot_get(kb *k, const char *name, kb_bot *out, char **err);

/* All bots, ordered by name; *out malloc'd (free()). */
mdg_rc kb_bot_list(kb *k, kb_bot **out, size_t *n, char **err);

/* Makes the previous version active again (and the active one previous). */
mdg_rc kb_bot_rollback(kb *k, const char *name, char **err);

/* Runs fn inside BEGIN IMMEDIATE ... COMMIT (ROLLBACK on error). */
mdg_rc kb_write_txn(kb *k, mdg_rc (*fn)(kb *, void *), void *arg, char **err);

/* A read transaction: one snapshot of the database (an import switching a
 * bot's version meanwhile is seen wholly or not at all) and one lock for
 * many statements. Nested use is a no-op: kb_read_begin returns 0 when a
 * transaction is already open, and kb_read_end(k, 0) then does nothing. */
int kb_read_begin(kb *k, char **err);
void kb_read_end(kb *k, int began);

/* Internal helpers shared by the kb_* modules. */
mdg_rc kb_exec(kb *k, const char *sql, char **err);
/* Cached prepared statement for a constant SQL string (reset, bindings
 * cleared); owned by the handle. */
sqlite3_stmt *kb_stmt(kb *k, const char *sql, char **err);

/* Per-connection caches owned by other kb modules (e.g. kb_search keeps
 * the active version's synonyms). The handle frees them on close. */
enum { KB_CACHE_SEARCH = 0, KB_CACHE_FLOWS = 1, KB_NCACHES = 4 };
void *kb_cache_get(kb *k, int slot);
void kb_cache_set(kb *k, int slot, void *p, void (*free_fn)(void *));

#endif
