/* flow.c — parsing flow YAML into a flow set and validating it completely
 * (see flow.h for the format and the list of checks). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "flow_internal.h"

/* Option ids the engine itself offers. */
static const char *const reserved_ids[] = {"back",    "restart", "quit",
                                           "handoff", "resume",  NULL};

static const struct {
	const char *label, *color, *color_ja;
} levels[6] = {
    {"", "", ""},
    {"今すぐ救急車を呼びましょう（119）", "red", "赤"},
    {"できるだけ早く（1時間以内に）医療機関を受診しましょう", "orange", "橙"},
    {"数時間以内（6〜8時間を目安）に受診しましょう", "yellow", "黄"},
    {"翌日など通常の診療時間内に受診しましょう", "green", "緑"},
    {"現時点で医療機関を受診する必要はないでしょう（家庭での対処法をご案内します）",
     "white", "白"},
};

flow_urgency flow_urgency_of(int level)
{
	flow_urgency u = {0, "", "", ""};
	if (level >= 1 && level <= 5) {
		u.level = level;
		u.label = levels[level].label;
		u.color = levels[level].color;
		u.color_ja = levels[level].color_ja;
	}
	return u;
}

/* ---- freeing ---- */

static void opt_clear(flow_opt *o)
{
	free(o->id);
	free(o->label);
	for (size_t i = 0; i < o->nphr; i++)
		flow_phrase_clear(&o->phr[i]);
	free(o->phr);
	free(o->next);
	free(o->jump);
}

static void node_clear(flow_node *n)
{
	free(n->id);
	free(n->text);
	free(n->summary);
	for (size_t i = 0; i < n->nopts; i++)
		opt_clear(&n->opts[i]);
	free(n->opts);
	free(n->title);
	flow_links_free(n->links, n->nlinks);
	free(n->contact);
	free(n->advice);
}

static void def_clear(flow_def *f)
{
	free(f->id);
	free(f->title);
	for (size_t i = 0; i < f->ntriggers; i++)
		flow_phrase_clear(&f->triggers[i]);
	free(f->triggers);
	for (size_t i = 0; i < f->nnodes; i++)
		node_clear(&f->nodes[i]);
	free(f->nodes);
}

static void set_free(flow_set *s)
{
	for (size_t i = 0; i < s->nflows; i++)
		def_clear(&s->flows[i]);
	free(s->flows);
	flow_strv_free(s->files, s->nfiles);
	free(s->handoff_label);
	free(s->handoff_text);
	for (size_t i = 0; i < s->nhandoff_phr; i++)
		flow_phrase_clear(&s->handoff_phr[i]);
	free(s->handoff_phr);
	flow_phones_free(s->phones, s->nphones);
	free(s->care_text);
	flow_links_free(s->care_links, s->ncare_links);
	for (size_t i = 0; i < s->nincludes; i++)
		free(s->includes[i]);
	free(s);
}

flow_set *flow_set_retain(flow_set *s)
{
	if (s)
		s->refs++;
	return s;
}

void flow_set_release(flow_set *s)
{
	if (s && --s->refs <= 0)
		set_free(s);
}

size_t flow_set_nflows(const flow_set *s)
{
	return s ? s->nflows : 0;
}

const char *flow_set_flow_id(const flow_set *s, size_t i)
{
	return i < s->nflows ? s->flows[i].id : NULL;
}

const char *flow_set_flow_title(const flow_set *s, size_t i)
{
	return i < s->nflows ? s->flows[i].title : NULL;
}

int flow_find(const flow_set *s, const char *id)
{
	for (size_t i = 0; s && i < s->nflows; i++)
		if (strcmp(s->flows[i].id, id) == 0)
			return (int)i;
	return -1;
}

int flow_set_has(const flow_set *s, const char *flow_id)
{
	return flow_find(s, flow_id) >= 0;
}

size_t flow_set_nincludes(const flow_set *s)
{
	return s ? s->nincludes : 0;
}

const char *flow_set_include(const flow_set *s, size_t i)
{
	return i < s->nincludes ? s->includes[i] : NULL;
}

mdg_rc flow_scan_includes(const flow_source *src, size_t nsrc,
                          char *out[FLOW_MAX_INCLUDES], size_t *nout)
{
	*nout = 0;
	mdg_rc rc = MDG_OK;
	for (size_t i = 0; i < nsrc && rc == MDG_OK; i++) {
		if (src[i].borrowed)
			continue;
		flow_report scratch = {0};
		flow_yaml y;
		/* Problems go to a scratch report: the full parse lists them. */
		if (flow_yaml_load(&y, src[i].name, src[i].text, src[i].len, &scratch) ==
		    MDG_OK) {
			yaml_node_t *v =
			    flow_yaml_get(&y, flow_yaml_root(&y), "include_bots");
			size_t n = v && v->type == YAML_SEQUENCE_NODE ? flow_yaml_len(v)
			           : v && v->type == YAML_SCALAR_NODE ? 1
			                                              : 0;
			for (size_t j = 0; j < n && rc == MDG_OK; j++) {
				yaml_node_t *it = v->type == YAML_SCALAR_NODE
				                      ? v
				                      : flow_yaml_item(&y, v, j);
				const char *id = it && it->type == YAML_SCALAR_NODE
				                     ? (const char *)it->data.scalar.value
				                     : "";
				int dup = !flow_id_valid(id);
				for (size_t k = 0; k < *nout && !dup; k++)
					dup = strcmp(out[k], id) == 0;
				if (dup || *nout == FLOW_MAX_INCLUDES)
					continue;
				if ((out[*nout] = strdup(id)) == NULL)
					rc = MDG_ERR_NOMEM;
				else
					(*nout)++;
			}
		}
		flow_yaml_free(&y);
		for (size_t j = 0; j < scratch.nproblems; j++) {
			free(scratch.problems[j].file);
			free(scratch.problems[j].flow);
			free(scratch.problems[j].node);
			free(scratch.problems[j].message);
		}
		free(scratch.problems);
	}
	return rc;
}

/* ---- parsing one file ---- */

typedef struct parser {
	flow_set *s;
	flow_report *rep;
	/* where shared blocks and flows came from, for messages */
	size_t *flow_line;
	int handoff_file, care_file;
	size_t handoff_line, care_line;
	char **err;
} parser;

#define TRY(x)                                                                           \
	do {                                                                             \
		if ((rc = (x)) != MDG_OK)                                                \
			goto out;                                                        \
	} while (0)

static mdg_rc parse_option(flow_yaml *y, yaml_node_t *m, flow_opt *o)
{
	static const char *const keys[] = {"id",   "label", "synonyms",
	                                   "next", "flow",  NULL};
	mdg_rc rc = MDG_OK;
	o->line = flow_yaml_line(m);
	o->next_node = o->jump_flow = -1;
	if (m->type != YAML_MAPPING_NODE)
		return flow_yaml_problem(y, m,
		                         "an option must be a mapping {id, label, next}");
	TRY(flow_yaml_check_keys(y, m, keys, "option"));
	TRY(flow_yaml_id(y, m, "id", 1, &o->id));
	for (const char *const *r = reserved_ids; o->id && *r; r++)
		if (strcmp(o->id, *r) == 0)
			TRY(flow_yaml_problem(y, m,
			                      "option id '%s' is reserved (back, "
			                      "restart, quit, handoff, resume)",
			                      o->id));
	TRY(flow_yaml_str(y, m, "label", 1, FLOW_MAX_LABEL_CHARS, &o->label));
	TRY(flow_yaml_id(y, m, "next", 0, &o->next));
	TRY(flow_yaml_id(y, m, "flow", 0, &o->jump));
	if (o->next && o->jump)
		TRY(flow_yaml_problem(y, m,
		                      "option '%s' has both 'next' and 'flow'; use "
		                      "one",
		                      o->id ? o->id : "?"));
	else if (!o->next && !o->jump && !flow_yaml_get(y, m, "next") &&
	         !flow_yaml_get(y, m, "flow"))
		TRY(flow_yaml_problem(y, m,
		                      "option '%s' needs 'next' (a node) or 'flow' "
		                      "(another flow)",
		                      o->id ? o->id : "?"));
	/* Synonyms are stored as phrases later (they need the tagger); keep
	 * the text in the phrase slots for now. */
	char **syn = NULL;
	size_t nsyn = 0;
	TRY(flow_yaml_strlist(y, m, "synonyms", FLOW_MAX_SYNONYMS, FLOW_MAX_PHRASE_CHARS,
	                      &syn, &nsyn));
	o->phr = calloc(nsyn + 1, sizeof *o->phr);
	if (o->phr == NULL) {
		flow_strv_free(syn, nsyn);
		return MDG_ERR_NOMEM;
	}
	o->phr[0].text = o->label ? strdup(o->label) : strdup("");
	o->nphr = 1;
	for (size_t i = 0; i < nsyn; i++)
		o->phr[o->nphr++].text = syn[i];
	free(syn);
	if (o->phr[0].text == NULL)
		rc = MDG_ERR_NOMEM;
out:
	return rc;
}

static mdg_rc parse_node(parser *P, flow_yaml *y, yaml_node_t *m, flow_node *n)
{
	static const char *const keys[] = {"id",     "text",   "summary", "options",
	                                   "answer", "triage", NULL};
	static const char *const akeys[] = {"title", "text", "links", "contact", NULL};
	static const char *const tkeys[] = {"level", "text", "advice", NULL};
	mdg_rc rc = MDG_OK;
	n->line = flow_yaml_line(m);
	if (m->type != YAML_MAPPING_NODE)
		return flow_yaml_problem(y, m, "a node must be a mapping with an 'id'");
	TRY(flow_yaml_id(y, m, "id", 1, &n->id));
	y->node = n->id;
	TRY(flow_yaml_check_keys(y, m, keys, "node"));
	TRY(flow_yaml_str(y, m, "summary", 0, FLOW_MAX_LABEL_CHARS, &n->summary));
	yaml_node_t *opts = flow_yaml_get(y, m, "options"),
	            *ans = flow_yaml_get(y, m, "answer"),
	            *tri = flow_yaml_get(y, m, "triage");
	int kinds = !!opts + !!ans + !!tri;
	if (kinds != 1) {
		TRY(flow_yaml_problem(y, m,
		                      kinds ? "a node has exactly one of 'options', "
		                              "'answer' and 'triage'"
		                            : "a node needs 'options' (a question), "
		                              "'answer' or 'triage' (a leaf)"));
		goto out;
	}
	if (opts) {
		n->kind = FLOW_NODE_QUESTION;
		TRY(flow_yaml_str(y, m, "text", 1, FLOW_MAX_TEXT_CHARS, &n->text));
		size_t cnt = flow_yaml_len(opts);
		if (opts->type != YAML_SEQUENCE_NODE || cnt == 0) {
			TRY(flow_yaml_problem(y, opts,
			                      "'options' must be a non-empty "
			                      "list"));
			goto out;
		}
		if (cnt > FLOW_MAX_OPTIONS) {
			TRY(flow_yaml_problem(y, opts, "%zu options, over the cap of %d",
			                      cnt, FLOW_MAX_OPTIONS));
			goto out;
		}
		if ((n->opts = calloc(cnt, sizeof *n->opts)) == NULL)
			return MDG_ERR_NOMEM;
		for (size_t i = 0; i < cnt; i++) {
			flow_opt *o = &n->opts[n->nopts++];
			TRY(parse_option(y, flow_yaml_item(y, opts, i), o));
			for (size_t j = 0; j + 1 < n->nopts; j++) {
				if (o->id && n->opts[j].id &&
				    strcmp(o->id, n->opts[j].id) == 0)
					TRY(flow_yaml_problem(
					    y, flow_yaml_item(y, opts, i),
					    "option ids not unique: '%s' is also "
					    "used at line %zu",
					    o->id, n->opts[j].line));
				if (o->label && n->opts[j].label &&
				    strcmp(o->label, n->opts[j].label) == 0)
					TRY(flow_yaml_problem(
					    y, flow_yaml_item(y, opts, i),
					    "option label '%s' is also used at "
					    "line %zu",
					    o->label, n->opts[j].line));
			}
		}
	} else if (ans) {
		n->kind = FLOW_NODE_ANSWER;
		if (flow_yaml_get(y, m, "text"))
			TRY(flow_yaml_problem(y, flow_yaml_get(y, m, "text"),
			                      "an answer leaf keeps its text inside "
			                      "'answer'"));
		if (ans->type != YAML_MAPPING_NODE) {
			TRY(flow_yaml_problem(y, ans,
			                      "'answer' must be a mapping {title, "
			                      "text, links, contact}"));
			goto out;
		}
		TRY(flow_yaml_check_keys(y, ans, akeys, "answer"));
		TRY(flow_yaml_str(y, ans, "title", 0, FLOW_MAX_TITLE_CHARS, &n->title));
		TRY(flow_yaml_str(y, ans, "text", 1, FLOW_MAX_ANSWER_CHARS, &n->text));
		TRY(flow_yaml_str(y, ans, "contact", 0, FLOW_MAX_TITLE_CHARS * 2,
		                  &n->contact));
		TRY(flow_yaml_links(y, ans, "links", &n->links, &n->nlinks));
	} else {
		n->kind = FLOW_NODE_TRIAGE;
		if (flow_yaml_get(y, m, "text"))
			TRY(flow_yaml_problem(y, flow_yaml_get(y, m, "text"),
			                      "a triage leaf keeps its text inside "
			                      "'triage'"));
		if (tri->type != YAML_MAPPING_NODE) {
			TRY(flow_yaml_problem(y, tri,
			                      "'triage' must be a mapping {level, "
			                      "text, advice}"));
			goto out;
		}
		TRY(flow_yaml_check_keys(y, tri, tkeys, "triage"));
		long lv = 0;
		int got = flow_yaml_int(y, tri, "level", 1, 5, &lv);
		if (got == 0)
			TRY(flow_yaml_problem(y, tri,
			                      "triage leaf without a level (1-5)"));
		n->level = got == 1 ? (int)lv : 0;
		TRY(flow_yaml_str(y, tri, "text", 0, FLOW_MAX_TEXT_CHARS, &n->text));
		TRY(flow_yaml_str(y, tri, "advice", 0, FLOW_MAX_TEXT_CHARS, &n->advice));
		if (n->level >= 4 && n->advice && n->advice[0] == '\0')
			TRY(flow_yaml_problem(y, tri,
			                      "a level %d triage leaf needs 'advice' "
			                      "(home care)",
			                      n->level));
	}
out:
	if (rc == MDG_OK) {
		/* Fill what parsing left unset so later stages need no NULL
		 * checks. */
		char **fields[] = {&n->text, &n->summary, &n->title, &n->contact,
		                   &n->advice};
		for (size_t i = 0; i < sizeof fields / sizeof *fields; i++)
			if (*fields[i] == NULL && (*fields[i] = strdup("")) == NULL)
				rc = MDG_ERR_NOMEM;
	}
	y->node = NULL;
	return rc;
}

static mdg_rc parse_flow(parser *P, flow_yaml *y, int file, yaml_node_t *m, flow_def *f,
                         char **start)
{
	static const char *const keys[] = {"id",      "title", "triggers", "start",
	                                   "handoff", "nodes", NULL};
	mdg_rc rc = MDG_OK;
	f->line = flow_yaml_line(m);
	f->file = file;
	f->start = -1;
	if (m->type != YAML_MAPPING_NODE)
		return flow_yaml_problem(y, m, "a flow must be a mapping with an 'id'");
	TRY(flow_yaml_id(y, m, "id", 1, &f->id));
	y->flow = f->id;
	TRY(flow_yaml_check_keys(y, m, keys, "flow"));
	TRY(flow_yaml_str(y, m, "title", 1, FLOW_MAX_TITLE_CHARS, &f->title));
	TRY(flow_yaml_id(y, m, "start", 0, start));
	TRY(flow_yaml_bool(y, m, "handoff", &f->handoff));
	char **trig = NULL;
	size_t ntrig = 0;
	TRY(flow_yaml_strlist(y, m, "triggers", FLOW_MAX_TRIGGERS, FLOW_MAX_PHRASE_CHARS,
	                      &trig, &ntrig));
	if (ntrig) {
		f->triggers = calloc(ntrig, sizeof *f->triggers);
		if (f->triggers == NULL) {
			flow_strv_free(trig, ntrig);
			return MDG_ERR_NOMEM;
		}
		for (size_t i = 0; i < ntrig; i++)
			f->triggers[i].text = trig[i];
		f->ntriggers = ntrig;
		free(trig);
	}
	yaml_node_t *nodes = flow_yaml_get(y, m, "nodes");
	size_t cnt = flow_yaml_len(nodes);
	if (nodes == NULL || nodes->type != YAML_SEQUENCE_NODE || cnt == 0) {
		TRY(flow_yaml_problem(y, nodes ? nodes : m,
		                      "a flow needs 'nodes', a non-empty list"));
		goto out;
	}
	if (cnt > FLOW_MAX_NODES) {
		TRY(flow_yaml_problem(y, nodes, "%zu nodes, over the cap of %d", cnt,
		                      FLOW_MAX_NODES));
		goto out;
	}
	if ((f->nodes = calloc(cnt, sizeof *f->nodes)) == NULL)
		return MDG_ERR_NOMEM;
	for (size_t i = 0; i < cnt; i++) {
		flow_node *n = &f->nodes[f->nnodes++];
		TRY(parse_node(P, y, flow_yaml_item(y, nodes, i), n));
		for (size_t j = 0; n->id && j + 1 < f->nnodes; j++)
			if (f->nodes[j].id && strcmp(f->nodes[j].id, n->id) == 0) {
				y->node = n->id;
				TRY(flow_yaml_problem(y, flow_yaml_item(y, nodes, i),
				                      "node id '%s' already used at "
				                      "line %zu",
				                      n->id, f->nodes[j].line));
				y->node = NULL;
			}
	}
out:
	y->flow = NULL;
	y->node = NULL;
	return rc;
}

/* include_bots: bot ids whose active flows join this set. */
static mdg_rc parse_includes(parser *P, flow_yaml *y, yaml_node_t *root)
{
	char **v = NULL;
	size_t n = 0;
	mdg_rc rc = flow_yaml_strlist(y, root, "include_bots", FLOW_MAX_INCLUDES,
	                              FLOW_ID_MAX, &v, &n);
	yaml_node_t *node = flow_yaml_get(y, root, "include_bots");
	for (size_t i = 0; i < n && rc == MDG_OK; i++) {
		int dup = 0;
		for (size_t j = 0; j < P->s->nincludes; j++)
			dup |= strcmp(P->s->includes[j], v[i]) == 0;
		if (!flow_id_valid(v[i]))
			rc = flow_yaml_problem(
			    y, node, "include_bots: '%s' is not a bot id", v[i]);
		else if (dup)
			continue;
		else if (P->s->nincludes == FLOW_MAX_INCLUDES)
			rc = flow_yaml_problem(y, node, "include_bots: more than %d bots",
			                       FLOW_MAX_INCLUDES);
		else if ((P->s->includes[P->s->nincludes] = strdup(v[i])) == NULL)
			rc = MDG_ERR_NOMEM;
		else
			P->s->nincludes++;
	}
	flow_strv_free(v, n);
	return rc;
}

static mdg_rc parse_handoff(parser *P, flow_yaml *y, int file, yaml_node_t *h)
{
	static const char *const keys[] = {"label", "synonyms", "text", "phones", NULL};
	mdg_rc rc = MDG_OK;
	flow_set *s = P->s;
	if (h->type != YAML_MAPPING_NODE)
		return flow_yaml_problem(y, h,
		                         "'handoff' must be a mapping {label, text, "
		                         "phones}");
	if (s->handoff_label)
		return flow_yaml_problem(y, h, "'handoff' is already defined in %s:%zu",
		                         s->files[P->handoff_file], P->handoff_line);
	P->handoff_file = file;
	P->handoff_line = flow_yaml_line(h);
	TRY(flow_yaml_check_keys(y, h, keys, "handoff"));
	TRY(flow_yaml_str(y, h, "label", 1, FLOW_MAX_LABEL_CHARS, &s->handoff_label));
	TRY(flow_yaml_str(y, h, "text", 1, FLOW_MAX_TEXT_CHARS, &s->handoff_text));
	TRY(flow_yaml_phones(y, h, "phones", &s->phones, &s->nphones));
	if (s->nphones == 0)
		TRY(flow_yaml_problem(y, h, "'handoff' needs at least one phone"));
	char **syn = NULL;
	size_t nsyn = 0;
	TRY(flow_yaml_strlist(y, h, "synonyms", FLOW_MAX_SYNONYMS, FLOW_MAX_PHRASE_CHARS,
	                      &syn, &nsyn));
	if ((s->handoff_phr = calloc(nsyn + 1, sizeof *s->handoff_phr)) == NULL) {
		flow_strv_free(syn, nsyn);
		return MDG_ERR_NOMEM;
	}
	s->handoff_phr[0].text = strdup(s->handoff_label ? s->handoff_label : "");
	s->nhandoff_phr = 1;
	for (size_t i = 0; i < nsyn; i++)
		s->handoff_phr[s->nhandoff_phr++].text = syn[i];
	free(syn);
	if (s->handoff_phr[0].text == NULL)
		rc = MDG_ERR_NOMEM;
out:
	return rc;
}

static mdg_rc parse_care(parser *P, flow_yaml *y, int file, yaml_node_t *c)
{
	static const char *const keys[] = {"text", "links", NULL};
	mdg_rc rc = MDG_OK;
	flow_set *s = P->s;
	if (c->type != YAML_MAPPING_NODE)
		return flow_yaml_problem(y, c,
		                         "'care_info' must be a mapping {text, "
		                         "links}");
	if (s->care_text)
		return flow_yaml_problem(y, c, "'care_info' is already defined in %s:%zu",
		                         s->files[P->care_file], P->care_line);
	P->care_file = file;
	P->care_line = flow_yaml_line(c);
	TRY(flow_yaml_check_keys(y, c, keys, "care_info"));
	TRY(flow_yaml_str(y, c, "text", 1, FLOW_MAX_TEXT_CHARS, &s->care_text));
	TRY(flow_yaml_links(y, c, "links", &s->care_links, &s->ncare_links));
out:
	return rc;
}

/* Start node names are resolved after the whole flow is read. */
typedef struct pending_start {
	char *name;
	size_t line;
} pending_start;

static mdg_rc parse_file(parser *P, int file, const flow_source *src,
                         pending_start **starts)
{
	static const char *const keys[] = {"flows", "handoff", "care_info",
	                                   "include_bots", NULL};
	flow_yaml y;
	mdg_rc rc = flow_yaml_load(&y, P->s->files[file], src->text, src->len, P->rep);
	if (rc != MDG_OK) {
		flow_yaml_free(&y);
		return rc == MDG_ERR_VALIDATION ? MDG_OK : rc;
	}
	yaml_node_t *root = flow_yaml_root(&y);
	if (root->type != YAML_MAPPING_NODE) {
		rc = flow_yaml_problem(&y, root,
		                       "the file must be a mapping with 'flows'");
		goto out;
	}
	TRY(flow_yaml_check_keys(&y, root, keys, "file"));
	/* A borrowed file's own includes are not followed (no chains). */
	if (!src->borrowed)
		TRY(parse_includes(P, &y, root));
	yaml_node_t *h = flow_yaml_get(&y, root, "handoff");
	if (h)
		TRY(parse_handoff(P, &y, file, h));
	yaml_node_t *c = flow_yaml_get(&y, root, "care_info");
	if (c)
		TRY(parse_care(P, &y, file, c));
	yaml_node_t *flows = flow_yaml_get(&y, root, "flows");
	if (flows == NULL) {
		if (!h && !c && !flow_yaml_get(&y, root, "include_bots"))
			rc = flow_yaml_problem(&y, root, "missing 'flows'");
		goto out;
	}
	if (flows->type != YAML_SEQUENCE_NODE) {
		rc = flow_yaml_problem(&y, flows, "'flows' must be a list");
		goto out;
	}
	size_t cnt = flow_yaml_len(flows);
	if (P->s->nflows + cnt > FLOW_MAX_FLOWS) {
		rc = flow_yaml_problem(&y, flows, "more than %d flows", FLOW_MAX_FLOWS);
		goto out;
	}
	flow_def *nf = realloc(P->s->flows, (P->s->nflows + cnt) * sizeof *nf);
	pending_start *ns = realloc(*starts, (P->s->nflows + cnt) * sizeof *ns);
	if (nf)
		P->s->flows = nf;
	if (ns)
		*starts = ns;
	if (!nf || !ns) {
		rc = MDG_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < cnt; i++) {
		size_t k = P->s->nflows++;
		flow_def *f = &P->s->flows[k];
		memset(f, 0, sizeof *f);
		(*starts)[k].name = NULL;
		yaml_node_t *fm = flow_yaml_item(&y, flows, i);
		(*starts)[k].line = flow_yaml_line(fm);
		TRY(parse_flow(P, &y, file, fm, f, &(*starts)[k].name));
		if (f->id && f->line) {
			yaml_node_t *idn = flow_yaml_get(&y, fm, "start");
			if (idn)
				(*starts)[k].line = flow_yaml_line(idn);
		}
		for (size_t j = 0; f->id && j < k; j++)
			if (P->s->flows[j].id && strcmp(P->s->flows[j].id, f->id) == 0) {
				y.flow = f->id;
				TRY(flow_yaml_problem(&y, fm,
				                      "flow id '%s' is already used "
				                      "at %s:%zu",
				                      f->id,
				                      P->s->files[P->s->flows[j].file],
				                      P->s->flows[j].line));
				y.flow = NULL;
			}
	}
out:
	flow_yaml_free(&y);
	return rc;
}

/* ---- checks across the whole set ---- */

static int node_index(const flow_def *f, const char *id)
{
	for (size_t i = 0; i < f->nnodes; i++)
		if (f->nodes[i].id && strcmp(f->nodes[i].id, id) == 0)
			return (int)i;
	return -1;
}

static const char *node_id_of(const flow_node *n)
{
	return n ? n->id : NULL;
}

#define problem_at(P, f, n, line, ...)                                                   \
	flow_report_add((P)->rep, (P)->s->files[(f)->file], (line), (f)->id,             \
	                node_id_of(n), __VA_ARGS__)

static mdg_rc resolve(parser *P, const pending_start *starts)
{
	flow_set *s = P->s;
	mdg_rc rc = MDG_OK;
	for (size_t i = 0; i < s->nflows && rc == MDG_OK; i++) {
		flow_def *f = &s->flows[i];
		if (f->id == NULL || f->nnodes == 0)
			continue;
		if (starts[i].name) {
			f->start = node_index(f, starts[i].name);
			if (f->start < 0)
				rc =
				    problem_at(P, f, NULL, starts[i].line,
				               "unknown start node '%s'", starts[i].name);
		} else {
			f->start = 0;
		}
		if (f->handoff && s->handoff_label == NULL && rc == MDG_OK)
			rc = problem_at(P, f, NULL, f->line,
			                "the flow offers handoff but no file defines "
			                "a 'handoff' block");
		for (size_t j = 0; j < f->nnodes && rc == MDG_OK; j++) {
			flow_node *n = &f->nodes[j];
			if (n->kind == FLOW_NODE_TRIAGE && s->care_text == NULL)
				rc = problem_at(P, f, n, n->line,
				                "triage results need a 'care_info' "
				                "block (how to find an open medical "
				                "institution)");
			for (size_t k = 0; k < n->nopts && rc == MDG_OK; k++) {
				flow_opt *o = &n->opts[k];
				if (o->next) {
					o->next_node = node_index(f, o->next);
					if (o->next_node < 0)
						rc = problem_at(P, f, n, o->line,
						                "unknown next '%s' in "
						                "option '%s'",
						                o->next,
						                o->id ? o->id : "?");
				} else if (o->jump) {
					o->jump_flow = flow_find(s, o->jump);
					if (o->jump_flow < 0)
						rc = problem_at(P, f, n, o->line,
						                "unknown flow '%s' in "
						                "option '%s'",
						                o->jump,
						                o->id ? o->id : "?");
				}
			}
		}
	}
	return rc;
}

/* Unreachable nodes (within a flow, from its start) and cycles without an
 * exit (over the whole set: jumps lead to the target flow's start). */
static mdg_rc check_graph(parser *P)
{
	flow_set *s = P->s;
	size_t total = 0;
	for (size_t i = 0; i < s->nflows; i++)
		total += s->flows[i].nnodes;
	size_t *base = calloc(s->nflows + 1, sizeof *base);
	unsigned char *seen = calloc(total + 1, 1), *good = calloc(total + 1, 1);
	int *stack = calloc(total + 1, sizeof *stack);
	mdg_rc rc = MDG_OK;
	if (!base || !seen || !good || !stack) {
		rc = MDG_ERR_NOMEM;
		goto out;
	}
	for (size_t i = 0; i < s->nflows; i++)
		base[i + 1] = base[i] + s->flows[i].nnodes;
	/* Leaves are good; a question is good if an option leads to a good
	 * node. Iterate to a fixpoint (sets are small). */
	int changed = 1;
	while (changed) {
		changed = 0;
		for (size_t i = 0; i < s->nflows; i++) {
			flow_def *f = &s->flows[i];
			for (size_t j = 0; j < f->nnodes; j++) {
				flow_node *n = &f->nodes[j];
				if (good[base[i] + j])
					continue;
				int g = n->kind == FLOW_NODE_ANSWER ||
				        n->kind == FLOW_NODE_TRIAGE;
				for (size_t k = 0; k < n->nopts && !g; k++) {
					flow_opt *o = &n->opts[k];
					if (o->next_node >= 0)
						g = good[base[i] + (size_t)o->next_node];
					else if (o->jump_flow >= 0 &&
					         s->flows[o->jump_flow].start >= 0)
						g = good[base[o->jump_flow] +
						         (size_t)s->flows[o->jump_flow]
						             .start];
					/* Unresolved targets are reported already;
					 * don't pile a cycle message on them. */
					else
						g = 1;
				}
				if (g) {
					good[base[i] + j] = 1;
					changed = 1;
				}
			}
		}
	}
	for (size_t i = 0; i < s->nflows && rc == MDG_OK; i++) {
		flow_def *f = &s->flows[i];
		if (f->start < 0 || f->id == NULL)
			continue;
		size_t sp = 0;
		stack[sp++] = f->start;
		seen[base[i] + (size_t)f->start] = 1;
		while (sp) {
			flow_node *n = &f->nodes[stack[--sp]];
			for (size_t k = 0; k < n->nopts; k++) {
				int t = n->opts[k].next_node;
				if (t >= 0 && !seen[base[i] + (size_t)t]) {
					seen[base[i] + (size_t)t] = 1;
					stack[sp++] = t;
				}
			}
		}
		for (size_t j = 0; j < f->nnodes && rc == MDG_OK; j++) {
			flow_node *n = &f->nodes[j];
			if (n->id == NULL)
				continue;
			if (!seen[base[i] + j])
				rc = problem_at(
				    P, f, n, n->line,
				    "unreachable node: no option leads "
				    "here from the start node '%s'",
				    f->nodes[f->start].id ? f->nodes[f->start].id : "?");
			else if (!good[base[i] + j])
				rc = problem_at(P, f, n, n->line,
				                "cycle without an exit: no path from "
				                "this node reaches an answer or a "
				                "triage result");
		}
	}
out:
	free(base);
	free(seen);
	free(good);
	free(stack);
	return rc;
}

/* Splits labels, synonyms and triggers into terms (needs the tagger). */
static mdg_rc prepare(flow_set *s, nlp_tagger *t, char **err)
{
	mdg_rc rc = MDG_OK;
	for (size_t i = 0; i < s->nhandoff_phr && rc == MDG_OK; i++) {
		char *txt = s->handoff_phr[i].text;
		s->handoff_phr[i].text = NULL;
		rc = flow_phrase_init(&s->handoff_phr[i], txt, t, err);
		free(txt);
	}
	for (size_t i = 0; i < s->nflows && rc == MDG_OK; i++) {
		flow_def *f = &s->flows[i];
		for (size_t j = 0; j < f->ntriggers && rc == MDG_OK; j++) {
			char *txt = f->triggers[j].text;
			f->triggers[j].text = NULL;
			rc = flow_phrase_init(&f->triggers[j], txt, t, err);
			free(txt);
		}
		for (size_t j = 0; j < f->nnodes && rc == MDG_OK; j++)
			for (size_t k = 0; k < f->nodes[j].nopts && rc == MDG_OK; k++) {
				flow_opt *o = &f->nodes[j].opts[k];
				for (size_t m = 0; m < o->nphr && rc == MDG_OK; m++) {
					char *txt = o->phr[m].text;
					o->phr[m].text = NULL;
					rc = flow_phrase_init(&o->phr[m], txt, t, err);
					free(txt);
				}
			}
	}
	return rc;
}

mdg_rc flow_set_parse(const flow_source *src, size_t nsrc, nlp_tagger *t, flow_set **out,
                      flow_report **rep, char **err)
{
	*out = NULL;
	*rep = NULL;
	flow_report *r = calloc(1, sizeof *r);
	flow_set *s = calloc(1, sizeof *s);
	pending_start *starts = NULL;
	mdg_rc rc = MDG_OK;
	if (!r || !s) {
		free(r);
		free(s);
		return MDG_ERR_NOMEM;
	}
	s->refs = 1;
	parser P = {.s = s, .rep = r, .err = err};
	if (nsrc == 0 || nsrc > FLOW_MAX_FILES) {
		rc = flow_report_add(r, "", 0, NULL, NULL, "a flow set has 1 to %d files",
		                     FLOW_MAX_FILES);
		goto done;
	}
	if ((s->files = calloc(nsrc, sizeof *s->files)) == NULL) {
		rc = MDG_ERR_NOMEM;
		goto done;
	}
	for (size_t i = 0; i < nsrc; i++) {
		const char *base = strrchr(src[i].name, '/');
		if ((s->files[i] = strdup(base ? base + 1 : src[i].name)) == NULL) {
			rc = MDG_ERR_NOMEM;
			goto done;
		}
		s->nfiles++;
	}
	for (size_t i = 0; i < nsrc && rc == MDG_OK; i++) {
		if (src[i].len > FLOW_MAX_FILE_BYTES)
			rc = flow_report_add(r, s->files[i], 0, NULL, NULL,
			                     "the file is %zu bytes, over the cap of "
			                     "%u",
			                     src[i].len, FLOW_MAX_FILE_BYTES);
		else
			rc = parse_file(&P, (int)i, &src[i], &starts);
	}
	if (rc == MDG_OK && r->nproblems == 0 && s->nflows == 0 && s->nincludes == 0)
		rc = flow_report_add(r, s->files[0], 0, NULL, NULL, "no flows defined");
	/* Every check runs even after earlier problems, so one import run
	 * lists everything to fix (unresolved targets count as exits, so a
	 * typo in `next` is not also reported as a cycle). */
	if (rc == MDG_OK)
		rc = resolve(&P, starts);
	if (rc == MDG_OK)
		rc = check_graph(&P);
	if (rc == MDG_OK && r->nproblems == 0)
		rc = prepare(s, t, err);
done:
	for (size_t i = 0; starts && i < s->nflows; i++)
		free(starts[i].name);
	free(starts);
	if (rc == MDG_OK && r->nproblems > 0)
		rc = MDG_ERR_VALIDATION;
	if (rc == MDG_OK) {
		r->nflows = s->nflows;
		for (size_t i = 0; i < s->nflows; i++) {
			r->nnodes += s->flows[i].nnodes;
			for (size_t j = 0; j < s->flows[i].nnodes; j++)
				r->nleaves +=
				    s->flows[i].nodes[j].kind != FLOW_NODE_QUESTION;
		}
		*out = s;
	} else {
		set_free(s);
	}
	if (rc == MDG_OK || rc == MDG_ERR_VALIDATION)
		*rep = r;
	else
		flow_report_free(r);
	return rc;
}
