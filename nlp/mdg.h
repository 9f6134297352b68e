/* mdg.h — return codes shared by every madoguchi library module.
 *
 * Library functions return an mdg_rc; human detail travels through a
 * `char **err` out-parameter (malloc'd, caller frees) where the function
 * documents one. Library code never exits the process. */
#ifndef MDG_H
#define MDG_H

#include <stddef.h>
#include <stdint.h>

typedef enum mdg_rc {
	MDG_OK = 0,
	MDG_ERR_NOMEM,    /* allocation failed */
	MDG_ERR_INVALID,  /* bad input from a user or caller */
	MDG_ERR_UTF8,     /* text is not valid UTF-8 */
	MDG_ERR_TOOBIG,   /* input over a configured cap */
	MDG_ERR_FORMAT,   /* file or document in an unreadable format */
	MDG_ERR_IO,       /* file system or OS error */
	MDG_ERR_DB,       /* SQLite error */
	MDG_ERR_MECAB,    /* MeCab could not load or parse */
	MDG_ERR_NOTFOUND, /* named bot, Q&A, flow or node does not exist */
	MDG_ERR_CONFIG,   /* configuration invalid */
	MDG_ERR_AUTH,     /* missing or invalid credentials */
	MDG_ERR_VALIDATION /* import/validation found problems (see report) */
} mdg_rc;

/* Human-readable English description of rc; static string. */
const char *mdg_strerror(mdg_rc rc);

/* Stable machine-readable name ("invalid_input", ...) used in JSON error
 * bodies; static string. */
const char *mdg_code_name(mdg_rc rc);

/* printf-style helper: stores a malloc'd message in *err (if err is not
 * NULL and *err is NULL: the first error wins) and returns rc. */
mdg_rc mdg_fail(char **err, mdg_rc rc, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

/* FNV-1a hash of n bytes (for the modules' own hash tables; not for
 * anything an attacker must not be able to collide). */
uint64_t mdg_hash(const void *p, size_t n);

/* Growable byte buffer with a hard cap. Always NUL-terminated when len>0. */
typedef struct mdg_buf {
	char *data;
	size_t len;
	size_t cap;   /* allocated bytes */
	size_t limit; /* hard cap on len; 0 = 64 MiB default */
} mdg_buf;

/* Appends n bytes; MDG_ERR_TOOBIG past the limit, MDG_ERR_NOMEM on OOM. */
mdg_rc mdg_buf_add(mdg_buf *b, const void *p, size_t n);
mdg_rc mdg_buf_adds(mdg_buf *b, const char *s);
mdg_rc mdg_buf_printf(mdg_buf *b, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
/* Hands the data to the caller (who frees it) and resets the buffer. */
char *mdg_buf_take(mdg_buf *b, size_t *len);
void mdg_buf_free(mdg_buf *b);

#endif
