/* WSS signalling client on libwebsockets (see sig_client.h).
 *
 * Threads: libwebsockets is serviced by one thread per client (`service`),
 * which owns the lws context and the connection. The caller's thread only
 * touches the outgoing queue (under `lock`) and wakes the service thread
 * with lws_cancel_service(). Events travel the other way as `struct event`
 * hopped to the caller's GMainContext; they hold a reference to a small
 * shared `struct link` whose `alive` flag (read and cleared on that context
 * only) makes events that are still queued when the client is freed fall
 * silently. */
#include "sig_client.h"

#include "main_post.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <glib.h>
#include <libwebsockets.h>
#include <openssl/x509.h>

#include "log.h"

#define MAX_MESSAGE_BYTES (1024 * 1024)

/* What the caller's main context sees: shared by the client and its events. */
struct link {
    struct tsn_sig_client_cb cb;
    int alive;  /* cleared by tsn_sig_client_free (main context only) */
    int closed; /* the closed callback has run */
};

struct tsn_sig_client {
    struct link *link; /* (transfer full) g_atomic_rc_box */
    GMainContext *main_ctx;
    struct lws_context *ctx;
    GThread *thread;
    struct tsn_tls_opts tls;
    char *ca_file;
    char host[256];
    char path[256];
    int port;
    GMutex lock;    /* protects outq, want_close, open, stop */
    GQueue outq;    /* char * messages to send */
    int want_close; /* the caller asked to close */
    int open;       /* established and trusted */
    int stop;       /* the service thread must leave */
    /* Service thread only: */
    struct lws *wsi;
    char *rx;
    size_t rx_len;
    char close_reason[256];
    int reported;   /* closed event queued */
    gint untrusted; /* atomic: the relay's certificate was refused */
};

enum event_kind { EV_OPENED, EV_MESSAGE, EV_CLOSED };

struct event {
    struct link *link; /* (transfer full) */
    enum event_kind kind;
    char *text; /* message or close reason (owned) */
    size_t len;
};

static void link_release(struct link *l)
{
    g_atomic_rc_box_release(l);
}

static gboolean deliver(gpointer data)
{
    struct event *ev = data;
    struct link *l = ev->link;
    if (l->alive && !l->closed) {
        switch (ev->kind) {
        case EV_OPENED:
            if (l->cb.opened)
                l->cb.opened(l->cb.user);
            break;
        case EV_MESSAGE:
            if (l->cb.message)
                l->cb.message(ev->text, ev->len, l->cb.user);
            break;
        case EV_CLOSED:
            l->closed = 1;
            if (l->cb.closed)
                l->cb.closed(ev->text, l->cb.user);
            break;
        }
    }
    link_release(ev->link);
    g_free(ev->text);
    g_free(ev);
    return G_SOURCE_REMOVE;
}

static void post(struct tsn_sig_client *c, enum event_kind kind, char *text_take, size_t len)
{
    struct event *ev = g_new0(struct event, 1);
    ev->link = g_atomic_rc_box_acquire(c->link);
    ev->kind = kind;
    ev->text = text_take;
    ev->len = len;
    /* Never on this (lws) thread, even before the caller's loop runs: the
     * "opened" callback once ran here while tsn_sig_client_new had not
     * returned, and sent "join" through a client pointer not yet set. */
    tsn_main_post(c->main_ctx, deliver, ev, NULL);
}

static void report_closed(struct tsn_sig_client *c, const char *reason)
{
    if (c->reported)
        return;
    c->reported = 1;
    post(c, EV_CLOSED, g_strdup(c->close_reason[0] ? c->close_reason : reason), 0);
}

static int on_established(struct tsn_sig_client *c, struct lws *wsi)
{
    char why[256];
    SSL *ssl = lws_get_ssl(wsi);
    if (!ssl) {
        snprintf(c->close_reason, sizeof c->close_reason, "the connection is not TLS");
        return -1;
    }
    if (tsn_tls_check_peer(ssl, &c->tls, c->host, why, sizeof why) != 0) {
        snprintf(c->close_reason, sizeof c->close_reason, "%s", why);
        g_atomic_int_set(&c->untrusted, 1);
        return -1; /* nothing was sent: the token is never exposed */
    }
    g_mutex_lock(&c->lock);
    c->open = 1;
    g_mutex_unlock(&c->lock);
    post(c, EV_OPENED, NULL, 0);
    return 0;
}

static int on_receive(struct tsn_sig_client *c, struct lws *wsi, const void *in, size_t len)
{
    if (lws_is_first_fragment(wsi))
        c->rx_len = 0;
    if (c->rx_len + len > MAX_MESSAGE_BYTES) {
        snprintf(c->close_reason, sizeof c->close_reason,
                 "the relay sent a message larger than %d bytes", MAX_MESSAGE_BYTES);
        return -1;
    }
    c->rx = g_realloc(c->rx, c->rx_len + len + 1);
    memcpy(c->rx + c->rx_len, in, len);
    c->rx_len += len;
    if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
        c->rx[c->rx_len] = '\0';
        post(c, EV_MESSAGE, g_memdup2(c->rx, c->rx_len + 1), c->rx_len);
        c->rx_len = 0;
    }
    return 0;
}

/* Sends one queued message per WRITEABLE, as lws wants. */
static int on_writeable(struct tsn_sig_client *c, struct lws *wsi)
{
    g_mutex_lock(&c->lock);
    char *msg = g_queue_pop_head(&c->outq);
    int more = !g_queue_is_empty(&c->outq);
    int closing = c->want_close && !msg;
    g_mutex_unlock(&c->lock);
    if (closing) {
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
        return -1;
    }
    if (!msg)
        return 0;
    size_t len = strlen(msg);
    unsigned char *buf = g_malloc(LWS_PRE + len);
    memcpy(buf + LWS_PRE, msg, len);
    int n = lws_write(wsi, buf + LWS_PRE, len, LWS_WRITE_TEXT);
    g_free(buf);
    g_free(msg);
    if (n < (int)len) {
        snprintf(c->close_reason, sizeof c->close_reason, "write to the relay failed");
        return -1;
    }
    if (more || c->want_close)
        lws_callback_on_writable(wsi);
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    struct lws_context *ctx = lws_get_context(wsi);
    struct tsn_sig_client *c = ctx ? lws_context_user(ctx) : NULL;
    if (!c)
        return 0;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR: {
        char *why = g_strdup_printf("cannot connect to the relay at %s:%d: %s", c->host, c->port,
                                    in && len ? (const char *)in : "connection failed");
        c->wsi = NULL;
        report_closed(c, why);
        g_free(why);
        return 0;
    }
    case LWS_CALLBACK_OPENSSL_PERFORM_SERVER_CERT_VERIFICATION:
        /* user: the X509_STORE_CTX, len: OpenSSL's preverify_ok. Keep the
         * first failure as the reason; libwebsockets decides. */
        if (!len && user && !c->close_reason[0]) {
            int err = X509_STORE_CTX_get_error((X509_STORE_CTX *)user);
            snprintf(c->close_reason, sizeof c->close_reason,
                     "the relay's certificate is not trusted: %s (give the relay's cert.pem with "
                     "--ca, or pin it with --fingerprint)",
                     X509_verify_cert_error_string(err));
            g_atomic_int_set(&c->untrusted, 1);
        }
        return 0;
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        return on_established(c, wsi);
    case LWS_CALLBACK_CLIENT_RECEIVE:
        return on_receive(c, wsi, in, len);
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return on_writeable(c, wsi);
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (len >= 2) {
            const unsigned char *p = in;
            snprintf(c->close_reason, sizeof c->close_reason, "closed by the relay (%d%s%.*s)",
                     p[0] << 8 | p[1], len > 2 ? ": " : "", (int)(len - 2), (const char *)p + 2);
        }
        return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
        c->wsi = NULL;
        g_mutex_lock(&c->lock);
        c->open = 0;
        g_mutex_unlock(&c->lock);
        report_closed(c, "the connection to the relay closed");
        return 0;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED: {
        g_mutex_lock(&c->lock);
        int wake = c->wsi && (!g_queue_is_empty(&c->outq) || c->want_close);
        g_mutex_unlock(&c->lock);
        if (wake)
            lws_callback_on_writable(c->wsi);
        return 0;
    }
    default:
        return 0;
    }
}

static const struct lws_protocols protocols[] = {
    {"telesono", callback, 0, 64 * 1024, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static gpointer service(gpointer data)
{
    struct tsn_sig_client *c = data;
    for (;;) {
        g_mutex_lock(&c->lock);
        int stop = c->stop;
        g_mutex_unlock(&c->lock);
        if (stop)
            break;
        if (lws_service(c->ctx, 0) < 0)
            break;
    }
    return NULL;
}

static int parse_url(struct tsn_sig_client *c, const char *url, char *why, size_t why_len)
{
    char *copy = g_strdup(url);
    const char *proto = NULL, *host = NULL, *path = NULL;
    int port = 0, rc = -EINVAL;
    if (lws_parse_uri(copy, &proto, &host, &port, &path) != 0 || !host || !*host) {
        snprintf(why, why_len, "cannot parse the relay URL '%s'", url);
        goto out;
    }
    if (strcmp(proto, "wss") != 0 && strcmp(proto, "https") != 0) {
        snprintf(why, why_len,
                 "the relay URL must start with https:// or wss:// (TLS is required)");
        goto out;
    }
    snprintf(c->host, sizeof c->host, "%s", host);
    c->port = port;
    /* lws_parse_uri drops the leading '/' (or leaves "/" for no path); a
     * bare server URL means the signalling channel, /ws. */
    while (path && *path == '/')
        path++;
    snprintf(c->path, sizeof c->path, "/%s", path && *path ? path : "ws");
    rc = 0;
out:
    g_free(copy);
    return rc;
}

static int start(struct tsn_sig_client *c, char *why, size_t why_len)
{
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.client_ssl_ca_filepath = c->ca_file;
    info.user = c;
    c->ctx = lws_create_context(&info);
    if (!c->ctx) {
        snprintf(why, why_len, "cannot create the TLS client context%s%s",
                 c->ca_file ? " (is the CA file readable PEM?) " : "",
                 c->ca_file ? c->ca_file : "");
        return -EINVAL;
    }
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = c->ctx;
    ci.address = c->host;
    ci.port = c->port;
    ci.path = c->path;
    ci.host = c->host;
    ci.origin = c->host;
    ci.protocol = NULL;
    ci.ssl_connection = LCCSCF_USE_SSL | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK;
    if (c->tls.insecure || c->tls.has_pin)
        ci.ssl_connection |= LCCSCF_ALLOW_SELFSIGNED | LCCSCF_ALLOW_EXPIRED;
    ci.pwsi = &c->wsi;
    /* A failure here is also reported through CLIENT_CONNECTION_ERROR. */
    lws_client_connect_via_info(&ci);
    c->thread = g_thread_new("tsn-sig", service, c);
    return 0;
}

struct tsn_sig_client *tsn_sig_client_new(const char *url, const struct tsn_tls_opts *tls,
                                          const struct tsn_sig_client_cb *cb, char *why,
                                          size_t why_len)
{
    struct tsn_sig_client *c = g_new0(struct tsn_sig_client, 1);
    c->link = g_atomic_rc_box_new0(struct link);
    c->link->cb = *cb;
    c->link->alive = 1;
    c->main_ctx = g_main_context_ref_thread_default();
    g_mutex_init(&c->lock);
    g_queue_init(&c->outq);
    if (tls) {
        c->tls = *tls;
        c->ca_file = g_strdup(tls->ca_file);
        c->tls.ca_file = c->ca_file;
    }
    lws_set_log_level(
        g_getenv("TSN_LWS_DEBUG") ? LLL_ERR | LLL_WARN | LLL_NOTICE | LLL_INFO | LLL_CLIENT : 0,
        NULL);
    if (parse_url(c, url, why, why_len) != 0 || start(c, why, why_len) != 0) {
        tsn_sig_client_free(c);
        return NULL;
    }
    return c;
}

int tsn_sig_client_send(struct tsn_sig_client *c, const char *json)
{
    g_mutex_lock(&c->lock);
    int open = c->open && !c->want_close;
    if (open)
        g_queue_push_tail(&c->outq, g_strdup(json));
    g_mutex_unlock(&c->lock);
    if (!open)
        return -ENOTCONN;
    lws_cancel_service(c->ctx);
    return 0;
}

int tsn_sig_client_untrusted(const struct tsn_sig_client *c)
{
    return g_atomic_int_get((gint *)&c->untrusted);
}

void tsn_sig_client_free(struct tsn_sig_client *c)
{
    if (!c)
        return;
    c->link->alive = 0; /* events still queued for the main context are dropped */
    if (c->thread) {
        /* Ask for a clean close first, give it a moment, then stop. */
        g_mutex_lock(&c->lock);
        int was_open = c->open;
        c->want_close = 1;
        g_mutex_unlock(&c->lock);
        if (was_open) {
            lws_cancel_service(c->ctx);
            g_usleep(20 * 1000);
        }
        g_mutex_lock(&c->lock);
        c->stop = 1;
        g_mutex_unlock(&c->lock);
        lws_cancel_service(c->ctx);
        g_thread_join(c->thread);
    }
    if (c->ctx)
        lws_context_destroy(c->ctx);
    g_queue_clear_full(&c->outq, g_free);
    g_mutex_clear(&c->lock);
    g_main_context_unref(c->main_ctx);
    link_release(c->link);
    g_free(c->rx);
    g_free(c->ca_file);
    g_free(c);
}
