/* config.c — YAML configuration through descriptor tables (see config.h).
 *
 * The file is loaded as a libyaml document (nodes keep their line
 * numbers), then walked: each key is looked up in a descriptor table and
 * its value converted and range-checked into the struct at the
 * descriptor's offset. Sections ("limits", "log") are flattened into dotted
 * keys; "bots" is a mapping of bot id -> a second table. */
#include "config.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <yaml.h>

#include "../kb/kb.h"
#include "../kb/kb_search.h"

#ifndef MDG_DATADIR
#define MDG_DATADIR "."
#endif

#define CFG_MAX_FILE ((size_t)1 << 20)
#define CFG_MAX_LIST 50
#define CFG_MAX_STR 4000 /* bytes of one string value */
#define XSTR(x) STR(x)
#define STR(x) #x

typedef enum cfg_type {
	T_STR,
	T_INT,
	T_DOUBLE,
	T_BOOL,
	T_ENUM,
	T_STRLIST,
	T_ORIGINS,
	T_COUNTER,
	T_SECTION,
	T_BOTS
} cfg_type;

typedef struct cfg_desc {
	const char *key;
	cfg_type type;
	const char *def; /* default, written as in the file; NULL = unset */
	double min, max; /* numbers: range; lists: max items in max */
	size_t offset;
	const char *choices; /* T_ENUM: "a|b|c" */
} cfg_desc;

#define OFF(f) offsetof(srv_config, f)
static const cfg_desc top_desc[] = {
	{"listen", T_STR, "127.0.0.1:8080", 0, 0, OFF(listen), NULL},
	{"database", T_STR, NULL, 0, 0, OFF(database), NULL},
	{"threads", T_INT, "0", 0, 64, OFF(threads), NULL}, /* 0: one per CPU core */
	{"search_cache", T_INT, "1024", 0, 1 << 20, OFF(search_cache), NULL},
	{"web_root", T_STR, NULL, 0, 0, OFF(web_root), NULL},
	{"secret", T_STR, NULL, 0, 0, OFF(secret), NULL},
	{"secret_file", T_STR, NULL, 0, 0, OFF(secret_file), NULL},
	{"state_ttl", T_INT, "86400", 1, 30 * 86400, OFF(state_ttl), NULL},
	{"shutdown_timeout", T_INT, "10", 0, 300, OFF(shutdown_timeout), NULL},
	{"counter_file", T_STR, NULL, 0, 0, OFF(counter_file), NULL},
	{"limits", T_SECTION, NULL, 0, 0, 0, NULL},
	{"limits.max_body", T_INT, "16384", 1024, 1 << 20, OFF(limits.max_body), NULL},
	{"limits.max_message_chars", T_INT, "1000", 1, 2000, OFF(limits.max_message_chars),
	 NULL},
	{"limits.connection_timeout", T_INT, "15", 1, 3600,
	 OFF(limits.connection_timeout), NULL},
	{"limits.max_connections", T_INT, "1024", 1, 65536, OFF(limits.max_connections),
	 NULL},
	{"limits.rate", T_DOUBLE, "5", 0, 1e6, OFF(limits.rate), NULL},
	{"limits.burst", T_INT, "40", 1, 1000000, OFF(limits.burst), NULL},
	{"limits.trust_proxy", T_BOOL, "false", 0, 0, OFF(limits.trust_proxy), NULL},
	{"log", T_SECTION, NULL, 0, 0, 0, NULL},
	{"log.level", T_ENUM, "info", 0, 0, OFF(log.level), "error|warn|info|debug"},
	{"log.access", T_BOOL, "false", 0, 0, OFF(log.access), NULL},
	{"log.retention_days", T_INT, "90", 1, 3650, OFF(log.retention_days), NULL},
	{"log.queue", T_INT, "10000", 16, 1000000, OFF(log.queue), NULL},
	{"admin", T_SECTION, NULL, 0, 0, 0, NULL},
	{"admin.synonyms", T_STR, MDG_DATADIR "/kb/synonyms.yaml", 0, 0, OFF(admin.synonyms),
	 NULL},
	{"admin.max_upload", T_INT, "16777216", 65536, 64 << 20, OFF(admin.max_upload), NULL},
	{"bots", T_BOTS, NULL, 0, 0, 0, NULL},
};

#define BOFF(f) offsetof(cfg_bot, f)
static const cfg_desc bot_desc[] = {
	{"name", T_STR, NULL, 0, 0, BOFF(name), NULL},
	{"greeting", T_STR, "こんにちは。ご質問を入力してください。", 0, 0, BOFF(greeting),
	 NULL},
	{"suggestions", T_STRLIST, NULL, 0, 20, BOFF(suggestions), NULL},
	{"answer_threshold", T_DOUBLE, XSTR(KB_SEARCH_DEFAULT_ANSWER), 0, 2,
	 BOFF(answer_threshold), NULL},
	{"answer_margin", T_DOUBLE, XSTR(KB_SEARCH_DEFAULT_MARGIN), 0, 2,
	 BOFF(answer_margin), NULL},
	{"candidate_threshold", T_DOUBLE, XSTR(KB_SEARCH_DEFAULT_CANDIDATE), 0, 2,
	 BOFF(candidate_threshold), NULL},
	{"min_known_share", T_DOUBLE, XSTR(KB_SEARCH_DEFAULT_KNOWN), 0, 1,
	 BOFF(min_known_share), NULL},
	{"max_missing_subject", T_DOUBLE, XSTR(KB_SEARCH_DEFAULT_MISSING), 0, 1,
	 BOFF(max_missing_subject), NULL},
	{"allowed_origins", T_ORIGINS, NULL, 0, 50, BOFF(origins), NULL},
	{"counter", T_COUNTER, NULL, 0, 0, BOFF(counter), NULL},
};

#define NDESC(t) (sizeof(t) / sizeof *(t))

typedef struct loader {
	const char *file;
	yaml_document_t doc;
	char **err;
} loader;

static size_t line_of(const yaml_node_t *n)
{
	return n ? n->start_mark.line + 1 : 0;
}

static mdg_rc fail_at(loader *L, const yaml_node_t *n, const char *key,
		      const char *fmt, ...) __attribute__((format(printf, 4, 5)));

static mdg_rc fail_at(loader *L, const yaml_node_t *n, const char *key,
		      const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	return mdg_fail(L->err, MDG_ERR_CONFIG, "%s:%zu: key '%s': %s", L->file,
			line_of(n), key, msg);
}

/* A scalar's text (NUL-terminated by libyaml), NULL for other nodes. */
static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
						: NULL;
}

static int is_null_scalar(const yaml_node_t *n)
{
	const char *s = scalar(n);
	return s && n->data.scalar.style == YAML_PLAIN_SCALAR_STYLE &&
	       (s[0] == '\0' || !strcmp(s, "~") || !strcmp(s, "null"));
}

static mdg_rc dup_str(char **dst, const char *s)
{
	char *d = strdup(s);
	if (d == NULL)
		return MDG_ERR_NOMEM;
	free(*dst);
	*dst = d;
	return MDG_OK;
}

static void strlist_free(cfg_strlist *l)
{
	for (size_t i = 0; i < l->n; i++)
		free(l->v[i]);
	free(l->v);
	l->v = NULL;
	l->n = 0;
}

static void counter_free(cfg_counter *c)
{
	free(c->text);
	for (size_t i = 0; i < c->ndeps; i++) {
		free(c->deps[i].name);
		free(c->deps[i].handles);
		free(c->deps[i].phone);
		free(c->deps[i].hours);
	}
	free(c->deps);
	memset(c, 0, sizeof *c);
}

static void bot_free(cfg_bot *b)
{
	free(b->id);
	free(b->name);
	free(b->greeting);
	strlist_free(&b->suggestions);
	strlist_free(&b->origins);
	counter_free(&b->counter);
}

/* Checks a web origin: "http(s)://host[:port]", no path, no wildcard. */
static int origin_valid(const char *s)
{
	const char *h;
	if (!strncmp(s, "https://", 8))
		h = s + 8;
	else if (!strncmp(s, "http://", 7))
		h = s + 7;
	else
		return 0;
	if (*h == '\0')
		return 0;
	for (; *h; h++) {
		char c = *h;
		if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '.' ||
		      c == '-' || c == ':' || c == '[' || c == ']'))
			return 0;
	}
	return 1;
}

static mdg_rc set_strlist(loader *L, const cfg_desc *d, const char *key,
			  yaml_node_t *n, cfg_strlist *out)
{
	if (n->type != YAML_SEQUENCE_NODE)
		return fail_at(L, n, key, "expected a list");
	size_t cnt = (size_t)(n->data.sequence.items.top - n->data.sequence.items.start);
	if (cnt > (size_t)d->max) {
		char lim[32];
		snprintf(lim, sizeof lim, "%d", (int)d->max);
		return fail_at(L, n, key, "at most %s items", lim);
	}
	strlist_free(out);
	if (cnt == 0)
		return MDG_OK;
	out->v = calloc(cnt, sizeof *out->v);
	if (out->v == NULL)
		return MDG_ERR_NOMEM;
	for (yaml_node_item_t *it = n->data.sequence.items.start;
	     it < n->data.sequence.items.top; it++) {
		yaml_node_t *item = yaml_document_get_node(&L->doc, *it);
		const char *s = scalar(item);
		if (s == NULL || s[0] == '\0' || strlen(s) > CFG_MAX_STR)
			return fail_at(L, item, key, "items must be non-empty text");
		if (d->type == T_ORIGINS && !origin_valid(s))
			return fail_at(L, item, key,
				       "'%s' is not an origin like https://www.example.jp "
				       "(scheme://host[:port], lower case, no path, no "
				       "wildcard)",
				       s);
		if ((out->v[out->n] = strdup(s)) == NULL)
			return MDG_ERR_NOMEM;
		out->n++;
	}
	return MDG_OK;
}

/* Mapping keys in n must be unique and listed in allowed ("a|b|c"). */
static mdg_rc check_keys(loader *L, yaml_node_t *n, const char *key,
			 const char *const *allowed, size_t nallowed)
{
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&L->doc, p->key);
		const char *ks = scalar(k);
		if (ks == NULL)
			return fail_at(L, k, key, "keys must be plain text");
		int ok = 0;
		for (size_t i = 0; i < nallowed; i++)
			ok |= strcmp(ks, allowed[i]) == 0;
		if (!ok)
			return fail_at(L, k, key, "unknown key '%s'", ks);
		for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < p; q++)
			if (!strcmp(scalar(yaml_document_get_node(&L->doc, q->key)), ks))
				return fail_at(L, k, key, "'%s' given twice", ks);
	}
	return MDG_OK;
}

static yaml_node_t *map_get(loader *L, yaml_node_t *n, const char *k)
{
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		const char *ks = scalar(yaml_document_get_node(&L->doc, p->key));
		if (ks && strcmp(ks, k) == 0)
			return yaml_document_get_node(&L->doc, p->value);
	}
	return NULL;
}

static mdg_rc get_text(loader *L, yaml_node_t *map, const char *k, const char *key,
		       int required, char **out)
{
	yaml_node_t *v = map_get(L, map, k);
	if (v == NULL || is_null_scalar(v)) {
		if (required)
			return fail_at(L, map, key, "'%s' is required", k);
		return MDG_OK;
	}
	const char *s = scalar(v);
	if (s == NULL || strlen(s) > CFG_MAX_STR)
		return fail_at(L, v, key, "'%s' must be text", k);
	return dup_str(out, s);
}

/* {text, departments: [{name, handles, phone, hours}]} */
static mdg_rc set_counter(loader *L, const char *key, yaml_node_t *n, cfg_counter *c)
{
	static const char *const keys[] = {"text", "departments"};
	static const char *const dkeys[] = {"name", "handles", "phone", "hours"};
	if (n->type != YAML_MAPPING_NODE)
		return fail_at(L, n, key,
			       "expected a mapping with text and departments");
	mdg_rc rc = check_keys(L, n, key, keys, 2);
	if (rc != MDG_OK)
		return rc;
	counter_free(c);
	if ((rc = get_text(L, n, "text", key, 0, &c->text)) != MDG_OK)
		return rc;
	yaml_node_t *deps = map_get(L, n, "departments");
	if (deps == NULL || is_null_scalar(deps))
		return MDG_OK;
	if (deps->type != YAML_SEQUENCE_NODE)
		return fail_at(L, deps, key, "departments must be a list");
	size_t cnt = (size_t)(deps->data.sequence.items.top -
			      deps->data.sequence.items.start);
	if (cnt > CFG_MAX_LIST)
		return fail_at(L, deps, key, "at most 50 departments");
	if (cnt == 0)
		return MDG_OK;
	if ((c->deps = calloc(cnt, sizeof *c->deps)) == NULL)
		return MDG_ERR_NOMEM;
	for (yaml_node_item_t *it = deps->data.sequence.items.start;
	     it < deps->data.sequence.items.top; it++) {
		yaml_node_t *d = yaml_document_get_node(&L->doc, *it);
		if (d->type != YAML_MAPPING_NODE)
			return fail_at(L, d, key,
				       "each department is a mapping {name, handles, "
				       "phone, hours}");
		if ((rc = check_keys(L, d, key, dkeys, 4)) != MDG_OK)
			return rc;
		cfg_department *dep = &c->deps[c->ndeps++];
		if ((rc = get_text(L, d, "name", key, 1, &dep->name)) != MDG_OK ||
		    (rc = get_text(L, d, "handles", key, 0, &dep->handles)) != MDG_OK ||
		    (rc = get_text(L, d, "phone", key, 0, &dep->phone)) != MDG_OK ||
		    (rc = get_text(L, d, "hours", key, 0, &dep->hours)) != MDG_OK)
			return rc;
	}
	return MDG_OK;
}

/* Converts text (from the file, or a default when n is NULL) into the
 * field described by d at base. */
static mdg_rc set_scalar(loader *L, const cfg_desc *d, const char *key,
			 yaml_node_t *n, const char *text, void *base)
{
	void *field = (char *)base + d->offset;
	char range[96];
	snprintf(range, sizeof range, "%g to %g", d->min, d->max);
	switch (d->type) {
	case T_STR:
		if (n && is_null_scalar(n)) {
			free(*(char **)field);
			*(char **)field = NULL;
			return MDG_OK;
		}
		if (strlen(text) > CFG_MAX_STR)
			return fail_at(L, n, key, "value too long");
		return dup_str(field, text);
	case T_ENUM: {
		size_t len = strlen(text);
		const char *p = d->choices;
		while (p) {
			const char *bar = strchr(p, '|');
			size_t plen = bar ? (size_t)(bar - p) : strlen(p);
			if (plen == len && !strncmp(p, text, len))
				return dup_str(field, text);
			p = bar ? bar + 1 : NULL;
		}
		return fail_at(L, n, key, "must be one of %s", d->choices);
	}
	case T_INT: {
		char *end = NULL;
		errno = 0;
		long v = strtol(text, &end, 10);
		if (errno || end == text || *end || v < (long)d->min || v > (long)d->max)
			return fail_at(L, n, key, "expected an integer from %s", range);
		*(int *)field = (int)v;
		return MDG_OK;
	}
	case T_DOUBLE: {
		char *end = NULL;
		errno = 0;
		double v = strtod(text, &end);
		if (errno || end == text || *end || !isfinite(v) || v < d->min ||
		    v > d->max)
			return fail_at(L, n, key, "expected a number from %s", range);
		*(double *)field = v;
		return MDG_OK;
	}
	case T_BOOL:
		if (!strcmp(text, "true") || !strcmp(text, "yes") || !strcmp(text, "on"))
			*(int *)field = 1;
		else if (!strcmp(text, "false") || !strcmp(text, "no") ||
			 !strcmp(text, "off"))
			*(int *)field = 0;
		else
			return fail_at(L, n, key, "expected true or false");
		return MDG_OK;
	case T_STRLIST:
	case T_ORIGINS:
	case T_COUNTER:
	case T_SECTION:
	case T_BOTS:
		break;
	}
	return fail_at(L, n, key, "internal: not a scalar setting");
}

static mdg_rc set_value(loader *L, const cfg_desc *d, const char *key,
			yaml_node_t *n, void *base)
{
	void *field = (char *)base + d->offset;
	switch (d->type) {
	case T_STRLIST:
	case T_ORIGINS:
		if (is_null_scalar(n)) {
			strlist_free(field);
			return MDG_OK;
		}
		return set_strlist(L, d, key, n, field);
	case T_COUNTER:
		return set_counter(L, key, n, field);
	case T_SECTION:
	case T_BOTS:
		return fail_at(L, n, key, "internal: section");
	case T_STR:
	case T_INT:
	case T_DOUBLE:
	case T_BOOL:
	case T_ENUM:
		break;
	}
	const char *s = scalar(n);
	if (s == NULL)
		return fail_at(L, n, key, "expected a single value");
	return set_scalar(L, d, key, n, s, base);
}

static mdg_rc apply_defaults(loader *L, const cfg_desc *t, size_t nt, void *base)
{
	for (size_t i = 0; i < nt; i++) {
		if (t[i].def == NULL)
			continue;
		mdg_rc rc = set_scalar(L, &t[i], t[i].key, NULL, t[i].def, base);
		if (rc != MDG_OK)
			return rc;
	}
	return MDG_OK;
}

static mdg_rc bot_init(loader *L, cfg_bot *b, const char *id)
{
	memset(b, 0, sizeof *b);
	if (id && (b->id = strdup(id)) == NULL)
		return MDG_ERR_NOMEM;
	return apply_defaults(L, bot_desc, NDESC(bot_desc), b);
}

/* A mapping of key -> value checked against table t; prefix names the
 * enclosing keys for messages and dotted lookups. */
static mdg_rc walk_bots(loader *L, yaml_node_t *n, srv_config *c);

static mdg_rc walk_map(loader *L, yaml_node_t *n, const cfg_desc *t, size_t nt,
		       const char *prefix, void *base, srv_config *c)
{
	if (n->type != YAML_MAPPING_NODE)
		return fail_at(L, n, prefix[0] ? prefix : "(top level)",
			       "expected a mapping of settings");
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&L->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&L->doc, p->value);
		const char *ks = scalar(k);
		char key[256];
		if (ks == NULL)
			return fail_at(L, k, prefix, "keys must be plain text");
		snprintf(key, sizeof key, "%s%s%s", prefix, prefix[0] ? "." : "", ks);
		for (yaml_node_pair_t *q = n->data.mapping.pairs.start; q < p; q++)
			if (!strcmp(scalar(yaml_document_get_node(&L->doc, q->key)), ks))
				return fail_at(L, k, key, "given twice");
		const cfg_desc *d = NULL;
		for (size_t i = 0; i < nt && !d; i++)
			if (!strcmp(t[i].key, t == top_desc ? key : ks))
				d = &t[i];
		if (d == NULL)
			return fail_at(L, k, key, "unknown key");
		mdg_rc rc;
		if (d->type == T_SECTION)
			rc = is_null_scalar(v) ? MDG_OK
					       : walk_map(L, v, t, nt, key, base, c);
		else if (d->type == T_BOTS)
			rc = is_null_scalar(v) ? MDG_OK : walk_bots(L, v, c);
		else
			rc = set_value(L, d, key, v, base);
		if (rc != MDG_OK)
			return rc;
		if (d->type == T_COUNTER)
			((cfg_bot *)base)->has_counter = 1;
	}
	return MDG_OK;
}

static mdg_rc walk_bots(loader *L, yaml_node_t *n, srv_config *c)
{
	if (n->type != YAML_MAPPING_NODE)
		return fail_at(L, n, "bots", "expected a mapping of bot id -> settings");
	size_t cnt = (size_t)(n->data.mapping.pairs.top - n->data.mapping.pairs.start);
	if (cnt == 0)
		return MDG_OK;
	if ((c->bots = calloc(cnt, sizeof *c->bots)) == NULL)
		return MDG_ERR_NOMEM;
	for (yaml_node_pair_t *p = n->data.mapping.pairs.start;
	     p < n->data.mapping.pairs.top; p++) {
		yaml_node_t *k = yaml_document_get_node(&L->doc, p->key);
		yaml_node_t *v = yaml_document_get_node(&L->doc, p->value);
		const char *id = scalar(k);
		char key[128];
		snprintf(key, sizeof key, "bots.%s", id ? id : "?");
		if (id == NULL || !kb_bot_name_valid(id))
			return fail_at(L, k, key,
				       "bot ids are 1-64 of a-z 0-9 _ - starting with a "
				       "letter or digit");
		for (size_t i = 0; i < c->nbots; i++)
			if (!strcmp(c->bots[i].id, id))
				return fail_at(L, k, key, "given twice");
		cfg_bot *b = &c->bots[c->nbots++];
		mdg_rc rc = bot_init(L, b, id);
		if (rc == MDG_OK && !is_null_scalar(v))
			rc = walk_map(L, v, bot_desc, NDESC(bot_desc), key, b, c);
		if (rc != MDG_OK)
			return rc;
	}
	return MDG_OK;
}

/* Reads a whole YAML file into L->doc. */
static mdg_rc load_doc(loader *L, const char *path)
{
	FILE *f = fopen(path, "rb");
	if (f == NULL)
		return mdg_fail(L->err, MDG_ERR_CONFIG, "%s: cannot open: %s", path,
				strerror(errno));
	struct stat st;
	if (fstat(fileno(f), &st) != 0 || (size_t)st.st_size > CFG_MAX_FILE) {
		fclose(f);
		return mdg_fail(L->err, MDG_ERR_CONFIG, "%s: not a file of at most 1 MiB",
				path);
	}
	yaml_parser_t parser;
	yaml_parser_initialize(&parser);
	yaml_parser_set_input_file(&parser, f);
	mdg_rc rc = MDG_OK;
	if (!yaml_parser_load(&parser, &L->doc)) {
		rc = mdg_fail(L->err, MDG_ERR_CONFIG, "%s:%zu: YAML error: %s", path,
			      parser.problem_mark.line + 1,
			      parser.problem ? parser.problem : "unreadable");
		memset(&L->doc, 0, sizeof L->doc);
	}
	yaml_parser_delete(&parser);
	fclose(f);
	return rc;
}

static mdg_rc load_counter_file(srv_config *c, char **err)
{
	loader L;
	memset(&L, 0, sizeof L);
	L.file = c->counter_file;
	L.err = err;
	mdg_rc rc = load_doc(&L, c->counter_file);
	if (rc != MDG_OK)
		return rc;
	yaml_node_t *root = yaml_document_get_root_node(&L.doc);
	if (root == NULL)
		goto out;
	if (root->type != YAML_MAPPING_NODE) {
		rc = fail_at(&L, root, "(top level)",
			     "expected a mapping of bot id -> counter table");
		goto out;
	}
	size_t cnt = (size_t)(root->data.mapping.pairs.top -
			      root->data.mapping.pairs.start);
	c->counter_ids = calloc(cnt ? cnt : 1, sizeof *c->counter_ids);
	c->counters = calloc(cnt ? cnt : 1, sizeof *c->counters);
	if (c->counter_ids == NULL || c->counters == NULL) {
		rc = MDG_ERR_NOMEM;
		goto out;
	}
	for (yaml_node_pair_t *p = root->data.mapping.pairs.start;
	     p < root->data.mapping.pairs.top && rc == MDG_OK; p++) {
		yaml_node_t *k = yaml_document_get_node(&L.doc, p->key);
		const char *id = scalar(k);
		if (id == NULL || !kb_bot_name_valid(id)) {
			rc = fail_at(&L, k, id ? id : "?", "not a valid bot id");
			break;
		}
		for (size_t i = 0; i < c->ncounters; i++)
			if (!strcmp(c->counter_ids[i], id))
				rc = fail_at(&L, k, id, "given twice");
		if (rc != MDG_OK)
			break;
		if ((c->counter_ids[c->ncounters] = strdup(id)) == NULL) {
			rc = MDG_ERR_NOMEM;
			break;
		}
		rc = set_counter(&L, id, yaml_document_get_node(&L.doc, p->value),
				 &c->counters[c->ncounters]);
		c->ncounters++;
	}
out:
	yaml_document_delete(&L.doc);
	return rc;
}

int srv_config_threads(const srv_config *c)
{
	if (c->threads > 0)
		return c->threads;
	long n = sysconf(_SC_NPROCESSORS_ONLN);
	return n < 2 ? 2 : n > 64 ? 64 : (int)n;
}

mdg_rc srv_config_load(const char *path, srv_config **out, char **err)
{
	*out = NULL;
	srv_config *c = calloc(1, sizeof *c);
	if (c == NULL)
		return MDG_ERR_NOMEM;
	loader L;
	memset(&L, 0, sizeof L);
	L.file = path ? path : "(defaults)";
	L.err = err;
	mdg_rc rc = apply_defaults(&L, top_desc, NDESC(top_desc), c);
	if (rc == MDG_OK)
		rc = bot_init(&L, &c->bot_defaults, NULL);
	if (rc != MDG_OK || path == NULL)
		goto out;
	if ((rc = dup_str(&c->path, path)) != MDG_OK)
		goto out;
	if ((rc = load_doc(&L, path)) != MDG_OK)
		goto out;
	yaml_node_t *root = yaml_document_get_root_node(&L.doc);
	if (root && !is_null_scalar(root))
		rc = walk_map(&L, root, top_desc, NDESC(top_desc), "", c, c);
	yaml_document_delete(&L.doc);
	if (rc == MDG_OK && c->counter_file)
		rc = load_counter_file(c, err);
out:
	if (rc != MDG_OK) {
		if (rc == MDG_ERR_NOMEM)
			mdg_fail(err, rc, "%s: out of memory", L.file);
		srv_config_free(c);
		return rc;
	}
	*out = c;
	return MDG_OK;
}

mdg_rc srv_config_set_str(char **field, const char *value)
{
	return dup_str(field, value);
}

int srv_parse_listen(const char *s, char *host, size_t hostn, unsigned *port)
{
	const char *colon;
	size_t hl;
	if (s[0] == '[') {
		const char *close = strchr(s, ']');
		if (close == NULL || close[1] != ':')
			return -1;
		hl = (size_t)(close - s - 1);
		s++;
		colon = close + 1;
	} else {
		colon = strrchr(s, ':');
		if (colon == NULL)
			return -1;
		hl = (size_t)(colon - s);
	}
	if (hl == 0 || hl >= hostn)
		return -1;
	memcpy(host, s, hl);
	host[hl] = '\0';
	char *end = NULL;
	errno = 0;
	long p = strtol(colon + 1, &end, 10);
	if (errno || end == colon + 1 || *end || p < 0 || p > 65535)
		return -1;
	*port = (unsigned)p;
	return 0;
}

mdg_rc srv_config_check(const srv_config *c, char **err)
{
	const char *file = c->path ? c->path : "(command line)";
	char host[64];
	unsigned port;
	if (srv_parse_listen(c->listen, host, sizeof host, &port))
		return mdg_fail(err, MDG_ERR_CONFIG,
				"%s: key 'listen': '%s' is not ADDRESS:PORT (e.g. "
				"127.0.0.1:8080 or [::1]:8080)",
				file, c->listen);
	if (c->database == NULL)
		return mdg_fail(err, MDG_ERR_CONFIG,
				"%s: key 'database': no database given (set it or pass "
				"--db)",
				file);
	if (c->secret && c->secret_file)
		return mdg_fail(err, MDG_ERR_CONFIG,
				"%s: keys 'secret' and 'secret_file': set only one", file);
	if (c->secret && strlen(c->secret) < 32)
		return mdg_fail(err, MDG_ERR_CONFIG,
				"%s: key 'secret': use at least 32 random characters", file);
	if (c->admin.synonyms && access(c->admin.synonyms, R_OK) != 0)
		return mdg_fail(err, MDG_ERR_CONFIG,
				"%s: key 'admin.synonyms': cannot read %s (name the synonym "
				"dictionary, or null for none)",
				file, c->admin.synonyms);
	return MDG_OK;
}

void srv_config_free(srv_config *c)
{
	if (c == NULL)
		return;
	free(c->path);
	free(c->listen);
	free(c->database);
	free(c->web_root);
	if (c->secret) {
		/* best effort: do not leave the secret in freed memory */
		memset(c->secret, 0, strlen(c->secret));
		free(c->secret);
	}
	free(c->secret_file);
	free(c->counter_file);
	free(c->log.level);
	free(c->admin.synonyms);
	for (size_t i = 0; i < c->nbots; i++)
		bot_free(&c->bots[i]);
	free(c->bots);
	bot_free(&c->bot_defaults);
	for (size_t i = 0; i < c->ncounters; i++) {
		free(c->counter_ids[i]);
		counter_free(&c->counters[i]);
	}
	free(c->counter_ids);
	free(c->counters);
	free(c);
}

const cfg_bot *srv_config_bot(const srv_config *c, const char *id)
{
	for (size_t i = 0; i < c->nbots; i++)
		if (!strcmp(c->bots[i].id, id))
			return &c->bots[i];
	return &c->bot_defaults;
}

const cfg_counter *srv_config_counter(const srv_config *c, const char *id)
{
	const cfg_bot *b = srv_config_bot(c, id);
	if (b->has_counter)
		return &b->counter;
	for (size_t i = 0; i < c->ncounters; i++)
		if (!strcmp(c->counter_ids[i], id))
			return &c->counters[i];
	return NULL;
}

int srv_config_origin_allowed(const srv_config *c, const char *id,
			      const char *origin)
{
	if (origin == NULL)
		return 0;
	for (size_t i = 0; i < c->nbots; i++) {
		if (id && strcmp(c->bots[i].id, id) != 0)
			continue;
		for (size_t j = 0; j < c->bots[i].origins.n; j++)
			if (!strcmp(c->bots[i].origins.v[j], origin))
				return 1;
	}
	return 0;
}
