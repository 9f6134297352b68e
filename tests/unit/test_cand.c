/* test_cand.c — the candidate-row cache: rows parsed into hashed term sets,
 * keyed by (version, id), direct-mapped replacement, empty sets. */
#include <stdio.h>
#include <string.h>

#include "../../kb/kb_cand.h"
#include "../../nlp/mdg.h"
#include "tap.h"

int main(void)
{
	CHECK(kb_cand_cache_new(0) == NULL && kb_cand_cache_new(3) == NULL,
	      "slots must be a power of two");
	kb_cand_cache *c = kb_cand_cache_new(4);
	CHECK(c != NULL, "cache of 4 slots");
	CHECK(kb_cand_get(c, 1, 5) == NULL && kb_cand_get(c, 0, 0) == NULL,
	      "an empty cache has nothing (not even id 0)");
	const char *sets[KB_CAND_SETS] = {" 自動車 税 納付 ", " 車 税金 ", " 自動車 税 納付 銀行 "};
	const kb_cand *r = kb_cand_put(c, 1, 5, "TAX-1", "自動車税の納付", "税", "", 7.5, sets);
	CHECK(r && r == kb_cand_get(c, 1, 5), "a row put is found by (version, id)");
	CHECK(r && strcmp(r->ext_id, "TAX-1") == 0 && strcmp(r->question, "自動車税の納付") == 0 &&
		      strcmp(r->category, "税") == 0 && strcmp(r->flow, "") == 0 && r->qidf == 7.5,
	      "fields copied");
	CHECK(r && r->nset[0] == 3 && r->nset[1] == 2 && r->nset[2] == 4 &&
		      strcmp(r->set[2][3].s, "銀行") == 0 && r->set[2][3].len == strlen("銀行") &&
		      r->set[0][1].hash == mdg_hash("税", strlen("税")),
	      "term sets split, with lengths and hashes");
	CHECK(kb_cand_get(c, 2, 5) == NULL, "another version's row with the same id is a miss");
	const char *empty[KB_CAND_SETS] = {"", " ", ""};
	r = kb_cand_put(c, 2, 9, "X", "q", "", "flow-1", 0, empty);
	CHECK(r && r->nset[0] == 0 && r->nset[1] == 0 && r->nset[2] == 0 &&
		      strcmp(r->flow, "flow-1") == 0,
	      "empty term sets");
	CHECK(kb_cand_get(c, 1, 5) == NULL && kb_cand_get(c, 2, 9) == r,
	      "id 9 replaces id 5 in their shared slot");
	for (int64_t id = 1; id <= 1000; id++)
		kb_cand_put(c, 3, id, "A", "B", "C", "", 1, sets);
	CHECK(kb_cand_get(c, 3, 1000) && kb_cand_get(c, 3, 999) && !kb_cand_get(c, 3, 996),
	      "1,000 rows through 4 slots keep the last of each slot");
	kb_cand_cache_free(c);
	kb_cand_cache_free(NULL);
	return tap_done();
}
