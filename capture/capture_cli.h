/* telesono-capture's command line: parsing and validation into a plain
 * options struct (pure: no I/O except reading --token-file). Every bad value
 * gets a one-line reason naming the flag; main() prints it and exits 2. */
#ifndef TSN_CAPTURE_CLI_H
#define TSN_CAPTURE_CLI_H

#include <stddef.h>

#include "cli_args.h"
#include "tls_pin.h"

#define TSN_CAPTURE_MAX_MASKS   16
#define TSN_CAPTURE_MAX_ICE_IPS 8

enum tsn_source_kind { TSN_SOURCE_PHANTOM, TSN_SOURCE_FILE, TSN_SOURCE_V4L2 };

struct tsn_mask_rect_opt {
    int x, y, w, h;
};

struct tsn_capture_opts {
    const char *relay_url;
    char *token; /* (owned) from --token or --token-file; never printed */
    const char *room;
    enum tsn_source_kind source;
    const char *source_path; /* file or device path */
    int width, height;       /* 0 = the source's own size */
    int fps_num, fps_den;    /* 0/0 = the source's own rate (phantom: 30) */
    int n_masks;
    struct tsn_mask_rect_opt masks[TSN_CAPTURE_MAX_MASKS];
    int vp8;          /* --codec vp8 */
    int bitrate_kbps; /* 0 = the encoder's default */
    double keyframe_interval_s;
    int keyframe_min_interval_ms;      /* PLI rate limit */
    const char *probe;                 /* metadata: probe name */
    double spacing_x_mm, spacing_y_mm; /* 0 = unknown (phantom: its own) */
    double depth_mm;                   /* 0 = unknown (phantom: its own) */
    struct tsn_tls_opts tls;
    int connect_timeout_s; /* first connection; 0 = keep trying */
    int duration_s;        /* 0 = run until signalled */
    int wait_for_device;   /* v4l2: wait for a missing device instead of failing */
    int ignore_freeze;     /* keep sending live frames while the room is frozen */
    int record;            /* --record: ask the relay to record at every join */
    const char *stats_json;
    const char *frame_log;
    int n_ice_ips;
    const char *ice_ips[TSN_CAPTURE_MAX_ICE_IPS + 1]; /* NULL-terminated */
    const char *log_level;
    int help;
};

/* Parses argv into *o (defaults first). Returns 0, or -EINVAL with a reason.
 * Free with tsn_capture_opts_clear. */
int tsn_capture_cli_parse(int argc, char **argv, struct tsn_capture_opts *o, char *why,
                          size_t why_len);
void tsn_capture_opts_clear(struct tsn_capture_opts *o);
const char *tsn_capture_usage(void);

#endif
