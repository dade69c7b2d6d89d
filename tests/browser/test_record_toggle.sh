#!/usr/bin/env bash
# Browser test, the live viewer's recording control (issue 6): two
# clinicians and an observer on the phantom in headless Chromium; one
# clinician turns recording on with the REC button, everyone shows REC
# (latency measured), the observer has no button and its `record` is
# refused 403, a late joiner shows REC, the other clinician stops it.
# Checks in record_toggle.mjs; here: the session it names is on disk,
# complete, with its packet log. Then the relay restarts with --record off:
# a click on Record is refused and the page says why (503, the reason).
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/browser_lib.sh"

ROOM=ward7
REC_DIR="$TEST_TMP/recordings"
mkdir -p "$REC_DIR"
# --record-min-free-mb 0: a CI disk with little room still records here.
start_relay --recordings "$REC_DIR" --record-min-free-mb 0
start_phantom "$ROOM" toggle-cap --fps 10
TOKEN_A=$(mint_token "$ROOM" clinician dr-ada)
TOKEN_B=$(mint_token "$ROOM" clinician dr-bo)
TOKEN_OBS=$(mint_token "$ROOM" observer student-t)
TOKEN_LATE=$(mint_token "$ROOM" observer late-t)

run_browser record_toggle record_toggle.mjs --url "$(page_base)" --room "$ROOM" \
    --token-a "$TOKEN_A" --token-b "$TOKEN_B" --token-obs "$TOKEN_OBS" --token-late "$TOKEN_LATE" --sub-a dr-ada

SESSION=$(jget "$TEST_TMP/record_toggle.json" .session)
SDIR="$REC_DIR/$ROOM/$SESSION"
[[ -s "$SDIR/media.tsr" ]] || fail "no packet log at $SDIR/media.tsr"
assert_eq "$(jget "$SDIR/session.json" .state)" complete "session.json state"
assert_eq "$(jget "$SDIR/session.json" .started_by)" dr-ada "session.json started_by"
say "RECORD_TOGGLE_RESULT $(jq -c '{recIndicatorMs, session}' "$TEST_TMP/record_toggle.json")"
assert_relay_alive

stop_client capture
restart_relay --recordings "$REC_DIR" --record off
start_phantom "$ROOM" toggle-cap --fps 10
run_browser record_refused record_toggle.mjs --url "$(page_base)" --room "$ROOM" \
    --token-a "$TOKEN_A" --token-b "$TOKEN_B" --token-obs "$TOKEN_OBS" --token-late "$TOKEN_LATE" --sub-a dr-ada \
    --refused "recording is turned off on this relay"
assert_relay_alive
stop_client capture
