/* turnlog.c — bounded queue + one writer thread (see turnlog.h). */
#include "turnlog.h"

#include <errno.h>
#include <pthread.h>
#include <sqlite3.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "log.h"

#define BATCH_WAIT_MS 250      /* the writer collects records this long */
#define RETENTION_EVERY 3600   /* seconds */

static const char schema_sql[] =
	"CREATE TABLE IF NOT EXISTS turns("
	" id INTEGER PRIMARY KEY,"
	" ts INTEGER NOT NULL," /* unix seconds */
	" at TEXT NOT NULL,"    /* the same, ISO 8601 UTC */
	" bot TEXT NOT NULL,"
	" conversation TEXT NOT NULL,"
	" turn INTEGER NOT NULL,"
	" input TEXT NOT NULL,"
	" query TEXT NOT NULL,"
	" decision TEXT NOT NULL,"
	" qa_id TEXT NOT NULL DEFAULT '',"
	" score REAL NOT NULL DEFAULT 0,"
	" kb_version INTEGER NOT NULL DEFAULT 0);"
	"CREATE INDEX IF NOT EXISTS turns_ts ON turns(ts);"
	"CREATE INDEX IF NOT EXISTS turns_bot_ts ON turns(bot, ts);"
	"CREATE TABLE IF NOT EXISTS feedback("
	" id INTEGER PRIMARY KEY,"
	" ts INTEGER NOT NULL,"
	" at TEXT NOT NULL,"
	" bot TEXT NOT NULL,"
	" conversation TEXT NOT NULL,"
	" qa_id TEXT NOT NULL,"
	" helpful INTEGER NOT NULL,"
	" comment TEXT NOT NULL DEFAULT '');"
	"CREATE INDEX IF NOT EXISTS feedback_ts ON feedback(ts);";

enum { REC_TURN, REC_FEEDBACK };

typedef struct rec {
	struct rec *next;
	int kind;
	int64_t ts;
	int turn, helpful;
	double score;
	int64_t kb_version;
	char *bot, *conv, *input, *query, *decision, *qa_id, *comment;
} rec;

struct turnlog {
	sqlite3 *db; /* used by the writer thread only (and start-up) */
	sqlite3_stmt *ins_turn, *ins_feedback;
	pthread_t thread;
	int started;
	int retention_days;
	time_t last_retention;

	pthread_mutex_t lock; /* guards the queue and stopping */
	pthread_cond_t cond;
	rec *head, *tail;
	size_t n, cap;
	int stopping;

	atomic_uint_fast64_t written, dropped;
};

static void rec_free(rec *r)
{
	if (r == NULL)
		return;
	free(r->bot);
	free(r->conv);
	free(r->input);
	free(r->query);
	free(r->decision);
	free(r->qa_id);
	free(r->comment);
	free(r);
}

static char *dup0(const char *s)
{
	return strdup(s ? s : "");
}

static int push(turnlog *t, rec *r)
{
	pthread_mutex_lock(&t->lock);
	if (t->n >= t->cap || t->stopping) {
		pthread_mutex_unlock(&t->lock);
		rec_free(r);
		atomic_fetch_add(&t->dropped, 1);
		return -1;
	}
	if (t->tail)
		t->tail->next = r;
	else
		t->head = r;
	t->tail = r;
	t->n++;
	/* Wake the writer early only when the queue fills up; otherwise it
	 * collects records for BATCH_WAIT_MS and writes them together. */
	if (t->n >= t->cap / 2)
		pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
	return 0;
}

/* A new record stamped now; NULL (counted as dropped) without memory. */
static rec *rec_new(turnlog *t, int kind)
{
	rec *r = calloc(1, sizeof *r);
	if (r == NULL) {
		atomic_fetch_add(&t->dropped, 1);
		return NULL;
	}
	r->kind = kind;
	r->ts = (int64_t)time(NULL);
	return r;
}

int turnlog_turn(turnlog *t, const turn_rec *in)
{
	rec *r = t ? rec_new(t, REC_TURN) : NULL;
	if (r == NULL)
		return -1;
	r->turn = in->turn;
	r->score = in->score;
	r->kb_version = in->kb_version;
	r->bot = dup0(in->bot);
	r->conv = dup0(in->conversation);
	r->input = dup0(in->input);
	r->query = dup0(in->query);
	r->decision = dup0(in->decision);
	r->qa_id = dup0(in->qa_id);
	if (!r->bot || !r->conv || !r->input || !r->query || !r->decision || !r->qa_id) {
		rec_free(r);
		atomic_fetch_add(&t->dropped, 1);
		return -1;
	}
	return push(t, r);
}

int turnlog_feedback(turnlog *t, const feedback_rec *in)
{
	rec *r = t ? rec_new(t, REC_FEEDBACK) : NULL;
	if (r == NULL)
		return -1;
	r->helpful = in->helpful;
	r->bot = dup0(in->bot);
	r->conv = dup0(in->conversation);
	r->qa_id = dup0(in->qa_id);
	r->comment = dup0(in->comment);
	if (!r->bot || !r->conv || !r->qa_id || !r->comment) {
		rec_free(r);
		atomic_fetch_add(&t->dropped, 1);
		return -1;
	}
	return push(t, r);
}

void turnlog_get_stats(turnlog *t, turnlog_stats *s)
{
	memset(s, 0, sizeof *s);
	if (t == NULL)
		return;
	pthread_mutex_lock(&t->lock);
	s->queued = t->n;
	pthread_mutex_unlock(&t->lock);
	s->written = atomic_load(&t->written);
	s->dropped = atomic_load(&t->dropped);
}

static int store(turnlog *t, rec *r)
{
	sqlite3_stmt *st;
	if (r->kind == REC_TURN) {
		st = t->ins_turn;
		sqlite3_bind_int64(st, 1, r->ts);
		sqlite3_bind_text(st, 2, r->bot, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, r->conv, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 4, r->turn);
		sqlite3_bind_text(st, 5, r->input, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 6, r->query, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 7, r->decision, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 8, r->qa_id, -1, SQLITE_STATIC);
		sqlite3_bind_double(st, 9, r->score);
		sqlite3_bind_int64(st, 10, r->kb_version);
	} else {
		st = t->ins_feedback;
		sqlite3_bind_int64(st, 1, r->ts);
		sqlite3_bind_text(st, 2, r->bot, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 3, r->conv, -1, SQLITE_STATIC);
		sqlite3_bind_text(st, 4, r->qa_id, -1, SQLITE_STATIC);
		sqlite3_bind_int(st, 5, r->helpful);
		sqlite3_bind_text(st, 6, r->comment, -1, SQLITE_STATIC);
	}
	int rc = sqlite3_step(st);
	sqlite3_reset(st);
	sqlite3_clear_bindings(st);
	return rc == SQLITE_DONE ? 0 : -1;
}

/* Stores a batch in one transaction; frees the records. */
static void write_batch(turnlog *t, rec *list)
{
	size_t n = 0, ok = 0;
	int txn = sqlite3_exec(t->db, "BEGIN IMMEDIATE", NULL, NULL, NULL) == SQLITE_OK;
	if (!txn)
		srv_log(SRV_LOG_ERROR, "turn log: cannot begin a transaction: %s",
			sqlite3_errmsg(t->db));
	while (list) {
		rec *next = list->next;
		n++;
		if (txn && store(t, list) == 0)
			ok++;
		rec_free(list);
		list = next;
	}
	if (txn && sqlite3_exec(t->db, "COMMIT", NULL, NULL, NULL) != SQLITE_OK) {
		srv_log(SRV_LOG_ERROR, "turn log: commit failed: %s",
			sqlite3_errmsg(t->db));
		sqlite3_exec(t->db, "ROLLBACK", NULL, NULL, NULL);
		ok = 0;
	}
	if (ok < n)
		srv_log(SRV_LOG_ERROR, "turn log: %zu of %zu records not stored: %s",
			n - ok, n, sqlite3_errmsg(t->db));
	atomic_fetch_add(&t->written, ok);
	atomic_fetch_add(&t->dropped, n - ok);
}

static void apply_retention(turnlog *t)
{
	sqlite3_stmt *st = NULL;
	int64_t cutoff = (int64_t)time(NULL) - (int64_t)t->retention_days * 86400;
	static const char *const sql[] = {"DELETE FROM turns WHERE ts < ?1",
					  "DELETE FROM feedback WHERE ts < ?1"};
	int deleted = 0;
	for (size_t i = 0; i < 2; i++) {
		if (sqlite3_prepare_v2(t->db, sql[i], -1, &st, NULL) != SQLITE_OK) {
			srv_log(SRV_LOG_ERROR, "turn log retention: %s",
				sqlite3_errmsg(t->db));
			continue;
		}
		sqlite3_bind_int64(st, 1, cutoff);
		if (sqlite3_step(st) != SQLITE_DONE)
			srv_log(SRV_LOG_ERROR, "turn log retention: %s",
				sqlite3_errmsg(t->db));
		else
			deleted += sqlite3_changes(t->db);
		sqlite3_finalize(st);
	}
	if (deleted)
		srv_log(SRV_LOG_INFO, "turn log: deleted %d records older than %d days",
			deleted, t->retention_days);
	t->last_retention = time(NULL);
}

static void *writer(void *arg)
{
	turnlog *t = arg;
	pthread_mutex_lock(&t->lock);
	for (;;) {
		if (!t->stopping && t->n < t->cap / 2) {
			struct timespec until;
			clock_gettime(CLOCK_REALTIME, &until);
			until.tv_nsec += BATCH_WAIT_MS * 1000000L;
			if (until.tv_nsec >= 1000000000L) {
				until.tv_sec++;
				until.tv_nsec -= 1000000000L;
			}
			pthread_cond_timedwait(&t->cond, &t->lock, &until);
		}
		rec *list = t->head;
		t->head = t->tail = NULL;
		t->n = 0;
		int stop = t->stopping;
		pthread_mutex_unlock(&t->lock);
		if (list)
			write_batch(t, list);
		if (time(NULL) - t->last_retention >= RETENTION_EVERY)
			apply_retention(t);
		pthread_mutex_lock(&t->lock);
		/* stopping is set under the lock and push refuses new records
		 * from then on, so an empty queue here means everything is
		 * written. */
		if (stop && t->n == 0)
			break;
	}
	pthread_mutex_unlock(&t->lock);
	return NULL;
}

static void close_db(turnlog *t)
{
	sqlite3_finalize(t->ins_turn);
	sqlite3_finalize(t->ins_feedback);
	sqlite3_close(t->db);
}

mdg_rc turnlog_start(const char *db_path, int retention_days, int queue_cap,
		     turnlog **out, char **err)
{
	*out = NULL;
	turnlog *t = calloc(1, sizeof *t);
	if (t == NULL)
		return MDG_ERR_NOMEM;
	t->cap = queue_cap > 0 ? (size_t)queue_cap : 1;
	t->retention_days = retention_days;
	pthread_mutex_init(&t->lock, NULL);
	pthread_cond_init(&t->cond, NULL);
	mdg_rc rc = MDG_OK;
	if (sqlite3_open_v2(db_path, &t->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX,
			    NULL) != SQLITE_OK) {
		rc = mdg_fail(err, MDG_ERR_DB, "turn log: cannot open %s: %s", db_path,
			      t->db ? sqlite3_errmsg(t->db) : "out of memory");
		goto fail;
	}
	sqlite3_busy_timeout(t->db, 10000);
	char *msg = NULL;
	if (sqlite3_exec(t->db,
			 "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", NULL,
			 NULL, &msg) != SQLITE_OK ||
	    sqlite3_exec(t->db, schema_sql, NULL, NULL, &msg) != SQLITE_OK) {
		rc = mdg_fail(err, MDG_ERR_DB, "turn log: %s: %s", db_path,
			      msg ? msg : sqlite3_errmsg(t->db));
		sqlite3_free(msg);
		goto fail;
	}
	if (sqlite3_prepare_v2(t->db,
			       "INSERT INTO turns(ts, at, bot, conversation, turn, input,"
			       " query, decision, qa_id, score, kb_version) VALUES(?1,"
			       " strftime('%Y-%m-%dT%H:%M:%SZ', ?1, 'unixepoch'), ?2, ?3,"
			       " ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
			       -1, &t->ins_turn, NULL) != SQLITE_OK ||
	    sqlite3_prepare_v2(t->db,
			       "INSERT INTO feedback(ts, at, bot, conversation, qa_id,"
			       " helpful, comment) VALUES(?1,"
			       " strftime('%Y-%m-%dT%H:%M:%SZ', ?1, 'unixepoch'), ?2, ?3,"
			       " ?4, ?5, ?6)",
			       -1, &t->ins_feedback, NULL) != SQLITE_OK) {
		rc = mdg_fail(err, MDG_ERR_DB, "turn log: %s", sqlite3_errmsg(t->db));
		goto fail;
	}
	apply_retention(t);
	int e = pthread_create(&t->thread, NULL, writer, t);
	if (e != 0) {
		rc = mdg_fail(err, MDG_ERR_IO, "turn log: cannot start thread: %s",
			      strerror(e));
		goto fail;
	}
	t->started = 1;
	*out = t;
	return MDG_OK;
fail:
	close_db(t);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
	free(t);
	return rc;
}

void turnlog_stop(turnlog *t)
{
	if (t == NULL)
		return;
	pthread_mutex_lock(&t->lock);
	t->stopping = 1;
	pthread_cond_signal(&t->cond);
	pthread_mutex_unlock(&t->lock);
	if (t->started)
		pthread_join(t->thread, NULL);
	turnlog_stats s;
	turnlog_get_stats(t, &s);
	srv_log(SRV_LOG_INFO, "turn log: %llu records written, %llu dropped",
		(unsigned long long)s.written, (unsigned long long)s.dropped);
	close_db(t);
	pthread_cond_destroy(&t->cond);
	pthread_mutex_destroy(&t->lock);
	free(t);
}
