#!/usr/bin/env bash
# A viewer survives a publisher restart. The first publisher streams, then
# ends (DELETE); a second publisher (a new SSRC, new sequence numbers and
# timestamps) starts in the same room. The viewer keeps one session and one
# SSRC throughout: the relay rewrites the new stream into it, so the viewer
# must decode the new publisher's frames without reconnecting.
source "$(dirname "$0")/lib.sh"

start_relay
ROOM=ward-restart
start_client sub "$TSN_WHEP_PLAY" --url "$RELAY_URL/whep/$ROOM" \
    --token "$(mint_token "$ROOM" clinician viewer)" --duration 60

run_client pub1 0 "$TSN_WHIP_PUBLISH" --url "$RELAY_URL/whip/$ROOM" \
    --token "$(mint_token "$ROOM" capture bedside-probe)" --duration 3
wait_for_log sub "first decoded frame" 5

start_client pub2 "$TSN_WHIP_PUBLISH" --url "$RELAY_URL/whip/$ROOM" \
    --token "$(mint_token "$ROOM" capture bedside-probe)" --duration 10 --start-on-signal
wait_for_log pub2 "waiting for SIGUSR1" 15
signal_client sub USR1
signal_client pub2 USR1
finish_client pub2
FRAMES_SENT=$(report pub2 frames_sent)
assert_ge "$FRAMES_SENT" 240 "second publisher frames_sent"

sleep 1
end_client sub
assert_ge "$(report sub frames_decoded_after_mark)" "$(percent_of "$FRAMES_SENT" 90)" \
    "frames of the second publisher decoded by the same viewer session (90% of $FRAMES_SENT)"
assert_ge "$(metric_sum telesono_dtls_connected_total)" 3 "telesono_dtls_connected_total"
assert_relay_alive
assert_healthz
