/* DTLS 1.2 for DTLS-SRTP over memory. OpenSSL reads and writes through a
 * custom BIO that keeps datagram boundaries: every BIO write becomes one
 * outgoing datagram in a small queue the media loop drains with
 * tsn_dtls_pop, and a read returns exactly the one datagram being fed.
 * The module does no I/O and keeps no clock of its own (OpenSSL's DTLS timer
 * uses the wall clock; the caller polls tsn_dtls_timeout_us).
 * It does not demultiplex (RFC 7983 is the caller's job), does not carry
 * application data (no data channels) and does not renegotiate. */
#include "dtls.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>

#include <openssl/bio.h>
#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "log.h"

/* Outgoing queue: a flight is at most ~6 records (one datagram each);
 * 16 slots hold a flight and a retransmission of it. Writes into a full queue
 * are dropped like lost packets; the retransmission timer recovers. */
#define DTLS_OUT_SLOTS       16
#define DTLS_SLOT_BYTES      1500
#define DTLS_INITIAL_RTO_US  100000u /* WebRTC paths are short; RFC 6347 says 1 s */
#define DTLS_MAX_RTO_US      4000000u
#define DTLS_READ_SINK_BYTES 2048
#define DTLS_READ_MAX_LOOPS  32

#define DTLS_SRTP_PROFILES "SRTP_AEAD_AES_128_GCM:SRTP_AES128_CM_SHA1_80"
/* ECDSA suites for our own certificate; the RSA ones only matter when we are
 * the client and the peer's certificate is RSA. */
#define DTLS_CIPHERS                                                                               \
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"                                 \
    "ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-AES128-GCM-SHA256:"                                   \
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-RSA-CHACHA20-POLY1305"
#define DTLS_GROUPS "X25519:P-256"

static const char EXPORTER_LABEL[] = "EXTRACTOR-dtls_srtp";

struct tsn_dtls_ctx {
    SSL_CTX *ssl_ctx; /* owned; holds a reference to the cert's X509/key */
};

struct dtls_dgram {
    size_t len_bytes;
    uint8_t data[DTLS_SLOT_BYTES];
};

struct tsn_dtls {
    SSL *ssl; /* owned; owns the BIO */
    enum tsn_dtls_role role;
    enum tsn_dtls_state state;
    const char *error; /* static string */
    int started;       /* client: connect() called */
    char peer_fingerprint[TSN_FINGERPRINT_LEN];

    /* The datagram being fed: borrowed from the caller for one feed call. */
    const uint8_t *in_buf;
    size_t in_len_bytes;

    struct dtls_dgram out[DTLS_OUT_SLOTS]; /* ring */
    unsigned out_head;                     /* oldest queued */
    unsigned out_count;
    unsigned long out_dropped;

    int have_keys;
    struct tsn_srtp_keys keys; /* wiped on free */
};

/* ---- the datagram BIO ------------------------------------------------- */

static pthread_once_t bio_once = PTHREAD_ONCE_INIT;
static BIO_METHOD *bio_method; /* one-time init, lives for the process */

static int bio_create(BIO *b)
{
    BIO_set_init(b, 1);
    BIO_set_data(b, NULL);
    return 1;
}

static int bio_destroy(BIO *b)
{
    BIO_set_data(b, NULL);
    return 1;
}

/* Each write is one record, hence one datagram. */
static int bio_write(BIO *b, const char *buf, int len)
{
    struct tsn_dtls *d = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (!d || len < 0)
        return -1;
    if ((size_t)len > DTLS_SLOT_BYTES || d->out_count == DTLS_OUT_SLOTS) {
        d->out_dropped++;
        tsn_debug("dtls: outgoing datagram of %d bytes dropped (%u queued)", len, d->out_count);
        return len; /* as if lost on the wire */
    }
    struct dtls_dgram *g = &d->out[(d->out_head + d->out_count) % DTLS_OUT_SLOTS];
    memcpy(g->data, buf, (size_t)len);
    g->len_bytes = (size_t)len;
    d->out_count++;
    return len;
}

/* Returns the fed datagram once; a datagram larger than `len` is truncated
 * as a datagram socket would. */
static int bio_read(BIO *b, char *buf, int len)
{
    struct tsn_dtls *d = BIO_get_data(b);
    BIO_clear_retry_flags(b);
    if (!d || !d->in_buf || len <= 0) {
        BIO_set_retry_read(b);
        return -1;
    }
    size_t n = d->in_len_bytes < (size_t)len ? d->in_len_bytes : (size_t)len;
    memcpy(buf, d->in_buf, n);
    d->in_buf = NULL;
    d->in_len_bytes = 0;
    return (int)n;
}

static long bio_ctrl(BIO *b, int cmd, long num, void *ptr)
{
    struct tsn_dtls *d = BIO_get_data(b);
    switch (cmd) {
    case BIO_CTRL_FLUSH:
        return 1;
    case BIO_CTRL_WPENDING:
        return 0; /* every write is already a whole queued datagram */
    case BIO_CTRL_PENDING:
        return d && d->in_buf ? (long)d->in_len_bytes : 0;
    case BIO_CTRL_DGRAM_QUERY_MTU:
    case BIO_CTRL_DGRAM_GET_FALLBACK_MTU:
        return TSN_DTLS_MTU;
    case BIO_CTRL_DGRAM_GET_MTU_OVERHEAD:
        return 0; /* TSN_DTLS_MTU already counts UDP payload bytes */
    case BIO_CTRL_DGRAM_SET_MTU:
        return num;
    case BIO_CTRL_DGRAM_SET_NEXT_TIMEOUT:
        return 1; /* the timer is read back with DTLSv1_get_timeout */
    default:
        /* MTU_EXCEEDED, GET_PEER, CONNECT, timers, EOF, PUSH/POP...: 0 */
        return 0;
    }
}

static void bio_method_init(void)
{
    BIO_METHOD *m = BIO_meth_new(BIO_get_new_index() | BIO_TYPE_SOURCE_SINK, "tsn_dtls_dgram");
    if (!m)
        return;
    if (!BIO_meth_set_create(m, bio_create) || !BIO_meth_set_destroy(m, bio_destroy) ||
        !BIO_meth_set_write(m, bio_write) || !BIO_meth_set_read(m, bio_read) ||
        !BIO_meth_set_ctrl(m, bio_ctrl)) {
        BIO_meth_free(m);
        return;
    }
    bio_method = m;
}

/* ---- the context ------------------------------------------------------ */

/* WebRTC certificates are self-signed: the TLS layer accepts any, and the
 * fingerprint from the signalled SDP is checked once the handshake is done. */
static int accept_any_cert(int preverify_ok, X509_STORE_CTX *store)
{
    return 1;
}

struct tsn_dtls_ctx *tsn_dtls_ctx_new(const struct tsn_cert *cert)
{
    const char *reason;
    if (!cert)
        return NULL;
    pthread_once(&bio_once, bio_method_init);
    if (!bio_method)
        return NULL;
    struct tsn_dtls_ctx *ctx = calloc(1, sizeof *ctx);
    if (!ctx)
        return NULL;
    SSL_CTX *c = SSL_CTX_new(DTLS_method());
    ctx->ssl_ctx = c;
    if (!c)
        goto fail;
    if (!SSL_CTX_set_min_proto_version(c, DTLS1_2_VERSION) ||
        !SSL_CTX_set_max_proto_version(c, DTLS1_2_VERSION))
        goto fail;
    if (SSL_CTX_use_certificate(c, tsn_cert_x509(cert)) != 1 ||
        SSL_CTX_use_PrivateKey(c, tsn_cert_pkey(cert)) != 1 || SSL_CTX_check_private_key(c) != 1)
        goto fail;
    if (SSL_CTX_set_cipher_list(c, DTLS_CIPHERS) != 1 ||
        SSL_CTX_set1_groups_list(c, DTLS_GROUPS) != 1)
        goto fail;
    /* Unlike most OpenSSL calls, this one returns 0 on success. */
    if (SSL_CTX_set_tlsext_use_srtp(c, DTLS_SRTP_PROFILES) != 0)
        goto fail;
    SSL_CTX_set_verify(c, SSL_VERIFY_PEER | SSL_VERIFY_FAIL_IF_NO_PEER_CERT, accept_any_cert);
    /* Every association is a fresh handshake: no session cache keeps the
     * ctx immutable after creation, no tickets, no renegotiation. */
    SSL_CTX_set_session_cache_mode(c, SSL_SESS_CACHE_OFF);
    SSL_CTX_set_options(c, SSL_OP_NO_TICKET | SSL_OP_NO_RENEGOTIATION | SSL_OP_NO_QUERY_MTU |
                               SSL_OP_CIPHER_SERVER_PREFERENCE);
    return ctx;
fail:
    reason = ERR_reason_error_string(ERR_peek_last_error());
    tsn_err("dtls: cannot set up the DTLS context: %s", reason ? reason : "unknown error");
    ERR_clear_error();
    tsn_dtls_ctx_free(ctx);
    return NULL;
}

void tsn_dtls_ctx_free(struct tsn_dtls_ctx *ctx)
{
    if (!ctx)
        return;
    SSL_CTX_free(ctx->ssl_ctx);
    free(ctx);
}

/* ---- one association --------------------------------------------------- */

/* Retransmission timeout: 100 ms, doubling, capped. OpenSSL gives up after
 * 12 timeouts of one flight (~30 s with these values). */
static unsigned int dtls_timer_cb(SSL *ssl, unsigned int prev_us)
{
    if (prev_us == 0)
        return DTLS_INITIAL_RTO_US;
    return prev_us >= DTLS_MAX_RTO_US / 2 ? DTLS_MAX_RTO_US : prev_us * 2;
}

static const char *role_name(const struct tsn_dtls *d)
{
    return d->role == TSN_DTLS_SERVER ? "server" : "client";
}

static void fail(struct tsn_dtls *d, const char *why)
{
    unsigned long e = ERR_peek_last_error();
    const char *detail = e ? ERR_reason_error_string(e) : NULL;
    tsn_debug("dtls %s: %s%s%s", role_name(d), why, detail ? ": " : "", detail ? detail : "");
    ERR_clear_error();
    d->state = TSN_DTLS_FAILED;
    d->error = why;
}

struct tsn_dtls *tsn_dtls_new(struct tsn_dtls_ctx *ctx, enum tsn_dtls_role role,
                              const char *peer_fingerprint)
{
    if (!ctx || !peer_fingerprint || strlen(peer_fingerprint) >= TSN_FINGERPRINT_LEN ||
        (role != TSN_DTLS_SERVER && role != TSN_DTLS_CLIENT))
        return NULL;
    struct tsn_dtls *d = calloc(1, sizeof *d);
    if (!d)
        return NULL;
    d->role = role;
    d->state = TSN_DTLS_HANDSHAKING;
    d->error = "";
    strcpy(d->peer_fingerprint, peer_fingerprint);

    d->ssl = SSL_new(ctx->ssl_ctx);
    if (!d->ssl)
        goto fail;
    BIO *bio = BIO_new(bio_method);
    if (!bio)
        goto fail;
    BIO_set_data(bio, d);
    SSL_set_bio(d->ssl, bio, bio); /* one reference, owned by the SSL */
    /* After the BIO: SSL_set_mtu checks the minimum against its overhead. */
    if (!SSL_set_mtu(d->ssl, TSN_DTLS_MTU))
        goto fail;
    DTLS_set_timer_cb(d->ssl, dtls_timer_cb);
    if (role == TSN_DTLS_SERVER)
        SSL_set_accept_state(d->ssl);
    else
        SSL_set_connect_state(d->ssl);
    return d;
fail:
    ERR_clear_error();
    tsn_dtls_free(d);
    return NULL;
}

void tsn_dtls_free(struct tsn_dtls *d)
{
    if (!d)
        return;
    SSL_free(d->ssl);
    OPENSSL_cleanse(&d->keys, sizeof d->keys);
    free(d);
}

/* Fingerprint check against the SDP, then the SRTP profile and keys. */
static void finish_handshake(struct tsn_dtls *d)
{
    char fp[TSN_FINGERPRINT_LEN];
    X509 *peer = SSL_get0_peer_certificate(d->ssl); /* transfer none */
    if (!peer || tsn_x509_fingerprint(peer, fp) != 0) {
        fail(d, "peer sent no usable certificate");
        return;
    }
    if (strcasecmp(fp, d->peer_fingerprint) != 0) {
        fail(d, "peer certificate fingerprint does not match SDP");
        /* Tell the impostor (or the misconfigured peer) we are done. */
        SSL_shutdown(d->ssl);
        ERR_clear_error();
        return;
    }
    const SRTP_PROTECTION_PROFILE *p = SSL_get_selected_srtp_profile(d->ssl);
    if (!p) {
        fail(d, "peer did not negotiate DTLS-SRTP");
        return;
    }
    enum tsn_srtp_profile profile = (enum tsn_srtp_profile)p->id;
    size_t need = tsn_srtp_material_len(profile);
    uint8_t material[2 * (16 + 14)];
    if (need == 0 || need > sizeof material) {
        fail(d, "unsupported SRTP protection profile");
        return;
    }
    if (SSL_export_keying_material(d->ssl, material, need, EXPORTER_LABEL,
                                   sizeof EXPORTER_LABEL - 1, NULL, 0, 0) != 1 ||
        tsn_srtp_keys_from_material(profile, material, need, &d->keys) != 0) {
        OPENSSL_cleanse(material, sizeof material);
        fail(d, "cannot export SRTP keying material");
        return;
    }
    OPENSSL_cleanse(material, sizeof material);
    d->have_keys = 1;
    d->state = TSN_DTLS_CONNECTED;
    tsn_debug("dtls %s: connected, %s, %s", role_name(d), SSL_get_cipher_name(d->ssl),
              tsn_srtp_profile_name(profile));
}

static void drive_handshake(struct tsn_dtls *d)
{
    ERR_clear_error();
    int rc = SSL_do_handshake(d->ssl);
    if (rc == 1) {
        finish_handshake(d);
        return;
    }
    switch (SSL_get_error(d->ssl, rc)) {
    case SSL_ERROR_WANT_READ:
    case SSL_ERROR_WANT_WRITE:
        ERR_clear_error(); /* ignored or partial input: wait for more */
        return;
    case SSL_ERROR_ZERO_RETURN:
        d->state = TSN_DTLS_CLOSED;
        ERR_clear_error();
        return;
    default:
        fail(d, "DTLS handshake failed");
        return;
    }
}

/* After the handshake: alerts (close_notify) and retransmitted handshake
 * flights arrive as records. Application data has no use in DTLS-SRTP here
 * and is read into a sink and discarded. */
static void read_records(struct tsn_dtls *d)
{
    uint8_t sink[DTLS_READ_SINK_BYTES];
    for (int i = 0; i < DTLS_READ_MAX_LOOPS; i++) {
        ERR_clear_error();
        int n = SSL_read(d->ssl, sink, sizeof sink);
        if (n > 0)
            continue;
        switch (SSL_get_error(d->ssl, n)) {
        case SSL_ERROR_WANT_READ:
        case SSL_ERROR_WANT_WRITE:
            ERR_clear_error();
            return;
        case SSL_ERROR_ZERO_RETURN:
            /* Answer the close_notify with ours (RFC 5246 7.2.1). */
            d->state = TSN_DTLS_CLOSED;
            SSL_shutdown(d->ssl);
            ERR_clear_error();
            return;
        default:
            fail(d, "DTLS connection failed");
            return;
        }
    }
}

int tsn_dtls_connect(struct tsn_dtls *d)
{
    if (!d || d->role != TSN_DTLS_CLIENT)
        return -EINVAL;
    if (d->started)
        return -EALREADY;
    d->started = 1;
    drive_handshake(d);
    return d->state == TSN_DTLS_FAILED ? -EPROTO : 0;
}

enum tsn_dtls_state tsn_dtls_feed(struct tsn_dtls *d, const uint8_t *buf, size_t len)
{
    if (!d)
        return TSN_DTLS_FAILED;
    if (!buf || len == 0)
        return d->state;
    /* A client that has not called connect has no handshake to continue. */
    if (d->role == TSN_DTLS_CLIENT && !d->started)
        return d->state;
    d->in_buf = buf;
    d->in_len_bytes = len;
    if (d->state == TSN_DTLS_HANDSHAKING)
        drive_handshake(d);
    else if (d->state == TSN_DTLS_CONNECTED)
        read_records(d);
    /* Whatever OpenSSL did not read is dropped: the datagram is the caller's. */
    d->in_buf = NULL;
    d->in_len_bytes = 0;
    return d->state;
}

int tsn_dtls_pop(struct tsn_dtls *d, uint8_t *out, size_t cap)
{
    if (!d || d->out_count == 0)
        return 0;
    struct dtls_dgram *g = &d->out[d->out_head];
    if (!out || cap < g->len_bytes)
        return -ENOSPC;
    memcpy(out, g->data, g->len_bytes);
    d->out_head = (d->out_head + 1) % DTLS_OUT_SLOTS;
    d->out_count--;
    return (int)g->len_bytes;
}

enum tsn_dtls_state tsn_dtls_on_timer(struct tsn_dtls *d)
{
    if (!d)
        return TSN_DTLS_FAILED;
    if (d->state != TSN_DTLS_HANDSHAKING)
        return d->state;
    ERR_clear_error();
    /* 1: retransmitted, 0: not due yet, -1: gave up (too many timeouts). */
    if (DTLSv1_handle_timeout(d->ssl) < 0)
        fail(d, "DTLS handshake timed out");
    else
        ERR_clear_error();
    return d->state;
}

int64_t tsn_dtls_timeout_us(struct tsn_dtls *d)
{
    struct timeval tv;
    if (!d || d->state != TSN_DTLS_HANDSHAKING || DTLSv1_get_timeout(d->ssl, &tv) != 1)
        return -1;
    return (int64_t)tv.tv_sec * 1000000 + tv.tv_usec;
}

enum tsn_dtls_state tsn_dtls_state(const struct tsn_dtls *d)
{
    return d ? d->state : TSN_DTLS_FAILED;
}

const char *tsn_dtls_error(const struct tsn_dtls *d)
{
    return d && d->error ? d->error : "";
}

int tsn_dtls_srtp_keys(struct tsn_dtls *d, struct tsn_srtp_keys *out)
{
    if (!d || !out)
        return -EINVAL;
    if (!d->have_keys || d->state != TSN_DTLS_CONNECTED)
        return -EAGAIN;
    *out = d->keys;
    return 0;
}

void tsn_dtls_close(struct tsn_dtls *d)
{
    if (!d || d->state != TSN_DTLS_CONNECTED)
        return;
    ERR_clear_error();
    SSL_shutdown(d->ssl);
    ERR_clear_error();
    d->state = TSN_DTLS_CLOSED;
}
