#!/usr/bin/env bash
# Browser test, recording and review (issue 6): the relay records into a
# temporary --recordings directory while telesono-capture publishes its
# phantom; in headless Chromium a clinician turns recording on with the
# live viewer's REC button (an observer sees REC, has no toggle), draws an
# arrow ~2 s in, stops ~3 s later; then a reviewer opens review.html:
# the session is listed, exported, plays; at the arrow's frame (from
# annotations.json) its colour is on the overlay, one frame earlier it is
# not; frame steps move exactly one frame; the files answer Range requests;
# a burned-in copy is made; while recording it cannot be opened (409); a
# token of another room is refused with "token is for another room"; a
# recording without video fails to export and the page says why. Checks in review.mjs; the figures (open -> first
# frame, export wait, burn-in wait, REC latency) are printed as one JSON
# line (REVIEW_RESULT); the page at the arrow's frame is kept as
# artifacts/review.png.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/browser_lib.sh"

ROOM=ward6
REC_DIR="$TEST_TMP/recordings"
mkdir -p "$ARTIFACTS" "$REC_DIR"
# The exporter the relay spawns: this build's; a sanitizer build's runs
# without leak checks (GLib keeps allocations to the end), as start_client
# does for the GStreamer clients.
TSN_EXPORT=${TSN_EXPORT:-$(dirname "$TSN_RELAY")/telesono-export}
[[ -x "$TSN_EXPORT" ]] || fail "telesono-export not found at $TSN_EXPORT (set TSN_EXPORT)"
EXPORT_PROGRAM=$TSN_EXPORT
if ldd "$TSN_EXPORT" 2>/dev/null | grep libasan >/dev/null; then # not -q: pipefail
    # shellcheck disable=SC2016 # expanded by the wrapper, not here
    printf '#!/bin/sh\nASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" exec "%s" "$@"\n' \
        "$TSN_EXPORT" >"$TEST_TMP/export-noleaks.sh"
    chmod +x "$TEST_TMP/export-noleaks.sh"
    EXPORT_PROGRAM=$TEST_TMP/export-noleaks.sh
fi
# --record-min-free-mb 0: a CI disk with little room still records here.
start_relay --recordings "$REC_DIR" --record-min-free-mb 0 --export-program "$EXPORT_PROGRAM"
start_phantom "$ROOM" review-cap --probe "L14 review probe" --depth 40 --fps 15
sleep 0.5 # a keyframe reaches the relay's cache
TOKEN_CLIN=$(mint_token "$ROOM" clinician dr-rec)
TOKEN_OBS=$(mint_token "$ROOM" observer student-rec)
TOKEN_REV=$(mint_token "$ROOM" reviewer rev-1)
TOKEN_REV_OTHER=$(mint_token other-room reviewer rev-2)
EMPTY_ROOM=ward6-empty # nobody publishes there: its recording has no video
TOKEN_CLIN_EMPTY=$(mint_token "$EMPTY_ROOM" clinician dr-empty)
TOKEN_REV_EMPTY=$(mint_token "$EMPTY_ROOM" reviewer rev-3)

run_browser review review.mjs --url "$(page_base)" --room "$ROOM" \
    --token-clin "$TOKEN_CLIN" --token-obs "$TOKEN_OBS" --token-rev "$TOKEN_REV" \
    --token-rev-other "$TOKEN_REV_OTHER" --empty-room "$EMPTY_ROOM" \
    --token-clin-empty "$TOKEN_CLIN_EMPTY" --token-rev-empty "$TOKEN_REV_EMPTY" --screenshot "$ARTIFACTS/review.png"

# What the page saw is what is on disk.
SESSION=$(jget "$TEST_TMP/review.json" .session)
SDIR="$REC_DIR/$ROOM/$SESSION"
[[ -s "$SDIR/media.tsr" ]] || fail "no packet log at $SDIR/media.tsr"
[[ $(jget "$SDIR/session.json" .state) == complete ]] || fail "session.json: state is not complete: $(cat "$SDIR/session.json")"
for f in recording.mp4 annotations.json annotated.mp4; do
    [[ -s "$SDIR/export/$f" ]] || fail "the export wrote no $f"
done
FRAMES=$(jget "$SDIR/export/annotations.json" .video.frames)
assert_eq "$FRAMES" "$(jget "$TEST_TMP/review.json" .frames)" "frames in annotations.json and in the page"
say "REVIEW_RESULT $(jq -c '{openToFirstFrameMs, openClickToFirstFrameMs, exportWaitMs, burnInWaitMs, recIndicatorMs, frames, recordedMs, arrowFrame, arrowPtsMs, pixelsAtK, pixelsAtKminus1, played}' \
    "$TEST_TMP/review.json")"
assert_relay_alive
stop_client capture
