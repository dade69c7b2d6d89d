#!/usr/bin/env bash
# telesono-view in window mode (no --headless) on a virtual X display (Xvfb):
# the phantom from telesono-capture must be on screen. A screenshot of the
# display is taken with GStreamer's ximagesrc, kept as an artifact
# (build dir: artifacts/view-window.png, or $TSN_ARTIFACTS), and measured:
# a black or uniform screen fails.
TSN_NEEDS_CLIENTS=1
source "$(dirname "$0")/lib.sh"

command -v Xvfb >/dev/null || fail "Xvfb is missing (scripts/bootstrap.sh installs xvfb)"
ARTIFACTS=${TSN_ARTIFACTS:-$(dirname "$TSN_VIEW")/artifacts}
mkdir -p "$ARTIFACTS"

start_relay
mint_token win1 capture bedside >"$TEST_TMP/capture.token"
mint_token win1 clinician dr-a >"$TEST_TMP/view.token"
CA="$RELAY_DIR/cert.pem"

# Xvfb picks a free display number and writes it on fd 3.
Xvfb -displayfd 3 -screen 0 800x600x24 -nolisten tcp 3>"$TEST_TMP/display" \
    2>"$TEST_TMP/xvfb.log" &
TSN_CLIENT_PIDS[xvfb]=$!
for ((i = 0; i < 50; i++)); do [[ -s "$TEST_TMP/display" ]] && break; sleep 0.1; done
[[ -s "$TEST_TMP/display" ]] || fail "Xvfb did not start: $(cat "$TEST_TMP/xvfb.log")"
export DISPLAY=":$(cat "$TEST_TMP/display")"
say "Xvfb on $DISPLAY"

start_client capture "$TSN_CAPTURE" --relay "$RELAY_URL" --token-file "$TEST_TMP/capture.token" \
    --ca "$CA"
start_client view "$TSN_VIEW" --relay "$RELAY_URL" --token-file "$TEST_TMP/view.token" \
    --ca "$CA" --duration 60 --stats-json "$TEST_TMP/view.stats.json"
wait_for_log view "first frame decoded" 40
sleep 2 # a few frames on screen

shot="$ARTIFACTS/view-window.png"
gst-launch-1.0 -q ximagesrc num-buffers=1 ! videoconvert ! pngenc ! filesink location="$shot" ||
    fail "cannot take a screenshot of $DISPLAY"
say "screenshot kept: $shot"
analysis=$(gst-launch-1.0 -m ximagesrc num-buffers=1 ! videoconvert ! videoanalyse ! fakesink 2>&1 |
    grep -o 'luma-average=(double)[0-9.e-]*, luma-variance=(double)[0-9.e-]*' | head -n 1)
[[ -n "$analysis" ]] || fail "videoanalyse printed nothing"
avg=$(sed -E 's/.*luma-average=\(double\)([0-9.e-]+).*/\1/' <<<"$analysis")
var=$(sed -E 's/.*luma-variance=\(double\)([0-9.e-]+).*/\1/' <<<"$analysis")
say "screen: luma average $avg, variance $var (0..1 scale)"
awk -v a="$avg" -v v="$var" 'BEGIN { exit !(a > 0.02 && v > 0.002) }' ||
    fail "the window shows no picture (luma average $avg, variance $var)"

signal_client view TERM # a clean stop writes the final statistics
finish_program view 0
assert_gt "$(jget "$TEST_TMP/view.stats.json" .frames_decoded)" 30 "frames decoded in the window"
stop_client capture
