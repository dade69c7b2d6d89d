/* Internal header of tsn-sub-load, shared by sub_load.c (threads, event loop,
 * phases) and sub_load_measure.c (options, per-packet accounting, the
 * measured window and the JSON report). Not a library API. */
#ifndef TSN_SUB_LOAD_H
#define TSN_SUB_LOAD_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "bench_peer.h"
#include "bench_pub.h"
#include "bench_stats.h"
#include "cert.h"
#include "log.h"
#include "rtp.h"
#include "srtp_session.h"

#define TSN_SUB_LOAD_BATCH        64u
#define TSN_SUB_LOAD_MAX_WORKERS  32u
#define TSN_SUB_LOAD_PT           102
#define TSN_SUB_LOAD_RR_US        1000000
#define TSN_SUB_LOAD_HANDSHAKE_US 10000000
#define TSN_SUB_LOAD_NACK_MAX     32 /* sequence numbers per NACK */

struct tsn_sub_load_opts {
    const char *url_base; /* "https://127.0.0.1:PORT", no trailing slash */
    const char *room;
    const char *token_sub;
    const char *token_pub;
    int publish; /* 1: built-in publisher (default) */
    unsigned subscribers;
    double duration_s, warmup_s, setup_timeout_s;
    unsigned bitrate_kbps, fps;
    double keyint_s;
    size_t packet_bytes;
    pid_t relay_pid;      /* 0: relay CPU / RSS not measured */
    unsigned concurrency; /* signalling threads */
    int paced;            /* built-in publisher paces at 2.5x the bitrate */
    int nack;             /* subscribers NACK sequence gaps */
    double sim_loss_pct;  /* subscribers discard this share of SRTP packets unread */
    int teardown;         /* DELETE the sessions at the end */
    int rcvbuf_bytes;
    int64_t rx_interval_us; /* least time between reads: bigger recvmmsg batches */
    enum tsn_log_level log_level;
};

/* Counters captured at the start and end of the measured window. */
struct tsn_sub_snap {
    uint64_t expected, unique, received, duplicates, rtcp_in, sim_dropped;
    uint32_t rxq_drops;
};

struct tsn_sub {
    struct tsn_bench_peer *peer; /* owned */
    char *offer;                 /* owned; built before the workers start */
    size_t offer_len;
    uint32_t ssrc; /* our RTCP sender SSRC */
    /* Written by a signalling worker, read by the loop only after the index
     * came through the queue (the queue's mutex orders the two). */
    int http_rc, http_status;
    char *answer; /* owned, nullable */
    size_t answer_len;
    char *location; /* owned absolute URL of the session, nullable */
    int64_t post_start_us, post_done_us;
    /* Loop-owned. */
    enum tsn_bench_peer_state last_state;
    int settled, connected;
    char error[160];
    int answer_pt;
    int64_t first_packet_us, first_keyframe_us;
    int started_with_keyframe;
    uint32_t media_ssrc; /* learned from the first packet */
    struct tsn_bench_seq seq;
    uint64_t rtcp_in, wrong_pt, bad_rtp, nacks_sent;
    uint32_t rxq_drops;   /* SO_RXQ_OVFL: datagrams the kernel dropped */
    uint64_t sim_dropped; /* discarded by --sim-loss */
    int64_t next_rr_us;
    uint64_t rr_prior_expected, rr_prior_unique;
    struct tsn_sub_snap w0, w1;
};

/* Receive batch for recvmmsg; one per loop. */
struct tsn_sub_load_rx {
    struct mmsghdr msgs[TSN_SUB_LOAD_BATCH];
    struct iovec iov[TSN_SUB_LOAD_BATCH];
    uint8_t bufs[TSN_SUB_LOAD_BATCH][2048];
    /* SCM_TIMESTAMPNS (struct timespec) + SO_RXQ_OVFL (uint32_t), with room. */
    uint64_t ctrl[TSN_SUB_LOAD_BATCH][16];
};

struct tsn_sub_load {
    struct tsn_sub_load_opts o;
    char fatal[256];       /* why the run could not happen, "" if it could */
    char first_error[160]; /* the first subscriber failure */
    struct tsn_cert *cert; /* owned: the one client certificate */
    char fingerprint[TSN_FINGERPRINT_LEN];
    struct tsn_dtls_ctx *dtls_ctx; /* owned */
    char *whep_url, *whip_url;     /* owned */
    int epfd, evfd;
    struct tsn_sub *subs; /* owned, o.subscribers entries */
    unsigned n_settled, n_connected, n_failed, n_lost_after_connect;
    struct tsn_bench_pub *pub; /* owned, NULL with an external publisher */
    char *pub_location;
    /* Signalling threads hand finished POSTs to the loop through this queue. */
    pthread_mutex_t q_lock; /* protects q_items, q_len, q_head */
    unsigned *q_items;      /* owned, o.subscribers entries */
    unsigned q_len, q_head;
    pthread_t workers[TSN_SUB_LOAD_MAX_WORKERS];
    unsigned n_workers;
    atomic_uint next_job;
    atomic_int stop_workers;
    atomic_uint deleted;
    /* Measurement. */
    int measuring;
    struct tsn_bench_hist *lat_kernel; /* owned: kernel rx stamp - send (CLOCK_REALTIME) */
    struct tsn_bench_hist *lat_app;    /* owned: loop time - send (CLOCK_MONOTONIC) */
    int64_t w0_us, w1_us;
    struct tsn_bench_pub_counters pub0, pub1;
    int relay_ok;
    uint64_t relay_ticks0, relay_ticks1, relay_rss0_kb, relay_rss1_kb;
    struct rusage self0, self1;
    int host_ok;
    struct tsn_bench_host_cpu host0, host1; /* /proc/stat ticks */
    uint64_t rng;                           /* xorshift state for --sim-loss */
    struct tsn_sub_load_rx rx;
};

/* Options: 0 to run, 1 after --help, or -EINVAL (a message on stderr). */
int tsn_sub_load_parse_opts(int argc, char **argv, struct tsn_sub_load_opts *o);

/* Records a fatal reason (printf-style) in a->fatal and the log; returns
 * -EIO so callers can `return tsn_sub_load_fail(...)`. */
int tsn_sub_load_fail(struct tsn_sub_load *a, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

/* Walks a received message's control data: the kernel receive time
 * (CLOCK_REALTIME us, left alone if absent) and the socket's drop counter.
 * Returns 1 if the drop counter was present. */
int tsn_sub_load_cmsgs(const struct msghdr *mh, int64_t *rx_real_us, uint32_t *drops);

/* One decrypted RTP packet for subscriber `s`: sequence accounting,
 * first-packet bookkeeping, NACKs (with --nack) and, in the window, latency. */
void tsn_sub_on_rtp(struct tsn_sub_load *a, struct tsn_sub *s, const uint8_t *buf, size_t len,
                    int64_t now_us, int64_t rx_real_us);
/* A receiver report for the stream subscriber `s` receives. */
void tsn_sub_send_rr(struct tsn_sub *s);

/* 1 if --sim-loss says this SRTP datagram is "lost" before we read it. */
int tsn_sub_load_sim_drop(struct tsn_sub_load *a, const uint8_t *buf, size_t len);

void tsn_sub_load_window_begin(struct tsn_sub_load *a);
void tsn_sub_load_window_end(struct tsn_sub_load *a);
/* The result as one JSON object and a newline. */
void tsn_sub_load_print_json(const struct tsn_sub_load *a, FILE *out);

#endif
