/* sheet_xlsx.c — reading and writing .xlsx (Office Open XML spreadsheets)
 * for the sheet module, with libzip (in memory) and libxml2's streaming
 * xmlTextReader.
 *
 * Reading follows the package relationships: _rels/.rels names the
 * workbook, the workbook's .rels maps sheet ids to worksheet parts and names
 * the shared strings. Every part is decompressed with a cap, parsed without
 * network access, DTDs or entity substitution (a DOCTYPE is refused: OOXML
 * never has one), and cell references (not the <dimension> element) place
 * the cells, so a stray "XFD1048576" allocates nothing.
 *
 * Text in OOXML may carry _xHHHH_ escapes (Excel writes a CR as _x000D_);
 * they are decoded on reading and used on writing for the control
 * characters XML 1.0 cannot hold. */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <libxml/xmlreader.h>
#include <zip.h>

#include "sheet_internal.h"

#define XLSX_MAX_PATH 1024
#define XLSX_MAX_RELS 65536
#define XLSX_MAX_SHEETS 4096
#define XLSX_MAX_EXCEL_COLS 16384
#define XLSX_MAX_EXCEL_ROWS 1048576

#define NS_MAIN "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define NS_REL "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define NS_PKG_REL "http://schemas.openxmlformats.org/package/2006/relationships"

/* ====================================================================
 * Small shared helpers
 * ==================================================================== */

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/* Parses "_xHHHH_" at s (n bytes available); returns the code unit or -1. */
static long xescape_at(const char *s, size_t n)
{
	long v = 0;

	if (n < 7 || s[0] != '_' || s[1] != 'x' || s[6] != '_')
		return -1;
	for (int k = 2; k < 6; k++) {
		int h = hexval(s[k]);
		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

static mdg_rc utf8_put(mdg_buf *b, unsigned long cp)
{
	char u[4];
	size_t n;

	if (cp < 0x80) {
		u[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		u[0] = (char)(0xC0 | (cp >> 6));
		u[1] = (char)(0x80 | (cp & 0x3F));
		n = 2;
	} else if (cp < 0x10000) {
		u[0] = (char)(0xE0 | (cp >> 12));
		u[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[2] = (char)(0x80 | (cp & 0x3F));
		n = 3;
	} else {
		u[0] = (char)(0xF0 | (cp >> 18));
		u[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
		u[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
		u[3] = (char)(0x80 | (cp & 0x3F));
		n = 4;
	}
	return mdg_buf_add(b, u, n);
}

/* Appends s[0..n) to b, decoding _xHHHH_ escapes. NUL and unpaired
 * surrogates cannot become text, so such escapes stay literal. */
static mdg_rc xstr_decode(mdg_buf *b, const char *s, size_t n)
{
	size_t i = 0, lit = 0;
	mdg_rc rc = MDG_OK;

	while (i < n && rc == MDG_OK) {
		long cp = s[i] == '_' ? xescape_at(s + i, n - i) : -1;
		size_t used = 7;
		if (cp >= 0xD800 && cp <= 0xDBFF) {
			long lo = xescape_at(s + i + 7, n - i - 7);
			if (lo >= 0xDC00 && lo <= 0xDFFF) {
				cp = 0x10000 + ((cp - 0xD800) << 10) +
				     (lo - 0xDC00);
				used = 14;
			} else {
				cp = -1;
			}
		}
		if (cp <= 0 || (cp >= 0xDC00 && cp <= 0xDFFF)) {
			i++;
			continue;
		}
		rc = mdg_buf_add(b, s + lit, i - lit);
		if (rc == MDG_OK)
			rc = utf8_put(b, (unsigned long)cp);
		i += used;
		lit = i;
	}
	if (rc == MDG_OK)
		rc = mdg_buf_add(b, s + lit, n - lit);
	return rc;
}

/* Splits "XFD17" into a 1-based column and row. Returns 0 if malformed or
 * beyond Excel's grid (16384 columns, 1048576 rows). row may be 0 when the
 * reference has no digits. */
static int parse_ref(const char *ref, size_t *col, size_t *row)
{
	size_t c = 0, r = 0, i = 0;

	for (; ref[i] >= 'A' && ref[i] <= 'Z'; i++) {
		c = c * 26 + (size_t)(ref[i] - 'A' + 1);
		if (c > XLSX_MAX_EXCEL_COLS)
			return 0;
	}
	if (i == 0)
		return 0;
	for (; ref[i] >= '0' && ref[i] <= '9'; i++) {
		r = r * 10 + (size_t)(ref[i] - '0');
		if (r > XLSX_MAX_EXCEL_ROWS)
			return 0;
	}
	if (ref[i] != '\0')
		return 0;
	*col = c;
	*row = r;
	return 1;
}

/* Parses a decimal without sign into *v; 0 if malformed or > max. */
static int parse_size(const char *s, size_t max, size_t *v)
{
	size_t r = 0;

	if (*s == '\0')
		return 0;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return 0;
		size_t d = (size_t)(*s - '0');
		if (r > (max - d) / 10)
			return 0;
		r = r * 10 + d;
	}
	*v = r;
	return 1;
}

/* ====================================================================
 * Zip access
 * ==================================================================== */

/* Reads a whole part into a NUL-terminated buffer. MDG_ERR_NOTFOUND
 * (without a message) if the package has no such part. */
static mdg_rc pkg_part(zip_t *za, const char *name, char **out, size_t *outn,
		       char **err)
{
	mdg_rc rc = MDG_OK;
	mdg_buf b = {.limit = SHEET_MAX_BYTES};
	zip_file_t *zf = NULL;
	zip_stat_t st;
	char chunk[16384];

	/* OPC part names are case-insensitive */
	zip_int64_t idx = zip_name_locate(za, name, ZIP_FL_NOCASE);
	if (idx < 0)
		return MDG_ERR_NOTFOUND;
	zip_stat_init(&st);
	if (zip_stat_index(za, (zip_uint64_t)idx, 0, &st) == 0 &&
	    (st.valid & ZIP_STAT_SIZE) && st.size > SHEET_MAX_BYTES) {
		return mdg_fail(err, MDG_ERR_TOOBIG,
				"%s is larger than %zu MiB uncompressed", name,
				SHEET_MAX_BYTES >> 20);
	}
	zf = zip_fopen_index(za, (zip_uint64_t)idx, 0);
	if (zf == NULL) {
		rc = mdg_fail(err, MDG_ERR_FORMAT, "cannot open %s: %s", name,
			      zip_strerror(za));
		goto out;
	}
	for (;;) {
		zip_int64_t k = zip_fread(zf, chunk, sizeof chunk);
		if (k < 0) {
			rc = mdg_fail(err, MDG_ERR_FORMAT,
				      "cannot decompress %s: %s", name,
				      zip_file_strerror(zf));
			goto out;
		}
		if (k == 0)
			break;
		rc = mdg_buf_add(&b, chunk, (size_t)k);
		if (rc == MDG_ERR_TOOBIG) {
			/* the directory lied about the size */
			rc = mdg_fail(err, rc,
				      "%s is larger than %zu MiB uncompressed",
				      name, SHEET_MAX_BYTES >> 20);
			goto out;
		}
		if (rc != MDG_OK)
			goto out;
	}
	*out = mdg_buf_take(&b, outn);
	if (*out == NULL)
		rc = MDG_ERR_NOMEM;
out:
	if (zf != NULL)
		zip_fclose(zf);
	mdg_buf_free(&b);
	return rc;
}

/* ====================================================================
 * XML reading
 * ==================================================================== */

struct xml {
	xmlTextReaderPtr rd;
	const char *part;
	int type;
	const char *name; /* local name of the current node */
	char msg[200];    /* first parser error */
	int line;
};

static pthread_once_t xml_once = PTHREAD_ONCE_INIT;

static void xml_init_once(void)
{
	xmlInitParser();
}

static void xml_on_error(void *arg, xmlErrorPtr e)
{
	struct xml *x = arg;

	if (x->msg[0] != '\0' || e == NULL)
		return;
	x->line = e->line;
	snprintf(x->msg, sizeof x->msg, "%s",
		 e->message ? e->message : "parse error");
	/* libxml2 messages end with a newline */
	x->msg[strcspn(x->msg, "\n")] = '\0';
}

static mdg_rc xml_open(struct xml *x, const char *part, const char *buf,
		       size_t n, char **err)
{
	memset(x, 0, sizeof *x);
	x->part = part;
	pthread_once(&xml_once, xml_init_once);
	if (n > INT_MAX)
		return mdg_fail(err, MDG_ERR_TOOBIG, "%s is too large", part);
	/* No XML_PARSE_NOENT / DTDLOAD / HUGE: entities are not substituted
	 * from DTDs, nothing is fetched, and libxml2's size limits hold. */
	x->rd = xmlReaderForMemory(buf, (int)n, part, NULL,
				   XML_PARSE_NONET | XML_PARSE_NOERROR |
					   XML_PARSE_NOWARNING);
	if (x->rd == NULL)
		return MDG_ERR_NOMEM;
	xmlTextReaderSetStructuredErrorHandler(x->rd, xml_on_error, x);
	return MDG_OK;
}

static void xml_close(struct xml *x)
{
	if (x->rd != NULL)
		xmlFreeTextReader(x->rd);
	x->rd = NULL;
}

/* Reads part into *buf (the caller frees it) and opens x on it.
 * MDG_ERR_NOTFOUND, without a message, if the package has no such part:
 * each caller decides whether that is an error. */
static mdg_rc part_open(zip_t *za, const char *part, char **buf, struct xml *x,
			char **err)
{
	size_t n = 0;
	mdg_rc rc = pkg_part(za, part, buf, &n, err);
	return rc == MDG_OK ? xml_open(x, part, *buf, n, err) : rc;
}

/* Makes room for element n of array v (capacity *cap, elements of elem
 * bytes): the capacity doubles from first. Returns the array, or NULL with
 * *rc = MDG_ERR_TOOBIG (past max, no message) or MDG_ERR_NOMEM. */
static void *grow(void *v, size_t n, size_t *cap, size_t elem, size_t first,
		  size_t max, mdg_rc *rc)
{
	if (n < *cap)
		return v;
	size_t ncap = *cap ? *cap * 2 : first;
	if (ncap > max) {
		*rc = MDG_ERR_TOOBIG;
		return NULL;
	}
	void *nv = realloc(v, ncap * elem);
	if (nv == NULL) {
		*rc = MDG_ERR_NOMEM;
		return NULL;
	}
	*cap = ncap;
	return nv;
}

/* Advances to the next node: 1 = a node, 0 = end of document, -1 = error
 * (see xml_error). */
static int xml_next(struct xml *x)
{
	int r = xmlTextReaderRead(x->rd);

	if (r != 1) {
		if (r < 0 && x->msg[0] == '\0')
			snprintf(x->msg, sizeof x->msg, "malformed XML");
		return r < 0 ? -1 : 0;
	}
	x->type = xmlTextReaderNodeType(x->rd);
	if (x->type == XML_READER_TYPE_DOCUMENT_TYPE) {
		snprintf(x->msg, sizeof x->msg, "DOCTYPE not allowed");
		x->line = xmlTextReaderGetParserLineNumber(x->rd);
		return -1;
	}
	const xmlChar *nm = xmlTextReaderConstLocalName(x->rd);
	x->name = nm ? (const char *)nm : "";
	return 1;
}

static mdg_rc xml_error(struct xml *x, char **err)
{
	if (x->line > 0)
		return mdg_fail(err, MDG_ERR_FORMAT, "%s line %d: %s", x->part,
				x->line, x->msg);
	return mdg_fail(err, MDG_ERR_FORMAT, "%s: %s", x->part, x->msg);
}

static int xml_start(const struct xml *x, const char *local)
{
	return x->type == XML_READER_TYPE_ELEMENT && strcmp(x->name, local) == 0;
}

static int xml_end(const struct xml *x, const char *local)
{
	return x->type == XML_READER_TYPE_END_ELEMENT &&
	       strcmp(x->name, local) == 0;
}

static int xml_empty(const struct xml *x)
{
	return xmlTextReaderIsEmptyElement(x->rd) == 1;
}

static int xml_is_text(const struct xml *x)
{
	return x->type == XML_READER_TYPE_TEXT ||
	       x->type == XML_READER_TYPE_CDATA ||
	       x->type == XML_READER_TYPE_WHITESPACE ||
	       x->type == XML_READER_TYPE_SIGNIFICANT_WHITESPACE;
}

static mdg_rc xml_add_text(struct xml *x, mdg_buf *b)
{
	const xmlChar *v = xmlTextReaderConstValue(x->rd);

	return v ? mdg_buf_adds(b, (const char *)v) : MDG_OK;
}

/* Copies an attribute (by local name; in some namespace when namespaced,
 * e.g. r:id, else unprefixed) into buf. Returns 1 if present and fits, 0 if absent, -1 if
 * longer than cap-1. */
static int xml_attr(struct xml *x, const char *local, int namespaced, char *buf,
		    size_t cap)
{
	int found = 0;

	buf[0] = '\0';
	if (xmlTextReaderMoveToFirstAttribute(x->rd) != 1)
		return 0;
	do {
		const xmlChar *ln = xmlTextReaderConstLocalName(x->rd);
		const xmlChar *ns = xmlTextReaderConstNamespaceUri(x->rd);
		if (ln == NULL || strcmp((const char *)ln, local) != 0)
			continue;
		if ((ns != NULL) != (namespaced != 0))
			continue;
		const xmlChar *v = xmlTextReaderConstValue(x->rd);
		size_t len = v ? strlen((const char *)v) : 0;
		if (len >= cap) {
			found = -1;
		} else {
			memcpy(buf, v ? (const char *)v : "", len + 1);
			found = 1;
		}
		break;
	} while (xmlTextReaderMoveToNextAttribute(x->rd) == 1);
	xmlTextReaderMoveToElement(x->rd);
	return found;
}

/* ====================================================================
 * Package relationships
 * ==================================================================== */

struct rel {
	char *id, *type, *target; /* target resolved to a part name */
};

struct rels {
	struct rel *v;
	size_t n, cap;
};

static void rels_free(struct rels *r)
{
	for (size_t i = 0; i < r->n; i++) {
		free(r->v[i].id);
		free(r->v[i].type);
		free(r->v[i].target);
	}
	free(r->v);
	memset(r, 0, sizeof *r);
}

/* Resolves a relationship target against the directory of the source part
 * ("" for the package root) into a part name without a leading slash. */
static mdg_rc resolve_target(const char *dir, const char *target,
			     char out[XLSX_MAX_PATH])
{
	char tmp[2 * XLSX_MAX_PATH + 2];
	size_t n = 0;

	if (target[0] == '/')
		snprintf(tmp, sizeof tmp, "%s", target + 1);
	else if (dir[0] != '\0')
		snprintf(tmp, sizeof tmp, "%s/%s", dir, target);
	else
		snprintf(tmp, sizeof tmp, "%s", target);
	/* walk the segments, applying "." and ".." */
	out[0] = '\0';
	for (char *seg = tmp; *seg != '\0';) {
		char *end = strchr(seg, '/');
		size_t len = end ? (size_t)(end - seg) : strlen(seg);
		if (len == 0 || (len == 1 && seg[0] == '.')) {
			/* skip */
		} else if (len == 2 && seg[0] == '.' && seg[1] == '.') {
			char *slash = n ? memrchr(out, '/', n) : NULL;
			n = slash ? (size_t)(slash - out) : 0;
			out[n] = '\0';
		} else {
			if (n + 1 + len >= XLSX_MAX_PATH)
				return MDG_ERR_FORMAT;
			if (n > 0)
				out[n++] = '/';
			memcpy(out + n, seg, len);
			n += len;
			out[n] = '\0';
		}
		if (end == NULL)
			break;
		seg = end + 1;
	}
	return n > 0 ? MDG_OK : MDG_ERR_FORMAT;
}

/* Reads the relationships of part `src` ("" = the package itself).
 * A missing .rels part leaves rels empty. */
static mdg_rc read_rels(zip_t *za, const char *src, struct rels *rels,
			char **err)
{
	mdg_rc rc = MDG_OK;
	char path[2 * XLSX_MAX_PATH + 16], dir[XLSX_MAX_PATH];
	char resolved[XLSX_MAX_PATH];
	char id[256], type[512], target[XLSX_MAX_PATH], mode[32];
	const char *slash = strrchr(src, '/');
	size_t dlen = slash ? (size_t)(slash - src) : 0;
	char *buf = NULL;
	struct xml x = {0};

	snprintf(dir, sizeof dir, "%.*s", (int)dlen, src);
	if (src[0] == '\0')
		snprintf(path, sizeof path, "_rels/.rels");
	else if (slash)
		snprintf(path, sizeof path, "%s/_rels/%s.rels", dir, slash + 1);
	else
		snprintf(path, sizeof path, "_rels/%s.rels", src);
	rc = part_open(za, path, &buf, &x, err);
	if (rc == MDG_ERR_NOTFOUND)
		return MDG_OK;
	if (rc != MDG_OK)
		goto out;
	for (;;) {
		int r = xml_next(&x);
		if (r < 0) {
			rc = xml_error(&x, err);
			goto out;
		}
		if (r == 0)
			break;
		if (!xml_start(&x, "Relationship"))
			continue;
		if (xml_attr(&x, "Id", 0, id, sizeof id) != 1 ||
		    xml_attr(&x, "Type", 0, type, sizeof type) != 1 ||
		    xml_attr(&x, "Target", 0, target, sizeof target) != 1)
			continue;
		if (xml_attr(&x, "TargetMode", 0, mode, sizeof mode) == 1 &&
		    strcmp(mode, "External") == 0)
			continue;
		if (resolve_target(dir, target, resolved) != MDG_OK)
			continue;
		struct rel *v = grow(rels->v, rels->n, &rels->cap, sizeof *v, 16,
				     XLSX_MAX_RELS, &rc);
		if (v == NULL) {
			if (rc == MDG_ERR_TOOBIG)
				mdg_fail(err, rc, "%s: too many relationships", path);
			goto out;
		}
		rels->v = v;
		struct rel *e = &rels->v[rels->n];
		e->id = strdup(id);
		e->type = strdup(type);
		e->target = strdup(resolved);
		rels->n++;
		if (!e->id || !e->type || !e->target) {
			rc = MDG_ERR_NOMEM;
			goto out;
		}
	}
out:
	xml_close(&x);
	free(buf);
	return rc;
}

/* Relationship types end in a fixed word whatever the namespace flavour
 * (transitional .../officeDocument/2006/relationships/worksheet or strict
 * http://purl.oclc.org/ooxml/officeDocument/relationships/worksheet). */
static int rel_is(const struct rel *r, const char *kind)
{
	const char *slash = strrchr(r->type, '/');

	return slash && strcmp(slash + 1, kind) == 0;
}

static const struct rel *rels_find_type(const struct rels *r, const char *kind)
{
	for (size_t i = 0; i < r->n; i++)
		if (rel_is(&r->v[i], kind))
			return &r->v[i];
	return NULL;
}

static const struct rel *rels_find_id(const struct rels *r, const char *id)
{
	for (size_t i = 0; i < r->n; i++)
		if (strcmp(r->v[i].id, id) == 0)
			return &r->v[i];
	return NULL;
}

/* ====================================================================
 * Workbook: sheet names
 * ==================================================================== */

struct book_sheet {
	char *name, *rid;
};

struct book {
	struct book_sheet *v;
	size_t n, cap;
};

static void book_free(struct book *b)
{
	for (size_t i = 0; i < b->n; i++) {
		free(b->v[i].name);
		free(b->v[i].rid);
	}
	free(b->v);
	memset(b, 0, sizeof *b);
}

static mdg_rc read_book(zip_t *za, const char *part, struct book *book,
			char **err)
{
	mdg_rc rc;
	char *buf = NULL;
	struct xml x = {0};
	char name[1024], rid[256];
	int root_seen = 0;

	rc = part_open(za, part, &buf, &x, err);
	if (rc == MDG_ERR_NOTFOUND)
		return mdg_fail(err, MDG_ERR_FORMAT,
				"not a valid .xlsx file: the workbook part %s "
				"is missing",
				part);
	if (rc != MDG_OK)
		goto out;
	for (;;) {
		int r = xml_next(&x);
		if (r < 0) {
			rc = xml_error(&x, err);
			goto out;
		}
		if (r == 0)
			break;
		if (x.type != XML_READER_TYPE_ELEMENT)
			continue;
		if (!root_seen) {
			root_seen = 1;
			if (strcmp(x.name, "workbook") != 0) {
				rc = mdg_fail(err, MDG_ERR_FORMAT,
					      "not a spreadsheet: %s holds a "
					      "<%s> document",
					      part, x.name);
				goto out;
			}
		}
		if (!xml_start(&x, "sheet"))
			continue;
		if (xml_attr(&x, "name", 0, name, sizeof name) != 1 ||
		    xml_attr(&x, "id", 1, rid, sizeof rid) != 1) {
			rc = mdg_fail(err, MDG_ERR_FORMAT,
				      "%s: a <sheet> lacks its name or r:id",
				      part);
			goto out;
		}
		struct book_sheet *v = grow(book->v, book->n, &book->cap, sizeof *v, 8,
					    XLSX_MAX_SHEETS, &rc);
		if (v == NULL) {
			if (rc == MDG_ERR_TOOBIG)
				mdg_fail(err, rc, "%s: too many sheets", part);
			goto out;
		}
		book->v = v;
		struct book_sheet *e = &book->v[book->n++];
		e->name = strdup(name);
		e->rid = strdup(rid);
		if (!e->name || !e->rid) {
			rc = MDG_ERR_NOMEM;
			goto out;
		}
	}
	if (book->n == 0)
		rc = mdg_fail(err, MDG_ERR_FORMAT, "the workbook has no sheets");
out:
	xml_close(&x);
	free(buf);
	return rc;
}

static mdg_rc no_such_sheet(const struct book *book, const char *want,
			    char **err)
{
	mdg_buf b = {.limit = 700};
	mdg_rc rc;

	for (size_t i = 0; i < book->n; i++) {
		rc = mdg_buf_printf(&b, "%s\"%s\"", i ? ", " : "",
				    book->v[i].name);
		if (rc == MDG_ERR_TOOBIG) {
			b.limit += 8;
			mdg_buf_adds(&b, ", ...");
			break;
		}
		if (rc != MDG_OK)
			break;
	}
	rc = mdg_fail(err, MDG_ERR_NOTFOUND,
		      "no sheet named \"%s\"; the workbook has: %s", want,
		      b.data ? b.data : "");
	mdg_buf_free(&b);
	return rc;
}

/* ====================================================================
 * Shared strings: one pool of NUL-terminated strings plus offsets, so a
 * part full of tiny <si/> does not cost one malloc each.
 * ==================================================================== */

struct sst {
	mdg_buf pool;
	size_t *off;
	size_t n, cap;
};

static void sst_free(struct sst *t)
{
	mdg_buf_free(&t->pool);
	free(t->off);
	memset(t, 0, sizeof *t);
}

static mdg_rc sst_push(struct sst *t, const mdg_buf *raw)
{
	mdg_rc rc = MDG_OK;
	size_t *off = grow(t->off, t->n, &t->cap, sizeof *off, 256, SIZE_MAX, &rc);
	if (off == NULL)
		return rc;
	t->off = off;
	t->off[t->n] = t->pool.len;
	rc = xstr_decode(&t->pool, raw->data ? raw->data : "", raw->len);
	if (rc == MDG_OK)
		rc = mdg_buf_add(&t->pool, "", 1);
	if (rc == MDG_OK)
		t->n++;
	return rc;
}

static const char *sst_get(const struct sst *t, size_t i)
{
	return t->pool.data + t->off[i];
}

/* Text of a string item (<si> or <is>): the <t> of the item or of its rich
 * text runs <r>, but never those of phonetic runs <rPh> (furigana). Call at
 * the item's start element; returns at its end. */
static mdg_rc read_item_text(struct xml *x, const char *item, mdg_buf *out,
			     char **err)
{
	int in_t = 0, rph = 0;

	if (xml_empty(x))
		return MDG_OK;
	for (;;) {
		int r = xml_next(x);
		if (r < 0)
			return xml_error(x, err);
		if (r == 0)
			return mdg_fail(err, MDG_ERR_FORMAT,
					"%s: unexpected end of document",
					x->part);
		if (xml_end(x, item))
			return MDG_OK;
		if (xml_start(x, "rPh") && !xml_empty(x))
			rph++;
		else if (xml_end(x, "rPh") && rph > 0)
			rph--;
		else if (xml_start(x, "t") && !xml_empty(x))
			in_t = 1;
		else if (xml_end(x, "t"))
			in_t = 0;
		else if (in_t && !rph && xml_is_text(x)) {
			mdg_rc rc = xml_add_text(x, out);
			if (rc != MDG_OK)
				return rc;
		}
	}
}

static mdg_rc read_sst(zip_t *za, const char *part, struct sst *t, char **err)
{
	mdg_rc rc;
	char *buf = NULL;
	struct xml x = {0};
	mdg_buf raw = {.limit = SHEET_MAX_BYTES};

	t->pool.limit = SHEET_MAX_BYTES;
	rc = part_open(za, part, &buf, &x, err);
	if (rc == MDG_ERR_NOTFOUND)
		return MDG_OK; /* no strings: any t="s" cell will say so */
	if (rc != MDG_OK)
		goto out;
	for (;;) {
		int r = xml_next(&x);
		if (r < 0) {
			rc = xml_error(&x, err);
			goto out;
		}
		if (r == 0)
			break;
		if (!xml_start(&x, "si"))
			continue;
		raw.len = 0;
		rc = read_item_text(&x, "si", &raw, err);
		if (rc == MDG_OK)
			rc = sst_push(t, &raw);
		if (rc != MDG_OK)
			goto out;
	}
out:
	if (rc == MDG_ERR_TOOBIG)
		mdg_fail(err, rc, "%s: text larger than %zu MiB", part,
			 SHEET_MAX_BYTES >> 20);
	mdg_buf_free(&raw);
	xml_close(&x);
	free(buf);
	return rc;
}

/* ====================================================================
 * Worksheet
 * ==================================================================== */

struct ws {
	struct xml x;
	sheet *s;
	const struct sst *sst;
	char *cells[SHEET_MAX_COLS];
	size_t ncells;   /* 1 + highest column holding text in this row */
	size_t row;      /* spreadsheet row of the current <row> */
	size_t prev_col; /* for cells without r= */
	mdg_buf val;     /* <v> or inline string text */
	mdg_buf text;    /* decoded cell text */
};

static void ws_clear_row(struct ws *w)
{
	for (size_t i = 0; i < SHEET_MAX_COLS; i++) {
		free(w->cells[i]);
		w->cells[i] = NULL;
	}
	w->ncells = 0;
}

/* Turns the collected value of one cell into text according to t=. */
static mdg_rc ws_cell_text(struct ws *w, const char *ref, const char *t,
			   char **err)
{
	const char *v = w->val.data ? w->val.data : "";

	w->text.len = 0;
	if (strcmp(t, "s") == 0) {
		size_t i;
		if (w->val.len == 0)
			return MDG_OK;
		if (!parse_size(v, SIZE_MAX / 2, &i) || i >= w->sst->n)
			return mdg_fail(err, MDG_ERR_FORMAT,
					"cell %s refers to shared string "
					"\"%.20s\" but the workbook has %zu",
					ref, v, w->sst->n);
		return mdg_buf_adds(&w->text, sst_get(w->sst, i));
	}
	if (strcmp(t, "b") == 0) {
		if (w->val.len == 0)
			return MDG_OK;
		return mdg_buf_adds(&w->text,
				    strcmp(v, "0") == 0 ? "FALSE" : "TRUE");
	}
	if (strcmp(t, "str") == 0 || strcmp(t, "inlineStr") == 0)
		return xstr_decode(&w->text, v, w->val.len);
	/* n (number, kept exactly as written), e (error), d (ISO date) */
	return mdg_buf_add(&w->text, v, w->val.len);
}

/* Handles one <c> element: the reader is on its start tag. */
static mdg_rc ws_cell(struct ws *w, char **err)
{
	struct xml *x = &w->x;
	char ref[32], t[16], colname[8];
	size_t col = 0, row = 0;
	int in_v = 0, in_is = 0;
	mdg_rc rc;

	int has_ref = xml_attr(x, "r", 0, ref, sizeof ref);
	if (has_ref != 0) {
		if (has_ref < 0 || !parse_ref(ref, &col, &row))
			return mdg_fail(err, MDG_ERR_FORMAT,
					"%s: bad cell reference \"%s\" in row "
					"%zu",
					x->part, has_ref < 0 ? "(too long)" : ref,
					w->row);
	} else {
		col = w->prev_col + 1;
		if (col > XLSX_MAX_EXCEL_COLS)
			return mdg_fail(err, MDG_ERR_FORMAT,
					"%s: too many cells in row %zu",
					x->part, w->row);
		sheet_col_name(col, colname);
		snprintf(ref, sizeof ref, "%s%zu", colname, w->row);
	}
	w->prev_col = col;
	if (xml_attr(x, "t", 0, t, sizeof t) != 1)
		snprintf(t, sizeof t, "n");
	w->val.len = 0;
	if (!xml_empty(x)) {
		for (;;) {
			int r = xml_next(x);
			if (r < 0)
				return xml_error(x, err);
			if (r == 0)
				return mdg_fail(err, MDG_ERR_FORMAT,
						"%s: unexpected end of "
						"document",
						x->part);
			if (xml_end(x, "c"))
				break;
			if (xml_start(x, "v") && !xml_empty(x)) {
				in_v = 1;
			} else if (xml_end(x, "v")) {
				in_v = 0;
			} else if (xml_start(x, "is")) {
				in_is = 1;
				rc = read_item_text(x, "is", &w->val, err);
				if (rc != MDG_OK)
					return rc;
			} else if (in_v && xml_is_text(x)) {
				rc = xml_add_text(x, &w->val);
				if (rc != MDG_OK)
					return rc;
			}
		}
	}
	if (in_is)
		snprintf(t, sizeof t, "inlineStr");
	rc = ws_cell_text(w, ref, t, err);
	if (rc != MDG_OK)
		return rc;
	if (w->text.len == 0)
		return MDG_OK;
	if (col > SHEET_MAX_COLS) {
		sheet_col_name(SHEET_MAX_COLS, colname);
		return mdg_fail(err, MDG_ERR_TOOBIG,
				"cell %s is beyond the last allowed column %s "
				"(at most %d columns)",
				ref, colname, SHEET_MAX_COLS);
	}
	free(w->cells[col - 1]);
	w->cells[col - 1] = mdg_buf_take(&w->text, NULL);
	if (w->cells[col - 1] == NULL)
		return MDG_ERR_NOMEM;
	if (col > w->ncells)
		w->ncells = col;
	return MDG_OK;
}

/* Rows and cells may be sparse: the r= attributes place them. Rows with no
 * text are not added to the grid (their number is kept in sheet_line). */
static mdg_rc ws_parse(struct ws *w, char **err)
{
	struct xml *x = &w->x;
	int in_data = 0;
	mdg_rc rc = MDG_OK;
	char rbuf[32];

	for (;;) {
		int r = xml_next(x);
		if (r < 0)
			return xml_error(x, err);
		if (r == 0)
			break;
		if (xml_start(x, "sheetData")) {
			in_data = !xml_empty(x);
		} else if (xml_end(x, "sheetData")) {
			in_data = 0;
		} else if (in_data && xml_start(x, "row")) {
			size_t num = w->row + 1;
			int has = xml_attr(x, "r", 0, rbuf, sizeof rbuf);
			if (has != 0 &&
			    (has < 0 ||
			     !parse_size(rbuf, XLSX_MAX_EXCEL_ROWS, &num) ||
			     num == 0))
				return mdg_fail(err, MDG_ERR_FORMAT,
						"%s: bad row number \"%s\"",
						x->part,
						has < 0 ? "(too long)" : rbuf);
			if (num <= w->row || num > XLSX_MAX_EXCEL_ROWS)
				return mdg_fail(err, MDG_ERR_FORMAT,
						"%s: row %zu comes after row "
						"%zu (rows out of order)",
						x->part, num, w->row);
			w->row = num;
			w->prev_col = 0;
			ws_clear_row(w);
			if (xml_empty(x))
				continue;
			for (;;) {
				r = xml_next(x);
				if (r < 0)
					return xml_error(x, err);
				if (r == 0 || xml_end(x, "row"))
					break;
				if (xml_start(x, "c")) {
					rc = ws_cell(w, err);
					if (rc != MDG_OK)
						return rc;
				}
			}
			if (w->ncells > 0) {
				rc = sheet_take_row(w->s, w->cells, w->ncells,
						    w->row, err);
				w->ncells = 0;
				if (rc != MDG_OK)
					return rc;
			}
			if (r == 0)
				break;
		}
	}
	return MDG_OK;
}

static mdg_rc read_worksheet(zip_t *za, const char *part,
			     const struct sst *sst, sheet *s, char **err)
{
	mdg_rc rc;
	char *buf = NULL;
	struct ws w = {.s = s, .sst = sst};

	w.val.limit = SHEET_MAX_BYTES;
	w.text.limit = SHEET_MAX_BYTES;
	rc = part_open(za, part, &buf, &w.x, err);
	if (rc == MDG_ERR_NOTFOUND)
		return mdg_fail(err, MDG_ERR_FORMAT,
				"the worksheet part %s is missing", part);
	if (rc == MDG_OK)
		rc = ws_parse(&w, err);
	if (rc == MDG_ERR_TOOBIG)
		mdg_fail(err, rc, "%s: a cell is larger than %zu MiB", part,
			 SHEET_MAX_BYTES >> 20);
	ws_clear_row(&w);
	mdg_buf_free(&w.val);
	mdg_buf_free(&w.text);
	xml_close(&w.x);
	free(buf);
	return rc;
}

/* ====================================================================
 * Reading: the entry point
 * ==================================================================== */

/* A zip that is not OOXML: say what it probably is. */
static mdg_rc not_ooxml(zip_t *za, char **err)
{
	char *mt = NULL;
	size_t n = 0;
	mdg_rc rc = pkg_part(za, "mimetype", &mt, &n, NULL);

	if (rc == MDG_OK && strstr(mt, "opendocument") != NULL)
		rc = mdg_fail(err, MDG_ERR_FORMAT,
			      "this is an OpenDocument file (.ods); save it "
			      "as .xlsx or CSV");
	else
		rc = mdg_fail(err, MDG_ERR_FORMAT,
			      "not a valid .xlsx file: the zip archive has no "
			      "workbook");
	free(mt);
	return rc;
}

mdg_rc sheet_xlsx_read(const void *data, size_t n, const char *sheet_name,
		       sheet **out, char **err)
{
	mdg_rc rc = MDG_OK;
	zip_error_t ze;
	zip_source_t *src = NULL;
	zip_t *za = NULL;
	struct rels pkg = {0}, wbrels = {0};
	struct book book = {0};
	struct sst sst = {0};
	sheet *s = NULL;
	const char *wb_part = "xl/workbook.xml";
	const struct book_sheet *want = NULL;

	*out = NULL;
	zip_error_init(&ze);
	src = zip_source_buffer_create(data, n, 0, &ze);
	if (src == NULL) {
		rc = MDG_ERR_NOMEM;
		goto out;
	}
	za = zip_open_from_source(src, ZIP_RDONLY, &ze);
	if (za == NULL) {
		zip_source_free(src);
		rc = mdg_fail(err, MDG_ERR_FORMAT,
			      "not a valid .xlsx file (broken zip archive: %s)",
			      zip_error_strerror(&ze));
		goto out;
	}
	rc = read_rels(za, "", &pkg, err);
	if (rc != MDG_OK)
		goto out;
	const struct rel *doc = rels_find_type(&pkg, "officeDocument");
	if (doc != NULL)
		wb_part = doc->target;
	else if (zip_name_locate(za, wb_part, ZIP_FL_NOCASE) < 0) {
		rc = not_ooxml(za, err);
		goto out;
	}
	rc = read_book(za, wb_part, &book, err);
	if (rc == MDG_OK)
		rc = read_rels(za, wb_part, &wbrels, err);
	if (rc != MDG_OK)
		goto out;
	want = &book.v[0];
	if (sheet_name != NULL) {
		want = NULL;
		for (size_t i = 0; i < book.n && !want; i++)
			if (strcmp(book.v[i].name, sheet_name) == 0)
				want = &book.v[i];
		/* Excel treats sheet names case-insensitively */
		for (size_t i = 0; i < book.n && !want; i++)
			if (strcasecmp(book.v[i].name, sheet_name) == 0)
				want = &book.v[i];
		if (want == NULL) {
			rc = no_such_sheet(&book, sheet_name, err);
			goto out;
		}
	}
	const struct rel *ws = rels_find_id(&wbrels, want->rid);
	if (ws == NULL) {
		rc = mdg_fail(err, MDG_ERR_FORMAT,
			      "sheet \"%s\" has no part (relationship %s "
			      "missing)",
			      want->name, want->rid);
		goto out;
	}
	if (!rel_is(ws, "worksheet")) {
		rc = mdg_fail(err, MDG_ERR_FORMAT,
			      "sheet \"%s\" is not a worksheet (a chart or "
			      "dialog sheet?)",
			      want->name);
		goto out;
	}
	const struct rel *ss = rels_find_type(&wbrels, "sharedStrings");
	if (ss != NULL) {
		rc = read_sst(za, ss->target, &sst, err);
		if (rc != MDG_OK)
			goto out;
	}
	rc = sheet_new(&s);
	if (rc != MDG_OK)
		goto out;
	sheet_set_encoding(s, "UTF-8");
	rc = read_worksheet(za, ws->target, &sst, s, err);
	if (rc != MDG_OK)
		goto out;
	*out = s;
	s = NULL;
out:
	sheet_free(s);
	sst_free(&sst);
	book_free(&book);
	rels_free(&wbrels);
	rels_free(&pkg);
	if (za != NULL)
		zip_discard(za); /* read-only: nothing to write back */
	zip_error_fini(&ze);
	if (rc != MDG_OK && err != NULL && *err == NULL)
		mdg_fail(err, rc, "cannot read the .xlsx file: %s",
			 mdg_strerror(rc));
	return rc;
}

/* ====================================================================
 * Writing
 * ==================================================================== */

/* Appends text escaped for XML element content or a double-quoted
 * attribute. Characters XML 1.0 forbids (C0 controls other than tab and
 * LF, U+FFFE, U+FFFF) and CR (which parsers would turn into LF) become
 * _xHHHH_, and a literal "_xHHHH_" gets its underscore escaped, as Excel
 * does. The text must be valid UTF-8. */
static mdg_rc xml_escape(mdg_buf *b, const char *s)
{
	mdg_rc rc = MDG_OK;
	size_t lit = 0, i = 0, n = strlen(s);

	while (i < n && rc == MDG_OK) {
		const unsigned char c = (unsigned char)s[i];
		const char *rep = NULL;
		char tmp[8];
		size_t used = 1;
		if (c == '&')
			rep = "&amp;";
		else if (c == '<')
			rep = "&lt;";
		else if (c == '>')
			rep = "&gt;";
		else if (c == '"')
			rep = "&quot;";
		else if ((c < 0x20 && c != '\t' && c != '\n') ||
			 (c == '_' && xescape_at(s + i, n - i) >= 0)) {
			snprintf(tmp, sizeof tmp, "_x%04X_", c);
			rep = tmp;
		} else if (c == 0xEF && n - i >= 3 &&
			   (unsigned char)s[i + 1] == 0xBF &&
			   ((unsigned char)s[i + 2] & 0xFE) == 0xBE) {
			rep = (unsigned char)s[i + 2] == 0xBE ? "_xFFFE_"
							      : "_xFFFF_";
			used = 3;
		}
		if (rep == NULL) {
			i++;
			continue;
		}
		rc = mdg_buf_add(b, s + lit, i - lit);
		if (rc == MDG_OK)
			rc = mdg_buf_adds(b, rep);
		i += used;
		lit = i;
	}
	if (rc == MDG_OK)
		rc = mdg_buf_add(b, s + lit, n - lit);
	return rc;
}

/* Excel's rules for sheet names: 1..31 characters, none of []:*?/\, no
 * control characters, no apostrophe at either end. */
static mdg_rc check_sheet_name(const char *name, char **err)
{
	size_t chars = 0, n = strlen(name);

	if (!sheet_utf8_valid(name, n))
		return mdg_fail(err, MDG_ERR_UTF8,
				"the sheet name is not valid UTF-8");
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)name[i];
		if ((c & 0xC0) != 0x80)
			chars++;
		if (c < 0x20 || strchr("[]:*?/\\", c) != NULL)
			return mdg_fail(err, MDG_ERR_INVALID,
					"a sheet name cannot contain "
					"control characters or any of "
					"[ ] : * ? / \\");
	}
	if (chars == 0 || chars > 31 || name[0] == '\'' || name[n - 1] == '\'')
		return mdg_fail(err, MDG_ERR_INVALID,
				"a sheet name needs 1 to 31 characters and "
				"cannot begin or end with an apostrophe");
	return MDG_OK;
}

static const char XLSX_CONTENT_TYPES[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
	"<Types xmlns=\"http://schemas.openxmlformats.org/package/2006/"
	"content-types\">"
	"<Default Extension=\"rels\" ContentType=\"application/"
	"vnd.openxmlformats-package.relationships+xml\"/>"
	"<Default Extension=\"xml\" ContentType=\"application/xml\"/>"
	"<Override PartName=\"/xl/workbook.xml\" ContentType=\"application/"
	"vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml\"/>"
	"<Override PartName=\"/xl/worksheets/sheet1.xml\" "
	"ContentType=\"application/"
	"vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml\"/>"
	"<Override PartName=\"/xl/sharedStrings.xml\" "
	"ContentType=\"application/"
	"vnd.openxmlformats-officedocument.spreadsheetml.sharedStrings+xml\"/>"
	"<Override PartName=\"/xl/styles.xml\" ContentType=\"application/"
	"vnd.openxmlformats-officedocument.spreadsheetml.styles+xml\"/>"
	"</Types>";

static const char XLSX_ROOT_RELS[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
	"<Relationships xmlns=\"" NS_PKG_REL "\">"
	"<Relationship Id=\"rId1\" Type=\"" NS_REL "/officeDocument\" "
	"Target=\"xl/workbook.xml\"/>"
	"</Relationships>";

static const char XLSX_BOOK_RELS[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
	"<Relationships xmlns=\"" NS_PKG_REL "\">"
	"<Relationship Id=\"rId1\" Type=\"" NS_REL "/worksheet\" "
	"Target=\"worksheets/sheet1.xml\"/>"
	"<Relationship Id=\"rId2\" Type=\"" NS_REL "/sharedStrings\" "
	"Target=\"sharedStrings.xml\"/>"
	"<Relationship Id=\"rId3\" Type=\"" NS_REL "/styles\" "
	"Target=\"styles.xml\"/>"
	"</Relationships>";

/* Style 0: normal; 1: bold (header row); 2: wrapped, top-aligned (cells
 * with line breaks, so they show all their lines). */
static const char XLSX_STYLES[] =
	"<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
	"<styleSheet xmlns=\"" NS_MAIN "\">"
	"<fonts count=\"2\">"
	"<font><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/></font>"
	"<font><b/><sz val=\"11\"/><name val=\"Calibri\"/><family val=\"2\"/>"
	"</font></fonts>"
	"<fills count=\"2\"><fill><patternFill patternType=\"none\"/></fill>"
	"<fill><patternFill patternType=\"gray125\"/></fill></fills>"
	"<borders count=\"1\"><border><left/><right/><top/><bottom/>"
	"<diagonal/></border></borders>"
	"<cellStyleXfs count=\"1\"><xf numFmtId=\"0\" fontId=\"0\" "
	"fillId=\"0\" borderId=\"0\"/></cellStyleXfs>"
	"<cellXfs count=\"3\">"
	"<xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" "
	"xfId=\"0\"/>"
	"<xf numFmtId=\"0\" fontId=\"1\" fillId=\"0\" borderId=\"0\" "
	"xfId=\"0\" applyFont=\"1\"/>"
	"<xf numFmtId=\"0\" fontId=\"0\" fillId=\"0\" borderId=\"0\" "
	"xfId=\"0\" applyAlignment=\"1\"><alignment vertical=\"top\" "
	"wrapText=\"1\"/></xf>"
	"</cellXfs>"
	"<cellStyles count=\"1\"><cellStyle name=\"Normal\" xfId=\"0\" "
	"builtinId=\"0\"/></cellStyles>"
	"</styleSheet>";

/* Builds sheet1.xml and sharedStrings.xml: every non-empty cell is a
 * shared string of its own (text stays text; no number guessing). */
static mdg_rc build_sheet_parts(const sheet *s, mdg_buf *ws, mdg_buf *sst,
				char **err)
{
	mdg_rc rc = MDG_OK;
	size_t count = 0;
	char col[8];

	for (size_t r = 0; r < sheet_nrows(s); r++)
		for (size_t c = 0; c < sheet_ncols(s, r); c++) {
			const char *v = sheet_cell(s, r, c);
			if (!sheet_utf8_valid(v, strlen(v))) {
				sheet_col_name(c + 1, col);
				return mdg_fail(err, MDG_ERR_UTF8,
						"cell %s%zu is not valid "
						"UTF-8",
						col, r + 1);
			}
			count += v[0] != '\0';
		}
	rc = mdg_buf_adds(ws, "<?xml version=\"1.0\" encoding=\"UTF-8\" "
			      "standalone=\"yes\"?>\n<worksheet xmlns=\"" NS_MAIN
			      "\" xmlns:r=\"" NS_REL "\"><sheetData>");
	if (rc == MDG_OK)
		rc = mdg_buf_printf(sst,
				    "<?xml version=\"1.0\" encoding=\"UTF-8\" "
				    "standalone=\"yes\"?>\n<sst xmlns=\"" NS_MAIN
				    "\" count=\"%zu\" uniqueCount=\"%zu\">",
				    count, count);
	count = 0;
	for (size_t r = 0; r < sheet_nrows(s) && rc == MDG_OK; r++) {
		int open = 0;
		for (size_t c = 0; c < sheet_ncols(s, r) && rc == MDG_OK; c++) {
			const char *v = sheet_cell(s, r, c);
			if (v[0] == '\0')
				continue;
			if (!open) {
				rc = mdg_buf_printf(ws, "<row r=\"%zu\">", r + 1);
				open = 1;
			}
			sheet_col_name(c + 1, col);
			if (rc == MDG_OK)
				rc = mdg_buf_printf(
					ws,
					"<c r=\"%s%zu\" s=\"%d\" t=\"s\">"
					"<v>%zu</v></c>",
					col, r + 1,
					r == 0 ? 1 : (strchr(v, '\n') ? 2 : 0),
					count++);
			if (rc == MDG_OK)
				rc = mdg_buf_adds(
					sst, "<si><t xml:space=\"preserve\">");
			if (rc == MDG_OK)
				rc = xml_escape(sst, v);
			if (rc == MDG_OK)
				rc = mdg_buf_adds(sst, "</t></si>");
		}
		if (open && rc == MDG_OK)
			rc = mdg_buf_adds(ws, "</row>");
	}
	if (rc == MDG_OK)
		rc = mdg_buf_adds(ws, "</sheetData></worksheet>");
	if (rc == MDG_OK)
		rc = mdg_buf_adds(sst, "</sst>");
	return rc;
}

/* Adds one part to the archive; takes ownership of data (freed by libzip
 * or here on failure). */
static mdg_rc pkg_add(zip_t *za, const char *name, char *data, size_t n)
{
	zip_source_t *ps = zip_source_buffer(za, data, n, 1);

	if (ps == NULL) {
		free(data);
		return MDG_ERR_NOMEM;
	}
	if (zip_file_add(za, name, ps, ZIP_FL_ENC_UTF_8) < 0) {
		zip_source_free(ps);
		return MDG_ERR_IO;
	}
	return MDG_OK;
}

static mdg_rc pkg_add_copy(zip_t *za, const char *name, const char *text)
{
	char *d = strdup(text);

	return d ? pkg_add(za, name, d, strlen(d)) : MDG_ERR_NOMEM;
}

static mdg_rc pkg_add_buf(zip_t *za, const char *name, mdg_buf *b)
{
	size_t n = 0;
	char *d = mdg_buf_take(b, &n);

	return d ? pkg_add(za, name, d, n) : MDG_ERR_NOMEM;
}

/* Closes the archive (which writes it into src) and copies the bytes out. */
static mdg_rc pkg_finish(zip_t *za, zip_source_t *src, char **out,
			 size_t *outn)
{
	zip_stat_t st;
	char *d = NULL;

	if (zip_close(za) < 0) {
		zip_discard(za);
		return MDG_ERR_IO;
	}
	zip_stat_init(&st);
	if (zip_source_stat(src, &st) < 0 || !(st.valid & ZIP_STAT_SIZE) ||
	    zip_source_open(src) < 0)
		return MDG_ERR_IO;
	d = malloc(st.size ? st.size : 1);
	if (d == NULL) {
		zip_source_close(src);
		return MDG_ERR_NOMEM;
	}
	zip_int64_t k = zip_source_read(src, d, st.size);
	zip_source_close(src);
	if (k < 0 || (zip_uint64_t)k != st.size) {
		free(d);
		return MDG_ERR_IO;
	}
	*out = d;
	*outn = st.size;
	return MDG_OK;
}

mdg_rc sheet_xlsx_write(const sheet *s, const char *sheet_name, char **out,
			size_t *outn, char **err)
{
	mdg_rc rc;
	mdg_buf wsb = {.limit = SHEET_MAX_BYTES * 2};
	mdg_buf sstb = {.limit = SHEET_MAX_BYTES * 2};
	mdg_buf book = {.limit = 4096};
	zip_error_t ze;
	zip_source_t *src = NULL;
	zip_t *za = NULL;
	const char *name = sheet_name ? sheet_name : "Sheet1";

	zip_error_init(&ze);
	rc = check_sheet_name(name, err);
	if (rc == MDG_OK)
		rc = build_sheet_parts(s, &wsb, &sstb, err);
	if (rc == MDG_OK)
		rc = mdg_buf_adds(&book,
				  "<?xml version=\"1.0\" encoding=\"UTF-8\" "
				  "standalone=\"yes\"?>\n<workbook xmlns=\"" NS_MAIN
				  "\" xmlns:r=\"" NS_REL "\"><sheets><sheet "
				  "name=\"");
	if (rc == MDG_OK)
		rc = xml_escape(&book, name);
	if (rc == MDG_OK)
		rc = mdg_buf_adds(&book, "\" sheetId=\"1\" r:id=\"rId1\"/>"
					 "</sheets></workbook>");
	if (rc != MDG_OK)
		goto out;
	src = zip_source_buffer_create(NULL, 0, 0, &ze);
	if (src == NULL) {
		rc = MDG_ERR_NOMEM;
		goto out;
	}
	za = zip_open_from_source(src, ZIP_TRUNCATE, &ze);
	if (za == NULL) {
		rc = MDG_ERR_IO;
		goto out;
	}
	/* the archive now owns one reference; keep ours so that src
	 * outlives zip_close, which is when the bytes are written */
	zip_source_keep(src);
	/* [Content_Types].xml first, as Office writes it */
	rc = pkg_add_copy(za, "[Content_Types].xml", XLSX_CONTENT_TYPES);
	if (rc == MDG_OK)
		rc = pkg_add_copy(za, "_rels/.rels", XLSX_ROOT_RELS);
	if (rc == MDG_OK)
		rc = pkg_add_buf(za, "xl/workbook.xml", &book);
	if (rc == MDG_OK)
		rc = pkg_add_copy(za, "xl/_rels/workbook.xml.rels",
				  XLSX_BOOK_RELS);
	if (rc == MDG_OK)
		rc = pkg_add_buf(za, "xl/worksheets/sheet1.xml", &wsb);
	if (rc == MDG_OK)
		rc = pkg_add_buf(za, "xl/sharedStrings.xml", &sstb);
	if (rc == MDG_OK)
		rc = pkg_add_copy(za, "xl/styles.xml", XLSX_STYLES);
	if (rc != MDG_OK)
		goto out;
	rc = pkg_finish(za, src, out, outn);
	za = NULL; /* closed or discarded by pkg_finish */
out:
	if (za != NULL)
		zip_discard(za);
	zip_source_free(src);
	zip_error_fini(&ze);
	mdg_buf_free(&wsb);
	mdg_buf_free(&sstb);
	mdg_buf_free(&book);
	if (rc != MDG_OK)
		rc = mdg_fail(err, rc, "cannot write the .xlsx file: %s",
			      mdg_strerror(rc));
	return rc;
}
