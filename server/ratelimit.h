/* ratelimit.h — per-client-address token buckets.
 *
 * Each address gets a bucket of `burst` tokens refilled at `rate` per
 * second; a request takes one. The table has a fixed number of slots
 * (addresses seen recently); when it is full the least recently seen of a
 * few probed slots is reused, so memory stays bounded whatever the number
 * of clients. Thread-safe. */
#ifndef SRV_RATELIMIT_H
#define SRV_RATELIMIT_H

#include <stddef.h>

#include "../nlp/mdg.h"

typedef struct ratelimit ratelimit;

/* rate 0 disables limiting (ratelimit_take always allows). */
mdg_rc ratelimit_new(double rate, double burst, size_t slots, ratelimit **out);
void ratelimit_free(ratelimit *rl);

/* Takes a token for the address bytes addr[0..n) (at most 16) at time now
 * (seconds, monotonic). Returns 0 if the request may proceed, else the
 * number of whole seconds (>= 1) after which one will be available. */
int ratelimit_take(ratelimit *rl, const void *addr, size_t n, double now);

#endif
