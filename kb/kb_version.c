/* kb_version.c — builds, activates and prunes knowledge-base versions. */
#include "kb_version.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../nlp/norm.h"
#include "../nlp/synonyms.h"
#include "strtab.h"

struct kb_version_builder {
	kb *k;
	int64_t bot_id, version, ndocs;
	sqlite3_stmt *ins_fts; /* dynamic table name: owned here */
	kb_strtab df;       /* term -> documents containing it */
	kb_strtab readings; /* "reading\tterm" pairs seen */
	char **err;
};

void kb_version_fts_name(int64_t version, char *buf, size_t n)
{
	snprintf(buf, n, "fts_%lld", (long long)version);
}

static mdg_rc step_done(kb *k, sqlite3_stmt *st, char **err)
{
	int r = sqlite3_step(st);
	sqlite3_reset(st);
	if (r != SQLITE_DONE && r != SQLITE_ROW)
		return mdg_fail(err, MDG_ERR_DB, "%s", sqlite3_errmsg(kb_sqlite(k)));
	return MDG_OK;
}

mdg_rc kb_version_check_dicdir(kb *k, char **err)
{
	/* Every bot in a database is indexed with one dictionary: queries are
	 * analysed with the recorded one, so a mixed database would mis-rank. */
	sqlite3_stmt *st = kb_stmt(k, "SELECT value FROM meta WHERE key='dicdir'", err);
	if (st == NULL)
		return MDG_ERR_DB;
	mdg_rc rc = MDG_OK;
	if (sqlite3_step(st) == SQLITE_ROW &&
	    strcmp((const char *)sqlite3_column_text(st, 0),
		   nlp_model_dicdir(kb_model(k))) != 0)
		rc = mdg_fail(err, MDG_ERR_CONFIG,
			      "this database is indexed with the MeCab dictionary %s; "
			      "import with --dicdir %s",
			      sqlite3_column_text(st, 0), sqlite3_column_text(st, 0));
	sqlite3_reset(st);
	return rc;
}

mdg_rc kb_version_begin(kb *k, const char *bot, int internal, const char *source,
			kb_version_builder **out, char **err)
{
	*out = NULL;
	kb_version_builder *b = calloc(1, sizeof *b);
	if (b == NULL)
		return MDG_ERR_NOMEM;
	b->k = k;
	b->err = err;
	mdg_rc rc = MDG_OK;
	if ((rc = kb_version_check_dicdir(k, err)) != MDG_OK)
		goto fail;
	/* Create the bot on first import; --internal may restrict an existing
	 * bot, but nothing here ever makes an internal bot public. */
	sqlite3_stmt *st = kb_stmt(k,
				   "INSERT INTO bots(name, audience) VALUES(?1, ?2) "
				   "ON CONFLICT(name) DO UPDATE SET audience='internal' "
				   "WHERE ?2 = 'internal'",
				   err);
	if (st == NULL)
		goto db_fail;
	sqlite3_bind_text(st, 1, bot, -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 2, internal ? "internal" : "public", -1, SQLITE_STATIC);
	if ((rc = step_done(k, st, err)) != MDG_OK)
		goto fail;
	kb_bot kbot;
	if ((rc = kb_bot_get(k, bot, &kbot, err)) != MDG_OK)
		goto fail;
	b->bot_id = kbot.id;
	st = kb_stmt(k,
		     "INSERT INTO versions(bot_id, source, dicdir, analyzer) "
		     "VALUES(?1, ?2, ?3, ?4)",
		     err);
	if (st == NULL)
		goto db_fail;
	sqlite3_bind_int64(st, 1, b->bot_id);
	sqlite3_bind_text(st, 2, source ? source : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 3, nlp_model_dicdir(kb_model(k)), -1, SQLITE_STATIC);
	sqlite3_bind_int(st, 4, NLP_ANALYZER_REVISION);
	if ((rc = step_done(k, st, err)) != MDG_OK)
		goto fail;
	b->version = sqlite3_last_insert_rowid(kb_sqlite(k));
	char name[32], sql[512];
	kb_version_fts_name(b->version, name, sizeof name);
	/* Contentless: the Q&A table keeps the text; the index keeps terms. */
	snprintf(sql, sizeof sql,
		 "CREATE VIRTUAL TABLE %s USING fts5(question, alt, keywords, "
		 "category, answer, tokenize='mecab', content='')",
		 name);
	if ((rc = kb_exec(k, sql, err)) != MDG_OK)
		goto fail;
	snprintf(sql, sizeof sql,
		 "INSERT INTO %s(rowid, question, alt, keywords, category, answer) "
		 "VALUES(?1, ?2, ?3, ?4, ?5, ?6)",
		 name);
	if (sqlite3_prepare_v2(kb_sqlite(k), sql, -1, &b->ins_fts, NULL) != SQLITE_OK)
		goto db_fail;
	*out = b;
	return MDG_OK;
db_fail:
	rc = mdg_fail(err, MDG_ERR_DB, "%s", sqlite3_errmsg(kb_sqlite(k)));
fail:
	kb_version_abort(b);
	return rc;
}

char *kb_alt_join(const char *alt)
{
	/* "｜" (U+FF5C), "|" and line breaks separate alternatives. */
	size_t n = strlen(alt);
	char *o = malloc(n + 1), *w = o;
	if (o == NULL)
		return NULL;
	for (size_t i = 0; i < n;) {
		if (i + 3 <= n && memcmp(alt + i, "\xef\xbd\x9c", 3) == 0) {
			*w++ = ' ';
			i += 3;
		} else if (alt[i] == '|' || alt[i] == '\n' || alt[i] == '\r') {
			*w++ = ' ';
			i++;
		} else {
			*w++ = alt[i++];
		}
	}
	*w = '\0';
	return o;
}

/* Collects the terms of one field into a space-separated set. */
typedef struct termset {
	kb_version_builder *b; /* NULL: no document frequencies (synonym phrases) */
	kb_strtab *readings;   /* the readings seen, or NULL */
	mdg_buf *set;   /* " t1 t2 ... " with surrounding spaces for lookup */
	int64_t doc;
	mdg_rc rc;
	size_t nterms, covered; /* terms seen, bytes of text they span */
} termset;

static int collect_term(void *p, const nlp_term *t)
{
	termset *ts = p;
	ts->nterms++;
	ts->covered += t->end - t->start;
	char key[300];
	snprintf(key, sizeof key, " %s ", t->term);
	if (ts->set->len == 0)
		ts->rc = mdg_buf_adds(ts->set, " ");
	if (ts->rc == MDG_OK && !strstr(ts->set->data, key))
		ts->rc = mdg_buf_printf(ts->set, "%s ", t->term);
	if (ts->rc == MDG_OK && ts->b)
		ts->rc = kb_strtab_bump(&ts->b->df, t->term, ts->doc);
	if (ts->rc == MDG_OK && ts->readings && t->reading[0] && strcmp(t->reading, "*") != 0) {
		/* Readings of the surface, in katakana, for kana-only queries
		 * (the synonyms' too: くるま is the 車 of 車の税金); written once
		 * per distinct pair at commit. */
		char pair[600];
		int n = snprintf(pair, sizeof pair, "%s\t%.*s", t->reading, (int)t->len,
				 t->term);
		if (n > 0 && (size_t)n < sizeof pair)
			ts->rc = kb_strtab_bump(ts->readings, pair, 0);
	}
	return ts->rc != MDG_OK;
}

static mdg_rc terms_of(kb_version_builder *b, const char *text, termset *ts)
{
	mdg_rc rc = nlp_tagger_terms(kb_tagger(b->k), text, strlen(text),
				     collect_term, ts);
	return ts->rc != MDG_OK ? ts->rc : rc;
}

mdg_rc kb_version_add_qa(kb_version_builder *b, const kb_qa_fields *f, char **err)
{
	kb *k = b->k;
	mdg_rc rc = MDG_OK;
	char *alt = kb_alt_join(f->alt_questions);
	char *nq = NULL, *na = NULL, *nalt = NULL, *nkw = NULL, *ncat = NULL;
	mdg_buf qterms = {0}, aterms = {0}, dterms = {0};
	/* The category field also holds the department: residents ask for the
	 * office by name (「河川課に聞きたい」). */
	mdg_buf cat = {0};
	if (alt == NULL)
		return MDG_ERR_NOMEM;
	if ((rc = mdg_buf_adds(&cat, f->category)) != MDG_OK ||
	    (f->department[0] && ((rc = mdg_buf_adds(&cat, "\n")) != MDG_OK ||
				  (rc = mdg_buf_adds(&cat, f->department)) != MDG_OK)))
		goto out;
	if ((rc = nlp_norm(f->question, strlen(f->question), &nq, NULL, err)) ||
	    (rc = nlp_norm(f->answer, strlen(f->answer), &na, NULL, err)) ||
	    (rc = nlp_norm(alt, strlen(alt), &nalt, NULL, err)) ||
	    (rc = nlp_norm(f->keywords, strlen(f->keywords), &nkw, NULL, err)) ||
	    (rc = nlp_norm(cat.data ? cat.data : "", cat.len, &ncat, NULL, err)))
		goto out;
	/* Terms first (the document counter, not the rowid, dedupes df), then
	 * one INSERT per row. */
	int64_t doc = ++b->ndocs;
	termset qs = {.b = b, .readings = &b->readings, .set = &qterms, .doc = doc};
	termset as = {.b = b, .readings = &b->readings, .set = &aterms, .doc = doc};
	termset ds = {.b = b, .readings = &b->readings, .set = &dterms, .doc = doc};
	if ((rc = terms_of(b, nq, &qs)) || (rc = terms_of(b, nalt, &as)) ||
	    (rc = terms_of(b, nkw, &as)))
		goto out;
	/* Document terms include the question-side terms. */
	if ((qterms.len && (rc = mdg_buf_add(&dterms, qterms.data, qterms.len))) ||
	    (aterms.len && (rc = mdg_buf_add(&dterms, aterms.data, aterms.len))))
		goto out;
	if ((rc = terms_of(b, ncat, &ds)) || (rc = terms_of(b, na, &ds)))
		goto out;
	sqlite3_stmt *st = kb_stmt(
		k,
		"INSERT INTO qa(version_id, ext_id, question, answer, alt_questions,"
		" category, department, contact, url, keywords, flow, line,"
		" qterms, aterms, dterms)"
		" VALUES(?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
		err);
	if (st == NULL) {
		rc = MDG_ERR_DB;
		goto out;
	}
	const char *vals[] = {f->ext_id,   f->question,   f->answer,
			      f->alt_questions, f->category, f->department,
			      f->contact,  f->url,        f->keywords,
			      f->flow};
	sqlite3_bind_int64(st, 1, b->version);
	for (int i = 0; i < 10; i++)
		sqlite3_bind_text(st, i + 2, vals[i], -1, SQLITE_STATIC);
	sqlite3_bind_int64(st, 12, (sqlite3_int64)f->line);
	sqlite3_bind_text(st, 13, qterms.data ? qterms.data : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 14, aterms.data ? aterms.data : "", -1, SQLITE_STATIC);
	sqlite3_bind_text(st, 15, dterms.data ? dterms.data : "", -1, SQLITE_STATIC);
	if ((rc = step_done(k, st, err)) != MDG_OK)
		goto out;
	int64_t rowid = sqlite3_last_insert_rowid(kb_sqlite(k));
	sqlite3_bind_int64(b->ins_fts, 1, rowid);
	sqlite3_bind_text(b->ins_fts, 2, nq, -1, SQLITE_STATIC);
	sqlite3_bind_text(b->ins_fts, 3, nalt, -1, SQLITE_STATIC);
	sqlite3_bind_text(b->ins_fts, 4, nkw, -1, SQLITE_STATIC);
	sqlite3_bind_text(b->ins_fts, 5, ncat, -1, SQLITE_STATIC);
	sqlite3_bind_text(b->ins_fts, 6, na, -1, SQLITE_STATIC);
	rc = step_done(k, b->ins_fts, err);
out:
	free(alt);
	free(nq);
	free(na);
	free(nalt);
	free(nkw);
	free(ncat);
	mdg_buf_free(&cat);
	mdg_buf_free(&qterms);
	mdg_buf_free(&aterms);
	mdg_buf_free(&dterms);
	return rc;
}

typedef struct syn_ctx {
	kb_version_builder *b;
	sqlite3_stmt *ins;
} syn_ctx;

static mdg_rc add_group(void *p, size_t group, const char *const *phrases, size_t n)
{
	syn_ctx *s = p;
	kb *k = s->b->k;
	mdg_rc rc = MDG_OK;
	for (size_t i = 0; i < n && rc == MDG_OK; i++) {
		char *norm = NULL;
		size_t nn = 0;
		mdg_buf terms = {0};
		rc = nlp_norm(phrases[i], strlen(phrases[i]), &norm, &nn, s->b->err);
		termset ts = {.readings = &s->b->readings, .set = &terms};
		if (rc == MDG_OK)
			rc = nlp_tagger_terms(kb_tagger(k), norm, nn, collect_term, &ts);
		if (rc == MDG_OK)
			rc = ts.rc;
		/* A phrase whose one term spans under half of it (持っていくもの
		 * is 持つ, 必要なもの is 必要) stands for the group only where a
		 * message has the whole phrase: a tab after its terms says so
		 * (the search's syn_phrase.whole). */
		if (rc == MDG_OK && ts.nterms == 1 && ts.covered * 2 <= nn)
			rc = mdg_buf_adds(&terms, "\t");
		if (rc == MDG_OK && terms.len > 0) {
			sqlite3_bind_int64(s->ins, 1, s->b->version);
			sqlite3_bind_int64(s->ins, 2, (sqlite3_int64)group);
			sqlite3_bind_text(s->ins, 3, norm, -1, SQLITE_STATIC);
			sqlite3_bind_text(s->ins, 4, terms.data, -1, SQLITE_STATIC);
			rc = step_done(k, s->ins, s->b->err);
		}
		free(norm);
		mdg_buf_free(&terms);
	}
	return rc;
}

mdg_rc kb_version_add_synonyms(kb_version_builder *b, const char *path, char **err)
{
	syn_ctx s = {.b = b};
	s.ins = kb_stmt(b->k,
			"INSERT INTO synonyms(version_id, grp, phrase, terms) "
			"VALUES(?1, ?2, ?3, ?4)",
			err);
	if (s.ins == NULL)
		return MDG_ERR_DB;
	return nlp_synonyms_load(path, add_group, &s, err);
}

/* Deletes every trace of one version. */
static mdg_rc drop_version(kb *k, int64_t v, char **err)
{
	static const char *const tables[] = {"qa", "terms", "readings", "synonyms"};
	char sql[256];
	mdg_rc rc = MDG_OK;
	for (size_t i = 0; i < sizeof tables / sizeof *tables && rc == MDG_OK; i++) {
		snprintf(sql, sizeof sql, "DELETE FROM %s WHERE version_id=%lld",
			 tables[i], (long long)v);
		rc = kb_exec(k, sql, err);
	}
	char name[32];
	kb_version_fts_name(v, name, sizeof name);
	snprintf(sql, sizeof sql, "DROP TABLE IF EXISTS %s", name);
	if (rc == MDG_OK)
		rc = kb_exec(k, sql, err);
	snprintf(sql, sizeof sql, "DELETE FROM versions WHERE id=%lld", (long long)v);
	if (rc == MDG_OK)
		rc = kb_exec(k, sql, err);
	return rc;
}

double kb_idf(int64_t df, int64_t ndocs)
{
	double n = (double)ndocs, d = (double)df;
	return log((n - d + 0.5) / (d + 0.5) + 1.0);
}

/* Words of the request frame: how a resident asks (教えて, 知りたい, 方法,
 * 仕方), not what they need. Every FAQ question is phrased with them, so
 * matching one says little about which Q&A answers the message. */
static const char *const frame_words[] = {
	"教える", "知る", "方法", "仕方", "しかた", "やり方", "やりかた", "分かる",
	"わかる", "大丈夫", "可能", "どう", "場合", "際", "とき", "時", NULL};
#define FRAME_WEIGHT 0.3

double kb_term_weight(const char *term, int64_t df, int64_t ndocs)
{
	double w = kb_idf(df, ndocs);
	for (int i = 0; frame_words[i]; i++)
		if (strcmp(term, frame_words[i]) == 0)
			return w * FRAME_WEIGHT;
	return w;
}

/* Stores each question's IDF mass (needs the final document frequencies). */
static mdg_rc store_qidf(kb_version_builder *b, char **err)
{
	kb *k = b->k;
	sqlite3_stmt *sel = kb_stmt(k, "SELECT id, qterms FROM qa WHERE version_id=?1",
				    err);
	if (sel == NULL)
		return MDG_ERR_DB;
	sqlite3_stmt *upd = NULL;
	if (sqlite3_prepare_v2(kb_sqlite(k), "UPDATE qa SET qidf=?2 WHERE id=?1", -1,
			       &upd, NULL) != SQLITE_OK)
		return mdg_fail(err, MDG_ERR_DB, "%s", sqlite3_errmsg(kb_sqlite(k)));
	sqlite3_bind_int64(sel, 1, b->version);
	mdg_rc rc = MDG_OK;
	while (rc == MDG_OK && sqlite3_step(sel) == SQLITE_ROW) {
		char buf[4096];
		snprintf(buf, sizeof buf, "%s", sqlite3_column_text(sel, 1));
		double sum = 0;
		char *save = NULL;
		for (char *t = strtok_r(buf, " ", &save); t; t = strtok_r(NULL, " ", &save))
			sum += kb_term_weight(t, kb_strtab_get(&b->df, t), b->ndocs);
		sqlite3_bind_int64(upd, 1, sqlite3_column_int64(sel, 0));
		sqlite3_bind_double(upd, 2, sum);
		rc = step_done(k, upd, err);
	}
	sqlite3_reset(sel);
	sqlite3_finalize(upd);
	return rc;
}

mdg_rc kb_version_commit(kb_version_builder *b, int64_t *version, char **err)
{
	kb *k = b->k;
	mdg_rc rc = MDG_OK;
	sqlite3_stmt *st = kb_stmt(k,
				   "INSERT INTO terms(version_id, term, df) "
				   "VALUES(?1, ?2, ?3)",
				   err);
	if (st == NULL)
		return MDG_ERR_DB;
	for (size_t i = 0; i < b->df.cap && rc == MDG_OK; i++) {
		if (!b->df.e[i].key)
			continue;
		sqlite3_bind_int64(st, 1, b->version);
		sqlite3_bind_text(st, 2, b->df.e[i].key, -1, SQLITE_STATIC);
		sqlite3_bind_int64(st, 3, b->df.e[i].count);
		rc = step_done(k, st, err);
	}
	st = rc == MDG_OK ? kb_stmt(k,
				    "INSERT OR IGNORE INTO readings(version_id, reading, term) "
				    "VALUES(?1, ?2, ?3)",
				    err)
			  : NULL;
	if (rc == MDG_OK && st == NULL)
		return MDG_ERR_DB;
	for (size_t i = 0; i < b->readings.cap && rc == MDG_OK; i++) {
		const char *pair = b->readings.e[i].key;
		const char *tab = pair ? strchr(pair, '\t') : NULL;
		if (tab == NULL)
			continue;
		sqlite3_bind_int64(st, 1, b->version);
		sqlite3_bind_text(st, 2, pair, (int)(tab - pair), SQLITE_STATIC);
		sqlite3_bind_text(st, 3, tab + 1, -1, SQLITE_STATIC);
		rc = step_done(k, st, err);
	}
	if (rc == MDG_OK)
		rc = store_qidf(b, err);
	if (rc != MDG_OK)
		return rc;
	char sql[512], name[32];
	/* One index segment: a search then reads each term's postings from
	 * one b-tree instead of merging the segments the import flushed. */
	kb_version_fts_name(b->version, name, sizeof name);
	snprintf(sql, sizeof sql, "INSERT INTO %s(%s) VALUES('optimize')", name, name);
	if ((rc = kb_exec(k, sql, err)) != MDG_OK)
		return rc;
	snprintf(sql, sizeof sql,
		 "UPDATE versions SET n_qa=%lld WHERE id=%lld;"
		 "UPDATE bots SET previous_version=active_version, "
		 "active_version=%lld WHERE id=%lld;",
		 (long long)b->ndocs, (long long)b->version, (long long)b->version,
		 (long long)b->bot_id);
	if ((rc = kb_exec(k, sql, err)) != MDG_OK)
		return rc;
	st = kb_stmt(k,
		     "INSERT INTO meta(key, value) VALUES('dicdir', ?1) "
		     "ON CONFLICT(key) DO UPDATE SET value=excluded.value",
		     err);
	if (st == NULL)
		return MDG_ERR_DB;
	sqlite3_bind_text(st, 1, nlp_model_dicdir(kb_model(k)), -1, SQLITE_STATIC);
	if ((rc = step_done(k, st, err)) != MDG_OK)
		return rc;
	/* Keep the active and the previous version; drop the rest. */
	st = kb_stmt(k,
		     "SELECT v.id FROM versions v JOIN bots b ON b.id = v.bot_id "
		     "WHERE b.id=?1 AND v.id NOT IN (b.active_version, "
		     "b.previous_version)",
		     err);
	if (st == NULL)
		return MDG_ERR_DB;
	sqlite3_bind_int64(st, 1, b->bot_id);
	int64_t old[16];
	size_t nold = 0;
	while (sqlite3_step(st) == SQLITE_ROW && nold < 16)
		old[nold++] = sqlite3_column_int64(st, 0);
	sqlite3_reset(st);
	for (size_t i = 0; i < nold && rc == MDG_OK; i++)
		rc = drop_version(k, old[i], err);
	if (rc == MDG_OK)
		*version = b->version;
	return rc;
}

void kb_version_abort(kb_version_builder *b)
{
	if (b == NULL)
		return;
	sqlite3_finalize(b->ins_fts);
	kb_strtab_free(&b->df);
	kb_strtab_free(&b->readings);
	free(b);
}
