/* turnlog.h — the background writer of turn and feedback logs.
 *
 * Every chat turn is recorded for the knowledge editors (which questions
 * residents ask, what the bot decided, which Q&A it answered with what
 * score) and every feedback vote with it. Request threads only push a
 * record onto a bounded in-memory queue — no disk write, let alone an
 * fsync, on the request path; when the queue is full the record is
 * dropped and counted. One writer thread with its own SQLite connection
 * stores the queue in batched transactions (tables `turns` and
 * `feedback` in the knowledge-base database) and deletes rows older than
 * the retention period at start-up and every hour.
 *
 * Text in a record must already be masked (nlp_mask): this module stores
 * what it is given. */
#ifndef SRV_TURNLOG_H
#define SRV_TURNLOG_H

#include <stdint.h>

#include "../nlp/mdg.h"

typedef struct turnlog turnlog;

/* One turn. Strings are copied by turnlog_turn; NULL is stored as "". */
typedef struct turn_rec {
	const char *bot;
	const char *conversation;
	int turn;            /* 1-based turn number in the conversation */
	const char *input;   /* "message" or "choice" */
	const char *query;   /* normalised, masked message; the choice id */
	const char *decision; /* reply type: answer, candidates, fallback, ... */
	const char *qa_id;   /* answered (or top candidate) Q&A, may be NULL */
	double score;        /* top search score, 0 if none */
	int64_t kb_version;
} turn_rec;

typedef struct feedback_rec {
	const char *bot;
	const char *conversation;
	const char *qa_id;
	int helpful;
	const char *comment; /* masked; may be NULL */
} feedback_rec;

/* Opens db_path, creates the tables if needed, applies retention once and
 * starts the writer. queue_cap is the most records waiting at a time. */
mdg_rc turnlog_start(const char *db_path, int retention_days, int queue_cap,
		     turnlog **out, char **err);

/* Queue a record (never blocks on I/O). Returns 0 if queued, -1 if it was
 * dropped (queue full or out of memory). */
int turnlog_turn(turnlog *t, const turn_rec *r);
int turnlog_feedback(turnlog *t, const feedback_rec *r);

typedef struct turnlog_stats {
	uint64_t queued, written, dropped;
} turnlog_stats;
void turnlog_get_stats(turnlog *t, turnlog_stats *s);

/* Writes everything still queued, stops the writer and closes. NULL is a
 * no-op. */
void turnlog_stop(turnlog *t);

#endif
