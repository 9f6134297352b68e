/* test_norm.c — normalisation and UTF-8 validation. */
#include <stdlib.h>

#include "../../nlp/norm.h"
#include "tap.h"

static void norm_is(const char *in, const char *want, const char *name)
{
	char *out = NULL, *err = NULL;
	mdg_rc rc = nlp_norm(in, strlen(in), &out, NULL, &err);
	CHECK(rc == MDG_OK, name);
	CHECK_STR(out, want, name);
	free(out);
	free(err);
}

int main(void)
{
	norm_is("ＡＢＣ１２３！", "abc123!", "full-width ASCII to half-width, folded");
	norm_is("ﾊﾟｽﾜｰﾄﾞ", "パスワード", "half-width katakana with voiced marks");
	norm_is("ｶﾞｷﾞｸﾞｹﾞｺﾞ ﾊﾞﾋﾟﾌﾞ ｳﾞ", "ガギグゲゴ バピブ ヴ", "dakuten/handakuten composition");
	norm_is("Hello World", "hello world", "ASCII case folding");
	norm_is("パスワ－ド", "パスワード", "full-width hyphen after kana is a long vowel");
	norm_is("ぱすわ〜ど", "ぱすわーど", "wave dash after kana is a long vowel");
	norm_is("コーーヒー", "コーヒー", "repeated long vowels collapse");
	/* ASCII '-' and '~' after kana grow from 1 to 3 bytes: the output
	 * buffer must allow for it (an overflow found by fuzzing). */
	norm_is("ア-イ-ウ-エ-オ-カ-キ-ク-ケ-コ-サ-シ-ス-セ-ソ-",
		"アーイーウーエーオーカーキークーケーコーサーシースーセーソー",
		"ASCII hyphens after kana become long vowels (output longer than input)");
	norm_is("あ~い~う~え~お~か~き~く~", "あーいーうーえーおーかーきーくー",
		"ASCII tildes after kana become long vowels");
	norm_is("8:30〜17:15", "8:30~17:15", "wave dash between digits is a tilde");
	norm_is("000‐1234−5678", "000-1234-5678", "dashes between digits are hyphens");
	norm_is("  自動車税\t\r\n の　納付  ", "自動車税 の 納付", "whitespace collapsed and trimmed");
	norm_is("a\x01" "b\x7f" "c", "abc", "control characters stripped");
	norm_is("ゼロ\xe2\x80\x8b幅", "ゼロ幅", "zero-width space stripped");
	norm_is("", "", "empty string");
	norm_is("ＰＷ忘れた", "pw忘れた", "mixed full-width letters and kanji");

	char *out = NULL, *err = NULL;
	const char bad1[] = "abc\xff";
	CHECK(nlp_norm(bad1, sizeof bad1 - 1, &out, NULL, &err) == MDG_ERR_UTF8,
	      "invalid byte rejected");
	CHECK(err && strstr(err, "byte 3"), "error names the byte offset");
	CHECK(out == NULL, "no output on invalid input");
	free(err);
	err = NULL;
	const char overlong[] = "\xc0\xaf";
	CHECK(nlp_norm(overlong, 2, &out, NULL, &err) == MDG_ERR_UTF8, "overlong rejected");
	free(err);
	err = NULL;
	const char surrogate[] = "\xed\xa0\x80";
	CHECK(nlp_norm(surrogate, 3, &out, NULL, &err) == MDG_ERR_UTF8,
	      "UTF-16 surrogate rejected");
	free(err);
	err = NULL;
	const char truncated[] = "\xe3\x81";
	CHECK(nlp_norm(truncated, 2, &out, NULL, &err) == MDG_ERR_UTF8,
	      "truncated sequence rejected");
	free(err);
	size_t bad = 0;
	CHECK(nlp_utf8_valid("日本語", strlen("日本語"), &bad), "valid Japanese text");
	CHECK(nlp_utf8_len("日本語abc", strlen("日本語abc")) == 6, "character count");

	char *k = NULL;
	CHECK(nlp_to_katakana("じどうしゃぜい", strlen("じどうしゃぜい"), &k) == MDG_OK,
	      "katakana conversion");
	CHECK_STR(k, "ジドウシャゼイ", "hiragana to katakana");
	free(k);
	return tap_done();
}
