/* A synthetic, moving B-mode-like test image in GRAY8: a curvilinear sector
 * (fan) on black with Rayleigh speckle, a bright skin line, a tissue layer
 * that slides sideways and undulates, a pulsating vessel, a bone line with
 * its acoustic shadow, slow "breathing" motion of the background, depth tick
 * marks every 10 mm (longer every 50 mm) on the left edge, and two bright
 * point targets exactly TSN_PHANTOM_TARGET_SEPARATION_MM apart vertically
 * (for caliper tests). A frame depends only on (size, depth, seed, frame
 * index, fps): rendering is deterministic and cheap (noise fields and
 * geometry are precomputed in _new; a frame is table look-ups).
 *
 * Geometry (all in pixel-centre coordinates, x right, y down):
 *   m = height / 16 (integer division); depth_px = height - 2 m;
 *   pixel spacing = depth_mm / depth_px mm per pixel, the same both ways.
 *   Depth 0 (the skin line) on the sector's centre column is row m; depth d
 *   mm there is at y = m + d / spacing, so depth_mm is at y = height - m.
 *   The centre column is x = (width - 1) / 2.
 *   Tick k (k = 0 .. floor(depth_mm / 10)) marks depth 10 k mm: row
 *   round(m + 10 k / spacing), columns 1 .. 1 + len - 1, len larger when
 *   10 k is a multiple of 50.
 *
 * It does not model physics (no beamforming, no attenuation model beyond a
 * fixed gain curve) and does not do colour. */
#ifndef TSN_PHANTOM_H
#define TSN_PHANTOM_H

#include <stddef.h>
#include <stdint.h>

#define TSN_PHANTOM_MIN_WIDTH            64
#define TSN_PHANTOM_MIN_HEIGHT           64
#define TSN_PHANTOM_MAX_WIDTH            3840
#define TSN_PHANTOM_MAX_HEIGHT           2160
#define TSN_PHANTOM_DEFAULT_DEPTH_MM     80.0
#define TSN_PHANTOM_MIN_DEPTH_MM         40.0
#define TSN_PHANTOM_MAX_DEPTH_MM         300.0
#define TSN_PHANTOM_TARGET_SEPARATION_MM 20.0
#define TSN_PHANTOM_TICK_MM              10
#define TSN_PHANTOM_MAJOR_TICK_MM        50

struct tsn_phantom;

/* A phantom of width x height pixels imaging depth_mm (0 = the default,
 * 80 mm). NULL if the size is odd, smaller than 64x64 or larger than
 * 3840x2160, if depth_mm is outside 40..300 mm, or out of memory. Memory:
 * about 5 bytes per pixel plus 2 MiB of noise fields. */
struct tsn_phantom *tsn_phantom_new(int width, int height, double depth_mm, uint32_t seed);
void tsn_phantom_free(struct tsn_phantom *p);

/* Renders frame `frame_index` of a stream at `fps` (> 0; motion follows
 * time = frame_index / fps) into gray (width x height bytes, rows `stride`
 * >= width bytes apart; bytes past width are not touched). Uses scratch
 * space inside *p: one thread at a time per phantom. */
void tsn_phantom_render(struct tsn_phantom *p, uint64_t frame_index, double fps, uint8_t *gray,
                        size_t stride);

/* Millimetres per pixel, both axes: depth_mm / (height - 2 * (height / 16)). */
double tsn_phantom_pixel_spacing_mm(const struct tsn_phantom *p);

/* The two point targets' centres in pixels: x1, y1, x2, y2. Same x; y2 - y1
 * is TSN_PHANTOM_TARGET_SEPARATION_MM / spacing (not necessarily whole
 * pixels: each target is drawn as a small Gaussian spot centred there). */
void tsn_phantom_targets(const struct tsn_phantom *p, double xy_px[4]);

/* Row of depth tick k (depth 10 k mm), or -1 if k is out of range. */
int tsn_phantom_tick_row(const struct tsn_phantom *p, int k);

#endif
