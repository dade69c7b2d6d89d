/* Keyframe cache; see kf_cache.h. */
#include "kf_cache.h"

#include <stdlib.h>
#include <string.h>

struct kf_buf {
    unsigned n;
    uint32_t timestamp;
    uint16_t seq[256];
    uint16_t len[256];
    uint8_t *data; /* max * TSN_RTP_MAX_PACKET */
};

/* IDLE: waiting for a keyframe packet. BUILDING: collecting `building`.
 * SKIPPING: the frame with timestamp skip_ts was given up (or completed), so
 * its remaining packets, even keyframe ones of later slices, start nothing. */
enum kf_state { KF_IDLE = 0, KF_BUILDING, KF_SKIPPING };

struct tsn_kf_cache {
    unsigned max;
    enum kf_state state;
    uint32_t skip_ts;
    struct kf_buf bufs[2];
    struct kf_buf *building, *ready;
};

struct tsn_kf_cache *tsn_kf_cache_new(unsigned max_packets)
{
    if (max_packets == 0 || max_packets > 256)
        return NULL;
    struct tsn_kf_cache *k = calloc(1, sizeof *k);
    if (!k)
        return NULL;
    k->max = max_packets;
    for (int i = 0; i < 2; i++) {
        k->bufs[i].data = malloc((size_t)max_packets * TSN_RTP_MAX_PACKET);
        if (!k->bufs[i].data) {
            tsn_kf_cache_free(k);
            return NULL;
        }
    }
    k->building = &k->bufs[0];
    k->ready = &k->bufs[1];
    return k;
}

void tsn_kf_cache_free(struct tsn_kf_cache *k)
{
    if (!k)
        return;
    free(k->bufs[0].data);
    free(k->bufs[1].data);
    free(k);
}

/* Stops building; the rest of frame `ts` is ignored. */
static void give_up(struct tsn_kf_cache *k, uint32_t ts)
{
    k->state = KF_SKIPPING;
    k->skip_ts = ts;
    k->building->n = 0;
}

static void append(struct tsn_kf_cache *k, const uint8_t *pkt, size_t len, uint16_t seq)
{
    struct kf_buf *b = k->building;
    for (unsigned j = 0; j < b->n; j++)
        if (b->seq[j] == seq)
            return; /* duplicate */
    if (b->n == k->max) {
        give_up(k, b->timestamp); /* too large to cache */
        return;
    }
    /* Insert in sequence order (packets may arrive slightly reordered). */
    unsigned i = b->n;
    while (i > 0 && tsn_seq_diff(b->seq[i - 1], seq) < 0) {
        b->seq[i] = b->seq[i - 1];
        b->len[i] = b->len[i - 1];
        memcpy(b->data + (size_t)i * TSN_RTP_MAX_PACKET,
               b->data + (size_t)(i - 1) * TSN_RTP_MAX_PACKET, b->len[i - 1]);
        i--;
    }
    b->seq[i] = seq;
    b->len[i] = (uint16_t)len;
    memcpy(b->data + (size_t)i * TSN_RTP_MAX_PACKET, pkt, len);
    b->n++;
}

static int contiguous(const struct kf_buf *b)
{
    for (unsigned i = 1; i < b->n; i++)
        if ((uint16_t)(b->seq[i - 1] + 1) != b->seq[i])
            return 0;
    return b->n > 0;
}

/* Whether a keyframe packet of timestamp `ts` starts a new frame. */
static int starts_frame(const struct tsn_kf_cache *k, uint32_t ts)
{
    switch (k->state) {
    case KF_IDLE: return 1;
    case KF_BUILDING: return ts != k->building->timestamp;
    case KF_SKIPPING: return ts != k->skip_ts;
    }
    return 0;
}

int tsn_kf_cache_offer(struct tsn_kf_cache *k, const uint8_t *pkt, size_t len,
                       const struct tsn_rtp_hdr *h, int is_key)
{
    if (is_key && starts_frame(k, h->timestamp)) {
        k->state = KF_BUILDING;
        k->building->n = 0;
        k->building->timestamp = h->timestamp;
    }
    if (k->state != KF_BUILDING)
        return 0;
    struct kf_buf *b = k->building;
    if (h->timestamp != b->timestamp) {
        /* A late packet of an earlier frame says nothing about this one. */
        if (b->n > 0 && tsn_seq_diff(b->seq[0], h->seq) < 0)
            return 0;
        /* The next frame began before we saw this one's marker: incomplete. */
        give_up(k, b->timestamp);
        return 0;
    }
    if (len > TSN_RTP_MAX_PACKET) {
        give_up(k, b->timestamp); /* a packet we cannot keep: the frame has a hole */
        return 0;
    }
    append(k, pkt, len, h->seq);
    if (!h->marker || k->state != KF_BUILDING)
        return 0;
    /* Complete or not, this frame is done: its stragglers start nothing. */
    k->state = KF_SKIPPING;
    k->skip_ts = b->timestamp;
    if (!contiguous(b)) {
        b->n = 0;
        return 0;
    }
    k->ready = b;
    k->building = b == &k->bufs[0] ? &k->bufs[1] : &k->bufs[0];
    k->building->n = 0;
    return 1;
}

unsigned tsn_kf_cache_count(const struct tsn_kf_cache *k)
{
    return k->ready->n;
}

const uint8_t *tsn_kf_cache_packet(const struct tsn_kf_cache *k, unsigned i, size_t *len)
{
    if (i >= k->ready->n)
        return NULL;
    *len = k->ready->len[i];
    return k->ready->data + (size_t)i * TSN_RTP_MAX_PACKET;
}

uint32_t tsn_kf_cache_timestamp(const struct tsn_kf_cache *k)
{
    return k->ready->timestamp;
}

void tsn_kf_cache_clear(struct tsn_kf_cache *k)
{
    k->state = KF_IDLE;
    k->building->n = 0;
    k->ready->n = 0;
}
