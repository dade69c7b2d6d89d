/* Reconnect backoff: the delay doubles from `initial_ms` up to `max_ms` after
 * each failure, with +-20% jitter so many clients that lost the same relay do
 * not come back in lockstep; a success resets it. Pure, no clock. */
#ifndef TSN_BACKOFF_H
#define TSN_BACKOFF_H

#include <stdint.h>

struct tsn_backoff {
    int initial_ms;
    int max_ms;
    int next_ms;  /* the un-jittered delay the next failure will wait */
    int failures; /* consecutive failures since the last success */
    uint32_t rng; /* xorshift state for the jitter */
};

void tsn_backoff_init(struct tsn_backoff *b, int initial_ms, int max_ms, uint32_t seed);
/* Records a failure and returns how long to wait before the next attempt. */
int tsn_backoff_next_ms(struct tsn_backoff *b);
void tsn_backoff_reset(struct tsn_backoff *b);

#endif
