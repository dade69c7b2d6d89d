#!/usr/bin/env bash
# Browser test 1, join: telesono-capture publishes its phantom to the relay;
# headless Chromium opens the relay's web viewer on a link carrying the room
# and a clinician token in its fragment. Within 3 s of navigation the page
# must decode frames; it keeps decoding, the video is not blank (luma
# variance of a sample drawn from video#stream), #state says "live", #meta
# shows the probe, depth and pixel spacing, #participants lists the capture
# and the page. The screenshot is kept as an artifact (build dir:
# artifacts/web-viewer.png, or $TSN_ARTIFACTS). Checks in join.mjs.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/browser_lib.sh"

mkdir -p "$ARTIFACTS"
start_relay
start_phantom ward3 bedside-cap --probe "C5-2 test probe" --depth 45 --pixel-spacing 0.2
sleep 0.5 # a keyframe reaches the relay's cache (phantom: one every 2 s, and one at start)
VIEW_TOKEN=$(mint_token ward3 clinician dr-browser)

run_browser join join.mjs --url "$(page_base)" --room ward3 --token "$VIEW_TOKEN" \
    --probe "C5-2 test probe" --depth 45 --spacing 0.2 --subs bedside-cap,dr-browser \
    --width 640 --height 480 --screenshot "$ARTIFACTS/web-viewer.png"
say "first frame $(jget "$TEST_TMP/join.json" .firstFrameMs) ms after navigation;" \
    "page: joinToFirstFrameMs $(jget "$TEST_TMP/join.json" .stats.joinToFirstFrameMs)," \
    "latency $(jq -c .stats.latencyMs "$TEST_TMP/join.json")"
[[ -s "$ARTIFACTS/web-viewer.png" ]] || fail "no screenshot at $ARTIFACTS/web-viewer.png"
say "screenshot kept: $ARTIFACTS/web-viewer.png"
assert_relay_alive
stop_client capture
