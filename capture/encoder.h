/* The capture pipeline's video encoder: a GstBin that takes raw I420 video on
 * its "sink" ghost pad and gives byte-stream, access-unit aligned,
 * constrained-baseline H.264 (x264enc) or VP8 (vp8enc) on its "src" ghost
 * pad, tuned for low latency, a true constant bitrate and PSNR on ultrasound
 * images (settings and measurements: docs/benchmarks.md, "Encoder: quality
 * and speed"). Also: the raw caps the converter in front of it should
 * produce, forcing a keyframe (for PLIs) and a pure-C limiter for those
 * requests.
 *
 * It does not convert, scale, pace or payload: the caller puts a
 * videoconvert + capsfilter (tsn_encoder_input_caps) in front and an RTP
 * payloader behind. */
#ifndef TSN_ENCODER_H
#define TSN_ENCODER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <gst/gst.h>

enum tsn_codec { TSN_CODEC_H264 = 0, TSN_CODEC_VP8 };

/* Defaults: tsn_encoder_config_init. Numbers are validated by tsn_encoder_new. */
struct tsn_encoder_config {
    enum tsn_codec codec;
    int bitrate_kbps;             /* target rate; both codecs run true CBR */
    int keyframe_interval_frames; /* periodic IDR / VP8 key frame distance */
    int fps;                      /* frames per second of the input */
    int width, height;            /* input size (even, for I420) */
    int threads;                  /* encoder threads; 0 = default (x264 2, VP8 1) */
    int vbv_ms;                   /* rate-control buffer in ms; 0 = default */
    /* H.264 only. x264 speed preset name ("ultrafast" ... "veryfast");
     * NULL = the default. x264_options (nullable) is appended to the
     * option-string as "key=value:key=value" and wins over ours. */
    const char *x264_preset;
    const char *x264_options;
    /* VP8 only: libvpx cpu-used (-16..16; larger is faster); 0 = default 12. */
    int vp8_cpu_used;
};

#define TSN_ENCODER_DEFAULT_BITRATE_KBPS 3000
#define TSN_ENCODER_DEFAULT_KEYINT       120
#define TSN_ENCODER_DEFAULT_FPS          30
#define TSN_ENCODER_DEFAULT_X264_PRESET  "superfast"

/* Fills *c with the defaults (H.264, TSN_ENCODER_DEFAULT_*, 640x480). */
void tsn_encoder_config_init(struct tsn_encoder_config *c);

/* Returns 0 if *c can build an encoder, else -EINVAL and a reason in why. */
int tsn_encoder_config_check(const struct tsn_encoder_config *c, char *why, size_t why_len);

/* The caps the converter in front of the encoder must produce: I420 at the
 * configured size and rate. For H.264 from a GRAY8 source, full range
 * (luma = the grey values, signalled in the stream's VUI): no 256-to-220
 * squeeze, no conversion beyond a copy. Otherwise (colour sources, and VP8,
 * which cannot signal range) limited range: grey must then really be mapped
 * to 16..235 (videoconvert 1.22 copies GRAY8 into luma verbatim whatever
 * the output range; tsn_gray_to_i420 maps it). Transfer full; NULL if *c
 * is invalid. */
GstCaps *tsn_encoder_input_caps(const struct tsn_encoder_config *c, int gray_source);

/* Builds the encoder bin (floating reference, like gst_element_factory_make)
 * with "sink" and "src" ghost pads. NULL and a reason in why on failure
 * (invalid config, a missing GStreamer plugin). The config's strings are
 * copied; *c need not outlive the call. */
GstElement *tsn_encoder_new(const struct tsn_encoder_config *c, char *why, size_t why_len);

/* Asks the encoder for a keyframe with all headers (SPS/PPS) as soon as
 * possible: an upstream force-key-unit event into the bin's src pad. Safe
 * from any thread while the bin is PLAYING. Returns 0, or -EIO if the event
 * was not handled. Rate-limit the callers with tsn_kf_limiter. */
int tsn_encoder_force_keyframe(GstElement *bin);

/* Keyframe request limiter for PLI/FIR handling: at most one forced
 * keyframe per interval. A request inside the interval is not lost: it is
 * remembered (coalesced with any others) and becomes due when the interval
 * has passed; call tsn_kf_limiter_poll periodically to collect it. Pure C,
 * no clock of its own (the caller passes a monotonic now_ms), not locked. */
struct tsn_kf_limiter {
    uint64_t interval_ms;
    uint64_t last_ms; /* when the last keyframe was honoured */
    bool any_honoured;
    bool pending; /* a refused request waits for the interval to pass */
    uint64_t requested, honoured;
};

void tsn_kf_limiter_init(struct tsn_kf_limiter *l, uint64_t interval_ms);
/* Counts a request; true if a keyframe should be forced now. */
bool tsn_kf_limiter_request(struct tsn_kf_limiter *l, uint64_t now_ms);
/* True (once) when a deferred request is now allowed; it counts as honoured. */
bool tsn_kf_limiter_poll(struct tsn_kf_limiter *l, uint64_t now_ms);

#endif
