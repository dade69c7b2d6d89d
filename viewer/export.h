/* telesono-export's run: one recording to its outputs (docs/operations.md,
 * "Recordings"; the recording contract's "telesono-export" section).
 *
 *   1. scan the packet log once (export_scan.h): count the frames the video
 *      will hold, collect the annotation events, warn about damage;
 *   2. map the events to frames (export_annot.h) and, for --burn-in, build
 *      the drawing timeline (export_timeline.h);
 *   3. scan it again, pushing the same frames into the pipeline
 *      (export_pipe.h); the scan is deterministic, so both passes agree;
 *   4. check the frames the muxer took against the scan, write
 *      annotations.json, and rename every output from its temporary name.
 *
 * Messages for the user go to stderr as "warning: PATH: ..." / "error: ...".
 * Not here: argv (export_cli.h), signal handling (export_main.c). */
#ifndef TSN_EXPORT_H
#define TSN_EXPORT_H

#include "export_cli.h"

/* Runs the export; returns an exit status (enum tsn_export_exit, or 128 +
 * signal when *stop was set to a signal number). With o->json, prints the
 * summary (or {"error","exit"}) as one line on stdout. gst_init must have
 * been called. */
int tsn_export_run(const struct tsn_export_opts *o, const volatile int *stop);

#endif
