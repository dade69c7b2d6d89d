/* Latency statistics: collects samples in milliseconds and summarises them
 * as count, min, mean, p50, p95, p99 and max, for the capture and viewer
 * programs and the end-to-end tests.
 *
 * count, min, mean and max are exact over every sample added. Percentiles
 * come from the stored samples: all of them up to the cap (default
 * TSN_LATENCY_STATS_DEFAULT_CAP), after which a uniform reservoir sample of
 * cap samples (Vitter's algorithm R, a fixed-seed PRNG so runs repeat).
 *
 * Percentiles use the nearest-rank definition: the p-th percentile of n
 * sorted samples is the sample of rank ceil(p/100 * n) (rank 1 for p = 0),
 * so every reported value is a sample that was actually seen; for n = 100
 * p95 is the 95th smallest.
 *
 * Not thread-safe: one owner adds and summarises (a viewer's streaming
 * thread, say), or the caller serialises. Memory grows with the samples, up
 * to 8 bytes x cap. Does not time anything itself. */
#ifndef TSN_LATENCY_STATS_H
#define TSN_LATENCY_STATS_H

#include <stddef.h>
#include <stdint.h>

#define TSN_LATENCY_STATS_DEFAULT_CAP 1000000

struct tsn_latency_stats;

struct tsn_latency_summary {
    uint64_t count; /* samples added since new/reset */
    double min_ms, mean_ms, p50_ms, p95_ms, p99_ms, max_ms;
};

/* cap: the most samples kept for percentiles, 0 for the default. NULL when
 * out of memory. */
struct tsn_latency_stats *tsn_latency_stats_new(size_t cap);
void tsn_latency_stats_free(struct tsn_latency_stats *st);
/* Adds a sample. 0, -EINVAL for NaN or infinity (not counted), -ENOMEM
 * when the store cannot grow (the sample still counts in count/min/mean/max,
 * not in percentiles). Negative values are valid (clock offsets). */
int tsn_latency_stats_add(struct tsn_latency_stats *st, double ms);
/* Forgets every sample; keeps the memory. */
void tsn_latency_stats_reset(struct tsn_latency_stats *st);
uint64_t tsn_latency_stats_count(const struct tsn_latency_stats *st);
/* The p-th percentile, 0 <= p <= 100 (nearest rank); NaN when empty or p is
 * out of range. Sorts the store in place (amortised: only after adds). */
double tsn_latency_stats_percentile(struct tsn_latency_stats *st, double p);
/* Fills out. 0, or -ENODATA when there are no samples (out zeroed). */
int tsn_latency_stats_summary(struct tsn_latency_stats *st, struct tsn_latency_summary *out);
/* "n=120 min=10.1 mean=12.3 p50=12.0 p95=15.2 p99=17.9 max=18.4 ms" into
 * buf (always terminated when len > 0). Returns what snprintf returns. */
int tsn_latency_summary_format(const struct tsn_latency_summary *s, char *buf, size_t len);

#endif
