/* flow_yaml.c — libyaml document helpers that keep line numbers and turn
 * every structural mistake into a report entry (see flow_internal.h). */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../nlp/norm.h"
#include "flow_internal.h"

mdg_rc flow_report_add(flow_report *r, const char *file, size_t line, const char *flow,
                       const char *node, const char *fmt, ...)
{
	if (r->nproblems >= FLOW_MAX_PROBLEMS)
		return MDG_OK;
	flow_problem *np = realloc(r->problems, (r->nproblems + 1) * sizeof *np);
	if (np == NULL)
		return MDG_ERR_NOMEM;
	r->problems = np;
	flow_problem *p = &np[r->nproblems];
	memset(p, 0, sizeof *p);
	va_list ap;
	va_start(ap, fmt);
	int n = vasprintf(&p->message, fmt, ap);
	va_end(ap);
	if (n < 0) {
		p->message = NULL;
		return MDG_ERR_NOMEM;
	}
	p->file = strdup(file ? file : "");
	p->flow = flow ? strdup(flow) : NULL;
	p->node = node ? strdup(node) : NULL;
	p->line = line;
	r->nproblems++;
	if (!p->file || (flow && !p->flow) || (node && !p->node))
		return MDG_ERR_NOMEM;
	return MDG_OK;
}

char *flow_problem_format(const flow_problem *p)
{
	char *s = NULL;
	char ctx[3 * FLOW_ID_MAX + 64] = "";
	if (p->flow && p->node)
		snprintf(ctx, sizeof ctx, "flow '%s' node '%s': ", p->flow, p->node);
	else if (p->flow)
		snprintf(ctx, sizeof ctx, "flow '%s': ", p->flow);
	else if (p->node)
		snprintf(ctx, sizeof ctx, "node '%s': ", p->node);
	int r;
	if (p->file == NULL || p->file[0] == '\0')
		r = asprintf(&s, "%s%s", ctx, p->message ? p->message : "");
	else
		r = asprintf(&s, "%s:%zu: %s%s", p->file, p->line, ctx,
		             p->message ? p->message : "");
	if (r < 0)
		return NULL;
	return s;
}

void flow_report_free(flow_report *r)
{
	if (r == NULL)
		return;
	for (size_t i = 0; i < r->nproblems; i++) {
		free(r->problems[i].file);
		free(r->problems[i].flow);
		free(r->problems[i].node);
		free(r->problems[i].message);
	}
	free(r->problems);
	free(r);
}

/* A first pass over the events: syntax errors with their line, and
 * aliases, which the document API would silently share (a tree of aliases
 * can expand exponentially, and a shared node would duplicate ids). */
static mdg_rc prescan(flow_yaml *y, const char *text, size_t len)
{
	yaml_parser_t p;
	yaml_event_t ev;
	mdg_rc rc = MDG_OK;
	int done = 0, ndocs = 0;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	while (!done) {
		if (!yaml_parser_parse(&p, &ev)) {
			rc = flow_report_add(y->rep, y->file, p.problem_mark.line + 1,
			                     NULL, NULL, "YAML syntax error: %s%s%s",
			                     p.problem ? p.problem : "unreadable",
			                     p.context ? " " : "",
			                     p.context ? p.context : "");
			if (rc == MDG_OK)
				rc = MDG_ERR_VALIDATION;
			break;
		}
		if (ev.type == YAML_ALIAS_EVENT) {
			rc = flow_report_add(y->rep, y->file, ev.start_mark.line + 1,
			                     NULL, NULL,
			                     "YAML aliases (*name) are not supported; "
			                     "write the content out");
			if (rc == MDG_OK)
				rc = MDG_ERR_VALIDATION;
			done = 1;
		} else if (ev.type == YAML_DOCUMENT_START_EVENT && ++ndocs > 1) {
			rc =
			    flow_report_add(y->rep, y->file, ev.start_mark.line + 1, NULL,
			                    NULL, "only one YAML document per file");
			if (rc == MDG_OK)
				rc = MDG_ERR_VALIDATION;
			done = 1;
		} else if (ev.type == YAML_STREAM_END_EVENT) {
			done = 1;
		}
		yaml_event_delete(&ev);
	}
	yaml_parser_delete(&p);
	return rc;
}

mdg_rc flow_yaml_load(flow_yaml *y, const char *file, const char *text, size_t len,
                      flow_report *rep)
{
	memset(y, 0, sizeof *y);
	y->file = file;
	y->rep = rep;
	size_t bad = 0;
	if (!nlp_utf8_valid(text, len, &bad)) {
		mdg_rc rc = flow_report_add(rep, file, 0, NULL, NULL,
		                            "invalid UTF-8 at byte %zu", bad);
		return rc == MDG_OK ? MDG_ERR_VALIDATION : rc;
	}
	if (memchr(text, '\0', len)) {
		mdg_rc rc =
		    flow_report_add(rep, file, 0, NULL, NULL, "NUL byte in the file");
		return rc == MDG_OK ? MDG_ERR_VALIDATION : rc;
	}
	mdg_rc rc = prescan(y, text, len);
	if (rc != MDG_OK)
		return rc;
	yaml_parser_t p;
	yaml_parser_initialize(&p);
	yaml_parser_set_input_string(&p, (const unsigned char *)text, len);
	if (!yaml_parser_load(&p, &y->doc)) {
		rc = flow_report_add(rep, file, p.problem_mark.line + 1, NULL, NULL,
		                     "YAML error: %s",
		                     p.problem ? p.problem : "unreadable");
		yaml_parser_delete(&p);
		return rc == MDG_OK ? MDG_ERR_VALIDATION : rc;
	}
	yaml_parser_delete(&p);
	y->loaded = 1;
	if (yaml_document_get_root_node(&y->doc) == NULL) {
		rc = flow_report_add(rep, file, 0, NULL, NULL, "the file is empty");
		return rc == MDG_OK ? MDG_ERR_VALIDATION : rc;
	}
	return MDG_OK;
}

void flow_yaml_free(flow_yaml *y)
{
	if (y && y->loaded)
		yaml_document_delete(&y->doc);
	if (y)
		y->loaded = 0;
}

yaml_node_t *flow_yaml_root(flow_yaml *y)
{
	return y->loaded ? yaml_document_get_root_node(&y->doc) : NULL;
}

size_t flow_yaml_line(const yaml_node_t *n)
{
	return n ? n->start_mark.line + 1 : 0;
}

mdg_rc flow_yaml_problem(flow_yaml *y, const yaml_node_t *n, const char *fmt, ...)
{
	char *msg = NULL;
	va_list ap;
	va_start(ap, fmt);
	int r = vasprintf(&msg, fmt, ap);
	va_end(ap);
	if (r < 0)
		return MDG_ERR_NOMEM;
	mdg_rc rc = flow_report_add(y->rep, y->file, flow_yaml_line(n), y->flow, y->node,
	                            "%s", msg);
	free(msg);
	return rc;
}

static const char *scalar(const yaml_node_t *n)
{
	return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value
	                                        : NULL;
}

yaml_node_t *flow_yaml_get(flow_yaml *y, yaml_node_t *m, const char *key)
{
	if (m == NULL || m->type != YAML_MAPPING_NODE)
		return NULL;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
	     p < m->data.mapping.pairs.top; p++) {
		const char *k = scalar(yaml_document_get_node(&y->doc, p->key));
		if (k && strcmp(k, key) == 0)
			return yaml_document_get_node(&y->doc, p->value);
	}
	return NULL;
}

mdg_rc flow_yaml_check_keys(flow_yaml *y, yaml_node_t *m, const char *const *allowed,
                            const char *what)
{
	if (m == NULL || m->type != YAML_MAPPING_NODE)
		return MDG_OK;
	mdg_rc rc = MDG_OK;
	for (yaml_node_pair_t *p = m->data.mapping.pairs.start;
	     p < m->data.mapping.pairs.top && rc == MDG_OK; p++) {
		yaml_node_t *kn = yaml_document_get_node(&y->doc, p->key);
		const char *k = scalar(kn);
		if (k == NULL) {
			rc = flow_yaml_problem(y, kn, "%s: keys must be plain words",
			                       what);
			continue;
		}
		int ok = 0;
		for (const char *const *a = allowed; *a && !ok; a++)
			ok = strcmp(*a, k) == 0;
		if (!ok) {
			char list[512] = "";
			size_t off = 0;
			for (const char *const *a = allowed; *a; a++) {
				int w = snprintf(list + off, sizeof list - off, "%s%s",
				                 off ? ", " : "", *a);
				if (w < 0 || (size_t)w >= sizeof list - off)
					break;
				off += (size_t)w;
			}
			rc = flow_yaml_problem(
			    y, kn, "%s: unknown key '%s' (expected %s)", what, k, list);
		}
		/* A repeated key is almost always a copy-paste mistake. */
		for (yaml_node_pair_t *q = m->data.mapping.pairs.start;
		     q < p && rc == MDG_OK; q++) {
			const char *k2 = scalar(yaml_document_get_node(&y->doc, q->key));
			if (k2 && strcmp(k2, k) == 0)
				rc = flow_yaml_problem(y, kn, "%s: key '%s' repeated",
				                       what, k);
		}
	}
	return rc;
}

yaml_node_t *flow_yaml_item(flow_yaml *y, yaml_node_t *seq, size_t i)
{
	if (seq == NULL || seq->type != YAML_SEQUENCE_NODE || i >= flow_yaml_len(seq))
		return NULL;
	return yaml_document_get_node(&y->doc, seq->data.sequence.items.start[i]);
}

size_t flow_yaml_len(const yaml_node_t *seq)
{
	if (seq == NULL || seq->type != YAML_SEQUENCE_NODE)
		return 0;
	return (size_t)(seq->data.sequence.items.top - seq->data.sequence.items.start);
}

/* Copies a scalar's value trimmed of surrounding whitespace (block
 * scalars end with a newline). */
static mdg_rc scalar_copy(flow_yaml *y, yaml_node_t *v, const char *key, size_t max_chars,
                          int required, char **out)
{
	const char *s = (const char *)v->data.scalar.value;
	size_t n = v->data.scalar.length;
	if (strlen(s) != n)
		return flow_yaml_problem(y, v, "'%s' contains a NUL character", key);
	while (n && (s[n - 1] == '\n' || s[n - 1] == ' ' || s[n - 1] == '\t' ||
	             s[n - 1] == '\r'))
		n--;
	while (n && (*s == ' ' || *s == '\n' || *s == '\t' || *s == '\r')) {
		s++;
		n--;
	}
	if (n == 0) {
		if (required)
			return flow_yaml_problem(y, v, "'%s' is empty", key);
		*out = strdup("");
		return *out ? MDG_OK : MDG_ERR_NOMEM;
	}
	size_t chars = nlp_utf8_len(s, n);
	if (chars > max_chars)
		return flow_yaml_problem(y, v,
		                         "'%s' is %zu characters long, over the cap "
		                         "of %zu",
		                         key, chars, max_chars);
	*out = strndup(s, n);
	return *out ? MDG_OK : MDG_ERR_NOMEM;
}

mdg_rc flow_yaml_str(flow_yaml *y, yaml_node_t *m, const char *key, int required,
                     size_t max_chars, char **out)
{
	*out = NULL;
	yaml_node_t *v = flow_yaml_get(y, m, key);
	if (v == NULL) {
		if (required)
			return flow_yaml_problem(y, m, "missing '%s'", key);
		*out = strdup("");
		return *out ? MDG_OK : MDG_ERR_NOMEM;
	}
	if (v->type != YAML_SCALAR_NODE)
		return flow_yaml_problem(y, v, "'%s' must be text", key);
	return scalar_copy(y, v, key, max_chars, required, out);
}

int flow_id_valid(const char *s)
{
	size_t n = strlen(s);
	if (n == 0 || n > FLOW_ID_MAX)
		return 0;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		int alnum = (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || (c != '-' && c != '_')))
			return 0;
	}
	return 1;
}

mdg_rc flow_yaml_id(flow_yaml *y, yaml_node_t *m, const char *key, int required,
                    char **out)
{
	*out = NULL;
	yaml_node_t *v = flow_yaml_get(y, m, key);
	if (v == NULL)
		return required ? flow_yaml_problem(y, m, "missing '%s'", key) : MDG_OK;
	const char *s = scalar(v);
	if (s == NULL || !flow_id_valid(s))
		return flow_yaml_problem(y, v,
		                         "'%s' must be 1-%d characters of a-z, 0-9, "
		                         "'-' and '_', starting with a letter or digit",
		                         key, FLOW_ID_MAX);
	*out = strdup(s);
	return *out ? MDG_OK : MDG_ERR_NOMEM;
}

void flow_strv_free(char **v, size_t n)
{
	for (size_t i = 0; v && i < n; i++)
		free(v[i]);
	free(v);
}

mdg_rc flow_yaml_strlist(flow_yaml *y, yaml_node_t *m, const char *key, size_t max_items,
                         size_t max_chars, char ***out, size_t *n)
{
	*out = NULL;
	*n = 0;
	yaml_node_t *v = flow_yaml_get(y, m, key);
	if (v == NULL)
		return MDG_OK;
	size_t cnt = v->type == YAML_SCALAR_NODE ? 1 : flow_yaml_len(v);
	if (v->type == YAML_MAPPING_NODE)
		return flow_yaml_problem(y, v, "'%s' must be a list of phrases", key);
	if (cnt > max_items)
		return flow_yaml_problem(y, v,
		                         "'%s' has %zu entries, over the cap of %zu", key,
		                         cnt, max_items);
	if (cnt == 0)
		return MDG_OK;
	char **list = calloc(cnt, sizeof *list);
	if (list == NULL)
		return MDG_ERR_NOMEM;
	mdg_rc rc = MDG_OK;
	size_t k = 0;
	for (size_t i = 0; i < cnt && rc == MDG_OK; i++) {
		yaml_node_t *it =
		    v->type == YAML_SCALAR_NODE ? v : flow_yaml_item(y, v, i);
		if (it == NULL || it->type != YAML_SCALAR_NODE) {
			rc = flow_yaml_problem(y, it ? it : v,
			                       "'%s' entries must be text", key);
			continue;
		}
		char *s = NULL;
		rc = scalar_copy(y, it, key, max_chars, 1, &s);
		if (s)
			list[k++] = s;
	}
	if (rc != MDG_OK) {
		flow_strv_free(list, k);
		return rc;
	}
	*out = list;
	*n = k;
	return MDG_OK;
}

void flow_links_free(flow_link *l, size_t n)
{
	for (size_t i = 0; l && i < n; i++) {
		free(l[i].label);
		free(l[i].url);
	}
	free(l);
}

void flow_phones_free(flow_phone *p, size_t n)
{
	for (size_t i = 0; p && i < n; i++) {
		free(p[i].label);
		free(p[i].number);
	}
	free(p);
}

/* Reads a sequence of two-string mappings (links, phones). */
static mdg_rc read_pairs(flow_yaml *y, yaml_node_t *m, const char *key, const char *k1,
                         const char *k2, size_t max, size_t max2, char ***a, char ***b,
                         size_t *n)
{
	*a = *b = NULL;
	*n = 0;
	yaml_node_t *v = flow_yaml_get(y, m, key);
	if (v == NULL)
		return MDG_OK;
	if (v->type != YAML_SEQUENCE_NODE)
		return flow_yaml_problem(y, v, "'%s' must be a list of {%s, %s}", key, k1,
		                         k2);
	size_t cnt = flow_yaml_len(v);
	if (cnt > max)
		return flow_yaml_problem(
		    y, v, "'%s' has %zu entries, over the cap of %zu", key, cnt, max);
	if (cnt == 0)
		return MDG_OK;
	char **x1 = calloc(cnt, sizeof *x1), **x2 = calloc(cnt, sizeof *x2);
	if (!x1 || !x2) {
		free(x1);
		free(x2);
		return MDG_ERR_NOMEM;
	}
	const char *const allowed[] = {k1, k2, NULL};
	mdg_rc rc = MDG_OK;
	size_t k = 0;
	for (size_t i = 0; i < cnt && rc == MDG_OK; i++) {
		yaml_node_t *it = flow_yaml_item(y, v, i);
		if (it->type != YAML_MAPPING_NODE) {
			rc = flow_yaml_problem(y, it, "'%s' entries must be {%s, %s}",
			                       key, k1, k2);
			continue;
		}
		rc = flow_yaml_check_keys(y, it, allowed, key);
		char *s1 = NULL, *s2 = NULL;
		if (rc == MDG_OK)
			rc = flow_yaml_str(y, it, k1, 1, FLOW_MAX_LABEL_CHARS * 2, &s1);
		if (rc == MDG_OK)
			rc = flow_yaml_str(y, it, k2, 1, max2, &s2);
		if (s1 && s2) {
			x1[k] = s1;
			x2[k] = s2;
			k++;
		} else {
			free(s1);
			free(s2);
		}
	}
	if (rc != MDG_OK) {
		flow_strv_free(x1, k);
		flow_strv_free(x2, k);
		return rc;
	}
	*a = x1;
	*b = x2;
	*n = k;
	return MDG_OK;
}

mdg_rc flow_yaml_links(flow_yaml *y, yaml_node_t *m, const char *key, flow_link **out,
                       size_t *n)
{
	char **labels, **urls;
	size_t cnt;
	*out = NULL;
	*n = 0;
	mdg_rc rc = read_pairs(y, m, key, "label", "url", FLOW_MAX_LINKS,
	                       FLOW_MAX_URL_CHARS, &labels, &urls, &cnt);
	if (rc != MDG_OK || cnt == 0)
		return rc;
	flow_link *l = calloc(cnt, sizeof *l);
	if (l == NULL) {
		flow_strv_free(labels, cnt);
		flow_strv_free(urls, cnt);
		return MDG_ERR_NOMEM;
	}
	yaml_node_t *v = flow_yaml_get(y, m, key);
	for (size_t i = 0; i < cnt; i++) {
		l[i].label = labels[i];
		l[i].url = urls[i];
		if (strncmp(urls[i], "https://", 8) != 0 &&
		    strncmp(urls[i], "http://", 7) != 0 && rc == MDG_OK)
			rc = flow_yaml_problem(y, flow_yaml_item(y, v, i),
			                       "link url '%s' must start with "
			                       "https:// or http://",
			                       urls[i]);
		for (const char *c = urls[i]; *c && rc == MDG_OK; c++)
			if ((unsigned char)*c <= ' ' || *c == '"' || *c == '<' ||
			    *c == '>')
				rc = flow_yaml_problem(y, flow_yaml_item(y, v, i),
				                       "link url contains a space, "
				                       "quote or angle bracket");
	}
	free(labels);
	free(urls);
	*out = l;
	*n = cnt;
	return rc;
}

mdg_rc flow_yaml_phones(flow_yaml *y, yaml_node_t *m, const char *key, flow_phone **out,
                        size_t *n)
{
	char **labels, **nums;
	size_t cnt;
	*out = NULL;
	*n = 0;
	mdg_rc rc = read_pairs(y, m, key, "label", "number", FLOW_MAX_PHONES, 40, &labels,
	                       &nums, &cnt);
	if (rc != MDG_OK || cnt == 0)
		return rc;
	flow_phone *p = calloc(cnt, sizeof *p);
	if (p == NULL) {
		flow_strv_free(labels, cnt);
		flow_strv_free(nums, cnt);
		return MDG_ERR_NOMEM;
	}
	for (size_t i = 0; i < cnt; i++) {
		p[i].label = labels[i];
		p[i].number = nums[i];
	}
	free(labels);
	free(nums);
	*out = p;
	*n = cnt;
	return MDG_OK;
}

mdg_rc flow_yaml_bool(flow_yaml *y, yaml_node_t *m, const char *key, int *out)
{
	yaml_node_t *v = flow_yaml_get(y, m, key);
	if (v == NULL)
		return MDG_OK;
	const char *s = scalar(v);
	if (s && (!strcmp(s, "true") || !strcmp(s, "yes")))
		*out = 1;
	else if (s && (!strcmp(s, "false") || !strcmp(s, "no")))
		*out = 0;
	else
		return flow_yaml_problem(y, v, "'%s' must be true or false", key);
	return MDG_OK;
}

int flow_yaml_int(flow_yaml *y, yaml_node_t *m, const char *key, long min, long max,
                  long *out)
{
	yaml_node_t *v = flow_yaml_get(y, m, key);
	if (v == NULL)
		return 0;
	const char *s = scalar(v);
	char *end = NULL;
	long x = s && *s ? strtol(s, &end, 10) : 0;
	if (s == NULL || *s == '\0' || *end != '\0' || x < min || x > max) {
		flow_yaml_problem(y, v, "'%s' must be a whole number from %ld to %ld",
		                  key, min, max);
		return -1;
	}
	*out = x;
	return 1;
}
