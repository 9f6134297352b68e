/* app.h — the running server: configuration, shared MeCab model, state
 * key, turn log, rate limiter, and each worker thread's database handle.
 *
 * One srv_app exists per process. It is filled by main() before the HTTP
 * daemon starts and read-only afterwards, except for the fields marked
 * atomic and the worker-handle registry (under kb_lock). */
#ifndef SRV_APP_H
#define SRV_APP_H

#include <pthread.h>
#include <stdatomic.h>

#include "../kb/kb.h"
#include "config.h"
#include "ratelimit.h"
#include "state.h"
#include "turnlog.h"

typedef struct srv_app {
	srv_config *cfg;
	nlp_model *model;
	unsigned char state_key[STATE_KEY_BYTES];
	char *web_root; /* resolved (realpath) static root; NULL = none */
	turnlog *log;
	ratelimit *rl;
	double started; /* app_now() at start-up */

	atomic_int ready;    /* start-up finished */
	atomic_int draining; /* shutdown requested: /readyz says 503 */
	atomic_uint_fast64_t rate_limited;

	pthread_mutex_t kb_lock; /* guards kbs/nkbs */
	kb **kbs;
	size_t nkbs;
} srv_app;

/* Monotonic clock in seconds. */
double app_now(void);

/* The calling worker thread's database handle, opened read-only on first
 * use (each MHD worker thread owns one connection and MeCab tagger). */
mdg_rc app_kb(srv_app *a, kb **out, char **err);

/* Closes every worker handle; call after the HTTP daemon has stopped. */
void app_close_kbs(srv_app *a);

/* Fills a->state_key from cfg secret / secret_file (creating the file with
 * 256 random bits, mode 0600, if it does not exist) or, with neither, a
 * random per-process key (logged as a warning). */
mdg_rc app_load_secret(srv_app *a, char **err);

/* Resolves the static root: cfg web_root, else ./web, else the source
 * tree's web/. Leaves a->web_root NULL if none exists. */
void app_resolve_web_root(srv_app *a);

#endif
