#!/usr/bin/env bash
# Invalid annotation events are refused with the protocol's error and change
# nothing (tsn-annot-clients invalid): after a baseline of valid marks, a
# clinician, a second clinician and an observer send a catalogue of more
# than a hundred messages one at a time: wrong JSON types, unknown kinds
# and types, bare NaN/Infinity and 1e309 (not JSON), coordinates out of
# 0..1, wrong point counts, 2001 points, texts and labels too long or with
# control characters, bad colours, deletes of unknown ids (404), undo with
# nothing of one's own (404), an observer drawing, chatting, clearing or
# pointing (403); valid messages at every limit must pass. Then bursts over
# the rate limits (429), the room limits (500 marks, 50,000 points, 500
# bookmarks: 409) and a message over 96 KiB (413, close 1008). Each reply's
# code, reason, ref and id are checked; at the end the watcher's state must
# be the baseline plus exactly the accepted valid events, every socket's
# state the same, and a fresh joiner's snapshot too. The relay stays up.
source "$(dirname "$0")/lib.sh"

TSN_ANNOT_CLIENTS=${TSN_ANNOT_CLIENTS:-$(dirname "$TSN_WS_CLIENT")/tsn-annot-clients}
[[ -x "$TSN_ANNOT_CLIENTS" ]] || fail "tsn-annot-clients not found at $TSN_ANNOT_CLIENTS"

start_relay
ROOM=ward-annot-invalid
TOKENS="$TEST_TMP/tokens"
{
    mint_token "$ROOM" clinician dr-a
    mint_token "$ROOM" clinician dr-b
    mint_token "$ROOM" observer obs-1
    mint_token "$ROOM" observer watcher-1
    mint_token "$ROOM" observer fresh-1
    for i in $(seq 1 16); do # TSN_AINV_FILLERS in annot_inv.h
        mint_token "$ROOM" clinician "dr-fill-$i"
    done
} >"$TOKENS"
mkdir -p "$TEST_TMP/dumps"
start_client invalid "$TSN_ANNOT_CLIENTS" invalid --url "wss://127.0.0.1:$RELAY_PORT/ws" \
    --tokens "$TOKENS" --dump-dir "$TEST_TMP/dumps"
rc=0
wait "${TSN_CLIENT_PIDS[invalid]}" || rc=$?
unset "TSN_CLIENT_PIDS[invalid]"
R="$TEST_TMP/invalid.json"
[[ -s "$R" ]] || { tail -n 30 "$TEST_TMP/invalid.log" >&2; fail "tsn-annot-clients printed no report (exit $rc)"; }
if [[ "$(jget "$R" .failed)" != 0 ]]; then
    say "failed cases:"
    jq -c '.failures[]' "$R" >&2
fi
assert_eq "$(jget "$R" .failed)" 0 "cases failed"
assert_eq "$rc" 0 "tsn-annot-clients exit status"
assert_ge "$(jget "$R" .cases)" 140 "cases checked"
assert_eq "$(jget "$R" .passed)" "$(jget "$R" .cases)" "cases passed"
assert_eq "$(jget "$R" .watcher_equals_expected)" true "watcher = baseline + the accepted valid events"
assert_eq "$(jget "$R" .fresh_joiner_equal)" true "a fresh joiner's snapshot = the watcher's state"
assert_eq "$(jget "$R" .all_sockets_equal)" true "every socket's state = the watcher's"
assert_gt "$(jget "$R" .final_seq)" "$(jget "$R" .baseline_seq)" "final seq after the baseline's"
assert_ge "$(jget "$R" .limits.event_burst.accepted)" 40 "events of a 50-event burst accepted"
assert_ge "$(jget "$R" .limits.event_burst.refused_429)" 1 "events of a 50-event burst refused (429)"
assert_ge "$(jget "$R" .limits.chat_burst.refused_429)" 1 "chats of a 14-chat burst refused (429)"
assert_eq "$(jget "$R" .limits.oversize_close_code)" 1008 "close code after a message over 96 KiB"
assert_eq "$(jget "$R" .bookmarks)" 500 "bookmarks at the end (the room limit)"
assert_relay_alive
assert_healthz
