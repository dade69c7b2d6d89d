/* Privacy mask parsing, fitting and painting (see mask.h). The parser is a
 * pure function over a NUL-terminated string; painting clips every
 * rectangle again, so it is memory-safe whatever it is given. */
#include "mask.h"

#include "why.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

static const char *const field_names[4] = {"X", "Y", "W", "H"};

/* Reads one field at *pp: digits up to TSN_MASK_MAX_COORD. Advances *pp. */
static int parse_field(const char **pp, int idx, int *val, char *why, size_t why_len)
{
    const char *p = *pp;
    long acc = 0;
    int digits = 0;
    while (*p >= '0' && *p <= '9') {
        acc = acc * 10 + (*p - '0');
        if (acc > TSN_MASK_MAX_COORD)
            return tsn_why(why, why_len, -EINVAL, "%s is larger than %d", field_names[idx],
                           TSN_MASK_MAX_COORD);
        p++;
        digits++;
    }
    if (!digits) {
        if (*p == '-')
            return tsn_why(why, why_len, -EINVAL, "%s is negative", field_names[idx]);
        return tsn_why(why, why_len, -EINVAL, "%s is missing or not a number", field_names[idx]);
    }
    *val = (int)acc;
    *pp = p;
    return 0;
}

int tsn_mask_parse(const char *text, struct tsn_mask_rect *out, char *why, size_t why_len)
{
    int v[4] = {0};
    memset(out, 0, sizeof *out);
    if (!text || !*text)
        return tsn_why(why, why_len, -EINVAL, "empty mask (want X,Y,W,H)");
    const char *p = text;
    for (int i = 0; i < 4; i++) {
        int err = parse_field(&p, i, &v[i], why, why_len);
        if (err < 0)
            return err;
        if (i < 3) {
            if (*p != ',')
                return tsn_why(why, why_len, -EINVAL,
                               *p ? "unexpected character after %s (want X,Y,W,H)"
                                  : "too few fields after %s (want X,Y,W,H)",
                               field_names[i]);
            p++;
        }
    }
    if (*p)
        return tsn_why(why, why_len, -EINVAL, "junk after H (want X,Y,W,H)");
    if (v[2] < 1 || v[3] < 1)
        return tsn_why(why, why_len, -EINVAL, "%s must be at least 1", v[2] < 1 ? "W" : "H");
    *out = (struct tsn_mask_rect){.x = v[0], .y = v[1], .w = v[2], .h = v[3]};
    return 0;
}

int tsn_mask_fit(struct tsn_mask_rect *r, int frame_w, int frame_h, char *why, size_t why_len)
{
    if (frame_w < 1 || frame_h < 1)
        return tsn_why(why, why_len, -EINVAL, "invalid frame size %dx%d", frame_w, frame_h);
    if (r->x < 0 || r->y < 0 || r->w < 1 || r->h < 1)
        return tsn_why(why, why_len, -EINVAL, "invalid mask %d,%d,%d,%d", r->x, r->y, r->w, r->h);
    if (r->x >= frame_w || r->y >= frame_h)
        return tsn_why(why, why_len, -ERANGE, "mask %d,%d,%d,%d lies outside the %dx%d frame", r->x,
                       r->y, r->w, r->h, frame_w, frame_h);
    /* In long: x + w may exceed INT_MAX for unchecked input. */
    if ((long)r->x + r->w > frame_w)
        r->w = frame_w - r->x;
    if ((long)r->y + r->h > frame_h)
        r->h = frame_h - r->y;
    return 0;
}

/* Clips *r to width x height into [x0,x1) x [y0,y1); 0 if nothing is left. */
static int clip(const struct tsn_mask_rect *r, int width, int height, int *x0, int *y0, int *x1,
                int *y1)
{
    long ax = r->x < 0 ? 0 : r->x, ay = r->y < 0 ? 0 : r->y;
    long bx = (long)r->x + (r->w > 0 ? r->w : 0), by = (long)r->y + (r->h > 0 ? r->h : 0);
    bx = bx > width ? width : bx;
    by = by > height ? height : by;
    if (ax >= bx || ay >= by)
        return 0;
    *x0 = (int)ax;
    *y0 = (int)ay;
    *x1 = (int)bx;
    *y1 = (int)by;
    return 1;
}

static void fill(uint8_t *plane, int stride, int x0, int y0, int x1, int y1, uint8_t value)
{
    for (int y = y0; y < y1; y++)
        memset(plane + (size_t)y * (size_t)stride + (size_t)x0, value, (size_t)(x1 - x0));
}

void tsn_mask_apply_i420(uint8_t *y, int y_stride, uint8_t *u, int u_stride, uint8_t *v,
                         int v_stride, int width, int height, const struct tsn_mask_rect *rects,
                         size_t n, int full_range)
{
    int cw = (width + 1) / 2, ch = (height + 1) / 2;
    for (size_t i = 0; i < n; i++) {
        int x0, y0, x1, y1;
        if (!clip(&rects[i], width, height, &x0, &y0, &x1, &y1))
            continue;
        fill(y, y_stride, x0, y0, x1, y1, full_range ? 0 : 16);
        /* Chroma sample c covers luma 2c and 2c+1: floor the start, ceil
         * the end, so a rectangle starting or ending on an odd pixel still
         * takes the whole sample. */
        int cx0 = x0 / 2, cy0 = y0 / 2, cx1 = (x1 + 1) / 2, cy1 = (y1 + 1) / 2;
        cx1 = cx1 > cw ? cw : cx1;
        cy1 = cy1 > ch ? ch : cy1;
        fill(u, u_stride, cx0, cy0, cx1, cy1, 128);
        fill(v, v_stride, cx0, cy0, cx1, cy1, 128);
    }
}

void tsn_mask_apply_gray8(uint8_t *gray, int stride, int width, int height,
                          const struct tsn_mask_rect *rects, size_t n, uint8_t black)
{
    for (size_t i = 0; i < n; i++) {
        int x0, y0, x1, y1;
        if (clip(&rects[i], width, height, &x0, &y0, &x1, &y1))
            fill(gray, stride, x0, y0, x1, y1, black);
    }
}
