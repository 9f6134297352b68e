/* fts5_mecab.c — registers MeCab as an FTS5 tokenizer (v1 API, SQLite 3.40). */
#include "fts5_mecab.h"

#include <stdlib.h>
#include <string.h>

/* What the tokenizer was registered with (one per connection). */
typedef struct registration {
	nlp_model *model;
	nlp_tagger *shared; /* the connection's tagger, or NULL */
} registration;

typedef struct tokenizer {
	nlp_tagger *tagger;
	int owned;
} tokenizer;

static int tok_create(void *ctx, const char **argv, int argc, Fts5Tokenizer **out)
{
	registration *reg = ctx;
	tokenizer *t = calloc(1, sizeof *t);
	if (t == NULL)
		return SQLITE_NOMEM;
	if (reg->shared) {
		t->tagger = reg->shared;
	} else if (nlp_tagger_new(reg->model, &t->tagger, NULL) == MDG_OK) {
		t->owned = 1;
	} else {
		free(t);
		return SQLITE_ERROR;
	}
	*out = (Fts5Tokenizer *)t;
	return SQLITE_OK;
}

static void tok_delete(Fts5Tokenizer *p)
{
	tokenizer *t = (tokenizer *)p;
	if (t == NULL)
		return;
	if (t->owned)
		nlp_tagger_free(t->tagger);
	free(t);
}

typedef struct emit_ctx {
	void *fts_ctx;
	int (*xToken)(void *, int, const char *, int, int, int);
	int rc;
	char prev[NLP_BIGRAM_MAX];
	size_t prev_len, prev_start, prev_end;
} emit_ctx;

size_t nlp_bigram(const char *a, size_t an, const char *b, size_t bn, char *out,
		  size_t cap)
{
	if (an + bn + 2 > cap)
		return 0;
	memcpy(out, a, an);
	out[an] = NLP_BIGRAM_SEP;
	memcpy(out + an + 1, b, bn);
	out[an + 1 + bn] = '\0';
	return an + 1 + bn;
}

static int emit_term(void *c, const nlp_term *term)
{
	emit_ctx *e = c;
	e->rc = e->xToken(e->fts_ctx, 0, term->term, (int)term->len,
			  (int)term->start, (int)term->end);
	/* Adjacent content words also form a compound term (自動+車, 車+税). */
	if (e->rc == SQLITE_OK && e->prev_len && e->prev_end == term->start) {
		char bg[NLP_BIGRAM_MAX];
		size_t n = nlp_bigram(e->prev, e->prev_len, term->term, term->len, bg,
				      sizeof bg);
		if (n)
			e->rc = e->xToken(e->fts_ctx, 0, bg, (int)n, (int)e->prev_start,
					  (int)term->end);
	}
	e->prev_len = 0;
	if (term->len < sizeof e->prev) {
		memcpy(e->prev, term->term, term->len);
		e->prev_len = term->len;
		e->prev_start = term->start;
		e->prev_end = term->end;
	}
	return e->rc != SQLITE_OK; /* stop when FTS5 says so */
}

static int tok_tokenize(Fts5Tokenizer *p, void *ctx, int flags, const char *text,
			int n, int (*xToken)(void *, int, const char *, int, int, int))
{
	tokenizer *t = (tokenizer *)p;
	if (n <= 0)
		return SQLITE_OK;
	if (flags & FTS5_TOKENIZE_QUERY)
		return xToken(ctx, 0, text, n, 0, n);
	emit_ctx e = {.fts_ctx = ctx, .xToken = xToken, .rc = SQLITE_OK};
	mdg_rc rc = nlp_tagger_terms(t->tagger, text, (size_t)n, emit_term, &e);
	if (e.rc != SQLITE_OK)
		return e.rc;
	return rc == MDG_OK ? SQLITE_OK : SQLITE_ERROR;
}

mdg_rc nlp_fts5_api(sqlite3 *db, fts5_api **out, char **err)
{
	fts5_api *api = NULL;
	sqlite3_stmt *st = NULL;
	if (sqlite3_prepare_v2(db, "SELECT fts5(?1)", -1, &st, NULL) != SQLITE_OK)
		return mdg_fail(err, MDG_ERR_DB, "FTS5 unavailable: %s",
				sqlite3_errmsg(db));
	sqlite3_bind_pointer(st, 1, (void *)&api, "fts5_api_ptr", NULL);
	sqlite3_step(st);
	sqlite3_finalize(st);
	if (api == NULL || api->iVersion < 2)
		return mdg_fail(err, MDG_ERR_DB, "FTS5 API not available");
	*out = api;
	return MDG_OK;
}

mdg_rc nlp_fts5_register(sqlite3 *db, nlp_model *model, nlp_tagger *shared,
			 char **err)
{
	fts5_api *api;
	mdg_rc rc = nlp_fts5_api(db, &api, err);
	if (rc != MDG_OK)
		return rc;
	registration *reg = calloc(1, sizeof *reg);
	if (reg == NULL)
		return MDG_ERR_NOMEM;
	reg->model = model;
	reg->shared = shared;
	fts5_tokenizer tk = {tok_create, tok_delete, tok_tokenize};
	/* FTS5 frees reg with free() when the connection closes. */
	if (api->xCreateTokenizer(api, "mecab", reg, &tk, free) != SQLITE_OK)
		return mdg_fail(err, MDG_ERR_DB, "cannot register tokenizer: %s",
				sqlite3_errmsg(db));
	return MDG_OK;
}
