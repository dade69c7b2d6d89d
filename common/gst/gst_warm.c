/* Plugin and DTLS warm-up on a thread (see gst_warm.h). */
#include "gst_warm.h"

#include <gst/gst.h>

static gpointer warm_up(gpointer data)
{
    const char *const *names = data;
    for (size_t i = 0; names[i]; i++) {
        GstElement *el = gst_element_factory_make(names[i], NULL);
        if (el)
            gst_object_unref(gst_object_ref_sink(el));
    }
    return NULL;
}

GThread *tsn_gst_warm_up_start(const char *const *names)
{
    return g_thread_new("tsn-warm-up", warm_up, (gpointer)names);
}
