#!/usr/bin/env bash
# Capture-to-decoded latency benchmark: for each size (arguments, default
# "640x480 1280x720") start a fresh relay on free loopback ports, telesono-capture
# with the phantom at that size and 30 fps, and one headless telesono-view;
# after WARMUP seconds measure for DURATION seconds and print one JSON line
# per size: the viewer's capture->decode latency (p50/p95/p99 from the
# abs-capture-time of every frame), frames, fps, bitrate, and capture's
# encode time per frame. Frames are not dumped (no PNG cost in the loop).
#
# Run it inside a private network namespace, e.g. as root:
#   unshare -n bash -c 'ip link set lo up && tests/bench/run_capture_latency.sh'
#
# Environment (all optional):
#   TSN_BUILD_DIR  build directory (default ./build/release)
#   DURATION=20 WARMUP=3 FPS=30 BITRATE (capture's default if unset)
#   CAPTURE_ARGS / VIEW_ARGS  extra options, e.g. CAPTURE_ARGS="--codec vp8"
#   KEEP_LOGS=1    keep the temporary directories and print where
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
build="${TSN_BUILD_DIR:-$here/../../build/release}"
duration="${DURATION:-20}"
warmup="${WARMUP:-3}"
fps="${FPS:-30}"
sizes=("$@")
[ ${#sizes[@]} -eq 0 ] && sizes=(640x480 1280x720)
for b in telesono-relay telesono-token telesono-capture telesono-view; do
    [ -x "$build/$b" ] || { echo "run_capture_latency: $build/$b not found (TSN_BUILD_DIR)" >&2; exit 2; }
done

free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 40000))
        [ -z "$(ss -Hantu "sport = :$p" 2>/dev/null)" ] && { echo "$p"; return; }
    done
}

for size in "${sizes[@]}"; do
    dir=$(mktemp -d /tmp/tsn-bench-latency.XXXXXX)
    port=$(free_port)
    "$build/telesono-relay" --listen "127.0.0.1:$port" --data-dir "$dir" 2>"$dir/relay.log" &
    relay=$!
    for _ in $(seq 100); do grep -q "telesono-relay ready" "$dir/relay.log" && break; sleep 0.1; done
    tok() { "$build/telesono-token" --secret-file "$dir/secret" --room bench --role "$1" --sub "$1" --ttl 600; }
    tok capture >"$dir/cap.token"
    tok clinician >"$dir/view.token"
    # shellcheck disable=SC2086
    "$build/telesono-capture" --relay "https://127.0.0.1:$port" --token-file "$dir/cap.token" \
        --ca "$dir/cert.pem" --size "$size" --fps "$fps" ${BITRATE:+--bitrate $BITRATE} \
        --stats-json "$dir/capture.json" ${CAPTURE_ARGS:-} 2>"$dir/capture.log" &
    cap=$!
    sleep "$warmup"
    # shellcheck disable=SC2086
    "$build/telesono-view" --relay "https://127.0.0.1:$port" --token-file "$dir/view.token" \
        --ca "$dir/cert.pem" --headless --duration "$duration" --stats-json "$dir/view.json" \
        ${VIEW_ARGS:-} >/dev/null 2>"$dir/view.log" || echo "run_capture_latency: telesono-view failed ($size)" >&2
    kill -TERM "$cap" 2>/dev/null; wait "$cap" 2>/dev/null || true
    kill -TERM "$relay" 2>/dev/null; wait "$relay" 2>/dev/null || true
    jq -c --arg size "$size" --argjson fps "$fps" --slurpfile cap "$dir/capture.json" '{
        bench: "capture_latency", size: $size, fps_asked: $fps,
        frames_decoded, fps, bitrate_kbps, packets_lost,
        latency_ms, first_frame_ms,
        encode_ms: $cap[0].encode_ms, capture_frames_dropped: $cap[0].frames_dropped,
        capture_bitrate_kbps: $cap[0].bitrate_kbps }' "$dir/view.json"
    if [ "${KEEP_LOGS:-0}" = 1 ]; then echo "logs: $dir" >&2; else rm -rf "$dir"; fi
done
