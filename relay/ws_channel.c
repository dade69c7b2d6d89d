/* The /ws signalling channel: per-connection WebSocket state, a dispatch
 * table of small handlers (join, publish/subscribe, stream, stop, ping), a
 * bounded outgoing queue per connection (a client that never reads is cut
 * off), and the pushes to the joined WebSockets of one room: its stream
 * metadata, and its participants (presence) when someone joins or leaves. Offers go to the session
 * registry like WHIP/WHEP ones. It does not own the lws context, the route table or the per-vhost
 * state (http.c creates and frees those), nor parse messages (sigmsg.c). */
#include "ws_channel.h"

#include "clock.h"
#include "ws_record.h"

#include "http_int.h"
#include "log.h"
#include "sigmsg.h"
#include "stream_meta.h"

#include <libwebsockets.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* A client that does not read is cut off when its queue would pass either
 * bound; annotation traffic (a busy room, a 2 MB snapshot) fits well within
 * them. Pointers are not queued to a socket that is already behind. */
#define MAX_WS_QUEUE        1024
#define MAX_WS_QUEUE_BYTES  (8u * 1024 * 1024)
#define POINTER_QUEUE_LIMIT 32

struct ws_out {
    char *text; /* LWS_PRE bytes of headroom, then the message */
    size_t len;
    struct ws_out *next;
};

static void ws_queue(struct lws *wsi, struct pss *pss, char *json)
{
    if (!json)
        return;
    size_t len = strlen(json);
    struct ws_out *o = malloc(sizeof *o);
    char *buf = malloc(LWS_PRE + len);
    if (!o || !buf || pss->out_count >= MAX_WS_QUEUE || pss->out_bytes + len > MAX_WS_QUEUE_BYTES) {
        free(o);
        free(buf);
        free(json);
        pss->close_after_send = 1; /* a client that never reads is cut off */
        lws_callback_on_writable(wsi);
        return;
    }
    memcpy(buf + LWS_PRE, json, len);
    free(json);
    *o = (struct ws_out){buf, len, NULL};
    if (pss->out_tail)
        pss->out_tail->next = o;
    else
        pss->out_head = o;
    pss->out_tail = o;
    pss->out_count++;
    pss->out_bytes += len;
    lws_callback_on_writable(wsi);
}

static void ws_error(struct lws *wsi, struct pss *pss, int code, const char *reason,
                     const struct tsn_sig_msg *m)
{
    ws_queue(wsi, pss,
             tsn_sig_error(code, reason, m && m->type ? tsn_sig_type_name(m->type) : NULL,
                           m && m->has_id ? m->id : -1));
}

/* Queues a copy of `json` to every joined WebSocket of `room` except `skip`
 * (nullable) and those on their way out. Other rooms never see it. Frees
 * `json` (nullable). */
static void room_send(struct vhd *v, const char *room, const struct pss *skip, char *json)
{
    if (!json)
        return;
    for (struct pss *p = v->joined; p; p = p->ws_next)
        if (p != skip && !p->close_after_send && strcmp(p->who.room, room) == 0)
            ws_queue(p->wsi, p, strdup(json));
    free(json);
}

/* Sends {"type":"stream",...} with the room's metadata to the room. */
static void broadcast_stream(struct vhd *v, const char *room, const struct pss *skip)
{
    struct tsn_stream_meta meta;
    int live;
    if (tsn_stream_rooms_get(v->streams, room, &meta, &live))
        room_send(v, room, skip, tsn_sig_stream(&meta, live, -1));
}

/* The joined WebSockets of `room` in join order (v->joined is newest
 * first). The strings stay owned by the connections. */
static void room_participants(const struct vhd *v, const char *room,
                              struct tsn_sig_participants *out)
{
    memset(out, 0, sizeof *out);
    const struct pss *last = NULL;
    for (const struct pss *p = v->joined; p; p = p->ws_next)
        last = p;
    for (const struct pss *p = last; p; p = p->ws_prev)
        if (strcmp(p->who.room, room) == 0)
            tsn_sig_participants_add(out, p->who.sub, tsn_role_name(p->who.role),
                                     tsn_annot_rooms_color(v->annots, room, p->who.sub));
}

/* Sends {"type":"presence",...} to the room after a join or a leave. */
static void broadcast_presence(struct vhd *v, const char *room, const struct pss *skip)
{
    if (v->stopping)
        return; /* the sockets are being closed one by one: tell no one */
    struct tsn_sig_participants people;
    room_participants(v, room, &people);
    room_send(v, room, skip, tsn_sig_presence(&people));
}

/* Session registry hook: a publisher session ended (any cause). */
void tsn_ws_channel_publisher_end(void *user, const char *room, const char *session_id)
{
    struct vhd *v = user;
    if (tsn_stream_rooms_end(v->streams, room, session_id) == 1)
        broadcast_stream(v, room, NULL);
    if (v->ctx)
        tsn_ws_record_publisher_end(lws_context_user(v->ctx), v, room);
}

static void ws_link(struct vhd *v, struct lws *wsi, struct pss *pss)
{
    pss->wsi = wsi;
    pss->ws_prev = NULL;
    pss->ws_next = v->joined;
    if (v->joined)
        v->joined->ws_prev = pss;
    v->joined = pss;
}

static void ws_unlink(struct vhd *v, struct pss *pss)
{
    if (pss->ws_prev)
        pss->ws_prev->ws_next = pss->ws_next;
    else if (v->joined == pss)
        v->joined = pss->ws_next;
    if (pss->ws_next)
        pss->ws_next->ws_prev = pss->ws_prev;
    pss->ws_prev = pss->ws_next = NULL;
}

static void ws_on_join(struct lws *wsi, struct pss *pss, struct tsn_sig_msg *m)
{
    struct tsn_relay *r = relay_of(wsi);
    struct vhd *v = vhd_of(wsi);
    char why[256];
    int status =
        tsn_auth_check(&r->auth, m->token, NULL, TSN_ROLES_ANY_MEDIA, &pss->who, why, sizeof why);
    if (status) {
        tsn_metric_add(&r->metrics.auth_failures, 1);
        ws_error(wsi, pss, status, why, m);
        pss->close_after_send = 1;
        return;
    }
    if (!tsn_annot_rooms_join(v->annots, pss->who.room, pss->who.sub, tsn_unix_ms())) {
        ws_error(wsi, pss, 503, "out of memory", m);
        pss->close_after_send = 1;
        return;
    }
    pss->joined = 1;
    ws_link(v, wsi, pss);
    struct tsn_stream_meta meta;
    int live = 0;
    int have = tsn_stream_rooms_get(v->streams, pss->who.room, &meta, &live);
    struct tsn_sig_participants people;
    room_participants(v, pss->who.room, &people);
    ws_queue(wsi, pss,
             tsn_sig_welcome(pss->who.room, pss->who.sub, tsn_role_name(pss->who.role),
                             have ? &meta : NULL, live, &people, m->has_id ? m->id : -1));
    /* The room's annotations, before any event after them. */
    json_t *snap = tsn_annot_rooms_snapshot(v->annots, pss->who.room);
    ws_queue(wsi, pss, snap ? tsn_sig_dump(snap, -1) : NULL);
    json_decref(snap);
    tsn_ws_record_joined(wsi, pss);
    /* The joiner has the list in its welcome; the others get the news. */
    broadcast_presence(v, pss->who.room, pss);
}

static void ws_on_offer(struct lws *wsi, struct pss *pss, struct tsn_sig_msg *m)
{
    struct tsn_relay *r = relay_of(wsi);
    enum tsn_peer_kind kind = m->type == TSN_SIG_PUBLISH ? TSN_PEER_PUBLISHER : TSN_PEER_SUBSCRIBER;
    unsigned roles = kind == TSN_PEER_PUBLISHER ? TSN_ROLES_PUBLISH : TSN_ROLES_VIEW;
    if (!((unsigned)pss->who.role & roles)) {
        ws_error(wsi, pss, 403, "your role may not do this", m);
        return;
    }
    if (relay_full(r)) {
        ws_error(wsi, pss, 503, RELAY_FULL, m);
        return;
    }
    char *answer = malloc(32 * 1024);
    char why[256] = "";
    char id[TSN_SESSION_ID_LEN + 1];
    if (!answer) {
        ws_error(wsi, pss, 503, "out of memory", m);
        return;
    }
    int status = tsn_sessions_offer(r->sessions, kind, &pss->who, m->sdp, m->sdp_len, wsi, answer,
                                    32 * 1024, id, why, sizeof why);
    if (status == 201)
        ws_queue(wsi, pss, tsn_sig_answer(id, answer, m->has_id ? m->id : -1));
    else
        ws_error(wsi, pss, status, why, m);
    free(answer);
    if (status == 201 && m->has_stream) {
        struct vhd *v = vhd_of(wsi);
        int changed = tsn_stream_rooms_set(v->streams, pss->who.room, id, &m->stream, 0);
        if (changed < 0)
            tsn_warn("[http] room metadata not stored: out of memory");
        else if (changed)
            broadcast_stream(v, pss->who.room, NULL);
    }
    if (status == 201 && kind == TSN_PEER_PUBLISHER)
        tsn_ws_record_published(r, vhd_of(wsi), pss->who.room, pss->who.sub);
}

/* {"type":"stream"}: the capture updates its publish session's metadata.
 * The sender always gets the resulting metadata back (with its id); the
 * room's other WebSockets get it when something changed. */
static void ws_on_stream(struct lws *wsi, struct pss *pss, struct tsn_sig_msg *m)
{
    struct tsn_relay *r = relay_of(wsi);
    struct vhd *v = vhd_of(wsi);
    char id[TSN_SESSION_ID_LEN + 1];
    if (pss->who.role != TSN_ROLE_CAPTURE) {
        ws_error(wsi, pss, 403, "only a capture token may send stream metadata", m);
        return;
    }
    if (tsn_sessions_owned_publisher(r->sessions, wsi, pss->who.room, id) != 0) {
        ws_error(wsi, pss, 403,
                 "no active publish session on this connection: publish before sending stream "
                 "metadata",
                 m);
        return;
    }
    int changed = tsn_stream_rooms_set(v->streams, pss->who.room, id, &m->stream, 1);
    struct tsn_stream_meta meta;
    int live;
    if (changed < 0 || !tsn_stream_rooms_get(v->streams, pss->who.room, &meta, &live)) {
        ws_error(wsi, pss, 503, "out of memory", m);
        return;
    }
    ws_queue(wsi, pss, tsn_sig_stream(&meta, live, m->has_id ? m->id : -1));
    if (changed)
        broadcast_stream(v, pss->who.room, pss);
}

static void ws_on_stop(struct lws *wsi, struct pss *pss, struct tsn_sig_msg *m)
{
    struct tsn_relay *r = relay_of(wsi);
    int status = tsn_sessions_delete(r->sessions, pss->who.room, m->session, NULL, wsi);
    if (status != 204) {
        ws_error(wsi, pss, status, status == 404 ? "no such session" : "relay is busy, try again",
                 m);
        return;
    }
    ws_queue(wsi, pss, tsn_sig_stopped(m->session, m->has_id ? m->id : -1));
}

static void ws_on_ping(struct lws *wsi, struct pss *pss, struct tsn_sig_msg *m)
{
    ws_queue(wsi, pss, tsn_sig_pong(m->has_id ? m->id : -1));
}

/* Annotation rates per WebSocket (docs/protocol.md, "Limits"). */
#define ANNOT_PER_S    20.0
#define ANNOT_BURST    40.0
#define CHAT_PER_S     2.0
#define CHAT_BURST     10.0
#define POINTER_GAP_US 25000u

/* Sends a pointer to the room's other sockets that are not behind. */
static void pointer_send(struct lws *wsi, struct pss *pss, const struct tsn_annot_req *req)
{
    struct vhd *v = vhd_of(wsi);
    pss->last_pointer_us = tsn_mono_us();
    tsn_metric_add(&relay_of(wsi)->metrics.pointers_forwarded, 1);
    const char *color = tsn_annot_rooms_color(v->annots, pss->who.room, pss->who.sub);
    char *json = tsn_sig_pointer(pss->who.sub, color ? color : "#ffffff", req, tsn_unix_ms());
    if (!json)
        return;
    for (struct pss *p = v->joined; p; p = p->ws_next)
        if (p != pss && !p->close_after_send && strcmp(p->who.room, pss->who.room) == 0 &&
            p->out_count < POINTER_QUEUE_LIMIT)
            ws_queue(p->wsi, p, strdup(json));
    free(json);
}

/* Forwards a pointer at most once per POINTER_GAP_US per socket. One that
 * comes sooner replaces the socket's pending one, which the connection's
 * timer sends when the gap ends: the others never see a pointer stuck at a
 * position it has left. A hide goes at once. */
static void ws_on_pointer(struct lws *wsi, struct pss *pss, struct tsn_sig_msg *m)
{
    uint64_t now = tsn_mono_us();
    uint64_t since = now - pss->last_pointer_us;
    if (m->annot.hide || !pss->last_pointer_us || since >= POINTER_GAP_US) {
        if (pss->pointer_pending)
            tsn_metric_add(&relay_of(wsi)->metrics.pointers_dropped, 1);
        pss->pointer_pending = 0;
        pointer_send(wsi, pss, &m->annot);
        return;
    }
    if (pss->pointer_pending)
        tsn_metric_add(&relay_of(wsi)->metrics.pointers_dropped, 1); /* superseded */
    else
        lws_set_timer_usecs(wsi, (lws_usec_t)(POINTER_GAP_US - since));
    pss->pointer_pending = 1;
    pss->pending_pointer =
        (struct tsn_annot_req){.op = TSN_ANNOT_POINTER, .x = m->annot.x, .y = m->annot.y};
}

void tsn_ws_channel_timer(struct lws *wsi, struct pss *pss)
{
    if (pss->joined && pss->pointer_pending && !pss->close_after_send) {
        pss->pointer_pending = 0;
        pointer_send(wsi, pss, &pss->pending_pointer);
    }
}

/* Rate limits: every event takes an annotation token, a chat also a chat
 * token. Returns 0, or 429 with the reason. */
static int ws_annot_rate(struct pss *pss, const struct tsn_sig_msg *m, const char **why)
{
    uint64_t now = tsn_mono_us();
    if (m->annot.op == TSN_ANNOT_CHAT &&
        !tsn_rate_take(&pss->chat_rate, CHAT_PER_S, CHAT_BURST, now)) {
        *why = "too many chat messages: at most 2 per second";
        return 429;
    }
    if (!tsn_rate_take(&pss->annot_rate, ANNOT_PER_S, ANNOT_BURST, now)) {
        *why = "too many annotation events: at most 20 per second";
        return 429;
    }
    return 0;
}

/* draw, delete, undo, clear, chat, freeze, bookmark, pointer: clinicians
 * only. An accepted event goes to the whole room, the sender's copy with
 * its id; a refused one changes nothing. */
static void ws_on_annot(struct lws *wsi, struct pss *pss, struct tsn_sig_msg *m)
{
    struct tsn_relay *r = relay_of(wsi);
    struct vhd *v = vhd_of(wsi);
    char why[256];
    if (pss->who.role != TSN_ROLE_CLINICIAN) {
        snprintf(why, sizeof why, "role '%s' may not annotate or chat",
                 tsn_role_name(pss->who.role));
        tsn_metric_add(&r->metrics.annotations_refused, 1);
        ws_error(wsi, pss, 403, why, m);
        return;
    }
    if (m->annot.op == TSN_ANNOT_POINTER) {
        ws_on_pointer(wsi, pss, m);
        return;
    }
    const char *limited;
    int status = ws_annot_rate(pss, m, &limited);
    if (status) {
        tsn_metric_add(&r->metrics.annotations_rate_limited, 1);
        ws_error(wsi, pss, status, limited, m);
        return;
    }
    struct tsn_frame_info frame;
    struct tsn_stream_meta meta;
    int live;
    struct tsn_annot_ctx ctx = {
        .sub = pss->who.sub,
        .now_ms = tsn_unix_ms(),
        .frame = tsn_media_current_frame(r->media, pss->who.room, &frame) == 0 ? &frame : NULL,
        .meta = tsn_stream_rooms_get(v->streams, pss->who.room, &meta, &live) ? &meta : NULL,
    };
    json_t *ev = NULL;
    status = tsn_annot_rooms_apply(v->annots, pss->who.room, &m->annot, &ctx, &ev, why, sizeof why);
    if (status) {
        tsn_metric_add(&r->metrics.annotations_refused, 1);
        ws_error(wsi, pss, status, why, m);
        return;
    }
    tsn_metric_add(&r->metrics.annotation_events, 1);
    ws_queue(wsi, pss, tsn_sig_dump(ev, m->has_id ? m->id : -1));
    room_send(v, pss->who.room, pss, tsn_sig_dump(ev, -1));
    tsn_ws_record_event(r, pss->who.room, ev);
    json_decref(ev);
}

static void ws_on_record(struct lws *wsi, struct pss *pss, struct tsn_sig_msg *m)
{
    tsn_ws_record_request(wsi, pss, m);
}

static const struct {
    enum tsn_sig_type type;
    void (*fn)(struct lws *, struct pss *, struct tsn_sig_msg *);
} ws_handlers[] = {
    {TSN_SIG_JOIN, ws_on_join},       {TSN_SIG_PUBLISH, ws_on_offer},
    {TSN_SIG_SUBSCRIBE, ws_on_offer}, {TSN_SIG_STOP, ws_on_stop},
    {TSN_SIG_PING, ws_on_ping},       {TSN_SIG_STREAM, ws_on_stream},
    {TSN_SIG_DRAW, ws_on_annot},      {TSN_SIG_DELETE, ws_on_annot},
    {TSN_SIG_UNDO, ws_on_annot},      {TSN_SIG_CLEAR, ws_on_annot},
    {TSN_SIG_CHAT, ws_on_annot},      {TSN_SIG_FREEZE, ws_on_annot},
    {TSN_SIG_BOOKMARK, ws_on_annot},  {TSN_SIG_POINTER, ws_on_annot},
    {TSN_SIG_RECORD, ws_on_record},
};

static void ws_dispatch(struct lws *wsi, struct pss *pss)
{
    struct tsn_sig_msg m;
    char why[256];
    if (tsn_sig_parse(pss->rx, pss->rx_len, &m, why, sizeof why) != 0) {
        enum tsn_sig_type type;
        int64_t id;
        int known = tsn_sig_peek(pss->rx, pss->rx_len, &type, &id) == 0;
        if (known && type >= TSN_SIG_DRAW && type <= TSN_SIG_POINTER)
            tsn_metric_add(&relay_of(wsi)->metrics.annotations_refused, 1);
        ws_queue(wsi, pss, tsn_sig_error(400, why, known ? tsn_sig_type_name(type) : NULL, id));
        return;
    }
    if (!pss->joined && m.type != TSN_SIG_JOIN) {
        ws_error(wsi, pss, 401, "send join with a token first", &m);
    } else if (pss->joined && m.type == TSN_SIG_JOIN) {
        ws_error(wsi, pss, 400, "already joined", &m);
    } else {
        for (size_t i = 0; i < sizeof ws_handlers / sizeof ws_handlers[0]; i++)
            if (ws_handlers[i].type == m.type)
                ws_handlers[i].fn(wsi, pss, &m);
    }
    tsn_sig_msg_clear(&m);
}

int tsn_ws_channel_accept(struct lws *wsi)
{
    char uri[64];
    if (lws_hdr_copy(wsi, uri, sizeof uri, WSI_TOKEN_GET_URI) < 0)
        return -1;
    return strcmp(uri, "/ws") == 0 ? 0 : -1;
}

void tsn_ws_channel_established(struct lws *wsi, struct pss *pss)
{
    memset(pss, 0, sizeof *pss);
    atomic_fetch_add(&relay_of(wsi)->metrics.ws_clients, 1);
}

int tsn_ws_channel_receive(struct lws *wsi, struct pss *pss, const void *in, size_t len)
{
    if (pss->close_after_send)
        return 0; /* the reason was queued once; the rest is ignored */
    if (lws_is_first_fragment(wsi))
        pss->rx_len = 0;
    if (pss->rx_len + len > TSN_SIG_MAX_MESSAGE) {
        ws_error(wsi, pss, 413, "message too large", NULL);
        pss->close_after_send = 1;
        pss->rx_len = 0;
        return 0;
    }
    char *b = realloc(pss->rx, pss->rx_len + len + 1);
    if (!b)
        return -1;
    memcpy(b + pss->rx_len, in, len);
    pss->rx = b;
    pss->rx_len += len;
    if (lws_is_final_fragment(wsi) && !lws_remaining_packet_payload(wsi)) {
        ws_dispatch(wsi, pss);
        pss->rx_len = 0;
    }
    return 0;
}

int tsn_ws_channel_writeable(struct lws *wsi, struct pss *pss)
{
    struct ws_out *o = pss->out_head;
    if (!o) {
        if (pss->close_after_send) {
            lws_close_reason(wsi, LWS_CLOSE_STATUS_POLICY_VIOLATION, NULL, 0);
            return -1;
        }
        return 0;
    }
    int n = lws_write(wsi, (unsigned char *)o->text + LWS_PRE, o->len, LWS_WRITE_TEXT);
    pss->out_head = o->next;
    if (!pss->out_head)
        pss->out_tail = NULL;
    pss->out_count--;
    pss->out_bytes -= o->len;
    free(o->text);
    free(o);
    if (n < 0)
        return -1;
    if (pss->out_head || pss->close_after_send)
        lws_callback_on_writable(wsi);
    return 0;
}

/* The leaving socket's subject may have frozen the picture: when it was
 * its last socket in the room, the room is unfrozen. */
static void annot_leave(struct vhd *v, const struct pss *pss)
{
    int sub_gone = 1;
    for (const struct pss *p = v->joined; p; p = p->ws_next)
        if (strcmp(p->who.room, pss->who.room) == 0 && strcmp(p->who.sub, pss->who.sub) == 0)
            sub_gone = 0;
    json_t *ev =
        tsn_annot_rooms_leave(v->annots, pss->who.room, pss->who.sub, sub_gone, tsn_unix_ms());
    if (ev && !v->stopping)
        room_send(v, pss->who.room, NULL, tsn_sig_dump(ev, -1));
    json_decref(ev);
}

void tsn_ws_channel_closed(struct lws *wsi, struct pss *pss)
{
    struct tsn_relay *r = relay_of(wsi);
    struct vhd *v = vhd_of(wsi);
    /* Unlinked first: the end of its publish session, and its own leaving,
     * are not sent to itself. */
    int was_joined = pss->joined && v;
    if (was_joined)
        ws_unlink(v, pss);
    pss->joined = 0;
    tsn_sessions_drop_owner(r->sessions, wsi);
    if (was_joined) {
        broadcast_presence(v, pss->who.room, NULL);
        annot_leave(v, pss);
        tsn_ws_record_left(r, v, pss);
    }
    while (pss->out_head) {
        struct ws_out *o = pss->out_head;
        pss->out_head = o->next;
        free(o->text);
        free(o);
    }
    free(pss->rx);
    pss->rx = NULL;
    atomic_fetch_sub(&r->metrics.ws_clients, 1);
}

/* Session notifications for WebSocket owners (called from the event pump). */
void tsn_ws_channel_notify_owner(void *owner, const char *session_id, const char *state,
                                 const char *reason)
{
    struct lws *wsi = owner;
    struct pss *pss = lws_wsi_user(wsi);
    if (pss)
        ws_queue(wsi, pss, tsn_sig_session_state(session_id, state, reason));
}

void tsn_ws_channel_wake(struct lws *wsi)
{
    struct tsn_relay *r = relay_of(wsi);
    tsn_ws_record_pump(r, vhd_of(wsi));
}

void tsn_ws_queue(struct lws *wsi, struct pss *pss, char *json)
{
    ws_queue(wsi, pss, json);
}

void tsn_ws_room_send(struct vhd *v, const char *room, const struct pss *skip, char *json)
{
    room_send(v, room, skip, json);
}
