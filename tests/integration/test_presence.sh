#!/usr/bin/env bash
# Presence on the WebSocket channel, with the real relay and tsn-ws-client:
# "welcome" lists the room's joined WebSockets (the joiner included, in join
# order) and every joined WebSocket of the room gets {"type":"presence"} when
# another one joins or leaves. Checked, message by message and byte for
# byte: two clinicians join and both see two participants; a capture's
# WebSocket counts (role capture); the same subject on two sockets is listed
# twice; a clinician that leaves normally and a capture whose process is
# killed (no close frame) both disappear from the others' lists; a refused
# join is never listed and nobody is told; nobody is told about their own
# joining or leaving; a clinician in another room hears nothing of it.
source "$(dirname "$0")/lib.sh"

start_relay
ROOM=ward-presence
OTHER=ward-quiet
WS_URL="wss://127.0.0.1:$RELAY_PORT/ws"
ANA=$(mint_token "$ROOM" clinician dr-ana)
BEN=$(mint_token "$ROOM" clinician dr-ben)
CART=$(mint_token "$ROOM" capture cart-7)
OTHER_DOC=$(mint_token "$OTHER" clinician dr-other)
GO="$TEST_TMP/go"

join() { # TOKEN [ID]
    printf '{"type":"join","token":"%s"%s}' "$1" "${2:+,\"id\":$2}"
}
line() { # NAME N: the N-th message client NAME received
    sed -n "${2}p" "$TEST_TMP/$1.json"
}
count() { # NAME: messages received so far
    wc -l <"$TEST_TMP/$1.json"
}
assert_line() { # NAME N EXPECTED WHAT
    assert_eq "$(line "$1" "$2")" "$3" "$4"
}
wait_lines() { # NAME N TIMEOUT_S: until NAME has received N messages
    local i
    for ((i = 0; i < $3 * 10; i++)); do
        (($(count "$1") >= $2)) && return 0
        sleep 0.1
    done
    fail "$1 received $(count "$1") messages, expected $2 within $3 s: $(cat "$TEST_TMP/$1.json")"
}
# client NAME TOKEN ID GO_FILE: joins and stays until GO_FILE exists.
client() {
    start_client "$1" "$TSN_WS_CLIENT" --url "$WS_URL" --ignore-type annotations --send "$(join "$2" "$3")" \
        --wait-file "$4" --wait-ms 300
}

# Colours: the room's palette in the order subjects first joined.
P_ANA='{"sub":"dr-ana","role":"clinician","color":"#e6194b"}'
P_BEN='{"sub":"dr-ben","role":"clinician","color":"#3cb44b"}'
P_CART='{"sub":"cart-7","role":"capture","color":"#ffe119"}'
presence() { # ENTRY...: the exact presence message listing ENTRY...
    local IFS=,
    printf '{"type":"presence","participants":[%s]}' "$*"
}
welcome() { # SUB ROLE ROOM ID ENTRY...: the exact welcome (no stream metadata)
    local sub=$1 role=$2 room=$3 id=$4 IFS=,
    shift 4
    printf '{"type":"welcome","protocol":2,"room":"%s","you":{"sub":"%s","role":"%s"},"stream":null,"participants":[%s],"id":%s}' \
        "$room" "$sub" "$role" "$*" "$id"
}

# (a) Another room's clinician, there from the start to the end.
client other "$OTHER_DOC" 9 "$GO.end"
wait_lines other 1 10
assert_line other 1 "$(welcome dr-other clinician "$OTHER" 9 '{"sub":"dr-other","role":"clinician","color":"#e6194b"}')" \
    "other room: welcome lists only itself"

# (b) The first clinician: the list is just itself.
client ana "$ANA" 1 "$GO.end"
wait_lines ana 1 10
assert_line ana 1 "$(welcome dr-ana clinician "$ROOM" 1 "$P_ANA")" "ana: welcome lists only ana"

# (c) The second clinician: both see two participants, in join order; the
# joiner learns it from its welcome, not from a presence about itself.
client ben "$BEN" 2 "$GO.ben"
wait_lines ben 1 10
assert_line ben 1 "$(welcome dr-ben clinician "$ROOM" 2 "$P_ANA" "$P_BEN")" "ben: welcome lists ana and ben"
wait_lines ana 2 10
assert_line ana 2 "$(presence "$P_ANA" "$P_BEN")" "ana: presence after ben joined"

# (d) A capture's WebSocket counts, with its role.
client cart "$CART" 3 "$GO.never"
wait_lines cart 1 10
assert_line cart 1 "$(welcome cart-7 capture "$ROOM" 3 "$P_ANA" "$P_BEN" "$P_CART")" \
    "cart: welcome lists ana, ben and itself"
wait_lines ana 3 10
wait_lines ben 2 10
assert_line ana 3 "$(presence "$P_ANA" "$P_BEN" "$P_CART")" "ana: presence after the capture joined"
assert_line ben 2 "$(presence "$P_ANA" "$P_BEN" "$P_CART")" "ben: presence after the capture joined"

# (e) Ben leaves (normal close): the others see ana and the capture; ben is
# told nothing about its own leaving.
touch "$GO.ben"
finish_client ben
wait_lines ana 4 10
wait_lines cart 2 10
assert_line ana 4 "$(presence "$P_ANA" "$P_CART")" "ana: presence after ben left"
assert_line cart 2 "$(presence "$P_ANA" "$P_CART")" "cart: presence after ben left"
assert_eq "$(count ben)" 2 "ben: messages in all (welcome, the capture's arrival)"

# (f) The same subject on a second socket (a second tab) is a second entry;
# when it leaves, one entry goes.
run_client ana2 0 "$TSN_WS_CLIENT" --url "$WS_URL" --ignore-type annotations --send "$(join "$ANA" 4)" --hold-ms 300 \
    --wait-ms 0
assert_line ana2 1 "$(welcome dr-ana clinician "$ROOM" 4 "$P_ANA" "$P_CART" "$P_ANA")" \
    "ana2: welcome lists ana twice"
assert_eq "$(count ana2)" 1 "ana2: messages in all"
wait_lines ana 6 10
assert_line ana 5 "$(presence "$P_ANA" "$P_CART" "$P_ANA")" "ana: presence after a second ana joined"
assert_line ana 6 "$(presence "$P_ANA" "$P_CART")" "ana: presence after the second ana left"

# (g) The capture's process dies (SIGKILL: the kernel closes the socket, no
# WebSocket close frame): it leaves the list all the same.
kill -KILL "${TSN_CLIENT_PIDS[cart]}"
wait "${TSN_CLIENT_PIDS[cart]}" 2>/dev/null || true
unset "TSN_CLIENT_PIDS[cart]"
wait_lines ana 7 10
assert_line ana 7 "$(presence "$P_ANA")" "ana: presence after the capture was killed"

# (h) A refused join (bad token, then close 1008) is never listed: nobody
# hears of it.
run_client bad 0 "$TSN_WS_CLIENT" --url "$WS_URL" --ignore-type annotations --send '{"type":"join","token":"x.y.z"}' \
    --expect-close
assert_contains "$(line bad 1)" '"code":401' "bad token refused"
sleep 0.5 # anything wrongly pushed about it arrives by now
assert_eq "$(count ana)" 7 "ana: nothing about a refused join"

# (i) The other room heard nothing of any of it.
touch "$GO.end"
finish_client ana
finish_client other
assert_eq "$(count ana)" 7 "ana: messages in all"
assert_eq "$(count other)" 1 "other room: messages in all (welcome only)"
assert_relay_alive
assert_healthz
for ((i = 0; i < 20; i++)); do
    [[ "$(metric_sum telesono_ws_clients)" == 0 ]] && break
    sleep 0.1
done
assert_eq "$(metric_sum telesono_ws_clients)" 0 "telesono_ws_clients at the end"
