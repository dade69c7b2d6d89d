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

struct tsn_kf_cache {
    unsigned max;
    int building_active;
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

static void append(struct tsn_kf_cache *k, const uint8_t *pkt, size_t len, uint16_t seq)
{
    struct kf_buf *b = k->building;
    if (b->n == k->max) {
        k->building_active = 0; /* too large to cache: give up on this one */
        return;
    }
    for (unsigned j = 0; j < b->n; j++)
        if (b->seq[j] == seq)
            return; /* duplicate */
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

int tsn_kf_cache_offer(struct tsn_kf_cache *k, const uint8_t *pkt, size_t len,
                       const struct tsn_rtp_hdr *h, int is_key)
{
    if (len > TSN_RTP_MAX_PACKET)
        return 0;
    if (is_key && (!k->building_active || h->timestamp != k->building->timestamp)) {
        k->building_active = 1;
        k->building->n = 0;
        k->building->timestamp = h->timestamp;
    }
    if (!k->building_active)
        return 0;
    if (h->timestamp != k->building->timestamp) {
        /* The next frame began before we saw this one's marker: incomplete. */
        k->building_active = 0;
        return 0;
    }
    append(k, pkt, len, h->seq);
    if (!h->marker || !k->building_active)
        return 0;
    k->building_active = 0;
    if (!contiguous(k->building))
        return 0;
    struct kf_buf *t = k->ready;
    k->ready = k->building;
    k->building = t;
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
    k->building_active = 0;
    k->building->n = 0;
    k->ready->n = 0;
}
