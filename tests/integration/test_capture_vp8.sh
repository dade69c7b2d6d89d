#!/usr/bin/env bash
# The VP8 option end to end: telesono-capture --codec vp8 (phantom) through
# the relay to a headless telesono-view, which must decode VP8 frames with
# their capture times and the VP8 codec in the stream metadata.
TSN_NEEDS_CLIENTS=1
source "$(dirname "$0")/lib.sh"

start_relay
mint_token vp1 capture bedside >"$TEST_TMP/capture.token"
VIEW=$(mint_token vp1 clinician dr-a)
CA="$RELAY_DIR/cert.pem"
start_client capture "$TSN_CAPTURE" --relay "$RELAY_URL" --token-file "$TEST_TMP/capture.token" \
    --ca "$CA" --codec vp8 --bitrate 2000 --stats-json "$TEST_TMP/capture.stats.json"
wait_for_log capture "publishing to the relay" 15
start_client view "$TSN_VIEW" --relay "$RELAY_URL" --token "$VIEW" --ca "$CA" --headless \
    --duration 5 --stats-json "$TEST_TMP/view.stats.json"
finish_program view 0
s="$TEST_TMP/view.stats.json"
say "view: $(jq -c '{codec, frames_decoded, fps, bitrate_kbps, latency_ms}' "$s")"
assert_eq "$(jget "$s" .codec)" VP8 "codec the viewer decoded"
assert_eq "$(jget "$s" .stream.codec)" VP8 "codec in the stream metadata"
assert_ge "$(jget "$s" .frames_decoded)" 75 "VP8 frames decoded in 5 s at 30 fps"
assert_ge "$(jget "$s" .latency_ms.count)" 75 "VP8 frames with a capture time"
stop_client capture
# The viewer's average over the run (capture's own figure is the last second).
rate=$(jq -r '.bitrate_kbps | floor' "$s")
assert_le "$rate" 2600 "VP8 kbit/s received, 2000 asked (vp8enc overshoots on noise unless tamed)"
