#!/usr/bin/env bash
# Recovery: the relay is killed (SIGKILL) and restarted, then capture is
# killed and restarted, then a viewer: each time the stream must be back on
# the viewers within 5 s of the restarted program being up.
TSN_NEEDS_CLIENTS=1
source "$(dirname "$0")/lib.sh"

LIMIT_MS=5000

start_relay
CA="$RELAY_DIR/cert.pem"
mint_token ward7 capture bedside >"$TEST_TMP/capture.token"
V1=$(mint_token ward7 clinician dr-a)
V2=$(mint_token ward7 observer student)

now_ms() { date +%s%3N; }

decoded() { # VIEWER: frames decoded so far (from its stats file)
    jq -r '.frames_decoded // 0' "$TEST_TMP/$1.stats.json" 2>/dev/null || echo 0
}

# wait_frames VIEWER TIMEOUT_S WHAT: waits until VIEWER decodes 10 more
# frames than now.
wait_frames() {
    local v=$1 timeout_s=$2 what=$3 base i n
    base=$(decoded "$v")
    for ((i = 0; i < timeout_s * 10; i++)); do
        n=$(decoded "$v")
        ((n >= base + 10)) && return 0
        sleep 0.1
    done
    fail "$what: $v decoded no new frames within $timeout_s s"
}

# wait_frames_after VIEWER SINCE_MS WHAT: the same, and asserts it happened
# within LIMIT_MS of SINCE_MS.
wait_frames_after() {
    local v=$1 since=$2 what=$3
    wait_frames "$v" 15 "$what"
    assert_le $(($(now_ms) - since)) $((LIMIT_MS + 1000)) "$what: ms until $v shows the stream again (stats are written once a second)"
}

start_capture() {
    start_client "$1" "$TSN_CAPTURE" --relay "$RELAY_URL" --token-file "$TEST_TMP/capture.token" \
        --ca "$CA" --stats-json "$TEST_TMP/$1.stats.json"
}

start_viewer() { # NAME TOKEN
    start_client "$1" "$TSN_VIEW" --relay "$RELAY_URL" --token "$2" --ca "$CA" --headless \
        --duration 60 --stats-json "$TEST_TMP/$1.stats.json"
}

start_capture capture1
start_viewer view1 "$V1"
start_viewer view2 "$V2"
wait_frames view1 30 "first start"
wait_frames view2 30 "first start"

# 1. The relay dies and comes back on the same port, data dir and certificate.
restart_relay
up=$(now_ms)
wait_frames_after view1 "$up" "relay restart"
wait_frames_after view2 "$up" "relay restart"
assert_ge "$(jq -r '.reconnects' "$TEST_TMP/view1.stats.json")" 1 "view1 reconnects"

# 2. Capture dies (SIGKILL: no goodbye); a new one starts.
kill -KILL "${TSN_CLIENT_PIDS[capture1]}"
wait "${TSN_CLIENT_PIDS[capture1]}" 2>/dev/null || true
unset "TSN_CLIENT_PIDS[capture1]"
sleep 1
start_capture capture2
up=$(now_ms)
wait_frames_after view1 "$up" "capture restart"
wait_frames_after view2 "$up" "capture restart"

# 3. A viewer dies and a new one joins.
kill -KILL "${TSN_CLIENT_PIDS[view2]}"
wait "${TSN_CLIENT_PIDS[view2]}" 2>/dev/null || true
unset "TSN_CLIENT_PIDS[view2]"
start_viewer view3 "$V2"
up=$(now_ms)
wait_frames_after view3 "$up" "viewer restart"
assert_relay_alive
say "view1: $(jq -c '{frames_decoded, reconnects, outages, latency_ms}' "$TEST_TMP/view1.stats.json")"

# The new viewer made the relay ask capture for a keyframe (PLI), which the
# encoder honoured (at most one per 500 ms).
sleep 1.2 # capture rewrites its statistics once a second
assert_ge "$(jq -r '.keyframe_requests' "$TEST_TMP/capture2.stats.json")" 1 \
    "keyframe requests (PLI) that reached capture"
assert_ge "$(jq -r '.keyframes_forced' "$TEST_TMP/capture2.stats.json")" 1 \
    "keyframes capture forced for them"
