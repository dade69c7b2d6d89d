#!/usr/bin/env bash
# The media port faces the network: datagrams that belong to no session must
# be dropped and counted (telesono_udp_dropped_total, by reason), never crash
# or wedge the relay. Sends short garbage, bytes outside every RFC 7983 range,
# a well-formed STUN Binding request for an unknown ICE username, plain RTP
# and RTCP, and a fake DTLS ClientHello, then a burst of random datagrams;
# afterwards /healthz answers and a publisher and a viewer still work.
source "$(dirname "$0")/lib.sh"

start_relay
BEFORE=$(metric_sum telesono_udp_dropped_total)
ITEMS=(hex:00 hex:ffffffffffffffffffff hex:4142434445464748494a stun-unknown-user rtp rtcp dtls)
"$TSN_UDP_SEND" "$RELAY_MEDIA_PORT" "${ITEMS[@]}" 2>>"$TEST_TMP/udp-send.log" ||
    fail "tsn-udp-send failed"
AFTER=$(wait_metric_at_least telesono_udp_dropped_total $((BEFORE + ${#ITEMS[@]})) 3)
for reason in unknown_peer not_stun malformed; do
    say "telesono_udp_dropped_total{reason=\"$reason\"} = $(metric_sum telesono_udp_dropped_total "reason=\"$reason\"")"
done
assert_ge $((AFTER - BEFORE)) "${#ITEMS[@]}" "telesono_udp_dropped_total increase for ${#ITEMS[@]} stray datagrams"

# An empty datagram and a burst of random ones: only survival is checked (the
# kernel may drop part of a burst before the relay sees it).
"$TSN_UDP_SEND" "$RELAY_MEDIA_PORT" zero random:2000 2>>"$TEST_TMP/udp-send.log" ||
    fail "tsn-udp-send failed"
sleep 0.5
assert_relay_alive
assert_healthz
assert_ge "$(metric_sum telesono_udp_dropped_total)" "$AFTER" "telesono_udp_dropped_total after the burst"

# Media still flows.
ROOM=ward-udp
start_client pub "$TSN_WHIP_PUBLISH" --url "$RELAY_URL/whip/$ROOM" \
    --token "$(mint_token "$ROOM" capture bedside-probe)" --duration 60
wait_for_log pub "streaming" 15
run_client viewer 0 "$TSN_WHEP_PLAY" --url "$RELAY_URL/whep/$ROOM" \
    --token "$(mint_token "$ROOM" clinician doctor)" --duration 4
assert_gt "$(report viewer frames_decoded)" 60 "viewer frames_decoded after the garbage"
end_client pub # ended once the viewers are done: no race with a slow machine
assert_relay_alive
