/* GRAY8 -> I420 (see gray_i420.h). */
#include "gray_i420.h"

#include <stdint.h>
#include <string.h>

#include <gst/video/video.h>

GstBuffer *tsn_gray_to_i420(GstBuffer *gray, int width, int height, int full_range)
{
    GstVideoInfo in, out;
    gst_video_info_set_format(&in, GST_VIDEO_FORMAT_GRAY8, (guint)width, (guint)height);
    gst_video_info_set_format(&out, GST_VIDEO_FORMAT_I420, (guint)width, (guint)height);
    GstMapInfo src;
    if (!gst_buffer_map(gray, &src, GST_MAP_READ))
        return NULL;
    if (src.size < GST_VIDEO_INFO_SIZE(&in)) {
        gst_buffer_unmap(gray, &src);
        return NULL;
    }
    GstBuffer *buf = gst_buffer_new_allocate(NULL, GST_VIDEO_INFO_SIZE(&out), NULL);
    GstMapInfo dst;
    gst_buffer_map(buf, &dst, GST_MAP_WRITE);
    size_t in_stride = (size_t)GST_VIDEO_INFO_PLANE_STRIDE(&in, 0);
    size_t y_stride = (size_t)GST_VIDEO_INFO_PLANE_STRIDE(&out, 0);
    uint8_t *y = dst.data + GST_VIDEO_INFO_PLANE_OFFSET(&out, 0);
    uint8_t lut[256];
    for (int v = 0; v < 256; v++)
        lut[v] = full_range ? (uint8_t)v : (uint8_t)(16 + (v * 219 + 127) / 255);
    for (int row = 0; row < height; row++) {
        const uint8_t *s = src.data + (size_t)row * in_stride;
        uint8_t *d = y + (size_t)row * y_stride;
        if (full_range)
            memcpy(d, s, (size_t)width);
        else
            for (int x = 0; x < width; x++)
                d[x] = lut[s[x]];
    }
    /* U and V follow Y in the default layout: one flat neutral block. */
    size_t chroma_off = GST_VIDEO_INFO_PLANE_OFFSET(&out, 1);
    memset(dst.data + chroma_off, 128, dst.size - chroma_off);
    gst_buffer_unmap(buf, &dst);
    gst_buffer_unmap(gray, &src);
    gst_buffer_copy_into(buf, gray, GST_BUFFER_COPY_METADATA, 0, (gsize)-1);
    return buf;
}
