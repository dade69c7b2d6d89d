/* The pure parts of tsn-frame-check (tests/integration/frame_check.c): the
 * frame-log line parser, the dumped-frame file name parser, --mask parsing,
 * RGB -> luma, luma PSNR with excluded rectangles, the black-mask check and
 * a nearest-rank percentile. No I/O, no globals, so tests/unit/
 * test_frame_check.c and tests/fuzz/fuzz_frame_log.c compile this file in
 * directly (the tool is a program, not part of a library the tests link).
 *
 * Luma planes are 8-bit, full range, packed (width bytes per row). */
#ifndef TSN_FRAME_CHECK_CORE_H
#define TSN_FRAME_CHECK_CORE_H

#include <stddef.h>
#include <stdint.h>

/* PSNR reported for identical planes (the MSE is 0, the PSNR infinite). */
#define TSN_FC_PSNR_IDENTICAL 100.0

/* One line of telesono-capture's --frame-log: a frame it sent. */
struct tsn_fc_log_entry {
    int64_t capture_us; /* Unix microseconds, > 0 */
    int64_t index;      /* source frame index in the clip, 0-based */
};

/* Parses one JSON line {"capture_us": <int>, "index": <int>} (other members
 * ignored; a trailing newline is fine). 0; -ENODATA for a blank line;
 * -EBADMSG when it is not such an object; -ERANGE when capture_us <= 0 or
 * index < 0. */
int tsn_fc_parse_log_line(const char *buf, size_t len, struct tsn_fc_log_entry *out);

/* Parses a frame dump file name "frame-<digits>-<digits>.png" (exactly;
 * not ".png.tmp"). 0 or -EINVAL. capture_us 0 means the frame had none. */
int tsn_fc_parse_frame_name(const char *name, uint64_t *index, int64_t *capture_us);

struct tsn_fc_rect {
    int x, y, w, h;
};

/* Parses "X,Y,W,H" (non-negative integers, W and H > 0). 0 or -EINVAL. */
int tsn_fc_parse_rect(const char *s, struct tsn_fc_rect *out);

/* BT.601 luma from full-range RGB24: Y = 0.299 R + 0.587 G + 0.114 B,
 * rounded; grey (R = G = B) maps to itself. */
void tsn_fc_luma_from_rgb(const uint8_t *rgb, size_t pixels, uint8_t *luma_out);

/* Luma PSNR in dB between two width x height planes over the pixels outside
 * every rectangle of excl (clipped to the frame). TSN_FC_PSNR_IDENTICAL
 * when they match; NaN when no pixel is left to compare. */
double tsn_fc_psnr(const uint8_t *a, const uint8_t *b, int width, int height,
                   const struct tsn_fc_rect *excl, size_t n_excl);

/* The black-mask check of one rectangle: every pixel inside r must have
 * luma <= max_luma, except within `border` pixels of an edge of r that lies
 * inside the frame (codec bleed across the mask's edge; an edge on the
 * frame's own border has nothing to bleed from). Returns the number of
 * offending pixels; the first one (row-major) goes to *first_x, *first_y,
 * *first_luma when non-NULL and there is one. */
long tsn_fc_mask_violations(const uint8_t *luma, int width, int height, const struct tsn_fc_rect *r,
                            int border, int max_luma, int *first_x, int *first_y, int *first_luma);

/* ---- isolated bright spots (the phantom's point targets) ---- */

/* A spot: connected (8-neighbour) pixels with luma >= min_luma whose
 * bounding box is compact (2..max_side pixels each way, neither side more
 * than twice the other) and whose surroundings are dark on every side: the
 * mean luma of each of the four sides of a square ring ring_gap+1 ..
 * ring_gap+ring_width pixels outside the bounding box is at most
 * max_ring_luma (at least half of each side inside the frame), and at
 * least min_contrast darker than the spot's peak.
 * Long bright structures (skin line, bone, depth ticks) fail the shape
 * test; bright speckle fails the ring test (tissue is around it). */
struct tsn_fc_blob_opts {
    int min_luma, max_side, max_ring_luma, ring_gap, ring_width;
    int min_contrast; /* peak - ring mean */
};
#define TSN_FC_BLOB_DEFAULTS                                                                       \
    {                                                                                              \
        128, 16, 35, 2, 3, 150                                                                     \
    }

struct tsn_fc_blob {
    double x, y;      /* centroid, pixel-centre coordinates (column, row) */
    int peak;         /* brightest luma */
    int area;         /* pixels >= min_luma */
    int w, h;         /* bounding box */
    double ring_mean; /* the mean luma of the ring's brightest side */
};

/* Finds every spot; writes the first max_out, brightest peak first (ties:
 * larger area, then top to bottom). The centroid weighs each pixel of the
 * bounding box grown by one pixel by max(0, luma - ring_mean), so a blurred
 * spot is located to a fraction of a pixel. Returns the number found, or
 * -ENOMEM. */
long tsn_fc_find_blobs(const uint8_t *luma, int width, int height, const struct tsn_fc_blob_opts *o,
                       struct tsn_fc_blob *out, size_t max_out);

/* Nearest-rank p-th percentile (0..100) of v[0..n); sorts v. NaN if n = 0. */
double tsn_fc_percentile(double *v, size_t n, double p);

#endif
