#!/usr/bin/env bash
# The WebSocket signalling channel (/ws) over a real TLS socket, driven by
# tsn-ws-client: ordering (nothing before join, one join), a bad token (401,
# then close 1008), welcome/ping/pong, malformed and unknown messages, role
# checks, SDP errors, a real subscribe (answer with a session, the peer shows
# in /metrics while the socket is open, stop ends it), the session dropped
# when the socket closes (long before the 30 s consent timeout), and an
# oversized message (413, then close). The relay must stay alive and answer
# /healthz afterwards.
source "$(dirname "$0")/lib.sh"

start_relay
ROOM=ward-ws
WS_URL="wss://127.0.0.1:$RELAY_PORT/ws"
SDP_DIR="$(dirname "$0")/../fuzz/corpus/sdp"
OFFER="$SDP_DIR/webrtcbin_recvonly_h264_vp8.sdp" # recvonly video, H.264 + VP8
grep -q '^a=recvonly' "$OFFER" || fail "$OFFER is not a recvonly offer"
CLINICIAN=$(mint_token "$ROOM" clinician dr-ws)
OBSERVER=$(mint_token "$ROOM" observer watcher-ws)
JOIN_CLINICIAN="{\"type\":\"join\",\"token\":\"$CLINICIAN\",\"id\":1}"
JOIN_OBSERVER="{\"type\":\"join\",\"token\":\"$OBSERVER\"}"

# ws NAME EXPECTED_EXIT ARGS...: runs tsn-ws-client to its end; its output
# lines (one per server message) are in $TEST_TMP/NAME.json.
ws() {
    local name=$1 expected=$2
    shift 2
    run_client "$name" "$expected" "$TSN_WS_CLIENT" --url "$WS_URL" --ignore-type annotations "$@"
}

# line NAME N: the N-th message client NAME received ("" if none).
line() {
    sed -n "${2}p" "$TEST_TMP/$1.json"
}

# field JSON KEY: the value of a top-level string or integer field.
field() {
    printf '%s\n' "$1" | sed -n "s/.*\"$2\":\(\"[^\"]*\"\|-\?[0-9][0-9]*\).*/\1/p" | tr -d '"'
}

# assert_msg NAME N TYPE WHAT: message N of NAME has type TYPE.
assert_msg() {
    local msg
    msg=$(line "$1" "$2")
    [[ -n "$msg" ]] || fail "$4: no message $2 from $1"
    assert_eq "$(field "$msg" type)" "$3" "$4: type"
}

# assert_error NAME N CODE REASON_SUBSTRING WHAT
assert_error() {
    local msg
    msg=$(line "$1" "$2")
    assert_msg "$1" "$2" error "$5"
    assert_eq "$(field "$msg" code)" "$3" "$5: code"
    assert_contains "$(field "$msg" reason)" "$4" "$5: reason"
}

assert_count() { # NAME N: client NAME received exactly N lines
    assert_eq "$(wc -l <"$TEST_TMP/$1.json")" "$2" "$1: number of lines received"
}

# (a) A message before join: 401, and the connection stays open (a join
# after it works).
ws before_join 0 --send '{"type":"ping","id":3}' --send "$JOIN_CLINICIAN"
assert_error before_join 1 401 "send join with a token first" "ping before join"
assert_eq "$(field "$(line before_join 1)" ref)" ping "ping before join: ref"
assert_eq "$(field "$(line before_join 1)" id)" 3 "ping before join: id"
assert_msg before_join 2 welcome "join after the refused ping"
assert_count before_join 2

# (b) A garbage token: 401, then the relay closes with 1008.
ws bad_token 0 --send '{"type":"join","token":"not.a.jwt"}' --expect-close
assert_error bad_token 1 401 "invalid token" "join with a garbage token"
assert_eq "$(line bad_token 2)" "CLOSED 1008" "close after a bad token"
assert_count bad_token 2

# (c) A valid clinician: welcome, ping/pong, unknown type, invalid JSON, a
# second join, publish (not allowed), a garbage SDP.
printf 'v=0\r\nthis is not sdp\r\nm=video\r\n' >"$TEST_TMP/garbage.sdp"
ws clinician 0 --send "$JOIN_CLINICIAN" \
    --send '{"type":"ping","id":7}' \
    --send '{"type":"teleport","id":8}' \
    --send '{"type":"ping",' \
    --send "$JOIN_CLINICIAN" \
    --type publish --sdp-file "$OFFER" \
    --type subscribe --sdp-file "$TEST_TMP/garbage.sdp" \
    --send '{"type":"ping","id":9}'
WELCOME=$(line clinician 1)
assert_msg clinician 1 welcome "join"
assert_eq "$(field "$WELCOME" protocol)" 2 "welcome protocol"
assert_eq "$(field "$WELCOME" room)" "$ROOM" "welcome room"
assert_eq "$(field "$WELCOME" sub)" dr-ws "welcome you.sub"
assert_eq "$(field "$WELCOME" role)" clinician "welcome you.role"
assert_eq "$(field "$WELCOME" id)" 1 "welcome id"
assert_contains "$WELCOME" '"you":{' "welcome has a 'you' object"
assert_msg clinician 2 pong "ping"
assert_eq "$(field "$(line clinician 2)" id)" 7 "pong id"
assert_error clinician 3 400 "unknown message type" "unknown type"
assert_error clinician 4 400 "not valid JSON" "invalid JSON"
assert_contains "$(line clinician 4)" '"ref":""' "invalid JSON: empty ref"
assert_error clinician 5 400 "already joined" "second join"
assert_error clinician 6 403 "may not do this" "publish as clinician"
assert_eq "$(field "$(line clinician 6)" ref)" publish "publish as clinician: ref"
assert_error clinician 7 400 "line " "subscribe with a garbage SDP"
[[ "$(field "$(line clinician 7)" reason)" =~ line\ [0-9]+: ]] ||
    fail "garbage SDP: reason does not name a line: $(line clinician 7)"
assert_msg clinician 8 pong "ping after the errors"
assert_count clinician 8

# (d) A real recvonly offer: an answer with a session; the subscriber shows in
# /metrics while the socket is open; stop ends it.
assert_eq "$(metric_sum telesono_peers 'role="subscriber"')" 0 "subscribers before subscribe"
start_client sub "$TSN_WS_CLIENT" --url "$WS_URL" --ignore-type annotations --send "$JOIN_CLINICIAN" \
    --sdp-file "$OFFER" --hold-ms 4000 --stop \
    --send '{"type":"stop","session":"00000000000000000000000000000000","id":5}'
for ((i = 0; i < 50; i++)); do
    grep -q '"type":"answer"' "$TEST_TMP/sub.json" 2>/dev/null && break
    kill -0 "${TSN_CLIENT_PIDS[sub]}" 2>/dev/null || break
    sleep 0.1
done
ANSWER=$(line sub 2)
assert_msg sub 2 answer "subscribe"
SESSION=$(field "$ANSWER" session)
[[ "$SESSION" =~ ^[0-9a-f]{32}$ ]] || fail "answer session is not 32 lowercase hex: '$SESSION'"
say "ok: answer session $SESSION"
assert_contains "$ANSWER" 'a=ice-lite\r\n' "answer sdp"
assert_contains "$ANSWER" 'a=setup:passive' "answer sdp"
assert_contains "$ANSWER" 'a=sendonly' "answer sdp"
assert_eq "$(metric_sum telesono_peers 'role="subscriber"')" 1 "subscribers while the socket is open"
assert_ge "$(metric_sum telesono_ws_clients)" 1 "telesono_ws_clients while the socket is open"
finish_client sub
STOPPED=$(line sub 3)
assert_msg sub 3 stopped "stop"
assert_eq "$(field "$STOPPED" session)" "$SESSION" "stopped session"
assert_error sub 4 404 "no such session" "stop of an unknown session"
assert_eq "$(field "$(line sub 4)" id)" 5 "stop of an unknown session: id"
assert_count sub 4
assert_eq "$(wait_metric_at_least telesono_peers 0 1 'role="subscriber"')" 0 \
    "subscribers after stop"

# (e) Subscribe, then close the socket: the relay drops the session (the peer
# never does ICE, so nothing else could remove it before the consent timeout).
start_client sub_close "$TSN_WS_CLIENT" --url "$WS_URL" --ignore-type annotations --send "$JOIN_OBSERVER" \
    --sdp-file "$OFFER" --hold-ms 1500 --wait-ms 0
for ((i = 0; i < 50; i++)); do
    grep -q '"type":"answer"' "$TEST_TMP/sub_close.json" 2>/dev/null && break
    sleep 0.1
done
assert_msg sub_close 2 answer "observer subscribe"
assert_eq "$(metric_sum telesono_peers 'role="subscriber"')" 1 "subscribers before the socket closes"
finish_client sub_close
GONE=""
for ((i = 0; i < 20; i++)); do
    if [[ "$(metric_sum telesono_peers 'role="subscriber"')" == 0 ]]; then
        GONE=$i
        break
    fi
    sleep 0.1
done
[[ -n "$GONE" ]] || fail "the subscriber was not dropped within 2 s of its socket closing"
say "ok: subscriber dropped $((GONE * 100)) ms after its socket closed"
assert_count sub_close 2

# (f) An observer that joins, then sends a message over the 96 KiB limit:
# 413, then close 1008.
{
    printf '{"type":"ping","pad":"'
    head -c $((100 * 1024)) /dev/zero | tr '\0' 'x'
    printf '"}'
} >"$TEST_TMP/big.json"
ws too_big 0 --send "$JOIN_OBSERVER" --send-file "$TEST_TMP/big.json" --expect-close
assert_msg too_big 1 welcome "observer join"
assert_error too_big 2 413 "message too large" "100 KiB message"
assert_eq "$(tail -n 1 "$TEST_TMP/too_big.json")" "CLOSED 1008" "close after the large message"
# Exactly one 413 between the welcome and the close: the rest of the
# oversized message is discarded, not answered fragment by fragment.
assert_eq "$(wc -l <"$TEST_TMP/too_big.json")" 3 "too_big: welcome + one 413 error + close"
assert_eq "$(grep -c '"code":413' "$TEST_TMP/too_big.json" || true)" 1 "413 errors for one 100 KiB message"

# (g) The relay is still alive, answers /healthz, and every WebSocket is gone.
assert_relay_alive
assert_healthz
assert_eq "$(metric_sum telesono_ws_clients)" 0 "telesono_ws_clients at the end"
assert_eq "$(metric_sum telesono_peers)" 0 "media peers at the end"
