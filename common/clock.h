/* The two clocks every thread reads: wall time for what people and files
 * see (event times, recording start and end), monotonic time for intervals
 * and rate limits. Header-only. */
#ifndef TSN_CLOCK_H
#define TSN_CLOCK_H

#include <stdint.h>
#include <time.h>

/* CLOCK_REALTIME in milliseconds since the Unix epoch. */
static inline int64_t tsn_unix_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* CLOCK_MONOTONIC in microseconds. */
static inline uint64_t tsn_mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

#endif
