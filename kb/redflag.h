/* redflag.h — signs of a life-threatening emergency in a user's message.
 *
 * Checked first on every message in every bot: a match is answered with
 * the 119 instruction before anything else. The list is YAML, written by
 * the prefecture (kb/sample/redflags.yaml):
 *
 *   message: 命に関わる危険な状態の可能性があります。今すぐ119番に…
 *   phones: [{label: 救急車, number: "119"}]
 *   flags:
 *     - id: ishiki
 *       label: 意識がない
 *       phrases: [意識がない, 意識が無い, 意識不明, 呼びかけに反応しない]
 *
 * Matching is on normalised text (nlp_norm), once as written and once
 * with the particles が/は/も/を removed on both sides (「意識ない」 matches
 * 「意識がない」). An occurrence followed by a negation (「意識がないわけでは
 * ない」, 「胸が締め付けられることはない」) does not count; 「意識はある」 never
 * contains 「意識がない」 in the first place. */
#ifndef KB_REDFLAG_H
#define KB_REDFLAG_H

#include "flow.h"

#define REDFLAG_MAX_FLAGS   200
#define REDFLAG_MAX_PHRASES 50 /* per flag */

typedef struct redflag_list redflag_list;

/* Parses and validates a list (every problem in *rep, as FILE:LINE).
 * Returns MDG_OK with *out and *rep, MDG_ERR_VALIDATION with *rep, or
 * another code with *err. Both are owned by the caller. */
mdg_rc redflag_parse(const char *name, const char *text, size_t len, redflag_list **out,
                     flow_report **rep, char **err);

/* Reference counting like flow_set (one connection or thread). */
redflag_list *redflag_retain(redflag_list *l);
void redflag_release(redflag_list *l);

typedef struct redflag_hit {
	const char *id, *label; /* the flag (owned by the list) */
} redflag_hit;

/* Finds the flags text mentions (at most max, in list order). *nhits = 0
 * when none. MDG_ERR_UTF8 for invalid text. */
mdg_rc redflag_match(const redflag_list *l, const char *text, size_t len,
                     redflag_hit *hits, size_t max, size_t *nhits, char **err);

/* What to tell the user (owned by the list). */
const char *redflag_message(const redflag_list *l);
const flow_phone *redflag_phones(const redflag_list *l, size_t *n);
size_t redflag_count(const redflag_list *l);

#endif
