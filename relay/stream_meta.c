/* Stream metadata: validation (a table of small field handlers), formatting,
 * and the per-room record; see stream_meta.h. */
#include "stream_meta.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* --- names ---------------------------------------------------------------- */

static const char *const codec_names[] = {
    [TSN_STREAM_CODEC_H264] = "H264", [TSN_STREAM_CODEC_VP8] = "VP8"};
static const char *const source_names[] = {[TSN_STREAM_SOURCE_PHANTOM] = "phantom",
                                           [TSN_STREAM_SOURCE_FILE] = "file",
                                           [TSN_STREAM_SOURCE_V4L2] = "v4l2"};
#define N_CODECS  (sizeof codec_names / sizeof codec_names[0])
#define N_SOURCES (sizeof source_names / sizeof source_names[0])

const char *tsn_stream_codec_name(enum tsn_stream_codec c)
{
    return (size_t)c < N_CODECS && codec_names[c] ? codec_names[c] : "unknown";
}

const char *tsn_stream_source_name(enum tsn_stream_source s)
{
    return (size_t)s < N_SOURCES && source_names[s] ? source_names[s] : "unknown";
}

/* --- validation ----------------------------------------------------------- */

/* What a field handler needs to report a violation. */
struct ctx {
    const char *name; /* the object's name, e.g. "stream" */
    char *why;
    size_t why_len;
};

static int bad(const struct ctx *c, const char *field, const char *rule)
{
    snprintf(c->why, c->why_len, "field '%s.%s' %s", c->name, field, rule);
    return -EBADMSG;
}

/* Rounds to 15 significant digits: the text jansson then writes with
 * JSON_REAL_PRECISION(15) reads back as exactly this double. */
static double round15(double v)
{
    char buf[40];
    snprintf(buf, sizeof buf, "%.15g", v);
    return strtod(buf, NULL);
}

static int number_in(const json_t *v, double lo, double hi, double *out)
{
    if (!json_is_number(v))
        return -1;
    double d = round15(json_number_value(v));
    if (!(d >= lo && d <= hi)) /* also false for NaN */
        return -1;
    *out = d;
    return 0;
}

/* Length in code points of valid UTF-8 (jansson has checked it), or -1 if
 * it holds a control character (C0, DEL or C1). */
static long printable_chars(const unsigned char *s, size_t n)
{
    long chars = 0;
    for (size_t i = 0; i < n; chars++) {
        unsigned char b = s[i];
        if (b < 0x20 || b == 0x7f)
            return -1;
        if (b == 0xc2 && i + 1 < n && s[i + 1] >= 0x80 && s[i + 1] <= 0x9f)
            return -1; /* U+0080..U+009F */
        i += b < 0x80 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : 4;
    }
    return chars;
}

static int on_probe(const struct ctx *c, const json_t *v, struct tsn_stream_meta *m)
{
    static const char rule[] = "must be a string of 1 to 64 printable characters";
    if (!json_is_string(v))
        return bad(c, "probe", rule);
    size_t n = json_string_length(v);
    long chars = printable_chars((const unsigned char *)json_string_value(v), n);
    if (n == 0 || n > TSN_STREAM_PROBE_MAX_BYTES || chars < 1 || chars > TSN_STREAM_PROBE_MAX_CHARS)
        return bad(c, "probe", rule);
    memcpy(m->probe, json_string_value(v), n + 1);
    m->has_probe = 1;
    return 0;
}

static int on_pixel_spacing(const struct ctx *c, const json_t *v, struct tsn_stream_meta *m)
{
    if (!json_is_object(v))
        return bad(c, "pixel_spacing_mm", "must be an object {\"x\":mm,\"y\":mm}");
    if (number_in(json_object_get(v, "x"), 0.001, 10, &m->pixel_spacing_x_mm))
        return bad(c, "pixel_spacing_mm.x", "must be a number from 0.001 to 10");
    if (number_in(json_object_get(v, "y"), 0.001, 10, &m->pixel_spacing_y_mm))
        return bad(c, "pixel_spacing_mm.y", "must be a number from 0.001 to 10");
    m->has_pixel_spacing = 1;
    return 0;
}

static int on_depth(const struct ctx *c, const json_t *v, struct tsn_stream_meta *m)
{
    if (number_in(v, 1, 500, &m->depth_mm))
        return bad(c, "depth_mm", "must be a number from 1 to 500");
    m->has_depth = 1;
    return 0;
}

static int int_in(const json_t *v, json_int_t lo, json_int_t hi, int *out)
{
    if (!json_is_integer(v) || json_integer_value(v) < lo || json_integer_value(v) > hi)
        return -1;
    *out = (int)json_integer_value(v);
    return 0;
}

static int on_width(const struct ctx *c, const json_t *v, struct tsn_stream_meta *m)
{
    if (int_in(v, 16, 7680, &m->width))
        return bad(c, "width", "must be an integer from 16 to 7680");
    m->has_width = 1;
    return 0;
}

static int on_height(const struct ctx *c, const json_t *v, struct tsn_stream_meta *m)
{
    if (int_in(v, 16, 4320, &m->height))
        return bad(c, "height", "must be an integer from 16 to 4320");
    m->has_height = 1;
    return 0;
}

static int on_fps(const struct ctx *c, const json_t *v, struct tsn_stream_meta *m)
{
    if (number_in(v, 1, 240, &m->fps))
        return bad(c, "fps", "must be a number from 1 to 240");
    m->has_fps = 1;
    return 0;
}

/* Index of `v` in names[1..n-1], or 0. */
static int name_index(const json_t *v, const char *const *names, size_t n)
{
    const char *s = json_string_value(v);
    for (size_t i = 1; s && i < n; i++)
        if (names[i] && strlen(names[i]) == json_string_length(v) && strcmp(names[i], s) == 0)
            return (int)i;
    return 0;
}

static int on_codec(const struct ctx *c, const json_t *v, struct tsn_stream_meta *m)
{
    int i = name_index(v, codec_names, N_CODECS);
    if (!i)
        return bad(c, "codec", "must be \"H264\" or \"VP8\"");
    m->codec = (enum tsn_stream_codec)i;
    m->has_codec = 1;
    return 0;
}

static int on_source(const struct ctx *c, const json_t *v, struct tsn_stream_meta *m)
{
    int i = name_index(v, source_names, N_SOURCES);
    if (!i)
        return bad(c, "source", "must be \"phantom\", \"file\" or \"v4l2\"");
    m->source = (enum tsn_stream_source)i;
    m->has_source = 1;
    return 0;
}

static const struct field {
    const char *key;
    int (*fn)(const struct ctx *, const json_t *, struct tsn_stream_meta *);
} fields[] = {
    {"probe", on_probe},    {"pixel_spacing_mm", on_pixel_spacing},
    {"depth_mm", on_depth}, {"width", on_width},
    {"height", on_height},  {"fps", on_fps},
    {"codec", on_codec},    {"source", on_source},
};

int tsn_stream_meta_from_json(const json_t *obj, const char *name, struct tsn_stream_meta *out,
                              char *why, size_t why_len)
{
    memset(out, 0, sizeof *out);
    if (!json_is_object(obj)) {
        snprintf(why, why_len, "field '%s' must be an object", name);
        return -EBADMSG;
    }
    const struct ctx c = {name, why, why_len};
    int present = 0;
    for (size_t i = 0; i < sizeof fields / sizeof fields[0]; i++) {
        const json_t *v = json_object_get(obj, fields[i].key);
        if (!v)
            continue;
        present = 1;
        if (fields[i].fn(&c, v, out) != 0) {
            memset(out, 0, sizeof *out);
            return -EBADMSG;
        }
    }
    if (!present) {
        snprintf(why, why_len,
                 "field '%s' must have at least one of probe, pixel_spacing_mm, depth_mm, "
                 "width, height, fps, codec, source",
                 name);
        return -EBADMSG;
    }
    return 0;
}

int tsn_stream_meta_parse(const char *buf, size_t len, struct tsn_stream_meta *out, char *why,
                          size_t why_len)
{
    json_error_t err;
    /* Any JSON value, so that "null" gets the clearer reason; NULs inside
     * strings reach the field checks, which refuse them. */
    json_t *root =
        json_loadb(buf, len, JSON_REJECT_DUPLICATES | JSON_DECODE_ANY | JSON_ALLOW_NUL, &err);
    if (!root) {
        memset(out, 0, sizeof *out);
        snprintf(why, why_len, "field 'stream' is not valid JSON");
        return -EBADMSG;
    }
    int rc = tsn_stream_meta_from_json(root, "stream", out, why, why_len);
    json_decref(root);
    return rc;
}

/* --- formatting and comparing ----------------------------------------------- */

/* Adds `v` (stolen) to `o`; on any failure, the whole object is dropped. */
static void put(json_t **o, const char *key, json_t *v)
{
    if (!*o) {
        json_decref(v);
        return;
    }
    if (json_object_set_new(*o, key, v) != 0) { /* takes v even on error */
        json_decref(*o);
        *o = NULL;
    }
}

json_t *tsn_stream_meta_to_json(const struct tsn_stream_meta *m, int live)
{
    json_t *o = json_object();
    if (m->has_probe)
        put(&o, "probe", json_string(m->probe));
    if (m->has_pixel_spacing)
        put(&o, "pixel_spacing_mm",
            json_pack("{s:f, s:f}", "x", m->pixel_spacing_x_mm, "y", m->pixel_spacing_y_mm));
    if (m->has_depth)
        put(&o, "depth_mm", json_real(m->depth_mm));
    if (m->has_width)
        put(&o, "width", json_integer(m->width));
    if (m->has_height)
        put(&o, "height", json_integer(m->height));
    if (m->has_fps)
        put(&o, "fps", json_real(m->fps));
    if (m->has_codec)
        put(&o, "codec", json_string(tsn_stream_codec_name(m->codec)));
    if (m->has_source)
        put(&o, "source", json_string(tsn_stream_source_name(m->source)));
    if (live >= 0)
        put(&o, "live", json_boolean(live));
    return o;
}

char *tsn_stream_meta_dumps(const struct tsn_stream_meta *m, int live)
{
    json_t *o = tsn_stream_meta_to_json(m, live);
    char *s = o ? json_dumps(o, TSN_STREAM_JSON_FLAGS) : NULL;
    json_decref(o);
    return s;
}

void tsn_stream_meta_merge(struct tsn_stream_meta *dst, const struct tsn_stream_meta *src)
{
    if (src->has_probe)
        memcpy(dst->probe, src->probe, sizeof dst->probe);
    if (src->has_pixel_spacing) {
        dst->pixel_spacing_x_mm = src->pixel_spacing_x_mm;
        dst->pixel_spacing_y_mm = src->pixel_spacing_y_mm;
    }
    if (src->has_depth)
        dst->depth_mm = src->depth_mm;
    if (src->has_width)
        dst->width = src->width;
    if (src->has_height)
        dst->height = src->height;
    if (src->has_fps)
        dst->fps = src->fps;
    if (src->has_codec)
        dst->codec = src->codec;
    if (src->has_source)
        dst->source = src->source;
    dst->has_probe |= src->has_probe;
    dst->has_pixel_spacing |= src->has_pixel_spacing;
    dst->has_depth |= src->has_depth;
    dst->has_width |= src->has_width;
    dst->has_height |= src->has_height;
    dst->has_fps |= src->has_fps;
    dst->has_codec |= src->has_codec;
    dst->has_source |= src->has_source;
}

int tsn_stream_meta_equal(const struct tsn_stream_meta *a, const struct tsn_stream_meta *b)
{
    if (a->has_probe != b->has_probe || a->has_pixel_spacing != b->has_pixel_spacing ||
        a->has_depth != b->has_depth || a->has_width != b->has_width ||
        a->has_height != b->has_height || a->has_fps != b->has_fps ||
        a->has_codec != b->has_codec || a->has_source != b->has_source)
        return 0;
    return (!a->has_probe || strcmp(a->probe, b->probe) == 0) &&
           (!a->has_pixel_spacing || (a->pixel_spacing_x_mm == b->pixel_spacing_x_mm &&
                                      a->pixel_spacing_y_mm == b->pixel_spacing_y_mm)) &&
           (!a->has_depth || a->depth_mm == b->depth_mm) &&
           (!a->has_width || a->width == b->width) && (!a->has_height || a->height == b->height) &&
           (!a->has_fps || a->fps == b->fps) && (!a->has_codec || a->codec == b->codec) &&
           (!a->has_source || a->source == b->source);
}

/* --- per-room record ------------------------------------------------------------ */

struct room_entry {
    char room[TSN_ROOM_MAX + 1];
    char session[TSN_STREAM_SESSION_LEN + 1]; /* the publisher session it came from */
    struct tsn_stream_meta meta;
    int live;
    uint64_t changed_seq; /* for eviction: lower = changed longer ago */
};

struct tsn_stream_rooms {
    struct room_entry *rooms;
    size_t count, cap, max_rooms;
    uint64_t seq;
};

struct tsn_stream_rooms *tsn_stream_rooms_new(size_t max_rooms)
{
    struct tsn_stream_rooms *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->max_rooms = max_rooms ? max_rooms : 1;
    return r;
}

void tsn_stream_rooms_free(struct tsn_stream_rooms *r)
{
    if (!r)
        return;
    free(r->rooms);
    free(r);
}

size_t tsn_stream_rooms_count(const struct tsn_stream_rooms *r)
{
    return r->count;
}

static struct room_entry *find(const struct tsn_stream_rooms *r, const char *room)
{
    for (size_t i = 0; i < r->count; i++)
        if (strcmp(r->rooms[i].room, room) == 0)
            return &r->rooms[i];
    return NULL;
}

/* Forgets the room changed longest ago, preferring ended streams. */
static void evict_one(struct tsn_stream_rooms *r)
{
    size_t victim = 0;
    for (size_t i = 1; i < r->count; i++) {
        const struct room_entry *a = &r->rooms[i], *b = &r->rooms[victim];
        if (a->live != b->live ? !a->live : a->changed_seq < b->changed_seq)
            victim = i;
    }
    r->rooms[victim] = r->rooms[--r->count];
}

static struct room_entry *add(struct tsn_stream_rooms *r, const char *room)
{
    if (r->count >= r->max_rooms)
        evict_one(r);
    if (r->count == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 8;
        struct room_entry *n = realloc(r->rooms, cap * sizeof *n);
        if (!n)
            return NULL;
        r->rooms = n;
        r->cap = cap;
    }
    struct room_entry *e = &r->rooms[r->count++];
    memset(e, 0, sizeof *e);
    snprintf(e->room, sizeof e->room, "%s", room);
    return e;
}

int tsn_stream_rooms_set(struct tsn_stream_rooms *r, const char *room, const char *session,
                         const struct tsn_stream_meta *m, int merge)
{
    struct room_entry *e = find(r, room);
    if (!e && !(e = add(r, room)))
        return -ENOMEM;
    struct tsn_stream_meta next = *m;
    int same_session = e->session[0] && strcmp(e->session, session) == 0;
    if (merge && same_session && e->live) {
        next = e->meta;
        tsn_stream_meta_merge(&next, m);
    }
    int changed = !e->live || !tsn_stream_meta_equal(&e->meta, &next);
    e->meta = next;
    e->live = 1;
    snprintf(e->session, sizeof e->session, "%s", session);
    if (changed)
        e->changed_seq = ++r->seq;
    return changed;
}

int tsn_stream_rooms_end(struct tsn_stream_rooms *r, const char *room, const char *session)
{
    struct room_entry *e = find(r, room);
    if (!e || !e->live || strcmp(e->session, session) != 0)
        return 0;
    e->live = 0;
    e->changed_seq = ++r->seq;
    return 1;
}

int tsn_stream_rooms_get(const struct tsn_stream_rooms *r, const char *room,
                         struct tsn_stream_meta *out, int *live)
{
    const struct room_entry *e = find(r, room);
    if (!e)
        return 0;
    if (out)
        *out = e->meta;
    if (live)
        *live = e->live;
    return 1;
}
