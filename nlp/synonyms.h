/* synonyms.h — the YAML synonym dictionary.
 *
 * The file is a YAML sequence of groups; each group lists expressions with
 * the same meaning, either as a sequence or as one "a=b=c" string:
 *
 *   - [パスワード, PW, パス]
 *   - 自動車税=車の税金
 *
 * kb_import stores the groups with each knowledge-base version; queries are
 * expanded with them at search time (see kb_search.c). */
#ifndef NLP_SYNONYMS_H
#define NLP_SYNONYMS_H

#include <stddef.h>

#include "mdg.h"

/* Called once per group with its phrases (valid during the call); a
 * non-zero return stops loading and is returned. */
typedef mdg_rc (*nlp_syn_group_cb)(void *ctx, size_t group, const char *const *phrases,
				   size_t n);

/* Parses the file at path. Errors name the file and line in *err. */
mdg_rc nlp_synonyms_load(const char *path, nlp_syn_group_cb cb, void *ctx,
			 char **err);

#endif
