/* telesono-view's annotations (see view_annot.h).
 *
 * Ownership: the jansson state and the message counters belong to the main
 * context. The mutex guards what the drawing thread reads (the current
 * render list, the pointer table, the banner) and the drawing counters. A
 * render list is reference-counted: draw takes a reference under the lock
 * and draws after unlocking, so a rebuild never waits for a frame. */
#include "view_annot.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <jansson.h>

#include "annot_state.h"
#include "log.h"
#include "overlay.h"

#define BANNER_LEN 96

struct pointer_slot {
    struct tsn_overlay_pointer p; /* p.name is the participant's sub (the key) */
    int64_t updated_us;           /* 0: the slot is free */
};

struct tsn_view_annot {
    /* main context only */
    struct tsn_annot_state *state;
    int64_t events, snapshots, pointer_msgs, rejected;
    unsigned warned_conn; /* connection whose bad message was logged (0: none) */

    pthread_mutex_t lock; /* guards everything below */
    struct tsn_overlay_list *marks;
    struct pointer_slot pointers[TSN_VIEW_ANNOT_MAX_POINTERS];
    char banner[BANNER_LEN]; /* "" when not frozen */
    int64_t frames_drawn;
    double draw_us_sum, draw_us_max;
};

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

struct tsn_view_annot *tsn_view_annot_new(void)
{
    struct tsn_view_annot *a = calloc(1, sizeof *a);
    if (!a)
        return NULL;
    pthread_mutex_init(&a->lock, NULL);
    a->state = tsn_annot_state_new();
    a->marks = a->state ? tsn_overlay_build(a->state) : NULL;
    if (!a->marks) {
        tsn_view_annot_free(a);
        return NULL;
    }
    return a;
}

void tsn_view_annot_free(struct tsn_view_annot *a)
{
    if (!a)
        return;
    tsn_overlay_unref(a->marks);
    tsn_annot_state_free(a->state);
    pthread_mutex_destroy(&a->lock);
    free(a);
}

/* ---- main context: state changes ---- */

/* Rebuilds the render list and the banner from the state and swaps them in.
 * On OOM the old list stays (the picture shows the previous marks). */
static void publish(struct tsn_view_annot *a)
{
    struct tsn_overlay_list *fresh = tsn_overlay_build(a->state);
    const char *by = tsn_annot_state_frozen_by(a->state);
    char banner[BANNER_LEN] = "";
    if (by) {
        strcpy(banner, "FROZEN by ");
        tsn_overlay_copy_text(banner + strlen(banner), sizeof banner - strlen(banner), by);
    }
    pthread_mutex_lock(&a->lock);
    struct tsn_overlay_list *old = NULL;
    if (fresh) {
        old = a->marks;
        a->marks = fresh;
    }
    memcpy(a->banner, banner, sizeof banner);
    pthread_mutex_unlock(&a->lock);
    tsn_overlay_unref(old);
}

static void note_bad(struct tsn_view_annot *a, unsigned conn_id, const char *what, const char *why)
{
    a->rejected++;
    if (a->warned_conn == conn_id)
        return;
    a->warned_conn = conn_id;
    tsn_warn("[view conn %u] ignoring a malformed %s from the relay: %s (further ones are counted, "
             "not logged)",
             conn_id, what, why);
}

/* Which ops change the picture (chat and bookmarks do not). */
static int op_draws(const char *op)
{
    return op && strcmp(op, "chat") != 0 && strcmp(op, "bookmark") != 0;
}

static int on_event(struct tsn_view_annot *a, const json_t *msg, unsigned conn_id)
{
    char why[160];
    int64_t before = tsn_annot_state_seq(a->state);
    json_int_t seq = json_integer_value(json_object_get(msg, "seq"));
    int rc = tsn_annot_state_apply(a->state, msg, why, sizeof why);
    if (rc == -EALREADY)
        return 0;
    if (rc < 0) {
        note_bad(a, conn_id, "event", rc == -EBADMSG ? why : strerror(-rc));
        return -EBADMSG;
    }
    if (before > 0 && seq > before + 1)
        tsn_warn("[view conn %u] annotation events %" PRId64 "..%" PRId64
                 " never arrived: the marks may differ until the next connection",
                 conn_id, before + 1, (int64_t)seq - 1);
    a->events++;
    const char *op = json_string_value(json_object_get(msg, "op"));
    if (op && strcmp(op, "freeze") == 0) {
        const char *by = tsn_annot_state_frozen_by(a->state);
        tsn_info("[view conn %u] picture %s%s", conn_id, by ? "frozen by " : "unfrozen",
                 by ? by : "");
    }
    if (!op_draws(op))
        return 0;
    publish(a);
    return 1;
}

static int on_snapshot(struct tsn_view_annot *a, const json_t *msg, unsigned conn_id)
{
    char why[160];
    int rc = tsn_annot_state_load(a->state, msg, why, sizeof why);
    if (rc < 0) {
        note_bad(a, conn_id, "annotation snapshot", rc == -EBADMSG ? why : strerror(-rc));
        return -EBADMSG;
    }
    a->snapshots++;
    const char *by = tsn_annot_state_frozen_by(a->state);
    tsn_info("[view conn %u] annotations: %zu marks up to seq %" PRId64 "%s%s", conn_id,
             tsn_annot_state_count(a->state), tsn_annot_state_seq(a->state),
             by ? ", frozen by " : "", by ? by : "");
    publish(a);
    return 1;
}

/* ---- main context: pointers ---- */

/* The slot of `from`, else a free or expired one, else the stalest. Lock held. */
static struct pointer_slot *slot_for(struct tsn_view_annot *a, const char *from, int64_t now_us)
{
    struct pointer_slot *spare = NULL;
    for (size_t i = 0; i < TSN_VIEW_ANNOT_MAX_POINTERS; i++) {
        struct pointer_slot *s = &a->pointers[i];
        if (s->updated_us && strcmp(s->p.name, from) == 0)
            return s;
        int free_slot =
            !s->updated_us || now_us - s->updated_us > TSN_VIEW_ANNOT_POINTER_MS * 1000LL;
        if (!spare || (free_slot && spare->updated_us) ||
            (s->updated_us && spare->updated_us && s->updated_us < spare->updated_us))
            spare = s;
    }
    memset(spare, 0, sizeof *spare);
    return spare;
}

static int finite01(const json_t *v)
{
    double d = json_number_value(v);
    return json_is_number(v) && isfinite(d) && d >= 0 && d <= 1;
}

static int on_pointer(struct tsn_view_annot *a, const json_t *msg, int64_t now_us, unsigned conn_id)
{
    const char *from = json_string_value(json_object_get(msg, "from"));
    int hide = json_is_true(json_object_get(msg, "hide"));
    const json_t *x = json_object_get(msg, "x"), *y = json_object_get(msg, "y");
    if (!from || !from[0] || (!hide && (!finite01(x) || !finite01(y)))) {
        note_bad(a, conn_id, "pointer", "it needs a from and x, y from 0 to 1 (or hide)");
        return -EBADMSG;
    }
    a->pointer_msgs++;
    /* The name drawn is also the slot's key: a long sub is cut the same way
     * every time. */
    char name[TSN_OVERLAY_NAME_LEN];
    tsn_overlay_copy_text(name, sizeof name, from);
    int32_t rgb = tsn_overlay_parse_color(json_string_value(json_object_get(msg, "color")));
    pthread_mutex_lock(&a->lock);
    struct pointer_slot *s = slot_for(a, name, now_us);
    if (hide) {
        memset(s, 0, sizeof *s);
    } else {
        memcpy(s->p.name, name, sizeof name);
        s->p.x = (float)json_number_value(x);
        s->p.y = (float)json_number_value(y);
        s->p.rgb = rgb < 0 ? 0xffffffu : (uint32_t)rgb;
        s->updated_us = now_us;
    }
    pthread_mutex_unlock(&a->lock);
    return 1;
}

int tsn_view_annot_handle(struct tsn_view_annot *a, const char *json, size_t len, int64_t now_us,
                          unsigned conn_id)
{
    /* Parsed once here and applied with tsn_annot_state_apply/_load: the same
     * steps as tsn_annot_state_handle, plus the pointers it does not keep. */
    json_t *msg = json_loadb(json, len, JSON_REJECT_DUPLICATES, NULL);
    const char *type = json_string_value(json_object_get(msg, "type"));
    int rc = 0;
    if (type && strcmp(type, "event") == 0)
        rc = on_event(a, msg, conn_id);
    else if (type && strcmp(type, "annotations") == 0)
        rc = on_snapshot(a, msg, conn_id);
    else if (type && strcmp(type, "pointer") == 0)
        rc = on_pointer(a, msg, now_us, conn_id);
    json_decref(msg);
    return rc;
}

void tsn_view_annot_reset_pointers(struct tsn_view_annot *a)
{
    pthread_mutex_lock(&a->lock);
    memset(a->pointers, 0, sizeof a->pointers);
    pthread_mutex_unlock(&a->lock);
}

void tsn_view_annot_counts(struct tsn_view_annot *a, struct tsn_view_annot_counts *out)
{
    *out = (struct tsn_view_annot_counts){
        .seq = tsn_annot_state_seq(a->state),
        .marks = (int64_t)tsn_annot_state_count(a->state),
        .events = a->events,
        .snapshots = a->snapshots,
        .pointers = a->pointer_msgs,
        .rejected = a->rejected,
        .frozen = tsn_annot_state_frozen_by(a->state) != NULL,
    };
    pthread_mutex_lock(&a->lock);
    out->frames_drawn = a->frames_drawn;
    out->draw_us_mean = a->frames_drawn ? a->draw_us_sum / (double)a->frames_drawn : 0;
    out->draw_us_max = a->draw_us_max;
    pthread_mutex_unlock(&a->lock);
}

/* ---- streaming thread ---- */

void tsn_view_annot_draw(struct tsn_view_annot *a, cairo_t *cr, int width, int height,
                         int64_t now_us)
{
    struct tsn_overlay_pointer ptrs[TSN_VIEW_ANNOT_MAX_POINTERS];
    char banner[BANNER_LEN];
    size_t n = 0;
    pthread_mutex_lock(&a->lock);
    struct tsn_overlay_list *marks = tsn_overlay_ref(a->marks);
    for (size_t i = 0; i < TSN_VIEW_ANNOT_MAX_POINTERS; i++) {
        const struct pointer_slot *s = &a->pointers[i];
        if (s->updated_us && now_us - s->updated_us <= TSN_VIEW_ANNOT_POINTER_MS * 1000LL)
            ptrs[n++] = s->p;
    }
    memcpy(banner, a->banner, sizeof banner);
    pthread_mutex_unlock(&a->lock);
    if (marks->n_items == 0 && n == 0 && !banner[0]) {
        tsn_overlay_unref(marks);
        return;
    }
    int64_t t0 = mono_us();
    tsn_overlay_draw(cr, width, height, marks, ptrs, n, banner);
    double took_us = (double)(mono_us() - t0);
    tsn_overlay_unref(marks);
    pthread_mutex_lock(&a->lock);
    a->frames_drawn++;
    a->draw_us_sum += took_us;
    if (took_us > a->draw_us_max)
        a->draw_us_max = took_us;
    pthread_mutex_unlock(&a->lock);
}
