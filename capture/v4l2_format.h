/* V4L2 pixel formats as telesono-capture takes them: the negotiated format
 * value type, its GStreamer caps, and the repacking of a raw frame from the
 * driver's row stride into GStreamer's default layout.
 *
 * GStreamer's default layout (what gst_video_info_set_format() computes,
 * and what an appsrc without GstVideoMeta assumes) pads every row to a
 * multiple of 4 bytes: GRAY8 stride = round_up(w, 4), YUY2 = round_up(2 *
 * round_up(w, 2), 4), NV12 = round_up(w, 4) for both planes with the chroma
 * plane at stride * round_up(h, 2). A driver's bytesperline may be larger
 * (hardware alignment), so a frame is repacked unless the layouts already
 * agree. For widths that are a multiple of 4 with no driver padding the
 * layouts are the same and nothing is copied.
 *
 * Pure functions over values and buffers: no I/O, no allocation. */
#ifndef TSN_V4L2_FORMAT_H
#define TSN_V4L2_FORMAT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A negotiated format (a small value type). */
struct tsn_v4l2_format {
    uint32_t fourcc;       /* V4L2_PIX_FMT_GREY, _NV12, _YUYV, _MJPEG or _JPEG */
    uint32_t width;        /* pixels */
    uint32_t height;       /* pixels */
    uint32_t bytesperline; /* the driver's row stride in bytes (0 for MJPEG) */
    uint32_t sizeimage;    /* the driver's buffer size in bytes */
    uint32_t fps_num;      /* frame rate as the fraction fps_num / fps_den; */
    uint32_t fps_den;      /* 0/1 when the driver does not say */
};

/* The GStreamer caps for a format, e.g.
 *   video/x-raw,format=GRAY8,width=640,height=480,framerate=30/1
 *   image/jpeg,width=1280,height=720,framerate=30/1
 * (GRAY8, NV12, YUY2 for V4L2's GREY, NV12, YUYV). Returns the length
 * written, -EINVAL for another fourcc or -ENOSPC when len is too small. */
int tsn_v4l2_format_caps(const struct tsn_v4l2_format *fmt, char *buf, size_t len);

/* Bytes of a raw frame in GStreamer's default layout; 0 for MJPEG or a
 * fourcc this module does not take. */
size_t tsn_v4l2_format_packed_size(const struct tsn_v4l2_format *fmt);

/* True when a raw frame in the driver's layout (fmt->bytesperline) already
 * is GStreamer's default layout, so it needs no repacking. */
bool tsn_v4l2_format_is_gst_layout(const struct tsn_v4l2_format *fmt);

/* Bytes of real pixels in one row (plane 0; for NV12 also one chroma row);
 * 0 for MJPEG or an unknown fourcc. The smallest valid bytesperline. */
uint32_t tsn_v4l2_format_row_bytes(uint32_t fourcc, uint32_t width);

/* Repacks one raw frame from the driver's layout into GStreamer's default
 * layout. Padding bytes in dst are not written. Returns the packed size,
 * -EINVAL for MJPEG / an unknown fourcc / a stride shorter than a row,
 * -EMSGSIZE when src_len is shorter than the format needs, or -ENOSPC when
 * dst_cap is smaller than tsn_v4l2_format_packed_size(). */
int tsn_v4l2_format_pack(const struct tsn_v4l2_format *fmt, const uint8_t *src, size_t src_len,
                         uint8_t *dst, size_t dst_cap);

/* GREY, NV12, YUYV, MJPEG and JPEG: the fourccs telesono-capture takes. */
bool tsn_v4l2_format_accepted(uint32_t fourcc);
bool tsn_v4l2_format_is_jpeg(uint32_t fourcc);

/* "GREY", "YUYV"... for logs and messages; out must hold 5 bytes. */
const char *tsn_v4l2_fourcc_name(uint32_t fourcc, char out[5]);

#endif
