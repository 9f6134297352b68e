/* flow_store.h — flows and red-flag lists in the knowledge-base database.
 *
 * The database is the single home of a bot's content. An import validates
 * completely first (an invalid file changes nothing, the bot keeps its
 * flows), then stores the YAML text as the bot's new active *flow set*,
 * keeping the previous set for rollback and deleting older ones, in one
 * transaction. Readers re-parse the stored YAML and cache the parsed set
 * per connection (kb slot KB_CACHE_FLOWS) keyed by the set's id, so a
 * running server serves a new import at its next message, no restart.
 *
 * Tables (created on first import):
 *   flow_sets(id, bot_id, created_at, source, n_flows, state)
 *   flow_files(set_id, seq, name, yaml)
 *   redflag_sets(id, bot_id, created_at, source, n_flags, yaml, state)
 * where state is 'active' or 'previous', and redflag_sets.bot_id 0 is the
 * list every bot uses unless it has its own. */
#ifndef KB_FLOW_STORE_H
#define KB_FLOW_STORE_H

#include "flow.h"
#include "kb.h"
#include "redflag.h"

/* Creates the tables if missing (a write; imports call it). */
mdg_rc flow_store_init(kb *k, char **err);

/* Validates src as bot's flow set and, unless dry_run, makes it active.
 * Besides the checks of flow_set_parse, every Q&A of the bot's active
 * version that links a flow must find it in the new set. The bot must
 * exist (MDG_ERR_NOTFOUND otherwise). source is recorded (file names).
 * Returns MDG_OK (*rep holds the counts, *set_id the new set or 0 on dry
 * run), MDG_ERR_VALIDATION (*rep lists the problems, nothing changed) or
 * another code with *err. */
mdg_rc flow_import(kb *k, const char *bot, const flow_source *src, size_t nsrc,
                   int dry_run, flow_report **rep, int64_t *set_id, char **err);

/* The bot's active flow set, or *out NULL when it has none (no tables, no
 * import yet, unknown bot). *out is a new reference: flow_set_release it.
 * set_id may be NULL. */
mdg_rc flow_active(kb *k, const char *bot, flow_set **out, int64_t *set_id, char **err);

/* Makes the previous flow set active again (and the active one previous).
 * MDG_ERR_NOTFOUND if there is none. */
mdg_rc flow_rollback(kb *k, const char *bot, char **err);

/* The active set's files as stored (for export/review). *out is an array
 * of *n sources whose name and text are malloc'd: flow_sources_free. */
mdg_rc flow_export(kb *k, const char *bot, flow_source **out, size_t *n, char **err);
void flow_sources_free(flow_source *src, size_t n);

/* Validates and (unless dry_run) stores a red-flag list for bot, or for
 * every bot when bot is NULL. Same return convention as flow_import. */
mdg_rc flow_redflags_import(kb *k, const char *bot, const char *name, const char *text,
                            size_t len, int dry_run, flow_report **rep, char **err);

/* The red-flag list that applies to bot (its own, else the global one),
 * cached like flow sets; *out NULL when none. New reference:
 * redflag_release it. */
mdg_rc flow_redflags_active(kb *k, const char *bot, redflag_list **out, char **err);

#endif
