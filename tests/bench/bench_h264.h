/* A synthetic H.264 RTP source for the load benchmark: packets shaped like
 * an x264 stream in packetization-mode 1 at a target bitrate and frame rate
 * (a keyframe = STAP-A with SPS + PPS, then FU-A fragments of an IDR slice;
 * other frames = FU-A fragments of a non-IDR slice, or one single-NAL packet
 * when the frame is small), marker on each frame's last packet, one-byte
 * header extensions abs-send-time and abs-capture-time. Each packet that
 * carries slice data holds a stamp right after its NAL / FU headers, bytes
 * a relay never inspects: the CLOCK_MONOTONIC send time (8 bytes, big
 * endian, microseconds), the CLOCK_REALTIME send time (8 bytes) and the
 * magic "TSNB". Nothing is encoded: the slice bytes are filler. Pure
 * functions over caller buffers; no I/O, no allocation. */
#ifndef TSN_BENCH_H264_H
#define TSN_BENCH_H264_H

#include <stddef.h>
#include <stdint.h>

#define TSN_BENCH_STAMP_BYTES 20
#define TSN_BENCH_STAMP_MAGIC "TSNB"

struct tsn_bench_h264_config {
    uint32_t ssrc;
    uint8_t payload_type;
    uint16_t first_seq;
    uint32_t first_timestamp;
    unsigned bitrate_kbps; /* average over a keyframe interval */
    unsigned fps;
    unsigned keyint_frames;       /* a keyframe every this many frames */
    size_t max_packet_bytes;      /* whole plaintext RTP packet, e.g. 1200 */
    uint8_t ext_abs_send_time;    /* extmap id, 0 = do not send */
    uint8_t ext_abs_capture_time; /* extmap id, 0 = do not send */
};

/* Packetizer state. Value type: the caller owns it; no resources inside. */
struct tsn_bench_h264 {
    struct tsn_bench_h264_config cfg;
    uint16_t next_seq;
    uint64_t frame_no;  /* frames begun so far */
    int force_keyframe; /* next frame is a keyframe (PLI / FIR) */
    /* The frame being packetized. */
    int in_frame;
    int frame_is_key;
    uint32_t frame_ts;
    int64_t frame_capture_real_us;
    size_t slice_bytes; /* slice payload bytes (after the NAL header) */
    size_t slice_done;  /* slice bytes already packetized */
    size_t frag_bytes;  /* slice bytes per FU-A fragment */
    int sps_pending;    /* keyframe: the STAP-A is still to go */
};

/* 0, or -EINVAL for a config that makes no stream (fps 0, packet too small
 * for the headers and a stamp, ...). */
int tsn_bench_h264_init(struct tsn_bench_h264 *g, const struct tsn_bench_h264_config *cfg);

/* The slice size in bytes of a keyframe / other frame at the configured rate:
 * a keyframe is 5 times a delta frame and the average over an interval is the
 * target. */
size_t tsn_bench_h264_frame_bytes(const struct tsn_bench_h264 *g, int keyframe);

/* Starts the next frame (a keyframe when due or forced); `capture_real_us`
 * goes into abs-capture-time. Returns 1 if it is a keyframe, else 0. */
int tsn_bench_h264_begin_frame(struct tsn_bench_h264 *g, int64_t capture_real_us);

/* Writes the next packet of the current frame into `out` with the send times
 * given. Returns its length, 0 when the frame is complete (or none was
 * begun), or -ENOSPC if `cap` is smaller than max_packet_bytes. */
int tsn_bench_h264_next_packet(struct tsn_bench_h264 *g, uint8_t *out, size_t cap,
                               int64_t send_mono_us, int64_t send_real_us);

/* 1 when every packet of the current frame has been written (the next
 * tsn_bench_h264_next_packet would return 0), or no frame was begun. */
int tsn_bench_h264_frame_done(const struct tsn_bench_h264 *g);

/* Reads the stamp from an RTP payload (after the RTP header): 0 and the two
 * times, or -ENOENT if the payload carries none (a STAP-A, or a stream that
 * is not ours). Every slice packet this module writes carries one. */
int tsn_bench_h264_read_stamp(const uint8_t *payload, size_t len, int64_t *send_mono_us,
                              int64_t *send_real_us);

#endif
