/* tsn-frame-check: checks the frames a viewer dumped (viewer/frame_dump.c)
 * against the source clip capture sent, for test_capture_view.sh.
 *
 *   tsn-frame-check --clip CLIP.mkv --frame-log frames.jsonl --frames DIR
 *                   [--mask X,Y,W,H]... [--min-psnr DB]
 *                   [--mask-max-luma N] [--mask-border N]
 *
 * The clip (FFV1 in Matroska) is decoded with filesrc ! matroskademux !
 * avdec_ffv1 ! videoconvert ! GRAY8: the source luma, exact for the GRAY8
 * clips. capture's frame log says which clip frame it sent at each capture
 * time; each dumped PNG is named by the capture time its frame carried, so
 * a PNG is matched to its source frame by exact capture time (a PNG with
 * capture time 0, or one not in the log, is unmatched). For a matched frame
 * the luma PSNR against the source is computed outside the mask rectangles
 * (capture blacked those out, so there source and decoded differ on
 * purpose). Every PNG, matched or not, must be black inside each mask:
 * luma <= --mask-max-luma (24) except --mask-border (2) pixels along mask
 * edges that face picture content. Why a border and a threshold: the encoder
 * sees a hard black/picture edge, and where that edge cuts through a block
 * the transform's quantisation error (and deblocking near block edges)
 * spreads a faint halo into the black. Measured on the bone clip through
 * x264 ultrafast zerolatency with a mask at odd coordinates (183,7,101,53):
 * at 500 kbit/s the rim pixels reach luma 25, one pixel further in stay
 * below 8; at 2 Mbit/s the rim stays below 16. (A 16-aligned mask showed no
 * halo at all.) A real leak (the patient banner) is ~100-200 levels over the
 * whole rectangle: leaving the mask off gave 97,571 offending pixels in 21
 * frames. So 2 pixels and 24 leave a wide margin both ways.
 *
 * Two more modes, for the annotation tests (the first argument picks them):
 *
 *   tsn-frame-check --blobs FILE.png [--min-luma N] [--max-ring N] [--max-side N]
 *       the isolated bright spots of one frame (tsn_fc_find_blobs: the
 *       phantom's point targets), brightest first, centroids in pixel-centre
 *       coordinates: {"file","width","height","count","blobs":[{x,y,peak,
 *       area,w,h,ring}...]}.
 *   tsn-frame-check --colour-at FILE.png --colour RRGGBB --at X,Y [--at X,Y]...
 *                   [--radius R (1)] [--tolerance T (24)]
 *       whether the frame has the colour at each point (X, Y normalised to
 *       the picture, 0..1, as annotations are): the pixel under the point or
 *       one within R pixels matches when no channel differs by more than T:
 *       {"file","width","height","colour","matched","total","points":[{x,y,
 *       px,py,match,best,diff}...]}.
 *   tsn-frame-check --diff A.png B.png
 *       how two frames of the same size differ, in luma: {"psnr" (100 when
 *       identical),"differing" (pixels),"over_32" (pixels more than 32
 *       apart: motion, not codec noise),"max_diff"}.
 *   Each prints one JSON object and exits 0 (the script asserts on it), 1
 *   when the PNG cannot be read, 2 for usage errors.
 *
 * Prints one JSON object on stdout; exits 0 when at least one frame matched,
 * every matched frame reached --min-psnr and no mask pixel failed; 1 with
 * the reason on stderr (and in "reason") otherwise; 2 for usage errors.
 * PNG -> luma: grey PNGs as is; RGB through BT.601 full-range weights. */
#include <dirent.h>
#include <errno.h>
#include <getopt.h>
#include <math.h>
#include <png.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <gst/video/video.h>
#include <jansson.h>

#include "frame_check_core.h"

#define MAX_MASKS 16

struct opts {
    const char *clip, *frame_log, *frames_dir;
    struct tsn_fc_rect masks[MAX_MASKS];
    size_t n_masks;
    double min_psnr;
    int mask_max_luma, mask_border;
};

struct clip {
    int width, height;
    uint8_t **frames; /* owned; n of width*height luma */
    size_t n;
};

struct plane {
    int width, height;
    uint8_t *luma; /* owned */
};

/* ---- Source clip ---- */

static int clip_add(struct clip *c, GstSample *sample)
{
    GstVideoInfo info;
    GstVideoFrame vf;
    if (!gst_video_info_from_caps(&info, gst_sample_get_caps(sample)) ||
        !gst_video_frame_map(&vf, &info, gst_sample_get_buffer(sample), GST_MAP_READ))
        return -EINVAL;
    c->width = GST_VIDEO_INFO_WIDTH(&info);
    c->height = GST_VIDEO_INFO_HEIGHT(&info);
    uint8_t *luma = malloc((size_t)c->width * (size_t)c->height);
    uint8_t **grown = realloc(c->frames, (c->n + 1) * sizeof *grown);
    if (!luma || !grown) {
        free(luma);
        if (grown)
            c->frames = grown;
        gst_video_frame_unmap(&vf);
        return -ENOMEM;
    }
    const uint8_t *src = GST_VIDEO_FRAME_PLANE_DATA(&vf, 0);
    int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&vf, 0);
    for (int y = 0; y < c->height; y++)
        memcpy(luma + (size_t)y * (size_t)c->width, src + (size_t)y * (size_t)stride,
               (size_t)c->width);
    gst_video_frame_unmap(&vf);
    c->frames = grown;
    c->frames[c->n++] = luma;
    return 0;
}

static int clip_load(const char *path, struct clip *c, char *why, size_t why_len)
{
    GError *err = NULL;
    GstElement *pipe = gst_parse_launch("filesrc name=src ! matroskademux ! avdec_ffv1 ! "
                                        "videoconvert ! video/x-raw,format=GRAY8 ! "
                                        "appsink name=sink sync=false",
                                        &err);
    if (!pipe) {
        snprintf(why, why_len, "clip pipeline: %s", err ? err->message : "?");
        g_clear_error(&err);
        return -EINVAL;
    }
    GstElement *src = gst_bin_get_by_name(GST_BIN(pipe), "src");
    GstElement *sink = gst_bin_get_by_name(GST_BIN(pipe), "sink");
    g_object_set(src, "location", path, NULL);
    int rc = 0;
    GstBus *bus = gst_element_get_bus(pipe);
    GstMessage *msg = NULL;
    gst_element_set_state(pipe, GST_STATE_PLAYING);
    /* Poll: pull_sample would block for ever when upstream fails. */
    while (rc == 0 && !(msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR))) {
        GstSample *s = gst_app_sink_try_pull_sample(GST_APP_SINK(sink), GST_SECOND / 10);
        if (s) {
            rc = clip_add(c, s);
            gst_sample_unref(s);
        } else if (gst_app_sink_is_eos(GST_APP_SINK(sink))) {
            break;
        }
    }
    if (msg) {
        gst_message_parse_error(msg, &err, NULL);
        snprintf(why, why_len, "decoding clip %s: %s", path, err->message);
        g_clear_error(&err);
        gst_message_unref(msg);
        rc = -EIO;
    } else if (rc == 0 && c->n == 0) {
        snprintf(why, why_len, "clip %s has no frames", path);
        rc = -ENODATA;
    } else if (rc != 0) {
        snprintf(why, why_len, "clip %s: %s", path, strerror(-rc));
    }
    gst_object_unref(bus);
    gst_element_set_state(pipe, GST_STATE_NULL);
    gst_object_unref(src);
    gst_object_unref(sink);
    gst_object_unref(pipe);
    return rc;
}

static void clip_free(struct clip *c)
{
    for (size_t i = 0; i < c->n; i++)
        free(c->frames[i]);
    free(c->frames);
}

/* ---- Frame log: capture_us -> clip index ---- */

/* A line that is not a log entry is fatal (capture wrote something else);
 * an entry without a usable index or capture time (capture writes index -1
 * when it lost track of a frame) is skipped and counted. */
static int log_load(const char *path, GHashTable *by_capture, size_t *skipped, char *why,
                    size_t why_len)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(why, why_len, "frame log %s: %s", path, strerror(errno));
        return -errno;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    int rc = 0;
    for (unsigned lineno = 1; rc == 0 && (n = getline(&line, &cap, f)) >= 0; lineno++) {
        struct tsn_fc_log_entry e;
        int prc = tsn_fc_parse_log_line(line, (size_t)n, &e);
        if (prc == -ENODATA)
            continue;
        if (prc == -ERANGE) {
            (*skipped)++;
            continue;
        }
        if (prc != 0) {
            snprintf(why, why_len, "frame log %s line %u: not {\"capture_us\":N,\"index\":N}", path,
                     lineno);
            rc = prc;
            break;
        }
        /* Values are index + 1 (NULL means absent), clamped to fit a gint:
         * an index that large is past any clip and counts as out of range. */
        gint64 *key = g_new(gint64, 1);
        *key = e.capture_us;
        gint value = e.index >= G_MAXINT - 1 ? G_MAXINT : (gint)e.index + 1;
        if (!g_hash_table_contains(by_capture, key))
            g_hash_table_insert(by_capture, key, GINT_TO_POINTER(value));
        else
            g_free(key);
    }
    free(line);
    fclose(f);
    return rc;
}

/* ---- Dumped PNGs ---- */

/* Reads an 8-bit (or 16-bit, stripped) grey or RGB(A) PNG into luma. */
static int png_load_luma(const char *path, struct plane *out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -errno;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    uint8_t *volatile rows = NULL;
    if (!info || setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        free(rows);
        free(out->luma);
        out->luma = NULL;
        fclose(f);
        return -EBADMSG;
    }
    png_init_io(png, f);
    png_read_info(png, info);
    png_set_strip_16(png);
    png_set_strip_alpha(png);
    png_set_palette_to_rgb(png);
    png_set_expand_gray_1_2_4_to_8(png);
    png_read_update_info(png, info);
    int w = (int)png_get_image_width(png, info), h = (int)png_get_image_height(png, info);
    int ch = png_get_channels(png, info);
    if (ch != 1 && ch != 3)
        png_error(png, "unexpected channel count");
    size_t row = (size_t)w * (size_t)ch;
    rows = malloc(row * (size_t)h);
    out->luma = malloc((size_t)w * (size_t)h);
    if (!rows || !out->luma)
        png_error(png, "out of memory");
    for (int y = 0; y < h; y++)
        png_read_row(png, rows + (size_t)y * row, NULL);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(f);
    if (ch == 1)
        memcpy(out->luma, rows, (size_t)w * (size_t)h);
    else
        tsn_fc_luma_from_rgb(rows, (size_t)w * (size_t)h, out->luma);
    free(rows);
    out->width = w;
    out->height = h;
    return 0;
}

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The dump's frame-*.png names, sorted (so by decoded index). */
static char **list_frames(const char *dir, size_t *n, char *why, size_t why_len)
{
    DIR *d = opendir(dir);
    if (!d) {
        snprintf(why, why_len, "frames directory %s: %s", dir, strerror(errno));
        return NULL;
    }
    char **names = NULL;
    size_t cnt = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        uint64_t idx;
        int64_t cap;
        if (tsn_fc_parse_frame_name(e->d_name, &idx, &cap) != 0)
            continue;
        char **grown = realloc(names, (cnt + 1) * sizeof *names);
        if (!grown)
            break;
        names = grown;
        names[cnt++] = strdup(e->d_name);
    }
    closedir(d);
    if (cnt)
        qsort(names, cnt, sizeof *names, cmp_names);
    *n = cnt;
    return names ? names : calloc(1, sizeof *names);
}

/* ---- The check ---- */

struct result {
    size_t frames, matched, unmatched, no_capture_time, unreadable, size_mismatch;
    size_t bad_log_index; /* matched a log entry whose index is past the clip */
    size_t log_skipped;   /* log entries with index < 0 or capture_us <= 0 */
    size_t below_min;
    double *psnr; /* owned; one per matched frame */
    double worst_psnr;
    char worst_file[300];
    int64_t worst_capture_us, worst_index;
    long mask_pixels;
    size_t mask_frames;
    char mask_file[300];
    int mask_x, mask_y, mask_luma;
};

static void check_masks(const struct opts *o, const char *name, const struct plane *p,
                        struct result *r)
{
    long frame_bad = 0;
    for (size_t m = 0; m < o->n_masks; m++) {
        int x = 0, y = 0, v = 0;
        long bad = tsn_fc_mask_violations(p->luma, p->width, p->height, &o->masks[m],
                                          o->mask_border, o->mask_max_luma, &x, &y, &v);
        if (bad && r->mask_pixels == 0 && frame_bad == 0) {
            snprintf(r->mask_file, sizeof r->mask_file, "%s", name);
            r->mask_x = x;
            r->mask_y = y;
            r->mask_luma = v;
        }
        frame_bad += bad;
    }
    r->mask_pixels += frame_bad;
    r->mask_frames += frame_bad > 0;
}

static void check_frame(const struct opts *o, const struct clip *c, GHashTable *log,
                        const char *name, struct result *r)
{
    char path[4096];
    uint64_t idx;
    int64_t cap;
    struct plane p = {0};
    tsn_fc_parse_frame_name(name, &idx, &cap);
    snprintf(path, sizeof path, "%s/%s", o->frames_dir, name);
    r->frames++;
    if (png_load_luma(path, &p) != 0) {
        r->unreadable++;
        return;
    }
    if (p.width != c->width || p.height != c->height) {
        r->size_mismatch++;
        free(p.luma);
        return;
    }
    check_masks(o, name, &p, r);
    gpointer hit = cap > 0 ? g_hash_table_lookup(log, &cap) : NULL;
    int64_t src = hit ? (int64_t)GPOINTER_TO_INT(hit) - 1 : -1;
    if (cap == 0)
        r->no_capture_time++;
    if (src >= 0 && (size_t)src >= c->n)
        r->bad_log_index++;
    if (src < 0 || (size_t)src >= c->n) {
        r->unmatched++;
        free(p.luma);
        return;
    }
    double db = tsn_fc_psnr(p.luma, c->frames[src], p.width, p.height, o->masks, o->n_masks);
    r->psnr[r->matched++] = db;
    r->below_min += db < o->min_psnr;
    if (r->matched == 1 || db < r->worst_psnr) {
        r->worst_psnr = db;
        snprintf(r->worst_file, sizeof r->worst_file, "%s", name);
        r->worst_capture_us = cap;
        r->worst_index = src;
    }
    free(p.luma);
}

static json_t *result_json(const struct opts *o, const struct clip *c, size_t log_entries,
                           struct result *r, const char *reason)
{
    double mean = 0;
    for (size_t i = 0; i < r->matched; i++)
        mean += r->psnr[i] / (double)r->matched;
    double min = r->matched ? r->worst_psnr : NAN;
    double p5 = tsn_fc_percentile(r->psnr, r->matched, 5);
    json_t *worst = r->matched
                        ? json_pack("{s:s, s:I, s:I, s:f}", "file", r->worst_file, "capture_us",
                                    (json_int_t)r->worst_capture_us, "clip_index",
                                    (json_int_t)r->worst_index, "psnr", r->worst_psnr)
                        : json_null();
    json_t *first = r->mask_pixels ? json_pack("{s:s, s:i, s:i, s:i}", "file", r->mask_file, "x",
                                               r->mask_x, "y", r->mask_y, "luma", r->mask_luma)
                                   : json_null();
    return json_pack("{s:b, s:s?, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:I, s:o, s:o, s:o, "
                     "s:f, s:I, s:o,"
                     " s:{s:I, s:I, s:i, s:i, s:o}}",
                     "ok", reason == NULL, "reason", reason, "clip_frames", (json_int_t)c->n,
                     "log_entries", (json_int_t)log_entries, "log_skipped",
                     (json_int_t)r->log_skipped, "frames", (json_int_t)r->frames, "matched",
                     (json_int_t)r->matched, "unmatched", (json_int_t)r->unmatched,
                     "without_capture_time", (json_int_t)r->no_capture_time, "unreadable",
                     (json_int_t)r->unreadable, "size_mismatch", (json_int_t)r->size_mismatch,
                     "log_index_out_of_range", (json_int_t)r->bad_log_index, "psnr_min",
                     isnan(min) ? json_null() : json_real(min), "psnr_mean",
                     r->matched ? json_real(mean) : json_null(), "psnr_p5",
                     isnan(p5) ? json_null() : json_real(p5), "min_psnr", o->min_psnr,
                     "below_min_psnr", (json_int_t)r->below_min, "worst", worst, "mask_violations",
                     "count", (json_int_t)r->mask_pixels, "frames", (json_int_t)r->mask_frames,
                     "max_luma", o->mask_max_luma, "border", o->mask_border, "first", first);
}

/* NULL when the run passes, else the reason, written into buf. */
static const char *verdict(const struct opts *o, const struct clip *c, const struct result *r,
                           char *buf, size_t len)
{
    if (r->size_mismatch || r->unreadable)
        snprintf(buf, len, "%zu dumped frames unreadable and %zu not %dx%d like the clip",
                 r->unreadable, r->size_mismatch, c->width, c->height);
    else if (r->matched == 0)
        snprintf(buf, len, "no dumped frame matched a frame-log entry by capture time (%zu frames)",
                 r->frames);
    else if (r->below_min)
        snprintf(buf, len, "%zu of %zu matched frames below %.1f dB (worst %s: %.2f dB)",
                 r->below_min, r->matched, o->min_psnr, r->worst_file, r->worst_psnr);
    else if (r->mask_pixels)
        snprintf(buf, len, "%ld masked pixels not black in %zu frames (first %s x=%d y=%d luma %d)",
                 r->mask_pixels, r->mask_frames, r->mask_file, r->mask_x, r->mask_y, r->mask_luma);
    else
        return NULL;
    return buf;
}

/* ---- Command line ---- */

static void usage(FILE *to)
{
    fprintf(to, "usage: tsn-frame-check --clip CLIP.mkv --frame-log FILE --frames DIR\n"
                "                       [--mask X,Y,W,H]... [--min-psnr DB]\n"
                "                       [--mask-max-luma N (24)] [--mask-border N (2)]\n");
}

static int parse_int(const char *s, int lo, int hi, int *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (*s == '\0' || *end != '\0' || v < lo || v > hi)
        return -EINVAL;
    *out = (int)v;
    return 0;
}

static int parse_opts(int argc, char **argv, struct opts *o)
{
    static const struct option longopts[] = {
        {"clip", required_argument, NULL, 'c'},
        {"frame-log", required_argument, NULL, 'l'},
        {"frames", required_argument, NULL, 'f'},
        {"mask", required_argument, NULL, 'm'},
        {"min-psnr", required_argument, NULL, 'p'},
        {"mask-max-luma", required_argument, NULL, 'L'},
        {"mask-border", required_argument, NULL, 'b'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    *o = (struct opts){.min_psnr = 0, .mask_max_luma = 24, .mask_border = 2};
    int c;
    char *end;
    while ((c = getopt_long(argc, argv, "", longopts, NULL)) != -1) {
        switch (c) {
        case 'c':
            o->clip = optarg;
            break;
        case 'l':
            o->frame_log = optarg;
            break;
        case 'f':
            o->frames_dir = optarg;
            break;
        case 'm':
            if (o->n_masks == MAX_MASKS || tsn_fc_parse_rect(optarg, &o->masks[o->n_masks]) != 0) {
                fprintf(stderr, "tsn-frame-check: bad --mask '%s' (X,Y,W,H; at most %d)\n", optarg,
                        MAX_MASKS);
                return -EINVAL;
            }
            o->n_masks++;
            break;
        case 'p':
            o->min_psnr = strtod(optarg, &end);
            if (*optarg == '\0' || *end != '\0' || !isfinite(o->min_psnr)) {
                fprintf(stderr, "tsn-frame-check: bad --min-psnr '%s'\n", optarg);
                return -EINVAL;
            }
            break;
        case 'L':
        case 'b':
            if (parse_int(optarg, 0, 255, c == 'L' ? &o->mask_max_luma : &o->mask_border) != 0) {
                fprintf(stderr, "tsn-frame-check: bad value '%s' (0..255)\n", optarg);
                return -EINVAL;
            }
            break;
        case 'h':
            usage(stdout);
            exit(0);
        default:
            return -EINVAL;
        }
    }
    if (!o->clip || !o->frame_log || !o->frames_dir || optind != argc) {
        usage(stderr);
        return -EINVAL;
    }
    return 0;
}

static void free_names(char **names, size_t n)
{
    for (size_t i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

/* ---- Spots and colours (annotation tests) ---- */

/* Reads an 8-bit grey or RGB(A) PNG as packed RGB24 (grey replicated). */
static int png_load_rgb(const char *path, uint8_t **rgb_out, int *w_out, int *h_out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return -errno;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    uint8_t *volatile rgb = NULL;
    if (!info || setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        free(rgb);
        fclose(f);
        return -EBADMSG;
    }
    png_init_io(png, f);
    png_read_info(png, info);
    png_set_strip_16(png);
    png_set_strip_alpha(png);
    png_set_palette_to_rgb(png);
    png_set_gray_to_rgb(png);
    png_read_update_info(png, info);
    int w = (int)png_get_image_width(png, info), h = (int)png_get_image_height(png, info);
    if (png_get_channels(png, info) != 3)
        png_error(png, "unexpected channel count");
    rgb = malloc((size_t)w * 3 * (size_t)h);
    if (!rgb)
        png_error(png, "out of memory");
    for (int y = 0; y < h; y++)
        png_read_row(png, rgb + (size_t)y * (size_t)w * 3, NULL);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(f);
    *rgb_out = rgb;
    *w_out = w;
    *h_out = h;
    return 0;
}

static int blobs_main(int argc, char **argv)
{
    struct tsn_fc_blob_opts bo = TSN_FC_BLOB_DEFAULTS;
    const char *file = argv[2];
    for (int i = 3; i + 1 < argc; i += 2) {
        int *dst = strcmp(argv[i], "--min-luma") == 0   ? &bo.min_luma
                   : strcmp(argv[i], "--max-ring") == 0 ? &bo.max_ring_luma
                   : strcmp(argv[i], "--max-side") == 0 ? &bo.max_side
                                                        : NULL;
        if (!dst || parse_int(argv[i + 1], 0, 255, dst) != 0) {
            fprintf(stderr, "tsn-frame-check --blobs: bad option %s\n", argv[i]);
            return 2;
        }
    }
    if (argc % 2 != 1) {
        fprintf(stderr, "tsn-frame-check --blobs FILE [--min-luma N] [--max-ring N] "
                        "[--max-side N]\n");
        return 2;
    }
    struct plane p = {0};
    if (png_load_luma(file, &p) != 0) {
        fprintf(stderr, "tsn-frame-check: cannot read %s\n", file);
        return 1;
    }
    struct tsn_fc_blob b[64];
    long n = tsn_fc_find_blobs(p.luma, p.width, p.height, &bo, b, 64);
    free(p.luma);
    if (n < 0)
        return 1;
    json_t *a = json_array();
    for (long i = 0; i < n && i < 64; i++)
        json_array_append_new(a, json_pack("{s:f, s:f, s:i, s:i, s:i, s:i, s:f}", "x", b[i].x, "y",
                                           b[i].y, "peak", b[i].peak, "area", b[i].area, "w",
                                           b[i].w, "h", b[i].h, "ring", b[i].ring_mean));
    json_t *j = json_pack("{s:s, s:i, s:i, s:I, s:o}", "file", file, "width", p.width, "height",
                          p.height, "count", (json_int_t)n, "blobs", a);
    json_dumpf(j, stdout, JSON_COMPACT | JSON_REAL_PRECISION(8));
    fputc('\n', stdout);
    json_decref(j);
    return 0;
}

struct colour_point {
    double x, y;
};

/* The best match of rgb around pixel (px, py) within radius: 0..255. */
static int best_diff(const uint8_t *img, int w, int h, int px, int py, int radius,
                     const int want[3], int best_rgb[3])
{
    int best = 256;
    for (int y = py - radius; y <= py + radius; y++) {
        for (int x = px - radius; x <= px + radius; x++) {
            if (x < 0 || y < 0 || x >= w || y >= h)
                continue;
            const uint8_t *q = img + ((size_t)y * (size_t)w + (size_t)x) * 3;
            int d = 0;
            for (int c = 0; c < 3; c++)
                d = abs(q[c] - want[c]) > d ? abs(q[c] - want[c]) : d;
            if (d < best) {
                best = d;
                for (int c = 0; c < 3; c++)
                    best_rgb[c] = q[c];
            }
        }
    }
    return best;
}

static int colour_main(int argc, char **argv)
{
    const char *file = argv[2];
    unsigned colour = 0;
    int have_colour = 0, radius = 1, tolerance = 24;
    struct colour_point pts[64];
    size_t n = 0;
    for (int i = 3; i + 1 < argc; i += 2) {
        const char *v = argv[i + 1];
        char *end;
        if (strcmp(argv[i], "--colour") == 0) {
            colour = (unsigned)strtoul(v, &end, 16);
            have_colour = strlen(v) == 6 && *end == '\0';
        } else if (strcmp(argv[i], "--at") == 0 && n < 64) {
            pts[n].x = strtod(v, &end);
            if (*end != ',')
                return 2;
            pts[n].y = strtod(end + 1, &end);
            if (*end != '\0')
                return 2;
            n++;
        } else if (strcmp(argv[i], "--radius") == 0 && parse_int(v, 0, 64, &radius) == 0) {
        } else if (strcmp(argv[i], "--tolerance") == 0 && parse_int(v, 0, 255, &tolerance) == 0) {
        } else {
            fprintf(stderr, "tsn-frame-check --colour-at: bad option %s\n", argv[i]);
            return 2;
        }
    }
    if (argc % 2 != 1 || !have_colour || n == 0) {
        fprintf(stderr, "tsn-frame-check --colour-at FILE --colour RRGGBB --at X,Y... "
                        "[--radius R] [--tolerance T]\n");
        return 2;
    }
    uint8_t *img = NULL;
    int w = 0, h = 0;
    if (png_load_rgb(file, &img, &w, &h) != 0) {
        fprintf(stderr, "tsn-frame-check: cannot read %s\n", file);
        return 1;
    }
    int want[3] = {(int)(colour >> 16) & 255, (int)(colour >> 8) & 255, (int)colour & 255};
    json_t *a = json_array();
    int matched = 0;
    for (size_t i = 0; i < n; i++) {
        int px = (int)floor(pts[i].x * w), py = (int)floor(pts[i].y * h);
        px = px < 0 ? 0 : (px >= w ? w - 1 : px);
        py = py < 0 ? 0 : (py >= h ? h - 1 : py);
        int got[3] = {0, 0, 0};
        int d = best_diff(img, w, h, px, py, radius, want, got);
        char best[8];
        snprintf(best, sizeof best, "%02x%02x%02x", got[0], got[1], got[2]);
        matched += d <= tolerance;
        json_array_append_new(a, json_pack("{s:f, s:f, s:i, s:i, s:b, s:s, s:i}", "x", pts[i].x,
                                           "y", pts[i].y, "px", px, "py", py, "match",
                                           d <= tolerance, "best", best, "diff", d));
    }
    free(img);
    char hex[8];
    snprintf(hex, sizeof hex, "%06x", colour & 0xffffffu);
    json_t *j = json_pack("{s:s, s:i, s:i, s:s, s:i, s:i, s:o}", "file", file, "width", w, "height",
                          h, "colour", hex, "matched", matched, "total", (int)n, "points", a);
    json_dumpf(j, stdout, JSON_COMPACT | JSON_REAL_PRECISION(8));
    fputc('\n', stdout);
    json_decref(j);
    return 0;
}

static int diff_main(int argc, char **argv)
{
    struct plane a = {0}, b = {0};
    if (argc != 4) {
        fprintf(stderr, "tsn-frame-check --diff A.png B.png\n");
        return 2;
    }
    int rc = 1;
    if (png_load_luma(argv[2], &a) != 0 || png_load_luma(argv[3], &b) != 0 || a.width != b.width ||
        a.height != b.height) {
        fprintf(stderr, "tsn-frame-check: cannot compare %s and %s\n", argv[2], argv[3]);
        goto out;
    }
    long differing = 0, over_32 = 0;
    int max_diff = 0;
    for (size_t i = 0; i < (size_t)a.width * (size_t)a.height; i++) {
        int d = abs(a.luma[i] - b.luma[i]);
        differing += d != 0;
        over_32 += d > 32;
        max_diff = d > max_diff ? d : max_diff;
    }
    double db = tsn_fc_psnr(a.luma, b.luma, a.width, a.height, NULL, 0);
    printf("{\"psnr\":%.3f,\"differing\":%ld,\"over_32\":%ld,\"max_diff\":%d}\n", db, differing,
           over_32, max_diff);
    rc = 0;
out:
    free(a.luma);
    free(b.luma);
    return rc;
}

int main(int argc, char **argv)
{
    if (argc >= 2 && strcmp(argv[1], "--diff") == 0)
        return diff_main(argc, argv);
    if (argc >= 3 && strcmp(argv[1], "--blobs") == 0)
        return blobs_main(argc, argv);
    if (argc >= 3 && strcmp(argv[1], "--colour-at") == 0)
        return colour_main(argc, argv);
    struct opts o;
    if (parse_opts(argc, argv, &o) != 0)
        return 2;
    gst_init(NULL, NULL);

    char why[512] = "", reason_buf[512];
    int status = 1;
    struct clip clip = {0};
    struct result r = {0};
    size_t n_names = 0;
    char **names = NULL;
    GHashTable *log = g_hash_table_new_full(g_int64_hash, g_int64_equal, g_free, NULL);

    if (clip_load(o.clip, &clip, why, sizeof why) != 0 ||
        log_load(o.frame_log, log, &r.log_skipped, why, sizeof why) != 0 ||
        !(names = list_frames(o.frames_dir, &n_names, why, sizeof why))) {
        fprintf(stderr, "tsn-frame-check: %s\n", why);
        goto out;
    }
    r.psnr = calloc(n_names ? n_names : 1, sizeof *r.psnr);
    if (!r.psnr)
        goto out;
    for (size_t i = 0; i < n_names; i++)
        check_frame(&o, &clip, log, names[i], &r);
    const char *reason = verdict(&o, &clip, &r, reason_buf, sizeof reason_buf);
    json_t *j = result_json(&o, &clip, g_hash_table_size(log), &r, reason);
    if (j) {
        json_dumpf(j, stdout, JSON_COMPACT | JSON_REAL_PRECISION(6));
        fputc('\n', stdout);
        json_decref(j);
    }
    if (reason)
        fprintf(stderr, "tsn-frame-check: FAIL: %s\n", reason);
    status = reason ? 1 : 0;
out:
    free(r.psnr);
    free_names(names, n_names);
    g_hash_table_destroy(log);
    clip_free(&clip);
    return status;
}
