#!/usr/bin/env bash
# Browser latency benchmark: RUNS times (default 3), start a fresh relay on
# free loopback ports (serving the web viewer at /), telesono-capture with
# the phantom at SIZE and FPS, and, after WARMUP seconds, headless Chromium
# on the viewer link. tests/browser/bench_latency.mjs waits for the first
# frame, lets the page settle for PAGE_WARMUP seconds, measures for DURATION
# seconds and prints one JSON line per run: join-to-first-frame time, the
# page's capture-to-display p50/p95 (window.telesono.stats().latencyMs) and
# the same measured independently by the harness on every frame shown
# (requestVideoFrameCallback + abs-capture-time), frame rate, bitrate, loss.
# The target is capture-to-display p95 < 80 ms (field p95TargetMet).
#
# Run it inside a private network namespace, after `npm ci` in
# tests/browser, e.g. as root:
#   (cd tests/browser && npm ci)
#   unshare -n bash -c 'ip link set lo up && tests/bench/run_browser_latency.sh'
#
# Environment (all optional):
#   TSN_BUILD_DIR  build directory (default ./build/release)
#   RUNS=3 DURATION=20 WARMUP=2 PAGE_WARMUP=5 SIZE=640x480 FPS=30 BITRATE
#   CAPTURE_ARGS   extra capture options, e.g. CAPTURE_ARGS="--codec vp8"
#   TSN_CHROMIUM   the browser (default /usr/bin/chromium)
#   KEEP_LOGS=1    keep the temporary directories and print where
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
browser_dir="$here/../browser"
build="${TSN_BUILD_DIR:-$here/../../build/release}"
runs="${RUNS:-3}"
duration="${DURATION:-20}"
warmup="${WARMUP:-2}"
page_warmup="${PAGE_WARMUP:-5}"
size="${SIZE:-640x480}"
fps="${FPS:-30}"
for b in telesono-relay telesono-token telesono-capture; do
    [ -x "$build/$b" ] || { echo "run_browser_latency: $build/$b not found (TSN_BUILD_DIR)" >&2; exit 2; }
done
[ -d "$browser_dir/node_modules/playwright-core" ] ||
    { echo "run_browser_latency: run 'npm ci' in tests/browser first" >&2; exit 2; }

free_port() {
    local p
    while :; do
        p=$((20000 + RANDOM % 40000))
        [ -z "$(ss -Hantu "sport = :$p" 2>/dev/null)" ] && { echo "$p"; return; }
    done
}

status=0
for ((run = 1; run <= runs; run++)); do
    dir=$(mktemp -d /tmp/tsn-bench-browser.XXXXXX)
    port=$(free_port)
    media=$(free_port)
    "$build/telesono-relay" --listen "127.0.0.1:$port" --media-port "$media" --data-dir "$dir" \
        2>"$dir/relay.log" &
    relay=$!
    for _ in $(seq 100); do grep -q "telesono-relay ready" "$dir/relay.log" && break; sleep 0.1; done
    tok() { "$build/telesono-token" --secret-file "$dir/secret" --room bench --role "$1" --sub "$2" --ttl 600; }
    tok capture bench-capture >"$dir/cap.token"
    view_token=$(tok clinician bench-browser)
    # shellcheck disable=SC2086
    "$build/telesono-capture" --relay "https://127.0.0.1:$port" --token-file "$dir/cap.token" \
        --ca "$dir/cert.pem" --size "$size" --fps "$fps" ${BITRATE:+--bitrate $BITRATE} \
        --stats-json "$dir/capture.json" ${CAPTURE_ARGS:-} 2>"$dir/capture.log" &
    cap=$!
    sleep "$warmup"
    if node "$browser_dir/bench_latency.mjs" --url "https://127.0.0.1:$port/" --room bench \
        --token "$view_token" --warmup "$page_warmup" --duration "$duration" \
        --log "$dir/console.log" >"$dir/bench.json" 2>"$dir/bench.log"; then
        jq -c --argjson run "$run" --arg size "$size" --argjson fps "$fps" \
            --slurpfile cap "$dir/capture.json" \
            '{run: $run, size_asked: $size, fps_asked: $fps} + del(.passed, .failed)
             + {capture_encode_ms: $cap[0].encode_ms, capture_frames_dropped: $cap[0].frames_dropped}' \
            "$dir/bench.json"
    else
        echo "run_browser_latency: run $run failed: $(cat "$dir/bench.json")" >&2
        tail -n 20 "$dir/bench.log" >&2
        status=1
    fi
    kill -TERM "$cap" 2>/dev/null; wait "$cap" 2>/dev/null || true
    kill -TERM "$relay" 2>/dev/null; wait "$relay" 2>/dev/null || true
    if [ "${KEEP_LOGS:-0}" = 1 ] || [ $status -ne 0 ]; then echo "logs: $dir" >&2; else rm -rf "$dir"; fi
done
exit $status
