/* api_admin.h — the knowledge editors' admin API (/v1/admin/...).
 *
 * Every route needs an admin token (`madoguchi token create --bot ID`,
 * kb_keys kind admin) in "Authorization: Bearer ...". The check runs in
 * http.c's first callback, before a body is read (api_admin_authorize):
 * no or an unknown token is 401, a valid token not scoped to the {bot} of
 * the URL is 403 (so a token cannot probe which bots exist). Admin routes
 * never carry CORS allow headers, and requests a browser marks as coming
 * from another site (Sec-Fetch-Site, or an Origin that is one of the
 * bots' public origins) are refused with 403.
 *
 *   GET  /v1/admin/me                        the token's bots
 *   POST /v1/admin/bots/{bot}/import         spreadsheet upload (?dry_run=1)
 *   POST /v1/admin/bots/{bot}/rollback       previous Q&A version back
 *   GET  /v1/admin/bots/{bot}/export         ?format=xlsx|csv|tsv
 *   GET  /v1/admin/bots/{bot}/template       blank sheet, Japanese headers
 *   GET  /v1/admin/bots/{bot}/unanswered     ?days=N&format=json|csv|tsv|xlsx
 *   GET  /v1/admin/bots/{bot}/stats          ?days=N
 *   POST /v1/admin/bots/{bot}/flows          flow YAML upload (?dry_run=1)
 *   GET  /v1/admin/bots/{bot}/flows          the active flow files
 *   POST /v1/admin/bots/{bot}/flows/rollback previous flow set back */
#ifndef SRV_API_ADMIN_H
#define SRV_API_ADMIN_H

#include "http.h"

/* Checks the request's admin token (and where it comes from) for r->bot,
 * or for any bot when r->bot is "" (/v1/admin/me). Returns 1 if allowed;
 * otherwise queues a 401/403 (or 500) reply, stores its result in *ret and
 * returns 0. */
int api_admin_authorize(http_req *r, enum MHD_Result *ret);

enum MHD_Result api_admin_me(http_req *r);
enum MHD_Result api_admin_import(http_req *r);
enum MHD_Result api_admin_rollback(http_req *r);
enum MHD_Result api_admin_export(http_req *r);
enum MHD_Result api_admin_template(http_req *r);
enum MHD_Result api_admin_unanswered(http_req *r);
enum MHD_Result api_admin_stats(http_req *r);
enum MHD_Result api_admin_flows_import(http_req *r);
enum MHD_Result api_admin_flows_export(http_req *r);
enum MHD_Result api_admin_flows_rollback(http_req *r);

#endif
