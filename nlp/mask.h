/* mask.h — masking personal data before a message is stored.
 *
 * Residents type personal data into chat boxes ("マイナンバーは1234 5678
 * 9012です", "090-1234-5678に電話ください"). Nothing a resident typed is
 * written to a log before nlp_mask has replaced:
 *
 *   12-digit numbers (個人番号/マイナンバー), plain or in 4-4-4 groups
 *       separated by spaces or hyphens                       → ＜個人番号＞
 *   phone numbers: 0X-XXXX-XXXX, 0XX-XXX-XXXX, 0XXXX-X-XXXX, (03)1234-5678,
 *       0312345678, 090-1234-5678, 09012345678, +81-90-1234-5678,
 *       +81 3 1234 5678 (10-11 digits with the leading 0)    → ＜電話番号＞
 *   e-mail addresses                                         → ＜メールアドレス＞
 *   postal codes 〒123-4567, 〒1234567, 123-4567              → ＜郵便番号＞
 *   any other run of 13 or more digits (card, account and
 *       insurance numbers)                                   → ＜番号＞
 *
 * The input must be normalised text (nlp_norm: half-width digits and
 * ASCII, hyphens unified to "-", lower-case ASCII). A number only matches
 * as a whole: digits directly before or after it (123-4567-8 is not a
 * postal code) prevent the match. */
#ifndef NLP_MASK_H
#define NLP_MASK_H

#include <stddef.h>

#include "mdg.h"

enum {
	NLP_MASK_MYNUMBER = 1,
	NLP_MASK_PHONE = 2,
	NLP_MASK_EMAIL = 4,
	NLP_MASK_POSTAL = 8,
	NLP_MASK_NUMBER = 16
};

/* Masks s[0..n) (normalised UTF-8). *out is a malloc'd NUL-terminated copy
 * with every match replaced by its placeholder (caller frees), *outn its
 * length (may be NULL). *found (may be NULL) receives the OR of the
 * NLP_MASK_* kinds replaced. */
mdg_rc nlp_mask(const char *s, size_t n, char **out, size_t *outn,
		unsigned *found);

#endif
