/* Command line of telesono-export: argv into struct tsn_export_opts with a
 * one-line reason for every refusal. A pure function of argv (no getopt
 * globals, no file system access), so the unit tests can call it freely.
 * Default output paths are resolved later (export.c): they depend on the
 * recording's codec. */
#ifndef TSN_EXPORT_CLI_H
#define TSN_EXPORT_CLI_H

#include <stddef.h>
#include <stdio.h>

/* Exit statuses of telesono-export (the recording contract). */
enum tsn_export_exit {
    TSN_EXPORT_EXIT_OK = 0,
    TSN_EXPORT_EXIT_USAGE = 1,
    TSN_EXPORT_EXIT_NOT_RECORDING = 2, /* not a readable recording */
    TSN_EXPORT_EXIT_NO_VIDEO = 3,      /* no decodable video (no complete key frame) */
    TSN_EXPORT_EXIT_OUTPUT = 4,        /* an output could not be written */
};

struct tsn_export_opts {
    const char *session_dir; /* a session directory, or a media.tsr file (borrowed from argv) */
    const char *out;         /* --out (nullable: SESSION_DIR/export/recording.mp4|.webm) */
    int burn_in;             /* --burn-in given */
    const char *burn_out;    /* --burn-in=FILE (nullable: SESSION_DIR/export/annotated.mp4) */
    const char *annotations; /* --annotations (nullable: SESSION_DIR/export/annotations.json) */
    int json;                /* --json: one summary line on stdout */
    int window;              /* --window: reorder window in packets */
    int log_level;           /* enum tsn_log_level */
};

/* Parses argv[1..argc-1]. Returns 0 (run), 1 (--help: print the usage, exit
 * 0), or -EINVAL with a reason. "--flag VALUE" and "--flag=VALUE" both work,
 * except --burn-in, whose file is only ever given as --burn-in=FILE. */
int tsn_export_cli_parse(int argc, char *const *argv, struct tsn_export_opts *o, char *why,
                         size_t why_len);

void tsn_export_cli_usage(FILE *out);

#endif
