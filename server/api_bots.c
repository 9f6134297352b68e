/* api_bots.c — bot list, health, readiness and metrics endpoints. */
#include "api_bots.h"

#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "metrics.h"

json_t *api_bot_presentation(const char *id, const cfg_bot *b)
{
	json_t *sugg = json_array();
	for (size_t j = 0; sugg && j < b->suggestions.n; j++)
		json_array_append_new(sugg, json_string(b->suggestions.v[j]));
	return json_pack("{s:s, s:s, s:s, s:o}", "id", id, "name", b->name ? b->name : id,
			 "greeting", b->greeting ? b->greeting : "", "suggestions", sugg);
}

enum MHD_Result api_bots_list(http_req *r)
{
	kb *k = NULL;
	char *err = NULL;
	kb_bot *bots = NULL;
	size_t n = 0;
	mdg_rc rc = app_kb(r->app, &k, &err);
	if (rc == MDG_OK)
		rc = kb_bot_list(k, &bots, &n, &err);
	if (rc != MDG_OK) {
		enum MHD_Result ret = http_reply_rc(r, rc, err);
		free(err);
		return ret;
	}
	json_t *arr = json_array();
	for (size_t i = 0; arr && i < n; i++) {
		/* Staff bots are not advertised, nor bots with nothing to say. */
		if (bots[i].internal || bots[i].active_version == 0)
			continue;
		json_array_append_new(
			arr, api_bot_presentation(bots[i].name,
						  srv_config_bot(r->app->cfg, bots[i].name)));
	}
	free(bots);
	return http_reply_json_steal(r, MHD_HTTP_OK, json_pack("{s:o}", "bots", arr));
}

enum MHD_Result api_healthz(http_req *r)
{
	return http_reply_json_steal(r, MHD_HTTP_OK, json_pack("{s:s}", "status", "ok"));
}

enum MHD_Result api_readyz(http_req *r)
{
	srv_app *a = r->app;
	if (!atomic_load(&a->ready) || atomic_load(&a->draining))
		return http_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "not_ready",
					atomic_load(&a->draining)
						? "サーバーは停止処理中です。"
						: "サーバーは起動処理中です。");
	kb *k = NULL;
	char *err = NULL;
	kb_bot *bots = NULL;
	size_t n = 0;
	mdg_rc rc = app_kb(a, &k, &err);
	if (rc == MDG_OK)
		rc = kb_bot_list(k, &bots, &n, &err);
	free(bots);
	if (rc != MDG_OK) {
		srv_log(SRV_LOG_ERROR, "readyz: %s", err ? err : mdg_strerror(rc));
		free(err);
		return http_reply_error(r, MHD_HTTP_SERVICE_UNAVAILABLE, "not_ready",
					"データベースに接続できません。");
	}
	return http_reply_json_steal(r, MHD_HTTP_OK,
				     json_pack("{s:s, s:I}", "status", "ready", "bots",
					       (json_int_t)n));
}

enum MHD_Result api_metrics(http_req *r)
{
	srv_app *a = r->app;
	turnlog_stats ls;
	turnlog_get_stats(a->log, &ls);
	metrics_gauges g = {
		.inflight = http_inflight(),
		.log_queued = ls.queued,
		.log_written = ls.written,
		.log_dropped = ls.dropped,
		.rate_limited = atomic_load(&a->rate_limited),
		.uptime = app_now() - a->started,
	};
	mdg_buf b = {0};
	if (metrics_render(&b, &g) != MDG_OK) {
		mdg_buf_free(&b);
		return http_reply_rc(r, MDG_ERR_NOMEM, NULL);
	}
	size_t len = 0;
	char *s = mdg_buf_take(&b, &len);
	struct MHD_Response *resp =
		s ? MHD_create_response_from_buffer(len, s, MHD_RESPMEM_MUST_FREE) : NULL;
	if (resp == NULL) {
		free(s);
		return MHD_NO;
	}
	MHD_add_response_header(resp, "Content-Type",
				"text/plain; version=0.0.4; charset=utf-8");
	return http_send(r, MHD_HTTP_OK, resp, 0);
}
