/* Unit tests for relay/kf_cache.c: an access unit that starts with a
 * TSN_KEY_START packet and holds a TSN_KEY_PICTURE packet completes on its
 * marker packet (or, without a marker, when the next timestamp follows it
 * directly); parameter sets in a marked packet of their own wait for the
 * picture; reordered packets are sorted; gaps, a lost tail, too many packets
 * or an oversize packet drop the unit, and no later slice of a dropped unit
 * starts a new one; the previous keyframe stays available while a new one
 * builds; duplicates and late packets of earlier frames are ignored; sequence
 * numbers wrap; clear. Packets are real RTP packets parsed with
 * tsn_rtp_parse. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "kf_cache.h"
#include "rtp.h"

#define SSRC 0x11223344u
#define TS1  90000u
#define TS2  93000u
#define TS3  96000u

/* Key flags as tsn_h264_key_flags gives them: an IDR slice start, and an
 * SPS (parameter sets, no picture). */
#define K   (TSN_KEY_START | TSN_KEY_PICTURE)
#define SPS TSN_KEY_START

struct pkt {
    uint8_t buf[TSN_RTP_MAX_PACKET + 16];
    size_t len;
    struct tsn_rtp_hdr h;
};

/* A 12-byte RTP header plus a payload whose length and bytes depend on seq and
 * ts, so every cached packet can be compared byte for byte. */
static void make(struct pkt *p, uint16_t seq, uint32_t ts, int marker)
{
    size_t payload = 20 + (size_t)(seq % 50) * 7;
    p->buf[0] = 0x80;
    p->buf[1] = (uint8_t)((marker ? 0x80 : 0) | 96);
    p->buf[2] = (uint8_t)(seq >> 8);
    p->buf[3] = (uint8_t)seq;
    p->buf[4] = (uint8_t)(ts >> 24);
    p->buf[5] = (uint8_t)(ts >> 16);
    p->buf[6] = (uint8_t)(ts >> 8);
    p->buf[7] = (uint8_t)ts;
    p->buf[8] = (uint8_t)(SSRC >> 24);
    p->buf[9] = (uint8_t)(SSRC >> 16);
    p->buf[10] = (uint8_t)(SSRC >> 8);
    p->buf[11] = (uint8_t)SSRC;
    for (size_t i = 0; i < payload; i++)
        p->buf[12 + i] = (uint8_t)(seq * 13 + ts * 7 + i);
    p->len = 12 + payload;
    assert_int_equal(tsn_rtp_parse(p->buf, p->len, &p->h), 0);
    assert_int_equal(p->h.seq, seq);
    assert_int_equal(p->h.timestamp, ts);
    assert_int_equal(p->h.marker, marker);
}

static int offer(struct tsn_kf_cache *k, uint16_t seq, uint32_t ts, int marker, unsigned flags)
{
    struct pkt p;
    make(&p, seq, ts, marker);
    return tsn_kf_cache_offer(k, p.buf, p.len, &p.h, flags);
}

/* The cache holds exactly packets first..first+n-1 (mod 2^16) of `ts`, the
 * last one with the marker bit if `marked`. */
static void expect_frame_marker(const struct tsn_kf_cache *k, uint16_t first, unsigned n,
                                uint32_t ts, int marked)
{
    assert_int_equal(tsn_kf_cache_count(k), n);
    assert_int_equal(tsn_kf_cache_timestamp(k), ts);
    for (unsigned i = 0; i < n; i++) {
        uint16_t seq = (uint16_t)(first + i);
        struct pkt want;
        make(&want, seq, ts, marked && i == n - 1);
        size_t len = 0;
        const uint8_t *got = tsn_kf_cache_packet(k, i, &len);
        assert_non_null(got);
        assert_int_equal(len, want.len);
        assert_memory_equal(got, want.buf, want.len);
    }
    size_t len = 12345;
    assert_null(tsn_kf_cache_packet(k, n, &len));
}

static void expect_frame(const struct tsn_kf_cache *k, uint16_t first, unsigned n, uint32_t ts)
{
    expect_frame_marker(k, first, n, ts, 1);
}

static void test_new_free(void **state)
{
    assert_null(tsn_kf_cache_new(0));
    assert_null(tsn_kf_cache_new(257));
    struct tsn_kf_cache *k = tsn_kf_cache_new(256);
    assert_non_null(k);
    assert_int_equal(tsn_kf_cache_count(k), 0);
    size_t len;
    assert_null(tsn_kf_cache_packet(k, 0, &len));
    tsn_kf_cache_free(k);
    tsn_kf_cache_free(NULL);
}

static void test_complete(void **state)
{
    struct tsn_kf_cache *k = tsn_kf_cache_new(16);
    assert_non_null(k);
    /* P-frame packets before any keyframe are not cached. */
    assert_int_equal(offer(k, 96, TS1 - 3000, 0, 0), 0);
    assert_int_equal(offer(k, 97, TS1 - 3000, 1, 0), 0);
    assert_int_equal(tsn_kf_cache_count(k), 0);

    assert_int_equal(offer(k, 100, TS1, 0, K), 0);
    assert_int_equal(offer(k, 101, TS1, 0, 0), 0);
    assert_int_equal(offer(k, 102, TS1, 0, 0), 0);
    assert_int_equal(tsn_kf_cache_count(k), 0); /* not complete yet */
    assert_int_equal(offer(k, 103, TS1, 1, 0), 1);
    expect_frame(k, 100, 4, TS1);

    /* Following P-frames leave the keyframe alone. */
    assert_int_equal(offer(k, 104, TS2, 0, 0), 0);
    assert_int_equal(offer(k, 105, TS2, 1, 0), 0);
    expect_frame(k, 100, 4, TS1);
    tsn_kf_cache_free(k);
}

static void test_single_packet(void **state)
{
    struct tsn_kf_cache *k = tsn_kf_cache_new(4);
    assert_non_null(k);
    assert_int_equal(offer(k, 7, TS1, 1, K), 1);
    expect_frame(k, 7, 1, TS1);
    tsn_kf_cache_free(k);
}

static void test_reordered(void **state)
{
    struct tsn_kf_cache *k = tsn_kf_cache_new(16);
    assert_non_null(k);
    assert_int_equal(offer(k, 200, TS1, 0, K), 0);
    assert_int_equal(offer(k, 203, TS1, 0, 0), 0);
    assert_int_equal(offer(k, 201, TS1, 0, 0), 0);
    assert_int_equal(offer(k, 204, TS1, 0, 0), 0);
    assert_int_equal(offer(k, 202, TS1, 0, 0), 0);
    assert_int_equal(offer(k, 205, TS1, 1, 0), 1);
    expect_frame(k, 200, 6, TS1);

    /* Two keyframe packets (STAP-A SPS/PPS, then the IDR's FU-A start)
     * swapped: the frame still starts at the lower sequence number. */
    assert_int_equal(offer(k, 301, TS2, 0, K), 0);
    assert_int_equal(offer(k, 300, TS2, 0, SPS), 0);
    assert_int_equal(offer(k, 302, TS2, 1, 0), 1);
    expect_frame(k, 300, 3, TS2);
    tsn_kf_cache_free(k);
}

static void test_seq_wrap(void **state)
{
    struct tsn_kf_cache *k = tsn_kf_cache_new(16);
    assert_non_null(k);
    assert_int_equal(offer(k, 65533, TS1, 0, K), 0);
    assert_int_equal(offer(k, 65535, TS1, 0, 0), 0);
    assert_int_equal(offer(k, 0, TS1, 0, 0), 0);
    assert_int_equal(offer(k, 65534, TS1, 0, 0), 0);
    assert_int_equal(offer(k, 1, TS1, 1, 0), 1);
    expect_frame(k, 65533, 5, TS1);
    tsn_kf_cache_free(k);
}

static void test_gap(void **state)
{
    struct tsn_kf_cache *k = tsn_kf_cache_new(16);
    assert_non_null(k);
    assert_int_equal(offer(k, 100, TS1, 0, K), 0);
    assert_int_equal(offer(k, 101, TS1, 0, 0), 0);
    /* 102 lost */
    assert_int_equal(offer(k, 103, TS1, 1, 0), 0);
    assert_int_equal(tsn_kf_cache_count(k), 0);
    /* The late packet does not resurrect the dropped frame. */
    assert_int_equal(offer(k, 102, TS1, 0, 0), 0);
    assert_int_equal(tsn_kf_cache_count(k), 0);

    /* The next keyframe is cached normally. */
    assert_int_equal(offer(k, 110, TS2, 0, K), 0);
    assert_int_equal(offer(k, 111, TS2, 1, 0), 1);
    expect_frame(k, 110, 2, TS2);
    tsn_kf_cache_free(k);
}

static void test_next_frame_before_marker(void **state)
{
    struct tsn_kf_cache *k = tsn_kf_cache_new(16);
    assert_non_null(k);
    assert_int_equal(offer(k, 100, TS1, 0, K), 0);
    assert_int_equal(offer(k, 101, TS1, 0, 0), 0);
    /* The marker packet 102 is lost; the next frame starts. */
    assert_int_equal(offer(k, 103, TS2, 0, 0), 0);
    assert_int_equal(offer(k, 104, TS2, 1, 0), 0);
    assert_int_equal(tsn_kf_cache_count(k), 0);
    /* The marker arriving late does not complete the abandoned frame. */
    assert_int_equal(offer(k, 102, TS1, 1, 0), 0);
    assert_int_equal(tsn_kf_cache_count(k), 0);
    tsn_kf_cache_free(k);
}

static void test_too_many(void **state)
{
    struct tsn_kf_cache *k = tsn_kf_cache_new(4);
    assert_non_null(k);
    /* Exactly max packets fit. */
    for (uint16_t s = 10; s < 13; s++)
        assert_int_equal(offer(k, s, TS1, 0, s == 10 ? K : 0), 0);
    assert_int_equal(offer(k, 13, TS1, 1, 0), 1);
    expect_frame(k, 10, 4, TS1);

    /* max + 1 do not: the frame is dropped and the old one stays. */
    for (uint16_t s = 20; s < 24; s++)
        assert_int_equal(offer(k, s, TS2, 0, s == 20 ? K : 0), 0);
    assert_int_equal(offer(k, 24, TS2, 1, 0), 0);
    expect_frame(k, 10, 4, TS1);
    tsn_kf_cache_free(k);
}

/* A large multi-slice IDR: every slice starts with a keyframe packet (FU-A
 * start of NAL 5). Once the frame was given up as too large, a later slice's
 * start must not begin a new "keyframe" of the same frame: that would cache
 * the frame's tail without its SPS/PPS and first slices. */
static void test_too_many_multislice(void **state)
{
    struct tsn_kf_cache *k = tsn_kf_cache_new(4);
    assert_non_null(k);
    assert_int_equal(offer(k, 50, TS1, 0, K), 0); /* SPS/PPS */
    assert_int_equal(offer(k, 51, TS1, 0, K), 0); /* slice 1 start */
    assert_int_equal(offer(k, 52, TS1, 0, 0), 0);
    assert_int_equal(offer(k, 53, TS1, 0, 0), 0);
    assert_int_equal(offer(k, 54, TS1, 0, 0), 0); /* fifth packet: too large */
    assert_int_equal(offer(k, 55, TS1, 0, K), 0); /* slice 2 start */
    assert_int_equal(offer(k, 56, TS1, 1, 0), 0);
    assert_int_equal(tsn_kf_cache_count(k), 0);
    /* The same after a gap was noticed at the marker: no restart either. */
    assert_int_equal(offer(k, 60, TS2, 0, K), 0);
    assert_int_equal(offer(k, 62, TS2, 1, 0), 0);
    assert_int_equal(offer(k, 62, TS2, 1, K), 0);
    assert_int_equal(tsn_kf_cache_count(k), 0);
    /* A real new keyframe is still taken. */
    assert_int_equal(offer(k, 70, TS3, 0, K), 0);
    assert_int_equal(offer(k, 71, TS3, 1, 0), 1);
    expect_frame(k, 70, 2, TS3);
    tsn_kf_cache_free(k);
}

static void test_replace_only_when_complete(void **state)
{
    struct tsn_kf_cache *k = tsn_kf_cache_new(16);
    assert_non_null(k);
    assert_int_equal(offer(k, 100, TS1, 0, K), 0);
    assert_int_equal(offer(k, 101, TS1, 1, 0), 1);
    expect_frame(k, 100, 2, TS1);

    /* A new keyframe half built: the old one is still served, unchanged. */
    assert_int_equal(offer(k, 200, TS2, 0, K), 0);
    assert_int_equal(offer(k, 201, TS2, 0, 0), 0);
    expect_frame(k, 100, 2, TS1);
    assert_int_equal(offer(k, 202, TS2, 1, 0), 1);
    expect_frame(k, 200, 3, TS2);

    /* A newer keyframe with a gap does not replace the complete one. */
    assert_int_equal(offer(k, 300, TS3, 0, K), 0);
    assert_int_equal(offer(k, 302, TS3, 1, 0), 0);
    expect_frame(k, 200, 3, TS2);

    /* A keyframe restarted (new timestamp) after a lost packet: the first
     * attempt is discarded, the second one is cached. */
    assert_int_equal(offer(k, 400, TS1 + 100, 0, K), 0);
    /* 401 lost */
    assert_int_equal(offer(k, 402, TS1 + 200, 0, K), 0);
    expect_frame(k, 200, 3, TS2);
    assert_int_equal(offer(k, 403, TS1 + 200, 1, 0), 1);
    expect_frame(k, 402, 2, TS1 + 200);
    tsn_kf_cache_free(k);
}

static void test_duplicates(void **state)
{
    struct tsn_kf_cache *k = tsn_kf_cache_new(3);
    assert_non_null(k);
    assert_int_equal(offer(k, 100, TS1, 0, K), 0);
    assert_int_equal(offer(k, 100, TS1, 0, K), 0);
    assert_int_equal(offer(k, 101, TS1, 0, 0), 0);
    assert_int_equal(offer(k, 101, TS1, 0, 0), 0);
    assert_int_equal(offer(k, 100, TS1, 0, K), 0);
    assert_int_equal(offer(k, 102, TS1, 1, 0), 1);
    expect_frame(k, 100, 3, TS1);
    /* A duplicate of the completed frame's packets changes nothing. */
    assert_int_equal(offer(k, 101, TS1, 0, 0), 0);
    assert_int_equal(offer(k, 102, TS1, 1, 0), 0);
    expect_frame(k, 100, 3, TS1);
    tsn_kf_cache_free(k);
}

/* A late packet of the previous frame (older sequence number, older
 * timestamp) arriving inside the keyframe says nothing about the keyframe. */
static void test_late_previous_frame_packet(void **state)
{
    struct tsn_kf_cache *k = tsn_kf_cache_new(16);
    assert_non_null(k);
    assert_int_equal(offer(k, 100, TS2, 0, K), 0);
    assert_int_equal(offer(k, 99, TS1, 1, 0), 0); /* late end of the previous frame */
    assert_int_equal(offer(k, 101, TS2, 1, 0), 1);
    expect_frame(k, 100, 2, TS2);
    tsn_kf_cache_free(k);
}

static void test_oversize_packet(void **state)
{
    struct tsn_kf_cache *k = tsn_kf_cache_new(8);
    assert_non_null(k);
    struct pkt p;
    make(&p, 100, TS1, 0);
    uint8_t big[TSN_RTP_MAX_PACKET + 1];
    memset(big, 0, sizeof big);
    memcpy(big, p.buf, p.len);
    assert_int_equal(tsn_kf_cache_offer(k, big, sizeof big, &p.h, K), 0);
    /* The oversize packet cannot be kept, so its frame has a hole: neither the
     * rest of it nor a later slice start of the same frame is cached. */
    assert_int_equal(offer(k, 101, TS1, 0, K), 0);
    assert_int_equal(offer(k, 102, TS1, 1, 0), 0);
    assert_int_equal(tsn_kf_cache_count(k), 0);
    /* Inside a frame being built, too. */
    assert_int_equal(offer(k, 200, TS2, 0, K), 0);
    make(&p, 201, TS2, 0);
    memcpy(big, p.buf, p.len);
    assert_int_equal(tsn_kf_cache_offer(k, big, sizeof big, &p.h, 0), 0);
    assert_int_equal(offer(k, 202, TS2, 1, 0), 0);
    assert_int_equal(tsn_kf_cache_count(k), 0);
    tsn_kf_cache_free(k);
}

/* Without any marker, an access unit ends when the next timestamp follows it
 * directly (nothing lost in between). */
static void test_no_marker(void **state)
{
    struct tsn_kf_cache *k = tsn_kf_cache_new(16);
    assert_non_null(k);
    assert_int_equal(offer(k, 500, TS1, 0, K), 0);
    assert_int_equal(offer(k, 501, TS1, 0, 0), 0);
    assert_int_equal(tsn_kf_cache_count(k), 0);
    assert_int_equal(offer(k, 502, TS2, 0, 0), 1);
    expect_frame_marker(k, 500, 2, TS1, 0);
    /* The packets that ended it are not part of it, and start nothing. */
    assert_int_equal(offer(k, 503, TS2, 1, 0), 0);
    expect_frame_marker(k, 500, 2, TS1, 0);
    tsn_kf_cache_free(k);
}

/* Some packetizers send SPS/PPS in a packet of their own with the marker set,
 * before the IDR of the same timestamp: the unit waits for the picture. */
static void test_parameter_sets_marked(void **state)
{
    struct tsn_kf_cache *k = tsn_kf_cache_new(16);
    assert_non_null(k);
    assert_int_equal(offer(k, 100, TS1, 1, SPS), 0);
    assert_int_equal(offer(k, 101, TS1, 0, K), 0);
    assert_int_equal(offer(k, 102, TS1, 0, 0), 0);
    assert_int_equal(offer(k, 103, TS1, 1, 0), 1);
    assert_int_equal(tsn_kf_cache_count(k), 4);
    assert_int_equal(tsn_kf_cache_timestamp(k), TS1);

    /* Parameter sets alone are no keyframe: the cached one stays. */
    assert_int_equal(offer(k, 200, TS2, 1, SPS), 0);
    assert_int_equal(offer(k, 201, TS3, 0, 0), 0);
    assert_int_equal(offer(k, 202, TS3, 1, 0), 0);
    assert_int_equal(tsn_kf_cache_count(k), 4);
    assert_int_equal(tsn_kf_cache_timestamp(k), TS1);
    tsn_kf_cache_free(k);
}

static void test_clear(void **state)
{
    struct tsn_kf_cache *k = tsn_kf_cache_new(8);
    assert_non_null(k);
    assert_int_equal(offer(k, 100, TS1, 0, K), 0);
    assert_int_equal(offer(k, 101, TS1, 1, 0), 1);
    assert_int_equal(offer(k, 200, TS2, 0, K), 0); /* building the next */
    tsn_kf_cache_clear(k);
    assert_int_equal(tsn_kf_cache_count(k), 0);
    size_t len;
    assert_null(tsn_kf_cache_packet(k, 0, &len));
    /* The frame that was building is gone too: its marker completes nothing. */
    assert_int_equal(offer(k, 201, TS2, 1, 0), 0);
    assert_int_equal(tsn_kf_cache_count(k), 0);
    /* And the cache works again afterwards. */
    assert_int_equal(offer(k, 300, TS3, 0, K), 0);
    assert_int_equal(offer(k, 301, TS3, 1, 0), 1);
    expect_frame(k, 300, 2, TS3);
    tsn_kf_cache_free(k);
}

/* Many frames in a row: every keyframe replaces the last, P-frames never do. */
static void test_stream(void **state)
{
    struct tsn_kf_cache *k = tsn_kf_cache_new(32);
    assert_non_null(k);
    uint16_t seq = 65000;
    uint32_t ts = 1000;
    uint16_t kf_first = 0;
    uint32_t kf_ts = 0;
    int have = 0;
    for (int frame = 0; frame < 300; frame++, ts += 3000) {
        int key = frame % 30 == 0;
        unsigned n = key ? 20 + (unsigned)frame % 7 : 1 + (unsigned)frame % 4;
        uint16_t first = seq;
        for (unsigned i = 0; i < n; i++, seq++) {
            int rc = offer(k, seq, ts, i == n - 1, key && i == 0 ? K : 0);
            assert_int_equal(rc, key && i == n - 1);
        }
        if (key) {
            kf_first = first;
            kf_ts = ts;
            have = 1;
            expect_frame(k, kf_first, n, kf_ts);
        }
        assert_int_equal(have, 1);
        assert_int_equal(tsn_kf_cache_timestamp(k), kf_ts);
    }
    tsn_kf_cache_free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_new_free),
        cmocka_unit_test(test_complete),
        cmocka_unit_test(test_single_packet),
        cmocka_unit_test(test_reordered),
        cmocka_unit_test(test_seq_wrap),
        cmocka_unit_test(test_gap),
        cmocka_unit_test(test_next_frame_before_marker),
        cmocka_unit_test(test_too_many),
        cmocka_unit_test(test_too_many_multislice),
        cmocka_unit_test(test_replace_only_when_complete),
        cmocka_unit_test(test_duplicates),
        cmocka_unit_test(test_late_previous_frame_packet),
        cmocka_unit_test(test_oversize_packet),
        cmocka_unit_test(test_no_marker),
        cmocka_unit_test(test_parameter_sets_marked),
        cmocka_unit_test(test_clear),
        cmocka_unit_test(test_stream),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
