/* tsn-bench-rec-writer: what recording costs and how much it can take.
 *   tsn-bench-rec-writer [DIR] [SECONDS] [MBIT_PER_ROOM] [ROOMS]
 * Starts the real recorder (relay/recorder.c + rec_writer.c) on DIR (default
 * a temp dir; put it on the recordings' file system), opens ROOMS recordings
 * (default 1, 4 and 16 in turn when not given) and, from one producer thread
 * standing in for the media thread, puts 1200-byte RTP packets into the ring
 * at MBIT_PER_ROOM (default 3) per room for SECONDS (default 5), then at full
 * speed for the same time. Prints one JSON line per case:
 *   put_ns_p50/p99    cost of tsn_rec_ring_put on the producer (the media
 *                     thread's whole extra work per recorded packet)
 *   offered / dropped packets (the ring was full: the writer fell behind)
 *   written_mb_s      bytes the writer put in the files per second
 *   fsyncs            flushes to stable storage during the case */
#include "metrics.h"
#include "reclog.h"
#include "recorder.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int cmp_u32(const void *a, const void *b)
{
    uint32_t x = *(const uint32_t *)a, y = *(const uint32_t *)b;
    return x < y ? -1 : x > y;
}

static void run_case(const char *dir, double seconds, double mbit, int rooms, int full_speed)
{
    struct tsn_config cfg;
    memset(&cfg, 0, sizeof cfg);
    snprintf(cfg.recordings_dir, sizeof cfg.recordings_dir, "%s", dir);
    cfg.record_fsync_ms = 1000;
    cfg.record_mode = TSN_RECORD_ON_REQUEST;
    struct tsn_metrics m;
    tsn_metrics_init(&m);
    char why[256];
    struct tsn_recorder *rec = tsn_recorder_new(&cfg, &m, NULL, NULL, why, sizeof why);
    if (!rec) {
        fprintf(stderr, "tsn-bench-rec-writer: %s\n", why);
        exit(1);
    }
    uint32_t handles[64];
    for (int i = 0; i < rooms; i++) {
        char room[32];
        struct tsn_rec_active a;
        snprintf(room, sizeof room, "bench-%d", i);
        if (tsn_recorder_begin(rec, room, "bench", NULL, NULL, NULL, 0, &a, why, sizeof why)) {
            fprintf(stderr, "tsn-bench-rec-writer: %s\n", why);
            exit(1);
        }
        handles[i] = a.handle;
    }
    usleep(100000);
    struct tsn_rec_ring *ring = tsn_recorder_ring(rec);
    uint8_t pkt[1200];
    memset(pkt, 0xA5, sizeof pkt);
    pkt[0] = 0x80;
    pkt[1] = 96;
    double pps = mbit * 1e6 / 8 / sizeof pkt * rooms;
    uint64_t gap_ns = full_speed ? 0 : (uint64_t)(1e9 / pps);
    size_t max_samples = 4000000, n_samples = 0;
    uint32_t *samples = malloc(max_samples * sizeof *samples);
    uint64_t offered = 0, dropped = 0;
    uint64_t bytes0 = atomic_load(&m.recording_bytes), fsync0 = atomic_load(&m.recording_fsyncs);
    uint64_t t0 = now_ns(), end = t0 + (uint64_t)(seconds * 1e9), next = t0;
    while (now_ns() < end) {
        if (gap_ns) {
            while (now_ns() < next)
                ;
            next += gap_ns;
        }
        uint32_t seq = (uint32_t)offered;
        pkt[2] = (uint8_t)(seq >> 8);
        pkt[3] = (uint8_t)seq;
        pkt[7] = (uint8_t)(seq / 8);
        uint64_t a = now_ns();
        int rc = tsn_rec_ring_put(ring, handles[offered % (uint64_t)rooms], TSN_REC_RTP, a / 1000,
                                  pkt, sizeof pkt);
        uint64_t b = now_ns();
        if (n_samples < max_samples)
            samples[n_samples++] = (uint32_t)(b - a);
        offered++;
        dropped += rc != 0;
    }
    double elapsed = (double)(now_ns() - t0) / 1e9;
    usleep(300000); /* the writer's last 200 ms write */
    uint64_t bytes = atomic_load(&m.recording_bytes) - bytes0;
    uint64_t fsyncs = atomic_load(&m.recording_fsyncs) - fsync0;
    qsort(samples, n_samples, sizeof *samples, cmp_u32);
    printf("{\"case\":\"%s\",\"rooms\":%d,\"mbit_per_room\":%.1f,\"seconds\":%.2f,"
           "\"offered\":%llu,\"dropped\":%llu,\"offered_mbit_s\":%.1f,\"written_mb_s\":%.1f,"
           "\"fsyncs\":%llu,\"put_ns_p50\":%u,\"put_ns_p99\":%u}\n",
           full_speed ? "full_speed" : "paced", rooms, full_speed ? 0.0 : mbit, elapsed,
           (unsigned long long)offered, (unsigned long long)dropped,
           (double)offered * sizeof pkt * 8 / 1e6 / elapsed, (double)bytes / 1e6 / elapsed,
           (unsigned long long)fsyncs, samples[n_samples / 2], samples[n_samples * 99 / 100]);
    fflush(stdout);
    free(samples);
    for (int i = 0; i < rooms; i++) {
        char room[32];
        snprintf(room, sizeof room, "bench-%d", i);
        tsn_recorder_end(rec, room, "bench", "stopped");
    }
    tsn_recorder_free(rec);
}

int main(int argc, char **argv)
{
    char tmp[] = "/tmp/tsn-bench-rec-XXXXXX";
    const char *dir = argc > 1 ? argv[1] : mkdtemp(tmp);
    double seconds = argc > 2 ? atof(argv[2]) : 5.0;
    double mbit = argc > 3 ? atof(argv[3]) : 3.0;
    int only = argc > 4 ? atoi(argv[4]) : 0;
    if (!dir || seconds <= 0 || mbit <= 0 || only < 0 || only > 64) {
        fprintf(stderr, "usage: tsn-bench-rec-writer [DIR] [SECONDS] [MBIT_PER_ROOM] [ROOMS]\n");
        return 2;
    }
    int cases[] = {1, 4, 16};
    for (int i = 0; i < 3; i++) {
        int rooms = only ? only : cases[i];
        run_case(dir, seconds, mbit, rooms, 0);
        if (only)
            break;
    }
    run_case(dir, seconds, mbit, only ? only : 1, 1);
    return 0;
}
