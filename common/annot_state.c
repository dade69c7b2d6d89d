/* A room's annotation state, built by applying the relay's sequenced events;
 * see annot_state.h. */
#include "annot_state.h"

#include <errno.h>
#include <sys/types.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct tsn_annot_state {
    int64_t seq;   /* the last event applied (0: none) */
    json_t *items; /* array of marks, id order */
    json_t *bookmarks;
    json_t *chat;   /* array of the last TSN_ANNOT_CHAT_KEPT chat entries */
    json_t *frozen; /* object, or NULL when not frozen */
    size_t points;  /* over all marks */
};

static int bad(char *why, size_t why_len, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int bad(char *why, size_t why_len, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    if (why && why_len)
        vsnprintf(why, why_len, fmt, ap);
    va_end(ap);
    return -EBADMSG;
}

struct tsn_annot_state *tsn_annot_state_new(void)
{
    struct tsn_annot_state *s = calloc(1, sizeof *s);
    if (!s)
        return NULL;
    s->items = json_array();
    s->bookmarks = json_array();
    s->chat = json_array();
    if (!s->items || !s->bookmarks || !s->chat) {
        tsn_annot_state_free(s);
        return NULL;
    }
    return s;
}

void tsn_annot_state_free(struct tsn_annot_state *s)
{
    if (!s)
        return;
    json_decref(s->items);
    json_decref(s->bookmarks);
    json_decref(s->chat);
    json_decref(s->frozen);
    free(s);
}

/* --- reading the members of an event ------------------------------------- */

static int get_int(const json_t *o, const char *key, int64_t *out)
{
    const json_t *v = json_object_get(o, key);
    if (!json_is_integer(v))
        return -1;
    *out = json_integer_value(v);
    return 0;
}

static size_t item_points(const json_t *item)
{
    return json_array_size(json_object_get(item, "points"));
}

/* A mark as the relay sends it: an object with an integer id, a string
 * kind and by, and an array of points. */
static int check_item(const json_t *item, char *why, size_t why_len)
{
    int64_t id;
    if (!json_is_object(item) || get_int(item, "id", &id) != 0 || id <= 0 ||
        !json_is_string(json_object_get(item, "kind")) ||
        !json_is_string(json_object_get(item, "by")) ||
        !json_is_array(json_object_get(item, "points")))
        return bad(why, why_len, "a mark needs an id, kind, by and points");
    return 0;
}

static ssize_t item_index(const struct tsn_annot_state *s, int64_t id)
{
    size_t i;
    json_t *item;
    json_array_foreach(s->items, i, item)
    {
        int64_t v;
        if (get_int(item, "id", &v) == 0 && v == id)
            return (ssize_t)i;
    }
    return -1;
}

/* --- applying events ----------------------------------------------------- */

static int apply_draw(struct tsn_annot_state *s, const json_t *ev, char *why, size_t why_len)
{
    json_t *item = json_object_get(ev, "item");
    if (check_item(item, why, why_len) != 0)
        return -EBADMSG;
    if (json_array_append(s->items, item) != 0)
        return -ENOMEM;
    s->points += item_points(item);
    return 0;
}

static int apply_delete(struct tsn_annot_state *s, const json_t *ev, char *why, size_t why_len)
{
    int64_t id;
    if (get_int(ev, "item", &id) != 0)
        return bad(why, why_len, "a delete needs an integer 'item'");
    ssize_t i = item_index(s, id);
    if (i >= 0) {
        s->points -= item_points(json_array_get(s->items, (size_t)i));
        json_array_remove(s->items, (size_t)i);
    }
    return 0;
}

static int apply_clear(struct tsn_annot_state *s, const json_t *ev, char *why, size_t why_len)
{
    (void)ev;
    (void)why;
    (void)why_len;
    json_array_clear(s->items);
    s->points = 0;
    return 0;
}

static int apply_chat(struct tsn_annot_state *s, const json_t *ev, char *why, size_t why_len)
{
    json_t *text = json_object_get(ev, "text");
    if (!json_is_string(text))
        return bad(why, why_len, "a chat event needs a string 'text'");
    json_t *media = json_object_get(ev, "media");
    json_t *entry =
        json_pack("{s:O, s:O, s:O, s:O, s:O}", "seq", json_object_get(ev, "seq"), "time",
                  json_object_get(ev, "time"), "from", json_object_get(ev, "from"), "text", text,
                  "media", media ? media : json_null());
    if (!entry || json_array_append_new(s->chat, entry) != 0)
        return -ENOMEM;
    while (json_array_size(s->chat) > TSN_ANNOT_CHAT_KEPT)
        json_array_remove(s->chat, 0);
    return 0;
}

static int apply_freeze(struct tsn_annot_state *s, const json_t *ev, char *why, size_t why_len)
{
    json_t *frozen = json_object_get(ev, "frozen");
    if (!json_is_boolean(frozen))
        return bad(why, why_len, "a freeze event needs a boolean 'frozen'");
    json_t *now = NULL;
    if (json_is_true(frozen)) {
        json_t *media = json_object_get(ev, "media");
        now = json_pack("{s:O, s:O, s:O, s:O}", "by", json_object_get(ev, "from"), "seq",
                        json_object_get(ev, "seq"), "time", json_object_get(ev, "time"), "media",
                        media ? media : json_null());
        if (!now)
            return -ENOMEM;
    }
    json_decref(s->frozen);
    s->frozen = now;
    return 0;
}

static int apply_bookmark(struct tsn_annot_state *s, const json_t *ev, char *why, size_t why_len)
{
    json_t *b = json_object_get(ev, "bookmark");
    int64_t id;
    if (!json_is_object(b) || get_int(b, "id", &id) != 0)
        return bad(why, why_len, "a bookmark event needs a 'bookmark' object with an id");
    return json_array_append(s->bookmarks, b) == 0 ? 0 : -ENOMEM;
}

static const struct {
    const char *op;
    int (*fn)(struct tsn_annot_state *, const json_t *, char *, size_t);
} ops[] = {
    {"draw", apply_draw},         {"delete", apply_delete}, {"undo", apply_delete},
    {"clear", apply_clear},       {"chat", apply_chat},     {"freeze", apply_freeze},
    {"bookmark", apply_bookmark},
};

int tsn_annot_state_apply(struct tsn_annot_state *s, const json_t *event, char *why, size_t why_len)
{
    int64_t seq, time_ms;
    const char *type = json_string_value(json_object_get(event, "type"));
    const char *op = json_string_value(json_object_get(event, "op"));
    if (!type || strcmp(type, "event") != 0)
        return bad(why, why_len, "not an event");
    if (get_int(event, "seq", &seq) != 0 || seq <= 0 || get_int(event, "time", &time_ms) != 0 ||
        !json_is_string(json_object_get(event, "from")) || !op)
        return bad(why, why_len, "an event needs an integer seq and time, a string from and op");
    if (seq <= s->seq)
        return -EALREADY;
    for (size_t i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strcmp(ops[i].op, op) == 0) {
            int rc = ops[i].fn(s, event, why, why_len);
            if (rc == 0)
                s->seq = seq;
            return rc;
        }
    return bad(why, why_len, "unknown event op");
}

/* --- snapshots ----------------------------------------------------------- */

int tsn_annot_state_load(struct tsn_annot_state *s, const json_t *snap, char *why, size_t why_len)
{
    int64_t seq;
    const char *type = json_string_value(json_object_get(snap, "type"));
    json_t *items = json_object_get(snap, "items");
    json_t *bookmarks = json_object_get(snap, "bookmarks");
    json_t *chat = json_object_get(snap, "chat");
    json_t *frozen = json_object_get(snap, "frozen");
    if (!type || strcmp(type, "annotations") != 0 || get_int(snap, "seq", &seq) != 0 || seq < 0 ||
        !json_is_array(items) || !json_is_array(bookmarks) || !json_is_array(chat) ||
        !(json_is_null(frozen) || json_is_object(frozen)))
        return bad(why, why_len,
                   "a snapshot needs seq, items, bookmarks and chat arrays and frozen");
    size_t i, points = 0;
    json_t *item;
    json_array_foreach(items, i, item)
    {
        if (check_item(item, why, why_len) != 0)
            return -EBADMSG;
        points += item_points(item);
    }
    json_t *ni = json_deep_copy(items), *nb = json_deep_copy(bookmarks), *nc = json_deep_copy(chat),
           *nf = json_is_object(frozen) ? json_deep_copy(frozen) : NULL;
    if (!ni || !nb || !nc || (json_is_object(frozen) && !nf)) {
        json_decref(ni);
        json_decref(nb);
        json_decref(nc);
        json_decref(nf);
        return -ENOMEM;
    }
    json_decref(s->items);
    json_decref(s->bookmarks);
    json_decref(s->chat);
    json_decref(s->frozen);
    s->items = ni;
    s->bookmarks = nb;
    s->chat = nc;
    s->frozen = nf;
    s->points = points;
    s->seq = seq;
    return 0;
}

int tsn_annot_state_handle(struct tsn_annot_state *s, const char *text, size_t len, char *why,
                           size_t why_len)
{
    json_error_t err;
    json_t *msg = json_loadb(text, len, JSON_REJECT_DUPLICATES, &err);
    if (!msg)
        return bad(why, why_len, "not JSON: %s", err.text);
    const char *type = json_string_value(json_object_get(msg, "type"));
    int rc = 0;
    if (type && strcmp(type, "event") == 0) {
        rc = tsn_annot_state_apply(s, msg, why, why_len);
        rc = rc == 0 ? 1 : (rc == -EALREADY ? 0 : rc);
    } else if (type && strcmp(type, "annotations") == 0) {
        rc = tsn_annot_state_load(s, msg, why, why_len);
        rc = rc == 0 ? 1 : rc;
    }
    json_decref(msg);
    return rc;
}

json_t *tsn_annot_state_snapshot(const struct tsn_annot_state *s)
{
    return json_pack("{s:s, s:I, s:O, s:O, s:O, s:O}", "type", "annotations", "seq",
                     (json_int_t)s->seq, "items", s->items, "bookmarks", s->bookmarks, "frozen",
                     s->frozen ? s->frozen : json_null(), "chat", s->chat);
}

char *tsn_annot_state_dumps(const struct tsn_annot_state *s)
{
    json_t *snap = tsn_annot_state_snapshot(s);
    char *text = snap ? json_dumps(snap, TSN_ANNOT_JSON_FLAGS | JSON_SORT_KEYS) : NULL;
    json_decref(snap);
    return text;
}

/* --- queries ------------------------------------------------------------- */

int64_t tsn_annot_state_seq(const struct tsn_annot_state *s)
{
    return s->seq;
}

size_t tsn_annot_state_count(const struct tsn_annot_state *s)
{
    return json_array_size(s->items);
}

const json_t *tsn_annot_state_item(const struct tsn_annot_state *s, size_t i)
{
    return json_array_get(s->items, i);
}

const json_t *tsn_annot_state_find(const struct tsn_annot_state *s, int64_t id)
{
    ssize_t i = item_index(s, id);
    return i >= 0 ? json_array_get(s->items, (size_t)i) : NULL;
}

int64_t tsn_annot_state_newest_by(const struct tsn_annot_state *s, const char *sub)
{
    for (size_t i = json_array_size(s->items); i-- > 0;) {
        const json_t *item = json_array_get(s->items, i);
        const char *by = json_string_value(json_object_get(item, "by"));
        int64_t id;
        if (by && strcmp(by, sub) == 0 && get_int(item, "id", &id) == 0)
            return id;
    }
    return -1;
}

size_t tsn_annot_state_points(const struct tsn_annot_state *s)
{
    return s->points;
}

size_t tsn_annot_state_bookmarks(const struct tsn_annot_state *s)
{
    return json_array_size(s->bookmarks);
}

const char *tsn_annot_state_frozen_by(const struct tsn_annot_state *s)
{
    return s->frozen ? json_string_value(json_object_get(s->frozen, "by")) : NULL;
}
