/* Unit tests for viewer/frame_dump.c: frames written from the worker thread
 * are read back with libpng and compared pixel by pixel, with their tEXt
 * chunks and file names; strides; unknown capture times; bad arguments;
 * directories that cannot be used; the wait-for-ever default (nothing
 * dropped) against the bounded-wait policy (drops counted, push returns in
 * time); a write failure refusing later frames. Prints the write rate. */
#include <errno.h>
#include <png.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <cmocka.h>

#include "frame_dump.h"

struct png_read {
    int width, height, channels;
    uint8_t *pixels; /* packed rows */
    char capture_us[32], index[32];
};

/* Reads a PNG with the plain libpng API; returns 0 or -1. */
static int read_png(const char *path, struct png_read *out)
{
    memset(out, 0, sizeof *out);
    FILE *f = fopen(path, "rb");
    if (!f)
        return -1;
    png_structp png = png_create_read_struct(PNG_LIBPNG_VER_STRING, NULL, NULL, NULL);
    png_infop info = png_create_info_struct(png);
    if (setjmp(png_jmpbuf(png))) {
        png_destroy_read_struct(&png, &info, NULL);
        fclose(f);
        return -1;
    }
    png_init_io(png, f);
    png_read_info(png, info);
    out->width = (int)png_get_image_width(png, info);
    out->height = (int)png_get_image_height(png, info);
    int type = png_get_color_type(png, info);
    out->channels = type == PNG_COLOR_TYPE_GRAY ? 1 : type == PNG_COLOR_TYPE_RGB ? 3 : 0;
    assert_int_equal(png_get_bit_depth(png, info), 8);
    png_textp text;
    int n_text = 0;
    png_get_text(png, info, &text, &n_text);
    for (int i = 0; i < n_text; i++) {
        if (strcmp(text[i].key, "capture_us") == 0)
            snprintf(out->capture_us, sizeof out->capture_us, "%s", text[i].text);
        if (strcmp(text[i].key, "index") == 0)
            snprintf(out->index, sizeof out->index, "%s", text[i].text);
    }
    size_t row = (size_t)out->width * (size_t)out->channels;
    out->pixels = malloc(row * (size_t)out->height);
    for (int y = 0; y < out->height; y++)
        png_read_row(png, out->pixels + (size_t)y * row, NULL);
    png_read_end(png, NULL);
    png_destroy_read_struct(&png, &info, NULL);
    fclose(f);
    return 0;
}

static char *make_tmpdir(void)
{
    char *dir = strdup("/tmp/tsn-frame-dump-XXXXXX");
    assert_non_null(mkdtemp(dir));
    return dir;
}

static void remove_tree(const char *dir)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", dir);
    assert_int_equal(system(cmd), 0);
}

static size_t count_files(const char *dir, const char *suffix)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "ls '%s' | grep -c '%s$'", dir, suffix);
    FILE *p = popen(cmd, "r");
    unsigned n = 0;
    assert_int_equal(fscanf(p, "%u", &n), 1);
    pclose(p);
    return n;
}

static uint8_t pattern(int frame, int x, int y, int c)
{
    return (uint8_t)(x * 7 + y * 13 + c * 50 + frame * 3);
}

/* A frame with `pad` bytes of 0xEE after each row, which must not appear. */
static uint8_t *make_frame(int frame, int w, int h, int ch, size_t pad, size_t *stride)
{
    *stride = (size_t)w * (size_t)ch + pad;
    uint8_t *p = malloc(*stride * (size_t)h);
    memset(p, 0xEE, *stride * (size_t)h);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < ch; c++)
                p[(size_t)y * *stride + (size_t)x * (size_t)ch + (size_t)c] =
                    pattern(frame, x, y, c);
    return p;
}

static void check_file(const char *dir, int frame, uint64_t index, int64_t capture_us, int w, int h,
                       int ch)
{
    char path[512], want[32];
    snprintf(path, sizeof path, "%s/frame-%06llu-%lld.png", dir, (unsigned long long)index,
             (long long)(capture_us < 0 ? 0 : capture_us));
    struct png_read r;
    if (read_png(path, &r) != 0)
        fail_msg("cannot read %s", path);
    assert_int_equal(r.width, w);
    assert_int_equal(r.height, h);
    assert_int_equal(r.channels, ch);
    snprintf(want, sizeof want, "%lld", (long long)(capture_us < 0 ? 0 : capture_us));
    assert_string_equal(r.capture_us, want);
    snprintf(want, sizeof want, "%llu", (unsigned long long)index);
    assert_string_equal(r.index, want);
    for (int y = 0; y < h; y++)
        for (int x = 0; x < w; x++)
            for (int c = 0; c < ch; c++)
                assert_int_equal(
                    r.pixels[((size_t)y * (size_t)w + (size_t)x) * (size_t)ch + (size_t)c],
                    pattern(frame, x, y, c));
    free(r.pixels);
}

static void test_roundtrip_gray_and_rgb(void **state)
{
    char *base = make_tmpdir(), dir[512], why[256] = "";
    snprintf(dir, sizeof dir, "%s/a/b", base); /* missing parents are created */
    struct tsn_frame_dump *fd = tsn_frame_dump_new(dir, why, sizeof why);
    assert_non_null(fd);
    for (int i = 0; i < 12; i++) {
        int ch = i % 2 ? 3 : 1;
        size_t stride;
        uint8_t *p = make_frame(i, 61, 37, ch, (size_t)(i % 3) * 5, &stride);
        int64_t cap = i == 4 ? -1 : 1700000000000000LL + i * 33333;
        assert_int_equal(tsn_frame_dump_push(fd, p, 61, 37, stride, ch, (uint64_t)i, cap), 0);
        free(p);
    }
    tsn_frame_dump_flush(fd);
    struct tsn_frame_dump_counts c = tsn_frame_dump_get_counts(fd);
    assert_int_equal(c.written, 12);
    assert_int_equal(c.dropped, 0);
    assert_int_equal(c.failed, 0);
    tsn_frame_dump_free(fd);
    for (int i = 0; i < 12; i++)
        check_file(dir, i, (uint64_t)i, i == 4 ? -1 : 1700000000000000LL + i * 33333, 61, 37,
                   i % 2 ? 3 : 1);
    assert_int_equal(count_files(dir, ".png"), 12);
    assert_int_equal(count_files(dir, ".tmp"), 0);
    remove_tree(base);
    free(base);
}

static void test_large_index_name(void **state)
{
    char *dir = make_tmpdir(), why[256];
    struct tsn_frame_dump *fd = tsn_frame_dump_new(dir, why, sizeof why);
    size_t stride;
    uint8_t *p = make_frame(0, 4, 4, 1, 0, &stride);
    assert_int_equal(tsn_frame_dump_push(fd, p, 4, 4, stride, 1, 1234567, 5), 0);
    tsn_frame_dump_free(fd); /* free flushes */
    check_file(dir, 0, 1234567, 5, 4, 4, 1);
    free(p);
    remove_tree(dir);
    free(dir);
}

static void test_bad_args(void **state)
{
    char *dir = make_tmpdir(), why[256];
    struct tsn_frame_dump *fd = tsn_frame_dump_new(dir, why, sizeof why);
    uint8_t px[64] = {0};
    assert_int_equal(tsn_frame_dump_push(fd, NULL, 4, 4, 4, 1, 0, 0), -EINVAL);
    assert_int_equal(tsn_frame_dump_push(fd, px, 0, 4, 4, 1, 0, 0), -EINVAL);
    assert_int_equal(tsn_frame_dump_push(fd, px, 4, -1, 4, 1, 0, 0), -EINVAL);
    assert_int_equal(tsn_frame_dump_push(fd, px, 4, 4, 4, 2, 0, 0), -EINVAL);
    assert_int_equal(tsn_frame_dump_push(fd, px, 4, 4, 4, 4, 0, 0), -EINVAL);
    assert_int_equal(tsn_frame_dump_push(fd, px, 4, 4, 11, 3, 0, 0), -EINVAL); /* stride < 12 */
    assert_int_equal(tsn_frame_dump_push(fd, px, 100000, 1, 300000, 3, 0, 0), -EINVAL);
    struct tsn_frame_dump_counts c = tsn_frame_dump_get_counts(fd);
    assert_int_equal(c.written + c.dropped + c.failed, 0);
    tsn_frame_dump_free(fd);
    tsn_frame_dump_free(NULL);
    remove_tree(dir);
    free(dir);
}

static void test_unusable_dirs(void **state)
{
    char *dir = make_tmpdir(), file[512], under[600], why[256] = "";
    snprintf(file, sizeof file, "%s/plain-file", dir);
    FILE *f = fopen(file, "w");
    fclose(f);
    assert_null(tsn_frame_dump_new(file, why, sizeof why));
    assert_non_null(strstr(why, "plain-file"));
    snprintf(under, sizeof under, "%s/sub", file);
    why[0] = '\0';
    assert_null(tsn_frame_dump_new(under, why, sizeof why));
    assert_non_null(strstr(why, "cannot create"));
    /* Not even root can create directories in /proc. */
    why[0] = '\0';
    assert_null(tsn_frame_dump_new("/proc/tsn-frame-dump-test", why, sizeof why));
    assert_non_null(strstr(why, "/proc/tsn-frame-dump-test"));
    why[0] = '\0';
    assert_null(tsn_frame_dump_new("", why, sizeof why));
    assert_true(why[0] != '\0');
    remove_tree(dir);
    free(dir);
}

static double now_ms(void)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* Noise does not compress, so each write takes milliseconds: pushing 60
 * 640x360 RGB frames back to back outruns the writer. */
static uint8_t *noise_frame(size_t bytes)
{
    uint8_t *p = malloc(bytes);
    uint32_t x = 2463534242u;
    for (size_t i = 0; i < bytes; i++) {
        x ^= x << 13;
        x ^= x >> 17;
        x ^= x << 5;
        p[i] = (uint8_t)x;
    }
    return p;
}

static void run_burst(int max_wait_ms, int frames, struct tsn_frame_dump_counts *c,
                      double *max_push_ms, size_t *files)
{
    char *dir = make_tmpdir(), why[256];
    const int w = 640, h = 360;
    uint8_t *p = noise_frame((size_t)w * h * 3);
    struct tsn_frame_dump *fd = tsn_frame_dump_new(dir, why, sizeof why);
    if (max_wait_ms != -2)
        tsn_frame_dump_set_max_wait_ms(fd, max_wait_ms);
    *max_push_ms = 0;
    int refused = 0;
    for (int i = 0; i < frames; i++) {
        double t0 = now_ms();
        int rc = tsn_frame_dump_push(fd, p, w, h, (size_t)w * 3, 3, (uint64_t)i, i);
        double dt = now_ms() - t0;
        if (dt > *max_push_ms)
            *max_push_ms = dt;
        assert_true(rc == 0 || rc == -ENOBUFS);
        refused += rc == -ENOBUFS;
    }
    tsn_frame_dump_free(fd);
    /* free() flushed; counts are read from the files and returns. */
    *files = count_files(dir, ".png");
    c->dropped = (uint64_t)refused;
    c->written = *files;
    free(p);
    remove_tree(dir);
    free(dir);
}

static void test_default_waits_never_drops(void **state)
{
    struct tsn_frame_dump_counts c;
    double max_push_ms;
    size_t files;
    double t0 = now_ms();
    run_burst(-2, 40, &c, &max_push_ms, &files);
    double total = now_ms() - t0;
    assert_int_equal(c.dropped, 0);
    assert_int_equal(files, 40);
    printf("frame dump: 40 640x360 RGB noise frames in %.0f ms (%.1f ms/frame), longest push "
           "%.1f ms\n",
           total, total / 40, max_push_ms);
}

static void test_bounded_wait_drops(void **state)
{
    struct tsn_frame_dump_counts c;
    double max_push_ms;
    size_t files;
    run_burst(0, 60, &c, &max_push_ms, &files);
    assert_true(c.dropped > 0);
    assert_int_equal(c.dropped + files, 60);
    printf("frame dump, never wait: %llu written, %llu dropped, longest push %.1f ms\n",
           (unsigned long long)files, (unsigned long long)c.dropped, max_push_ms);

    run_burst(3, 60, &c, &max_push_ms, &files);
    assert_true(c.dropped > 0);
    assert_int_equal(c.dropped + files, 60);
    /* 3 ms wait plus a 0.7 MB copy; generous for a loaded machine. */
    assert_true(max_push_ms < 250);
    printf("frame dump, wait 3 ms: %llu written, %llu dropped, longest push %.1f ms\n",
           (unsigned long long)files, (unsigned long long)c.dropped, max_push_ms);
}

static void test_counts_track_drops(void **state)
{
    char *dir = make_tmpdir(), why[256];
    const int w = 640, h = 360;
    uint8_t *p = noise_frame((size_t)w * h * 3);
    struct tsn_frame_dump *fd = tsn_frame_dump_new(dir, why, sizeof why);
    tsn_frame_dump_set_max_wait_ms(fd, 0);
    int refused = 0;
    for (int i = 0; i < 40; i++)
        refused += tsn_frame_dump_push(fd, p, w, h, (size_t)w * 3, 3, (uint64_t)i, 1) == -ENOBUFS;
    tsn_frame_dump_flush(fd);
    struct tsn_frame_dump_counts c = tsn_frame_dump_get_counts(fd);
    assert_int_equal(c.dropped, refused);
    assert_int_equal(c.written + c.dropped, 40);
    assert_int_equal(count_files(dir, ".png"), c.written);
    tsn_frame_dump_free(fd);
    free(p);
    remove_tree(dir);
    free(dir);
}

static void test_write_failure_refuses_later_frames(void **state)
{
    char *dir = make_tmpdir(), why[256];
    struct tsn_frame_dump *fd = tsn_frame_dump_new(dir, why, sizeof why);
    assert_int_equal(rmdir(dir), 0); /* the directory vanishes under the viewer */
    uint8_t px[16] = {0};
    assert_int_equal(tsn_frame_dump_push(fd, px, 4, 4, 4, 1, 0, 0), 0);
    tsn_frame_dump_flush(fd);
    struct tsn_frame_dump_counts c = tsn_frame_dump_get_counts(fd);
    assert_int_equal(c.failed, 1);
    assert_int_equal(c.written, 0);
    assert_int_equal(tsn_frame_dump_push(fd, px, 4, 4, 4, 1, 1, 0), -EIO);
    tsn_frame_dump_free(fd);
    free(dir);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_roundtrip_gray_and_rgb),
        cmocka_unit_test(test_large_index_name),
        cmocka_unit_test(test_bad_args),
        cmocka_unit_test(test_unusable_dirs),
        cmocka_unit_test(test_default_waits_never_drops),
        cmocka_unit_test(test_bounded_wait_drops),
        cmocka_unit_test(test_counts_track_drops),
        cmocka_unit_test(test_write_failure_refuses_later_frames),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
