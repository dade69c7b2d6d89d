/* telesono-capture option parsing (see capture_cli.h). */
#include "capture_cli.h"

#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mask.h"

enum {
    OPT_RELAY = 256,
    OPT_TOKEN,
    OPT_TOKEN_FILE,
    OPT_ROOM,
    OPT_SOURCE,
    OPT_SIZE,
    OPT_FPS,
    OPT_MASK,
    OPT_CODEC,
    OPT_BITRATE,
    OPT_KEYINT,
    OPT_KF_MIN,
    OPT_PROBE,
    OPT_SPACING,
    OPT_DEPTH,
    OPT_CA,
    OPT_FINGERPRINT,
    OPT_INSECURE,
    OPT_CONNECT_TIMEOUT,
    OPT_DURATION,
    OPT_WAIT_DEVICE,
    OPT_IGNORE_FREEZE,
    OPT_RECORD,
    OPT_STATS,
    OPT_FRAME_LOG,
    OPT_ICE_IP,
    OPT_LOG_LEVEL,
    OPT_HELP,
};

static const struct option long_opts[] = {
    {"relay", required_argument, NULL, OPT_RELAY},
    {"token", required_argument, NULL, OPT_TOKEN},
    {"token-file", required_argument, NULL, OPT_TOKEN_FILE},
    {"room", required_argument, NULL, OPT_ROOM},
    {"source", required_argument, NULL, OPT_SOURCE},
    {"size", required_argument, NULL, OPT_SIZE},
    {"fps", required_argument, NULL, OPT_FPS},
    {"mask", required_argument, NULL, OPT_MASK},
    {"codec", required_argument, NULL, OPT_CODEC},
    {"bitrate", required_argument, NULL, OPT_BITRATE},
    {"keyframe-interval", required_argument, NULL, OPT_KEYINT},
    {"keyframe-min-interval-ms", required_argument, NULL, OPT_KF_MIN},
    {"probe", required_argument, NULL, OPT_PROBE},
    {"pixel-spacing", required_argument, NULL, OPT_SPACING},
    {"depth", required_argument, NULL, OPT_DEPTH},
    {"ca", required_argument, NULL, OPT_CA},
    {"fingerprint", required_argument, NULL, OPT_FINGERPRINT},
    {"insecure", no_argument, NULL, OPT_INSECURE},
    {"connect-timeout", required_argument, NULL, OPT_CONNECT_TIMEOUT},
    {"duration", required_argument, NULL, OPT_DURATION},
    {"wait-for-device", no_argument, NULL, OPT_WAIT_DEVICE},
    {"ignore-freeze", no_argument, NULL, OPT_IGNORE_FREEZE},
    {"record", no_argument, NULL, OPT_RECORD},
    {"stats-json", required_argument, NULL, OPT_STATS},
    {"frame-log", required_argument, NULL, OPT_FRAME_LOG},
    {"ice-ip", required_argument, NULL, OPT_ICE_IP},
    {"log-level", required_argument, NULL, OPT_LOG_LEVEL},
    {"help", no_argument, NULL, OPT_HELP},
    {NULL, 0, NULL, 0},
};

const char *tsn_capture_usage(void)
{
    return "usage: telesono-capture --relay https://HOST:PORT {--token JWT | --token-file FILE}\n"
           "  Source and picture:\n"
           "    --source phantom|file:PATH|v4l2:DEVICE   (default phantom: synthetic B-mode)\n"
           "    --size WxH            picture size (phantom default 640x480; file/v4l2: theirs)\n"
           "    --fps N               frame rate (phantom 30; a file plays at this rate, each\n"
           "                          frame once; v4l2 asks the device for it)\n"
           "    --mask X,Y,W,H        privacy mask, repeatable: blanked before encoding\n"
           "    --wait-for-device     v4l2: wait for a missing device instead of exiting 5\n"
           "    --ignore-freeze       keep sending live frames when a clinician freezes the\n"
           "                          picture (default: hold the frame of the freeze until\n"
           "                          it is unfrozen)\n"
           "    --record              ask the relay to record the session whenever this\n"
           "                          capture joins (a clinician may still stop it)\n"
           "  Encoding:\n"
           "    --codec h264|vp8      (default h264, constrained baseline, zero latency)\n"
           "    --bitrate KBPS        target bitrate (CBR)\n"
           "    --keyframe-interval S seconds between keyframes (default 2)\n"
           "    --keyframe-min-interval-ms N  at most one keyframe per N ms on PLI (default 500)\n"
           "  Stream metadata sent to every viewer:\n"
           "    --probe NAME  --pixel-spacing MM[,MM]  --depth MM   (phantom: its own)\n"
           "  Relay connection:\n"
           "    --room R              expected room (checked against the token's)\n"
           "    --ca FILE | --fingerprint SHA256 | --insecure   (default: system CAs)\n"
           "    --connect-timeout S   first connection must succeed within S s (default 10;\n"
           "                          0 = keep trying); later losses always reconnect\n"
           "    --ice-ip IP           local address for media, repeatable (default: all;\n"
           "                          127.0.0.1 when the relay is on loopback)\n"
           "  Run:\n"
           "    --duration S          stop after S seconds (default: until SIGINT/SIGTERM)\n"
           "    --stats-json FILE     statistics, rewritten every second and at exit\n"
           "    --frame-log FILE      one JSON line per sent frame: capture time, source index\n"
           "    --log-level error|warn|info|debug\n"
           "Exit status: 0 ok, 1 failure, 2 usage, 3 token refused, 4 relay unreachable or\n"
           "not trusted, 5 source error, 6 pipeline error.\n";
}

static int parse_source(const char *v, struct tsn_capture_opts *o, char *why, size_t why_len)
{
    if (strcmp(v, "phantom") == 0) {
        o->source = TSN_SOURCE_PHANTOM;
    } else if (strncmp(v, "file:", 5) == 0 && v[5]) {
        o->source = TSN_SOURCE_FILE;
        o->source_path = v + 5;
    } else if (strncmp(v, "v4l2:", 5) == 0 && v[5]) {
        o->source = TSN_SOURCE_V4L2;
        o->source_path = v + 5;
    } else {
        snprintf(why, why_len, "--source must be phantom, file:PATH or v4l2:DEVICE, not '%s'", v);
        return -EINVAL;
    }
    return 0;
}

static int parse_spacing(const char *v, struct tsn_capture_opts *o, char *why, size_t why_len)
{
    char x[32] = "";
    const char *comma = strchr(v, ',');
    size_t n = comma ? (size_t)(comma - v) : strlen(v);
    if (n == 0 || n >= sizeof x) {
        snprintf(why, why_len, "--pixel-spacing needs MM or MMX,MMY, not '%s'", v);
        return -EINVAL;
    }
    memcpy(x, v, n);
    if (tsn_cli_double("--pixel-spacing", x, 0.001, 10, &o->spacing_x_mm, why, why_len))
        return -EINVAL;
    if (!comma) {
        o->spacing_y_mm = o->spacing_x_mm;
        return 0;
    }
    return tsn_cli_double("--pixel-spacing", comma + 1, 0.001, 10, &o->spacing_y_mm, why, why_len);
}

static int parse_mask(const char *v, struct tsn_capture_opts *o, char *why, size_t why_len)
{
    if (o->n_masks == TSN_CAPTURE_MAX_MASKS) {
        snprintf(why, why_len, "at most %d --mask regions", TSN_CAPTURE_MAX_MASKS);
        return -EINVAL;
    }
    struct tsn_mask_rect r;
    char reason[160];
    if (tsn_mask_parse(v, &r, reason, sizeof reason) != 0) {
        snprintf(why, why_len, "--mask %s: %s", v, reason);
        return -EINVAL;
    }
    o->masks[o->n_masks++] = (struct tsn_mask_rect_opt){r.x, r.y, r.w, r.h};
    return 0;
}

/* One flag with its value; returns 0 or -EINVAL with a reason. */
static int apply(int c, const char *v, struct tsn_capture_opts *o, char *why, size_t why_len)
{
    long n = 0;
    double d = 0;
    int rc = 0;
    switch (c) {
    case OPT_RELAY:
        o->relay_url = v;
        break;
    case OPT_TOKEN:
        free(o->token);
        o->token = strdup(v);
        break;
    case OPT_TOKEN_FILE:
        free(o->token);
        o->token = NULL;
        rc = tsn_cli_token_file(v, &o->token, why, why_len);
        break;
    case OPT_ROOM:
        o->room = v;
        break;
    case OPT_SOURCE:
        rc = parse_source(v, o, why, why_len);
        break;
    case OPT_SIZE:
        rc = tsn_cli_size("--size", v, &o->width, &o->height, why, why_len);
        break;
    case OPT_FPS:
        rc = tsn_cli_double("--fps", v, 1, 120, &d, why, why_len);
        o->fps_num = (int)(d * 1000 + 0.5);
        o->fps_den = 1000;
        break;
    case OPT_MASK:
        rc = parse_mask(v, o, why, why_len);
        break;
    case OPT_CODEC:
        if (strcmp(v, "h264") && strcmp(v, "vp8")) {
            snprintf(why, why_len, "--codec must be h264 or vp8, not '%s'", v);
            rc = -EINVAL;
        }
        o->vp8 = strcmp(v, "vp8") == 0;
        break;
    case OPT_BITRATE:
        rc = tsn_cli_int("--bitrate", v, 100, 50000, &n, why, why_len);
        o->bitrate_kbps = (int)n;
        break;
    case OPT_KEYINT:
        rc = tsn_cli_double("--keyframe-interval", v, 0.1, 60, &o->keyframe_interval_s, why,
                            why_len);
        break;
    case OPT_KF_MIN:
        rc = tsn_cli_int("--keyframe-min-interval-ms", v, 0, 10000, &n, why, why_len);
        o->keyframe_min_interval_ms = (int)n;
        break;
    case OPT_PROBE:
        if (!*v || strlen(v) > 64) {
            snprintf(why, why_len, "--probe needs a name of 1 to 64 characters");
            rc = -EINVAL;
        }
        o->probe = v;
        break;
    case OPT_SPACING:
        rc = parse_spacing(v, o, why, why_len);
        break;
    case OPT_DEPTH:
        rc = tsn_cli_double("--depth", v, 1, 500, &o->depth_mm, why, why_len);
        break;
    case OPT_CA:
        rc = tsn_cli_tls_flag("--ca", v, &o->tls, why, why_len);
        break;
    case OPT_FINGERPRINT:
        rc = tsn_cli_tls_flag("--fingerprint", v, &o->tls, why, why_len);
        break;
    case OPT_INSECURE:
        rc = tsn_cli_tls_flag("--insecure", NULL, &o->tls, why, why_len);
        break;
    case OPT_CONNECT_TIMEOUT:
        rc = tsn_cli_int("--connect-timeout", v, 0, 86400, &n, why, why_len);
        o->connect_timeout_s = (int)n;
        break;
    case OPT_DURATION:
        rc = tsn_cli_int("--duration", v, 0, 31 * 86400, &n, why, why_len);
        o->duration_s = (int)n;
        break;
    case OPT_WAIT_DEVICE:
        o->wait_for_device = 1;
        break;
    case OPT_IGNORE_FREEZE:
        o->ignore_freeze = 1;
        break;
    case OPT_RECORD:
        o->record = 1;
        break;
    case OPT_STATS:
        o->stats_json = v;
        break;
    case OPT_FRAME_LOG:
        o->frame_log = v;
        break;
    case OPT_ICE_IP:
        if (o->n_ice_ips == TSN_CAPTURE_MAX_ICE_IPS) {
            snprintf(why, why_len, "at most %d --ice-ip addresses", TSN_CAPTURE_MAX_ICE_IPS);
            rc = -EINVAL;
            break;
        }
        o->ice_ips[o->n_ice_ips++] = v;
        break;
    case OPT_LOG_LEVEL:
        o->log_level = v;
        break;
    case OPT_HELP:
        o->help = 1;
        break;
    default:
        snprintf(why, why_len, "unknown option (see --help)");
        rc = -EINVAL;
    }
    return rc;
}

static int check(struct tsn_capture_opts *o, char *why, size_t why_len)
{
    if (o->help)
        return 0;
    if (!o->relay_url) {
        snprintf(why, why_len, "--relay URL is required (e.g. https://127.0.0.1:8443)");
        return -EINVAL;
    }
    if (!o->token) {
        snprintf(why, why_len, "a capture token is required: --token JWT or --token-file FILE");
        return -EINVAL;
    }
    if (o->source == TSN_SOURCE_PHANTOM) {
        if (!o->width)
            o->width = 640, o->height = 480;
        if (!o->fps_num)
            o->fps_num = 30, o->fps_den = 1;
    }
    return 0;
}

int tsn_capture_cli_parse(int argc, char **argv, struct tsn_capture_opts *o, char *why,
                          size_t why_len)
{
    memset(o, 0, sizeof *o);
    o->keyframe_interval_s = 2.0;
    o->keyframe_min_interval_ms = 500;
    o->connect_timeout_s = 10;
    optind = 0; /* 0, not 1: glibc then also forgets a half-read "-abc" of an earlier parse */
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "h", long_opts, NULL)) != -1) {
        if (c == 'h')
            c = OPT_HELP;
        if (c == '?' || c == ':') {
            snprintf(why, why_len, "unknown option or missing value: %s (see --help)",
                     argv[optind - 1]);
            goto fail;
        }
        if (apply(c, optarg, o, why, why_len) != 0)
            goto fail;
    }
    if (optind < argc) {
        snprintf(why, why_len, "unexpected argument '%s' (see --help)", argv[optind]);
        goto fail;
    }
    if (check(o, why, why_len) == 0)
        return 0;
fail:
    tsn_capture_opts_clear(o);
    return -EINVAL;
}

void tsn_capture_opts_clear(struct tsn_capture_opts *o)
{
    if (o->token)
        memset(o->token, 0, strlen(o->token)); /* do not leave the token in freed memory */
    free(o->token);
    memset(o, 0, sizeof *o);
}
