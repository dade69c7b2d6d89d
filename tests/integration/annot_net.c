/* Many WSS connections in one libwebsockets client context (see
 * annot_net.h). Connections are started from a 2 ms tick, at most
 * MAX_HANDSHAKES at a time, so a hundred TLS handshakes do not all hit the
 * relay in the same millisecond. Does not parse anything but the welcome. */
#include "annot_net.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>
#include <libwebsockets.h>

#define TICK_US          2000
#define MAX_HANDSHAKES   16
#define MAX_RX_BYTES     (32u * 1024 * 1024)
#define CLOSE_TIMEOUT_US (3 * 1000 * 1000)

struct out_msg {
    struct out_msg *next;
    long tag;
    size_t len;
    unsigned char *buf; /* LWS_PRE + len bytes (owned) */
};

struct tsn_anet_conn {
    struct tsn_anet *net;
    struct lws *wsi;
    enum tsn_anet_state state;
    int started;    /* lws_client_connect_via_info was called */
    int closing;    /* tsn_anet_close was called */
    int close_sent; /* the close frame is out */
    int close_code;
    int64_t close_deadline_us;
    char *token; /* owned; dropped once the join is queued */
    char name[48];
    char sub[96];
    char why[160];
    void *user;
    struct out_msg *head, *tail;
    size_t queued;
    char *rx; /* reassembly (owned) */
    size_t rx_len, rx_cap;
};

struct tsn_anet {
    struct lws_context *ctx;
    lws_sorted_usec_list_t tick;
    struct tsn_anet_handlers h;
    void *user;
    char host[256];
    char path[512];
    int port;
    struct tsn_anet_conn **conns;
    size_t n_conns, cap_conns;
    int in_handshake;
};

int64_t tsn_anet_now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void free_queue(struct tsn_anet_conn *c)
{
    struct out_msg *m = c->head;
    while (m) {
        struct out_msg *next = m->next;
        free(m->buf);
        free(m);
        m = next;
    }
    c->head = c->tail = NULL;
    c->queued = 0;
}

static void conn_free(struct tsn_anet_conn *c)
{
    if (!c)
        return;
    free_queue(c);
    free(c->token);
    free(c->rx);
    free(c);
}

static int push(struct tsn_anet_conn *c, const char *text, size_t len, long tag)
{
    struct out_msg *m = calloc(1, sizeof *m);
    if (!m)
        return -ENOMEM;
    m->buf = malloc(LWS_PRE + len + 1);
    if (!m->buf) {
        free(m);
        return -ENOMEM;
    }
    memcpy(m->buf + LWS_PRE, text, len);
    m->len = len;
    m->tag = tag;
    if (c->tail)
        c->tail->next = m;
    else
        c->head = m;
    c->tail = m;
    c->queued++;
    return 0;
}

static void set_ended(struct tsn_anet_conn *c, enum tsn_anet_state st, const char *why, int code)
{
    if (c->state == TSN_ANET_CONNECTING || c->state == TSN_ANET_JOINING)
        c->net->in_handshake -= c->state == TSN_ANET_CONNECTING;
    c->state = st;
    c->wsi = NULL;
    if (why && !c->why[0])
        snprintf(c->why, sizeof c->why, "%s", why);
    c->close_code = code;
    free_queue(c);
    if (c->net->h.on_closed)
        c->net->h.on_closed(c, code);
}

/* The first reply to our join: welcome, or an error (the relay closes). */
static void look_at_welcome(struct tsn_anet_conn *c, const char *text, size_t len)
{
    json_t *o = json_loadb(text, len, 0, NULL);
    const char *type = json_string_value(json_object_get(o, "type"));
    if (type && strcmp(type, "welcome") == 0) {
        const char *sub = json_string_value(json_object_get(json_object_get(o, "you"), "sub"));
        snprintf(c->sub, sizeof c->sub, "%s", sub ? sub : "");
        c->state = TSN_ANET_JOINED;
    } else if (type && strcmp(type, "error") == 0) {
        const char *reason = json_string_value(json_object_get(o, "reason"));
        snprintf(c->why, sizeof c->why, "join refused: %lld %s",
                 (long long)json_integer_value(json_object_get(o, "code")), reason ? reason : "");
    }
    json_decref(o);
}

static int on_receive(struct tsn_anet_conn *c, struct lws *wsi, const void *in, size_t len)
{
    if (lws_is_first_fragment(wsi))
        c->rx_len = 0;
    if (c->rx_len + len + 1 > MAX_RX_BYTES) {
        snprintf(c->why, sizeof c->why, "server message longer than %u bytes", MAX_RX_BYTES);
        return -1;
    }
    if (c->rx_len + len + 1 > c->rx_cap) {
        size_t cap = c->rx_cap ? c->rx_cap : 8192;
        while (cap < c->rx_len + len + 1)
            cap *= 2;
        char *b = realloc(c->rx, cap);
        if (!b)
            return -1;
        c->rx = b;
        c->rx_cap = cap;
    }
    memcpy(c->rx + c->rx_len, in, len);
    c->rx_len += len;
    if (!lws_is_final_fragment(wsi) || lws_remaining_packet_payload(wsi))
        return 0;
    int64_t rx_us = tsn_anet_now_us();
    c->rx[c->rx_len] = '\0';
    if (c->state == TSN_ANET_JOINING)
        look_at_welcome(c, c->rx, c->rx_len);
    if (c->net->h.on_message)
        c->net->h.on_message(c, c->rx, c->rx_len, rx_us);
    c->rx_len = 0;
    return 0;
}

static int on_writeable(struct tsn_anet_conn *c, struct lws *wsi)
{
    if (lws_partial_buffered(wsi)) {
        lws_callback_on_writable(wsi);
        return 0;
    }
    struct out_msg *m = c->head;
    if (!m) {
        if (c->closing && !c->close_sent) {
            c->close_sent = 1;
            lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
            return -1;
        }
        return 0;
    }
    c->head = m->next;
    if (!c->head)
        c->tail = NULL;
    c->queued--;
    int64_t tx_us = tsn_anet_now_us();
    int n = lws_write(wsi, m->buf + LWS_PRE, m->len, LWS_WRITE_TEXT);
    long tag = m->tag;
    size_t len = m->len;
    free(m->buf);
    free(m);
    if (n < (int)len) {
        snprintf(c->why, sizeof c->why, "lws_write failed for a %zu-byte message", len);
        return -1;
    }
    if (c->net->h.on_sent)
        c->net->h.on_sent(c, tag, tx_us);
    if (c->head || c->closing)
        lws_callback_on_writable(wsi);
    return 0;
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    struct tsn_anet_conn *c = lws_get_opaque_user_data(wsi);
    if (!c)
        return 0;
    switch (reason) {
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        set_ended(c, TSN_ANET_FAILED, in ? (const char *)in : "connection failed", 1006);
        return 0;
    case LWS_CALLBACK_CLIENT_ESTABLISHED: {
        c->wsi = wsi;
        c->net->in_handshake--;
        c->state = TSN_ANET_JOINING;
        json_t *j = json_pack("{s:s, s:s, s:i}", "type", "join", "token", c->token, "id", 0);
        char *text = j ? json_dumps(j, JSON_COMPACT) : NULL;
        json_decref(j);
        if (!text)
            return -1;
        /* The join goes first, before anything the mode queued already. */
        struct out_msg *rest = c->head, *rest_tail = c->tail;
        size_t rest_n = c->queued;
        c->head = c->tail = NULL;
        c->queued = 0;
        int rc = push(c, text, strlen(text), -1);
        free(text);
        free(c->token);
        c->token = NULL;
        if (rc)
            return -1;
        c->head->next = rest;
        if (rest)
            c->tail = rest_tail;
        c->queued += rest_n;
        lws_callback_on_writable(wsi);
        return 0;
    }
    case LWS_CALLBACK_CLIENT_RECEIVE:
        return on_receive(c, wsi, in, len);
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return on_writeable(c, wsi);
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (len >= 2) {
            const unsigned char *p = in;
            c->close_code = (p[0] << 8) | p[1];
        }
        return 0;
    case LWS_CALLBACK_CLIENT_CLOSED: {
        int code = c->close_code ? c->close_code : 1006;
        set_ended(c,
                  c->state == TSN_ANET_JOINING && !c->sub[0] && c->why[0] ? TSN_ANET_FAILED
                                                                          : TSN_ANET_CLOSED,
                  "closed", code);
        return 0;
    }
    default:
        return 0;
    }
}

static const struct lws_protocols protocols[] = {
    {"telesono", callback, 0, 65536, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void start(struct tsn_anet *n, struct tsn_anet_conn *c)
{
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = n->ctx;
    ci.address = n->host;
    ci.port = n->port;
    ci.path = n->path;
    ci.host = n->host;
    ci.origin = n->host;
    ci.protocol = "telesono";
    ci.ssl_connection =
        LCCSCF_USE_SSL | LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK;
    ci.opaque_user_data = c;
    c->started = 1;
    n->in_handshake++;
    if (!lws_client_connect_via_info(&ci) && c->state == TSN_ANET_CONNECTING)
        set_ended(c, TSN_ANET_FAILED, "lws_client_connect_via_info failed", 1006);
}

static void on_tick(lws_sorted_usec_list_t *sul)
{
    struct tsn_anet *n = lws_container_of(sul, struct tsn_anet, tick);
    int64_t t = tsn_anet_now_us();
    for (size_t i = 0; i < n->n_conns; i++) {
        struct tsn_anet_conn *c = n->conns[i];
        if (!c->started && n->in_handshake < MAX_HANDSHAKES)
            start(n, c);
        /* A writeable request made inside another callback can be lost
         * (tsn-ws-client saw it): repeat it while something waits. */
        if (c->wsi && (c->head || c->closing))
            lws_callback_on_writable(c->wsi);
        if (c->wsi && c->closing && c->close_deadline_us && t > c->close_deadline_us)
            lws_set_timeout(c->wsi, PENDING_TIMEOUT_CLOSE_SEND, LWS_TO_KILL_ASYNC);
    }
    lws_sul_schedule(n->ctx, 0, &n->tick, on_tick, TICK_US);
}

struct tsn_anet *tsn_anet_new(const char *url, const struct tsn_anet_handlers *h, void *user)
{
    char copy[1024];
    const char *proto, *host, *path;
    int port;
    snprintf(copy, sizeof copy, "%s", url);
    if (lws_parse_uri(copy, &proto, &host, &port, &path) || strcmp(proto, "wss") != 0) {
        fprintf(stderr, "tsn-annot-clients: the URL must be wss://HOST:PORT/PATH, got %s\n", url);
        return NULL;
    }
    struct tsn_anet *n = calloc(1, sizeof *n);
    if (!n)
        return NULL;
    n->h = *h;
    n->user = user;
    n->port = port;
    snprintf(n->host, sizeof n->host, "%s", host);
    /* lws_parse_uri drops the path's leading '/'. */
    snprintf(n->path, sizeof n->path, "/%s", path);
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    info.fd_limit_per_thread = 4096;
    n->ctx = lws_create_context(&info);
    if (!n->ctx) {
        free(n);
        return NULL;
    }
    lws_sul_schedule(n->ctx, 0, &n->tick, on_tick, TICK_US);
    return n;
}

void tsn_anet_free(struct tsn_anet *n)
{
    if (!n)
        return;
    lws_sul_cancel(&n->tick);
    /* Destroying the context closes the sockets; the callbacks see NULL
     * users from here on. */
    for (size_t i = 0; i < n->n_conns; i++)
        if (n->conns[i]->wsi)
            lws_set_opaque_user_data(n->conns[i]->wsi, NULL);
    lws_context_destroy(n->ctx);
    for (size_t i = 0; i < n->n_conns; i++)
        conn_free(n->conns[i]);
    free(n->conns);
    free(n);
}

void *tsn_anet_user(const struct tsn_anet *n)
{
    return n->user;
}

struct tsn_anet_conn *tsn_anet_open(struct tsn_anet *n, const char *token, const char *name,
                                    void *conn_user)
{
    if (n->n_conns == n->cap_conns) {
        size_t cap = n->cap_conns ? n->cap_conns * 2 : 16;
        struct tsn_anet_conn **a = realloc(n->conns, cap * sizeof *a);
        if (!a)
            return NULL;
        n->conns = a;
        n->cap_conns = cap;
    }
    struct tsn_anet_conn *c = calloc(1, sizeof *c);
    if (!c)
        return NULL;
    c->token = strdup(token);
    if (!c->token) {
        free(c);
        return NULL;
    }
    c->net = n;
    c->user = conn_user;
    c->state = TSN_ANET_CONNECTING;
    snprintf(c->name, sizeof c->name, "%s", name);
    n->conns[n->n_conns++] = c;
    return c;
}

int tsn_anet_send(struct tsn_anet_conn *c, const char *text, size_t len, long tag)
{
    if (c->state != TSN_ANET_JOINING && c->state != TSN_ANET_JOINED)
        return -ENOTCONN;
    int rc = push(c, text, len, tag);
    if (rc == 0 && c->wsi)
        lws_callback_on_writable(c->wsi);
    return rc;
}

int tsn_anet_send_str(struct tsn_anet_conn *c, const char *text, long tag)
{
    return tsn_anet_send(c, text, strlen(text), tag);
}

void tsn_anet_close(struct tsn_anet_conn *c)
{
    if (!c->wsi || c->closing)
        return;
    c->closing = 1;
    c->close_deadline_us = tsn_anet_now_us() + CLOSE_TIMEOUT_US;
    lws_callback_on_writable(c->wsi);
}

int tsn_anet_run(struct tsn_anet *n, int64_t deadline_us, int (*step)(void *user), void *user)
{
    for (;;) {
        if (step && step(user))
            return 0;
        if (tsn_anet_now_us() >= deadline_us)
            return -ETIMEDOUT;
        if (lws_service(n->ctx, 0) < 0)
            return -EIO;
    }
}

void tsn_anet_sleep(struct tsn_anet *n, int64_t ms)
{
    tsn_anet_run(n, tsn_anet_now_us() + ms * 1000, NULL, NULL);
}

enum tsn_anet_state tsn_anet_state(const struct tsn_anet_conn *c)
{
    return c->state;
}

const char *tsn_anet_name(const struct tsn_anet_conn *c)
{
    return c->name;
}

const char *tsn_anet_sub(const struct tsn_anet_conn *c)
{
    return c->sub;
}

const char *tsn_anet_why(const struct tsn_anet_conn *c)
{
    return c->why;
}

int tsn_anet_close_code(const struct tsn_anet_conn *c)
{
    return c->close_code;
}

size_t tsn_anet_queued(const struct tsn_anet_conn *c)
{
    return c->queued;
}

void *tsn_anet_conn_user(const struct tsn_anet_conn *c)
{
    return c->user;
}
