/* test_tok.c — MeCab terms with both Debian dictionaries, and the FTS5
 * tokenizer through SQL. */
#include <sqlite3.h>
#include <stdlib.h>

#include "../../kb/kb_fts_score.h"
#include "../../kb/kb_version.h"
#include "../../nlp/fts5_mecab.h"
#include "../../nlp/norm.h"
#include "../../nlp/tok.h"
#include "tap.h"

typedef struct collected {
	char terms[1024];
	char readings[1024];
	char predicates[1024]; /* the terms flagged as verbs or adjectives */
} collected;

static int collect(void *p, const nlp_term *t)
{
	collected *c = p;
	size_t n = strlen(c->terms), m = strlen(c->readings);
	snprintf(c->terms + n, sizeof c->terms - n, "%s%.*s", n ? " " : "", (int)t->len,
		 t->term);
	snprintf(c->readings + m, sizeof c->readings - m, "%s%s", m ? " " : "",
		 t->reading[0] ? t->reading : "-");
	size_t v = strlen(c->predicates);
	if (t->predicate)
		snprintf(c->predicates + v, sizeof c->predicates - v, "%s%.*s",
			 v ? " " : "", (int)t->len, t->term);
	return 0;
}

static void terms_of(nlp_tagger *t, const char *text, collected *c)
{
	memset(c, 0, sizeof *c);
	char *norm = NULL;
	size_t n = 0;
	nlp_norm(text, strlen(text), &norm, &n, NULL);
	nlp_tagger_terms(t, norm, n, collect, c);
	free(norm);
}

static int has_word(const char *list, const char *w)
{
	size_t n = strlen(w);
	for (const char *p = strstr(list, w); p; p = strstr(p + 1, w))
		if ((p == list || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\0'))
			return 1;
	return 0;
}

static void dictionary_tests(const char *dicdir, nlp_dict_kind kind)
{
	char name[256];
	nlp_model *m = NULL;
	char *err = NULL;
	mdg_rc rc = nlp_model_open(dicdir, &m, &err);
	snprintf(name, sizeof name, "%s loads", dicdir);
	CHECK(rc == MDG_OK, name);
	if (rc != MDG_OK) {
		free(err);
		return;
	}
	CHECK(nlp_model_kind(m) == kind, "dictionary kind detected from features");
	nlp_tagger *t = NULL;
	CHECK(nlp_tagger_new(m, &t, NULL) == MDG_OK, "tagger created");
	collected c;
	/* Auxiliaries of conjugation: でき「なく」なった (no verb なくなる there),
	 * 予約し「たい」; がなくなった is the verb なくなる. */
	{
		static const struct {
			const char *text, *tail; /* an auxiliary starts the tail */
			int aux;
		} aux[] = {{"ログインできなくなった", "なくなった", 1},
			   {"会議室を予約したい", "たい", 1},
			   {"財布がなくなった", "なくなった", 0}};
		for (size_t i = 0; i < sizeof aux / sizeof *aux; i++) {
			nlp_span sp[8];
			size_t n = 0, at = strlen(aux[i].text) - strlen(aux[i].tail);
			mdg_rc arc = nlp_tagger_aux_spans(t, aux[i].text, strlen(aux[i].text), sp,
							  8, &n);
			int found = 0;
			for (size_t j = 0; j < n; j++)
				found |= sp[j].start == at && sp[j].end > at;
			snprintf(name, sizeof name, "%s: %s", aux[i].text,
				 aux[i].aux ? "an auxiliary starts its ending"
					    : "なくなる is a verb, not an auxiliary");
			CHECK(arc == MDG_OK && found == aux[i].aux, name);
		}
	}
	terms_of(t, "パスワードを忘れたので再発行してください。", &c);
	CHECK(has_word(c.terms, "パスワード"), "noun is a term");
	CHECK(has_word(c.terms, "忘れる"), "verb indexed by its base form");
	CHECK(!has_word(c.terms, "を") && !has_word(c.terms, "ので"),
	      "particles are not terms");
	for (int pass = 0; pass < 2; pass++) { /* the second from the memo */
		terms_of(t, "古いパスワードを忘れたので再発行してください。", &c);
		CHECK(has_word(c.predicates, "忘れる") &&
			      (has_word(c.predicates, "古い") || has_word(c.predicates, "古い-old")) &&
			      !has_word(c.predicates, "パスワード") &&
			      !has_word(c.predicates, "再発行"),
		      pass ? "predicate flags kept by the memo"
			   : "verbs and adjectives are flagged predicates, nouns not");
	}
	CHECK(!has_word(c.terms, "する") && !has_word(c.terms, "為る"),
	      "empty verb する is not a term");
	terms_of(t, "ＡＥＤの場所とe-Taxとwi-fi", &c);
	CHECK(has_word(c.terms, "aed"), "full-width ASCII word is one term");
	CHECK(has_word(c.terms, "e-tax") && has_word(c.terms, "wi-fi"),
	      "hyphenated ASCII words kept whole");
	terms_of(t, "合計100MBまで、A4の用紙", &c);
	CHECK(has_word(c.terms, "100mb") && has_word(c.terms, "mb"),
	      "a number with a unit is also the unit");
	CHECK(has_word(c.terms, "a4") && !has_word(c.terms, "a"),
	      "letters then digits stay one term");
	terms_of(t, "燃えないごみの日", &c);
	CHECK(has_word(c.terms, "燃えない") && !has_word(c.terms, "燃える"),
	      "a verb negated before a noun keeps its negation (燃えないごみ)");
	terms_of(t, "燃えるごみの日", &c);
	CHECK(has_word(c.terms, "燃える") && !has_word(c.terms, "燃えない"),
	      "燃えるごみ stays 燃える");
	terms_of(t, "書類が届かない", &c);
	CHECK(has_word(c.terms, "届く"), "a negated predicate keeps the verb's lemma");
	terms_of(t, "サーバーとサーバ、コピー", &c);
	CHECK(has_word(c.terms, "サーバ") && !has_word(c.terms, "サーバー") &&
		      has_word(c.terms, "コピー"),
	      "サーバー and サーバ are one term; short words keep their ー");
	terms_of(t, "試験はいつですか", &c);
	CHECK((has_word(c.terms, "いつ") || has_word(c.terms, "何時")) &&
		      has_word(c.terms, "試験"),
	      "「〜はいつ」 keeps いつ (IPADIC reads は+い+つ; UniDic's lemma is 何時)");
	terms_of(t, "手当はいくら支給されますか", &c);
	CHECK((has_word(c.terms, "いくら") || has_word(c.terms, "幾ら")) &&
		      has_word(c.terms, "支給"),
	      "the interrogative adverb いくら (before a word) is a term");
	terms_of(t, "手数料はいくらですか", &c);
	CHECK(has_word(c.terms, "いくら") || has_word(c.terms, "幾ら"),
	      "いくら before a particle is the same term");
	terms_of(t, "申請から何日かかりますか。何回まで受けられる", &c);
	CHECK(has_word(c.terms, "何日") && has_word(c.terms, "何回") &&
		      !has_word(c.terms, "日") && !has_word(c.terms, "回"),
	      "何 and its counter (何日, 何回) are one term");
	CHECK(strstr(c.readings, "ナンニチ") != NULL || strstr(c.readings, "ナンカイ") != NULL,
	      "the pair is read as one word");
	terms_of(t, "初めて申請する", &c);
	CHECK(has_word(c.terms, "初めて"), "初めて (a first application) is a term");
	terms_of(t, "すぐに返信する", &c);
	CHECK(!has_word(c.terms, "すぐ") && !has_word(c.terms, "直ぐ"),
	      "other adverbs are not terms");
	terms_of(t, "自動車税", &c);
	CHECK(strstr(c.readings, "ジドウ") != NULL, "readings are katakana");
	if (kind == NLP_DICT_IPADIC) {
		terms_of(t, "手当をもらう", &c);
		CHECK(has_word(c.terms, "もらう"), "IPADIC: もらう as a main verb is a term");
		terms_of(t, "書類を送ってもらう", &c);
		CHECK(!has_word(c.terms, "もらう") && has_word(c.terms, "送る"),
		      "IPADIC: 〜てもらう is an auxiliary, not a term");
		terms_of(t, "申請出来ますか。送って頂けますか。よく分からない", &c);
		CHECK(!has_word(c.terms, "出来る") && !has_word(c.terms, "頂ける") &&
			      !has_word(c.terms, "分かる") && has_word(c.terms, "申請"),
		      "IPADIC: kanji spellings of empty verbs (出来る, 頂ける) are not terms");
	}
	if (kind == NLP_DICT_UNIDIC) {
		collected a, b;
		terms_of(t, "申込の方法", &a);
		terms_of(t, "申込みの方法", &b);
		CHECK(has_word(a.terms, "申し込み") && has_word(b.terms, "申し込み"),
		      "UniDic lemma unifies 申込/申し込み");
		terms_of(t, "引越し", &a);
		terms_of(t, "引っ越し", &b);
		CHECK_STR(a.terms, b.terms, "UniDic lemma unifies 引越し/引っ越し");
	}
	nlp_tagger_free(t);
	nlp_model_close(m);
}

static void fts5_tests(void)
{
	nlp_model *m = NULL;
	CHECK(nlp_model_open(NULL, &m, NULL) == MDG_OK, "default dictionary loads");
	if (!m)
		return;
	sqlite3 *db = NULL;
	sqlite3_open(":memory:", &db);
	CHECK(nlp_fts5_register(db, m, NULL, NULL) == MDG_OK, "tokenizer registered");
	int rc = sqlite3_exec(db,
			      "CREATE VIRTUAL TABLE t USING fts5(body, tokenize='mecab');"
			      "INSERT INTO t(rowid, body) VALUES(1, 'パスワードを忘れた場合の再設定');"
			      "INSERT INTO t(rowid, body) VALUES(2, '自動車税の納付方法');",
			      NULL, NULL, NULL);
	CHECK(rc == SQLITE_OK, "FTS5 table with mecab tokenizer");
	sqlite3_stmt *st = NULL;
	sqlite3_prepare_v2(db, "SELECT rowid FROM t WHERE t MATCH ?1", -1, &st, NULL);
	sqlite3_bind_text(st, 1, "\"忘れる\"", -1, SQLITE_STATIC);
	CHECK(sqlite3_step(st) == SQLITE_ROW && sqlite3_column_int(st, 0) == 1,
	      "base form matches the inflected document word");
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, "\"納付\" OR \"パスワード\"", -1, SQLITE_STATIC);
	int n = 0;
	while (sqlite3_step(st) == SQLITE_ROW)
		n++;
	CHECK(n == 2, "OR query over terms");
	sqlite3_reset(st);
	sqlite3_bind_text(st, 1, "\"を\"", -1, SQLITE_STATIC);
	CHECK(sqlite3_step(st) == SQLITE_DONE, "particles are not indexed");
	sqlite3_finalize(st);
	sqlite3_stmt *vt = NULL;
	rc = sqlite3_exec(db, "CREATE VIRTUAL TABLE v USING fts5vocab(t, 'row');", NULL,
			  NULL, NULL);
	sqlite3_prepare_v2(db, "SELECT count(*) FROM v WHERE term IN ('の','を','た')", -1,
			   &vt, NULL);
	CHECK(rc == SQLITE_OK && sqlite3_step(vt) == SQLITE_ROW &&
		      sqlite3_column_int(vt, 0) == 0,
	      "vocabulary has no function words");
	sqlite3_finalize(vt);
	sqlite3_close(db);
	nlp_model_close(m);
}

/* sql prepared with ?1 = match and ?2 = the parameter blob p. */
static sqlite3_stmt *match_stmt(sqlite3 *db, const char *sql, const char *match,
				const kb_fts_params *p)
{
	sqlite3_stmt *st = NULL;
	sqlite3_prepare_v2(db, sql, -1, &st, NULL);
	sqlite3_bind_text(st, 1, match, -1, SQLITE_STATIC);
	sqlite3_bind_blob(st, 2, p, (int)kb_fts_params_size(p), SQLITE_STATIC);
	return st;
}

/* Scores of the rows matching `match` with params p, by rowid (0 where a
 * row did not match); returns the step's final result code. */
static int scores(sqlite3 *db, const char *match, const kb_fts_params *p,
		  double out[4])
{
	sqlite3_stmt *st = match_stmt(
		db, "SELECT rowid, mdg_score(s, ?2) FROM s WHERE s MATCH ?1", match, p);
	memset(out, 0, 4 * sizeof *out);
	int rc;
	while ((rc = sqlite3_step(st)) == SQLITE_ROW)
		out[sqlite3_column_int(st, 0) & 3] = sqlite3_column_double(st, 1);
	sqlite3_finalize(st);
	return rc;
}

/* mdg_topk over `match`: the number of candidates copied to out (at most
 * 4), or -1 on an error. */
static int topk(sqlite3 *db, const char *match, const kb_fts_params *p, int k,
		kb_fts_hit out[4])
{
	sqlite3_stmt *st = match_stmt(
		db, "SELECT mdg_topk(s, ?2, ?3) FROM s WHERE s MATCH ?1 LIMIT 1", match, p);
	sqlite3_bind_int(st, 3, k);
	int n = 0, rc = sqlite3_step(st);
	if (rc == SQLITE_ROW) {
		n = sqlite3_column_bytes(st, 0) / (int)sizeof *out;
		if (n > 4)
			n = 4;
		memcpy(out, sqlite3_column_blob(st, 0), (size_t)n * sizeof *out);
	} else if (rc != SQLITE_DONE) {
		n = -1;
	}
	sqlite3_finalize(st);
	return n;
}

static void score_tests(void)
{
	nlp_model *m = NULL;
	if (nlp_model_open(NULL, &m, NULL) != MDG_OK)
		return;
	sqlite3 *db = NULL;
	sqlite3_open(":memory:", &db);
	CHECK(nlp_fts5_register(db, m, NULL, NULL) == MDG_OK &&
		      kb_fts_score_register(db, NULL) == MDG_OK,
	      "mdg_score registered");
	int rc = sqlite3_exec(
		db,
		"CREATE VIRTUAL TABLE s USING fts5(question, alt, keywords, category,"
		" answer, tokenize='mecab', content='');"
		"INSERT INTO s(rowid, question, alt, keywords, category, answer) VALUES"
		"(1, '自動車税の納付方法', '', '', '税', '銀行で払えます'),"
		"(2, '住所の変更', '', '', '届出', '自動車税の通知も変わります'),"
		"(3, '自動車税の納付期限', '', '', '税', '納付は5月末まで。納付書で');",
		NULL, NULL, NULL);
	CHECK(rc == SQLITE_OK, "contentless table with five columns");
	kb_fts_params p = {.weight = {4, 3, 2, 1, 1}, .nphrases = 1, .idf = {1.0}};
	double s[4];
	CHECK(scores(db, "\"自動車\"", &p, s) == SQLITE_DONE && s[1] > s[2] && s[2] > 0,
	      "a question match outscores an answer match");
	p.nphrases = 2;
	p.idf[1] = 0.5;
	CHECK(scores(db, "\"自動車\" OR \"納付\"", &p, s) == SQLITE_DONE &&
		      s[3] > s[1] && s[1] > s[2],
	      "more phrases and more occurrences score higher");
	double given[4];
	p.idf[1] = kb_idf(2, 3);
	scores(db, "\"自動車\" OR \"納付\"", &p, given);
	p.idf[1] = -1;
	CHECK(scores(db, "\"自動車\" OR \"納付\"", &p, s) == SQLITE_DONE &&
		      s[3] == given[3] && s[1] == given[1],
	      "a negative idf is counted from the index");
	/* mdg_topk: the same scores, best first, one call for the match. */
	kb_fts_hit top[4];
	int nt = topk(db, "\"自動車\" OR \"納付\"", &p, 3, top);
	CHECK(nt == 3 && top[0].rowid == 3 && top[1].rowid == 1 && top[2].rowid == 2 &&
		      top[0].score == s[3] && top[1].score == s[1] && top[2].score == s[2],
	      "mdg_topk ranks the whole match as mdg_score scores it");
	nt = topk(db, "\"自動車\" OR \"納付\"", &p, 2, top);
	CHECK(nt == 2 && top[0].rowid == 3 && top[1].rowid == 1, "mdg_topk keeps the k best");
	p.nphrases = 1;
	p.idf[0] = 1.0;
	CHECK(topk(db, "\"登録\"", &p, 3, top) == 0, "no match: no candidates");
	/* Many queries on one connection reuse its accumulator. */
	int same = 1;
	for (int i = 0; i < 300 && same; i++) {
		p.nphrases = 1 + i % 2;
		p.idf[1] = 0.5;
		nt = topk(db, i % 2 ? "\"自動車\" OR \"納付\"" : "\"自動車\"", &p, 3, top);
		same = i % 2 ? nt == 3 && top[0].rowid == 3 : nt == 3 && top[0].rowid == 1;
	}
	CHECK(same, "300 alternating queries on one connection rank alike");
	CHECK(topk(db, "\"自動車\" OR \"納付\"", &p, 0, top) == -1 &&
		      strstr(sqlite3_errmsg(db), "do not fit"),
	      "mdg_topk refuses k = 0");
	p.nphrases = 1;
	CHECK(topk(db, "\"自動車\" OR \"納付\"", &p, 3, top) == -1,
	      "mdg_topk refuses parameters for another query");
	CHECK(scores(db, "\"自動車\" OR \"納付\"", &p, s) == SQLITE_ERROR &&
		      strstr(sqlite3_errmsg(db), "do not fit"),
	      "parameters for another query are an error, not a wrong score");
	/* 3,000 more matching rows: the accumulator grows mid-query. */
	rc = sqlite3_exec(db,
			  "WITH RECURSIVE c(x) AS (SELECT 10 UNION ALL SELECT x + 1 FROM c"
			  " WHERE x < 3009) INSERT INTO s(rowid, question, alt, keywords,"
			  " category, answer) SELECT x, '', '', '', '', '自動車' FROM c;",
			  NULL, NULL, NULL);
	p.idf[0] = 1.0;
	nt = topk(db, "\"自動車\"", &p, 3, top);
	CHECK(rc == SQLITE_OK && nt == 3 && top[0].rowid == 1 && top[1].rowid == 3 &&
		      top[2].rowid == 2,
	      "3,003 matching rows: question matches first, ties by rowid");
	sqlite3_close(db);
	nlp_model_close(m);
}

int main(void)
{
	dictionary_tests("/var/lib/mecab/dic/unidic", NLP_DICT_UNIDIC);
	dictionary_tests("/var/lib/mecab/dic/ipadic-utf8", NLP_DICT_IPADIC);
	nlp_model *m = NULL;
	char *err = NULL;
	CHECK(nlp_model_open("/nonexistent/dic", &m, &err) == MDG_ERR_MECAB && m == NULL,
	      "missing dictionary is a clear error");
	CHECK(err && strstr(err, "/nonexistent/dic"), "error names the directory");
	free(err);
	fts5_tests();
	score_tests();
	return tap_done();
}
