/* The reorder window of telesono-export (see export_reorder.h).
 *
 * A ring of `window` slots indexed by extended sequence number modulo the
 * window; `base` is the next number to hand on. A packet at or beyond
 * base + window pushes the window forward: everything before its new start
 * is handed on (the numbers never seen are counted as missing). The first
 * packet of a numbering starts the window half a window before itself, so
 * packets that arrive just after it with lower numbers still fit. */
#include "export_reorder.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Extended numbers start here, so "half a window before the first packet"
 * stays positive. */
#define EXT_SEQ_START (1ull << 20)

struct tsn_export_reorder {
    size_t window;
    struct tsn_export_pkt **slots;
    size_t held;
    uint64_t base;    /* next extended number to hand on */
    uint64_t max_ext; /* highest extended number seen: the unwrapping reference */
    int started;      /* a numbering is under way */
    int emitted_any;  /* something was handed on in this numbering */
    uint64_t last_emitted;
    tsn_export_pkt_fn fn;
    void *ctx;
    struct tsn_export_reorder_stats st;
};

void tsn_export_pkt_free(struct tsn_export_pkt *p)
{
    free(p);
}

struct tsn_export_reorder *tsn_export_reorder_new(size_t window, tsn_export_pkt_fn fn, void *ctx)
{
    if (window < 1 || window > TSN_EXPORT_MAX_WINDOW || !fn)
        return NULL;
    struct tsn_export_reorder *r = calloc(1, sizeof *r);
    if (!r)
        return NULL;
    r->slots = calloc(window, sizeof *r->slots);
    if (!r->slots) {
        free(r);
        return NULL;
    }
    r->window = window;
    r->fn = fn;
    r->ctx = ctx;
    return r;
}

void tsn_export_reorder_free(struct tsn_export_reorder *r)
{
    if (!r)
        return;
    for (size_t i = 0; i < r->window; i++)
        free(r->slots[i]);
    free(r->slots);
    free(r);
}

static void emit(struct tsn_export_reorder *r, struct tsn_export_pkt *p)
{
    uint64_t missing = r->emitted_any ? p->ext_seq - r->last_emitted - 1 : 0;
    r->st.missing += missing;
    r->last_emitted = p->ext_seq;
    r->emitted_any = 1;
    r->fn(r->ctx, p, missing);
}

/* Hands on every held packet numbered below `target`; base becomes target. */
static void advance(struct tsn_export_reorder *r, uint64_t target)
{
    while (r->base < target) {
        if (r->held == 0) {
            r->base = target;
            break;
        }
        struct tsn_export_pkt **slot = &r->slots[r->base % r->window];
        if (*slot) {
            struct tsn_export_pkt *p = *slot;
            *slot = NULL;
            r->held--;
            emit(r, p);
        }
        r->base++;
    }
}

int tsn_export_reorder_push(struct tsn_export_reorder *r, uint16_t seq, const uint8_t *data,
                            size_t len, uint64_t time_us, uint64_t offset)
{
    uint64_t ext;
    if (!r->started) {
        ext = EXT_SEQ_START + seq;
        r->max_ext = ext;
        r->base = ext - r->window / 2;
        r->started = 1;
    } else {
        ext = tsn_export_seq_extend(r->max_ext, seq);
        if (ext > r->max_ext)
            r->max_ext = ext;
    }
    if (ext < r->base) {
        r->st.late++;
        return 1;
    }
    if (ext >= r->base + r->window)
        advance(r, ext - r->window + 1);
    struct tsn_export_pkt **slot = &r->slots[ext % r->window];
    if (*slot) {
        r->st.duplicates++;
        return 1;
    }
    struct tsn_export_pkt *p = malloc(sizeof *p + len);
    if (!p)
        return -ENOMEM;
    p->ext_seq = ext;
    p->time_us = time_us;
    p->offset = offset;
    p->len = len;
    if (len)
        memcpy(p->data, data, len);
    *slot = p;
    r->held++;
    r->st.packets++;
    return 0;
}

void tsn_export_reorder_flush(struct tsn_export_reorder *r)
{
    if (r->started)
        advance(r, r->base + r->window);
    r->started = 0;
    r->emitted_any = 0;
}

const struct tsn_export_reorder_stats *tsn_export_reorder_stats(const struct tsn_export_reorder *r)
{
    return &r->st;
}

uint64_t tsn_export_seq_extend(uint64_t ref, uint16_t seq)
{
    uint64_t cand = (ref & ~0xffffull) | seq;
    if (cand < ref && ref - cand > 0x8000)
        cand += 0x10000;
    else if (cand > ref && cand - ref > 0x8000 && cand >= 0x10000)
        cand -= 0x10000;
    return cand;
}

uint64_t tsn_export_ts_extend(uint64_t ref, uint32_t ts)
{
    uint64_t cand = (ref & ~0xffffffffull) | ts;
    if (cand < ref && ref - cand > 0x80000000ull)
        cand += 0x100000000ull;
    else if (cand > ref && cand - ref > 0x80000000ull && cand >= 0x100000000ull)
        cand -= 0x100000000ull;
    return cand;
}
