/* telesono-export's GStreamer side: one pipeline fed with the recording's
 * RTP packets (appsrc, timestamps set by the scanner) that writes the remux
 * and, optionally, the annotated copy:
 *
 *   H.264: appsrc ! rtph264depay ! h264parse ! [tee] queue ! mp4mux ! filesink
 *   VP8:   appsrc ! rtpvp8depay ! [tee] queue ! webmmux ! filesink
 *   burn-in branch: [tee] queue ! h264parse ! avdec_h264 | vp8dec ! videoconvert ! BGRx
 *                   ! cairooverlay (export_timeline.h draws) ! videoconvert
 *                   ! x264enc (constant quality 18, preset fast, no B-frames)
 *                   ! mp4mux ! filesink
 *   (no h264parse after x264enc: without a frame rate in the caps, as from
 *   vp8dec, it drops the last frame's duration and mp4mux then marks that
 *   frame as one to discard.) Both mp4mux use a 90 kHz track timescale, so
 *   the files' times are the RTP clock's exactly.
 *
 * A change of picture size (a later generation) ends both files at that
 * point: the muxers cannot change a track's size. H.264 parameter sets
 * that change without the size are kept in-band (avc3; the burn-in branch's
 * h264parse turns that into what avdec_h264 takes) when the caller asks
 * (the scan saw it): with only the first SPS/PPS in the MP4's sample entry,
 * the later frames would not decode.
 *
 * No re-encode on the remux branch. The muxers get the files' final names
 * from the caller (temporary names: the caller renames them when complete).
 * Not thread-safe: one thread pushes and finishes; the drawing happens on a
 * streaming thread through the (immutable) timeline. */
#ifndef TSN_EXPORT_PIPE_H
#define TSN_EXPORT_PIPE_H

#include <stddef.h>
#include <stdint.h>

#include "export_rtp.h"
#include "export_scan.h"
#include "export_timeline.h"

struct tsn_export_pipe_cfg {
    enum tsn_export_codec codec;
    const char *remux_path;                     /* required */
    const char *burn_path;                      /* NULL: no annotated copy */
    const struct tsn_export_timeline *timeline; /* required with burn_path; outlives the pipe */
    uint64_t frame_ns; /* a frame's duration, for decoded frames that lost theirs */
    int h264_in_band;  /* parameter sets change mid-stream: MP4 as avc3 (SPS/PPS in-band) */
};

struct tsn_export_pipe_result {
    uint64_t remux_frames;  /* buffers the remux muxer took */
    uint64_t burn_frames;   /* buffers the annotated copy's muxer took */
    uint64_t *remux_pts_ns; /* remux_frames PTS (malloc'd, caller frees) */
    int width, height;      /* 0 when the caps did not say */
    /* The picture size changed mid-stream (a publisher restarted with
     * another size): MP4 and WebM hold one size, so the files end there. */
    int cut;
    uint64_t cut_pts_ns;
    int cut_width, cut_height;
};

struct tsn_export_pipe;

/* The elements a configuration needs, checked before any work: 0, or
 * -ENOENT with the missing element and its Debian package in why. */
int tsn_export_pipe_check(enum tsn_export_codec codec, int burn_in, char *why, size_t why_len);

/* Builds the pipeline and starts it. NULL with a reason. */
struct tsn_export_pipe *tsn_export_pipe_new(const struct tsn_export_pipe_cfg *cfg, char *why,
                                            size_t why_len);
void tsn_export_pipe_free(struct tsn_export_pipe *p);

/* Pushes one kept frame's packets (copied, the marker bit on the last one
 * only, so the depayloader makes one access unit of them) with its PTS.
 * Waits while the pipeline is more than a few MB behind. 0, or -EIO with a
 * reason when the pipeline failed, -EINTR when *stop became non-zero while
 * waiting. */
int tsn_export_pipe_push(struct tsn_export_pipe *p, const struct tsn_export_frame *f,
                         const volatile int *stop, char *why, size_t why_len);

/* Ends the stream and waits for both files to be complete. 0 with *res
 * filled; -EIO with a reason (an element's error: the output could not be
 * written); -EINTR when *stop became non-zero. */
int tsn_export_pipe_finish(struct tsn_export_pipe *p, struct tsn_export_pipe_result *res,
                           const volatile int *stop, char *why, size_t why_len);

#endif
