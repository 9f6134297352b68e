/* test_unanswered.c — grouping unanswered messages: the similarity rule,
 * paraphrases grouped and unrelated messages kept apart, counts and order,
 * the closest existing Q&A, bounds and odd input. */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "../../kb/kb_import.h"
#include "../../kb/kb_unanswered.h"
#include "tap.h"

static mdg_rc import_kb(kb *k)
{
	static const char tsv[] =
	    "id\tquestion\tanswer\n"
	    "LIB-1\t県立図書館の開館時間を教えてください\t9時から19時です\n"
	    "PAS-1\tパスポートの申請に必要な書類は何ですか\t申請書と戸籍謄本です\n"
	    "DRN-1\tドローン教室の申し込み方法\t教室のページからどうぞ\n";
	sheet *s = NULL;
	kb_report *rep = NULL;
	kb_import_opts o = {0};
	mdg_rc rc = sheet_read_mem(tsv, sizeof tsv - 1, SHEET_TSV, NULL, &s, NULL);
	if (rc == MDG_OK)
		rc = kb_import(k, "pref", s, &o, &rep, NULL);
	kb_report_free(rep);
	sheet_free(s);
	return rc;
}

/* Index of the group whose representative is text, or -1. */
static int group_of(const kb_unanswered *u, const kb_unanswered_item *items,
                    const char *text)
{
	for (size_t g = 0; g < u->ngroups; g++)
		for (size_t i = 0; i < u->groups[g].nitems; i++)
			if (strcmp(items[u->groups[g].items[i]].text, text) == 0)
				return (int)g;
	return -1;
}

static void rule_tests(void)
{
	CHECK(kb_unanswered_similar(2, 2, 2), "identical sets are similar");
	CHECK(kb_unanswered_similar(1, 1, 2), "J = 1/2 is similar");
	CHECK(!kb_unanswered_similar(1, 2, 2), "one shared term of 3 is not");
	CHECK(kb_unanswered_similar(2, 4, 4), "two shared terms, J = 1/3, are similar");
	CHECK(!kb_unanswered_similar(2, 5, 5), "two shared of 8 are not");
	CHECK(!kb_unanswered_similar(0, 3, 3), "nothing shared is not similar");
	CHECK(!kb_unanswered_similar(0, 0, 0), "empty sets are not similar");
}

static void grouping_tests(kb *k)
{
	const kb_unanswered_item items[] = {
	    {"ペットの火葬について", 2, 100},
	    {"ドローンの飛行許可を取りたい", 3, 200},
	    {"ドローンを飛ばす許可が欲しい", 2, 300},
	    {"ペットの登録", 1, 50},
	    {"ドローン 飛行許可", 1, 10},
	    {"こんにちは", 4, 400},
	    {"", 1, 1},
	    {"ペットの火葬について", 1, 500}, /* the same text twice is fine */
	};
	size_t n = sizeof items / sizeof *items;
	kb_unanswered *u = NULL;
	char *err = NULL;
	mdg_rc rc = kb_unanswered_build(k, "pref", items, n, 100, &u, &err);
	CHECK(rc == MDG_OK, "group");
	if (rc != MDG_OK) {
		printf("# %s\n", err ? err : mdg_strerror(rc));
		free(err);
		return;
	}
	CHECK(u->total == 15, "total counts every message");
	int drone = group_of(u, items, "ドローンの飛行許可を取りたい");
	CHECK(drone == 0, "paraphrases grouped, most frequent group first");
	CHECK(drone == group_of(u, items, "ドローンを飛ばす許可が欲しい") &&
	          drone == group_of(u, items, "ドローン 飛行許可"),
	      "all three drone messages in one group");
	CHECK(drone >= 0 && u->groups[drone].count == 6, "drone group counts 6");
	CHECK(drone >= 0 && u->groups[drone].last_ts == 300, "last time of the group");
	CHECK(drone >= 0 && strcmp(items[u->groups[drone].items[0]].text,
	                           "ドローンの飛行許可を取りたい") == 0,
	      "the most frequent message represents the group");
	CHECK(drone >= 0 && u->groups[drone].qa_id &&
	          strcmp(u->groups[drone].qa_id, "DRN-1") == 0,
	      "closest existing Q&A found by search");
	int pet = group_of(u, items, "ペットの火葬について");
	CHECK(pet >= 0 && pet != group_of(u, items, "ペットの登録"),
	      "one shared term is not enough to group");
	CHECK(pet >= 0 && u->groups[pet].count == 3 && u->groups[pet].nitems == 2,
	      "identical texts join their group");
	int hello = group_of(u, items, "こんにちは");
	CHECK(hello == 1, "groups ordered by count (4 after 6)");
	CHECK(hello >= 0 &&
	          (u->groups[hello].qa_id == NULL || u->groups[hello].qa_score < 0.3),
	      "a greeting has no close Q&A");
	CHECK(group_of(u, items, "") >= 0, "an empty message is kept, not a failure");
	for (size_t g = 1; g < u->ngroups; g++)
		if (u->groups[g].count > u->groups[g - 1].count)
			CHECK(0, "groups sorted by count");
	kb_unanswered_free(u);

	/* max_groups keeps the most frequent; totals still count everything. */
	u = NULL;
	rc = kb_unanswered_build(k, NULL, items, n, 2, &u, &err);
	CHECK(rc == MDG_OK && u->ngroups == 2 && u->total == 15 && u->ntotal_groups >= 5,
	      "max_groups cuts the list, totals stay");
	CHECK(rc == MDG_OK && u->groups[0].qa_id == NULL, "no bot: no closest Q&A");
	kb_unanswered_free(u);

	/* Nothing to group. */
	u = NULL;
	rc = kb_unanswered_build(k, "pref", items, 0, 10, &u, &err);
	CHECK(rc == MDG_OK && u->ngroups == 0 && u->total == 0, "no messages, no groups");
	kb_unanswered_free(u);

	/* Invalid UTF-8 and an unknown bot are not failures. */
	const kb_unanswered_item bad[] = {{"\xff\xfe", 1, 1}, {"ドローン", 1, 1}};
	u = NULL;
	rc = kb_unanswered_build(k, "nobot", bad, 2, 10, &u, &err);
	CHECK(rc == MDG_OK && u->ngroups == 2, "invalid UTF-8 and unknown bot tolerated");
	kb_unanswered_free(u);
	free(err);
}

/* Many distinct messages: bounded and quick. */
static void bound_tests(kb *k)
{
	size_t n = KB_UNANSWERED_MAX_ITEMS + 100;
	kb_unanswered_item *items = calloc(n, sizeof *items);
	char(*texts)[48] = calloc(n, sizeof *texts);
	static const char *const words[] = {"図書館", "パスポート", "ドローン", "税金",
	                                    "保育園", "ごみ",       "道路",     "水道"};
	for (size_t i = 0; i < n; i++) {
		snprintf(texts[i], sizeof texts[i], "%s %s %zu", words[i % 8],
		         words[(i / 8) % 8], i);
		items[i].text = texts[i];
		items[i].count = 1 + i % 3;
		items[i].last_ts = (int64_t)i;
	}
	kb_unanswered *u = NULL;
	char *err = NULL;
	mdg_rc rc = kb_unanswered_build(k, NULL, items, n, 50, &u, &err);
	CHECK(rc == MDG_OK, "5,100 messages grouped");
	CHECK(rc == MDG_OK && u->ngroups <= 50, "at most max_groups returned");
	size_t sum = 0;
	for (size_t i = 0; i < KB_UNANSWERED_MAX_ITEMS; i++)
		sum += items[i].count;
	CHECK(rc == MDG_OK && u->total == sum, "only the first MAX_ITEMS are counted");
	kb_unanswered_free(u);
	free(err);
	free(items);
	free(texts);
}

int main(void)
{
	char dir[] = "/tmp/mdg-test-unans-XXXXXX", path[128];
	if (mkdtemp(dir) == NULL)
		return 1;
	snprintf(path, sizeof path, "%s/u.db", dir);
	nlp_model *m = NULL;
	kb *k = NULL;
	char *err = NULL;
	mdg_rc rc = nlp_model_open(NULL, &m, &err);
	if (rc == MDG_OK)
		rc = kb_open(path, m, KB_OPEN_CREATE, &k, &err);
	if (rc == MDG_OK)
		rc = import_kb(k);
	CHECK(rc == MDG_OK, "open and import");
	if (rc != MDG_OK) {
		printf("# %s\n", err ? err : mdg_strerror(rc));
		free(err);
		return tap_done();
	}
	rule_tests();
	grouping_tests(k);
	bound_tests(k);
	kb_close(k);
	nlp_model_close(m);
	char f[160];
	const char *sfx[] = {"", "-wal", "-shm"};
	for (int i = 0; i < 3; i++) {
		snprintf(f, sizeof f, "%s%s", path, sfx[i]);
		unlink(f);
	}
	rmdir(dir);
	return tap_done();
}
