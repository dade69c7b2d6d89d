/* Pure helpers of tsn-frame-check: parsers, luma, PSNR, mask check. See
 * frame_check_core.h. */
#include "frame_check_core.h"

#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

static int is_blank(const char *buf, size_t len)
{
    for (size_t i = 0; i < len; i++)
        if (!isspace((unsigned char)buf[i]))
            return 0;
    return 1;
}

int tsn_fc_parse_log_line(const char *buf, size_t len, struct tsn_fc_log_entry *out)
{
    if (is_blank(buf, len))
        return -ENODATA;
    json_error_t err;
    json_t *root = json_loadb(buf, len, JSON_REJECT_DUPLICATES, &err);
    if (!root)
        return -EBADMSG;
    int rc = -EBADMSG;
    json_t *cap = json_object_get(root, "capture_us");
    json_t *idx = json_object_get(root, "index");
    if (json_is_object(root) && json_is_integer(cap) && json_is_integer(idx)) {
        out->capture_us = (int64_t)json_integer_value(cap);
        out->index = (int64_t)json_integer_value(idx);
        rc = out->capture_us > 0 && out->index >= 0 ? 0 : -ERANGE;
    }
    json_decref(root);
    return rc;
}

/* Decimal digits at *p into *v (no sign, no overflow); advances *p. */
static int take_digits(const char **p, uint64_t *v)
{
    const char *s = *p;
    uint64_t x = 0;
    if (!isdigit((unsigned char)*s))
        return -EINVAL;
    for (; isdigit((unsigned char)*s); s++) {
        unsigned d = (unsigned)(*s - '0');
        if (x > (UINT64_MAX - d) / 10)
            return -EINVAL;
        x = x * 10 + d;
    }
    *p = s;
    *v = x;
    return 0;
}

int tsn_fc_parse_frame_name(const char *name, uint64_t *index, int64_t *capture_us)
{
    const char *p = name;
    uint64_t idx, cap;
    if (strncmp(p, "frame-", 6) != 0)
        return -EINVAL;
    p += 6;
    if (take_digits(&p, &idx) != 0 || *p++ != '-' || take_digits(&p, &cap) != 0)
        return -EINVAL;
    if (strcmp(p, ".png") != 0 || cap > INT64_MAX)
        return -EINVAL;
    *index = idx;
    *capture_us = (int64_t)cap;
    return 0;
}

int tsn_fc_parse_rect(const char *s, struct tsn_fc_rect *out)
{
    int v[4];
    const char *p = s;
    for (int i = 0; i < 4; i++) {
        uint64_t x;
        if (take_digits(&p, &x) != 0 || x > INT_MAX)
            return -EINVAL;
        v[i] = (int)x;
        if (*p != (i < 3 ? ',' : '\0'))
            return -EINVAL;
        p++;
    }
    if (v[2] == 0 || v[3] == 0)
        return -EINVAL;
    *out = (struct tsn_fc_rect){v[0], v[1], v[2], v[3]};
    return 0;
}

void tsn_fc_luma_from_rgb(const uint8_t *rgb, size_t pixels, uint8_t *luma_out)
{
    for (size_t i = 0; i < pixels; i++, rgb += 3)
        luma_out[i] = (uint8_t)((299u * rgb[0] + 587u * rgb[1] + 114u * rgb[2] + 500u) / 1000u);
}

/* r clipped to the frame, as half-open [x0,x1) x [y0,y1); 0 if empty. */
static int clip_rect(const struct tsn_fc_rect *r, int width, int height, int *x0, int *y0, int *x1,
                     int *y1)
{
    *x0 = r->x < 0 ? 0 : r->x;
    *y0 = r->y < 0 ? 0 : r->y;
    long xe = (long)r->x + r->w, ye = (long)r->y + r->h;
    *x1 = xe > width ? width : (int)xe;
    *y1 = ye > height ? height : (int)ye;
    return *x0 < *x1 && *y0 < *y1;
}

static int excluded(int x, int y, const struct tsn_fc_rect *excl, size_t n_excl)
{
    for (size_t i = 0; i < n_excl; i++)
        if (x >= excl[i].x && y >= excl[i].y && (long)x < (long)excl[i].x + excl[i].w &&
            (long)y < (long)excl[i].y + excl[i].h)
            return 1;
    return 0;
}

double tsn_fc_psnr(const uint8_t *a, const uint8_t *b, int width, int height,
                   const struct tsn_fc_rect *excl, size_t n_excl)
{
    uint64_t sse = 0, n = 0;
    for (int y = 0; y < height; y++) {
        const uint8_t *ra = a + (size_t)y * (size_t)width, *rb = b + (size_t)y * (size_t)width;
        for (int x = 0; x < width; x++) {
            if (n_excl && excluded(x, y, excl, n_excl))
                continue;
            int d = (int)ra[x] - (int)rb[x];
            sse += (uint64_t)(d * d);
            n++;
        }
    }
    if (n == 0)
        return NAN;
    if (sse == 0)
        return TSN_FC_PSNR_IDENTICAL;
    double mse = (double)sse / (double)n;
    return 10.0 * log10(255.0 * 255.0 / mse);
}

long tsn_fc_mask_violations(const uint8_t *luma, int width, int height, const struct tsn_fc_rect *r,
                            int border, int max_luma, int *first_x, int *first_y, int *first_luma)
{
    int x0, y0, x1, y1;
    if (!clip_rect(r, width, height, &x0, &y0, &x1, &y1))
        return 0;
    /* Shrink only the edges that face picture content. */
    int cx0 = x0 > 0 ? x0 + border : x0, cy0 = y0 > 0 ? y0 + border : y0;
    int cx1 = x1 < width ? x1 - border : x1, cy1 = y1 < height ? y1 - border : y1;
    long bad = 0;
    for (int y = cy0; y < cy1; y++) {
        for (int x = cx0; x < cx1; x++) {
            int v = luma[(size_t)y * (size_t)width + (size_t)x];
            if (v <= max_luma)
                continue;
            if (bad++ == 0) {
                if (first_x)
                    *first_x = x;
                if (first_y)
                    *first_y = y;
                if (first_luma)
                    *first_luma = v;
            }
        }
    }
    return bad;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double tsn_fc_percentile(double *v, size_t n, double p)
{
    if (n == 0)
        return NAN;
    qsort(v, n, sizeof *v, cmp_double);
    double exact = p / 100.0 * (double)n;
    size_t rank = (size_t)ceil(exact - exact * 1e-12);
    if (rank < 1)
        rank = 1;
    if (rank > n)
        rank = n;
    return v[rank - 1];
}
