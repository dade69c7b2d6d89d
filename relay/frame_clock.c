/* The newest frame per room; see frame_clock.h. A short list: a relay has
 * few rooms with a live publisher, and the list is walked once per frame. */
#include "frame_clock.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#define NTP_UNIX_OFFSET_S 2208988800LL

struct entry {
    char *room;
    struct tsn_frame_info info;
    struct entry *next;
};

struct tsn_frame_clock {
    pthread_mutex_t lock;
    struct entry *head;
};

struct tsn_frame_clock *tsn_frame_clock_new(void)
{
    struct tsn_frame_clock *fc = calloc(1, sizeof *fc);
    if (fc)
        pthread_mutex_init(&fc->lock, NULL);
    return fc;
}

void tsn_frame_clock_free(struct tsn_frame_clock *fc)
{
    if (!fc)
        return;
    while (fc->head) {
        struct entry *e = fc->head;
        fc->head = e->next;
        free(e->room);
        free(e);
    }
    pthread_mutex_destroy(&fc->lock);
    free(fc);
}

static struct entry *find(struct tsn_frame_clock *fc, const char *room)
{
    for (struct entry *e = fc->head; e; e = e->next)
        if (strcmp(e->room, room) == 0)
            return e;
    return NULL;
}

int tsn_frame_clock_set(struct tsn_frame_clock *fc, const char *room,
                        const struct tsn_frame_info *f)
{
    int rc = 0;
    pthread_mutex_lock(&fc->lock);
    struct entry *e = find(fc, room);
    if (!e) {
        e = calloc(1, sizeof *e);
        if (e && !(e->room = strdup(room))) {
            free(e);
            e = NULL;
        }
        if (e) {
            e->next = fc->head;
            fc->head = e;
        }
    }
    if (e)
        e->info = *f;
    else
        rc = -ENOMEM;
    pthread_mutex_unlock(&fc->lock);
    return rc;
}

int tsn_frame_clock_get(struct tsn_frame_clock *fc, const char *room, struct tsn_frame_info *out)
{
    pthread_mutex_lock(&fc->lock);
    struct entry *e = find(fc, room);
    if (e)
        *out = e->info;
    pthread_mutex_unlock(&fc->lock);
    return e ? 0 : -ENOENT;
}

void tsn_frame_clock_forget(struct tsn_frame_clock *fc, const char *room)
{
    pthread_mutex_lock(&fc->lock);
    for (struct entry **pp = &fc->head; *pp; pp = &(*pp)->next)
        if (strcmp((*pp)->room, room) == 0) {
            struct entry *e = *pp;
            *pp = e->next;
            free(e->room);
            free(e);
            break;
        }
    pthread_mutex_unlock(&fc->lock);
}

int64_t tsn_ntp_to_unix_ms(uint64_t ntp)
{
    int64_t s = (int64_t)(ntp >> 32) - NTP_UNIX_OFFSET_S;
    int64_t ms = (int64_t)(((ntp & 0xffffffffu) * 1000u) >> 32);
    return s * 1000 + ms;
}
