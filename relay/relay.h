/* The relay process: configuration, keys and certificates, the media thread,
 * the session registry and the HTTPS/WSS server, wired together. The lws
 * service loop runs on the calling thread; the media loop on its own. */
#ifndef TSN_RELAY_H
#define TSN_RELAY_H

#include <signal.h>
#include <stdint.h>

#include "auth.h"
#include "cert.h"
#include "config.h"
#include "dtls.h"
#include "media.h"
#include "metrics.h"
#include "recorder.h"
#include "secret.h"
#include "session.h"

struct lws_context;

struct tsn_relay {
    struct tsn_config cfg;
    struct tsn_metrics metrics;
    uint8_t secret[TSN_SECRET_MAX_BYTES];
    size_t secret_len;
    struct tsn_auth auth;
    struct tsn_cert *dtls_cert;    /* owned; ephemeral, one per run */
    struct tsn_dtls_ctx *dtls_ctx; /* owned */
    char dtls_fingerprint[TSN_FINGERPRINT_LEN];
    char tls_fingerprint[TSN_FINGERPRINT_LEN];
    struct tsn_media *media;       /* owned */
    struct tsn_sessions *sessions; /* owned; HTTP thread only */
    struct tsn_recorder *recorder; /* owned; NULL when recording is unavailable */
    char recorder_why[256];        /* why it is unavailable */
    struct lws_context *lws;       /* owned */
    volatile sig_atomic_t stopping;
};

/* Prepares everything and starts the media thread: creates the data
 * directory, loads or creates the TLS certificate and the token secret.
 * 0, or -1 after logging a clear reason. */
int tsn_relay_init(struct tsn_relay *r, const struct tsn_config *cfg);
/* Serves until tsn_relay_request_stop. 0 on a clean stop. */
int tsn_relay_run(struct tsn_relay *r);
/* Async-signal-safe. */
void tsn_relay_request_stop(struct tsn_relay *r);
void tsn_relay_cleanup(struct tsn_relay *r);

/* http.c */
int tsn_http_start(struct tsn_relay *r);
void tsn_http_stop(struct tsn_relay *r);

#endif
