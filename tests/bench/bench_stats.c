/* Measurement helpers for the subscriber-load benchmark: sequence accounting,
 * latency histogram, clocks and /proc readers. See bench_stats.h. */
#include "bench_stats.h"

#include "rtp.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define FINE_BUCKETS    10000 /* 1 us each: 0 .. 9,999 us */
#define COARSE_STEP_US  100   /* then 100 us each */
#define COARSE_BUCKETS  10000 /* 10,000 .. 1,009,999 us */
#define FINE_LIMIT_US   ((int64_t)FINE_BUCKETS)
#define COARSE_LIMIT_US (FINE_LIMIT_US + (int64_t)COARSE_STEP_US * COARSE_BUCKETS)

struct tsn_bench_hist {
    uint64_t fine[FINE_BUCKETS];
    uint64_t coarse[COARSE_BUCKETS];
    uint64_t overflow; /* >= COARSE_LIMIT_US; reported as max */
    uint64_t count;
    uint64_t negative;
    int64_t max_us;
};

/* ---- sequence accounting ---- */

static void seq_bit_set(struct tsn_bench_seq *s, uint32_t ext)
{
    uint32_t bit = ext % TSN_BENCH_SEQ_WINDOW;
    s->window[bit / 64] |= (uint64_t)1 << (bit % 64);
}

static void seq_bit_clear(struct tsn_bench_seq *s, uint32_t ext)
{
    uint32_t bit = ext % TSN_BENCH_SEQ_WINDOW;
    s->window[bit / 64] &= ~((uint64_t)1 << (bit % 64));
}

static int seq_bit_test(const struct tsn_bench_seq *s, uint32_t ext)
{
    uint32_t bit = ext % TSN_BENCH_SEQ_WINDOW;
    return (s->window[bit / 64] >> (bit % 64)) & 1;
}

void tsn_bench_seq_init(struct tsn_bench_seq *s)
{
    memset(s, 0, sizeof(*s));
}

/* The first packet starts the extended numbering at one full cycle, so a
 * reordered packet from just before it still has a non-negative number. */
static void seq_start(struct tsn_bench_seq *s, uint16_t seq)
{
    s->started = 1;
    s->highest_ext = 0x10000u + seq;
    s->base_ext = s->highest_ext;
    seq_bit_set(s, s->highest_ext);
    s->unique = 1;
}

static void seq_advance(struct tsn_bench_seq *s, uint32_t ext, struct tsn_bench_seq_event *ev)
{
    uint32_t jump = ext - s->highest_ext;
    if (jump >= TSN_BENCH_SEQ_WINDOW) {
        memset(s->window, 0, sizeof(s->window));
    } else {
        for (uint32_t e = s->highest_ext + 1; e != ext; e++)
            seq_bit_clear(s, e);
    }
    if (jump > 1) {
        ev->gap_first = s->highest_ext + 1;
        ev->gap_count = jump - 1;
    }
    s->highest_ext = ext;
    seq_bit_set(s, ext);
    s->unique++;
    ev->is_new = 1;
}

void tsn_bench_seq_record(struct tsn_bench_seq *s, uint16_t seq, struct tsn_bench_seq_event *ev)
{
    struct tsn_bench_seq_event local;
    if (!ev)
        ev = &local;
    memset(ev, 0, sizeof(*ev));
    s->received++;
    if (!s->started) {
        seq_start(s, seq);
        ev->is_new = 1;
        return;
    }
    int diff = tsn_seq_diff((uint16_t)s->highest_ext, seq);
    uint32_t ext = s->highest_ext + (uint32_t)diff; /* wraps correctly for diff < 0 */
    if (diff > 0) {
        seq_advance(s, ext, ev);
        return;
    }
    if ((uint32_t)-diff >= TSN_BENCH_SEQ_WINDOW) {
        s->stale++;
        return;
    }
    if (seq_bit_test(s, ext)) {
        s->duplicates++;
        ev->is_duplicate = 1;
        return;
    }
    /* A reordered or retransmitted packet filling a gap. */
    seq_bit_set(s, ext);
    s->unique++;
    ev->is_new = 1;
    if (ext < s->base_ext)
        s->base_ext = ext;
}

uint64_t tsn_bench_seq_expected(const struct tsn_bench_seq *s)
{
    if (!s->started)
        return 0;
    return (uint64_t)(s->highest_ext - s->base_ext) + 1;
}

int64_t tsn_bench_seq_lost(const struct tsn_bench_seq *s)
{
    return (int64_t)tsn_bench_seq_expected(s) - (int64_t)s->unique;
}

/* ---- histogram ---- */

struct tsn_bench_hist *tsn_bench_hist_new(void)
{
    return calloc(1, sizeof(struct tsn_bench_hist));
}

void tsn_bench_hist_free(struct tsn_bench_hist *h)
{
    free(h);
}

void tsn_bench_hist_reset(struct tsn_bench_hist *h)
{
    memset(h, 0, sizeof(*h));
}

void tsn_bench_hist_add(struct tsn_bench_hist *h, int64_t value_us)
{
    if (value_us < 0) {
        h->negative++;
        value_us = 0;
    }
    if (value_us < FINE_LIMIT_US)
        h->fine[value_us]++;
    else if (value_us < COARSE_LIMIT_US)
        h->coarse[(value_us - FINE_LIMIT_US) / COARSE_STEP_US]++;
    else
        h->overflow++;
    if (h->count == 0 || value_us > h->max_us)
        h->max_us = value_us;
    h->count++;
}

uint64_t tsn_bench_hist_count(const struct tsn_bench_hist *h)
{
    return h->count;
}

uint64_t tsn_bench_hist_negative(const struct tsn_bench_hist *h)
{
    return h->negative;
}

int64_t tsn_bench_hist_max(const struct tsn_bench_hist *h)
{
    return h->count ? h->max_us : 0;
}

int64_t tsn_bench_hist_percentile(const struct tsn_bench_hist *h, double pct)
{
    if (h->count == 0)
        return 0;
    /* Nearest rank: the smallest value with at least ceil(pct% * n) samples
     * at or below it. */
    double want_d = pct / 100.0 * (double)h->count;
    uint64_t want = (uint64_t)want_d;
    if ((double)want < want_d)
        want++;
    if (want == 0)
        want = 1;
    uint64_t seen = 0;
    for (int64_t i = 0; i < FINE_BUCKETS; i++) {
        seen += h->fine[i];
        if (seen >= want)
            return i;
    }
    for (int64_t i = 0; i < COARSE_BUCKETS; i++) {
        seen += h->coarse[i];
        if (seen >= want)
            return FINE_LIMIT_US + i * COARSE_STEP_US;
    }
    return h->max_us;
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

int64_t tsn_bench_percentile_sort(int64_t *values, size_t n, double pct)
{
    if (n == 0)
        return 0;
    qsort(values, n, sizeof(values[0]), cmp_i64);
    double want_d = pct / 100.0 * (double)n;
    size_t want = (size_t)want_d;
    if ((double)want < want_d)
        want++;
    if (want == 0)
        want = 1;
    return values[want - 1];
}

/* ---- clocks ---- */

static int64_t clock_us(clockid_t id)
{
    struct timespec ts;
    clock_gettime(id, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

int64_t tsn_bench_mono_us(void)
{
    return clock_us(CLOCK_MONOTONIC);
}

int64_t tsn_bench_real_us(void)
{
    return clock_us(CLOCK_REALTIME);
}

/* ---- /proc ---- */

int tsn_bench_parse_stat_ticks(const char *text, uint64_t *ticks)
{
    /* The command name (field 2) may hold spaces and parentheses: fields are
     * counted from the last ')'. utime and stime are fields 14 and 15. */
    const char *p = strrchr(text, ')');
    if (!p)
        return -EINVAL;
    p++;
    unsigned long long utime = 0, stime = 0;
    /* After ')': state(3) ppid(4) pgrp(5) session(6) tty(7) tpgid(8)
     * flags(9) minflt(10) cminflt(11) majflt(12) cmajflt(13) utime stime. */
    if (sscanf(p, " %*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime) != 2)
        return -EINVAL;
    *ticks = (uint64_t)utime + (uint64_t)stime;
    return 0;
}

int tsn_bench_parse_status_rss_kb(const char *text, uint64_t *rss_kb)
{
    const char *p = strstr(text, "\nVmRSS:");
    if (!p)
        return -ENOENT;
    unsigned long long kb = 0;
    if (sscanf(p + 7, " %llu kB", &kb) != 1)
        return -EINVAL;
    *rss_kb = kb;
    return 0;
}

int tsn_bench_parse_host_stat(const char *text, struct tsn_bench_host_cpu *out)
{
    /* cpu  user nice system idle iowait irq softirq steal guest guest_nice;
     * guest time is already inside user and nice. */
    unsigned long long v[8] = {0};
    if (strncmp(text, "cpu ", 4) != 0 ||
        sscanf(text + 4, "%llu %llu %llu %llu %llu %llu %llu %llu", &v[0], &v[1], &v[2], &v[3],
               &v[4], &v[5], &v[6], &v[7]) < 4)
        return -EINVAL;
    uint64_t sum = 0;
    for (int i = 0; i < 8; i++)
        sum += v[i];
    out->total = sum;
    out->busy = sum - v[3] - v[4];
    out->irq = v[5] + v[6];
    return 0;
}

static int read_small_file(const char *path, char *buf, size_t cap)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0)
        return -errno;
    size_t used = 0;
    while (used + 1 < cap) {
        ssize_t n = read(fd, buf + used, cap - 1 - used);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            break;
        used += (size_t)n;
    }
    close(fd);
    buf[used] = '\0';
    return used ? 0 : -EIO;
}

int tsn_bench_proc_cpu_ticks(pid_t pid, uint64_t *ticks)
{
    char path[64], buf[2048];
    snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
    int rc = read_small_file(path, buf, sizeof(buf));
    return rc ? rc : tsn_bench_parse_stat_ticks(buf, ticks);
}

int tsn_bench_proc_rss_kb(pid_t pid, uint64_t *rss_kb)
{
    char path[64], buf[8192];
    snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
    int rc = read_small_file(path, buf, sizeof(buf));
    return rc ? rc : tsn_bench_parse_status_rss_kb(buf, rss_kb);
}

int tsn_bench_host_cpu_ticks(struct tsn_bench_host_cpu *out)
{
    char buf[4096]; /* the first line is all we need */
    int rc = read_small_file("/proc/stat", buf, sizeof(buf));
    return rc ? rc : tsn_bench_parse_host_stat(buf, out);
}
