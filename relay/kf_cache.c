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
    int building_picture; /* the unit being built holds the keyframe picture */
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

/* Ends the access unit being built: it becomes the cached keyframe if it
 * holds the keyframe picture and no packet is missing. Either way, the rest
 * of that timestamp's packets (later slices) start nothing. */
static int finish(struct tsn_kf_cache *k)
{
    uint32_t ts = k->building->timestamp;
    int done = k->building_picture && contiguous(k->building);
    if (done) {
        struct kf_buf *t = k->ready;
        k->ready = k->building;
        k->building = t;
    }
    give_up(k, ts);
    return done;
}

int tsn_kf_cache_offer(struct tsn_kf_cache *k, const uint8_t *pkt, size_t len,
                       const struct tsn_rtp_hdr *h, unsigned key_flags)
{
    int completed = 0;
    const struct kf_buf *b = k->building;
    if (k->state == KF_BUILDING && h->timestamp != b->timestamp && b->n > 0) {
        /* A late packet of an earlier access unit says nothing about this one. */
        if (tsn_seq_diff(b->seq[0], h->seq) < 0)
            return 0;
        /* A new timestamp ends the unit even if no packet had the marker, but
         * only if nothing is missing between the unit and this packet: a lost
         * tail (the marker packet, say) must not be cached as a keyframe. */
        if ((uint16_t)(b->seq[b->n - 1] + 1) == h->seq)
            completed = finish(k);
        else
            give_up(k, b->timestamp);
    }
    if (k->state == KF_SKIPPING && h->timestamp != k->skip_ts)
        k->state = KF_IDLE;
    if (len > TSN_RTP_MAX_PACKET) {
        /* A packet we cannot keep is a hole in its access unit. */
        if (k->state == KF_BUILDING || (k->state == KF_IDLE && (key_flags & TSN_KEY_START)))
            give_up(k, h->timestamp);
        return completed;
    }
    if (k->state == KF_IDLE) {
        if (!(key_flags & TSN_KEY_START))
            return completed;
        k->state = KF_BUILDING;
        k->building_picture = 0;
        k->building->n = 0;
        k->building->timestamp = h->timestamp;
    }
    if (k->state != KF_BUILDING)
        return completed;
    append(k, pkt, len, h->seq);
    if (k->state != KF_BUILDING)
        return completed; /* too large: given up */
    if (key_flags & TSN_KEY_PICTURE)
        k->building_picture = 1;
    /* The marker ends the access unit, unless it closed a parameter-set-only
     * packet (some packetizers mark those): then wait for the picture. */
    if (h->marker && k->building_picture)
        completed |= finish(k);
    return completed;
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
