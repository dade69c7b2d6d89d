/* The relay's annotation rooms; see annot_room.h. */
#include "annot_room.h"

#include "annot_state.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Eight colours that stay apart from each other and from grey. */
static const char *const palette[] = {"#e6194b", "#3cb44b", "#ffe119", "#4363d8",
                                      "#f58231", "#911eb4", "#42d4f4", "#f032e6"};
#define N_COLORS (sizeof palette / sizeof palette[0])

struct member {
    char *sub;
    unsigned color; /* index into palette */
};

struct room {
    char *name;
    struct tsn_annot_state *state;
    struct member *members; /* every subject that joined, in join order */
    size_t n_members, cap_members;
    unsigned sockets; /* joined WebSockets now */
    int64_t empty_since_ms;
    struct room *next;
};

struct tsn_annot_rooms {
    int64_t linger_ms;
    struct room *head;
};

struct tsn_annot_rooms *tsn_annot_rooms_new(int64_t linger_ms)
{
    struct tsn_annot_rooms *rs = calloc(1, sizeof *rs);
    if (rs)
        rs->linger_ms = linger_ms;
    return rs;
}

static void room_free(struct room *r)
{
    for (size_t i = 0; i < r->n_members; i++)
        free(r->members[i].sub);
    free(r->members);
    tsn_annot_state_free(r->state);
    free(r->name);
    free(r);
}

void tsn_annot_rooms_free(struct tsn_annot_rooms *rs)
{
    if (!rs)
        return;
    while (rs->head) {
        struct room *r = rs->head;
        rs->head = r->next;
        room_free(r);
    }
    free(rs);
}

static struct room *find(const struct tsn_annot_rooms *rs, const char *name)
{
    for (struct room *r = rs->head; r; r = r->next)
        if (strcmp(r->name, name) == 0)
            return r;
    return NULL;
}

static struct member *member_of(const struct room *r, const char *sub)
{
    for (size_t i = 0; r && i < r->n_members; i++)
        if (strcmp(r->members[i].sub, sub) == 0)
            return &r->members[i];
    return NULL;
}

/* Drops rooms nobody has joined for linger_ms. */
static void purge(struct tsn_annot_rooms *rs, int64_t now_ms)
{
    for (struct room **pp = &rs->head; *pp;) {
        struct room *r = *pp;
        if (r->sockets == 0 && now_ms - r->empty_since_ms >= rs->linger_ms) {
            *pp = r->next;
            room_free(r);
        } else {
            pp = &r->next;
        }
    }
}

static struct room *room_new(struct tsn_annot_rooms *rs, const char *name)
{
    struct room *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->name = strdup(name);
    r->state = tsn_annot_state_new();
    if (!r->name || !r->state) {
        room_free(r);
        return NULL;
    }
    r->next = rs->head;
    rs->head = r;
    return r;
}

static struct member *member_add(struct room *r, const char *sub)
{
    if (r->n_members == r->cap_members) {
        size_t cap = r->cap_members ? r->cap_members * 2 : 8;
        struct member *m = realloc(r->members, cap * sizeof *m);
        if (!m)
            return NULL;
        r->members = m;
        r->cap_members = cap;
    }
    struct member *m = &r->members[r->n_members];
    if (!(m->sub = strdup(sub)))
        return NULL;
    m->color = (unsigned)(r->n_members % N_COLORS);
    r->n_members++;
    return m;
}

const char *tsn_annot_rooms_join(struct tsn_annot_rooms *rs, const char *room, const char *sub,
                                 int64_t now_ms)
{
    purge(rs, now_ms);
    struct room *r = find(rs, room);
    if (!r && !(r = room_new(rs, room)))
        return NULL;
    struct member *m = member_of(r, sub);
    if (!m && !(m = member_add(r, sub)))
        return NULL;
    r->sockets++;
    return palette[m->color];
}

const char *tsn_annot_rooms_color(const struct tsn_annot_rooms *rs, const char *room,
                                  const char *sub)
{
    const struct member *m = member_of(find(rs, room), sub);
    return m ? palette[m->color] : NULL;
}

json_t *tsn_annot_rooms_snapshot(const struct tsn_annot_rooms *rs, const char *room)
{
    struct room *r = find(rs, room);
    if (r)
        return tsn_annot_state_snapshot(r->state);
    struct tsn_annot_state *empty = tsn_annot_state_new();
    json_t *snap = empty ? tsn_annot_state_snapshot(empty) : NULL;
    tsn_annot_state_free(empty);
    return snap;
}

/* --- events -------------------------------------------------------------- */

static double round2(double v)
{
    return round(v * 100.0) / 100.0;
}

int tsn_annot_measure(const struct tsn_stream_meta *meta, const double *xy, double *dx_mm,
                      double *dy_mm)
{
    if (!meta || !meta->has_pixel_spacing || !meta->has_width || !meta->has_height)
        return -ENOENT;
    *dx_mm = fabs(xy[2] - xy[0]) * meta->width * meta->pixel_spacing_x_mm;
    *dy_mm = fabs(xy[3] - xy[1]) * meta->height * meta->pixel_spacing_y_mm;
    return 0;
}

/* {"capture_ms","rtp_ts"} of the event's frame, or null. A client's
 * frame_ms names the frame it saw when it is plausible: not newer than the
 * newest frame and at most TSN_ANNOT_FRAME_WINDOW_MS older. */
static json_t *media_json(const struct tsn_annot_ctx *ctx, const struct tsn_annot_req *req)
{
    const struct tsn_frame_info *f = ctx->frame;
    if (!f)
        return json_null();
    json_t *o = json_pack("{s:I}", "rtp_ts", (json_int_t)f->rtp_ts);
    if (o && f->has_capture_ms) {
        int64_t ms = f->capture_ms;
        /* A browser rounds capture times to the nearest ms where the relay
         * truncates: 1 ms newer is the newest frame itself. */
        if (req->has_frame_ms && req->frame_ms <= ms + 1 &&
            req->frame_ms >= ms - TSN_ANNOT_FRAME_WINDOW_MS)
            ms = req->frame_ms <= ms ? req->frame_ms : ms;
        json_object_set_new(o, "capture_ms", json_integer(ms));
    }
    return o;
}

static json_t *points_json(const struct tsn_annot_req *req)
{
    json_t *a = json_array();
    for (size_t i = 0; a && i < req->n_points; i++)
        if (json_array_append_new(a, json_pack("[f, f]", req->xy[2 * i], req->xy[2 * i + 1])) !=
            0) {
            json_decref(a);
            return NULL;
        }
    return a;
}

/* The mark a draw makes; its id is the event's seq. */
static json_t *mark_json(const struct room *r, const struct tsn_annot_req *req,
                         const struct tsn_annot_ctx *ctx, int64_t seq, json_t *media)
{
    const struct member *m = member_of(r, ctx->sub);
    const char *color = req->has_color ? req->color : (m ? palette[m->color] : palette[0]);
    json_t *mark =
        json_pack("{s:I, s:s, s:s, s:s, s:o, s:I, s:O}", "id", (json_int_t)seq, "kind",
                  tsn_annot_kind_name(req->kind), "by", ctx->sub, "color", color, "points",
                  points_json(req), "time", (json_int_t)ctx->now_ms, "media", media);
    if (!mark)
        return NULL;
    double dx = 0, dy = 0;
    int measurable = req->kind == TSN_ANNOT_CALIPER || req->kind == TSN_ANNOT_ELLIPSE;
    int measured = measurable && tsn_annot_measure(ctx->meta, req->xy, &dx, &dy) == 0;
    int rc = 0;
    if (req->kind == TSN_ANNOT_TEXT)
        rc = json_object_set_new(mark, "text", json_string(req->text));
    else if (req->kind == TSN_ANNOT_CALIPER && measured)
        rc = json_object_set_new(mark, "mm", json_real(round2(hypot(dx, dy))));
    else if (req->kind == TSN_ANNOT_ELLIPSE && measured)
        rc = json_object_set_new(mark, "rx_mm", json_real(round2(dx))) |
             json_object_set_new(mark, "ry_mm", json_real(round2(dy))) |
             json_object_set_new(mark, "area_mm2", json_real(round2(M_PI * dx * dy)));
    if (rc) {
        json_decref(mark);
        return NULL;
    }
    return mark;
}

/* Checks the request against the room (limits, existence) and adds the
 * op's members to `ev`. Returns 0 or a status with `why`. */
static int op_members(struct room *r, const struct tsn_annot_req *req,
                      const struct tsn_annot_ctx *ctx, int64_t seq, json_t *ev, json_t *media,
                      char *why, size_t why_len)
{
    const struct tsn_annot_state *s = r->state;
    int64_t id;
    json_t *v = NULL;
    const char *key = NULL;
    switch (req->op) {
    case TSN_ANNOT_DRAW:
        if (tsn_annot_state_count(s) >= TSN_ANNOT_MAX_MARKS) {
            snprintf(why, why_len, "the room has %d annotations: delete or clear some first",
                     TSN_ANNOT_MAX_MARKS);
            return 409;
        }
        if (tsn_annot_state_points(s) + req->n_points > TSN_ANNOT_MAX_POINTS) {
            snprintf(why, why_len,
                     "the room's annotations hold too many points: delete or clear some first");
            return 409;
        }
        key = "item";
        v = mark_json(r, req, ctx, seq, media);
        break;
    case TSN_ANNOT_DELETE:
        if (!tsn_annot_state_find(s, req->item)) {
            snprintf(why, why_len, "no such annotation");
            return 404;
        }
        key = "item";
        v = json_integer(req->item);
        break;
    case TSN_ANNOT_UNDO:
        if ((id = tsn_annot_state_newest_by(s, ctx->sub)) < 0) {
            snprintf(why, why_len, "nothing of yours to undo");
            return 404;
        }
        key = "item";
        v = json_integer(id);
        break;
    case TSN_ANNOT_CLEAR:
        key = "count";
        v = json_integer((json_int_t)tsn_annot_state_count(s));
        break;
    case TSN_ANNOT_CHAT:
        key = "text";
        v = json_string(req->text);
        break;
    case TSN_ANNOT_FREEZE:
        key = "frozen";
        v = json_boolean(req->frozen);
        break;
    case TSN_ANNOT_BOOKMARK:
        if (tsn_annot_state_bookmarks(s) >= TSN_ANNOT_MAX_BOOKMARKS) {
            snprintf(why, why_len, "the room has %d bookmarks", TSN_ANNOT_MAX_BOOKMARKS);
            return 409;
        }
        key = "bookmark";
        v = json_pack("{s:I, s:s, s:s, s:I, s:O}", "id", (json_int_t)seq, "label",
                      req->text ? req->text : "", "by", ctx->sub, "time", (json_int_t)ctx->now_ms,
                      "media", media);
        break;
    case TSN_ANNOT_POINTER:
        snprintf(why, why_len, "pointers are not events");
        return 400;
    }
    if (!v || json_object_set_new(ev, key, v) != 0) {
        snprintf(why, why_len, "out of memory");
        return 503;
    }
    return 0;
}

/* Makes and applies the room's next event. */
static int next_event(struct room *r, const struct tsn_annot_req *req,
                      const struct tsn_annot_ctx *ctx, json_t **event, char *why, size_t why_len)
{
    int64_t seq = tsn_annot_state_seq(r->state) + 1;
    json_t *media = media_json(ctx, req);
    json_t *ev = json_pack("{s:s, s:I, s:I, s:s, s:O, s:s}", "type", "event", "seq",
                           (json_int_t)seq, "time", (json_int_t)ctx->now_ms, "from", ctx->sub,
                           "media", media ? media : json_null(), "op", tsn_annot_op_name(req->op));
    int status = 503;
    if (!media || !ev)
        snprintf(why, why_len, "out of memory");
    else
        status = op_members(r, req, ctx, seq, ev, media, why, why_len);
    json_decref(media);
    if (status == 0) {
        char err[128];
        int rc = tsn_annot_state_apply(r->state, ev, err, sizeof err);
        if (rc != 0) { /* only out of memory: the event was made here */
            snprintf(why, why_len, "out of memory");
            status = 503;
        }
    }
    if (status != 0) {
        json_decref(ev);
        return status;
    }
    *event = ev;
    return 0;
}

int tsn_annot_rooms_apply(struct tsn_annot_rooms *rs, const char *room,
                          const struct tsn_annot_req *req, const struct tsn_annot_ctx *ctx,
                          json_t **event, char *why, size_t why_len)
{
    struct room *r = find(rs, room);
    if (!r) {
        snprintf(why, why_len, "join the room first");
        return 409;
    }
    return next_event(r, req, ctx, event, why, why_len);
}

json_t *tsn_annot_rooms_leave(struct tsn_annot_rooms *rs, const char *room, const char *sub,
                              int sub_gone, int64_t now_ms)
{
    struct room *r = find(rs, room);
    if (!r)
        return NULL;
    if (r->sockets > 0 && --r->sockets == 0)
        r->empty_since_ms = now_ms;
    const char *frozen_by = tsn_annot_state_frozen_by(r->state);
    if (!sub_gone || !frozen_by || strcmp(frozen_by, sub) != 0)
        return NULL;
    struct tsn_annot_req unfreeze = {.op = TSN_ANNOT_FREEZE, .frozen = 0};
    struct tsn_annot_ctx ctx = {.sub = sub, .now_ms = now_ms};
    json_t *ev = NULL;
    char why[64];
    if (next_event(r, &unfreeze, &ctx, &ev, why, sizeof why) != 0)
        return NULL;
    json_object_set_new(ev, "reason", json_string("left the room"));
    return ev;
}
