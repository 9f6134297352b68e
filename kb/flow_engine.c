/* flow_engine.c — walking a flow set: positions, choices, typed answers,
 * back/restart/quit, handoff summaries, and the path listing used by
 * review tables (see flow.h). Pure: no database, no I/O. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../nlp/norm.h"
#include "flow_internal.h"

#define FLOW_MAX_INPUT_BYTES 4096
#define MATCH_ACCEPT         0.7  /* an option named this well is chosen */
#define MATCH_TIE            0.03 /* ... unless another is within this margin */
#define CONTROL_SLACK        4 /* 「最初からお願い」: extra characters allowed */

const char *flow_reply_type_name(flow_reply_type t)
{
	switch (t) {
	case FLOW_REPLY_NOMATCH:
		return "nomatch";
	case FLOW_REPLY_QUESTION:
		return "flow";
	case FLOW_REPLY_ANSWER:
		return "answer";
	case FLOW_REPLY_TRIAGE:
		return "triage_result";
	case FLOW_REPLY_HANDOFF:
		return "handoff";
	case FLOW_REPLY_END:
		return "flow_end";
	}
	return "?";
}

const char *flow_option_kind_name(flow_option_kind k)
{
	switch (k) {
	case FLOW_OPT_NEXT:
		return "next";
	case FLOW_OPT_HANDOFF:
		return "handoff";
	case FLOW_OPT_BACK:
		return "back";
	case FLOW_OPT_RESTART:
		return "restart";
	case FLOW_OPT_QUIT:
		return "quit";
	case FLOW_OPT_RESUME:
		return "resume";
	}
	return "?";
}

static const struct {
	flow_option_kind kind;
	const char *id, *label;
	const char *words[16]; /* typed forms, normalised */
} controls[] = {
    {FLOW_OPT_BACK,
     "back",
     "戻る",
     {"戻る", "もどる", "戻って", "戻りたい", "戻ります", "前に戻る", "前に戻って",
      "ひとつ前", "一つ前", "1つ前", "前の質問", "前へ", "back", NULL}},
    {FLOW_OPT_RESTART,
     "restart",
     "最初から",
     {"最初から", "はじめから", "初めから", "最初に戻る", "最初に戻って", "やり直す",
      "やりなおす", "やり直し", "やり直したい", "最初からやり直す", "restart", NULL}},
    {FLOW_OPT_QUIT,
     "quit",
     "やめる",
     {"やめる", "止める", "辞める", "やめます", "やめたい", "終了", "終わる", "おわる",
      "終わり", "おわり", "中止", "キャンセル", "もういい", "quit", "cancel", NULL}},
    {FLOW_OPT_RESUME, "resume", "相談を続ける", {NULL}},
    {FLOW_OPT_HANDOFF, "handoff", NULL, {NULL}},
};

static const char *control_label(flow_option_kind k)
{
	for (size_t i = 0; i < sizeof controls / sizeof *controls; i++)
		if (controls[i].kind == k)
			return controls[i].label;
	return "";
}

static const char *control_id(flow_option_kind k)
{
	for (size_t i = 0; i < sizeof controls / sizeof *controls; i++)
		if (controls[i].kind == k)
			return controls[i].id;
	return "";
}

/* ---- positions ---- */

typedef struct walk {
	int first; /* flow the position starts in */
	int flow;  /* current flow and node */
	int node;
	size_t nchoices;
	const flow_opt *chosen[FLOW_MAX_PATH];
	flow_step steps[FLOW_MAX_PATH];
} walk;

static const flow_node *cur(const flow_set *s, const walk *w)
{
	return &s->flows[w->flow].nodes[w->node];
}

/* Replays pos ("flow/choice/...") from the flow's start. */
static mdg_rc replay(const flow_set *s, const char *pos, walk *w, char **err)
{
	memset(w, 0, sizeof *w);
	size_t plen = pos ? strlen(pos) : 0;
	if (plen == 0 || plen > FLOW_POS_MAX)
		return mdg_fail(err, MDG_ERR_NOTFOUND, "no flow position");
	/* Segments are ids ([a-z0-9_-]), so '/' cannot occur inside one. */
	char id[FLOW_ID_MAX + 1];
	const char *p = pos, *e = strchr(p, '/');
	size_t k = e ? (size_t)(e - p) : strlen(p);
	int f = -1;
	if (k > 0 && k <= FLOW_ID_MAX) {
		memcpy(id, p, k);
		id[k] = '\0';
		f = flow_find(s, id);
	}
	if (f < 0 || s->flows[f].start < 0)
		return mdg_fail(err, MDG_ERR_NOTFOUND, "flow '%.64s' does not exist",
		                k <= FLOW_ID_MAX ? id : "?");
	w->first = w->flow = f;
	w->node = s->flows[f].start;
	while (e) {
		p = e + 1;
		e = strchr(p, '/');
		k = e ? (size_t)(e - p) : strlen(p);
		const flow_node *n = cur(s, w);
		const flow_opt *o = NULL;
		for (size_t i = 0; i < n->nopts && !o && k > 0; i++)
			if (strlen(n->opts[i].id) == k &&
			    memcmp(n->opts[i].id, p, k) == 0)
				o = &n->opts[i];
		if (o == NULL || w->nchoices >= FLOW_MAX_PATH)
			return mdg_fail(err, MDG_ERR_NOTFOUND,
			                "position does not resolve in flow '%s' "
			                "(content changed?)",
			                s->flows[w->flow].id);
		w->chosen[w->nchoices] = o;
		w->steps[w->nchoices] = (flow_step){n->text, n->summary, o->label};
		w->nchoices++;
		if (o->next_node >= 0) {
			w->node = o->next_node;
		} else {
			w->flow = o->jump_flow;
			w->node = s->flows[w->flow].start;
		}
	}
	return MDG_OK;
}

static char *pos_string(const flow_set *s, const walk *w, size_t nchoices)
{
	mdg_buf b = {.limit = FLOW_POS_MAX + 1};
	mdg_rc rc = mdg_buf_adds(&b, s->flows[w->first].id);
	for (size_t i = 0; i < nchoices && rc == MDG_OK; i++)
		rc = mdg_buf_printf(&b, "/%s", w->chosen[i]->id);
	if (rc != MDG_OK) {
		mdg_buf_free(&b);
		return NULL;
	}
	return mdg_buf_take(&b, NULL);
}

/* ---- replies ---- */

void flow_reply_free(flow_reply *r)
{
	if (r == NULL)
		return;
	free(r->text);
	free(r->options);
	free(r->steps);
	free(r->summary);
	free(r->pos);
	free(r);
}

static mdg_rc add_option(flow_reply *r, const char *id, const char *label,
                         flow_option_kind k)
{
	flow_option *no = realloc(r->options, (r->noptions + 1) * sizeof *no);
	if (no == NULL)
		return MDG_ERR_NOMEM;
	r->options = no;
	no[r->noptions++] = (flow_option){id, label, k};
	return MDG_OK;
}

static mdg_rc add_control(flow_reply *r, const flow_set *s, flow_option_kind k)
{
	return add_option(r, control_id(k),
	                  k == FLOW_OPT_HANDOFF ? s->handoff_label : control_label(k), k);
}

static int has_handoff(const flow_set *s, const walk *w)
{
	return s->flows[w->flow].handoff && s->handoff_label != NULL;
}

static int flow_has_triage(const flow_def *f)
{
	for (size_t i = 0; i < f->nnodes; i++)
		if (f->nodes[i].kind == FLOW_NODE_TRIAGE)
			return 1;
	return 0;
}

static flow_reply *reply_new(const flow_set *s, const walk *w)
{
	flow_reply *r = calloc(1, sizeof *r);
	if (r == NULL)
		return NULL;
	const flow_def *f = &s->flows[w->flow];
	const flow_node *n = cur(s, w);
	r->flow_id = f->id;
	r->flow_title = f->title;
	r->node_id = n->id;
	r->answer_title = r->contact = r->advice = r->care_text = "";
	r->urgency = flow_urgency_of(0);
	r->leaf = n->kind != FLOW_NODE_QUESTION;
	if (w->nchoices) {
		r->steps = malloc(w->nchoices * sizeof *r->steps);
		if (r->steps == NULL) {
			free(r);
			return NULL;
		}
		memcpy(r->steps, w->steps, w->nchoices * sizeof *r->steps);
		r->nsteps = w->nchoices;
	}
	return r;
}

/* Ends building r: its position string, then *out = r, or r freed and the
 * first error returned. */
static mdg_rc finish_reply(const flow_set *s, const walk *w, flow_reply *r, mdg_rc rc,
                           flow_reply **out)
{
	if (rc == MDG_OK && (r->pos = pos_string(s, w, w->nchoices)) == NULL)
		rc = MDG_ERR_NOMEM;
	if (rc != MDG_OK) {
		flow_reply_free(r);
		return rc;
	}
	*out = r;
	return MDG_OK;
}

/* The reply for the node the walk is at. */
static mdg_rc render(const flow_set *s, const walk *w, const char *prefix,
                     flow_reply **out)
{
	*out = NULL;
	flow_reply *r = reply_new(s, w);
	if (r == NULL)
		return MDG_ERR_NOMEM;
	const flow_node *n = cur(s, w);
	mdg_rc rc = MDG_OK;
	switch (n->kind) {
	case FLOW_NODE_QUESTION:
		r->type = FLOW_REPLY_QUESTION;
		for (size_t i = 0; i < n->nopts && rc == MDG_OK; i++)
			rc =
			    add_option(r, n->opts[i].id, n->opts[i].label, FLOW_OPT_NEXT);
		break;
	case FLOW_NODE_ANSWER:
		r->type = FLOW_REPLY_ANSWER;
		r->answer_title = n->title;
		r->links = n->links;
		r->nlinks = n->nlinks;
		r->contact = n->contact;
		break;
	case FLOW_NODE_TRIAGE:
		r->type = FLOW_REPLY_TRIAGE;
		r->urgency = flow_urgency_of(n->level);
		r->advice = n->advice;
		r->care_text = s->care_text ? s->care_text : "";
		r->care_links = s->care_links;
		r->ncare_links = s->ncare_links;
		break;
	}
	if (rc == MDG_OK && has_handoff(s, w))
		rc = add_control(r, s, FLOW_OPT_HANDOFF);
	if (rc == MDG_OK && w->nchoices) {
		rc = add_control(r, s, FLOW_OPT_BACK);
		if (rc == MDG_OK)
			rc = add_control(r, s, FLOW_OPT_RESTART);
	}
	if (rc == MDG_OK && n->kind == FLOW_NODE_QUESTION)
		rc = add_control(r, s, FLOW_OPT_QUIT);
	if (rc == MDG_OK) {
		const char *body = n->text;
		if (n->kind == FLOW_NODE_TRIAGE && body[0] == '\0')
			body = r->urgency.label;
		if (asprintf(&r->text, "%s%s", prefix ? prefix : "", body) < 0) {
			r->text = NULL;
			rc = MDG_ERR_NOMEM;
		}
	}
	return finish_reply(s, w, r, rc, out);
}

static mdg_rc render_handoff(const flow_set *s, const walk *w, flow_reply **out)
{
	*out = NULL;
	flow_reply *r = reply_new(s, w);
	if (r == NULL)
		return MDG_ERR_NOMEM;
	const flow_def *f = &s->flows[w->flow];
	const flow_node *n = cur(s, w);
	r->type = FLOW_REPLY_HANDOFF;
	r->phones = s->phones;
	r->nphones = s->nphones;
	if (n->kind == FLOW_NODE_TRIAGE)
		r->urgency = flow_urgency_of(n->level);
	mdg_buf b = {.limit = 64 * 1024};
	mdg_rc rc = mdg_buf_printf(&b, "【ご相談内容のまとめ】\n%s: %s\n",
	                           flow_has_triage(f) ? "症状" : "ご用件", f->title);
	for (size_t i = 0; i < w->nchoices && rc == MDG_OK; i++)
		rc = mdg_buf_printf(&b, "・%s → %s\n",
		                    w->steps[i].summary[0] ? w->steps[i].summary
		                                           : w->steps[i].question,
		                    w->steps[i].answer);
	if (rc == MDG_OK && w->nchoices == 0)
		rc = mdg_buf_adds(&b, "・（まだ質問にお答えいただいていません）\n");
	if (rc == MDG_OK && r->urgency.level)
		rc = mdg_buf_printf(&b, "判定: 緊急度%d（%s）%s\n", r->urgency.level,
		                    r->urgency.color_ja, r->urgency.label);
	if (rc == MDG_OK) {
		r->summary = mdg_buf_take(&b, NULL);
		if (r->summary == NULL)
			rc = MDG_ERR_NOMEM;
		else if ((r->text = strdup(s->handoff_text)) == NULL)
			rc = MDG_ERR_NOMEM;
	}
	mdg_buf_free(&b);
	if (rc == MDG_OK)
		rc = add_control(r, s, FLOW_OPT_RESUME);
	if (rc == MDG_OK)
		rc = add_control(r, s, FLOW_OPT_QUIT);
	return finish_reply(s, w, r, rc, out);
}

static mdg_rc render_end(const flow_set *s, const walk *w, flow_reply **out)
{
	flow_reply *r = reply_new(s, w);
	if (r == NULL)
		return MDG_ERR_NOMEM;
	r->type = FLOW_REPLY_END;
	r->leaf = 0;
	r->text = strdup("ご案内を終了しました。ほかにご質問があれば、"
	                 "入力してください。");
	r->pos = strdup("");
	if (!r->text || !r->pos) {
		flow_reply_free(r);
		return MDG_ERR_NOMEM;
	}
	*out = r;
	return MDG_OK;
}

/* Applies option o at the walk's node (a question) and renders. */
static mdg_rc apply(const flow_set *s, walk *w, const flow_opt *o, flow_reply **out,
                    char **err)
{
	if (w->nchoices >= FLOW_MAX_PATH)
		return mdg_fail(err, MDG_ERR_TOOBIG,
		                "the conversation went through more than %d "
		                "questions; start again",
		                FLOW_MAX_PATH);
	const flow_node *n = cur(s, w);
	w->chosen[w->nchoices] = o;
	w->steps[w->nchoices] = (flow_step){n->text, n->summary, o->label};
	w->nchoices++;
	if (o->next_node >= 0) {
		w->node = o->next_node;
	} else {
		w->flow = o->jump_flow;
		w->node = s->flows[w->flow].start;
	}
	return render(s, w, NULL, out);
}

/* Re-walks the first k choices of w (back / restart). */
static mdg_rc rewind_to(const flow_set *s, const walk *w, size_t k, flow_reply **out,
                        char **err)
{
	char *p = pos_string(s, w, k);
	if (p == NULL)
		return MDG_ERR_NOMEM;
	walk w2;
	mdg_rc rc = replay(s, p, &w2, err);
	free(p);
	return rc == MDG_OK ? render(s, &w2, NULL, out) : rc;
}

mdg_rc flow_start(const flow_set *s, const char *flow_id, flow_reply **out, char **err)
{
	*out = NULL;
	if (flow_id == NULL || !flow_id_valid(flow_id) || flow_find(s, flow_id) < 0)
		return mdg_fail(err, MDG_ERR_NOTFOUND, "no flow named '%s'",
		                flow_id ? flow_id : "");
	walk w;
	mdg_rc rc = replay(s, flow_id, &w, err);
	return rc == MDG_OK ? render(s, &w, NULL, out) : rc;
}

mdg_rc flow_render(const flow_set *s, const char *pos, flow_reply **out, char **err)
{
	*out = NULL;
	walk w;
	mdg_rc rc = replay(s, pos, &w, err);
	return rc == MDG_OK ? render(s, &w, NULL, out) : rc;
}

/* Applies a control (back, restart, quit, handoff, resume). */
static mdg_rc do_control(const flow_set *s, walk *w, flow_option_kind k, flow_reply **out,
                         char **err)
{
	switch (k) {
	case FLOW_OPT_BACK:
		return rewind_to(s, w, w->nchoices ? w->nchoices - 1 : 0, out, err);
	case FLOW_OPT_RESTART:
		return rewind_to(s, w, 0, out, err);
	case FLOW_OPT_QUIT:
		return render_end(s, w, out);
	case FLOW_OPT_HANDOFF:
		return render_handoff(s, w, out);
	case FLOW_OPT_RESUME:
	case FLOW_OPT_NEXT:
		break;
	}
	return render(s, w, NULL, out);
}

/* Is control k offered at the walk's position? */
static int offered(const flow_set *s, const walk *w, flow_option_kind k)
{
	switch (k) {
	case FLOW_OPT_BACK:
	case FLOW_OPT_RESTART:
		return w->nchoices > 0;
	case FLOW_OPT_QUIT:
		return cur(s, w)->kind == FLOW_NODE_QUESTION;
	case FLOW_OPT_RESUME:
		/* Offered by handoff replies, which keep the position: always
		 * acceptable. */
		return 1;
	case FLOW_OPT_HANDOFF:
		return has_handoff(s, w);
	case FLOW_OPT_NEXT:
		break;
	}
	return 0;
}

static mdg_rc by_choice(const flow_set *s, walk *w, const char *choice, flow_reply **out,
                        char **err)
{
	for (size_t i = 0; i < sizeof controls / sizeof *controls; i++)
		if (strcmp(choice, controls[i].id) == 0) {
			if (!offered(s, w, controls[i].kind))
				break;
			return do_control(s, w, controls[i].kind, out, err);
		}
	const flow_node *n = cur(s, w);
	for (size_t i = 0; i < n->nopts; i++)
		if (strcmp(n->opts[i].id, choice) == 0)
			return apply(s, w, &n->opts[i], out, err);
	return mdg_fail(err, MDG_ERR_INVALID,
	                "choice '%.64s' is not offered at node '%s' of flow '%s'", choice,
	                n->id, s->flows[w->flow].id);
}

/* 1 if the typed text is control word: the whole message, or the word
 * with a few characters around it (「最初からお願い」). */
static int is_control_word(const flow_text *x, const char *const *words)
{
	size_t xl = nlp_utf8_len(x->bare, strlen(x->bare));
	for (; *words; words++) {
		if (strcmp(x->bare, *words) == 0)
			return 1;
		size_t wl = nlp_utf8_len(*words, strlen(*words));
		if (xl <= wl + CONTROL_SLACK && wl >= 2 && strstr(x->bare, *words) &&
		    !flow_negated_after(strstr(x->bare, *words) + strlen(*words)))
			return 1;
	}
	return 0;
}

static double best_phrase(const flow_phrase *p, size_t n, const flow_text *x)
{
	double best = 0;
	for (size_t i = 0; i < n; i++) {
		double sc = flow_phrase_score(&p[i], x);
		if (sc > best)
			best = sc;
	}
	return best;
}

static mdg_rc by_text(const flow_set *s, walk *w, nlp_tagger *t, const char *text,
                      size_t len, flow_reply **out, char **err)
{
	if (len > FLOW_MAX_INPUT_BYTES)
		return mdg_fail(err, MDG_ERR_TOOBIG, "message over %d bytes",
		                FLOW_MAX_INPUT_BYTES);
	flow_text x;
	mdg_rc rc = flow_text_init(&x, text, len, t, err);
	if (rc != MDG_OK) {
		flow_text_clear(&x);
		return rc;
	}
	const flow_node *n = cur(s, w);
	int done = 0;
	for (size_t i = 0; i < sizeof controls / sizeof *controls && !done; i++)
		if (controls[i].words[0] && is_control_word(&x, controls[i].words)) {
			/* Typed 戻る at the start is answered with the question
			 * again rather than an error. */
			flow_option_kind k = controls[i].kind;
			if (!offered(s, w, k) && k != FLOW_OPT_QUIT)
				k = FLOW_OPT_RESUME;
			rc = do_control(s, w, k, out, err);
			done = 1;
		}
	if (!done && has_handoff(s, w) &&
	    best_phrase(s->handoff_phr, s->nhandoff_phr, &x) >= 0.85) {
		rc = render_handoff(s, w, out);
		done = 1;
	}
	if (!done && n->kind == FLOW_NODE_QUESTION) {
		/* "1".."n": the n-th option, for keyboards and phones. */
		char *end = NULL;
		long k = strtol(x.bare, &end, 10);
		if (x.bare[0] >= '1' && x.bare[0] <= '9' && *end == '\0' && k >= 1 &&
		    (size_t)k <= n->nopts) {
			rc = apply(s, w, &n->opts[k - 1], out, err);
			done = 1;
		}
	}
	if (!done && n->kind == FLOW_NODE_QUESTION) {
		double best = 0, second = 0;
		const flow_opt *pick = NULL;
		for (size_t i = 0; i < n->nopts; i++) {
			double sc = best_phrase(n->opts[i].phr, n->opts[i].nphr, &x);
			if (sc > best) {
				second = best;
				best = sc;
				pick = &n->opts[i];
			} else if (sc > second) {
				second = sc;
			}
		}
		if (best >= MATCH_ACCEPT && second > best - MATCH_TIE) {
			rc = render(s, w,
			            "どれに当てはまるか、選択肢から選んでください。\n",
			            out);
			done = 1;
		} else if (best >= MATCH_ACCEPT) {
			rc = apply(s, w, pick, out, err);
			done = 1;
		}
	}
	if (!done) {
		/* Nothing here: the caller searches the FAQ and may come back
		 * with flow_render. */
		flow_reply *r = reply_new(s, w);
		if (r == NULL)
			rc = MDG_ERR_NOMEM;
		else if ((r->pos = pos_string(s, w, w->nchoices)) == NULL ||
		         (r->text = strdup("")) == NULL) {
			flow_reply_free(r);
			rc = MDG_ERR_NOMEM;
		} else {
			r->type = FLOW_REPLY_NOMATCH;
			*out = r;
		}
	}
	flow_text_clear(&x);
	return rc;
}

mdg_rc flow_step_input(const flow_set *s, nlp_tagger *t, const char *pos,
                       const flow_input *in, flow_reply **out, char **err)
{
	*out = NULL;
	walk w;
	mdg_rc rc = replay(s, pos, &w, err);
	if (rc != MDG_OK)
		return rc;
	if (in->choice)
		return by_choice(s, &w, in->choice, out, err);
	if (in->text == NULL)
		return mdg_fail(err, MDG_ERR_INVALID, "no choice and no text");
	return by_text(s, &w, t, in->text, in->len, out, err);
}

mdg_rc flow_trigger_match(const flow_set *s, nlp_tagger *t, const char *text, size_t len,
                          const char **flow_id, double *score, char **err)
{
	*flow_id = NULL;
	*score = 0;
	if (len > FLOW_MAX_INPUT_BYTES)
		return mdg_fail(err, MDG_ERR_TOOBIG, "message over %d bytes",
		                FLOW_MAX_INPUT_BYTES);
	int any = 0;
	for (size_t i = 0; s && i < s->nflows && !any; i++)
		any = s->flows[i].ntriggers > 0;
	if (!any)
		return MDG_OK;
	flow_text x;
	mdg_rc rc = flow_text_init(&x, text, len, t, err);
	if (rc == MDG_OK) {
		for (size_t i = 0; i < s->nflows; i++) {
			double sc =
			    best_phrase(s->flows[i].triggers, s->flows[i].ntriggers, &x);
			if (sc > *score) {
				*score = sc;
				*flow_id = s->flows[i].id;
			}
		}
	}
	flow_text_clear(&x);
	return rc;
}

/* ---- every path, for review tables ---- */

typedef struct paths {
	const flow_set *s;
	const flow_def *f;
	int (*cb)(void *, const flow_path *);
	void *ctx;
	flow_step steps[FLOW_MAX_NODES];
	unsigned char *on_path;
	int stop;
} paths;

static void paths_dfs(paths *P, int node, size_t depth)
{
	const flow_node *n = &P->f->nodes[node];
	flow_path p = {P->f->id, P->f->title, P->steps, depth, "", "", 0, NULL, n->id};
	if (n->kind == FLOW_NODE_ANSWER) {
		p.answer_title = n->title;
		p.answer_text = n->text;
		P->stop = P->cb(P->ctx, &p);
		return;
	}
	if (n->kind == FLOW_NODE_TRIAGE) {
		p.level = n->level;
		p.answer_text = n->text;
		P->stop = P->cb(P->ctx, &p);
		return;
	}
	P->on_path[node] = 1;
	for (size_t i = 0; i < n->nopts && !P->stop; i++) {
		const flow_opt *o = &n->opts[i];
		P->steps[depth] = (flow_step){n->text, n->summary, o->label};
		if (o->jump_flow >= 0) {
			flow_path j = {
			    P->f->id, P->f->title, P->steps, depth + 1,
			    "",       "",          0,        P->s->flows[o->jump_flow].id,
			    ""};
			P->stop = P->cb(P->ctx, &j);
		} else if (o->next_node >= 0 && !P->on_path[o->next_node] &&
		           depth + 1 < FLOW_MAX_NODES) {
			paths_dfs(P, o->next_node, depth + 1);
		}
	}
	P->on_path[node] = 0;
}

mdg_rc flow_set_paths(const flow_set *s, int (*cb)(void *ctx, const flow_path *p),
                      void *ctx, char **err)
{
	paths P = {.s = s, .cb = cb, .ctx = ctx};
	for (size_t i = 0; i < s->nflows && !P.stop; i++) {
		P.f = &s->flows[i];
		P.on_path = calloc(P.f->nnodes, 1);
		if (P.on_path == NULL)
			return MDG_ERR_NOMEM;
		paths_dfs(&P, P.f->start, 0);
		free(P.on_path);
	}
	(void)err;
	return MDG_OK;
}
