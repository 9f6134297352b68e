/* sheet.c — the spreadsheet grid, format detection, CSV/TSV reading and
 * writing, and encoding detection (UTF-8, UTF-16 with BOM, CP932 via iconv).
 * The .xlsx side lives in sheet_xlsx.c. */
#include "sheet.h"

#include <errno.h>
#include <fcntl.h>
#include <iconv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "sheet_internal.h"

struct sheet_row {
	char **cells; /* n entries; NULL = empty cell */
	size_t n;
	size_t line;
};

struct sheet {
	struct sheet_row *rows;
	size_t nrows, cap;
	size_t bytes; /* total cell text, capped at SHEET_MAX_BYTES */
	const char *encoding;
};

/* ---------- the grid ---------- */

mdg_rc sheet_new(sheet **out)
{
	sheet *s = calloc(1, sizeof *s);
	if (s == NULL)
		return MDG_ERR_NOMEM;
	s->encoding = "UTF-8";
	*out = s;
	return MDG_OK;
}

static void row_free(struct sheet_row *r)
{
	for (size_t i = 0; i < r->n; i++)
		free(r->cells[i]);
	free(r->cells);
}

void sheet_free(sheet *s)
{
	if (s == NULL)
		return;
	for (size_t i = 0; i < s->nrows; i++)
		row_free(&s->rows[i]);
	free(s->rows);
	free(s);
}

static void cells_release(char **cells, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		free(cells[i]);
		cells[i] = NULL;
	}
}

mdg_rc sheet_take_row(sheet *s, char **cells, size_t n, size_t line,
		      char **err)
{
	mdg_rc rc = MDG_OK;
	size_t bytes = 0;
	char **copy = NULL;

	if (s->nrows >= SHEET_MAX_ROWS) {
		rc = mdg_fail(err, MDG_ERR_TOOBIG,
			      "more than %d rows (spreadsheet row %zu)",
			      SHEET_MAX_ROWS, line);
		goto out;
	}
	if (n > SHEET_MAX_COLS) {
		rc = mdg_fail(err, MDG_ERR_TOOBIG,
			      "row %zu has more than %d columns", line,
			      SHEET_MAX_COLS);
		goto out;
	}
	for (size_t i = 0; i < n; i++)
		bytes += cells[i] ? strlen(cells[i]) + 1 : 0;
	if (bytes > SHEET_MAX_BYTES - s->bytes) {
		rc = mdg_fail(err, MDG_ERR_TOOBIG,
			      "cell text exceeds %zu MiB (spreadsheet row %zu)",
			      SHEET_MAX_BYTES >> 20, line);
		goto out;
	}
	if (s->nrows == s->cap) {
		size_t cap = s->cap ? s->cap * 2 : 64;
		struct sheet_row *rows = realloc(s->rows, cap * sizeof *rows);
		if (rows == NULL) {
			rc = MDG_ERR_NOMEM;
			goto out;
		}
		s->rows = rows;
		s->cap = cap;
	}
	if (n > 0) {
		copy = malloc(n * sizeof *copy);
		if (copy == NULL) {
			rc = MDG_ERR_NOMEM;
			goto out;
		}
		memcpy(copy, cells, n * sizeof *copy);
		memset(cells, 0, n * sizeof *cells);
	}
	s->rows[s->nrows].cells = copy;
	s->rows[s->nrows].n = n;
	s->rows[s->nrows].line = line;
	s->nrows++;
	s->bytes += bytes;
out:
	if (rc != MDG_OK)
		cells_release(cells, n);
	return rc;
}

mdg_rc sheet_add_row(sheet *s, const char *const *cells, size_t n)
{
	char *copy[SHEET_MAX_COLS] = {0};

	if (n > SHEET_MAX_COLS)
		return MDG_ERR_TOOBIG;
	for (size_t i = 0; i < n; i++) {
		if (cells[i] == NULL || cells[i][0] == '\0')
			continue;
		copy[i] = strdup(cells[i]);
		if (copy[i] == NULL) {
			cells_release(copy, i);
			return MDG_ERR_NOMEM;
		}
	}
	return sheet_take_row(s, copy, n, s->nrows + 1, NULL);
}

void sheet_set_encoding(sheet *s, const char *enc)
{
	s->encoding = enc;
}

size_t sheet_nrows(const sheet *s)
{
	return s ? s->nrows : 0;
}

size_t sheet_ncols(const sheet *s, size_t r)
{
	return s && r < s->nrows ? s->rows[r].n : 0;
}

const char *sheet_cell(const sheet *s, size_t r, size_t c)
{
	if (s == NULL || r >= s->nrows || c >= s->rows[r].n ||
	    s->rows[r].cells[c] == NULL)
		return "";
	return s->rows[r].cells[c];
}

size_t sheet_line(const sheet *s, size_t r)
{
	return s && r < s->nrows ? s->rows[r].line : 0;
}

const char *sheet_encoding(const sheet *s)
{
	return s ? s->encoding : "unknown";
}

/* ---------- helpers shared with sheet_xlsx.c ---------- */

int sheet_utf8_valid(const char *p, size_t n)
{
	const unsigned char *s = (const unsigned char *)p;
	size_t i = 0;

	while (i < n) {
		unsigned c = s[i];
		size_t len;
		unsigned cp;
		if (c < 0x80) {
			i++;
			continue;
		} else if (c >= 0xC2 && c <= 0xDF) {
			len = 2;
			cp = c & 0x1F;
		} else if (c >= 0xE0 && c <= 0xEF) {
			len = 3;
			cp = c & 0x0F;
		} else if (c >= 0xF0 && c <= 0xF4) {
			len = 4;
			cp = c & 0x07;
		} else {
			return 0;
		}
		if (n - i < len)
			return 0;
		for (size_t k = 1; k < len; k++) {
			if ((s[i + k] & 0xC0) != 0x80)
				return 0;
			cp = (cp << 6) | (s[i + k] & 0x3F);
		}
		if ((len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) ||
		    cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			return 0;
		i += len;
	}
	return 1;
}

void sheet_col_name(size_t col, char out[8])
{
	char tmp[8];
	size_t n = 0;

	while (col > 0 && n < sizeof tmp - 1) {
		col--;
		tmp[n++] = (char)('A' + col % 26);
		col /= 26;
	}
	for (size_t i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
}

/* ---------- format detection ---------- */

sheet_format sheet_format_from_name(const char *name)
{
	const char *dot = name ? strrchr(name, '.') : NULL;

	if (dot == NULL || strchr(dot, '/') != NULL)
		return SHEET_AUTO;
	if (strcasecmp(dot, ".xlsx") == 0)
		return SHEET_XLSX;
	if (strcasecmp(dot, ".csv") == 0)
		return SHEET_CSV;
	if (strcasecmp(dot, ".tsv") == 0 || strcasecmp(dot, ".txt") == 0)
		return SHEET_TSV;
	return SHEET_AUTO;
}

static int is_zip(const unsigned char *p, size_t n)
{
	return n >= 4 && memcmp(p, "PK\x03\x04", 4) == 0;
}

/* OLE2 compound file: legacy .xls (BIFF), which we do not read. */
static int is_ole2(const unsigned char *p, size_t n)
{
	return n >= 8 && memcmp(p, "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1", 8) == 0;
}

/* Tabs vs commas in the first line; UTF-16 text still has 0x09/0x2C bytes
 * for tab and comma (next to a zero byte), so counting bytes works. */
static sheet_format guess_delimited(const unsigned char *p, size_t n)
{
	size_t tabs = 0, commas = 0;

	for (size_t i = 0; i < n && p[i] != '\n' && p[i] != '\r'; i++) {
		if (p[i] == '\t')
			tabs++;
		else if (p[i] == ',')
			commas++;
	}
	return tabs > commas ? SHEET_TSV : SHEET_CSV;
}

/* ---------- encoding ---------- */

/* Converts n bytes from charset `from` to UTF-8 with iconv; MDG_ERR_UTF8 if
 * the input is not valid in that charset. */
static mdg_rc iconv_to_utf8(const char *from, const char *in, size_t n,
			    char **out, size_t *outn)
{
	mdg_rc rc = MDG_OK;
	iconv_t cd = iconv_open("UTF-8", from);
	char *buf = NULL, *ip = (char *)in;
	size_t il = n, used = 0;
	/* Kanji grow by half (2 bytes -> 3), which is the usual case; the
	 * worst (half-width katakana, 1 byte -> 3) needs 3n, reached by
	 * growing on E2BIG. */
	size_t cap = n + n / 2 + 16, max = n * 3 + 16;

	if (cd == (iconv_t)-1)
		return MDG_ERR_UTF8;
	for (;;) {
		char *nb = realloc(buf, cap);
		if (nb == NULL) {
			rc = MDG_ERR_NOMEM;
			goto out;
		}
		buf = nb;
		char *op = buf + used;
		size_t ol = cap - used - 1; /* room for the NUL */
		size_t r = iconv(cd, &ip, &il, &op, &ol);
		if (r != (size_t)-1)
			r = iconv(cd, NULL, NULL, &op, &ol);
		used = (size_t)(op - buf);
		if (r != (size_t)-1)
			break;
		if (errno != E2BIG) {
			rc = MDG_ERR_UTF8;
			goto out;
		}
		if (cap >= max) {
			rc = MDG_ERR_TOOBIG;
			goto out;
		}
		cap = cap * 2 < max ? cap * 2 : max;
	}
	buf[used] = '\0';
	*outn = used;
	*out = buf;
	buf = NULL;
out:
	free(buf);
	iconv_close(cd);
	return rc;
}

/* Decodes the input into a NUL-terminated buffer (malloc'd), reporting the
 * encoding chosen: UTF-8 (BOM stripped), UTF-16 (BOM required), CP932 if
 * the input is not valid UTF-8 and has no UTF-8 BOM, or else the raw bytes
 * as "unknown". */
static mdg_rc decode_text(const char *p, size_t n, char **out, size_t *outn,
			  const char **enc)
{
	const unsigned char *u = (const unsigned char *)p;
	int bom8 = 0;
	mdg_rc rc;

	if (n >= 3 && memcmp(u, "\xEF\xBB\xBF", 3) == 0) {
		p += 3;
		n -= 3;
		u += 3;
		bom8 = 1;
	} else if (n >= 2 && ((u[0] == 0xFF && u[1] == 0xFE) ||
			      (u[0] == 0xFE && u[1] == 0xFF))) {
		/* Excel's "Unicode text" export: UTF-16 with a BOM. */
		const char *cs = u[0] == 0xFF ? "UTF-16LE" : "UTF-16BE";
		rc = iconv_to_utf8(cs, p + 2, n - 2, out, outn);
		if (rc == MDG_OK) {
			*enc = "UTF-16";
			return MDG_OK;
		}
		if (rc != MDG_ERR_UTF8)
			return rc;
		/* broken UTF-16: fall through and keep the raw bytes */
	}
	if (sheet_utf8_valid(p, n)) {
		*enc = "UTF-8";
	} else if (bom8) {
		/* declared UTF-8 with some bad bytes: report them, do not
		 * reinterpret the whole file as CP932 */
		*enc = "unknown";
	} else {
		rc = iconv_to_utf8("CP932", p, n, out, outn);
		if (rc == MDG_OK) {
			*enc = "CP932";
			return MDG_OK;
		}
		if (rc != MDG_ERR_UTF8)
			return rc;
		*enc = "unknown";
	}
	char *buf = malloc(n + 1);
	if (buf == NULL)
		return MDG_ERR_NOMEM;
	memcpy(buf, p, n);
	buf[n] = '\0';
	*out = buf;
	*outn = n;
	return MDG_OK;
}

/* ---------- CSV / TSV reading ---------- */

/* Per-record parsing state. Cells past SHEET_MAX_COLS are tolerated while
 * empty (ragged trailing separators are common) and an error otherwise. */
struct csv_rec {
	char *cells[SHEET_MAX_COLS];
	size_t n;
	mdg_buf field;
};

static void csv_rec_clear(struct csv_rec *r)
{
	cells_release(r->cells, SHEET_MAX_COLS);
	r->n = 0;
	r->field.len = 0;
}

static mdg_rc csv_end_field(struct csv_rec *r, size_t line, char **err)
{
	size_t col = r->n++;

	if (r->field.len == 0)
		return MDG_OK;
	if (memchr(r->field.data, '\0', r->field.len) != NULL)
		return mdg_fail(err, MDG_ERR_FORMAT,
				"row %zu column %zu contains a NUL byte "
				"(binary file?)",
				line, col + 1);
	if (col >= SHEET_MAX_COLS) {
		char name[8];
		sheet_col_name(col + 1, name);
		return mdg_fail(err, MDG_ERR_TOOBIG,
				"row %zu: cell %s%zu is beyond the limit of %d "
				"columns",
				line, name, line, SHEET_MAX_COLS);
	}
	r->cells[col] = malloc(r->field.len + 1);
	if (r->cells[col] == NULL)
		return MDG_ERR_NOMEM;
	memcpy(r->cells[col], r->field.data, r->field.len + 1);
	r->field.len = 0;
	return MDG_OK;
}

/* Records whose cells are all empty are not added, as in sheet_xlsx.c:
 * row 0 is then the first row with text whatever the format, and the
 * record number (sheet_line) still says where each row was. */
static mdg_rc csv_end_record(sheet *s, struct csv_rec *r, size_t line,
			     char **err)
{
	size_t n = r->n < SHEET_MAX_COLS ? r->n : SHEET_MAX_COLS;
	size_t used = 0;

	for (size_t i = 0; i < n; i++)
		used += r->cells[i] != NULL;
	r->n = 0;
	if (used == 0)
		return MDG_OK;
	return sheet_take_row(s, r->cells, n, line, err);
}

/* Copies a quoted field starting at p[*i] == '"' into field, leaving *i
 * after the closing quote and counting physical lines in *line.
 * MDG_ERR_FORMAT if the input ends inside the quotes. */
static mdg_rc csv_quoted(const char *p, size_t n, size_t *i, size_t *line,
			 mdg_buf *field)
{
	size_t k = *i + 1;

	for (;;) {
		if (k >= n)
			return MDG_ERR_FORMAT;
		if (p[k] == '"') {
			if (k + 1 >= n || p[k + 1] != '"')
				break;
			k++; /* "" -> copy the second quote with the run */
		}
		size_t j = p[k] == '"' ? k + 1 : k;
		while (j < n && p[j] != '"') {
			if (p[j] == '\n' ||
			    (p[j] == '\r' && (j + 1 >= n || p[j + 1] != '\n')))
				(*line)++;
			j++;
		}
		mdg_rc rc = mdg_buf_add(field, p + k, j - k);
		if (rc != MDG_OK)
			return rc;
		k = j;
	}
	*i = k + 1;
	return MDG_OK;
}

/* RFC 4180 with the usual leniency: CRLF, LF or CR end a record; a field
 * that starts with a quote runs to the matching quote ("" is a quote) and
 * may hold separators and line breaks; text after the closing quote is
 * appended as is (as spreadsheet programs do); quotes inside an unquoted
 * field are literal. */
static mdg_rc csv_parse(sheet *s, const char *p, size_t n, char sep,
			char **err)
{
	mdg_rc rc = MDG_OK;
	struct csv_rec r = {.n = 0};
	size_t i = 0, line = 1, record = 1;

	r.field.limit = SHEET_MAX_BYTES;
	while (i < n) {
		/* one record per iteration */
		for (;;) {
			/* one field per iteration */
			if (i < n && p[i] == '"') {
				size_t qline = line;
				rc = csv_quoted(p, n, &i, &line, &r.field);
				if (rc == MDG_ERR_FORMAT)
					rc = mdg_fail(err, rc,
						      "unterminated quoted field "
						      "starting on line %zu "
						      "(row %zu)",
						      qline, record);
				if (rc != MDG_OK)
					goto out;
			}
			size_t start = i;
			while (i < n && p[i] != sep && p[i] != '\n' &&
			       p[i] != '\r')
				i++;
			rc = mdg_buf_add(&r.field, p + start, i - start);
			if (rc == MDG_OK)
				rc = csv_end_field(&r, record, err);
			if (rc != MDG_OK)
				goto out;
			if (i < n && p[i] == sep) {
				i++;
				continue;
			}
			break;
		}
		/* at a line break or the end of input */
		if (i < n && p[i] == '\r')
			i++;
		if (i < n && p[i] == '\n')
			i++;
		rc = csv_end_record(s, &r, record, err);
		if (rc != MDG_OK)
			goto out;
		line++;
		record++;
	}
out:
	if (rc == MDG_ERR_TOOBIG)
		mdg_fail(err, rc, "row %zu is larger than %zu MiB", record,
			 SHEET_MAX_BYTES >> 20);
	csv_rec_clear(&r);
	mdg_buf_free(&r.field);
	return rc;
}

static mdg_rc read_delimited(const void *data, size_t n, char sep,
			     sheet **out, char **err)
{
	mdg_rc rc;
	sheet *s = NULL;
	char *text = NULL;
	size_t len = 0;
	const char *enc = "unknown";

	rc = decode_text(data, n, &text, &len, &enc);
	if (rc != MDG_OK) {
		rc = mdg_fail(err, rc, "could not decode the text: %s",
			      mdg_strerror(rc));
		goto out;
	}
	rc = sheet_new(&s);
	if (rc != MDG_OK)
		goto out;
	sheet_set_encoding(s, enc);
	rc = csv_parse(s, text, len, sep, err);
	if (rc != MDG_OK)
		goto out;
	*out = s;
	s = NULL;
out:
	sheet_free(s);
	free(text);
	return rc;
}

/* ---------- entry points ---------- */

mdg_rc sheet_read_mem(const void *data, size_t n, sheet_format fmt,
		      const char *sheet_name, sheet **out, char **err)
{
	const unsigned char *u = data;

	*out = NULL;
	if (data == NULL && n > 0)
		return mdg_fail(err, MDG_ERR_INVALID, "no data");
	if (n > SHEET_MAX_BYTES)
		return mdg_fail(err, MDG_ERR_TOOBIG,
				"spreadsheet is larger than %zu MiB",
				SHEET_MAX_BYTES >> 20);
	if (is_ole2(u, n))
		return mdg_fail(err, MDG_ERR_FORMAT,
				"legacy Excel 97-2003 (.xls) files are not "
				"supported; save the file as .xlsx or CSV");
	if (fmt == SHEET_AUTO)
		fmt = is_zip(u, n) ? SHEET_XLSX : guess_delimited(u, n);
	switch (fmt) {
	case SHEET_XLSX:
		if (!is_zip(u, n))
			return mdg_fail(err, MDG_ERR_FORMAT,
					"not an .xlsx file (no zip signature)");
		return sheet_xlsx_read(data, n, sheet_name, out, err);
	case SHEET_CSV:
	case SHEET_TSV:
		if (is_zip(u, n))
			return mdg_fail(err, MDG_ERR_FORMAT,
					"this is a zip archive (an .xlsx file?), "
					"not %s text",
					fmt == SHEET_CSV ? "CSV" : "TSV");
		return read_delimited(data, n, fmt == SHEET_CSV ? ',' : '\t',
				      out, err);
	case SHEET_AUTO:
		break;
	}
	return mdg_fail(err, MDG_ERR_INVALID, "unknown spreadsheet format");
}

/* Reads a whole file into memory, refusing files over SHEET_MAX_BYTES. */
static mdg_rc slurp(const char *path, char **out, size_t *outn, char **err)
{
	mdg_rc rc = MDG_OK;
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	char *buf = NULL;
	size_t len = 0;
	struct stat st;

	if (fd < 0)
		return mdg_fail(err, MDG_ERR_IO, "%s: %s", path,
				strerror(errno));
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
		rc = mdg_fail(err, MDG_ERR_IO, "%s: not a regular file", path);
		goto out;
	}
	if ((unsigned long long)st.st_size > SHEET_MAX_BYTES) {
		rc = mdg_fail(err, MDG_ERR_TOOBIG,
			      "%s is larger than %zu MiB", path,
			      SHEET_MAX_BYTES >> 20);
		goto out;
	}
	/* +1 so that a file that grew since fstat is noticed */
	size_t cap = (size_t)st.st_size + 1;
	buf = malloc(cap);
	if (buf == NULL) {
		rc = MDG_ERR_NOMEM;
		goto out;
	}
	for (;;) {
		ssize_t k = read(fd, buf + len, cap - len);
		if (k < 0 && errno == EINTR)
			continue;
		if (k < 0) {
			rc = mdg_fail(err, MDG_ERR_IO, "%s: %s", path,
				      strerror(errno));
			goto out;
		}
		if (k == 0)
			break;
		len += (size_t)k;
		if (len == cap) {
			rc = mdg_fail(err, MDG_ERR_IO,
				      "%s changed while being read", path);
			goto out;
		}
	}
	*out = buf;
	*outn = len;
	buf = NULL;
out:
	free(buf);
	close(fd);
	return rc;
}

mdg_rc sheet_read_file(const char *path, const char *sheet_name, sheet **out,
		       char **err)
{
	char *data = NULL;
	size_t n = 0;

	*out = NULL;
	mdg_rc rc = slurp(path, &data, &n, err);
	if (rc == MDG_OK)
		rc = sheet_read_mem(data, n, sheet_format_from_name(path),
				    sheet_name, out, err);
	free(data);
	return rc;
}

/* ---------- CSV / TSV writing ---------- */

static mdg_rc write_delimited(const sheet *s, char sep, mdg_buf *b)
{
	mdg_rc rc = MDG_OK;
	const char *eol = sep == ',' ? "\r\n" : "\n";

	if (sep == ',')
		rc = mdg_buf_adds(b, "\xEF\xBB\xBF");
	for (size_t r = 0; r < s->nrows && rc == MDG_OK; r++) {
		for (size_t c = 0; c < s->rows[r].n && rc == MDG_OK; c++) {
			const char *v = sheet_cell(s, r, c);
			if (c > 0)
				rc = mdg_buf_add(b, &sep, 1);
			if (rc != MDG_OK)
				break;
			if (v[strcspn(v, sep == ',' ? ",\"\r\n" : "\t\"\r\n")] ==
			    '\0') {
				rc = mdg_buf_adds(b, v);
				continue;
			}
			rc = mdg_buf_add(b, "\"", 1);
			/* each quote is written twice */
			for (const char *q; rc == MDG_OK && (q = strchr(v, '"'));
			     v = q + 1) {
				rc = mdg_buf_add(b, v, (size_t)(q - v + 1));
				if (rc == MDG_OK)
					rc = mdg_buf_add(b, "\"", 1);
			}
			if (rc == MDG_OK)
				rc = mdg_buf_adds(b, v);
			if (rc == MDG_OK)
				rc = mdg_buf_add(b, "\"", 1);
		}
		if (rc == MDG_OK)
			rc = mdg_buf_adds(b, eol);
	}
	return rc;
}

mdg_rc sheet_write_mem(const sheet *s, sheet_format fmt, const char *sheet_name,
		       char **out, size_t *outn, char **err)
{
	mdg_buf b = {.limit = SHEET_MAX_BYTES * 2};
	mdg_rc rc;

	*out = NULL;
	*outn = 0;
	switch (fmt) {
	case SHEET_XLSX:
		return sheet_xlsx_write(s, sheet_name, out, outn, err);
	case SHEET_CSV:
	case SHEET_TSV:
		rc = write_delimited(s, fmt == SHEET_CSV ? ',' : '\t', &b);
		if (rc != MDG_OK) {
			mdg_buf_free(&b);
			return mdg_fail(err, rc, "could not write %s: %s",
					fmt == SHEET_CSV ? "CSV" : "TSV",
					mdg_strerror(rc));
		}
		*out = mdg_buf_take(&b, outn);
		return *out ? MDG_OK : MDG_ERR_NOMEM;
	case SHEET_AUTO:
		break;
	}
	return mdg_fail(err, MDG_ERR_INVALID,
			"choose a format to write (xlsx, csv or tsv)");
}

mdg_rc sheet_write_file(const sheet *s, const char *path, char **err)
{
	sheet_format fmt = sheet_format_from_name(path);
	char *data = NULL;
	size_t n = 0;
	mdg_rc rc;
	FILE *f = NULL;

	if (fmt == SHEET_AUTO)
		return mdg_fail(err, MDG_ERR_INVALID,
				"%s: unknown extension (use .xlsx, .csv or "
				".tsv)",
				path);
	rc = sheet_write_mem(s, fmt, NULL, &data, &n, err);
	if (rc != MDG_OK)
		goto out;
	f = fopen(path, "wbe");
	if (f == NULL) {
		rc = mdg_fail(err, MDG_ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
	if (fwrite(data, 1, n, f) != n) {
		rc = mdg_fail(err, MDG_ERR_IO, "%s: %s", path, strerror(errno));
		goto out;
	}
out:
	if (f != NULL && fclose(f) != 0 && rc == MDG_OK)
		rc = mdg_fail(err, MDG_ERR_IO, "%s: %s", path, strerror(errno));
	free(data);
	return rc;
}
