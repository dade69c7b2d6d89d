/* tsn-bench-srtp: outbound SRTP protect throughput on one thread, 1,200-byte
 * RTP packets, for each profile: libsrtp's srtp_protect (the Debian build's
 * NSS backend), srtp_out (OpenSSL) directly, and tsn_srtp_protect (the
 * relay's call, which routes to srtp_out). Each iteration copies the
 * plaintext into the buffer first, as the relay copies it into a send slot,
 * then protects it with the next sequence number. Then inbound unprotect the
 * same way ("unprotect" in the output): libsrtp's srtp_unprotect, srtp_in
 * directly, and tsn_srtp_unprotect (which routes to srtp_in); packets are
 * protected ahead in batches, untimed, and each is copied then unprotected.
 * Prints one JSON line.
 *
 *   tsn-bench-srtp [seconds per case, default 1.0]
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <srtp2/srtp.h>

#include "srtp_in.h"
#include "srtp_out.h"
#include "srtp_session.h"

#define PACKET_BYTES 1200
#define BUF_BYTES    1500
#define BATCH_PKTS   1000

enum impl { IMPL_LIBSRTP, IMPL_SRTP_OUT, IMPL_SESSION };

struct bench_case {
    enum tsn_srtp_profile profile;
    srtp_t ref;               /* IMPL_LIBSRTP */
    struct tsn_srtp_out *out; /* IMPL_SRTP_OUT */
    struct tsn_srtp *session; /* IMPL_SESSION */
};

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static srtp_t libsrtp_out(enum tsn_srtp_profile profile, const uint8_t *key, const uint8_t *salt,
                          size_t salt_len)
{
    uint8_t master[30] = {0};
    srtp_policy_t pol;
    srtp_t s = NULL;
    memset(&pol, 0, sizeof pol);
    if (profile == TSN_SRTP_AEAD_AES_128_GCM) {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
    } else {
        srtp_crypto_policy_set_rtp_default(&pol.rtp);
        srtp_crypto_policy_set_rtcp_default(&pol.rtcp);
    }
    memcpy(master, key, 16);
    memcpy(master + 16, salt, salt_len);
    pol.key = master;
    pol.ssrc.type = ssrc_any_outbound;
    pol.window_size = 4096;
    pol.allow_repeat_tx = 1;
    return srtp_create(&s, &pol) == srtp_err_status_ok ? s : NULL;
}

static int setup_case(struct bench_case *c, enum tsn_srtp_profile profile)
{
    size_t salt_len = profile == TSN_SRTP_AEAD_AES_128_GCM ? 12 : 14;
    uint8_t material[60];
    struct tsn_srtp_keys keys;
    for (size_t i = 0; i < sizeof material; i++)
        material[i] = (uint8_t)(i * 13 + 5);
    if (tsn_srtp_keys_from_material(profile, material, tsn_srtp_material_len(profile), &keys))
        return -EINVAL;
    memset(c, 0, sizeof *c);
    c->profile = profile;
    /* All three send with the DTLS server's half. */
    c->ref = libsrtp_out(profile, keys.server_key, keys.server_salt, salt_len);
    c->out = tsn_srtp_out_new(profile, keys.server_key, 16, keys.server_salt, salt_len);
    c->session = tsn_srtp_new(&keys, 1);
    return c->ref && c->out && c->session ? 0 : -EIO;
}

static void free_case(struct bench_case *c)
{
    if (c->ref)
        srtp_dealloc(c->ref);
    tsn_srtp_out_free(c->out);
    tsn_srtp_free(c->session);
}

static int protect_one(struct bench_case *c, enum impl impl, uint8_t *buf, size_t *len)
{
    switch (impl) {
    case IMPL_LIBSRTP: {
        int n = (int)*len;
        if (srtp_protect(c->ref, buf, &n) != srtp_err_status_ok)
            return -EIO;
        *len = (size_t)n;
        return 0;
    }
    case IMPL_SRTP_OUT:
        return tsn_srtp_out_protect(c->out, buf, len, BUF_BYTES);
    case IMPL_SESSION:
        return tsn_srtp_protect(c->session, buf, len, BUF_BYTES);
    }
    return -EINVAL;
}

/* Packets per second for `seconds`, or a negative code. Each case gets its
 * own SSRC so the sessions' sequence state never mixes. */
static double run(struct bench_case *c, enum impl impl, double seconds)
{
    uint8_t plain[BUF_BYTES], buf[BUF_BYTES];
    memset(plain, 0, sizeof plain);
    plain[0] = 0x80;
    plain[1] = 96;
    plain[11] = (uint8_t)(impl + 1);
    for (size_t i = 12; i < PACKET_BYTES; i++)
        plain[i] = (uint8_t)(i * 7);
    uint32_t seq = 0;
    uint64_t packets = 0;
    double start = now_s(), elapsed;
    do {
        for (int i = 0; i < BATCH_PKTS; i++, seq++) {
            size_t len = PACKET_BYTES;
            memcpy(buf, plain, PACKET_BYTES);
            buf[2] = (uint8_t)(seq >> 8);
            buf[3] = (uint8_t)seq;
            if (protect_one(c, impl, buf, &len) != 0)
                return -1;
        }
        packets += BATCH_PKTS;
        elapsed = now_s() - start;
    } while (elapsed < seconds);
    return (double)packets / elapsed;
}

/* --- unprotect -------------------------------------------------------------- */

enum in_impl { IN_LIBSRTP, IN_SRTP_IN, IN_SESSION };

struct in_case {
    enum tsn_srtp_profile profile;
    struct tsn_srtp_out *sender; /* the DTLS client's half: what the session receives */
    srtp_t ref;                  /* IN_LIBSRTP */
    struct tsn_srtp_in *in;      /* IN_SRTP_IN */
    struct tsn_srtp *session;    /* IN_SESSION, as DTLS server */
};

static srtp_t libsrtp_in(enum tsn_srtp_profile profile, const uint8_t *key, const uint8_t *salt,
                         size_t salt_len)
{
    uint8_t master[30] = {0};
    srtp_policy_t pol;
    srtp_t s = NULL;
    memset(&pol, 0, sizeof pol);
    if (profile == TSN_SRTP_AEAD_AES_128_GCM) {
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol.rtcp);
    } else {
        srtp_crypto_policy_set_rtp_default(&pol.rtp);
        srtp_crypto_policy_set_rtcp_default(&pol.rtcp);
    }
    memcpy(master, key, 16);
    memcpy(master + 16, salt, salt_len);
    pol.key = master;
    pol.ssrc.type = ssrc_any_inbound;
    pol.window_size = 1024;
    return srtp_create(&s, &pol) == srtp_err_status_ok ? s : NULL;
}

static int setup_in_case(struct in_case *c, enum tsn_srtp_profile profile)
{
    size_t salt_len = profile == TSN_SRTP_AEAD_AES_128_GCM ? 12 : 14;
    uint8_t material[60];
    struct tsn_srtp_keys keys;
    for (size_t i = 0; i < sizeof material; i++)
        material[i] = (uint8_t)(i * 13 + 5);
    memset(c, 0, sizeof *c);
    if (tsn_srtp_keys_from_material(profile, material, tsn_srtp_material_len(profile), &keys))
        return -EINVAL;
    c->profile = profile;
    c->sender = tsn_srtp_out_new(profile, keys.client_key, 16, keys.client_salt, salt_len);
    c->ref = libsrtp_in(profile, keys.client_key, keys.client_salt, salt_len);
    c->in = tsn_srtp_in_new(profile, keys.client_key, 16, keys.client_salt, salt_len);
    c->session = tsn_srtp_new(&keys, 1);
    return c->sender && c->ref && c->in && c->session ? 0 : -EIO;
}

static void free_in_case(struct in_case *c)
{
    tsn_srtp_out_free(c->sender);
    if (c->ref)
        srtp_dealloc(c->ref);
    tsn_srtp_in_free(c->in);
    tsn_srtp_free(c->session);
}

static int unprotect_one(struct in_case *c, enum in_impl impl, uint8_t *buf, size_t *len)
{
    switch (impl) {
    case IN_LIBSRTP: {
        int n = (int)*len;
        if (srtp_unprotect(c->ref, buf, &n) != srtp_err_status_ok)
            return -EIO;
        *len = (size_t)n;
        return 0;
    }
    case IN_SRTP_IN:
        return tsn_srtp_in_unprotect(c->in, buf, len);
    case IN_SESSION:
        return tsn_srtp_unprotect(c->session, buf, len);
    }
    return -EINVAL;
}

/* Unprotected packets per second over `seconds` of unprotect time (the
 * untimed protect of each batch comes on top), or a negative code. */
static double run_in(struct in_case *c, enum in_impl impl, double seconds)
{
    static uint8_t batch[BATCH_PKTS][BUF_BYTES];
    static size_t lens[BATCH_PKTS];
    uint8_t buf[BUF_BYTES];
    uint32_t seq = 0;
    uint64_t packets = 0;
    double timed = 0;
    do {
        for (int i = 0; i < BATCH_PKTS; i++, seq++) {
            uint8_t *p = batch[i];
            memset(p, 0, PACKET_BYTES);
            p[0] = 0x80;
            p[1] = 96;
            p[2] = (uint8_t)(seq >> 8);
            p[3] = (uint8_t)seq;
            p[11] = (uint8_t)(impl + 1);
            for (size_t k = 12; k < PACKET_BYTES; k++)
                p[k] = (uint8_t)(k * 7);
            lens[i] = PACKET_BYTES;
            if (tsn_srtp_out_protect(c->sender, p, &lens[i], BUF_BYTES) != 0)
                return -1;
        }
        double start = now_s();
        for (int i = 0; i < BATCH_PKTS; i++) {
            size_t len = lens[i];
            memcpy(buf, batch[i], len);
            if (unprotect_one(c, impl, buf, &len) != 0 || len != PACKET_BYTES)
                return -1;
        }
        timed += now_s() - start;
        packets += BATCH_PKTS;
    } while (timed < seconds);
    return (double)packets / timed;
}

/* Prints the "unprotect" array; 0 or a negative code. */
static int bench_unprotect(const enum tsn_srtp_profile *profiles, size_t n, double seconds)
{
    printf(",\"unprotect\":[");
    for (size_t p = 0; p < n; p++) {
        struct in_case c;
        if (setup_in_case(&c, profiles[p]) != 0) {
            fprintf(stderr, "tsn-bench-srtp: unprotect setup failed\n");
            free_in_case(&c);
            return -EIO;
        }
        double lib = run_in(&c, IN_LIBSRTP, seconds);
        double in = run_in(&c, IN_SRTP_IN, seconds);
        double ses = run_in(&c, IN_SESSION, seconds);
        free_in_case(&c);
        if (lib < 0 || in < 0 || ses < 0) {
            fprintf(stderr, "tsn-bench-srtp: unprotect failed\n");
            return -EIO;
        }
        printf("%s{\"profile\":\"%s\",\"libsrtp_pps\":%.0f,\"srtp_in_pps\":%.0f,"
               "\"tsn_srtp_unprotect_pps\":%.0f,\"speedup\":%.2f}",
               p ? "," : "", tsn_srtp_profile_name(profiles[p]), lib, in, ses, ses / lib);
    }
    printf("]");
    return 0;
}

int main(int argc, char **argv)
{
    double seconds = argc > 1 ? atof(argv[1]) : 1.0;
    if (seconds <= 0 || tsn_srtp_global_init() != 0) {
        fprintf(stderr, "usage: tsn-bench-srtp [seconds per case]\n");
        return 2;
    }
    static const enum tsn_srtp_profile profiles[] = {TSN_SRTP_AES128_CM_SHA1_80,
                                                     TSN_SRTP_AEAD_AES_128_GCM};
    printf(
        "{\"bench\":\"srtp_protect\",\"packet_bytes\":%d,\"threads\":1,\"seconds_per_case\":%.2f,"
        "\"profiles\":[",
        PACKET_BYTES, seconds);
    for (size_t p = 0; p < 2; p++) {
        struct bench_case c;
        if (setup_case(&c, profiles[p]) != 0) {
            fprintf(stderr, "tsn-bench-srtp: setup failed\n");
            free_case(&c);
            return 1;
        }
        double lib = run(&c, IMPL_LIBSRTP, seconds);
        double out = run(&c, IMPL_SRTP_OUT, seconds);
        double ses = run(&c, IMPL_SESSION, seconds);
        free_case(&c);
        if (lib < 0 || out < 0 || ses < 0) {
            fprintf(stderr, "tsn-bench-srtp: protect failed\n");
            return 1;
        }
        printf("%s{\"profile\":\"%s\",\"libsrtp_pps\":%.0f,\"srtp_out_pps\":%.0f,"
               "\"tsn_srtp_protect_pps\":%.0f,\"speedup\":%.2f}",
               p ? "," : "", tsn_srtp_profile_name(profiles[p]), lib, out, ses, ses / lib);
    }
    printf("]");
    if (bench_unprotect(profiles, 2, seconds) != 0)
        return 1;
    printf("}\n");
    return 0;
}
