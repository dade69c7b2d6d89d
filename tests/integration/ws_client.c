/* tsn-ws-client: a scripted WebSocket client (libwebsockets) for the relay's
 * signalling channel, for the integration scripts:
 *
 *   tsn-ws-client --url wss://127.0.0.1:PORT/ws [STEP]... [--wait-ms N] [--expect-close]
 *
 * Steps run in command-line order:
 *   --send JSON        send JSON as one text message
 *   --send-file F      send the contents of file F (a whole message, as is)
 *   --type T           the "type" of the following --sdp-file messages (default subscribe)
 *   --stream JSON      add "stream":JSON to the following --sdp-file messages ("" for none)
 *   --sdp-file F       send {"type":T,"sdp":<contents of F>} (JSON-escaped by jansson)
 *   --stop             send {"type":"stop","session":S} with S from the last "answer"
 *   --hold-ms N        stay connected N ms (printing whatever arrives) before the next step
 *   --wait-file F      stay connected until file F exists (a script's go signal), at
 *                      most 60 s (then exit status 3)
 *
 * --ignore-type T (repeatable, anywhere): server messages of type T are
 * dropped as if never sent: not printed, not taken as a reply. For scripts
 * that check other messages while unrelated pushes (e.g. "presence") flow.
 *
 * After each send the client waits for one server message (any type) before
 * the next step, at most --reply-timeout-ms (default 5000). Every server
 * message is printed on stdout as one line (flushed at once, so a script can
 * watch the file). After the last step it waits until --wait-ms (default 500)
 * have passed with nothing received, then closes with 1000 and exits 0.
 * When the server closes, it prints "CLOSED <code>" (1006 when the connection
 * ended without a close frame) and exits 0 if --expect-close was given, 5
 * otherwise; with --expect-close, a server that has not closed by the end
 * gives exit status 4.
 *
 * Other exit statuses: 2 usage or file errors, 3 connection failure or no
 * reply in time. Diagnostics go to stderr. TLS: self-signed certificates and
 * any host name are accepted (the relay runs with a per-run certificate). */
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <libwebsockets.h>

#define MAX_STEPS          64
#define TICK_US            (10 * 1000)
#define CLOSE_TIMEOUT_US   (3 * 1000 * 1000)
#define MAX_RX_BYTES       (1024 * 1024)
#define EXIT_USAGE         2
#define EXIT_CONNECT       3
#define EXIT_NOT_CLOSED    4
#define EXIT_UNEXPECTED_CL 5
#define WAIT_FILE_US       (60LL * 1000 * 1000)
#define MAX_IGNORED_TYPES  4

enum step_kind { STEP_SEND, STEP_STOP, STEP_HOLD, STEP_WAIT_FILE };

struct step {
    enum step_kind kind;
    char *text; /* STEP_SEND: the message; STEP_WAIT_FILE: the path (owned) */
    long hold_ms;
};

struct client {
    struct lws_context *ctx;
    struct lws *wsi;
    lws_sorted_usec_list_t tick;
    struct step steps[MAX_STEPS];
    int n_steps;
    int cur;             /* index of the step in progress */
    int step_started;    /* the current step has been started */
    int want_write;      /* the current SEND step waits for WRITEABLE */
    int awaiting_reply;  /* sent; waiting for any server message */
    int64_t deadline_us; /* reply deadline or end of a hold */
    int64_t last_rx_us;  /* time of the last message (or of the last step) */
    long wait_ms;
    long reply_timeout_ms;
    int expect_close;
    int closing;    /* we initiated the close */
    int close_sent; /* the close frame has been queued */
    int finished;   /* leave the service loop */
    int exit_status;
    int peer_close_code;                    /* from the close frame, 0 if none */
    char session[64];                       /* from the last "answer" */
    const char *ignored[MAX_IGNORED_TYPES]; /* --ignore-type values (argv) */
    int n_ignored;
    char *rx; /* reassembly of one message (owned) */
    size_t rx_len;
};

static volatile sig_atomic_t interrupted;

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void finish(struct client *c, int status)
{
    if (c->finished)
        return;
    c->finished = 1;
    c->exit_status = status;
    lws_cancel_service(c->ctx);
}

/* Reads a whole file; returns a malloc'd NUL-terminated buffer or NULL. */
static char *read_file(const char *path, size_t *len_out)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL;
    size_t len = 0, cap = 0;
    if (!f) {
        fprintf(stderr, "tsn-ws-client: cannot open %s: %s\n", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (len + 4096 + 1 > cap) {
            cap = cap ? cap * 2 : 8192;
            char *b = realloc(buf, cap);
            if (!b)
                goto fail;
            buf = b;
        }
        size_t n = fread(buf + len, 1, cap - len - 1, f);
        len += n;
        if (n == 0)
            break;
    }
    if (ferror(f))
        goto fail;
    fclose(f);
    buf[len] = '\0';
    *len_out = len;
    return buf;
fail:
    fprintf(stderr, "tsn-ws-client: cannot read %s\n", path);
    free(buf);
    fclose(f);
    return NULL;
}

/* {"type":TYPE,"sdp":<file>[,"stream":STREAM]}: jansson does the escaping
 * of CR, LF and quotes. `stream` (nullable or "") is JSON text, sent as is
 * (it may be invalid on purpose: any JSON value). */
static char *sdp_message(const char *type, const char *path, const char *stream)
{
    size_t len;
    char *sdp = read_file(path, &len);
    if (!sdp)
        return NULL;
    json_t *o = json_pack("{s:s, s:s%}", "type", type, "sdp", sdp, len);
    free(sdp);
    if (!o) {
        fprintf(stderr, "tsn-ws-client: %s is not valid UTF-8 text\n", path);
        return NULL;
    }
    if (stream && *stream) {
        json_error_t err;
        json_t *v = json_loads(stream, JSON_DECODE_ANY, &err);
        if (!v) {
            fprintf(stderr, "tsn-ws-client: --stream is not JSON: %s\n", err.text);
            json_decref(o);
            return NULL;
        }
        json_object_set_new(o, "stream", v);
    }
    char *text = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return text;
}

/* Notes the session of an "answer"; returns 1 if the message's type is one
 * of the --ignore-type values. */
static int look_at(struct client *c, const char *msg, size_t len)
{
    json_t *o = json_loadb(msg, len, 0, NULL);
    const char *type = json_string_value(json_object_get(o, "type"));
    const char *session = json_string_value(json_object_get(o, "session"));
    int ignored = 0;
    if (type && session && strcmp(type, "answer") == 0)
        snprintf(c->session, sizeof c->session, "%s", session);
    for (int i = 0; type && i < c->n_ignored; i++)
        ignored |= strcmp(type, c->ignored[i]) == 0;
    json_decref(o);
    return ignored;
}

/* One complete server message: print it as one line. */
static void on_message(struct client *c)
{
    if (look_at(c, c->rx, c->rx_len))
        return;
    for (size_t i = 0; i < c->rx_len; i++)
        if (c->rx[i] == '\n' || c->rx[i] == '\r')
            c->rx[i] = ' ';
    fwrite(c->rx, 1, c->rx_len, stdout);
    fputc('\n', stdout);
    fflush(stdout);
    c->last_rx_us = now_us();
    if (c->awaiting_reply) {
        c->awaiting_reply = 0;
        c->cur++;
        c->step_started = 0;
    }
}

static int on_receive(struct client *c, struct lws *wsi, const void *in, size_t len)
{
    if (lws_is_first_fragment(wsi))
        c->rx_len = 0;
    if (c->rx_len + len > MAX_RX_BYTES) {
        fprintf(stderr, "tsn-ws-client: server message longer than %d bytes\n", MAX_RX_BYTES);
        finish(c, EXIT_CONNECT);
        return -1;
    }
    char *b = realloc(c->rx, c->rx_len + len + 1);
    if (!b)
        return -1;
    c->rx = b;
    memcpy(c->rx + c->rx_len, in, len);
    c->rx_len += len;
    if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
        on_message(c);
        c->rx_len = 0;
    }
    return 0;
}

static int write_text(struct lws *wsi, const char *text)
{
    size_t len = strlen(text);
    unsigned char *buf = malloc(LWS_PRE + len);
    if (!buf)
        return -1;
    memcpy(buf + LWS_PRE, text, len);
    int n = lws_write(wsi, buf + LWS_PRE, len, LWS_WRITE_TEXT);
    free(buf);
    return n < (int)len ? -1 : 0;
}

static int on_writeable(struct client *c, struct lws *wsi)
{
    if (c->closing) {
        if (c->close_sent)
            return 0;
        c->close_sent = 1;
        lws_close_reason(wsi, LWS_CLOSE_STATUS_NORMAL, NULL, 0);
        return -1;
    }
    if (!c->want_write)
        return 0;
    c->want_write = 0;
    struct step *s = &c->steps[c->cur];
    char stop[128];
    const char *text = s->text;
    if (s->kind == STEP_STOP) {
        snprintf(stop, sizeof stop, "{\"type\":\"stop\",\"session\":\"%s\"}", c->session);
        text = stop;
    }
    if (write_text(wsi, text) != 0) {
        fprintf(stderr, "tsn-ws-client: cannot send message %d\n", c->cur + 1);
        finish(c, EXIT_CONNECT);
        return -1;
    }
    fprintf(stderr, "tsn-ws-client: sent message %d (%zu bytes)\n", c->cur + 1, strlen(text));
    c->awaiting_reply = 1;
    c->deadline_us = now_us() + (int64_t)c->reply_timeout_ms * 1000;
    return 0;
}

/* Advances the script; called every TICK_US and after each message. */
static void run_script(struct client *c)
{
    int64_t t = now_us();
    if (!c->wsi || c->finished)
        return;
    /* A writeable request made from inside another callback can be lost
     * (seen under ASan and strace): repeat it on every tick until served. */
    if (c->want_write || c->closing)
        lws_callback_on_writable(c->wsi);
    if (c->closing) {
        if (t > c->deadline_us) {
            fprintf(stderr, "tsn-ws-client: the close handshake did not finish\n");
            finish(c, 0);
        }
        return;
    }
    if (c->awaiting_reply) {
        if (t > c->deadline_us) {
            fprintf(stderr, "tsn-ws-client: no reply to message %d within %ld ms\n", c->cur + 1,
                    c->reply_timeout_ms);
            finish(c, EXIT_CONNECT);
        }
        return;
    }
    if (c->cur >= c->n_steps) {
        if (t - c->last_rx_us < (int64_t)c->wait_ms * 1000)
            return;
        if (c->expect_close) {
            fprintf(stderr, "tsn-ws-client: the server did not close the connection\n");
            finish(c, EXIT_NOT_CLOSED);
            return;
        }
        c->closing = 1;
        c->deadline_us = t + CLOSE_TIMEOUT_US;
        lws_callback_on_writable(c->wsi);
        return;
    }
    struct step *s = &c->steps[c->cur];
    if (!c->step_started) {
        c->step_started = 1;
        if (s->kind == STEP_HOLD) {
            c->deadline_us = t + (int64_t)s->hold_ms * 1000;
        } else if (s->kind == STEP_WAIT_FILE) {
            c->deadline_us = t + WAIT_FILE_US;
        } else {
            if (s->kind == STEP_STOP && !c->session[0]) {
                fprintf(stderr, "tsn-ws-client: --stop but no answer with a session arrived\n");
                finish(c, EXIT_USAGE);
                return;
            }
            c->want_write = 1;
            lws_callback_on_writable(c->wsi);
        }
        return;
    }
    if (s->kind == STEP_WAIT_FILE && access(s->text, F_OK) == 0) {
        c->deadline_us = t; /* the signal came: the step ends now */
    } else if (s->kind == STEP_WAIT_FILE && t >= c->deadline_us) {
        fprintf(stderr, "tsn-ws-client: %s did not appear within 60 s\n", s->text);
        finish(c, EXIT_CONNECT);
        return;
    }
    if ((s->kind == STEP_HOLD || s->kind == STEP_WAIT_FILE) && t >= c->deadline_us) {
        c->cur++;
        c->step_started = 0;
        c->last_rx_us = t; /* the final quiet period starts after a hold */
    }
}

static void on_tick(lws_sorted_usec_list_t *sul)
{
    struct client *c = lws_container_of(sul, struct client, tick);
    if (interrupted) {
        fprintf(stderr, "tsn-ws-client: interrupted\n");
        finish(c, 1);
        return;
    }
    run_script(c);
    if (!c->finished)
        lws_sul_schedule(c->ctx, 0, &c->tick, on_tick, TICK_US);
}

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    struct client *c = lws_context_user(lws_get_context(wsi));
    switch (reason) {
    case LWS_CALLBACK_CLIENT_CONNECTION_ERROR:
        fprintf(stderr, "tsn-ws-client: connection failed: %s\n",
                in ? (const char *)in : "(no reason)");
        c->wsi = NULL;
        finish(c, EXIT_CONNECT);
        return 0;
    case LWS_CALLBACK_CLIENT_ESTABLISHED:
        fprintf(stderr, "tsn-ws-client: connected\n");
        c->wsi = wsi;
        c->last_rx_us = now_us();
        run_script(c);
        return 0;
    case LWS_CALLBACK_CLIENT_RECEIVE:
        if (on_receive(c, wsi, in, len) != 0)
            return -1;
        run_script(c);
        return 0;
    case LWS_CALLBACK_CLIENT_WRITEABLE:
        return on_writeable(c, wsi);
    case LWS_CALLBACK_WS_PEER_INITIATED_CLOSE:
        if (len >= 2) {
            const unsigned char *p = in;
            c->peer_close_code = (p[0] << 8) | p[1];
        }
        return 0;
    case LWS_CALLBACK_CLIENT_CLOSED:
        c->wsi = NULL;
        if (c->closing) {
            finish(c, 0);
            return 0;
        }
        printf("CLOSED %d\n", c->peer_close_code ? c->peer_close_code : 1006);
        fflush(stdout);
        if (!c->expect_close)
            fprintf(stderr, "tsn-ws-client: the server closed the connection\n");
        finish(c, c->expect_close ? 0 : EXIT_UNEXPECTED_CL);
        return 0;
    default:
        return 0;
    }
}

static const struct lws_protocols protocols[] = {
    {"telesono", callback, 0, 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void usage(void)
{
    fprintf(stderr, "usage: tsn-ws-client --url wss://HOST:PORT/PATH [--send JSON] "
                    "[--send-file F] [--type T] [--stream JSON] [--sdp-file F] [--stop] "
                    "[--hold-ms N] [--wait-file F]... [--ignore-type T] "
                    "[--wait-ms N] [--reply-timeout-ms N] [--expect-close]\n");
}

static int add_step(struct client *c, enum step_kind kind, char *text, long hold_ms)
{
    if (c->n_steps >= MAX_STEPS || ((kind == STEP_SEND || kind == STEP_WAIT_FILE) && !text)) {
        free(text);
        return -1;
    }
    c->steps[c->n_steps++] = (struct step){kind, text, hold_ms};
    return 0;
}

static int parse_ms(const char *s, long *out)
{
    char *end;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || v < 0)
        return -1;
    *out = v;
    return 0;
}

/* Parses the arguments into c and the URL parts (pointing into url_copy). */
static int parse_args(int argc, char **argv, struct client *c, char *url_copy, size_t url_len,
                      const char **host, int *port, const char **path)
{
    const char *type = "subscribe";
    const char *stream = NULL;
    const char *url = NULL;
    long hold;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
        int rc = 0;
        if (strcmp(a, "--expect-close") == 0) {
            c->expect_close = 1;
            continue;
        }
        if (strcmp(a, "--stop") == 0) {
            rc = add_step(c, STEP_STOP, NULL, 0);
            if (rc)
                return -1;
            continue;
        }
        if (!v) {
            usage();
            return -1;
        }
        i++;
        size_t len;
        if (strcmp(a, "--url") == 0)
            url = v;
        else if (strcmp(a, "--send") == 0)
            rc = add_step(c, STEP_SEND, strdup(v), 0);
        else if (strcmp(a, "--send-file") == 0)
            rc = add_step(c, STEP_SEND, read_file(v, &len), 0);
        else if (strcmp(a, "--type") == 0)
            type = v;
        else if (strcmp(a, "--stream") == 0)
            stream = v;
        else if (strcmp(a, "--sdp-file") == 0)
            rc = add_step(c, STEP_SEND, sdp_message(type, v, stream), 0);
        else if (strcmp(a, "--wait-file") == 0)
            rc = add_step(c, STEP_WAIT_FILE, strdup(v), 0);
        else if (strcmp(a, "--hold-ms") == 0)
            rc = parse_ms(v, &hold) ? -1 : add_step(c, STEP_HOLD, NULL, hold);
        else if (strcmp(a, "--wait-ms") == 0)
            rc = parse_ms(v, &c->wait_ms);
        else if (strcmp(a, "--reply-timeout-ms") == 0)
            rc = parse_ms(v, &c->reply_timeout_ms);
        else if (strcmp(a, "--ignore-type") == 0)
            rc = c->n_ignored < MAX_IGNORED_TYPES ? (c->ignored[c->n_ignored++] = v, 0) : -1;
        else {
            usage();
            return -1;
        }
        if (rc) {
            fprintf(stderr, "tsn-ws-client: bad value for %s: %s\n", a, v);
            return -1;
        }
    }
    if (!url) {
        usage();
        return -1;
    }
    snprintf(url_copy, url_len, "%s", url);
    const char *proto;
    if (lws_parse_uri(url_copy, &proto, host, port, path) || strcmp(proto, "wss") != 0) {
        fprintf(stderr, "tsn-ws-client: --url must be wss://HOST:PORT/PATH, got %s\n", url);
        return -1;
    }
    return 0;
}

static void on_signal(int sig)
{
    interrupted = 1;
}

int main(int argc, char **argv)
{
    static struct client c = {.wait_ms = 500, .reply_timeout_ms = 5000};
    char url[1024], path_buf[1024];
    const char *host, *path;
    int port, status = EXIT_USAGE;
    if (parse_args(argc, argv, &c, url, sizeof url, &host, &port, &path) != 0)
        goto out;
    /* lws_parse_uri drops the leading '/' of the path. */
    snprintf(path_buf, sizeof path_buf, "/%s", path);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    lws_set_log_level(LLL_ERR, NULL);

    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    info.port = CONTEXT_PORT_NO_LISTEN;
    info.protocols = protocols;
    info.user = &c;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT;
    c.ctx = lws_create_context(&info);
    if (!c.ctx) {
        fprintf(stderr, "tsn-ws-client: cannot create the lws context\n");
        status = EXIT_CONNECT;
        goto out;
    }
    struct lws_client_connect_info ci;
    memset(&ci, 0, sizeof ci);
    ci.context = c.ctx;
    ci.address = host;
    ci.port = port;
    ci.path = path_buf;
    ci.host = host;
    ci.origin = host;
    ci.protocol = "telesono";
    ci.ssl_connection =
        LCCSCF_USE_SSL | LCCSCF_ALLOW_SELFSIGNED | LCCSCF_SKIP_SERVER_CERT_HOSTNAME_CHECK;
    ci.pwsi = &c.wsi;
    if (!lws_client_connect_via_info(&ci) && !c.finished) {
        fprintf(stderr, "tsn-ws-client: cannot connect to %s:%d\n", host, port);
        status = EXIT_CONNECT;
        goto out_ctx;
    }
    lws_sul_schedule(c.ctx, 0, &c.tick, on_tick, TICK_US);
    while (!c.finished)
        if (lws_service(c.ctx, 0) < 0)
            break;
    status = c.finished ? c.exit_status : EXIT_CONNECT;
out_ctx:
    lws_sul_cancel(&c.tick);
    lws_context_destroy(c.ctx);
out:
    for (int i = 0; i < c.n_steps; i++)
        free(c.steps[i].text);
    free(c.rx);
    return status;
}
