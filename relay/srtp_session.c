/* SRTP/SRTCP for one DTLS-SRTP association over libsrtp2. Two libsrtp
 * sessions are created once from the exported keys: the outbound one with our
 * own half of the material, the inbound one with the peer's. Each accepts any
 * SSRC (libsrtp clones its template stream the first time it sees an SSRC,
 * which allocates once per SSRC, never per packet). This module does not parse
 * RTP beyond the minimum libsrtp needs, and does not know about DTLS.
 *
 * RTP on the forwarding path goes through OpenSSL instead (no lock and no
 * allocation per packet): outbound through srtp_out, once per subscriber
 * per forwarded packet, and inbound through srtp_in, once per publisher
 * packet; libsrtp's NSS backend locks and allocates on every packet.
 * libsrtp keeps SRTCP both ways and RTP for any SSRC past the few that
 * srtp_out and srtp_in each track; each SSRC stays on one of the two for
 * good, so its rollover counter and replay window live in one place. */
#include "srtp_session.h"

#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include <srtp2/srtp.h>

#include "log.h"
#include "srtp_in.h"
#include "srtp_out.h"

#define SRTP_KEY_BYTES      16
#define SRTP_CM_SALT_BYTES  14
#define SRTP_GCM_SALT_BYTES 12
#define SRTP_RTP_HDR_BYTES  12
#define SRTP_RTCP_HDR_BYTES 8
#define SRTCP_INDEX_BYTES   4 /* E flag + 31-bit SRTCP index */
#define SRTP_CM_TAG_BYTES   10
#define SRTP_GCM_TAG_BYTES  16
/* Inbound: how far out of order a packet may arrive and still be accepted;
 * srtp_in uses the same window. */
#define SRTP_IN_WINDOW_PKTS TSN_SRTP_IN_WINDOW_PKTS
/* Outbound through libsrtp (SSRCs srtp_out declined): protecting an index
 * again (a NACK retransmission from the cache) is refused by libsrtp once it
 * is older than the window, even with allow_repeat_tx; 4096 packets is ~12 s
 * of a 2 Mbit/s stream, 512 bytes of bitmap per stream. srtp_out has no
 * such limit. */
#define SRTP_OUT_WINDOW_PKTS 4096

struct tsn_srtp {
    srtp_t in;  /* owned; the peer's key */
    srtp_t out; /* owned; our key */
    /* owned; our key again: outbound RTP for the first few SSRCs */
    struct tsn_srtp_out *fast_out;
    /* owned; the peer's key again: inbound RTP for the first few SSRCs */
    struct tsn_srtp_in *fast_in;
    enum tsn_srtp_profile profile;
    size_t rtp_trailer_bytes;  /* what protect appends to RTP */
    size_t rtcp_trailer_bytes; /* what protect_rtcp appends to RTCP */
};

static pthread_once_t srtp_once = PTHREAD_ONCE_INIT;
static srtp_err_status_t srtp_init_status = srtp_err_status_init_fail;

static void srtp_init_once(void)
{
    srtp_init_status = srtp_init();
}

int tsn_srtp_global_init(void)
{
    pthread_once(&srtp_once, srtp_init_once);
    if (srtp_init_status != srtp_err_status_ok) {
        tsn_err("srtp: srtp_init failed (libsrtp status %d)", (int)srtp_init_status);
        return -EIO;
    }
    return 0;
}

static size_t salt_len_of(enum tsn_srtp_profile profile)
{
    switch (profile) {
    case TSN_SRTP_AES128_CM_SHA1_80:
        return SRTP_CM_SALT_BYTES;
    case TSN_SRTP_AEAD_AES_128_GCM:
        return SRTP_GCM_SALT_BYTES;
    }
    return 0;
}

size_t tsn_srtp_material_len(enum tsn_srtp_profile profile)
{
    size_t salt = salt_len_of(profile);
    return salt ? 2 * (SRTP_KEY_BYTES + salt) : 0;
}

const char *tsn_srtp_profile_name(enum tsn_srtp_profile p)
{
    switch (p) {
    case TSN_SRTP_AES128_CM_SHA1_80:
        return "SRTP_AES128_CM_SHA1_80";
    case TSN_SRTP_AEAD_AES_128_GCM:
        return "SRTP_AEAD_AES_128_GCM";
    }
    return "unknown";
}

/* RFC 5764 4.2: client_key || server_key || client_salt || server_salt. */
int tsn_srtp_keys_from_material(enum tsn_srtp_profile profile, const uint8_t *material, size_t len,
                                struct tsn_srtp_keys *out)
{
    size_t need = tsn_srtp_material_len(profile);
    if (!out)
        return -EINVAL;
    memset(out, 0, sizeof *out);
    if (need == 0 || !material || len < need)
        return -EINVAL;
    size_t salt = salt_len_of(profile);
    const uint8_t *p = material;
    out->profile = profile;
    out->key_len = SRTP_KEY_BYTES;
    out->salt_len = salt;
    memcpy(out->client_key, p, SRTP_KEY_BYTES);
    p += SRTP_KEY_BYTES;
    memcpy(out->server_key, p, SRTP_KEY_BYTES);
    p += SRTP_KEY_BYTES;
    memcpy(out->client_salt, p, salt);
    p += salt;
    memcpy(out->server_salt, p, salt);
    return 0;
}

static int set_crypto_policies(srtp_policy_t *pol, enum tsn_srtp_profile profile)
{
    switch (profile) {
    case TSN_SRTP_AES128_CM_SHA1_80:
        srtp_crypto_policy_set_rtp_default(&pol->rtp);
        srtp_crypto_policy_set_rtcp_default(&pol->rtcp);
        return 0;
    case TSN_SRTP_AEAD_AES_128_GCM:
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol->rtp);
        srtp_crypto_policy_set_aes_gcm_128_16_auth(&pol->rtcp);
        return 0;
    }
    return -EINVAL;
}

/* One libsrtp session for one direction. libsrtp derives its session keys in
 * srtp_create and keeps no pointer to `master` (key || salt). */
static srtp_t create_session(enum tsn_srtp_profile profile, const uint8_t *key, const uint8_t *salt,
                             size_t salt_len, int inbound)
{
    uint8_t master[SRTP_KEY_BYTES + SRTP_CM_SALT_BYTES];
    srtp_policy_t pol;
    srtp_t session = NULL;

    memset(&pol, 0, sizeof pol);
    if (set_crypto_policies(&pol, profile) != 0)
        return NULL;
    memcpy(master, key, SRTP_KEY_BYTES);
    memcpy(master + SRTP_KEY_BYTES, salt, salt_len);
    pol.key = master;
    pol.ssrc.type = inbound ? ssrc_any_inbound : ssrc_any_outbound;
    pol.window_size = inbound ? SRTP_IN_WINDOW_PKTS : SRTP_OUT_WINDOW_PKTS;
    pol.allow_repeat_tx = inbound ? 0 : 1;
    pol.next = NULL;

    srtp_err_status_t st = srtp_create(&session, &pol);
    explicit_bzero(master, sizeof master);
    if (st != srtp_err_status_ok) {
        tsn_err("srtp: srtp_create (%s) failed: libsrtp status %d",
                inbound ? "inbound" : "outbound", (int)st);
        return NULL;
    }
    return session;
}

struct tsn_srtp *tsn_srtp_new(const struct tsn_srtp_keys *keys, int is_dtls_server)
{
    if (!keys || keys->key_len != SRTP_KEY_BYTES || salt_len_of(keys->profile) == 0 ||
        keys->salt_len != salt_len_of(keys->profile))
        return NULL;
    struct tsn_srtp *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->profile = keys->profile;
    int gcm = keys->profile == TSN_SRTP_AEAD_AES_128_GCM;
    s->rtp_trailer_bytes = gcm ? SRTP_GCM_TAG_BYTES : SRTP_CM_TAG_BYTES;
    s->rtcp_trailer_bytes = s->rtp_trailer_bytes + SRTCP_INDEX_BYTES;

    /* The DTLS server sends with the server half and receives with the
     * client half; the client the other way round. */
    const uint8_t *own_key = is_dtls_server ? keys->server_key : keys->client_key;
    const uint8_t *own_salt = is_dtls_server ? keys->server_salt : keys->client_salt;
    const uint8_t *peer_key = is_dtls_server ? keys->client_key : keys->server_key;
    const uint8_t *peer_salt = is_dtls_server ? keys->client_salt : keys->server_salt;

    s->out = create_session(keys->profile, own_key, own_salt, keys->salt_len, 0);
    if (!s->out)
        goto fail;
    s->fast_out =
        tsn_srtp_out_new(keys->profile, own_key, SRTP_KEY_BYTES, own_salt, keys->salt_len);
    if (!s->fast_out)
        goto fail;
    s->in = create_session(keys->profile, peer_key, peer_salt, keys->salt_len, 1);
    if (!s->in)
        goto fail;
    s->fast_in =
        tsn_srtp_in_new(keys->profile, peer_key, SRTP_KEY_BYTES, peer_salt, keys->salt_len);
    if (!s->fast_in)
        goto fail;
    return s;
fail:
    tsn_srtp_free(s);
    return NULL;
}

void tsn_srtp_free(struct tsn_srtp *s)
{
    if (!s)
        return;
    if (s->in)
        srtp_dealloc(s->in);
    if (s->out)
        srtp_dealloc(s->out);
    tsn_srtp_out_free(s->fast_out);
    tsn_srtp_in_free(s->fast_in);
    free(s);
}

static int map_status(srtp_err_status_t st)
{
    switch (st) {
    case srtp_err_status_ok:
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

/* The version bits must say 2 for both RTP and RTCP (RFC 3550). */
static int is_version_2(const uint8_t *buf)
{
    return (buf[0] >> 6) == 2;
}

int tsn_srtp_protect(struct tsn_srtp *s, uint8_t *buf, size_t *len, size_t cap)
{
    if (!s || !buf || !len || *len < SRTP_RTP_HDR_BYTES || !is_version_2(buf))
        return -EINVAL;
    /* libsrtp writes the tag after the packet without knowing the buffer
     * size: the room is checked here. */
    if (*len > INT_MAX - s->rtp_trailer_bytes || cap < *len + s->rtp_trailer_bytes)
        return -ENOSPC;
    int rc = tsn_srtp_out_protect(s->fast_out, buf, len, cap);
    if (rc != TSN_SRTP_OUT_DECLINED)
        return rc;
    int n = (int)*len;
    rc = map_status(srtp_protect(s->out, buf, &n));
    if (rc == 0)
        *len = (size_t)n;
    return rc;
}

int tsn_srtp_protect_rtcp(struct tsn_srtp *s, uint8_t *buf, size_t *len, size_t cap)
{
    if (!s || !buf || !len || *len < SRTP_RTCP_HDR_BYTES || !is_version_2(buf))
        return -EINVAL;
    if (*len > INT_MAX - s->rtcp_trailer_bytes || cap < *len + s->rtcp_trailer_bytes)
        return -ENOSPC;
    int n = (int)*len;
    int rc = map_status(srtp_protect_rtcp(s->out, buf, &n));
    if (rc == 0)
        *len = (size_t)n;
    return rc;
}

int tsn_srtp_unprotect(struct tsn_srtp *s, uint8_t *buf, size_t *len)
{
    if (!s || !buf || !len)
        return -EINVAL;
    /* Too short to hold a header and a tag: not worth handing to libsrtp. */
    if (*len < SRTP_RTP_HDR_BYTES + s->rtp_trailer_bytes || *len > INT_MAX || !is_version_2(buf))
        return -EBADMSG;
    int rc = tsn_srtp_in_unprotect(s->fast_in, buf, len);
    if (rc == 0 || rc == -EACCES || rc == -EALREADY)
        return rc;
    if (rc != TSN_SRTP_IN_DECLINED)
        return -EBADMSG;
    int n = (int)*len;
    rc = map_status(srtp_unprotect(s->in, buf, &n));
    if (rc == 0)
        *len = (size_t)n;
    return rc;
}

int tsn_srtp_unprotect_rtcp(struct tsn_srtp *s, uint8_t *buf, size_t *len)
{
    if (!s || !buf || !len)
        return -EINVAL;
    if (*len < SRTP_RTCP_HDR_BYTES + s->rtcp_trailer_bytes || *len > INT_MAX || !is_version_2(buf))
        return -EBADMSG;
    int n = (int)*len;
    int rc = map_status(srtp_unprotect_rtcp(s->in, buf, &n));
    if (rc == 0)
        *len = (size_t)n;
    return rc;
}
