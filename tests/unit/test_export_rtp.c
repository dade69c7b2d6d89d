/* Unit tests for viewer/export_rtp.c: the RTP header (CSRCs, extension
 * block, padding, truncations), RFC 8285 elements in both forms, the
 * abs-capture-time value as the relay truncates it, and what H.264 and VP8
 * payloads say about frame starts and key frames. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "export_rtp.h"

/* A packet: header (seq 0x1234, ts 0xdeadbeef, ssrc 0x01020304, pt 96) and
 * an optional one-byte extension block with the abs-capture-time element. */
static size_t make_pkt(uint8_t *b, int marker, int with_ext, const uint8_t *payload, size_t len)
{
    static const uint8_t hdr[12] = {0x80, 96, 0x12, 0x34, 0xde, 0xad, 0xbe, 0xef, 1, 2, 3, 4};
    memcpy(b, hdr, 12);
    if (marker)
        b[1] |= 0x80;
    size_t off = 12;
    if (with_ext) {
        b[0] |= 0x10;
        /* 0xBEDE, 3 words: id 3 len 8 (NTP), then padding */
        static const uint8_t ext[16] = {0xbe, 0xde, 0, 3, 0x37, 0xea, 0x2b, 0xc1,
                                        0x80, 0,    0, 0, 0,    0,    0,    0};
        memcpy(b + off, ext, sizeof ext);
        off += sizeof ext;
    }
    memcpy(b + off, payload, len);
    return off + len;
}

static void test_parse_header(void **state)
{
    uint8_t b[64];
    const uint8_t pl[] = {0x65, 0x88, 0x80};
    size_t n = make_pkt(b, 1, 0, pl, sizeof pl);
    struct tsn_export_rtp p;
    assert_int_equal(tsn_export_rtp_parse(b, n, &p), 0);
    assert_int_equal(p.pt, 96);
    assert_true(p.marker);
    assert_int_equal(p.seq, 0x1234);
    assert_int_equal(p.ts, 0xdeadbeefu);
    assert_int_equal(p.ssrc, 0x01020304u);
    assert_int_equal(p.payload_len, 3);
    assert_memory_equal(p.payload, pl, 3);
    assert_null(p.ext);
    /* every truncation of the header is refused */
    for (size_t i = 0; i < 12; i++)
        assert_int_equal(tsn_export_rtp_parse(b, i, &p), -EBADMSG);
    /* version 1 */
    b[0] = 0x40;
    assert_int_equal(tsn_export_rtp_parse(b, n, &p), -EBADMSG);
}

static void test_csrc_ext_padding(void **state)
{
    uint8_t b[64];
    const uint8_t pl[] = {0x41, 0x9a, 0x00, 0x00};
    size_t n = make_pkt(b, 0, 1, pl, sizeof pl);
    struct tsn_export_rtp p;
    assert_int_equal(tsn_export_rtp_parse(b, n, &p), 0);
    assert_int_equal(p.ext_profile, 0xBEDE);
    assert_int_equal(p.ext_len, 12);
    assert_int_equal(p.payload_len, 4);
    /* the extension block cut short */
    assert_int_equal(tsn_export_rtp_parse(b, 12 + 10, &p), -EBADMSG);
    /* padding: the last byte says 2, both removed */
    b[0] |= 0x20;
    b[n - 1] = 2;
    assert_int_equal(tsn_export_rtp_parse(b, n, &p), 0);
    assert_int_equal(p.payload_len, 2);
    b[n - 1] = 0; /* a padding count of 0 is invalid */
    assert_int_equal(tsn_export_rtp_parse(b, n, &p), -EBADMSG);
    b[n - 1] = 5; /* more padding than payload */
    assert_int_equal(tsn_export_rtp_parse(b, n, &p), -EBADMSG);
    /* two CSRCs: the payload moves 8 bytes */
    uint8_t c[64];
    memcpy(c, b, 12);
    c[0] = 0x82;
    memset(c + 12, 0xaa, 8);
    c[20] = 0x41;
    assert_int_equal(tsn_export_rtp_parse(c, 21, &p), 0);
    assert_int_equal(p.payload_len, 1);
    assert_int_equal(p.payload[0], 0x41);
    assert_int_equal(tsn_export_rtp_parse(c, 19, &p), -EBADMSG);
}

static void test_ext_find(void **state)
{
    uint8_t b[64];
    const uint8_t pl[] = {0x41};
    size_t n = make_pkt(b, 0, 1, pl, sizeof pl);
    struct tsn_export_rtp p;
    const uint8_t *d;
    size_t len;
    assert_int_equal(tsn_export_rtp_parse(b, n, &p), 0);
    assert_int_equal(tsn_export_rtp_ext_find(&p, 3, &d, &len), 0);
    assert_int_equal(len, 8);
    assert_int_equal(d[0], 0xea);
    assert_int_equal(tsn_export_rtp_ext_find(&p, 4, &d, &len), -ENOENT);
    assert_int_equal(tsn_export_rtp_ext_find(&p, 0, &d, &len), -ENOENT);
    assert_int_equal(tsn_export_rtp_ext_find(&p, 15, &d, &len), -ENOENT);

    /* two-byte form: padding, id 1 (len 2), id 20 (len 3) */
    static const uint8_t two[12] = {0, 1, 2, 0xaa, 0xbb, 20, 3, 1, 2, 3, 0, 0};
    struct tsn_export_rtp q = {.ext_profile = 0x1000, .ext = two, .ext_len = sizeof two};
    assert_int_equal(tsn_export_rtp_ext_find(&q, 20, &d, &len), 0);
    assert_int_equal(len, 3);
    assert_int_equal(d[2], 3);
    assert_int_equal(tsn_export_rtp_ext_find(&q, 1, &d, &len), 0);
    assert_int_equal(len, 2);
    /* an element longer than the block */
    static const uint8_t bad[4] = {0x3f, 1, 2, 3}; /* id 3, 16 bytes */
    struct tsn_export_rtp r = {.ext_profile = 0xBEDE, .ext = bad, .ext_len = sizeof bad};
    assert_int_equal(tsn_export_rtp_ext_find(&r, 3, &d, &len), -ENOENT);
    /* id 15 stops the one-byte block */
    static const uint8_t stop[4] = {0xf0, 0x30, 9, 0};
    struct tsn_export_rtp s = {.ext_profile = 0xBEDE, .ext = stop, .ext_len = sizeof stop};
    assert_int_equal(tsn_export_rtp_ext_find(&s, 3, &d, &len), -ENOENT);
    /* another profile */
    struct tsn_export_rtp t = {.ext_profile = 0x1234, .ext = two, .ext_len = sizeof two};
    assert_int_equal(tsn_export_rtp_ext_find(&t, 1, &d, &len), -ENOENT);
}

static void test_act_ms(void **state)
{
    /* 2026-11-27 07:50:12.5 UTC: Unix 1795765812.5 s */
    uint64_t secs = 1795765812ull + 2208988800ull;
    uint8_t b[16] = {0};
    b[0] = (uint8_t)(secs >> 24);
    b[1] = (uint8_t)(secs >> 16);
    b[2] = (uint8_t)(secs >> 8);
    b[3] = (uint8_t)secs;
    b[4] = 0x80; /* half a second */
    assert_int_equal(tsn_export_act_unix_ms(b, 8), 1795765812500LL);
    assert_int_equal(tsn_export_act_unix_ms(b, 16), 1795765812500LL);
    /* truncated, not rounded: 0.9999999 s -> 999 ms */
    memset(b + 4, 0xff, 4);
    assert_int_equal(tsn_export_act_unix_ms(b, 8), 1795765812999LL);
    assert_int_equal(tsn_export_act_unix_ms(b, 7), -1);
    assert_int_equal(tsn_export_act_unix_ms(b, 12), -1);
}

static void test_h264_flags(void **state)
{
    const enum tsn_export_codec c = TSN_EXPORT_H264;
    const uint8_t sps[] = {0x67, 0x42}, pps[] = {0x68, 0xce}, aud[] = {0x09, 0x30};
    const uint8_t idr_first[] = {0x65, 0x88}, p_first[] = {0x41, 0x9a}, p_later[] = {0x41, 0x20};
    int start_key_cfg = TSN_EXPORT_PKT_START | TSN_EXPORT_PKT_KEY | TSN_EXPORT_PKT_CONFIG;
    /* an SPS starts a frame and configures the decoder, but is no picture:
     * only an IDR slice makes a key frame */
    assert_int_equal(tsn_export_payload_flags(c, sps, 2),
                     TSN_EXPORT_PKT_START | TSN_EXPORT_PKT_CONFIG);
    assert_int_equal(tsn_export_payload_flags(c, pps, 2), 0);
    assert_int_equal(tsn_export_payload_flags(c, aud, 2), TSN_EXPORT_PKT_START);
    assert_int_equal(tsn_export_payload_flags(c, idr_first, 2),
                     TSN_EXPORT_PKT_START | TSN_EXPORT_PKT_KEY);
    assert_int_equal(tsn_export_payload_flags(c, p_first, 2), TSN_EXPORT_PKT_START);
    assert_int_equal(tsn_export_payload_flags(c, p_later, 2), 0);
    assert_int_equal(tsn_export_payload_flags(c, p_first, 1), 0); /* no slice header byte */
    assert_int_equal(tsn_export_payload_flags(c, sps, 0), -EBADMSG);
    /* FU-A: start of an IDR slice, a continuation, an end */
    const uint8_t fu_start[] = {0x7c, 0x85, 0x88}, fu_mid[] = {0x7c, 0x05, 0x12},
                  fu_p[] = {0x5c, 0x81, 0x9a}, fu_p_later[] = {0x5c, 0x81, 0x11};
    assert_int_equal(tsn_export_payload_flags(c, fu_start, 3),
                     TSN_EXPORT_PKT_START | TSN_EXPORT_PKT_KEY);
    assert_int_equal(tsn_export_payload_flags(c, fu_mid, 3), 0);
    assert_int_equal(tsn_export_payload_flags(c, fu_p, 3), TSN_EXPORT_PKT_START);
    assert_int_equal(tsn_export_payload_flags(c, fu_p_later, 3), 0);
    assert_int_equal(tsn_export_payload_flags(c, fu_start, 1), -EBADMSG);
    /* STAP-A: SPS + PPS + IDR; SPS + PPS alone (rtph264pay's parameter sets
     * before an IDR slice); PPS first; a size running past the end */
    const uint8_t stap[] = {0x78, 0, 2, 0x67, 0x42, 0, 2, 0x68, 0xce, 0, 2, 0x65, 0x88};
    assert_int_equal(tsn_export_payload_flags(c, stap, sizeof stap), start_key_cfg);
    const uint8_t stap_cfg[] = {0x78, 0, 2, 0x67, 0x42, 0, 2, 0x68, 0xce};
    assert_int_equal(tsn_export_payload_flags(c, stap_cfg, sizeof stap_cfg),
                     TSN_EXPORT_PKT_START | TSN_EXPORT_PKT_CONFIG);
    const uint8_t stap_pps[] = {0x78, 0, 2, 0x68, 0xce, 0, 2, 0x67, 0x42};
    assert_int_equal(tsn_export_payload_flags(c, stap_pps, sizeof stap_pps), TSN_EXPORT_PKT_CONFIG);
    const uint8_t stap_bad[] = {0x78, 0, 9, 0x67, 0x42};
    assert_int_equal(tsn_export_payload_flags(c, stap_bad, sizeof stap_bad), 0);
    /* reserved types */
    const uint8_t r0[] = {0x00, 0x80}, r30[] = {0x1e, 0x80};
    assert_int_equal(tsn_export_payload_flags(c, r0, 2), 0);
    assert_int_equal(tsn_export_payload_flags(c, r30, 2), 0);
}

static void test_vp8_flags(void **state)
{
    const enum tsn_export_codec c = TSN_EXPORT_VP8;
    int key = TSN_EXPORT_PKT_START | TSN_EXPORT_PKT_KEY | TSN_EXPORT_PKT_CONFIG;
    /* S=1 PID=0, no X; payload header P bit 0: key frame */
    const uint8_t k[] = {0x10, 0x50};
    assert_int_equal(tsn_export_payload_flags(c, k, 2), key);
    const uint8_t inter[] = {0x10, 0x51};
    assert_int_equal(tsn_export_payload_flags(c, inter, 2), TSN_EXPORT_PKT_START);
    /* X with a 15-bit picture id (I, M), then the payload header */
    const uint8_t x15[] = {0x90, 0x80, 0x81, 0x23, 0x50};
    assert_int_equal(tsn_export_payload_flags(c, x15, 5), key);
    assert_int_equal(tsn_export_payload_flags(c, x15, 4), -EBADMSG);
    /* X with I (7-bit), L, T/K: 3 more bytes */
    const uint8_t xall[] = {0x90, 0xf0, 0x05, 0x07, 0x20, 0x51};
    assert_int_equal(tsn_export_payload_flags(c, xall, 6), TSN_EXPORT_PKT_START);
    /* not the start: S=0, or S=1 with PID 1 */
    const uint8_t mid[] = {0x00, 0x50}, pid1[] = {0x11, 0x50};
    assert_int_equal(tsn_export_payload_flags(c, mid, 2), 0);
    assert_int_equal(tsn_export_payload_flags(c, pid1, 2), 0);
    assert_int_equal(tsn_export_payload_flags(c, k, 1), -EBADMSG);
    assert_int_equal(tsn_export_payload_flags(c, k, 0), -EBADMSG);
}

static void test_codec_names(void **state)
{
    assert_int_equal(tsn_export_codec_parse("H264"), TSN_EXPORT_H264);
    assert_int_equal(tsn_export_codec_parse("h264"), TSN_EXPORT_H264);
    assert_int_equal(tsn_export_codec_parse("VP8"), TSN_EXPORT_VP8);
    assert_int_equal(tsn_export_codec_parse("VP9"), -1);
    assert_int_equal(tsn_export_codec_parse(NULL), -1);
    assert_string_equal(tsn_export_codec_name(TSN_EXPORT_VP8), "VP8");
    assert_string_equal(tsn_export_codec_name(TSN_EXPORT_H264), "H264");
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_header), cmocka_unit_test(test_csrc_ext_padding),
        cmocka_unit_test(test_ext_find),     cmocka_unit_test(test_act_ms),
        cmocka_unit_test(test_h264_flags),   cmocka_unit_test(test_vp8_flags),
        cmocka_unit_test(test_codec_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
