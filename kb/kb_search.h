/* kb_search.h — ranking Q&A for a user's message.
 *
 * 1. The message is normalised and split into content-word terms (MeCab);
 *    hiragana runs MeCab cannot read are matched against the readings of
 *    the knowledge base's own vocabulary (「じどうしゃぜい」→ 自動車 税), and
 *    so are katakana words it does not have (ﾅﾝﾋﾞｮｳ → 難病);
 *    synonym phrases found in the message add their alternatives.
 * 2. FTS5 OR-query over the rarest terms (within a postings budget), scored
 *    term at a time by mdg_topk (kb_fts_score.h: BM25 with field weights,
 *    question and alternative questions above keywords, category and
 *    answer), top 30.
 * 3. Re-rank by query–question similarity: IDF-weighted coverage of the
 *    message's concepts by the question fields and by the whole Q&A, the
 *    share of the question the message covers, and the FTS5 score.
 * 4. Decision from the top score and its margin over the runner-up:
 *    answer, candidates ("did you mean", top 3) or none (general counter);
 *    a message mostly made of words the knowledge base has never seen
 *    (greetings, other topics) is declined whatever its best hit, and so
 *    is an uncertain one whose main subject — a word carrying more than
 *    half of its weight — is not what the best question is about
 *    (「住民票の写しを取りたい」 against 「パスポートの申請に住民票は要りますか」). */
#ifndef KB_SEARCH_H
#define KB_SEARCH_H

#include "kb.h"

typedef enum kb_decision {
	KB_DECISION_NONE = 0,
	KB_DECISION_CANDIDATES,
	KB_DECISION_ANSWER
} kb_decision;

/* "none", "candidates", "answer". */
const char *kb_decision_name(kb_decision d);

typedef struct kb_search_opts {
	size_t top;                 /* results to return (1..100) */
	double answer_threshold;    /* top score needed to answer outright */
	double answer_margin;       /* ... and its lead over the runner-up */
	double candidate_threshold; /* top score needed to offer candidates */
	double min_known_share;     /* decline if less of the message is known */
	double max_missing_subject; /* decline "candidates" whose best question
				     * misses a word weighing more than this
				     * share of the message (1: never) */
	const char *prefer_category; /* conversation context, may be NULL */
	int64_t version; /* > 0: the bot's active version, read by the caller in
			  * the read transaction (kb_read_begin) the search runs
			  * in; 0: the search reads the bot itself */
} kb_search_opts;

#define KB_SEARCH_DEFAULT_TOP 10
#define KB_SEARCH_DEFAULT_ANSWER 0.52
#define KB_SEARCH_DEFAULT_MARGIN 0.08
#define KB_SEARCH_DEFAULT_CANDIDATE 0.20
#define KB_SEARCH_DEFAULT_KNOWN 0.30
#define KB_SEARCH_DEFAULT_MISSING 0.50
#define KB_SEARCH_MAX_QUERY_BYTES 8192

/* Fills o with the defaults above. */
void kb_search_opts_init(kb_search_opts *o);

typedef struct kb_hit {
	int64_t rowid;  /* qa.id (internal) */
	char *ext_id;   /* the spreadsheet's id */
	char *question;
	char *category;
	char *flow;     /* "" when none */
	double score;   /* re-ranked score, 0..~1.2 */
	double missing; /* IDF share of the message's heaviest known word (or
			 * synonym group) the question fields lack */
	double qcov;    /* share of the message the question fields match */
} kb_hit;

typedef struct kb_result {
	kb_decision decision;
	kb_hit *hits;
	size_t nhits;
	int64_t version; /* knowledge-base version searched */
	double known_share; /* IDF share of the message the knowledge base knows */
	char *norm_query; /* the normalised message */
	int cached; /* 1: a copy from the connection's result cache */
} kb_result;

/* Searches bot's active version. MDG_ERR_NOTFOUND for an unknown bot or one
 * with nothing imported, MDG_ERR_UTF8 / MDG_ERR_INVALID / MDG_ERR_TOOBIG for
 * bad messages. *out is owned by the caller (kb_result_free). */
mdg_rc kb_search(kb *k, const char *bot, const char *query, size_t qlen,
		 const kb_search_opts *o, kb_result **out, char **err);
void kb_result_free(kb_result *r);

/* Keeps the results of up to `entries` recent distinct messages on this
 * connection (kb_rcache.h); 0, the default, turns the cache off. */
mdg_rc kb_search_cache_results(kb *k, size_t entries);

/* A whole Q&A row of a version. Strings are owned by the struct. */
typedef struct kb_qa {
	int64_t rowid;
	char *ext_id, *question, *answer, *alt_questions, *category, *department,
		*contact, *url, *keywords, *flow;
} kb_qa;

/* Looks up a Q&A by external id in the bot's active version. */
mdg_rc kb_qa_get(kb *k, const char *bot, const char *ext_id, kb_qa **out,
		 char **err);
void kb_qa_free(kb_qa *q);

#endif
