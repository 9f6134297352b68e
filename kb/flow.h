/* flow.h — multi-turn decision trees ("flows") written by knowledge editors
 * in YAML: follow-up questions for applicants and the emergency
 * consultation's triage.
 *
 * A flow set is the parsed, completely validated content of one or more
 * YAML files (a bot's flows). It is immutable after flow_set_parse and
 * reference counted so a per-connection cache can hand it out safely.
 *
 * File format (see kb/sample/flows-*.yaml for complete examples):
 *
 *   flows:
 *     - id: nanbyo-shinsei               # [a-z0-9_-], 1-64
 *       title: 指定難病医療給付の申請書類
 *       triggers: [指定難病の申請書類]     # optional; phrases that start it
 *       start: shurui                    # optional; default the first node
 *       handoff: false                   # true: every node offers handoff
 *       nodes:
 *         - id: shurui
 *           text: 新規ですか、継続ですか
 *           summary: 申請の種類            # optional short name for summaries
 *           options:
 *             - {id: shinki, label: 新規, synonyms: [初めて], next: shinki}
 *             - {id: keizoku, label: 継続, synonyms: [更新], next: keizoku}
 *             - {id: other, label: 別の案内, flow: other-flow}  # jump
 *         - id: keizoku
 *           answer: {title: ..., text: ..., contact: ...,
 *                    links: [{label: ..., url: https://...}]}
 *         - id: lv3
 *           triage: {level: 3, text: ..., advice: ...}  # advice: 4-5 only
 *   handoff:                             # needed if a flow sets handoff
 *     label: 相談員と話す（#7119）
 *     synonyms: [相談員, 電話で相談]
 *     text: ...
 *     phones: [{label: 救急安心センター, number: "#7119"}]
 *   care_info:                           # needed if any triage leaf exists
 *     text: 受診できる医療機関の探し方 ...
 *     links: [{label: ..., url: ...}]
 *   include_bots: [kyukyu]               # the active flows of these bots
 *                                        # are part of this bot's set too
 *
 * Validation collects every problem as FILE:LINE with the flow and node
 * named: syntax, unknown keys, missing or over-long fields, ids that are
 * malformed or not unique, unknown `next`/`flow` targets, unreachable
 * nodes, cycles without an exit, triage leaves without a level (1-5) or,
 * at levels 4-5, without home-care advice.
 *
 * Conversation position: a string "flow/choice/choice/..." (ids only, so
 * it fits in the chat API's signed state). The current node is found by
 * replaying the choices from the flow's start, which gives 戻る (drop the
 * last choice), 最初から (drop all) and the handoff summary for free, and
 * makes a stale position (content changed under a conversation) visible
 * instead of silently wrong. */
#ifndef KB_FLOW_H
#define KB_FLOW_H

#include <stddef.h>

#include "../nlp/mdg.h"
#include "../nlp/tok.h"

/* Caps (characters for text, counts for lists). */
#define FLOW_ID_MAX           64
#define FLOW_MAX_FILE_BYTES   (4u << 20)
#define FLOW_MAX_FILES        16
#define FLOW_MAX_FLOWS        500
#define FLOW_MAX_NODES        300 /* per flow */
#define FLOW_MAX_OPTIONS      20
#define FLOW_MAX_SYNONYMS     30
#define FLOW_MAX_TRIGGERS     30
#define FLOW_MAX_LINKS        10
#define FLOW_MAX_PHONES       10
#define FLOW_MAX_TITLE_CHARS  100
#define FLOW_MAX_TEXT_CHARS   1000 /* question text, triage text, advice */
#define FLOW_MAX_ANSWER_CHARS 5000 /* answer text */
#define FLOW_MAX_LABEL_CHARS  40
#define FLOW_MAX_PHRASE_CHARS 100 /* synonyms, triggers */
#define FLOW_MAX_URL_CHARS    1000
#define FLOW_MAX_PROBLEMS     1000
#define FLOW_MAX_INCLUDES     4 /* include_bots entries */
#define FLOW_MAX_PATH         16 /* choices in one position (it travels in the signed state) */
#define FLOW_POS_MAX          (FLOW_ID_MAX + FLOW_MAX_PATH * (FLOW_ID_MAX + 1))

typedef struct flow_set flow_set;

/* ---- validation report ---- */

typedef struct flow_problem {
	char *file;    /* source name */
	size_t line;   /* 1-based; 0 = the file as a whole */
	char *flow;    /* flow id, NULL if not inside a flow */
	char *node;    /* node id, NULL if not inside a node */
	char *message; /* English */
} flow_problem;

typedef struct flow_report {
	flow_problem *problems;
	size_t nproblems;
	size_t nflows, nnodes, nleaves; /* what a valid set contains */
} flow_report;

/* "FILE:LINE: flow 'F' node 'N': message" (parts omitted when unknown);
 * malloc'd. */
char *flow_problem_format(const flow_problem *p);
void flow_report_free(flow_report *r);

/* ---- parsing ---- */

typedef struct flow_source {
	const char *name; /* file name used in messages */
	const char *text; /* YAML, UTF-8 */
	size_t len;
	int borrowed; /* from an included bot: its include_bots are ignored */
} flow_source;

/* Parses and validates the sources as one flow set (ids are unique across
 * files; one file may hold the shared handoff/care_info blocks). With a
 * tagger, option labels, synonyms and triggers are also split into MeCab
 * terms for typed-answer matching; without one (validation only) matching
 * falls back to normalised text.
 *
 * Returns MDG_OK with *out (release with flow_set_release) and *rep (the
 * counts, no problems); MDG_ERR_VALIDATION with *rep listing every problem
 * and *out NULL; other codes with *err. *rep is owned by the caller. */
mdg_rc flow_set_parse(const flow_source *src, size_t nsrc, nlp_tagger *t, flow_set **out,
                      flow_report **rep, char **err);

/* Reference counting (not thread-safe: a set belongs to one connection's
 * cache, or to a single-threaded tool). release(NULL) is a no-op. */
flow_set *flow_set_retain(flow_set *s);
void flow_set_release(flow_set *s);

size_t flow_set_nflows(const flow_set *s);
/* Id and title of flow i (0-based, file order); static for the set's life. */
const char *flow_set_flow_id(const flow_set *s, size_t i);
const char *flow_set_flow_title(const flow_set *s, size_t i);
/* 1 if the set has a flow with this id. */
int flow_set_has(const flow_set *s, const char *flow_id);

/* Reads only the include_bots of the sources that are not borrowed
 * (malformed files are skipped: flow_set_parse reports them). out[i] are
 * malloc'd. */
mdg_rc flow_scan_includes(const flow_source *src, size_t nsrc,
                          char *out[FLOW_MAX_INCLUDES], size_t *nout);

/* Bots named by include_bots in the set's own (not borrowed) files; the
 * store adds their active files to this bot's set. Static strings. */
size_t flow_set_nincludes(const flow_set *s);
const char *flow_set_include(const flow_set *s, size_t i);

/* ---- urgency levels (fixed by the consultation's protocol) ---- */

typedef struct flow_urgency {
	int level;            /* 1 (most urgent) .. 5; 0 = none */
	const char *label;    /* 今すぐ救急車を呼びましょう（119） ... */
	const char *color;    /* red, orange, yellow, green, white */
	const char *color_ja; /* 赤, 橙, 黄, 緑, 白 */
} flow_urgency;

/* The fixed description of level 1..5 (level 0 for anything else). */
flow_urgency flow_urgency_of(int level);

/* ---- the engine ---- */

typedef enum flow_reply_type {
	FLOW_REPLY_NOMATCH = 0, /* typed text matched nothing here: search the
	                           FAQ (position unchanged) */
	FLOW_REPLY_QUESTION,    /* "flow": a question with options */
	FLOW_REPLY_ANSWER,      /* "answer": an answer leaf */
	FLOW_REPLY_TRIAGE,      /* "triage_result": a triage leaf */
	FLOW_REPLY_HANDOFF,     /* "handoff": phones + summary */
	FLOW_REPLY_END          /* "flow_end": the user quit */
} flow_reply_type;

/* "nomatch", "flow", "answer", "triage_result", "handoff", "flow_end". */
const char *flow_reply_type_name(flow_reply_type t);

typedef enum flow_option_kind {
	FLOW_OPT_NEXT = 0, /* an editor-defined option */
	FLOW_OPT_HANDOFF,  /* id "handoff": talk to a consultant */
	FLOW_OPT_BACK,     /* id "back": 戻る */
	FLOW_OPT_RESTART,  /* id "restart": 最初から */
	FLOW_OPT_QUIT,     /* id "quit": やめる */
	FLOW_OPT_RESUME    /* id "resume": back to the question after handoff */
} flow_option_kind;

/* "next", "handoff", "back", "restart", "quit", "resume". */
const char *flow_option_kind_name(flow_option_kind k);

typedef struct flow_option {
	const char *id, *label;
	flow_option_kind kind;
} flow_option;

typedef struct flow_link {
	char *label, *url;
} flow_link;

typedef struct flow_phone {
	char *label, *number;
} flow_phone;

typedef struct flow_step {
	const char *question; /* node text */
	const char *summary;  /* node's short name ("" if none) */
	const char *answer;   /* chosen option's label */
} flow_step;

/* Strings marked (set) point into the flow set and live as long as it;
 * the others are owned by the reply. */
typedef struct flow_reply {
	flow_reply_type type;
	const char *flow_id, *flow_title, *node_id; /* (set); "" outside */
	char *text;                                 /* what to say */
	flow_option *options;                       /* ids/labels (set) */
	size_t noptions;
	const char *answer_title; /* (set) answer leaf's title, may be "" */
	const flow_link *links;   /* (set) answer leaf's links */
	size_t nlinks;
	const char *contact;   /* (set) answer leaf's contact, may be "" */
	flow_urgency urgency;  /* triage leaf, or handoff after one */
	const char *advice;    /* (set) home care, "" if none */
	const char *care_text; /* (set) how to find an open institution */
	const flow_link *care_links;
	size_t ncare_links;
	const flow_phone *phones; /* (set) handoff */
	size_t nphones;
	flow_step *steps; /* answers so far (handoff summaries, walkers) */
	size_t nsteps;
	char *summary; /* handoff: readable summary of steps and level */
	char *pos;     /* new position; "" = the conversation left flows */
	int leaf;      /* position is at an answer/triage leaf */
} flow_reply;

void flow_reply_free(flow_reply *r);

/* Starts flow_id at its start node. MDG_ERR_NOTFOUND if no such flow. */
mdg_rc flow_start(const flow_set *s, const char *flow_id, flow_reply **out, char **err);

/* Renders the node at pos again (after a NOMATCH the caller could not
 * answer, or a "resume"). MDG_ERR_NOTFOUND for a stale position. */
mdg_rc flow_render(const flow_set *s, const char *pos, flow_reply **out, char **err);

typedef struct flow_input {
	const char *choice; /* an option id offered at pos, or NULL */
	const char *text;   /* typed text (when choice is NULL) */
	size_t len;
} flow_input;

/* Advances the conversation at pos by one input.
 *  - choice: must be one offered at pos (MDG_ERR_INVALID otherwise, which
 *    the API maps to 400); "resume" is always accepted.
 *  - text: 戻る / 最初から / やめる (and variants) always work; then the
 *    node's options are matched (labels and synonyms, normalised text,
 *    MeCab terms and readings, "1".."n"; an option named with a negation,
 *    「新規ではなく継続」, is skipped). No match → FLOW_REPLY_NOMATCH with
 *    the position unchanged, and the caller searches the FAQ.
 * MDG_ERR_NOTFOUND: pos does not resolve in this set (content changed or
 * forged); MDG_ERR_UTF8 / MDG_ERR_TOOBIG for bad text. t may be NULL. */
mdg_rc flow_step_input(const flow_set *s, nlp_tagger *t, const char *pos,
                       const flow_input *in, flow_reply **out, char **err);

/* Finds the flow whose trigger phrases best match text (any text, not yet
 * normalised). *flow_id (set) is NULL when nothing matches; *score is
 * 0..1: 1 = a trigger appears verbatim, less when only its terms do. */
mdg_rc flow_trigger_match(const flow_set *s, nlp_tagger *t, const char *text, size_t len,
                          const char **flow_id, double *score, char **err);

/* ---- paths, for review tables and walkers ---- */

typedef struct flow_path {
	const char *flow_id, *flow_title;
	const flow_step *steps;
	size_t nsteps;
	/* The leaf: an answer (answer_title/text), a triage level, or a jump
	 * into another flow (jump_flow, not followed). */
	const char *answer_title, *answer_text;
	int level;
	const char *jump_flow;
	const char *leaf_node; /* id of the leaf node ("" for a jump) */
} flow_path;

/* Calls cb for every path from every flow's start to a leaf (edges that
 * would revisit a node already on the path are not followed, so cycles
 * with an exit are printed once). A non-zero return stops the walk. */
mdg_rc flow_set_paths(const flow_set *s, int (*cb)(void *ctx, const flow_path *p),
                      void *ctx, char **err);

#endif
