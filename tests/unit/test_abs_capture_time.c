/* Unit tests for common/gst/abs_capture_time.c: wire pack/parse, NTP and
 * GStreamer time conversions (epochs, rounding, the 2036 wrap), the buffer
 * meta helpers, the header extension element on its own, the PTS map, and
 * the KEY QUESTION: does a capture time set as a meta on the raw frame come
 * out on the decoded frame through encoder ! payloader ! depayloader !
 * decoder? Probes at each stage count how many frames carry the right time,
 * so a failure says which element dropped it. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <cmocka.h>

#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/rtp/rtp.h>

#include "abs_capture_time.h"
#include "gst_sanitizer.h"

#define BASE_US 1700000000123457LL /* 2023-11-14, odd microseconds */

static int setup_gst(void **state)
{
    gst_init(NULL, NULL);
    assert_true(tsn_abs_capture_time_register());
    return 0;
}

/* ---- Wire format ---- */

static void test_pack_parse(void **state)
{
    uint8_t b[16];
    tsn_act_pack(0x0102030405060708ULL, b);
    const uint8_t want[8] = {1, 2, 3, 4, 5, 6, 7, 8};
    assert_memory_equal(b, want, 8);

    uint64_t ntp = 0;
    int64_t off = 99;
    assert_int_equal(tsn_act_parse(b, 8, &ntp, &off), 0);
    assert_true(ntp == 0x0102030405060708ULL);
    assert_int_equal(off, 0);

    tsn_act_pack(0xFFFFFFFFFFFFFFF0ULL, b + 8); /* offset -16 in Q32.32 */
    assert_int_equal(tsn_act_parse(b, 16, &ntp, &off), 0);
    assert_true(ntp == 0x0102030405060708ULL);
    assert_int_equal(off, -16);
    assert_int_equal(tsn_act_parse(b, 16, &ntp, NULL), 0);
}

static void test_parse_bad_lengths(void **state)
{
    uint8_t b[17] = {0};
    uint64_t ntp = 7;
    for (size_t len = 0; len <= sizeof b; len++) {
        if (len == 8 || len == 16)
            continue;
        assert_int_equal(tsn_act_parse(b, len, &ntp, NULL), -EBADMSG);
    }
    assert_int_equal(tsn_act_parse(NULL, 8, &ntp, NULL), -EBADMSG);
    assert_true(ntp == 7);
}

/* ---- Conversions ---- */

static void test_ntp_known_values(void **state)
{
    assert_true(tsn_act_ntp_from_unix_us(0) == 0x83AA7E8000000000ULL);
    assert_true(tsn_act_ntp_from_unix_us(1700000000500000LL) == 0xE8FE6F8080000000ULL);
    assert_int_equal(tsn_act_unix_us_from_ntp(0xE8FE6F8080000000ULL), 1700000000500000LL);
    assert_int_equal(tsn_act_unix_us_from_ntp(0x83AA7E8000000000ULL), 0);
    /* A quarter second is 0x40000000 exactly. */
    assert_true(tsn_act_ntp_from_gst_ns(3ULL * 1000000000ULL + 250000000ULL) ==
                ((3ULL << 32) | 0x40000000ULL));
    /* Before 1970: -0.5 s. */
    assert_true(tsn_act_ntp_from_unix_us(-500000) == 0x83AA7E7F80000000ULL);
    assert_int_equal(tsn_act_unix_us_from_ntp(0x83AA7E7F80000000ULL), -500000);
}

static void test_ntp_round_trips(void **state)
{
    /* Every microsecond of a second, and spread dates up to 2100 (past the
     * 2036 NTP wrap). */
    for (int64_t us = 0; us < 1000000; us++)
        assert_int_equal(tsn_act_unix_us_from_ntp(tsn_act_ntp_from_unix_us(BASE_US + us)),
                         BASE_US + us);
    for (int64_t s = 0; s < 4102444800LL; s += 86400LL * 97 + 12345) {
        int64_t us = s * 1000000 + (s % 1000000);
        assert_int_equal(tsn_act_unix_us_from_ntp(tsn_act_ntp_from_unix_us(us)), us);
        uint64_t ns = tsn_act_gst_ns_from_unix_us(us) + (uint64_t)(s % 1000);
        assert_true(tsn_act_gst_ns_from_ntp(tsn_act_ntp_from_gst_ns(ns)) == ns);
        assert_int_equal(tsn_act_unix_us_from_gst_ns(tsn_act_gst_ns_from_unix_us(us)), us);
    }
    for (uint64_t ns = 0; ns < 1000000000ULL; ns += 999983) {
        uint64_t t = 3908988800ULL * 1000000000ULL + ns;
        assert_true(tsn_act_gst_ns_from_ntp(tsn_act_ntp_from_gst_ns(t)) == t);
    }
    assert_true(tsn_act_gst_ns_from_ntp(tsn_act_ntp_from_gst_ns(999999999ULL)) ==
                999999999ULL + (1ULL << 32) * 1000000000ULL);
}

static void test_ntp_2036_wrap(void **state)
{
    /* 2036-02-07T06:28:16Z is NTP second 2^32, i.e. 0 on the wire. */
    int64_t wrap_us = ((1LL << 32) - TSN_ACT_NTP_UNIX_DIFF) * 1000000;
    assert_true(tsn_act_ntp_from_unix_us(wrap_us) == 0);
    assert_int_equal(tsn_act_unix_us_from_ntp(0), wrap_us);
    assert_true(tsn_act_ntp_from_unix_us(wrap_us - 1000000) == 0xFFFFFFFF00000000ULL);
    assert_int_equal(tsn_act_unix_us_from_ntp(0xFFFFFFFF00000000ULL), wrap_us - 1000000);
    assert_true(tsn_act_gst_ns_from_ntp(0) == (1ULL << 32) * 1000000000ULL);
}

static void test_gst_ns_unix(void **state)
{
    assert_true(tsn_act_gst_ns_from_unix_us(0) == 2208988800ULL * 1000000000ULL);
    assert_int_equal(tsn_act_unix_us_from_gst_ns(2208988800ULL * 1000000000ULL + 1499), 1);
    assert_int_equal(tsn_act_unix_us_from_gst_ns(2208988800ULL * 1000000000ULL + 1500), 2);
}

/* ---- Buffer metas ---- */

static unsigned count_ref_metas(GstBuffer *buf)
{
    gpointer state = NULL;
    unsigned n = 0;
    while (gst_buffer_iterate_meta_filtered(buf, &state, GST_REFERENCE_TIMESTAMP_META_API_TYPE))
        n++;
    return n;
}

static void test_buffer_meta(void **state)
{
    GstBuffer *buf = gst_buffer_new();
    assert_int_equal(tsn_act_buffer_capture_unix_us(buf), -1);
    assert_int_equal(tsn_act_buffer_capture_unix_us(NULL), -1);
    tsn_act_buffer_set_capture_unix_us(buf, BASE_US);
    assert_int_equal(tsn_act_buffer_capture_unix_us(buf), BASE_US);
    tsn_act_buffer_set_capture_unix_us(buf, BASE_US + 5);
    assert_int_equal(tsn_act_buffer_capture_unix_us(buf), BASE_US + 5);
    assert_int_equal(count_ref_metas(buf), 1);
    tsn_act_buffer_set_capture_unix_us(buf, -1);
    assert_int_equal(tsn_act_buffer_capture_unix_us(buf), BASE_US + 5);

    /* A meta with other reference caps is not a capture time. */
    GstBuffer *other = gst_buffer_new();
    GstCaps *caps = gst_caps_new_empty_simple("timestamp/x-unix");
    gst_buffer_add_reference_timestamp_meta(other, caps, 12345, GST_CLOCK_TIME_NONE);
    gst_caps_unref(caps);
    assert_int_equal(tsn_act_buffer_capture_unix_us(other), -1);
    gst_buffer_unref(other);
    gst_buffer_unref(buf);
}

/* ---- The extension element alone ---- */

static GstRTPHeaderExtension *make_ext(guint id)
{
    GstRTPHeaderExtension *ext = gst_rtp_header_extension_create_from_uri(TSN_ACT_URI);
    assert_non_null(ext);
    gst_rtp_header_extension_set_id(ext, id);
    return ext;
}

static void test_ext_factory(void **state)
{
    assert_true(tsn_abs_capture_time_register()); /* idempotent */
    GstElementFactory *f = gst_element_factory_find(TSN_ACT_ELEMENT_NAME);
    assert_non_null(f);
    assert_string_equal(gst_element_factory_get_metadata(f, GST_ELEMENT_METADATA_KLASS),
                        "Network/Extension/RTPHeader");
    gst_object_unref(f);
    GstRTPHeaderExtension *ext = make_ext(3);
    assert_string_equal(gst_rtp_header_extension_get_uri(ext), TSN_ACT_URI);
    assert_true(gst_rtp_header_extension_get_supported_flags(ext) &
                GST_RTP_HEADER_EXTENSION_ONE_BYTE);
    GstBuffer *buf = gst_buffer_new();
    assert_int_equal(gst_rtp_header_extension_get_max_size(ext, buf), 8);
    gst_buffer_unref(buf);
    gst_object_unref(ext);
}

static void test_ext_write_read(void **state)
{
    GstRTPHeaderExtension *ext = make_ext(1);
    GstBuffer *in = gst_buffer_new(), *out = gst_buffer_new();
    uint8_t data[16];

    assert_int_equal(gst_rtp_header_extension_write(ext, in, GST_RTP_HEADER_EXTENSION_ONE_BYTE, out,
                                                    data, sizeof data),
                     0);
    tsn_act_buffer_set_capture_unix_us(in, BASE_US);
    assert_int_equal(gst_rtp_header_extension_write(ext, in, GST_RTP_HEADER_EXTENSION_ONE_BYTE, out,
                                                    data, sizeof data),
                     8);
    uint64_t ntp;
    assert_int_equal(tsn_act_parse(data, 8, &ntp, NULL), 0);
    assert_true(ntp == tsn_act_ntp_from_unix_us(BASE_US));

    GstBuffer *dec = gst_buffer_new();
    assert_true(
        gst_rtp_header_extension_read(ext, GST_RTP_HEADER_EXTENSION_ONE_BYTE, data, 8, dec));
    assert_int_equal(tsn_act_buffer_capture_unix_us(dec), BASE_US);
    /* 16 bytes (with an offset) read too; a second read updates the meta. */
    tsn_act_pack(tsn_act_ntp_from_unix_us(BASE_US + 1000), data);
    memset(data + 8, 0, 8);
    assert_true(
        gst_rtp_header_extension_read(ext, GST_RTP_HEADER_EXTENSION_ONE_BYTE, data, 16, dec));
    assert_int_equal(tsn_act_buffer_capture_unix_us(dec), BASE_US + 1000);
    assert_int_equal(count_ref_metas(dec), 1);
    /* Malformed: ignored, counted, the meta untouched, read still TRUE. */
    guint bad = tsn_act_malformed_count();
    assert_true(
        gst_rtp_header_extension_read(ext, GST_RTP_HEADER_EXTENSION_ONE_BYTE, data, 5, dec));
    assert_int_equal(tsn_act_malformed_count(), bad + 1);
    assert_int_equal(tsn_act_buffer_capture_unix_us(dec), BASE_US + 1000);

    gst_buffer_unref(dec);
    gst_buffer_unref(in);
    gst_buffer_unref(out);
    gst_object_unref(ext);
}

/* ---- The PTS map ---- */

static void test_map(void **state)
{
    struct tsn_act_map *m = tsn_act_map_new();
    assert_non_null(m);
    assert_int_equal(tsn_act_map_lookup(m, 0), -1);
    assert_int_equal(tsn_act_map_lookup(m, GST_CLOCK_TIME_NONE), -1);
    tsn_act_map_record(m, GST_CLOCK_TIME_NONE, 5);
    assert_int_equal(tsn_act_map_lookup(m, GST_CLOCK_TIME_NONE), -1);
    tsn_act_map_record(m, 7, -1);
    assert_int_equal(tsn_act_map_lookup(m, 7), -1);

    for (int i = 0; i < 1000; i++)
        tsn_act_map_record(m, (GstClockTime)i * 33333333, BASE_US + i);
    /* The last TSN_ACT_MAP_SIZE are found, older ones are gone. */
    for (int i = 1000 - TSN_ACT_MAP_SIZE; i < 1000; i++)
        assert_int_equal(tsn_act_map_lookup(m, (GstClockTime)i * 33333333), BASE_US + i);
    assert_int_equal(tsn_act_map_lookup(m, (GstClockTime)(999 - TSN_ACT_MAP_SIZE) * 33333333), -1);
    /* Newest wins for a repeated PTS. */
    tsn_act_map_record(m, 999ULL * 33333333, 42);
    assert_int_equal(tsn_act_map_lookup(m, 999ULL * 33333333), 42);
    tsn_act_map_free(m);
    tsn_act_map_free(NULL);
}

/* ---- The KEY QUESTION: through encoder, RTP and decoder ---- */

#define N_FRAMES 40
#define WIDTH    320
#define HEIGHT   240
#define NO_META  7 /* this frame is pushed without a capture time */

struct stage {
    unsigned buffers;   /* buffers (or RTP packets) seen */
    unsigned with_time; /* of which carried a capture time */
    unsigned right;     /* of which carried the one set on the source frame */
};

struct run {
    int64_t set_us[N_FRAMES]; /* capture time per frame index, -1 = none */
    struct stage pay_in, rtp, depay_out, decoded;
    unsigned rtp_ext_bad; /* packets whose extension bytes do not decode to a frame's time */
};

/* No element here reorders frames (no B-frames), so the n-th buffer a stage
 * sees is frame n. (PTS cannot identify the frame: x264enc shifts it by its
 * 1000-hour min-pts.) */
static void count_buffer(struct run *r, struct stage *st, GstBuffer *buf)
{
    int64_t us = tsn_act_buffer_capture_unix_us(buf);
    unsigned i = st->buffers++;
    if (us >= 0)
        st->with_time++;
    if (i < N_FRAMES && us >= 0 && us == r->set_us[i])
        st->right++;
}

static GstPadProbeReturn on_pay_in(GstPad *pad, GstPadProbeInfo *info, gpointer user)
{
    struct run *r = user;
    count_buffer(r, &r->pay_in, GST_PAD_PROBE_INFO_BUFFER(info));
    return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn on_depay_out(GstPad *pad, GstPadProbeInfo *info, gpointer user)
{
    struct run *r = user;
    count_buffer(r, &r->depay_out, GST_PAD_PROBE_INFO_BUFFER(info));
    return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn on_decoded(GstPad *pad, GstPadProbeInfo *info, gpointer user)
{
    struct run *r = user;
    count_buffer(r, &r->decoded, GST_PAD_PROBE_INFO_BUFFER(info));
    return GST_PAD_PROBE_OK;
}

static gboolean check_packet(GstBuffer **buf, guint idx, gpointer user)
{
    struct run *r = user;
    GstRTPBuffer rtp = GST_RTP_BUFFER_INIT;
    gpointer data;
    guint size;
    r->rtp.buffers++;
    if (!gst_rtp_buffer_map(*buf, GST_MAP_READ, &rtp))
        return TRUE;
    if (gst_rtp_buffer_get_extension_onebyte_header(&rtp, 1, 0, &data, &size)) {
        uint64_t ntp;
        r->rtp.with_time++;
        int ok = tsn_act_parse(data, size, &ntp, NULL) == 0;
        int64_t us = ok ? tsn_act_unix_us_from_ntp(ntp) : -1;
        int found = 0;
        for (int i = 0; i < N_FRAMES; i++)
            found |= r->set_us[i] == us;
        if (found)
            r->rtp.right++;
        else
            r->rtp_ext_bad++;
    }
    gst_rtp_buffer_unmap(&rtp);
    return TRUE;
}

static GstPadProbeReturn on_rtp(GstPad *pad, GstPadProbeInfo *info, gpointer user)
{
    if (info->type & GST_PAD_PROBE_TYPE_BUFFER_LIST)
        gst_buffer_list_foreach(GST_PAD_PROBE_INFO_BUFFER_LIST(info), check_packet, user);
    else {
        GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
        check_packet(&buf, 0, user);
    }
    return GST_PAD_PROBE_OK;
}

static void add_probe(GstElement *pipe, const char *elem, const char *pad_name,
                      GstPadProbeType type, GstPadProbeCallback cb, struct run *r)
{
    GstElement *e = gst_bin_get_by_name(GST_BIN(pipe), elem);
    assert_non_null(e);
    GstPad *pad = gst_element_get_static_pad(e, pad_name);
    assert_non_null(pad);
    gst_pad_add_probe(pad, type, cb, r, NULL);
    gst_object_unref(pad);
    gst_object_unref(e);
}

static void set_src_caps(GstElement *pipe, const char *format)
{
    GstElement *src = gst_bin_get_by_name(GST_BIN(pipe), "src");
    GstCaps *caps = gst_caps_new_simple("video/x-raw", "format", G_TYPE_STRING, format, "width",
                                        G_TYPE_INT, WIDTH, "height", G_TYPE_INT, HEIGHT,
                                        "framerate", GST_TYPE_FRACTION, 30, 1, NULL);
    g_object_set(src, "caps", caps, "format", GST_FORMAT_TIME, NULL);
    gst_caps_unref(caps);
    gst_object_unref(src);
}

static void push_frames(GstElement *pipe, const char *format, struct run *r)
{
    GstElement *src = gst_bin_get_by_name(GST_BIN(pipe), "src");
    size_t size = strcmp(format, "GRAY8") == 0 ? WIDTH * HEIGHT : WIDTH * HEIGHT * 3 / 2;
    for (int i = 0; i < N_FRAMES; i++) {
        GstBuffer *buf = gst_buffer_new_allocate(NULL, size, NULL);
        GstMapInfo map;
        gst_buffer_map(buf, &map, GST_MAP_WRITE);
        for (size_t k = 0; k < size; k++)
            map.data[k] = (uint8_t)((k % WIDTH) + (k / WIDTH) * 3 + (size_t)i * 8);
        gst_buffer_unmap(buf, &map);
        GST_BUFFER_PTS(buf) = gst_util_uint64_scale(i, GST_SECOND, 30);
        GST_BUFFER_DURATION(buf) = GST_SECOND / 30;
        r->set_us[i] = i == NO_META ? -1 : BASE_US + i * 33333 + (i % 3);
        if (r->set_us[i] >= 0)
            tsn_act_buffer_set_capture_unix_us(buf, r->set_us[i]);
        assert_int_equal(gst_app_src_push_buffer(GST_APP_SRC(src), buf), GST_FLOW_OK);
    }
    gst_app_src_end_of_stream(GST_APP_SRC(src));
    gst_object_unref(src);
}

/* Enables the extension on the payloader either through the caps its src
 * pad negotiates (extmap-1=<uri> in a capsfilter: auto-header-extension) or
 * through its "add-extension" action signal. The depayloader gets it from
 * the RTP caps either way. */
static void enable_ext(GstElement *pipe, int via_signal)
{
    GstElement *filter = gst_bin_get_by_name(GST_BIN(pipe), "rtpcaps");
    if (via_signal) {
        GstElement *pay = gst_bin_get_by_name(GST_BIN(pipe), "pay");
        GstRTPHeaderExtension *ext = make_ext(1);
        g_signal_emit_by_name(pay, "add-extension", ext);
        gst_object_unref(ext);
        gst_object_unref(pay);
    } else {
        GstCaps *caps =
            gst_caps_new_simple("application/x-rtp", "extmap-1", G_TYPE_STRING, TSN_ACT_URI, NULL);
        g_object_set(filter, "caps", caps, NULL);
        gst_caps_unref(caps);
    }
    gst_object_unref(filter);
}

static void run_chain(const char *format, const char *enc, const char *pay, const char *depay,
                      const char *dec, int via_signal, struct run *r)
{
    char desc[512];
    snprintf(
        desc, sizeof desc,
        "appsrc name=src ! videoconvert ! video/x-raw,format=I420 ! %s ! %s name=pay mtu=400 ! "
        "capsfilter name=rtpcaps ! "
        "%s name=depay ! %s name=dec ! videoconvert ! video/x-raw,format=RGB ! "
        "fakesink name=sink sync=false",
        enc, pay, depay, dec);
    GError *err = NULL;
    GstElement *pipe = gst_parse_launch(desc, &err);
    if (err)
        fail_msg("%s: %s", desc, err->message);
    memset(r, 0, sizeof *r);
    set_src_caps(pipe, format);
    enable_ext(pipe, via_signal);
    add_probe(pipe, "pay", "sink", GST_PAD_PROBE_TYPE_BUFFER, on_pay_in, r);
    add_probe(pipe, "pay", "src", GST_PAD_PROBE_TYPE_BUFFER | GST_PAD_PROBE_TYPE_BUFFER_LIST,
              on_rtp, r);
    add_probe(pipe, "depay", "src", GST_PAD_PROBE_TYPE_BUFFER, on_depay_out, r);
    add_probe(pipe, "sink", "sink", GST_PAD_PROBE_TYPE_BUFFER, on_decoded, r);

    assert_int_not_equal(gst_element_set_state(pipe, GST_STATE_PLAYING), GST_STATE_CHANGE_FAILURE);
    push_frames(pipe, format, r);
    GstBus *bus = gst_element_get_bus(pipe);
    GstMessage *msg =
        gst_bus_timed_pop_filtered(bus, 30 * GST_SECOND, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
    assert_non_null(msg);
    if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
        GError *e = NULL;
        gst_message_parse_error(msg, &e, NULL);
        fail_msg("%s: %s", desc, e->message);
    }
    gst_message_unref(msg);
    gst_object_unref(bus);
    gst_element_set_state(pipe, GST_STATE_NULL);
    gst_object_unref(pipe);
    printf("[ %s | %s ] pay_in %u/%u/%u rtp %u/%u/%u depay_out %u/%u/%u decoded %u/%u/%u "
           "(buffers/with time/right)\n",
           enc, dec, r->pay_in.buffers, r->pay_in.with_time, r->pay_in.right, r->rtp.buffers,
           r->rtp.with_time, r->rtp.right, r->depay_out.buffers, r->depay_out.with_time,
           r->depay_out.right, r->decoded.buffers, r->decoded.with_time, r->decoded.right);
}

/* Every frame but NO_META must carry its own time at every stage, and every
 * packet of those frames the extension. */
static void assert_all_right(const struct run *r)
{
    assert_int_equal(r->pay_in.buffers, N_FRAMES);
    assert_int_equal(r->pay_in.right, N_FRAMES - 1);
    assert_int_equal(r->pay_in.with_time, N_FRAMES - 1);
    assert_true(r->rtp.buffers > N_FRAMES);
    assert_int_equal(r->rtp_ext_bad, 0);
    assert_true(r->rtp.with_time > N_FRAMES - 1);
    assert_true(r->rtp.with_time < r->rtp.buffers); /* NO_META's packets have none */
    assert_int_equal(r->depay_out.buffers, N_FRAMES);
    assert_int_equal(r->depay_out.right, N_FRAMES - 1);
    assert_int_equal(r->depay_out.with_time, N_FRAMES - 1);
    assert_int_equal(r->decoded.buffers, N_FRAMES);
    assert_int_equal(r->decoded.right, N_FRAMES - 1);
    assert_int_equal(r->decoded.with_time, N_FRAMES - 1);
}

static void test_chain_h264_caps(void **state)
{
    struct run r;
    run_chain("GRAY8", "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=15",
              "rtph264pay", "rtph264depay", "avdec_h264", 0, &r);
    assert_all_right(&r);
}

static void test_chain_h264_signal(void **state)
{
    struct run r;
    run_chain("I420", "x264enc tune=zerolatency speed-preset=ultrafast", "rtph264pay",
              "rtph264depay", "avdec_h264", 1, &r);
    assert_all_right(&r);
}

static void test_chain_vp8_avdec(void **state)
{
    struct run r;
    run_chain("I420", "vp8enc deadline=1", "rtpvp8pay", "rtpvp8depay", "avdec_vp8", 0, &r);
    assert_all_right(&r);
}

static void test_chain_vp8_vp8dec(void **state)
{
    struct run r;
    run_chain("GRAY8", "vp8enc deadline=1", "rtpvp8pay", "rtpvp8depay", "vp8dec", 1, &r);
    assert_all_right(&r);
}

/* GLib 2.74 hands out GstCaps, GstBuffer and other small objects from
 * GSlice magazines, which hide their leaks from LeakSanitizer; plain malloc
 * makes every one visible. GSlice reads G_SLICE before main() runs (library
 * constructors already allocate), so set it and re-execute once. */
static void slices_from_malloc(char **argv)
{
    if (getenv("G_SLICE"))
        return;
    setenv("G_SLICE", "always-malloc", 1);
    execv("/proc/self/exe", argv);
    perror("re-exec with G_SLICE=always-malloc"); /* carry on with GSlice */
}


int main(int argc, char **argv)
{
    slices_from_malloc(argv);
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_pack_parse),       cmocka_unit_test(test_parse_bad_lengths),
        cmocka_unit_test(test_ntp_known_values), cmocka_unit_test(test_ntp_round_trips),
        cmocka_unit_test(test_ntp_2036_wrap),    cmocka_unit_test(test_gst_ns_unix),
        cmocka_unit_test(test_buffer_meta),      cmocka_unit_test(test_ext_factory),
        cmocka_unit_test(test_ext_write_read),   cmocka_unit_test(test_map),
        cmocka_unit_test(test_chain_h264_caps),  cmocka_unit_test(test_chain_h264_signal),
        cmocka_unit_test(test_chain_vp8_avdec),  cmocka_unit_test(test_chain_vp8_vp8dec),
    };
    return cmocka_run_group_tests(tests, setup_gst, NULL);
}
