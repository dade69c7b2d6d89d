/* A telesono-view session: connects to the relay's signalling channel,
 * joins with the token, subscribes with a webrtcbin offer, decodes and shows
 * (or only counts and dumps) the stream, and keeps doing so across relay and
 * publisher restarts. One connection at a time: the WebSocket, the pipeline
 * and the WebRTC peer are built together and torn down together; after a
 * first success the viewer reconnects for ever with backoff (200 ms .. 2 s).
 * It also writes the stats JSON (viewer/view_stats.h) every second and at
 * exit, and prints the final one as a line on stdout. Runs on the
 * thread-default GMainContext; gst_init() first.
 *
 * Ends with an exit status (common/exit_codes.h): 0 on SIGINT/SIGTERM or
 * after --duration with frames decoded; 1 when --duration passed with no
 * frame; 3 when the relay refused the token (never retried) or the room
 * differs from --room; 4 when the first connection did not succeed within
 * --connect-timeout; 6 when a GStreamer element is missing. */
#ifndef TSN_VIEW_H
#define TSN_VIEW_H

#include "view_cli.h"

/* Runs the viewer to the end. `token` is borrowed and never logged. Returns
 * an exit status and prints the reason for any non-zero one. */
int tsn_view_run(const struct tsn_view_opts *opts, const char *token);

#endif
