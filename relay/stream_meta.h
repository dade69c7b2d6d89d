/* Stream metadata: what a capture says about the picture it publishes (probe
 * name, pixel spacing in mm/px, depth, frame size, frame rate, codec, source),
 * so that viewers can measure on it. Two parts:
 *  - struct tsn_stream_meta, a small value type with has_* flags, parsed and
 *    validated by pure functions (strict types and ranges, unknown fields
 *    ignored, a reason naming the field on any violation) and formatted back
 *    as JSON;
 *  - struct tsn_stream_rooms, the relay's per-room record of the latest
 *    metadata and whether the publisher it came from is still live (HTTP
 *    thread only, no locking).
 * It does not check who may set metadata or send it anywhere: http.c does. */
#ifndef TSN_STREAM_META_H
#define TSN_STREAM_META_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "jwt.h"

#define TSN_STREAM_PROBE_MAX_CHARS 64 /* Unicode code points */
#define TSN_STREAM_PROBE_MAX_BYTES (4 * TSN_STREAM_PROBE_MAX_CHARS)
#define TSN_STREAM_SESSION_LEN     32 /* hex chars of a session id */

enum tsn_stream_codec { TSN_STREAM_CODEC_H264 = 1, TSN_STREAM_CODEC_VP8 };
enum tsn_stream_source {
    TSN_STREAM_SOURCE_PHANTOM = 1,
    TSN_STREAM_SOURCE_FILE,
    TSN_STREAM_SOURCE_V4L2
};

/* Every member is meaningful only when its has_* flag is set. Ranges
 * (inclusive) are enforced by the parser, never by the formatter. */
struct tsn_stream_meta {
    int has_probe;
    char probe[TSN_STREAM_PROBE_MAX_BYTES + 1]; /* 1..64 chars, UTF-8, no controls */
    int has_pixel_spacing;
    double pixel_spacing_x_mm; /* mm per pixel, 0.001..10 */
    double pixel_spacing_y_mm;
    int has_depth;
    double depth_mm; /* 1..500 */
    int has_width;
    int width; /* pixels, 16..7680 */
    int has_height;
    int height; /* pixels, 16..4320 */
    int has_fps;
    double fps; /* 1..240 */
    int has_codec;
    enum tsn_stream_codec codec;
    int has_source;
    enum tsn_stream_source source;
};

/* jansson dump flags for JSON holding metadata: 15 significant digits, so
 * 0.1 is written "0.1" and reads back as the same double. */
#define TSN_STREAM_JSON_FLAGS (JSON_COMPACT | JSON_REAL_PRECISION(15))

/* Validates a JSON object of metadata into *out (zeroed first). At least one
 * known field must be present. Numbers are rounded to 15 significant digits
 * (so they survive formatting exactly), then range-checked. Returns 0, or
 * -EBADMSG with a reason for the client in `why` that names the field as
 * '<name>.<field>' (`name` is the object's own name, e.g. "stream"); *out
 * is then zero. */
int tsn_stream_meta_from_json(const json_t *obj, const char *name, struct tsn_stream_meta *out,
                              char *why, size_t why_len);

/* The same over JSON text (one object), named "stream" in reasons. */
int tsn_stream_meta_parse(const char *buf, size_t len, struct tsn_stream_meta *out, char *why,
                          size_t why_len);

/* New JSON object with the present fields, plus "live" unless live < 0. */
json_t *tsn_stream_meta_to_json(const struct tsn_stream_meta *m, int live);
/* The same as malloc'd text (TSN_STREAM_JSON_FLAGS), or NULL. */
char *tsn_stream_meta_dumps(const struct tsn_stream_meta *m, int live);

/* Copies the fields present in `src` over `dst`. */
void tsn_stream_meta_merge(struct tsn_stream_meta *dst, const struct tsn_stream_meta *src);
int tsn_stream_meta_equal(const struct tsn_stream_meta *a, const struct tsn_stream_meta *b);

const char *tsn_stream_codec_name(enum tsn_stream_codec c);
const char *tsn_stream_source_name(enum tsn_stream_source s);

/* --- per-room record ---------------------------------------------------- */

struct tsn_stream_rooms;

/* Keeps at most `max_rooms` rooms; beyond that the room whose metadata
 * changed longest ago is forgotten, ended streams first. */
struct tsn_stream_rooms *tsn_stream_rooms_new(size_t max_rooms);
void tsn_stream_rooms_free(struct tsn_stream_rooms *r);

/* The publisher session `session` of `room` sets its metadata: `merge`
 * updates the fields present in `m` when the room's metadata already came
 * from this session, otherwise (and when !merge) `m` replaces it. The room
 * is live afterwards. Returns 1 if what viewers see changed, 0 if not, or
 * -ENOMEM. */
int tsn_stream_rooms_set(struct tsn_stream_rooms *r, const char *room, const char *session,
                         const struct tsn_stream_meta *m, int merge);

/* Publisher session `session` of `room` ended. Returns 1 if the room's live
 * metadata came from it (it is now kept as not live), else 0. */
int tsn_stream_rooms_end(struct tsn_stream_rooms *r, const char *room, const char *session);

/* Copies the room's metadata. Returns 1 and sets *live, or 0 when the room
 * has none. `out` may be NULL. */
int tsn_stream_rooms_get(const struct tsn_stream_rooms *r, const char *room,
                         struct tsn_stream_meta *out, int *live);

size_t tsn_stream_rooms_count(const struct tsn_stream_rooms *r);

#endif
