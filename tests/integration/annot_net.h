/* Many WSS connections to the relay's /ws in one libwebsockets client
 * context, for tsn-annot-clients. Each connection joins with its own token
 * as soon as it is established, keeps a queue of messages to send (written
 * one per WRITEABLE callback) and hands every complete server message to
 * the caller with the CLOCK_MONOTONIC time it was complete.
 *
 * It knows nothing of annotations: the modes (annot_converge.c,
 * annot_invalid.c, annot_fanout.c) interpret the messages. One thread; the
 * caller drives it with tsn_anet_run. TLS accepts the relay's self-signed
 * certificate and any host name (loopback tests only). */
#ifndef TSN_ANNOT_NET_H
#define TSN_ANNOT_NET_H

#include <stddef.h>
#include <stdint.h>

struct tsn_anet;
struct tsn_anet_conn;

enum tsn_anet_state {
    TSN_ANET_CONNECTING, /* TCP/TLS/WebSocket handshake in progress */
    TSN_ANET_JOINING,    /* established, join sent, no welcome yet */
    TSN_ANET_JOINED,     /* welcome received */
    TSN_ANET_FAILED,     /* could not connect, or the join was refused */
    TSN_ANET_CLOSED,     /* closed after it was established */
};

struct tsn_anet_handlers {
    /* Every complete text message, the welcome included; rx_us is when its
     * last fragment arrived (CLOCK_MONOTONIC). text is NUL-terminated. */
    void (*on_message)(struct tsn_anet_conn *c, const char *text, size_t len, int64_t rx_us);
    /* A queued message was handed to the socket at tx_us (may be NULL). */
    void (*on_sent)(struct tsn_anet_conn *c, long tag, int64_t tx_us);
    /* The connection ended; code is the peer's close code, 1006 when none
     * (may be NULL). */
    void (*on_closed)(struct tsn_anet_conn *c, int code);
};

/* url: wss://HOST:PORT/PATH. NULL on a bad URL or when lws cannot start. */
struct tsn_anet *tsn_anet_new(const char *url, const struct tsn_anet_handlers *h, void *user);
/* Closes every connection at once (no close handshake) and frees them. */
void tsn_anet_free(struct tsn_anet *n);
void *tsn_anet_user(const struct tsn_anet *n);

/* Starts a connection that sends {"type":"join","token":TOKEN,"id":0} once
 * established. name is for diagnostics (e.g. "clinician-3"). The
 * connection belongs to n. NULL when out of memory or lws refuses at once
 * (then nothing was started). */
struct tsn_anet_conn *tsn_anet_open(struct tsn_anet *n, const char *token, const char *name,
                                    void *conn_user);

/* Queues a copy of text[0..len) (any bytes: tests send invalid UTF-8-free
 * but invalid JSON too). tag comes back in on_sent. 0, -ENOMEM, or -ENOTCONN
 * when the connection is not established. */
int tsn_anet_send(struct tsn_anet_conn *c, const char *text, size_t len, long tag);
int tsn_anet_send_str(struct tsn_anet_conn *c, const char *text, long tag);
/* Starts a normal close (1000) once the queue is written. */
void tsn_anet_close(struct tsn_anet_conn *c);

/* Services the connections until step(user) returns non-zero (called after
 * every service pass, at least every 2 ms) or until deadline_us
 * (CLOCK_MONOTONIC). Returns 0 when step ended it, -ETIMEDOUT. */
int tsn_anet_run(struct tsn_anet *n, int64_t deadline_us, int (*step)(void *user), void *user);
/* Services for ms milliseconds. */
void tsn_anet_sleep(struct tsn_anet *n, int64_t ms);

enum tsn_anet_state tsn_anet_state(const struct tsn_anet_conn *c);
const char *tsn_anet_name(const struct tsn_anet_conn *c);
/* The welcome's you.sub ("" before the welcome). */
const char *tsn_anet_sub(const struct tsn_anet_conn *c);
/* Why it failed or closed ("" when it did not). */
const char *tsn_anet_why(const struct tsn_anet_conn *c);
int tsn_anet_close_code(const struct tsn_anet_conn *c);
size_t tsn_anet_queued(const struct tsn_anet_conn *c);
void *tsn_anet_conn_user(const struct tsn_anet_conn *c);

int64_t tsn_anet_now_us(void);

#endif
