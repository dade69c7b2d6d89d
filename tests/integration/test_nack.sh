#!/usr/bin/env bash
# Loss repair. A UDP proxy inside the subscriber drops 5% of the media packets
# from the relay (never STUN, DTLS or RTCP); the subscriber NACKs them and the
# relay must answer from its packet cache: at least 80% of the NACKed packets
# resent, at least half of the dropped packets repaired in the subscriber's
# jitter buffer (without retransmission it gives up on nearly all of them),
# and at least 90% of the frames of a 10 s run decoded. The frame count alone
# cannot tell repair from concealment: avdec_h264 decodes damaged pictures
# without flagging them, so a relay that never retransmits still passes it.
source "$(dirname "$0")/lib.sh"

start_relay
ROOM=ward-nack
start_client pub "$TSN_WHIP_PUBLISH" --url "$RELAY_URL/whip/$ROOM" \
    --token "$(mint_token "$ROOM" capture bedside-probe)" --duration 10 --start-on-signal
wait_for_log pub "waiting for SIGUSR1" 15
start_client lossy "$TSN_WHEP_PLAY" --url "$RELAY_URL/whep/$ROOM" \
    --token "$(mint_token "$ROOM" clinician lossy-viewer)" --duration 60 --drop-percent 5
wait_for_log lossy "first decoded frame" 15

say "starting the measured run"
signal_client lossy USR1
signal_client pub USR1
wait_for_log pub "streaming for" 5
finish_client pub
FRAMES_SENT=$(report pub frames_sent)
assert_ge "$FRAMES_SENT" 240 "publisher frames_sent"
sleep 1 # the last frames are still in the jitter buffer
end_client lossy

# The proxy must really have dropped something, or this test proves nothing.
DROPPED=$(report lossy proxy_dropped)
assert_gt "$DROPPED" 20 "packets dropped by the proxy"
assert_gt "$(report lossy nacks_sent)" 0 "NACKs sent by the subscriber"
NACKED=$(metric_sum telesono_nacks_received_total)
assert_gt "$NACKED" 0 "telesono_nacks_received_total"
assert_ge "$(metric_sum telesono_retransmissions_total)" "$(percent_of "$NACKED" 80)" \
    "telesono_retransmissions_total (80% of $NACKED NACKed packets)"
assert_le "$(report lossy jb_lost)" $((DROPPED / 2)) \
    "packets the jitter buffer gave up on (at most half of $DROPPED dropped)"
assert_ge "$(report lossy frames_decoded_after_mark)" "$(percent_of "$FRAMES_SENT" 90)" \
    "lossy subscriber frames decoded during the run (90% of $FRAMES_SENT)"
assert_relay_alive
assert_healthz
