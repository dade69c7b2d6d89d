/* The annotation overlay: render lists and cairo drawing (see overlay.h).
 *
 * A render list is one allocation: a header, the items, the points and the
 * labels' text, sized by a first pass over the marks. Sizes in the drawing
 * scale with the picture (a 480-line picture is the reference), so marks
 * look the same on a 320x240 and a 1920x1080 stream. */
#include "overlay.h"

#include <math.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define LABEL_MAX_BYTES 832 /* 200 characters of up to 4 bytes, with room to spare */
#define FONT_FAMILY     "DejaVu Sans"
#define OUTLINE_ALPHA   0.8
#define LABEL_BOX_ALPHA 0.6
#define BANNER_RGB      0xffd400u

struct list_impl {
    atomic_int refs;
    struct tsn_overlay_list pub;
    /* then: items, points, labels (one block) */
};

/* ---- building (main context) ---- */

static int kind_of(const char *s, enum tsn_overlay_kind *out)
{
    static const char *const names[] = {"arrow", "line", "caliper", "ellipse", "freehand", "text"};
    for (size_t i = 0; s && i < sizeof names / sizeof names[0]; i++) {
        if (strcmp(s, names[i]) == 0) {
            *out = (enum tsn_overlay_kind)i;
            return 0;
        }
    }
    return -1;
}

/* The fewest points a kind needs to be drawn. */
static size_t min_points(enum tsn_overlay_kind k)
{
    return k == TSN_OVERLAY_TEXT ? 1 : 2;
}

void tsn_overlay_copy_text(char *dst, size_t dst_len, const char *src)
{
    size_t n = strlen(src);
    if (n >= dst_len) {
        n = dst_len - 1;
        while (n > 0 && ((unsigned char)src[n] & 0xc0) == 0x80)
            n--; /* src[n] continues a character: cut before that character */
    }
    memcpy(dst, src, n);
    dst[n] = '\0';
}

int32_t tsn_overlay_parse_color(const char *s)
{
    if (!s || s[0] != '#' || strlen(s) != 7)
        return -1;
    int32_t v = 0;
    for (int i = 1; i < 7; i++) {
        char c = s[i];
        int d = c >= '0' && c <= '9'   ? c - '0'
                : c >= 'a' && c <= 'f' ? c - 'a' + 10
                : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                       : -1;
        if (d < 0)
            return -1;
        v = v * 16 + d;
    }
    return v;
}

/* Points of a mark when every one is a pair of numbers; 0 otherwise. */
static size_t valid_points(const json_t *points)
{
    size_t i, n = json_array_size(points);
    const json_t *p;
    json_array_foreach(points, i, p)
    {
        if (json_array_size(p) != 2 || !json_is_number(json_array_get(p, 0)) ||
            !json_is_number(json_array_get(p, 1)))
            return 0;
    }
    return n;
}

/* The label of a mark into buf (empty when it has none). */
static void label_of(const json_t *item, enum tsn_overlay_kind k, char *buf, size_t len)
{
    buf[0] = '\0';
    const json_t *v;
    if (k == TSN_OVERLAY_TEXT && json_is_string(v = json_object_get(item, "text")))
        snprintf(buf, len, "%s", json_string_value(v));
    else if (k == TSN_OVERLAY_CALIPER && json_is_number(v = json_object_get(item, "mm")))
        snprintf(buf, len, "%.2f mm", json_number_value(v));
    else if (k == TSN_OVERLAY_ELLIPSE && json_is_number(v = json_object_get(item, "area_mm2")))
        snprintf(buf, len, "%.2f mm\xc2\xb2", json_number_value(v));
}

/* Whether the mark can be drawn; its kind and point count when it can. */
static int usable(const json_t *item, enum tsn_overlay_kind *k, size_t *n_points)
{
    if (kind_of(json_string_value(json_object_get(item, "kind")), k) != 0)
        return 0;
    *n_points = valid_points(json_object_get(item, "points"));
    return *n_points >= min_points(*k);
}

static float clamp01(double v)
{
    return v < 0 ? 0.0f : v > 1 ? 1.0f : (float)v;
}

struct tsn_overlay_list *tsn_overlay_build(const struct tsn_annot_state *s)
{
    size_t n = tsn_annot_state_count(s), n_items = 0, n_points = 0, text_bytes = 0;
    char label[LABEL_MAX_BYTES];
    for (size_t i = 0; i < n; i++) {
        const json_t *item = tsn_annot_state_item(s, i);
        enum tsn_overlay_kind k;
        size_t np;
        if (!usable(item, &k, &np))
            continue;
        label_of(item, k, label, sizeof label);
        n_items++;
        n_points += np;
        text_bytes += strlen(label) + 1;
    }
    size_t items_off = sizeof(struct list_impl);
    size_t xy_off = items_off + n_items * sizeof(struct tsn_overlay_item);
    size_t text_off = xy_off + n_points * 2 * sizeof(float);
    struct list_impl *l = calloc(1, text_off + text_bytes);
    if (!l)
        return NULL;
    atomic_init(&l->refs, 1);
    struct tsn_overlay_item *items = (struct tsn_overlay_item *)((char *)l + items_off);
    float *xy = (float *)((char *)l + xy_off);
    char *text = (char *)l + text_off;
    size_t at = 0, pt = 0;
    for (size_t i = 0; i < n && at < n_items; i++) {
        const json_t *item = tsn_annot_state_item(s, i);
        enum tsn_overlay_kind k;
        size_t np;
        if (!usable(item, &k, &np))
            continue;
        int32_t rgb = tsn_overlay_parse_color(json_string_value(json_object_get(item, "color")));
        struct tsn_overlay_item *it = &items[at++];
        *it = (struct tsn_overlay_item){.kind = k,
                                        .rgb = rgb < 0 ? 0xffffffu : (uint32_t)rgb,
                                        .first = (uint32_t)pt,
                                        .n_points = (uint32_t)np};
        const json_t *points = json_object_get(item, "points");
        for (size_t j = 0; j < np; j++, pt++) {
            const json_t *p = json_array_get(points, j);
            xy[2 * pt] = clamp01(json_number_value(json_array_get(p, 0)));
            xy[2 * pt + 1] = clamp01(json_number_value(json_array_get(p, 1)));
        }
        label_of(item, k, label, sizeof label);
        size_t len = strlen(label);
        if (len) {
            memcpy(text, label, len + 1);
            it->label = text;
        }
        text += len + 1;
    }
    l->pub = (struct tsn_overlay_list){.n_items = at, .items = items, .xy = xy};
    return &l->pub;
}

static struct list_impl *impl_of(struct tsn_overlay_list *l)
{
    return (struct list_impl *)((char *)l - offsetof(struct list_impl, pub));
}

struct tsn_overlay_list *tsn_overlay_ref(struct tsn_overlay_list *l)
{
    if (l)
        atomic_fetch_add(&impl_of(l)->refs, 1);
    return l;
}

void tsn_overlay_unref(struct tsn_overlay_list *l)
{
    if (l && atomic_fetch_sub(&impl_of(l)->refs, 1) == 1)
        free(impl_of(l));
}

/* ---- drawing (streaming thread) ---- */

/* Sizes for one frame, in pixels. */
struct geom {
    double w, h;
    double scale; /* 1 on a 480-line picture */
    double lw;    /* a mark's line width */
    double edge;  /* the dark outline on each side of a line */
    double font;  /* label font size */
};

static struct geom geom_of(int width, int height)
{
    struct geom g = {.w = width, .h = height};
    g.scale = fmin(4.0, fmax(0.5, fmin(g.w, g.h) / 480.0));
    g.lw = fmax(2.0, 3.0 * g.scale);
    g.edge = fmax(1.0, 1.25 * g.scale);
    g.font = fmax(11.0, 16.0 * g.scale);
    return g;
}

static void set_rgb(cairo_t *cr, uint32_t rgb)
{
    cairo_set_source_rgb(cr, ((rgb >> 16) & 255) / 255.0, ((rgb >> 8) & 255) / 255.0,
                         (rgb & 255) / 255.0);
}

static void set_dark(cairo_t *cr)
{
    cairo_set_source_rgba(cr, 0, 0, 0, OUTLINE_ALPHA);
}

/* Strokes the current path: a dark band, then the colour on top. */
static void stroke_outlined(cairo_t *cr, const struct geom *g, uint32_t rgb)
{
    set_dark(cr);
    cairo_set_line_width(cr, g->lw + 2 * g->edge);
    cairo_stroke_preserve(cr);
    set_rgb(cr, rgb);
    cairo_set_line_width(cr, g->lw);
    cairo_stroke(cr);
}

/* Text on a dark box placed on a side of the anchor (x, y): (sx, sy) from
 * -1 to 1 per axis, -1 the box ends at the anchor (left of / above it), 1
 * it starts there, 0 it is centred on it; kept inside the picture.
 * (Outlining the glyphs instead of a box costs ~0.2 ms per label.) */
static void draw_text(cairo_t *cr, const struct geom *g, double x, double y, double sx, double sy,
                      const char *text, uint32_t rgb, double size)
{
    cairo_set_font_size(cr, size);
    cairo_font_extents_t fe;
    cairo_text_extents_t te;
    cairo_font_extents(cr, &fe);
    cairo_text_extents(cr, text, &te);
    double pad = fmax(1.0, size / 8.0);
    double tw = te.x_advance + 2 * pad, th = fe.height + 2 * pad;
    double bx = x + (sx - 1) * tw / 2, by = y + (sy - 1) * th / 2; /* the box's corner */
    bx = fmax(0, fmin(bx, g->w - tw));
    by = fmax(0, fmin(by, g->h - th));
    cairo_rectangle(cr, bx, by, tw, th);
    cairo_set_source_rgba(cr, 0, 0, 0, LABEL_BOX_ALPHA);
    cairo_fill(cr);
    set_rgb(cr, rgb);
    cairo_move_to(cr, bx + pad, by + pad + fe.ascent);
    cairo_show_text(cr, text);
}

static void pt(const struct geom *g, const float *xy, uint32_t i, double *x, double *y)
{
    *x = xy[2 * i] * g->w;
    *y = xy[2 * i + 1] * g->h;
}

static void draw_arrow(cairo_t *cr, const struct geom *g, double x0, double y0, double x1,
                       double y1, uint32_t rgb)
{
    double len = hypot(x1 - x0, y1 - y0);
    if (len < 1.0)
        return;
    double ux = (x1 - x0) / len, uy = (y1 - y0) / len;
    double head = fmin(len * 0.5, fmax(10.0, 5.0 * g->lw));
    double half = head * 0.5;
    double bx = x1 - ux * head, by = y1 - uy * head; /* the head's base */
    /* Dark first for shaft and head, so no outline covers a coloured part. */
    for (int pass = 0; pass < 2; pass++) {
        cairo_move_to(cr, x0, y0);
        cairo_line_to(cr, bx + ux * 1.0, by + uy * 1.0);
        if (pass == 0)
            set_dark(cr);
        else
            set_rgb(cr, rgb);
        cairo_set_line_width(cr, pass == 0 ? g->lw + 2 * g->edge : g->lw);
        cairo_stroke(cr);
        cairo_move_to(cr, x1, y1);
        cairo_line_to(cr, bx - uy * half, by + ux * half);
        cairo_line_to(cr, bx + uy * half, by - ux * half);
        cairo_close_path(cr);
        if (pass == 0) {
            cairo_set_line_width(cr, 2 * g->edge);
            cairo_stroke_preserve(cr);
        }
        cairo_fill(cr);
    }
}

static void draw_caliper(cairo_t *cr, const struct geom *g, double x0, double y0, double x1,
                         double y1, uint32_t rgb, const char *label)
{
    double len = hypot(x1 - x0, y1 - y0);
    double nx = 0, ny = -1; /* the normal; "up" for a zero-length caliper */
    if (len >= 1e-6) {
        nx = -(y1 - y0) / len;
        ny = (x1 - x0) / len;
    }
    if (ny > 0) { /* labels go above the line */
        nx = -nx;
        ny = -ny;
    }
    double tick = 7.0 * g->scale + g->lw;
    cairo_move_to(cr, x0, y0);
    cairo_line_to(cr, x1, y1);
    cairo_move_to(cr, x0 - nx * tick, y0 - ny * tick);
    cairo_line_to(cr, x0 + nx * tick, y0 + ny * tick);
    cairo_move_to(cr, x1 - nx * tick, y1 - ny * tick);
    cairo_line_to(cr, x1 + nx * tick, y1 + ny * tick);
    stroke_outlined(cr, g, rgb);
    /* The label beside the middle, on the normal's side, clear of the ticks. */
    if (label)
        draw_text(cr, g, (x0 + x1) / 2 + nx * (tick + 2), (y0 + y1) / 2 + ny * (tick + 2), nx, ny,
                  label, rgb, g->font);
}

static void draw_ellipse(cairo_t *cr, const struct geom *g, double cx, double cy, double px,
                         double py, uint32_t rgb, const char *label)
{
    double rx = fmax(0.5, fabs(px - cx)), ry = fmax(0.5, fabs(py - cy));
    cairo_new_sub_path(cr);
    cairo_save(cr);
    cairo_translate(cr, cx, cy);
    cairo_scale(cr, rx, ry);
    cairo_arc(cr, 0, 0, 1, 0, 2 * M_PI);
    cairo_restore(cr); /* the path stays; the line width is in pixels again */
    stroke_outlined(cr, g, rgb);
    if (label)
        draw_text(cr, g, cx + rx + g->lw + 4, cy, 1, 0, label, rgb, g->font);
}

static void draw_item(cairo_t *cr, const struct geom *g, const struct tsn_overlay_list *l,
                      const struct tsn_overlay_item *it)
{
    double x0, y0, x1 = 0, y1 = 0;
    pt(g, l->xy, it->first, &x0, &y0);
    if (it->n_points > 1)
        pt(g, l->xy, it->first + 1, &x1, &y1);
    switch (it->kind) {
    case TSN_OVERLAY_ARROW:
        draw_arrow(cr, g, x0, y0, x1, y1, it->rgb);
        break;
    case TSN_OVERLAY_CALIPER:
        draw_caliper(cr, g, x0, y0, x1, y1, it->rgb, it->label);
        break;
    case TSN_OVERLAY_ELLIPSE:
        draw_ellipse(cr, g, x0, y0, x1, y1, it->rgb, it->label);
        break;
    case TSN_OVERLAY_LINE:
    case TSN_OVERLAY_FREEHAND:
        cairo_move_to(cr, x0, y0);
        for (uint32_t i = 1; i < it->n_points; i++) {
            pt(g, l->xy, it->first + i, &x1, &y1);
            cairo_line_to(cr, x1, y1);
        }
        stroke_outlined(cr, g, it->rgb);
        break;
    case TSN_OVERLAY_TEXT:
        if (it->label)
            draw_text(cr, g, x0, y0, 1, 1, it->label, it->rgb, g->font * 1.25);
        break;
    }
}

/* The name first: a long one pushed left by the picture's edge must not
 * cover the dot. */
static void draw_pointer(cairo_t *cr, const struct geom *g, const struct tsn_overlay_pointer *p)
{
    double x = p->x * g->w, y = p->y * g->h, r = fmax(4.0, 6.0 * g->scale);
    if (p->name[0])
        draw_text(cr, g, x + r + 3, y, 1, 0, p->name, p->rgb, g->font * 0.85);
    cairo_new_sub_path(cr);
    cairo_arc(cr, x, y, r, 0, 2 * M_PI);
    set_rgb(cr, p->rgb);
    cairo_fill_preserve(cr);
    set_dark(cr);
    cairo_set_line_width(cr, 2 * g->edge);
    cairo_stroke(cr);
}

static void draw_banner(cairo_t *cr, const struct geom *g, const char *text)
{
    double size = g->font * 1.1, pad = size * 0.4;
    cairo_set_font_size(cr, size);
    cairo_font_extents_t fe;
    cairo_text_extents_t te;
    cairo_font_extents(cr, &fe);
    cairo_text_extents(cr, text, &te);
    double bw = te.x_advance + 2 * pad, bh = fe.height + 2 * pad;
    double x = fmax(0, (g->w - bw) / 2);
    cairo_rectangle(cr, x, 0, bw, bh);
    cairo_set_source_rgba(cr, 0, 0, 0, 0.65);
    cairo_fill(cr);
    set_rgb(cr, BANNER_RGB);
    cairo_move_to(cr, x + pad, pad + fe.ascent);
    cairo_show_text(cr, text);
}

void tsn_overlay_draw(cairo_t *cr, int width, int height, const struct tsn_overlay_list *marks,
                      const struct tsn_overlay_pointer *pointers, size_t n_pointers,
                      const char *banner)
{
    if (width <= 0 || height <= 0)
        return;
    struct geom g = geom_of(width, height);
    cairo_save(cr);
    cairo_new_path(cr);
    cairo_set_line_cap(cr, CAIRO_LINE_CAP_ROUND);
    cairo_set_line_join(cr, CAIRO_LINE_JOIN_ROUND);
    cairo_select_font_face(cr, FONT_FAMILY, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    for (size_t i = 0; marks && i < marks->n_items; i++)
        draw_item(cr, &g, marks, &marks->items[i]);
    for (size_t i = 0; i < n_pointers; i++)
        draw_pointer(cr, &g, &pointers[i]);
    if (banner && banner[0])
        draw_banner(cr, &g, banner);
    cairo_restore(cr);
}

void tsn_overlay_warm_up(void)
{
    cairo_surface_t *s = cairo_image_surface_create(CAIRO_FORMAT_RGB24, 64, 32);
    cairo_t *cr = cairo_create(s);
    cairo_select_font_face(cr, FONT_FAMILY, CAIRO_FONT_SLANT_NORMAL, CAIRO_FONT_WEIGHT_BOLD);
    cairo_set_font_size(cr, 12);
    cairo_move_to(cr, 1, 20);
    cairo_show_text(cr, "0.9 mm");
    cairo_destroy(cr);
    cairo_surface_destroy(s);
}
