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

/* Nearest-rank p-th percentile (0..100) of v[0..n); sorts v. NaN if n = 0. */
double tsn_fc_percentile(double *v, size_t n, double p);

#endif
