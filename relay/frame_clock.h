/* The newest frame of each room's stream, as the media thread sees it: the
 * publisher's RTP timestamp and, when the publisher sends abs-capture-time,
 * the frame's capture time in Unix milliseconds. The signalling thread reads
 * it to stamp annotation events with the media timestamp of "now".
 * Written once per frame (not per packet) by the media thread under a
 * mutex that only these two threads take, briefly. */
#ifndef TSN_FRAME_CLOCK_H
#define TSN_FRAME_CLOCK_H

#include <stdint.h>

struct tsn_frame_info {
    uint32_t rtp_ts; /* the publisher's RTP timestamp */
    int has_capture_ms;
    int64_t capture_ms; /* Unix ms (abs-capture-time) */
};

struct tsn_frame_clock;

struct tsn_frame_clock *tsn_frame_clock_new(void);
void tsn_frame_clock_free(struct tsn_frame_clock *fc);

/* Records room `room`'s newest frame. Returns 0 or -ENOMEM. */
int tsn_frame_clock_set(struct tsn_frame_clock *fc, const char *room,
                        const struct tsn_frame_info *f);
/* Copies room `room`'s newest frame into *out: 0, or -ENOENT. */
int tsn_frame_clock_get(struct tsn_frame_clock *fc, const char *room, struct tsn_frame_info *out);
/* The room's stream ended: forget its frame. */
void tsn_frame_clock_forget(struct tsn_frame_clock *fc, const char *room);

/* A 64-bit NTP timestamp (RFC 5905, seconds since 1900 in UQ32.32) as Unix
 * milliseconds. */
int64_t tsn_ntp_to_unix_ms(uint64_t ntp);

#endif
