/* flow_match.c — matching what a user typed against option labels,
 * synonyms and trigger phrases: normalised text first, then the katakana
 * reading, then MeCab terms, with a cheap look at negations that follow an
 * expression (「新規ではなく」 does not choose 新規). */
#include <stdlib.h>
#include <string.h>

#include "../nlp/norm.h"
#include "flow_internal.h"

/* Expressions that negate what comes right before them. Checked on
 * normalised text; hiragana forms only (katakana-ised text maps back to
 * the same byte offsets, see score_reading). */
static const char *const negations[] = {"ではな",
                                        "じゃな",
                                        "ではありません",
                                        "でない",
                                        "でもな",
                                        "ことはな",
                                        "ことはありません",
                                        "ことはございません",
                                        "わけではな",
                                        "わけじゃな",
                                        "訳ではな",
                                        "ません",
                                        "ない",
                                        "なかった",
                                        "なし",
                                        "無し",
                                        "無い",
                                        "くない",
                                        "くはない",
                                        "くありません",
                                        "くなかった",
                                        "はない",
                                        "はなかった",
                                        "はありません",
                                        "はいない",
                                        "はしていない",
                                        "はしてない",
                                        "もない",
                                        "もありません",
                                        "以外",
                                        "とは違",
                                        "とはちが",
                                        NULL};

/* Negations that follow a verb's ending: 「締め付けられ|ることはない」. */
static const char *const nominal_negations[] = {
    "ことはな",   "ことはありません", "ことはございません", "ことな",       "わけではな",
    "わけじゃな", "わけでな",         "訳ではな",           "ってことはな", NULL};

static int starts_with_any(const char *s, const char *const *list)
{
	for (; *list; list++)
		if (strncmp(s, *list, strlen(*list)) == 0)
			return 1;
	return 0;
}

int flow_negated_after(const char *s)
{
	if (starts_with_any(s, negations) || starts_with_any(s, nominal_negations))
		return 1;
	/* Skip up to three hiragana of a verb ending (る, た, ている). */
	for (int i = 0; i < 3; i++) {
		uint32_t cp;
		if (*s == '\0')
			break;
		size_t k = nlp_utf8_decode(s, &cp);
		if (cp < 0x3041 || cp > 0x3096)
			break;
		s += k;
		if (starts_with_any(s, nominal_negations))
			return 1;
	}
	return 0;
}

/* Longest first where one is a suffix of another. */
static const char *const tails[] = {"でお願いします",
                                    "をお願いします",
                                    "でおねがいします",
                                    "お願いします",
                                    "でございます",
                                    "にします",
                                    "でした",
                                    "です",
                                    "ます",
                                    "でーす",
                                    NULL};

static int ends_with(const char *s, size_t n, const char *suf, size_t *len)
{
	size_t k = strlen(suf);
	if (k > n || memcmp(s + n - k, suf, k) != 0)
		return 0;
	*len = k;
	return 1;
}

size_t flow_strip_tail(char *s, size_t n)
{
	static const char *const punct[] = {"。", "、", "．", "，", "・", "…", ".",
	                                    ",",  "!",  "?",  " ",  "ー", NULL};
	int again = 1;
	while (again && n > 0) {
		again = 0;
		size_t k;
		for (const char *const *p = punct; *p && !again; p++)
			if (ends_with(s, n, *p, &k) && k < n) {
				n -= k;
				again = 1;
			}
		for (const char *const *p = tails; *p && !again; p++)
			if (ends_with(s, n, *p, &k) && k < n) {
				n -= k;
				again = 1;
			}
	}
	s[n] = '\0';
	return n;
}

typedef struct term_acc {
	const char *text; /* the normalised input, for negation checks */
	char **terms;
	size_t n, cap;
	int check_negation;
	size_t covered; /* bytes of the input covered by term surfaces */
	mdg_buf reading;
	int failed;
} term_acc;

static int term_cb(void *ctx, const nlp_term *t)
{
	term_acc *a = ctx;
	a->covered += t->end - t->start;
	if (mdg_buf_adds(&a->reading, t->reading) != MDG_OK) {
		a->failed = 1;
		return MDG_ERR_NOMEM;
	}
	/* 「熱はない」 names 熱 only to deny it: not a term of what was said. */
	if (a->check_negation) {
		const char *after = a->text + t->end;
		if (flow_negated_after(after))
			return 0;
		/* one particle between: 熱がない, 熱もない */
		static const char *const particles[] = {"が", "は", "も", "を",
		                                        "に", "で", NULL};
		for (const char *const *p = particles; *p; p++) {
			size_t k = strlen(*p);
			if (strncmp(after, *p, k) == 0 &&
			    (strncmp(after + k, "ない", 6) == 0 ||
			     strncmp(after + k, "なく", 6) == 0 ||
			     strncmp(after + k, "無", 3) == 0 ||
			     strncmp(after + k, "ありません", 15) == 0))
				return 0;
		}
	}
	for (size_t i = 0; i < a->n; i++)
		if (strcmp(a->terms[i], t->term) == 0)
			return 0;
	if (a->n == a->cap) {
		size_t nc = a->cap ? a->cap * 2 : 8;
		if (nc > 256)
			return 0; /* enough to judge a short phrase */
		char **nt = realloc(a->terms, nc * sizeof *nt);
		if (nt == NULL) {
			a->failed = 1;
			return MDG_ERR_NOMEM;
		}
		a->terms = nt;
		a->cap = nc;
	}
	if ((a->terms[a->n] = strdup(t->term)) == NULL) {
		a->failed = 1;
		return MDG_ERR_NOMEM;
	}
	a->n++;
	return 0;
}

static mdg_rc collect_terms(nlp_tagger *t, const char *norm, size_t n, int check_negation,
                            term_acc *a)
{
	memset(a, 0, sizeof *a);
	a->text = norm;
	a->check_negation = check_negation;
	a->reading.limit = 4096;
	if (t == NULL || n == 0)
		return MDG_OK;
	mdg_rc rc = nlp_tagger_terms(t, norm, n, term_cb, a);
	if (a->failed)
		rc = MDG_ERR_NOMEM;
	return rc;
}

static void acc_free(term_acc *a)
{
	flow_strv_free(a->terms, a->n);
	mdg_buf_free(&a->reading);
}

mdg_rc flow_phrase_init(flow_phrase *p, const char *text, nlp_tagger *t, char **err)
{
	memset(p, 0, sizeof *p);
	size_t n = 0;
	p->text = strdup(text);
	if (p->text == NULL)
		return MDG_ERR_NOMEM;
	mdg_rc rc = nlp_norm(text, strlen(text), &p->norm, &n, err);
	if (rc != MDG_OK)
		return rc;
	n = flow_strip_tail(p->norm, n);
	if ((rc = nlp_to_katakana(p->norm, n, &p->kata)) != MDG_OK)
		return rc;
	term_acc a;
	rc = collect_terms(t, p->norm, n, 0, &a);
	if (rc == MDG_OK) {
		p->terms = a.terms;
		p->nterms = a.n;
		a.terms = NULL;
		a.n = 0;
		/* A reading stands for the phrase only if the terms are all of
		 * it (「新規」 → シンキ, but not 「熱がある」 → ネツ). */
		if (a.covered == n && a.reading.len > 0)
			p->reading = mdg_buf_take(&a.reading, NULL);
	}
	acc_free(&a);
	if (rc == MDG_OK && p->reading == NULL)
		p->reading = strdup("");
	return rc == MDG_OK && p->reading == NULL ? MDG_ERR_NOMEM : rc;
}

void flow_phrase_clear(flow_phrase *p)
{
	if (p == NULL)
		return;
	free(p->text);
	free(p->norm);
	free(p->kata);
	free(p->reading);
	flow_strv_free(p->terms, p->nterms);
	memset(p, 0, sizeof *p);
}

mdg_rc flow_text_init(flow_text *x, const char *s, size_t n, nlp_tagger *t, char **err)
{
	memset(x, 0, sizeof *x);
	size_t nn = 0;
	mdg_rc rc = nlp_norm(s, n, &x->norm, &nn, err);
	if (rc != MDG_OK)
		return rc;
	if ((x->bare = strdup(x->norm)) == NULL)
		return MDG_ERR_NOMEM;
	flow_strip_tail(x->bare, nn);
	if ((rc = nlp_to_katakana(x->norm, nn, &x->kata)) != MDG_OK)
		return rc;
	term_acc a;
	rc = collect_terms(t, x->norm, nn, 1, &a);
	if (rc == MDG_OK) {
		x->terms = a.terms;
		x->nterms = a.n;
		a.terms = NULL;
		a.n = 0;
	}
	acc_free(&a);
	return rc;
}

void flow_text_clear(flow_text *x)
{
	if (x == NULL)
		return;
	free(x->norm);
	free(x->bare);
	free(x->kata);
	flow_strv_free(x->terms, x->nterms);
	memset(x, 0, sizeof *x);
}

/* 1 if needle occurs in hay (both from the same text's norm/kata pair, or
 * hay == norm) at a place not followed by a negation, which is checked in
 * norm at the same byte offset. */
static int occurs_affirmed(const char *hay, const char *norm, const char *needle)
{
	size_t k = strlen(needle);
	if (k == 0)
		return 0;
	for (const char *p = strstr(hay, needle); p; p = strstr(p + 1, needle))
		if (!flow_negated_after(norm + (p - hay) + k))
			return 1;
	return 0;
}

double flow_phrase_score(const flow_phrase *p, const flow_text *x)
{
	if (p->norm[0] == '\0' || x->norm[0] == '\0')
		return 0;
	if (strcmp(x->bare, p->norm) == 0 || strcmp(x->norm, p->norm) == 0)
		return 1.0;
	size_t plen = nlp_utf8_len(p->norm, strlen(p->norm));
	size_t xlen = nlp_utf8_len(x->norm, strlen(x->norm));
	/* One-character labels (「男」) only match exactly: inside a sentence
	 * they are too likely to be part of another word. */
	if (plen >= 2 && occurs_affirmed(x->norm, x->norm, p->norm))
		return 0.85 + 0.1 * (double)plen / (double)(xlen > plen ? xlen : plen);
	/* Kana spellings of a kanji label: 「けいぞく」 for 継続. */
	if (p->reading && nlp_utf8_len(p->reading, strlen(p->reading)) >= 3 &&
	    occurs_affirmed(x->kata, x->norm, p->reading))
		return 0.8;
	if (p->nterms == 0 || x->nterms == 0)
		return 0;
	size_t hit = 0;
	for (size_t i = 0; i < p->nterms; i++)
		for (size_t j = 0; j < x->nterms; j++)
			if (strcmp(p->terms[i], x->terms[j]) == 0) {
				hit++;
				break;
			}
	if (hit == p->nterms)
		return 0.7 + 0.05 * (double)hit / (double)x->nterms;
	return 0.6 * (double)hit / (double)p->nterms;
}
