/* Latency statistics: exact count/min/mean/max, nearest-rank percentiles
 * over all samples up to a cap and a reservoir sample beyond. See
 * latency_stats.h. */
#include "latency_stats.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define INITIAL_SLOTS 1024
#define PRNG_SEED     0x9E3779B97F4A7C15ULL

struct tsn_latency_stats {
    double *samples; /* owned; `stored` used of `slots` allocated */
    size_t stored, slots, cap;
    int sorted; /* samples[0..stored) is in ascending order */
    uint64_t count;
    double sum_ms, min_ms, max_ms;
    uint64_t prng; /* xorshift64* state, for the reservoir */
};

static uint64_t next_random(struct tsn_latency_stats *st)
{
    st->prng ^= st->prng >> 12;
    st->prng ^= st->prng << 25;
    st->prng ^= st->prng >> 27;
    return st->prng * 0x2545F4914F6CDD1DULL;
}

struct tsn_latency_stats *tsn_latency_stats_new(size_t cap)
{
    struct tsn_latency_stats *st = calloc(1, sizeof *st);
    if (!st)
        return NULL;
    st->cap = cap ? cap : TSN_LATENCY_STATS_DEFAULT_CAP;
    tsn_latency_stats_reset(st);
    return st;
}

void tsn_latency_stats_free(struct tsn_latency_stats *st)
{
    if (!st)
        return;
    free(st->samples);
    free(st);
}

void tsn_latency_stats_reset(struct tsn_latency_stats *st)
{
    st->stored = 0;
    st->sorted = 1;
    st->count = 0;
    st->sum_ms = 0;
    st->min_ms = INFINITY;
    st->max_ms = -INFINITY;
    st->prng = PRNG_SEED;
}

uint64_t tsn_latency_stats_count(const struct tsn_latency_stats *st)
{
    return st->count;
}

static int grow(struct tsn_latency_stats *st)
{
    size_t slots = st->slots ? st->slots * 2 : INITIAL_SLOTS;
    if (slots > st->cap)
        slots = st->cap;
    double *p = realloc(st->samples, slots * sizeof *p);
    if (!p)
        return -ENOMEM;
    st->samples = p;
    st->slots = slots;
    return 0;
}

/* Algorithm R: the n-th sample (n > cap) replaces a random slot with
 * probability cap/n, which keeps the store a uniform sample of all n. */
static void store(struct tsn_latency_stats *st, double ms)
{
    if (st->stored < st->cap) {
        st->samples[st->stored++] = ms;
        st->sorted = 0;
        return;
    }
    uint64_t j = next_random(st) % st->count;
    if (j < st->cap) {
        st->samples[j] = ms;
        st->sorted = 0;
    }
}

int tsn_latency_stats_add(struct tsn_latency_stats *st, double ms)
{
    if (!isfinite(ms))
        return -EINVAL;
    st->count++;
    st->sum_ms += ms;
    if (ms < st->min_ms)
        st->min_ms = ms;
    if (ms > st->max_ms)
        st->max_ms = ms;
    if (st->stored == st->slots && st->stored < st->cap && grow(st) != 0)
        return -ENOMEM;
    store(st, ms);
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double tsn_latency_stats_percentile(struct tsn_latency_stats *st, double p)
{
    if (st->stored == 0 || !(p >= 0 && p <= 100))
        return NAN;
    if (!st->sorted) {
        qsort(st->samples, st->stored, sizeof *st->samples, cmp_double);
        st->sorted = 1;
    }
    /* ceil() of a product like 0.95 * 100 can land on 96 through rounding
     * (95.00000000000001); take off a hair below one part in 1e9. */
    double exact = p / 100.0 * (double)st->stored;
    size_t rank = (size_t)ceil(exact - exact * 1e-12);
    if (rank < 1)
        rank = 1;
    if (rank > st->stored)
        rank = st->stored;
    return st->samples[rank - 1];
}

int tsn_latency_stats_summary(struct tsn_latency_stats *st, struct tsn_latency_summary *out)
{
    memset(out, 0, sizeof *out);
    if (st->count == 0)
        return -ENODATA;
    out->count = st->count;
    out->min_ms = st->min_ms;
    out->max_ms = st->max_ms;
    out->mean_ms = st->sum_ms / (double)st->count;
    out->p50_ms = tsn_latency_stats_percentile(st, 50);
    out->p95_ms = tsn_latency_stats_percentile(st, 95);
    out->p99_ms = tsn_latency_stats_percentile(st, 99);
    return 0;
}

int tsn_latency_summary_format(const struct tsn_latency_summary *s, char *buf, size_t len)
{
    return snprintf(buf, len, "n=%llu min=%.1f mean=%.1f p50=%.1f p95=%.1f p99=%.1f max=%.1f ms",
                    (unsigned long long)s->count, s->min_ms, s->mean_ms, s->p50_ms, s->p95_ms,
                    s->p99_ms, s->max_ms);
}
