/* The V4L2 video source of telesono-capture (`--source v4l2:/dev/videoN`):
 * UVC ultrasound probes and frame grabbers.
 *
 * A source owns one capture thread. The thread opens the device, negotiates
 * a format (GRAY8, NV12, YUYV or MJPEG), a size and a frame rate from the
 * config, maps four buffers, streams, and hands each frame to a callback.
 * When the device goes away (unplugged, I/O error, no frame for a while) it
 * closes everything, retries with backoff until the device is back,
 * renegotiates and goes on. Each step is reported through a state callback
 * with a sentence a person can act on.
 *
 * Raw frames are delivered in GStreamer's default layout for the caps that
 * tsn_v4l2_format_caps() gives (v4l2_format.h: rows padded to 4 bytes, the
 * NV12 chroma plane right after the luma plane), so they can be pushed into
 * an appsrc as they are; when the driver's row stride differs they are repacked into
 * a buffer owned by the source (allocated once per negotiation, not per
 * frame). MJPEG frames are delivered as the driver's bytes.
 *
 * Format negotiation and the one-shot tsn_v4l2_probe() for a fail-fast
 * start are in v4l2_negotiate.h. This module does not encode, scale,
 * convert colours or mask: that is the pipeline's job. Every device call
 * goes through struct tsn_v4l2_ops, so tests drive it with a fake device. */
#ifndef TSN_V4L2_SOURCE_H
#define TSN_V4L2_SOURCE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "v4l2_format.h"
#include "v4l2_negotiate.h" /* tsn_v4l2_probe() */
#include "v4l2_ops.h"

/* One captured frame; everything in it is valid only during the callback. */
struct tsn_v4l2_frame {
    const uint8_t *data;        /* raw: GStreamer default layout; MJPEG: the JPEG bytes */
    size_t size_bytes;          /* raw: tsn_v4l2_format_packed_size(&fmt) */
    struct tsn_v4l2_format fmt; /* as negotiated (bytesperline is the driver's, not data's) */
    int64_t capture_time_us;    /* CLOCK_REALTIME microseconds (driver timestamp) */
    uint32_t sequence;          /* the driver's frame counter */
};

enum tsn_v4l2_state {
    TSN_V4L2_OPENING,   /* about to open and negotiate */
    TSN_V4L2_STREAMING, /* negotiated; frames follow (event.fmt is set) */
    TSN_V4L2_LOST,      /* the device went away mid-stream (event.why says how) */
    TSN_V4L2_RETRYING,  /* waiting event.retry_in_ms before the next open */
    TSN_V4L2_FAILED,    /* gave up; the thread has ended (event.why says why) */
};

struct tsn_v4l2_event {
    enum tsn_v4l2_state state;
    int err;                           /* negative errno behind LOST/RETRYING/FAILED, else 0 */
    const char *why;                   /* a sentence; "" when there is nothing to say */
    const struct tsn_v4l2_format *fmt; /* STREAMING only, else NULL */
    int retry_in_ms;                   /* RETRYING only */
};

/* Both callbacks run on the capture thread; they must not call
 * tsn_v4l2_source_stop() or _free() on their own source. */
typedef void (*tsn_v4l2_frame_cb)(const struct tsn_v4l2_frame *frame, void *user);
typedef void (*tsn_v4l2_state_cb)(const struct tsn_v4l2_event *event, void *user);

struct tsn_v4l2_config {
    const char *device; /* e.g. /dev/v4l/by-id/...; copied */
    uint32_t width;     /* wanted size; 0x0 = the largest the device offers */
    uint32_t height;
    uint32_t fps;    /* wanted frames per second; 0 = the fastest offered */
    uint32_t fourcc; /* 0 = auto (GRAY8, NV12, YUYV, MJPEG in that order), or
                      * one of those V4L2_PIX_FMT_* to allow only it */
    /* false: a device that cannot be opened at start is FAILED at once
     * (fail fast); true: wait for it like for an unplugged one. Errors that
     * retrying cannot fix (not a capture device, no usable format) are
     * FAILED at start either way. Once a device has streamed, the source
     * retries on every error until it is stopped. */
    bool wait_for_device;
    int retry_initial_ms; /* first retry delay, doubling; 0 = 250 */
    int retry_max_ms;     /* 0 = 2000 */
    int frame_timeout_ms; /* no frame for this long = LOST; 0 = 2000 */
};

struct tsn_v4l2_stats {
    uint64_t frames;     /* delivered */
    uint64_t dropped;    /* flagged bad by the driver or too short */
    uint64_t reconnects; /* times streaming resumed after LOST */
};

/* Returns NULL on bad arguments (no device, no on_frame, a fourcc we do not
 * take) or out of memory. ops (transfer none) must
 * outlive the source; on_state may be NULL. Nothing is opened yet. */
struct tsn_v4l2_source *tsn_v4l2_source_new(const struct tsn_v4l2_config *cfg,
                                            const struct tsn_v4l2_ops *ops,
                                            tsn_v4l2_frame_cb on_frame, tsn_v4l2_state_cb on_state,
                                            void *user);
/* Starts the capture thread; 0, -EALREADY or -errno. */
int tsn_v4l2_source_start(struct tsn_v4l2_source *src);
/* Stops and joins the thread (promptly, also mid-backoff) and closes the
 * device. No callback runs after it returns. Safe to call twice. */
void tsn_v4l2_source_stop(struct tsn_v4l2_source *src);
void tsn_v4l2_source_free(struct tsn_v4l2_source *src);
/* Counters, readable from any thread. */
void tsn_v4l2_source_stats(const struct tsn_v4l2_source *src, struct tsn_v4l2_stats *out);

const char *tsn_v4l2_source_state_name(enum tsn_v4l2_state state);

#endif
