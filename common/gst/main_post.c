/* Work for a main context's thread; see main_post.h. */
#include "main_post.h"

void tsn_main_post(GMainContext *ctx, GSourceFunc fn, gpointer data, GDestroyNotify destroy)
{
    GSource *src = g_idle_source_new();
    g_source_set_priority(src, G_PRIORITY_DEFAULT);
    g_source_set_callback(src, fn, data, destroy);
    g_source_attach(src, ctx); /* wakes the context up */
    g_source_unref(src);
}
