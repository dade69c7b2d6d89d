/* A WebSocket-over-TLS client of the relay's signalling channel (/ws), on
 * libwebsockets, for capture and view. libwebsockets runs on a thread of its
 * own; every callback below is called on the GMainContext that was the
 * thread default when the client was created (tsn_main_post), so
 * callers never see the lws thread. TLS trust is decided by tsn_tls_opts
 * (common/tls_pin.h) before anything is sent. One connection per client
 * object; reconnecting means a new object (the caller owns the backoff). */
#ifndef TSN_SIG_CLIENT_H
#define TSN_SIG_CLIENT_H

#include <stddef.h>

#include "tls_pin.h"

struct tsn_sig_client;

struct tsn_sig_client_cb {
    /* The socket is open and the certificate was accepted: send "join". */
    void (*opened)(void *user);
    /* One complete text message from the relay (not NUL-terminated data is
     * NUL-terminated anyway for convenience). */
    void (*message)(const char *json, size_t len, void *user);
    /* The connection failed or closed. `reason` is one line for a human, e.g.
     * "connection refused", "certificate does not match the pinned fingerprint",
     * "closed by the relay (1000)". Called once; no callback follows it. */
    void (*closed)(const char *reason, void *user);
    void *user;
};

/* Parses "wss://host:port/path" (path defaults to /ws; an "https://" URL is
 * accepted as the same server). Returns NULL with a reason in `why`.
 * Starts connecting at once. */
struct tsn_sig_client *tsn_sig_client_new(const char *url, const struct tsn_tls_opts *tls,
                                          const struct tsn_sig_client_cb *cb, char *why,
                                          size_t why_len);
/* Queues one text message (copied). Returns 0, or -ENOTCONN when not open. */
int tsn_sig_client_send(struct tsn_sig_client *c, const char *json);
/* True when the connection failed because the relay's certificate was not
 * trusted (wrong CA, pin mismatch, wrong host): a configuration problem
 * that retrying does not fix. Valid in and after the closed callback. */
int tsn_sig_client_untrusted(const struct tsn_sig_client *c);
/* Closes (if open) and frees; no callback is called after this returns.
 * NULL is a no-op. */
void tsn_sig_client_free(struct tsn_sig_client *c);

#endif
