/* Fuzz target for tsn_annot_req_from_json (relay/annot_request.c): the bytes
 * are decoded with jansson (NUL allowed in strings, so the validator sees
 * them too) and validated as every op in turn; what is accepted is then
 * applied to a fresh annotation room (relay/annot_room.c) and the events are
 * replayed into a client state (common/annot_state.c).
 *
 * Invariants (abort on violation):
 *  - on error: -EBADMSG, the request is all zero, `why` a non-empty string;
 *  - on success: op as asked; a draw has a known kind, a point count the
 *    kind allows, every coordinate in 0..1 and already rounded to 5
 *    decimals, a colour "#" + 6 lowercase hex digits when given, a text only
 *    for kind text; chat text 1..1000 code points and labels 0..200 without
 *    control characters (newline and tab in chat only); frame_ms >= 0;
 *    pointer x/y in range or hide;
 *  - clear() leaves the request all zero;
 *  - the room accepts every valid non-pointer request or answers 404/409
 *    with a reason, refuses a pointer with 400; the client fed the room's
 *    events (as text) ends equal to the room's snapshot. */
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "annot_request.h"
#include "annot_room.h"
#include "annot_state.h"
#include "sigmsg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int is_zero(const struct tsn_annot_req *r)
{
    static const struct tsn_annot_req zero;
    return memcmp(r, &zero, sizeof zero) == 0;
}

/* Valid UTF-8 (jansson checked) of min..max code points, no control
 * characters but those in `allowed`. */
static void check_text(const char *s, size_t min, size_t max, const char *allowed)
{
    if (!s)
        abort();
    size_t chars = 0, len = strlen(s);
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if ((c < 0x20 && !strchr(allowed, c)) || c == 0x7f)
            abort();
        if (c == 0xc2 && i + 1 < len && (unsigned char)s[i + 1] < 0xa0)
            abort();
        if ((c & 0xc0) != 0x80)
            chars++;
    }
    if (chars < min || chars > max)
        abort();
}

static void check_unit(double v)
{
    if (!isfinite(v) || v < 0.0 || v > 1.0 || tsn_annot_round(v) != v)
        abort();
}

static void check_draw(const struct tsn_annot_req *r)
{
    size_t min = 2, max = 2;
    if (r->kind == TSN_ANNOT_TEXT)
        min = max = 1;
    else if (r->kind == TSN_ANNOT_FREEHAND)
        max = TSN_ANNOT_MAX_FREEHAND_POINTS;
    else if (r->kind < TSN_ANNOT_ARROW || r->kind > TSN_ANNOT_TEXT)
        abort();
    if (r->n_points < min || r->n_points > max || !r->xy)
        abort();
    for (size_t i = 0; i < 2 * r->n_points; i++)
        check_unit(r->xy[i]);
    if (r->has_color) {
        if (strlen(r->color) != 7 || r->color[0] != '#' ||
            strspn(r->color + 1, "0123456789abcdef") != 6)
            abort();
    } else if (r->color[0]) {
        abort();
    }
    if (r->kind == TSN_ANNOT_TEXT)
        check_text(r->text, 1, TSN_ANNOT_TEXT_MAX_CHARS, "");
    else if (r->text)
        abort();
}

static void check_req(const struct tsn_annot_req *r, enum tsn_annot_op op)
{
    if (r->op != op || (r->has_frame_ms ? r->frame_ms < 0 : r->frame_ms != 0))
        abort();
    if (op != TSN_ANNOT_DRAW && (r->xy || r->n_points || r->kind || r->has_color))
        abort();
    switch (op) {
    case TSN_ANNOT_DRAW:
        check_draw(r);
        break;
    case TSN_ANNOT_DELETE:
        if (r->item <= 0)
            abort();
        break;
    case TSN_ANNOT_CHAT:
        check_text(r->text, 1, TSN_ANNOT_CHAT_MAX_CHARS, "\n\t");
        break;
    case TSN_ANNOT_BOOKMARK:
        if (r->text)
            check_text(r->text, 0, TSN_ANNOT_LABEL_MAX_CHARS, "");
        break;
    case TSN_ANNOT_FREEZE:
        if (r->frozen != 0 && r->frozen != 1)
            abort();
        break;
    case TSN_ANNOT_POINTER:
        if (r->hide ? r->hide != 1 : 0)
            abort();
        if (!r->hide) {
            check_unit(r->x);
            check_unit(r->y);
        }
        break;
    default:
        break;
    }
    if (op != TSN_ANNOT_DRAW && op != TSN_ANNOT_CHAT && op != TSN_ANNOT_BOOKMARK && r->text)
        abort();
}

/* Applies an accepted request to the room and its event to the client. */
static void apply(struct tsn_annot_rooms *rs, struct tsn_annot_state *client,
                  const struct tsn_annot_req *r, int64_t now_ms)
{
    static const struct tsn_frame_info frame = {
        .rtp_ts = 2714430, .has_capture_ms = 1, .capture_ms = 1795746031140};
    static const struct tsn_stream_meta meta = {
        .has_pixel_spacing = 1,
        .pixel_spacing_x_mm = 0.2,
        .pixel_spacing_y_mm = 0.25,
        .has_width = 1,
        .width = 640,
        .has_height = 1,
        .height = 480,
    };
    struct tsn_annot_ctx ctx = {.sub = "fuzz", .now_ms = now_ms, .frame = &frame, .meta = &meta};
    json_t *ev = NULL;
    char why[256] = "";
    int status = tsn_annot_rooms_apply(rs, "r", r, &ctx, &ev, why, sizeof why);
    if (r->op == TSN_ANNOT_POINTER) {
        if (status != 400 || ev)
            abort();
        return;
    }
    if (status != 0) {
        /* 404: nothing to delete or undo (the room is fresh per input) */
        if ((status != 404 && status != 409) || ev || !why[0])
            abort();
        return;
    }
    char *text = tsn_sig_dump(ev, -1);
    json_decref(ev);
    if (!text)
        abort();
    if (tsn_annot_state_handle(client, text, strlen(text), why, sizeof why) != 1)
        abort();
    free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    json_t *root = json_loadb((const char *)data, size, JSON_ALLOW_NUL, NULL);
    if (!root)
        return 0;
    struct tsn_annot_rooms *rs = tsn_annot_rooms_new(TSN_ANNOT_LINGER_MS);
    struct tsn_annot_state *client = tsn_annot_state_new();
    if (!rs || !client || !tsn_annot_rooms_join(rs, "r", "fuzz", 1))
        abort();
    for (int op = 0; op <= TSN_ANNOT_POINTER + 1; op++) {
        struct tsn_annot_req r;
        char why[256];
        memset(why, 'X', sizeof why);
        memset(&r, 0x5a, sizeof r);
        int rc = tsn_annot_req_from_json(root, (enum tsn_annot_op)op, &r, why, sizeof why);
        if (rc != 0) {
            if (rc != -EBADMSG || !is_zero(&r) || why[0] == '\0' || !memchr(why, '\0', sizeof why))
                abort();
            continue;
        }
        if (op < TSN_ANNOT_DRAW || op > TSN_ANNOT_POINTER)
            abort();
        check_req(&r, (enum tsn_annot_op)op);
        apply(rs, client, &r, 1000 + op);
        tsn_annot_req_clear(&r);
        if (!is_zero(&r))
            abort();
    }
    /* The client built from the events equals the room. */
    json_t *snap = tsn_annot_rooms_snapshot(rs, "r");
    char *room = snap ? json_dumps(snap, TSN_ANNOT_JSON_FLAGS | JSON_SORT_KEYS) : NULL;
    char *mine = tsn_annot_state_dumps(client);
    if (!room || !mine || strcmp(room, mine) != 0)
        abort();
    free(room);
    free(mine);
    json_decref(snap);
    tsn_annot_state_free(client);
    tsn_annot_rooms_free(rs);
    json_decref(root);
    return 0;
}
