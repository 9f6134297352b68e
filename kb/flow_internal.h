/* flow_internal.h — the flow set's in-memory model and the helpers shared
 * by flow.c (parsing, validation), flow_engine.c (conversation),
 * flow_match.c (typed-text matching), flow_yaml.c (libyaml with line
 * numbers) and redflag.c. Not part of the public API. */
#ifndef KB_FLOW_INTERNAL_H
#define KB_FLOW_INTERNAL_H

#include <yaml.h>

#include "flow.h"

/* ---- typed-text matching (flow_match.c) ---- */

/* A label, synonym or trigger prepared for matching. */
typedef struct flow_phrase {
	char *text;    /* as written */
	char *norm;    /* nlp_norm'd, trailing politeness/punctuation stripped */
	char *kata;    /* norm in katakana */
	char *reading; /* katakana reading of its terms, "" without a tagger */
	char **terms;
	size_t nterms;
} flow_phrase;

/* A user's message prepared the same way. */
typedef struct flow_text {
	char *norm, *kata, *bare; /* bare: norm with trailing 「です」 etc. cut */
	char **terms;
	size_t nterms;
} flow_text;

/* Prepares text (t may be NULL: no terms, no reading). */
mdg_rc flow_phrase_init(flow_phrase *p, const char *text, nlp_tagger *t, char **err);
void flow_phrase_clear(flow_phrase *p);
mdg_rc flow_text_init(flow_text *x, const char *s, size_t n, nlp_tagger *t, char **err);
void flow_text_clear(flow_text *x);

/* How well phrase p names what x says, 0..1: 1 exact, ~0.9 contained
 * (not followed by a negation like 「ではなく」), ~0.8 by reading, up to 0.75
 * by terms. */
double flow_phrase_score(const flow_phrase *p, const flow_text *x);

/* 1 if s (normalised) continues, right after an expression, with a
 * negation of it: 「ではない」「じゃない」「ことはない」「わけではない」「ません」
 * 「くない」 ... */
int flow_negated_after(const char *s);

/* Strips trailing politeness and punctuation (「です」「。」「！」 ...) from
 * normalised text in place; returns the new length. */
size_t flow_strip_tail(char *s, size_t n);

/* ---- libyaml helpers (flow_yaml.c) ---- */

typedef struct flow_yaml {
	yaml_document_t doc;
	int loaded;
	const char *file;
	flow_report *rep;
	const char *flow, *node; /* context for problems */
} flow_yaml;

/* Appends a problem (silently drops past FLOW_MAX_PROBLEMS); MDG_ERR_NOMEM
 * on allocation failure. */
mdg_rc flow_report_add(flow_report *r, const char *file, size_t line, const char *flow,
                       const char *node, const char *fmt, ...)
    __attribute__((format(printf, 6, 7)));

/* Loads one YAML document; syntax errors, aliases and a missing document
 * become problems in y->rep (returns MDG_ERR_VALIDATION). */
mdg_rc flow_yaml_load(flow_yaml *y, const char *file, const char *text, size_t len,
                      flow_report *rep);
void flow_yaml_free(flow_yaml *y);
yaml_node_t *flow_yaml_root(flow_yaml *y);
size_t flow_yaml_line(const yaml_node_t *n);
/* Records a problem at node n's line in the current flow/node context. */
mdg_rc flow_yaml_problem(flow_yaml *y, const yaml_node_t *n, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Value of key in mapping m, NULL if absent (or m not a mapping). */
yaml_node_t *flow_yaml_get(flow_yaml *y, yaml_node_t *m, const char *key);
/* Reports keys of mapping m not in allowed (NULL-terminated). */
mdg_rc flow_yaml_check_keys(flow_yaml *y, yaml_node_t *m, const char *const *allowed,
                            const char *what);
/* i-th item of sequence node, NULL past the end. */
yaml_node_t *flow_yaml_item(flow_yaml *y, yaml_node_t *seq, size_t i);
size_t flow_yaml_len(const yaml_node_t *seq);

/* Reads a scalar string (malloc'd into *out, trimmed) with a character
 * cap; reports wrong type, empty (if required), over-long and embedded
 * NUL. *out stays NULL when absent or invalid. Returns MDG_ERR_NOMEM only;
 * problems go to the report. */
mdg_rc flow_yaml_str(flow_yaml *y, yaml_node_t *m, const char *key, int required,
                     size_t max_chars, char **out);
/* An id: [a-z0-9_-], starting alphanumeric, 1-64. */
mdg_rc flow_yaml_id(flow_yaml *y, yaml_node_t *m, const char *key, int required,
                    char **out);
/* A list of strings (a sequence of scalars, or one scalar) with caps. */
mdg_rc flow_yaml_strlist(flow_yaml *y, yaml_node_t *m, const char *key, size_t max_items,
                         size_t max_chars, char ***out, size_t *n);
/* Links: [{label, url}]; urls must be http(s). */
mdg_rc flow_yaml_links(flow_yaml *y, yaml_node_t *m, const char *key, flow_link **out,
                       size_t *n);
/* Phones: [{label, number}]. */
mdg_rc flow_yaml_phones(flow_yaml *y, yaml_node_t *m, const char *key, flow_phone **out,
                        size_t *n);
/* Booleans: true/false/yes/no; *out keeps its value when absent. */
mdg_rc flow_yaml_bool(flow_yaml *y, yaml_node_t *m, const char *key, int *out);
/* Integer within [min, max]: 1 if present and valid, 0 if absent, -1 if
 * invalid (reported). */
int flow_yaml_int(flow_yaml *y, yaml_node_t *m, const char *key, long min, long max,
                  long *out);

int flow_id_valid(const char *s);
void flow_strv_free(char **v, size_t n);
void flow_links_free(flow_link *l, size_t n);
void flow_phones_free(flow_phone *p, size_t n);

/* ---- the model ---- */

typedef struct flow_opt {
	char *id, *label;
	flow_phrase *phr; /* label, then synonyms */
	size_t nphr;
	char *next;    /* node id, or NULL */
	char *jump;    /* flow id, or NULL */
	int next_node; /* resolved index into the flow's nodes, -1 if none */
	int jump_flow; /* resolved index into the set's flows, -1 if none */
	size_t line;
} flow_opt;

typedef enum flow_node_kind {
	FLOW_NODE_QUESTION = 1,
	FLOW_NODE_ANSWER,
	FLOW_NODE_TRIAGE
} flow_node_kind;

typedef struct flow_node {
	char *id;
	flow_node_kind kind;
	size_t line;
	char *text;    /* question text; answer/triage text ("" if none) */
	char *summary; /* short name for summaries, "" if none */
	flow_opt *opts;
	size_t nopts;
	char *title; /* answer leaf's title, "" if none */
	flow_link *links;
	size_t nlinks;
	char *contact; /* "" if none */
	int level;     /* triage */
	char *advice;  /* "" if none */
} flow_node;

typedef struct flow_def {
	char *id, *title;
	size_t line;
	int file;
	int handoff;
	flow_phrase *triggers;
	size_t ntriggers;
	int start; /* node index */
	flow_node *nodes;
	size_t nnodes;
} flow_def;

struct flow_set {
	int refs;
	flow_def *flows;
	size_t nflows;
	char **files;
	size_t nfiles;
	/* handoff block (present if label != NULL) */
	char *handoff_label, *handoff_text;
	flow_phrase *handoff_phr; /* label + synonyms */
	size_t nhandoff_phr;
	flow_phone *phones;
	size_t nphones;
	/* care_info block */
	char *care_text;
	flow_link *care_links;
	size_t ncare_links;
	/* include_bots of the own files */
	char *includes[FLOW_MAX_INCLUDES];
	size_t nincludes;
};

/* Index of flow id in s, -1 if none. */
int flow_find(const flow_set *s, const char *id);

#endif
