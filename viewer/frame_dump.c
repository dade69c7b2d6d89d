/* Frame dump: a bounded queue of copied frames and one writer thread that
 * turns them into PNG files with libpng. See frame_dump.h. */
#include "frame_dump.h"

#include <errno.h>
#include <inttypes.h>
#include <limits.h>
#include <png.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "log.h"

#define MAX_SIDE 16384 /* larger than any scanner frame; bounds the copy */

struct frame {
    uint8_t *pixels; /* owned, rows packed: width * channels bytes each */
    int width, height, channels;
    uint64_t index;
    int64_t capture_us; /* >= 0 */
};

struct tsn_frame_dump {
    char *dir; /* owned */
    pthread_t thread;

    pthread_mutex_t lock;                          /* protects everything below */
    pthread_cond_t changed;                        /* any change to queue, busy or stopping */
    struct frame *queue[TSN_FRAME_DUMP_QUEUE_LEN]; /* owned; ring */
    unsigned head, len;
    int busy;     /* the writer holds a frame outside the queue */
    int stopping; /* free() was called: write what is queued, then exit */
    int max_wait_ms;
    struct tsn_frame_dump_counts counts;
};

static void frame_free(struct frame *f)
{
    if (!f)
        return;
    free(f->pixels);
    free(f);
}

/* ---- PNG writing (writer thread) ---- */

static void on_png_error(png_structp png, png_const_charp msg)
{
    tsn_warn("[frame-dump] libpng: %s", msg);
    png_longjmp(png, 1);
}

static void on_png_warning(png_structp png, png_const_charp msg)
{
    tsn_debug("[frame-dump] libpng warning: %s", msg);
}

/* Writes f to the open file. 0 or -EIO. libpng reports errors by longjmp;
 * nothing set after setjmp is used after it. */
static int png_write_frame(FILE *out, const struct frame *f)
{
    png_structp png =
        png_create_write_struct(PNG_LIBPNG_VER_STRING, NULL, on_png_error, on_png_warning);
    png_infop info = png ? png_create_info_struct(png) : NULL;
    if (!info) {
        png_destroy_write_struct(&png, NULL);
        return -EIO;
    }
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_write_struct(&png, &info);
        return -EIO;
    }
    char capture_txt[24], index_txt[24];
    snprintf(capture_txt, sizeof capture_txt, "%" PRId64, f->capture_us);
    snprintf(index_txt, sizeof index_txt, "%" PRIu64, f->index);
    png_text text[2] = {
        {.compression = PNG_TEXT_COMPRESSION_NONE, .key = "capture_us", .text = capture_txt},
        {.compression = PNG_TEXT_COMPRESSION_NONE, .key = "index", .text = index_txt},
    };
    png_init_io(png, out);
    png_set_compression_level(png, 1);
    png_set_filter(png, PNG_FILTER_TYPE_BASE, PNG_FILTER_SUB);
    png_set_IHDR(png, info, (png_uint_32)f->width, (png_uint_32)f->height, 8,
                 f->channels == 1 ? PNG_COLOR_TYPE_GRAY : PNG_COLOR_TYPE_RGB, PNG_INTERLACE_NONE,
                 PNG_COMPRESSION_TYPE_BASE, PNG_FILTER_TYPE_BASE);
    png_set_text(png, info, text, 2);
    png_write_info(png, info);
    size_t row_bytes = (size_t)f->width * (size_t)f->channels;
    for (int y = 0; y < f->height; y++)
        png_write_row(png, f->pixels + (size_t)y * row_bytes);
    png_write_end(png, info);
    png_destroy_write_struct(&png, &info);
    return 0;
}

/* DIR/frame-<index>-<capture_us>.png via a .tmp file and rename(). */
static int write_file(const char *dir, const struct frame *f)
{
    char path[PATH_MAX], tmp[PATH_MAX + 8];
    int n = snprintf(path, sizeof path, "%s/frame-%06" PRIu64 "-%" PRId64 ".png", dir, f->index,
                     f->capture_us);
    if (n < 0 || (size_t)n >= sizeof path)
        return -ENAMETOOLONG;
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    FILE *out = fopen(tmp, "wb");
    if (!out) {
        int err = -errno;
        tsn_warn("[frame-dump] %s: %s", tmp, strerror(errno));
        return err;
    }
    int rc = png_write_frame(out, f);
    if (fclose(out) != 0 && rc == 0)
        rc = -errno;
    if (rc == 0 && rename(tmp, path) != 0)
        rc = -errno;
    if (rc != 0) {
        tsn_warn("[frame-dump] %s: %s", path, strerror(-rc));
        unlink(tmp);
    }
    return rc;
}

static void *writer_main(void *arg)
{
    struct tsn_frame_dump *fd = arg;
    pthread_mutex_lock(&fd->lock);
    for (;;) {
        while (fd->len == 0 && !fd->stopping)
            pthread_cond_wait(&fd->changed, &fd->lock);
        if (fd->len == 0)
            break; /* stopping and drained */
        struct frame *f = fd->queue[fd->head];
        fd->head = (fd->head + 1) % TSN_FRAME_DUMP_QUEUE_LEN;
        fd->len--;
        fd->busy = 1;
        pthread_cond_broadcast(&fd->changed);
        pthread_mutex_unlock(&fd->lock);

        int rc = write_file(fd->dir, f);
        frame_free(f);

        pthread_mutex_lock(&fd->lock);
        fd->busy = 0;
        if (rc == 0)
            fd->counts.written++;
        else
            fd->counts.failed++;
        pthread_cond_broadcast(&fd->changed);
    }
    pthread_mutex_unlock(&fd->lock);
    return NULL;
}

/* ---- Setup ---- */

/* mkdir -p: each missing component of dir, 0755. */
static int make_dirs(const char *dir)
{
    char buf[PATH_MAX];
    size_t len = strlen(dir);
    if (len == 0 || len >= sizeof buf)
        return -ENAMETOOLONG;
    memcpy(buf, dir, len + 1);
    for (char *p = buf + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(buf, 0755) != 0 && errno != EEXIST)
            return -errno;
        *p = '/';
    }
    if (mkdir(buf, 0755) != 0 && errno != EEXIST)
        return -errno;
    return 0;
}

static int check_dir(const char *dir, char *why, size_t why_len)
{
    struct stat st;
    int rc = make_dirs(dir);
    if (rc != 0) {
        snprintf(why, why_len, "cannot create frame dump directory %s: %s", dir, strerror(-rc));
        return rc;
    }
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        snprintf(why, why_len, "frame dump path %s is not a directory", dir);
        return -ENOTDIR;
    }
    if (access(dir, W_OK | X_OK) != 0) {
        rc = -errno;
        snprintf(why, why_len, "frame dump directory %s is not writable: %s", dir, strerror(-rc));
        return rc;
    }
    return 0;
}

struct tsn_frame_dump *tsn_frame_dump_new(const char *dir, char *why, size_t why_len)
{
    if (check_dir(dir, why, why_len) != 0)
        return NULL;
    struct tsn_frame_dump *fd = calloc(1, sizeof *fd);
    if (!fd)
        goto fail;
    fd->dir = strdup(dir);
    if (!fd->dir)
        goto fail_fd;
    fd->max_wait_ms = -1;
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&fd->changed, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&fd->lock, NULL);
    if (pthread_create(&fd->thread, NULL, writer_main, fd) != 0)
        goto fail_sync;
    return fd;

fail_sync:
    pthread_mutex_destroy(&fd->lock);
    pthread_cond_destroy(&fd->changed);
    free(fd->dir);
fail_fd:
    free(fd);
fail:
    snprintf(why, why_len, "frame dump: out of memory or threads");
    return NULL;
}

void tsn_frame_dump_free(struct tsn_frame_dump *fd)
{
    if (!fd)
        return;
    pthread_mutex_lock(&fd->lock);
    fd->stopping = 1;
    pthread_cond_broadcast(&fd->changed);
    pthread_mutex_unlock(&fd->lock);
    pthread_join(fd->thread, NULL);
    tsn_info("[frame-dump] %" PRIu64 " frames written, %" PRIu64 " dropped, %" PRIu64 " failed",
             fd->counts.written, fd->counts.dropped, fd->counts.failed);
    pthread_mutex_destroy(&fd->lock);
    pthread_cond_destroy(&fd->changed);
    free(fd->dir);
    free(fd);
}

void tsn_frame_dump_set_max_wait_ms(struct tsn_frame_dump *fd, int max_wait_ms)
{
    pthread_mutex_lock(&fd->lock);
    fd->max_wait_ms = max_wait_ms < 0 ? -1 : max_wait_ms;
    pthread_mutex_unlock(&fd->lock);
}

/* ---- Producer side ---- */

static struct frame *frame_copy(const uint8_t *pixels, int width, int height, size_t stride,
                                int channels)
{
    size_t row_bytes = (size_t)width * (size_t)channels;
    struct frame *f = calloc(1, sizeof *f);
    if (!f)
        return NULL;
    f->pixels = malloc(row_bytes * (size_t)height);
    if (!f->pixels) {
        free(f);
        return NULL;
    }
    for (int y = 0; y < height; y++)
        memcpy(f->pixels + (size_t)y * row_bytes, pixels + (size_t)y * stride, row_bytes);
    f->width = width;
    f->height = height;
    f->channels = channels;
    return f;
}

/* Waits (lock held) for a free queue slot under the wait policy. 0 when
 * there is room, -ENOBUFS when the wait ran out. */
static int wait_for_room(struct tsn_frame_dump *fd)
{
    if (fd->len < TSN_FRAME_DUMP_QUEUE_LEN)
        return 0;
    if (fd->max_wait_ms == 0)
        return -ENOBUFS;
    struct timespec deadline;
    clock_gettime(CLOCK_MONOTONIC, &deadline);
    int64_t ns = deadline.tv_nsec + (int64_t)(fd->max_wait_ms > 0 ? fd->max_wait_ms : 0) * 1000000;
    deadline.tv_sec += (time_t)(ns / 1000000000);
    deadline.tv_nsec = (long)(ns % 1000000000);
    while (fd->len >= TSN_FRAME_DUMP_QUEUE_LEN) {
        if (fd->max_wait_ms < 0)
            pthread_cond_wait(&fd->changed, &fd->lock);
        else if (pthread_cond_timedwait(&fd->changed, &fd->lock, &deadline) == ETIMEDOUT)
            return fd->len < TSN_FRAME_DUMP_QUEUE_LEN ? 0 : -ENOBUFS;
    }
    return 0;
}

int tsn_frame_dump_push(struct tsn_frame_dump *fd, const uint8_t *pixels, int width, int height,
                        size_t stride, int channels, uint64_t index, int64_t capture_us)
{
    if (!pixels || width <= 0 || height <= 0 || width > MAX_SIDE || height > MAX_SIDE ||
        (channels != 1 && channels != 3) || stride < (size_t)width * (size_t)channels)
        return -EINVAL;
    pthread_mutex_lock(&fd->lock);
    int refused = fd->counts.failed > 0;
    pthread_mutex_unlock(&fd->lock);
    if (refused)
        return -EIO;

    /* Copy outside the lock: the writer may be busy with the queue. */
    struct frame *f = frame_copy(pixels, width, height, stride, channels);
    pthread_mutex_lock(&fd->lock);
    int rc = f ? wait_for_room(fd) : -ENOMEM;
    if (rc == 0) {
        f->index = index;
        f->capture_us = capture_us < 0 ? 0 : capture_us;
        fd->queue[(fd->head + fd->len) % TSN_FRAME_DUMP_QUEUE_LEN] = f;
        fd->len++;
        f = NULL;
        pthread_cond_broadcast(&fd->changed);
    } else {
        fd->counts.dropped++;
    }
    pthread_mutex_unlock(&fd->lock);
    frame_free(f);
    return rc;
}

void tsn_frame_dump_flush(struct tsn_frame_dump *fd)
{
    pthread_mutex_lock(&fd->lock);
    while (fd->len > 0 || fd->busy)
        pthread_cond_wait(&fd->changed, &fd->lock);
    pthread_mutex_unlock(&fd->lock);
}

struct tsn_frame_dump_counts tsn_frame_dump_get_counts(struct tsn_frame_dump *fd)
{
    pthread_mutex_lock(&fd->lock);
    struct tsn_frame_dump_counts c = fd->counts;
    pthread_mutex_unlock(&fd->lock);
    return c;
}
