/* test_mask.c — unit tests for nlp/mask: personal data never reaches the
 * turn log. Inputs go through nlp_norm first, as in the server. */
#include <stdlib.h>
#include <string.h>

#include "../../nlp/mask.h"
#include "../../nlp/norm.h"
#include "tap.h"

/* Normalises then masks s; returns a malloc'd result (or NULL). */
static char *masked(const char *s, unsigned *found)
{
	char *norm = NULL, *out = NULL, *err = NULL;
	size_t nn;
	if (nlp_norm(s, strlen(s), &norm, &nn, &err) != MDG_OK) {
		free(err);
		return NULL;
	}
	if (nlp_mask(norm, nn, &out, NULL, found) != MDG_OK)
		out = NULL;
	free(norm);
	return out;
}

static void check(const char *in, const char *want, const char *name)
{
	char *got = masked(in, NULL);
	CHECK_STR(got, want, name);
	free(got);
}

int main(void)
{
	/* 個人番号 */
	check("マイナンバーは123456789012です", "マイナンバーは＜個人番号＞です",
	      "12 digits");
	check("番号 1234 5678 9012 を入力", "番号 ＜個人番号＞ を入力",
	      "12 digits in 4-4-4 groups with spaces");
	check("1234-5678-9012", "＜個人番号＞", "12 digits in 4-4-4 groups with hyphens");
	check("１２３４－５６７８－９０１２です", "＜個人番号＞です",
	      "full-width 12 digits are normalised first");
	check("12345678901", "12345678901", "11 digits without a leading 0 stay");

	/* phone numbers */
	check("電話は03-1234-5678まで", "電話は＜電話番号＞まで", "0X-XXXX-XXXX");
	check("011-123-4567", "＜電話番号＞", "0XX-XXX-XXXX");
	check("01234-5-6789", "＜電話番号＞", "0XXXX-X-XXXX");
	check("0312345678に", "＜電話番号＞に", "10 digits plain");
	check("携帯090-1234-5678", "携帯＜電話番号＞", "mobile with hyphens");
	check("09012345678", "＜電話番号＞", "mobile plain");
	check("080 1234 5678", "＜電話番号＞", "mobile with spaces");
	check("(03)1234-5678", "＜電話番号＞", "area code in parentheses");
	check("03(1234)5678", "＜電話番号＞", "exchange in parentheses");
	check("+81-90-1234-5678", "＜電話番号＞", "+81 with hyphens");
	check("+81 3 1234 5678", "＜電話番号＞", "+81 with spaces");
	check("＋８１９０１２３４５６７８", "＜電話番号＞", "full-width +81");
	check("0120-123-456", "＜電話番号＞", "toll free");
	check("０９０ー１２３４ー５６７８", "＜電話番号＞",
	      "long-vowel marks typed as hyphens");

	/* e-mail */
	check("連絡先はtaro.yamada+faq@example.co.jpです",
	      "連絡先は＜メールアドレス＞です", "e-mail");
	check("ＴＡＲＯ＠ＥＸＡＭＰＬＥ．ＪＰ", "＜メールアドレス＞",
	      "full-width upper-case e-mail");
	check("a@b", "a@b", "no domain dot: not an e-mail");
	check("@example.com", "@example.com", "no local part");

	/* postal codes */
	check("〒123-4567 青葉市", "＜郵便番号＞ 青葉市", "〒 with hyphen");
	check("〒1234567", "＜郵便番号＞", "〒 7 digits");
	check("住所は123-4567の", "住所は＜郵便番号＞の", "postal code without 〒");
	check("123-4567-8", "123-4567-8", "digits after it: not a postal code");
	check("〒123-4567 03-1234-5678", "＜郵便番号＞ ＜電話番号＞",
	      "postal code then phone");

	/* longer numbers, non-matches */
	check("カード1234567890123456", "カード＜番号＞", "16 digits");
	check("1234-5678-9012-3456", "＜番号＞", "card number in groups");
	check("2024-01-15に申請", "2024-01-15に申請", "dates stay");
	check("5月31日まで3,000円", "5月31日まで3,000円", "amounts stay");
	check("自動車税の納付方法", "自動車税の納付方法", "no personal data");
	check("", "", "empty text");

	unsigned found = 0;
	char *m = masked("090-1234-5678 a@example.jp 〒100-0001 123456789012", &found);
	CHECK_STR(m, "＜電話番号＞ ＜メールアドレス＞ ＜郵便番号＞ ＜個人番号＞",
		  "several kinds in one message");
	CHECK(found == (NLP_MASK_PHONE | NLP_MASK_EMAIL | NLP_MASK_POSTAL |
			NLP_MASK_MYNUMBER),
	      "found reports every kind");
	free(m);

	m = masked("質問です", &found);
	CHECK(m && found == 0, "found is 0 when nothing was masked");
	free(m);

	/* many numbers: every one masked, no overflow */
	char big[8192] = "";
	size_t len = 0;
	for (int i = 0; i < 400; i++)
		len += (size_t)snprintf(big + len, sizeof big - len, "090-1234-%04d ", i);
	m = masked(big, NULL);
	CHECK(m && strstr(m, "090-") == NULL, "400 phone numbers all masked");
	free(m);
	return tap_done();
}
