/* A recorded clip held in memory for looping: decoded once at start-up
 * (GStreamer decodebin) into raw frames, so the capture can replay it at any
 * rate with exact frame indices and no decoder in the live path. GRAY8 clips
 * stay GRAY8; anything else becomes I420. A clip larger than `max_bytes`
 * decoded is refused with a clear reason rather than swapping. */
#ifndef TSN_CLIP_H
#define TSN_CLIP_H

#include <stddef.h>

#include <gst/gst.h>

struct tsn_clip {
    GstCaps *caps; /* raw caps of every frame (transfer full) */
    int width, height;
    int fps_num, fps_den; /* the clip's own rate (0/1 if it has none) */
    int gray;             /* frames are GRAY8 */
    int n_frames;
    GstBuffer **frames; /* (transfer full) each */
};

int tsn_clip_load(const char *path, size_t max_bytes, struct tsn_clip **out, char *why,
                  size_t why_len);
void tsn_clip_free(struct tsn_clip *clip);

#endif
