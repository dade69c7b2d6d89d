/* A token bucket: `per_s` actions per second on average, bursts of `burst`.
 * A small value type, zeroed = full bucket at its first use. */
#ifndef TSN_RATE_LIMIT_H
#define TSN_RATE_LIMIT_H

#include <stdint.h>

struct tsn_rate {
    double tokens;
    uint64_t last_us; /* 0: never used */
};

/* Takes one token at monotonic time `now_us`: 1 when the action may go, 0
 * when the bucket is empty (nothing is taken). */
int tsn_rate_take(struct tsn_rate *r, double per_s, double burst, uint64_t now_us);

#endif
