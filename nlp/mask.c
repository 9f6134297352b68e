/* mask.c — replacing personal data in normalised text (see mask.h).
 *
 * Two passes: find the spans to replace (e-mail addresses first, then
 * numbers), then copy the text with each span swapped for its
 * placeholder. Numbers are read as a sequence of digit groups joined by
 * short separator runs ("-", " ", "(", ")"); the sequence, or a prefix of
 * it that ends at a space, is classified by its group lengths. */
#include "mask.h"

#include <stdlib.h>
#include <string.h>

#define MAX_GROUPS 8

typedef struct span {
	size_t start, end;
	unsigned kind;
} span;

typedef struct spans {
	span *v;
	size_t n, cap;
	int oom;
	size_t nemail; /* v[0..nemail) are e-mail spans, in text order */
} spans;

static const char POSTAL_MARK[] = "\xE3\x80\x92"; /* 〒 */

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static int is_alnum(char c)
{
	return is_digit(c) || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_local(char c)
{
	return is_alnum(c) || c == '.' || c == '_' || c == '%' || c == '+' || c == '-';
}

static int is_sep(char c)
{
	return c == '-' || c == ' ' || c == '(' || c == ')';
}

static const char *placeholder(unsigned kind)
{
	switch (kind) {
	case NLP_MASK_MYNUMBER: return "＜個人番号＞";
	case NLP_MASK_PHONE: return "＜電話番号＞";
	case NLP_MASK_EMAIL: return "＜メールアドレス＞";
	case NLP_MASK_POSTAL: return "＜郵便番号＞";
	case NLP_MASK_NUMBER: return "＜番号＞";
	}
	return "＜個人情報＞";
}

/* Numbers are found left to right, so *cursor walks the e-mail spans. */
static int overlaps_email(const spans *sp, size_t *cursor, size_t start, size_t end)
{
	while (*cursor < sp->nemail && sp->v[*cursor].end <= start)
		(*cursor)++;
	return *cursor < sp->nemail && sp->v[*cursor].start < end;
}

static void add_span(spans *sp, size_t start, size_t end, unsigned kind)
{
	if (sp->n == sp->cap) {
		size_t cap = sp->cap ? sp->cap * 2 : 16;
		span *v = realloc(sp->v, cap * sizeof *v);
		if (v == NULL) {
			sp->oom = 1;
			return;
		}
		sp->v = v;
		sp->cap = cap;
	}
	sp->v[sp->n].start = start;
	sp->v[sp->n].end = end;
	sp->v[sp->n].kind = kind;
	sp->n++;
}

/* local@label.label...; the top-level label has at least two letters. */
static void find_emails(const char *s, size_t n, spans *sp)
{
	for (size_t at = 1; at + 1 < n; at++) {
		if (s[at] != '@')
			continue;
		size_t start = at;
		while (start > 0 && is_local(s[start - 1]))
			start--;
		while (start < at && s[start] == '.')
			start++;
		if (start == at)
			continue;
		size_t p = at + 1, dots = 0, last = p;
		for (;;) {
			size_t l = p;
			while (p < n && (is_alnum(s[p]) || s[p] == '-'))
				p++;
			if (p == l)
				break;
			last = l;
			if (p + 1 < n && s[p] == '.' && (is_alnum(s[p + 1]))) {
				p++;
				dots++;
				continue;
			}
			break;
		}
		if (dots == 0 || p - last < 2)
			continue;
		for (size_t i = last; i < p; i++)
			if (is_digit(s[i]) || s[i] == '-')
				goto next;
		add_span(sp, start, p, NLP_MASK_EMAIL);
		at = p;
	next:;
	}
}

typedef struct group {
	size_t start, end;  /* digits */
	int space_after;    /* the separator run after it contains a space */
	int hyphen_after;   /* ... or is exactly "-" */
} group;

/* Classifies the first k groups; 0 if they are no personal number. */
static unsigned classify(const char *s, const group *g, int k, int postal_mark,
			 int plus81)
{
	size_t len[MAX_GROUPS], total = 0;
	for (int i = 0; i < k; i++) {
		len[i] = g[i].end - g[i].start;
		total += len[i];
	}
	if (postal_mark &&
	    ((k == 1 && total == 7) ||
	     (k == 2 && len[0] == 3 && len[1] == 4 && g[0].hyphen_after)))
		return NLP_MASK_POSTAL;
	if (plus81)
		return total >= 9 && total <= 10 && s[g[0].start] != '0' && k <= 4
			       ? NLP_MASK_PHONE
			       : 0;
	if (total == 12 &&
	    (k == 1 || (k == 3 && len[0] == 4 && len[1] == 4 && len[2] == 4)))
		return NLP_MASK_MYNUMBER;
	if (s[g[0].start] == '0' && total >= 10 && total <= 11 && k <= 3) {
		int ok = 1;
		for (int i = 0; k > 1 && i < k; i++)
			ok &= len[i] >= 1 && len[i] <= 5;
		if (ok)
			return NLP_MASK_PHONE;
	}
	if (k == 2 && len[0] == 3 && len[1] == 4 && g[0].hyphen_after)
		return NLP_MASK_POSTAL;
	if ((k == 1 && total >= 13) ||
	    (k == 4 && len[0] == 4 && len[1] == 4 && len[2] == 4 && len[3] == 4))
		return NLP_MASK_NUMBER;
	return 0;
}

/* Tries a number starting at i; returns the end of the span (0: none) and
 * its kind. */
static size_t match_number(const char *s, size_t n, size_t i, unsigned *kind)
{
	size_t p = i;
	int postal_mark = 0, plus81 = 0;
	if (n - p >= 3 && memcmp(s + p, POSTAL_MARK, 3) == 0) {
		postal_mark = 1;
		p += 3;
		if (p < n && s[p] == ' ')
			p++;
	} else if (n - p >= 3 && s[p] == '+' && s[p + 1] == '8' && s[p + 2] == '1') {
		plus81 = 1;
		p += 3;
		if (p < n && (s[p] == '-' || s[p] == ' '))
			p++;
	} else if (s[p] == '(') {
		p++;
	}
	group g[MAX_GROUPS];
	int ng = 0;
	while (ng < MAX_GROUPS && p < n && is_digit(s[p])) {
		g[ng].start = p;
		while (p < n && is_digit(s[p]))
			p++;
		g[ng].end = p;
		size_t q = p;
		while (q < n && q - p < 2 && is_sep(s[q]))
			q++;
		g[ng].space_after = memchr(s + p, ' ', q - p) != NULL;
		g[ng].hyphen_after = q - p == 1 && s[p] == '-';
		ng++;
		if (q == p || q >= n || !is_digit(s[q]))
			break;
		p = q;
	}
	if (ng == 0)
		return 0;
	for (int k = ng; k >= 1; k--) {
		/* A prefix only counts where a space separates it from the
		 * rest: "123-4567-8" is one number, not a postal code. */
		if (k < ng && !g[k - 1].space_after)
			continue;
		unsigned c = classify(s, g, k, postal_mark, plus81);
		if (c) {
			*kind = c;
			return g[k - 1].end;
		}
	}
	return 0;
}

static void find_numbers(const char *s, size_t n, spans *sp)
{
	size_t i = 0, cursor = 0;
	while (i < n) {
		int start = 0;
		if (i > 0 && is_digit(s[i - 1]))
			start = 0;
		else if (is_digit(s[i]))
			start = 1;
		else if (s[i] == '+' || s[i] == '(')
			start = i + 1 < n && (is_digit(s[i + 1]));
		else if (n - i >= 4 && memcmp(s + i, POSTAL_MARK, 3) == 0)
			start = 1;
		unsigned kind = 0;
		size_t end = start ? match_number(s, n, i, &kind) : 0;
		if (end > i && !overlaps_email(sp, &cursor, i, end)) {
			add_span(sp, i, end, kind);
			i = end;
			continue;
		}
		if (is_digit(s[i])) {
			while (i < n && is_digit(s[i]))
				i++;
		} else {
			i++;
		}
	}
}

static int span_cmp(const void *a, const void *b)
{
	const span *x = a, *y = b;
	return x->start < y->start ? -1 : x->start > y->start;
}

mdg_rc nlp_mask(const char *s, size_t n, char **out, size_t *outn,
		unsigned *found)
{
	*out = NULL;
	if (outn)
		*outn = 0;
	if (found)
		*found = 0;
	spans sp = {0};
	mdg_buf b = {0};
	mdg_rc rc = MDG_OK;
	size_t pos = 0;
	unsigned kinds = 0;
	find_emails(s, n, &sp);
	sp.nemail = sp.n;
	find_numbers(s, n, &sp);
	/* Never hand back text with personal data left in it. */
	if (sp.oom) {
		rc = MDG_ERR_NOMEM;
		goto out;
	}
	if (sp.n > 1)
		qsort(sp.v, sp.n, sizeof *sp.v, span_cmp);
	for (size_t i = 0; i < sp.n && rc == MDG_OK; i++) {
		rc = mdg_buf_add(&b, s + pos, sp.v[i].start - pos);
		if (rc == MDG_OK)
			rc = mdg_buf_adds(&b, placeholder(sp.v[i].kind));
		pos = sp.v[i].end;
		kinds |= sp.v[i].kind;
	}
	if (rc == MDG_OK)
		rc = mdg_buf_add(&b, s + pos, n - pos);
out:
	free(sp.v);
	if (rc != MDG_OK) {
		mdg_buf_free(&b);
		return rc;
	}
	*out = mdg_buf_take(&b, outn);
	if (*out == NULL)
		return MDG_ERR_NOMEM;
	if (found)
		*found = kinds;
	return MDG_OK;
}
