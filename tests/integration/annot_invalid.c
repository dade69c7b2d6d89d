/* tsn-annot-clients invalid: refusals change nothing. In a fresh room a
 * clinician (A) draws a baseline that a watcher (an observer socket) sees;
 * then A, a second clinician (B) and an observer send the catalogue of
 * annot_cases.c one message at a time, each expecting its error code,
 * reason, ref and id (or acceptance, for the valid messages at the limits);
 * then the rate limits (a burst of 50 events, of 14 chats), the room limits
 * (500 marks, 50,000 points, 500 bookmarks, filled from several sockets),
 * and a message over 96 KiB, which must close its socket with 1008.
 *
 * At the end the watcher's state must equal the baseline plus exactly the
 * events the valid messages made (applied in seq order to the baseline
 * snapshot), every other socket's state must equal it, and a fresh joiner's
 * snapshot too. The relay's health endpoint is the script's to check. */
#include "annot_modes.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "annot_cases.h"
#include "annot_inv.h"
#include "annot_state.h"

#define ANNOT_TEXT_MAX 200
#define CHAT_TEXT_MAX  1000
#define FREEHAND_MAX   2000
#define MSG_MAX_BYTES  (96 * 1024)

/* The baseline: one mark of each kind, a chat and a bookmark. */
static int phase_baseline(struct tsn_ainv *t)
{
    static const char *const msgs[] = {
        "{\"type\":\"draw\",\"item\":{\"kind\":\"arrow\",\"points\":[[0.1,0.1],[0.2,0.3]]},"
        "\"id\":@ID}",
        "{\"type\":\"draw\",\"item\":{\"kind\":\"line\",\"points\":[[0.5,0.1],[0.6,0.3]],"
        "\"color\":\"#00ff00\"},\"id\":@ID}",
        "{\"type\":\"draw\",\"item\":{\"kind\":\"caliper\",\"points\":[[0.41,0.52],[0.6775,0.52]]},"
        "\"id\":@ID}",
        "{\"type\":\"draw\",\"item\":{\"kind\":\"ellipse\",\"points\":[[0.5,0.5],[0.6,0.62]]},"
        "\"id\":@ID}",
        "{\"type\":\"draw\",\"item\":{\"kind\":\"freehand\",\"points\":[[0.3,0.3],[0.31,0.32],"
        "[0.33,0.35]]},\"id\":@ID}",
        "{\"type\":\"draw\",\"item\":{\"kind\":\"text\",\"points\":[[0.1,0.1]],"
        "\"text\":\"needle tip here\"},\"id\":@ID}",
        "{\"type\":\"chat\",\"text\":\"baseline chat\",\"id\":@ID}",
        "{\"type\":\"bookmark\",\"label\":\"baseline\",\"id\":@ID}",
    };
    for (size_t i = 0; i < sizeof msgs / sizeof *msgs; i++) {
        char name[48];
        snprintf(name, sizeof name, "baseline %zu", i + 1);
        json_t *ev = tsn_ainv_case(t, &t->a, name, msgs[i], 0, NULL);
        if (!ev)
            return -EPROTO;
        if (strstr(msgs[i], "\"chat\""))
            t->chat_seq = json_integer_value(json_object_get(ev, "seq"));
        else if (strstr(msgs[i], "\"draw\""))
            t->mark = json_integer_value(json_object_get(ev, "seq"));
        json_decref(ev);
    }
    if (tsn_ainv_sync(t) != 0)
        return -ETIMEDOUT;
    /* A deep copy: the snapshot shares the state's arrays, which the
     * watcher keeps changing. */
    json_t *snap = tsn_annot_state_snapshot(t->w.st);
    t->baseline = json_deep_copy(snap);
    json_decref(snap);
    t->baseline_seq = tsn_annot_state_seq(t->w.st);
    /* Everything so far was valid: start the list of expected events over. */
    json_array_clear(t->accepted);
    return t->baseline ? 0 : -ENOMEM;
}

static void phase_catalogue(struct tsn_ainv *t)
{
    size_t n;
    const struct tsn_acase *cases = tsn_acase_table(&n);
    for (size_t i = 0; i < n; i++) {
        struct tsn_aiconn *c = cases[i].who == TSN_ACASE_A   ? &t->a
                               : cases[i].who == TSN_ACASE_B ? &t->b
                                                             : &t->obs;
        json_decref(
            tsn_ainv_case(t, c, cases[i].name, cases[i].text, cases[i].code, cases[i].reason));
    }
}

/* A generated message (owned text, "@ID"-free: id already in). */
static json_t *gen_case(struct tsn_ainv *t, struct tsn_aiconn *c, const char *name, char *text,
                        int code, const char *reason)
{
    if (!text) {
        tsn_ainv_fail(t, name, "cannot build the message", NULL);
        return NULL;
    }
    json_t *r = tsn_ainv_send_raw(t, c, name, text, strlen(text), code, reason);
    free(text);
    return r;
}

/* Sizes at and over the limits. */
static void phase_sizes(struct tsn_ainv *t)
{
    struct tsn_aiconn *a = &t->a;
    static const char R_TEXT[] = "field 'item.text' must be 1..200 characters";
    static const char R_CHAT[] = "field 'text' must be 1..1000 characters";
    static const char R_LABEL[] = "field 'label' must be 0..200 characters";
    static const char R_MANY[] = "field 'item.points' has more than 2000 points";
    json_decref(gen_case(t, a, "freehand of 2000 points",
                         tsn_acase_freehand(FREEHAND_MAX, a->next_id), 0, NULL));
    json_decref(gen_case(t, a, "freehand of 2001 points",
                         tsn_acase_freehand(FREEHAND_MAX + 1, a->next_id), 400, R_MANY));
    json_decref(gen_case(t, a, "freehand of 5000 points", tsn_acase_freehand(5000, a->next_id), 400,
                         R_MANY));
    const struct {
        const char *type, *unit, *name;
        size_t n;
        int code;
        const char *reason;
    } texts[] = {
        {"text", "a", "text of 200 characters", ANNOT_TEXT_MAX, 0, NULL},
        {"text", "a", "text of 201 characters", ANNOT_TEXT_MAX + 1, 400, R_TEXT},
        {"text", "\xc3\xa9", "text of 200 two-byte characters", ANNOT_TEXT_MAX, 0, NULL},
        {"text", "\xc3\xa9", "text of 201 two-byte characters", ANNOT_TEXT_MAX + 1, 400, R_TEXT},
        {"text", "\xf0\x9f\x98\x80", "text of 200 four-byte characters", ANNOT_TEXT_MAX, 0, NULL},
        {"chat", "b", "chat of 1000 characters", CHAT_TEXT_MAX, 0, NULL},
        {"chat", "b", "chat of 1001 characters", CHAT_TEXT_MAX + 1, 400, R_CHAT},
        {"chat", "\xe2\x86\x92", "chat of 1000 three-byte characters", CHAT_TEXT_MAX, 0, NULL},
        {"bookmark", "c", "label of 200 characters", ANNOT_TEXT_MAX, 0, NULL},
        {"bookmark", "c", "label of 201 characters", ANNOT_TEXT_MAX + 1, 400, R_LABEL},
    };
    for (size_t i = 0; i < sizeof texts / sizeof *texts; i++)
        json_decref(
            gen_case(t, a, texts[i].name,
                     tsn_acase_long_text(texts[i].type, texts[i].unit, texts[i].n, a->next_id),
                     texts[i].code, texts[i].reason));
}

static int near(const json_t *v, double want)
{
    double d = json_number_value(v) - want;
    return json_is_number(v) && d < 1e-12 && d > -1e-12;
}

/* What the relay does to valid marks: rounding, colours, measurements,
 * and the ids delete/undo/clear act on. */
static void phase_semantics(struct tsn_ainv *t)
{
    struct tsn_aiconn *a = &t->a;
    json_t *ev = tsn_ainv_case(
        t, a, "rounding to 5 decimals",
        "{\"type\":\"draw\",\"item\":{\"kind\":\"line\",\"points\":[[0.123456789,0.5],"
        "[0.987654321,0.000004]],\"color\":\"#ABCDEF\"},\"id\":@ID}",
        0, NULL);
    json_t *item = json_object_get(ev, "item");
    json_t *pts = json_object_get(item, "points");
    if (ev && !(near(json_array_get(json_array_get(pts, 0), 0), 0.12346) &&
                near(json_array_get(json_array_get(pts, 0), 1), 0.5) &&
                near(json_array_get(json_array_get(pts, 1), 0), 0.98765) &&
                near(json_array_get(json_array_get(pts, 1), 1), 0.0)))
        tsn_ainv_fail(t, "rounding to 5 decimals", "points not rounded to 5 decimals", ev);
    const char *color = json_string_value(json_object_get(item, "color"));
    if (ev && (!color || strcmp(color, "#abcdef") != 0))
        tsn_ainv_fail(t, "colour stored in lower case", "color is not #abcdef", ev);
    const char *by = json_string_value(json_object_get(item, "by"));
    if (ev && (!by || strcmp(by, "dr-a") != 0 ||
               !json_equal(json_object_get(item, "id"), json_object_get(ev, "seq"))))
        tsn_ainv_fail(t, "mark id and author", "item.id is not the seq or by is not dr-a", ev);
    json_int_t line_id = json_integer_value(json_object_get(ev, "seq"));
    json_decref(ev);

    ev = tsn_ainv_case(t, a, "caliper without a stream",
                       "{\"type\":\"draw\",\"item\":{\"kind\":\"caliper\",\"points\":[[0.1,0.1],"
                       "[0.2,0.2]]},\"id\":@ID}",
                       0, NULL);
    if (ev && json_object_get(json_object_get(ev, "item"), "mm"))
        tsn_ainv_fail(t, "caliper without a stream", "mm present though the room has no stream",
                      ev);
    if (ev && !json_is_null(json_object_get(ev, "media")))
        tsn_ainv_fail(t, "media without a stream", "media is not null", ev);
    json_decref(ev);

    /* delete an existing mark, then the same again */
    char msg[128];
    snprintf(msg, sizeof msg, "{\"type\":\"delete\",\"item\":%lld,\"id\":@ID}", (long long)line_id);
    ev = tsn_ainv_case(t, a, "delete of an existing mark", msg, 0, NULL);
    if (ev && json_integer_value(json_object_get(ev, "item")) != line_id)
        tsn_ainv_fail(t, "delete of an existing mark", "event item is not the deleted id", ev);
    json_decref(ev);
    json_decref(tsn_ainv_case(t, a, "delete of a deleted mark", msg, 404, "no such annotation"));

    /* undo removes A's newest mark */
    if (tsn_ainv_sync(t) == 0) {
        int64_t newest = tsn_annot_state_newest_by(t->w.st, "dr-a");
        ev = tsn_ainv_case(t, a, "undo of one's own", "{\"type\":\"undo\",\"id\":@ID}", 0, NULL);
        if (ev && json_integer_value(json_object_get(ev, "item")) != newest)
            tsn_ainv_fail(t, "undo of one's own", "event item is not A's newest mark", ev);
        json_decref(ev);
    }
    json_decref(tsn_ainv_case(t, &t->b, "undo by B while A has marks",
                              "{\"type\":\"undo\",\"id\":@ID}", 404, "nothing of yours to undo"));
    tsn_ainv_pointers(t);
}

/* The clinician who froze the picture leaves: the relay unfreezes it
 * with an event of its own (reason "left the room"). */
static void phase_freeze_leave(struct tsn_ainv *t)
{
    json_decref(tsn_ainv_case(t, &t->b, "freeze by B",
                              "{\"type\":\"freeze\",\"frozen\":true,\"id\":@ID}", 0, NULL));
    if (tsn_ainv_sync(t) != 0)
        return;
    const char *by = tsn_annot_state_frozen_by(t->w.st);
    t->cases++;
    if (!by || strcmp(by, "dr-b") != 0) {
        tsn_ainv_fail(t, "freeze by B", "the watcher does not see the picture frozen by dr-b",
                      NULL);
        return;
    }
    int64_t before = t->w.last_seq;
    tsn_anet_close(t->b.conn);
    for (int i = 0; i < 300 && t->w.last_seq == before; i++)
        tsn_anet_sleep(t->net, 10);
    json_t *ev = t->w.last_event;
    const char *op = json_string_value(json_object_get(ev, "op"));
    const char *reason = json_string_value(json_object_get(ev, "reason"));
    const char *from = json_string_value(json_object_get(ev, "from"));
    if (t->w.last_seq != before + 1 || !op || strcmp(op, "freeze") != 0 ||
        !json_is_false(json_object_get(ev, "frozen")) || !reason ||
        strcmp(reason, "left the room") != 0) {
        tsn_ainv_fail(t, "freezer leaves", "no unfreeze event with reason 'left the room'", ev);
        return;
    }
    /* Who the relay names as "from" is not fixed by the protocol: shown. */
    json_object_set_new(t->limits, "unfreeze_on_leave_from", json_string(from ? from : ""));
    t->passed++;
    /* The relay's own event belongs to the expected state too. */
    json_array_append_new(t->accepted, json_deep_copy(ev));
}

int tsn_annot_invalid(const struct tsn_aopts *o)
{
    struct tsn_ainv t;
    int status = TSN_AEXIT_CONNECT;
    if (o->n_tokens < TSN_AINV_TOKENS) {
        fprintf(stderr, "tsn-annot-clients: invalid needs %d tokens, got %zu\n", TSN_AINV_TOKENS,
                o->n_tokens);
        return TSN_AEXIT_USAGE;
    }
    if (tsn_ainv_init(&t, o) != 0)
        goto out;
    if (tsn_ainv_join(&t) != 0)
        goto out;
    status = TSN_AEXIT_FAILED;
    int64_t t0 = tsn_anet_now_us();
    if (phase_baseline(&t) != 0) {
        tsn_ainv_fail(&t, "baseline", "the baseline was not accepted or not seen", NULL);
        goto report;
    }
    phase_catalogue(&t);
    phase_sizes(&t);
    phase_semantics(&t);
    tsn_ainv_rates(&t);
    tsn_ainv_room_limits(&t);
    phase_freeze_leave(&t);
    tsn_ainv_oversize(&t);
    tsn_ainv_final(&t);
report:
    status = tsn_ainv_report(&t, tsn_anet_now_us() - t0) ? TSN_AEXIT_FAILED : TSN_AEXIT_OK;
out:
    tsn_ainv_cleanup(&t);
    return status;
}
