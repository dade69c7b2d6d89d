/* Fuzz target for common/annot_state.c: the bytes are split into messages at
 * newlines and each is given to tsn_annot_state_handle on one state, as a
 * client receives the relay's messages.
 *
 * Invariants (abort on violation):
 *  - handle returns 1, 0 or -EBADMSG (with a non-empty reason); when it is
 *    not 1 the state's dump is unchanged;
 *  - seq only grows through events (a snapshot may set any seq);
 *  - the counters agree with the dump: count = items, points = the sum of
 *    the items' points, bookmarks, frozen_by;
 *  - at the end, a second state loaded from the first's snapshot object,
 *    and a third loaded from the snapshot as text (what a late joiner gets),
 *    dump exactly the same text as the first. */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include <jansson.h>

#include "annot_state.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The counters against a fresh reading of the snapshot. */
static void check_counters(const struct tsn_annot_state *s)
{
    json_t *snap = tsn_annot_state_snapshot(s);
    if (!snap)
        abort();
    json_t *items = json_object_get(snap, "items");
    size_t points = 0, i;
    json_t *item;
    json_array_foreach(items, i, item)
    {
        points += json_array_size(json_object_get(item, "points"));
        if (tsn_annot_state_item(s, i) != item)
            abort();
    }
    if (tsn_annot_state_count(s) != json_array_size(items) || tsn_annot_state_points(s) != points ||
        tsn_annot_state_bookmarks(s) != json_array_size(json_object_get(snap, "bookmarks")) ||
        json_integer_value(json_object_get(snap, "seq")) != tsn_annot_state_seq(s))
        abort();
    const char *by = tsn_annot_state_frozen_by(s);
    json_t *frozen = json_object_get(snap, "frozen");
    if (json_is_null(frozen) ? by != NULL
                             : by && strcmp(by, json_string_value(json_object_get(frozen, "by"))))
        abort();
    json_decref(snap);
}

/* Whether the message is an "event" (rather than a snapshot). */
static int is_event(const char *text, size_t len)
{
    json_t *msg = json_loadb(text, len, 0, NULL);
    const char *type = json_string_value(json_object_get(msg, "type"));
    int yes = type && strcmp(type, "event") == 0;
    json_decref(msg);
    return yes;
}

static void assert_same(const struct tsn_annot_state *a, const struct tsn_annot_state *b)
{
    char *da = tsn_annot_state_dumps(a), *db = tsn_annot_state_dumps(b);
    if (!da || !db || strcmp(da, db) != 0)
        abort();
    free(da);
    free(db);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *text = (const char *)data;
    struct tsn_annot_state *s = tsn_annot_state_new();
    if (!s)
        abort();
    /* The previous message's dump is the next one's "before". */
    char *before = tsn_annot_state_dumps(s);
    size_t start = 0;
    while (start <= size) {
        const char *nl = memchr(text + start, '\n', size - start);
        size_t end = nl ? (size_t)(nl - text) : size;
        int64_t seq = tsn_annot_state_seq(s);
        char why[128];
        memset(why, 'X', sizeof why);
        int rc = tsn_annot_state_handle(s, text + start, end - start, why, sizeof why);
        if (rc == -EBADMSG && (why[0] == '\0' || !memchr(why, '\0', sizeof why)))
            abort();
        if (rc != 1 && rc != 0 && rc != -EBADMSG)
            abort();
        if (rc == 1) {
            /* An event moves seq up; only a snapshot may move it anywhere. */
            if (is_event(text + start, end - start) && tsn_annot_state_seq(s) <= seq)
                abort();
            free(before);
            before = tsn_annot_state_dumps(s);
            check_counters(s);
        } else {
            char *after = tsn_annot_state_dumps(s);
            if (!before || !after || strcmp(before, after) != 0)
                abort();
            free(after);
        }
        start = end + 1;
    }
    free(before);
    check_counters(s);

    /* A late joiner: from the snapshot object, and from its text. */
    struct tsn_annot_state *b = tsn_annot_state_new(), *c = tsn_annot_state_new();
    json_t *snap = tsn_annot_state_snapshot(s);
    char why[128];
    if (!b || !c || !snap || tsn_annot_state_load(b, snap, why, sizeof why) != 0)
        abort();
    char *snap_text = json_dumps(snap, TSN_ANNOT_JSON_FLAGS);
    if (!snap_text || tsn_annot_state_handle(c, snap_text, strlen(snap_text), why, sizeof why) != 1)
        abort();
    assert_same(s, b);
    assert_same(s, c);
    check_counters(b);
    check_counters(c);
    free(snap_text);
    json_decref(snap);
    tsn_annot_state_free(c);
    tsn_annot_state_free(b);
    tsn_annot_state_free(s);
    return 0;
}
