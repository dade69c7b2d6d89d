/* Unit tests for relay/rtcp.c: exact bytes of every builder, the compound
 * iterator on valid and malformed input, SR sender info and report blocks,
 * NACK expansion, NACK build -> parse round trips (including the wrap at
 * 65535) and the NTP conversion. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "rtcp.h"

/* Collects the sequence numbers a NACK names, in callback order. */
struct seq_list {
    uint16_t seqs[4096];
    size_t n;
};

static void collect(void *user, uint16_t seq)
{
    struct seq_list *l = user;
    if (l->n < 4096)
        l->seqs[l->n++] = seq;
}

/* Parses buf as exactly one item of the given type. */
static void one_item(const uint8_t *buf, size_t len, uint8_t type, struct tsn_rtcp_item *item)
{
    struct tsn_rtcp_iter it;
    tsn_rtcp_iter_init(&it, buf, len);
    assert_int_equal(tsn_rtcp_iter_next(&it, item), 1);
    assert_int_equal(item->type, type);
    assert_int_equal(item->len, len);
    assert_int_equal(tsn_rtcp_iter_next(&it, item), 0);
}

static void test_build_pli(void **state)
{
    uint8_t out[16];
    const uint8_t want[] = {0x81, 206, 0x00, 0x02, 0x11, 0x22, 0x33, 0x44, 0xAA, 0xBB, 0xCC, 0xDD};
    assert_int_equal(tsn_rtcp_build_pli(out, sizeof out, 0x11223344, 0xAABBCCDD), 12);
    assert_memory_equal(out, want, sizeof want);
    assert_int_equal(tsn_rtcp_build_pli(out, 11, 1, 2), 0);

    struct tsn_rtcp_item item;
    one_item(out, 12, TSN_RTCP_PSFB, &item);
    assert_int_equal(item.fmt, TSN_RTCP_FMT_PLI);
    assert_int_equal(item.sender_ssrc, 0x11223344);
    assert_int_equal(item.media_ssrc, 0xAABBCCDD);
}

static void test_build_fir(void **state)
{
    uint8_t out[32];
    memset(out, 0x55, sizeof out);
    const uint8_t want[] = {0x84, 206, 0x00, 0x04, 0x11, 0x22, 0x33, 0x44, 0, 0,
                            0,    0,   0xAA, 0xBB, 0xCC, 0xDD, 0x07, 0,    0, 0};
    assert_int_equal(tsn_rtcp_build_fir(out, sizeof out, 0x11223344, 0xAABBCCDD, 7), 20);
    assert_memory_equal(out, want, sizeof want);
    assert_int_equal(tsn_rtcp_build_fir(out, 19, 1, 2, 3), 0);

    struct tsn_rtcp_item item;
    one_item(out, 20, TSN_RTCP_PSFB, &item);
    assert_int_equal(item.fmt, TSN_RTCP_FMT_FIR);
    assert_int_equal(item.media_ssrc, 0);
}

static void test_build_nack_exact(void **state)
{
    /* 100 and 102, 116 (bits 1, 15 of PID 100), then 117 needs a new pair. */
    const uint16_t seqs[] = {116, 100, 117, 102, 100};
    const uint8_t want[] = {0x81, 205, 0x00, 0x04, 0,    0,    0,    1,   0,    0,
                            0,    2,   0x00, 100,  0x80, 0x02, 0x00, 117, 0x00, 0x00};
    uint8_t out[64];
    assert_int_equal(tsn_rtcp_build_nack(out, sizeof out, 1, 2, seqs, 5), sizeof want);
    assert_memory_equal(out, want, sizeof want);

    /* Too small for the second pair: no partial packet. */
    assert_int_equal(tsn_rtcp_build_nack(out, 19, 1, 2, seqs, 5), 0);
    assert_int_equal(tsn_rtcp_build_nack(out, sizeof out, 1, 2, seqs, 0), 0);
    assert_int_equal(tsn_rtcp_build_nack(out, sizeof out, 1, 2, NULL, 3), 0);
}

static void test_build_nack_wrap_exact(void **state)
{
    /* 65530..5 is one run of 12 across the wrap: PID 65530, BLP bits 0..10. */
    uint16_t seqs[12];
    for (int i = 0; i < 12; i++)
        seqs[i] = (uint16_t)(65530 + i);
    /* Shuffle so the builder must order them itself. */
    uint16_t shuffled[12] = {3, 65533, 0, 65530, 5, 65535, 1, 65531, 4, 2, 65534, 65532};
    const uint8_t want[] = {0x81, 205, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 2, 0xFF, 0xFA, 0x07, 0xFF};
    uint8_t out[64];
    assert_int_equal(tsn_rtcp_build_nack(out, sizeof out, 1, 2, shuffled, 12), sizeof want);
    assert_memory_equal(out, want, sizeof want);
    assert_int_equal(tsn_rtcp_build_nack(out, sizeof out, 1, 2, seqs, 12), sizeof want);
    assert_memory_equal(out, want, sizeof want);
}

static int cmp_u16(const void *a, const void *b)
{
    return (int)*(const uint16_t *)a - (int)*(const uint16_t *)b;
}

/* Builds a NACK from `seqs`, parses it back and checks the same set comes
 * out, each sequence number exactly once. */
static void roundtrip(const uint16_t *seqs, size_t n)
{
    static uint8_t out[65536];
    size_t len = tsn_rtcp_build_nack(out, sizeof out, 0xABCD, 0x1234, seqs, n);
    assert_true(len >= 16);

    struct tsn_rtcp_item item;
    one_item(out, len, TSN_RTCP_RTPFB, &item);
    assert_int_equal(item.fmt, TSN_RTCP_FMT_NACK);
    assert_int_equal(item.sender_ssrc, 0xABCD);
    assert_int_equal(item.media_ssrc, 0x1234);

    static struct seq_list got;
    got.n = 0;
    int count = tsn_rtcp_nack_foreach(&item, collect, &got);
    assert_int_equal(count, (int)got.n);
    assert_int_equal(tsn_rtcp_nack_foreach(&item, NULL, NULL), count);

    static uint16_t want[4096];
    memcpy(want, seqs, n * sizeof *seqs);
    qsort(want, n, sizeof *want, cmp_u16);
    size_t uniq = 0;
    for (size_t i = 0; i < n; i++)
        if (uniq == 0 || want[uniq - 1] != want[i])
            want[uniq++] = want[i];
    qsort(got.seqs, got.n, sizeof *got.seqs, cmp_u16);
    assert_int_equal(got.n, uniq);
    assert_memory_equal(got.seqs, want, uniq * sizeof *want);
}

static void test_nack_roundtrip(void **state)
{
    /* The wrap: 65530..5, in order. */
    uint16_t wrap[12];
    for (int i = 0; i < 12; i++)
        wrap[i] = (uint16_t)(65530 + i);
    roundtrip(wrap, 12);

    /* The wrap reached through a long run, with duplicates and gaps. */
    const uint16_t gaps[] = {65500, 65535, 0, 65535, 17, 18, 40, 65519, 65520, 7};
    roundtrip(gaps, sizeof gaps / sizeof *gaps);

    /* A single sequence number, 0 and 65535. */
    const uint16_t zero = 0, top = 65535;
    roundtrip(&zero, 1);
    roundtrip(&top, 1);

    /* Every 17th number: one pair each, BLP zero. */
    uint16_t sparse[200];
    for (int i = 0; i < 200; i++)
        sparse[i] = (uint16_t)(65000 + i * 17);
    roundtrip(sparse, 200);

    /* Pseudo-random sets, fixed seed. */
    uint32_t x = 12345;
    for (int round = 0; round < 50; round++) {
        uint16_t r[300];
        uint16_t base = (uint16_t)(x >> 8);
        for (int i = 0; i < 300; i++) {
            x = x * 1103515245u + 12345u;
            r[i] = (uint16_t)(base + ((x >> 16) % 600));
        }
        roundtrip(r, 300);
    }
}

static void test_nack_parse_known(void **state)
{
    /* PID 65534, BLP 0x8003: 65534, 65535, 0, 65534 + 16 = 14. */
    const uint8_t pkt[] = {0x81, 205, 0x00, 0x03, 0, 0, 0, 1, 0, 0, 0, 2, 0xFF, 0xFE, 0x80, 0x03};
    struct tsn_rtcp_item item;
    one_item(pkt, sizeof pkt, TSN_RTCP_RTPFB, &item);
    struct seq_list got = {.n = 0};
    assert_int_equal(tsn_rtcp_nack_foreach(&item, collect, &got), 4);
    assert_int_equal(got.seqs[0], 65534);
    assert_int_equal(got.seqs[1], 65535);
    assert_int_equal(got.seqs[2], 0);
    assert_int_equal(got.seqs[3], 14);

    /* Not a NACK: a PLI, and an RTPFB with another FMT. */
    uint8_t pli[12];
    tsn_rtcp_build_pli(pli, sizeof pli, 1, 2);
    one_item(pli, sizeof pli, TSN_RTCP_PSFB, &item);
    assert_int_equal(tsn_rtcp_nack_foreach(&item, collect, &got), -EBADMSG);
    uint8_t twcc[sizeof pkt];
    memcpy(twcc, pkt, sizeof pkt);
    twcc[0] = 0x8F;
    one_item(twcc, sizeof twcc, TSN_RTCP_RTPFB, &item);
    assert_int_equal(tsn_rtcp_nack_foreach(&item, NULL, NULL), -EBADMSG);
}

static void expect_bad_after(const uint8_t *buf, size_t len, int good_items)
{
    struct tsn_rtcp_iter it;
    struct tsn_rtcp_item item;
    tsn_rtcp_iter_init(&it, buf, len);
    for (int i = 0; i < good_items; i++)
        assert_int_equal(tsn_rtcp_iter_next(&it, &item), 1);
    assert_int_equal(tsn_rtcp_iter_next(&it, &item), -EBADMSG);
    assert_int_equal(tsn_rtcp_iter_next(&it, &item), -EBADMSG); /* stays stopped */
}

static const struct tsn_rtcp_report_block blocks[2] = {
    {.ssrc = 0x01020304,
     .fraction_lost = 0x40,
     .cumulative_lost = -2,
     .highest_seq = 0x00010005,
     .jitter = 77,
     .lsr = 0xAABBCCDD,
     .dlsr = 0x00010000},
    {.ssrc = 0x05060708,
     .fraction_lost = 0,
     .cumulative_lost = 100000000, /* clamped to 0x7FFFFF */
     .highest_seq = 9,
     .jitter = 0,
     .lsr = 0,
     .dlsr = 0},
};

static const uint8_t block_bytes[48] = {
    0x01, 0x02, 0x03, 0x04, 0x40, 0xFF, 0xFF, 0xFE, 0x00, 0x01, 0x00, 0x05, 0x00, 0x00, 0x00, 77,
    0xAA, 0xBB, 0xCC, 0xDD, 0x00, 0x01, 0x00, 0x00, 0x05, 0x06, 0x07, 0x08, 0x00, 0x7F, 0xFF, 0xFF,
    0,    0,    0,    9,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,    0,
};

static void test_build_sr(void **state)
{
    const struct tsn_rtcp_sender_info si = {.ssrc = 0x11223344,
                                            .ntp = 0x0102030405060708ull,
                                            .rtp_ts = 0x090A0B0C,
                                            .packet_count = 1000,
                                            .octet_count = 0x00ABCDEF};
    uint8_t want[28 + 48] = {0x82, 200, 0x00, 0x12, 0x11, 0x22, 0x33, 0x44, 1,  2,
                             3,    4,   5,    6,    7,    8,    9,    10,   11, 12,
                             0,    0,   0x03, 0xE8, 0x00, 0xAB, 0xCD, 0xEF};
    memcpy(want + 28, block_bytes, 48);
    uint8_t out[128];
    assert_int_equal(tsn_rtcp_build_sr(out, sizeof out, &si, blocks, 2), sizeof want);
    assert_memory_equal(out, want, sizeof want);
    assert_int_equal(tsn_rtcp_build_sr(out, sizeof want - 1, &si, blocks, 2), 0);
    assert_int_equal(tsn_rtcp_build_sr(out, sizeof out, &si, NULL, 2), 0);
    assert_int_equal(tsn_rtcp_build_sr(out, 4096, &si, blocks, 32), 0);

    /* Parse it back. */
    struct tsn_rtcp_item item;
    one_item(out, sizeof want, TSN_RTCP_SR, &item);
    assert_int_equal(item.fmt, 2);
    assert_int_equal(item.sender_ssrc, 0x11223344);
    struct tsn_rtcp_sender_info got;
    assert_int_equal(tsn_rtcp_sr_info(&item, &got), 0);
    assert_int_equal(got.ssrc, si.ssrc);
    assert_true(got.ntp == si.ntp);
    assert_int_equal(got.rtp_ts, si.rtp_ts);
    assert_int_equal(got.packet_count, si.packet_count);
    assert_int_equal(got.octet_count, si.octet_count);

    struct tsn_rtcp_report_block b;
    assert_int_equal(tsn_rtcp_report_block(&item, 0, &b), 0);
    assert_int_equal(b.ssrc, 0x01020304);
    assert_int_equal(b.fraction_lost, 0x40);
    assert_int_equal(b.cumulative_lost, -2);
    assert_int_equal(b.highest_seq, 0x00010005);
    assert_int_equal(b.jitter, 77);
    assert_int_equal(b.lsr, 0xAABBCCDD);
    assert_int_equal(b.dlsr, 0x00010000);
    assert_int_equal(tsn_rtcp_report_block(&item, 1, &b), 0);
    assert_int_equal(b.cumulative_lost, 0x7FFFFF);
    assert_int_equal(tsn_rtcp_report_block(&item, 2, &b), -ENOENT);

    /* SR with no blocks. */
    assert_int_equal(tsn_rtcp_build_sr(out, 28, &si, NULL, 0), 28);
    assert_int_equal(out[0], 0x80);
    assert_int_equal(out[3], 6);
    one_item(out, 28, TSN_RTCP_SR, &item);
    assert_int_equal(tsn_rtcp_sr_info(&item, &got), 0);
    assert_true(got.ntp == si.ntp);
    assert_int_equal(tsn_rtcp_report_block(&item, 0, &b), -ENOENT);
    /* One word short of the sender info. */
    out[3] = 5;
    expect_bad_after(out, 24, 0);
}

static void test_build_rr(void **state)
{
    uint8_t want[8 + 48] = {0x82, 201, 0x00, 0x0D, 0xCA, 0xFE, 0xBA, 0xBE};
    memcpy(want + 8, block_bytes, 48);
    uint8_t out[128];
    assert_int_equal(tsn_rtcp_build_rr(out, sizeof out, 0xCAFEBABE, blocks, 2), sizeof want);
    assert_memory_equal(out, want, sizeof want);
    assert_int_equal(tsn_rtcp_build_rr(out, sizeof want - 1, 1, blocks, 2), 0);

    /* Empty RR: the minimal RTCP packet of a receiver with nothing to say. */
    const uint8_t empty[] = {0x80, 201, 0x00, 0x01, 0, 0, 0, 5};
    assert_int_equal(tsn_rtcp_build_rr(out, sizeof out, 5, NULL, 0), 8);
    assert_memory_equal(out, empty, 8);

    struct tsn_rtcp_item item;
    one_item(want, sizeof want, TSN_RTCP_RR, &item);
    struct tsn_rtcp_report_block b;
    assert_int_equal(tsn_rtcp_report_block(&item, 1, &b), 0);
    assert_int_equal(b.ssrc, 0x05060708);
    assert_int_equal(b.highest_seq, 9);
    assert_int_equal(tsn_rtcp_report_block(&item, 2, &b), -ENOENT);
    struct tsn_rtcp_sender_info si;
    assert_int_equal(tsn_rtcp_sr_info(&item, &si), -EBADMSG); /* RR has none */
}

static void test_compound(void **state)
{
    /* RR + SDES (CNAME "ab") + PLI + a NACK: the usual browser compound. */
    uint8_t buf[256];
    size_t off = tsn_rtcp_build_rr(buf, sizeof buf, 0x10, NULL, 0);
    const uint8_t sdes[] = {0x81, 202, 0x00, 0x03, 0, 0, 0, 0x10, 1, 2, 'a', 'b', 0, 0, 0, 0};
    memcpy(buf + off, sdes, sizeof sdes);
    off += sizeof sdes;
    off += tsn_rtcp_build_pli(buf + off, sizeof buf - off, 0x10, 0x20);
    const uint16_t lost[] = {5, 6};
    off += tsn_rtcp_build_nack(buf + off, sizeof buf - off, 0x10, 0x20, lost, 2);

    struct tsn_rtcp_iter it;
    struct tsn_rtcp_item item;
    const uint8_t types[] = {TSN_RTCP_RR, TSN_RTCP_SDES, TSN_RTCP_PSFB, TSN_RTCP_RTPFB};
    tsn_rtcp_iter_init(&it, buf, off);
    for (size_t i = 0; i < sizeof types; i++) {
        assert_int_equal(tsn_rtcp_iter_next(&it, &item), 1);
        assert_int_equal(item.type, types[i]);
        assert_int_equal(item.sender_ssrc, 0x10);
        assert_int_equal(item.media_ssrc, i >= 2 ? 0x20 : 0);
    }
    assert_int_equal(tsn_rtcp_nack_foreach(&item, NULL, NULL), 2);
    assert_int_equal(tsn_rtcp_iter_next(&it, &item), 0);
    assert_int_equal(tsn_rtcp_iter_next(&it, &item), 0);

    /* Empty input. */
    tsn_rtcp_iter_init(&it, buf, 0);
    assert_int_equal(tsn_rtcp_iter_next(&it, &item), 0);
}

static void test_malformed(void **state)
{
    uint8_t buf[64];
    size_t rr = tsn_rtcp_build_rr(buf, sizeof buf, 1, NULL, 0);

    /* Trailing bytes too short for a header. */
    memset(buf + rr, 0x80, 3);
    expect_bad_after(buf, rr + 3, 1);

    /* Version 1 in the second item. */
    tsn_rtcp_build_pli(buf + rr, sizeof buf - rr, 1, 2);
    buf[rr] = 0x41;
    expect_bad_after(buf, rr + 12, 1);

    /* Length past the end. */
    tsn_rtcp_build_pli(buf + rr, sizeof buf - rr, 1, 2);
    expect_bad_after(buf, rr + 11, 1);

    /* RR claiming one report block with none present. */
    const uint8_t rr_short[] = {0x81, 201, 0x00, 0x01, 0, 0, 0, 1};
    expect_bad_after(rr_short, sizeof rr_short, 0);
    /* SR too short for its sender info. */
    const uint8_t sr_short[] = {0x80, 200, 0x00, 0x01, 0, 0, 0, 1};
    expect_bad_after(sr_short, sizeof sr_short, 0);
    /* A feedback message without its media SSRC. */
    const uint8_t fb_short[] = {0x81, 206, 0x00, 0x01, 0, 0, 0, 1};
    expect_bad_after(fb_short, sizeof fb_short, 0);
    /* Padding count zero, and larger than the item. */
    uint8_t pad[] = {0xA0, 201, 0x00, 0x02, 0, 0, 0, 1, 0, 0, 0, 0};
    expect_bad_after(pad, sizeof pad, 0);
    pad[11] = 9;
    expect_bad_after(pad, sizeof pad, 0);
    /* Valid padding: 4 bytes. */
    pad[11] = 4;
    struct tsn_rtcp_iter it;
    struct tsn_rtcp_item item;
    tsn_rtcp_iter_init(&it, pad, sizeof pad);
    assert_int_equal(tsn_rtcp_iter_next(&it, &item), 1);
    assert_int_equal(item.len, 12);
    assert_int_equal(tsn_rtcp_report_block(&item, 0, &(struct tsn_rtcp_report_block){0}), -ENOENT);

    /* A padded NACK: the padding is not read as a PID/BLP pair. */
    const uint8_t nack_pad[] = {0xA1, 205, 0x00, 0x04, 0,    0,    0, 1, 0, 0,
                                0,    2,   0x00, 0x0A, 0x00, 0x00, 0, 0, 0, 4};
    tsn_rtcp_iter_init(&it, nack_pad, sizeof nack_pad);
    assert_int_equal(tsn_rtcp_iter_next(&it, &item), 1);
    assert_int_equal(tsn_rtcp_nack_foreach(&item, NULL, NULL), 1);

    /* A hand-made item whose RC claims more blocks than its bytes hold. */
    uint8_t lie[8 + 24];
    tsn_rtcp_build_rr(lie, sizeof lie, 1, blocks, 1);
    item = (struct tsn_rtcp_item){.type = TSN_RTCP_RR, .fmt = 2, .data = lie, .len = 32};
    lie[0] = 0x82;
    struct tsn_rtcp_report_block b;
    assert_int_equal(tsn_rtcp_report_block(&item, 0, &b), 0);
    assert_int_equal(tsn_rtcp_report_block(&item, 1, &b), -EBADMSG);
}

static void test_ntp(void **state)
{
    /* The Unix epoch is NTP second 2208988800, fraction 0. */
    assert_true(tsn_ntp_from_unix_us(0) == (2208988800ull << 32));
    /* Half a second is fraction 2^31. */
    assert_true(tsn_ntp_from_unix_us(1500000) == ((2208988801ull << 32) | 0x80000000ull));
    /* 1 us = floor(2^32 / 10^6) = 4294. */
    assert_true(tsn_ntp_from_unix_us(1) == ((2208988800ull << 32) | 4294));
    /* 2024-01-01T00:00:00.25Z: Unix 1704067200 s. */
    uint64_t ntp = tsn_ntp_from_unix_us(1704067200ull * 1000000 + 250000);
    assert_true(ntp == ((3913056000ull << 32) | 0x40000000ull));
    assert_int_equal(tsn_ntp_middle32(ntp), (uint32_t)((3913056000ull & 0xFFFF) << 16 | 0x4000));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_build_pli),
        cmocka_unit_test(test_build_fir),
        cmocka_unit_test(test_build_nack_exact),
        cmocka_unit_test(test_build_nack_wrap_exact),
        cmocka_unit_test(test_nack_roundtrip),
        cmocka_unit_test(test_nack_parse_known),
        cmocka_unit_test(test_build_sr),
        cmocka_unit_test(test_build_rr),
        cmocka_unit_test(test_compound),
        cmocka_unit_test(test_malformed),
        cmocka_unit_test(test_ntp),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
