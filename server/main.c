/* main.c — madoguchi-server: start-up, signal handling, graceful shutdown.
 *
 *   madoguchi-server [--config FILE] [--db PATH] [--listen ADDR:PORT] [--check]
 *
 * Start-up: configuration (file, then command-line overrides), state
 * secret, MeCab dictionary recorded in the database, turn log writer, rate
 * limiter, HTTP daemon. SIGTERM/SIGINT: stop accepting connections, let
 * in-flight requests finish (up to shutdown_timeout; a second signal cuts
 * the wait short), stop the daemon, write the remaining turn logs, close
 * everything and exit 0. */
#include <jansson.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "../kb/kb.h"
#include "../nlp/tok.h"
#include "app.h"
#include "config.h"
#include "http.h"
#include "log.h"

static void usage(FILE *f)
{
	fprintf(f, "usage: madoguchi-server [--config FILE] [--db PATH] "
		   "[--listen ADDR:PORT] [--check]\n"
		   "  --config FILE      YAML configuration (see server/madoguchi.yaml)\n"
		   "  --db PATH          knowledge-base database (overrides 'database')\n"
		   "  --listen ADDR:PORT address to serve on (overrides 'listen'; port 0 "
		   "picks a free one)\n"
		   "  --check            validate the configuration and exit\n");
}

typedef struct args {
	const char *config, *db, *listen;
	int check;
} args;

static int parse_args(int argc, char **argv, args *a)
{
	memset(a, 0, sizeof *a);
	for (int i = 1; i < argc; i++) {
		const char **dst = NULL;
		if (!strcmp(argv[i], "--config"))
			dst = &a->config;
		else if (!strcmp(argv[i], "--db"))
			dst = &a->db;
		else if (!strcmp(argv[i], "--listen"))
			dst = &a->listen;
		else if (!strcmp(argv[i], "--check")) {
			a->check = 1;
			continue;
		} else if (!strcmp(argv[i], "-h") || !strcmp(argv[i], "--help")) {
			usage(stdout);
			exit(0);
		} else {
			fprintf(stderr, "madoguchi-server: unknown argument '%s'\n", argv[i]);
			return -1;
		}
		if (i + 1 >= argc) {
			fprintf(stderr, "madoguchi-server: %s needs a value\n", argv[i]);
			return -1;
		}
		*dst = argv[++i];
	}
	return 0;
}

/* Checks the database before serving from it; warns about configured
 * bots it does not hold. */
static mdg_rc probe_database(srv_app *a, char **err)
{
	if (access(a->cfg->database, F_OK) != 0)
		return mdg_fail(err, MDG_ERR_CONFIG,
				"database %s does not exist (import a knowledge base "
				"with `madoguchi import` or run `make sample`)",
				a->cfg->database);
	kb *k = NULL;
	kb_bot *bots = NULL;
	size_t n = 0;
	mdg_rc rc = kb_open(a->cfg->database, a->model, KB_OPEN_READONLY, &k, err);
	if (rc == MDG_OK)
		rc = kb_bot_list(k, &bots, &n, err);
	if (rc == MDG_OK) {
		for (size_t i = 0; i < n; i++) {
			srv_log(SRV_LOG_INFO, "bot %s (%s): %lld Q&A", bots[i].name,
				bots[i].internal ? "internal, API key required" : "public",
				(long long)bots[i].n_qa);
			if (kb_bot_stale(&bots[i]))
				srv_log(SRV_LOG_WARN,
					"bot %s: its knowledge base was indexed by an older "
					"word analysis (revision %d, now %d); re-import it "
					"(madoguchi export, then import) so that its index "
					"matches the questions' analysis",
					bots[i].name, bots[i].analyzer, NLP_ANALYZER_REVISION);
		}
		for (size_t j = 0; j < a->cfg->nbots; j++) {
			int found = 0;
			for (size_t i = 0; i < n; i++)
				found |= !strcmp(bots[i].name, a->cfg->bots[j].id);
			if (!found)
				srv_log(SRV_LOG_WARN,
					"bot %s is configured but not in the database",
					a->cfg->bots[j].id);
		}
		if (n == 0)
			srv_log(SRV_LOG_WARN, "the database holds no bot yet");
	}
	free(bots);
	kb_close(k);
	return rc;
}

int main(int argc, char **argv)
{
	args a;
	if (parse_args(argc, argv, &a)) {
		usage(stderr);
		return 2;
	}
	srv_app app;
	memset(&app, 0, sizeof app);
	pthread_mutex_init(&app.kb_lock, NULL);
	char *err = NULL, *dicdir = NULL;
	int code = 1, http_started = 0;
	sigset_t sigs;

	/* Signals are taken synchronously by this thread (sigwait); every
	 * thread started below inherits the blocked mask. */
	sigemptyset(&sigs);
	sigaddset(&sigs, SIGTERM);
	sigaddset(&sigs, SIGINT);
	pthread_sigmask(SIG_BLOCK, &sigs, NULL);
	signal(SIGPIPE, SIG_IGN);

	mdg_rc rc = srv_config_load(a.config, &app.cfg, &err);
	if (rc == MDG_OK && a.db)
		rc = srv_config_set_str(&app.cfg->database, a.db);
	if (rc == MDG_OK && a.listen)
		rc = srv_config_set_str(&app.cfg->listen, a.listen);
	if (rc == MDG_OK)
		rc = srv_config_check(app.cfg, &err);
	if (rc != MDG_OK) {
		fprintf(stderr, "madoguchi-server: %s\n", err ? err : mdg_strerror(rc));
		code = 2;
		goto out;
	}
	srv_log_set_level((srv_log_level)srv_log_level_parse(app.cfg->log.level));
	if (a.check) {
		printf("%s: configuration is valid\n", a.config ? a.config : "(defaults)");
		code = 0;
		goto out;
	}
	/* jansson seeds its hash function on first use; do it here, before
	 * any worker thread exists. */
	json_object_seed(0);
	if (sodium_init() < 0) {
		rc = mdg_fail(&err, MDG_ERR_IO, "libsodium could not be initialised");
		goto fail;
	}
	if ((rc = app_load_secret(&app, &err)) != MDG_OK)
		goto fail;
	/* Queries must be tokenised with the dictionary the index was built with. */
	kb_recorded_dicdir(app.cfg->database, &dicdir, NULL);
	if ((rc = nlp_model_open(dicdir, &app.model, &err)) != MDG_OK)
		goto fail;
	if ((rc = probe_database(&app, &err)) != MDG_OK)
		goto fail;
	if ((rc = turnlog_start(app.cfg->database, app.cfg->log.retention_days,
				app.cfg->log.queue, &app.log, &err)) != MDG_OK)
		goto fail;
	if ((rc = ratelimit_new(app.cfg->limits.rate, app.cfg->limits.burst, 8192,
				&app.rl)) != MDG_OK)
		goto fail;
	app_resolve_web_root(&app);
	app.started = app_now();
	if ((rc = http_start(&app, &err)) != MDG_OK)
		goto fail;
	http_started = 1;
	atomic_store(&app.ready, 1);

	int sig = 0;
	while (sigwait(&sigs, &sig) != 0)
		;
	srv_log(SRV_LOG_INFO, "%s: finishing %u in-flight requests, then stopping",
		sig == SIGTERM ? "SIGTERM" : "SIGINT", http_inflight());
	atomic_store(&app.draining, 1);
	code = 0;
	goto out;
fail:
	srv_log(SRV_LOG_ERROR, "%s", err ? err : mdg_strerror(rc));
	code = 1;
out:
	if (http_started)
		http_stop(&app, app.cfg->shutdown_timeout, &sigs);
	/* After the daemon: its threads are gone, nothing queues any more. */
	turnlog_stop(app.log);
	app_close_kbs(&app);
	ratelimit_free(app.rl);
	nlp_model_close(app.model);
	free(app.web_root);
	free(dicdir);
	free(err);
	if (http_started)
		srv_log(SRV_LOG_INFO, "stopped");
	srv_config_free(app.cfg);
	pthread_mutex_destroy(&app.kb_lock);
	return code;
}
