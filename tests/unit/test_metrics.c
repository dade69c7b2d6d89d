/* Unit tests for relay/metrics.c: the Prometheus text rendering holds every
 * counter and gauge with its value after increments, HELP/TYPE lines, every
 * drop reason, and -ENOSPC (never an overflow) for a small buffer. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <cmocka.h>

#include "metrics.h"

#define BUF_BYTES 16384

/* The value on the sample line "<name> <value>" (name may carry labels). */
static const char *sample(const char *text, const char *name)
{
    size_t n = strlen(name);
    for (const char *p = text; (p = strstr(p, name)); p += n) {
        if ((p == text || p[-1] == '\n') && p[n] == ' ')
            return p + n + 1;
    }
    return NULL;
}

static void expect_sample(const char *text, const char *name, const char *want)
{
    const char *v = sample(text, name);
    if (!v)
        fail_msg("no sample line for %s", name);
    size_t n = strcspn(v, "\n");
    if (strlen(want) != n || strncmp(v, want, n) != 0)
        fail_msg("%s = %.*s, want %s", name, (int)n, v, want);
}

static void expect_type(const char *text, const char *name, const char *type)
{
    char line[160];
    snprintf(line, sizeof line, "# TYPE %s %s\n", name, type);
    if (!strstr(text, line))
        fail_msg("missing '%s'", line);
    snprintf(line, sizeof line, "# HELP %s ", name);
    if (!strstr(text, line))
        fail_msg("missing HELP for %s", name);
}

static const struct {
    const char *name;
    size_t offset;
} counters[] = {
#define C(field, metric)                                                                           \
    {                                                                                              \
        metric, offsetof(struct tsn_metrics, field)                                                \
    }
    C(annotation_events, "telesono_annotation_events_total"),
    C(annotations_refused, "telesono_annotations_refused_total"),
    C(annotations_rate_limited, "telesono_annotations_rate_limited_total"),
    C(pointers_forwarded, "telesono_pointers_forwarded_total"),
    C(pointers_dropped, "telesono_pointers_dropped_total"),
    C(packets_in, "telesono_packets_in_total"),
    C(bytes_in, "telesono_bytes_in_total"),
    C(packets_out, "telesono_packets_out_total"),
    C(bytes_out, "telesono_bytes_out_total"),
    C(nacks_received, "telesono_nacks_received_total"),
    C(retransmissions, "telesono_retransmissions_total"),
    C(rtx_misses, "telesono_rtx_misses_total"),
    C(plis_received, "telesono_plis_received_total"),
    C(plis_sent, "telesono_plis_sent_total"),
    C(firs_received, "telesono_firs_received_total"),
    C(srtp_failures, "telesono_srtp_failures_total"),
    C(dtls_failures, "telesono_dtls_failures_total"),
    C(dtls_connected, "telesono_dtls_connected_total"),
    C(ice_timeouts, "telesono_ice_timeouts_total"),
    C(keyframes_cached, "telesono_keyframes_cached_total"),
    C(keyframe_replays, "telesono_keyframe_replays_total"),
    C(http_requests, "telesono_http_requests_total"),
    C(auth_failures, "telesono_auth_failures_total"),
    C(recording_bytes, "telesono_recording_bytes_total"),
    C(recording_records, "telesono_recording_records_total"),
    C(recording_dropped, "telesono_recording_dropped_total"),
    C(recording_failures, "telesono_recording_failures_total"),
    C(recording_fsyncs, "telesono_recording_fsyncs_total"),
#undef C
};

static const char *const drop_names[TSN_DROP_REASONS] = {
    "unknown_peer", "not_stun",        "bad_stun",   "malformed",   "not_ready",
    "srtp",         "wrong_direction", "unknown_pt", "send_buffer", "codec_mismatch",
};

static void test_zero(void **state)
{
    struct tsn_metrics m;
    memset(&m, 0xFF, sizeof m);
    tsn_metrics_init(&m);
    char *buf = malloc(BUF_BYTES);
    assert_non_null(buf);
    int n = tsn_metrics_render(&m, buf, BUF_BYTES);
    assert_true(n > 0);
    assert_int_equal((size_t)n, strlen(buf));
    assert_int_equal(buf[n - 1], '\n');
    for (size_t i = 0; i < sizeof counters / sizeof *counters; i++) {
        expect_sample(buf, counters[i].name, "0");
        expect_type(buf, counters[i].name, "counter");
    }
    expect_sample(buf, "telesono_rooms", "0");
    expect_type(buf, "telesono_rooms", "gauge");
    expect_sample(buf, "telesono_ws_clients", "0");
    expect_type(buf, "telesono_ws_clients", "gauge");
    expect_sample(buf, "telesono_recordings_active", "0");
    expect_type(buf, "telesono_recordings_active", "gauge");
    expect_type(buf, "telesono_peers", "gauge");
    expect_sample(buf, "telesono_peers{role=\"publisher\"}", "0");
    expect_sample(buf, "telesono_peers{role=\"subscriber\"}", "0");
    expect_type(buf, "telesono_udp_dropped_total", "counter");
    for (int r = 0; r < TSN_DROP_REASONS; r++) {
        char name[96];
        snprintf(name, sizeof name, "telesono_udp_dropped_total{reason=\"%s\"}", drop_names[r]);
        expect_sample(buf, name, "0");
    }
    free(buf);
}

static void test_values(void **state)
{
    struct tsn_metrics m;
    tsn_metrics_init(&m);
    /* Distinct values per counter so a swapped field shows. */
    for (size_t i = 0; i < sizeof counters / sizeof *counters; i++) {
        atomic_uint_fast64_t *c = (atomic_uint_fast64_t *)((char *)&m + counters[i].offset);
        tsn_metric_add(c, 1000 + i);
        tsn_metric_add(c, 1);
    }
    tsn_metric_add(&m.bytes_out, UINT64_C(1) << 40); /* beyond 32 bits */
    for (int r = 0; r < TSN_DROP_REASONS; r++)
        for (int k = 0; k <= r; k++)
            tsn_metric_drop(&m, (enum tsn_drop_reason)r);
    atomic_store(&m.rooms, 3);
    atomic_store(&m.peers_publishers, 2);
    atomic_store(&m.peers_subscribers, 250);
    atomic_store(&m.recordings_active, 2);
    atomic_store(&m.ws_clients, -1); /* a gauge may go below zero on a bug: rendered signed */

    char *buf = malloc(BUF_BYTES);
    assert_non_null(buf);
    int n = tsn_metrics_render(&m, buf, BUF_BYTES);
    assert_true(n > 0);
    for (size_t i = 0; i < sizeof counters / sizeof *counters; i++) {
        char want[32];
        uint64_t v = 1001 + i;
        if (strcmp(counters[i].name, "telesono_bytes_out_total") == 0)
            v += UINT64_C(1) << 40;
        snprintf(want, sizeof want, "%llu", (unsigned long long)v);
        expect_sample(buf, counters[i].name, want);
    }
    expect_sample(buf, "telesono_rooms", "3");
    expect_sample(buf, "telesono_peers{role=\"publisher\"}", "2");
    expect_sample(buf, "telesono_peers{role=\"subscriber\"}", "250");
    expect_sample(buf, "telesono_ws_clients", "-1");
    expect_sample(buf, "telesono_recordings_active", "2");
    atomic_store(&m.peers_by_role[1], 3);
    free(buf);
    buf = malloc(BUF_BYTES);
    assert_non_null(buf);
    assert_true(tsn_metrics_render(&m, buf, BUF_BYTES) > 0);
    expect_sample(buf, "telesono_peers_by_role{role=\"clinician\"}", "3");
    expect_sample(buf, "telesono_peers_by_role{role=\"capture\"}", "0");
    for (int r = 0; r < TSN_DROP_REASONS; r++) {
        char name[96], want[8];
        snprintf(name, sizeof name, "telesono_udp_dropped_total{reason=\"%s\"}", drop_names[r]);
        snprintf(want, sizeof want, "%d", r + 1);
        expect_sample(buf, name, want);
    }
    free(buf);
}

static void test_drop_reason_names(void **state)
{
    for (int r = 0; r < TSN_DROP_REASONS; r++)
        assert_string_equal(tsn_drop_reason_name((enum tsn_drop_reason)r), drop_names[r]);
    assert_string_equal(tsn_drop_reason_name(TSN_DROP_REASONS), "unknown");
    assert_string_equal(tsn_drop_reason_name((enum tsn_drop_reason) - 1), "unknown");
}

/* Every line is a comment or "name[{labels}] value": nothing else sneaks in. */
static void test_format(void **state)
{
    struct tsn_metrics m;
    tsn_metrics_init(&m);
    char *buf = malloc(BUF_BYTES);
    assert_non_null(buf);
    assert_true(tsn_metrics_render(&m, buf, BUF_BYTES) > 0);
    int samples = 0;
    for (char *line = strtok(buf, "\n"); line; line = strtok(NULL, "\n")) {
        if (line[0] == '#') {
            assert_true(strncmp(line, "# HELP telesono_", 16) == 0 ||
                        strncmp(line, "# TYPE telesono_", 16) == 0);
            continue;
        }
        assert_true(strncmp(line, "telesono_", 9) == 0);
        char *sp = strrchr(line, ' ');
        assert_non_null(sp);
        assert_int_equal(strspn(sp + 1, "-0123456789"), strlen(sp + 1));
        samples++;
    }
    /* counters + 3 gauges + 2 peer lines + 5 role lines + every drop reason */
    assert_int_equal(samples,
                     (int)(sizeof counters / sizeof *counters) + 3 + 2 + 5 + TSN_DROP_REASONS);
    free(buf);
}

static void test_enospc(void **state)
{
    struct tsn_metrics m;
    tsn_metrics_init(&m);
    char *full = malloc(BUF_BYTES);
    assert_non_null(full);
    int n = tsn_metrics_render(&m, full, BUF_BYTES);
    assert_true(n > 0);
    /* Exactly enough (with the NUL) works; one byte less does not. */
    char *exact = malloc((size_t)n + 1);
    assert_non_null(exact);
    assert_int_equal(tsn_metrics_render(&m, exact, (size_t)n + 1), n);
    assert_string_equal(exact, full);
    free(exact);
    for (size_t cap = 0; cap <= (size_t)n; cap += cap < 64 ? 1 : 97) {
        /* An exact-size heap block: ASan catches any write past cap. */
        char *small = malloc(cap ? cap : 1);
        assert_non_null(small);
        assert_int_equal(tsn_metrics_render(&m, small, cap), -ENOSPC);
        if (cap)
            assert_true(strlen(small) < cap); /* still a C string */
        free(small);
    }
    char *small = malloc((size_t)n);
    assert_non_null(small);
    assert_int_equal(tsn_metrics_render(&m, small, (size_t)n), -ENOSPC);
    free(small);
    free(full);
}

/* GET /metrics renders into a 16 KiB buffer (http.c): the widest possible
 * rendering (every value at its longest) must fit with room to spare. */
static void test_worst_case_size(void **state)
{
    struct tsn_metrics m;
    tsn_metrics_init(&m);
    memset(&m, 0xFF, sizeof m); /* counters UINT64_MAX, gauges -1 */
    atomic_store(&m.rooms, INT64_MIN);
    atomic_store(&m.peers_publishers, INT64_MIN);
    atomic_store(&m.peers_subscribers, INT64_MIN);
    atomic_store(&m.ws_clients, INT64_MIN);
    char *buf = malloc(BUF_BYTES);
    assert_non_null(buf);
    int n = tsn_metrics_render(&m, buf, BUF_BYTES);
    assert_true(n > 0 && n < BUF_BYTES / 2);
    expect_sample(buf, "telesono_packets_in_total", "18446744073709551615");
    expect_sample(buf, "telesono_rooms", "-9223372036854775808");
    free(buf);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_zero),
        cmocka_unit_test(test_values),
        cmocka_unit_test(test_drop_reason_names),
        cmocka_unit_test(test_format),
        cmocka_unit_test(test_enospc),
        cmocka_unit_test(test_worst_case_size),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
