/* Unit tests for capture/encoder.c: config defaults and validation, the
 * converter caps (full range for grey H.264 sources), the H.264 bin (the
 * output is byte-stream constrained-baseline H.264 with IDRs exactly at the
 * configured interval, SPS/PPS on each, full range in the VUI, and it
 * decodes back to the phantom), a forced keyframe, the VP8 bin (decodable,
 * keyframes at the interval), and the keyframe request limiter. */
#include <errno.h>
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>
#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/video/video.h>

#include "encoder.h"
#include "gst_sanitizer.h"
#include "phantom.h"

#define W            320
#define H            240
#define FPS          30
#define FRAMES       30
#define PULL_TIMEOUT (10 * GST_SECOND)

/* ---- configuration and caps ---- */

static void test_config_defaults(void **state)
{
    struct tsn_encoder_config c;
    char why[128];
    tsn_encoder_config_init(&c);
    assert_int_equal(c.codec, TSN_CODEC_H264);
    assert_int_equal(c.bitrate_kbps, TSN_ENCODER_DEFAULT_BITRATE_KBPS);
    assert_int_equal(c.keyframe_interval_frames, TSN_ENCODER_DEFAULT_KEYINT);
    assert_int_equal(c.fps, TSN_ENCODER_DEFAULT_FPS);
    assert_int_equal(tsn_encoder_config_check(&c, why, sizeof why), 0);
}

static void expect_invalid(const struct tsn_encoder_config *c, const char *reason_part)
{
    char why[128] = "";
    assert_int_equal(tsn_encoder_config_check(c, why, sizeof why), -EINVAL);
    if (!strstr(why, reason_part))
        fail_msg("reason \"%s\" does not mention \"%s\"", why, reason_part);
    why[0] = '\0';
    assert_null(tsn_encoder_new(c, why, sizeof why));
    assert_non_null(strstr(why, reason_part));
    assert_null(tsn_encoder_input_caps(c, 1));
}

static void test_config_invalid(void **state)
{
    struct tsn_encoder_config c;
#define CASE(field, value, reason)                                                                 \
    do {                                                                                           \
        tsn_encoder_config_init(&c);                                                               \
        c.field = value;                                                                           \
        expect_invalid(&c, reason);                                                                \
    } while (0)
    CASE(codec, (enum tsn_codec)7, "codec");
    CASE(width, 641, "odd");
    CASE(height, 8, "size");
    CASE(width, 5000, "size");
    CASE(bitrate_kbps, 0, "bitrate");
    CASE(bitrate_kbps, 1000000, "bitrate");
    CASE(fps, 0, "fps");
    CASE(keyframe_interval_frames, 0, "keyframe");
    CASE(threads, -1, "threads");
    CASE(vbv_ms, 20000, "vbv");
    CASE(vp8_cpu_used, 17, "cpu-used");
#undef CASE
}

static void test_input_caps(void **state)
{
    struct tsn_encoder_config c;
    tsn_encoder_config_init(&c);
    c.width = 820;
    c.height = 616;
    struct {
        enum tsn_codec codec;
        int gray;
        GstVideoColorRange range;
    } cases[] = {{TSN_CODEC_H264, 1, GST_VIDEO_COLOR_RANGE_0_255},
                 {TSN_CODEC_H264, 0, GST_VIDEO_COLOR_RANGE_16_235},
                 {TSN_CODEC_VP8, 1, GST_VIDEO_COLOR_RANGE_16_235},
                 {TSN_CODEC_VP8, 0, GST_VIDEO_COLOR_RANGE_16_235}};
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        c.codec = cases[i].codec;
        GstCaps *caps = tsn_encoder_input_caps(&c, cases[i].gray);
        assert_non_null(caps);
        GstVideoInfo info;
        assert_true(gst_video_info_from_caps(&info, caps));
        assert_int_equal(GST_VIDEO_INFO_FORMAT(&info), GST_VIDEO_FORMAT_I420);
        assert_int_equal(info.width, 820);
        assert_int_equal(info.height, 616);
        assert_int_equal(info.fps_n, 30);
        assert_int_equal(info.fps_d, 1);
        assert_int_equal(info.colorimetry.range, cases[i].range);
        gst_caps_unref(caps);
    }
}

/* ---- H.264 byte-stream inspection ---- */

struct nal_summary {
    unsigned types; /* bit t set if a NAL unit of type t is present */
    int sps_profile_idc, sps_constraints, sps_level_idc;
};

static struct nal_summary scan_nals(const uint8_t *d, size_t n)
{
    struct nal_summary s = {0, -1, -1, -1};
    for (size_t i = 0; i + 3 < n; i++) {
        if (d[i] != 0 || d[i + 1] != 0 || d[i + 2] != 1)
            continue;
        unsigned type = d[i + 3] & 0x1F;
        s.types |= 1u << type;
        if (type == 7 && i + 6 < n) {
            s.sps_profile_idc = d[i + 4];
            s.sps_constraints = d[i + 5];
            s.sps_level_idc = d[i + 6];
        }
        i += 3;
    }
    return s;
}

#define NAL_IDR 5
#define NAL_SPS 7
#define NAL_PPS 8

/* ---- an encode pipeline: appsrc (phantom GRAY8) ! videoconvert ! caps ! bin ! appsink ---- */

struct enc_pipe {
    GstElement *pipe, *src, *bin, *sink;
    struct tsn_phantom *ph;
    uint8_t *gray;
    uint64_t pushed;
};

static void enc_pipe_start(struct enc_pipe *e, const struct tsn_encoder_config *c)
{
    char why[256] = "";
    memset(e, 0, sizeof *e);
    e->ph = tsn_phantom_new(c->width, c->height, 0, 11);
    e->gray = malloc((size_t)c->width * (size_t)c->height);
    assert_non_null(e->ph);
    assert_non_null(e->gray);
    e->bin = tsn_encoder_new(c, why, sizeof why);
    if (!e->bin)
        fail_msg("tsn_encoder_new: %s", why);
    e->pipe = gst_pipeline_new(NULL);
    e->src = gst_element_factory_make("appsrc", NULL);
    GstElement *conv = gst_element_factory_make("videoconvert", NULL);
    GstElement *filt = gst_element_factory_make("capsfilter", NULL);
    e->sink = gst_element_factory_make("appsink", NULL);
    GstCaps *gray = gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, "GRAY8", "width",
                                        G_TYPE_INT, c->width, "height", G_TYPE_INT, c->height,
                                        "framerate", GST_TYPE_FRACTION, c->fps, 1, NULL);
    GstCaps *in = tsn_encoder_input_caps(c, 1);
    g_object_set(e->src, "caps", gray, "format", GST_FORMAT_TIME, NULL);
    g_object_set(filt, "caps", in, NULL);
    g_object_set(e->sink, "sync", FALSE, NULL);
    gst_caps_unref(gray);
    gst_caps_unref(in);
    gst_bin_add_many(GST_BIN(e->pipe), e->src, conv, filt, e->bin, e->sink, NULL);
    assert_true(gst_element_link_many(e->src, conv, filt, e->bin, e->sink, NULL));
    assert_int_not_equal(gst_element_set_state(e->pipe, GST_STATE_PLAYING),
                         GST_STATE_CHANGE_FAILURE);
}

static void enc_pipe_push(struct enc_pipe *e, const struct tsn_encoder_config *c)
{
    size_t size = (size_t)c->width * (size_t)c->height;
    tsn_phantom_render(e->ph, e->pushed, c->fps, e->gray, (size_t)c->width);
    GstBuffer *b = gst_buffer_new_allocate(NULL, size, NULL);
    gst_buffer_fill(b, 0, e->gray, size);
    GST_BUFFER_PTS(b) = gst_util_uint64_scale(e->pushed, GST_SECOND, (guint64)c->fps);
    GST_BUFFER_DURATION(b) = gst_util_uint64_scale(1, GST_SECOND, (guint64)c->fps);
    assert_int_equal(gst_app_src_push_buffer(GST_APP_SRC(e->src), b), GST_FLOW_OK);
    e->pushed++;
}

static GstSample *enc_pipe_pull(struct enc_pipe *e)
{
    GstSample *s = gst_app_sink_try_pull_sample(GST_APP_SINK(e->sink), PULL_TIMEOUT);
    assert_non_null(s);
    return s;
}

static void enc_pipe_stop(struct enc_pipe *e)
{
    gst_element_set_state(e->pipe, GST_STATE_NULL);
    gst_object_unref(e->pipe);
    tsn_phantom_free(e->ph);
    free(e->gray);
}

static GBytes *sample_bytes(GstSample *s, int *key)
{
    GstBuffer *b = gst_sample_get_buffer(s);
    GstMapInfo m;
    assert_true(gst_buffer_map(b, &m, GST_MAP_READ));
    GBytes *out = g_bytes_new(m.data, m.size);
    gst_buffer_unmap(b, &m);
    *key = !GST_BUFFER_FLAG_IS_SET(b, GST_BUFFER_FLAG_DELTA_UNIT);
    return out;
}

/* Decodes the access units and returns the mean luma PSNR against the
 * phantom frames 0..n-1; *full_range from the decoder's caps. */
static double decode_psnr(GBytes **aus, int n, const struct tsn_encoder_config *c, int *full_range)
{
    const char *desc = c->codec == TSN_CODEC_VP8
                           ? "appsrc name=s format=time ! vp8dec ! appsink name=k sync=false"
                           : "appsrc name=s format=time ! h264parse ! avdec_h264 ! "
                             "appsink name=k sync=false";
    GstElement *pipe = gst_parse_launch(desc, NULL);
    assert_non_null(pipe);
    GstElement *src = gst_bin_get_by_name(GST_BIN(pipe), "s");
    GstElement *sink = gst_bin_get_by_name(GST_BIN(pipe), "k");
    GstCaps *caps =
        c->codec == TSN_CODEC_VP8
            ? gst_caps_new_simple("video/x-vp8", "width", G_TYPE_INT, c->width, "height",
                                  G_TYPE_INT, c->height, "framerate", GST_TYPE_FRACTION, c->fps, 1,
                                  NULL)
            : gst_caps_new_simple("video/x-h264", "stream-format", G_TYPE_STRING, "byte-stream",
                                  "alignment", G_TYPE_STRING, "au", NULL);
    g_object_set(src, "caps", caps, NULL);
    gst_caps_unref(caps);
    gst_element_set_state(pipe, GST_STATE_PLAYING);
    for (int i = 0; i < n; i++) {
        GstBuffer *b = gst_buffer_new_wrapped_bytes(aus[i]);
        GST_BUFFER_PTS(b) = gst_util_uint64_scale((guint64)i, GST_SECOND, (guint64)c->fps);
        assert_int_equal(gst_app_src_push_buffer(GST_APP_SRC(src), b), GST_FLOW_OK);
    }
    gst_app_src_end_of_stream(GST_APP_SRC(src));
    struct tsn_phantom *ph = tsn_phantom_new(c->width, c->height, 0, 11);
    uint8_t *ref = malloc((size_t)c->width * (size_t)c->height);
    double psnr_sum = 0;
    int got = 0;
    GstSample *s;
    while ((s = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), PULL_TIMEOUT))) {
        GstVideoInfo info;
        GstVideoFrame f;
        assert_true(gst_video_info_from_caps(&info, gst_sample_get_caps(s)));
        assert_true(gst_video_frame_map(&f, &info, gst_sample_get_buffer(s), GST_MAP_READ));
        *full_range = info.colorimetry.range == GST_VIDEO_COLOR_RANGE_0_255;
        tsn_phantom_render(ph, (uint64_t)got, c->fps, ref, (size_t)c->width);
        const uint8_t *y = GST_VIDEO_FRAME_PLANE_DATA(&f, 0);
        int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&f, 0);
        double sse = 0;
        for (int r = 0; r < c->height; r++)
            for (int x = 0; x < c->width; x++) {
                double e = (double)y[r * stride + x] - ref[r * c->width + x];
                sse += e * e;
            }
        double mse = sse / (c->width * c->height);
        psnr_sum += mse > 0 ? 10 * log10(255.0 * 255.0 / mse) : 99;
        gst_video_frame_unmap(&f);
        gst_sample_unref(s);
        got++;
        if (gst_app_sink_is_eos(GST_APP_SINK(sink)))
            break;
    }
    assert_int_equal(got, n);
    free(ref);
    tsn_phantom_free(ph);
    gst_element_set_state(pipe, GST_STATE_NULL);
    gst_object_unref(src);
    gst_object_unref(sink);
    gst_object_unref(pipe);
    return psnr_sum / got;
}

static void small_config(struct tsn_encoder_config *c, enum tsn_codec codec, int keyint)
{
    tsn_encoder_config_init(c);
    c->codec = codec;
    c->width = W;
    c->height = H;
    c->fps = FPS;
    c->bitrate_kbps = 1500;
    c->keyframe_interval_frames = keyint;
}

static void test_h264_stream(void **state)
{
    struct tsn_encoder_config c;
    small_config(&c, TSN_CODEC_H264, 10);
    struct enc_pipe e;
    enc_pipe_start(&e, &c);
    GBytes *aus[FRAMES];
    for (int i = 0; i < FRAMES; i++) {
        enc_pipe_push(&e, &c);
        GstSample *s = enc_pipe_pull(&e);
        if (i == 0) {
            GstStructure *st = gst_caps_get_structure(gst_sample_get_caps(s), 0);
            assert_string_equal(gst_structure_get_name(st), "video/x-h264");
            assert_string_equal(gst_structure_get_string(st, "profile"), "constrained-baseline");
            assert_string_equal(gst_structure_get_string(st, "stream-format"), "byte-stream");
            assert_string_equal(gst_structure_get_string(st, "alignment"), "au");
        }
        int key;
        aus[i] = sample_bytes(s, &key);
        gst_sample_unref(s);
        gsize len;
        const uint8_t *d = g_bytes_get_data(aus[i], &len);
        struct nal_summary ns = scan_nals(d, len);
        int want_idr = i % 10 == 0;
        if (!!(ns.types & (1u << NAL_IDR)) != want_idr || key != want_idr)
            fail_msg("frame %d: IDR %d, key flag %d, expected %d", i,
                     !!(ns.types & (1u << NAL_IDR)), key, want_idr);
        if (want_idr) {
            /* Headers with every IDR, constrained baseline: profile_idc 66
             * with constraint_set1 (Chromium's 42e01f matches on these). */
            assert_true(ns.types & (1u << NAL_SPS));
            assert_true(ns.types & (1u << NAL_PPS));
            assert_int_equal(ns.sps_profile_idc, 66);
            assert_true(ns.sps_constraints & 0x40);
            assert_true(ns.sps_level_idc <= 31);
        }
    }
    enc_pipe_stop(&e);
    int full = 0;
    double psnr = decode_psnr(aus, FRAMES, &c, &full);
    for (int i = 0; i < FRAMES; i++)
        g_bytes_unref(aus[i]);
    assert_true(full); /* the VUI says full range, as the input caps did */
    if (psnr < 30)
        fail_msg("decoded PSNR %.2f dB: not the phantom", psnr);
    print_message("decoded PSNR %.2f dB\n", psnr);
}

static void test_h264_forced_keyframe(void **state)
{
    struct tsn_encoder_config c;
    small_config(&c, TSN_CODEC_H264, 1000);
    struct enc_pipe e;
    enc_pipe_start(&e, &c);
    int idr_at[FRAMES], n_idr = 0;
    for (int i = 0; i < FRAMES; i++) {
        if (i == 12)
            assert_int_equal(tsn_encoder_force_keyframe(e.bin), 0);
        enc_pipe_push(&e, &c);
        GstSample *s = enc_pipe_pull(&e);
        int key;
        GBytes *au = sample_bytes(s, &key);
        gst_sample_unref(s);
        gsize len;
        const uint8_t *d = g_bytes_get_data(au, &len);
        struct nal_summary ns = scan_nals(d, len);
        if (ns.types & (1u << NAL_IDR)) {
            idr_at[n_idr++] = i;
            assert_true(ns.types & (1u << NAL_SPS)); /* all headers */
            assert_true(ns.types & (1u << NAL_PPS));
            assert_true(key);
        }
        g_bytes_unref(au);
    }
    enc_pipe_stop(&e);
    /* The first frame, then the forced one: the next frame pushed after the
     * request (the event is handled before that frame reaches x264). */
    assert_int_equal(n_idr, 2);
    assert_int_equal(idr_at[0], 0);
    assert_int_equal(idr_at[1], 12);
}

static void test_vp8_stream(void **state)
{
    struct tsn_encoder_config c;
    small_config(&c, TSN_CODEC_VP8, 10);
    struct enc_pipe e;
    enc_pipe_start(&e, &c);
    GBytes *aus[FRAMES];
    for (int i = 0; i < FRAMES; i++) {
        enc_pipe_push(&e, &c);
        GstSample *s = enc_pipe_pull(&e);
        if (i == 0)
            assert_string_equal(
                gst_structure_get_name(gst_caps_get_structure(gst_sample_get_caps(s), 0)),
                "video/x-vp8");
        int key;
        aus[i] = sample_bytes(s, &key);
        gst_sample_unref(s);
        gsize len;
        const uint8_t *d = g_bytes_get_data(aus[i], &len);
        assert_true(len >= 10);
        /* VP8 frame tag: bit 0 clear on a key frame, which starts with the
         * start code 9d 01 2a after the 3-byte tag. */
        int vp8_key = (d[0] & 1) == 0;
        assert_int_equal(vp8_key, i % 10 == 0);
        assert_int_equal(key, vp8_key);
        if (vp8_key)
            assert_memory_equal(d + 3, "\x9d\x01\x2a", 3);
    }
    enc_pipe_stop(&e);
    int full = 1;
    double psnr = decode_psnr(aus, FRAMES, &c, &full);
    for (int i = 0; i < FRAMES; i++)
        g_bytes_unref(aus[i]);
    assert_false(full);
    /* The test feeds grey verbatim (limited caps from a grey source): the
     * decoded luma still matches the phantom. */
    if (psnr < 28)
        fail_msg("decoded PSNR %.2f dB: not the phantom", psnr);
    print_message("decoded PSNR %.2f dB\n", psnr);
}

/* ---- keyframe request limiter ---- */

static void test_limiter_basic(void **state)
{
    struct tsn_kf_limiter l;
    tsn_kf_limiter_init(&l, 500);
    assert_true(tsn_kf_limiter_request(&l, 1000));  /* first: at once */
    assert_false(tsn_kf_limiter_request(&l, 1100)); /* deferred */
    assert_false(tsn_kf_limiter_request(&l, 1200)); /* coalesced with it */
    assert_false(tsn_kf_limiter_poll(&l, 1499));
    assert_true(tsn_kf_limiter_poll(&l, 1500)); /* the deferred one, once */
    assert_false(tsn_kf_limiter_poll(&l, 1600));
    assert_false(tsn_kf_limiter_request(&l, 1700)); /* 200 ms after the last */
    assert_false(tsn_kf_limiter_poll(&l, 1999));
    assert_true(tsn_kf_limiter_request(&l, 2100)); /* open again: at once */
    assert_false(tsn_kf_limiter_poll(&l, 5000));   /* nothing pending */
    assert_int_equal(l.requested, 5);
    assert_int_equal(l.honoured, 3);
}

static void test_limiter_clock_backwards(void **state)
{
    struct tsn_kf_limiter l;
    tsn_kf_limiter_init(&l, 500);
    assert_true(tsn_kf_limiter_request(&l, 10000));
    assert_false(tsn_kf_limiter_request(&l, 9000)); /* stays closed */
    assert_false(tsn_kf_limiter_poll(&l, 9999));
    assert_true(tsn_kf_limiter_poll(&l, 10500));
}

static void test_limiter_zero_interval(void **state)
{
    struct tsn_kf_limiter l;
    tsn_kf_limiter_init(&l, 0);
    for (int i = 0; i < 5; i++)
        assert_true(tsn_kf_limiter_request(&l, 7));
    assert_int_equal(l.honoured, 5);
}

static void test_limiter_storm(void **state)
{
    /* Requests at random times over 20 s, polled every 10 ms: honoured
     * keyframes are never closer than the interval, none is lost (after the
     * last request one more keyframe comes within an interval), and the
     * counts add up. */
    struct tsn_kf_limiter l;
    tsn_kf_limiter_init(&l, 300);
    uint64_t seed = 42, last = 0, last_request = 0;
    int have_last = 0;
    uint64_t requests = 0;
    for (uint64_t t = 0; t < 21000; t += 10) {
        int fire = 0;
        seed = seed * 6364136223846793005ull + 1442695040888963407ull;
        if (t < 20000 && (seed >> 33) % 7 == 0) {
            requests++;
            last_request = t;
            fire = tsn_kf_limiter_request(&l, t);
        }
        fire |= tsn_kf_limiter_poll(&l, t);
        if (fire) {
            if (have_last)
                assert_true(t - last >= 300);
            last = t;
            have_last = 1;
        }
    }
    assert_int_equal(l.requested, requests);
    assert_true(last >= last_request && last - last_request <= 300);
    assert_true(l.honoured <= 21000 / 300 + 1);
    assert_true(l.honoured >= 20000 / 310); /* requests are frequent: ~every 300 ms */
}

int main(void)
{
    gst_init(NULL, NULL);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_defaults),
        cmocka_unit_test(test_config_invalid),
        cmocka_unit_test(test_input_caps),
        cmocka_unit_test(test_h264_stream),
        cmocka_unit_test(test_h264_forced_keyframe),
        cmocka_unit_test(test_vp8_stream),
        cmocka_unit_test(test_limiter_basic),
        cmocka_unit_test(test_limiter_clock_backwards),
        cmocka_unit_test(test_limiter_zero_interval),
        cmocka_unit_test(test_limiter_storm),
    };
    int rc = cmocka_run_group_tests(tests, NULL, NULL);
    gst_deinit();
    return rc;
}
