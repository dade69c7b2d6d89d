/* The abs-capture-time RTP header extension
 * (http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time): the
 * wall-clock time at which a frame was captured, carried in the RTP header
 * so the viewer can measure glass-to-glass latency through the relay.
 *
 * Wire format (one-byte header form, RFC 8285): 8 bytes, the absolute
 * capture timestamp as NTP UQ32.32 (seconds since 1900-01-01 in the high 32
 * bits, fraction in the low 32), optionally followed by 8 bytes of estimated
 * capture clock offset (Q32.32, signed). We write only the 8-byte form.
 *
 * Inside GStreamer the capture time travels as a GstReferenceTimestampMeta
 * with reference caps "timestamp/x-ntp", whose timestamp is nanoseconds since
 * 1900-01-01 (GStreamer's convention, as rtpjitterbuffer uses it).
 *
 * This module has three parts:
 *  - pure helpers: pack/parse the wire bytes, convert between NTP Q32.32,
 *    Unix microseconds and GStreamer's ns-since-1900;
 *  - a GstRTPHeaderExtension subclass registered in-process as element
 *    factory "tsnabscapturetime", so payloaders, depayloaders and webrtcbin
 *    create it from caps "extmap-N=<TSN_ACT_URI>" (auto-header-extension) or
 *    it can be added with the "add-extension" action signal;
 *  - tsn_act_map: a small PTS -> capture-time ring for the places where a
 *    buffer's metas do not survive an element (see the note at the map).
 *
 * Measured on GStreamer 1.22 (tests/unit/test_abs_capture_time.c, 40 frames
 * each): a meta set on the raw frame reaches the decoded frame unchanged
 * through videoconvert ! x264enc tune=zerolatency ! rtph264pay ! rtph264depay
 * ! avdec_h264 ! videoconvert (to RGB), and through vp8enc ! rtpvp8pay !
 * rtpvp8depay ! avdec_vp8 or vp8dec: GstVideoEncoder/Decoder and
 * GstVideoFilter copy metas whose API has no tags, which this one has not.
 * So capture sets the meta on the raw frame and the viewer reads it from the
 * decoded frame; tsn_act_map is only a fallback for an element that drops
 * metas (none on those paths).
 *
 * Not here: NTP clock discipline (capture uses the system clock as is), the
 * SDP extmap negotiation (webrtcbin/SDP code), the offset field's meaning. */
#ifndef TSN_ABS_CAPTURE_TIME_H
#define TSN_ABS_CAPTURE_TIME_H

#include <stddef.h>
#include <stdint.h>

#include <gst/gst.h>

#define TSN_ACT_URI          "http://www.webrtc.org/experiments/rtp-hdrext/abs-capture-time"
#define TSN_ACT_ELEMENT_NAME "tsnabscapturetime"
#define TSN_ACT_REF_CAPS     "timestamp/x-ntp"
#define TSN_ACT_SIZE_BYTES   8
#define TSN_ACT_MAX_BYTES    16
/* Seconds from 1900-01-01 (NTP epoch) to 1970-01-01 (Unix epoch). */
#define TSN_ACT_NTP_UNIX_DIFF 2208988800LL

/* ---- Wire format (pure) ---- */

/* Writes ntp_q32 big-endian into out[0..7]. */
void tsn_act_pack(uint64_t ntp_q32, uint8_t out[8]);
/* Parses an extension element's data (without the RFC 8285 id/len byte):
 * 8 bytes (timestamp) or 16 bytes (timestamp + estimated capture clock
 * offset). Returns 0, or -EBADMSG for any other length. offset_q32_or_null
 * (may be NULL) gets the offset, or 0 when the element has none. */
int tsn_act_parse(const uint8_t *buf, size_t len, uint64_t *ntp_q32, int64_t *offset_q32_or_null);

/* ---- Time conversions (pure) ----
 * NTP seconds are 32 bits and wrap on 2036-02-07. Reading an NTP time back
 * we follow RFC 4330 §3: a seconds value with the top bit clear is taken to
 * be after the 2036 wrap, so readable times span 1968-01-20 .. 2104-02-26.
 * Fractions are rounded to nearest both ways, so us -> NTP -> us and
 * ns -> NTP -> ns are exact. */
uint64_t tsn_act_ntp_from_unix_us(int64_t unix_us);
int64_t tsn_act_unix_us_from_ntp(uint64_t ntp_q32);
uint64_t tsn_act_ntp_from_gst_ns(uint64_t ns_since_1900);
uint64_t tsn_act_gst_ns_from_ntp(uint64_t ntp_q32);
/* GStreamer's ns-since-1900 <-> Unix microseconds (rounded to nearest us). */
uint64_t tsn_act_gst_ns_from_unix_us(int64_t unix_us);
int64_t tsn_act_unix_us_from_gst_ns(uint64_t ns_since_1900);

/* ---- Buffer metas ---- */

/* The capture time of buf (its "timestamp/x-ntp" reference timestamp meta)
 * in Unix microseconds, or -1 when it has none. buf: (transfer none). */
int64_t tsn_act_buffer_capture_unix_us(GstBuffer *buf);
/* Sets buf's capture time: updates its "timestamp/x-ntp" meta or adds one.
 * buf must be writable. unix_us < 0 is ignored. */
void tsn_act_buffer_set_capture_unix_us(GstBuffer *buf, int64_t unix_us);

/* ---- The header extension element ----
 * Registers "tsnabscapturetime" (rank marginal, klass
 * "Network/Extension/RTPHeader", URI TSN_ACT_URI) with the default registry.
 * Call after gst_init(); idempotent and thread-safe. Returns TRUE when the
 * factory is registered.
 * Write side: every RTP packet made from an input buffer that carries the
 * meta gets the 8-byte extension (the depayloader reads the packet that
 * completes a frame, so every packet must carry it); a buffer without the
 * meta gets no extension (write returns 0 bytes, which 1.22 allows).
 * Read side: attaches/updates the meta on the depayloader's output buffer.
 * A malformed element (length not 8 or 16) is ignored and counted, never
 * reported as a read failure: GstRTPBaseDepayload 1.22 returns from a failed
 * read without releasing its object lock. */
gboolean tsn_abs_capture_time_register(void);
/* Number of malformed elements the read side ignored, process-wide. */
guint tsn_act_malformed_count(void);

/* ---- PTS -> capture time fallback map ----
 * For an element that drops metas: record (PTS, capture time) before it,
 * look the PTS up after it. A ring of TSN_ACT_MAP_SIZE entries: an entry is
 * found as long as fewer than that many frames were recorded since. Safe to
 * record and look up from different threads (one mutex). */
#define TSN_ACT_MAP_SIZE 256
struct tsn_act_map;

struct tsn_act_map *tsn_act_map_new(void);
void tsn_act_map_free(struct tsn_act_map *map);
/* Ignores pts == GST_CLOCK_TIME_NONE and capture_us < 0. Recording a PTS
 * again replaces its older entry when looked up (newest wins). */
void tsn_act_map_record(struct tsn_act_map *map, GstClockTime pts, int64_t capture_us);
/* The capture time recorded for pts, or -1. */
int64_t tsn_act_map_lookup(struct tsn_act_map *map, GstClockTime pts);

#endif
