/* Unit tests for viewer/view_stats.c: the JSON of an empty run (every key,
 * nulls), frame rate and time to first frame from given times, latency
 * percentiles and frames without a capture time, outages (a gap just over
 * the threshold counts, one at it does not; the list is capped, the count
 * is not), RTP bitrate, receiver counters summed over connections, the
 * stream metadata, connection counters, and the atomic file write. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cmocka.h>
#include <jansson.h>

#include "view_stats.h"

#define T0 1800000000000000LL /* a Unix time in us */

static int64_t get_int(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_integer(v))
        fail_msg("%s is not an integer", key);
    return (int64_t)json_integer_value(v);
}

static double get_real(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!json_is_number(v))
        fail_msg("%s is not a number", key);
    return json_number_value(v);
}

static void assert_null_key(json_t *o, const char *key)
{
    json_t *v = json_object_get(o, key);
    if (!v || !json_is_null(v))
        fail_msg("%s is not null", key);
}

static void test_empty(void **state)
{
    struct tsn_view_stats *s = tsn_view_stats_new(T0);
    assert_non_null(s);
    json_t *j = tsn_view_stats_json(s, T0 + 2500000);
    assert_non_null(j);
    static const char *const keys[] = {"version",
                                       "state",
                                       "codec",
                                       "frames_decoded",
                                       "frames_without_capture_time",
                                       "first_frame_ms",
                                       "fps",
                                       "bitrate_kbps",
                                       "bytes_received",
                                       "packets_received",
                                       "packets_lost",
                                       "nack_count",
                                       "pli_count",
                                       "fir_count",
                                       "connect_attempts",
                                       "connections",
                                       "reconnects",
                                       "outages",
                                       "outage_count",
                                       "last_frame_unix_ms",
                                       "current_gap_ms",
                                       "latency_ms",
                                       "dump",
                                       "annotations",
                                       "stream",
                                       "elapsed_s",
                                       "written_unix_ms"};
    for (size_t i = 0; i < sizeof keys / sizeof keys[0]; i++)
        if (!json_object_get(j, keys[i]))
            fail_msg("missing key %s", keys[i]);
    assert_int_equal(json_object_size(j), sizeof keys / sizeof keys[0]);
    assert_int_equal(get_int(j, "version"), 1);
    assert_string_equal(json_string_value(json_object_get(j, "state")), "connecting");
    assert_int_equal(get_int(j, "frames_decoded"), 0);
    assert_null_key(j, "codec");
    assert_null_key(j, "first_frame_ms");
    assert_null_key(j, "fps");
    assert_null_key(j, "bitrate_kbps");
    assert_null_key(j, "last_frame_unix_ms");
    assert_null_key(j, "current_gap_ms");
    assert_null_key(j, "dump");
    assert_null_key(j, "annotations");
    assert_null_key(j, "stream");
    assert_int_equal(json_array_size(json_object_get(j, "outages")), 0);
    json_t *lat = json_object_get(j, "latency_ms");
    assert_int_equal(get_int(lat, "count"), 0);
    assert_null_key(lat, "p50");
    assert_null_key(lat, "p99");
    assert_true(get_real(j, "elapsed_s") == 2.5);
    assert_int_equal(get_int(j, "written_unix_ms"), (T0 + 2500000) / 1000);
    json_decref(j);
    tsn_view_stats_free(s);
    tsn_view_stats_free(NULL);
}

static void test_frames_fps_latency(void **state)
{
    struct tsn_view_stats *s = tsn_view_stats_new(T0);
    tsn_view_stats_joined(s, T0 + 100000);
    tsn_view_stats_joined(s, T0 + 900000); /* only the first join counts */
    /* 11 frames 100 ms apart from T0 + 400 ms; latencies 10..100 ms, one frame
     * without a capture time. */
    for (int i = 0; i <= 10; i++) {
        int64_t now = T0 + 400000 + i * 100000LL;
        tsn_view_stats_frame(s, now, i == 0 ? -1 : now - i * 10000LL);
    }
    tsn_view_stats_set_codec(s, "H264");
    assert_int_equal(tsn_view_stats_frames(s), 11);
    assert_int_equal(tsn_view_stats_last_frame_us(s), T0 + 1400000);
    json_t *j = tsn_view_stats_json(s, T0 + 1700000);
    assert_int_equal(get_int(j, "frames_decoded"), 11);
    assert_int_equal(get_int(j, "frames_without_capture_time"), 1);
    assert_int_equal(get_int(j, "first_frame_ms"), 300);
    assert_true(get_real(j, "fps") > 9.999 && get_real(j, "fps") < 10.001);
    assert_int_equal(get_int(j, "last_frame_unix_ms"), (T0 + 1400000) / 1000);
    assert_int_equal(get_int(j, "current_gap_ms"), 300);
    assert_string_equal(json_string_value(json_object_get(j, "codec")), "H264");
    json_t *lat = json_object_get(j, "latency_ms");
    assert_int_equal(get_int(lat, "count"), 10);
    assert_true(get_real(lat, "min") == 10.0);
    assert_true(get_real(lat, "p50") == 50.0);
    assert_true(get_real(lat, "p95") == 100.0);
    assert_true(get_real(lat, "p99") == 100.0);
    assert_true(get_real(lat, "max") == 100.0);
    assert_true(get_real(lat, "mean") == 55.0);
    assert_int_equal(json_array_size(json_object_get(j, "outages")), 0);
    json_decref(j);
    tsn_view_stats_free(s);
}

static void test_outages(void **state)
{
    struct tsn_view_stats *s = tsn_view_stats_new(T0);
    tsn_view_stats_frame(s, T0, -1);
    tsn_view_stats_frame(s, T0 + 1000000, -1); /* exactly 1 s: not an outage */
    tsn_view_stats_frame(s, T0 + 2500001, -1); /* 1.5 s: an outage */
    tsn_view_stats_frame(s, T0 + 2600000, -1);
    json_t *j = tsn_view_stats_json(s, T0 + 2600000);
    json_t *out = json_object_get(j, "outages");
    assert_int_equal(json_array_size(out), 1);
    assert_int_equal(get_int(json_array_get(out, 0), "start_unix_ms"), (T0 + 1000000) / 1000);
    assert_int_equal(get_int(json_array_get(out, 0), "end_unix_ms"), (T0 + 2500001) / 1000);
    assert_int_equal(get_int(j, "outage_count"), 1);
    json_decref(j);

    /* The list is capped; the count goes on. */
    int64_t t = T0 + 2600000;
    for (int i = 0; i < TSN_VIEW_MAX_OUTAGES + 5; i++) {
        t += 2000000;
        tsn_view_stats_frame(s, t, -1);
    }
    j = tsn_view_stats_json(s, t);
    assert_int_equal(json_array_size(json_object_get(j, "outages")), TSN_VIEW_MAX_OUTAGES);
    assert_int_equal(get_int(j, "outage_count"), TSN_VIEW_MAX_OUTAGES + 6);
    json_decref(j);
    tsn_view_stats_free(s);
}

static void test_bitrate(void **state)
{
    struct tsn_view_stats *s = tsn_view_stats_new(T0);
    tsn_view_stats_rtp(s, 1000, T0);
    json_t *j = tsn_view_stats_json(s, T0);
    assert_null_key(j, "bitrate_kbps"); /* one packet spans no time */
    json_decref(j);
    /* 251 packets of 1000 bytes over 2 s: 1004 kbit/s. */
    for (int i = 1; i <= 250; i++)
        tsn_view_stats_rtp(s, 1000, T0 + i * 8000LL);
    j = tsn_view_stats_json(s, T0 + 2000000);
    assert_int_equal(get_int(j, "bytes_received"), 251000);
    assert_int_equal(get_int(j, "packets_received"), 251);
    assert_true(get_real(j, "bitrate_kbps") > 1003.99 && get_real(j, "bitrate_kbps") < 1004.01);
    json_decref(j);
    tsn_view_stats_free(s);
}

static void test_rtcp_over_connections(void **state)
{
    struct tsn_view_stats *s = tsn_view_stats_new(T0);
    struct tsn_view_rtcp_counters a = {
        .packets_lost = 3, .nack_count = 5, .pli_count = 1, .fir_count = 0};
    tsn_view_stats_set_rtcp(s, &a);
    a.packets_lost = 4; /* cumulative within a connection: replaced, not added */
    tsn_view_stats_set_rtcp(s, &a);
    tsn_view_stats_connection_closed(s);
    struct tsn_view_rtcp_counters b = {
        .packets_lost = 2, .nack_count = -1, .pli_count = 7, .fir_count = 1};
    tsn_view_stats_set_rtcp(s, &b);
    json_t *j = tsn_view_stats_json(s, T0);
    assert_int_equal(get_int(j, "packets_lost"), 6);
    assert_int_equal(get_int(j, "nack_count"), 5);
    assert_int_equal(get_int(j, "pli_count"), 8);
    assert_int_equal(get_int(j, "fir_count"), 1);
    json_decref(j);
    tsn_view_stats_free(s);
}

static void test_connections_state_stream_dump(void **state)
{
    struct tsn_view_stats *s = tsn_view_stats_new(T0);
    for (int i = 0; i < 5; i++)
        tsn_view_stats_attempt(s);
    tsn_view_stats_connected(s);
    tsn_view_stats_connected(s);
    tsn_view_stats_connected(s);
    tsn_view_stats_set_state(s, "reconnecting");
    tsn_view_stats_set_stream(s, "{\"probe\":\"L14\",\"live\":true,\"width\":640}");
    tsn_view_stats_set_dump(s, 10, 1, 2);
    json_t *j = tsn_view_stats_json(s, T0);
    assert_int_equal(get_int(j, "connect_attempts"), 5);
    assert_int_equal(get_int(j, "connections"), 3);
    assert_int_equal(get_int(j, "reconnects"), 2);
    assert_string_equal(json_string_value(json_object_get(j, "state")), "reconnecting");
    json_t *st = json_object_get(j, "stream");
    assert_true(json_is_object(st));
    assert_string_equal(json_string_value(json_object_get(st, "probe")), "L14");
    assert_int_equal(get_int(st, "width"), 640);
    json_t *d = json_object_get(j, "dump");
    assert_int_equal(get_int(d, "written"), 10);
    assert_int_equal(get_int(d, "dropped"), 1);
    assert_int_equal(get_int(d, "failed"), 2);
    json_decref(j);
    /* Not JSON (never from the relay's parser, but the module must not care). */
    tsn_view_stats_set_stream(s, "{");
    j = tsn_view_stats_json(s, T0);
    assert_null_key(j, "stream");
    json_decref(j);
    tsn_view_stats_set_stream(s, NULL);
    j = tsn_view_stats_json(s, T0);
    assert_null_key(j, "stream");
    json_decref(j);
    tsn_view_stats_free(s);
}

static void test_write(void **state)
{
    char dir[] = "/tmp/test_view_stats_XXXXXX";
    assert_non_null(mkdtemp(dir));
    char path[128], why[300] = "";
    snprintf(path, sizeof path, "%s/stats.json", dir);
    struct tsn_view_stats *s = tsn_view_stats_new(T0);
    tsn_view_stats_frame(s, T0 + 5000, T0);
    assert_int_equal(tsn_view_stats_write(s, path, T0 + 6000, why, sizeof why), 0);
    json_error_t err;
    json_t *j = json_load_file(path, 0, &err);
    if (!j)
        fail_msg("stats file does not parse: %s", err.text);
    assert_int_equal(get_int(j, "frames_decoded"), 1);
    assert_true(get_real(json_object_get(j, "latency_ms"), "p50") == 5.0);
    json_decref(j);
    /* Rewriting replaces it; no temporary file is left behind. */
    tsn_view_stats_frame(s, T0 + 10000, -1);
    assert_int_equal(tsn_view_stats_write(s, path, T0 + 11000, why, sizeof why), 0);
    j = json_load_file(path, 0, &err);
    assert_int_equal(get_int(j, "frames_decoded"), 2);
    json_decref(j);
    char tmp[160];
    snprintf(tmp, sizeof tmp, "%s.tmp.%ld", path, (long)getpid());
    assert_int_equal(access(tmp, F_OK), -1);

    char bad[160];
    snprintf(bad, sizeof bad, "%s/no/such/dir/stats.json", dir);
    assert_int_equal(tsn_view_stats_write(s, bad, T0, why, sizeof why), -ENOENT);
    assert_non_null(strstr(why, "cannot write"));
    tsn_view_stats_free(s);
    unlink(path);
    rmdir(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_empty),
        cmocka_unit_test(test_frames_fps_latency),
        cmocka_unit_test(test_outages),
        cmocka_unit_test(test_bitrate),
        cmocka_unit_test(test_rtcp_over_connections),
        cmocka_unit_test(test_connections_state_stream_dump),
        cmocka_unit_test(test_write),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
