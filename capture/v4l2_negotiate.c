/* V4L2 format negotiation, the probe and the error sentences (see
 * v4l2_negotiate.h for the rules). Every step fills `why` with a sentence a
 * person can act on when it fails; nothing here logs except a driver
 * adjusting what we asked for. */
#include "v4l2_negotiate.h"

#include <errno.h>
#include <fcntl.h>
#include <linux/videodev2.h>
#include <stdio.h>
#include <string.h>

#include "log.h"

#define MAX_FORMATS    32
#define MAX_SIZES      64
#define MAX_INTERVALS  32
#define ACCEPTED_NAMES "GREY, NV12, YUYV, MJPG"

/* Formats we take, in the order auto negotiation prefers them: grey first
 * (ultrasound is grey and it is the smallest), then the YUV layouts, then
 * MJPEG, which costs a decode. */
static const uint32_t preferred_fourccs[] = {
    V4L2_PIX_FMT_GREY, V4L2_PIX_FMT_NV12, V4L2_PIX_FMT_YUYV, V4L2_PIX_FMT_MJPEG, V4L2_PIX_FMT_JPEG};
#define N_PREFERRED (sizeof preferred_fourccs / sizeof preferred_fourccs[0])

/* One negotiation: the device, the wish, and where the sentence goes. */
struct nego {
    const struct tsn_v4l2_ops *ops;
    int fd;
    const char *path;
    const struct tsn_v4l2_want *want;
    char *why;
    size_t why_len;
};

struct choice {
    uint32_t fourcc, width, height; /* width 0: the driver lists no sizes */
};

static int xioctl(const struct nego *n, unsigned long req, void *arg)
{
    return n->ops->ioctl(n->ops->ctx, n->fd, req, arg);
}

static const char *errtext(int err, char *buf, size_t len)
{
    /* GNU strerror_r (we build with _GNU_SOURCE): thread-safe, may ignore buf. */
    return strerror_r(err < 0 ? -err : err, buf, len);
}

static uint32_t gcd32(uint32_t a, uint32_t b)
{
    while (b) {
        uint32_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static uint64_t area(uint32_t w, uint32_t h)
{
    return (uint64_t)w * h;
}

static uint64_t distance(uint64_t a, uint64_t b)
{
    return a > b ? a - b : b - a;
}

/* ---- sentences ---- */

int tsn_v4l2_negotiate_explain(int err, const char *path, const char *step, char *why, size_t len)
{
    char eb[96];
    switch (-err) {
    case ENOENT:
        snprintf(why, len,
                 "device %s does not exist (is the probe plugged in? see `ls /dev/video*`)", path);
        break;
    case EACCES:
    case EPERM:
        snprintf(why, len,
                 "no permission to open %s (add the user to the video group or install a "
                 "udev rule; see docs/operations.md)",
                 path);
        break;
    case EBUSY:
        snprintf(why, len, "device %s is busy (another program is using it)", path);
        break;
    case ENODEV:
    case ENXIO:
    case EIO:
        snprintf(why, len, "device %s was unplugged (%s: %s)", path, step,
                 errtext(err, eb, sizeof eb));
        break;
    default:
        snprintf(why, len, "device %s: %s failed: %s", path, step, errtext(err, eb, sizeof eb));
        break;
    }
    return err;
}

bool tsn_v4l2_negotiate_is_permanent(int err)
{
    return err == -ENOTTY || err == -ENOTSUP || err == -EINVAL;
}

static void list_formats(const uint32_t *fmts, int n, char *out, size_t len)
{
    size_t used = 0;
    out[0] = '\0';
    for (int i = 0; i < n && used + 6 < len; i++) {
        char name[5];
        used += (size_t)snprintf(out + used, len - used, "%s%s", i ? " " : "",
                                 tsn_v4l2_fourcc_name(fmts[i], name));
    }
    if (n == 0)
        snprintf(out, len, "nothing");
}

/* The sentence for a device without a format we take (or without the one
 * configured); offered is the list_formats() text. */
static void no_format_why(const char *path, uint32_t wanted, const char *offered, char *why,
                          size_t len)
{
    char name[5];
    if (wanted)
        snprintf(why, len, "%s does not offer format %s (it offers: %s)", path,
                 tsn_v4l2_fourcc_name(wanted, name), offered);
    else
        snprintf(why, len,
                 "%s offers no supported format (it offers: %s; telesono-capture takes %s)", path,
                 offered, ACCEPTED_NAMES);
}

/* ---- capabilities and formats ---- */

static int query_caps(const struct nego *n, struct v4l2_capability *cap)
{
    memset(cap, 0, sizeof *cap);
    int r = xioctl(n, VIDIOC_QUERYCAP, cap);
    if (r == -ENOTTY || r == -EINVAL) {
        snprintf(n->why, n->why_len, "%s is not a V4L2 video device", n->path);
        return -ENOTTY;
    }
    if (r < 0)
        return tsn_v4l2_negotiate_explain(r, n->path, "VIDIOC_QUERYCAP", n->why, n->why_len);
    uint32_t caps =
        (cap->capabilities & V4L2_CAP_DEVICE_CAPS) ? cap->device_caps : cap->capabilities;
    if (!(caps & V4L2_CAP_VIDEO_CAPTURE) || !(caps & V4L2_CAP_STREAMING)) {
        snprintf(n->why, n->why_len,
                 "%s is not a video capture device (capabilities 0x%08x; a UVC camera also "
                 "creates a metadata node: try the other /dev/videoN of `v4l2-ctl "
                 "--list-devices`)",
                 n->path, caps);
        return -ENOTTY;
    }
    return 0;
}

static int enum_formats(const struct nego *n, uint32_t *out, int max)
{
    int count = 0;
    for (uint32_t i = 0; count < max; i++) {
        struct v4l2_fmtdesc d = {.index = i, .type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
        if (xioctl(n, VIDIOC_ENUM_FMT, &d) < 0)
            break;
        out[count++] = d.pixelformat;
    }
    return count;
}

/* ---- size and rate ---- */

static uint32_t clamp_step(uint32_t v, uint32_t lo, uint32_t hi, uint32_t step)
{
    if (v <= lo)
        return lo;
    if (v >= hi)
        return hi;
    step = step ? step : 1;
    uint32_t snapped = lo + (v - lo + step / 2) / step * step;
    return snapped > hi ? hi : snapped;
}

/* Is candidate (cw x ch) a better pick than the current (*w x *h)? */
static bool better_size(const struct tsn_v4l2_want *want, uint32_t cw, uint32_t ch, uint32_t w,
                        uint32_t h)
{
    if (w == 0)
        return true;
    if (want->width == 0 || want->height == 0)
        return area(cw, ch) > area(w, h);
    uint64_t goal = area(want->width, want->height);
    uint64_t dc = distance(area(cw, ch), goal), db = distance(area(w, h), goal);
    return dc < db || (dc == db && area(cw, ch) > area(w, h));
}

/* Picks a frame size for c->fourcc into c: the wanted one if offered, else
 * the closest by area (ties to the larger); 0x0 wanted = the largest.
 * Returns true for an exact match; c->width stays 0 when the driver lists
 * no sizes. */
static bool pick_size(const struct nego *n, struct choice *c)
{
    const uint32_t ww = n->want->width, wh = n->want->height;
    const bool any = ww == 0 || wh == 0;
    c->width = c->height = 0;
    struct v4l2_frmsizeenum fs = {.index = 0, .pixel_format = c->fourcc};
    if (xioctl(n, VIDIOC_ENUM_FRAMESIZES, &fs) < 0)
        return false;
    if (fs.type != V4L2_FRMSIZE_TYPE_DISCRETE) {
        const struct v4l2_frmsize_stepwise *s = &fs.stepwise;
        c->width = any ? s->max_width : clamp_step(ww, s->min_width, s->max_width, s->step_width);
        c->height =
            any ? s->max_height : clamp_step(wh, s->min_height, s->max_height, s->step_height);
        return !any && c->width == ww && c->height == wh;
    }
    for (uint32_t i = 0; i < MAX_SIZES; i++) {
        fs = (struct v4l2_frmsizeenum){.index = i, .pixel_format = c->fourcc};
        if (xioctl(n, VIDIOC_ENUM_FRAMESIZES, &fs) < 0 || fs.type != V4L2_FRMSIZE_TYPE_DISCRETE)
            break;
        uint32_t cw = fs.discrete.width, ch = fs.discrete.height;
        if (!any && cw == ww && ch == wh) {
            c->width = cw;
            c->height = ch;
            return true;
        }
        if (better_size(n->want, cw, ch, c->width, c->height)) {
            c->width = cw;
            c->height = ch;
        }
    }
    return false;
}

/* Picks a frame interval (seconds per frame, num/den) for the negotiated
 * size: the one whose rate is closest to the wanted rate, or the fastest.
 * Returns 0, or -ENOENT when the driver lists none. */
static int pick_interval(const struct nego *n, const struct choice *c, struct v4l2_fract *out)
{
    const double want = n->want->fps;
    double best_fps = 0;
    struct v4l2_frmivalenum fi = {
        .index = 0, .pixel_format = c->fourcc, .width = c->width, .height = c->height};
    if (xioctl(n, VIDIOC_ENUM_FRAMEINTERVALS, &fi) < 0)
        return -ENOENT;
    if (fi.type != V4L2_FRMIVAL_TYPE_DISCRETE) {
        /* Continuous or stepwise from min (fastest) to max (slowest). */
        struct v4l2_fract lo = fi.stepwise.min, hi = fi.stepwise.max;
        if (want <= 0 || lo.numerator * want >= lo.denominator)
            *out = lo;
        else if (hi.numerator * want <= hi.denominator)
            *out = hi;
        else
            *out = (struct v4l2_fract){1, n->want->fps};
        return 0;
    }
    bool found = false;
    for (uint32_t i = 0; i < MAX_INTERVALS; i++) {
        fi = (struct v4l2_frmivalenum){
            .index = i, .pixel_format = c->fourcc, .width = c->width, .height = c->height};
        if (xioctl(n, VIDIOC_ENUM_FRAMEINTERVALS, &fi) < 0 || fi.type != V4L2_FRMIVAL_TYPE_DISCRETE)
            break;
        if (fi.discrete.numerator == 0)
            continue;
        double fps = (double)fi.discrete.denominator / fi.discrete.numerator;
        bool better =
            !found || (want <= 0 ? fps > best_fps
                                 : (fps > want ? fps - want : want - fps) <
                                       (best_fps > want ? best_fps - want : want - best_fps));
        if (better) {
            *out = fi.discrete;
            best_fps = fps;
            found = true;
        }
    }
    return found ? 0 : -ENOENT;
}

/* Does the device offer the wanted rate at this format and size? Yes when
 * nothing particular is wanted or the driver does not list rates. */
static bool rate_offered(const struct nego *n, const struct choice *c)
{
    struct v4l2_fract tpf;
    if (n->want->fps == 0 || pick_interval(n, c, &tpf) < 0)
        return true;
    double fps = tpf.numerator ? (double)tpf.denominator / tpf.numerator : 0;
    return fps > n->want->fps - 0.5 && fps < n->want->fps + 0.5;
}

/* Chooses format and size. Each format the device offers, in preference
 * order, scores 2 when it offers the wanted size at the wanted rate, 1 for
 * the size at another rate, 0 for a size that only comes close; the first
 * highest score wins. So a UVC camera offering 1280x720 at 30 fps only in
 * MJPEG (YUYV at 10 fps, for USB 2 bandwidth) gives MJPEG when 1280x720 at
 * 30 is asked for. A configured fourcc is the only candidate. */
static int pick_format(const struct nego *n, struct choice *out)
{
    uint32_t offered[MAX_FORMATS];
    int count = enum_formats(n, offered, MAX_FORMATS);
    int best = -1;
    for (size_t p = 0; p < N_PREFERRED && best < 2; p++) {
        uint32_t fourcc = preferred_fourccs[p];
        if (n->want->fourcc && fourcc != n->want->fourcc)
            continue;
        bool listed = false;
        for (int i = 0; i < count && !listed; i++)
            listed = offered[i] == fourcc;
        if (!listed)
            continue;
        struct choice c = {.fourcc = fourcc};
        int score = pick_size(n, &c) ? 1 + rate_offered(n, &c) : 0;
        if (score > best) {
            *out = c;
            best = score;
        }
    }
    if (best >= 0)
        return 0;
    char names[160];
    list_formats(offered, count, names, sizeof names);
    no_format_why(n->path, n->want->fourcc, names, n->why, n->why_len);
    return -ENOTSUP;
}

/* ---- setting them ---- */

/* Sets the chosen format and reads back what the driver made of it. */
static int set_format(const struct nego *n, const struct choice *c, struct tsn_v4l2_format *out)
{
    struct v4l2_format f = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
    char name[5], eb[96];
    int r;
    if (c->width == 0) {
        /* The driver lists no sizes: ask for the wanted one or keep its own. */
        r = xioctl(n, VIDIOC_G_FMT, &f);
        if (r < 0)
            return tsn_v4l2_negotiate_explain(r, n->path, "VIDIOC_G_FMT", n->why, n->why_len);
        if (n->want->width && n->want->height) {
            f.fmt.pix.width = n->want->width;
            f.fmt.pix.height = n->want->height;
        }
    } else {
        f.fmt.pix.width = c->width;
        f.fmt.pix.height = c->height;
    }
    f.type = V4L2_BUF_TYPE_VIDEO_CAPTURE;
    f.fmt.pix.pixelformat = c->fourcc;
    f.fmt.pix.field = V4L2_FIELD_ANY;
    f.fmt.pix.bytesperline = 0;
    f.fmt.pix.sizeimage = 0;
    r = xioctl(n, VIDIOC_S_FMT, &f);
    if (r == -EBUSY || r == -ENODEV || r == -EIO)
        return tsn_v4l2_negotiate_explain(r, n->path, "VIDIOC_S_FMT", n->why, n->why_len);
    if (r < 0) {
        snprintf(n->why, n->why_len, "%s refused format %s %ux%u: %s", n->path,
                 tsn_v4l2_fourcc_name(c->fourcc, name), c->width, c->height,
                 errtext(r, eb, sizeof eb));
        return -EINVAL;
    }
    const struct v4l2_pix_format *p = &f.fmt.pix;
    const bool jpeg = tsn_v4l2_format_is_jpeg(p->pixelformat);
    const uint32_t row = tsn_v4l2_format_row_bytes(p->pixelformat, p->width);
    if (!tsn_v4l2_format_accepted(p->pixelformat) || p->width == 0 || p->height == 0 ||
        (!jpeg && p->bytesperline && p->bytesperline < row)) {
        snprintf(n->why, n->why_len,
                 "%s chose format %s %ux%u stride %u, which telesono-capture cannot take", n->path,
                 tsn_v4l2_fourcc_name(p->pixelformat, name), p->width, p->height, p->bytesperline);
        return -EINVAL;
    }
    *out = (struct tsn_v4l2_format){
        .fourcc = p->pixelformat,
        .width = p->width,
        .height = p->height,
        .bytesperline = jpeg ? 0 : (p->bytesperline ? p->bytesperline : row),
        .sizeimage = p->sizeimage,
        .fps_num = 0,
        .fps_den = 1,
    };
    if (c->width && (p->width != c->width || p->height != c->height))
        tsn_info("[v4l2 %s] asked for %ux%u, the driver chose %ux%u", n->path, c->width, c->height,
                 p->width, p->height);
    return 0;
}

/* Sets the frame rate where the driver lets us, and reads it back into
 * fmt (0/1 when the driver does not say). */
static int set_rate(const struct nego *n, struct tsn_v4l2_format *fmt)
{
    struct v4l2_fract tpf = {0, 0};
    const struct choice c = {fmt->fourcc, fmt->width, fmt->height};
    bool have = pick_interval(n, &c, &tpf) == 0;
    if (!have && n->want->fps) {
        tpf = (struct v4l2_fract){1, n->want->fps};
        have = true;
    }
    struct v4l2_streamparm parm = {.type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
    int r = xioctl(n, VIDIOC_G_PARM, &parm);
    if (r == 0 && have && (parm.parm.capture.capability & V4L2_CAP_TIMEPERFRAME)) {
        parm = (struct v4l2_streamparm){.type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
        parm.parm.capture.timeperframe = tpf;
        r = xioctl(n, VIDIOC_S_PARM, &parm);
        if (r == -EBUSY || r == -ENODEV || r == -EIO)
            return tsn_v4l2_negotiate_explain(r, n->path, "VIDIOC_S_PARM", n->why, n->why_len);
        if (r < 0) {
            tsn_warn("[v4l2 %s] the driver refused %u/%u s per frame", n->path, tpf.numerator,
                     tpf.denominator);
            parm = (struct v4l2_streamparm){.type = V4L2_BUF_TYPE_VIDEO_CAPTURE};
            r = xioctl(n, VIDIOC_G_PARM, &parm);
        }
    }
    const struct v4l2_fract *got = &parm.parm.capture.timeperframe;
    if (r == 0 && got->numerator && got->denominator) {
        uint32_t g = gcd32(got->numerator, got->denominator);
        fmt->fps_num = got->denominator / g;
        fmt->fps_den = got->numerator / g;
    }
    return 0;
}

int tsn_v4l2_negotiate(const struct tsn_v4l2_ops *ops, int fd, const char *path,
                       const struct tsn_v4l2_want *want, struct tsn_v4l2_format *out, char *why,
                       size_t why_len)
{
    const struct nego n = {ops, fd, path, want, why, why_len};
    struct v4l2_capability cap;
    struct choice c = {0};
    int r = query_caps(&n, &cap);
    if (r == 0)
        r = pick_format(&n, &c);
    if (r == 0)
        r = set_format(&n, &c, out);
    if (r == 0)
        r = set_rate(&n, out);
    return r;
}

int tsn_v4l2_probe(const char *path, const struct tsn_v4l2_ops *ops, char *why, size_t why_len)
{
    char scratch[320];
    if (!why || why_len == 0) {
        why = scratch;
        why_len = sizeof scratch;
    }
    int fd = ops->open(ops->ctx, path, O_RDWR | O_NONBLOCK | O_CLOEXEC);
    if (fd < 0)
        return tsn_v4l2_negotiate_explain(fd, path, "open", why, why_len);
    const struct tsn_v4l2_want any = {0};
    const struct nego n = {ops, fd, path, &any, why, why_len};
    struct v4l2_capability cap;
    int r = query_caps(&n, &cap);
    if (r == 0) {
        uint32_t offered[MAX_FORMATS];
        int count = enum_formats(&n, offered, MAX_FORMATS), usable = 0;
        for (int i = 0; i < count; i++)
            usable += tsn_v4l2_format_accepted(offered[i]);
        char names[160];
        list_formats(offered, count, names, sizeof names);
        if (usable == 0) {
            no_format_why(path, 0, names, why, why_len);
            r = -ENOTSUP;
        } else {
            snprintf(why, why_len, "%s is \"%.32s\" (driver %.16s), offering %s", path,
                     (const char *)cap.card, (const char *)cap.driver, names);
        }
    }
    ops->close(ops->ctx, fd);
    return r;
}
