/* mdg.c — shared return codes and the capped growable buffer. */
#include "mdg.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *mdg_strerror(mdg_rc rc)
{
	switch (rc) {
	case MDG_OK: return "success";
	case MDG_ERR_NOMEM: return "out of memory";
	case MDG_ERR_INVALID: return "invalid input";
	case MDG_ERR_UTF8: return "text is not valid UTF-8";
	case MDG_ERR_TOOBIG: return "input too large";
	case MDG_ERR_FORMAT: return "unreadable file format";
	case MDG_ERR_IO: return "input/output error";
	case MDG_ERR_DB: return "database error";
	case MDG_ERR_MECAB: return "MeCab error";
	case MDG_ERR_NOTFOUND: return "not found";
	case MDG_ERR_CONFIG: return "invalid configuration";
	case MDG_ERR_AUTH: return "authentication required";
	case MDG_ERR_VALIDATION: return "validation failed";
	}
	return "unknown error";
}

const char *mdg_code_name(mdg_rc rc)
{
	switch (rc) {
	case MDG_OK: return "ok";
	case MDG_ERR_NOMEM: return "out_of_memory";
	case MDG_ERR_INVALID: return "invalid_input";
	case MDG_ERR_UTF8: return "invalid_utf8";
	case MDG_ERR_TOOBIG: return "too_large";
	case MDG_ERR_FORMAT: return "bad_format";
	case MDG_ERR_IO: return "io_error";
	case MDG_ERR_DB: return "database_error";
	case MDG_ERR_MECAB: return "tokenizer_error";
	case MDG_ERR_NOTFOUND: return "not_found";
	case MDG_ERR_CONFIG: return "invalid_config";
	case MDG_ERR_AUTH: return "unauthorized";
	case MDG_ERR_VALIDATION: return "validation_failed";
	}
	return "unknown";
}

mdg_rc mdg_fail(char **err, mdg_rc rc, const char *fmt, ...)
{
	if (err == NULL || *err != NULL)
		return rc;
	va_list ap;
	va_start(ap, fmt);
	char tmp[1024];
	vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	*err = strdup(tmp);
	return rc;
}

uint64_t mdg_hash(const void *p, size_t n)
{
	const unsigned char *b = p;
	uint64_t h = 1469598103934665603ULL;
	for (size_t i = 0; i < n; i++)
		h = (h ^ b[i]) * 1099511628211ULL;
	return h;
}

#define MDG_BUF_DEFAULT_LIMIT ((size_t)64 << 20)

mdg_rc mdg_buf_add(mdg_buf *b, const void *p, size_t n)
{
	size_t limit = b->limit ? b->limit : MDG_BUF_DEFAULT_LIMIT;
	if (n > limit || b->len > limit - n)
		return MDG_ERR_TOOBIG;
	if (b->len + n + 1 > b->cap) {
		size_t cap = b->cap ? b->cap : 64;
		while (cap < b->len + n + 1)
			cap *= 2;
		char *d = realloc(b->data, cap);
		if (d == NULL)
			return MDG_ERR_NOMEM;
		b->data = d;
		b->cap = cap;
	}
	if (n)
		memcpy(b->data + b->len, p, n);
	b->len += n;
	b->data[b->len] = '\0';
	return MDG_OK;
}

mdg_rc mdg_buf_adds(mdg_buf *b, const char *s)
{
	return mdg_buf_add(b, s, strlen(s));
}

mdg_rc mdg_buf_printf(mdg_buf *b, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	char tmp[512];
	int n = vsnprintf(tmp, sizeof tmp, fmt, ap);
	va_end(ap);
	if (n < 0)
		return MDG_ERR_INVALID;
	if ((size_t)n < sizeof tmp)
		return mdg_buf_add(b, tmp, (size_t)n);
	char *big = malloc((size_t)n + 1);
	if (big == NULL)
		return MDG_ERR_NOMEM;
	va_start(ap, fmt);
	vsnprintf(big, (size_t)n + 1, fmt, ap);
	va_end(ap);
	mdg_rc rc = mdg_buf_add(b, big, (size_t)n);
	free(big);
	return rc;
}

char *mdg_buf_take(mdg_buf *b, size_t *len)
{
	char *d = b->data;
	if (d == NULL)
		d = calloc(1, 1);
	if (len)
		*len = b->len;
	b->data = NULL;
	b->len = b->cap = 0;
	return d;
}

void mdg_buf_free(mdg_buf *b)
{
	if (b == NULL)
		return;
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
