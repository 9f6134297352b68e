/* tap.h — a tiny assertion harness for the C unit tests.
 *
 * Each test binary prints TAP lines ("ok N - name" / "not ok N - name") and
 * exits non-zero if any check failed; tests/run.sh counts the lines. */
#ifndef TAP_H
#define TAP_H

#include <stdio.h>
#include <string.h>

static int tap_n, tap_failed;

#define CHECK(cond, name)                                                      \
	do {                                                                   \
		tap_n++;                                                       \
		if (cond) {                                                    \
			printf("ok %d - %s\n", tap_n, name);                   \
		} else {                                                       \
			tap_failed++;                                          \
			printf("not ok %d - %s (%s:%d: %s)\n", tap_n, name,    \
			       __FILE__, __LINE__, #cond);                     \
		}                                                              \
	} while (0)

#define CHECK_STR(got, want, name)                                             \
	do {                                                                   \
		const char *g_ = (got), *w_ = (want);                          \
		int ok_ = g_ && w_ && strcmp(g_, w_) == 0;                     \
		CHECK(ok_, name);                                              \
		if (!ok_)                                                      \
			printf("#   got  \"%s\"\n#   want \"%s\"\n",           \
			       g_ ? g_ : "(null)", w_ ? w_ : "(null)");        \
	} while (0)

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	return tap_failed ? 1 : 0;
}

#endif
