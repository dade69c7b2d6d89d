/* The receive chain behind webrtcbin for telesono-view: given the source pad
 * webrtcbin made for the incoming stream, picks the depayloader and decoder
 * from the caps' encoding-name (H264 or VP8), then shows the frames in a
 * window (videoconvert ! autovideosink) and/or hands them to the frame
 * dumper (RGB through an appsink), with the room's annotations drawn on
 * them first (cairooverlay calling viewer/view_annot.h) for the window and
 * RGB dumps; GRAY8 dumps stay as decoded (they are for measuring), and
 * without a window or dump nothing is drawn. Measures on the way: RTP bytes at the
 * webrtcbin pad, decoded frames and their capture-to-decode latency at the
 * decoder's source pad (the abs-capture-time meta,
 * common/gst/abs_capture_time.h). Counters go to struct tsn_view_stats.
 * Everything here runs on GStreamer streaming threads. Not here: the
 * signalling or the connection (viewer/view.c). */
#ifndef TSN_VIEW_DECODE_H
#define TSN_VIEW_DECODE_H

#include <stddef.h>

#include <gst/gst.h>

#include "frame_dump.h"
#include "view_annot.h"
#include "view_stats.h"

struct tsn_view_decode_cfg {
    int window;                   /* show in a window (else decode only) */
    struct tsn_frame_dump *dump;  /* (nullable, borrowed) PNG writer */
    int dump_gray;                /* dump the luma as GRAY8 instead of RGB */
    struct tsn_view_annot *annot; /* (nullable, borrowed) draw annotations */
    struct tsn_view_stats *stats; /* (borrowed) */
    gint *dump_index;             /* (borrowed) atomic index of the next dumped frame */
    unsigned conn_id;             /* for log lines */
};

/* Checks that the elements the chain and webrtcbin need are installed
 * (registry only, nothing is loaded), so a missing plugin is reported before
 * connecting; `overlay`: the annotations will be drawn (cairooverlay). Returns 0 or -ENOENT with
 * the element and package in `why`. */
int tsn_view_decode_check(int window, int dump, int overlay, char *why, size_t why_len);

/* Loads those plugins and makes the process's DTLS certificate, which would
 * otherwise cost about a second at the first connection (libav, nice, the
 * RSA key); with `overlay`, also cairooverlay and the fonts the annotation
 * labels use. Blocking; thread-safe: the session runs it on a thread of its
 * own while it connects. */
void tsn_view_decode_warm_up(int overlay);

/* Builds the chain for `src` (a webrtcbin source pad), adds it to `pipeline`
 * and links it. `cfg` is copied. Writes the codec name ("H264", "VP8") to
 * codec. Returns 0, -ENOTSUP for a codec we cannot decode, or -EIO. */
int tsn_view_decode_link(GstElement *pipeline, GstPad *src, const struct tsn_view_decode_cfg *cfg,
                         char *codec, size_t codec_len, char *why, size_t why_len);

/* True when a bus message comes from the window branch (the display sink or
 * an element inside it), e.g. "no display" or "window closed". */
#define TSN_VIEW_DISPLAY_SINK "tsn-display"
int tsn_view_decode_from_display(GstMessage *msg);

/* Caps for the recvonly transceiver's codec preferences: H.264 constrained
 * baseline (NACK, PLI, FIR) and VP8, with abs-capture-time as extension 3. */
GstCaps *tsn_view_decode_recv_caps(void);

#endif
