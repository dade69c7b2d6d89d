/* Synthetic B-mode-like GRAY8 frames (see phantom.h for the geometry).
 *
 * Cost model: _new precomputes, per pixel, the depth and lateral position
 * along the fan (two uint16) and a static echo level (one byte: tissue
 * layers, bone, shadow, depth gain), plus two 1024x1024 speckle fields. A
 * frame is then one pass of table look-ups over the fan (the speckle is
 * sampled at a time-dependent offset), and small overlays for the vessel,
 * the targets and the ticks. No random numbers are drawn per frame. */
#include "phantom.h"

#include <assert.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#define FIELD_BITS 10
#define FIELD_N    (1u << FIELD_BITS)
#define FIELD_MASK (FIELD_N - 1)
#define OUTSIDE    0xFFFFu
#define LEVEL_ONE  128 /* echo level meaning "speckle as is" */
#define PI         3.14159265358979323846

/* Motion, in physical units so it looks the same at every size. */
#define BREATH_HZ       0.25
#define BREATH_MM       1.0
#define PULSE_HZ        1.2
#define PULSE_FRACTION  0.12
#define SLIDE_MM_PER_S  4.0
#define UNDULATE_HZ     0.3
#define UNDULATE_MM     1.2
#define UNDULATE_PERIOD 25.0

struct target_patch {
    int x0, y0, size; /* top-left corner and side in pixels */
    uint16_t *halo;   /* multiplier, 256 = unchanged */
    uint8_t *spot;    /* bright spot, max()ed over the result */
};

struct tsn_phantom {
    int w, h, m, depth_px;
    double depth_mm, spacing_mm;
    double cx, apex_y, r0_px, outer_px, half_angle, mid_px;
    uint16_t *r_idx;        /* per pixel: px of depth below the skin arc, OUTSIDE */
    uint16_t *l_idx;        /* per pixel: px along the mid-depth arc, left to right */
    uint8_t *level;         /* per pixel: static echo level (LEVEL_ONE = 1.0) */
    int *span_x0, *span_x1; /* per row: the fan's columns [x0, x1) */
    uint8_t *field_a;       /* background speckle */
    uint8_t *field_b;       /* speckle of the sliding layer */
    int l_count;
    uint16_t *layer_top; /* per lateral index, scratch for the current frame */
    uint16_t *layer_thick;
    double layer_base_px, layer_thick_px;
    double vessel_x, vessel_y, vessel_ax_px, vessel_ay_px, wall_px;
    double target_x, target_y[2];
    struct target_patch targets[2];
    int tick_minor_len, tick_major_len;
};

/* splitmix64: a tiny, well-mixed deterministic generator. */
static uint64_t next_u64(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* Separable circular blur, in place: lateral taps 1 2 3 2 1, then axial
 * taps 1 2 1 (speckle grains are wider than they are deep). The blur also
 * makes the uniform noise it is given close to Gaussian. */
static void blur(float *f, float *tmp)
{
    for (unsigned y = 0; y < FIELD_N; y++) {
        const float *row = f + y * FIELD_N;
        for (unsigned x = 0; x < FIELD_N; x++)
            tmp[y * FIELD_N + x] = row[(x - 2) & FIELD_MASK] + 2 * row[(x - 1) & FIELD_MASK] +
                                   3 * row[x] + 2 * row[(x + 1) & FIELD_MASK] +
                                   row[(x + 2) & FIELD_MASK];
    }
    for (unsigned y = 0; y < FIELD_N; y++) {
        const float *up = tmp + ((y - 1) & FIELD_MASK) * FIELD_N, *mid = tmp + y * FIELD_N;
        const float *down = tmp + ((y + 1) & FIELD_MASK) * FIELD_N;
        for (unsigned x = 0; x < FIELD_N; x++)
            f[y * FIELD_N + x] = up[x] + 2 * mid[x] + down[x];
    }
}

/* A field of Rayleigh-like speckle amplitude (the magnitude of blurred
 * complex noise), mean ~90 of 255. */
static uint8_t *make_field(uint64_t seed)
{
    size_t n = (size_t)FIELD_N * FIELD_N;
    uint8_t *out = malloc(n);
    float *re = malloc(n * sizeof *re), *im = malloc(n * sizeof *im);
    float *tmp = malloc(n * sizeof *tmp);
    if (!out || !re || !im || !tmp)
        goto fail;
    for (size_t i = 0; i < n; i++) {
        uint64_t r = next_u64(&seed);
        re[i] = (float)(uint32_t)r / 4294967296.0f - 0.5f;
        im[i] = (float)(uint32_t)(r >> 32) / 4294967296.0f - 0.5f;
    }
    blur(re, tmp);
    blur(im, tmp);
    double sum = 0;
    for (size_t i = 0; i < n; i++) {
        re[i] = sqrtf(re[i] * re[i] + im[i] * im[i]);
        sum += re[i];
    }
    float scale = (float)(90.0 / (sum / (double)n));
    for (size_t i = 0; i < n; i++) {
        float v = re[i] * scale + 0.5f;
        out[i] = v > 255 ? 255 : (uint8_t)v;
    }
    free(tmp);
    free(im);
    free(re);
    return out;
fail:
    free(tmp);
    free(im);
    free(re);
    free(out);
    return NULL;
}

/* Static echo level at depth d_px (below the skin arc) and lateral index l. */
static unsigned static_level(const struct tsn_phantom *p, double d_px, double l)
{
    double d_mm = d_px * p->spacing_mm, dn = d_px / p->depth_px, ln = l / p->l_count;
    double lvl;
    if (d_mm < 1.2)
        lvl = 230; /* skin / coupling line */
    else if (dn < 0.10)
        lvl = 70; /* subcutaneous fat */
    else
        lvl = 118 + 22 * sin(2 * PI * d_mm / 6.5); /* striated tissue */
    /* A bone surface on the right, gently curved, with its shadow. */
    double u = (ln - 0.775) / 0.175; /* -1..1 across the bone */
    double bone_d = p->depth_px * (0.62 + 0.08 * u * u);
    if (ln > 0.60 && ln < 0.95) {
        if (fabs(d_px - bone_d) < 1.5 / p->spacing_mm)
            lvl = 250;
        else if (d_px > bone_d)
            lvl = 10;
    }
    lvl *= 1.05 - 0.35 * dn; /* a fixed depth gain curve */
    return lvl > 255 ? 255 : (unsigned)(lvl + 0.5);
}

static int build_geometry(struct tsn_phantom *p)
{
    size_t n = (size_t)p->w * (size_t)p->h;
    p->r_idx = malloc(n * sizeof *p->r_idx);
    p->l_idx = malloc(n * sizeof *p->l_idx);
    p->level = malloc(n);
    p->span_x0 = malloc((size_t)p->h * sizeof *p->span_x0);
    p->span_x1 = malloc((size_t)p->h * sizeof *p->span_x1);
    if (!p->r_idx || !p->l_idx || !p->level || !p->span_x0 || !p->span_x1)
        return -1;
    for (int y = 0; y < p->h; y++) {
        int x0 = p->w, x1 = 0;
        for (int x = 0; x < p->w; x++) {
            size_t i = (size_t)y * (size_t)p->w + (size_t)x;
            double dx = x - p->cx, dy = y - p->apex_y;
            double r = sqrt(dx * dx + dy * dy), a = atan2(dx, dy);
            if (dy <= 0 || r < p->r0_px || r > p->outer_px || fabs(a) > p->half_angle) {
                p->r_idx[i] = OUTSIDE;
                p->l_idx[i] = 0;
                p->level[i] = 0;
                continue;
            }
            double d = r - p->r0_px, l = (a + p->half_angle) * p->mid_px;
            p->r_idx[i] = (uint16_t)d;
            p->l_idx[i] = (uint16_t)l;
            p->level[i] = (uint8_t)static_level(p, d, l);
            x0 = x < x0 ? x : x0;
            x1 = x + 1;
        }
        p->span_x0[y] = x0 < x1 ? x0 : 0;
        p->span_x1[y] = x0 < x1 ? x1 : 0;
    }
    return 0;
}

static int build_target(struct tsn_phantom *p, int which)
{
    struct target_patch *t = &p->targets[which];
    double halo_r = fmax(3.0, 2.0 / p->spacing_mm), sigma = fmax(0.8, 0.35 / p->spacing_mm);
    int half = (int)ceil(halo_r) + 1;
    t->size = 2 * half + 1;
    t->x0 = (int)lround(p->target_x) - half;
    t->y0 = (int)lround(p->target_y[which]) - half;
    t->halo = malloc((size_t)t->size * (size_t)t->size * sizeof *t->halo);
    t->spot = malloc((size_t)t->size * (size_t)t->size);
    if (!t->halo || !t->spot)
        return -1;
    for (int j = 0; j < t->size; j++) {
        for (int i = 0; i < t->size; i++) {
            double dx = t->x0 + i - p->target_x, dy = t->y0 + j - p->target_y[which];
            double r2 = dx * dx + dy * dy;
            size_t k = (size_t)j * (size_t)t->size + (size_t)i;
            t->halo[k] = r2 < halo_r * halo_r ? 40 : 256;
            t->spot[k] = (uint8_t)lround(255.0 * exp(-r2 / (2 * sigma * sigma)));
        }
    }
    return 0;
}

/* Lays out the fan, the structures and the targets for p->w, p->h, depth. */
static void plan_layout(struct tsn_phantom *p)
{
    p->m = p->h / 16;
    p->depth_px = p->h - 2 * p->m;
    p->spacing_mm = p->depth_mm / p->depth_px;
    p->cx = (p->w - 1) / 2.0;
    p->r0_px = 0.35 * p->depth_px;
    p->outer_px = p->r0_px + p->depth_px;
    p->mid_px = p->r0_px + 0.5 * p->depth_px;
    p->apex_y = p->m - p->r0_px;
    p->tick_minor_len = p->w / 64 > 3 ? p->w / 64 : 3;
    p->tick_major_len = 2 * p->tick_minor_len;
    double room = p->cx - (1 + p->tick_major_len + 3);
    double s = room / p->outer_px;
    p->half_angle = fmin(35.0 * PI / 180, asin(s < 1 ? s : 1));
    p->l_count = (int)ceil(2 * p->half_angle * p->mid_px) + 2;
    p->layer_base_px = 0.12 * p->depth_px;
    p->layer_thick_px = 0.07 * p->depth_px;
    double vr = p->r0_px + 0.32 * p->depth_px, va = -0.5 * p->half_angle;
    p->vessel_x = p->cx + vr * sin(va);
    p->vessel_y = p->apex_y + vr * cos(va);
    p->vessel_ax_px = 0.07 * p->depth_px;
    p->vessel_ay_px = 0.055 * p->depth_px;
    p->wall_px = fmax(1.0, 0.6 / p->spacing_mm);
    double d1_mm = p->depth_mm / 2 - TSN_PHANTOM_TARGET_SEPARATION_MM / 2;
    p->target_x = floor(p->cx);
    p->target_y[0] = p->m + d1_mm / p->spacing_mm;
    p->target_y[1] = p->m + (d1_mm + TSN_PHANTOM_TARGET_SEPARATION_MM) / p->spacing_mm;
}

struct tsn_phantom *tsn_phantom_new(int width, int height, double depth_mm, uint32_t seed)
{
    if (depth_mm == 0)
        depth_mm = TSN_PHANTOM_DEFAULT_DEPTH_MM;
    if (width < TSN_PHANTOM_MIN_WIDTH || height < TSN_PHANTOM_MIN_HEIGHT ||
        width > TSN_PHANTOM_MAX_WIDTH || height > TSN_PHANTOM_MAX_HEIGHT || width % 2 ||
        height % 2 || !(depth_mm >= TSN_PHANTOM_MIN_DEPTH_MM) ||
        !(depth_mm <= TSN_PHANTOM_MAX_DEPTH_MM))
        return NULL;
    struct tsn_phantom *p = calloc(1, sizeof *p);
    if (!p)
        return NULL;
    p->w = width;
    p->h = height;
    p->depth_mm = depth_mm;
    plan_layout(p);
    uint64_t s = seed;
    p->field_a = make_field(next_u64(&s));
    p->field_b = make_field(next_u64(&s));
    p->layer_top = malloc((size_t)p->l_count * sizeof *p->layer_top);
    p->layer_thick = malloc((size_t)p->l_count * sizeof *p->layer_thick);
    if (!p->field_a || !p->field_b || !p->layer_top || !p->layer_thick || build_geometry(p) < 0 ||
        build_target(p, 0) < 0 || build_target(p, 1) < 0) {
        tsn_phantom_free(p);
        return NULL;
    }
    return p;
}

void tsn_phantom_free(struct tsn_phantom *p)
{
    if (!p)
        return;
    for (int i = 0; i < 2; i++) {
        free(p->targets[i].halo);
        free(p->targets[i].spot);
    }
    free(p->layer_thick);
    free(p->layer_top);
    free(p->field_b);
    free(p->field_a);
    free(p->span_x1);
    free(p->span_x0);
    free(p->level);
    free(p->l_idx);
    free(p->r_idx);
    free(p);
}

double tsn_phantom_pixel_spacing_mm(const struct tsn_phantom *p)
{
    return p->spacing_mm;
}

void tsn_phantom_targets(const struct tsn_phantom *p, double xy_px[4])
{
    xy_px[0] = p->target_x;
    xy_px[1] = p->target_y[0];
    xy_px[2] = p->target_x;
    xy_px[3] = p->target_y[1];
}

int tsn_phantom_tick_row(const struct tsn_phantom *p, int k)
{
    if (k < 0 || k * TSN_PHANTOM_TICK_MM > p->depth_mm)
        return -1;
    return (int)lround(p->m + k * TSN_PHANTOM_TICK_MM / p->spacing_mm);
}

/* The sliding layer's top and thickness per lateral index at time t. */
static void plan_layer(struct tsn_phantom *p, double t)
{
    double amp = UNDULATE_MM / p->spacing_mm, period = UNDULATE_PERIOD / p->spacing_mm;
    for (int l = 0; l < p->l_count; l++) {
        double ph = 2 * PI * (l / period + UNDULATE_HZ * t);
        double top = p->layer_base_px + amp * sin(ph);
        p->layer_top[l] = (uint16_t)(top > 0 ? top : 0);
        p->layer_thick[l] = (uint16_t)(p->layer_thick_px + 0.5 * amp * cos(ph));
    }
}

static void render_row(const struct tsn_phantom *p, int y, unsigned breath, unsigned slide,
                       uint8_t *out)
{
    int x0 = p->span_x0[y], x1 = p->span_x1[y];
    size_t row = (size_t)y * (size_t)p->w;
    const uint16_t *rr = p->r_idx + row, *ll = p->l_idx + row;
    const uint8_t *lv = p->level + row;
    memset(out, 0, (size_t)x0);
    for (int x = x0; x < x1; x++) {
        unsigned r = rr[x], l = ll[x], s, lvl;
        if (r == OUTSIDE) {
            out[x] = 0;
            continue;
        }
        if (r - p->layer_top[l] < p->layer_thick[l]) { /* unsigned: also r >= top */
            s = p->field_b[((r & FIELD_MASK) << FIELD_BITS) | ((l + slide) & FIELD_MASK)];
            lvl = 175;
        } else {
            s = p->field_a[(((r + breath) & FIELD_MASK) << FIELD_BITS) | (l & FIELD_MASK)];
            lvl = lv[x];
        }
        unsigned v = (s * lvl) / LEVEL_ONE;
        out[x] = (uint8_t)(v > 255 ? 255 : v);
    }
    memset(out + x1, 0, (size_t)(p->w - x1));
}

static void render_vessel(const struct tsn_phantom *p, double t, uint8_t *gray, size_t stride)
{
    double k = 1 + PULSE_FRACTION * (0.5 - 0.5 * cos(2 * PI * PULSE_HZ * t));
    double ax = p->vessel_ax_px * k, ay = p->vessel_ay_px * k;
    double in_x = ax - p->wall_px, in_y = ay - p->wall_px;
    int y0 = (int)floor(p->vessel_y - ay - 1), y1 = (int)ceil(p->vessel_y + ay + 1);
    int x0 = (int)floor(p->vessel_x - ax - 1), x1 = (int)ceil(p->vessel_x + ax + 1);
    y0 = y0 < 0 ? 0 : y0;
    x0 = x0 < 0 ? 0 : x0;
    y1 = y1 > p->h - 1 ? p->h - 1 : y1;
    x1 = x1 > p->w - 1 ? p->w - 1 : x1;
    for (int y = y0; y <= y1; y++) {
        uint8_t *out = gray + (size_t)y * stride;
        const uint16_t *rr = p->r_idx + (size_t)y * (size_t)p->w;
        double dy = y - p->vessel_y;
        for (int x = x0; x <= x1; x++) {
            if (rr[x] == OUTSIDE)
                continue;
            double dx = x - p->vessel_x;
            double q = dx * dx / (ax * ax) + dy * dy / (ay * ay);
            if (q > 1)
                continue;
            double qi =
                in_x > 0 && in_y > 0 ? dx * dx / (in_x * in_x) + dy * dy / (in_y * in_y) : 2;
            unsigned v = out[x];
            out[x] = (uint8_t)(qi < 1 ? v / 8 : (v + 110 > 255 ? 255 : v + 110));
        }
    }
}

static void render_target(const struct tsn_phantom *p, const struct target_patch *t, uint8_t *gray,
                          size_t stride)
{
    for (int j = 0; j < t->size; j++) {
        int y = t->y0 + j;
        if (y < 0 || y >= p->h)
            continue;
        for (int i = 0; i < t->size; i++) {
            int x = t->x0 + i;
            if (x < 0 || x >= p->w)
                continue;
            size_t k = (size_t)j * (size_t)t->size + (size_t)i;
            uint8_t *px = gray + (size_t)y * stride + (size_t)x;
            unsigned v = (*px * t->halo[k]) >> 8;
            *px = (uint8_t)(v > t->spot[k] ? v : t->spot[k]);
        }
    }
}

static void render_ticks(const struct tsn_phantom *p, uint8_t *gray, size_t stride)
{
    for (int k = 0; k * TSN_PHANTOM_TICK_MM <= p->depth_mm; k++) {
        int y = tsn_phantom_tick_row(p, k);
        if (y < 0 || y >= p->h)
            continue;
        int major = (k * TSN_PHANTOM_TICK_MM) % TSN_PHANTOM_MAJOR_TICK_MM == 0;
        int len = major ? p->tick_major_len : p->tick_minor_len;
        memset(gray + (size_t)y * stride + 1, 255, (size_t)len);
    }
}

void tsn_phantom_render(struct tsn_phantom *p, uint64_t frame_index, double fps, uint8_t *gray,
                        size_t stride)
{
    assert(fps > 0 && stride >= (size_t)p->w);
    double t = (double)frame_index / fps;
    long breath = lround(BREATH_MM / p->spacing_mm * sin(2 * PI * BREATH_HZ * t));
    long slide = lround(fmod(t * SLIDE_MM_PER_S / p->spacing_mm, FIELD_N));
    plan_layer(p, t);
    for (int y = 0; y < p->h; y++)
        render_row(p, y, (unsigned)breath, (unsigned)slide, gray + (size_t)y * stride);
    render_vessel(p, t, gray, stride);
    render_target(p, &p->targets[0], gray, stride);
    render_target(p, &p->targets[1], gray, stride);
    render_ticks(p, gray, stride);
}
