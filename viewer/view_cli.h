/* Command line of telesono-view: turns argv into a struct tsn_view_opts, with
 * a one-line reason for every refused flag or value. Parsing is a pure
 * function of argv (no getopt globals, no environment; only --ca is checked
 * to be readable), so the unit tests can call it any number of times; the
 * session reads --token-file (tsn_cli_token_file). Not here: checking that a display exists, or
 * that the relay answers (the session does that). */
#ifndef TSN_VIEW_CLI_H
#define TSN_VIEW_CLI_H

#include <stdio.h>

#include "tls_pin.h"

#define TSN_VIEW_DEFAULT_CONNECT_TIMEOUT_MS 10000
#define TSN_VIEW_DEFAULT_LATENCY_MS         50
#define TSN_VIEW_MAX_LATENCY_MS             10000
#define TSN_VIEW_MAX_DURATION_S             (7 * 24 * 3600.0)

struct tsn_view_opts {
    const char *relay_url;  /* (borrowed from argv) https://host:port or wss://host:port/ws */
    char relay_host[256];   /* host part of relay_url, without IPv6 brackets */
    int relay_port;         /* 443 when the URL names none */
    char ws_url[400];       /* the signalling URL: wss://host:port/ws (or the wss path given) */
    const char *token;      /* --token (borrowed; never printed) */
    const char *token_file; /* --token-file (borrowed) */
    const char *room;       /* --room: expected room of the token (nullable) */
    struct tsn_tls_opts tls;
    int headless;
    double duration_s;      /* 0: until SIGINT/SIGTERM */
    const char *stats_json; /* (nullable) */
    const char *dump_dir;   /* (nullable) */
    int dump_gray;          /* --dump-gray: PNGs of the luma only (grey scanners, PSNR tests),
                               always without the annotation overlay */
    int no_annotations;     /* --no-annotations: draw no marks, pointers or banner */
    int connect_timeout_ms; /* the first connection must succeed within it */
    int latency_ms;         /* jitterbuffer latency */
    int log_level;          /* enum tsn_log_level */
};

/* Parses argv[1..argc-1]. Returns 0 (run), 1 (--help was given: print the
 * usage and exit 0), or -EINVAL with a one-line reason in `why`. Values may
 * be given as "--flag VALUE" or "--flag=VALUE". */
int tsn_view_cli_parse(int argc, char *const *argv, struct tsn_view_opts *o, char *why,
                       size_t why_len);

/* Splits a relay URL ("https://" or "wss://", host or [IPv6], optional
 * :port, optional path) into host and port. Returns 0 or -EINVAL. */
int tsn_view_cli_parse_url(const char *url, char *host, size_t host_len, int *port, char *why,
                           size_t why_len);

void tsn_view_cli_usage(FILE *out);

#endif
