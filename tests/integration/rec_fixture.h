/* tsn-rec-fixture's shared definitions (rec_fixture.c writes the recording,
 * rec_fixture_truth.c damages it and says what an export must hold). */
#ifndef TSN_REC_FIXTURE_H
#define TSN_REC_FIXTURE_H

#include <stddef.h>
#include <stdint.h>

#include <gst/gst.h>
#include <jansson.h>

#define ACT_ID       3
#define PT           96
#define BASE_US      1795000000000000LL /* 2026-11-18, capture time of frame 0 */
#define MAX_CORRUPT  16
#define LINE_COLOUR  "#00ff00"
#define ARROW_COLOUR "#ff00ff"
#define CALIP_COLOUR "#00ffff"

struct options {
    const char *out, *clip, *codec;
    int frames, act, new_gen_at, gen2_width, gen2_height, gen2_refs, skip_packets, lose_keyframes,
        truncate, slices, marker_stap;
    double fps, lose, reorder, duplicate;
    unsigned seed;
    long corrupt_off[MAX_CORRUPT], corrupt_len[MAX_CORRUPT];
    int n_corrupt, corrupt_frame[MAX_CORRUPT], n_corrupt_frame;
    int arrow, chat, caliper, bookmark, del;
};

struct pkt {
    uint8_t *data;
    size_t len;
    int frame;
    int good; /* copies written and not damaged */
};

struct frame {
    uint32_t rtp_ts;
    int key, gen, written;
    int64_t capture_us;
    long first_off, end_off;
    int intact, index;
    double pts_ms; /* expected, when index >= 0 */
};

struct record {
    long off, end;
    int pkt;   /* RTP: index into the packets; -1 otherwise */
    int event; /* EVENT: index into the events; -1 otherwise */
};

struct fixture {
    struct options o;
    GPtrArray *clip; /* GstBuffer*, I420 */
    int width, height;
    struct pkt *pkts;
    size_t n_pkts, cap_pkts;
    struct frame *frames;
    uint8_t *file;
    size_t len, cap;
    struct record *recs;
    size_t n_recs, cap_recs;
    json_t *events; /* [{seq, op, frame, json text}] */
    uint64_t rng;
};

/* Applies --corrupt, --corrupt-frame and --truncate to the written log. */
void fx_damage(struct fixture *f);
/* Which frames the export must hold, at which index and PTS. */
void fx_expect(struct fixture *f);
/* truth.json (after fx_expect). */
json_t *fx_truth(struct fixture *f);

#endif
