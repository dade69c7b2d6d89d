/* Reconnect backoff with jitter (see backoff.h). */
#include "backoff.h"

#include <limits.h>

void tsn_backoff_init(struct tsn_backoff *b, int initial_ms, int max_ms, uint32_t seed)
{
    b->initial_ms = initial_ms > 0 ? initial_ms : 1;
    b->max_ms = max_ms >= b->initial_ms ? max_ms : b->initial_ms;
    b->next_ms = b->initial_ms;
    b->failures = 0;
    b->rng = seed ? seed : 0x9e3779b9u;
}

static uint32_t xorshift(uint32_t *s)
{
    uint32_t x = *s;
    x ^= x << 13;
    x ^= x >> 17;
    x ^= x << 5;
    return *s = x;
}

int tsn_backoff_next_ms(struct tsn_backoff *b)
{
    int base = b->next_ms;
    b->failures++;
    b->next_ms = base > b->max_ms / 2 ? b->max_ms : base * 2;
    /* +-20%: spread = base / 5, uniform in [-spread, +spread]. */
    int spread = base / 5;
    int jitter = spread ? (int)(xorshift(&b->rng) % (uint32_t)(2 * spread + 1)) - spread : 0;
    /* In long long: near INT_MAX, base + jitter would overflow int. */
    long long delay = (long long)base + jitter;
    return delay > INT_MAX ? INT_MAX : delay > 0 ? (int)delay : 1;
}

void tsn_backoff_reset(struct tsn_backoff *b)
{
    b->next_ms = b->initial_ms;
    b->failures = 0;
}
