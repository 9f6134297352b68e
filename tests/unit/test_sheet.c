/* test_sheet.c — unit tests for kb/sheet: xlsx/CSV/TSV reading and writing.
 *
 * The interesting fixtures come from a real spreadsheet program: the test
 * writes a flat OpenDocument spreadsheet (.fods) and has LibreOffice
 * (headless, fresh profile in a temp dir) convert it to .xlsx and to a
 * Shift_JIS (CP932) CSV, and convert an .xlsx written by sheet_write_mem
 * back to UTF-8 CSV. Smaller, hand-made .xlsx packages (built with libzip)
 * cover rich text, phonetic runs, inline strings, booleans and malformed
 * input. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <zip.h>

#include "../../kb/sheet.h"
#include "tap.h"

extern char **environ;

static char tmpdir[64];

/* ---------- helpers ---------- */

static int write_bytes(const char *path, const void *p, size_t n)
{
	FILE *f = fopen(path, "wb");
	if (f == NULL)
		return -1;
	size_t k = fwrite(p, 1, n, f);
	return fclose(f) == 0 && k == n ? 0 : -1;
}

static char *read_bytes(const char *path, size_t *n)
{
	FILE *f = fopen(path, "rb");
	char *buf = NULL;
	size_t len = 0, cap = 0;
	if (f == NULL)
		return NULL;
	for (;;) {
		if (len + 4096 + 1 > cap) {
			cap = (len + 4096 + 1) * 2;
			char *nb = realloc(buf, cap);
			if (nb == NULL) {
				free(buf);
				fclose(f);
				return NULL;
			}
			buf = nb;
		}
		size_t k = fread(buf + len, 1, 4096, f);
		len += k;
		if (k == 0)
			break;
	}
	fclose(f);
	buf[len] = '\0';
	*n = len;
	return buf;
}

static void path_in(char *out, size_t cap, const char *name)
{
	snprintf(out, cap, "%s/%s", tmpdir, name);
}

/* Runs argv with stdout/stderr discarded, in its own process group so that a
 * hung LibreOffice (oosplash + soffice.bin) can be killed as a whole.
 * Returns the exit status, or -1 on spawn failure or timeout. */
static int run_cmd(char *const argv[], int timeout_s)
{
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t at;
	pid_t pid;
	int status = 0, rc;

	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 1, "/dev/null", O_WRONLY, 0);
	posix_spawn_file_actions_addopen(&fa, 2, "/dev/null", O_WRONLY, 0);
	posix_spawnattr_init(&at);
	posix_spawnattr_setflags(&at, POSIX_SPAWN_SETPGROUP);
	posix_spawnattr_setpgroup(&at, 0);
	rc = posix_spawnp(&pid, argv[0], &fa, &at, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&at);
	if (rc != 0)
		return -1;
	for (int waited_ms = 0;; waited_ms += 50) {
		pid_t w = waitpid(pid, &status, WNOHANG);
		if (w == pid)
			return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
		if (w < 0 && errno != EINTR)
			return -1;
		if (waited_ms >= timeout_s * 1000) {
			kill(-pid, SIGKILL);
			waitpid(pid, &status, 0);
			printf("# timeout after %d s: %s\n", timeout_s, argv[0]);
			return -1;
		}
		struct timespec ts = {0, 50 * 1000 * 1000};
		nanosleep(&ts, NULL);
	}
}

/* soffice --headless --convert-to <target> --outdir <outdir> [infilter] in */
static int soffice(const char *target, const char *infilter,
		   const char *outdir, const char *in)
{
	char profile[128], od[128], inp[128], inf[128];
	char *argv[16];
	int n = 0;

	snprintf(profile, sizeof profile,
		 "-env:UserInstallation=file://%s/lo-profile", tmpdir);
	path_in(od, sizeof od, outdir);
	path_in(inp, sizeof inp, in);
	argv[n++] = "soffice";
	argv[n++] = profile;
	argv[n++] = "--headless";
	argv[n++] = "--norestore";
	argv[n++] = "--nolockcheck";
	if (infilter != NULL) {
		snprintf(inf, sizeof inf, "--infilter=%s", infilter);
		argv[n++] = inf;
	}
	argv[n++] = "--convert-to";
	argv[n++] = (char *)target;
	argv[n++] = "--outdir";
	argv[n++] = od;
	argv[n++] = inp;
	argv[n] = NULL;
	return run_cmd(argv, 120);
}

static int row_empty(const sheet *s, size_t r)
{
	for (size_t c = 0; c < sheet_ncols(s, r); c++)
		if (sheet_cell(s, r, c)[0] != '\0')
			return 0;
	return 1;
}

static size_t find_line(const sheet *s, size_t line)
{
	for (size_t r = 0; r < sheet_nrows(s); r++)
		if (sheet_line(s, r) == line)
			return r;
	return (size_t)-1;
}

/* One direction of same_cells: every non-empty row of a is in b at the
 * same spreadsheet line with the same cells. */
static int covered(const sheet *a, const sheet *b, const char *an,
		   const char *bn)
{
	for (size_t r = 0; r < sheet_nrows(a); r++) {
		if (row_empty(a, r))
			continue;
		size_t line = sheet_line(a, r), rb = find_line(b, line);
		if (rb == (size_t)-1) {
			printf("#   line %zu of %s is missing from %s\n", line,
			       an, bn);
			return 0;
		}
		size_t nc = sheet_ncols(a, r) > sheet_ncols(b, rb)
				    ? sheet_ncols(a, r)
				    : sheet_ncols(b, rb);
		for (size_t c = 0; c < nc; c++) {
			const char *x = sheet_cell(a, r, c),
				   *y = sheet_cell(b, rb, c);
			if (strcmp(x, y) != 0) {
				printf("#   line %zu col %zu: %s \"%s\" vs "
				       "%s \"%s\"\n",
				       line, c + 1, an, x, bn, y);
				return 0;
			}
		}
	}
	return 1;
}

/* Same non-empty rows at the same spreadsheet lines with the same cells
 * (missing trailing cells count as ""). */
static int same_cells(const sheet *a, const sheet *b)
{
	return a && b && covered(a, b, "a", "b") && covered(b, a, "b", "a");
}

static sheet *build(const char *const *cells, size_t nrows, size_t ncols)
{
	sheet *s = NULL;
	if (sheet_new(&s) != MDG_OK)
		return NULL;
	for (size_t r = 0; r < nrows; r++) {
		size_t n = ncols;
		/* rows are ragged: drop trailing NULLs */
		while (n > 0 && cells[r * ncols + n - 1] == NULL)
			n--;
		if (sheet_add_row(s, cells + r * ncols, n) != MDG_OK) {
			sheet_free(s);
			return NULL;
		}
	}
	return s;
}

static mdg_rc read_str(const char *text, sheet_format fmt, sheet **out,
		       char **err)
{
	return sheet_read_mem(text, strlen(text), fmt, NULL, out, err);
}

static int has(const char *err, const char *part)
{
	return err != NULL && strstr(err, part) != NULL;
}

/* Builds a zip in memory from name/content pairs (NULL-terminated). */
static char *make_zip(const char *const *files, size_t *outn)
{
	zip_error_t ze;
	zip_source_t *src;
	zip_t *za;
	char *out = NULL;

	zip_error_init(&ze);
	src = zip_source_buffer_create(NULL, 0, 0, &ze);
	za = src ? zip_open_from_source(src, ZIP_TRUNCATE, &ze) : NULL;
	if (za == NULL) {
		zip_source_free(src);
		zip_error_fini(&ze);
		return NULL;
	}
	zip_source_keep(src);
	for (size_t i = 0; files[i] != NULL; i += 2) {
		zip_source_t *fs = zip_source_buffer(za, files[i + 1],
						     strlen(files[i + 1]), 0);
		if (fs == NULL || zip_file_add(za, files[i], fs, 0) < 0)
			zip_source_free(fs);
	}
	if (zip_close(za) == 0) {
		zip_stat_t st;
		zip_stat_init(&st);
		if (zip_source_stat(src, &st) == 0 &&
		    zip_source_open(src) == 0) {
			out = malloc(st.size + 1);
			if (out &&
			    zip_source_read(src, out, st.size) ==
				    (zip_int64_t)st.size) {
				*outn = st.size;
			} else {
				free(out);
				out = NULL;
			}
			zip_source_close(src);
		}
	} else {
		zip_discard(za);
	}
	zip_source_free(src);
	zip_error_fini(&ze);
	return out;
}

/* ---------- fixtures for LibreOffice ---------- */

#define FODS_HEAD                                                              \
	"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"                         \
	"<office:document "                                                    \
	"xmlns:office=\"urn:oasis:names:tc:opendocument:xmlns:office:1.0\" "   \
	"xmlns:table=\"urn:oasis:names:tc:opendocument:xmlns:table:1.0\" "     \
	"xmlns:text=\"urn:oasis:names:tc:opendocument:xmlns:text:1.0\" "       \
	"xmlns:of=\"urn:oasis:names:tc:opendocument:xmlns:of:1.2\" "           \
	"office:version=\"1.2\" "                                              \
	"office:mimetype=\"application/vnd.oasis.opendocument.spreadsheet\">"  \
	"<office:body><office:spreadsheet>"
#define S(t)                                                                   \
	"<table:table-cell office:value-type=\"string\"><text:p>" t            \
	"</text:p></table:table-cell>"
#define F(v, t)                                                                \
	"<table:table-cell office:value-type=\"float\" office:value=\"" v     \
	"\"><text:p>" t "</text:p></table:table-cell>"
#define EMPTY "<table:table-cell/>"
#define ROW(cells) "<table:table-row>" cells "</table:table-row>"

/* Sheet 1 has Japanese, full-width-only text, a two-line cell, numbers,
 * an empty cell in the middle, an empty row, a sparse row, XML specials. */
static const char FODS[] =
	FODS_HEAD
	"<table:table table:name=\"よくある質問\">"
	ROW(S("質問") S("回答") S("番号"))
	ROW(S("住民票の写しはどこで取れますか？")
	    "<table:table-cell office:value-type=\"string\">"
	    "<text:p>市役所の窓口です。</text:p><text:p>土日は休みです。</text:p>"
	    "</table:table-cell>" F("123", "123"))
	ROW(S("ＡＢＣ１２３！？") EMPTY F("4.5", "4.5"))
	ROW(EMPTY EMPTY EMPTY)
	ROW(EMPTY EMPTY S("末尾"))
	ROW(S("記号&lt;&amp;&gt;&quot;'"))
	"</table:table>"
	"<table:table table:name=\"Sheet2\">"
	ROW(S("二枚目")
	    "<table:table-cell table:formula=\"of:=2*3\" "
	    "office:value-type=\"float\" office:value=\"6\"><text:p>6</text:p>"
	    "</table:table-cell>"
	    "<table:table-cell table:formula=\"of:=&quot;あ&quot;&amp;&quot;い"
	    "&quot;\" office:value-type=\"string\" office:string-value=\"あい\">"
	    "<text:p>あい</text:p></table:table-cell>")
	"</table:table>"
	"</office:spreadsheet></office:body></office:document>";

/* What sheet 1 must read as, one row per spreadsheet line (line 4 empty). */
static const char *const FODS_CELLS[] = {
	"質問", "回答", "番号",
	"住民票の写しはどこで取れますか？",
	"市役所の窓口です。\n土日は休みです。", "123",
	"ＡＢＣ１２３！？", NULL, "4.5",
	NULL, NULL, NULL,
	NULL, NULL, "末尾",
	"記号<&>\"'", NULL, NULL,
};

/* Cells for the write/read round trips: XML specials, line breaks, a CR,
 * tabs, control characters, U+FFFE, a literal _xHHHH_, an emoji, text that
 * looks like a number or a formula, ragged rows. */
static const char *const RT_CELLS[] = {
	"質問", "回答", "カテゴリ", "備考",
	"<b>太字</b> & \"引用\" 'x'", "改行\nあり\n三行目", "0123", NULL,
	"=1+2", "  前後に空白  ", "🍣 寿司", "ＡＢＣ１２３",
	"a,b;c", "tab\there", "_x0041_ stays", "CR\r\nLF",
	"ctl\x01\x1f end", "nc\xef\xbf\xbe", NULL, "last",
};

/* What goes through LibreOffice: XML-legal text only (LibreOffice is
 * not asked to understand _xHHHH_ escapes of control characters). */
static const char *const LO_CELLS[] = {
	"質問", "回答", "数",
	"<b>太字</b> & \"引用\"", "改行\nあり", "0123",
	"=1+2", "髙橋 ①～〜", "🍣",
	"ＡＢＣ１２３", NULL, "末尾",
};

/* ---------- LibreOffice-made fixtures ---------- */

static void test_libreoffice(void)
{
	char p[256], *err = NULL;
	sheet *lo = NULL, *lo2 = NULL, *named = NULL, *sj = NULL, *back = NULL;
	sheet *want = build(FODS_CELLS, 6, 3);
	sheet *mine = build(LO_CELLS, 4, 3);
	char *x = NULL;
	size_t xn = 0;
	mdg_rc rc;

	/* fixtures */
	path_in(p, sizeof p, "book.fods");
	write_bytes(p, FODS, sizeof FODS - 1);
	rc = sheet_write_mem(mine, SHEET_XLSX, "出力", &x, &xn, NULL);
	CHECK(rc == MDG_OK, "xlsx written for LibreOffice");
	path_in(p, sizeof p, "mine.xlsx");
	write_bytes(p, x, xn);
	free(x);

	int r1 = soffice("xlsx", NULL, "lo", "book.fods");
	int r2 = soffice("csv:Text - txt - csv (StarCalc):44,34,60", NULL,
			 "sjis", "book.fods");
	int r3 = soffice("csv:Text - txt - csv (StarCalc):44,34,76", NULL,
			 "back", "mine.xlsx");
	CHECK(r1 == 0 && r2 == 0 && r3 == 0,
	      "LibreOffice (soffice) converted the fixtures");

	/* xlsx from LibreOffice: default first sheet */
	path_in(p, sizeof p, "lo/book.xlsx");
	rc = sheet_read_file(p, NULL, &lo, &err);
	CHECK(rc == MDG_OK, "LibreOffice xlsx: read");
	if (err)
		printf("# %s\n", err);
	CHECK(same_cells(lo, want), "LibreOffice xlsx: cells of first sheet");
	CHECK(sheet_nrows(lo) == 5, "LibreOffice xlsx: empty row skipped");
	CHECK_STR(sheet_cell(lo, 1, 1), "市役所の窓口です。\n土日は休みです。",
		  "LibreOffice xlsx: cell with a newline");
	CHECK_STR(sheet_cell(lo, 1, 2), "123", "LibreOffice xlsx: number");
	CHECK_STR(sheet_cell(lo, 2, 0), "ＡＢＣ１２３！？",
		  "LibreOffice xlsx: full-width text");
	CHECK_STR(sheet_cell(lo, 2, 1), "", "LibreOffice xlsx: empty middle cell");
	CHECK(sheet_ncols(lo, 2) == 3, "LibreOffice xlsx: cell after the gap");
	CHECK(sheet_line(lo, 3) == 5 && sheet_ncols(lo, 3) == 3 &&
		      strcmp(sheet_cell(lo, 3, 2), "末尾") == 0,
	      "LibreOffice xlsx: sparse row keeps its line and column");
	CHECK_STR(sheet_encoding(lo), "UTF-8", "LibreOffice xlsx: encoding");

	/* second sheet by name, first sheet by its Japanese name, unknown */
	rc = sheet_read_file(p, "Sheet2", &lo2, NULL);
	CHECK(rc == MDG_OK && strcmp(sheet_cell(lo2, 0, 0), "二枚目") == 0 &&
		      strcmp(sheet_cell(lo2, 0, 1), "6") == 0 &&
		      strcmp(sheet_cell(lo2, 0, 2), "あい") == 0,
	      "LibreOffice xlsx: second sheet by name (formula values)");
	rc = sheet_read_file(p, "よくある質問", &named, NULL);
	CHECK(rc == MDG_OK && same_cells(named, lo),
	      "LibreOffice xlsx: first sheet by its Japanese name");
	free(err);
	err = NULL;
	sheet *none = NULL;
	rc = sheet_read_file(p, "Sheet9", &none, &err);
	CHECK(rc == MDG_ERR_NOTFOUND && none == NULL && has(err, "Sheet9") &&
		      has(err, "よくある質問") && has(err, "Sheet2"),
	      "LibreOffice xlsx: unknown sheet name lists the sheets");
	if (err)
		printf("# %s\n", err);
	free(err);
	err = NULL;

	/* Shift_JIS CSV from LibreOffice */
	size_t sn = 0;
	path_in(p, sizeof p, "sjis/book.csv");
	char *raw = read_bytes(p, &sn);
	CHECK(raw != NULL && strstr(raw, "質問") == NULL &&
		      memcmp(raw, "\x8e\xbf\x96\xe2", 4) == 0,
	      "LibreOffice CSV is really Shift_JIS");
	free(raw);
	rc = sheet_read_file(p, NULL, &sj, &err);
	CHECK(rc == MDG_OK, "Shift_JIS CSV: read");
	CHECK_STR(sheet_encoding(sj), "CP932", "Shift_JIS CSV: detected CP932");
	CHECK(same_cells(sj, want), "Shift_JIS CSV: text equals the source");
	CHECK(same_cells(sj, lo), "Shift_JIS CSV: same cells and lines as xlsx");
	CHECK(sheet_line(sj, 2) == 3,
	      "Shift_JIS CSV: multi-line record counts as one row");
	free(err);
	err = NULL;

	/* our xlsx, opened by LibreOffice and saved as CSV */
	path_in(p, sizeof p, "back/mine.csv");
	rc = sheet_read_file(p, NULL, &back, &err);
	CHECK(rc == MDG_OK && strcmp(sheet_encoding(back), "UTF-8") == 0,
	      "our xlsx via LibreOffice: CSV read");
	CHECK(same_cells(back, mine),
	      "our xlsx via LibreOffice: Japanese and specials intact");
	free(err);

	sheet_free(lo);
	sheet_free(lo2);
	sheet_free(named);
	sheet_free(sj);
	sheet_free(back);
	sheet_free(want);
	sheet_free(mine);
}

/* ---------- CSV / TSV ---------- */

static void test_csv(void)
{
	sheet *s = NULL;
	char *err = NULL;
	mdg_rc rc;

	rc = read_str("a,b\nc,d\n", SHEET_AUTO, &s, NULL);
	CHECK(rc == MDG_OK && sheet_nrows(s) == 2 &&
		      strcmp(sheet_cell(s, 1, 1), "d") == 0 &&
		      strcmp(sheet_encoding(s), "UTF-8") == 0,
	      "CSV: UTF-8 without BOM, LF");
	sheet_free(s);

	rc = read_str("\xEF\xBB\xBF質問,回答\r\n住所,県庁\r\n", SHEET_CSV, &s,
		      NULL);
	CHECK(rc == MDG_OK && sheet_nrows(s) == 2 &&
		      strcmp(sheet_cell(s, 0, 0), "質問") == 0 &&
		      strcmp(sheet_cell(s, 1, 1), "県庁") == 0,
	      "CSV: UTF-8 BOM stripped, CRLF");
	sheet_free(s);

	rc = read_str("質問\t回答\n\"a\tb\"\tc\n", SHEET_AUTO, &s, NULL);
	CHECK(rc == MDG_OK && sheet_nrows(s) == 2 && sheet_ncols(s, 0) == 2 &&
		      strcmp(sheet_cell(s, 1, 0), "a\tb") == 0,
	      "TSV: detected from tabs, quoted tab");
	sheet_free(s);

	const char *q = "q,a\r\n"
			"\"x, y\",\"he said \"\"hi\"\"\"\r\n"
			"\"line1\r\nline2\nline3\",z\r\n"
			"last,row\r\n";
	rc = read_str(q, SHEET_CSV, &s, NULL);
	CHECK(rc == MDG_OK && sheet_nrows(s) == 4, "CSV quoted: four records");
	CHECK_STR(sheet_cell(s, 1, 0), "x, y", "CSV quoted: separator inside");
	CHECK_STR(sheet_cell(s, 1, 1), "he said \"hi\"",
		  "CSV quoted: doubled quotes");
	CHECK_STR(sheet_cell(s, 2, 0), "line1\r\nline2\nline3",
		  "CSV quoted: line breaks inside kept as written");
	CHECK(sheet_line(s, 2) == 3 && sheet_line(s, 3) == 4,
	      "CSV quoted: multi-line record is one spreadsheet row");
	sheet_free(s);

	rc = read_str("a,\"b\"c,d\"e\n", SHEET_CSV, &s, NULL);
	CHECK(rc == MDG_OK && strcmp(sheet_cell(s, 0, 1), "bc") == 0 &&
		      strcmp(sheet_cell(s, 0, 2), "d\"e") == 0,
	      "CSV: stray quotes handled like spreadsheet programs");
	sheet_free(s);

	rc = read_str("\n,\na\n\nb\n\n\n", SHEET_CSV, &s, NULL);
	CHECK(rc == MDG_OK && sheet_nrows(s) == 2 &&
		      strcmp(sheet_cell(s, 0, 0), "a") == 0 &&
		      sheet_line(s, 0) == 3 && sheet_line(s, 1) == 5,
	      "CSV: empty records skipped, line numbers kept");
	sheet_free(s);
	rc = read_str("a,b\nc,d", SHEET_CSV, &s, NULL);
	CHECK(rc == MDG_OK && sheet_nrows(s) == 2 &&
		      strcmp(sheet_cell(s, 1, 1), "d") == 0,
	      "CSV: last record without line break");
	sheet_free(s);
	rc = read_str("x,y\n,,\n", SHEET_CSV, &s, NULL);
	CHECK(rc == MDG_OK && sheet_nrows(s) == 1,
	      "CSV: trailing row of empty cells dropped");
	sheet_free(s);
	rc = read_str("", SHEET_AUTO, &s, NULL);
	CHECK(rc == MDG_OK && sheet_nrows(s) == 0, "CSV: empty input");
	sheet_free(s);

	s = NULL;
	rc = read_str("a,b\n1,2\n\"open,\nmore\n", SHEET_CSV, &s, &err);
	CHECK(rc == MDG_ERR_FORMAT && s == NULL && has(err, "line 3"),
	      "CSV: unterminated quote names the line");
	printf("# %s\n", err ? err : "(no message)");
	free(err);
	err = NULL;

	/* CP932 (Excel's "CSV" on Japanese Windows) */
	rc = read_str("\x8e\xbf\x96\xe2,\x81\x60\x87\x40\xb1\r\n", SHEET_CSV,
		      &s, NULL);
	CHECK(rc == MDG_OK && strcmp(sheet_encoding(s), "CP932") == 0 &&
		      strcmp(sheet_cell(s, 0, 0), "質問") == 0 &&
		      strcmp(sheet_cell(s, 0, 1), "～①ｱ") == 0,
	      "CSV: CP932 converted (FF5E tilde, NEC circled digit, kana)");
	sheet_free(s);

	/* half-width katakana triple in size: the conversion buffer grows */
	char kana[2001];
	memset(kana, 0xB1, 2000);
	kana[2000] = '\0';
	rc = read_str(kana, SHEET_CSV, &s, NULL);
	CHECK(rc == MDG_OK && strcmp(sheet_encoding(s), "CP932") == 0 &&
		      strlen(sheet_cell(s, 0, 0)) == 6000 &&
		      strncmp(sheet_cell(s, 0, 0) + 5997, "ｱ", 3) == 0,
	      "CSV: CP932 half-width katakana (1 byte -> 3)");
	sheet_free(s);

	rc = read_str("ok,\x80\xff\x81\n", SHEET_CSV, &s, NULL);
	CHECK(rc == MDG_OK && strcmp(sheet_encoding(s), "unknown") == 0 &&
		      strcmp(sheet_cell(s, 0, 1), "\x80\xff\x81") == 0,
	      "CSV: undecodable bytes kept raw, encoding unknown");
	sheet_free(s);

	rc = read_str("\xEF\xBB\xBFok,\x8e\xbf\x96\xe2\n", SHEET_CSV, &s, NULL);
	CHECK(rc == MDG_OK && strcmp(sheet_encoding(s), "unknown") == 0 &&
		      strcmp(sheet_cell(s, 0, 1), "\x8e\xbf\x96\xe2") == 0,
	      "CSV: UTF-8 BOM with bad bytes is not reread as CP932");
	sheet_free(s);

	/* Excel "Unicode text": UTF-16LE with BOM, tab-separated */
	static const char u16[] = "\xff\xfe" "a\0\t\0\x42\x30\n\0";
	rc = sheet_read_mem(u16, sizeof u16 - 1, SHEET_AUTO, NULL, &s, NULL);
	CHECK(rc == MDG_OK && strcmp(sheet_encoding(s), "UTF-16") == 0 &&
		      strcmp(sheet_cell(s, 0, 1), "あ") == 0,
	      "TSV: UTF-16LE with BOM");
	sheet_free(s);

	static const char nul[] = "a,b\0c\n";
	s = NULL;
	rc = sheet_read_mem(nul, sizeof nul - 1, SHEET_CSV, NULL, &s, &err);
	CHECK(rc == MDG_ERR_FORMAT && s == NULL, "CSV: NUL byte refused");
	free(err);
	err = NULL;

	/* the column cap: empty cells past it are fine, text is not */
	char wide[512];
	size_t k = 0;
	for (int i = 0; i < 70; i++)
		k += (size_t)snprintf(wide + k, sizeof wide - k, "%s",
				      i < 3 ? "x," : ",");
	snprintf(wide + k, sizeof wide - k, "\n");
	rc = read_str(wide, SHEET_CSV, &s, NULL);
	CHECK(rc == MDG_OK && sheet_ncols(s, 0) == SHEET_MAX_COLS,
	      "CSV: 71 columns, text only in the first: accepted");
	sheet_free(s);
	snprintf(wide + k, sizeof wide - k, "late\n");
	s = NULL;
	rc = read_str(wide, SHEET_CSV, &s, &err);
	CHECK(rc == MDG_ERR_TOOBIG && s == NULL && has(err, "BS1"),
	      "CSV: text in column 71 refused");
	printf("# %s\n", err ? err : "(no message)");
	free(err);
	err = NULL;

	rc = sheet_read_mem("\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1 more", 13,
			    SHEET_AUTO, NULL, &s, &err);
	CHECK(rc == MDG_ERR_FORMAT && has(err, ".xls"),
	      "legacy .xls recognised and refused");
	free(err);
	err = NULL;

	CHECK(sheet_format_from_name("faq.XLSX") == SHEET_XLSX &&
		      sheet_format_from_name("a/b.csv") == SHEET_CSV &&
		      sheet_format_from_name("b.tsv") == SHEET_TSV &&
		      sheet_format_from_name("c.txt") == SHEET_TSV &&
		      sheet_format_from_name("dir.x/file") == SHEET_AUTO &&
		      sheet_format_from_name("noext") == SHEET_AUTO,
	      "format from file name");
}

/* ---------- round trips ---------- */

static void round_trip(const sheet *src, sheet_format fmt, const char *name)
{
	char *data = NULL, *err = NULL, label[96];
	size_t n = 0;
	sheet *back = NULL;

	mdg_rc rc = sheet_write_mem(src, fmt, NULL, &data, &n, &err);
	snprintf(label, sizeof label, "round trip %s: written", name);
	CHECK(rc == MDG_OK, label);
	rc = sheet_read_mem(data, n, SHEET_AUTO, NULL, &back, &err);
	snprintf(label, sizeof label, "round trip %s: read back (auto)", name);
	CHECK(rc == MDG_OK, label);
	if (err)
		printf("# %s\n", err);
	snprintf(label, sizeof label, "round trip %s: identical cells", name);
	CHECK(same_cells(src, back), label);
	snprintf(label, sizeof label, "round trip %s: encoding UTF-8", name);
	CHECK(back && strcmp(sheet_encoding(back), "UTF-8") == 0, label);
	if (fmt == SHEET_CSV)
		CHECK(n > 3 && memcmp(data, "\xEF\xBB\xBF質問,", 10) == 0 &&
			      strstr(data, "\r\n") != NULL,
		      "round trip csv: BOM and CRLF");
	if (fmt == SHEET_TSV)
		CHECK(memcmp(data, "質問\t", 7) == 0 &&
			      strstr(data, "備考\n") != NULL,
		      "round trip tsv: no BOM, LF");
	free(data);
	free(err);
	sheet_free(back);
}

static void test_round_trips(void)
{
	sheet *s = build(RT_CELLS, 5, 4);
	char *data = NULL, *err = NULL, p[256];
	size_t n = 0;
	mdg_rc rc;

	CHECK(s != NULL && sheet_nrows(s) == 5 && sheet_ncols(s, 1) == 3,
	      "sheet built with ragged rows");
	round_trip(s, SHEET_XLSX, "xlsx");
	round_trip(s, SHEET_CSV, "csv");
	round_trip(s, SHEET_TSV, "tsv");

	/* the XML escaping of the worksheet/shared strings */
	rc = sheet_write_mem(s, SHEET_XLSX, "名前<&>", &data, &n, NULL);
	CHECK(rc == MDG_OK, "xlsx: sheet name with XML specials");
	sheet *named = NULL;
	rc = sheet_read_mem(data, n, SHEET_XLSX, "名前<&>", &named, NULL);
	CHECK(rc == MDG_OK && same_cells(named, s),
	      "xlsx: read back by that sheet name");
	sheet_free(named);
	free(data);
	data = NULL;

	/* files */
	const char *exts[] = {"rt.xlsx", "rt.csv", "rt.tsv"};
	for (int i = 0; i < 3; i++) {
		sheet *back = NULL;
		char label[64];
		path_in(p, sizeof p, exts[i]);
		rc = sheet_write_file(s, p, NULL);
		if (rc == MDG_OK)
			rc = sheet_read_file(p, NULL, &back, NULL);
		snprintf(label, sizeof label, "file round trip %s", exts[i]);
		CHECK(rc == MDG_OK && same_cells(s, back), label);
		sheet_free(back);
	}
	path_in(p, sizeof p, "rt.dat");
	CHECK(sheet_write_file(s, p, NULL) == MDG_ERR_INVALID,
	      "write_file: unknown extension refused");
	path_in(p, sizeof p, "no/such/dir.csv");
	CHECK(sheet_write_file(s, p, NULL) == MDG_ERR_IO,
	      "write_file: unwritable path is an I/O error");

	/* a file with the wrong extension for its content */
	path_in(p, sizeof p, "zip.csv");
	rc = sheet_write_mem(s, SHEET_XLSX, NULL, &data, &n, NULL);
	write_bytes(p, data, n);
	free(data);
	data = NULL;
	sheet *t = NULL;
	rc = sheet_read_file(p, NULL, &t, &err);
	CHECK(rc == MDG_ERR_FORMAT && t == NULL && has(err, "zip"),
	      "read_file: xlsx named .csv refused with a clear message");
	free(err);
	err = NULL;
	path_in(p, sizeof p, "text.xlsx");
	write_bytes(p, "a,b\n", 4);
	rc = sheet_read_file(p, NULL, &t, &err);
	CHECK(rc == MDG_ERR_FORMAT && t == NULL, "read_file: CSV named .xlsx");
	free(err);
	err = NULL;
	path_in(p, sizeof p, "missing.csv");
	rc = sheet_read_file(p, NULL, &t, &err);
	CHECK(rc == MDG_ERR_IO && has(err, "missing.csv"),
	      "read_file: missing file");
	free(err);
	err = NULL;

	/* what cannot be written */
	const char *bad[] = {"ok", "\xff\xfe bad"};
	sheet *b = build(bad, 1, 2);
	rc = sheet_write_mem(b, SHEET_XLSX, NULL, &data, &n, &err);
	CHECK(rc == MDG_ERR_UTF8 && data == NULL && has(err, "B1"),
	      "xlsx write: invalid UTF-8 cell named");
	free(err);
	err = NULL;
	rc = sheet_write_mem(s, SHEET_XLSX, "a/b", &data, &n, &err);
	CHECK(rc == MDG_ERR_INVALID, "xlsx write: bad sheet name");
	free(err);
	err = NULL;
	rc = sheet_write_mem(s, SHEET_XLSX,
			     "あいうえおかきくけこさしすせそたちつてとなにぬねの"
			     "はひふへほまみ",
			     &data, &n, &err);
	CHECK(rc == MDG_ERR_INVALID && data == NULL,
	      "xlsx write: sheet name over 31 chars");
	free(err);
	err = NULL;
	rc = sheet_write_mem(s, SHEET_AUTO, NULL, &data, &n, &err);
	CHECK(rc == MDG_ERR_INVALID, "write: SHEET_AUTO refused");
	free(err);
	err = NULL;
	const char *many[SHEET_MAX_COLS + 1] = {0};
	CHECK(sheet_add_row(b, many, SHEET_MAX_COLS + 1) == MDG_ERR_TOOBIG,
	      "add_row: too many columns");
	sheet_free(b);

	/* accessors out of range, NULL */
	CHECK(strcmp(sheet_cell(s, 99, 0), "") == 0 &&
		      strcmp(sheet_cell(s, 1, 99), "") == 0 &&
		      sheet_ncols(s, 99) == 0 && sheet_line(s, 99) == 0 &&
		      sheet_nrows(NULL) == 0,
	      "accessors out of range");
	sheet_free(NULL);
	sheet_free(s);
}

/* ---------- hand-made xlsx packages ---------- */

#define XHEAD "<?xml version=\"1.0\" encoding=\"UTF-8\" standalone=\"yes\"?>\n"
#define NSMAIN "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
#define NSREL "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
#define NSPKG "http://schemas.openxmlformats.org/package/2006/relationships"

static const char H_ROOT_RELS[] =
	XHEAD "<Relationships xmlns=\"" NSPKG "\"><Relationship Id=\"rId1\" "
	"Type=\"" NSREL "/officeDocument\" Target=\"xl/workbook.xml\"/>"
	"</Relationships>";
static const char H_BOOK[] =
	XHEAD "<workbook xmlns=\"" NSMAIN "\" xmlns:r=\"" NSREL "\"><sheets>"
	"<sheet name=\"Data\" sheetId=\"1\" r:id=\"rId1\"/>"
	"<sheet name=\"Chart\" sheetId=\"2\" r:id=\"rId3\"/>"
	"<sheet name=\"Lost\" sheetId=\"3\" r:id=\"rId9\"/>"
	"</sheets></workbook>";
/* an absolute target and a ./ target exercise the path resolution */
static const char H_BOOK_RELS[] =
	XHEAD "<Relationships xmlns=\"" NSPKG "\">"
	"<Relationship Id=\"rId1\" Type=\"" NSREL "/worksheet\" "
	"Target=\"./worksheets/sheet1.xml\"/>"
	"<Relationship Id=\"rId2\" Type=\"" NSREL "/sharedStrings\" "
	"Target=\"/xl/sharedStrings.xml\"/>"
	"<Relationship Id=\"rId3\" Type=\"" NSREL "/chartsheet\" "
	"Target=\"chartsheets/sheet1.xml\"/>"
	"<Relationship Id=\"rId9\" Type=\"" NSREL "/worksheet\" "
	"Target=\"worksheets/nothere.xml\"/>"
	"</Relationships>";
static const char H_SST[] =
	XHEAD "<sst xmlns=\"" NSMAIN "\" count=\"5\" uniqueCount=\"5\">"
	"<si><t>plain</t></si>"
	"<si><r><rPr><b/></rPr><t>太字</t></r><r><t xml:space=\"preserve\">"
	" 普通</t></r><rPh sb=\"0\" eb=\"2\"><t>フツウ</t></rPh>"
	"<phoneticPr fontId=\"1\"/></si>"
	"<si><t>漢字</t><rPh sb=\"0\" eb=\"2\"><t>カンジ</t></rPh></si>"
	"<si/>"
	"<si><t>CR_x000D_LF and _x005F_x0041_ &amp; &#x3042;</t></si>"
	"</sst>";
static const char H_SHEET[] =
	XHEAD "<worksheet xmlns=\"" NSMAIN "\"><dimension ref=\"A1:XFD1048576\"/>"
	"<sheetData>"
	"<row r=\"1\"><c r=\"A1\" t=\"s\"><v>0</v></c><c r=\"D1\" t=\"s\">"
	"<v>1</v></c><c r=\"XFD1\" s=\"3\"/></row>"
	"<row r=\"2\"><c t=\"s\"><v>2</v></c><c t=\"inlineStr\"><is><t>イン"
	"ライン</t><rPh sb=\"0\" eb=\"1\"><t>イ</t></rPh></is></c>"
	"<c t=\"b\"><v>1</v></c><c t=\"b\"><v>0</v></c><c r=\"E2\"><v>123.0"
	"</v></c><c r=\"F2\" t=\"e\"><v>#N/A</v></c></row>"
	"<row r=\"3\"><c r=\"A3\" t=\"s\"><v>3</v></c></row>"
	"<row r=\"10\" spans=\"1:3\"><c r=\"A10\" t=\"str\"><f>\"x\"&amp;\"y\""
	"</f><v>xy</v></c><c r=\"B10\" t=\"s\"><v>4</v></c><c r=\"C10\"><f>1+1"
	"</f><v>2</v></c><c r=\"BL10\" t=\"inlineStr\"><is><t>64th</t></is>"
	"</c></row>"
	"<row r=\"11\"/><row r=\"12\"><c r=\"A12\" s=\"1\"/></row>"
	"</sheetData></worksheet>";

/* Reads a package made of the standard parts with sheet1.xml (and
 * optionally sharedStrings.xml) replaced. */
static mdg_rc read_pkg(const char *sheet1, const char *sst, const char *name,
		       sheet **out, char **err)
{
	const char *files[] = {
		"_rels/.rels", H_ROOT_RELS,
		"xl/workbook.xml", H_BOOK,
		"xl/_rels/workbook.xml.rels", H_BOOK_RELS,
		"xl/sharedStrings.xml", sst ? sst : H_SST,
		"xl/worksheets/sheet1.xml", sheet1,
		"xl/chartsheets/sheet1.xml", XHEAD "<chartsheet/>",
		NULL,
	};
	size_t n = 0;
	char *z = make_zip(files, &n);
	mdg_rc rc = sheet_read_mem(z, n, SHEET_AUTO, name, out, err);
	free(z);
	return rc;
}

/* Expects a failure with rc and a message containing part. */
static void bad_sheet(const char *sheet1, const char *sst, mdg_rc want,
		      const char *part, const char *label)
{
	sheet *s = NULL;
	char *err = NULL;
	mdg_rc rc = read_pkg(sheet1, sst, NULL, &s, &err);
	CHECK(rc == want && s == NULL && has(err, part), label);
	if (rc != want || !has(err, part))
		printf("#   rc %d, message: %s\n", rc, err ? err : "(none)");
	sheet_free(s);
	free(err);
}

#define WS(rows)                                                               \
	XHEAD "<worksheet xmlns=\"" NSMAIN "\"><sheetData>" rows               \
	      "</sheetData></worksheet>"

static void test_xlsx_handmade(void)
{
	sheet *s = NULL;
	char *err = NULL;
	mdg_rc rc = read_pkg(H_SHEET, NULL, NULL, &s, &err);

	CHECK(rc == MDG_OK, "hand-made xlsx: read");
	if (err)
		printf("# %s\n", err);
	free(err);
	err = NULL;
	CHECK(sheet_nrows(s) == 3, "hand-made xlsx: empty rows not in the grid");
	CHECK(sheet_ncols(s, 0) == 4 && strcmp(sheet_cell(s, 0, 0), "plain") == 0 &&
		      strcmp(sheet_cell(s, 0, 1), "") == 0,
	      "hand-made xlsx: sparse cells by reference, styled XFD1 ignored");
	CHECK_STR(sheet_cell(s, 0, 3), "太字 普通",
		  "hand-made xlsx: rich text runs joined, phonetic run ignored");
	CHECK_STR(sheet_cell(s, 1, 0), "漢字",
		  "hand-made xlsx: phonetic run after <t> ignored");
	CHECK_STR(sheet_cell(s, 1, 1), "インライン",
		  "hand-made xlsx: inline string without r=");
	CHECK(strcmp(sheet_cell(s, 1, 2), "TRUE") == 0 &&
		      strcmp(sheet_cell(s, 1, 3), "FALSE") == 0,
	      "hand-made xlsx: booleans");
	CHECK_STR(sheet_cell(s, 1, 4), "123.0",
		  "hand-made xlsx: number text kept as written");
	CHECK_STR(sheet_cell(s, 1, 5), "#N/A", "hand-made xlsx: error value");
	CHECK(sheet_line(s, 2) == 10 && strcmp(sheet_cell(s, 2, 0), "xy") == 0 &&
		      strcmp(sheet_cell(s, 2, 2), "2") == 0,
	      "hand-made xlsx: row 10 line, formula results");
	CHECK_STR(sheet_cell(s, 2, 1), "CR\rLF and _x0041_ & あ",
		  "hand-made xlsx: _xHHHH_ escapes and entities decoded");
	CHECK(sheet_ncols(s, 2) == 64 &&
		      strcmp(sheet_cell(s, 2, 63), "64th") == 0,
	      "hand-made xlsx: column 64 (BL) accepted");
	sheet_free(s);
	s = NULL;

	rc = read_pkg(H_SHEET, NULL, "data", &s, NULL);
	CHECK(rc == MDG_OK && sheet_nrows(s) == 3,
	      "hand-made xlsx: sheet name matched case-insensitively");
	sheet_free(s);
	s = NULL;
	rc = read_pkg(H_SHEET, NULL, "Chart", &s, &err);
	CHECK(rc == MDG_ERR_FORMAT && has(err, "not a worksheet"),
	      "hand-made xlsx: chart sheet refused");
	free(err);
	err = NULL;
	rc = read_pkg(H_SHEET, NULL, "Lost", &s, &err);
	CHECK(rc == MDG_ERR_FORMAT && has(err, "nothere.xml"),
	      "hand-made xlsx: missing worksheet part named");
	free(err);
	err = NULL;

	bad_sheet(WS("<row r=\"1\"><c r=\"XFD1\" t=\"inlineStr\"><is><t>x</t>"
		     "</is></c></row>"),
		  NULL, MDG_ERR_TOOBIG, "XFD1", "xlsx: text in column XFD refused");
	bad_sheet(WS("<row r=\"7\"><c r=\"BM7\"><v>1</v></c></row>"), NULL,
		  MDG_ERR_TOOBIG, "BM7", "xlsx: column 65 refused");
	bad_sheet(WS("<row r=\"1\"><c r=\"ZZZZ1\"><v>1</v></c></row>"), NULL,
		  MDG_ERR_FORMAT, "ZZZZ1", "xlsx: reference beyond XFD refused");
	bad_sheet(WS("<row r=\"1\"><c r=\"a1\"><v>1</v></c></row>"), NULL,
		  MDG_ERR_FORMAT, "a1", "xlsx: malformed reference");
	bad_sheet(WS("<row r=\"99999999\"><c><v>1</v></c></row>"), NULL,
		  MDG_ERR_FORMAT, "99999999", "xlsx: row number beyond Excel");
	bad_sheet(WS("<row r=\"5\"><c><v>1</v></c></row><row r=\"4\"/>"), NULL,
		  MDG_ERR_FORMAT, "out of order", "xlsx: rows out of order");
	bad_sheet(WS("<row r=\"1\"><c t=\"s\"><v>99</v></c></row>"), NULL,
		  MDG_ERR_FORMAT, "shared string", "xlsx: bad shared string index");
	bad_sheet(WS("<row r=\"1\"><c t=\"s\"><v>-1</v></c></row>"), NULL,
		  MDG_ERR_FORMAT, "shared string",
		  "xlsx: negative shared string index");
	bad_sheet(XHEAD "<worksheet><sheetData><row r=\"1\"><c><v>1</v>", NULL,
		  MDG_ERR_FORMAT, "sheet1.xml", "xlsx: truncated XML");
	bad_sheet(XHEAD "<worksheet><sheetData><row></c></sheetData>", NULL,
		  MDG_ERR_FORMAT, "sheet1.xml", "xlsx: mismatched tags");
	bad_sheet(XHEAD "<!DOCTYPE w [<!ENTITY x SYSTEM \"file:///etc/passwd\">]>"
			"<worksheet><sheetData><row><c t=\"inlineStr\"><is><t>&x;"
			"</t></is></c></row></sheetData></worksheet>",
		  NULL, MDG_ERR_FORMAT, "DOCTYPE", "xlsx: external entity (XXE) refused");
	bad_sheet(H_SHEET,
		  XHEAD "<!DOCTYPE sst [<!ENTITY a \"aaaaaaaaaa\"><!ENTITY b "
			"\"&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;\"><!ENTITY c \"&b;&b;"
			"&b;&b;&b;&b;&b;&b;&b;&b;\">]><sst><si><t>&c;</t></si>"
			"</sst>",
		  MDG_ERR_FORMAT, "sharedStrings.xml",
		  "xlsx: entity expansion refused");
}

static void test_xlsx_malformed(void)
{
	const char *cells[] = {"質問", "回答", "住民票", "市役所"};
	sheet *src = build(cells, 2, 2), *s = NULL;
	char *x = NULL, *err = NULL;
	size_t n = 0, zn = 0;
	mdg_rc rc;

	sheet_write_mem(src, SHEET_XLSX, NULL, &x, &n, NULL);
	sheet_free(src);

	rc = sheet_read_mem(x, n / 2, SHEET_AUTO, NULL, &s, &err);
	CHECK(rc == MDG_ERR_FORMAT && s == NULL && err != NULL,
	      "xlsx: truncated zip (half) refused");
	free(err);
	err = NULL;
	rc = sheet_read_mem(x, n - 5, SHEET_XLSX, NULL, &s, &err);
	CHECK(rc == MDG_ERR_FORMAT && s == NULL, "xlsx: truncated zip (end)");
	free(err);
	err = NULL;

	/* flip bytes all over the archive: any error is fine, no crash */
	int errors = 0, oks = 0;
	for (size_t off = 4; off < n; off += n / 97 + 1) {
		char *c = malloc(n);
		memcpy(c, x, n);
		c[off] ^= 0x5A;
		sheet *t = NULL;
		char *e = NULL;
		if (sheet_read_mem(c, n, SHEET_AUTO, NULL, &t, &e) == MDG_OK)
			oks++;
		else
			errors += e != NULL;
		sheet_free(t);
		free(e);
		free(c);
	}
	CHECK(errors > 0, "xlsx: corrupted bytes give errors with messages");
	printf("# corrupted archives: %d errors, %d still readable\n", errors,
	       oks);
	free(x);

	/* random bytes after a zip signature */
	unsigned char junk[4096];
	unsigned v = 12345;
	memcpy(junk, "PK\x03\x04", 4);
	for (size_t i = 4; i < sizeof junk; i++) {
		v = v * 1103515245u + 12345u;
		junk[i] = (unsigned char)(v >> 16);
	}
	rc = sheet_read_mem(junk, sizeof junk, SHEET_AUTO, NULL, &s, &err);
	CHECK(rc == MDG_ERR_FORMAT && s == NULL && has(err, "zip"),
	      "xlsx: random bytes with PK header refused");
	free(err);
	err = NULL;

	const char *nowb[] = {"hello.txt", "hi", NULL};
	char *z = make_zip(nowb, &zn);
	rc = sheet_read_mem(z, zn, SHEET_AUTO, NULL, &s, &err);
	CHECK(rc == MDG_ERR_FORMAT && has(err, "workbook"),
	      "xlsx: zip without workbook refused");
	free(z);
	free(err);
	err = NULL;

	const char *ods[] = {"mimetype",
			     "application/vnd.oasis.opendocument.spreadsheet",
			     "content.xml", "<x/>", NULL};
	z = make_zip(ods, &zn);
	rc = sheet_read_mem(z, zn, SHEET_AUTO, NULL, &s, &err);
	CHECK(rc == MDG_ERR_FORMAT && has(err, "OpenDocument"),
	      "xlsx: .ods recognised and refused");
	free(z);
	free(err);
	err = NULL;

	const char *docx[] = {
		"_rels/.rels",
		XHEAD "<Relationships xmlns=\"" NSPKG "\"><Relationship Id=\"r\" "
		"Type=\"" NSREL "/officeDocument\" Target=\"word/document.xml\"/>"
		"</Relationships>",
		"word/document.xml", XHEAD "<document/>", NULL};
	z = make_zip(docx, &zn);
	rc = sheet_read_mem(z, zn, SHEET_AUTO, NULL, &s, &err);
	CHECK(rc == MDG_ERR_FORMAT && has(err, "not a spreadsheet"),
	      "xlsx: a .docx refused");
	free(z);
	free(err);
	err = NULL;

	/* a part that inflates past SHEET_MAX_BYTES (zip bomb) */
	size_t big = SHEET_MAX_BYTES + 1024;
	char *bomb = malloc(big + 1);
	memset(bomb, ' ', big);
	memcpy(bomb, "<worksheet>", 11);
	bomb[big] = '\0';
	const char *bf[] = {"_rels/.rels", H_ROOT_RELS, "xl/workbook.xml", H_BOOK,
			    "xl/_rels/workbook.xml.rels", H_BOOK_RELS,
			    "xl/worksheets/sheet1.xml", bomb, NULL};
	z = make_zip(bf, &zn);
	free(bomb);
	rc = sheet_read_mem(z, zn, SHEET_AUTO, NULL, &s, &err);
	CHECK(z != NULL && zn < 1024 * 1024 && rc == MDG_ERR_TOOBIG &&
		      has(err, "sheet1.xml"),
	      "xlsx: decompressed size capped");
	printf("# %zu-byte zip: %s\n", zn, err ? err : "(no message)");
	free(z);
	free(err);
}

static void rm_tree(const char *dir)
{
	char *argv[] = {"rm", "-rf", (char *)dir, NULL};
	run_cmd(argv, 30);
}

int main(void)
{
	/* keep TAP lines even if a sanitizer ends the process */
	setvbuf(stdout, NULL, _IOLBF, 0);
	snprintf(tmpdir, sizeof tmpdir, "/tmp/mdg-test-sheet-XXXXXX");
	if (mkdtemp(tmpdir) == NULL) {
		perror("mkdtemp");
		return 1;
	}
	test_csv();
	test_round_trips();
	test_xlsx_handmade();
	test_xlsx_malformed();
	test_libreoffice();
	if (getenv("MDG_KEEP_TMP") == NULL)
		rm_tree(tmpdir);
	else
		printf("# fixtures kept in %s\n", tmpdir);
	return tap_done();
}
