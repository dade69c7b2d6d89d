/* What telesono-view measures, and the stats JSON it writes: decoded frames,
 * time to first frame, frame rate, received RTP bitrate, loss and feedback
 * counters summed over connections, capture-to-decode latency percentiles,
 * reconnects and outages (gaps of more than TSN_VIEW_OUTAGE_MS without a
 * decoded frame). Streaming threads report frames and packets, the main loop
 * reports RTCP counters and writes the file: one mutex guards everything.
 * Times are passed in (Unix microseconds), so the module has no clock and
 * the unit tests drive it directly. Not here: where the numbers come from
 * (viewer/view.c) or how frames are dumped (viewer/frame_dump.c).
 *
 * JSON shape (version 1), every key always present, null when unknown:
 *   {"version":1, "state":"connecting|connected|reconnecting|stopped",
 *    "codec":"H264"|null, "frames_decoded":N, "frames_without_capture_time":N,
 *    "first_frame_ms":T|null, "fps":F|null, "bitrate_kbps":F|null,
 *    "bytes_received":N, "packets_received":N, "packets_lost":N,
 *    "nack_count":N, "pli_count":N, "fir_count":N,
 *    "connect_attempts":N, "connections":N, "reconnects":N,
 *    "outages":[{"start_unix_ms":T,"end_unix_ms":T}...], "outage_count":N,
 *    "last_frame_unix_ms":T|null, "current_gap_ms":T|null,
 *    "latency_ms":{"count":N,"min":F,"p50":F,"p95":F,"p99":F,"max":F,"mean":F},
 *    "dump":{"written":N,"dropped":N,"failed":N}|null,
 *    "annotations":{"seq":N,"marks":N,"events":N,"snapshots":N,"pointers":N,
 *                   "rejected":N,"frozen":B,"frames_drawn":N,"draw_us_mean":F,
 *                   "draw_us_max":F}|null (null with --no-annotations),
 *    "stream":{...}|null, "elapsed_s":F, "written_unix_ms":T}
 * connections counts media connections that came up; reconnects is
 * connections - 1; connect_attempts counts every try, failed ones too.
 * fps and bitrate_kbps average over the span from the first to the last
 * frame (packet), outages included. Latency samples are capture (the
 * publisher's clock) to decoder output (ours), in ms. */
#ifndef TSN_VIEW_STATS_H
#define TSN_VIEW_STATS_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "view_annot.h"

#define TSN_VIEW_STATS_VERSION 1
#define TSN_VIEW_OUTAGE_MS     1000 /* a gap longer than this is an outage */
#define TSN_VIEW_MAX_OUTAGES   1024 /* listed; outage_count keeps counting */

struct tsn_view_stats;

/* `start_unix_us`: when the viewer started (elapsed_s counts from it). */
struct tsn_view_stats *tsn_view_stats_new(int64_t start_unix_us);
void tsn_view_stats_free(struct tsn_view_stats *s);

/* A connection to the relay is being tried (connect_attempts). */
void tsn_view_stats_attempt(struct tsn_view_stats *s);
/* A join was sent; the first one starts first_frame_ms. */
void tsn_view_stats_joined(struct tsn_view_stats *s, int64_t now_unix_us);
/* The media connection is up (connections; reconnects = connections - 1). */
void tsn_view_stats_connected(struct tsn_view_stats *s);
/* "connecting", "connected", "reconnecting", "stopped" (static strings). */
void tsn_view_stats_set_state(struct tsn_view_stats *s, const char *state);
void tsn_view_stats_set_codec(struct tsn_view_stats *s, const char *codec);
/* The last stream metadata from the relay, as JSON text (nullable: none). */
void tsn_view_stats_set_stream(struct tsn_view_stats *s, const char *stream_json);

/* One decoded frame at `now_unix_us`; capture_unix_us < 0 when the frame
 * carried no capture time. */
void tsn_view_stats_frame(struct tsn_view_stats *s, int64_t now_unix_us, int64_t capture_unix_us);
/* One RTP packet of `bytes` received at `now_unix_us`. */
void tsn_view_stats_rtp(struct tsn_view_stats *s, size_t bytes, int64_t now_unix_us);

/* The current connection's cumulative receiver counters (inbound-rtp
 * statistics); a negative value leaves that counter as it was. */
struct tsn_view_rtcp_counters {
    int64_t packets_lost;
    int64_t nack_count;
    int64_t pli_count;
    int64_t fir_count;
};
void tsn_view_stats_set_rtcp(struct tsn_view_stats *s, const struct tsn_view_rtcp_counters *c);
/* The current connection is gone: its counters join the totals. */
void tsn_view_stats_connection_closed(struct tsn_view_stats *s);

/* What the frame dumper did so far (the "dump" object; null until set). */
void tsn_view_stats_set_dump(struct tsn_view_stats *s, uint64_t written, uint64_t dropped,
                             uint64_t failed);

/* The annotation counters (the "annotations" object; null until set). */
void tsn_view_stats_set_annotations(struct tsn_view_stats *s,
                                    const struct tsn_view_annot_counts *c);

int64_t tsn_view_stats_frames(struct tsn_view_stats *s);
/* Unix time of the last decoded frame, or -1. */
int64_t tsn_view_stats_last_frame_us(struct tsn_view_stats *s);

/* The JSON above (transfer full), or NULL when out of memory. */
json_t *tsn_view_stats_json(struct tsn_view_stats *s, int64_t now_unix_us);
/* Writes the JSON to `path` atomically (a temporary file in the same
 * directory, then rename). Returns 0 or a negative errno with a reason. */
int tsn_view_stats_write(struct tsn_view_stats *s, const char *path, int64_t now_unix_us, char *why,
                         size_t why_len);

#endif
