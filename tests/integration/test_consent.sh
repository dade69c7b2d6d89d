#!/usr/bin/env bash
# ICE consent with libnice clients: webrtcbin (capture, view) sends only
# STUN binding indications once connected, never the binding requests RFC
# 7675 uses for consent. The relay takes authenticated SRTP/SRTCP from a
# peer's address as consent too; without that, every webrtcbin session was
# dropped at each consent timeout (a 2-3 s outage every 30 s). Here the
# timeout is 9 s and the run 13 s: the stream must never break. (Not
# shorter: a receiving webrtcbin sends RTCP only every 2.5-7.5 s.)
TSN_NEEDS_CLIENTS=1
source "$(dirname "$0")/lib.sh"

start_relay --consent-timeout 9
mint_token cs1 capture bedside >"$TEST_TMP/capture.token"
VIEW=$(mint_token cs1 clinician dr-a)
CA="$RELAY_DIR/cert.pem"
start_client capture "$TSN_CAPTURE" --relay "$RELAY_URL" --token-file "$TEST_TMP/capture.token" \
    --ca "$CA" --stats-json "$TEST_TMP/capture.stats.json"
wait_for_log capture "publishing to the relay" 15
start_client view "$TSN_VIEW" --relay "$RELAY_URL" --token "$VIEW" --ca "$CA" --headless \
    --duration 13 --stats-json "$TEST_TMP/view.stats.json"
finish_program view 0
s="$TEST_TMP/view.stats.json"
say "view: $(jq -c '{frames_decoded, reconnects, outage_count}' "$s")"
assert_eq "$(grep -c 'consent expired' "$TEST_TMP/relay.log")" 0 \
    "sessions dropped for consent (timeout 9 s, run 13 s)"
assert_eq "$(jget "$s" .reconnects)" 0 "viewer reconnects"
assert_eq "$(jget "$s" .outage_count)" 0 "viewer outages"
assert_ge "$(jget "$s" .frames_decoded)" 250 "frames decoded in 13 s at 30 fps"
assert_eq "$(grep -c 'lost the relay' "$TEST_TMP/capture.log")" 0 "capture reconnects"
stop_client capture
