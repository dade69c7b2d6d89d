/* Media-side rooms and the forwarding path: one publisher stream per room,
 * decrypted once, then rewritten (SSRC, sequence number, timestamp, payload
 * type, header extension ids) and encrypted per subscriber straight into the
 * send queue. Also RTCP: NACKs answered from the stream's retransmission
 * cache, PLI/FIR turned into rate-limited PLIs to the publisher, the
 * publisher's SR passed on per subscriber, and RRs sent to the publisher.
 * A new subscriber gets the cached keyframe at once, then live media from the
 * next keyframe (a PLI asks for one), so it never decodes a broken picture. */
#include "media_ctx.h"

#include "bytes.h"
#include "log.h"
#include "rec_ring.h"
#include "reclog.h"
#include "rtcp.h"
#include "rtp.h"

#include <openssl/rand.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define CLOCK_90K        90
#define RR_INTERVAL_US   1000000u
#define KF_CACHE_PACKETS 256

/* --- rooms ------------------------------------------------------------ */

static struct tsn_media_room *room_new(struct tsn_media *m, const char *name)
{
    struct tsn_media_room *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->id = ++m->next_room_id;
    snprintf(r->name, sizeof r->name, "%s", name);
    r->stream.rtx = tsn_rtx_cache_new(m->cfg->rtx_cache_packets);
    r->stream.kf = tsn_kf_cache_new(KF_CACHE_PACKETS);
    if (!r->stream.rtx || !r->stream.kf) {
        tsn_rtx_cache_free(r->stream.rtx);
        tsn_kf_cache_free(r->stream.kf);
        free(r);
        return NULL;
    }
    for (size_t i = 0; i < m->n_rec_rooms; i++)
        if (strcmp(m->rec_rooms[i].room, name) == 0)
            r->rec_handle = m->rec_rooms[i].handle;
    r->next = m->rooms;
    m->rooms = r;
    atomic_fetch_add(&m->metrics->rooms, 1);
    tsn_info("[room %u] opened", r->id);
    return r;
}

static void room_free(struct tsn_media *m, struct tsn_media_room *r)
{
    for (struct tsn_media_room **pp = &m->rooms; *pp; pp = &(*pp)->next)
        if (*pp == r) {
            *pp = r->next;
            break;
        }
    atomic_fetch_sub(&m->metrics->rooms, 1);
    tsn_info("[room %u] closed", r->id);
    tsn_rtx_cache_free(r->stream.rtx);
    tsn_kf_cache_free(r->stream.kf);
    free(r->subs);
    free(r);
}

/* Any peer other than `leaving` still attached (dead ones too: they detach
 * later and must find their room). */
static int room_has_other_peers(const struct tsn_media *m, const struct tsn_media_room *r,
                                const struct tsn_peer *leaving)
{
    for (size_t i = 0; i < m->n_peers; i++)
        if (m->peers[i]->mroom == r && m->peers[i] != leaving)
            return 1;
    return 0;
}

/* The bit number of a single-role value, for the per-role gauges. */
static unsigned role_index(enum tsn_role role)
{
    unsigned i = 0;
    while (i < 4 && !((unsigned)role & (1u << i)))
        i++;
    return i;
}

struct tsn_media_room *tsn_room_attach(struct tsn_media *m, struct tsn_peer *p)
{
    struct tsn_media_room *r = m->rooms;
    while (r && strcmp(r->name, p->room) != 0)
        r = r->next;
    if (!r && !(r = room_new(m, p->room))) {
        tsn_media_kill_peer(m, p, "out of memory for the room");
        return NULL;
    }
    p->mroom = r;
    p->room_id = r->id;
    atomic_fetch_add(&m->metrics->peers_by_role[role_index(p->role)], 1);
    if (p->kind == TSN_PEER_PUBLISHER) {
        atomic_fetch_add(&m->metrics->peers_publishers, 1);
        return r;
    }
    if (r->n_subs == r->cap_subs) {
        size_t cap = r->cap_subs ? r->cap_subs * 2 : 8;
        struct tsn_peer **subs = realloc(r->subs, cap * sizeof *subs);
        if (!subs) {
            tsn_media_kill_peer(m, p, "out of memory for the room");
            p->mroom = NULL;
            return NULL;
        }
        r->subs = subs;
        r->cap_subs = cap;
    }
    p->room_index = (int)r->n_subs;
    r->subs[r->n_subs++] = p;
    atomic_fetch_add(&m->metrics->peers_subscribers, 1);
    return r;
}

void tsn_room_detach(struct tsn_media *m, struct tsn_peer *p)
{
    struct tsn_media_room *r = p->mroom;
    if (!r)
        return;
    atomic_fetch_sub(&m->metrics->peers_by_role[role_index(p->role)], 1);
    if (p->kind == TSN_PEER_PUBLISHER) {
        atomic_fetch_sub(&m->metrics->peers_publishers, 1);
        if (r->publisher == p) {
            r->publisher = NULL;
            r->stream.have_frame = 0;
            tsn_frame_clock_forget(m->frames, r->name);
        }
    } else if (p->room_index >= 0) {
        atomic_fetch_sub(&m->metrics->peers_subscribers, 1);
        size_t i = (size_t)p->room_index;
        r->subs[i] = r->subs[--r->n_subs];
        r->subs[i]->room_index = (int)i;
    }
    p->mroom = NULL;
    p->room_index = -1;
    if (!r->publisher && !room_has_other_peers(m, r, p))
        room_free(m, r);
}

/* --- sending helpers -------------------------------------------------- */

void tsn_media_send_rtp_slot(struct tsn_media *m, struct tsn_peer *p, uint8_t *slot, size_t len)
{
    if (tsn_srtp_protect(p->srtp, slot, &len, TSN_SENDQ_SLOT_BYTES) != 0) {
        tsn_metric_add(&m->metrics->srtp_failures, 1);
        return;
    }
    tsn_sendq_commit(m->sendq, (struct sockaddr *)&p->addr, p->addr_len, len);
}

void tsn_media_send_rtcp(struct tsn_media *m, struct tsn_peer *p, const uint8_t *pkt, size_t len)
{
    if (!p->srtp || len + 32 > TSN_SENDQ_SLOT_BYTES)
        return;
    uint8_t *slot = tsn_sendq_slot(m->sendq);
    memcpy(slot, pkt, len);
    if (tsn_srtp_protect_rtcp(p->srtp, slot, &len, TSN_SENDQ_SLOT_BYTES) != 0) {
        tsn_metric_add(&m->metrics->srtp_failures, 1);
        return;
    }
    tsn_sendq_commit(m->sendq, (struct sockaddr *)&p->addr, p->addr_len, len);
}

/* An empty RR first makes a feedback packet a valid compound packet for
 * receivers that do not accept reduced-size RTCP. */
static size_t empty_rr(uint8_t *out, size_t cap, uint32_t ssrc)
{
    return tsn_rtcp_build_rr(out, cap, ssrc, NULL, 0);
}

static void send_pli(struct tsn_media *m, struct tsn_media_room *r)
{
    struct tsn_peer *pub = r->publisher;
    uint8_t pkt[64];
    size_t n = empty_rr(pkt, sizeof pkt, pub->ssrc);
    n += tsn_rtcp_build_pli(pkt + n, sizeof pkt - n, pub->ssrc, r->stream.ssrc);
    tsn_media_send_rtcp(m, pub, pkt, n);
    tsn_metric_add(&m->metrics->plis_sent, 1);
    r->stream.last_pli_us = m->now_us;
    r->stream.pli_pending = 0;
}

/* Asks the publisher for a keyframe, at most once per pli_interval_ms; a
 * request inside the gap is remembered and sent when it ends. */
static void request_keyframe(struct tsn_media *m, struct tsn_media_room *r)
{
    struct tsn_peer *pub = r->publisher;
    if (!pub || pub->state != TSN_PEER_CONNECTED || !r->stream.have_ssrc) {
        r->stream.pli_pending = 1;
        return;
    }
    uint64_t gap_us = (uint64_t)m->cfg->pli_interval_ms * 1000u;
    if (r->stream.last_pli_us && m->now_us - r->stream.last_pli_us < gap_us) {
        r->stream.pli_pending = 1;
        return;
    }
    send_pli(m, r);
}

/* --- per-subscriber rewriting ----------------------------------------- */

/* Copies the publisher's one-byte header extensions that the subscriber
 * negotiated, renumbered to its ids. Returns the block length (0 = none). */
static size_t rewrite_ext(const struct tsn_rtp_hdr *h, const uint8_t map[15], uint8_t *out)
{
    if (!h->ext || h->ext_profile != 0xBEDE)
        return 0;
    size_t o = 4;
    for (size_t i = 0; i < h->ext_len;) {
        uint8_t b = h->ext[i];
        if (b == 0) {
            i++;
            continue;
        }
        uint8_t id = b >> 4;
        size_t elen = (size_t)(b & 0x0f) + 1;
        if (id == 15 || i + 1 + elen > h->ext_len)
            break;
        if (map[id]) {
            out[o++] = (uint8_t)(map[id] << 4 | (b & 0x0f));
            memcpy(out + o, h->ext + i + 1, elen);
            o += elen;
        }
        i += 1 + elen;
    }
    if (o == 4)
        return 0;
    while (o % 4)
        out[o++] = 0;
    out[0] = 0xBE;
    out[1] = 0xDE;
    out[2] = (uint8_t)(((o - 4) / 4) >> 8);
    out[3] = (uint8_t)((o - 4) / 4);
    return o;
}

/* Writes the subscriber's copy of a publisher packet into a send slot and
 * queues it. `live` updates the subscriber's last-sent state. */
static void send_copy(struct tsn_media *m, struct tsn_peer *s, const uint8_t *pkt,
                      const struct tsn_rtp_hdr *h, uint16_t seq_out, uint32_t ts_out, int live)
{
    if (TSN_RTP_HEADER_BYTES + 4 + h->ext_len + h->payload_len + TSN_SRTP_MAX_TRAILER >
        TSN_SENDQ_SLOT_BYTES)
        return;
    uint8_t *slot = tsn_sendq_slot(m->sendq);
    memcpy(slot, pkt, TSN_RTP_HEADER_BYTES);
    size_t ext_bytes = rewrite_ext(h, s->fwd.ext_map, slot + TSN_RTP_HEADER_BYTES);
    slot[0] = (uint8_t)(0x80 | (ext_bytes ? 0x10 : 0)); /* V=2, no padding, no CSRC */
    tsn_rtp_set_payload_type(slot, s->pt);
    tsn_rtp_set_seq(slot, seq_out);
    tsn_rtp_set_timestamp(slot, ts_out);
    tsn_rtp_set_ssrc(slot, s->ssrc);
    size_t off = TSN_RTP_HEADER_BYTES + ext_bytes;
    memcpy(slot + off, pkt + h->header_len, h->payload_len);
    tsn_media_send_rtp_slot(m, s, slot, off + h->payload_len);
    if (!live)
        return;
    s->fwd.last_seq_out = seq_out;
    s->fwd.last_ts_out = ts_out;
    s->fwd.last_out_us = m->now_us;
    s->fwd.started = 1;
    s->fwd.packets_sent++;
    s->fwd.octets_sent += (uint32_t)h->payload_len;
}

/* Chooses offsets so that publisher packet (seq, ts) continues the
 * subscriber's outgoing stream without a gap in sequence numbers and with a
 * timestamp advanced by the wall time since its last packet. */
static void rebase(struct tsn_media *m, struct tsn_peer *s, uint16_t seq, uint32_t ts)
{
    uint16_t next_seq;
    uint32_t next_ts;
    if (s->fwd.started) {
        uint64_t elapsed_us = m->now_us - s->fwd.last_out_us;
        next_seq = (uint16_t)(s->fwd.last_seq_out + 1);
        next_ts = s->fwd.last_ts_out + (uint32_t)(elapsed_us * CLOCK_90K / 1000u) + 1;
    } else {
        RAND_bytes((unsigned char *)&next_seq, sizeof next_seq);
        RAND_bytes((unsigned char *)&next_ts, sizeof next_ts);
        next_seq &= 0x7fff; /* far from wrap-around: friendlier to naive receivers */
    }
    s->fwd.seq_offset = (uint16_t)(next_seq - seq);
    s->fwd.ts_offset = next_ts - ts;
    s->fwd.rebase_seq_out = next_seq;
}

static void build_ext_map(struct tsn_stream *st, struct tsn_peer *s)
{
    memset(s->fwd.ext_map, 0, sizeof s->fwd.ext_map);
    if (st->ext_abs_capture_time && st->ext_abs_capture_time < 15)
        s->fwd.ext_map[st->ext_abs_capture_time] = s->ext_abs_capture_time;
}

/* Sends the cached keyframe to a subscriber that has nothing of the current
 * generation yet, then leaves it waiting for the next live keyframe. */
static void resync(struct tsn_media *m, struct tsn_media_room *r, struct tsn_peer *s)
{
    struct tsn_stream *st = &r->stream;
    s->fwd.generation = st->generation;
    s->fwd.waiting_keyframe = 1;
    build_ext_map(st, s);
    unsigned n = tsn_kf_cache_count(st->kf);
    if (st->kf_generation == st->generation && n > 0) {
        size_t len;
        const uint8_t *first = tsn_kf_cache_packet(st->kf, 0, &len);
        struct tsn_rtp_hdr h;
        if (tsn_rtp_parse(first, len, &h) == 0) {
            rebase(m, s, h.seq, h.timestamp);
            for (unsigned i = 0; i < n; i++) {
                const uint8_t *pkt = tsn_kf_cache_packet(st->kf, i, &len);
                if (tsn_rtp_parse(pkt, len, &h) == 0)
                    send_copy(m, s, pkt, &h, (uint16_t)(h.seq + s->fwd.seq_offset),
                              h.timestamp + s->fwd.ts_offset, 1);
            }
            tsn_metric_add(&m->metrics->keyframe_replays, 1);
            tsn_debug("[room %u peer %llu] sent cached keyframe (%u packets)", r->id,
                      (unsigned long long)s->id, n);
        }
    }
    request_keyframe(m, r);
}

static void forward_live(struct tsn_media *m, struct tsn_media_room *r, struct tsn_peer *s,
                         const uint8_t *pkt, const struct tsn_rtp_hdr *h, int is_key)
{
    if (s->state != TSN_PEER_CONNECTED)
        return;
    if (s->codec != r->stream.codec) {
        tsn_metric_drop(m->metrics, TSN_DROP_CODEC_MISMATCH);
        return;
    }
    if (s->fwd.generation != r->stream.generation)
        resync(m, r, s);
    if (s->fwd.waiting_keyframe) {
        if (!is_key)
            return;
        rebase(m, s, h->seq, h->timestamp);
        s->fwd.waiting_keyframe = 0;
    }
    send_copy(m, s, pkt, h, (uint16_t)(h->seq + s->fwd.seq_offset), h->timestamp + s->fwd.ts_offset,
              1);
}

/* --- publisher input -------------------------------------------------- */

static void update_rx_stats(struct tsn_media *m, struct tsn_peer *p, const struct tsn_rtp_hdr *h)
{
    if (!p->rx.have_seq) {
        p->rx.have_seq = 1;
        p->rx.base_seq = h->seq;
        p->rx.max_seq = h->seq;
    } else if (tsn_seq_diff(p->rx.max_seq, h->seq) > 0) {
        if (h->seq < p->rx.max_seq)
            p->rx.cycles += 65536;
        p->rx.max_seq = h->seq;
    }
    p->rx.received++;
    /* RFC 3550 A.8 interarrival jitter, in 90 kHz units scaled by 16. */
    int64_t arrival = (int64_t)(m->now_us * CLOCK_90K / 1000u);
    int64_t transit = arrival - (int64_t)h->timestamp;
    if (p->rx.last_transit) {
        int64_t d = transit - p->rx.last_transit;
        if (d < 0)
            d = -d;
        if (d < (int64_t)90000 * 10)
            p->rx.jitter_q4 += (uint32_t)(d - (int64_t)((p->rx.jitter_q4 + 8) >> 4));
    }
    p->rx.last_transit = transit;
}

static void new_generation(struct tsn_media_room *r, uint32_t ssrc)
{
    struct tsn_stream *st = &r->stream;
    st->generation++;
    st->ssrc = ssrc;
    st->have_ssrc = 1;
    tsn_rtx_cache_clear(st->rtx);
    tsn_kf_cache_clear(st->kf);
}

/* The first packet of a new frame: its RTP timestamp and, when the
 * publisher sends abs-capture-time, its capture time go to the frame clock
 * (annotation events are stamped with them). Once per frame. */
static void note_frame(struct tsn_media *m, struct tsn_media_room *r, const struct tsn_rtp_hdr *h)
{
    struct tsn_stream *st = &r->stream;
    struct tsn_frame_info f = {.rtp_ts = h->timestamp};
    const uint8_t *ext;
    size_t ext_len;
    if (st->ext_abs_capture_time &&
        tsn_rtp_find_ext(h, st->ext_abs_capture_time, &ext, &ext_len) == 0 && ext_len >= 8) {
        f.has_capture_ms = 1;
        f.capture_ms = tsn_ntp_to_unix_ms((uint64_t)tsn_rd32(ext) << 32 | tsn_rd32(ext + 4));
    }
    st->have_frame = 1;
    st->last_frame_ts = h->timestamp;
    if (tsn_frame_clock_set(m->frames, r->name, &f) != 0)
        tsn_warn("[room %u] frame clock: out of memory", r->id);
}

/* --- recording -------------------------------------------------------- */

static uint64_t realtime_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (uint64_t)ts.tv_sec * 1000000u + (uint64_t)ts.tv_nsec / 1000u;
}

static void rec_put(struct tsn_media *m, struct tsn_media_room *r, uint8_t type, const void *data,
                    size_t len)
{
    int rc = tsn_rec_ring_put(m->rec_ring, r->rec_handle, type, realtime_us(), data, len);
    if (rc != 0)
        tsn_metric_add(&m->metrics->recording_dropped, 1);
}

/* The stream's RTP set-up, before its first packet in the recording and
 * again at every new generation (publisher or SSRC change). */
static void record_stream(struct tsn_media *m, struct tsn_media_room *r)
{
    const struct tsn_stream *st = &r->stream;
    char json[256];
    int n = snprintf(json, sizeof json,
                     "{\"codec\":\"%s\",\"payload_type\":%u,\"clock_rate\":90000,"
                     "\"abs_capture_time_id\":%u,\"generation\":%u,\"ssrc\":%u}",
                     st->codec == TSN_CODEC_VP8 ? "VP8" : "H264", st->pt, st->ext_abs_capture_time,
                     st->generation, st->ssrc);
    rec_put(m, r, TSN_REC_STREAM, json, (size_t)n);
    r->rec_generation = st->generation;
}

static void record_packet(struct tsn_media *m, struct tsn_media_room *r, const uint8_t *pkt,
                          size_t len)
{
    if (!m->rec_ring)
        return;
    if (r->rec_generation != r->stream.generation)
        record_stream(m, r);
    rec_put(m, r, TSN_REC_RTP, pkt, len);
}

void tsn_room_set_recording(struct tsn_media *m, const char *room, uint32_t handle)
{
    size_t i = 0;
    while (i < m->n_rec_rooms && strcmp(m->rec_rooms[i].room, room) != 0)
        i++;
    if (handle && i == m->n_rec_rooms) {
        struct tsn_media_rec_room *arr = realloc(m->rec_rooms, (m->n_rec_rooms + 1) * sizeof *arr);
        if (!arr) {
            tsn_warn("[media] out of memory: a room is not recorded");
            return;
        }
        m->rec_rooms = arr;
        snprintf(arr[i].room, sizeof arr[i].room, "%s", room);
        m->n_rec_rooms++;
    }
    if (handle)
        m->rec_rooms[i].handle = handle;
    else if (i < m->n_rec_rooms)
        m->rec_rooms[i] = m->rec_rooms[--m->n_rec_rooms];
    for (struct tsn_media_room *r = m->rooms; r; r = r->next) {
        if (strcmp(r->name, room) != 0)
            continue;
        r->rec_handle = handle;
        r->rec_generation = 0;
        /* A recording must start with a picture the exporter can decode. */
        if (handle && r->publisher)
            request_keyframe(m, r);
    }
}

void tsn_room_on_rtp(struct tsn_media *m, struct tsn_peer *p, uint8_t *pkt, size_t len)
{
    struct tsn_media_room *r = p->mroom;
    struct tsn_rtp_hdr h;
    if (tsn_rtp_parse(pkt, len, &h) != 0) {
        tsn_metric_drop(m->metrics, TSN_DROP_MALFORMED);
        return;
    }
    if (!r || r->publisher != p || h.payload_type != p->pt) {
        tsn_metric_drop(m->metrics, TSN_DROP_UNKNOWN_PT);
        return;
    }
    struct tsn_stream *st = &r->stream;
    if (!st->have_ssrc || st->ssrc != h.ssrc) {
        new_generation(r, h.ssrc);
        p->remote_ssrc = h.ssrc;
        tsn_info("[room %u peer %llu] stream generation %u", r->id, (unsigned long long)p->id,
                 st->generation);
    }
    update_rx_stats(m, p, &h);
    if (!st->have_frame || st->last_frame_ts != h.timestamp)
        note_frame(m, r, &h);
    const uint8_t *payload = pkt + h.header_len;
    unsigned key = st->codec == TSN_CODEC_VP8 ? tsn_vp8_key_flags(payload, h.payload_len)
                                              : tsn_h264_key_flags(payload, h.payload_len);
    int is_key = (key & TSN_KEY_START) != 0;
    tsn_rtx_cache_put(st->rtx, h.seq, pkt, len, key);
    if (tsn_kf_cache_offer(st->kf, pkt, len, &h, key)) {
        st->kf_generation = st->generation;
        tsn_metric_add(&m->metrics->keyframes_cached, 1);
        tsn_debug("[room %u] keyframe cached: %u packets", r->id, tsn_kf_cache_count(st->kf));
    }
    if (r->rec_handle)
        record_packet(m, r, pkt, len);
    if (h.payload_len == 0)
        return; /* padding-only probe: nothing to forward */
    for (size_t i = 0; i < r->n_subs; i++)
        forward_live(m, r, r->subs[i], pkt, &h, is_key);
}

/* --- RTCP ------------------------------------------------------------- */

struct nack_ctx {
    struct tsn_media *m;
    struct tsn_media_room *r;
    struct tsn_peer *s;
};

static void on_nack_seq(void *user, uint16_t seq_out)
{
    struct nack_ctx *c = user;
    struct tsn_peer *s = c->s;
    struct tsn_stream *st = &c->r->stream;
    tsn_metric_add(&c->m->metrics->nacks_received, 1);
    /* Only packets sent under the current mapping can be found again. */
    if (s->fwd.generation != st->generation || s->fwd.waiting_keyframe ||
        tsn_seq_diff(s->fwd.rebase_seq_out, seq_out) < 0 ||
        tsn_seq_diff(seq_out, s->fwd.last_seq_out) < 0) {
        tsn_debug("[room %u peer %llu] NACK %u outside mapping (rebase %u last %u)", c->r->id,
                  (unsigned long long)s->id, seq_out, s->fwd.rebase_seq_out, s->fwd.last_seq_out);
        tsn_metric_add(&c->m->metrics->rtx_misses, 1);
        return;
    }
    uint16_t seq_in = (uint16_t)(seq_out - s->fwd.seq_offset);
    size_t len;
    const uint8_t *pkt = tsn_rtx_cache_get(st->rtx, seq_in, &len, NULL);
    struct tsn_rtp_hdr h;
    if (!pkt || tsn_rtp_parse(pkt, len, &h) != 0) {
        tsn_debug("[room %u peer %llu] NACK %u (in %u) not cached", c->r->id,
                  (unsigned long long)s->id, seq_out, seq_in);
        tsn_metric_add(&c->m->metrics->rtx_misses, 1);
        return;
    }
    send_copy(c->m, s, pkt, &h, seq_out, h.timestamp + s->fwd.ts_offset, 0);
    tsn_metric_add(&c->m->metrics->retransmissions, 1);
}

static void subscriber_rtcp(struct tsn_media *m, struct tsn_peer *s, const uint8_t *pkt, size_t len)
{
    struct tsn_media_room *r = s->mroom;
    struct tsn_rtcp_iter it;
    struct tsn_rtcp_item item;
    if (!r)
        return;
    tsn_rtcp_iter_init(&it, pkt, len);
    while (tsn_rtcp_iter_next(&it, &item) == 1) {
        if (item.type == TSN_RTCP_RTPFB && item.fmt == TSN_RTCP_FMT_NACK) {
            struct nack_ctx c = {m, r, s};
            tsn_rtcp_nack_foreach(&item, on_nack_seq, &c);
        } else if (item.type == TSN_RTCP_PSFB &&
                   (item.fmt == TSN_RTCP_FMT_PLI || item.fmt == TSN_RTCP_FMT_FIR)) {
            tsn_metric_add(item.fmt == TSN_RTCP_FMT_PLI ? &m->metrics->plis_received
                                                        : &m->metrics->firs_received,
                           1);
            request_keyframe(m, r);
        }
    }
}

/* Passes the publisher's SR on to each subscriber in its own terms, which
 * keeps the NTP <-> RTP time mapping receivers use for capture time. */
static void forward_sr(struct tsn_media *m, struct tsn_media_room *r,
                       const struct tsn_rtcp_sender_info *si)
{
    for (size_t i = 0; i < r->n_subs; i++) {
        struct tsn_peer *s = r->subs[i];
        if (s->state != TSN_PEER_CONNECTED || s->fwd.generation != r->stream.generation ||
            s->fwd.waiting_keyframe)
            continue;
        struct tsn_rtcp_sender_info out = {
            .ssrc = s->ssrc,
            .ntp = si->ntp,
            .rtp_ts = si->rtp_ts + s->fwd.ts_offset,
            .packet_count = s->fwd.packets_sent,
            .octet_count = s->fwd.octets_sent,
        };
        uint8_t buf[128];
        size_t n = tsn_rtcp_build_sr(buf, sizeof buf, &out, NULL, 0);
        if (n)
            tsn_media_send_rtcp(m, s, buf, n);
    }
}

static void publisher_rtcp(struct tsn_media *m, struct tsn_peer *p, const uint8_t *pkt, size_t len)
{
    struct tsn_media_room *r = p->mroom;
    struct tsn_rtcp_iter it;
    struct tsn_rtcp_item item;
    if (!r || r->publisher != p)
        return;
    tsn_rtcp_iter_init(&it, pkt, len);
    while (tsn_rtcp_iter_next(&it, &item) == 1) {
        struct tsn_rtcp_sender_info si;
        if (item.type != TSN_RTCP_SR || tsn_rtcp_sr_info(&item, &si) != 0 ||
            si.ssrc != r->stream.ssrc)
            continue;
        p->rx.last_sr_ntp = si.ntp;
        p->rx.last_sr_rx_us = m->now_us;
        forward_sr(m, r, &si);
    }
}

void tsn_room_on_rtcp(struct tsn_media *m, struct tsn_peer *p, uint8_t *pkt, size_t len)
{
    if (p->kind == TSN_PEER_SUBSCRIBER)
        subscriber_rtcp(m, p, pkt, len);
    else
        publisher_rtcp(m, p, pkt, len);
}

void tsn_room_on_connected(struct tsn_media *m, struct tsn_peer *p)
{
    struct tsn_media_room *r = p->mroom;
    if (!r)
        return;
    if (p->kind == TSN_PEER_SUBSCRIBER) {
        p->fwd.generation = 0; /* forces a resync */
        if (r->publisher && r->stream.have_ssrc && p->codec == r->stream.codec)
            resync(m, r, p);
        return;
    }
    if (r->publisher && r->publisher != p)
        tsn_media_kill_peer(m, r->publisher, "replaced by a new publisher");
    r->publisher = p;
    r->stream.codec = p->codec;
    r->stream.pt = p->pt;
    r->stream.ext_abs_capture_time = p->ext_abs_capture_time;
    r->stream.have_ssrc = 0; /* the first packet starts a new generation */
}

static void send_rr(struct tsn_media *m, struct tsn_peer *p, struct tsn_stream *st)
{
    uint32_t ext_max = p->rx.cycles + p->rx.max_seq;
    uint32_t expected = ext_max - p->rx.base_seq + 1;
    int64_t lost = (int64_t)expected - (int64_t)p->rx.received;
    uint32_t exp_int = expected - p->rx.expected_prior;
    uint32_t rec_int = p->rx.received - p->rx.received_prior;
    int64_t lost_int = (int64_t)exp_int - (int64_t)rec_int;
    p->rx.expected_prior = expected;
    p->rx.received_prior = p->rx.received;
    struct tsn_rtcp_report_block b = {
        .ssrc = st->ssrc,
        .fraction_lost = (exp_int && lost_int > 0) ? (uint8_t)((lost_int << 8) / exp_int) : 0,
        .cumulative_lost =
            lost > 0x7fffff ? 0x7fffff : (lost < -0x800000 ? -0x800000 : (int32_t)lost),
        .highest_seq = ext_max,
        .jitter = p->rx.jitter_q4 >> 4,
        .lsr = p->rx.last_sr_rx_us ? tsn_ntp_middle32(p->rx.last_sr_ntp) : 0,
        .dlsr = p->rx.last_sr_rx_us
                    ? (uint32_t)((m->now_us - p->rx.last_sr_rx_us) * 65536u / 1000000u)
                    : 0,
    };
    uint8_t buf[64];
    size_t n = tsn_rtcp_build_rr(buf, sizeof buf, p->ssrc, &b, 1);
    if (n)
        tsn_media_send_rtcp(m, p, buf, n);
}

void tsn_room_on_timer(struct tsn_media *m, struct tsn_media_room *r)
{
    struct tsn_stream *st = &r->stream;
    struct tsn_peer *pub = r->publisher;
    if (!pub || pub->state != TSN_PEER_CONNECTED || !st->have_ssrc)
        return;
    uint64_t gap_us = (uint64_t)m->cfg->pli_interval_ms * 1000u;
    if (st->pli_pending && m->now_us - st->last_pli_us >= gap_us)
        send_pli(m, r);
    if (pub->rx.have_seq && m->now_us - pub->last_rr_us >= RR_INTERVAL_US) {
        send_rr(m, pub, st);
        pub->last_rr_us = m->now_us;
    }
}
