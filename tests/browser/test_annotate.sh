#!/usr/bin/env bash
# Browser test 4, annotations: telesono-capture publishes its phantom (its
# own pixel spacing, so the stream metadata is the truth about its two
# point targets 20 mm apart); headless Chromium opens the web viewer as two
# clinicians (dr-ann, dr-ben), an observer, and later a late joiner. Checks
# in annotate.mjs: an arrow drawn with real mouse events on dr-ann's canvas
# is in dr-ben's state within 200 ms of the pointerup (several runs), at
# the same points, and its colour is on dr-ben's canvas; the observer sees
# it, has no tools, and a draw it sends anyway is refused (403) in the
# status line with nothing changed; a caliper between the targets found in
# the picture's pixels reads 20 mm within one pixel's worth of mm; the
# other tools, chat, pointer, freeze and bookmark reach the other page;
# the late joiner's state equals everyone's; the overlay stays on the
# picture at 1024x768, tablet size and DPR 2. The screenshot is kept as
# artifacts/annotate.png (and annotate-tablet.png). The numbers are printed
# as one JSON line (ANNOTATE_RESULT).
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/browser_lib.sh"

ROOM=ward5
mkdir -p "$ARTIFACTS"
start_relay
start_phantom "$ROOM" bedside-cap --probe "C5-2 test probe" --depth 50 --fps 15
sleep 0.5 # a keyframe reaches the relay's cache
TOKEN_A=$(mint_token "$ROOM" clinician dr-ann)
TOKEN_B=$(mint_token "$ROOM" clinician dr-ben)
TOKEN_OBS=$(mint_token "$ROOM" observer student-obs)
TOKEN_LATE=$(mint_token "$ROOM" observer late-obs)

# Four pages at once on a shared 2-core machine: more than the default
# 150 s watchdog may be needed, still inside ctest's 180 s.
export TSN_BROWSER_TIMEOUT_S=${TSN_BROWSER_TIMEOUT_S:-165}
run_browser annotate annotate.mjs --url "$(page_base)" --room "$ROOM" \
    --token-a "$TOKEN_A" --token-b "$TOKEN_B" --token-obs "$TOKEN_OBS" --token-late "$TOKEN_LATE" \
    --sub-a dr-ann --sub-b dr-ben --runs "${TSN_ANNOTATE_RUNS:-5}" \
    --screenshot "$ARTIFACTS/annotate.png" --tablet-screenshot "$ARTIFACTS/annotate-tablet.png"
[[ -s "$ARTIFACTS/annotate.png" ]] || fail "no screenshot at $ARTIFACTS/annotate.png"
say "screenshots kept: $ARTIFACTS/annotate.png $ARTIFACTS/annotate-tablet.png"
say "ANNOTATE_RESULT $(jq -c '{arrowLatencyMs, arrowLatencySummary, arrowLatencyToRelayMs, arrowPointError, caliper}' \
    "$TEST_TMP/annotate.json")"
assert_relay_alive
stop_client capture
