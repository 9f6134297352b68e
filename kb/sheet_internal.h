/* sheet_internal.h — cross-file helpers shared by sheet.c (grid, CSV/TSV)
 * and sheet_xlsx.c (Office Open XML). Not part of the public API: only the
 * sheet module's own .c files include this header. */
#ifndef SHEET_INTERNAL_H
#define SHEET_INTERNAL_H

#include <stddef.h>

#include "sheet.h"

/* Appends a row, taking ownership of cells[0..n-1] (malloc'd strings or NULL
 * for an empty cell) even on failure; the cells array itself stays the
 * caller's and its entries are set to NULL. line is the 1-based spreadsheet
 * row. Fails with MDG_ERR_TOOBIG past SHEET_MAX_ROWS rows or when the cell
 * text of the whole sheet exceeds SHEET_MAX_BYTES (a shared string repeated
 * in every cell must not multiply memory without bound). */
mdg_rc sheet_take_row(sheet *s, char **cells, size_t n, size_t line,
		      char **err);

/* Sets the encoding name reported by sheet_encoding (a static string). */
void sheet_set_encoding(sheet *s, const char *enc);

/* Checks that n bytes are well-formed UTF-8 (no overlongs, no surrogates,
 * nothing above U+10FFFF). */
int sheet_utf8_valid(const char *p, size_t n);

/* Writes a 1-based column number in A1 letters ("A", "AB", ...) into out. */
void sheet_col_name(size_t col, char out[8]);

/* Reads an .xlsx workbook from memory (sheet_name NULL = first sheet).
 * Same contract as sheet_read_mem. */
mdg_rc sheet_xlsx_read(const void *data, size_t n, const char *sheet_name,
		       sheet **out, char **err);

/* Serialises s as a one-sheet .xlsx workbook (malloc'd, caller frees).
 * Same contract as sheet_write_mem. */
mdg_rc sheet_xlsx_write(const sheet *s, const char *sheet_name, char **out,
			size_t *outn, char **err);

#endif
