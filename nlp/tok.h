/* tok.h — MeCab tokenisation into index terms.
 *
 * One nlp_model per process (the dictionary, shared read-only by all
 * threads); one nlp_tagger per thread (MeCab tagger + lattice). Supported
 * dictionaries: Debian's mecab-ipadic-utf8 and unidic-mecab; the dictionary
 * directory is always named explicitly (never MeCab's system default).
 *
 * A term is the normalised base form (IPADIC) or lemma (UniDic) of a content
 * word: nouns, verbs, adjectives, adjectival nouns, prefixes, noun
 * suffixes, the interrogatives that name what is asked (いつ, どこ, いくら,
 * なぜ, 何日, 何回) and 初めて; particles, auxiliaries, symbols, other
 * adverbs and a short list of empty verbs (する, いる, ある, なる ...) are
 * not terms. Each term carries the katakana reading of its surface so
 * kana-only queries can be matched. */
#ifndef NLP_TOK_H
#define NLP_TOK_H

#include <stddef.h>

#include "mdg.h"

/* Revision of the terms a text yields. Bump it whenever a change here gives
 * some text other terms (2: a number with a unit is also the unit, negation
 * before a noun is kept, IPADIC's 「〜はいつ」 keeps いつ; 3: a final ー of a
 * katakana word of four or more characters is dropped; 4: IPADIC's もらう as
 * a main verb is a term, kanji spellings of empty verbs such as 出来る are
 * not; 5: the interrogative adverbs いくら and なぜ are terms; 6: 何 and its
 * counter, 何日 or 何回, are one term; 7: the adverb 初めて is a term; 8:
 * the synonym dictionary's words have readings too): each knowledge-base
 * version records the revision it was indexed with, and one indexed before
 * is reported for re-import. */
#define NLP_ANALYZER_REVISION 8

typedef struct nlp_model nlp_model;
typedef struct nlp_tagger nlp_tagger;

typedef enum nlp_dict_kind { NLP_DICT_IPADIC = 1, NLP_DICT_UNIDIC = 2 } nlp_dict_kind;

/* Default dictionary directory (Debian's UniDic or IPADIC, see README:
 * "Retrieval quality" for the measurement behind the choice). */
const char *nlp_default_dicdir(void);

/* Loads the dictionary at dicdir (NULL: $MDG_DICDIR, else the default).
 * Detects IPADIC vs UniDic from the feature layout. */
mdg_rc nlp_model_open(const char *dicdir, nlp_model **out, char **err);
void nlp_model_close(nlp_model *m);
nlp_dict_kind nlp_model_kind(const nlp_model *m);
const char *nlp_model_dicdir(const nlp_model *m);

/* A tagger for one thread; the model must outlive it. */
mdg_rc nlp_tagger_new(nlp_model *m, nlp_tagger **out, char **err);
void nlp_tagger_free(nlp_tagger *t);

typedef struct nlp_term {
	const char *term;    /* normalised base form, NUL-terminated */
	size_t len;
	const char *reading; /* katakana reading of the surface, may be "" */
	size_t start, end;   /* byte offsets of the surface in the input */
	int predicate;       /* 1: a verb or adjective (what is done or how),
			      * 0: a noun-like word (what it is about) */
} nlp_term;

/* Called for each term in order; a non-zero return stops the walk and is
 * returned by nlp_tagger_terms (as MDG_ERR_INVALID if not an mdg_rc). The
 * strings are valid only during the call. */
typedef int (*nlp_term_cb)(void *ctx, const nlp_term *t);

/* Tokenises already-normalised text (see nlp_norm). */
mdg_rc nlp_tagger_terms(nlp_tagger *t, const char *text, size_t n,
			nlp_term_cb cb, void *ctx);

typedef struct nlp_span {
	size_t start, end; /* byte offsets in the input */
} nlp_span;

/* The auxiliaries of conjugation (ない, たい, ます, た, れる, せる ...)
 * MeCab reads in already-normalised text right after a verb, an adjective or
 * another such auxiliary: でき「なく」なった, 行き「たい」. They are grammar,
 * so a word read from kana does not start there (でき|なくなった is no
 * 亡くなる; in がなくなった MeCab reads the verb なくなる). Fills at most max
 * spans in text order and sets *count. */
mdg_rc nlp_tagger_aux_spans(nlp_tagger *t, const char *text, size_t n, nlp_span *out,
			    size_t max, size_t *count);

#endif
