/* Clip loading: filesrc ! decodebin ! videoconvert ! appsink, pulled to EOS
 * (see clip.h). */
#include "clip.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <gst/app/gstappsink.h>
#include <gst/video/video.h>

#define PULL_TIMEOUT_NS (10 * GST_SECOND)
#define PULL_SLICE_NS   (50 * GST_MSECOND)

void tsn_clip_free(struct tsn_clip *clip)
{
    if (!clip)
        return;
    for (int i = 0; i < clip->n_frames; i++)
        gst_buffer_unref(clip->frames[i]);
    g_free(clip->frames);
    if (clip->caps)
        gst_caps_unref(clip->caps);
    g_free(clip);
}

/* The first error on the bus, if any, as a reason. */
static int bus_error(GstElement *pipeline, char *why, size_t why_len)
{
    GstBus *bus = gst_element_get_bus(pipeline);
    GstMessage *m = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
    gst_object_unref(bus);
    if (!m)
        return 0;
    GError *err = NULL;
    gst_message_parse_error(m, &err, NULL);
    snprintf(why, why_len, "cannot decode the clip: %s", err ? err->message : "unknown error");
    g_clear_error(&err);
    gst_message_unref(m);
    return -EINVAL;
}

static int take_caps(struct tsn_clip *clip, GstSample *sample, char *why, size_t why_len)
{
    GstVideoInfo info;
    GstCaps *caps = gst_sample_get_caps(sample);
    if (!caps || !gst_video_info_from_caps(&info, caps)) {
        snprintf(why, why_len, "the clip's decoded frames have no usable video caps");
        return -EINVAL;
    }
    clip->caps = gst_caps_ref(caps);
    clip->width = GST_VIDEO_INFO_WIDTH(&info);
    clip->height = GST_VIDEO_INFO_HEIGHT(&info);
    clip->fps_num = GST_VIDEO_INFO_FPS_N(&info);
    clip->fps_den = GST_VIDEO_INFO_FPS_D(&info) ? GST_VIDEO_INFO_FPS_D(&info) : 1;
    clip->gray = GST_VIDEO_INFO_FORMAT(&info) == GST_VIDEO_FORMAT_GRAY8;
    return 0;
}

/* The next sample in *out (NULL at EOS), or -EINVAL for an error on the
 * bus, or -ETIMEDOUT. An error does not wake appsink, so it is pulled in
 * short slices with a look at the bus between them. */
static int pull_one(GstElement *pipeline, GstAppSink *sink, GstSample **out, char *why,
                    size_t why_len)
{
    for (GstClockTime waited = 0; waited < PULL_TIMEOUT_NS; waited += PULL_SLICE_NS) {
        *out = gst_app_sink_try_pull_sample(sink, PULL_SLICE_NS);
        if (*out || gst_app_sink_is_eos(sink))
            return 0;
        if (bus_error(pipeline, why, why_len))
            return -EINVAL;
    }
    snprintf(why, why_len, "decoding the clip timed out");
    return -ETIMEDOUT;
}

static int pull_all(GstElement *pipeline, GstAppSink *sink, struct tsn_clip *clip, size_t max_bytes,
                    char *why, size_t why_len)
{
    size_t total = 0, cap = 0;
    for (;;) {
        GstSample *s;
        int rc = pull_one(pipeline, sink, &s, why, why_len);
        if (rc)
            return rc;
        if (!s)
            break; /* EOS */
        rc = clip->caps ? 0 : take_caps(clip, s, why, why_len);
        GstBuffer *b = gst_sample_get_buffer(s);
        if (rc == 0 && b) {
            total += gst_buffer_get_size(b);
            if (total > max_bytes) {
                snprintf(why, why_len, "the clip is larger than %zu MB decoded: trim it first",
                         max_bytes >> 20);
                rc = -EFBIG;
            } else {
                if (clip->n_frames == (int)cap) {
                    cap = cap ? cap * 2 : 64;
                    clip->frames = g_renew(GstBuffer *, clip->frames, cap);
                }
                clip->frames[clip->n_frames++] = gst_buffer_ref(b);
            }
        }
        gst_sample_unref(s);
        if (rc)
            return rc;
    }
    if (clip->n_frames == 0) {
        snprintf(why, why_len, "the clip has no video frames");
        return -EINVAL;
    }
    return 0;
}

int tsn_clip_load(const char *path, size_t max_bytes, struct tsn_clip **out, char *why,
                  size_t why_len)
{
    *out = NULL;
    if (access(path, R_OK) != 0) {
        snprintf(why, why_len, "cannot read the clip %s: %s", path, strerror(errno));
        return -ENOENT;
    }
    GError *err = NULL;
    GstElement *pipeline =
        gst_parse_launch("filesrc name=src ! decodebin ! videoconvert ! "
                         "video/x-raw,format=(string){GRAY8,I420} ! appsink name=sink sync=false",
                         &err);
    if (!pipeline) {
        snprintf(why, why_len, "cannot build the clip decoder: %s", err ? err->message : "?");
        g_clear_error(&err);
        return -EINVAL;
    }
    GstElement *src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
    GstElement *sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
    g_object_set(src, "location", path, NULL);
    struct tsn_clip *clip = g_new0(struct tsn_clip, 1);
    int rc = -EINVAL;
    if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
        if (!bus_error(pipeline, why, why_len))
            snprintf(why, why_len, "cannot start decoding the clip %s", path);
        goto out;
    }
    rc = pull_all(pipeline, GST_APP_SINK(sink), clip, max_bytes, why, why_len);
out:
    gst_element_set_state(pipeline, GST_STATE_NULL);
    gst_object_unref(src);
    gst_object_unref(sink);
    gst_object_unref(pipeline);
    if (rc == 0)
        *out = clip;
    else
        tsn_clip_free(clip);
    return rc;
}
