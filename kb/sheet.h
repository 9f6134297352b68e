/* sheet.h — reading and writing spreadsheets as plain tables of text cells.
 *
 * Formats: .xlsx (Office Open XML, via libzip + libxml2: shared strings,
 * inline strings, numbers, several sheets), .csv (RFC 4180; UTF-8 with or
 * without BOM, or Shift_JIS/CP932 as Excel writes it, detected and converted
 * with iconv) and .tsv (tab-separated, same encodings and quoting rules).
 *
 * A sheet is the raw grid: row 0 is the header row. Cells are NUL-terminated
 * byte strings; they are NOT guaranteed to be valid UTF-8 (a file whose
 * encoding could not be determined keeps its raw bytes) — the importer
 * validates every cell and reports row and column. Spreadsheet row numbers
 * shown to users are 1-based: grid row r is spreadsheet row sheet_line(s, r).
 *
 * Reading, in every format: rows whose cells are all empty are not in the
 * grid (so row 0 is the first row with text; sheet_line still tells where
 * each row was); trailing empty cells may or may not be present (ragged
 * rows); empty cells past SHEET_MAX_COLS are ignored, text there fails.
 * xlsx cells give the text the file stores: numbers as written in <v>
 * ("123", "4.5", "1E-3"; dates as serial numbers, no formatting applied),
 * booleans "TRUE"/"FALSE", formulas their cached result, error cells
 * "#N/A" etc.; phonetic guides (furigana) are dropped. CSV/TSV cells keep
 * their bytes as written (line breaks inside quotes are not normalised).
 * Writing xlsx stores every non-empty cell as a text cell. */
#ifndef SHEET_H
#define SHEET_H

#include <stddef.h>

#include "../nlp/mdg.h"

typedef enum sheet_format {
	SHEET_AUTO = 0, /* from file signature (PK\3\4 = xlsx), then tabs vs commas */
	SHEET_XLSX,
	SHEET_CSV,
	SHEET_TSV
} sheet_format;

typedef struct sheet sheet;

/* Limits applied while reading; exceeding one fails with MDG_ERR_TOOBIG. */
#define SHEET_MAX_BYTES ((size_t)64 << 20) /* input file / decompressed part */
#define SHEET_MAX_ROWS 200000
#define SHEET_MAX_COLS 64

/* Guesses the format from a file name's extension (.xlsx/.csv/.tsv/.txt),
 * SHEET_AUTO if unknown. */
sheet_format sheet_format_from_name(const char *name);

/* Reads a spreadsheet from memory. sheet_name selects an .xlsx worksheet by
 * its name (NULL = the first sheet). On failure returns an error code with a
 * human message in *err (caller frees). On success *out is owned by the
 * caller (sheet_free). */
mdg_rc sheet_read_mem(const void *data, size_t n, sheet_format fmt,
		      const char *sheet_name, sheet **out, char **err);

/* Same, from a file path (format from extension, then signature). */
mdg_rc sheet_read_file(const char *path, const char *sheet_name, sheet **out,
		       char **err);

size_t sheet_nrows(const sheet *s);
/* Number of cells in grid row r (rows may be ragged). */
size_t sheet_ncols(const sheet *s, size_t r);
/* Cell text, "" for missing cells; never NULL. */
const char *sheet_cell(const sheet *s, size_t r, size_t c);
/* 1-based spreadsheet row (xlsx: the r= attribute; csv: record number, a
 * multi-line quoted cell counts as one record). */
size_t sheet_line(const sheet *s, size_t r);
/* Encoding the text was decoded from: "UTF-8", "CP932", or "unknown"; also
 * "UTF-16" for CSV/TSV with a UTF-16 BOM (Excel's "Unicode text"). */
const char *sheet_encoding(const sheet *s);
void sheet_free(sheet *s);

/* Building a sheet for writing (export). */
mdg_rc sheet_new(sheet **out);
/* Appends a row of n cells (copied). */
mdg_rc sheet_add_row(sheet *s, const char *const *cells, size_t n);

/* Serialises to memory (malloc'd, caller frees). xlsx: a minimal valid
 * workbook (one worksheet named sheet_name or "Sheet1", shared strings,
 * header row bold is optional) that LibreOffice and Excel open with Japanese
 * text intact; csv: UTF-8 with BOM (so Excel detects the encoding), CRLF,
 * quoting where needed; tsv: UTF-8 without BOM, quoting where needed. */
mdg_rc sheet_write_mem(const sheet *s, sheet_format fmt, const char *sheet_name,
		       char **out, size_t *outn, char **err);
mdg_rc sheet_write_file(const sheet *s, const char *path, char **err);

#endif
