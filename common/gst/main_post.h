/* Handing work from any thread (lws, GStreamer streaming threads) to the
 * thread that runs a GMainContext. Unlike g_main_context_invoke, the
 * function is never called on the calling thread: g_main_context_invoke
 * calls it at once wherever it can acquire the context, e.g. on a
 * streaming or lws thread before the owner's main loop runs or after it
 * returned, which raced with the owner's set-up and tear-down. */
#ifndef TSN_MAIN_POST_H
#define TSN_MAIN_POST_H

#include <glib.h>

/* Queues fn(data) on `ctx` (NULL: the global default context) at default
 * priority, in call order; `destroy` (nullable) frees data after it ran, or
 * when the context goes without running it. Thread-safe. */
void tsn_main_post(GMainContext *ctx, GSourceFunc fn, gpointer data, GDestroyNotify destroy);

#endif
