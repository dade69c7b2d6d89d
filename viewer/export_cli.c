/* telesono-export command line (see export_cli.h). */
#include "export_cli.h"

#include <errno.h>
#include <string.h>

#include "cli_args.h"
#include "export_reorder.h"
#include "log.h"
#include "why.h"

/* A value: "--flag=VALUE" (inline) or the next argument. NULL when absent. */
static const char *value_of(int argc, char *const *argv, int *i, const char *inline_value)
{
    if (inline_value)
        return inline_value;
    if (*i + 1 >= argc)
        return NULL;
    return argv[++*i];
}

static int nonempty(const char *flag, const char *v, char *why, size_t why_len)
{
    if (!v)
        return tsn_why(why, why_len, -EINVAL, "%s needs a value", flag);
    if (!*v)
        return tsn_why(why, why_len, -EINVAL, "%s is empty", flag);
    return 0;
}

static int on_flag(const char *name, const char *inline_value, int argc, char *const *argv, int *i,
                   struct tsn_export_opts *o, char *why, size_t why_len)
{
    const char *v;
    if (strcmp(name, "--json") == 0 || strcmp(name, "--burn-in") == 0) {
        if (strcmp(name, "--json") == 0 && inline_value)
            return tsn_why(why, why_len, -EINVAL, "--json takes no value");
        if (strcmp(name, "--json") == 0) {
            o->json = 1;
            return 0;
        }
        if (inline_value && !*inline_value)
            return tsn_why(why, why_len, -EINVAL, "--burn-in= needs a file name");
        o->burn_in = 1;
        o->burn_out = inline_value;
        return 0;
    }
    v = value_of(argc, argv, i, inline_value);
    if (strcmp(name, "--out") == 0) {
        o->out = v;
        return nonempty(name, v, why, why_len);
    }
    if (strcmp(name, "--annotations") == 0) {
        o->annotations = v;
        return nonempty(name, v, why, why_len);
    }
    if (strcmp(name, "--window") == 0) {
        long w = 0;
        if (nonempty(name, v, why, why_len) < 0 ||
            tsn_cli_int("--window", v, 1, TSN_EXPORT_MAX_WINDOW, &w, why, why_len) < 0)
            return -EINVAL;
        o->window = (int)w;
        return 0;
    }
    if (strcmp(name, "--log-level") == 0) {
        if (nonempty(name, v, why, why_len) < 0)
            return -EINVAL;
        int level = tsn_log_parse_level(v);
        if (level < 0)
            return tsn_why(why, why_len, -EINVAL,
                           "--log-level '%s': use error, warn, info or debug", v);
        o->log_level = level;
        return 0;
    }
    return tsn_why(why, why_len, -EINVAL, "unknown flag %s (see --help)", name);
}

int tsn_export_cli_parse(int argc, char *const *argv, struct tsn_export_opts *o, char *why,
                         size_t why_len)
{
    *o = (struct tsn_export_opts){.window = TSN_EXPORT_DEFAULT_WINDOW, .log_level = TSN_LOG_WARN};
    for (int i = 1; i < argc; i++) {
        const char *arg = argv[i];
        if (strcmp(arg, "--help") == 0 || strcmp(arg, "-h") == 0)
            return 1;
        if (strcmp(arg, "--") == 0) {
            if (i + 2 != argc || o->session_dir)
                return tsn_why(why, why_len, -EINVAL, "expected one SESSION_DIR after --");
            o->session_dir = argv[i + 1];
            break;
        }
        if (strncmp(arg, "--", 2) == 0) {
            char name[32];
            const char *eq = strchr(arg, '=');
            size_t n = eq ? (size_t)(eq - arg) : strlen(arg);
            if (n >= sizeof name)
                return tsn_why(why, why_len, -EINVAL, "unknown flag %.40s (see --help)", arg);
            memcpy(name, arg, n);
            name[n] = '\0';
            if (on_flag(name, eq ? eq + 1 : NULL, argc, argv, &i, o, why, why_len) < 0)
                return -EINVAL;
            continue;
        }
        if (arg[0] == '-' && arg[1])
            return tsn_why(why, why_len, -EINVAL, "unknown flag %s (see --help)", arg);
        if (o->session_dir)
            return tsn_why(why, why_len, -EINVAL, "one SESSION_DIR only ('%s' and '%s')",
                           o->session_dir, arg);
        if (!*arg)
            return tsn_why(why, why_len, -EINVAL, "SESSION_DIR is empty");
        o->session_dir = arg;
    }
    if (!o->session_dir)
        return tsn_why(why, why_len, -EINVAL, "missing SESSION_DIR (see --help)");
    return 0;
}

void tsn_export_cli_usage(FILE *out)
{
    fprintf(out,
            "usage: telesono-export SESSION_DIR [--out FILE.mp4] [--burn-in[=FILE.mp4]]\n"
            "                       [--annotations FILE.json] [--json] [--window N]\n"
            "                       [--log-level L]\n"
            "\n"
            "Exports a recording made by telesono-relay (SESSION_DIR holds media.tsr and\n"
            "session.json; a media.tsr file may be given instead) to a video file, without\n"
            "re-encoding, and its annotations to JSON with the frame each event belongs to.\n"
            "\n"
            "  --out FILE          the video (default SESSION_DIR/export/recording.mp4).\n"
            "                      H.264 recordings are remuxed into MP4. VP8 recordings\n"
            "                      are remuxed into WebM (Matroska) instead, default\n"
            "                      SESSION_DIR/export/recording.webm, whatever FILE's suffix.\n"
            "  --burn-in[=FILE]    also write a copy with the annotations drawn on every\n"
            "                      frame, re-encoded as H.264 in MP4 (default\n"
            "                      SESSION_DIR/export/annotated.mp4)\n"
            "  --annotations FILE  the annotations (default SESSION_DIR/export/annotations.json)\n"
            "  --json              print one summary line (JSON) on stdout\n"
            "  --window N          packets held to undo reordering (default %d)\n"
            "  --log-level L       error, warn (default), info or debug\n"
            "\n"
            "Every output is written under a temporary name and renamed when complete.\n"
            "Damaged stretches of the log are skipped with a warning; a record cut short at\n"
            "the end (the relay was killed) is ignored. The video starts at the first key\n"
            "frame; frames with a lost or damaged packet are left out.\n"
            "\n"
            "Each event in the annotations gets the frame it belongs to: the frame whose\n"
            "capture time (abs-capture-time) is its media.capture_ms, or the nearest one\n"
            "before; else the frame whose RTP timestamp is its media.rtp_ts; else the last\n"
            "frame recorded before the event. capture_ms comes first: it is the frame the\n"
            "clinician was looking at (rtp_ts is the newest frame when the relay got it).\n"
            "\n"
            "Exit status: 0 done, 1 usage, 2 not a readable recording, 3 no decodable video\n"
            "(no complete key frame), 4 an output could not be written.\n",
            TSN_EXPORT_DEFAULT_WINDOW);
}
