/* Test support: a minimal ICE-lite + DTLS-SRTP server; see fake_relay.h. */
#include "fake_relay.h"

#include <arpa/inet.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "bench_stats.h"
#include "rtcp.h"
#include "rtp.h"
#include "stun.h"

struct tsn_sdp tsn_fake_offer; /* ~60 KB: not on the stack */

void tsn_fake_relay_init(struct tsn_fake_relay *f)
{
    memset(f, 0, sizeof(*f));
    f->drop_seq = -1;
    f->first_rtp_was_keyframe = -1;
    f->ufrag = "RlyUfrag";
    f->pwd = "relaypasswordrelaypass24";
    f->fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
    assert_true(f->fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof(a);
    assert_int_equal(bind(f->fd, (struct sockaddr *)&a, sizeof(a)), 0);
    assert_int_equal(getsockname(f->fd, (struct sockaddr *)&a, &alen), 0);
    f->port = ntohs(a.sin_port);
    f->cert = tsn_cert_generate("fake-relay", 1);
    assert_non_null(f->cert);
    tsn_cert_fingerprint(f->cert, f->fp);
    f->ctx = tsn_dtls_ctx_new(f->cert);
    assert_non_null(f->ctx);
}

void tsn_fake_relay_free(struct tsn_fake_relay *f)
{
    tsn_srtp_free(f->srtp);
    tsn_dtls_free(f->dtls);
    tsn_dtls_ctx_free(f->ctx);
    tsn_cert_free(f->cert);
    close(f->fd);
}

/* Answers like the relay: parses the offer with the relay's parser and
 * writes the answer with its builder. */
void tsn_fake_relay_answer(struct tsn_fake_relay *f, const char *offer, char *out, size_t cap)
{
    struct tsn_sdp *o = &tsn_fake_offer;
    char why[200] = "";
    int rc = tsn_sdp_parse(offer, strlen(offer), o, why, sizeof(why));
    if (rc != 0)
        fprintf(stderr, "offer rejected: %s\n", why);
    assert_int_equal(rc, 0);
    assert_int_equal(o->n_media, 1);
    const struct tsn_sdp_media *m = &o->media[0];
    snprintf(f->client_ufrag, sizeof(f->client_ufrag), "%s", m->ice_ufrag);
    snprintf(f->client_fp, sizeof(f->client_fp), "%s", m->fingerprint);
    enum tsn_codec got;
    int ci = tsn_sdp_pick_codec(m, TSN_CODEC_H264, &got);
    assert_true(ci >= 0);
    int relay_sends = m->dir == TSN_SDP_RECVONLY;
    struct tsn_sdp_answer a = {
        .session_id = 42,
        .ice_ufrag = f->ufrag,
        .ice_pwd = f->pwd,
        .fingerprint = f->fp,
        .cand_ip = "127.0.0.1",
        .cand_port = f->port,
        .n_media = 1,
    };
    a.media[0] = (struct tsn_sdp_answer_media){
        .offer = m,
        .dir = relay_sends ? TSN_SDP_SENDONLY : TSN_SDP_RECVONLY,
        .codec_index = ci,
        .ext_abs_capture_time = tsn_sdp_extmap_id(m, TSN_SDP_EXT_ABS_CAPTURE_TIME),
        .ssrc = relay_sends ? 0xAABBCCDD : 0,
        .cname = "relay",
        .msid_stream = "relay",
        .msid_track = "video",
    };
    assert_true(tsn_sdp_build_answer(&a, out, cap) > 0);
}

void tsn_fake_relay_sendto(struct tsn_fake_relay *f, const uint8_t *buf, size_t len)
{
    assert_int_equal(sendto(f->fd, buf, len, 0, (struct sockaddr *)&f->client, sizeof(f->client)),
                     (ssize_t)len);
}

static void fake_on_stun(struct tsn_fake_relay *f, const uint8_t *buf, size_t len)
{
    struct tsn_stun_msg m;
    char want[600];
    snprintf(want, sizeof(want), "%s:%s", f->ufrag, f->client_ufrag);
    assert_int_equal(tsn_stun_parse(buf, len, &m), 0);
    if (m.type != TSN_STUN_BINDING_REQUEST)
        return;
    assert_int_equal(m.username_len, strlen(want));
    assert_memory_equal(m.username, want, m.username_len);
    assert_int_equal(tsn_stun_check_integrity(buf, len, &m, f->pwd, strlen(f->pwd)), 0);
    assert_true(m.has_fingerprint);
    assert_true(m.ice_controlling);
    f->use_candidate += (unsigned)m.use_candidate;
    uint8_t out[200];
    size_t n = tsn_stun_build_success(out, sizeof(out), m.txid, (struct sockaddr *)&f->client,
                                      f->pwd, strlen(f->pwd));
    assert_true(n > 0);
    f->stun_ok++;
    tsn_fake_relay_sendto(f, out, n);
}

static void fake_on_dtls(struct tsn_fake_relay *f, const uint8_t *buf, size_t len)
{
    if (!f->dtls)
        f->dtls = tsn_dtls_new(f->ctx, TSN_DTLS_SERVER, f->client_fp);
    assert_non_null(f->dtls);
    enum tsn_dtls_state st = tsn_dtls_feed(f->dtls, buf, len);
    uint8_t out[1500];
    int n;
    while ((n = tsn_dtls_pop(f->dtls, out, sizeof(out))) > 0)
        tsn_fake_relay_sendto(f, out, (size_t)n);
    if (st == TSN_DTLS_CONNECTED && !f->srtp) {
        struct tsn_srtp_keys keys;
        assert_int_equal(tsn_dtls_srtp_keys(f->dtls, &keys), 0);
        f->srtp = tsn_srtp_new(&keys, 1);
        assert_non_null(f->srtp);
    }
}

static void fake_on_rtcp(struct tsn_fake_relay *f, const uint8_t *buf, size_t len)
{
    struct tsn_rtcp_iter it;
    struct tsn_rtcp_item item;
    f->rtcp_in++;
    tsn_rtcp_iter_init(&it, buf, len);
    while (tsn_rtcp_iter_next(&it, &item) == 1)
        f->rr_in += item.type == TSN_RTCP_RR;
}

static void fake_on_srtp(struct tsn_fake_relay *f, uint8_t *buf, size_t len)
{
    assert_non_null(f->srtp);
    if (tsn_rtp_is_rtcp(buf, len)) {
        assert_int_equal(tsn_srtp_unprotect_rtcp(f->srtp, buf, &len), 0);
        fake_on_rtcp(f, buf, len);
        return;
    }
    uint16_t seq = (uint16_t)(buf[2] << 8 | buf[3]); /* the RTP header is not encrypted */
    if (f->drop_seq == seq) {
        f->drop_seq = -1;
        return;
    }
    int rc = tsn_srtp_unprotect(f->srtp, buf, &len);
    assert_int_equal(rc, 0);
    struct tsn_rtp_hdr h;
    assert_int_equal(tsn_rtp_parse(buf, len, &h), 0);
    if (f->rtp_in > 0 && tsn_seq_diff(f->last_seq, h.seq) < 0)
        f->retransmit_in++;
    else
        f->last_seq = h.seq;
    if (f->first_rtp_was_keyframe < 0)
        f->first_rtp_was_keyframe = tsn_h264_is_keyframe(buf + h.header_len, h.payload_len);
    f->stap_in += (buf[h.header_len] & 0x1F) == 24;
    f->rtp_in++;
    if (f->rtp_in == 1)
        f->first_rtp_us = tsn_bench_mono_us();
    if (f->rtp_in == 35)
        f->rtp35_us = tsn_bench_mono_us();
}

static void fake_input(struct tsn_fake_relay *f)
{
    uint8_t buf[2048];
    socklen_t alen = sizeof(f->client);
    ssize_t n;
    while ((n = recvfrom(f->fd, buf, sizeof(buf), 0, (struct sockaddr *)&f->client, &alen)) > 0) {
        if (buf[0] <= 3)
            fake_on_stun(f, buf, (size_t)n);
        else if (buf[0] >= 20 && buf[0] <= 63)
            fake_on_dtls(f, buf, (size_t)n);
        else if (buf[0] >= 128 && buf[0] <= 191)
            fake_on_srtp(f, buf, (size_t)n);
    }
}

void tsn_fake_relay_send_rtp(struct tsn_fake_relay *f, const uint8_t *plain, size_t len)
{
    uint8_t buf[1600];
    memcpy(buf, plain, len);
    assert_int_equal(tsn_srtp_protect(f->srtp, buf, &len, sizeof(buf)), 0);
    tsn_fake_relay_sendto(f, buf, len);
}

void tsn_fake_relay_send_rtcp(struct tsn_fake_relay *f, const uint8_t *plain, size_t len)
{
    uint8_t buf[1600];
    memcpy(buf, plain, len);
    assert_int_equal(tsn_srtp_protect_rtcp(f->srtp, buf, &len, sizeof(buf)), 0);
    tsn_fake_relay_sendto(f, buf, len);
}

static void client_input(struct tsn_fake_client *c)
{
    uint8_t buf[2048];
    ssize_t n;
    int fd = tsn_bench_peer_fd(c->peer);
    while ((n = recv(fd, buf, sizeof(buf), 0)) > 0) {
        size_t len = (size_t)n;
        if (c->pub) {
            tsn_bench_pub_input(c->pub, buf, len, tsn_bench_mono_us());
            continue;
        }
        if (tsn_bench_peer_input(c->peer, buf, &len, tsn_bench_mono_us()) == TSN_BENCH_DGRAM_RTP) {
            c->rtp_in++;
            memcpy(c->last_rtp, buf, len);
            c->last_rtp_len = len;
        }
    }
}

/* Moves datagrams both ways and runs the client's timers for `ms`, or until
 * both ends are connected when `until_connected`. */
void tsn_fake_pump(struct tsn_fake_relay *f, struct tsn_fake_client *c, int ms, int until_connected)
{
    int64_t end = tsn_bench_mono_us() + (int64_t)ms * 1000;
    while (tsn_bench_mono_us() < end) {
        if (until_connected && f->srtp && tsn_bench_peer_state(c->peer) == TSN_BENCH_PEER_CONNECTED)
            return;
        struct pollfd p[2] = {{.fd = f->fd, .events = POLLIN},
                              {.fd = tsn_bench_peer_fd(c->peer), .events = POLLIN}};
        poll(p, 2, 2);
        fake_input(f);
        client_input(c);
        if (c->pub)
            tsn_bench_pub_tick(c->pub, tsn_bench_mono_us());
        else
            tsn_bench_peer_tick(c->peer, tsn_bench_mono_us());
    }
}

/* Delivers what is in flight without running timers (no new frames). */
void tsn_fake_drain(struct tsn_fake_relay *f, struct tsn_fake_client *c)
{
    for (int i = 0; i < 10; i++) {
        struct pollfd p[2] = {{.fd = f->fd, .events = POLLIN},
                              {.fd = tsn_bench_peer_fd(c->peer), .events = POLLIN}};
        poll(p, 2, 2);
        fake_input(f);
        client_input(c);
    }
}

void tsn_fake_cert_init(struct tsn_fake_cert *cc)
{
    assert_int_equal(tsn_srtp_global_init(), 0);
    cc->cert = tsn_cert_generate("tsn-sub-load", 1);
    assert_non_null(cc->cert);
    tsn_cert_fingerprint(cc->cert, cc->fp);
    cc->ctx = tsn_dtls_ctx_new(cc->cert);
    assert_non_null(cc->ctx);
}

void tsn_fake_cert_free(struct tsn_fake_cert *cc)
{
    tsn_dtls_ctx_free(cc->ctx);
    tsn_cert_free(cc->cert);
}
