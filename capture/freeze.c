/* Holding the picture while the room is frozen (see freeze.h).
 *
 * Ownership: `latest` and `held` are references to source buffers that are
 * never sent themselves: what goes to the pipeline is always a shallow copy
 * (new metadata, shared memory), so the pipeline can stamp capture times on
 * it, and anything that writes pixels downstream (privacy masks) gets its
 * own copy of the memory first (GStreamer copies shared memory on a write
 * map). The held pixels therefore stay exactly as captured. */
#include "freeze.h"

struct tsn_freeze {
    GMutex lock; /* guards everything below */
    int honour;
    int frozen;        /* the room's state as last set */
    int holding;       /* honour && frozen */
    GstBuffer *latest; /* the newest source frame (nullable) */
    GstCaps *latest_caps;
    uint64_t latest_index;
    GstBuffer *held; /* while holding; NULL until a frame came */
    GstCaps *held_caps;
    uint64_t held_index;
    uint64_t frames_held;
};

struct tsn_freeze *tsn_freeze_new(int honour)
{
    struct tsn_freeze *f = g_new0(struct tsn_freeze, 1);
    g_mutex_init(&f->lock);
    f->honour = honour != 0;
    return f;
}

static void drop(GstBuffer **buf, GstCaps **caps)
{
    gst_clear_buffer(buf);
    gst_clear_caps(caps);
}

void tsn_freeze_free(struct tsn_freeze *f)
{
    if (!f)
        return;
    drop(&f->latest, &f->latest_caps);
    drop(&f->held, &f->held_caps);
    g_mutex_clear(&f->lock);
    g_free(f);
}

enum tsn_freeze_change tsn_freeze_set(struct tsn_freeze *f, int frozen)
{
    enum tsn_freeze_change change = TSN_FREEZE_NO_CHANGE;
    frozen = frozen != 0;
    g_mutex_lock(&f->lock);
    if (frozen && !f->frozen && !f->honour) {
        change = TSN_FREEZE_IGNORED;
    } else if (frozen && !f->holding && f->honour) {
        /* The frame the picture had when the freeze arrived: the newest. */
        f->holding = 1;
        f->held = f->latest;
        f->held_caps = f->latest_caps;
        f->held_index = f->latest_index;
        f->latest = NULL;
        f->latest_caps = NULL;
        change = TSN_FREEZE_HOLD_STARTED;
    } else if (!frozen && f->holding) {
        f->holding = 0;
        drop(&f->held, &f->held_caps);
        change = TSN_FREEZE_HOLD_ENDED;
    }
    f->frozen = frozen;
    g_mutex_unlock(&f->lock);
    return change;
}

/* Remembers *buf as the newest frame (or as the held one) and puts a
 * shallow copy in its place. Lock held. */
static void keep(GstBuffer **buf, GstCaps *caps, uint64_t index, GstBuffer **slot,
                 GstCaps **slot_caps, uint64_t *slot_index)
{
    gst_buffer_replace(slot, NULL);
    *slot = *buf;
    gst_caps_replace(slot_caps, caps);
    *slot_index = index;
    *buf = gst_buffer_copy(*slot);
}

void tsn_freeze_frame(struct tsn_freeze *f, GstBuffer **buf, GstCaps **caps, uint64_t *index)
{
    g_mutex_lock(&f->lock);
    if (!f->honour) {
        gst_caps_ref(*caps);
    } else if (!f->holding) {
        keep(buf, *caps, *index, &f->latest, &f->latest_caps, &f->latest_index);
        gst_caps_ref(*caps);
    } else if (!f->held) {
        /* Frozen before the first frame: this one is the picture. */
        keep(buf, *caps, *index, &f->held, &f->held_caps, &f->held_index);
        gst_caps_ref(*caps);
    } else {
        gst_buffer_unref(*buf);
        *buf = gst_buffer_copy(f->held);
        *caps = gst_caps_ref(f->held_caps);
        *index = f->held_index;
        f->frames_held++;
    }
    g_mutex_unlock(&f->lock);
}

int tsn_freeze_holding(struct tsn_freeze *f)
{
    g_mutex_lock(&f->lock);
    int v = f->holding;
    g_mutex_unlock(&f->lock);
    return v;
}

uint64_t tsn_freeze_held_index(struct tsn_freeze *f)
{
    g_mutex_lock(&f->lock);
    uint64_t v = f->held_index;
    g_mutex_unlock(&f->lock);
    return v;
}

uint64_t tsn_freeze_frames_held(struct tsn_freeze *f)
{
    g_mutex_lock(&f->lock);
    uint64_t v = f->frames_held;
    g_mutex_unlock(&f->lock);
    return v;
}
