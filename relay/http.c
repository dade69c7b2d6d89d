/* The HTTPS + WSS server (libwebsockets on the main thread): lws set-up,
 * WHIP and WHEP resources, /healthz, /metrics, /stream/<room>, and the web
 * viewer's static files (GET and HEAD below --web-root, for any path the
 * routes do not claim), and the recordings REST API (/recordings/..., whose
 * requests rec_api.c answers; file replies are streamed by file_send.c). Requests are routed by a
 * table of small handlers; media work is handed to the session registry, which hands peers to the
 * media thread. The /ws signalling channel lives in ws_channel.c; this file
 * only forwards its lws callbacks there. Which static paths are allowed and
 * how files are read is static_files.c's business. Stream metadata (per
 * room, set by the capture over /ws) is kept in the per-vhost state created
 * here. TLS 1.2+ only, HTTP/1.1 only (no h2, so WebSocket upgrades always
 * work). */
#include "http_int.h"

#include "file_ticket.h"
#include "log.h"
#include "rec_api.h"
#include "static_files.h"
#include "stream_meta.h"
#include "ws_channel.h"
#include "ws_record.h"

#include <errno.h>
#include <fcntl.h>
#include <libwebsockets.h>
#include <openssl/ssl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define MAX_BODY_BYTES (64 * 1024)
/* A response body goes out in pieces of this size, one per WRITEABLE, so a
 * 4 MiB file never sits whole in lws's own buffer. */
#define WRITE_CHUNK_BYTES (64 * 1024)

/* Rooms whose stream metadata is remembered beyond max_peers (ended streams
 * are forgotten first when it is full). */
#define EXTRA_STREAM_ROOMS 256

/* The web viewer's pages: everything from this origin only, media from
 * blob: URLs, WebSockets to wss:, and never inside a frame. */
static const char page_csp[] =
    "default-src 'self'; connect-src 'self' wss:; media-src 'self' blob:; "
    "img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'";

struct request {
    struct tsn_relay *r;
    struct lws *wsi;
    struct pss *pss;
    const char *room;    /* nullable */
    const char *session; /* nullable */
};

struct reply {
    int status;
    const char *content_type;
    char *body; /* malloc'd, nullable (HEAD of a file: NULL with body_len set) */
    size_t body_len;
    char location[128];
    const char *cache_control;  /* NULL: "no-store" */
    int page;                   /* an HTML page: Content-Security-Policy and Referrer-Policy */
    struct tsn_file_send *file; /* instead of body: a file to stream, with its own headers */
};

/* --- replies ---------------------------------------------------------- */

static void reply_text(struct reply *out, int status, const char *text)
{
    char buf[512];
    snprintf(buf, sizeof buf, "%s", text);
    out->status = status;
    out->content_type = "text/plain; charset=utf-8";
    out->body_len = strlen(buf) + 1;
    out->body = malloc(out->body_len + 1);
    if (out->body) {
        memcpy(out->body, buf, out->body_len - 1);
        out->body[out->body_len - 1] = '\n';
        out->body[out->body_len] = '\0';
    } else {
        out->body_len = 0;
    }
}

static int add_header(struct lws *wsi, const char *name, const char *value, unsigned char **p,
                      unsigned char *end)
{
    return lws_add_http_header_by_name(wsi, (const unsigned char *)name,
                                       (const unsigned char *)value, (int)strlen(value), p, end);
}

static int add_page_headers(struct lws *wsi, unsigned char **p, unsigned char *end)
{
    return add_header(wsi, "content-security-policy:", page_csp, p, end) ||
           add_header(wsi, "referrer-policy:", "no-referrer", p, end);
}

/* A file reply: its headers now, the body on WRITEABLE (pss owns it then). */
static int send_file_reply(struct lws *wsi, struct pss *pss, struct reply *rep)
{
    free(rep->body);
    int rc = tsn_file_send_headers(rep->file, wsi, pss->method == M_HEAD);
    if (rc == 1) {
        pss->file = rep->file;
        return 0;
    }
    tsn_file_send_free(rep->file);
    if (rc < 0)
        return -1;
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static int send_reply(struct lws *wsi, struct pss *pss, struct reply *rep)
{
    if (rep->file)
        return send_file_reply(wsi, pss, rep);
    unsigned char hdr[LWS_PRE + 2048];
    unsigned char *start = hdr + LWS_PRE, *p = start, *end = hdr + sizeof hdr - 1;
    if (lws_add_http_common_headers(wsi, (unsigned)rep->status, rep->content_type, rep->body_len,
                                    &p, end))
        goto fail;
    if (rep->location[0] && lws_add_http_header_by_name(wsi, (const unsigned char *)"location:",
                                                        (const unsigned char *)rep->location,
                                                        (int)strlen(rep->location), &p, end))
        goto fail;
    if (add_header(wsi, "x-content-type-options:", "nosniff", &p, end) ||
        add_header(wsi, "cache-control:", rep->cache_control ? rep->cache_control : "no-store", &p,
                   end) ||
        (rep->page && add_page_headers(wsi, &p, end)))
        goto fail;
    if ((rep->status == 204 || rep->status == 405) &&
        add_header(wsi, "allow:", "GET, HEAD, POST, DELETE, OPTIONS", &p, end))
        goto fail;
    if (lws_finalize_write_http_header(wsi, start, &p, end))
        goto fail;
    /* HEAD: the headers of the GET, Content-Length included, and no body. */
    if (rep->body_len == 0 || pss->method == M_HEAD) {
        free(rep->body);
        return lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    if (!rep->body)
        goto fail; /* only HEAD has a length without a body */
    pss->resp = malloc(LWS_PRE + rep->body_len);
    if (!pss->resp)
        goto fail;
    memcpy(pss->resp + LWS_PRE, rep->body, rep->body_len);
    pss->resp_len = rep->body_len;
    pss->resp_sent = 0;
    free(rep->body);
    lws_callback_on_writable(wsi);
    return 0;
fail:
    free(rep->body);
    return -1;
}

/* --- handlers --------------------------------------------------------- */

static int authorize_with(struct request *q, const struct tsn_auth *auth, unsigned roles,
                          struct tsn_claims *who, struct reply *out)
{
    char why[256];
    const char *token = tsn_auth_bearer(q->pss->auth);
    int status = tsn_auth_check(auth, token, q->room, roles, who, why, sizeof why);
    if (status) {
        tsn_metric_add(&q->r->metrics.auth_failures, 1);
        tsn_info("[http] %s refused: %s", q->pss->path[1] == 'w' ? "media request" : "request",
                 why);
        reply_text(out, status, why);
    }
    return status;
}

static int authorize(struct request *q, unsigned roles, struct tsn_claims *who, struct reply *out)
{
    return authorize_with(q, &q->r->auth, roles, who, out);
}

static void handle_offer(struct request *q, enum tsn_peer_kind kind, struct reply *out)
{
    struct tsn_claims who;
    unsigned roles = kind == TSN_PEER_PUBLISHER ? TSN_ROLES_PUBLISH : TSN_ROLES_VIEW;
    if (authorize(q, roles, &who, out))
        return;
    if (relay_full(q->r)) {
        reply_text(out, 503, RELAY_FULL);
        return;
    }
    if (!q->pss->body || q->pss->body_len == 0) {
        reply_text(out, 400, "empty body: send an SDP offer (application/sdp)");
        return;
    }
    char *answer = malloc(32 * 1024);
    char why[256] = "";
    char id[TSN_SESSION_ID_LEN + 1];
    if (!answer) {
        reply_text(out, 503, "out of memory");
        return;
    }
    int status = tsn_sessions_offer(q->r->sessions, kind, &who, q->pss->body, q->pss->body_len,
                                    NULL, answer, 32 * 1024, id, why, sizeof why);
    if (status != 201) {
        reply_text(out, status, why);
        free(answer);
        return;
    }
    out->status = 201;
    out->content_type = "application/sdp";
    out->body = answer;
    out->body_len = strlen(answer);
    snprintf(out->location, sizeof out->location, "/%s/%s/%s",
             kind == TSN_PEER_PUBLISHER ? "whip" : "whep", who.room, id);
    tsn_recorder_audit(q->r->recorder, who.room, who.sub, who.role, "join",
                       kind == TSN_PEER_PUBLISHER ? "whip" : "whep");
    if (kind == TSN_PEER_PUBLISHER)
        tsn_ws_record_published(q->r, vhd_of(q->wsi), who.room, who.sub);
}

static void on_whip(struct request *q, struct reply *out)
{
    handle_offer(q, TSN_PEER_PUBLISHER, out);
}

static void on_whep(struct request *q, struct reply *out)
{
    handle_offer(q, TSN_PEER_SUBSCRIBER, out);
}

static void on_delete(struct request *q, struct reply *out)
{
    /* Ending one's own session is always safe, so a token that expired during
     * a long session still may (its signature, room and subject still count). */
    struct tsn_auth lenient = q->r->auth;
    lenient.leeway_s = 7 * 24 * 3600;
    struct tsn_claims who;
    if (authorize_with(q, &lenient, TSN_ROLES_ANY_MEDIA, &who, out))
        return;
    int status = tsn_sessions_delete(q->r->sessions, q->room, q->session, who.sub, NULL);
    if (status == 204) {
        out->status = 200;
        out->content_type = "text/plain";
        return;
    }
    reply_text(out, status, status == 404 ? "no such session" : "relay is busy, try again");
}

/* GET /stream/<room>: the room's metadata for players that only use WHEP. */
static void on_stream_get(struct request *q, struct reply *out)
{
    struct tsn_claims who;
    if (authorize(q, TSN_ROLES_VIEW, &who, out))
        return;
    struct vhd *v = vhd_of(q->wsi);
    struct tsn_stream_meta meta;
    int live;
    if (!v || !tsn_stream_rooms_get(v->streams, q->room, &meta, &live)) {
        reply_text(out, 404, "this room has no stream metadata");
        return;
    }
    out->body = tsn_stream_meta_dumps(&meta, live);
    if (!out->body) {
        reply_text(out, 503, "out of memory");
        return;
    }
    out->status = 200;
    out->content_type = "application/json";
    out->body_len = strlen(out->body);
}

static void on_healthz(struct request *q, struct reply *out)
{
    reply_text(out, 200, "ok");
}

static void on_metrics(struct request *q, struct reply *out)
{
    size_t cap = 16 * 1024;
    out->body = malloc(cap);
    int n = out->body ? tsn_metrics_render(&q->r->metrics, out->body, cap) : -1;
    if (n < 0) {
        free(out->body);
        out->body = NULL;
        reply_text(out, 500, "metrics do not fit");
        return;
    }
    out->status = 200;
    out->content_type = "text/plain; version=0.0.4";
    out->body_len = (size_t)n;
}

/* The reply status for an error of static_files.c. */
static int static_status(int rc)
{
    switch (rc) {
    case -ENOENT:
    case -ENXIO:
        return 404;
    case -ENAMETOOLONG:
        return 414;
    case -ENOMEM:
        return 503;
    case -EIO:
        return 500;
    default: /* -EACCES, -EISDIR, -ELOOP, -EFBIG */
        return 403;
    }
}

/* GET or HEAD of a file of the web viewer. `path` is the request path as
 * lws hands it over (decoded once, dot segments folded). */
static void serve_static(struct request *q, const char *path, struct reply *out)
{
    const char *root = q->r->cfg.web_root;
    char rel[TSN_STATIC_FILES_MAX_PATH + 1];
    const char *why = "not found";
    int rc = root[0] ? 0 : -ENOENT;
    if (rc == 0)
        rc = tsn_static_files_resolve(path, strlen(path), TSN_STATIC_FILES_DECODED, rel, sizeof rel,
                                      &why);
    if (rc == 0)
        rc = tsn_static_files_read(root, rel, TSN_STATIC_FILES_MAX_BYTES, q->pss->method != M_HEAD,
                                   &out->body, &out->body_len, &why);
    if (rc) {
        tsn_debug("[http] static file refused (%d): %s", static_status(rc), why);
        reply_text(out, static_status(rc), why);
        return;
    }
    out->status = 200;
    out->content_type = tsn_static_files_content_type(rel, &out->page);
    /* Revalidated on every load: a new build of the app is never mixed
     * with cached modules of the old one. */
    out->cache_control = "no-cache";
}

static void on_index(struct request *q, struct reply *out)
{
    if (q->r->cfg.web_root[0]) {
        serve_static(q, "/", out);
        return;
    }
    reply_text(out, 200,
               "Telesono relay. WHIP: POST /whip/<room>; WHEP: POST /whep/<room>; "
               "stream metadata: GET /stream/<room>; signalling: wss /ws; health: /healthz; "
               "metrics: /metrics");
}

static void on_options(struct request *q, struct reply *out)
{
    out->status = 204;
    out->content_type = "text/plain";
}

/* --- recordings ------------------------------------------------------- */

static void rec_timer(lws_sorted_usec_list_t *sul)
{
    struct vhd *v = lws_container_of(sul, struct vhd, rec_sul);
    if (v->rec_api && !v->stopping && tsn_rec_api_tick(v->rec_api) > 0)
        lws_sul_schedule(v->ctx, 0, &v->rec_sul, rec_timer, 500 * LWS_US_PER_MS);
}

/* /recordings/...: rec_api.c answers; the exporters it starts are reaped
 * by rec_timer while any runs. */
static void on_recordings(struct request *q, struct reply *out)
{
    static const enum tsn_rec_api_method methods[] = {
        [M_GET] = TSN_REC_API_GET,       [M_HEAD] = TSN_REC_API_HEAD,
        [M_POST] = TSN_REC_API_POST,     [M_DELETE] = TSN_REC_API_DELETE,
        [M_OPTIONS] = TSN_REC_API_OTHER, [M_PATCH] = TSN_REC_API_OTHER,
    };
    struct vhd *v = vhd_of(q->wsi);
    if (!v || !v->rec_api) {
        reply_text(out, 503, "recordings are unavailable on this relay");
        return;
    }
    /* The ticket and the Range header only live for this call; neither is
     * ever logged. A value too long for its buffer counts as absent. */
    char ticket[TSN_FILE_TICKET_MAX + 16], range[256];
    const char *t = lws_get_urlarg_by_name(q->wsi, "ticket=", ticket, (int)sizeof ticket);
    struct tsn_rec_api_request rq = {
        .method = methods[q->pss->method],
        .path = q->pss->path,
        .bearer = tsn_auth_bearer(q->pss->auth),
        .ticket = t && *t ? t : NULL,
        .range = lws_hdr_copy(q->wsi, range, sizeof range, WSI_TOKEN_HTTP_RANGE) > 0 ? range : NULL,
        .body = q->pss->body,
        .body_len = q->pss->body_len,
    };
    struct tsn_rec_api_reply rep;
    tsn_rec_api_handle(v->rec_api, &rq, &rep);
    OPENSSL_cleanse(ticket, sizeof ticket);
    out->status = rep.status;
    out->content_type = rep.content_type;
    out->body = rep.body;
    out->body_len = rep.body_len;
    out->file = rep.file;
    if (tsn_rec_api_tick(v->rec_api) > 0)
        lws_sul_schedule(v->ctx, 0, &v->rec_sul, rec_timer, 500 * LWS_US_PER_MS);
}

/* --- routing ---------------------------------------------------------- */

enum { SEG_NONE = 0, SEG_ROOM, SEG_ROOM_SESSION };

static const struct route {
    enum tsn_http_method method;
    const char *prefix; /* first path segment, "" for "/" */
    int segs;           /* what follows the prefix */
    void (*handler)(struct request *, struct reply *);
} routes[] = {
    {M_POST, "whip", SEG_ROOM, on_whip},
    {M_POST, "whep", SEG_ROOM, on_whep},
    {M_DELETE, "whip", SEG_ROOM_SESSION, on_delete},
    {M_DELETE, "whep", SEG_ROOM_SESSION, on_delete},
    {M_OPTIONS, "whip", SEG_ROOM, on_options},
    {M_OPTIONS, "whep", SEG_ROOM, on_options},
    {M_GET, "stream", SEG_ROOM, on_stream_get},
    {M_GET, "healthz", SEG_NONE, on_healthz},
    {M_GET, "metrics", SEG_NONE, on_metrics},
    {M_GET, "", SEG_NONE, on_index},
};

/* Splits "/prefix[/room[/session]]" in place. Returns the segment count. */
static int split_path(char *path, char *segs[3])
{
    int n = 0;
    char *save = NULL;
    for (char *t = strtok_r(path, "/", &save); t; t = strtok_r(NULL, "/", &save)) {
        if (n == 3)
            return -1;
        segs[n++] = t;
    }
    return n;
}

static int session_id_valid(const char *s)
{
    return strlen(s) == TSN_SESSION_ID_LEN && strspn(s, "0123456789abcdef") == TSN_SESSION_ID_LEN;
}

/* The first path segments the API owns: never a static file, whatever
 * follows (a file named "metrics" or a directory "whip" is not served). */
static int reserved_prefix(const char *first)
{
    if (strcmp(first, "ws") == 0 || strcmp(first, "recordings") == 0)
        return 1;
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++)
        if (routes[i].prefix[0] && strcmp(routes[i].prefix, first) == 0)
            return 1;
    return 0;
}

/* HEAD is answered wherever GET is. */
static int method_matches(enum tsn_http_method route_method, enum tsn_http_method m)
{
    return route_method == m || (route_method == M_GET && m == M_HEAD);
}

static void route(struct request *q, struct reply *out)
{
    if (strncmp(q->pss->path, "/recordings", 11) == 0 &&
        (q->pss->path[11] == '/' || q->pss->path[11] == '\0')) {
        on_recordings(q, out);
        return;
    }
    char path[sizeof q->pss->path];
    char *segs[3] = {NULL, NULL, NULL};
    memcpy(path, q->pss->path, sizeof path);
    int n = split_path(path, segs);
    const char *prefix = n > 0 ? segs[0] : "";
    int path_known = 0;
    for (size_t i = 0; n >= 0 && i < sizeof routes / sizeof routes[0]; i++) {
        const struct route *rt = &routes[i];
        if (strcmp(rt->prefix, prefix) != 0 || n != 1 + rt->segs - (rt->prefix[0] ? 0 : 1))
            continue;
        path_known = 1;
        if (!method_matches(rt->method, q->pss->method))
            continue;
        q->room = rt->segs >= SEG_ROOM ? segs[1] : NULL;
        q->session = rt->segs == SEG_ROOM_SESSION ? segs[2] : NULL;
        if (q->room && !tsn_room_name_valid(q->room)) {
            reply_text(out, 400, "invalid room name: use 1-64 of A-Z a-z 0-9 _ -");
            return;
        }
        if (q->session && !session_id_valid(q->session)) {
            reply_text(out, 404, "no such session");
            return;
        }
        rt->handler(q, out);
        return;
    }
    if (path_known)
        reply_text(out, 405, "method not allowed");
    else if ((q->pss->method == M_GET || q->pss->method == M_HEAD) &&
             !reserved_prefix(segs[0] ? segs[0] : ""))
        serve_static(q, q->pss->path, out);
    else
        reply_text(out, 404, "not found");
}

static int respond(struct lws *wsi, struct pss *pss)
{
    struct tsn_relay *r = relay_of(wsi);
    struct request q = {.r = r, .wsi = wsi, .pss = pss};
    struct reply rep = {0};
    tsn_metric_add(&r->metrics.http_requests, 1);
    if (pss->body_too_large)
        reply_text(&rep, 413, "request body too large");
    else if (pss->path_too_long)
        reply_text(&rep, 414, "request path too long");
    else
        route(&q, &rep);
    return send_reply(wsi, pss, &rep);
}

static enum tsn_http_method method_of(struct lws *wsi)
{
    static const struct {
        enum lws_token_indexes tok;
        enum tsn_http_method m;
    } map[] = {
        {WSI_TOKEN_GET_URI, M_GET},       {WSI_TOKEN_POST_URI, M_POST},
        {WSI_TOKEN_DELETE_URI, M_DELETE}, {WSI_TOKEN_OPTIONS_URI, M_OPTIONS},
        {WSI_TOKEN_PATCH_URI, M_PATCH},   {WSI_TOKEN_HEAD_URI, M_HEAD},
    };
    for (size_t i = 0; i < sizeof map / sizeof map[0]; i++)
        if (lws_hdr_total_length(wsi, map[i].tok) > 0)
            return map[i].m;
    return M_OTHER;
}

static void http_cleanup(struct pss *pss);

static int on_http(struct lws *wsi, struct pss *pss, const char *uri)
{
    http_cleanup(pss); /* a keep-alive connection's previous request */
    memset(pss, 0, sizeof *pss);
    pss->method = method_of(wsi);
    /* Refused rather than cut: a shortened path could name another file. */
    pss->path_too_long = uri && strlen(uri) >= sizeof pss->path;
    snprintf(pss->path, sizeof pss->path, "%s", uri && !pss->path_too_long ? uri : "/");
    if (lws_hdr_copy(wsi, pss->auth, sizeof pss->auth, WSI_TOKEN_HTTP_AUTHORIZATION) < 0)
        pss->auth[0] = '\0';
    if ((pss->method == M_POST || pss->method == M_PATCH) &&
        lws_hdr_total_length(wsi, WSI_TOKEN_HTTP_CONTENT_LENGTH) > 0)
        return 0; /* wait for the body */
    return respond(wsi, pss);
}

static int on_body(struct pss *pss, const void *in, size_t len)
{
    if (len == 0)
        return 0; /* lws passes in == NULL for an empty body */
    if (pss->body_too_large || pss->body_len + len > MAX_BODY_BYTES) {
        pss->body_too_large = 1;
        return 0;
    }
    char *b = realloc(pss->body, pss->body_len + len + 1);
    if (!b)
        return -1;
    memcpy(b + pss->body_len, in, len);
    pss->body = b;
    pss->body_len += len;
    b[pss->body_len] = '\0';
    return 0;
}

/* Sends the next piece of the body (the bytes before it, already sent,
 * serve as the LWS_PRE headroom lws_write may use). */
static int on_http_writeable(struct lws *wsi, struct pss *pss)
{
    if (pss->file) {
        int rc = tsn_file_send_writeable(pss->file, wsi);
        if (rc == 1)
            return 0;
        tsn_file_send_free(pss->file);
        pss->file = NULL;
        return rc < 0 || lws_http_transaction_completed(wsi) ? -1 : 0;
    }
    if (!pss->resp)
        return 0;
    size_t left = pss->resp_len - pss->resp_sent;
    size_t n = left > WRITE_CHUNK_BYTES ? WRITE_CHUNK_BYTES : left;
    int final = n == left;
    int w = lws_write(wsi, pss->resp + LWS_PRE + pss->resp_sent, n,
                      final ? LWS_WRITE_HTTP_FINAL : LWS_WRITE_HTTP);
    pss->resp_sent += n;
    if (w < 0 || final) {
        free(pss->resp);
        pss->resp = NULL;
    }
    if (w < 0)
        return -1;
    if (!final) {
        lws_callback_on_writable(wsi);
        return 0;
    }
    return lws_http_transaction_completed(wsi) ? -1 : 0;
}

static void http_cleanup(struct pss *pss)
{
    free(pss->body);
    free(pss->resp);
    tsn_file_send_free(pss->file); /* closes the file of an unfinished download */
    pss->body = NULL;
    pss->resp = NULL;
    pss->file = NULL;
}

static void pump_media_events(struct tsn_relay *r)
{
    struct tsn_media_event ev;
    while (tsn_media_pop_event(r->media, &ev))
        tsn_sessions_on_media_event(r->sessions, &ev);
}

/* --- the lws protocol ---------------------------------------------------- */

static int callback(struct lws *wsi, enum lws_callback_reasons reason, void *user, void *in,
                    size_t len)
{
    struct pss *pss = user;
    switch (reason) {

    case LWS_CALLBACK_OPENSSL_LOAD_EXTRA_SERVER_VERIFY_CERTS:
        SSL_CTX_set_min_proto_version((SSL_CTX *)user, TLS1_2_VERSION);
        return 0;
    case LWS_CALLBACK_HTTP:
        return on_http(wsi, pss, in);
    case LWS_CALLBACK_HTTP_BODY:
        return on_body(pss, in, len);
    case LWS_CALLBACK_HTTP_BODY_COMPLETION:
        return respond(wsi, pss);
    case LWS_CALLBACK_HTTP_WRITEABLE:
        return on_http_writeable(wsi, pss);
    case LWS_CALLBACK_HTTP_DROP_PROTOCOL:
    case LWS_CALLBACK_CLOSED_HTTP:
        if (pss)
            http_cleanup(pss);
        return 0;
    case LWS_CALLBACK_FILTER_PROTOCOL_CONNECTION:
        return tsn_ws_channel_accept(wsi);
    case LWS_CALLBACK_ESTABLISHED:
        tsn_ws_channel_established(wsi, pss);
        return 0;
    case LWS_CALLBACK_RECEIVE:
        return tsn_ws_channel_receive(wsi, pss, in, len);
    case LWS_CALLBACK_SERVER_WRITEABLE:
        return tsn_ws_channel_writeable(wsi, pss);
    case LWS_CALLBACK_TIMER:
        tsn_ws_channel_timer(wsi, pss);
        return 0;
    case LWS_CALLBACK_CLOSED:
        tsn_ws_channel_closed(wsi, pss);
        return 0;
    case LWS_CALLBACK_EVENT_WAIT_CANCELLED:
        pump_media_events(lws_context_user(lws_get_context(wsi)));
        tsn_ws_channel_wake(wsi);
        return 0;
    default:
        return lws_callback_http_dummy(wsi, reason, user, in, len);
    }
}

static const struct lws_protocols protocols[] = {
    {"telesono", callback, sizeof(struct pss), 4096, 0, NULL, 0},
    {NULL, NULL, 0, 0, 0, NULL, 0},
};

static void lws_log(int level, const char *line)
{
    size_t n = strlen(line);
    while (n && line[n - 1] == '\n')
        n--;
    if (level & LLL_ERR)
        tsn_warn("[lws] %.*s", (int)n, line);
    else
        tsn_debug("[lws] %.*s", (int)n, line);
}

static struct vhd *vhd_find(struct lws_context *ctx)
{
    struct lws_vhost *vh = lws_get_vhost_by_name(ctx, "default");
    const struct lws_protocols *prot = vh ? lws_vhost_name_to_protocol(vh, "telesono") : NULL;
    return prot ? lws_protocol_vh_priv_get(vh, prot) : NULL;
}

/* Made here rather than at LWS_CALLBACK_PROTOCOL_INIT, which lws 4.1 runs
 * only once the service loop starts, after the session registry needs it. */
static struct vhd *vhd_create(struct tsn_relay *r)
{
    struct lws_vhost *vh = lws_get_vhost_by_name(r->lws, "default");
    const struct lws_protocols *prot = vh ? lws_vhost_name_to_protocol(vh, "telesono") : NULL;
    struct vhd *v = prot ? lws_protocol_vh_priv_zalloc(vh, prot, sizeof *v) : NULL;
    if (!v)
        return NULL;
    v->ctx = r->lws;
    v->streams = tsn_stream_rooms_new(r->cfg.max_peers + EXTRA_STREAM_ROOMS);
    v->annots = tsn_annot_rooms_new(TSN_ANNOT_LINGER_MS);
    /* Not fatal: the relay runs, /recordings answers 503 with rec_why. */
    v->rec_index = tsn_rec_api_open_index(r->cfg.recordings_dir, v->rec_why, sizeof v->rec_why);
    v->rec_api = tsn_rec_api_new(v->rec_index, v->rec_why, &r->auth, r->cfg.recordings_dir,
                                 r->cfg.export_program);
    return v->streams && v->annots && v->rec_api ? v : NULL;
}

/* Says at start-up what GET / will do. A missing web root is not fatal:
 * the files are looked up per request, so it may appear later. */
static void check_web_root(const char *root)
{
    if (!root[0]) {
        tsn_info("[http] no --web-root: GET / answers a text index");
        return;
    }
    int fd = open(root, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0) {
        tsn_warn("[http] web root %s cannot be opened (%s): the web viewer answers 404 until it "
                 "exists (set --web-root, or --web-root \"\" to serve none)",
                 root, strerror(errno));
        return;
    }
    struct stat st;
    if (fstatat(fd, "index.html", &st, AT_SYMLINK_NOFOLLOW) != 0 || !S_ISREG(st.st_mode))
        tsn_warn("[http] web root %s has no index.html (a regular file): GET / answers 404 or 403",
                 root);
    else
        tsn_info("[http] serving the web viewer from %s", root);
    close(fd);
}

int tsn_http_start(struct tsn_relay *r)
{
    struct lws_context_creation_info info;
    memset(&info, 0, sizeof info);
    lws_set_log_level(LLL_ERR | (r->cfg.log_level >= TSN_LOG_DEBUG ? LLL_WARN | LLL_NOTICE : 0),
                      lws_log);
    info.port = r->cfg.listen_port;
    info.iface = r->cfg.listen_host;
    info.protocols = protocols;
    info.user = r;
    info.options = LWS_SERVER_OPTION_DO_SSL_GLOBAL_INIT | LWS_SERVER_OPTION_VALIDATE_UTF8 |
                   LWS_SERVER_OPTION_DISABLE_IPV6;
    if (strchr(r->cfg.listen_host, ':'))
        info.options &= ~(uint64_t)LWS_SERVER_OPTION_DISABLE_IPV6;
    info.ssl_cert_filepath = r->cfg.cert_path;
    info.ssl_private_key_filepath = r->cfg.key_path;
    info.ssl_options_set = SSL_OP_NO_SSLv3 | SSL_OP_NO_TLSv1 | SSL_OP_NO_TLSv1_1;
    info.alpn = "http/1.1";
    info.timeout_secs = 30;
    info.max_http_header_data = 8192;
    r->lws = lws_create_context(&info);
    if (!r->lws) {
        tsn_err("[http] cannot listen on %s:%u (port in use, or bad certificate?)",
                r->cfg.listen_host, r->cfg.listen_port);
        return -1;
    }
    tsn_sessions_free(r->sessions);
    r->sessions =
        tsn_sessions_new(&r->cfg, r->media, r->dtls_fingerprint, tsn_ws_channel_notify_owner);
    if (!r->sessions)
        return -1;
    struct vhd *v = vhd_create(r);
    if (!v) {
        tsn_err("[http] out of memory for the per-vhost state");
        return -1;
    }
    tsn_sessions_on_publisher_end(r->sessions, tsn_ws_channel_publisher_end, v);
    check_web_root(r->cfg.web_root);
    return 0;
}

void tsn_http_stop(struct tsn_relay *r)
{
    if (!r->lws)
        return;
    /* Nothing is pushed to sockets that are being closed. */
    if (r->sessions)
        tsn_sessions_on_publisher_end(r->sessions, NULL, NULL);
    struct vhd *v = vhd_find(r->lws);
    struct tsn_stream_rooms *streams = v ? v->streams : NULL;
    struct tsn_annot_rooms *annots = v ? v->annots : NULL;
    struct tsn_rec_api *rec_api = v ? v->rec_api : NULL;
    struct tsn_rec_index *rec_index = v ? v->rec_index : NULL;
    if (v) {
        v->stopping = 1; /* no presence pushes while every socket closes */
        lws_sul_cancel(&v->rec_sul);
    }
    lws_context_destroy(r->lws); /* closes every socket (and open downloads), then frees v */
    tsn_stream_rooms_free(streams);
    tsn_annot_rooms_free(annots);
    tsn_rec_api_free(rec_api); /* stops running exporters */
    tsn_rec_index_close(rec_index);
    r->lws = NULL;
}
