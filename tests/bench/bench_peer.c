/* One lightweight WebRTC endpoint for the load benchmark; see bench_peer.h.
 * The ICE side is deliberately small: the relay is ICE-lite with one host
 * candidate, so there is one candidate pair, checked until it succeeds. */
#include "bench_peer.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <sys/socket.h>
#include <unistd.h>

#include "rtp.h"
#include "sdp.h"
#include "srtp_session.h"
#include "stun.h"

#define UFRAG_CHARS           8
#define PWD_CHARS             24
#define HOST_PRIORITY         2130706431u /* type pref 126, local pref 65535, component 1 */
#define ICE_FIRST_RTO_US      50000
#define ICE_MAX_RTO_US        500000
#define KEEPALIVE_US          2500000 /* consent freshness (RFC 7675) well inside 30 s */
#define EXT_ABS_SEND_TIME_URI "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"

struct tsn_bench_peer {
    struct tsn_bench_peer_config cfg;
    char local_fp[TSN_FINGERPRINT_LEN];
    int fd;
    struct sockaddr_in local;
    struct sockaddr_in remote;
    enum tsn_bench_peer_state state;
    const char *error; /* static string or err_buf */
    char err_buf[160];
    uint64_t rng;
    uint64_t session_id;
    uint64_t tiebreaker;
    char ufrag[UFRAG_CHARS + 1], pwd[PWD_CHARS + 1];
    char remote_ufrag[257], remote_pwd[257];
    char remote_fp[200];
    char stun_username[TSN_STUN_MAX_USERNAME];
    enum tsn_dtls_role dtls_role;
    int answer_pt;
    uint32_t answer_ssrc;
    /* ICE check / keepalive in flight. */
    uint8_t txid[12];
    int txid_valid;
    int64_t next_stun_us;
    int64_t rto_us;
    int64_t deadline_us; /* handshake timeout */
    int64_t connected_us;
    struct tsn_dtls *dtls;
    struct tsn_srtp *srtp;
    enum tsn_srtp_profile profile;
    struct tsn_bench_peer_counters n;
};

/* xorshift64*: identifiers and transaction ids need to be unpredictable
 * enough not to collide, not secret; seeded from getrandom. */
static uint64_t rng_next(struct tsn_bench_peer *p)
{
    p->rng ^= p->rng >> 12;
    p->rng ^= p->rng << 25;
    p->rng ^= p->rng >> 27;
    return p->rng * 0x2545F4914F6CDD1DULL;
}

static void random_ice_chars(struct tsn_bench_peer *p, char *out, size_t n)
{
    static const char alphabet[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    for (size_t i = 0; i < n; i++)
        out[i] = alphabet[rng_next(p) % (sizeof(alphabet) - 1)];
    out[n] = '\0';
}

static void fail(struct tsn_bench_peer *p, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
static void fail(struct tsn_bench_peer *p, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(p->err_buf, sizeof(p->err_buf), fmt, ap);
    va_end(ap);
    p->error = p->err_buf;
    p->state = TSN_BENCH_PEER_FAILED;
}

static void set_why(char *why, size_t why_len, const char *msg)
{
    if (why && why_len)
        snprintf(why, why_len, "%s", msg);
}

static int open_socket(struct tsn_bench_peer *p, char *why, size_t why_len)
{
    p->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (p->fd < 0) {
        set_why(why, why_len, strerror(errno));
        return -errno;
    }
    int bytes = p->cfg.rcvbuf_bytes;
    /* SO_RCVBUFFORCE passes rmem_max when we are privileged (root in the
     * benchmark's namespace); otherwise the capped SO_RCVBUF is the best. */
    if (bytes > 0 && setsockopt(p->fd, SOL_SOCKET, SO_RCVBUFFORCE, &bytes, sizeof(bytes)) < 0)
        setsockopt(p->fd, SOL_SOCKET, SO_RCVBUF, &bytes, sizeof(bytes));
    int on = 1;
    setsockopt(p->fd, SOL_SOCKET, SO_TIMESTAMPNS, &on, sizeof(on));
    setsockopt(p->fd, SOL_SOCKET, SO_RXQ_OVFL, &on, sizeof(on));
    p->local.sin_family = AF_INET;
    p->local.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t alen = sizeof(p->local);
    if (bind(p->fd, (struct sockaddr *)&p->local, sizeof(p->local)) < 0 ||
        getsockname(p->fd, (struct sockaddr *)&p->local, &alen) < 0) {
        set_why(why, why_len, strerror(errno));
        return -errno;
    }
    return 0;
}

struct tsn_bench_peer *tsn_bench_peer_new(const struct tsn_bench_peer_config *cfg, char *why,
                                          size_t why_len)
{
    struct tsn_bench_peer *p = calloc(1, sizeof(*p));
    if (!p) {
        set_why(why, why_len, "out of memory");
        return NULL;
    }
    p->fd = -1;
    p->cfg = *cfg;
    p->cfg.local_fingerprint = NULL; /* copied below; the caller's may go */
    snprintf(p->local_fp, sizeof(p->local_fp), "%s", cfg->local_fingerprint);
    p->error = "";
    p->answer_pt = -1;
    if (getrandom(&p->rng, sizeof(p->rng), 0) != (ssize_t)sizeof(p->rng) || p->rng == 0)
        p->rng = 0x9E3779B97F4A7C15ULL ^ (uint64_t)(uintptr_t)p;
    p->session_id = rng_next(p) >> 2; /* o= wants < 2^63 */
    p->tiebreaker = rng_next(p);
    random_ice_chars(p, p->ufrag, UFRAG_CHARS);
    random_ice_chars(p, p->pwd, PWD_CHARS);
    if (open_socket(p, why, why_len) < 0) {
        tsn_bench_peer_free(p);
        return NULL;
    }
    return p;
}

void tsn_bench_peer_free(struct tsn_bench_peer *p)
{
    if (!p)
        return;
    tsn_srtp_free(p->srtp);
    tsn_dtls_free(p->dtls);
    if (p->fd >= 0)
        close(p->fd);
    free(p);
}

int tsn_bench_peer_fd(const struct tsn_bench_peer *p)
{
    return p->fd;
}

uint16_t tsn_bench_peer_local_port(const struct tsn_bench_peer *p)
{
    return ntohs(p->local.sin_port);
}

/* ---- offer ---- */

struct sdp_buf {
    char *out;
    size_t cap, len;
    int overflow;
};

static void add(struct sdp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void add(struct sdp_buf *b, const char *fmt, ...)
{
    if (b->overflow)
        return;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(b->out + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= b->cap - b->len) {
        b->overflow = 1;
        return;
    }
    b->len += (size_t)n;
}

int tsn_bench_peer_build_offer(const struct tsn_bench_peer *p, char *out, size_t cap)
{
    const struct tsn_bench_peer_config *c = &p->cfg;
    struct sdp_buf b = {out, cap, 0, cap == 0};
    unsigned pt = c->payload_type;
    add(&b, "v=0\r\no=- %llu 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n",
        (unsigned long long)p->session_id);
    add(&b, "a=group:BUNDLE 0\r\na=msid-semantic: WMS%s\r\n", c->sendonly ? " tsnbench" : "");
    add(&b, "m=video 9 UDP/TLS/RTP/SAVPF %u\r\nc=IN IP4 0.0.0.0\r\na=rtcp:9 IN IP4 0.0.0.0\r\n",
        pt);
    add(&b, "a=ice-ufrag:%s\r\na=ice-pwd:%s\r\n", p->ufrag, p->pwd);
    add(&b, "a=fingerprint:sha-256 %s\r\na=setup:active\r\na=mid:0\r\n", p->local_fp);
    if (c->ext_abs_send_time)
        add(&b, "a=extmap:%u %s\r\n", c->ext_abs_send_time, EXT_ABS_SEND_TIME_URI);
    if (c->ext_abs_capture_time)
        add(&b, "a=extmap:%u %s\r\n", c->ext_abs_capture_time, TSN_SDP_EXT_ABS_CAPTURE_TIME);
    add(&b, "a=%s\r\n", c->sendonly ? "sendonly" : "recvonly");
    if (c->sendonly)
        add(&b, "a=msid:tsnbench video0\r\n");
    add(&b, "a=rtcp-mux\r\na=rtcp-rsize\r\na=rtpmap:%u H264/90000\r\n", pt);
    add(&b, "a=rtcp-fb:%u nack\r\na=rtcp-fb:%u nack pli\r\na=rtcp-fb:%u ccm fir\r\n", pt, pt, pt);
    add(&b, "a=fmtp:%u level-asymmetry-allowed=1;packetization-mode=1;profile-level-id=42e01f\r\n",
        pt);
    if (c->sendonly)
        add(&b, "a=ssrc:%u cname:tsnbench\r\na=ssrc:%u msid:tsnbench video0\r\n", c->ssrc, c->ssrc);
    add(&b, "a=candidate:1 1 udp %u 127.0.0.1 %u typ host\r\na=end-of-candidates\r\n",
        HOST_PRIORITY, tsn_bench_peer_local_port(p));
    if (b.overflow)
        return -ENOSPC;
    return (int)b.len;
}

/* ---- answer ---- */

/* Finds the first "a=candidate:" line naming a UDP IPv4 host candidate of
 * component 1. tsn_sdp_parse does not keep candidates: ICE-lite servers
 * have exactly one, and only clients need it. */
static int find_candidate(const char *sdp, size_t len, struct sockaddr_in *out)
{
    const char *end = sdp + len;
    for (const char *line = sdp; line < end;) {
        const char *eol = memchr(line, '\n', (size_t)(end - line));
        size_t n = eol ? (size_t)(eol - line) : (size_t)(end - line);
        char buf[512];
        if (n > 12 && n < sizeof(buf) && strncmp(line, "a=candidate:", 12) == 0) {
            memcpy(buf, line, n);
            buf[n] = '\0';
            char transport[16], ip[64], typ[8], type[16];
            unsigned comp, port;
            unsigned long prio;
            if (sscanf(buf + 12, "%*s %u %15s %lu %63s %u %7s %15s", &comp, transport, &prio, ip,
                       &port, typ, type) == 7 &&
                comp == 1 && strcasecmp(transport, "udp") == 0 && port > 0 && port < 65536 &&
                inet_pton(AF_INET, ip, &out->sin_addr) == 1) {
                out->sin_family = AF_INET;
                out->sin_port = htons((uint16_t)port);
                return 0;
            }
        }
        line += n + 1;
    }
    return -ENOENT;
}

static void send_datagram(struct tsn_bench_peer *p, const uint8_t *buf, size_t len)
{
    if (send(p->fd, buf, len, 0) < 0)
        p->n.send_errors++;
}

/* `new_transaction`: 0 retransmits the check in flight with its
 * transaction id (RFC 5389 section 7.2.1), so a late response still counts. */
static void send_binding_request(struct tsn_bench_peer *p, int use_candidate, int new_transaction)
{
    uint8_t msg[600];
    if (new_transaction || !p->txid_valid) {
        for (int i = 0; i < 12; i++)
            p->txid[i] = (uint8_t)rng_next(p);
        p->txid_valid = 1;
    }
    size_t n =
        tsn_stun_build_request(msg, sizeof(msg), p->txid, p->stun_username, HOST_PRIORITY,
                               p->tiebreaker, use_candidate, p->remote_pwd, strlen(p->remote_pwd));
    if (n == 0) {
        fail(p, "cannot build a binding request");
        return;
    }
    p->n.stun_requests_sent++;
    send_datagram(p, msg, n);
}

static int take_answer_media(struct tsn_bench_peer *p, const struct tsn_sdp *sdp, char *why,
                             size_t why_len)
{
    const struct tsn_sdp_media *m = NULL;
    for (size_t i = 0; i < sdp->n_media && !m; i++)
        if (sdp->media[i].port != 0)
            m = &sdp->media[i];
    if (!m || m->n_codecs == 0) {
        set_why(why, why_len, "answer accepts no m-section");
        return -EPROTO;
    }
    if (strcmp(m->fingerprint_alg, "sha-256") != 0) {
        set_why(why, why_len, "answer fingerprint is not sha-256");
        return -EPROTO;
    }
    if (m->setup == TSN_SDP_SETUP_ACTIVE)
        p->dtls_role = TSN_DTLS_SERVER; /* the relay chose to be the client */
    else
        p->dtls_role = TSN_DTLS_CLIENT;
    snprintf(p->remote_ufrag, sizeof(p->remote_ufrag), "%s", m->ice_ufrag);
    snprintf(p->remote_pwd, sizeof(p->remote_pwd), "%s", m->ice_pwd);
    snprintf(p->remote_fp, sizeof(p->remote_fp), "%s", m->fingerprint);
    p->answer_pt = m->codecs[0].pt;
    p->answer_ssrc = m->n_ssrcs ? m->ssrcs[0] : 0;
    return 0;
}

int tsn_bench_peer_set_answer(struct tsn_bench_peer *p, const char *sdp_text, size_t len,
                              int64_t now_us, char *why, size_t why_len)
{
    int rc;
    struct tsn_sdp *sdp = calloc(1, sizeof(*sdp)); /* ~60 KB: not on the stack */
    if (!sdp) {
        rc = -ENOMEM;
        set_why(why, why_len, "out of memory");
        goto out;
    }
    rc = tsn_sdp_parse(sdp_text, len, sdp, why, why_len);
    if (rc < 0)
        goto out;
    rc = take_answer_media(p, sdp, why, why_len);
    if (rc < 0)
        goto out;
    if (find_candidate(sdp_text, len, &p->remote) < 0) {
        rc = -EPROTO;
        set_why(why, why_len, "answer has no UDP IPv4 host candidate");
        goto out;
    }
    if (connect(p->fd, (struct sockaddr *)&p->remote, sizeof(p->remote)) < 0) {
        rc = -errno;
        set_why(why, why_len, strerror(errno));
        goto out;
    }
    snprintf(p->stun_username, sizeof(p->stun_username), "%s:%s", p->remote_ufrag, p->ufrag);
    p->state = TSN_BENCH_PEER_ICE;
    p->deadline_us = now_us + p->cfg.handshake_timeout_us;
    p->rto_us = ICE_FIRST_RTO_US;
    p->next_stun_us = now_us + p->rto_us;
    send_binding_request(p, 1, 1);
    rc = 0;
out:
    if (rc < 0 && p->state != TSN_BENCH_PEER_FAILED)
        fail(p, "answer: %s", why && why_len ? why : "rejected");
    free(sdp);
    return rc;
}

/* ---- DTLS ---- */

static void dtls_flush(struct tsn_bench_peer *p)
{
    uint8_t out[TSN_DTLS_MTU + 100];
    int n;
    while ((n = tsn_dtls_pop(p->dtls, out, sizeof(out))) > 0)
        send_datagram(p, out, (size_t)n);
}

static void dtls_check(struct tsn_bench_peer *p, enum tsn_dtls_state st, int64_t now_us)
{
    if (st == TSN_DTLS_FAILED) {
        fail(p, "DTLS: %s", tsn_dtls_error(p->dtls));
        return;
    }
    if (st == TSN_DTLS_CLOSED) {
        p->state = TSN_BENCH_PEER_CLOSED;
        return;
    }
    if (st != TSN_DTLS_CONNECTED || p->state != TSN_BENCH_PEER_DTLS)
        return;
    struct tsn_srtp_keys keys;
    if (tsn_dtls_srtp_keys(p->dtls, &keys) < 0) {
        fail(p, "DTLS connected without SRTP keys");
        return;
    }
    p->profile = keys.profile;
    p->srtp = tsn_srtp_new(&keys, p->dtls_role == TSN_DTLS_SERVER);
    memset(&keys, 0, sizeof(keys));
    if (!p->srtp) {
        fail(p, "tsn_srtp_new failed");
        return;
    }
    p->state = TSN_BENCH_PEER_CONNECTED;
    p->connected_us = now_us;
    p->next_stun_us = now_us + KEEPALIVE_US;
}

static void dtls_start(struct tsn_bench_peer *p, int64_t now_us)
{
    p->dtls = tsn_dtls_new(p->cfg.dtls_ctx, p->dtls_role, p->remote_fp);
    if (!p->dtls) {
        fail(p, "tsn_dtls_new failed");
        return;
    }
    p->state = TSN_BENCH_PEER_DTLS;
    if (p->dtls_role == TSN_DTLS_CLIENT && tsn_dtls_connect(p->dtls) < 0) {
        fail(p, "DTLS connect: %s", tsn_dtls_error(p->dtls));
        return;
    }
    dtls_flush(p);
    dtls_check(p, tsn_dtls_state(p->dtls), now_us);
}

/* ---- input ---- */

static void on_stun_request(struct tsn_bench_peer *p, const uint8_t *buf, size_t len,
                            const struct tsn_stun_msg *m)
{
    size_t ulen = strlen(p->ufrag);
    if (!m->username || m->username_len <= ulen || memcmp(m->username, p->ufrag, ulen) != 0 ||
        m->username[ulen] != ':' ||
        tsn_stun_check_integrity(buf, len, m, p->pwd, strlen(p->pwd)) != 0) {
        p->n.stun_bad++;
        return;
    }
    uint8_t out[128];
    size_t n = tsn_stun_build_success(out, sizeof(out), m->txid, (struct sockaddr *)&p->remote,
                                      p->pwd, strlen(p->pwd));
    if (n)
        send_datagram(p, out, n);
}

static void on_stun(struct tsn_bench_peer *p, const uint8_t *buf, size_t len, int64_t now_us)
{
    struct tsn_stun_msg m;
    if (tsn_stun_parse(buf, len, &m) < 0) {
        p->n.stun_bad++;
        return;
    }
    if (m.type == TSN_STUN_BINDING_REQUEST) {
        on_stun_request(p, buf, len, &m);
        return;
    }
    if (!p->txid_valid || memcmp(m.txid, p->txid, 12) != 0) {
        p->n.stun_bad++; /* a late answer to an earlier transmission */
        return;
    }
    if (m.type == TSN_STUN_BINDING_ERROR) {
        if (p->state == TSN_BENCH_PEER_ICE)
            fail(p, "ICE: binding error %d", m.has_error_code ? m.error_code : 0);
        p->n.stun_bad++;
        return;
    }
    if (m.type != TSN_STUN_BINDING_SUCCESS ||
        tsn_stun_check_integrity(buf, len, &m, p->remote_pwd, strlen(p->remote_pwd)) != 0) {
        p->n.stun_bad++;
        return;
    }
    p->txid_valid = 0;
    p->n.stun_responses++;
    if (p->state == TSN_BENCH_PEER_ICE)
        dtls_start(p, now_us);
}

static enum tsn_bench_dgram on_srtp(struct tsn_bench_peer *p, uint8_t *buf, size_t *len)
{
    if (p->state != TSN_BENCH_PEER_CONNECTED || !p->srtp) {
        p->n.dropped_early++;
        return TSN_BENCH_DGRAM_NONE;
    }
    int rtcp = tsn_rtp_is_rtcp(buf, *len);
    int rc =
        rtcp ? tsn_srtp_unprotect_rtcp(p->srtp, buf, len) : tsn_srtp_unprotect(p->srtp, buf, len);
    if (rc == 0)
        return rtcp ? TSN_BENCH_DGRAM_RTCP : TSN_BENCH_DGRAM_RTP;
    if (rc == -EACCES)
        p->n.srtp_auth_fail++;
    else if (rc == -EALREADY)
        p->n.srtp_replay++;
    else
        p->n.srtp_other_fail++;
    return TSN_BENCH_DGRAM_NONE;
}

enum tsn_bench_dgram tsn_bench_peer_input(struct tsn_bench_peer *p, uint8_t *buf, size_t *len,
                                          int64_t now_us)
{
    if (*len == 0 || p->state == TSN_BENCH_PEER_NEW)
        return TSN_BENCH_DGRAM_NONE;
    uint8_t b0 = buf[0];
    if (b0 >= 128 && b0 <= 191)
        return on_srtp(p, buf, len);
    if (b0 <= 3) {
        if (tsn_stun_is_stun(buf, *len))
            on_stun(p, buf, *len, now_us);
        else
            p->n.stun_bad++;
        return TSN_BENCH_DGRAM_NONE;
    }
    if (b0 >= 20 && b0 <= 63 && p->dtls) {
        p->n.dtls_datagrams_in++;
        enum tsn_dtls_state st = tsn_dtls_feed(p->dtls, buf, *len);
        dtls_flush(p);
        dtls_check(p, st, now_us);
        return TSN_BENCH_DGRAM_NONE;
    }
    p->n.dropped_early++;
    return TSN_BENCH_DGRAM_NONE;
}

/* ---- timers ---- */

void tsn_bench_peer_tick(struct tsn_bench_peer *p, int64_t now_us)
{
    switch (p->state) {
    case TSN_BENCH_PEER_ICE:
        if (now_us >= p->deadline_us) {
            fail(p, "ICE: no binding response in %lld ms",
                 (long long)(p->cfg.handshake_timeout_us / 1000));
            return;
        }
        if (now_us >= p->next_stun_us) {
            send_binding_request(p, 1, 0);
            p->rto_us = p->rto_us * 2 > ICE_MAX_RTO_US ? ICE_MAX_RTO_US : p->rto_us * 2;
            p->next_stun_us = now_us + p->rto_us;
        }
        return;
    case TSN_BENCH_PEER_DTLS:
        if (now_us >= p->deadline_us) {
            fail(p, "DTLS: no handshake in %lld ms",
                 (long long)(p->cfg.handshake_timeout_us / 1000));
            return;
        }
        if (tsn_dtls_timeout_us(p->dtls) == 0) {
            enum tsn_dtls_state st = tsn_dtls_on_timer(p->dtls);
            dtls_flush(p);
            dtls_check(p, st, now_us);
        }
        return;
    case TSN_BENCH_PEER_CONNECTED:
        if (now_us >= p->next_stun_us) {
            send_binding_request(p, 0, 1);
            p->next_stun_us = now_us + KEEPALIVE_US;
        }
        return;
    default:
        return;
    }
}

/* ---- output ---- */

int tsn_bench_peer_send_rtp(struct tsn_bench_peer *p, uint8_t *buf, size_t len, size_t cap)
{
    if (p->state != TSN_BENCH_PEER_CONNECTED)
        return -ENOTCONN;
    int rc = tsn_srtp_protect(p->srtp, buf, &len, cap);
    if (rc < 0)
        return rc;
    if (send(p->fd, buf, len, 0) < 0) {
        p->n.send_errors++;
        return -errno;
    }
    return 0;
}

int tsn_bench_peer_send_rtcp(struct tsn_bench_peer *p, uint8_t *buf, size_t len, size_t cap)
{
    if (p->state != TSN_BENCH_PEER_CONNECTED)
        return -ENOTCONN;
    int rc = tsn_srtp_protect_rtcp(p->srtp, buf, &len, cap);
    if (rc < 0)
        return rc;
    if (send(p->fd, buf, len, 0) < 0) {
        p->n.send_errors++;
        return -errno;
    }
    return 0;
}

void tsn_bench_peer_close(struct tsn_bench_peer *p)
{
    if (p->dtls && (p->state == TSN_BENCH_PEER_CONNECTED || p->state == TSN_BENCH_PEER_DTLS)) {
        tsn_dtls_close(p->dtls);
        dtls_flush(p);
    }
    if (p->state != TSN_BENCH_PEER_FAILED)
        p->state = TSN_BENCH_PEER_CLOSED;
}

enum tsn_bench_peer_state tsn_bench_peer_state(const struct tsn_bench_peer *p)
{
    return p->state;
}

const char *tsn_bench_peer_error(const struct tsn_bench_peer *p)
{
    return p->error;
}

int64_t tsn_bench_peer_connected_us(const struct tsn_bench_peer *p)
{
    return p->connected_us;
}

const struct tsn_bench_peer_counters *tsn_bench_peer_counters(const struct tsn_bench_peer *p)
{
    return &p->n;
}

int tsn_bench_peer_answer_pt(const struct tsn_bench_peer *p)
{
    return p->answer_pt;
}

uint32_t tsn_bench_peer_answer_ssrc(const struct tsn_bench_peer *p)
{
    return p->answer_ssrc;
}

const char *tsn_bench_peer_srtp_profile(const struct tsn_bench_peer *p)
{
    return p->srtp ? tsn_srtp_profile_name(p->profile) : "";
}
