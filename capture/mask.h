/* Privacy masks: rectangles blacked out of every captured frame before it is
 * encoded (a burned-in patient banner, a name field). Parses the "X,Y,W,H"
 * command-line form, fits a rectangle to the frame, and paints masks into
 * I420 or GRAY8 frames in place.
 *
 * Painting I420 covers every chroma sample that touches a masked luma pixel
 * (rounding outwards at odd edges), so no colour of a masked pixel survives;
 * luma outside the rectangles is never touched (a chroma sample shared with
 * a masked pixel loses its colour, which is the price of 4:2:0). It does not
 * blur, track or detect anything. */
#ifndef TSN_MASK_H
#define TSN_MASK_H

#include <stddef.h>
#include <stdint.h>

/* Largest X, Y, W or H the parser accepts. */
#define TSN_MASK_MAX_COORD 65535

/* A rectangle in luma pixels: columns x .. x+w-1, rows y .. y+h-1. */
struct tsn_mask_rect {
    int x, y, w, h;
};

/* Parses "X,Y,W,H": four decimal integers (digits only, no sign, no spaces,
 * no leading '+'), X and Y >= 0, W and H >= 1, each at most
 * TSN_MASK_MAX_COORD, nothing after H. Returns 0 and fills *out, or -EINVAL
 * with a reason in why (which may be NULL) and *out zeroed. */
int tsn_mask_parse(const char *text, struct tsn_mask_rect *out, char *why, size_t why_len);

/* Clamps *r to a frame of frame_w x frame_h. Returns 0 (r now inside the
 * frame, possibly smaller), -ERANGE if it lies entirely outside, -EINVAL if
 * *r or the frame size is invalid (why says which; r unchanged on error). */
int tsn_mask_fit(struct tsn_mask_rect *r, int frame_w, int frame_h, char *why, size_t why_len);

/* Paints n rectangles into an I420 frame of width x height (chroma planes
 * (width+1)/2 x (height+1)/2): luma black (0 if full_range, else 16) and
 * chroma 128. Rectangles are clipped to the frame here too, so a rectangle
 * that was not fitted cannot write out of bounds. */
void tsn_mask_apply_i420(uint8_t *y, int y_stride, uint8_t *u, int u_stride, uint8_t *v,
                         int v_stride, int width, int height, const struct tsn_mask_rect *rects,
                         size_t n, int full_range);

/* The same for a GRAY8 frame, painting `black` (0 for full-range sources). */
void tsn_mask_apply_gray8(uint8_t *gray, int stride, int width, int height,
                          const struct tsn_mask_rect *rects, size_t n, uint8_t black);

#endif
