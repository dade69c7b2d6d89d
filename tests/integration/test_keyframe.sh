#!/usr/bin/env bash
# Keyframes on demand. The publisher makes no keyframe of its own after the
# first one (--keyint 100000), so a viewer that joins 3 s later can only start
# at once if the relay serves its cached keyframe (or fetches a fresh one by
# PLI): its first decoded frame must come within 500 ms of its POST. A second
# viewer asks for a keyframe (PLI) 1 s after its first frame: the relay must
# forward the request and the keyframe must arrive within 500 ms.
source "$(dirname "$0")/lib.sh"

start_relay
ROOM=ward-kf
start_client pub "$TSN_WHIP_PUBLISH" --url "$RELAY_URL/whip/$ROOM" \
    --token "$(mint_token "$ROOM" capture bedside-probe)" --duration 12 --keyint 100000
wait_for_log pub "streaming" 15
sleep 3

start_client late "$TSN_WHEP_PLAY" --url "$RELAY_URL/whep/$ROOM" \
    --token "$(mint_token "$ROOM" clinician late-joiner)" --duration 4
start_client asker "$TSN_WHEP_PLAY" --url "$RELAY_URL/whep/$ROOM" \
    --token "$(mint_token "$ROOM" clinician keyframe-asker)" --duration 5 --request-keyframe-at 1

finish_client late
say "late joiner: connect_ms=$(report late connect_ms) first_frame_ms=$(report late first_frame_ms)"
assert_le "$(report late first_frame_ms)" 500 "late joiner first_frame_ms (POST to first decoded frame)"
assert_gt "$(report late frames_decoded)" 60 "late joiner frames_decoded in 4 s"
assert_ge "$(metric_sum telesono_keyframe_replays_total)" 1 "telesono_keyframe_replays_total (cached keyframe sent)"

finish_client asker
assert_ge "$(report asker plis_sent)" 1 "keyframe asker plis_sent"
assert_le "$(report asker keyframe_after_request_ms)" 500 "keyframe_after_request_ms"
assert_ge "$(report asker keyframes)" 2 "keyframes seen by the asker (join + requested)"

finish_client pub
say "publisher: keyframes_sent=$(report pub keyframes_sent) keyframe_requests=$(report pub keyframe_requests)"
assert_ge "$(report pub keyframe_requests)" 1 "keyframe requests that reached the publisher"
assert_ge "$(metric_sum telesono_plis_received_total)" 1 "telesono_plis_received_total"
assert_ge "$(metric_sum telesono_plis_sent_total)" 1 "telesono_plis_sent_total"
assert_relay_alive
assert_healthz
