/* Relay counters and gauges, shared between the media thread (which writes
 * them with relaxed atomics, no lock) and the HTTP thread (which renders them
 * in the Prometheus text format for GET /metrics). Counters only grow. */
#ifndef TSN_METRICS_H
#define TSN_METRICS_H

#include <stdatomic.h>
#include <stddef.h>
#include <stdint.h>

/* Why the media thread dropped a datagram or packet. */
enum tsn_drop_reason {
    TSN_DROP_UNKNOWN_PEER = 0, /* from an address no peer owns, and not a valid STUN check */
    TSN_DROP_NOT_STUN,         /* unknown address, not STUN at all (garbage, plain RTP) */
    TSN_DROP_BAD_STUN,         /* STUN that failed to parse or authenticate */
    TSN_DROP_MALFORMED,        /* not RTP/RTCP/DTLS/STUN by RFC 7983, or a bad RTP header */
    TSN_DROP_NOT_READY,        /* SRTP before the DTLS handshake finished */
    TSN_DROP_SRTP,             /* SRTP/SRTCP authentication or replay failure */
    TSN_DROP_WRONG_DIRECTION,  /* media from a subscriber */
    TSN_DROP_UNKNOWN_PT,       /* payload type not negotiated */
    TSN_DROP_SEND_BUFFER,      /* sendmmsg would block: socket buffer full */
    TSN_DROP_CODEC_MISMATCH,   /* subscriber cannot take the publisher's codec */
    TSN_DROP_REASONS
};

struct tsn_metrics {
    atomic_uint_fast64_t packets_in, bytes_in, packets_out, bytes_out;
    atomic_uint_fast64_t nacks_received, retransmissions, rtx_misses;
    atomic_uint_fast64_t plis_received, plis_sent, firs_received;
    atomic_uint_fast64_t srtp_failures, dtls_failures, dtls_connected;
    atomic_uint_fast64_t ice_timeouts, keyframes_cached, keyframe_replays;
    atomic_uint_fast64_t http_requests, auth_failures;
    atomic_uint_fast64_t annotation_events, annotations_refused, annotations_rate_limited;
    atomic_uint_fast64_t pointers_forwarded, pointers_dropped;
    atomic_uint_fast64_t recording_bytes, recording_records, recording_dropped;
    atomic_uint_fast64_t recording_failures, recording_fsyncs;
    atomic_uint_fast64_t dropped[TSN_DROP_REASONS];
    /* gauges */
    atomic_int_fast64_t rooms;
    atomic_int_fast64_t peers_publishers, peers_subscribers;
    atomic_int_fast64_t peers_by_role[5]; /* index: bit number of enum tsn_role */
    atomic_int_fast64_t ws_clients;
    atomic_int_fast64_t recordings_active;
};

static inline void tsn_metric_add(atomic_uint_fast64_t *c, uint64_t n)
{
    atomic_fetch_add_explicit(c, n, memory_order_relaxed);
}

static inline void tsn_metric_drop(struct tsn_metrics *m, enum tsn_drop_reason r)
{
    atomic_fetch_add_explicit(&m->dropped[r], 1, memory_order_relaxed);
}

void tsn_metrics_init(struct tsn_metrics *m);
const char *tsn_drop_reason_name(enum tsn_drop_reason r);
/* Renders all metrics. Returns the length written (NUL-terminated), or
 * -ENOSPC if `cap` is too small. */
int tsn_metrics_render(const struct tsn_metrics *m, char *out, size_t cap);

#endif
