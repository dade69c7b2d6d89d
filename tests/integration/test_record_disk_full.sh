#!/usr/bin/env bash
# A full disk stops the recording, never the live session, end to end on
# loopback. The recordings directory is a 3 MiB tmpfs (a private mount
# namespace: the script re-runs itself under `unshare -m`), the phantom at
# 30 fps and ~3 Mbit/s fills it in seconds. Checks:
#   - the room gets {"type":"recording","on":false,"error":true} with the
#     reason "disk full: recording stopped", and the relay logs it;
#   - the live picture goes on: a telesono-view observer keeps decoding
#     frames after the failure; the relay is alive;
#     telesono_recording_failures_total is 1;
#   - what was written is kept and exports (to a directory with space);
#   - with --record-min-free-mb above the free space a recording is refused
#     at once with 503 and a reason naming the limit.
if [[ -z "${TSN_IN_MOUNT_NS:-}" ]]; then
    exec unshare -m env TSN_IN_MOUNT_NS=1 bash "$0" "$@"
fi
TSN_NEEDS_CLIENTS=1
source "$(dirname "$0")/lib.sh"
tsn_find_program TSN_EXPORT telesono-export

ROOM=ward-full
REC="$TEST_TMP/recordings"
mkdir -p "$REC"
mount -t tmpfs -o size=3m,mode=0700 tmpfs "$REC" || fail "cannot mount a tmpfs on $REC"

start_relay --recordings "$REC" --record-min-free-mb 0
CA="$RELAY_DIR/cert.pem"
CAP_TOKEN=$(mint_token "$ROOM" capture cart-1)
VIEW_TOKEN=$(mint_token "$ROOM" observer bedside)
DOC_TOKEN=$(mint_token "$ROOM" clinician dr-full)

start_client capture "$TSN_CAPTURE" --relay "$RELAY_URL" --token "$CAP_TOKEN" --ca "$CA" --fps 30
start_client view "$TSN_VIEW" --relay "$RELAY_URL" --token "$VIEW_TOKEN" --ca "$CA" --headless \
    --stats-json "$TEST_TMP/view.stats.json"
wait_for_log capture "publishing to the relay" 20
wait_for_log view "first frame decoded" 20

GO_END="$TEST_TMP/go-end"
start_client doc "$TSN_WS_CLIENT" --url "wss://127.0.0.1:$RELAY_PORT/ws" \
    --send "{\"type\":\"join\",\"token\":\"$DOC_TOKEN\"}" --ignore-type presence \
    --send '{"type":"record","on":true,"id":1}' --wait-file "$GO_END"

for ((i = 0; i < 400; i++)); do
    grep -q '"type":"recording","on":false' "$TEST_TMP/doc.json" 2>/dev/null && break
    sleep 0.1
done
STOPPED=$(grep -m1 '"type":"recording","on":false' "$TEST_TMP/doc.json") ||
    fail "the recording did not stop within 40 s on a 3 MiB disk"
say "room was told: $STOPPED"
assert_eq "$(jq -r .error <<<"$STOPPED")" true "the stop is an error"
assert_contains "$(jq -r .reason <<<"$STOPPED")" "disk full" "the reason"
SESSION=$(jq -r .session <<<"$STOPPED")
grep -q "\[recorder $SESSION\] disk full: recording stopped" "$TEST_TMP/relay.log" ||
    fail "the relay did not log the disk-full stop"
wait_metric_at_least telesono_recording_failures_total 1 5
assert_eq "$(metric_sum telesono_recording_failures_total)" 1 "recording failures"

# The live session goes on.
FRAMES_AT_STOP=$(jget "$TEST_TMP/view.stats.json" .frames_decoded)
sleep 3
FRAMES_LATER=$(jget "$TEST_TMP/view.stats.json" .frames_decoded)
say "viewer decoded $((FRAMES_LATER - FRAMES_AT_STOP)) frames in the 3 s after the failure"
assert_ge "$((FRAMES_LATER - FRAMES_AT_STOP))" 45 "frames decoded after the disk filled (30 fps)"
assert_relay_alive
touch "$GO_END"
stop_client doc

# What was written is kept and exports elsewhere.
OUT="$TEST_TMP/out"
mkdir -p "$OUT"
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
    "$TSN_EXPORT" "$REC/$ROOM/$SESSION" --out "$OUT/rec.mp4" --annotations "$OUT/a.json" \
    --json >"$TEST_TMP/export.json" 2>"$TEST_TMP/export.log" ||
    { cat "$TEST_TMP/export.log" >&2; fail "the partial recording does not export"; }
NB=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames \
    -of csv=p=0 "$OUT/rec.mp4")
say "the partial recording exports: $NB frames"
assert_ge "$NB" 15 "frames kept from before the disk filled"

# Below --record-min-free-mb a recording is refused before it starts.
restart_relay --recordings "$REC" --record-min-free-mb 100
run_client doc2 0 "$TSN_WS_CLIENT" --url "wss://127.0.0.1:$RELAY_PORT/ws" \
    --send "{\"type\":\"join\",\"token\":\"$DOC_TOKEN\"}" --ignore-type presence \
    --ignore-type stream --send '{"type":"record","on":true,"id":9}'
REFUSAL=$(grep -m1 '"type":"error"' "$TEST_TMP/doc2.json") || fail "no refusal below the free-space limit"
assert_eq "$(jq -r .code <<<"$REFUSAL")" 503 "refusal code"
assert_contains "$(jq -r .reason <<<"$REFUSAL")" "less than 100 MiB free" "refusal reason"
assert_eq "$(jq -r .ref <<<"$REFUSAL")" record "refused message type"
assert_relay_alive
say "PASS: disk full stopped the recording (live went on: $((FRAMES_LATER - FRAMES_AT_STOP)) frames in 3 s)"
