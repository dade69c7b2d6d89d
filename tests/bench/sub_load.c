/* tsn-sub-load: the subscriber-load benchmark of the relay. N lightweight
 * WebRTC subscribers (bench_peer: ICE + DTLS once, then only SRTP decrypt and
 * packet accounting) live in this one process, on one epoll thread that reads
 * with recvmmsg; a few signalling threads do the blocking WHEP POSTs and
 * DELETEs. By default the process also publishes (bench_pub over WHIP): a
 * synthetic H.264 stream whose packets carry their send time, so relay-added
 * latency is measured on one clock. With --external-publisher it only
 * subscribes and the latency is omitted. Output: one JSON object on stdout;
 * progress and errors go to stderr. */
#include <errno.h>
#include <getopt.h>
#include <inttypes.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "bench_peer.h"
#include "bench_pub.h"
#include "bench_stats.h"
#include "cert.h"
#include "dtls.h"
#include "https_client.h"
#include "log.h"
#include "srtp_session.h"
#include "sub_load.h"

#define TICK_US  5000
#define PUB_TAG  UINT64_MAX
#define EVFD_TAG 0

static volatile sig_atomic_t g_stop;

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

/* The first line of an HTTP error body (at most 100 bytes), for a reason. */
static int first_line_len(const char *body)
{
    size_t n = body ? strcspn(body, "\r\n") : 0;
    return n > 100 ? 100 : (int)n;
}

/* ---- signalling threads ---- */

/* Runs in a worker: POSTs one subscriber's offer. Everything it writes in
 * `s` is read by the loop only after the index went through the queue. */
static void post_offer(struct tsn_sub_load *a, struct tsn_sub *s)
{
    struct tsn_https_response r;
    s->post_start_us = tsn_bench_mono_us();
    s->http_rc = tsn_https_request("POST", a->whep_url, "application/sdp", a->o.token_sub, s->offer,
                                   s->offer_len, &r);
    s->post_done_us = tsn_bench_mono_us();
    if (s->http_rc == 0) {
        s->http_status = r.status;
        s->answer = r.body ? strndup(r.body, r.body_len) : NULL;
        s->answer_len = r.body ? r.body_len : 0;
        if (r.location)
            s->location = tsn_https_resolve_location(a->whep_url, r.location);
    }
    tsn_https_response_clear(&r);
}

static void queue_push(struct tsn_sub_load *a, unsigned idx)
{
    uint64_t one = 1;
    pthread_mutex_lock(&a->q_lock);
    a->q_items[a->q_len++] = idx;
    pthread_mutex_unlock(&a->q_lock);
    if (write(a->evfd, &one, sizeof(one)) < 0)
        tsn_warn("[sub-load] eventfd write: %s", strerror(errno));
}

static void *post_worker(void *arg)
{
    struct tsn_sub_load *a = arg;
    for (;;) {
        unsigned i = atomic_fetch_add(&a->next_job, 1);
        if (i >= a->o.subscribers || atomic_load(&a->stop_workers))
            break;
        post_offer(a, &a->subs[i]);
        queue_push(a, i);
    }
    return NULL;
}

static void *delete_worker(void *arg)
{
    struct tsn_sub_load *a = arg;
    for (;;) {
        unsigned i = atomic_fetch_add(&a->next_job, 1);
        if (i >= a->o.subscribers)
            break;
        struct tsn_sub *s = &a->subs[i];
        if (!s->location)
            continue;
        struct tsn_https_response r;
        int rc = tsn_https_request("DELETE", s->location, NULL, a->o.token_sub, NULL, 0, &r);
        if (rc == 0 && r.status >= 200 && r.status < 300)
            atomic_fetch_add(&a->deleted, 1);
        else
            tsn_debug("[sub %u] DELETE: %s %d", i, rc ? tsn_https_strerror(rc) : "HTTP",
                      rc ? 0 : r.status);
        tsn_https_response_clear(&r);
    }
    return NULL;
}

/* Runs `fn` on o.concurrency threads over every subscriber index and does
 * not wait: tsn_sub_load_join_workers does. */
static int start_workers(struct tsn_sub_load *a, void *(*fn)(void *))
{
    atomic_store(&a->next_job, 0);
    a->n_workers = 0;
    for (unsigned i = 0; i < a->o.concurrency && i < TSN_SUB_LOAD_MAX_WORKERS; i++) {
        int rc = pthread_create(&a->workers[i], NULL, fn, a);
        if (rc != 0) {
            tsn_err("[sub-load] pthread_create: %s", strerror(rc));
            return a->n_workers ? 0 : -rc;
        }
        a->n_workers++;
    }
    return 0;
}

static void join_workers(struct tsn_sub_load *a)
{
    for (unsigned i = 0; i < a->n_workers; i++)
        pthread_join(a->workers[i], NULL);
    a->n_workers = 0;
}

/* ---- subscribers in the loop ---- */

static void sub_fail(struct tsn_sub_load *a, struct tsn_sub *s, const char *why)
{
    snprintf(s->error, sizeof(s->error), "%s", why);
    if (!s->settled) {
        s->settled = 1;
        a->n_settled++;
        a->n_failed++;
    }
    if (!a->first_error[0])
        snprintf(a->first_error, sizeof(a->first_error), "%s", why);
}

/* Notes a peer's state change: connected and failed are counted once. */
static void sub_note_state(struct tsn_sub_load *a, struct tsn_sub *s, int64_t now_us)
{
    enum tsn_bench_peer_state st = tsn_bench_peer_state(s->peer);
    if (st == s->last_state)
        return;
    s->last_state = st;
    if (st == TSN_BENCH_PEER_CONNECTED && !s->settled) {
        s->settled = 1;
        s->connected = 1;
        a->n_settled++;
        a->n_connected++;
        s->next_rr_us = now_us + TSN_SUB_LOAD_RR_US;
    } else if (st == TSN_BENCH_PEER_FAILED) {
        if (s->connected)
            a->n_lost_after_connect++;
        sub_fail(a, s, tsn_bench_peer_error(s->peer));
    }
}

/* The loop's side of a finished POST. */
static void sub_start(struct tsn_sub_load *a, struct tsn_sub *s, int64_t now_us)
{
    char why[200];
    if (s->http_rc < 0) {
        snprintf(why, sizeof(why), "WHEP POST: %s", tsn_https_strerror(s->http_rc));
        sub_fail(a, s, why);
        return;
    }
    if (s->http_status != 201 || !s->answer) {
        snprintf(why, sizeof(why), "WHEP POST: HTTP %d: %.*s", s->http_status,
                 first_line_len(s->answer), s->answer ? s->answer : "");
        sub_fail(a, s, why);
        return;
    }
    if (tsn_bench_peer_set_answer(s->peer, s->answer, s->answer_len, now_us, why, sizeof(why)) <
        0) {
        sub_fail(a, s, tsn_bench_peer_error(s->peer));
        return;
    }
    free(s->answer); /* no longer needed: keep memory flat at 1,000 peers */
    s->answer = NULL;
    s->answer_pt = tsn_bench_peer_answer_pt(s->peer);
    sub_note_state(a, s, now_us);
}

static void drain_queue(struct tsn_sub_load *a, int64_t now_us)
{
    uint64_t count;
    if (read(a->evfd, &count, sizeof(count)) < 0 && errno != EAGAIN)
        tsn_warn("[sub-load] eventfd read: %s", strerror(errno));
    for (;;) {
        unsigned idx;
        pthread_mutex_lock(&a->q_lock);
        int have = a->q_head < a->q_len;
        if (have)
            idx = a->q_items[a->q_head++];
        pthread_mutex_unlock(&a->q_lock);
        if (!have)
            break;
        sub_start(a, &a->subs[idx], now_us);
    }
}

static void tick_all(struct tsn_sub_load *a, int64_t now_us)
{
    for (unsigned i = 0; i < a->o.subscribers; i++) {
        struct tsn_sub *s = &a->subs[i];
        enum tsn_bench_peer_state st = s->last_state;
        if (st != TSN_BENCH_PEER_ICE && st != TSN_BENCH_PEER_DTLS && st != TSN_BENCH_PEER_CONNECTED)
            continue;
        tsn_bench_peer_tick(s->peer, now_us);
        sub_note_state(a, s, now_us);
        if (s->last_state == TSN_BENCH_PEER_CONNECTED && now_us >= s->next_rr_us) {
            tsn_sub_send_rr(s);
            s->next_rr_us = now_us + TSN_SUB_LOAD_RR_US;
        }
    }
}

static void on_sub_datagram(struct tsn_sub_load *a, struct tsn_sub *s, uint8_t *buf, size_t len,
                            int64_t now_us, int64_t rx_real_us)
{
    enum tsn_bench_dgram kind = tsn_bench_peer_input(s->peer, buf, &len, now_us);
    if (kind == TSN_BENCH_DGRAM_RTP)
        tsn_sub_on_rtp(a, s, buf, len, now_us, rx_real_us);
    else if (kind == TSN_BENCH_DGRAM_RTCP)
        s->rtcp_in++; /* SR and the like: nothing to answer beyond our RRs */
    else if (s->last_state != TSN_BENCH_PEER_CONNECTED)
        sub_note_state(a, s, now_us);
}

/* Reads what is queued on one socket in batches. `s` NULL: the publisher. */
static void on_readable(struct tsn_sub_load *a, int fd, struct tsn_sub *s)
{
    struct tsn_sub_load_rx *rx = &a->rx;
    for (int round = 0; round < 4; round++) {
        for (unsigned i = 0; i < TSN_SUB_LOAD_BATCH; i++) {
            rx->iov[i].iov_base = rx->bufs[i];
            rx->iov[i].iov_len = sizeof(rx->bufs[i]) - TSN_SRTP_MAX_TRAILER;
            memset(&rx->msgs[i].msg_hdr, 0, sizeof(rx->msgs[i].msg_hdr));
            rx->msgs[i].msg_hdr.msg_iov = &rx->iov[i];
            rx->msgs[i].msg_hdr.msg_iovlen = 1;
            rx->msgs[i].msg_hdr.msg_control = rx->ctrl[i];
            rx->msgs[i].msg_hdr.msg_controllen = sizeof(rx->ctrl[i]);
        }
        int n = recvmmsg(fd, rx->msgs, TSN_SUB_LOAD_BATCH, MSG_DONTWAIT, NULL);
        if (n <= 0)
            return;
        int64_t now_us = tsn_bench_mono_us();
        for (int i = 0; i < n; i++) {
            int64_t rx_real_us = 0;
            uint32_t drops = 0;
            int have_drops = tsn_sub_load_cmsgs(&rx->msgs[i].msg_hdr, &rx_real_us, &drops);
            if (s && have_drops)
                s->rxq_drops = drops;
            if (s && tsn_sub_load_sim_drop(a, rx->bufs[i], rx->msgs[i].msg_len))
                s->sim_dropped++;
            else if (s)
                on_sub_datagram(a, s, rx->bufs[i], rx->msgs[i].msg_len, now_us, rx_real_us);
            else
                tsn_bench_pub_input(a->pub, rx->bufs[i], rx->msgs[i].msg_len, now_us);
        }
        if (n < (int)TSN_SUB_LOAD_BATCH)
            return;
    }
}

/* ---- the loop ---- */

#define MAX_EVENTS 256

/* Sleeps until `until_us` (CLOCK_MONOTONIC); EINTR ends it early. */
static void sleep_until_us(int64_t until_us)
{
    struct timespec ts = {until_us / 1000000, (until_us % 1000000) * 1000};
    clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL);
}

/* Runs until `until_us`, g_stop, or `done(a)` returns true. */
static void run_loop(struct tsn_sub_load *a, int64_t until_us, int (*done)(struct tsn_sub_load *))
{
    struct epoll_event ev[MAX_EVENTS];
    int64_t next_tick_us = tsn_bench_mono_us();
    int64_t last_wake_us = 0;
    int n = 0;
    while (!g_stop) {
        int64_t now_us = tsn_bench_mono_us();
        if (now_us >= until_us || (done && done(a)))
            return;
        if (a->pub)
            tsn_bench_pub_tick(a->pub, now_us);
        if (now_us >= next_tick_us) {
            tick_all(a, now_us);
            next_tick_us = now_us + TICK_US;
        }
        int64_t due_us = next_tick_us < until_us ? next_tick_us : until_us;
        if (a->pub && tsn_bench_pub_next_due_us(a->pub) < due_us)
            due_us = tsn_bench_pub_next_due_us(a->pub);
        /* --rx-interval-us: let datagrams gather so one recvmmsg takes
         * several (the kernel stamps their arrival, so latency_us does not
         * grow; latency_app_us does). Not while epoll has more ready. */
        int64_t gather_us = last_wake_us + a->o.rx_interval_us;
        if (n < MAX_EVENTS && gather_us > now_us)
            sleep_until_us(gather_us < due_us ? gather_us : due_us);
        /* epoll_pwait2: microsecond timeouts, so paced packets keep their
         * spacing instead of snapping to milliseconds. */
        int64_t wait_us = due_us - tsn_bench_mono_us();
        if (wait_us < 0)
            wait_us = 0;
        struct timespec timeout = {wait_us / 1000000, (wait_us % 1000000) * 1000};
        n = epoll_pwait2(a->epfd, ev, MAX_EVENTS, &timeout, NULL);
        last_wake_us = tsn_bench_mono_us();
        for (int i = 0; i < n; i++) {
            uint64_t tag = ev[i].data.u64;
            if (tag == EVFD_TAG)
                drain_queue(a, tsn_bench_mono_us());
            else if (tag == PUB_TAG)
                on_readable(a, tsn_bench_peer_fd(tsn_bench_pub_peer(a->pub)), NULL);
            else
                on_readable(a, tsn_bench_peer_fd(a->subs[tag - 1].peer), &a->subs[tag - 1]);
        }
    }
}

static int all_settled(struct tsn_sub_load *a)
{
    return a->n_settled >= a->o.subscribers;
}

static int pub_settled(struct tsn_sub_load *a)
{
    enum tsn_bench_peer_state st = tsn_bench_peer_state(tsn_bench_pub_peer(a->pub));
    return st == TSN_BENCH_PEER_CONNECTED || st == TSN_BENCH_PEER_FAILED;
}

/* ---- phases ---- */

static int epoll_add(struct tsn_sub_load *a, int fd, uint64_t tag)
{
    struct epoll_event ev = {.events = EPOLLIN, .data.u64 = tag};
    return epoll_ctl(a->epfd, EPOLL_CTL_ADD, fd, &ev) < 0 ? -errno : 0;
}

/* WHIP: POST in this thread (nothing else runs yet), then ICE + DTLS. */
static int connect_publisher(struct tsn_sub_load *a)
{
    struct tsn_bench_pub_config pc = {
        .dtls_ctx = a->dtls_ctx,
        .local_fingerprint = a->fingerprint,
        .bitrate_kbps = a->o.bitrate_kbps,
        .fps = a->o.fps,
        .keyint_frames = (unsigned)(a->o.keyint_s * a->o.fps + 0.5),
        .packet_bytes = a->o.packet_bytes,
        .paced = a->o.paced,
        .handshake_timeout_us = TSN_SUB_LOAD_HANDSHAKE_US,
    };
    if (pc.keyint_frames == 0)
        pc.keyint_frames = 1;
    char why[256], offer[4096];
    a->pub = tsn_bench_pub_new(&pc, why, sizeof(why));
    if (!a->pub)
        return tsn_sub_load_fail(a, "publisher: %s", why);
    struct tsn_bench_peer *peer = tsn_bench_pub_peer(a->pub);
    int len = tsn_bench_peer_build_offer(peer, offer, sizeof(offer));
    if (len < 0 || epoll_add(a, tsn_bench_peer_fd(peer), PUB_TAG) < 0)
        return tsn_sub_load_fail(a, "publisher: cannot set up");
    struct tsn_https_response r;
    int rc = tsn_https_request("POST", a->whip_url, "application/sdp", a->o.token_pub, offer,
                               (size_t)len, &r);
    if (rc < 0)
        return tsn_sub_load_fail(a, "WHIP POST: %s", tsn_https_strerror(rc));
    if (r.status != 201 || !r.body) {
        tsn_sub_load_fail(a, "WHIP POST: HTTP %d: %.*s", r.status, first_line_len(r.body),
                          r.body ? r.body : "");
        tsn_https_response_clear(&r);
        return -EPROTO;
    }
    if (r.location)
        a->pub_location = tsn_https_resolve_location(a->whip_url, r.location);
    rc = tsn_bench_peer_set_answer(peer, r.body, r.body_len, tsn_bench_mono_us(), why, sizeof(why));
    tsn_https_response_clear(&r);
    if (rc < 0)
        return tsn_sub_load_fail(a, "WHIP answer: %s", why);
    run_loop(a, tsn_bench_mono_us() + TSN_SUB_LOAD_HANDSHAKE_US, pub_settled);
    if (tsn_bench_peer_state(peer) != TSN_BENCH_PEER_CONNECTED)
        return tsn_sub_load_fail(a, "publisher: %s", tsn_bench_peer_error(peer));
    tsn_info("[sub-load] publisher connected (%s); streaming %u kbit/s",
             tsn_bench_peer_srtp_profile(peer), a->o.bitrate_kbps);
    /* Let the first keyframe reach the relay before anyone subscribes. */
    run_loop(a, tsn_bench_mono_us() + 300000, NULL);
    return 0;
}

static int create_subscribers(struct tsn_sub_load *a)
{
    char why[256], offer[4096];
    for (unsigned i = 0; i < a->o.subscribers; i++) {
        struct tsn_sub *s = &a->subs[i];
        struct tsn_bench_peer_config pc = {
            .dtls_ctx = a->dtls_ctx,
            .local_fingerprint = a->fingerprint,
            .sendonly = 0,
            .ssrc = (uint32_t)(0x51000000u + i), /* only ever an RTCP sender SSRC */
            .payload_type = TSN_SUB_LOAD_PT,
            .ext_abs_capture_time = 3,
            .rcvbuf_bytes = a->o.rcvbuf_bytes,
            .handshake_timeout_us = TSN_SUB_LOAD_HANDSHAKE_US,
        };
        s->ssrc = pc.ssrc;
        s->peer = tsn_bench_peer_new(&pc, why, sizeof(why));
        if (!s->peer)
            return tsn_sub_load_fail(a, "subscriber %u: %s", i, why);
        int len = tsn_bench_peer_build_offer(s->peer, offer, sizeof(offer));
        if (len < 0 || !(s->offer = strndup(offer, (size_t)len)))
            return tsn_sub_load_fail(a, "subscriber %u: cannot build the offer", i);
        s->offer_len = (size_t)len;
        tsn_bench_seq_init(&s->seq);
        if (epoll_add(a, tsn_bench_peer_fd(s->peer), (uint64_t)i + 1) < 0)
            return tsn_sub_load_fail(a, "epoll_ctl: %s", strerror(errno));
    }
    return 0;
}

static void setup_subscribers(struct tsn_sub_load *a)
{
    int64_t t0 = tsn_bench_mono_us();
    if (start_workers(a, post_worker) < 0) {
        tsn_sub_load_fail(a, "cannot start signalling threads");
        return;
    }
    run_loop(a, t0 + (int64_t)(a->o.setup_timeout_s * 1e6), all_settled);
    atomic_store(&a->stop_workers, 1);
    join_workers(a);
    drain_queue(a, tsn_bench_mono_us()); /* POSTs that ended after the loop */
    tsn_info("[sub-load] %u of %u subscribers connected in %.1f s (%u failed)", a->n_connected,
             a->o.subscribers, (double)(tsn_bench_mono_us() - t0) / 1e6, a->n_failed);
}

/* DELETE every session first, as a WHEP client leaving does (the relay
 * drops a session on DTLS close_notify too, so closing first would turn the
 * DELETEs into 404s), then close_notify whatever is left. */
static void teardown(struct tsn_sub_load *a)
{
    if (a->o.teardown && start_workers(a, delete_worker) == 0)
        join_workers(a);
    for (unsigned i = 0; i < a->o.subscribers; i++)
        if (a->subs[i].peer)
            tsn_bench_peer_close(a->subs[i].peer);
    if (a->pub) {
        struct tsn_https_response r;
        if (a->o.teardown && a->pub_location &&
            tsn_https_request("DELETE", a->pub_location, NULL, a->o.token_pub, NULL, 0, &r) == 0)
            tsn_https_response_clear(&r);
        tsn_bench_peer_close(tsn_bench_pub_peer(a->pub));
    }
}

static int app_init(struct tsn_sub_load *a)
{
    a->epfd = epoll_create1(EPOLL_CLOEXEC);
    a->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (a->epfd < 0 || a->evfd < 0 || epoll_add(a, a->evfd, EVFD_TAG) < 0)
        return tsn_sub_load_fail(a, "epoll/eventfd: %s", strerror(errno));
    pthread_mutex_init(&a->q_lock, NULL);
    a->subs = calloc(a->o.subscribers ? a->o.subscribers : 1, sizeof(*a->subs));
    a->q_items = calloc(a->o.subscribers ? a->o.subscribers : 1, sizeof(*a->q_items));
    a->lat_kernel = tsn_bench_hist_new();
    a->lat_app = tsn_bench_hist_new();
    if (!a->subs || !a->q_items || !a->lat_kernel || !a->lat_app)
        return tsn_sub_load_fail(a, "out of memory");
    if (tsn_srtp_global_init() < 0)
        return tsn_sub_load_fail(a, "libsrtp init failed");
    a->cert = tsn_cert_generate("tsn-sub-load", 30);
    if (!a->cert)
        return tsn_sub_load_fail(a, "cannot generate the client certificate");
    tsn_cert_fingerprint(a->cert, a->fingerprint);
    a->dtls_ctx = tsn_dtls_ctx_new(a->cert);
    if (!a->dtls_ctx)
        return tsn_sub_load_fail(a, "cannot create the DTLS context");
    if (asprintf(&a->whep_url, "%s/whep/%s", a->o.url_base, a->o.room) < 0 ||
        asprintf(&a->whip_url, "%s/whip/%s", a->o.url_base, a->o.room) < 0)
        return tsn_sub_load_fail(a, "out of memory");
    return 0;
}

static void app_free(struct tsn_sub_load *a)
{
    for (unsigned i = 0; a->subs && i < a->o.subscribers; i++) {
        tsn_bench_peer_free(a->subs[i].peer);
        free(a->subs[i].offer);
        free(a->subs[i].answer);
        free(a->subs[i].location);
    }
    free(a->subs);
    free(a->q_items);
    tsn_bench_pub_free(a->pub);
    free(a->pub_location);
    tsn_dtls_ctx_free(a->dtls_ctx);
    tsn_cert_free(a->cert);
    tsn_bench_hist_free(a->lat_kernel);
    tsn_bench_hist_free(a->lat_app);
    free(a->whep_url);
    free(a->whip_url);
    if (a->evfd >= 0)
        close(a->evfd);
    if (a->epfd >= 0)
        close(a->epfd);
}

static void raise_nofile(unsigned want)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return;
    if (rl.rlim_max < want) {
        struct rlimit more = {want, want}; /* works as root */
        if (setrlimit(RLIMIT_NOFILE, &more) == 0)
            return;
    }
    rl.rlim_cur = rl.rlim_max;
    if (setrlimit(RLIMIT_NOFILE, &rl) < 0 || rl.rlim_cur < want)
        tsn_warn("[sub-load] RLIMIT_NOFILE %llu < %u needed", (unsigned long long)rl.rlim_cur,
                 want);
}

int main(int argc, char **argv)
{
    static struct tsn_sub_load app; /* large (receive buffers): not on the stack */
    struct tsn_sub_load *a = &app;
    a->epfd = a->evfd = -1;
    int rc = tsn_sub_load_parse_opts(argc, argv, &a->o);
    if (rc != 0)
        return rc < 0 ? 2 : 0;
    tsn_log_set_level(a->o.log_level);
    raise_nofile(a->o.subscribers + 256);
    signal(SIGPIPE, SIG_IGN);
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    if (app_init(a) < 0 || create_subscribers(a) < 0 || (a->o.publish && connect_publisher(a) < 0))
        goto out;
    setup_subscribers(a);
    run_loop(a, tsn_bench_mono_us() + (int64_t)(a->o.warmup_s * 1e6), NULL);
    tsn_sub_load_window_begin(a);
    run_loop(a, tsn_bench_mono_us() + (int64_t)(a->o.duration_s * 1e6), NULL);
    tsn_sub_load_window_end(a);
    teardown(a);
out:
    tsn_sub_load_print_json(a, stdout);
    /* A run where nobody could subscribe measured nothing: fail it. */
    rc = a->fatal[0] || (a->o.subscribers && !a->n_connected) ? 1 : 0;
    app_free(a);
    return rc;
}
