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
    /* Mapping as a video frame honours a GstVideoMeta (decoders may hand
     * out padded rows, e.g. 832 bytes for an 820-pixel row). */
    GstVideoFrame src, dst;
    if (!gst_video_frame_map(&src, &in, gray, GST_MAP_READ))
        return NULL;
    GstBuffer *buf = gst_buffer_new_allocate(NULL, GST_VIDEO_INFO_SIZE(&out), NULL);
    if (!gst_video_frame_map(&dst, &out, buf, GST_MAP_WRITE)) {
        gst_video_frame_unmap(&src);
        gst_buffer_unref(buf);
        return NULL;
    }
    size_t in_stride = (size_t)GST_VIDEO_FRAME_PLANE_STRIDE(&src, 0);
    size_t y_stride = (size_t)GST_VIDEO_FRAME_PLANE_STRIDE(&dst, 0);
    const uint8_t *s = GST_VIDEO_FRAME_PLANE_DATA(&src, 0);
    uint8_t *y = GST_VIDEO_FRAME_PLANE_DATA(&dst, 0);
    uint8_t lut[256];
    for (int v = 0; v < 256; v++)
        lut[v] = full_range ? (uint8_t)v : (uint8_t)(16 + (v * 219 + 127) / 255);
    for (int row = 0; row < height; row++) {
        const uint8_t *sr = s + (size_t)row * in_stride;
        uint8_t *d = y + (size_t)row * y_stride;
        if (full_range)
            memcpy(d, sr, (size_t)width);
        else
            for (int x = 0; x < width; x++)
                d[x] = lut[sr[x]];
    }
    for (int plane = 1; plane <= 2; plane++) /* neutral chroma */
        memset(GST_VIDEO_FRAME_PLANE_DATA(&dst, plane), 128,
               (size_t)GST_VIDEO_FRAME_PLANE_STRIDE(&dst, plane) *
                   GST_VIDEO_FRAME_COMP_HEIGHT(&dst, plane));
    gst_video_frame_unmap(&dst);
    gst_video_frame_unmap(&src);
    gst_buffer_copy_into(buf, gray, GST_BUFFER_COPY_METADATA, 0, (gsize)-1);
    return buf;
}
