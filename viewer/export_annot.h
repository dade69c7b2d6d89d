/* telesono-export's annotations: collects the EVENT records of a recording
 * (the initial "annotations" snapshot and the sequenced events), maps each
 * event to the frame of the output it belongs to, and builds annotations.json.
 *
 * The frame of an event: the frame with the greatest capture time not
 * after media.capture_ms (the frame whose abs-capture-time equals it, or
 * the nearest before); else the frame whose RTP timestamp equals
 * media.rtp_ts (when several do, after a wrap or across generations, the
 * one whose arrival is nearest the event's record time); else the last
 * frame that arrived at or before the event's record time (time_us);
 * clamped to [0, N-1]. capture_ms comes first because when a client sends
 * frame_ms (the frame it was displaying), the relay stamps capture_ms with
 * that frame but rtp_ts with the newest one: capture_ms names the frame
 * the clinician saw (without frame_ms both name the same frame). Pure code
 * over jansson values; no I/O.
 * Not here: drawing (export_timeline.h), reading the log (export.c). */
#ifndef TSN_EXPORT_ANNOT_H
#define TSN_EXPORT_ANNOT_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

/* What the mapping needs of a kept frame (export_scan.h's frame, kept). */
struct tsn_export_frame_ref {
    uint32_t rtp_ts;
    int64_t pts_90k;
    int64_t capture_ms; /* -1: none */
    uint64_t time_us;
};

enum tsn_export_map_how {
    TSN_EXPORT_MAP_RTP_TS = 0,
    TSN_EXPORT_MAP_CAPTURE = 1,
    TSN_EXPORT_MAP_TIME = 2,
};

/* The frame index (0..n-1, n >= 1) of an event with this "media" member
 * (nullable; null or an object) recorded at time_us. *how (nullable) says
 * which rule matched. */
size_t tsn_export_map_frame(const struct tsn_export_frame_ref *frames, size_t n,
                            const json_t *media, uint64_t time_us, enum tsn_export_map_how *how);

/* Milliseconds of a 90 kHz time, rounded to the microsecond (3 decimals). */
double tsn_export_ms_of_90k(int64_t t_90k);

struct tsn_export_annot;

struct tsn_export_annot *tsn_export_annot_new(void);
void tsn_export_annot_free(struct tsn_export_annot *a);

/* Results of tsn_export_annot_add. */
#define TSN_EXPORT_ANNOT_EVENT   1 /* an {"type":"event"} kept */
#define TSN_EXPORT_ANNOT_INITIAL 2 /* the first record's "annotations" snapshot */
#define TSN_EXPORT_ANNOT_IGNORED 0 /* another type, or a snapshot after the first record */

/* One EVENT record's payload. Returns one of the results above, -EBADMSG
 * when it is not a JSON object, -ENOMEM. */
int tsn_export_annot_add(struct tsn_export_annot *a, const uint8_t *json, size_t len,
                         uint64_t time_us);

size_t tsn_export_annot_count(const struct tsn_export_annot *a);
/* The i-th event (borrowed) and its frame (after tsn_export_annot_map). */
const json_t *tsn_export_annot_event(const struct tsn_export_annot *a, size_t i);
size_t tsn_export_annot_frame(const struct tsn_export_annot *a, size_t i);
/* The initial snapshot: the recorded one, or an empty state (borrowed). */
const json_t *tsn_export_annot_initial(const struct tsn_export_annot *a);

/* Sets every event's frame from the kept frames (n >= 1). Counts per rule
 * go to by_how[3] (nullable). */
void tsn_export_annot_map(struct tsn_export_annot *a, const struct tsn_export_frame_ref *frames,
                          size_t n, uint64_t by_how[3]);

/* Overrides event i's frame (the exporter's fallback when the muxer saw
 * other frames than the scan counted). */
void tsn_export_annot_set_frame(struct tsn_export_annot *a, size_t i, size_t frame);

/* The annotations.json document (a new reference; NULL on OOM): `frames`
 * are the output's frames (n >= 1), `duration_90k` the video's duration.
 * session, room, video_file: strings (nullable: null); stream: nullable. */
json_t *tsn_export_annot_document(const struct tsn_export_annot *a, const char *session,
                                  const char *room, const json_t *stream, const char *video_file,
                                  const struct tsn_export_frame_ref *frames, size_t n,
                                  int64_t duration_90k);

#endif
