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

/* Deterministic random text from the ranges normalisation rewrites (kana
 * both widths, full-width ASCII, dashes, tildes, spaces, zero-width and
 * control characters): the output must be valid UTF-8 and normalising it
 * again must change nothing. Run under ASan, it also checks the buffer. */
static void fuzz_norm(void)
{
	static const uint32_t ranges[][2] = {
		{0x20, 0x7E},     {0x3040, 0x309F}, {0x30A0, 0x30FF}, {0xFF61, 0xFF9F},
		{0xFF01, 0xFF5E}, {0x2000, 0x206F}, {0x3000, 0x303F}, {0x80, 0xFF},
		{0x4E00, 0x4E40}, {0x1F600, 0x1F64F}};
	static const uint32_t specials[] = {'-', '~', 0x301C, 0x30FC, 0x2015, 0xFF9E,
					    0xFF9F, 0x3000, 0x200B, 0xFEFF, '\t', ' '};
	uint64_t x = 88172645463325252u; /* xorshift64 */
	int valid = 1, stable = 1;
	for (int t = 0; t < 20000; t++) {
		char in[200];
		size_t n = 0;
		x ^= x << 13, x ^= x >> 7, x ^= x << 17;
		int len = 1 + (int)(x % 40);
		for (int i = 0; i < len; i++) {
			x ^= x << 13, x ^= x >> 7, x ^= x << 17;
			uint32_t cp;
			if (x % 10 < 3) {
				cp = specials[(x >> 8) % (sizeof specials / sizeof *specials)];
			} else {
				const uint32_t *r = ranges[(x >> 8) % (sizeof ranges / sizeof *ranges)];
				cp = r[0] + (uint32_t)((x >> 16) % (r[1] - r[0] + 1));
			}
			n += nlp_utf8_encode(cp, in + n);
		}
		char *a = NULL, *b = NULL;
		size_t an = 0, bn = 0;
		if (nlp_norm(in, n, &a, &an, NULL) != MDG_OK) {
			valid = 0;
			continue;
		}
		valid &= nlp_utf8_valid(a, an, NULL) && strlen(a) == an;
		if (nlp_norm(a, an, &b, &bn, NULL) == MDG_OK && strcmp(a, b) != 0) {
			if (stable)
				printf("# not idempotent: \"%s\" -> \"%s\"\n", a, b);
			stable = 0;
		}
		free(a);
		free(b);
	}
	CHECK(valid, "random text normalises to valid UTF-8");
	CHECK(stable, "normalising normalised text changes nothing");
}

int main(void)
{
	fuzz_norm();
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

	/* Okurigana variants meet under one key; other words do not. */
	static const char *const keys[][2] = {
		{"申し込み", "申込"}, {"申込み", "申込"},     {"申込", "申込"},
		{"申し込む", "申込"}, {"引っ越し", "引越"},   {"問い合わせ", "問合"},
		{"受け付ける", "受付"}, {"お受け取り", "受取"}, {"取り消す", "取消"},
		{"地域おこし", ""},   {"組み合わせる", ""},   {"許可ない", ""},
		{"取り消せない", ""}, {"入る", ""},           {"ひとり暮らし", ""},
		{"パスワード", ""},   {"自動車税", "自動車税"}, {"PC設定", ""}};
	for (size_t i = 0; i < sizeof keys / sizeof *keys; i++) {
		char key[128] = "";
		size_t n = nlp_okurigana_key(keys[i][0], strlen(keys[i][0]), key, sizeof key);
		CHECK(n == strlen(keys[i][1]) && strcmp(n ? key : "", keys[i][1]) == 0,
		      keys[i][0]);
	}
	char tiny[4];
	CHECK(nlp_okurigana_key("申し込み", strlen("申し込み"), tiny, sizeof tiny) == 0,
	      "a key that does not fit is none");
	return tap_done();
}
