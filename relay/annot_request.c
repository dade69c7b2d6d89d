/* Annotation requests: validation of what clients send; see annot_request.h. */
#include "annot_request.h"

#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_names[] = {
    [TSN_ANNOT_ARROW] = "arrow",       [TSN_ANNOT_LINE] = "line",
    [TSN_ANNOT_CALIPER] = "caliper",   [TSN_ANNOT_ELLIPSE] = "ellipse",
    [TSN_ANNOT_FREEHAND] = "freehand", [TSN_ANNOT_TEXT] = "text",
};
#define N_KINDS (sizeof kind_names / sizeof kind_names[0])

static const char *const op_names[] = {
    [TSN_ANNOT_DRAW] = "draw",         [TSN_ANNOT_DELETE] = "delete",
    [TSN_ANNOT_UNDO] = "undo",         [TSN_ANNOT_CLEAR] = "clear",
    [TSN_ANNOT_CHAT] = "chat",         [TSN_ANNOT_FREEZE] = "freeze",
    [TSN_ANNOT_BOOKMARK] = "bookmark", [TSN_ANNOT_POINTER] = "pointer",
};
#define N_OPS (sizeof op_names / sizeof op_names[0])

const char *tsn_annot_kind_name(enum tsn_annot_kind k)
{
    return (size_t)k < N_KINDS && kind_names[k] ? kind_names[k] : "unknown";
}

const char *tsn_annot_op_name(enum tsn_annot_op op)
{
    return (size_t)op < N_OPS && op_names[op] ? op_names[op] : "unknown";
}

double tsn_annot_round(double v)
{
    return round(v * 1e5) / 1e5 + 0.0; /* + 0.0 folds -0 to 0 */
}

void tsn_annot_req_clear(struct tsn_annot_req *r)
{
    free(r->xy);
    free(r->text);
    memset(r, 0, sizeof *r);
}

static int bad(char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(char *why, size_t why_len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
    return -EBADMSG;
}

/* --- members ------------------------------------------------------------- */

static int unit_number(const json_t *v, double *out)
{
    if (!json_is_number(v))
        return -1;
    double d = json_number_value(v);
    if (!isfinite(d) || d < 0.0 || d > 1.0)
        return -1;
    *out = tsn_annot_round(d);
    return 0;
}

/* Counts the code points of valid UTF-8 (jansson has checked it) and
 * refuses control characters other than those `allowed` lists. */
static int text_ok(const char *s, size_t len, size_t min_chars, size_t max_chars,
                   const char *allowed)
{
    size_t chars = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && !(c && strchr(allowed, c))) || c == 0x7f)
            return -1;
        if ((c & 0xc0) != 0x80)
            chars++;
    }
    /* C1 controls (U+0080..U+009F, UTF-8 C2 80..C2 9F) are refused too. */
    for (size_t i = 0; i + 1 < len; i++)
        if ((unsigned char)s[i] == 0xc2 && (unsigned char)s[i + 1] < 0xa0)
            return -1;
    return chars >= min_chars && chars <= max_chars ? 0 : -1;
}

/* An optional (required when `min_chars` > 0) string member, copied. */
static int take_text(const json_t *root, const char *key, const char *field, size_t min_chars,
                     size_t max_chars, const char *allowed, char **out, char *why, size_t why_len)
{
    const json_t *v = json_object_get(root, key);
    if (!v && min_chars == 0)
        return 0;
    const char *s = json_string_value(v);
    size_t len = json_string_length(v);
    if (!s || text_ok(s, len, min_chars, max_chars, allowed) != 0)
        return bad(why, why_len,
                   "field '%s' must be %zu..%zu characters without control characters", field,
                   min_chars, max_chars);
    *out = strndup(s, len);
    return *out ? 0 : bad(why, why_len, "out of memory");
}

static int take_frame_ms(const json_t *root, struct tsn_annot_req *r, char *why, size_t why_len)
{
    const json_t *v = json_object_get(root, "frame_ms");
    if (!v)
        return 0;
    if (!json_is_integer(v) || json_integer_value(v) < 0)
        return bad(why, why_len, "field 'frame_ms' must be a non-negative integer");
    r->has_frame_ms = 1;
    r->frame_ms = json_integer_value(v);
    return 0;
}

static int take_color(const json_t *item, struct tsn_annot_req *r, char *why, size_t why_len)
{
    const json_t *v = json_object_get(item, "color");
    if (!v)
        return 0;
    const char *s = json_string_value(v);
    if (!s || json_string_length(v) != 7 || s[0] != '#' ||
        strspn(s + 1, "0123456789abcdefABCDEF") != 6)
        return bad(why, why_len, "field 'item.color' must be '#rrggbb'");
    for (int i = 0; i < 7; i++)
        r->color[i] = (char)(s[i] >= 'A' && s[i] <= 'F' ? s[i] - 'A' + 'a' : s[i]);
    r->color[7] = '\0';
    r->has_color = 1;
    return 0;
}

/* How many points each kind takes: exactly `min` when min == max. */
static void kind_points(enum tsn_annot_kind k, size_t *min, size_t *max)
{
    *min = *max = 2;
    if (k == TSN_ANNOT_TEXT)
        *min = *max = 1;
    else if (k == TSN_ANNOT_FREEHAND)
        *max = TSN_ANNOT_MAX_FREEHAND_POINTS;
}

static int take_points(const json_t *item, struct tsn_annot_req *r, char *why, size_t why_len)
{
    const json_t *pts = json_object_get(item, "points");
    if (!json_is_array(pts))
        return bad(why, why_len, "field 'item.points' must be an array of [x, y] pairs");
    size_t n = json_array_size(pts), min, max;
    kind_points(r->kind, &min, &max);
    if (r->kind == TSN_ANNOT_FREEHAND && n > max)
        return bad(why, why_len, "field 'item.points' has more than %d points",
                   TSN_ANNOT_MAX_FREEHAND_POINTS);
    if (n < min || n > max) {
        if (min == max)
            return bad(why, why_len, "field 'item.points' must have %zu point%s for kind '%s'", min,
                       min == 1 ? "" : "s", tsn_annot_kind_name(r->kind));
        return bad(why, why_len, "field 'item.points' must have %zu..%zu points for kind '%s'", min,
                   max, tsn_annot_kind_name(r->kind));
    }
    r->xy = malloc(2 * n * sizeof *r->xy);
    if (!r->xy)
        return bad(why, why_len, "out of memory");
    for (size_t i = 0; i < n; i++) {
        const json_t *p = json_array_get(pts, i);
        if (!json_is_array(p) || json_array_size(p) != 2 ||
            unit_number(json_array_get(p, 0), &r->xy[2 * i]) != 0 ||
            unit_number(json_array_get(p, 1), &r->xy[2 * i + 1]) != 0)
            return bad(why, why_len,
                       "field 'item.points[%zu]' must be two finite numbers from 0 to 1", i);
    }
    r->n_points = n;
    return 0;
}

/* --- per message --------------------------------------------------------- */

static int parse_draw(const json_t *root, struct tsn_annot_req *r, char *why, size_t why_len)
{
    const json_t *item = json_object_get(root, "item");
    if (!json_is_object(item))
        return bad(why, why_len, "field 'item' must be an object");
    const char *kind = json_string_value(json_object_get(item, "kind"));
    for (size_t k = 1; kind && k < N_KINDS; k++)
        if (strcmp(kind, kind_names[k]) == 0)
            r->kind = (enum tsn_annot_kind)k;
    if (!r->kind)
        return bad(
            why, why_len,
            "field 'item.kind' must be one of arrow, line, caliper, ellipse, freehand, text");
    if (take_points(item, r, why, why_len) || take_color(item, r, why, why_len) ||
        take_frame_ms(root, r, why, why_len))
        return -EBADMSG;
    if (r->kind != TSN_ANNOT_TEXT)
        return json_object_get(item, "text")
                   ? bad(why, why_len, "field 'item.text' is only for kind 'text'")
                   : 0;
    return take_text(item, "text", "item.text", 1, TSN_ANNOT_TEXT_MAX_CHARS, "", &r->text, why,
                     why_len);
}

static int parse_delete(const json_t *root, struct tsn_annot_req *r, char *why, size_t why_len)
{
    const json_t *v = json_object_get(root, "item");
    if (!json_is_integer(v) || json_integer_value(v) <= 0)
        return bad(why, why_len, "field 'item' must be an annotation id");
    r->item = json_integer_value(v);
    return 0;
}

static int parse_nothing(const json_t *root, struct tsn_annot_req *r, char *why, size_t why_len)
{
    (void)root;
    (void)r;
    (void)why;
    (void)why_len;
    return 0;
}

static int parse_chat(const json_t *root, struct tsn_annot_req *r, char *why, size_t why_len)
{
    return take_text(root, "text", "text", 1, TSN_ANNOT_CHAT_MAX_CHARS, "\n\t", &r->text, why,
                     why_len);
}

static int parse_freeze(const json_t *root, struct tsn_annot_req *r, char *why, size_t why_len)
{
    const json_t *v = json_object_get(root, "frozen");
    if (!json_is_boolean(v))
        return bad(why, why_len, "field 'frozen' must be a boolean");
    r->frozen = json_is_true(v);
    return take_frame_ms(root, r, why, why_len);
}

static int parse_bookmark(const json_t *root, struct tsn_annot_req *r, char *why, size_t why_len)
{
    if (take_text(root, "label", "label", 0, TSN_ANNOT_LABEL_MAX_CHARS, "", &r->text, why, why_len))
        return -EBADMSG;
    return take_frame_ms(root, r, why, why_len);
}

static int parse_pointer(const json_t *root, struct tsn_annot_req *r, char *why, size_t why_len)
{
    const json_t *hide = json_object_get(root, "hide");
    if (hide) {
        if (!json_is_true(hide))
            return bad(why, why_len, "field 'hide' must be true when given");
        r->hide = 1;
        return 0;
    }
    if (unit_number(json_object_get(root, "x"), &r->x) != 0 ||
        unit_number(json_object_get(root, "y"), &r->y) != 0)
        return bad(why, why_len, "field 'x' and 'y' must be finite numbers from 0 to 1");
    return 0;
}

static int (*const parsers[])(const json_t *, struct tsn_annot_req *, char *, size_t) = {
    [TSN_ANNOT_DRAW] = parse_draw,         [TSN_ANNOT_DELETE] = parse_delete,
    [TSN_ANNOT_UNDO] = parse_nothing,      [TSN_ANNOT_CLEAR] = parse_nothing,
    [TSN_ANNOT_CHAT] = parse_chat,         [TSN_ANNOT_FREEZE] = parse_freeze,
    [TSN_ANNOT_BOOKMARK] = parse_bookmark, [TSN_ANNOT_POINTER] = parse_pointer,
};

int tsn_annot_req_from_json(const json_t *root, enum tsn_annot_op op, struct tsn_annot_req *out,
                            char *why, size_t why_len)
{
    memset(out, 0, sizeof *out);
    if ((size_t)op >= N_OPS || !parsers[op])
        return bad(why, why_len, "unknown message type");
    out->op = op;
    int rc = parsers[op](root, out, why, why_len);
    if (rc)
        tsn_annot_req_clear(out);
    return rc;
}
