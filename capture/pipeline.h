/* One connection's media pipeline in telesono-capture:
 *
 *   appsrc -> [jpegdec] -> videoconvert -> videoscale -> I420 caps -> (masks)
 *          -> encoder bin -> RTP payloader (+ abs-capture-time) -> webrtcbin
 *
 * It is built when a connection to the relay starts and torn down when it
 * ends; the source keeps running in between and its frames are dropped
 * (and counted) while no pipeline exists. Privacy masks are applied to the
 * I420 frame right before the encoder, so no masked pixel is ever encoded.
 * Probes along the way keep the counters (struct tsn_capture_counters,
 * shared by all connections), time the encoder, write the frame log and
 * rate-limit keyframe requests that come back from the relay (PLI/FIR). */
#ifndef TSN_PIPELINE_H
#define TSN_PIPELINE_H

#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>

#include <gst/gst.h>

#include "capture_cli.h"
#include "encoder.h"
#include "latency_stats.h"
#include "mask.h"

/* Counters for the statistics file; atomics, written by streaming threads. */
struct tsn_capture_counters {
    atomic_uint_fast64_t frames_pushed;  /* handed to a pipeline */
    atomic_uint_fast64_t frames_dropped; /* no pipeline, or the encoder fell behind */
    atomic_uint_fast64_t frames_encoded;
    atomic_uint_fast64_t keyframes;
    atomic_uint_fast64_t bytes_encoded;
    atomic_uint_fast64_t keyframe_requests; /* PLI/FIR from the relay */
    atomic_uint_fast64_t keyframes_forced;  /* requests honoured by the limiter */
    GMutex lock;                            /* protects encode_ms */
    struct tsn_latency_stats *encode_ms;
};

struct tsn_pipeline_config {
    const struct tsn_capture_opts *opts;
    GstCaps *src_caps; /* the source's frame caps (transfer none) */
    int gray;          /* GRAY8 source */
    struct tsn_encoder_config enc;
    struct tsn_mask_rect masks[TSN_CAPTURE_MAX_MASKS]; /* fitted to the output size */
    int n_masks;
    struct tsn_capture_counters *counters; /* (transfer none) */
    FILE *frame_log;                       /* (nullable, transfer none) line-buffered */
    GMutex *frame_log_lock;                /* protects frame_log */
};

struct tsn_pipeline;

/* Builds the pipeline (not yet playing). NULL with a reason. */
struct tsn_pipeline *tsn_pipeline_new(const struct tsn_pipeline_config *cfg, char *why,
                                      size_t why_len);
GstElement *tsn_pipeline_webrtc(struct tsn_pipeline *p);  /* (transfer none) */
GstElement *tsn_pipeline_element(struct tsn_pipeline *p); /* the GstPipeline (transfer none) */
int tsn_pipeline_play(struct tsn_pipeline *p, char *why, size_t why_len);
/* Pushes one frame (transfer full) from any thread. Returns 0, or -EAGAIN
 * when the frame's caps differ from the pipeline's media type (the caller
 * must rebuild the pipeline). */
int tsn_pipeline_push(struct tsn_pipeline *p, GstBuffer *buf, GstCaps *caps, uint64_t index,
                      int64_t capture_us);
/* Marks the media connection as up: from now on encoded frames go to the
 * frame log (frames made before DTLS was up never reached the relay). */
void tsn_pipeline_set_connected(struct tsn_pipeline *p);
/* Forces a keyframe now (after connecting: the first one may have gone out
 * before DTLS was up). */
void tsn_pipeline_force_keyframe(struct tsn_pipeline *p);
/* Call every ~100 ms from the main loop: releases a deferred keyframe. */
void tsn_pipeline_tick(struct tsn_pipeline *p);
void tsn_pipeline_free(struct tsn_pipeline *p);

#endif
