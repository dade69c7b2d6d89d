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

/* ---- isolated bright spots ---- */

struct blob_box {
    int x0, y0, x1, y1; /* inclusive */
    int peak, area;
};

/* Flood fill (explicit stack) of the component at (x, y); marks `seen`. */
static void fill_component(const uint8_t *luma, int width, int height, int min_luma, uint8_t *seen,
                           int32_t *stack, int x, int y, struct blob_box *b)
{
    size_t top = 0;
    *b = (struct blob_box){x, y, x, y, 0, 0};
    seen[(size_t)y * (size_t)width + (size_t)x] = 1;
    stack[top++] = (int32_t)((size_t)y * (size_t)width + (size_t)x);
    while (top > 0) {
        int32_t k = stack[--top];
        int cx = k % width, cy = k / width;
        int v = luma[k];
        b->area++;
        b->peak = v > b->peak ? v : b->peak;
        b->x0 = cx < b->x0 ? cx : b->x0;
        b->x1 = cx > b->x1 ? cx : b->x1;
        b->y0 = cy < b->y0 ? cy : b->y0;
        b->y1 = cy > b->y1 ? cy : b->y1;
        for (int dy = -1; dy <= 1; dy++) {
            for (int dx = -1; dx <= 1; dx++) {
                int nx = cx + dx, ny = cy + dy;
                if (nx < 0 || ny < 0 || nx >= width || ny >= height)
                    continue;
                size_t n = (size_t)ny * (size_t)width + (size_t)nx;
                if (seen[n] || luma[n] < min_luma)
                    continue;
                seen[n] = 1;
                stack[top++] = (int32_t)n;
            }
        }
    }
}

static int compact(const struct blob_box *b, int max_side)
{
    int w = b->x1 - b->x0 + 1, h = b->y1 - b->y0 + 1;
    return w >= 2 && h >= 2 && w <= max_side && h <= max_side && w <= 2 * h && h <= 2 * w;
}

/* The ring around b, in four sides (above, below, left, right of the box,
 * corners counted with above and below): the mean luma of its brightest
 * side, so a spot at the edge of a dark region (speckle at the fan's border)
 * is not taken for one with dark all round. -1 when less than half of a
 * side is inside the frame. */
static double ring_mean(const uint8_t *luma, int width, int height, const struct blob_box *b,
                        int gap, int ring)
{
    long sum[4] = {0}, n[4] = {0}, total[4] = {0};
    int r0 = gap + 1, r1 = gap + ring;
    for (int y = b->y0 - r1; y <= b->y1 + r1; y++) {
        for (int x = b->x0 - r1; x <= b->x1 + r1; x++) {
            int dx = x < b->x0 ? b->x0 - x : (x > b->x1 ? x - b->x1 : 0);
            int dy = y < b->y0 ? b->y0 - y : (y > b->y1 ? y - b->y1 : 0);
            int d = dx > dy ? dx : dy;
            if (d < r0 || d > r1)
                continue;
            int side = y < b->y0 ? 0 : y > b->y1 ? 1 : x < b->x0 ? 2 : 3;
            total[side]++;
            if (x < 0 || y < 0 || x >= width || y >= height)
                continue;
            sum[side] += luma[(size_t)y * (size_t)width + (size_t)x];
            n[side]++;
        }
    }
    double worst = 0;
    for (int i = 0; i < 4; i++) {
        if (n[i] == 0 || n[i] * 2 < total[i])
            return -1;
        double mean = (double)sum[i] / (double)n[i];
        worst = mean > worst ? mean : worst;
    }
    return worst;
}

static void centroid(const uint8_t *luma, int width, int height, const struct blob_box *b,
                     double background, struct tsn_fc_blob *out)
{
    double sw = 0, sx = 0, sy = 0;
    for (int y = b->y0 - 1; y <= b->y1 + 1; y++) {
        for (int x = b->x0 - 1; x <= b->x1 + 1; x++) {
            if (x < 0 || y < 0 || x >= width || y >= height)
                continue;
            double w = luma[(size_t)y * (size_t)width + (size_t)x] - background;
            if (w <= 0)
                continue;
            sw += w;
            sx += w * x;
            sy += w * y;
        }
    }
    out->x = sx / sw;
    out->y = sy / sw;
}

static int cmp_blob(const void *a, const void *b)
{
    const struct tsn_fc_blob *p = a, *q = b;
    if (p->peak != q->peak)
        return q->peak - p->peak;
    if (p->area != q->area)
        return q->area - p->area;
    return (p->y > q->y) - (p->y < q->y);
}

long tsn_fc_find_blobs(const uint8_t *luma, int width, int height, const struct tsn_fc_blob_opts *o,
                       struct tsn_fc_blob *out, size_t max_out)
{
    size_t pixels = (size_t)width * (size_t)height;
    uint8_t *seen = calloc(pixels ? pixels : 1, 1);
    int32_t *stack = malloc((pixels ? pixels : 1) * sizeof *stack);
    struct tsn_fc_blob *found = NULL;
    size_t n = 0, cap = 0;
    long rc = 0;
    if (!seen || !stack)
        rc = -ENOMEM;
    for (int y = 0; rc == 0 && y < height; y++) {
        for (int x = 0; rc == 0 && x < width; x++) {
            size_t k = (size_t)y * (size_t)width + (size_t)x;
            if (seen[k] || luma[k] < o->min_luma)
                continue;
            struct blob_box b;
            fill_component(luma, width, height, o->min_luma, seen, stack, x, y, &b);
            if (!compact(&b, o->max_side))
                continue;
            double bg = ring_mean(luma, width, height, &b, o->ring_gap, o->ring_width);
            if (bg < 0 || bg > o->max_ring_luma || b.peak - bg < o->min_contrast)
                continue;
            if (n == cap) {
                size_t ncap = cap ? 2 * cap : 16;
                struct tsn_fc_blob *g = realloc(found, ncap * sizeof *g);
                if (!g) {
                    rc = -ENOMEM;
                    break;
                }
                found = g;
                cap = ncap;
            }
            struct tsn_fc_blob *f = &found[n++];
            *f = (struct tsn_fc_blob){.peak = b.peak,
                                      .area = b.area,
                                      .w = b.x1 - b.x0 + 1,
                                      .h = b.y1 - b.y0 + 1,
                                      .ring_mean = bg};
            centroid(luma, width, height, &b, bg, f);
        }
    }
    if (rc == 0) {
        if (n)
            qsort(found, n, sizeof *found, cmp_blob);
        for (size_t i = 0; i < n && i < max_out; i++)
            out[i] = found[i];
        rc = (long)n;
    }
    free(found);
    free(stack);
    free(seen);
    return rc;
}
