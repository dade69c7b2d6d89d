/* telesono-capture's session: the source, the connection to the relay and
 * the statistics. It connects over the WSS signalling channel (join with the
 * capture token, publish an offer with the stream metadata), builds a
 * pipeline per connection (pipeline.h) and, when the relay goes away or the
 * media connection fails, tears the pipeline down and reconnects with
 * backoff while the source keeps running. A refused token ends the program
 * (retrying cannot fix it); an unreachable relay ends it only before the
 * first connection, after --connect-timeout. Runs on the default
 * GMainContext. */
#ifndef TSN_CAPTURE_H
#define TSN_CAPTURE_H

#include "capture_cli.h"

struct tsn_capture;

/* Prepares everything that can fail early (source, encoder settings, frame
 * log). NULL with a reason and an exit code (TSN_EXIT_*). Takes nothing from
 * `o`, which must outlive the capture. */
struct tsn_capture *tsn_capture_new(const struct tsn_capture_opts *o, int *exit_code, char *why,
                                    size_t why_len);
/* Runs the main loop until --duration, a signal (tsn_capture_stop) or a
 * fatal error; returns the exit code. */
int tsn_capture_run(struct tsn_capture *c);
/* Async-signal-unsafe: call from the main context (g_unix_signal_add). */
void tsn_capture_stop(struct tsn_capture *c);
void tsn_capture_free(struct tsn_capture *c);

#endif
