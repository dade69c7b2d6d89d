#!/usr/bin/env bash
# A recording survives a killed relay, end to end on loopback:
# telesono-capture (phantom, 30 fps) publishes, a clinician turns recording
# on and draws; after ~4 s the relay is killed with SIGKILL (no goodbye, no
# flush) and started again on the same data directory. Checks:
#   - at start-up the relay recovers the session: session.json says
#     "recovered", and the last record it kept is within 1 s of the kill
#     (ended_ms >= kill time - 1000; the writer writes every 200 ms);
#   - the recovered log exports (telesono-export) to an MP4 whose duration
#     (ffprobe) reaches within 1 s of the kill, with the annotation event;
#   - bytes damaged in the middle of the log are skipped with a warning
#     naming their offset, and the export still succeeds with the frames
#     outside the damage (at most a few fewer frames);
#   - the relay records again after the restart (a new session id).
TSN_NEEDS_CLIENTS=1
source "$(dirname "$0")/lib.sh"
tsn_find_program TSN_EXPORT telesono-export

ROOM=ward-crash
REC="$TEST_TMP/recordings"
RELAY_ARGS=(--recordings "$REC" --record-min-free-mb 0)

start_relay "${RELAY_ARGS[@]}"
CA="$RELAY_DIR/cert.pem"
CAP_TOKEN=$(mint_token "$ROOM" capture cart-1)
DOC_TOKEN=$(mint_token "$ROOM" clinician dr-kim)

start_client capture "$TSN_CAPTURE" --relay "$RELAY_URL" --token "$CAP_TOKEN" --ca "$CA" --fps 30
wait_for_log capture "publishing to the relay" 20

GO_END="$TEST_TMP/go-end"
ARROW='{"type":"draw","item":{"kind":"arrow","points":[[0.2,0.2],[0.8,0.6]],"color":"#ff00ff"},"id":2}'
start_client doc "$TSN_WS_CLIENT" --url "wss://127.0.0.1:$RELAY_PORT/ws" \
    --send "{\"type\":\"join\",\"token\":\"$DOC_TOKEN\"}" --ignore-type presence \
    --send '{"type":"record","on":true,"id":1}' --hold-ms 1000 --send "$ARROW" \
    --wait-file "$GO_END"
for ((i = 0; i < 100; i++)); do
    grep -q '"type":"recording","on":true' "$TEST_TMP/doc.json" 2>/dev/null && break
    sleep 0.1
done
SESSION=$(grep -m1 '"type":"recording","on":true' "$TEST_TMP/doc.json" | jq -r .session)
[[ "$SESSION" =~ ^[0-9]{8}T[0-9]{6}Z-[0-9a-f]{8}$ ]] || fail "no recording session id: '$SESSION'"
SINCE_MS=$(grep -m1 '"type":"recording","on":true' "$TEST_TMP/doc.json" | jq -r .since_ms)
DIR="$REC/$ROOM/$SESSION"
say "recording $SESSION in $DIR"

sleep 4
grep -q '"op":"draw"' "$TEST_TMP/doc.json" || fail "the draw event did not come back"
SIZE_BEFORE=$(stat -c %s "$DIR/media.tsr")
assert_gt "$SIZE_BEFORE" 100000 "bytes in the log before the kill"
KILL_MS=$(date +%s%3N)
restart_relay "${RELAY_ARGS[@]}"
touch "$GO_END"
stop_client doc

# Recovery runs before the relay says it is ready.
grep -q "\[recorder $SESSION\] recovered" "$TEST_TMP/relay.log" ||
    fail "the relay did not log the recovery of $SESSION"
STATE=$(jget "$DIR/session.json" .state)
assert_eq "$STATE" recovered "session state after the restart"
ENDED_MS=$(jget "$DIR/session.json" .ended_ms)
LOST_MS=$((KILL_MS - ENDED_MS))
say "last record kept: $LOST_MS ms before the kill (started $((KILL_MS - SINCE_MS)) ms before it)"
assert_le "$LOST_MS" 1000 "ms of recording lost to the kill"
assert_ge "$LOST_MS" -200 "ms between the kill and the last record (clock sanity)"
FRAMES=$(jget "$DIR/session.json" .frames)
EVENTS=$(jget "$DIR/session.json" .events)
assert_ge "$FRAMES" 90 "frames recovered (30 fps for ~4 s)"
assert_eq "$EVENTS" 1 "events recovered (the arrow)"

# The recovered log exports to an MP4 reaching to within 1 s of the kill.
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
    "$TSN_EXPORT" "$DIR" --json >"$TEST_TMP/export.json" 2>"$TEST_TMP/export.log" ||
    { cat "$TEST_TMP/export.log" >&2; fail "telesono-export failed on the recovered session"; }
MP4="$DIR/export/recording.mp4"
[[ -s "$MP4" ]] || fail "no $MP4"
DUR_MS=$(ffprobe -v error -show_entries format=duration -of csv=p=0 "$MP4" | awk '{printf "%d", $1 * 1000}')
NB=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames \
    -of csv=p=0 "$MP4")
say "export: $NB frames, $DUR_MS ms; recording started $((KILL_MS - SINCE_MS)) ms before the kill"
assert_ge "$((DUR_MS + 1000))" "$((KILL_MS - SINCE_MS - 1000))" \
    "exported duration + 1 s vs recorded time before the kill (- 1 s for the first keyframe)"
assert_ge "$NB" 90 "frames in the recovered export"
grep -q '"op":"draw"' "$DIR/export/annotations.json" || fail "the arrow is not in annotations.json"

# Damage in the middle: 64 bytes overwritten at a third of the file.
OFFSET=$((SIZE_BEFORE / 3))
head -c 64 /dev/urandom | dd of="$DIR/media.tsr" bs=1 seek="$OFFSET" conv=notrunc status=none
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
    "$TSN_EXPORT" "$DIR" --json >"$TEST_TMP/export2.json" 2>"$TEST_TMP/export2.log" ||
    { cat "$TEST_TMP/export2.log" >&2; fail "telesono-export failed on the damaged log"; }
grep -E "warning: .*skipped [0-9]+ damaged bytes at offset [0-9]+" "$TEST_TMP/export2.log" ||
    { cat "$TEST_TMP/export2.log" >&2; fail "no warning about the damaged bytes"; }
SKIPPED=$(jget "$TEST_TMP/export2.json" .skipped_bytes)
assert_gt "$SKIPPED" 0 "bytes skipped in the damaged log"
NB2=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames \
    -of csv=p=0 "$MP4")
say "damaged export: $NB2 frames (was $NB), $SKIPPED bytes skipped"
assert_ge "$NB2" "$((NB - 5))" "frames after 64 damaged bytes (one packet's frame or two)"

# The relay records again after the restart.
wait_for_log capture "publishing to the relay" 20
run_client doc2 0 "$TSN_WS_CLIENT" --url "wss://127.0.0.1:$RELAY_PORT/ws" \
    --send "{\"type\":\"join\",\"token\":\"$DOC_TOKEN\"}" --ignore-type presence \
    --send '{"type":"record","on":true,"id":1}' --hold-ms 1500 \
    --send '{"type":"record","on":false,"id":2}'
SESSION2=$(grep -m1 '"type":"recording","on":true' "$TEST_TMP/doc2.json" | jq -r .session)
[[ -n "$SESSION2" && "$SESSION2" != "$SESSION" ]] || fail "no new recording after the restart"
for ((i = 0; i < 50; i++)); do
    [[ "$(jq -r .state "$REC/$ROOM/$SESSION2/session.json" 2>/dev/null)" == complete ]] && break
    sleep 0.1
done
assert_eq "$(jget "$REC/$ROOM/$SESSION2/session.json" .state)" complete "second session's state"
assert_relay_alive
say "PASS: recovered to $LOST_MS ms before the kill; $NB frames exported; damage skipped"
