/* The invalid mode's limit phases (see annot_inv.h): pointers (forwarded to
 * the others, rounded, thinned), the per-socket rate limits (a burst of 50
 * events and of 14 chats: the first 40 and 10 pass), the room limits (500
 * marks, 50,000 points, 500 bookmarks, filled by several filler sockets so
 * it takes seconds, not minutes) and the 96 KiB message limit. Each result
 * goes into t->limits for the report; each broken promise into failures. */
#include "annot_inv.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "annot_cases.h"

#define EVENT_BURST       40
#define CHAT_BURST        10
#define MARKS_MAX         500
#define POINTS_MAX        50000
#define BOOKMARKS_MAX     500
#define FREEHAND_MAX      2000
#define MSG_MAX_BYTES     (96 * 1024)
#define FILL_PACE_US      (55 * 1000) /* 18 events/s per socket */
#define REFILL_EVENTS_MS  2300        /* 40 tokens at 20/s, and a margin */
#define REFILL_CHATS_MS   5300        /* 10 tokens at 2/s */
#define POINTER_SETTLE_MS 300

static const char R_MARKS[] = "the room has 500 annotations: delete or clear some first";
static const char R_POINTS[] =
    "the room's annotations hold too many points: delete or clear some first";
static const char R_BOOKMARKS[] = "the room has 500 bookmarks";

static int near(const json_t *v, double want)
{
    double d = json_number_value(v) - want;
    return json_is_number(v) && d < 1e-12 && d > -1e-12;
}

static void send_pointer(struct tsn_ainv *t, const char *text)
{
    json_array_clear(t->w.pointers);
    json_array_clear(t->a.pointers);
    if (tsn_anet_send_str(t->a.conn, text, 0) != 0)
        tsn_ainv_fail(t, "pointer", "cannot send", NULL);
    tsn_anet_sleep(t->net, POINTER_SETTLE_MS);
}

void tsn_ainv_pointers(struct tsn_ainv *t)
{
    t->cases += 3;
    json_array_clear(t->a.replies);
    send_pointer(t, "{\"type\":\"pointer\",\"x\":0.123456789,\"y\":0.75}");
    json_t *p = json_array_get(t->w.pointers, 0);
    const char *from = json_string_value(json_object_get(p, "from"));
    int ok = json_array_size(t->w.pointers) == 1 && from && strcmp(from, "dr-a") == 0 &&
             json_is_string(json_object_get(p, "color")) &&
             json_is_integer(json_object_get(p, "time")) && near(json_object_get(p, "y"), 0.75) &&
             json_array_size(t->a.replies) == 0 && json_array_size(t->a.pointers) == 0;
    if (!ok) {
        tsn_ainv_fail(t, "valid pointer",
                      "not forwarded once to the watcher (from dr-a, color, time, y), or "
                      "answered or echoed to its sender",
                      p);
        tsn_ainv_fail(t, "pointer rounding", "no pointer to check", NULL);
    } else {
        t->passed++;
        if (!near(json_object_get(p, "x"), 0.12346))
            tsn_ainv_fail(t, "pointer rounding", "x 0.123456789 not rounded to 0.12346", p);
        else
            t->passed++;
    }

    send_pointer(t, "{\"type\":\"pointer\",\"hide\":true}");
    p = json_array_get(t->w.pointers, 0);
    if (json_array_size(t->w.pointers) != 1 || !json_is_true(json_object_get(p, "hide")) ||
        json_array_size(t->a.replies) != 0)
        tsn_ainv_fail(t, "pointer hide", "not forwarded once with hide:true", p);
    else
        t->passed++;

    /* Ten at once: at most one per 25 ms goes on; the ones between are
     * dropped, but the latest is sent when the 25 ms end, so the others
     * end on the pointer's last position. */
    json_array_clear(t->w.pointers);
    for (int i = 1; i <= 10; i++) {
        char msg[96];
        snprintf(msg, sizeof msg, "{\"type\":\"pointer\",\"x\":0.%02d,\"y\":0.5}", i);
        tsn_anet_send_str(t->a.conn, msg, 0);
    }
    tsn_anet_sleep(t->net, POINTER_SETTLE_MS);
    size_t got = json_array_size(t->w.pointers);
    json_object_set_new(
        t->limits, "pointer_burst",
        json_pack("{s:i, s:i, s:O?, s:O?}", "sent", 10, "forwarded", (int)got, "first_x",
                  json_object_get(json_array_get(t->w.pointers, 0), "x"), "last_x",
                  json_object_get(json_array_get(t->w.pointers, got ? got - 1 : 0), "x")));
    t->cases++;
    double last_x =
        json_real_value(json_object_get(json_array_get(t->w.pointers, got ? got - 1 : 0), "x"));
    if (got < 2 || got > 3 || json_array_size(t->a.replies) != 0)
        tsn_ainv_fail(t, "pointer burst", "10 pointers at once: not 2..3 forwarded", NULL);
    else if (last_x != 0.1)
        tsn_ainv_fail(t, "pointer burst", "the last position (x 0.1) was not the last forwarded",
                      json_array_get(t->w.pointers, got - 1));
    else
        t->passed++;
}

static char *make_arrow(struct tsn_ainv *t, long i, long id)
{
    char *s = malloc(160);
    if (s)
        snprintf(s, 160,
                 "{\"type\":\"draw\",\"item\":{\"kind\":\"arrow\",\"points\":[[0.%03ld,0.2],"
                 "[0.5,0.5]]},\"id\":%ld}",
                 i % 1000, id);
    return s;
}

static char *make_chat(struct tsn_ainv *t, long i, long id)
{
    char *s = malloc(96);
    if (s)
        snprintf(s, 96, "{\"type\":\"chat\",\"text\":\"burst %ld\",\"id\":%ld}", i, id);
    return s;
}

/* A burst from A; the first `burst` (or one or two more, refilled while
 * they are sent) pass, the others get 429 with `reason`. */
static void burst(struct tsn_ainv *t, const char *name, long n, long burst_max,
                  char *(*make)(struct tsn_ainv *, long, long), const char *reason)
{
    struct tsn_aiconn *conns[] = {&t->a};
    struct tsn_ainv_batch b = {.conns = conns, .n_conns = 1, .n_msgs = n, .make = make};
    tsn_ainv_run_batch(t, &b);
    const char *got_reason = json_string_value(json_object_get(b.first_refusal, "reason"));
    t->cases++;
    json_object_set_new(t->limits, name,
                        json_pack("{s:I, s:I, s:I}", "sent", (json_int_t)n, "accepted",
                                  (json_int_t)b.accepted, "refused_429",
                                  (json_int_t)b.by_code[429]));
    if (b.accepted < burst_max || b.accepted > burst_max + 4 || b.accepted + b.by_code[429] != n ||
        !got_reason || !strstr(got_reason, reason))
        tsn_ainv_fail(t, name, "not the burst size accepted and the rest refused with 429",
                      b.first_refusal);
    else
        t->passed++;
    json_decref(b.first_refusal);
}

void tsn_ainv_rates(struct tsn_ainv *t)
{
    tsn_anet_sleep(t->net, REFILL_CHATS_MS);
    burst(t, "event_burst", 50, EVENT_BURST, make_arrow,
          "too many annotation events: at most 20 per second");
    tsn_anet_sleep(t->net, REFILL_EVENTS_MS);
    burst(t, "chat_burst", 14, CHAT_BURST, make_chat,
          "too many chat messages: at most 2 per second");
    tsn_anet_sleep(t->net, REFILL_EVENTS_MS);
}

static char *make_line(struct tsn_ainv *t, long i, long id)
{
    return make_arrow(t, i, id);
}

static long freehand_total; /* messages in the points batch */

static char *make_freehand(struct tsn_ainv *t, long i, long id)
{
    /* All 2000 points but the last, which has 1999: 49,999 in all. */
    return tsn_acase_freehand(i == freehand_total - 1 ? FREEHAND_MAX - 1 : FREEHAND_MAX, id);
}

static char *make_bookmark(struct tsn_ainv *t, long i, long id)
{
    char *s = malloc(96);
    if (s)
        snprintf(s, 96, "{\"type\":\"bookmark\",\"label\":\"fill %ld\",\"id\":%ld}", i, id);
    return s;
}

/* Fills from the filler sockets; every message must be accepted. */
static void fill(struct tsn_ainv *t, const char *name, long n,
                 char *(*make)(struct tsn_ainv *, long, long))
{
    struct tsn_aiconn *conns[TSN_AINV_FILLERS];
    for (int i = 0; i < TSN_AINV_FILLERS; i++)
        conns[i] = &t->fill[i];
    struct tsn_ainv_batch b = {.conns = conns,
                               .n_conns = TSN_AINV_FILLERS,
                               .n_msgs = n,
                               .pace_us = FILL_PACE_US,
                               .make = make};
    tsn_ainv_run_batch(t, &b);
    t->cases++;
    if (b.accepted != n)
        tsn_ainv_fail(t, name, "a filler message was refused", b.first_refusal);
    else
        t->passed++;
    json_decref(b.first_refusal);
    tsn_ainv_sync(t);
}

static void expect_count(struct tsn_ainv *t, const char *name, long long got, long long want)
{
    t->cases++;
    if (got != want) {
        char why[128];
        snprintf(why, sizeof why, "expected %lld, the watcher has %lld", want, got);
        tsn_ainv_fail(t, name, why, NULL);
    } else {
        t->passed++;
    }
}

static void marks_limit(struct tsn_ainv *t)
{
    struct tsn_aiconn *a = &t->a;
    json_decref(tsn_ainv_case(t, a, "clear before the marks limit",
                              "{\"type\":\"clear\",\"id\":@ID}", 0, NULL));
    tsn_ainv_sync(t);
    fill(t, "fill 500 marks", MARKS_MAX, make_line);
    expect_count(t, "marks after filling", (long long)tsn_annot_state_count(t->w.st), MARKS_MAX);
    static const char line[] = "{\"type\":\"draw\",\"item\":{\"kind\":\"line\",\"points\":"
                               "[[0.1,0.2],[0.3,0.4]]},\"id\":@ID}";
    json_decref(tsn_ainv_case(t, a, "mark 501", line, 409, R_MARKS));
    json_decref(tsn_ainv_case(t, a, "text mark 501",
                              "{\"type\":\"draw\",\"item\":{\"kind\":\"text\",\"points\":"
                              "[[0.1,0.2]],\"text\":\"x\"},\"id\":@ID}",
                              409, R_MARKS));
    char del[96];
    snprintf(
        del, sizeof del, "{\"type\":\"delete\",\"item\":%lld,\"id\":@ID}",
        (long long)json_integer_value(json_object_get(tsn_annot_state_item(t->w.st, 0), "id")));
    json_decref(tsn_ainv_case(t, a, "delete at the marks limit", del, 0, NULL));
    json_decref(tsn_ainv_case(t, a, "mark 500 again", line, 0, NULL));
    json_decref(tsn_ainv_case(t, a, "mark 501 again", line, 409, R_MARKS));
    json_decref(
        tsn_ainv_case(t, a, "undo at the marks limit", "{\"type\":\"undo\",\"id\":@ID}", 0, NULL));
    json_decref(tsn_ainv_case(t, a, "mark 500 after undo", line, 0, NULL));
    json_t *ev =
        tsn_ainv_case(t, a, "clear of 500 marks", "{\"type\":\"clear\",\"id\":@ID}", 0, NULL);
    if (ev && json_integer_value(json_object_get(ev, "count")) != MARKS_MAX)
        tsn_ainv_fail(t, "clear of 500 marks", "count is not 500", ev);
    json_decref(ev);
}

static void points_limit(struct tsn_ainv *t)
{
    struct tsn_aiconn *a = &t->a;
    freehand_total = POINTS_MAX / FREEHAND_MAX; /* 25 */
    fill(t, "fill 49,999 points", freehand_total, make_freehand);
    expect_count(t, "points after filling", (long long)tsn_annot_state_points(t->w.st),
                 POINTS_MAX - 1);
    json_t *ev = tsn_ainv_case(t, a, "point 50,000 (a text)",
                               "{\"type\":\"draw\",\"item\":{\"kind\":\"text\",\"points\":"
                               "[[0.1,0.2]],\"text\":\"last point\"},\"id\":@ID}",
                               0, NULL);
    long long text_id = ev ? json_integer_value(json_object_get(ev, "seq")) : 0;
    json_decref(ev);
    json_decref(tsn_ainv_case(t, a, "points 50,001-2 (an arrow)",
                              "{\"type\":\"draw\",\"item\":{\"kind\":\"arrow\",\"points\":"
                              "[[0.1,0.2],[0.3,0.4]]},\"id\":@ID}",
                              409, R_POINTS));
    char *big = tsn_acase_freehand(FREEHAND_MAX, a->next_id);
    if (big)
        json_decref(tsn_ainv_send_raw(t, a, "2000 points over the room limit", big, strlen(big),
                                      409, R_POINTS));
    free(big);
    char del[96];
    snprintf(del, sizeof del, "{\"type\":\"delete\",\"item\":%lld,\"id\":@ID}", text_id);
    json_decref(tsn_ainv_case(t, a, "delete at the points limit", del, 0, NULL));
    json_decref(tsn_ainv_case(t, a, "points 50,000-1 (a line)",
                              "{\"type\":\"draw\",\"item\":{\"kind\":\"line\",\"points\":"
                              "[[0.1,0.2],[0.3,0.4]]},\"id\":@ID}",
                              409, R_POINTS));
    json_decref(tsn_ainv_case(t, a, "clear after the points limit",
                              "{\"type\":\"clear\",\"id\":@ID}", 0, NULL));
}

static void bookmarks_limit(struct tsn_ainv *t)
{
    tsn_ainv_sync(t);
    long have = (long)tsn_annot_state_bookmarks(t->w.st);
    fill(t, "fill 500 bookmarks", BOOKMARKS_MAX - have, make_bookmark);
    expect_count(t, "bookmarks after filling", (long long)tsn_annot_state_bookmarks(t->w.st),
                 BOOKMARKS_MAX);
    json_decref(tsn_ainv_case(t, &t->a, "bookmark 501",
                              "{\"type\":\"bookmark\",\"label\":\"one more\",\"id\":@ID}", 409,
                              R_BOOKMARKS));
    json_decref(tsn_ainv_case(t, &t->a, "bookmark 501 without label",
                              "{\"type\":\"bookmark\",\"id\":@ID}", 409, R_BOOKMARKS));
}

void tsn_ainv_room_limits(struct tsn_ainv *t)
{
    struct tsn_aiconn *fillers[TSN_AINV_FILLERS];
    for (int i = 0; i < TSN_AINV_FILLERS; i++)
        fillers[i] = &t->fill[i];
    if (tsn_ainv_open(t, fillers, TSN_AINV_FILLERS) != 0) {
        tsn_ainv_fail(t, "room limits", "the filler sockets did not join", NULL);
        return;
    }
    marks_limit(t);
    points_limit(t);
    bookmarks_limit(t);
}

void tsn_ainv_oversize(struct tsn_ainv *t)
{
    struct tsn_aiconn *big[] = {&t->big};
    if (tsn_ainv_open(t, big, 1) != 0) {
        tsn_ainv_fail(t, "oversize", "the socket did not join", NULL);
        return;
    }
    /* Exactly 96 KiB: within the message limit, refused for its text only,
     * and the socket stays open. */
    char *msg = tsn_acase_chat_of_size(MSG_MAX_BYTES, t->big.next_id);
    if (msg)
        json_decref(tsn_ainv_send_raw(t, &t->big, "message of exactly 96 KiB", msg, strlen(msg),
                                      400, "field 'text' must be 1..1000 characters"));
    free(msg);
    /* One byte more: 413, then close 1008. */
    msg = tsn_acase_chat_of_size(MSG_MAX_BYTES + 1, t->big.next_id);
    tsn_ainv_no_ref_id(1);
    if (msg)
        json_decref(tsn_ainv_send_raw(t, &t->big, "message of 96 KiB + 1", msg, strlen(msg), 413,
                                      "message too large"));
    tsn_ainv_no_ref_id(0);
    free(msg);
    for (int i = 0; i < 300 && !t->big.closed; i++)
        tsn_anet_sleep(t->net, 10);
    t->cases++;
    json_object_set_new(t->limits, "oversize_close_code",
                        json_integer(t->big.closed ? t->big.close_code : 0));
    if (!t->big.closed || t->big.close_code != 1008)
        tsn_ainv_fail(t, "message of 96 KiB + 1", "the socket was not closed with 1008", NULL);
    else
        t->passed++;
}
