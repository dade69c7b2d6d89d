/* Prometheus text rendering of struct tsn_metrics. */
#include "metrics.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const drop_names[TSN_DROP_REASONS] = {
    [TSN_DROP_UNKNOWN_PEER] = "unknown_peer",
    [TSN_DROP_NOT_STUN] = "not_stun",
    [TSN_DROP_BAD_STUN] = "bad_stun",
    [TSN_DROP_MALFORMED] = "malformed",
    [TSN_DROP_NOT_READY] = "not_ready",
    [TSN_DROP_SRTP] = "srtp",
    [TSN_DROP_WRONG_DIRECTION] = "wrong_direction",
    [TSN_DROP_UNKNOWN_PT] = "unknown_pt",
    [TSN_DROP_SEND_BUFFER] = "send_buffer",
    [TSN_DROP_CODEC_MISMATCH] = "codec_mismatch",
};

void tsn_metrics_init(struct tsn_metrics *m)
{
    memset(m, 0, sizeof *m);
}

const char *tsn_drop_reason_name(enum tsn_drop_reason r)
{
    return (unsigned)r < TSN_DROP_REASONS ? drop_names[r] : "unknown";
}

struct out {
    char *buf;
    size_t cap, len;
    int overflow;
};

__attribute__((format(printf, 2, 3))) static void emit(struct out *o, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(o->buf + o->len, o->cap - o->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= o->cap - o->len)
        o->overflow = 1;
    else
        o->len += (size_t)n;
}

static void counter(struct out *o, const char *name, const char *help,
                    const atomic_uint_fast64_t *v)
{
    emit(o, "# HELP %s %s\n# TYPE %s counter\n%s %llu\n", name, help, name, name,
         (unsigned long long)atomic_load_explicit(v, memory_order_relaxed));
}

static void gauge(struct out *o, const char *name, const char *help, const atomic_int_fast64_t *v)
{
    emit(o, "# HELP %s %s\n# TYPE %s gauge\n%s %lld\n", name, help, name, name,
         (long long)atomic_load_explicit(v, memory_order_relaxed));
}

int tsn_metrics_render(const struct tsn_metrics *m, char *buf, size_t cap)
{
    struct out o = {buf, cap, 0, 0};
    if (cap == 0)
        return -ENOSPC;
    buf[0] = '\0';
    gauge(&o, "telesono_rooms", "Rooms with at least one media peer.", &m->rooms);
    emit(&o, "# HELP telesono_peers Media peers by role.\n# TYPE telesono_peers gauge\n");
    emit(&o, "telesono_peers{role=\"publisher\"} %lld\n",
         (long long)atomic_load(&m->peers_publishers));
    emit(&o, "telesono_peers{role=\"subscriber\"} %lld\n",
         (long long)atomic_load(&m->peers_subscribers));
    static const char *const role_names[5] = {"capture", "clinician", "observer", "reviewer",
                                              "admin"};
    emit(&o, "# HELP telesono_peers_by_role Media peers by token role.\n"
             "# TYPE telesono_peers_by_role gauge\n");
    for (int i = 0; i < 5; i++)
        emit(&o, "telesono_peers_by_role{role=\"%s\"} %lld\n", role_names[i],
             (long long)atomic_load(&m->peers_by_role[i]));
    gauge(&o, "telesono_ws_clients", "Connected WebSocket signalling clients.", &m->ws_clients);
    counter(&o, "telesono_annotation_events_total",
            "Annotation events accepted and sent to a room (draw, delete, chat, ...).",
            &m->annotation_events);
    counter(&o, "telesono_annotations_refused_total",
            "Annotation requests refused (bad request, role, room limits).",
            &m->annotations_refused);
    counter(&o, "telesono_annotations_rate_limited_total",
            "Annotation requests refused by the per-connection rate limits.",
            &m->annotations_rate_limited);
    counter(&o, "telesono_pointers_forwarded_total", "Pointer positions sent to rooms.",
            &m->pointers_forwarded);
    counter(&o, "telesono_pointers_dropped_total",
            "Pointer positions dropped by the 25 ms per-connection throttle.",
            &m->pointers_dropped);
    gauge(&o, "telesono_recordings_active", "Rooms being recorded now.", &m->recordings_active);
    counter(&o, "telesono_recording_bytes_total", "Bytes written to recordings.",
            &m->recording_bytes);
    counter(&o, "telesono_recording_records_total", "Records written to recordings.",
            &m->recording_records);
    counter(&o, "telesono_recording_dropped_total",
            "Packets and events not recorded because the recorder fell behind.",
            &m->recording_dropped);
    counter(&o, "telesono_recording_failures_total",
            "Recordings stopped by an error (disk full, I/O error).", &m->recording_failures);
    counter(&o, "telesono_recording_fsyncs_total", "Recording flushes to stable storage.",
            &m->recording_fsyncs);
    counter(&o, "telesono_packets_in_total", "Datagrams received on the media port.",
            &m->packets_in);
    counter(&o, "telesono_bytes_in_total", "Bytes received on the media port.", &m->bytes_in);
    counter(&o, "telesono_packets_out_total", "Datagrams sent on the media port.", &m->packets_out);
    counter(&o, "telesono_bytes_out_total", "Bytes sent on the media port.", &m->bytes_out);
    counter(&o, "telesono_nacks_received_total", "Sequence numbers NACKed by subscribers.",
            &m->nacks_received);
    counter(&o, "telesono_retransmissions_total", "Packets resent from the cache.",
            &m->retransmissions);
    counter(&o, "telesono_rtx_misses_total", "NACKed packets no longer in the cache.",
            &m->rtx_misses);
    counter(&o, "telesono_plis_received_total", "PLIs received from subscribers.",
            &m->plis_received);
    counter(&o, "telesono_firs_received_total", "FIRs received from subscribers.",
            &m->firs_received);
    counter(&o, "telesono_plis_sent_total", "PLIs sent to publishers (rate-limited).",
            &m->plis_sent);
    counter(&o, "telesono_srtp_failures_total", "SRTP/SRTCP packets that failed to unprotect.",
            &m->srtp_failures);
    counter(&o, "telesono_dtls_failures_total", "DTLS handshakes that failed.", &m->dtls_failures);
    counter(&o, "telesono_dtls_connected_total", "DTLS handshakes that completed.",
            &m->dtls_connected);
    counter(&o, "telesono_ice_timeouts_total", "Peers removed for lack of ICE consent.",
            &m->ice_timeouts);
    counter(&o, "telesono_keyframes_cached_total", "Keyframes stored for late joiners.",
            &m->keyframes_cached);
    counter(&o, "telesono_keyframe_replays_total", "Cached keyframes sent to new subscribers.",
            &m->keyframe_replays);
    counter(&o, "telesono_http_requests_total", "HTTP requests served.", &m->http_requests);
    counter(&o, "telesono_auth_failures_total", "Requests refused for a bad token or role.",
            &m->auth_failures);
    emit(&o, "# HELP telesono_udp_dropped_total Media datagrams dropped, by reason.\n"
             "# TYPE telesono_udp_dropped_total counter\n");
    for (int r = 0; r < TSN_DROP_REASONS; r++)
        emit(&o, "telesono_udp_dropped_total{reason=\"%s\"} %llu\n", drop_names[r],
             (unsigned long long)atomic_load(&m->dropped[r]));
    return o.overflow ? -ENOSPC : (int)o.len;
}
