/* telesono-export's scanner: turns the records of a packet log
 * (common/reclog.h), in file order, into the frames the output will hold,
 * each with its presentation time, and passes the annotation events on.
 *
 * Rules (docs of the recording contract, "telesono-export"):
 *  - RTP packets of the current generation go through the reorder window
 *    (export_reorder.h); packets of another payload type (RTX, FEC) are
 *    ignored; a new STREAM record, or a new SSRC without one, starts a new
 *    generation (new sequence and timestamp base).
 *  - A frame (an access unit) is the run of packets, in sequence order,
 *    with one RTP timestamp: only a change of timestamp ends it. The marker
 *    bit does not split it: a payloader may set the marker on a packet
 *    that is not the frame's last (rtph264pay answering a key-frame request
 *    sends the SPS/PPS as a STAP-A with the marker set, then the IDR slices
 *    with the same timestamp); the marker says only whether the frame's
 *    end arrived. A frame is kept only when complete: its first packet
 *    follows the previous packet with nothing missing in between, or
 *    certainly begins a frame (export_rtp.h, TSN_EXPORT_PKT_START); no
 *    sequence number is missing inside it; and its last packet carries the
 *    marker bit.
 *    A damaged frame is dropped whole rather than passed on half (the
 *    depayloader would emit a frame or not depending on which packet was
 *    lost; this way the frames out are exactly the frames counted here).
 *  - Each generation starts at its first complete key frame that a decoder
 *    can start from (H.264: an IDR slice and an SPS; VP8: a key frame);
 *    frames before it are dropped.
 *  - pts_90k = the frame's unwrapped RTP timestamp - its generation's first
 *    kept one, plus the generation's offset: 0 for the first, the previous
 *    frame's PTS + one frame interval for a later one, so PTS only grow. A
 *    frame whose PTS would not grow is dropped (counted).
 *
 * The scanner is deterministic: feeding it the same records twice gives the
 * same frames, which is how the exporter makes two passes (count, then
 * mux). Pure code (jansson for the STREAM and SESSION JSON); no GStreamer,
 * no logging. */
#ifndef TSN_EXPORT_SCAN_H
#define TSN_EXPORT_SCAN_H

#include <stddef.h>
#include <stdint.h>

#include <jansson.h>

#include "export_reorder.h"
#include "export_rtp.h"
#include "reclog.h"

#define TSN_EXPORT_DEFAULT_INTERVAL_90K 3000 /* 30 fps, when nothing better is known */

struct tsn_export_frame {
    uint64_t index;       /* 0-based among the kept frames */
    uint32_t rtp_ts;      /* as the publisher sent it */
    uint32_t generation;  /* 0 for the first */
    int64_t pts_90k;      /* presentation time in the output */
    int64_t duration_90k; /* the frame interval known when it was kept */
    int64_t capture_ms;   /* abs-capture-time (Unix ms), -1 when none */
    uint64_t time_us;     /* relay clock of its first packet */
    int key;
    size_t n_pkts;
    struct tsn_export_pkt *const *pkts; /* in sequence order; valid during the callback */
};

struct tsn_export_scan_cb {
    /* A kept frame (nullable callback). */
    void (*frame)(void *ctx, const struct tsn_export_frame *f);
    /* An EVENT record (nullable callback); r as the reader returned it. */
    void (*event)(void *ctx, const struct tsn_rec *r);
};

struct tsn_export_scan_stats {
    uint64_t rtp_records;
    uint64_t event_records;
    uint64_t bad_packets;   /* RTP records that do not parse as RTP */
    uint64_t other_packets; /* another payload type, or a generation of another codec */
    uint64_t frames_kept;
    uint64_t frames_incomplete;   /* a packet missing or damaged */
    uint64_t frames_before_key;   /* complete, but before the generation's first key frame */
    uint64_t frames_out_of_order; /* their PTS would not have grown */
    uint64_t generations;         /* that had packets */
    uint64_t ssrc_changes;        /* new SSRC without a STREAM record */
    uint64_t config_changes;      /* generations whose H.264 SPS/PPS differ from the first's */
    uint64_t bad_stream_records;  /* STREAM/SESSION records that are not JSON objects */
    int no_stream_record;         /* RTP came before any STREAM record */
    struct tsn_export_reorder_stats reorder;
};

struct tsn_export_scan;

/* window: the reorder window in packets (1..TSN_EXPORT_MAX_WINDOW). NULL on
 * OOM or a bad window. */
struct tsn_export_scan *tsn_export_scan_new(size_t window, const struct tsn_export_scan_cb *cb,
                                            void *ctx);
void tsn_export_scan_free(struct tsn_export_scan *s);

/* Feeds one record. Returns 0, or -ENOMEM. */
int tsn_export_scan_record(struct tsn_export_scan *s, const struct tsn_rec *r);
/* The end of the log: hands on what the window holds. */
int tsn_export_scan_finish(struct tsn_export_scan *s);

void tsn_export_scan_stats(const struct tsn_export_scan *s, struct tsn_export_scan_stats *out);
/* The output codec (the first STREAM record's; H.264 without one). */
enum tsn_export_codec tsn_export_scan_codec(const struct tsn_export_scan *s);
/* The first STREAM record's "stream" metadata and the SESSION record, or
 * NULL (borrowed, valid until the scanner is freed). */
const json_t *tsn_export_scan_stream_meta(const struct tsn_export_scan *s);
const json_t *tsn_export_scan_session(const struct tsn_export_scan *s);
/* The frame interval last used, in 90 kHz ticks. */
int64_t tsn_export_scan_interval_90k(const struct tsn_export_scan *s);

#endif
