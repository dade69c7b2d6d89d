/* Format negotiation with an open V4L2 device, the one-shot probe, and the
 * sentences that explain device errors to a person.
 *
 * Negotiation: VIDIOC_QUERYCAP (must be single-planar video capture with
 * streaming), VIDIOC_ENUM_FMT, then the format: GRAY8, NV12, YUYV, MJPEG in
 * that order, except that one offering the wanted size exactly
 * (VIDIOC_ENUM_FRAMESIZES) at the wanted rate (VIDIOC_ENUM_FRAMEINTERVALS)
 * beats one offering the size at another rate, which beats one that only
 * comes close. The size is the exact one, else the closest by area, else
 * (0x0 wanted) the largest. VIDIOC_S_FMT, then the frame interval closest
 * to the wanted rate (the fastest when none is wanted) through
 * VIDIOC_S_PARM; what the driver chose is read back each time.
 *
 * Not here: buffers and streaming (v4l2_source.c). All device calls go
 * through struct tsn_v4l2_ops. */
#ifndef TSN_V4L2_NEGOTIATE_H
#define TSN_V4L2_NEGOTIATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "v4l2_format.h"
#include "v4l2_ops.h"

/* What the user asked for; 0 means "the device's best". */
struct tsn_v4l2_want {
    uint32_t width, height; /* 0x0 = the largest offered */
    uint32_t fps;           /* 0 = the fastest offered */
    uint32_t fourcc;        /* 0 = auto; else the only format tried */
};

/* Negotiates on fd (opened O_RDWR) and fills *out with what the driver
 * chose. Returns 0, or a negative errno with a sentence in why: -ENOTTY
 * (not a video capture device), -ENOTSUP (no format we take), -EINVAL (the
 * driver refused or changed the format unusably), -EBUSY, -ENODEV, ... */
int tsn_v4l2_negotiate(const struct tsn_v4l2_ops *ops, int fd, const char *path,
                       const struct tsn_v4l2_want *want, struct tsn_v4l2_format *out, char *why,
                       size_t why_len);

/* One synchronous check for a fail-fast start: open, VIDIOC_QUERYCAP and
 * VIDIOC_ENUM_FMT, then close. Returns 0 with a description of the device
 * in why, or -ENOENT (missing), -EACCES (permission), -EBUSY, -ENOTTY (not
 * a video capture device), -ENOTSUP (no usable format) or another -errno,
 * with a sentence for a person in why. why may be NULL. */
int tsn_v4l2_probe(const char *path, const struct tsn_v4l2_ops *ops, char *why, size_t why_len);

/* Writes the sentence for err (negative errno) from `step` (an ioctl name,
 * "open", "poll") on path into why; returns err. ENOENT, EACCES, EBUSY and
 * ENODEV/ENXIO/EIO (unplugged) get their own sentences. */
int tsn_v4l2_negotiate_explain(int err, const char *path, const char *step, char *why,
                               size_t why_len);

/* True for errors that retrying the same device cannot fix (the wrong kind
 * of device, no usable format): -ENOTTY, -ENOTSUP, -EINVAL. */
bool tsn_v4l2_negotiate_is_permanent(int err);

#endif
