/* Measurement helpers for the subscriber-load benchmark: per-stream RTP
 * sequence accounting (received, unique, duplicates, loss as gaps in the
 * extended sequence), a fixed-memory latency histogram with percentiles, the
 * two clocks the benchmark stamps with, and reading another process's CPU
 * time and resident memory from /proc. No I/O except the /proc readers; no
 * allocation except tsn_bench_hist_new. Single-threaded. */
#ifndef TSN_BENCH_STATS_H
#define TSN_BENCH_STATS_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

/* Sequence numbers remembered behind the highest one: a packet older than
 * this is counted as stale (neither unique nor duplicate). */
#define TSN_BENCH_SEQ_WINDOW 2048

struct tsn_bench_seq {
    int started;
    uint32_t base_ext;    /* lowest extended sequence number seen */
    uint32_t highest_ext; /* highest extended sequence number seen */
    uint64_t received;    /* every packet recorded */
    uint64_t unique;      /* distinct sequence numbers within [base, highest] */
    uint64_t duplicates;  /* a sequence number seen before */
    uint64_t stale;       /* older than the window: cannot tell */
    uint64_t window[TSN_BENCH_SEQ_WINDOW / 64]; /* bit per ext seq % window */
};

/* What tsn_bench_seq_record saw, for NACK generation. */
struct tsn_bench_seq_event {
    int is_new;         /* 1: a sequence number not seen before */
    int is_duplicate;   /* 1: seen before */
    uint32_t gap_first; /* first missing extended seq jumped over (if gap_count) */
    uint32_t gap_count; /* sequence numbers skipped by this packet (0 = none) */
};

void tsn_bench_seq_init(struct tsn_bench_seq *s);
/* Records one received packet. `ev` may be NULL. */
void tsn_bench_seq_record(struct tsn_bench_seq *s, uint16_t seq, struct tsn_bench_seq_event *ev);
/* highest - base + 1, or 0 before the first packet. */
uint64_t tsn_bench_seq_expected(const struct tsn_bench_seq *s);
/* expected - unique: sequence numbers never received (so far). */
int64_t tsn_bench_seq_lost(const struct tsn_bench_seq *s);

/* Latency histogram in microseconds: 1 us buckets below 10 ms, 100 us
 * buckets up to ~1 s, and an overflow bucket; exact min and max. Negative
 * values are counted in bucket 0 (and in `negative`). */
struct tsn_bench_hist;

struct tsn_bench_hist *tsn_bench_hist_new(void);
void tsn_bench_hist_free(struct tsn_bench_hist *h);
void tsn_bench_hist_reset(struct tsn_bench_hist *h);
void tsn_bench_hist_add(struct tsn_bench_hist *h, int64_t value_us);
uint64_t tsn_bench_hist_count(const struct tsn_bench_hist *h);
uint64_t tsn_bench_hist_negative(const struct tsn_bench_hist *h);
int64_t tsn_bench_hist_max(const struct tsn_bench_hist *h);
/* The smallest bucket value v such that at least `pct` percent of samples are
 * <= v (bucket lower bound; exact below 10 ms). 0 if empty. */
int64_t tsn_bench_hist_percentile(const struct tsn_bench_hist *h, double pct);

/* Percentile of a small array by sorting it in place (nearest rank). 0 if n
 * is 0. */
int64_t tsn_bench_percentile_sort(int64_t *values, size_t n, double pct);

/* CLOCK_MONOTONIC and CLOCK_REALTIME in microseconds. */
int64_t tsn_bench_mono_us(void);
int64_t tsn_bench_real_us(void);

/* utime + stime of every thread of `pid`, in clock ticks (sysconf
 * _SC_CLK_TCK per second). 0 or a negative errno. */
int tsn_bench_proc_cpu_ticks(pid_t pid, uint64_t *ticks);
/* VmRSS of `pid` in kB. 0 or a negative errno. */
int tsn_bench_proc_rss_kb(pid_t pid, uint64_t *rss_kb);

/* The whole machine from /proc/stat's "cpu" line, in clock ticks summed
 * over all CPUs: busy (everything but idle and iowait), the part of it spent
 * in hard and soft interrupts (on loopback that is mostly packet delivery
 * between the relay and the tool), and total. The benchmark reports what
 * neither the relay, the tool nor interrupts used: other load on the
 * machine that makes its numbers unreliable. */
struct tsn_bench_host_cpu {
    uint64_t busy, irq, total;
};
int tsn_bench_host_cpu_ticks(struct tsn_bench_host_cpu *out);

/* The parsers behind the readers, exposed for tests: the text of
 * /proc/PID/stat, /proc/PID/status and /proc/stat. */
int tsn_bench_parse_stat_ticks(const char *text, uint64_t *ticks);
int tsn_bench_parse_status_rss_kb(const char *text, uint64_t *rss_kb);
int tsn_bench_parse_host_stat(const char *text, struct tsn_bench_host_cpu *out);

#endif
