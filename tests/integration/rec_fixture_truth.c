/* tsn-rec-fixture: the damage it was asked for, and truth.json: what an
 * exporter must make of the recording (see rec_fixture.c). */
#include <stdint.h>
#include <string.h>

#include "rec_fixture.h"
#include "reclog.h"

/* ---- damage and truth ---- */

static int overlaps(long a0, long a1, long b0, long b1)
{
    return a0 < b1 && b0 < a1;
}

void fx_damage(struct fixture *f)
{
    struct options *o = &f->o;
    /* --corrupt-frame: 4 bytes inside the payload of the frame's middle packet */
    for (int c = 0; c < o->n_corrupt_frame && o->n_corrupt < MAX_CORRUPT; c++) {
        int k = o->corrupt_frame[c], seen = 0, middle = (f->frames[k].written + 1) / 2;
        for (size_t r = 0; r < f->n_recs; r++) {
            const struct record *rec = &f->recs[r];
            if (rec->pkt >= 0 && f->pkts[rec->pkt].frame == k && ++seen == middle) {
                o->corrupt_off[o->n_corrupt] = rec->off + TSN_REC_HEADER + 14;
                o->corrupt_len[o->n_corrupt++] = 4;
                break;
            }
        }
    }
    for (int c = 0; c < o->n_corrupt; c++)
        for (long i = o->corrupt_off[c]; i < o->corrupt_off[c] + o->corrupt_len[c]; i++)
            if (i >= 0 && (size_t)i < f->len)
                f->file[i] ^= 0xa5;
    if (o->truncate > 0 && (size_t)o->truncate < f->len - TSN_REC_FILE_HEADER)
        f->len -= (size_t)o->truncate;
}

static int record_damaged(const struct fixture *f, const struct record *rec)
{
    if (rec->end > (long)f->len)
        return 1;
    for (int c = 0; c < f->o.n_corrupt; c++)
        if (overlaps(rec->off, rec->end, f->o.corrupt_off[c],
                     f->o.corrupt_off[c] + f->o.corrupt_len[c]))
            return 1;
    return 0;
}

/* A packet a decoder does not need: an H.264 access unit delimiter alone
 * (x264 starts every frame with one). */
static int optional(const struct fixture *f, const struct pkt *p)
{
    if (strcmp(f->o.codec, "h264") != 0 || p->len < 12)
        return 0;
    size_t off = 12 + 4u * (p->data[0] & 0x0f);
    if ((p->data[0] & 0x10) && off + 4 <= p->len)
        off += 4 + 4u * ((size_t)p->data[off + 2] << 8 | p->data[off + 3]);
    return off < p->len && (p->data[off] & 0x1f) == 9;
}

/* Which frames are in the export, at which index and PTS (the contract's
 * rules, on what was written). */
void fx_expect(struct fixture *f)
{
    for (int i = 0; i < f->o.frames; i++) {
        f->frames[i].first_off = -1;
        f->frames[i].intact = 1;
    }
    for (size_t r = 0; r < f->n_recs; r++) {
        const struct record *rec = &f->recs[r];
        if (rec->pkt < 0)
            continue;
        struct frame *fr = &f->frames[f->pkts[rec->pkt].frame];
        if (fr->first_off < 0)
            fr->first_off = rec->off;
        fr->end_off = rec->end;
        if (!record_damaged(f, rec))
            f->pkts[rec->pkt].good++;
    }
    for (size_t p = 0; p < f->n_pkts; p++)
        if (!f->pkts[p].good && !optional(f, &f->pkts[p]))
            f->frames[f->pkts[p].frame].intact = 0;
    int index = 0, gen = -1, started = 0;
    double base_ms = 0, last_ms = -1, interval_ms = 1000.0 / f->o.fps;
    uint32_t first_ts = 0;
    for (int i = 0; i < f->o.frames; i++) {
        struct frame *fr = &f->frames[i];
        fr->index = -1;
        if (fr->gen != gen) {
            gen = fr->gen;
            started = 0;
        }
        if (!fr->intact || (!started && !fr->key))
            continue;
        if (!started) {
            started = 1;
            first_ts = fr->rtp_ts;
            base_ms = last_ms < 0 ? 0 : last_ms + interval_ms;
        }
        fr->index = index++;
        fr->pts_ms = base_ms + (double)(uint32_t)(fr->rtp_ts - first_ts) / 90.0;
        last_ms = fr->pts_ms;
    }
}

static long torn_tail(const struct fixture *f)
{
    for (size_t r = 0; r < f->n_recs; r++)
        if (f->recs[r].off < (long)f->len && f->recs[r].end > (long)f->len)
            return (long)f->len - f->recs[r].off;
    return 0;
}

json_t *fx_truth(struct fixture *f)
{
    json_t *frames = json_array(), *events = json_array(), *corrupted = json_array();
    int kept = 0, first_key = -1;
    double last_pts = 0;
    for (int i = 0; i < f->o.frames; i++) {
        const struct frame *fr = &f->frames[i];
        if (fr->index >= 0) {
            kept++;
            last_pts = fr->pts_ms;
            if (first_key < 0)
                first_key = i;
        }
        json_array_append_new(
            frames, json_pack("{s:i, s:i, s:I, s:b, s:I, s:i, s:I, s:I, s:b, s:i, s:f}", "i", i,
                              "gen", fr->gen, "rtp_ts", (json_int_t)fr->rtp_ts, "key", fr->key,
                              "capture_ms", (json_int_t)(fr->capture_us / 1000), "packets",
                              fr->written, "first_offset", (json_int_t)fr->first_off, "end_offset",
                              (json_int_t)fr->end_off, "intact", fr->intact, "index", fr->index,
                              "pts_ms", fr->index >= 0 ? fr->pts_ms : -1.0));
    }
    size_t i;
    json_t *e;
    json_array_foreach(f->events, i, e)
    {
        int lost = 0;
        for (size_t r = 0; r < f->n_recs; r++)
            if (f->recs[r].event == (int)i && record_damaged(f, &f->recs[r]))
                lost = 1;
        int k = (int)json_integer_value(json_object_get(e, "frame"));
        json_array_append_new(events,
                              json_pack("{s:O, s:O, s:i, s:i, s:b}", "seq",
                                        json_object_get(e, "seq"), "op", json_object_get(e, "op"),
                                        "frame", k, "index", f->frames[k].index, "lost", lost));
    }
    for (int c = 0; c < f->o.n_corrupt; c++) {
        json_t *hit = json_array(), *ehit = json_array();
        long a = f->o.corrupt_off[c], b = a + f->o.corrupt_len[c];
        for (size_t r = 0; r < f->n_recs; r++) {
            if (!overlaps(f->recs[r].off, f->recs[r].end, a, b))
                continue;
            if (f->recs[r].pkt >= 0)
                json_array_append_new(hit, json_integer(f->pkts[f->recs[r].pkt].frame));
            else if (f->recs[r].event >= 0)
                json_array_append_new(ehit, json_integer(f->recs[r].event));
        }
        json_array_append_new(corrupted, json_pack("{s:I, s:I, s:o, s:o}", "offset", (json_int_t)a,
                                                   "bytes", (json_int_t)(b - a), "frames_hit", hit,
                                                   "events_hit", ehit));
    }
    return json_pack("{s:i, s:f, s:i, s:i, s:s, s:i, s:i, s:f, s:I, s:I, s:o, s:o, s:o}",
                     "frames_encoded", f->o.frames, "fps", f->o.fps, "width", f->width, "height",
                     f->height, "codec", f->o.codec, "kept", kept, "first_key", first_key,
                     "duration_ms", kept ? last_pts + 1000.0 / f->o.fps : 0.0, "torn_tail_bytes",
                     (json_int_t)torn_tail(f), "file_bytes", (json_int_t)f->len, "corrupted",
                     corrupted, "frames", frames, "events", events);
}
