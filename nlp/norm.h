/* norm.h — text normalisation applied to documents and queries alike.
 *
 * Steps: UTF-8 validation (invalid input is rejected, never repaired),
 * full-width ASCII -> half-width, ideographic space -> space, half-width
 * katakana -> full-width (with voiced marks composed), ASCII case folding,
 * dash/long-vowel unification (a dash after kana becomes "ー", elsewhere
 * "-"; wave dashes become "~"), control and zero-width characters removed,
 * whitespace runs collapsed to one space and trimmed. */
#ifndef NLP_NORM_H
#define NLP_NORM_H

#include <stddef.h>
#include <stdint.h>

#include "mdg.h"

/* Returns 1 if s[0..n) is valid UTF-8 (no overlongs, surrogates or code
 * points above U+10FFFF); else 0 and the offset of the first bad byte in
 * *bad (if not NULL). */
int nlp_utf8_valid(const char *s, size_t n, size_t *bad);

/* Decodes one code point at s (valid UTF-8 assumed); returns its length. */
size_t nlp_utf8_decode(const char *s, uint32_t *cp);
/* Encodes cp into out (at least 4 bytes); returns the length. */
size_t nlp_utf8_encode(uint32_t cp, char *out);
/* Number of code points in valid UTF-8 text. */
size_t nlp_utf8_len(const char *s, size_t n);

/* Normalises s[0..n). On success *out is a malloc'd NUL-terminated string
 * (caller frees) and *outn its length. Invalid UTF-8 → MDG_ERR_UTF8 with
 * the message naming the byte offset in *err. */
mdg_rc nlp_norm(const char *s, size_t n, char **out, size_t *outn, char **err);

/* Katakana-ises hiragana in normalised text (for reading matches); *out is
 * malloc'd. */
mdg_rc nlp_to_katakana(const char *s, size_t n, char **out);

/* 1 if cp is hiragana, katakana or the long-vowel mark. */
int nlp_is_kana(uint32_t cp);

/* 1 if cp is a kanji (CJK unified or compatibility ideograph, or 々). */
int nlp_is_kanji(uint32_t cp);

/* The okurigana-free spelling of a word written in kanji and hiragana: its
 * kanji in order (申し込み, 申込み, 申込, 申し込む -> 申込; 取り消し -> 取消),
 * the key under which official and everyday spellings of one word meet.
 * Writes it NUL-terminated to out[0..cap) and returns its length; 0 when
 * w[0..n) has any other kind of character, fewer than two kanji, or the
 * key does not fit (a single kanji with kana is too often another word:
 * 入る, 入れる). */
size_t nlp_okurigana_key(const char *w, size_t n, char *out, size_t cap);

#endif
