/* Recording over the /ws channel (docs/protocol.md, "Recording"): the
 * `record` request of a capture or clinician, the room's `recording`
 * messages (to everyone when it starts or stops, to each joiner after its
 * annotation snapshot), and what the recorder is told about the room:
 * annotation events, joins and leaves. A recording stops when asked, when
 * the room's last socket leaves, or when the writer fails (disk full): the
 * room then gets `recording` off with "error":true. */
#include "ws_record.h"

#include "annot_state.h"
#include "http_int.h"
#include "log.h"
#include "ws_channel.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define MAX_MEMBERS 128

static char *recording_msg(int on, const char *session, const char *by, int64_t since_ms,
                           const char *reason, int error, int64_t id)
{
    json_t *o = json_pack("{s:s, s:b, s:s, s:s}", "type", "recording", "on", on, "session", session,
                          "by", by);
    if (!o)
        return NULL;
    if (on)
        json_object_set_new(o, "since_ms", json_integer(since_ms));
    if (reason)
        json_object_set_new(o, "reason", json_string(reason));
    if (error)
        json_object_set_new(o, "error", json_true());
    if (id >= 0)
        json_object_set_new(o, "id", json_integer(id));
    char *txt = json_dumps(o, JSON_COMPACT);
    json_decref(o);
    return txt;
}

static char *active_msg(const struct tsn_rec_active *a, int64_t id)
{
    return recording_msg(1, a->id, a->by, a->since_ms, NULL, 0, id);
}

static int may_record(enum tsn_role role)
{
    return role == TSN_ROLE_CAPTURE || role == TSN_ROLE_CLINICIAN;
}

/* Starts recording `room` for `by`. 0 with *a = the new recording (the
 * room has been told, except `requester`, whom the caller tells), 1 with
 * *a = the one already running, or the HTTP-like status of a refusal with
 * its reason in `why`. */
static int start_room(struct tsn_relay *r, struct vhd *v, const char *room, const char *by,
                      const struct pss *requester, struct tsn_rec_active *a, char *why,
                      size_t why_len)
{
    if (!r->recorder) {
        snprintf(why, why_len, "%s", r->recorder_why);
        return 503;
    }
    struct tsn_stream_meta meta;
    int live;
    char *stream = tsn_stream_rooms_get(v->streams, room, &meta, &live)
                       ? tsn_stream_meta_dumps(&meta, live)
                       : NULL;
    json_t *snap = tsn_annot_rooms_snapshot(v->annots, room);
    char *snap_txt = snap ? json_dumps(snap, TSN_ANNOT_JSON_FLAGS) : NULL;
    json_decref(snap);
    struct tsn_rec_member members[MAX_MEMBERS];
    size_t n = 0;
    for (const struct pss *p = v->joined; p && n < MAX_MEMBERS; p = p->ws_next)
        if (strcmp(p->who.room, room) == 0)
            members[n++] = (struct tsn_rec_member){p->who.sub, p->who.role};
    int rc =
        tsn_recorder_begin(r->recorder, room, by, stream, snap_txt, members, n, a, why, why_len);
    free(stream);
    free(snap_txt);
    if (rc == -EALREADY)
        return 1;
    if (rc != 0)
        return rc == -ENOMEM ? 500 : 503;
    if (tsn_media_record(r->media, room, a->handle) != 0)
        tsn_warn("[recorder %s] media command queue full: no media recorded", a->id);
    tsn_info("[recorder %s] started in room %s", a->id, room);
    tsn_ws_room_send(v, room, requester, active_msg(a, -1));
    return 0;
}

/* Starts recording the room of `pss` at its request; `id` is echoed to it
 * (-1: none). Returns 0 or the status of a refusal. */
static int start(struct lws *wsi, struct pss *pss, int64_t id, char *why, size_t why_len)
{
    struct tsn_rec_active a;
    int rc =
        start_room(relay_of(wsi), vhd_of(wsi), pss->who.room, pss->who.sub, pss, &a, why, why_len);
    if (rc == 0 || rc == 1)
        tsn_ws_queue(wsi, pss, active_msg(&a, id));
    return rc == 1 ? 0 : rc;
}

/* Stops the room's recording; tells the room (the requester with `id`). */
static void stop(struct tsn_relay *r, struct vhd *v, const char *room, const char *by,
                 const char *reason, struct pss *requester, int64_t id)
{
    const struct tsn_rec_active *a = tsn_recorder_active(r->recorder, room);
    if (!a) {
        if (requester)
            tsn_ws_queue(requester->wsi, requester,
                         recording_msg(0, "", by, 0, "not recording", 0, id));
        return;
    }
    char session[TSN_REC_ID_LEN + 1];
    snprintf(session, sizeof session, "%s", a->id);
    tsn_recorder_end(r->recorder, room, by, reason);
    tsn_media_record(r->media, room, 0);
    tsn_info("[recorder %s] stopped in room %s (%s)", session, room, reason);
    if (v->stopping)
        return;
    if (requester)
        tsn_ws_queue(requester->wsi, requester, recording_msg(0, session, by, 0, reason, 0, id));
    tsn_ws_room_send(v, room, requester, recording_msg(0, session, by, 0, reason, 0, -1));
}

void tsn_ws_record_request(struct lws *wsi, struct pss *pss, const struct tsn_sig_msg *m)
{
    char why[256];
    int64_t id = m->has_id ? m->id : -1;
    if (!may_record(pss->who.role)) {
        snprintf(why, sizeof why, "role '%s' may not start or stop recording",
                 tsn_role_name(pss->who.role));
        tsn_ws_queue(wsi, pss, tsn_sig_error(403, why, "record", id));
        return;
    }
    struct tsn_relay *r = relay_of(wsi);
    if (!m->record_on) {
        stop(r, vhd_of(wsi), pss->who.room, pss->who.sub, "stopped", pss, id);
        return;
    }
    int status = start(wsi, pss, id, why, sizeof why);
    if (status)
        tsn_ws_queue(wsi, pss, tsn_sig_error(status, why, "record", id));
}

void tsn_ws_record_joined(struct lws *wsi, struct pss *pss)
{
    struct tsn_relay *r = relay_of(wsi);
    tsn_recorder_presence(r->recorder, pss->who.room, pss->who.sub, pss->who.role, 1);
    const struct tsn_rec_active *a = tsn_recorder_active(r->recorder, pss->who.room);
    if (a)
        tsn_ws_queue(wsi, pss, active_msg(a, -1));
}

void tsn_ws_record_published(struct tsn_relay *r, struct vhd *v, const char *room, const char *by)
{
    char why[256];
    struct tsn_rec_active a;
    if (!r->recorder || !v || r->cfg.record_mode != TSN_RECORD_ALWAYS ||
        tsn_recorder_active(r->recorder, room))
        return;
    int rc = start_room(r, v, room, by, NULL, &a, why, sizeof why);
    if (rc > 1)
        tsn_warn("[recorder] a room is not recorded: %s", why);
}

void tsn_ws_record_left(struct tsn_relay *r, struct vhd *v, const struct pss *pss)
{
    if (!r->recorder)
        return;
    tsn_recorder_presence(r->recorder, pss->who.room, pss->who.sub, pss->who.role, 0);
    for (const struct pss *p = v->joined; p; p = p->ws_next)
        if (strcmp(p->who.room, pss->who.room) == 0)
            return;
    stop(r, v, pss->who.room, pss->who.sub, "everyone left the room", NULL, -1);
}

void tsn_ws_record_publisher_end(struct tsn_relay *r, struct vhd *v, const char *room)
{
    if (!r || !r->recorder || v->stopping || !tsn_recorder_active(r->recorder, room))
        return;
    for (const struct pss *p = v->joined; p; p = p->ws_next)
        if (strcmp(p->who.room, room) == 0)
            return;
    stop(r, v, room, "relay", "the publisher left and nobody is in the room", NULL, -1);
}

void tsn_ws_record_event(struct tsn_relay *r, const char *room, const json_t *event)
{
    if (!tsn_recorder_active(r->recorder, room))
        return;
    char *txt = json_dumps(event, TSN_ANNOT_JSON_FLAGS);
    if (txt)
        tsn_recorder_event(r->recorder, room, txt, strlen(txt));
    free(txt);
}

void tsn_ws_record_pump(struct tsn_relay *r, struct vhd *v)
{
    struct tsn_rec_note note;
    while (tsn_recorder_pop_note(r->recorder, &note)) {
        tsn_media_record(r->media, note.room, 0);
        if (v && !v->stopping)
            tsn_ws_room_send(v, note.room, NULL,
                             recording_msg(0, note.id, "relay", 0, note.reason, 1, -1));
    }
}
