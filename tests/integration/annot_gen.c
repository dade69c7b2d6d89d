/* Valid annotation client messages, random (seeded) or exact; see
 * annot_gen.h. Coordinates are sent with full double precision so the
 * relay's rounding to 5 decimals is exercised on every point. */
#include "annot_gen.h"

#include <stdio.h>
#include <string.h>

#define TEXT_MAX_CHARS 200

static const char *const kinds[] = {"arrow", "line", "caliper", "ellipse", "freehand", "text"};
/* Labels, texts and chat lines, some with non-ASCII characters (one
 * character, several bytes) so the character limits are not byte limits. */
static const char *const words[] = {
    "needle tip",     "vessel wall", "Gefäßwand", "→ here", "µ-range",
    "日本語のラベル", "ok 👍",        "nerve",     "cyst?",  "measure again",
    "probe medially", "lumen",       "Ödem",      "tendon", "bone edge",
};

void tsn_agen_seed(struct tsn_agen_rng *r, uint64_t seed)
{
    r->s = seed ^ 0x9e3779b97f4a7c15ull;
    (void)tsn_agen_u64(r);
}

/* splitmix64: small, seedable, good enough for test data. */
uint64_t tsn_agen_u64(struct tsn_agen_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
}

unsigned tsn_agen_below(struct tsn_agen_rng *r, unsigned n)
{
    return (unsigned)(tsn_agen_u64(r) % n);
}

double tsn_agen_unit(struct tsn_agen_rng *r)
{
    return (double)(tsn_agen_u64(r) >> 11) / (double)((1ull << 53) - 1);
}

const char *tsn_agen_op_name(enum tsn_agen_op op)
{
    static const char *const names[TSN_AGEN_N_OPS] = {"draw", "delete", "undo",     "clear",
                                                      "chat", "freeze", "bookmark", "pointer"};
    return op < TSN_AGEN_N_OPS ? names[op] : "?";
}

static double clamp01(double v)
{
    return v < 0 ? 0 : v > 1 ? 1 : v;
}

static json_t *point(double x, double y)
{
    return json_pack("[f, f]", clamp01(x), clamp01(y));
}

static json_t *points(struct tsn_agen_rng *r, size_t n, int walk)
{
    json_t *a = json_array();
    double x = tsn_agen_unit(r), y = tsn_agen_unit(r);
    for (size_t i = 0; a && i < n; i++) {
        if (json_array_append_new(a, point(x, y))) {
            json_decref(a);
            return NULL;
        }
        if (walk) {
            x = clamp01(x + (tsn_agen_unit(r) - 0.5) * 0.01);
            y = clamp01(y + (tsn_agen_unit(r) - 0.5) * 0.01);
        } else {
            x = tsn_agen_unit(r);
            y = tsn_agen_unit(r);
        }
    }
    return a;
}

static void random_color(struct tsn_agen_rng *r, char out[8])
{
    static const char lower[] = "0123456789abcdef", upper[] = "0123456789ABCDEF";
    const char *digits = tsn_agen_below(r, 2) ? lower : upper;
    out[0] = '#';
    for (int i = 1; i < 7; i++)
        out[i] = digits[tsn_agen_below(r, 16)];
    out[7] = '\0';
}

json_t *tsn_agen_item(struct tsn_agen_rng *r, const char *kind, size_t n_points)
{
    size_t n = 2;
    if (strcmp(kind, "text") == 0)
        n = 1;
    else if (strcmp(kind, "freehand") == 0)
        n = n_points;
    json_t *pts = points(r, n, strcmp(kind, "freehand") == 0);
    json_t *item = pts ? json_pack("{s:s, s:o}", "kind", kind, "points", pts) : NULL;
    if (!item)
        return NULL;
    if (tsn_agen_below(r, 2)) {
        char color[8];
        random_color(r, color);
        json_object_set_new(item, "color", json_string(color));
    }
    if (n == 1)
        json_object_set_new(item, "text",
                            json_string(words[tsn_agen_below(r, sizeof words / sizeof *words)]));
    return item;
}

static char *dump(json_t *o)
{
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    return s;
}

char *tsn_agen_draw(json_t *item, long id)
{
    if (!item)
        return NULL;
    return dump(json_pack("{s:s, s:o, s:I}", "type", "draw", "item", item, "id", (json_int_t)id));
}

char *tsn_agen_delete(int64_t mark_id, long id)
{
    return dump(json_pack("{s:s, s:I, s:I}", "type", "delete", "item", (json_int_t)mark_id, "id",
                          (json_int_t)id));
}

char *tsn_agen_simple(const char *type, long id)
{
    return dump(json_pack("{s:s, s:I}", "type", type, "id", (json_int_t)id));
}

char *tsn_agen_chat(const char *text, long id)
{
    return dump(json_pack("{s:s, s:s, s:I}", "type", "chat", "text", text, "id", (json_int_t)id));
}

char *tsn_agen_freeze(int frozen, long id)
{
    return dump(
        json_pack("{s:s, s:b, s:I}", "type", "freeze", "frozen", frozen, "id", (json_int_t)id));
}

char *tsn_agen_bookmark(const char *label, long id)
{
    json_t *o = json_pack("{s:s, s:I}", "type", "bookmark", "id", (json_int_t)id);
    if (o && label)
        json_object_set_new(o, "label", json_string(label));
    return dump(o);
}

char *tsn_agen_pointer(double x, double y)
{
    return dump(json_pack("{s:s, s:f, s:f}", "type", "pointer", "x", x, "y", y));
}

size_t tsn_agen_freehand_points(struct tsn_agen_rng *r)
{
    unsigned p = tsn_agen_below(r, 100);
    if (p < 80)
        return 2 + tsn_agen_below(r, 49);
    if (p < 97)
        return 50 + tsn_agen_below(r, 451);
    return 500 + tsn_agen_below(r, 1501);
}

static char *random_draw(struct tsn_agen_rng *r, long id)
{
    const char *kind = kinds[tsn_agen_below(r, sizeof kinds / sizeof *kinds)];
    size_t n = strcmp(kind, "freehand") == 0 ? tsn_agen_freehand_points(r) : 0;
    return tsn_agen_draw(tsn_agen_item(r, kind, n), id);
}

static char *random_chat(struct tsn_agen_rng *r, long id)
{
    char text[256];
    const char *w = words[tsn_agen_below(r, sizeof words / sizeof *words)];
    switch (tsn_agen_below(r, 3)) {
    case 0:
        snprintf(text, sizeof text, "%s", w);
        break;
    case 1: /* newline and tab are the control characters chat allows */
        snprintf(text, sizeof text, "%s\n\tline two", w);
        break;
    default:
        snprintf(text, sizeof text, "\"%s\" \\ %llu", w, (unsigned long long)tsn_agen_u64(r));
        break;
    }
    return tsn_agen_chat(text, id);
}

char *tsn_agen_random(struct tsn_agen_rng *r, const struct tsn_annot_state *seen, long id,
                      int allow_clear, enum tsn_agen_op *op)
{
    unsigned p = tsn_agen_below(r, 1000);
    size_t n_marks = tsn_annot_state_count(seen);
    if (p < 150) {
        *op = TSN_AGEN_POINTER;
        if (tsn_agen_below(r, 10) == 0)
            return dump(json_pack("{s:s, s:b}", "type", "pointer", "hide", 1));
        return tsn_agen_pointer(tsn_agen_unit(r), tsn_agen_unit(r));
    }
    if (p < 250 && n_marks > 0) {
        /* A mark this client has seen; another client may delete it first:
         * then the relay answers 404, which is part of the test. */
        const json_t *m = tsn_annot_state_item(seen, tsn_agen_below(r, (unsigned)n_marks));
        *op = TSN_AGEN_DELETE;
        return tsn_agen_delete(json_integer_value(json_object_get(m, "id")), id);
    }
    if (p < 310) {
        *op = TSN_AGEN_UNDO;
        return tsn_agen_simple("undo", id);
    }
    if (p < 325 && allow_clear) {
        *op = TSN_AGEN_CLEAR;
        return tsn_agen_simple("clear", id);
    }
    if (p < 575) {
        *op = TSN_AGEN_CHAT;
        return random_chat(r, id);
    }
    if (p < 615) {
        *op = TSN_AGEN_FREEZE;
        return tsn_agen_freeze((int)tsn_agen_below(r, 2), id);
    }
    if (p < 655) {
        *op = TSN_AGEN_BOOKMARK;
        const char *label = tsn_agen_below(r, 4) == 0
                                ? NULL
                                : words[tsn_agen_below(r, sizeof words / sizeof *words)];
        return tsn_agen_bookmark(label, id);
    }
    *op = TSN_AGEN_DRAW;
    return random_draw(r, id);
}
