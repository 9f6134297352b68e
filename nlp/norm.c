/* norm.c — Unicode normalisation for Japanese FAQ text (see norm.h). */
#include "norm.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

int nlp_utf8_valid(const char *s, size_t n, size_t *bad)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t i = 0;
	while (i < n) {
		unsigned c = p[i];
		size_t len;
		uint32_t cp, min;
		if (c < 0x80) {
			i++;
			continue;
		} else if ((c & 0xE0) == 0xC0) {
			len = 2, cp = c & 0x1F, min = 0x80;
		} else if ((c & 0xF0) == 0xE0) {
			len = 3, cp = c & 0x0F, min = 0x800;
		} else if ((c & 0xF8) == 0xF0) {
			len = 4, cp = c & 0x07, min = 0x10000;
		} else {
			goto fail;
		}
		if (i + len > n)
			goto fail;
		for (size_t k = 1; k < len; k++) {
			if ((p[i + k] & 0xC0) != 0x80)
				goto fail;
			cp = (cp << 6) | (p[i + k] & 0x3F);
		}
		if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
			goto fail;
		i += len;
	}
	return 1;
fail:
	if (bad)
		*bad = i;
	return 0;
}

size_t nlp_utf8_decode(const char *s, uint32_t *cp)
{
	const unsigned char *p = (const unsigned char *)s;
	if (p[0] < 0x80) {
		*cp = p[0];
		return 1;
	}
	if ((p[0] & 0xE0) == 0xC0) {
		*cp = ((uint32_t)(p[0] & 0x1F) << 6) | (p[1] & 0x3F);
		return 2;
	}
	if ((p[0] & 0xF0) == 0xE0) {
		*cp = ((uint32_t)(p[0] & 0x0F) << 12) | ((uint32_t)(p[1] & 0x3F) << 6) |
		      (p[2] & 0x3F);
		return 3;
	}
	*cp = ((uint32_t)(p[0] & 0x07) << 18) | ((uint32_t)(p[1] & 0x3F) << 12) |
	      ((uint32_t)(p[2] & 0x3F) << 6) | (p[3] & 0x3F);
	return 4;
}

size_t nlp_utf8_encode(uint32_t cp, char *out)
{
	unsigned char *o = (unsigned char *)out;
	if (cp < 0x80) {
		o[0] = (unsigned char)cp;
		return 1;
	}
	if (cp < 0x800) {
		o[0] = (unsigned char)(0xC0 | (cp >> 6));
		o[1] = (unsigned char)(0x80 | (cp & 0x3F));
		return 2;
	}
	if (cp < 0x10000) {
		o[0] = (unsigned char)(0xE0 | (cp >> 12));
		o[1] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
		o[2] = (unsigned char)(0x80 | (cp & 0x3F));
		return 3;
	}
	o[0] = (unsigned char)(0xF0 | (cp >> 18));
	o[1] = (unsigned char)(0x80 | ((cp >> 12) & 0x3F));
	o[2] = (unsigned char)(0x80 | ((cp >> 6) & 0x3F));
	o[3] = (unsigned char)(0x80 | (cp & 0x3F));
	return 4;
}

size_t nlp_utf8_len(const char *s, size_t n)
{
	size_t k = 0;
	for (size_t i = 0; i < n; i++)
		if (((unsigned char)s[i] & 0xC0) != 0x80)
			k++;
	return k;
}

int nlp_is_kana(uint32_t cp)
{
	return (cp >= 0x3041 && cp <= 0x3096) || (cp >= 0x30A1 && cp <= 0x30FA) ||
	       cp == 0x30FC || cp == 0x309D || cp == 0x309E || cp == 0x30FD ||
	       cp == 0x30FE;
}

int nlp_is_kanji(uint32_t cp)
{
	return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
	       (cp >= 0xF900 && cp <= 0xFAFF) || cp == 0x3005; /* 々 */
}

size_t nlp_okurigana_key(const char *w, size_t n, char *out, size_t cap)
{
	size_t len = 0, kanji = 0, run = 0, runat = 0;
	for (size_t i = 0; i <= n;) {
		uint32_t cp = 0;
		size_t k = i < n ? nlp_utf8_decode(w + i, &cp) : 1;
		if (i < n && cp >= 0x3041 && cp <= 0x3096) {
			if (run++ == 0)
				runat = i;
			i += k;
			continue;
		}
		/* A kana run ends: okurigana are one or two kana (申し, 問い合わせ,
		 * 受け付ける); longer runs are words of their own (地域おこし,
		 * 組み合わせる), a leading run only the honorific お/ご, and a
		 * negation (許可ない, 燃えない) is another word. */
		if (run > 2 || (run > 0 && runat == 0 && kanji == 0 &&
				(run > 1 || (memcmp(w, "お", 3) && memcmp(w, "ご", 3)))))
			return 0;
		if (i == n && run == 2 && memcmp(w + runat, "ない", 6) == 0)
			return 0;
		run = 0;
		if (i == n)
			break;
		if (!nlp_is_kanji(cp))
			return 0;
		if (len + k >= cap)
			return 0;
		memcpy(out + len, w + i, k);
		len += k;
		kanji++;
		i += k;
	}
	if (kanji < 2)
		return 0;
	out[len] = '\0';
	return len;
}

/* Half-width katakana U+FF61..U+FF9F to full-width, indexed from U+FF61. */
static const uint16_t halfkana[] = {
	0x3002, 0x300C, 0x300D, 0x3001, 0x30FB, 0x30F2, 0x30A1, 0x30A3, 0x30A5,
	0x30A7, 0x30A9, 0x30E3, 0x30E5, 0x30E7, 0x30C3, 0x30FC, 0x30A2, 0x30A4,
	0x30A6, 0x30A8, 0x30AA, 0x30AB, 0x30AD, 0x30AF, 0x30B1, 0x30B3, 0x30B5,
	0x30B7, 0x30B9, 0x30BB, 0x30BD, 0x30BF, 0x30C1, 0x30C4, 0x30C6, 0x30C8,
	0x30CA, 0x30CB, 0x30CC, 0x30CD, 0x30CE, 0x30CF, 0x30D2, 0x30D5, 0x30D8,
	0x30DB, 0x30DE, 0x30DF, 0x30E0, 0x30E1, 0x30E2, 0x30E4, 0x30E6, 0x30E8,
	0x30E9, 0x30EA, 0x30EB, 0x30EC, 0x30ED, 0x30EF, 0x30F3, 0x309B, 0x309C,
};

/* Composes a voiced (dakuten) or semi-voiced (handakuten) katakana. */
static uint32_t compose_voiced(uint32_t base, int semi)
{
	if (!semi) {
		if ((base >= 0x30AB && base <= 0x30C1 && (base - 0x30AB) % 2 == 0) ||
		    base == 0x30C4 || base == 0x30C6 || base == 0x30C8)
			return base + 1;
		if (base >= 0x30CF && base <= 0x30DB && (base - 0x30CF) % 3 == 0)
			return base + 1;
		if (base == 0x30A6)
			return 0x30F4;
	} else if (base >= 0x30CF && base <= 0x30DB && (base - 0x30CF) % 3 == 0) {
		return base + 2;
	}
	return 0;
}

static int is_dash(uint32_t cp)
{
	return cp == '-' || (cp >= 0x2010 && cp <= 0x2015) || cp == 0x2212 ||
	       cp == 0x30FC || cp == 0xFF70 || cp == 0x2500 || cp == 0x2501 ||
	       cp == 0xFE63 || cp == 0x02D7 || cp == 0x2043;
}

static int is_zero_width(uint32_t cp)
{
	return (cp >= 0x200B && cp <= 0x200F) || cp == 0xFEFF || cp == 0x2060 ||
	       (cp >= 0x202A && cp <= 0x202E);
}

mdg_rc nlp_norm(const char *s, size_t n, char **out, size_t *outn, char **err)
{
	size_t bad = 0;
	*out = NULL;
	if (outn)
		*outn = 0;
	if (!nlp_utf8_valid(s, n, &bad))
		return mdg_fail(err, MDG_ERR_UTF8, "invalid UTF-8 at byte %zu", bad);
	/* At most three bytes out per byte in: an ASCII '-' or '~' after kana
	 * becomes the 3-byte long-vowel mark; every other mapping shrinks or
	 * keeps the length. */
	if (n > (SIZE_MAX - 1) / 3)
		return mdg_fail(err, MDG_ERR_TOOBIG, "text too long");
	char *o = malloc(3 * n + 1);
	if (o == NULL)
		return MDG_ERR_NOMEM;
	size_t len = 0;
	uint32_t prev = ' '; /* last code point written */
	size_t i = 0;
	while (i < n) {
		uint32_t cp;
		i += nlp_utf8_decode(s + i, &cp);
		if (cp >= 0xFF01 && cp <= 0xFF5E)
			cp -= 0xFEE0;
		else if (cp == 0x3000)
			cp = ' ';
		else if (cp >= 0xFF61 && cp <= 0xFF9F) {
			cp = halfkana[cp - 0xFF61];
			if (cp == 0x309B || cp == 0x309C) {
				/* A half-width voiced mark composes with the previous kana. */
				uint32_t v = compose_voiced(prev, cp == 0x309C);
				if (v) {
					size_t back = 3; /* katakana are 3 bytes */
					len -= back;
					cp = v;
				} else {
					continue;
				}
			}
		}
		if (cp == '\t' || cp == '\n' || cp == '\r' || cp == 0x85 ||
		    cp == 0x2028 || cp == 0x2029 || cp == 0x00A0)
			cp = ' ';
		if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || is_zero_width(cp))
			continue;
		if (cp >= 'A' && cp <= 'Z')
			cp += 32;
		if (cp == 0x301C || cp == 0xFF5E || cp == '~')
			cp = nlp_is_kana(prev) ? 0x30FC : '~';
		else if (is_dash(cp))
			cp = nlp_is_kana(prev) ? 0x30FC : '-';
		if (cp == 0x30FC && prev == 0x30FC)
			continue; /* "ーー" -> "ー" */
		if (cp == ' ' && prev == ' ')
			continue;
		len += nlp_utf8_encode(cp, o + len);
		prev = cp;
	}
	while (len > 0 && o[len - 1] == ' ')
		len--;
	o[len] = '\0';
	/* Leading space can only come from the first character. */
	if (len > 0 && o[0] == ' ') {
		memmove(o, o + 1, len);
		len--;
	}
	*out = o;
	if (outn)
		*outn = len;
	return MDG_OK;
}

mdg_rc nlp_to_katakana(const char *s, size_t n, char **out)
{
	char *o = malloc(n + 1);
	if (o == NULL)
		return MDG_ERR_NOMEM;
	size_t len = 0, i = 0;
	while (i < n) {
		uint32_t cp;
		i += nlp_utf8_decode(s + i, &cp);
		if (cp >= 0x3041 && cp <= 0x3096)
			cp += 0x60;
		len += nlp_utf8_encode(cp, o + len);
	}
	o[len] = '\0';
	*out = o;
	return MDG_OK;
}
