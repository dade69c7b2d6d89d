/* Unit tests for relay/rtp.c: header parsing with CSRCs, extensions and
 * padding; malformed packets; RFC 5761 demux; in-place setters; RFC 8285
 * extension lookup; H.264 and VP8 keyframe detection on hand-built payloads. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <cmocka.h>

#include "rtp.h"

/* V=2 P=1 X=1 CC=2, M=1 PT=96, seq 0x1234, ts 0xDEADBEEF, SSRC 0x01020304,
 * CSRCs 0xAABBCCDD and 0x11223344, a one-byte extension block of 2 words
 * (id 1 len 2 "abc", a padding byte, id 3 len 1 "xy", zero fill), 5 payload
 * bytes and 3 bytes of padding. */
static const uint8_t full_pkt[] = {
    0xB2, 0xE0, 0x12, 0x34, 0xDE, 0xAD, 0xBE, 0xEF, 0x01, 0x02,
    0x03, 0x04, 0xAA, 0xBB, 0xCC, 0xDD, 0x11, 0x22, 0x33, 0x44, /* CSRCs */
    0xBE, 0xDE, 0x00, 0x02,                                     /* ext header: 2 words */
    0x12, 'a',  'b',  'c',  0x00, 0x31, 'x',  'y',              /* ext data */
    0x10, 0x20, 0x30, 0x40, 0x50,                               /* payload */
    0x00, 0x00, 0x03,                                           /* padding, count 3 */
};

static void test_parse_minimal(void **state)
{
    const uint8_t pkt[] = {0x80, 0x60, 0xFF, 0xFF, 0, 0, 0x0B, 0xB8, 0xCA, 0xFE, 0xBA, 0xBE, 0x42};
    struct tsn_rtp_hdr h;
    assert_int_equal(tsn_rtp_parse(pkt, sizeof pkt, &h), 0);
    assert_int_equal(h.version, 2);
    assert_int_equal(h.padding, 0);
    assert_int_equal(h.extension, 0);
    assert_int_equal(h.csrc_count, 0);
    assert_int_equal(h.marker, 0);
    assert_int_equal(h.payload_type, 96);
    assert_int_equal(h.seq, 65535);
    assert_int_equal(h.timestamp, 3000);
    assert_int_equal(h.ssrc, 0xCAFEBABE);
    assert_int_equal(h.header_len, 12);
    assert_int_equal(h.payload_len, 1);
    assert_int_equal(h.ext_profile, 0);
    assert_null(h.ext);
    assert_int_equal(h.ext_len, 0);
}

static void test_parse_csrc_ext_padding(void **state)
{
    struct tsn_rtp_hdr h;
    assert_int_equal(tsn_rtp_parse(full_pkt, sizeof full_pkt, &h), 0);
    assert_int_equal(h.padding, 1);
    assert_int_equal(h.extension, 1);
    assert_int_equal(h.csrc_count, 2);
    assert_int_equal(h.marker, 1);
    assert_int_equal(h.payload_type, 96);
    assert_int_equal(h.seq, 0x1234);
    assert_int_equal(h.timestamp, 0xDEADBEEF);
    assert_int_equal(h.ssrc, 0x01020304);
    assert_int_equal(h.header_len, 12 + 8 + 4 + 8);
    assert_int_equal(h.payload_len, 5);
    assert_memory_equal(full_pkt + h.header_len, "\x10\x20\x30\x40\x50", 5);
    assert_int_equal(h.ext_profile, 0xBEDE);
    assert_ptr_equal(h.ext, full_pkt + 24);
    assert_int_equal(h.ext_len, 8);
}

static void test_parse_padding_only(void **state)
{
    /* All of the payload is padding: legal, payload_len 0. */
    const uint8_t pkt[] = {0xA0, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 4};
    struct tsn_rtp_hdr h;
    assert_int_equal(tsn_rtp_parse(pkt, sizeof pkt, &h), 0);
    assert_int_equal(h.header_len, 12);
    assert_int_equal(h.payload_len, 0);
}

static void test_parse_malformed(void **state)
{
    struct tsn_rtp_hdr h;
    uint8_t pkt[sizeof full_pkt];

    /* Short: every length below the fixed header. */
    for (size_t n = 0; n < 12; n++)
        assert_int_equal(tsn_rtp_parse(full_pkt, n, &h), -EBADMSG);
    assert_int_equal(tsn_rtp_parse(NULL, 12, &h), -EBADMSG);

    /* Version 1 and version 0 / 3. */
    const uint8_t versions[] = {0x40, 0x00, 0xC0};
    for (size_t i = 0; i < sizeof versions; i++) {
        memcpy(pkt, full_pkt, sizeof pkt);
        pkt[0] = (uint8_t)(versions[i] | (pkt[0] & 0x3F));
        assert_int_equal(tsn_rtp_parse(pkt, sizeof pkt, &h), -EBADMSG);
    }

    /* CSRC count past the end. */
    const uint8_t cc15[] = {0x8F, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 1, 2, 3, 4};
    assert_int_equal(tsn_rtp_parse(cc15, sizeof cc15, &h), -EBADMSG);

    /* X set but no room for the extension header. */
    const uint8_t x_short[] = {0x90, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1, 0xBE, 0xDE};
    assert_int_equal(tsn_rtp_parse(x_short, sizeof x_short, &h), -EBADMSG);

    /* Extension length past the end: 3 words claimed, 2 present. */
    memcpy(pkt, full_pkt, sizeof pkt);
    pkt[0] &= (uint8_t)~0x20; /* drop P so only the extension can fail */
    pkt[23] = 0x03;
    assert_int_equal(tsn_rtp_parse(pkt, 32, &h), -EBADMSG);
    pkt[23] = 0x02;
    assert_int_equal(tsn_rtp_parse(pkt, 32, &h), 0); /* exactly fits */
    assert_int_equal(h.payload_len, 0);
    pkt[22] = 0xFF; /* 0xFF02 words */
    assert_int_equal(tsn_rtp_parse(pkt, sizeof pkt, &h), -EBADMSG);

    /* Padding larger than the payload (5 payload + 3 padding = 8 max). */
    memcpy(pkt, full_pkt, sizeof pkt);
    pkt[sizeof pkt - 1] = 9;
    assert_int_equal(tsn_rtp_parse(pkt, sizeof pkt, &h), -EBADMSG);
    pkt[sizeof pkt - 1] = 8; /* all 8 bytes after the header are padding */
    assert_int_equal(tsn_rtp_parse(pkt, sizeof pkt, &h), 0);
    assert_int_equal(h.payload_len, 0);
    /* Zero padding count. */
    pkt[sizeof pkt - 1] = 0;
    assert_int_equal(tsn_rtp_parse(pkt, sizeof pkt, &h), -EBADMSG);
    /* P set with nothing after the header. */
    const uint8_t p_empty[] = {0xA0, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1};
    assert_int_equal(tsn_rtp_parse(p_empty, sizeof p_empty, &h), -EBADMSG);
}

static void test_demux(void **state)
{
    const uint8_t rtp[] = {0x80, 0x60};
    const uint8_t rtp_marker_pt96[] = {0x80, 0xE0};
    const uint8_t rtcp_sr[] = {0x80, 200};
    const uint8_t rtcp_psfb[] = {0x81, 206};
    const uint8_t stun[] = {0x00, 0x01};
    const uint8_t dtls[] = {22, 0xFE};
    const uint8_t edge_lo[] = {128, 192}, edge_hi[] = {191, 223}, past[] = {192, 200};

    assert_true(tsn_rtp_is_rtp_or_rtcp(rtp, 2));
    assert_true(tsn_rtp_is_rtp_or_rtcp(rtcp_sr, 2));
    assert_false(tsn_rtp_is_rtp_or_rtcp(stun, 2));
    assert_false(tsn_rtp_is_rtp_or_rtcp(dtls, 2));
    assert_false(tsn_rtp_is_rtp_or_rtcp(past, 2));
    assert_false(tsn_rtp_is_rtp_or_rtcp(rtp, 0));

    assert_false(tsn_rtp_is_rtcp(rtp, 2));
    assert_false(tsn_rtp_is_rtcp(rtp_marker_pt96, 2)); /* 0xE0 = 224 */
    assert_true(tsn_rtp_is_rtcp(rtcp_sr, 2));
    assert_true(tsn_rtp_is_rtcp(rtcp_psfb, 2));
    assert_true(tsn_rtp_is_rtcp(edge_lo, 2));
    assert_true(tsn_rtp_is_rtcp(edge_hi, 2));
    assert_false(tsn_rtp_is_rtcp(rtcp_sr, 1));
    assert_false(tsn_rtp_is_rtcp(past, 2));
}

static void test_setters(void **state)
{
    uint8_t pkt[sizeof full_pkt];
    memcpy(pkt, full_pkt, sizeof pkt);
    tsn_rtp_set_seq(pkt, 0xFFFE);
    tsn_rtp_set_timestamp(pkt, 0x01020304);
    tsn_rtp_set_ssrc(pkt, 0xA1B2C3D4);
    tsn_rtp_set_payload_type(pkt, 111);

    const uint8_t want[12] = {0xB2, 0x80 | 111, 0xFF, 0xFE, 1, 2, 3, 4, 0xA1, 0xB2, 0xC3, 0xD4};
    assert_memory_equal(pkt, want, 12);
    assert_memory_equal(pkt + 12, full_pkt + 12, sizeof pkt - 12);

    struct tsn_rtp_hdr h;
    assert_int_equal(tsn_rtp_parse(pkt, sizeof pkt, &h), 0);
    assert_int_equal(h.marker, 1); /* kept */
    assert_int_equal(h.payload_type, 111);
    assert_int_equal(h.seq, 0xFFFE);

    /* PT without marker, and a PT above 127 is masked, never sets M. */
    pkt[1] = 0x00;
    tsn_rtp_set_payload_type(pkt, 0xFF);
    assert_int_equal(pkt[1], 0x7F);
}

static void test_find_ext_one_byte(void **state)
{
    struct tsn_rtp_hdr h;
    const uint8_t *d = NULL;
    size_t n = 0;
    assert_int_equal(tsn_rtp_parse(full_pkt, sizeof full_pkt, &h), 0);

    assert_int_equal(tsn_rtp_find_ext(&h, 1, &d, &n), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(d, "abc", 3);
    assert_int_equal(tsn_rtp_find_ext(&h, 3, &d, &n), 0); /* after a padding byte */
    assert_int_equal(n, 2);
    assert_memory_equal(d, "xy", 2);
    assert_int_equal(tsn_rtp_find_ext(&h, 2, &d, &n), -ENOENT);
    assert_int_equal(tsn_rtp_find_ext(&h, 0, &d, &n), -ENOENT);
    assert_int_equal(tsn_rtp_find_ext(&h, 15, &d, &n), -ENOENT);
    assert_int_equal(tsn_rtp_find_ext(&h, 200, &d, &n), -ENOENT);

    /* An element whose length runs past the block is not returned. */
    const uint8_t bad[] = {0x12, 'a', 'b', 'c', 0x5F, 1, 2, 3};
    struct tsn_rtp_hdr hb = h;
    hb.ext = bad;
    hb.ext_len = sizeof bad;
    assert_int_equal(tsn_rtp_find_ext(&hb, 1, &d, &n), 0);
    assert_int_equal(tsn_rtp_find_ext(&hb, 5, &d, &n), -ENOENT);

    /* ID 15 stops parsing: nothing after it is found. */
    const uint8_t stop[] = {0xF0, 0x00, 0x20, 'z'};
    hb.ext = stop;
    hb.ext_len = sizeof stop;
    assert_int_equal(tsn_rtp_find_ext(&hb, 2, &d, &n), -ENOENT);

    /* No extension at all. */
    const uint8_t plain[] = {0x80, 0x60, 0, 1, 0, 0, 0, 1, 0, 0, 0, 1};
    assert_int_equal(tsn_rtp_parse(plain, sizeof plain, &h), 0);
    assert_int_equal(tsn_rtp_find_ext(&h, 1, &d, &n), -ENOENT);
}

static void test_find_ext_two_byte(void **state)
{
    /* Profile 0x1005 (two-byte, appbits 5), 4 words: padding, id 7 len 0,
     * id 200 len 3 "abc", padding, id 9 len 2 "hi", padding x3. */
    const uint8_t pkt[] = {
        0x90, 0x60, 0,    1,    0,    0,    0,    1,    0,    0,    0,
        1,    0x10, 0x05, 0x00, 0x04, 0x00, 0x07, 0x00, 0xC8, 0x03, 'a',
        'b',  'c',  0x00, 0x09, 0x02, 'h',  'i',  0x00, 0x00, 0x00, 0xEE, /* payload */
    };
    struct tsn_rtp_hdr h;
    const uint8_t *d = NULL;
    size_t n = 99;
    assert_int_equal(tsn_rtp_parse(pkt, sizeof pkt, &h), 0);
    assert_int_equal(h.ext_profile, 0x1005);
    assert_int_equal(h.ext_len, 16);
    assert_int_equal(h.payload_len, 1);

    assert_int_equal(tsn_rtp_find_ext(&h, 7, &d, &n), 0);
    assert_int_equal(n, 0);
    assert_int_equal(tsn_rtp_find_ext(&h, 200, &d, &n), 0);
    assert_int_equal(n, 3);
    assert_memory_equal(d, "abc", 3);
    assert_int_equal(tsn_rtp_find_ext(&h, 9, &d, &n), 0);
    assert_int_equal(n, 2);
    assert_memory_equal(d, "hi", 2);
    assert_int_equal(tsn_rtp_find_ext(&h, 8, &d, &n), -ENOENT);

    /* A length byte past the end of the block. */
    const uint8_t bad[] = {0x04, 0x09, 1, 2};
    struct tsn_rtp_hdr hb = h;
    hb.ext = bad;
    hb.ext_len = sizeof bad;
    assert_int_equal(tsn_rtp_find_ext(&hb, 4, &d, &n), -ENOENT);
    const uint8_t no_len[] = {0x04};
    hb.ext = no_len;
    hb.ext_len = 1;
    assert_int_equal(tsn_rtp_find_ext(&hb, 4, &d, &n), -ENOENT);

    /* An unknown profile is opaque. */
    hb = h;
    hb.ext_profile = 0x2000;
    assert_int_equal(tsn_rtp_find_ext(&hb, 9, &d, &n), -ENOENT);
}

static void test_h264_single_nal(void **state)
{
    const uint8_t idr[] = {0x65, 0x88, 0x84};       /* nal_ref_idc 3, type 5 */
    const uint8_t sps[] = {0x67, 0x42, 0xC0, 0x1F}; /* type 7 */
    const uint8_t pps[] = {0x68, 0xCE, 0x3C, 0x80}; /* type 8 */
    const uint8_t slice[] = {0x41, 0x9A, 0x02};     /* type 1, non-IDR */
    const uint8_t sei[] = {0x06, 0x05};             /* type 6 */
    assert_true(tsn_h264_is_keyframe(idr, sizeof idr));
    assert_true(tsn_h264_is_keyframe(sps, sizeof sps));
    assert_false(tsn_h264_is_keyframe(pps, sizeof pps));
    assert_false(tsn_h264_is_keyframe(slice, sizeof slice));
    assert_false(tsn_h264_is_keyframe(sei, sizeof sei));
    assert_false(tsn_h264_is_keyframe(idr, 0));
    assert_false(tsn_h264_is_keyframe(NULL, 3));
}

static void test_h264_stapa(void **state)
{
    /* STAP-A: SPS (4 bytes) + PPS (4 bytes). */
    const uint8_t sps_pps[] = {0x78, 0x00, 0x04, 0x67, 0x42, 0xC0, 0x1F,
                               0x00, 0x04, 0x68, 0xCE, 0x3C, 0x80};
    assert_true(tsn_h264_is_keyframe(sps_pps, sizeof sps_pps));

    /* STAP-A: PPS + IDR (the keyframe NAL is the second one). */
    const uint8_t pps_idr[] = {0x78, 0x00, 0x02, 0x68, 0xCE, 0x00, 0x03, 0x65, 0x88, 0x84};
    assert_true(tsn_h264_is_keyframe(pps_idr, sizeof pps_idr));

    /* STAP-A of non-key NALs: SEI + non-IDR slice. */
    const uint8_t sei_slice[] = {0x78, 0x00, 0x02, 0x06, 0x05, 0x00, 0x02, 0x41, 0x9A};
    assert_false(tsn_h264_is_keyframe(sei_slice, sizeof sei_slice));

    /* Truncated: the second size runs past the end. */
    const uint8_t trunc[] = {0x78, 0x00, 0x04, 0x67, 0x42, 0xC0, 0x1F, 0x00, 0x09, 0x68};
    assert_false(tsn_h264_is_keyframe(trunc, sizeof trunc));
    /* A dangling single byte after the last NAL. */
    assert_false(tsn_h264_is_keyframe(sps_pps, sizeof sps_pps - 5));
    /* A zero-size NAL, and a STAP-A with nothing in it. */
    const uint8_t zero[] = {0x78, 0x00, 0x00, 0x00, 0x01, 0x67};
    assert_false(tsn_h264_is_keyframe(zero, sizeof zero));
    assert_false(tsn_h264_is_keyframe(sps_pps, 1));
}

static void test_h264_fua(void **state)
{
    /* FU indicator 0x7C (NRI 3, type 28); FU header S E R type. */
    const uint8_t idr_start[] = {0x7C, 0x85, 0x88, 0x84};
    const uint8_t idr_middle[] = {0x7C, 0x05, 0x11, 0x22};
    const uint8_t idr_end[] = {0x7C, 0x45, 0x11};
    const uint8_t slice_start[] = {0x5C, 0x81, 0x9A};
    assert_true(tsn_h264_is_keyframe(idr_start, sizeof idr_start));
    assert_false(tsn_h264_is_keyframe(idr_middle, sizeof idr_middle));
    assert_false(tsn_h264_is_keyframe(idr_end, sizeof idr_end));
    assert_false(tsn_h264_is_keyframe(slice_start, sizeof slice_start));
    assert_false(tsn_h264_is_keyframe(idr_start, 1)); /* no FU header */
    /* FU-B (29) and STAP-B (25) are not used in mode 1. */
    const uint8_t fub[] = {0x7D, 0x85, 0x00, 0x01, 0x88};
    assert_false(tsn_h264_is_keyframe(fub, sizeof fub));
}

static void test_vp8(void **state)
{
    /* Minimal descriptor: S=1 PID=0; payload header 0x10 (P=0: key frame). */
    const uint8_t key[] = {0x10, 0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A};
    const uint8_t inter[] = {0x10, 0x11, 0x02, 0x00};
    assert_true(tsn_vp8_is_keyframe(key, sizeof key));
    assert_false(tsn_vp8_is_keyframe(inter, sizeof inter));

    /* Not the start of a partition, or partition 1. */
    const uint8_t cont[] = {0x00, 0x10, 0x02, 0x00};
    const uint8_t pid1[] = {0x11, 0x10, 0x02, 0x00};
    assert_false(tsn_vp8_is_keyframe(cont, sizeof cont));
    assert_false(tsn_vp8_is_keyframe(pid1, sizeof pid1));

    /* X with I (15-bit PictureID), L, T: 1 + 1 + 2 + 1 + 1 = 6 descriptor
     * bytes before the payload header. */
    const uint8_t ext_key[] = {0x90, 0xE0, 0x80 | 0x12, 0x34, 0x05, 0x40, 0x50, 0x02, 0x00};
    const uint8_t ext_inter[] = {0x90, 0xE0, 0x80 | 0x12, 0x34, 0x05, 0x40, 0x51, 0x02, 0x00};
    assert_true(tsn_vp8_is_keyframe(ext_key, sizeof ext_key));
    assert_false(tsn_vp8_is_keyframe(ext_inter, sizeof ext_inter));

    /* X with I (7-bit PictureID) only: the byte after it is the header. The
     * byte after that has the opposite P bit, so reading a 15-bit ID here
     * would flip the answer. */
    const uint8_t pic7_key[] = {0x90, 0x80, 0x7E, 0x50, 0x01};
    const uint8_t pic7_inter[] = {0x90, 0x80, 0x7E, 0x51, 0x00};
    assert_true(tsn_vp8_is_keyframe(pic7_key, sizeof pic7_key));
    assert_false(tsn_vp8_is_keyframe(pic7_inter, sizeof pic7_inter));

    /* X with K only (no T) still takes one byte. */
    const uint8_t konly_inter[] = {0x90, 0x10, 0x00, 0x51};
    const uint8_t konly_key[] = {0x90, 0x10, 0x01, 0x50};
    assert_false(tsn_vp8_is_keyframe(konly_inter, sizeof konly_inter));
    assert_true(tsn_vp8_is_keyframe(konly_key, sizeof konly_key));

    /* X with no extension bits set. */
    const uint8_t x_none[] = {0x90, 0x00, 0x50};
    assert_true(tsn_vp8_is_keyframe(x_none, sizeof x_none));

    /* Truncated descriptors: no payload header byte left. */
    assert_false(tsn_vp8_is_keyframe(ext_key, 6));
    assert_false(tsn_vp8_is_keyframe(ext_key, 3));
    assert_false(tsn_vp8_is_keyframe(ext_key, 2));
    assert_false(tsn_vp8_is_keyframe(pic7_key, 3));
    assert_false(tsn_vp8_is_keyframe(key, 1));
    assert_false(tsn_vp8_is_keyframe(key, 0));
}

static void test_seq_diff(void **state)
{
    assert_int_equal(tsn_seq_diff(65530, 5), 11);
    assert_int_equal(tsn_seq_diff(5, 65530), -11);
    assert_int_equal(tsn_seq_diff(100, 100), 0);
    assert_int_equal(tsn_seq_diff(0, 32767), 32767);
    assert_int_equal(tsn_seq_diff(0, 32768), -32768);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_parse_minimal),
        cmocka_unit_test(test_parse_csrc_ext_padding),
        cmocka_unit_test(test_parse_padding_only),
        cmocka_unit_test(test_parse_malformed),
        cmocka_unit_test(test_demux),
        cmocka_unit_test(test_setters),
        cmocka_unit_test(test_find_ext_one_byte),
        cmocka_unit_test(test_find_ext_two_byte),
        cmocka_unit_test(test_h264_single_nal),
        cmocka_unit_test(test_h264_stapa),
        cmocka_unit_test(test_h264_fua),
        cmocka_unit_test(test_vp8),
        cmocka_unit_test(test_seq_diff),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
