/* kb_export.c — exports a bot's active Q&A (see kb_export.h). */
#include "kb_export.h"

#include "kb_import.h"

mdg_rc kb_export(kb *k, const char *bot, sheet **out, char **err)
{
	*out = NULL;
	kb_bot b;
	mdg_rc rc = kb_bot_get(k, bot, &b, err);
	if (rc != MDG_OK)
		return rc;
	sheet *s = NULL;
	if ((rc = sheet_new(&s)) != MDG_OK)
		return rc;
	if ((rc = sheet_add_row(s, kb_columns, kb_ncolumns)) != MDG_OK)
		goto fail;
	sqlite3_stmt *st = kb_stmt(
		k,
		"SELECT ext_id, question, answer, alt_questions, category, department,"
		" contact, url, keywords, flow FROM qa WHERE version_id=?1 ORDER BY id",
		err);
	if (st == NULL) {
		rc = MDG_ERR_DB;
		goto fail;
	}
	sqlite3_bind_int64(st, 1, b.active_version);
	int r;
	while (rc == MDG_OK && (r = sqlite3_step(st)) == SQLITE_ROW) {
		const char *cells[10];
		for (int i = 0; i < 10; i++)
			cells[i] = (const char *)sqlite3_column_text(st, i);
		rc = sheet_add_row(s, cells, 10);
	}
	sqlite3_reset(st);
	if (rc != MDG_OK)
		goto fail;
	*out = s;
	return MDG_OK;
fail:
	sheet_free(s);
	return rc;
}

mdg_rc kb_export_template(sheet **out, char **err)
{
	(void)err;
	mdg_rc rc = sheet_new(out);
	if (rc == MDG_OK)
		rc = sheet_add_row(*out, kb_columns_ja, kb_ncolumns);
	return rc;
}
