/* config.h — the server configuration (YAML, see server/madoguchi.yaml).
 *
 * One typed struct filled by a descriptor table {key, type, default, min,
 * max, offset}: every key has a default, so a server started with only
 * --db and --listen works. Unknown keys, wrong types and out-of-range
 * values stop start-up with "FILE:LINE: key 'a.b': problem".
 *
 * Relative paths (database, secret_file, web_root, counter_file) are
 * relative to the working directory the server was started in. */
#ifndef SRV_CONFIG_H
#define SRV_CONFIG_H

#include <stddef.h>

#include "../nlp/mdg.h"

/* One line of the general counter (総合窓口): which department handles
 * what, and how to reach it. */
typedef struct cfg_department {
	char *name, *handles, *phone, *hours;
} cfg_department;

typedef struct cfg_counter {
	char *text; /* introduction shown above the departments; may be NULL */
	cfg_department *deps;
	size_t ndeps;
} cfg_counter;

typedef struct cfg_strlist {
	char **v;
	size_t n;
} cfg_strlist;

/* Presentation and behaviour of one bot (the bot itself lives in the
 * database). */
typedef struct cfg_bot {
	char *id;
	char *name;     /* display name; default: the id */
	char *greeting; /* first message of the widget */
	cfg_strlist suggestions; /* example questions the widget offers */
	double answer_threshold, answer_margin, candidate_threshold, min_known_share;
	double max_missing_subject;
	cfg_strlist origins; /* allowed web origins (CORS): "scheme://host[:port]" */
	cfg_counter counter; /* inline counter table (has_counter) */
	int has_counter;
} cfg_bot;

typedef struct srv_config {
	char *path; /* the file read, NULL when started without --config */

	char *listen;   /* "ADDR:PORT", "[v6]:PORT" */
	char *database;
	int threads;       /* worker threads, 0: one per CPU core (srv_config_threads) */
	int search_cache;  /* recent results kept per worker thread (0: off) */
	char *web_root;    /* NULL: "web" of the working directory or the source tree */
	char *secret;      /* state signing secret (>= 32 characters) */
	char *secret_file; /* ... or a file holding it, created if missing */
	int state_ttl;     /* seconds a conversation state stays valid */
	int shutdown_timeout; /* seconds to let in-flight requests finish */
	char *counter_file;   /* YAML: bot id -> counter table */

	struct {
		int max_body;           /* bytes */
		int max_message_chars;  /* characters */
		int connection_timeout; /* seconds of inactivity */
		int max_connections;
		double rate;            /* requests per second per address; 0 = off */
		int burst;              /* bucket size */
		int trust_proxy;        /* client = last X-Forwarded-For address */
	} limits;

	struct {
		char *level;        /* error, warn, info, debug */
		int access;         /* one line per request on stderr */
		int retention_days; /* turn and feedback logs */
		int queue;          /* turn log queue length */
	} log;

	struct {
		char *synonyms; /* synonym dictionary for admin imports (the CLI's
				   default kb/synonyms.yaml); NULL = none */
		int max_upload; /* bytes of an uploaded spreadsheet or flow file */
	} admin;

	cfg_bot *bots;
	size_t nbots;
	cfg_bot bot_defaults; /* for bots the file does not list (id NULL) */
	/* Counter tables from counter_file, by bot id (counter_ids[i]). */
	char **counter_ids;
	cfg_counter *counters;
	size_t ncounters;
} srv_config;

/* Loads path (NULL: defaults only). On failure returns MDG_ERR_CONFIG with
 * "FILE:LINE: ..." in *err. *out is owned by the caller (srv_config_free). */
/* The worker threads to run: c->threads, or one per online CPU (2 to 64). */
int srv_config_threads(const srv_config *c);

mdg_rc srv_config_load(const char *path, srv_config **out, char **err);

/* Replaces a string setting (for --db and --listen). */
mdg_rc srv_config_set_str(char **field, const char *value);

/* Checks the settings that depend on each other or on overrides (listen
 * address syntax, database given, secret vs secret_file). */
mdg_rc srv_config_check(const srv_config *c, char **err);

void srv_config_free(srv_config *c);

/* The bot's settings; for a bot absent from the file, a static entry with
 * the defaults (id NULL). Never NULL. */
const cfg_bot *srv_config_bot(const srv_config *c, const char *id);

/* The general counter table for a bot: its inline one, else the one from
 * counter_file, else NULL. */
const cfg_counter *srv_config_counter(const srv_config *c, const char *id);

/* 1 if origin is listed for bot id (NULL: for any bot). */
int srv_config_origin_allowed(const srv_config *c, const char *id,
			      const char *origin);

/* Parses "ADDR:PORT" / "[ADDR]:PORT" into host (at least 64 bytes) and port. */
int srv_parse_listen(const char *s, char *host, size_t hostn, unsigned *port);

#endif
