/* admin_internal.h — helpers shared by the admin API's files
 * (api_admin.c: tokens, import/export, flows; admin_report.c: unanswered
 * questions and statistics). Not a public interface. */
#ifndef SRV_ADMIN_INTERNAL_H
#define SRV_ADMIN_INTERNAL_H

#include <stdint.h>

#include "../kb/sheet.h"
#include "http.h"

/* Japan time: days in statistics and dates in file names are JST. */
#define ADMIN_TZ_OFFSET (9 * 3600)

/* Integer query argument name in [min, max], def when absent. Returns 0,
 * or -1 after queueing a 400 (*ret). */
int admin_arg_int(http_req *r, const char *name, long def, long min, long max, long *out,
                  enum MHD_Result *ret);

/* 1 if the query argument is "1", "true" or "yes". */
int admin_arg_bool(http_req *r, const char *name);

/* ?format=: a spreadsheet format (xlsx, csv, tsv) or, when json is not
 * NULL, also "json" (*json set). def when absent. Returns 0, or -1 after
 * queueing a 400. */
int admin_arg_format(http_req *r, sheet_format def, sheet_format *out, int *json,
                     enum MHD_Result *ret);

/* The worker's read-only handle and the bot of the URL. Returns 1, or 0
 * after queueing a 404/500. */
int admin_bot(http_req *r, kb **k, kb_bot *bot, enum MHD_Result *ret);

/* Serialises s and sends it as a download named
 * "<base>-YYYYMMDD.<ext>" (JST date). */
enum MHD_Result admin_send_sheet(http_req *r, const sheet *s, sheet_format fmt,
                                 const char *base);

/* "YYYY-MM-DD" of unix time t in JST into buf (at least 11 bytes). */
void admin_jst_date(int64_t t, char *buf, size_t n);

/* ISO 8601 with the JST offset ("2026-01-31T09:00:00+09:00"). */
void admin_jst_time(int64_t t, char *buf, size_t n);

#endif
