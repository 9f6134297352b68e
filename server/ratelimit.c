/* ratelimit.c — per-address token buckets (see ratelimit.h). */
#include "ratelimit.h"

#include <math.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PROBES 8

typedef struct bucket {
	unsigned char addr[16];
	unsigned char len; /* 0 = free slot */
	double tokens;
	double last; /* time of the last refill */
} bucket;

struct ratelimit {
	double rate, burst;
	size_t nslots; /* power of two */
	pthread_mutex_t lock; /* guards slots */
	bucket *slots;
};

mdg_rc ratelimit_new(double rate, double burst, size_t slots, ratelimit **out)
{
	*out = NULL;
	ratelimit *rl = calloc(1, sizeof *rl);
	if (rl == NULL)
		return MDG_ERR_NOMEM;
	size_t n = 64;
	while (n < slots)
		n *= 2;
	rl->rate = rate;
	rl->burst = burst < 1 ? 1 : burst;
	rl->nslots = n;
	rl->slots = calloc(n, sizeof *rl->slots);
	if (rl->slots == NULL) {
		free(rl);
		return MDG_ERR_NOMEM;
	}
	pthread_mutex_init(&rl->lock, NULL);
	*out = rl;
	return MDG_OK;
}

void ratelimit_free(ratelimit *rl)
{
	if (rl == NULL)
		return;
	pthread_mutex_destroy(&rl->lock);
	free(rl->slots);
	free(rl);
}

int ratelimit_take(ratelimit *rl, const void *addr, size_t n, double now)
{
	if (rl == NULL || rl->rate <= 0)
		return 0;
	if (n > 16)
		n = 16;
	uint64_t h = mdg_hash(addr, n);
	pthread_mutex_lock(&rl->lock);
	bucket *b = NULL, *oldest = NULL;
	for (size_t i = 0; i < PROBES; i++) {
		bucket *c = &rl->slots[(h + i) & (rl->nslots - 1)];
		if (c->len == n && memcmp(c->addr, addr, n) == 0) {
			b = c;
			break;
		}
		if (oldest == NULL || c->len == 0 ||
		    (oldest->len != 0 && c->last < oldest->last))
			oldest = c;
	}
	if (b == NULL) {
		/* New address (or an evicted one): a full bucket. */
		b = oldest;
		memcpy(b->addr, addr, n);
		b->len = (unsigned char)n;
		b->tokens = rl->burst;
		b->last = now;
	}
	if (now > b->last) {
		b->tokens += (now - b->last) * rl->rate;
		if (b->tokens > rl->burst)
			b->tokens = rl->burst;
		b->last = now;
	}
	int wait = 0;
	if (b->tokens >= 1) {
		b->tokens -= 1;
	} else {
		wait = (int)ceil((1 - b->tokens) / rl->rate);
		if (wait < 1)
			wait = 1;
	}
	pthread_mutex_unlock(&rl->lock);
	return wait;
}
