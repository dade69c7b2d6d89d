/* Token bucket; see rate_limit.h. */
#include "rate_limit.h"

int tsn_rate_take(struct tsn_rate *r, double per_s, double burst, uint64_t now_us)
{
    if (r->last_us == 0) {
        r->tokens = burst;
    } else if (now_us > r->last_us) {
        r->tokens += (double)(now_us - r->last_us) * per_s / 1e6;
        if (r->tokens > burst)
            r->tokens = burst;
    }
    if (now_us > r->last_us)
        r->last_us = now_us; /* a clock step back refills nothing, later or now */
    if (r->tokens < 1.0)
        return 0;
    r->tokens -= 1.0;
    return 1;
}
