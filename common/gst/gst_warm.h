/* Start-up warm-up for the GStreamer clients: creating one element of each
 * factory a connection will need loads its plugin, and the first dtlsdec
 * makes the process's DTLS certificate (an RSA key, about half a second on
 * this class of machine) that every later webrtcbin shares. Run on a thread
 * of its own while the program does its other start-up work, so the first
 * connection does not pay for it. */
#ifndef TSN_GST_WARM_H
#define TSN_GST_WARM_H

#include <glib.h>

/* Starts the warm-up of `names` (NULL-terminated, static storage) on a new
 * thread; join it with g_thread_join before gst_deinit. */
GThread *tsn_gst_warm_up_start(const char *const *names);

#endif
