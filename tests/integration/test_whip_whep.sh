#!/usr/bin/env bash
# One WHIP publisher (640x480@30 H.264 at 2 Mbit/s) and three WHEP subscribers
# (two clinicians, one observer). The subscribers join first; then a measured
# run of 10 s starts on all four at once (SIGUSR1: the publisher forces a
# keyframe and counts from it, the subscribers count from the mark), and each
# subscriber must decode at least 90% of the frames sent in the run. The relay
# must count the peers while they are in, forward packets to every viewer, and
# forget every peer once each has sent DELETE.
source "$(dirname "$0")/lib.sh"

start_relay
ROOM=ward-1
start_client pub "$TSN_WHIP_PUBLISH" --url "$RELAY_URL/whip/$ROOM" \
    --token "$(mint_token "$ROOM" capture bedside-probe)" --duration 10 --start-on-signal
wait_for_log pub "waiting for SIGUSR1" 15

for i in 1 2 3; do
    role=clinician
    ((i == 3)) && role=observer
    # Ended by the script once the run is over; 60 s is only a safety net.
    start_client "sub$i" "$TSN_WHEP_PLAY" --url "$RELAY_URL/whep/$ROOM" \
        --token "$(mint_token "$ROOM" "$role" "viewer-$i")" --duration 60
done
for i in 1 2 3; do
    wait_for_log "sub$i" "first decoded frame" 15
done

# Everyone is in: one publisher and three subscribers (the relay labels
# peers by media role, not by token role).
assert_eq "$(wait_metric_at_least telesono_peers 4 3)" 4 "telesono_peers while streaming"
assert_eq "$(metric_sum telesono_peers 'role="publisher"')" 1 'telesono_peers{role="publisher"}'
assert_eq "$(metric_sum telesono_peers 'role="subscriber"')" 3 'telesono_peers{role="subscriber"}'
assert_ge "$(metric_sum telesono_rooms)" 1 "telesono_rooms while streaming"
PACKETS_IN_0=$(metric_sum telesono_packets_in_total)
PACKETS_OUT_0=$(metric_sum telesono_packets_out_total)

say "starting the measured run"
for i in 1 2 3; do
    signal_client "sub$i" USR1
done
signal_client pub USR1
wait_for_log pub "streaming for" 5
finish_client pub
FRAMES_SENT=$(report pub frames_sent)
# 10 s at 30 fps is 300 frames: a publisher far below that was not really live.
assert_ge "$FRAMES_SENT" 240 "publisher frames_sent"

sleep 1 # the last frames are still in the jitter buffers
MIN_FRAMES=$(percent_of "$FRAMES_SENT" 90)
for i in 1 2 3; do
    end_client "sub$i"
    assert_ge "$(report "sub$i" frames_decoded_after_mark)" "$MIN_FRAMES" \
        "sub$i frames decoded during the run (90% of $FRAMES_SENT)"
done

PACKETS_IN=$(($(metric_sum telesono_packets_in_total) - PACKETS_IN_0))
PACKETS_OUT=$(($(metric_sum telesono_packets_out_total) - PACKETS_OUT_0))
assert_gt "$PACKETS_IN" 0 "telesono_packets_in_total during the run"
# Every media packet of the run went out to three viewers (RTCP may add a
# little on either side).
assert_ge "$PACKETS_OUT" "$(percent_of "$PACKETS_IN" 250)" \
    "telesono_packets_out_total during the run (3 viewers of $PACKETS_IN packets in)"
assert_gt "$(metric_sum telesono_bytes_out_total)" "$(metric_sum telesono_bytes_in_total)" \
    "telesono_bytes_out_total vs bytes_in"
assert_eq "$(metric_sum telesono_srtp_failures_total)" 0 "telesono_srtp_failures_total"

# All four sent DELETE: no peer may remain.
for ((i = 0; i < 15; i++)); do
    [[ "$(metric_sum telesono_peers)" == 0 ]] && break
    sleep 0.2
done
assert_eq "$(metric_sum telesono_peers)" 0 "telesono_peers after every DELETE"
assert_relay_alive
assert_healthz
