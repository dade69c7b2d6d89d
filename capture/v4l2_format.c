/* V4L2 pixel formats: caps strings and repacking into GStreamer's default
 * layout (see v4l2_format.h for the layouts). Pure functions. */
#include "v4l2_format.h"

#include <errno.h>
#include <linux/videodev2.h>
#include <stdio.h>
#include <string.h>

bool tsn_v4l2_format_is_jpeg(uint32_t fourcc)
{
    return fourcc == V4L2_PIX_FMT_MJPEG || fourcc == V4L2_PIX_FMT_JPEG;
}

bool tsn_v4l2_format_accepted(uint32_t fourcc)
{
    return tsn_v4l2_format_row_bytes(fourcc, 1) != 0 || tsn_v4l2_format_is_jpeg(fourcc);
}

const char *tsn_v4l2_fourcc_name(uint32_t fourcc, char out[5])
{
    for (int i = 0; i < 4; i++) {
        char c = (char)((fourcc >> (8 * i)) & 0xff);
        out[i] = (c >= 0x20 && c < 0x7f) ? c : '?';
    }
    out[4] = '\0';
    return out;
}

static uint32_t round_up(uint32_t v, uint32_t to)
{
    return (v + to - 1) / to * to;
}

/* Bytes of real pixels in one row of plane 0 (and of the NV12 chroma rows). */
uint32_t tsn_v4l2_format_row_bytes(uint32_t fourcc, uint32_t width)
{
    switch (fourcc) {
    case V4L2_PIX_FMT_GREY:
        return width;
    case V4L2_PIX_FMT_NV12:
        return round_up(width, 2);
    case V4L2_PIX_FMT_YUYV:
        return round_up(width, 2) * 2;
    default:
        return 0;
    }
}

/* GStreamer's default stride (gst_video_info_set_format): rows padded to 4. */
static uint32_t gst_stride(uint32_t fourcc, uint32_t width)
{
    return round_up(fourcc == V4L2_PIX_FMT_NV12 ? width : tsn_v4l2_format_row_bytes(fourcc, width),
                    4);
}

size_t tsn_v4l2_format_packed_size(const struct tsn_v4l2_format *fmt)
{
    size_t stride = gst_stride(fmt->fourcc, fmt->width);
    if (tsn_v4l2_format_row_bytes(fmt->fourcc, fmt->width) == 0)
        return 0;
    if (fmt->fourcc == V4L2_PIX_FMT_NV12) {
        size_t h2 = round_up(fmt->height, 2);
        return stride * h2 + stride * (h2 / 2);
    }
    return stride * fmt->height;
}

/* Copies rows of row_len bytes from one stride to another. */
static void copy_rows(uint8_t *dst, size_t dst_stride, const uint8_t *src, size_t src_stride,
                      size_t row_len, size_t rows)
{
    for (size_t y = 0; y < rows; y++)
        memcpy(dst + y * dst_stride, src + y * src_stride, row_len);
}

int tsn_v4l2_format_pack(const struct tsn_v4l2_format *fmt, const uint8_t *src, size_t src_len,
                         uint8_t *dst, size_t dst_cap)
{
    size_t row = tsn_v4l2_format_row_bytes(fmt->fourcc, fmt->width);
    size_t in_stride = fmt->bytesperline;
    if (row == 0 || fmt->height == 0 || in_stride < row)
        return -EINVAL;
    bool nv12 = fmt->fourcc == V4L2_PIX_FMT_NV12;
    size_t luma_rows = fmt->height;
    size_t chroma_rows = nv12 ? (fmt->height + 1) / 2 : 0;
    /* The driver's last row need not carry its padding. */
    size_t need = in_stride * (luma_rows + chroma_rows - 1) + row;
    size_t out = tsn_v4l2_format_packed_size(fmt);
    if (src_len < need)
        return -EMSGSIZE;
    if (dst_cap < out || out > INT32_MAX)
        return -ENOSPC;
    size_t out_stride = gst_stride(fmt->fourcc, fmt->width);
    size_t luma_len = nv12 ? fmt->width : row;
    copy_rows(dst, out_stride, src, in_stride, luma_len, luma_rows);
    if (nv12) {
        size_t out_uv = out_stride * round_up(fmt->height, 2);
        copy_rows(dst + out_uv, out_stride, src + in_stride * luma_rows, in_stride, row,
                  chroma_rows);
    }
    return (int)out;
}

/* True when the driver's buffer already is GStreamer's layout. */
bool tsn_v4l2_format_is_gst_layout(const struct tsn_v4l2_format *fmt)
{
    if (fmt->bytesperline != gst_stride(fmt->fourcc, fmt->width))
        return false;
    return fmt->fourcc != V4L2_PIX_FMT_NV12 || fmt->height % 2 == 0;
}

int tsn_v4l2_format_caps(const struct tsn_v4l2_format *fmt, char *buf, size_t len)
{
    const char *name = NULL;
    switch (fmt->fourcc) {
    case V4L2_PIX_FMT_GREY:
        name = "GRAY8";
        break;
    case V4L2_PIX_FMT_NV12:
        name = "NV12";
        break;
    case V4L2_PIX_FMT_YUYV:
        name = "YUY2";
        break;
    case V4L2_PIX_FMT_MJPEG:
    case V4L2_PIX_FMT_JPEG:
        break;
    default:
        return -EINVAL;
    }
    int n;
    if (name)
        n = snprintf(buf, len, "video/x-raw,format=%s,width=%u,height=%u,framerate=%u/%u", name,
                     fmt->width, fmt->height, fmt->fps_num, fmt->fps_den);
    else
        n = snprintf(buf, len, "image/jpeg,width=%u,height=%u,framerate=%u/%u", fmt->width,
                     fmt->height, fmt->fps_num, fmt->fps_den);
    if (n < 0 || (size_t)n >= len)
        return -ENOSPC;
    return n;
}