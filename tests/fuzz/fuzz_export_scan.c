/* Fuzz target for telesono-export's pure pipeline on a whole packet log:
 * reclog reader -> scanner (reorder window, frames, generations, PTS) ->
 * annotation events -> frame mapping -> annotations.json -> burn-in
 * timeline. The input is a media.tsr file (the corpus holds small ones).
 *
 * Invariants (abort on violation):
 *  - kept frames are numbered 0, 1, 2... with strictly growing PTS >= 0,
 *    at least one packet each, and a positive duration;
 *  - the first frame kept is a key frame;
 *  - two scans of the same input keep the same frames (the exporter's two
 *    passes rely on it);
 *  - every event maps to a frame in [0, N-1]; the document lists every
 *    event with that frame; the timeline's state at each frame exists. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "export_annot.h"
#include "export_scan.h"
#include "export_timeline.h"
#include "reclog.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_FRAMES 4096

struct run {
    struct tsn_export_frame_ref f[MAX_FRAMES];
    size_t n;
    struct tsn_export_annot *annot;
    int first_key;
};

static void on_frame(void *ctx, const struct tsn_export_frame *f)
{
    struct run *r = ctx;
    if (f->index != r->n || f->n_pkts == 0 || f->duration_90k <= 0 || f->pts_90k < 0)
        abort();
    if (r->n > 0 && f->pts_90k <= r->f[(r->n - 1) % MAX_FRAMES].pts_90k)
        abort();
    if (r->n == 0)
        r->first_key = f->key;
    if (r->n < MAX_FRAMES)
        r->f[r->n] =
            (struct tsn_export_frame_ref){f->rtp_ts, f->pts_90k, f->capture_ms, f->time_us};
    r->n++;
}

static void on_event(void *ctx, const struct tsn_rec *rec)
{
    struct run *r = ctx;
    if (r->annot)
        tsn_export_annot_add(r->annot, rec->payload, rec->len, rec->time_us);
}

static void scan(const uint8_t *data, size_t size, struct run *r)
{
    struct tsn_rec_reader *rd = tsn_rec_reader_mem(data, size);
    if (!rd)
        return;
    struct tsn_export_scan_cb cb = {.frame = on_frame, .event = on_event};
    struct tsn_export_scan *s = tsn_export_scan_new(16, &cb, r);
    struct tsn_rec rec;
    while (s && tsn_rec_reader_next(rd, &rec, NULL, NULL) == 1)
        tsn_export_scan_record(s, &rec);
    if (s)
        tsn_export_scan_finish(s);
    tsn_export_scan_free(s);
    tsn_rec_reader_free(rd);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct run a, b;
    memset(&a, 0, sizeof a);
    memset(&b, 0, sizeof b);
    a.annot = tsn_export_annot_new();
    scan(data, size, &a);
    scan(data, size, &b);
    if (a.n != b.n)
        abort();
    for (size_t i = 0; i < a.n && i < MAX_FRAMES; i++) /* field by field: no padding */
        if (a.f[i].rtp_ts != b.f[i].rtp_ts || a.f[i].pts_90k != b.f[i].pts_90k ||
            a.f[i].capture_ms != b.f[i].capture_ms || a.f[i].time_us != b.f[i].time_us)
            abort();
    if (a.n > 0 && !a.first_key)
        abort();
    size_t n = a.n < MAX_FRAMES ? a.n : MAX_FRAMES;
    if (n > 0 && a.annot) {
        tsn_export_annot_map(a.annot, a.f, n, NULL);
        size_t ne = tsn_export_annot_count(a.annot);
        for (size_t i = 0; i < ne; i++)
            if (tsn_export_annot_frame(a.annot, i) >= n)
                abort();
        json_t *doc = tsn_export_annot_document(a.annot, "s", "r", NULL, "v.mp4", a.f, n, 3000);
        json_t *events = json_object_get(doc, "events");
        if (doc && json_array_size(events) != ne)
            abort();
        for (size_t i = 0; doc && i < ne; i++)
            if ((size_t)json_integer_value(json_object_get(json_array_get(events, i), "frame")) !=
                tsn_export_annot_frame(a.annot, i))
                abort();
        json_decref(doc);
        struct tsn_export_timeline *t = tsn_export_timeline_build(a.annot, a.f, n, NULL);
        for (size_t k = 0; t && k < n; k++)
            if (tsn_export_timeline_state_at(t, tsn_export_ns_of_90k(a.f[k].pts_90k)) >=
                tsn_export_timeline_states(t))
                abort();
        tsn_export_timeline_free(t);
    }
    tsn_export_annot_free(a.annot);
    return 0;
}
