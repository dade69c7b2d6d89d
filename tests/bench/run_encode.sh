#!/usr/bin/env bash
# Encoder quality and speed benchmark (tsn-bench-encode): the bone clip at
# 30 fps through Telesono's encoder bin and plain x264 ultrafast at 1, 2, 3
# and 4 Mbit/s (luma PSNR, achieved bitrate, encode time per frame), then the
# phantom at 640x480 and 1280x720. Prints one JSON line per run, a summary
# line, and a first line describing the machine (CPU, cores, load average
# before and after: encode times are only meaningful on an idle machine).
#
#   tests/bench/run_encode.sh [extra tsn-bench-encode options]
#
# Environment (all optional):
#   TSN_BUILD_DIR  where tsn-bench-encode is (default: ./build, searched)
#   CLIP           the clip (default: the bone clip in tests/data/ultrasound
#                  if present, else /work/shared/testdata/ultrasound)
#   FRAMES=300 BITRATES=1000,2000,3000,4000 CONFIGS=tsn,plain
#   ENC_CPU        pin the benchmark to a CPU list (taskset), e.g. 1
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${TSN_BUILD_DIR:-$root/build}"
bin="$(find "$build" -type f -name tsn-bench-encode -perm -u+x 2>/dev/null | head -n 1)"
if [ -z "$bin" ]; then
    echo "run_encode.sh: tsn-bench-encode not found under $build (build first)" >&2
    exit 2
fi
clip="${CLIP:-}"
if [ -z "$clip" ]; then
    for c in "$root/tests/data/ultrasound/BoneUltrasound_L14_ffv1.mkv" \
             /work/shared/testdata/ultrasound/BoneUltrasound_L14_ffv1.mkv; do
        if [ -r "$c" ]; then clip="$c"; break; fi
    done
fi
if [ -z "$clip" ] || [ ! -r "$clip" ]; then
    echo "run_encode.sh: no clip (set CLIP)" >&2
    exit 2
fi

load() { cut -d' ' -f1 /proc/loadavg; }
cpu="$(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ *//')"
load_before="$(load)"
pin=()
if [ -n "${ENC_CPU:-}" ]; then pin=(taskset -c "$ENC_CPU"); fi

out="$("${pin[@]}" "$bin" --clip "$clip" --frames "${FRAMES:-300}" \
    --bitrates "${BITRATES:-1000,2000,3000,4000}" --configs "${CONFIGS:-tsn,plain}" "$@")"
printf '{"bench":"encode_machine","cpu":"%s","cores":%s,"load_before":%s,"load_after":%s,"date":"%s","commit":"%s"}\n' \
    "$cpu" "$(nproc)" "$load_before" "$(load)" "$(date -u +%Y-%m-%dT%H:%MZ)" \
    "$(git -C "$root" rev-parse --short HEAD 2>/dev/null || echo unknown)"
printf '%s\n' "$out"
