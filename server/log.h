/* log.h — the server's diagnostic log (stderr).
 *
 * One line per event: "2025-01-31T12:00:00Z madoguchi-server[pid] LEVEL:
 * message". Lines are written with a single fprintf, which stdio makes
 * atomic with respect to other threads. Turn logs for the knowledge
 * editors are something else: see turnlog.h. */
#ifndef SRV_LOG_H
#define SRV_LOG_H

typedef enum srv_log_level {
	SRV_LOG_ERROR = 0,
	SRV_LOG_WARN,
	SRV_LOG_INFO,
	SRV_LOG_DEBUG
} srv_log_level;

/* Sets the most verbose level written (default SRV_LOG_INFO). Call before
 * any thread starts. */
void srv_log_set_level(srv_log_level level);

/* Parses "error", "warn", "info", "debug"; -1 if unknown. */
int srv_log_level_parse(const char *s);

void srv_log(srv_log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#endif
