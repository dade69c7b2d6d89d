#!/usr/bin/env bash
# DTLS must be bound to the signalled fingerprint: a viewer whose offer
# carries a fingerprint that does not match its certificate must get no media
# (the relay fails the handshake, counts telesono_dtls_failures_total and
# drops the peer), while a correct viewer in the same room still plays.
source "$(dirname "$0")/lib.sh"

start_relay
ROOM=ward-dtls
start_client pub "$TSN_WHIP_PUBLISH" --url "$RELAY_URL/whip/$ROOM" \
    --token "$(mint_token "$ROOM" capture bedside-probe)" --duration 60
wait_for_log pub "streaming" 15

BEFORE=$(metric_sum telesono_dtls_failures_total)
run_client impostor 0 "$TSN_WHEP_PLAY" --url "$RELAY_URL/whep/$ROOM" \
    --token "$(mint_token "$ROOM" clinician impostor)" --duration 6 --corrupt-fingerprint --expect-fail
assert_eq "$(report impostor frames_decoded)" 0 "frames decoded with a forged fingerprint"
AFTER=$(wait_metric_at_least telesono_dtls_failures_total $((BEFORE + 1)) 5)
assert_ge "$AFTER" $((BEFORE + 1)) "telesono_dtls_failures_total"
# The failed peer must be gone, not left as a zombie subscriber.
assert_eq "$(metric_sum telesono_peers 'role="subscriber"')" 0 \
    'telesono_peers{role="subscriber"} after the failed handshake'

run_client viewer 0 "$TSN_WHEP_PLAY" --url "$RELAY_URL/whep/$ROOM" \
    --token "$(mint_token "$ROOM" clinician doctor)" --duration 3
assert_gt "$(report viewer frames_decoded)" 30 "a correct viewer's frames_decoded"
end_client pub # ended once the viewers are done: no race with a slow machine
assert_relay_alive
assert_healthz
