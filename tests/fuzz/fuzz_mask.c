/* Fuzz target for the privacy-mask parser (tsn_mask_parse) and what the
 * capture does with its result (tsn_mask_fit, tsn_mask_apply_i420).
 *
 * Input: up to the first NUL, the mask text as given on the command line;
 * the two bytes after that NUL (if any) pick the frame size (16..271 x
 * 16..271, odd sizes included). Invariants (abort on violation):
 *   - an error leaves *out zeroed and gives a non-empty reason;
 *   - an accepted mask is in range, and printing it as "%d,%d,%d,%d" and
 *     parsing that again gives the same rectangle;
 *   - a fitted mask lies inside the frame; -ERANGE only when the mask's
 *     origin is outside it;
 *   - painting a fitted mask blacks exactly its luma pixels (a frame with
 *     guard bytes around each plane shows any write out of bounds; ASan
 *     sees reads). */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mask.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define GUARD 16

static void check_paint(const struct tsn_mask_rect *r, int w, int h)
{
    int cw = (w + 1) / 2, ch = (h + 1) / 2;
    size_t ylen = (size_t)w * (size_t)h, clen = (size_t)cw * (size_t)ch;
    uint8_t *buf = malloc(ylen + 2 * clen + 4 * GUARD);
    if (!buf)
        return;
    memset(buf, 0x77, ylen + 2 * clen + 4 * GUARD);
    uint8_t *y = buf + GUARD, *u = y + ylen + GUARD, *v = u + clen + GUARD;
    tsn_mask_apply_i420(y, w, u, cw, v, cw, w, h, r, 1, 1);
    for (int row = 0; row < h; row++)
        for (int col = 0; col < w; col++) {
            int inside = col >= r->x && col < r->x + r->w && row >= r->y && row < r->y + r->h;
            if (y[(size_t)row * (size_t)w + (size_t)col] != (inside ? 0 : 0x77))
                abort();
        }
    for (int i = 0; i < GUARD; i++)
        if (buf[i] != 0x77 || y[ylen + (size_t)i] != 0x77 || u[clen + (size_t)i] != 0x77 ||
            v[clen + (size_t)i] != 0x77)
            abort();
    free(buf);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    size_t len = 0;
    while (len < size && data[len])
        len++;
    char *text = malloc(len + 1);
    if (!text)
        return 0;
    memcpy(text, data, len);
    text[len] = '\0';
    int w = 16 + (len + 1 < size ? data[len + 1] : 240);
    int h = 16 + (len + 2 < size ? data[len + 2] : 224);

    struct tsn_mask_rect r;
    char why[96];
    why[0] = '\0';
    int rc = tsn_mask_parse(text, &r, why, sizeof why);
    if (rc != 0) {
        if (rc != -EINVAL || !why[0] || r.x || r.y || r.w || r.h)
            abort();
        goto out;
    }
    if (r.x < 0 || r.y < 0 || r.w < 1 || r.h < 1 || r.x > TSN_MASK_MAX_COORD ||
        r.y > TSN_MASK_MAX_COORD || r.w > TSN_MASK_MAX_COORD || r.h > TSN_MASK_MAX_COORD)
        abort();
    char again[64];
    struct tsn_mask_rect r2;
    snprintf(again, sizeof again, "%d,%d,%d,%d", r.x, r.y, r.w, r.h);
    if (tsn_mask_parse(again, &r2, NULL, 0) != 0 || memcmp(&r, &r2, sizeof r) != 0)
        abort();
    rc = tsn_mask_fit(&r, w, h, why, sizeof why);
    if (rc == -ERANGE) {
        if (r.x < w && r.y < h)
            abort();
        goto out;
    }
    if (rc != 0 || r.x + r.w > w || r.y + r.h > h || r.w < 1 || r.h < 1)
        abort();
    check_paint(&r, w, h);
out:
    free(text);
    return 0;
}
