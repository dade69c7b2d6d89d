/* Annotation events of a recording and their frames (see export_annot.h).
 * The events are kept as parsed from the log, unchanged, so annotations.json
 * carries each "exactly as recorded" plus "frame" and "pts_ms". */
#include "export_annot.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

struct event {
    json_t *msg;
    uint64_t time_us;
    size_t frame;
};

struct tsn_export_annot {
    struct event *ev;
    size_t n, cap;
    json_t *initial;
    int saw_record; /* an EVENT record was added: a later snapshot is not the initial one */
};

static int64_t llabs64(int64_t v)
{
    return v < 0 ? -v : v;
}

/* The frame with the greatest capture time not after capture_ms, or n. */
static size_t by_capture(const struct tsn_export_frame_ref *frames, size_t n, int64_t capture_ms)
{
    size_t best = n;
    for (size_t i = 0; i < n; i++) {
        int64_t fc = frames[i].capture_ms;
        if (fc >= 0 && fc <= capture_ms && (best == n || fc > frames[best].capture_ms))
            best = i;
    }
    return best;
}

/* The frame with this RTP timestamp (when several have it, after a wrap or
 * across generations, the one that arrived nearest time_us), or n. */
static size_t by_rtp_ts(const struct tsn_export_frame_ref *frames, size_t n, uint32_t ts,
                        uint64_t time_us)
{
    size_t best = n;
    int64_t best_d = 0;
    for (size_t i = 0; i < n; i++) {
        if (frames[i].rtp_ts != ts)
            continue;
        int64_t d = llabs64((int64_t)frames[i].time_us - (int64_t)time_us);
        if (best == n || d < best_d) {
            best = i;
            best_d = d;
        }
    }
    return best;
}

/* capture_ms first: when a client says which frame it was showing
 * (frame_ms), the relay stamps capture_ms with that frame's capture time
 * but rtp_ts with the newest frame's; capture_ms names the frame the
 * clinician saw. Without frame_ms both name the same frame. */
size_t tsn_export_map_frame(const struct tsn_export_frame_ref *frames, size_t n,
                            const json_t *media, uint64_t time_us, enum tsn_export_map_how *how)
{
    enum tsn_export_map_how dummy;
    if (!how)
        how = &dummy;
    const json_t *cap = json_object_get(media, "capture_ms");
    if (json_is_integer(cap)) {
        size_t k = by_capture(frames, n, json_integer_value(cap));
        if (k < n) {
            *how = TSN_EXPORT_MAP_CAPTURE;
            return k;
        }
    }
    const json_t *rtp = json_object_get(media, "rtp_ts");
    json_int_t ts = json_integer_value(rtp);
    if (json_is_integer(rtp) && ts >= 0 && ts <= 0xffffffffLL) {
        size_t k = by_rtp_ts(frames, n, (uint32_t)ts, time_us);
        if (k < n) {
            *how = TSN_EXPORT_MAP_RTP_TS;
            return k;
        }
    }
    *how = TSN_EXPORT_MAP_TIME;
    size_t k = 0;
    for (size_t i = 0; i < n; i++)
        if (frames[i].time_us <= time_us)
            k = i;
    return k;
}

double tsn_export_ms_of_90k(int64_t t_90k)
{
    /* t/90 ms, kept to whole microseconds so the JSON stays short. */
    return round((double)t_90k * 1000.0 / 90.0) / 1000.0;
}

struct tsn_export_annot *tsn_export_annot_new(void)
{
    struct tsn_export_annot *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    a->initial = json_pack("{s:s, s:i, s:[], s:[], s:n, s:[]}", "type", "annotations", "seq", 0,
                           "items", "bookmarks", "frozen", "chat");
    if (!a->initial) {
        free(a);
        return NULL;
    }
    return a;
}

void tsn_export_annot_free(struct tsn_export_annot *a)
{
    if (!a)
        return;
    for (size_t i = 0; i < a->n; i++)
        json_decref(a->ev[i].msg);
    free(a->ev);
    json_decref(a->initial);
    free(a);
}

int tsn_export_annot_add(struct tsn_export_annot *a, const uint8_t *json, size_t len,
                         uint64_t time_us)
{
    int first = !a->saw_record;
    a->saw_record = 1;
    json_t *msg = json_loadb((const char *)json, len, JSON_REJECT_DUPLICATES, NULL);
    if (!json_is_object(msg)) {
        json_decref(msg);
        return -EBADMSG;
    }
    const char *type = json_string_value(json_object_get(msg, "type"));
    if (type && strcmp(type, "annotations") == 0 && first) {
        json_decref(a->initial);
        a->initial = msg;
        return TSN_EXPORT_ANNOT_INITIAL;
    }
    if (!type || strcmp(type, "event") != 0) {
        json_decref(msg);
        return TSN_EXPORT_ANNOT_IGNORED;
    }
    if (a->n == a->cap) {
        size_t cap = a->cap ? 2 * a->cap : 64;
        struct event *ev = realloc(a->ev, cap * sizeof *ev);
        if (!ev) {
            json_decref(msg);
            return -ENOMEM;
        }
        a->ev = ev;
        a->cap = cap;
    }
    a->ev[a->n++] = (struct event){.msg = msg, .time_us = time_us};
    return TSN_EXPORT_ANNOT_EVENT;
}

size_t tsn_export_annot_count(const struct tsn_export_annot *a)
{
    return a->n;
}

const json_t *tsn_export_annot_event(const struct tsn_export_annot *a, size_t i)
{
    return i < a->n ? a->ev[i].msg : NULL;
}

size_t tsn_export_annot_frame(const struct tsn_export_annot *a, size_t i)
{
    return i < a->n ? a->ev[i].frame : 0;
}

const json_t *tsn_export_annot_initial(const struct tsn_export_annot *a)
{
    return a->initial;
}

void tsn_export_annot_map(struct tsn_export_annot *a, const struct tsn_export_frame_ref *frames,
                          size_t n, uint64_t by_how[3])
{
    for (size_t i = 0; i < a->n; i++) {
        enum tsn_export_map_how how;
        a->ev[i].frame = tsn_export_map_frame(frames, n, json_object_get(a->ev[i].msg, "media"),
                                              a->ev[i].time_us, &how);
        if (by_how)
            by_how[how]++;
    }
}

void tsn_export_annot_set_frame(struct tsn_export_annot *a, size_t i, size_t frame)
{
    if (i < a->n)
        a->ev[i].frame = frame;
}

static json_t *string_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static json_t *video_json(const char *video_file, const struct tsn_export_frame_ref *frames,
                          size_t n, int64_t duration_90k)
{
    json_t *pts = json_array();
    for (size_t i = 0; pts && i < n; i++)
        if (json_array_append_new(pts, json_real(tsn_export_ms_of_90k(frames[i].pts_90k))) != 0) {
            json_decref(pts);
            pts = NULL;
        }
    if (!pts)
        return NULL;
    return json_pack("{s:o, s:I, s:f, s:o}", "file", string_or_null(video_file), "frames",
                     (json_int_t)n, "duration_ms", tsn_export_ms_of_90k(duration_90k),
                     "frame_pts_ms", pts);
}

json_t *tsn_export_annot_document(const struct tsn_export_annot *a, const char *session,
                                  const char *room, const json_t *stream, const char *video_file,
                                  const struct tsn_export_frame_ref *frames, size_t n,
                                  int64_t duration_90k)
{
    json_t *events = json_array();
    for (size_t i = 0; events && i < a->n; i++) {
        size_t k = a->ev[i].frame < n ? a->ev[i].frame : n - 1;
        json_t *e = json_copy(a->ev[i].msg); /* shallow: members shared, object ours */
        if (!e || json_object_set_new(e, "frame", json_integer((json_int_t)k)) != 0 ||
            json_object_set_new(e, "pts_ms", json_real(tsn_export_ms_of_90k(frames[k].pts_90k))) !=
                0) {
            json_decref(e);
            e = NULL;
        }
        if (!e || json_array_append_new(events, e) != 0) {
            json_decref(events);
            events = NULL;
        }
    }
    json_t *video = video_json(video_file, frames, n, duration_90k);
    if (!events || !video) {
        json_decref(events);
        json_decref(video);
        return NULL;
    }
    return json_pack("{s:s, s:i, s:o, s:o, s:O, s:o, s:O, s:o}", "format", "telesono-annotations",
                     "version", 1, "session", string_or_null(session), "room", string_or_null(room),
                     "stream", stream ? stream : json_null(), "video", video, "initial", a->initial,
                     "events", events);
}
