/* Tests of the load benchmark's parts without the relay: sequence accounting,
 * histogram percentiles, /proc parsing, the synthetic H.264 source (shapes
 * the relay's keyframe detection must recognise, stamps that read back),
 * the offers (parsed by the relay's own SDP parser) and a whole subscriber
 * and publisher session against a minimal in-process ICE-lite + DTLS-SRTP
 * server built from the relay's modules, all on 127.0.0.1. */
#include <arpa/inet.h>
#include <errno.h>
#include <poll.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cmocka.h>

#include "bench_h264.h"
#include "bench_peer.h"
#include "bench_pub.h"
#include "bench_stats.h"
#include "cert.h"
#include "dtls.h"
#include "rtcp.h"
#include "rtp.h"
#include "sdp.h"
#include "srtp_session.h"
#include "stun.h"

#include "fake_relay.h"

/* ---- sequence accounting ---- */

static void test_seq_in_order_gap_reorder_dup(void **state)
{
    struct tsn_bench_seq s;
    struct tsn_bench_seq_event ev;
    tsn_bench_seq_init(&s);
    tsn_bench_seq_record(&s, 100, &ev);
    assert_int_equal(ev.is_new, 1);
    tsn_bench_seq_record(&s, 101, &ev);
    tsn_bench_seq_record(&s, 104, &ev); /* 102, 103 missing */
    assert_int_equal(ev.gap_count, 2);
    assert_int_equal((uint16_t)ev.gap_first, 102);
    assert_int_equal(tsn_bench_seq_expected(&s), 5);
    assert_int_equal(tsn_bench_seq_lost(&s), 2);
    tsn_bench_seq_record(&s, 102, &ev); /* late: fills a gap */
    assert_int_equal(ev.is_new, 1);
    assert_int_equal(tsn_bench_seq_lost(&s), 1);
    tsn_bench_seq_record(&s, 101, &ev); /* duplicate */
    assert_int_equal(ev.is_duplicate, 1);
    assert_int_equal(s.duplicates, 1);
    assert_int_equal(s.received, 5);
    assert_int_equal(s.unique, 4);
    tsn_bench_seq_record(&s, 99, &ev); /* before the first: extends the base */
    assert_int_equal(tsn_bench_seq_expected(&s), 6);
    assert_int_equal(tsn_bench_seq_lost(&s), 1);
}

static void test_seq_wraps(void **state)
{
    struct tsn_bench_seq s;
    tsn_bench_seq_init(&s);
    for (uint32_t i = 0; i < 70000; i++)
        if (i != 65536 - 65000 + 10) /* skip one just after the wrap */
            tsn_bench_seq_record(&s, (uint16_t)(65000 + i), NULL);
    assert_int_equal(tsn_bench_seq_expected(&s), 70000);
    assert_int_equal(tsn_bench_seq_lost(&s), 1);
    assert_int_equal(s.duplicates, 0);
    /* Far older than the window: stale, neither unique nor duplicate. */
    tsn_bench_seq_record(&s, (uint16_t)(65000 + 70000 - 5000), NULL);
    assert_int_equal(s.stale, 1);
    assert_int_equal(s.duplicates, 0);
}

/* ---- histogram ---- */

static void test_hist_percentiles(void **state)
{
    struct tsn_bench_hist *h = tsn_bench_hist_new();
    assert_non_null(h);
    assert_int_equal(tsn_bench_hist_percentile(h, 50), 0);
    for (int i = 1; i <= 1000; i++)
        tsn_bench_hist_add(h, i); /* 1..1000 us */
    assert_int_equal(tsn_bench_hist_count(h), 1000);
    assert_int_equal(tsn_bench_hist_percentile(h, 50), 500);
    assert_int_equal(tsn_bench_hist_percentile(h, 99), 990);
    assert_int_equal(tsn_bench_hist_percentile(h, 100), 1000);
    assert_int_equal(tsn_bench_hist_max(h), 1000);
    tsn_bench_hist_add(h, 25049); /* coarse bucket 25000..25099 */
    tsn_bench_hist_add(h, -3);
    assert_int_equal(tsn_bench_hist_negative(h), 1);
    assert_int_equal(tsn_bench_hist_percentile(h, 100), 25000);
    assert_int_equal(tsn_bench_hist_max(h), 25049);
    tsn_bench_hist_add(h, 5000000); /* overflow */
    assert_int_equal(tsn_bench_hist_max(h), 5000000);
    assert_int_equal(tsn_bench_hist_percentile(h, 100), 5000000);
    tsn_bench_hist_free(h);

    int64_t v[] = {9, 1, 5, 3, 7};
    assert_int_equal(tsn_bench_percentile_sort(v, 5, 50), 5);
    assert_int_equal(tsn_bench_percentile_sort(v, 5, 100), 9);
    assert_int_equal(tsn_bench_percentile_sort(v, 5, 1), 1);
}

/* ---- /proc ---- */

static void test_proc_parsers(void **state)
{
    uint64_t ticks = 0, rss = 0;
    const char *stat = "4242 (tel (weird) name) S 1 4242 4242 0 -1 4194560 1234 0 5 0 "
                       "1500 250 0 0 20 0 3 0 100 123456 789 18446744073709551615";
    assert_int_equal(tsn_bench_parse_stat_ticks(stat, &ticks), 0);
    assert_int_equal(ticks, 1750);
    assert_int_equal(tsn_bench_parse_stat_ticks("garbage", &ticks), -EINVAL);
    const char *status = "Name:\ttelesono-relay\nVmPeak:\t  99999 kB\nVmRSS:\t   12345 kB\n";
    assert_int_equal(tsn_bench_parse_status_rss_kb(status, &rss), 0);
    assert_int_equal(rss, 12345);
    assert_int_equal(tsn_bench_parse_status_rss_kb("Name:\tx\n", &rss), -ENOENT);
    struct tsn_bench_host_cpu host;
    assert_int_equal(
        tsn_bench_parse_host_stat("cpu  100 5 50 1000 20 1 2 3 0 0\ncpu0 1 2 3 4\n", &host), 0);
    assert_int_equal(host.total, 1181);
    assert_int_equal(host.busy, 161);
    assert_int_equal(host.irq, 3);
    assert_int_equal(tsn_bench_parse_host_stat("intr 5\n", &host), -EINVAL);
    assert_int_equal(tsn_bench_host_cpu_ticks(&host), 0);
    assert_true(host.total > host.busy);
    /* And the live readers on ourselves. */
    assert_int_equal(tsn_bench_proc_cpu_ticks(getpid(), &ticks), 0);
    assert_int_equal(tsn_bench_proc_rss_kb(getpid(), &rss), 0);
    assert_true(rss > 0);
}

/* ---- synthetic H.264 ---- */

static struct tsn_bench_h264_config h264_config(void)
{
    return (struct tsn_bench_h264_config){
        .ssrc = 0x11223344,
        .payload_type = 102,
        .first_seq = 65530, /* wraps within the first frame */
        .first_timestamp = 1000,
        .bitrate_kbps = 2000,
        .fps = 30,
        .keyint_frames = 60,
        .max_packet_bytes = 1200,
        .ext_abs_send_time = 2,
        .ext_abs_capture_time = 3,
    };
}

static void test_h264_keyframe_shape(void **state)
{
    struct tsn_bench_h264 g;
    struct tsn_bench_h264_config cfg = h264_config();
    assert_int_equal(tsn_bench_h264_init(&g, &cfg), 0);
    assert_int_equal(tsn_bench_h264_begin_frame(&g, 1700000000000000LL), 1);
    uint8_t buf[1500];
    int n, count = 0;
    uint16_t expect_seq = 65530;
    size_t slice = 0;
    while ((n = tsn_bench_h264_next_packet(&g, buf, sizeof(buf), 123456789, 987654321)) > 0) {
        struct tsn_rtp_hdr h;
        assert_true(n <= 1200);
        assert_int_equal(tsn_rtp_parse(buf, (size_t)n, &h), 0);
        assert_int_equal(h.seq, expect_seq++);
        assert_int_equal(h.ssrc, 0x11223344);
        assert_int_equal(h.payload_type, 102);
        assert_int_equal(h.timestamp, 1000);
        const uint8_t *pl = buf + h.header_len, *ext;
        size_t ext_len;
        assert_int_equal(tsn_rtp_find_ext(&h, 3, &ext, &ext_len), 0);
        assert_int_equal(ext_len, 8);
        assert_int_equal(tsn_rtp_find_ext(&h, 2, &ext, &ext_len), 0);
        assert_int_equal(ext_len, 3);
        int64_t mono, real;
        if (count == 0) {
            /* STAP-A with SPS + PPS: a keyframe, no stamp, no marker. */
            assert_int_equal(pl[0] & 0x1F, 24);
            assert_true(tsn_h264_is_keyframe(pl, h.payload_len));
            assert_int_equal(tsn_bench_h264_read_stamp(pl, h.payload_len, &mono, &real), -ENOENT);
            assert_int_equal(h.marker, 0);
        } else {
            assert_int_equal(pl[0] & 0x1F, 28);
            assert_int_equal(pl[1] & 0x1F, 5);              /* IDR */
            assert_int_equal(!!(pl[1] & 0x80), count == 1); /* S on the first fragment */
            assert_int_equal(tsn_h264_is_keyframe(pl, h.payload_len), count == 1);
            assert_int_equal(tsn_bench_h264_read_stamp(pl, h.payload_len, &mono, &real), 0);
            assert_int_equal(mono, 123456789);
            assert_int_equal(real, 987654321);
            assert_int_equal(h.marker, !!(pl[1] & 0x40)); /* marker exactly with E */
            slice += h.payload_len - 2;
        }
        count++;
    }
    assert_int_equal(n, 0);
    assert_int_equal(slice, tsn_bench_h264_frame_bytes(&g, 1));
    assert_true(count >= 30); /* a 5x keyframe at 2 Mbit/s: ~39 KB */
}

static void test_h264_delta_frames_and_rate(void **state)
{
    struct tsn_bench_h264 g;
    struct tsn_bench_h264_config cfg = h264_config();
    assert_int_equal(tsn_bench_h264_init(&g, &cfg), 0);
    uint8_t buf[1500];
    uint64_t bytes = 0, packets = 0;
    unsigned keys = 0;
    for (int f = 0; f < 120; f++) { /* 4 s */
        keys += (unsigned)tsn_bench_h264_begin_frame(&g, 0);
        int n, first = 1;
        while ((n = tsn_bench_h264_next_packet(&g, buf, sizeof(buf), 1, 2)) > 0) {
            struct tsn_rtp_hdr h;
            assert_int_equal(tsn_rtp_parse(buf, (size_t)n, &h), 0);
            const uint8_t *pl = buf + h.header_len;
            if (f % 60 != 0) {
                assert_int_equal(pl[0] & 0x1F, 28);
                assert_int_equal(pl[1] & 0x1F, 1); /* non-IDR slice */
                assert_false(tsn_h264_is_keyframe(pl, h.payload_len));
                assert_int_equal(!!(pl[1] & 0x80), first);
            }
            first = 0;
            bytes += (uint64_t)n;
            packets++;
        }
    }
    assert_int_equal(keys, 2);
    /* Slice bytes average 2 Mbit/s; headers add a few percent. */
    double kbps = (double)bytes * 8 / 4.0 / 1000.0;
    assert_true(kbps > 2000 && kbps < 2150);
    /* 7 packets per delta frame, 35 per keyframe (STAP-A + 34 FU-A): 896. */
    assert_int_equal(packets, 2 * 35 + 118 * 7);
    /* A forced keyframe (PLI). */
    g.force_keyframe = 1;
    assert_int_equal(tsn_bench_h264_begin_frame(&g, 0), 1);
}

static void test_h264_small_frames_single_nal(void **state)
{
    struct tsn_bench_h264 g;
    struct tsn_bench_h264_config cfg = h264_config();
    cfg.bitrate_kbps = 100;
    cfg.ext_abs_send_time = cfg.ext_abs_capture_time = 0;
    assert_int_equal(tsn_bench_h264_init(&g, &cfg), 0);
    uint8_t buf[1500];
    tsn_bench_h264_begin_frame(&g, 0); /* keyframe */
    tsn_bench_h264_begin_frame(&g, 0); /* abandon it: the next frame starts cleanly */
    int n = tsn_bench_h264_next_packet(&g, buf, sizeof(buf), 77, 88);
    struct tsn_rtp_hdr h;
    assert_int_equal(tsn_rtp_parse(buf, (size_t)n, &h), 0);
    assert_int_equal(h.extension, 0);
    assert_int_equal(h.marker, 1);
    assert_int_equal(buf[12], 0x41); /* single NAL, non-IDR */
    int64_t mono, real;
    assert_int_equal(tsn_bench_h264_read_stamp(buf + 12, h.payload_len, &mono, &real), 0);
    assert_int_equal(mono, 77);
    assert_int_equal(tsn_bench_h264_next_packet(&g, buf, sizeof(buf), 0, 0), 0);
    assert_int_equal(tsn_bench_h264_next_packet(&g, buf, 100, 0, 0), -ENOSPC);
    cfg.max_packet_bytes = 30;
    assert_int_equal(tsn_bench_h264_init(&g, &cfg), -EINVAL);
}

/* ---- offers ---- */

static void test_subscriber_offer_parses(void **state)
{
    struct tsn_fake_cert cc;
    tsn_fake_cert_init(&cc);
    struct tsn_bench_peer_config pc = {
        .dtls_ctx = cc.ctx,
        .local_fingerprint = cc.fp,
        .ssrc = 7,
        .payload_type = 102,
        .ext_abs_capture_time = 3,
        .handshake_timeout_us = 5000000,
    };
    char why[200];
    struct tsn_bench_peer *p = tsn_bench_peer_new(&pc, why, sizeof(why));
    assert_non_null(p);
    char offer[4096];
    int len = tsn_bench_peer_build_offer(p, offer, sizeof(offer));
    assert_true(len > 0);
    assert_int_equal(tsn_bench_peer_build_offer(p, offer, 100), -ENOSPC);
    len = tsn_bench_peer_build_offer(p, offer, sizeof(offer));
    struct tsn_sdp *o = &tsn_fake_offer;
    assert_int_equal(tsn_sdp_parse(offer, (size_t)len, o, why, sizeof(why)), 0);
    assert_int_equal(o->n_bundle, 1);
    assert_string_equal(o->bundle[0], "0");
    assert_int_equal(o->n_media, 1);
    const struct tsn_sdp_media *m = &o->media[0];
    assert_string_equal(m->type, "video");
    assert_string_equal(m->proto, "UDP/TLS/RTP/SAVPF");
    assert_string_equal(m->mid, "0");
    assert_int_equal(m->dir, TSN_SDP_RECVONLY);
    assert_int_equal(m->setup, TSN_SDP_SETUP_ACTIVE);
    assert_int_equal(m->rtcp_mux, 1);
    assert_string_equal(m->fingerprint_alg, "sha-256");
    assert_string_equal(m->fingerprint, cc.fp);
    assert_int_equal(strlen(m->ice_ufrag), 8);
    assert_int_equal(strlen(m->ice_pwd), 24);
    assert_int_equal(m->n_ssrcs, 0);
    enum tsn_codec got;
    int ci = tsn_sdp_pick_codec(m, TSN_CODEC_NONE, &got);
    assert_int_equal(ci, 0);
    assert_int_equal(got, TSN_CODEC_H264);
    assert_int_equal(m->codecs[0].pt, 102);
    assert_int_equal(m->codecs[0].clock_rate, 90000);
    assert_int_equal(m->codecs[0].fb_nack, 1);
    assert_int_equal(m->codecs[0].fb_pli, 1);
    assert_non_null(strstr(m->codecs[0].fmtp, "profile-level-id=42e01f"));
    assert_int_equal(tsn_sdp_extmap_id(m, TSN_SDP_EXT_ABS_CAPTURE_TIME), 3);
    char cand[64];
    snprintf(cand, sizeof(cand), "127.0.0.1 %u typ host", tsn_bench_peer_local_port(p));
    assert_non_null(strstr(offer, cand));
    assert_non_null(strstr(offer, "a=end-of-candidates\r\n"));
    tsn_bench_peer_free(p);
    tsn_fake_cert_free(&cc);
}

static void test_publisher_offer_parses(void **state)
{
    struct tsn_fake_cert cc;
    tsn_fake_cert_init(&cc);
    struct tsn_bench_pub_config pc = {
        .dtls_ctx = cc.ctx,
        .local_fingerprint = cc.fp,
        .bitrate_kbps = 2000,
        .fps = 30,
        .keyint_frames = 60,
        .packet_bytes = 1200,
        .handshake_timeout_us = 5000000,
    };
    char why[200], offer[4096];
    struct tsn_bench_pub *pub = tsn_bench_pub_new(&pc, why, sizeof(why));
    assert_non_null(pub);
    int len = tsn_bench_peer_build_offer(tsn_bench_pub_peer(pub), offer, sizeof(offer));
    assert_true(len > 0);
    struct tsn_sdp *o = &tsn_fake_offer;
    assert_int_equal(tsn_sdp_parse(offer, (size_t)len, o, why, sizeof(why)), 0);
    const struct tsn_sdp_media *m = &o->media[0];
    assert_int_equal(m->dir, TSN_SDP_SENDONLY);
    assert_int_equal(m->n_ssrcs, 1);
    assert_true(m->ssrcs[0] != 0);
    assert_int_equal(tsn_sdp_extmap_id(m, TSN_SDP_EXT_ABS_CAPTURE_TIME), 3);
    assert_int_equal(
        tsn_sdp_extmap_id(m, "http://www.webrtc.org/experiments/rtp-hdrext/abs-send-time"), 2);
    assert_int_equal(tsn_bench_pub_next_due_us(pub), INT64_MAX); /* not connected */
    tsn_bench_pub_free(pub);
    tsn_fake_cert_free(&cc);
}

static void test_bad_answers_fail_the_peer(void **state)
{
    struct tsn_fake_cert cc;
    tsn_fake_cert_init(&cc);
    struct tsn_bench_peer_config pc = {
        .dtls_ctx = cc.ctx,
        .local_fingerprint = cc.fp,
        .payload_type = 102,
        .handshake_timeout_us = 5000000,
    };
    char why[200];
    struct tsn_bench_peer *p = tsn_bench_peer_new(&pc, why, sizeof(why));
    assert_non_null(p);
    assert_true(tsn_bench_peer_set_answer(p, "not sdp", 7, 0, why, sizeof(why)) < 0);
    assert_int_equal(tsn_bench_peer_state(p), TSN_BENCH_PEER_FAILED);
    assert_true(strlen(tsn_bench_peer_error(p)) > 0);
    tsn_bench_peer_free(p);

    /* A valid answer without a candidate. */
    p = tsn_bench_peer_new(&pc, why, sizeof(why));
    struct tsn_fake_relay f;
    tsn_fake_relay_init(&f);
    char offer[4096], answer[4096];
    tsn_bench_peer_build_offer(p, offer, sizeof(offer));
    tsn_fake_relay_answer(&f, offer, answer, sizeof(answer));
    char *cand = strstr(answer, "a=candidate:");
    assert_non_null(cand);
    memcpy(cand, "a=xandidate:", 12);
    assert_int_equal(tsn_bench_peer_set_answer(p, answer, strlen(answer), 0, why, sizeof(why)),
                     -EPROTO);
    assert_non_null(strstr(why, "candidate"));
    tsn_bench_peer_free(p);
    tsn_fake_relay_free(&f);
    tsn_fake_cert_free(&cc);
}

/* ---- whole sessions against the fake relay ---- */

static void test_subscriber_session(void **state)
{
    struct tsn_fake_cert cc;
    tsn_fake_cert_init(&cc);
    struct tsn_fake_relay f;
    tsn_fake_relay_init(&f);
    struct tsn_bench_peer_config pc = {
        .dtls_ctx = cc.ctx,
        .local_fingerprint = cc.fp,
        .ssrc = 0x5100000A,
        .payload_type = 102,
        .ext_abs_capture_time = 3,
        .rcvbuf_bytes = 1 << 20,
        .handshake_timeout_us = 5000000,
    };
    char why[200], offer[4096], answer[4096];
    struct tsn_fake_client c = {0};
    c.peer = tsn_bench_peer_new(&pc, why, sizeof(why));
    assert_non_null(c.peer);
    tsn_bench_peer_build_offer(c.peer, offer, sizeof(offer));
    tsn_fake_relay_answer(&f, offer, answer, sizeof(answer));
    assert_int_equal(tsn_bench_peer_set_answer(c.peer, answer, strlen(answer), tsn_bench_mono_us(),
                                               why, sizeof(why)),
                     0);
    assert_int_equal(tsn_bench_peer_state(c.peer), TSN_BENCH_PEER_ICE);
    assert_int_equal(tsn_bench_peer_answer_pt(c.peer), 102);
    assert_int_equal(tsn_bench_peer_answer_ssrc(c.peer), 0xAABBCCDD);
    tsn_fake_pump(&f, &c, 5000, 1);
    assert_int_equal(tsn_bench_peer_state(c.peer), TSN_BENCH_PEER_CONNECTED);
    assert_non_null(f.srtp);
    assert_true(f.use_candidate >= 1);
    assert_true(tsn_bench_peer_counters(c.peer)->stun_responses >= 1);
    assert_true(tsn_bench_peer_connected_us(c.peer) > 0);
    assert_true(strlen(tsn_bench_peer_srtp_profile(c.peer)) > 0);

    /* Media from the relay: decrypted, parsed, stamp intact. */
    struct tsn_bench_h264 g;
    struct tsn_bench_h264_config gc = h264_config();
    assert_int_equal(tsn_bench_h264_init(&g, &gc), 0);
    tsn_bench_h264_begin_frame(&g, 0);
    uint8_t pkt[1500];
    int n = tsn_bench_h264_next_packet(&g, pkt, sizeof(pkt), 1111, 2222); /* STAP-A */
    n = tsn_bench_h264_next_packet(&g, pkt, sizeof(pkt), 3333, 4444);     /* FU-A start */
    assert_true(n > 0);
    tsn_fake_relay_send_rtp(&f, pkt, (size_t)n);
    tsn_fake_pump(&f, &c, 50, 0);
    assert_int_equal(c.rtp_in, 1);
    assert_int_equal(c.last_rtp_len, (size_t)n);
    assert_memory_equal(c.last_rtp, pkt, (size_t)n);
    struct tsn_rtp_hdr h;
    assert_int_equal(tsn_rtp_parse(c.last_rtp, c.last_rtp_len, &h), 0);
    int64_t mono, real;
    assert_int_equal(
        tsn_bench_h264_read_stamp(c.last_rtp + h.header_len, h.payload_len, &mono, &real), 0);
    assert_int_equal(mono, 3333);
    assert_int_equal(real, 4444);

    /* A tampered packet is refused and counted. */
    n = tsn_bench_h264_next_packet(&g, pkt, sizeof(pkt), 1, 1);
    uint8_t bad[1600];
    size_t bad_len = (size_t)n;
    memcpy(bad, pkt, bad_len);
    assert_int_equal(tsn_srtp_protect(f.srtp, bad, &bad_len, sizeof(bad)), 0);
    bad[40] ^= 0x01;
    tsn_fake_relay_sendto(&f, bad, bad_len);
    tsn_fake_pump(&f, &c, 50, 0);
    assert_int_equal(c.rtp_in, 1);
    assert_int_equal(tsn_bench_peer_counters(c.peer)->srtp_auth_fail, 1);

    /* RTCP from the subscriber reaches the relay decrypted. */
    struct tsn_rtcp_report_block b = {.ssrc = 0x11223344, .highest_seq = 5};
    uint8_t rr[128];
    size_t rr_len = tsn_rtcp_build_rr(rr, sizeof(rr) - 16, 0x5100000A, &b, 1);
    assert_int_equal(tsn_bench_peer_send_rtcp(c.peer, rr, rr_len, sizeof(rr)), 0);
    tsn_fake_pump(&f, &c, 50, 0);
    assert_int_equal(f.rr_in, 1);

    tsn_bench_peer_close(c.peer);
    assert_int_equal(tsn_bench_peer_state(c.peer), TSN_BENCH_PEER_CLOSED);
    tsn_fake_pump(&f, &c, 50, 0);
    assert_int_equal(tsn_dtls_state(f.dtls), TSN_DTLS_CLOSED);
    assert_int_equal(tsn_bench_peer_send_rtp(c.peer, pkt, 20, sizeof(pkt)), -ENOTCONN);
    tsn_bench_peer_free(c.peer);
    tsn_fake_relay_free(&f);
    tsn_fake_cert_free(&cc);
}

static void test_ice_timeout(void **state)
{
    struct tsn_fake_cert cc;
    tsn_fake_cert_init(&cc);
    struct tsn_fake_relay f;
    tsn_fake_relay_init(&f);
    struct tsn_bench_peer_config pc = {
        .dtls_ctx = cc.ctx,
        .local_fingerprint = cc.fp,
        .payload_type = 102,
        .handshake_timeout_us = 300000,
    };
    char why[200], offer[4096], answer[4096];
    struct tsn_bench_peer *p = tsn_bench_peer_new(&pc, why, sizeof(why));
    tsn_bench_peer_build_offer(p, offer, sizeof(offer));
    tsn_fake_relay_answer(&f, offer, answer, sizeof(answer));
    int64_t t0 = tsn_bench_mono_us();
    assert_int_equal(tsn_bench_peer_set_answer(p, answer, strlen(answer), t0, why, sizeof(why)), 0);
    /* Nobody answers the checks: retransmissions, then failure. */
    for (int64_t now = t0; now < t0 + 400000; now += 5000)
        tsn_bench_peer_tick(p, now);
    assert_int_equal(tsn_bench_peer_state(p), TSN_BENCH_PEER_FAILED);
    assert_non_null(strstr(tsn_bench_peer_error(p), "ICE"));
    uint64_t sent = tsn_bench_peer_counters(p)->stun_requests_sent;
    assert_true(sent >= 3 && sent <= 6); /* 50, 100, 200 ms backoff */
    tsn_bench_peer_free(p);
    tsn_fake_relay_free(&f);
    tsn_fake_cert_free(&cc);
}

static void test_publisher_session(void **state)
{
    struct tsn_fake_cert cc;
    tsn_fake_cert_init(&cc);
    struct tsn_fake_relay f;
    tsn_fake_relay_init(&f);
    struct tsn_bench_pub_config pc = {
        .dtls_ctx = cc.ctx,
        .local_fingerprint = cc.fp,
        .bitrate_kbps = 2000,
        .fps = 30,
        .keyint_frames = 600,
        .packet_bytes = 1200,
        .handshake_timeout_us = 5000000,
    };
    char why[200], offer[4096], answer[4096];
    struct tsn_fake_client c = {0};
    c.pub = tsn_bench_pub_new(&pc, why, sizeof(why));
    assert_non_null(c.pub);
    c.peer = tsn_bench_pub_peer(c.pub);
    tsn_bench_peer_build_offer(c.peer, offer, sizeof(offer));
    tsn_fake_relay_answer(&f, offer, answer, sizeof(answer));
    assert_int_equal(tsn_bench_peer_set_answer(c.peer, answer, strlen(answer), tsn_bench_mono_us(),
                                               why, sizeof(why)),
                     0);
    tsn_fake_pump(&f, &c, 5000, 1);
    assert_int_equal(tsn_bench_peer_state(c.peer), TSN_BENCH_PEER_CONNECTED);

    /* Media starts with a keyframe; about 208 packets/s at 2 Mbit/s. */
    tsn_fake_pump(&f, &c, 500, 0);
    tsn_fake_drain(&f, &c);
    const struct tsn_bench_pub_counters *pn = tsn_bench_pub_counters(c.pub);
    assert_int_equal(f.first_rtp_was_keyframe, 1);
    assert_int_equal(f.stap_in, 1);
    assert_int_equal(pn->keyframes, 1);
    assert_true(pn->frames >= 10 && pn->frames <= 18);
    assert_int_equal(f.rtp_in, pn->packets_sent);

    /* PLI: the next frame is a keyframe. */
    uint8_t rtcp[128];
    size_t len = tsn_rtcp_build_pli(rtcp, sizeof(rtcp), 1, 2);
    tsn_fake_relay_send_rtcp(&f, rtcp, len);
    tsn_fake_pump(&f, &c, 100, 0);
    assert_int_equal(pn->pli, 1);
    assert_int_equal(pn->keyframes, 2);
    assert_int_equal(f.stap_in, 2);

    /* A lost packet, NACKed: resent from the ring with the same sequence
     * number, which the receiver's SRTP replay window has not seen. */
    uint16_t dropped = (uint16_t)(f.last_seq + 3);
    f.drop_seq = dropped;
    tsn_fake_pump(&f, &c, 200, 0);
    assert_int_equal(f.drop_seq, -1);
    len = tsn_rtcp_build_nack(rtcp, sizeof(rtcp), 1, 2, &dropped, 1);
    tsn_fake_relay_send_rtcp(&f, rtcp, len);
    tsn_fake_pump(&f, &c, 50, 0);
    assert_int_equal(pn->nack_seqs, 1);
    assert_int_equal(pn->retransmitted, 1);
    assert_int_equal(f.retransmit_in, 1);
    /* One it never sent: counted, not answered. */
    uint16_t unknown = (uint16_t)(dropped - 5000);
    len = tsn_rtcp_build_nack(rtcp, sizeof(rtcp), 1, 2, &unknown, 1);
    tsn_fake_relay_send_rtcp(&f, rtcp, len);
    tsn_fake_pump(&f, &c, 50, 0);
    assert_int_equal(pn->nack_seqs, 2);
    assert_int_equal(pn->retransmitted, 1);
    assert_int_equal(pn->send_errors, 0);
    assert_true(tsn_bench_pub_next_due_us(c.pub) < INT64_MAX);
    /* Sender reports arrive once a second. */
    tsn_fake_pump(&f, &c, 1100, 0);
    assert_true(f.rtcp_in >= 1);

    tsn_bench_pub_free(c.pub);
    tsn_fake_relay_free(&f);
    tsn_fake_cert_free(&cc);
}

/* The keyframe (STAP-A + 34 FU-A) leaves back to back, or paced at 2.5x
 * 2 Mbit/s: 1,200 bytes every 1.92 ms, so 34 gaps take ~65 ms. */
static void run_pacing(int paced, int64_t *span_us)
{
    struct tsn_fake_cert cc;
    tsn_fake_cert_init(&cc);
    struct tsn_fake_relay f;
    tsn_fake_relay_init(&f);
    struct tsn_bench_pub_config pc = {
        .dtls_ctx = cc.ctx,
        .local_fingerprint = cc.fp,
        .bitrate_kbps = 2000,
        .fps = 30,
        .keyint_frames = 60,
        .packet_bytes = 1200,
        .paced = paced,
        .handshake_timeout_us = 5000000,
    };
    char why[200], offer[4096], answer[4096];
    struct tsn_fake_client c = {0};
    c.pub = tsn_bench_pub_new(&pc, why, sizeof(why));
    c.peer = tsn_bench_pub_peer(c.pub);
    tsn_bench_peer_build_offer(c.peer, offer, sizeof(offer));
    tsn_fake_relay_answer(&f, offer, answer, sizeof(answer));
    assert_int_equal(tsn_bench_peer_set_answer(c.peer, answer, strlen(answer), tsn_bench_mono_us(),
                                               why, sizeof(why)),
                     0);
    tsn_fake_pump(&f, &c, 5000, 1);
    tsn_fake_pump(&f, &c, 150, 0);
    tsn_fake_drain(&f, &c);
    assert_true(f.rtp_in >= 35);
    *span_us = f.rtp35_us - f.first_rtp_us;
    /* Paced or not, the average rate is the same. */
    assert_true(tsn_bench_pub_counters(c.pub)->frames >= 2);
    tsn_bench_pub_free(c.pub);
    tsn_fake_relay_free(&f);
    tsn_fake_cert_free(&cc);
}

static void test_publisher_pacing(void **state)
{
    int64_t burst_us, paced_us;
    run_pacing(0, &burst_us);
    run_pacing(1, &paced_us);
    /* Only bounds that load cannot break: a pacer never sends faster than its
     * schedule, and spreading takes longer than a burst. */
    assert_true(paced_us > 55000);
    assert_true(burst_us < paced_us);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_seq_in_order_gap_reorder_dup),
        cmocka_unit_test(test_seq_wraps),
        cmocka_unit_test(test_hist_percentiles),
        cmocka_unit_test(test_proc_parsers),
        cmocka_unit_test(test_h264_keyframe_shape),
        cmocka_unit_test(test_h264_delta_frames_and_rate),
        cmocka_unit_test(test_h264_small_frames_single_nal),
        cmocka_unit_test(test_subscriber_offer_parses),
        cmocka_unit_test(test_publisher_offer_parses),
        cmocka_unit_test(test_bad_answers_fail_the_peer),
        cmocka_unit_test(test_subscriber_session),
        cmocka_unit_test(test_ice_timeout),
        cmocka_unit_test(test_publisher_session),
        cmocka_unit_test(test_publisher_pacing),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
