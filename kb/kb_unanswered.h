/* kb_unanswered.h — grouping the questions a bot could not answer.
 *
 * The knowledge editors' to-do list: messages that ended in the general
 * counter or in "did you mean" are grouped by similarity, counted and
 * paired with the closest existing Q&A, most frequent first.
 *
 * Similarity uses the same analysis as search: normalised text and its
 * MeCab content-word terms. Two messages are similar when their term sets
 * overlap with Jaccard >= 1/2, or share at least two terms with
 * Jaccard >= 1/3 (so 「ドローンの飛行許可を取りたい」 and
 * 「ドローンを飛ばす許可が欲しい」 group, 「ペットの火葬」 and
 * 「ペットの登録」 do not). A message without any term is compared by its
 * whole text. Clustering is greedy: distinct messages, most frequent first,
 * join the most similar group (compared with the group's representative,
 * its most frequent message) or start a new one. The work is bounded: at
 * most KB_UNANSWERED_MAX_ITEMS distinct messages, candidate groups are
 * found through an inverted index of the representatives' terms. */
#ifndef KB_UNANSWERED_H
#define KB_UNANSWERED_H

#include <stdint.h>

#include "kb.h"

#define KB_UNANSWERED_MAX_ITEMS  5000 /* distinct messages considered */
#define KB_UNANSWERED_MAX_GROUPS 1000 /* groups returned at most */

/* One distinct message as logged (normalised and masked). */
typedef struct kb_unanswered_item {
	const char *text;
	size_t count;    /* times it was asked (>= 1) */
	int64_t last_ts; /* unix seconds of the last time */
} kb_unanswered_item;

typedef struct kb_unanswered_group {
	size_t count; /* messages in the group (sum of its items' counts) */
	int64_t last_ts;
	size_t *items; /* indices into the input, most frequent first;
	                  items[0] is the representative */
	size_t nitems;
	/* The closest existing Q&A for the representative (top search hit,
	 * whatever its decision); qa_id NULL when nothing matched. */
	char *qa_id, *qa_question;
	double qa_score;
} kb_unanswered_group;

typedef struct kb_unanswered {
	kb_unanswered_group *groups; /* most frequent first */
	size_t ngroups;
	size_t total;         /* messages in all groups, including groups cut off by
	                         max_groups */
	size_t ntotal_groups; /* groups before the cut */
} kb_unanswered;

/* Groups items[0..n) (only the first KB_UNANSWERED_MAX_ITEMS; pass the
 * most frequent first) using k's MeCab tagger, keeps the max_groups
 * (1..KB_UNANSWERED_MAX_GROUPS) most frequent groups and, when bot is not
 * NULL, finds each one's closest Q&A in bot's active version. *out is
 * owned by the caller (kb_unanswered_free); items must outlive nothing. */
mdg_rc kb_unanswered_build(kb *k, const char *bot, const kb_unanswered_item *items,
                           size_t n, size_t max_groups, kb_unanswered **out, char **err);

void kb_unanswered_free(kb_unanswered *u);

/* The similarity rule above, for term sets of sizes na and nb sharing
 * common terms: 1 if similar. */
int kb_unanswered_similar(size_t common, size_t na, size_t nb);

#endif
