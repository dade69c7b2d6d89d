/* GRAY8 -> I420 for grey-scale scanners, done here rather than by
 * videoconvert: the luma plane is the grey image itself (full range, or
 * mapped to 16..235 through a table when the stream must be limited range)
 * and both chroma planes are a flat 128. GStreamer 1.22's videoconvert
 * tints the picture when the GRAY8 caps carry an unknown colour matrix (as
 * avdec_ffv1's do), and a copy is cheaper than its generic path anyway. */
#ifndef TSN_GRAY_I420_H
#define TSN_GRAY_I420_H

#include <gst/gst.h>

/* Converts one GRAY8 frame laid out as GStreamer's default for
 * width x height (default layout, or as its GstVideoMeta says) into a new I420 buffer in the
 * default layout; metas and timestamps are copied. NULL if `gray` cannot
 * be mapped as such a frame. (transfer full) */
GstBuffer *tsn_gray_to_i420(GstBuffer *gray, int width, int height, int full_range);

#endif
