#!/usr/bin/env bash
# --record always records a WHIP publisher too, and stops when it leaves an
# empty room: tsn-whip-publish (640x480@30 H.264, 2 Mbit/s) publishes for
# 4 s to a relay started with --record always; nobody joins over /ws. Checks:
# one session, state "complete" with the reason that the publisher left,
# started by the publisher's subject, ~4 s of media; it exports to an MP4
# whose every frame decodes (ffprobe -count_frames equals the samples) and
# spans the recorded time within a frame or two; the audit log has the WHIP
# join and the recording's start and stop.
source "$(dirname "$0")/lib.sh"
tsn_find_program TSN_EXPORT telesono-export

ROOM=ward-whip
REC="$TEST_TMP/recordings"
start_relay --recordings "$REC" --record-min-free-mb 0 --record always
run_client pub 0 "$TSN_WHIP_PUBLISH" --url "$RELAY_URL/whip/$ROOM" \
    --token "$(mint_token "$ROOM" capture whip-cart)" --duration 4
for ((i = 0; i < 50; i++)); do
    compgen -G "$REC/$ROOM/*/session.json" >/dev/null &&
        [[ "$(jq -r .state "$REC/$ROOM"/*/session.json)" == complete ]] && break
    sleep 0.1
done
SESSIONS=("$REC/$ROOM"/*/)
assert_eq "${#SESSIONS[@]}" 1 "recordings of the WHIP room"
DIR=${SESSIONS[0]%/}
assert_eq "$(jget "$DIR/session.json" .state)" complete "state"
assert_eq "$(jget "$DIR/session.json" .started_by)" whip-cart "started by"
assert_contains "$(jget "$DIR/session.json" .stop_reason)" "publisher left" "stop reason"
MEDIA_MS=$(jget "$DIR/session.json" .media_ms)
assert_ge "$MEDIA_MS" 3000 "ms of media recorded from a 4 s publish"
ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" timeout 60 "$TSN_EXPORT" "$DIR" \
    --json >"$TEST_TMP/export.json" 2>"$TEST_TMP/export.log" ||
    { cat "$TEST_TMP/export.log" >&2; fail "telesono-export failed"; }
MP4="$DIR/export/recording.mp4"
read -r SAMPLES DECODED < <(ffprobe -v error -count_frames -select_streams v:0 \
    -show_entries stream=nb_frames,nb_read_frames -of csv=p=0 "$MP4" | tr ',' ' ')
say "export: $SAMPLES samples, $DECODED decoded, recorded $MEDIA_MS ms"
assert_eq "$DECODED" "$SAMPLES" "decodable frames of the export"
assert_ge "$SAMPLES" 90 "frames of ~4 s at 30 fps"
# The access audit log has the WHIP join and the recording's start and stop.
http_request GET "/recordings/$ROOM/audit" "$(mint_token "$ROOM" admin auditor)"
assert_eq "$HTTP_STATUS" 200 "GET audit"
printf '%s\n' "$HTTP_BODY" >"$TEST_TMP/audit.json"
assert_eq "$(jq '[.audit[] | select(.action == "join" and .actor == "whip-cart" and .detail == "whip")] | length' "$TEST_TMP/audit.json")" 1 "WHIP join audited"
assert_eq "$(jq '[.audit[] | select(.action == "record-start" or .action == "record-stop")] | length' "$TEST_TMP/audit.json")" 2 "recording start and stop audited"
assert_relay_alive
