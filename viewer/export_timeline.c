/* The burn-in timeline (see export_timeline.h).
 *
 * Built once before the pipeline runs: events are visited by frame (ties in
 * recording order). While every newly visible event has a seq above the
 * state's, it is applied on top; an event that became visible later than a
 * newer one (its frame is after a higher-seq event's, e.g. a mark drawn on
 * an older frame) forces a rebuild from the initial snapshot, so the order
 * of application is always the recording's. */
#include "export_timeline.h"

#include <stdlib.h>
#include <string.h>

#include "annot_state.h"
#include "overlay.h"

#define BANNER_LEN 96

struct state_at {
    uint64_t pts_ns; /* shown from this time on (0 for the initial state) */
    struct tsn_overlay_list *marks;
    char banner[BANNER_LEN];
};

struct tsn_export_timeline {
    struct state_at *st;
    size_t n;
};

struct order {
    size_t frame, index;
};

uint64_t tsn_export_ns_of_90k(int64_t t_90k)
{
    return t_90k <= 0 ? 0 : (uint64_t)t_90k * 100000u / 9u;
}

static int by_frame(const void *pa, const void *pb)
{
    const struct order *a = pa, *b = pb;
    if (a->frame != b->frame)
        return a->frame < b->frame ? -1 : 1;
    return a->index < b->index ? -1 : a->index > b->index;
}

/* Appends the state's render list and banner as shown from pts_ns. */
static int push_state(struct tsn_export_timeline *t, const struct tsn_annot_state *s,
                      uint64_t pts_ns)
{
    struct tsn_overlay_list *marks = tsn_overlay_build(s);
    if (!marks)
        return -1;
    struct state_at *at = &t->st[t->n++];
    at->pts_ns = pts_ns;
    at->marks = marks;
    at->banner[0] = '\0';
    const char *by = tsn_annot_state_frozen_by(s);
    if (by) {
        strcpy(at->banner, "FROZEN by ");
        tsn_overlay_copy_text(at->banner + strlen(at->banner), BANNER_LEN - strlen(at->banner), by);
    }
    return 0;
}

static void apply(struct tsn_annot_state *s, const json_t *ev, size_t *skipped)
{
    char why[160];
    int rc = tsn_annot_state_apply(s, ev, why, sizeof why);
    if (rc != 0 && skipped)
        (*skipped)++;
}

/* A fresh state: the initial snapshot plus every event with frame <= k, in
 * recording order. NULL on OOM. */
static struct tsn_annot_state *rebuild(const struct tsn_export_annot *a, size_t k, size_t *skipped)
{
    struct tsn_annot_state *s = tsn_annot_state_new();
    char why[160];
    if (!s)
        return NULL;
    tsn_annot_state_load(s, tsn_export_annot_initial(a), why, sizeof why);
    for (size_t i = 0; i < tsn_export_annot_count(a); i++)
        if (tsn_export_annot_frame(a, i) <= k)
            apply(s, tsn_export_annot_event(a, i), skipped);
    return s;
}

static int64_t seq_of(const json_t *ev)
{
    return json_integer_value(json_object_get(ev, "seq"));
}

struct tsn_export_timeline *tsn_export_timeline_build(const struct tsn_export_annot *a,
                                                      const struct tsn_export_frame_ref *frames,
                                                      size_t n, size_t *skipped)
{
    size_t ne = tsn_export_annot_count(a), sk = 0;
    struct tsn_export_timeline *t = calloc(1, sizeof *t);
    struct order *ord = calloc(ne ? ne : 1, sizeof *ord);
    struct tsn_annot_state *s = NULL;
    if (!t || !ord)
        goto fail;
    t->st = calloc(ne + 1, sizeof *t->st);
    s = tsn_annot_state_new();
    if (!t->st || !s)
        goto fail;
    char why[160];
    tsn_annot_state_load(s, tsn_export_annot_initial(a), why, sizeof why);
    for (size_t i = 0; i < ne; i++) {
        size_t f = tsn_export_annot_frame(a, i);
        ord[i] = (struct order){.frame = f < n ? f : n - 1, .index = i};
    }
    qsort(ord, ne, sizeof *ord, by_frame);
    if (push_state(t, s, 0) != 0)
        goto fail;
    for (size_t i = 0; i < ne;) {
        size_t k = ord[i].frame, j = i;
        int in_order = 1;
        int64_t top = tsn_annot_state_seq(s);
        for (; j < ne && ord[j].frame == k; j++) {
            int64_t seq = seq_of(tsn_export_annot_event(a, ord[j].index));
            in_order = in_order && seq > top;
            top = seq > top ? seq : top;
        }
        if (in_order) {
            for (size_t m = i; m < j; m++)
                apply(s, tsn_export_annot_event(a, ord[m].index), &sk);
        } else {
            tsn_annot_state_free(s);
            s = rebuild(a, k, &sk);
            if (!s)
                goto fail;
        }
        uint64_t at = tsn_export_ns_of_90k(frames[k].pts_90k);
        if (t->n > 0 && t->st[t->n - 1].pts_ns == at) { /* frame 0: replaces the initial */
            t->n--;
            tsn_overlay_unref(t->st[t->n].marks);
        }
        if (push_state(t, s, at) != 0)
            goto fail;
        i = j;
    }
    if (skipped)
        *skipped = sk;
    tsn_annot_state_free(s);
    free(ord);
    return t;
fail:
    tsn_annot_state_free(s);
    free(ord);
    tsn_export_timeline_free(t);
    return NULL;
}

void tsn_export_timeline_free(struct tsn_export_timeline *t)
{
    if (!t)
        return;
    for (size_t i = 0; i < t->n; i++)
        tsn_overlay_unref(t->st[i].marks);
    free(t->st);
    free(t);
}

size_t tsn_export_timeline_states(const struct tsn_export_timeline *t)
{
    return t->n;
}

size_t tsn_export_timeline_state_at(const struct tsn_export_timeline *t, uint64_t pts_ns)
{
    const uint64_t slack_ns = 500000;
    size_t lo = 0, hi = t->n; /* the answer is in [lo, hi) */
    while (hi - lo > 1) {
        size_t mid = lo + (hi - lo) / 2;
        if (t->st[mid].pts_ns <= pts_ns + slack_ns)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

size_t tsn_export_timeline_marks(const struct tsn_export_timeline *t, size_t i)
{
    return i < t->n ? t->st[i].marks->n_items : 0;
}

void tsn_export_timeline_draw(const struct tsn_export_timeline *t, cairo_t *cr, int width,
                              int height, uint64_t pts_ns)
{
    const struct state_at *at = &t->st[tsn_export_timeline_state_at(t, pts_ns)];
    if (at->marks->n_items == 0 && !at->banner[0])
        return;
    tsn_overlay_draw(cr, width, height, at->marks, NULL, 0, at->banner[0] ? at->banner : NULL);
}
