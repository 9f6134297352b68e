/* kb_export.h — the active knowledge base of a bot as a spreadsheet. */
#ifndef KB_EXPORT_H
#define KB_EXPORT_H

#include "kb.h"
#include "sheet.h"

/* Builds a sheet (header row of canonical column names, then one row per
 * Q&A in the order they were imported) that kb_import re-imports
 * unchanged. *out is owned by the caller (sheet_free). */
mdg_rc kb_export(kb *k, const char *bot, sheet **out, char **err);

/* An empty template with the Japanese headers, for editors. */
mdg_rc kb_export_template(sheet **out, char **err);

#endif
