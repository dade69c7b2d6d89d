/* Unit tests for relay/srtp_in.c, the OpenSSL inbound SRTP transform, and
 * its use by tsn_srtp_unprotect, against libsrtp itself: the published
 * known-answer packets; libsrtp's srtp_protect output for both profiles and
 * many header shapes (CSRCs, extension block, P bit, no payload) unprotects
 * to the exact plaintext; a sequence wrap; the 1024-packet replay window at
 * its edges; a long randomized stream (reordering, duplicates, old packets,
 * jumps, wraps, bit flips) given to ours and to a libsrtp receiver, which
 * must answer alike packet by packet; tampering refused with no state
 * change; forged packets not taking SSRC slots; the fifth SSRC declined and
 * handled by libsrtp through tsn_srtp_unprotect; short and garbage input;
 * and no OpenSSL allocation per packet (counted through
 * CRYPTO_set_mem_functions, installed in main before OpenSSL's first
 * allocation). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <srtp2/srtp.h>

#include "srtp_in.h"
#include "srtp_out.h"
#include "srtp_session.h"
#include "srtp_fixtures.h"

#define BUF_BYTES 1600
#define DECLINED  TSN_SRTP_IN_DECLINED




static struct tsn_srtp_in *ours(const struct master *m)
{
    struct tsn_srtp_in *in = tsn_srtp_in_new(m->profile, m->key, 16, m->salt, m->salt_len);
    assert_non_null(in);
    return in;
}

static struct tsn_srtp_out *sender(const struct master *m)
{
    struct tsn_srtp_out *o = tsn_srtp_out_new(m->profile, m->key, 16, m->salt, m->salt_len);
    assert_non_null(o);
    return o;
}


/* tsn_srtp_unprotect's mapping of libsrtp's answers. */
static int ref_unprotect(srtp_t rx, uint8_t *buf, size_t *len)
{
    int n = (int)*len;
    switch (srtp_unprotect(rx, buf, &n)) {
    case srtp_err_status_ok:
        *len = (size_t)n;
        return 0;
    case srtp_err_status_auth_fail:
        return -EACCES;
    case srtp_err_status_replay_fail:
    case srtp_err_status_replay_old:
        return -EALREADY;
    default:
        return -EBADMSG;
    }
}

/* Header shapes: CSRC count, extension block words (-1: none), padding
 * bytes (0: P bit clear), payload bytes. */
struct shape {
    int cc;
    int ext_words;
    int pad_bytes;
    size_t payload;
};

static size_t build_rtp(uint8_t *buf, const struct shape *sh, uint16_t seq, uint32_t ssrc)
{
    size_t n = 12;
    buf[0] =
        (uint8_t)(0x80 | (sh->pad_bytes ? 0x20 : 0) | (sh->ext_words >= 0 ? 0x10 : 0) | sh->cc);
    buf[1] = (uint8_t)(96 | ((seq & 1) ? 0x80 : 0));
    buf[2] = (uint8_t)(seq >> 8);
    buf[3] = (uint8_t)seq;
    uint32_t ts = (uint32_t)seq * 3000u;
    for (int i = 0; i < 4; i++) {
        buf[4 + i] = (uint8_t)(ts >> (24 - 8 * i));
        buf[8 + i] = (uint8_t)(ssrc >> (24 - 8 * i));
    }
    for (int c = 0; c < sh->cc; c++, n += 4)
        for (int i = 0; i < 4; i++)
            buf[n + (size_t)i] = (uint8_t)(0xc0 + c * 4 + i);
    if (sh->ext_words >= 0) {
        static const uint8_t elems[] = {0x11, 0xaa, 0xbb, 0x30, 0x7f};
        size_t ext_bytes = 4 * (size_t)sh->ext_words;
        buf[n++] = 0xbe;
        buf[n++] = 0xde;
        buf[n++] = (uint8_t)(sh->ext_words >> 8);
        buf[n++] = (uint8_t)sh->ext_words;
        for (size_t i = 0; i < ext_bytes; i++)
            buf[n + i] = i < sizeof elems ? elems[i] : 0;
        n += ext_bytes;
    }
    for (size_t i = 0; i < sh->payload; i++)
        buf[n + i] = (uint8_t)(i * 31 + seq);
    n += sh->payload;
    if (sh->pad_bytes) {
        memset(buf + n, 0, (size_t)sh->pad_bytes - 1);
        n += (size_t)sh->pad_bytes;
        buf[n - 1] = (uint8_t)sh->pad_bytes;
    }
    return n;
}

static const struct shape plain_shape = {0, -1, 0, 160};

/* Protects a plain-shaped packet with `o` into `out`; returns its length. */
static size_t make_srtp(struct tsn_srtp_out *o, uint16_t seq, uint32_t ssrc, uint8_t *out)
{
    size_t len = build_rtp(out, &plain_shape, seq, ssrc);
    assert_int_equal(tsn_srtp_out_protect(o, out, &len, BUF_BYTES), 0);
    return len;
}

/* The same through a libsrtp sender, which takes any number of SSRCs. */
static size_t make_ref_srtp(srtp_t tx, uint16_t seq, uint32_t ssrc, uint8_t *out)
{
    int n = (int)build_rtp(out, &plain_shape, seq, ssrc);
    assert_int_equal(srtp_protect(tx, out, &n), srtp_err_status_ok);
    return (size_t)n;
}

/* Unprotects a copy of `pkt`; on success checks the plaintext is
 * build_rtp(plain_shape, seq, ssrc). Returns our answer. */
static int try_in(struct tsn_srtp_in *in, const uint8_t *pkt, size_t len, uint16_t seq,
                  uint32_t ssrc)
{
    uint8_t buf[BUF_BYTES], plain[BUF_BYTES];
    size_t n = len;
    memcpy(buf, pkt, len);
    int rc = tsn_srtp_in_unprotect(in, buf, &n);
    if (rc == 0) {
        size_t plen = build_rtp(plain, &plain_shape, seq, ssrc);
        assert_int_equal(n, plen);
        assert_memory_equal(buf, plain, plen);
    } else {
        assert_int_equal(n, len);
        assert_memory_equal(buf, pkt, len);
    }
    return rc;
}

static int group_setup(void **state)
{
    return tsn_srtp_global_init() == 0 ? 0 : -1; /* runs srtp_init once */
}

/* --- tests ----------------------------------------------------------------- */

static void check_known_vector(enum tsn_srtp_profile profile, const uint8_t *key_salt,
                               const uint8_t *pkt, size_t pkt_len)
{
    struct master m;
    master_from(profile, key_salt, &m);
    struct tsn_srtp_in *in = ours(&m);
    uint8_t buf[BUF_BYTES];
    size_t len = pkt_len;
    memcpy(buf, pkt, len);
    assert_int_equal(tsn_srtp_in_unprotect(in, buf, &len), 0);
    assert_int_equal(len, sizeof rtp_plain);
    assert_memory_equal(buf, rtp_plain, len);
    len = pkt_len;
    memcpy(buf, pkt, len);
    assert_int_equal(tsn_srtp_in_unprotect(in, buf, &len), -EALREADY);
    tsn_srtp_in_free(in);
}

static void test_known_vectors(void **state)
{
    check_known_vector(CM, cm_master, cm_srtp, sizeof cm_srtp);
    check_known_vector(GCM, gcm_master, gcm_srtp, sizeof gcm_srtp);
}

/* srtp_protect's output for every shape unprotects to the exact plaintext. */
static void check_shapes(enum tsn_srtp_profile profile)
{
    static const struct shape shapes[] = {
        {0, -1, 0, 1200}, {0, -1, 0, 0},    {0, -1, 0, 1},  {0, -1, 0, 17}, {3, -1, 0, 100},
        {0, 2, 0, 100},   {0, 0, 0, 33},    {2, 1, 0, 999}, {0, -1, 4, 96}, {15, 3, 7, 50},
        {1, 2, 1, 1187},  {0, -1, 255, 64}, {15, 0, 0, 0},  {0, 5, 0, 0},
    };
    struct master m;
    master_pattern(profile, 7, &m);
    struct tsn_srtp_in *in = ours(&m);
    srtp_t tx = ref_session(&m, 0);
    uint8_t plain[BUF_BYTES], buf[BUF_BYTES];
    uint16_t seq = 1000;
    for (int round = 0; round < 3; round++) {
        for (size_t i = 0; i < sizeof shapes / sizeof shapes[0]; i++) {
            size_t plen = build_rtp(plain, &shapes[i], seq++, 0x11223344u);
            int n = (int)plen;
            memcpy(buf, plain, plen);
            assert_int_equal(srtp_protect(tx, buf, &n), srtp_err_status_ok);
            size_t len = (size_t)n;
            assert_int_equal(len, plen + m.tag);
            assert_int_equal(tsn_srtp_in_unprotect(in, buf, &len), 0);
            assert_int_equal(len, plen);
            assert_memory_equal(buf, plain, plen);
        }
    }
    tsn_srtp_in_free(in);
    srtp_dealloc(tx);
}

static void test_libsrtp_shapes_cm(void **state)
{
    check_shapes(CM);
}

static void test_libsrtp_shapes_gcm(void **state)
{
    check_shapes(GCM);
}

/* 65530 -> 5 across the wrap (ROC 0 -> 1), with 65533 held back and
 * delivered after the wrap, then once more (a replay). */
static void check_wrap(enum tsn_srtp_profile profile)
{
    struct master m;
    master_pattern(profile, 3, &m);
    struct tsn_srtp_in *in = ours(&m);
    srtp_t tx = ref_session(&m, 0);
    const uint32_t ssrc = 0x5eed0001u;
    uint8_t plain[BUF_BYTES], buf[BUF_BYTES], held[BUF_BYTES];
    size_t held_len = 0;
    for (uint32_t i = 65530; i <= 65536 + 5; i++) {
        uint16_t seq = (uint16_t)i;
        size_t plen = build_rtp(plain, &plain_shape, seq, ssrc);
        int n = (int)plen;
        memcpy(buf, plain, plen);
        assert_int_equal(srtp_protect(tx, buf, &n), srtp_err_status_ok);
        if (seq == 65533) {
            memcpy(held, buf, (size_t)n);
            held_len = (size_t)n;
            continue;
        }
        assert_int_equal(try_in(in, buf, (size_t)n, seq, ssrc), 0);
    }
    assert_int_equal(try_in(in, held, held_len, 65533, ssrc), 0);
    assert_int_equal(try_in(in, held, held_len, 65533, ssrc), -EALREADY);
    /* Onwards at ROC 1: seq 6 protected under ROC 0 would not verify. */
    size_t plen = build_rtp(plain, &plain_shape, 6, ssrc);
    int n = (int)plen;
    memcpy(buf, plain, plen);
    assert_int_equal(srtp_protect(tx, buf, &n), srtp_err_status_ok);
    assert_int_equal(try_in(in, buf, (size_t)n, 6, ssrc), 0);
    tsn_srtp_in_free(in);
    srtp_dealloc(tx);
}

static void test_sequence_wrap_cm(void **state)
{
    check_wrap(CM);
}

static void test_sequence_wrap_gcm(void **state)
{
    check_wrap(GCM);
}

/* 2000 packets sent, delivered newest first after the first one: the 1023
 * before the newest are accepted once each, anything older is refused, and
 * so is every second copy. libsrtp answers the same. */
static void check_window(enum tsn_srtp_profile profile)
{
    enum { SENT = 2000 };
    static uint8_t pkts[SENT][BUF_BYTES / 4];
    static size_t lens[SENT];
    struct master m;
    master_pattern(profile, 4, &m);
    struct tsn_srtp_in *in = ours(&m);
    struct tsn_srtp_out *o = sender(&m);
    srtp_t rx = ref_session(&m, 1);
    const uint32_t ssrc = 77;
    const uint16_t base = 60000; /* the window straddles a wrap */
    for (int i = 0; i < SENT; i++)
        lens[i] = make_srtp(o, (uint16_t)(base + i), ssrc, pkts[i]);
    uint8_t buf[BUF_BYTES];
    size_t len;
    int order[SENT];
    order[0] = 0;
    for (int i = 1; i < SENT; i++)
        order[i] = SENT - i; /* newest, then older and older */
    for (int k = 0; k < SENT; k++) {
        int i = order[k];
        int want = (k == 0 || i >= SENT - 1 - 1023) ? 0 : -EALREADY;
        for (int copy = 0; copy < 2; copy++) {
            assert_int_equal(try_in(in, pkts[i], lens[i], (uint16_t)(base + i), ssrc),
                             copy ? -EALREADY : want);
            len = lens[i];
            memcpy(buf, pkts[i], len);
            assert_int_equal(ref_unprotect(rx, buf, &len), copy ? -EALREADY : want);
        }
    }

    /* Losses: every 7th of 3000 held back, then delivered oldest first. Of
     * those only the ones inside the window (the 1024 newest indices) are
     * accepted: a slot reused from 1024 earlier must not look seen. */
    const uint32_t ssrc2 = 78;
    for (int i = 0; i < 3 * SENT / 2; i++) {
        size_t plen = make_srtp(o, (uint16_t)(base + i), ssrc2, buf);
        if (i % 7 == 3)
            continue;
        assert_int_equal(try_in(in, buf, plen, (uint16_t)(base + i), ssrc2), 0);
        len = plen;
        assert_int_equal(ref_unprotect(rx, buf, &len), 0);
    }
    for (int i = 3; i < 3 * SENT / 2; i += 7) {
        uint8_t plain[BUF_BYTES];
        size_t plen = build_rtp(plain, &plain_shape, (uint16_t)(base + i), ssrc2);
        /* Protect again with the index it had: srtp_out keeps no window. */
        memcpy(buf, plain, plen);
        assert_int_equal(tsn_srtp_out_protect(o, buf, &plen, sizeof buf), 0);
        int want = i > 3 * SENT / 2 - 1 - 1024 ? 0 : -EALREADY;
        assert_int_equal(try_in(in, buf, plen, (uint16_t)(base + i), ssrc2), want);
        len = plen;
        assert_int_equal(ref_unprotect(rx, buf, &len), want);
    }
    tsn_srtp_in_free(in);
    tsn_srtp_out_free(o);
    srtp_dealloc(rx);
}

static void test_replay_window_cm(void **state)
{
    check_window(CM);
}

static void test_replay_window_gcm(void **state)
{
    check_window(GCM);
}

/* --- ours and libsrtp on one randomized stream ---------------------------- */

#define HIST_PKTS 4096

struct sent {
    uint8_t pkt[300];
    size_t len;
};

static uint32_t rng_state;

static uint32_t rng(void)
{
    rng_state ^= rng_state << 13;
    rng_state ^= rng_state >> 17;
    rng_state ^= rng_state << 5;
    return rng_state;
}

/* Four SSRCs; the sender moves on by 1 mostly, sometimes jumps (up to
 * 30000, or across a wrap); the network delivers fresh packets, resends old
 * ones (recent or up to 4096 back), and flips bits. Both receivers get the
 * same bytes and must give the same answer and, on success, the same
 * plaintext. */
static void check_differential(enum tsn_srtp_profile profile, uint32_t seed)
{
    static struct sent hist[HIST_PKTS];
    static const struct shape shapes[] = {
        {0, -1, 0, 60}, {2, 1, 0, 40}, {0, 0, 3, 20}, {1, -1, 0, 0}, {0, 2, 0, 100}};
    struct master m;
    master_pattern(profile, (uint8_t)seed, &m);
    struct tsn_srtp_in *in = ours(&m);
    struct tsn_srtp_out *o = sender(&m);
    srtp_t rx = ref_session(&m, 1);
    /* Where tsn_srtp_unprotect sends the SSRCs srtp_in declines (bit flips
     * in the SSRC make new ones once the four slots are taken). */
    srtp_t fallback = ref_session(&m, 1);
    uint32_t next_seq[4] = {0, 65500, 30000, 40000};
    size_t n_hist = 0;
    long counts[4] = {0}; /* accepted, replay, auth, other */
    rng_state = seed * 2654435761u + 1;
    for (int step = 0; step < 60000; step++) {
        uint8_t a[BUF_BYTES], b[BUF_BYTES];
        size_t len;
        uint32_t r = rng() % 100;
        if (r < 70 || n_hist == 0) {
            int s = (int)(rng() % 4);
            uint32_t jump = rng() % 500 == 0 ? rng() % 65536 : 1;
            next_seq[s] += jump;
            len = build_rtp(a, &shapes[rng() % 5], (uint16_t)next_seq[s], 0x1000u + (uint32_t)s);
            assert_int_equal(tsn_srtp_out_protect(o, a, &len, sizeof a), 0);
            assert_true(len <= sizeof hist[0].pkt);
            memcpy(hist[n_hist % HIST_PKTS].pkt, a, len);
            hist[n_hist % HIST_PKTS].len = len;
            n_hist++;
            if (rng() % 100 < 15)
                continue; /* held back: arrives late, if ever */
        } else {
            size_t window = n_hist < HIST_PKTS ? n_hist : HIST_PKTS;
            size_t back = r < 85 ? rng() % (window < 40 ? window : 40) : rng() % window;
            const struct sent *old = &hist[(n_hist - 1 - back) % HIST_PKTS];
            len = old->len;
            memcpy(a, old->pkt, len);
            if (r >= 95)
                a[rng() % len] ^= (uint8_t)(1u << (rng() % 8));
        }
        memcpy(b, a, len);
        size_t la = len, lb = len;
        int ra = tsn_srtp_in_unprotect(in, a, &la);
        if ((a[0] >> 6) != 2) {
            /* tsn_srtp_unprotect refuses these before either runs. */
            assert_int_equal(ra, -EBADMSG);
            counts[3]++;
            continue;
        }
        if (ra == DECLINED)
            ra = ref_unprotect(fallback, a, &la);
        int rb = ref_unprotect(rx, b, &lb);
        assert_int_equal(ra, rb);
        if (ra == 0) {
            assert_int_equal(la, lb);
            assert_memory_equal(a, b, la);
        }
        counts[ra == 0 ? 0 : ra == -EALREADY ? 1 : ra == -EACCES ? 2 : 3]++;
    }
    /* The stream did exercise every outcome. */
    assert_true(counts[0] > 15000);
    assert_true(counts[1] > 3000);
    assert_true(counts[2] > 500);
    tsn_srtp_in_free(in);
    tsn_srtp_out_free(o);
    srtp_dealloc(rx);
    srtp_dealloc(fallback);
}

static void test_same_answers_as_libsrtp_cm(void **state)
{
    check_differential(CM, 1);
    check_differential(CM, 2);
}

static void test_same_answers_as_libsrtp_gcm(void **state)
{
    check_differential(GCM, 3);
    check_differential(GCM, 4);
}

/* Fixed stories, sent and delivered in order, each on its own SSRC, where
 * the index estimate has edges: a jump of more than 2^15 while the ROC is
 * still 0 (libsrtp keeps ROC 0 while the newest index is at most 2^15), the
 * newest index exactly 2^15 and 2^15 + 1, a late packet from before a wrap,
 * a jump back of more than 2^15 (taken as the next ROC). Every answer must
 * be libsrtp's; most packets are accepted. */
static void check_stories(enum tsn_srtp_profile profile)
{
    static const int32_t stories[][10] = {
        {100, 40000, 40001, 7000, 7001, -1},
        {0, 32768, 1, 65535, 0, 2, -1},
        {32768, 1, 65535, 2, 32769, 3, -1},
        {32769, 1, 65535, 0, 3, -1},
        {65534, 65535, 0, 65533, 1, 32000, 65000, 100, -1},
        {5, 65534, 6, 7, -1},
        {40000, 1000, 50000, 8000, 8001, -1},
    };
    enum { N = sizeof stories / sizeof stories[0] };
    uint8_t a[BUF_BYTES], b[BUF_BYTES];
    int accepted = 0;
    for (int st = 0; st < N; st++) {
        struct master m;
        master_pattern(profile, (uint8_t)(50 + st), &m);
        struct tsn_srtp_in *in = ours(&m);
        struct tsn_srtp_out *o = sender(&m);
        srtp_t rx = ref_session(&m, 1);
        for (int k = 0; k < 10 && stories[st][k] >= 0; k++) {
            size_t len = make_srtp(o, (uint16_t)stories[st][k], 9, a);
            memcpy(b, a, len);
            size_t la = len, lb = len;
            int ra = tsn_srtp_in_unprotect(in, a, &la);
            assert_int_equal(ra, ref_unprotect(rx, b, &lb));
            if (ra == 0) {
                assert_memory_equal(a, b, la);
                accepted++;
            }
        }
        tsn_srtp_in_free(in);
        tsn_srtp_out_free(o);
        srtp_dealloc(rx);
    }
    assert_true(accepted >= 30);
}

static void test_index_estimate_stories(void **state)
{
    check_stories(CM);
    check_stories(GCM);
}

/* --- tampering ------------------------------------------------------------ */

/* A flipped bit in the tag, payload or header is refused with -EACCES and
 * the buffer untouched; the window and ROC do not move: the next valid
 * packet is accepted, and so is the tampered one when it comes intact. A
 * forged sequence number far ahead does not push older packets out. */
static void check_tamper(enum tsn_srtp_profile profile)
{
    static const struct shape sh = {2, 1, 3, 300};
    struct master m;
    master_pattern(profile, 11, &m);
    struct tsn_srtp_in *in = ours(&m);
    struct tsn_srtp_out *o = sender(&m);
    const uint32_t ssrc = 42;
    uint8_t pkt[BUF_BYTES], bad[BUF_BYTES], plain[BUF_BYTES];
    for (uint16_t seq = 100; seq < 110; seq++) {
        size_t len = make_srtp(o, seq, ssrc, pkt);
        assert_int_equal(try_in(in, pkt, len, seq, ssrc), 0);
    }
    size_t plen = build_rtp(plain, &sh, 110, ssrc);
    size_t len = plen;
    memcpy(pkt, plain, plen);
    assert_int_equal(tsn_srtp_out_protect(o, pkt, &len, sizeof pkt), 0);
    /* Header (M bit, seq low and high byte, timestamp, SSRC, CSRC,
     * extension), payload, tag. */
    size_t spots[] = {1, 2, 3, 5, 9, 12, 20, 30, 100, len - m.tag - 1, len - m.tag, len - 1};
    for (size_t i = 0; i < sizeof spots / sizeof spots[0]; i++) {
        for (int bit = 0; bit < 8; bit += 3) {
            size_t n = len;
            memcpy(bad, pkt, len);
            bad[spots[i]] ^= (uint8_t)(1u << bit);
            uint8_t copy[BUF_BYTES];
            memcpy(copy, bad, len);
            /* A flipped sequence number may name an index already seen:
             * the replay check comes first, as in libsrtp. */
            uint16_t seq = (uint16_t)((bad[2] << 8) | bad[3]);
            int want = seq >= 100 && seq < 110 ? -EALREADY : -EACCES;
            assert_int_equal(tsn_srtp_in_unprotect(in, bad, &n), want);
            assert_int_equal(n, len);
            assert_memory_equal(bad, copy, len);
        }
    }
    /* The tag cut short by one byte also fails. */
    size_t n = len - 1;
    memcpy(bad, pkt, len);
    assert_int_equal(tsn_srtp_in_unprotect(in, bad, &n), -EACCES);
    /* A valid later packet, then the tampered one intact. */
    size_t len2 = make_srtp(o, 111, ssrc, bad);
    assert_int_equal(try_in(in, bad, len2, 111, ssrc), 0);
    n = len;
    memcpy(bad, pkt, len);
    assert_int_equal(tsn_srtp_in_unprotect(in, bad, &n), 0);
    assert_int_equal(n, plen);
    assert_memory_equal(bad, plain, plen);

    /* Seq forged to 111 + 3000 on packet 112: refused, and 112 itself,
     * which a moved window would have dropped as too old, still passes. */
    len2 = make_srtp(o, 112, ssrc, pkt);
    memcpy(bad, pkt, len2);
    bad[2] = (uint8_t)((111 + 3000) >> 8);
    bad[3] = (uint8_t)(111 + 3000);
    n = len2;
    assert_int_equal(tsn_srtp_in_unprotect(in, bad, &n), -EACCES);
    assert_int_equal(try_in(in, pkt, len2, 112, ssrc), 0);
    /* A wrong key fails too. */
    struct master other;
    master_pattern(profile, 12, &other);
    struct tsn_srtp_in *wrong = ours(&other);
    len2 = make_srtp(o, 113, ssrc, pkt);
    assert_int_equal(try_in(wrong, pkt, len2, 113, ssrc), -EACCES);
    assert_int_equal(try_in(in, pkt, len2, 113, ssrc), 0);
    tsn_srtp_in_free(wrong);
    tsn_srtp_in_free(in);
    tsn_srtp_out_free(o);
}

static void test_tamper_cm(void **state)
{
    check_tamper(CM);
}

static void test_tamper_gcm(void **state)
{
    check_tamper(GCM);
}

/* Forged packets from new SSRCs take no slot: after many of them, four
 * genuine SSRCs are still all ours. A fifth is declined untouched. */
static void test_forged_ssrcs_take_no_slot(void **state)
{
    struct master m, other;
    master_pattern(GCM, 9, &m);
    master_pattern(GCM, 10, &other);
    struct tsn_srtp_in *in = ours(&m);
    srtp_t tx = ref_session(&m, 0), forger = ref_session(&other, 0);
    uint8_t pkt[BUF_BYTES];
    for (uint32_t ssrc = 1000; ssrc < 1010; ssrc++) {
        size_t len = make_ref_srtp(forger, 5, ssrc, pkt);
        assert_int_equal(try_in(in, pkt, len, 5, ssrc), -EACCES);
    }
    for (int round = 0; round < 2; round++) {
        for (uint32_t ssrc = 1; ssrc <= TSN_SRTP_IN_MAX_SSRCS; ssrc++) {
            size_t len = make_ref_srtp(tx, (uint16_t)(round + 10), ssrc, pkt);
            assert_int_equal(try_in(in, pkt, len, (uint16_t)(round + 10), ssrc), 0);
        }
        for (uint32_t ssrc = 1000; ssrc < 1003; ssrc++) {
            size_t len = make_ref_srtp(tx, (uint16_t)(round + 10), ssrc, pkt);
            assert_int_equal(try_in(in, pkt, len, (uint16_t)(round + 10), ssrc), DECLINED);
        }
    }
    tsn_srtp_in_free(in);
    srtp_dealloc(tx);
    srtp_dealloc(forger);
}

/* --- through tsn_srtp_unprotect -------------------------------------------- */

/* The DTLS client sends with the client half, the server receives with it.
 * Five SSRCs: the fifth goes through libsrtp in both directions and still
 * round-trips, wraps and catches replays and tampering; the first four go
 * through srtp_in. */
static void check_session_fifth_ssrc(enum tsn_srtp_profile profile)
{
    uint8_t material[60];
    struct tsn_srtp_keys keys;
    for (size_t i = 0; i < sizeof material; i++)
        material[i] = (uint8_t)(i * 13 + 5);
    assert_int_equal(
        tsn_srtp_keys_from_material(profile, material, tsn_srtp_material_len(profile), &keys), 0);
    struct tsn_srtp *tx = tsn_srtp_new(&keys, 0), *rx = tsn_srtp_new(&keys, 1);
    assert_non_null(tx);
    assert_non_null(rx);
    uint8_t plain[BUF_BYTES], buf[BUF_BYTES], again[BUF_BYTES];
    for (uint32_t i = 65000; i < 65536 + 300; i++) {
        for (uint32_t ssrc = 1; ssrc <= 5; ssrc++) {
            uint16_t seq = (uint16_t)(i + ssrc * 7);
            size_t plen = build_rtp(plain, &plain_shape, seq, ssrc);
            size_t len = plen;
            memcpy(buf, plain, plen);
            assert_int_equal(tsn_srtp_protect(tx, buf, &len, sizeof buf), 0);
            memcpy(again, buf, len);
            size_t len2 = len;
            if (i % 50 == 0) {
                again[len - 1] ^= 1;
                assert_int_equal(tsn_srtp_unprotect(rx, again, &len2), -EACCES);
                again[len - 1] ^= 1;
            }
            assert_int_equal(tsn_srtp_unprotect(rx, buf, &len), 0);
            assert_int_equal(len, plen);
            assert_memory_equal(buf, plain, plen);
            if (i % 50 == 1)
                assert_int_equal(tsn_srtp_unprotect(rx, again, &len2), -EALREADY);
        }
    }
    tsn_srtp_free(tx);
    tsn_srtp_free(rx);
}

static void test_session_fifth_ssrc_cm(void **state)
{
    check_session_fifth_ssrc(CM);
}

static void test_session_fifth_ssrc_gcm(void **state)
{
    check_session_fifth_ssrc(GCM);
}

/* --- bad input --------------------------------------------------------------- */

static void check_bad_input(enum tsn_srtp_profile profile)
{
    struct master m;
    master_pattern(profile, 1, &m);
    struct tsn_srtp_in *in = ours(&m);
    uint8_t buf[BUF_BYTES];
    size_t len;
    memset(buf, 0x80, sizeof buf);
    for (size_t n = 0; n < 12; n++) {
        len = n;
        assert_int_equal(tsn_srtp_in_unprotect(in, buf, &len), -EBADMSG);
        assert_int_equal(len, n);
    }
    assert_int_equal(tsn_srtp_in_unprotect(NULL, buf, &len), -EINVAL);
    assert_int_equal(tsn_srtp_in_unprotect(in, NULL, &len), -EINVAL);
    assert_int_equal(tsn_srtp_in_unprotect(in, buf, NULL), -EINVAL);

    /* Version 1; then a header alone with no room for a tag. */
    static const struct shape csrcs = {15, -1, 0, 0};
    size_t full = build_rtp(buf, &csrcs, 1, 1); /* 72 bytes */
    buf[0] = (uint8_t)((buf[0] & 0x3f) | 0x40);
    len = full + m.tag;
    assert_int_equal(tsn_srtp_in_unprotect(in, buf, &len), -EBADMSG);
    buf[0] ^= 0xc0; /* version 2 */
    for (len = 12; len < full + m.tag; len++) {
        size_t l = len;
        assert_int_equal(tsn_srtp_in_unprotect(in, buf, &l), -EBADMSG);
    }
    static const struct shape ext = {0, 2, 0, 0};
    full = build_rtp(buf, &ext, 2, 1); /* 24 bytes */
    for (len = 12; len < full + m.tag; len++) {
        size_t l = len;
        assert_int_equal(tsn_srtp_in_unprotect(in, buf, &l), -EBADMSG);
    }
    buf[14] = 0xff; /* 65280 + 2 words claimed */
    len = 1000;
    assert_int_equal(tsn_srtp_in_unprotect(in, buf, &len), -EBADMSG);

    /* Garbage: never accepted, never a crash, always a defined answer; the
     * session gives -EBADMSG, -EACCES or -EALREADY only. */
    uint8_t material[60];
    struct tsn_srtp_keys keys;
    memset(material, 0x5a, sizeof material);
    assert_int_equal(
        tsn_srtp_keys_from_material(profile, material, tsn_srtp_material_len(profile), &keys), 0);
    struct tsn_srtp *s = tsn_srtp_new(&keys, 1);
    assert_non_null(s);
    rng_state = 12345;
    for (int i = 0; i < 20000; i++) {
        size_t n = rng() % 200;
        for (size_t k = 0; k < n; k++)
            buf[k] = (uint8_t)rng();
        if (i % 2)
            buf[0] = (uint8_t)(0x80 | (buf[0] & 0x3f));
        len = n;
        int rc = tsn_srtp_in_unprotect(in, buf, &len);
        assert_true(rc == -EBADMSG || rc == -EACCES || rc == -EALREADY || rc == DECLINED);
        assert_int_equal(len, n);
        rc = tsn_srtp_unprotect(s, buf, &len);
        assert_true(rc == -EBADMSG || rc == -EACCES || rc == -EALREADY);
        assert_int_equal(len, n);
    }
    tsn_srtp_free(s);
    tsn_srtp_in_free(in);
}

static void test_bad_input(void **state)
{
    check_bad_input(CM);
    check_bad_input(GCM);
    struct master m;
    master_pattern(CM, 1, &m);
    assert_null(tsn_srtp_in_new(CM, m.key, 16, m.salt, 12));
    assert_null(tsn_srtp_in_new(GCM, m.key, 16, m.salt, 14));
    assert_null(tsn_srtp_in_new(CM, m.key, 32, m.salt, 14));
    assert_null(tsn_srtp_in_new(CM, NULL, 16, m.salt, 14));
    assert_null(tsn_srtp_in_new(CM, m.key, 16, NULL, 14));
    assert_null(tsn_srtp_in_new((enum tsn_srtp_profile)2, m.key, 16, m.salt, 14));
    tsn_srtp_in_free(NULL);
    struct tsn_srtp_session_keys k;
    assert_int_equal(tsn_srtp_kdf(CM, m.key, 16, m.salt, 12, &k), -EINVAL);
    assert_int_equal(tsn_srtp_kdf(CM, m.key, 16, m.salt, 14, NULL), -EINVAL);
}

/* RFC 3711 B.3: the derived session keys for the AES-CM master key. */
static void test_kdf_vector(void **state)
{
    static const uint8_t cipher_key[16] = {0xc6, 0x1e, 0x7a, 0x93, 0x74, 0x4f, 0x39, 0xee,
                                           0x10, 0x73, 0x4a, 0xfe, 0x3f, 0xf7, 0xa0, 0x87};
    static const uint8_t salt[14] = {0x30, 0xcb, 0xbc, 0x08, 0x86, 0x3d, 0x8c,
                                     0x85, 0xd4, 0x9d, 0xb3, 0x4a, 0x9a, 0xe1};
    static const uint8_t auth_key[20] = {0xce, 0xbe, 0x32, 0x1f, 0x6f, 0xf7, 0x71,
                                         0x6b, 0x6f, 0xd4, 0xab, 0x49, 0xaf, 0x25,
                                         0x6a, 0x15, 0x6d, 0x38, 0xba, 0xa4};
    static const uint8_t master_key[16] = {0xe1, 0xf9, 0x7a, 0x0d, 0x3e, 0x01, 0x8b, 0xe0,
                                           0xd6, 0x4f, 0xa3, 0x2c, 0x06, 0xde, 0x41, 0x39};
    static const uint8_t master_salt[14] = {0x0e, 0xc6, 0x75, 0xad, 0x49, 0x8a, 0xfe,
                                            0xeb, 0xb6, 0x96, 0x0b, 0x3a, 0xab, 0xe6};
    struct tsn_srtp_session_keys k;
    assert_int_equal(tsn_srtp_kdf(CM, master_key, 16, master_salt, 14, &k), 0);
    assert_memory_equal(k.cipher_key, cipher_key, 16);
    assert_memory_equal(k.salt, salt, 14);
    assert_memory_equal(k.auth_key, auth_key, 20);
}

/* --- no allocation per packet ---------------------------------------------- */

static void check_no_alloc(enum tsn_srtp_profile profile)
{
    enum { PKTS = 20000 };
    static const struct shape sh = {0, -1, 0, 1188};
    static uint8_t pkts[64][BUF_BYTES];
    static size_t lens[64];
    struct master m;
    master_pattern(profile, 21, &m);
    struct tsn_srtp_in *in = ours(&m);
    struct tsn_srtp_out *o = sender(&m);
    uint8_t buf[BUF_BYTES];
    assert_true(mem_hooked);
    long before = openssl_allocs, protect_allocs = 0;
    for (uint32_t i = 0; i < PKTS; i++) {
        /* Protect 64 at a time (counted apart), then unprotect them, with
         * one tampered copy per batch to cover the failure path. */
        if (i % 64 == 0) {
            long t = openssl_allocs;
            for (uint32_t k = 0; k < 64; k++) {
                lens[k] = build_rtp(pkts[k], &sh, (uint16_t)(i + k), 1);
                assert_int_equal(tsn_srtp_out_protect(o, pkts[k], &lens[k], BUF_BYTES), 0);
            }
            protect_allocs += openssl_allocs - t;
            memcpy(buf, pkts[0], lens[0]);
            buf[100] ^= 1;
            size_t len = lens[0];
            assert_int_equal(tsn_srtp_in_unprotect(in, buf, &len), -EACCES);
        }
        size_t len = lens[i % 64];
        memcpy(buf, pkts[i % 64], len);
        assert_int_equal(tsn_srtp_in_unprotect(in, buf, &len), 0);
    }
    assert_int_equal(protect_allocs, 0);
    assert_int_equal(openssl_allocs - before, 0);
    /* The counter does see OpenSSL allocating: creating an object does. */
    struct tsn_srtp_in *in2 = ours(&m);
    assert_true(openssl_allocs - before > 0);
    tsn_srtp_in_free(in2);
    tsn_srtp_in_free(in);
    tsn_srtp_out_free(o);
}

static void test_no_openssl_alloc_per_packet(void **state)
{
    check_no_alloc(CM);
    check_no_alloc(GCM);
}

int main(void)
{
    /* Must come before OpenSSL's first allocation. */
    mem_hooked = CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_known_vectors),
        cmocka_unit_test(test_kdf_vector),
        cmocka_unit_test(test_libsrtp_shapes_cm),
        cmocka_unit_test(test_libsrtp_shapes_gcm),
        cmocka_unit_test(test_sequence_wrap_cm),
        cmocka_unit_test(test_sequence_wrap_gcm),
        cmocka_unit_test(test_replay_window_cm),
        cmocka_unit_test(test_replay_window_gcm),
        cmocka_unit_test(test_index_estimate_stories),
        cmocka_unit_test(test_same_answers_as_libsrtp_cm),
        cmocka_unit_test(test_same_answers_as_libsrtp_gcm),
        cmocka_unit_test(test_tamper_cm),
        cmocka_unit_test(test_tamper_gcm),
        cmocka_unit_test(test_forged_ssrcs_take_no_slot),
        cmocka_unit_test(test_session_fifth_ssrc_cm),
        cmocka_unit_test(test_session_fifth_ssrc_gcm),
        cmocka_unit_test(test_bad_input),
        cmocka_unit_test(test_no_openssl_alloc_per_packet),
    };
    return cmocka_run_group_tests(tests, group_setup, NULL);
}
