#!/usr/bin/env bash
# Annotations converge: 12 clinicians in one room (one process,
# tsn-annot-clients converge) send seeded, interleaved, valid events at once
# (every op: draws of each kind with freehands up to 2000 points, text,
# delete of marks others may delete first, undo, clear, chat, bookmark,
# freeze on and off, pointers) at 12 per second each, below the relay's
# limits. Then every client must have seen seq 1..K with no gap, in the same
# order (a hash of the (seq, op, from) stream), and hold a byte-identical
# state dump (common/annot_state); a late joiner's snapshot must give the
# same dump. Two runs in two rooms: a fixed seed and a fresh one (printed;
# TSN_ANNOT_SEED=N repeats it). The relay must stay up.
source "$(dirname "$0")/lib.sh"

TSN_ANNOT_CLIENTS=${TSN_ANNOT_CLIENTS:-$(dirname "$TSN_WS_CLIENT")/tsn-annot-clients}
[[ -x "$TSN_ANNOT_CLIENTS" ]] || fail "tsn-annot-clients not found at $TSN_ANNOT_CLIENTS"
WS_URL=""
CLIENTS=12

# converge NAME ROOM SEED: mints CLIENTS clinician tokens and a late
# joiner's (observer) into a file, runs the clients, checks the report.
converge() {
    local name=$1 room=$2 seed=$3 tokens="$TEST_TMP/$1.tokens" i r
    : >"$tokens"
    for ((i = 1; i <= CLIENTS; i++)); do
        mint_token "$room" clinician "dr-$i" >>"$tokens"
    done
    mint_token "$room" observer late-joiner >>"$tokens"
    say "$name: $CLIENTS clients in room $room, seed $seed"
    mkdir -p "$TEST_TMP/$name-dumps"
    run_client "$name" 0 "$TSN_ANNOT_CLIENTS" converge --url "$WS_URL" --tokens "$tokens" \
        --clients "$CLIENTS" --events 80 --rate 12 --seed "$seed" --dump-dir "$TEST_TMP/$name-dumps"
    r="$TEST_TMP/$name.json"
    assert_eq "$(jget "$r" .identical)" true "$name: every state dump identical (late joiner included)"
    assert_eq "$(jget "$r" .same_order)" true "$name: the same (seq, op, from) stream everywhere"
    assert_eq "$(jget "$r" .gapless)" true "$name: seq 1..K without gaps on every client"
    assert_eq "$(jget "$r" .clean)" true "$name: no refused valid event, no stray message"
    assert_eq "$(jget "$r" .clients)" "$CLIENTS" "$name: clients"
    assert_eq "$(jget "$r" .final_seq)" "$(jget "$r" .accepted)" "$name: final seq = events accepted"
    assert_eq "$(jget "$r" .late_joiner_seq)" "$(jget "$r" .final_seq)" "$name: late joiner's snapshot seq"
    assert_ge "$(jget "$r" .messages_sent)" $((CLIENTS * 80)) "$name: messages sent"
    # Only 404 (a mark deleted first by another) and 409 (a room limit) may
    # refuse a valid message; most must pass.
    assert_ge "$(jget "$r" .accepted)" $((CLIENTS * 80 * 6 / 10)) "$name: events accepted"
    assert_gt "$(jget "$r" .marks)" 0 "$name: marks in the final state"
    assert_ge "$(jget "$r" .points)" "$(jget "$r" .marks)" "$name: points in the final state"
    assert_gt "$(jget "$r" .bookmarks)" 0 "$name: bookmarks in the final state"
    assert_gt "$(jget "$r" .pointers_received)" 0 "$name: pointers received"
    for op in draw delete undo clear chat freeze bookmark; do
        assert_gt "$(jget "$r" ".ops.$op")" 0 "$name: '$op' events in the stream"
    done
}

start_relay
WS_URL="wss://127.0.0.1:$RELAY_PORT/ws"
converge fixed ward-annot-1 1
converge fresh ward-annot-2 "${TSN_ANNOT_SEED:-$((RANDOM * 32768 + RANDOM))}"
assert_relay_alive
assert_healthz
