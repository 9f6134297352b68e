/* kb_html.c — HTML fragments in cells to plain text (libxml2's HTML parser
 * does the parsing and the character references; this walks the tree). */
#include "kb_html.h"

#include <libxml/HTMLparser.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>

/* Tags an FAQ page or a CMS export uses; an unknown <word> is text
 * ("<重要>", "a<b"). */
static const char *const known_tags[] = {
    "a",   "abbr",  "address", "b",     "big",    "blockquote", "br",  "center", "code",
    "dd",  "div",   "dl",      "dt",    "em",     "font",       "h1",  "h2",     "h3",
    "h4",  "h5",    "h6",      "hr",    "i",      "img",        "li",  "ol",     "p",
    "pre", "s",     "small",   "span",  "strong", "sub",        "sup", "table",  "tbody",
    "td",  "tfoot", "th",      "thead", "tr",     "u",          "ul",  NULL};

/* Elements that end a line before and after them. */
static const char *const block_tags[] = {
    "address", "article", "aside",    "blockquote", "center", "dd",      "div",
    "dl",      "dt",      "fieldset", "figure",     "footer", "form",    "h1",
    "h2",      "h3",      "h4",       "h5",         "h6",     "header",  "hr",
    "li",      "main",    "nav",      "ol",         "pre",    "section", "table",
    "tbody",   "tfoot",   "thead",    "tr",         "ul",     NULL};

/* Elements whose content is not text for a reader. */
static const char *const skipped_tags[] = {"head",     "noscript", "script", "style",
                                           "template", "title",    NULL};

static const char *const entities[] = {"amp",  "lt",   "gt",  "quot", "apos",
                                       "nbsp", "copy", "yen", NULL};

static int in_set(const char *s, size_t n, const char *const *set)
{
	for (; *set; set++)
		if (strlen(*set) == n && strncmp(*set, s, n) == 0)
			return 1;
	return 0;
}

static int is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static int is_digit(char c)
{
	return c >= '0' && c <= '9';
}

/* Whether s (just after '<') opens or closes a known tag. */
static int tag_at(const char *s)
{
	if (strncmp(s, "!--", 3) == 0)
		return strstr(s, "-->") != NULL;
	if (*s == '/')
		s++;
	char name[12];
	size_t n = 0;
	while (n < sizeof name - 1 && (is_alpha(s[n]) || is_digit(s[n]))) {
		char c = s[n];
		name[n++] = (char)(c >= 'A' && c <= 'Z' ? c + 32 : c);
	}
	char after = s[n];
	if (n == 0 || !(after == '>' || after == ' ' || after == '/' || after == '\t' ||
	                after == '\n' || after == '\r'))
		return 0;
	return in_set(name, n, known_tags) && strchr(s + n, '>') != NULL;
}

/* Whether s (just after '&') is a character reference. */
static int reference_at(const char *s)
{
	size_t n = 0;
	if (*s == '#') {
		s++;
		if (*s == 'x' || *s == 'X') {
			s++;
			while (n < 7 && (is_digit(s[n]) ||
			                 ((s[n] | 32) >= 'a' && (s[n] | 32) <= 'f')))
				n++;
		} else {
			while (n < 8 && is_digit(s[n]))
				n++;
		}
		return n > 0 && s[n] == ';';
	}
	while (n < 8 && is_alpha(s[n]))
		n++;
	return n > 0 && s[n] == ';' && in_set(s, n, entities);
}

int kb_html_detect(const char *s)
{
	for (; *s; s++)
		if ((*s == '<' && tag_at(s + 1)) || (*s == '&' && reference_at(s + 1)))
			return 1;
	return 0;
}

typedef struct out {
	mdg_buf b;
	int collapse; /* whitespace collapses as in a browser */
	int newlines; /* newlines the text ends with */
	int space;    /* a collapsed space is pending */
	mdg_rc rc;
} out;

static void put(out *o, const char *s, size_t n)
{
	if (o->rc == MDG_OK && n)
		o->rc = mdg_buf_add(&o->b, s, n);
}

/* Ends the line: at least want newlines (never at the very start). */
static void line_end(out *o, int want)
{
	o->space = 0;
	if (o->b.len == 0)
		return;
	while (o->newlines < want) {
		put(o, "\n", 1);
		o->newlines++;
	}
}

static int is_space_at(const char *s, size_t *len)
{
	if (*s == ' ' || *s == '\t' || *s == '\n' || *s == '\r' || *s == '\f') {
		*len = 1;
		return 1;
	}
	if ((unsigned char)s[0] == 0xC2 && (unsigned char)s[1] == 0xA0) { /* nbsp */
		*len = 2;
		return 1;
	}
	return 0;
}

static void text(out *o, const char *s)
{
	if (!o->collapse) { /* as written, but a no-break space is a space */
		for (const char *nb; *s; s = nb + 2) {
			nb = strstr(s, "\xC2\xA0");
			size_t n = nb ? (size_t)(nb - s) : strlen(s);
			put(o, s, n);
			if (nb)
				put(o, " ", 1);
			o->newlines = nb == NULL && n > 0 && s[n - 1] == '\n';
			if (nb == NULL)
				break;
		}
		return;
	}
	while (*s) {
		size_t len;
		if (is_space_at(s, &len)) {
			o->space = 1;
			s += len;
			continue;
		}
		size_t n = 0;
		while (s[n] && !is_space_at(s + n, &len))
			n++;
		if (o->space && o->newlines == 0 && o->b.len > 0)
			put(o, " ", 1);
		o->space = 0;
		put(o, s, n);
		o->newlines = 0;
		s += n;
	}
}

static const char *attr(xmlNode *n, const char *name, xmlChar **own)
{
	*own = xmlGetProp(n, (const xmlChar *)name);
	return *own ? (const char *)*own : "";
}

static void walk(out *o, xmlNode *n, int depth);

static void element(out *o, xmlNode *n, int depth)
{
	const char *name = (const char *)n->name;
	size_t nl = strlen(name);
	if (in_set(name, nl, skipped_tags))
		return;
	if (strcmp(name, "br") == 0) {
		o->space = 0;
		if (o->b.len > 0) {
			put(o, "\n", 1);
			o->newlines++;
		}
		return;
	}
	if (strcmp(name, "img") == 0) {
		xmlChar *alt;
		text(o, attr(n, "alt", &alt));
		xmlFree(alt);
		return;
	}
	int para = strcmp(name, "p") == 0;
	int block = para || in_set(name, nl, block_tags);
	if (block)
		line_end(o, para ? 2 : 1);
	if (strcmp(name, "li") == 0) {
		put(o, "・", strlen("・"));
		o->newlines = 0;
	}
	size_t start = o->b.len;
	walk(o, n->children, depth + 1);
	if (strcmp(name, "a") == 0) {
		/* The address after the link's text, unless the text is it. */
		xmlChar *href;
		const char *h = attr(n, "href", &href);
		int web = strncmp(h, "http://", 7) == 0 ||
		          strncmp(h, "https://", 8) == 0 || strncmp(h, "mailto:", 7) == 0;
		size_t tl = o->b.len - start;
		const char *shown = strncmp(h, "mailto:", 7) == 0 ? h + 7 : h;
		int same = tl == strlen(shown) &&
		           (tl == 0 || memcmp(o->b.data + start, shown, tl) == 0);
		if (web && shown[0] && !same) {
			if (tl == 0) {
				text(o, shown);
			} else {
				put(o, "（", strlen("（"));
				put(o, shown, strlen(shown));
				put(o, "）", strlen("）"));
				o->newlines = 0;
			}
		}
		xmlFree(href);
	} else if (strcmp(name, "td") == 0 || strcmp(name, "th") == 0) {
		o->space = 1;
	}
	if (block)
		line_end(o, para ? 2 : 1);
}

static void walk(out *o, xmlNode *n, int depth)
{
	if (depth > 256) /* libxml2 caps nesting too; be explicit */
		return;
	for (; n && o->rc == MDG_OK; n = n->next) {
		if (n->type == XML_TEXT_NODE || n->type == XML_CDATA_SECTION_NODE)
			text(o, n->content ? (const char *)n->content : "");
		else if (n->type == XML_ELEMENT_NODE)
			element(o, n, depth);
	}
}

/* Whether the fragment has markup that breaks lines (then whitespace
 * collapses as in a browser; otherwise the cell's own newlines stand). */
static int has_line_markup(const char *s)
{
	for (const char *p = strchr(s, '<'); p; p = strchr(p + 1, '<')) {
		const char *q = p + 1 + (p[1] == '/');
		size_t n = 0;
		while (is_alpha(q[n]) || is_digit(q[n]))
			n++;
		char lower[12];
		if (n == 0 || n >= sizeof lower)
			continue;
		for (size_t i = 0; i < n; i++)
			lower[i] = (char)(q[i] >= 'A' && q[i] <= 'Z' ? q[i] + 32 : q[i]);
		if ((n == 2 && memcmp(lower, "br", 2) == 0) ||
		    (n == 1 && lower[0] == 'p') || in_set(lower, n, block_tags))
			return 1;
	}
	return 0;
}

/* Drops spaces before newlines, keeps at most one blank line, trims. */
static char *tidy(char *s)
{
	size_t w = 0;
	for (size_t r = 0; s[r]; r++) {
		if (s[r] == '\n') {
			while (w > 0 && s[w - 1] == ' ')
				w--;
			size_t nls = 0;
			while (nls < w && s[w - 1 - nls] == '\n')
				nls++;
			if (w == 0 || nls >= 2)
				continue;
		}
		s[w++] = s[r];
	}
	while (w > 0 && (s[w - 1] == '\n' || s[w - 1] == ' '))
		w--;
	s[w] = '\0';
	return s;
}

mdg_rc kb_html_to_text(const char *html, char **result)
{
	*result = NULL;
	size_t n = strlen(html);
	if (n > INT_MAX)
		return MDG_ERR_TOOBIG;
	htmlDocPtr doc =
	    htmlReadMemory(html, (int)n, NULL, "UTF-8",
	                   HTML_PARSE_NOERROR | HTML_PARSE_NOWARNING | HTML_PARSE_NONET);
	if (doc == NULL)
		return MDG_ERR_FORMAT;
	out o = {.collapse = has_line_markup(html), .rc = MDG_OK};
	walk(&o, doc->children, 0);
	xmlFreeDoc(doc);
	if (o.rc == MDG_OK)
		o.rc = mdg_buf_add(&o.b, "", 1);
	if (o.rc != MDG_OK) {
		mdg_buf_free(&o.b);
		return o.rc;
	}
	*result = tidy(mdg_buf_take(&o.b, NULL));
	return MDG_OK;
}
