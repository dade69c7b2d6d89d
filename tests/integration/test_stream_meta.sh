#!/usr/bin/env bash
# Stream metadata over the WebSocket channel and GET /stream/<room>, with the
# real relay and tsn-ws-client. A capture publishes (the webrtcbin sendonly
# offer of the SDP corpus; it never does ICE, which is enough for signalling)
# with a "stream" object. Checked: a clinician joined before gets it as a
# "stream" message, a late joiner gets it in "welcome", a viewer in another
# room gets nothing; a mid-session "stream" update is merged and pushed once
# (an unchanged one only answers the sender, an invalid one changes nothing);
# an observer, and a capture without a publish session, are refused with 403
# (an invalid message is refused like any unparsable one: no ref, no id);
# GET /stream answers 200 with the right token, 403 with another room's token
# or the capture role, 401 without a token, 404 for a room without metadata.
# When the publisher stops, leaves (socket closed) or times out (a second
# relay with a 2 s consent timeout: the media thread's event), every viewer
# gets "live":false and the values are kept. The clients ignore "presence"
# pushes (test_presence.sh checks those); welcomes list the participants.
source "$(dirname "$0")/lib.sh"

start_relay --consent-timeout 120
ROOM=ward-meta
OTHER=ward-elsewhere
WS_URL="wss://127.0.0.1:$RELAY_PORT/ws"
OFFER="$(dirname "$0")/../fuzz/corpus/sdp/webrtcbin_sendonly_h264.sdp"
grep -q '^a=sendonly' "$OFFER" || fail "$OFFER is not a sendonly offer"
CAPTURE=$(mint_token "$ROOM" capture probe-cart-1)
CLINICIAN=$(mint_token "$ROOM" clinician dr-meta)
OBSERVER=$(mint_token "$ROOM" observer student-meta)
OTHER_CLINICIAN=$(mint_token "$OTHER" clinician dr-other)
join() { # TOKEN [ID]
    printf '{"type":"join","token":"%s"%s}' "$1" "${2:+,\"id\":$2}"
}
GO="$TEST_TMP/go"

# What the capture sends (with an unknown field, which is ignored) and the
# exact object the relay hands out (jansson key order is insertion order;
# numbers have 15 significant digits; depth_mm is a JSON real).
META1='{"probe":"L14-5 linear","pixel_spacing_mm":{"x":0.1,"y":0.125},"depth_mm":40,"width":820,"height":616,"fps":11.63,"codec":"H264","source":"file","vendor":{"serial":7}}'
OUT1='"probe":"L14-5 linear","pixel_spacing_mm":{"x":0.1,"y":0.125},"depth_mm":40.0,"width":820,"height":616,"fps":11.63,"codec":"H264","source":"file"'
# After {"depth_mm":80.5} from the same publisher: merged.
OUT2='"probe":"L14-5 linear","pixel_spacing_mm":{"x":0.1,"y":0.125},"depth_mm":80.5,"width":820,"height":616,"fps":11.63,"codec":"H264","source":"file"'
META3='{"probe":"C5-1 curved","depth_mm":160,"codec":"VP8","source":"phantom"}'
OUT3='"probe":"C5-1 curved","depth_mm":160.0,"codec":"VP8","source":"phantom"'

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
get_stream() { # ROOM TOKEN: sets HTTP_STATUS and HTTP_BODY
    http_request GET "/stream/$1" "$2"
}

# (a) Before any publisher: GET is 404, welcome has "stream":null.
get_stream "$ROOM" "$CLINICIAN"
assert_eq "$HTTP_STATUS" 404 "GET /stream before any metadata"
assert_contains "$HTTP_BODY" "this room has no stream metadata" "404 body"

start_client early "$TSN_WS_CLIENT" --url "$WS_URL" --ignore-type presence --ignore-type annotations --send "$(join "$CLINICIAN" 1)" \
    --wait-file "$GO.done" --wait-ms 300
start_client other "$TSN_WS_CLIENT" --url "$WS_URL" --ignore-type presence --ignore-type annotations --send "$(join "$OTHER_CLINICIAN")" \
    --wait-file "$GO.done" --wait-ms 300
wait_lines early 1 10
wait_lines other 1 10
assert_line early 1 '{"type":"welcome","protocol":2,"room":"ward-meta","you":{"sub":"dr-meta","role":"clinician"},"stream":null,"participants":[{"sub":"dr-meta","role":"clinician","color":"#e6194b"}],"id":1}' \
    "early welcome without metadata"

# (b) A capture that has not published may not send metadata; neither may an
# observer; an invalid stream object in publish is refused and creates nothing.
run_client nopub 0 "$TSN_WS_CLIENT" --url "$WS_URL" --ignore-type presence --ignore-type annotations --send "$(join "$CAPTURE")" \
    --send '{"type":"stream","stream":{"fps":30},"id":2}' \
    --stream '{"depth_mm":0}' --type publish --sdp-file "$OFFER"
assert_line nopub 2 '{"type":"error","code":403,"reason":"no active publish session on this connection: publish before sending stream metadata","ref":"stream","id":2}' \
    "stream before publish"
assert_line nopub 3 '{"type":"error","code":400,"reason":"field '"'"'stream.depth_mm'"'"' must be a number from 1 to 500","ref":"publish"}' \
    "publish with an invalid stream object"
assert_eq "$(count nopub)" 3 "nopub: messages"
assert_eq "$(metric_sum telesono_peers 'role="publisher"')" 0 "publishers after the refused publish"
assert_eq "$(count early)" 1 "early: nothing pushed for refused messages"

# (c) The capture publishes with metadata: early gets it at once.
start_client cap "$TSN_WS_CLIENT" --url "$WS_URL" --ignore-type presence --ignore-type annotations --send "$(join "$CAPTURE")" \
    --stream "$META1" --type publish --sdp-file "$OFFER" \
    --wait-file "$GO.1" \
    --send '{"type":"stream","stream":{"depth_mm":80.5},"id":9}' \
    --send '{"type":"stream","stream":{"depth_mm":80.5},"id":10}' \
    --send '{"type":"stream","stream":{"width":15,"depth_mm":90},"id":11}' \
    --wait-file "$GO.2" --stop --wait-ms 500
wait_lines cap 3 10
assert_eq "$(line cap 2 | sed -n 's/.*"type":"\([a-z]*\)".*/\1/p')" answer "capture: publish answered"
assert_line cap 3 "{\"type\":\"stream\",\"stream\":{$OUT1,\"live\":true}}" \
    "capture: its own metadata pushed back"
wait_lines early 2 10
assert_line early 2 "{\"type\":\"stream\",\"stream\":{$OUT1,\"live\":true}}" "early: pushed metadata"

# (d) A late joiner gets it in welcome; an observer may not send metadata.
run_client late 0 "$TSN_WS_CLIENT" --url "$WS_URL" --ignore-type presence --ignore-type annotations --send "$(join "$OBSERVER" 3)" \
    --send '{"type":"stream","stream":{"fps":30},"id":4}'
assert_line late 1 "{\"type\":\"welcome\",\"protocol\":2,\"room\":\"ward-meta\",\"you\":{\"sub\":\"student-meta\",\"role\":\"observer\"},\"stream\":{$OUT1,\"live\":true},\"participants\":[{\"sub\":\"dr-meta\",\"role\":\"clinician\",\"color\":\"#e6194b\"},{\"sub\":\"probe-cart-1\",\"role\":\"capture\",\"color\":\"#3cb44b\"},{\"sub\":\"student-meta\",\"role\":\"observer\",\"color\":\"#ffe119\"}],\"id\":3}" \
    "late joiner's welcome"
assert_line late 2 '{"type":"error","code":403,"reason":"only a capture token may send stream metadata","ref":"stream","id":4}' \
    "observer sending stream"
assert_eq "$(count late)" 2 "late: messages"

# (e) GET /stream/<room>: the same object for WHEP-only players.
get_stream "$ROOM" "$CLINICIAN"
assert_eq "$HTTP_STATUS" 200 "GET /stream with a clinician token"
assert_eq "$HTTP_BODY" "{$OUT1,\"live\":true}" "GET /stream body"
get_stream "$ROOM" "$OBSERVER"
assert_eq "$HTTP_STATUS" 200 "GET /stream with an observer token"
get_stream "$ROOM" "$OTHER_CLINICIAN"
assert_eq "$HTTP_STATUS" 403 "GET /stream with another room's token"
assert_contains "$HTTP_BODY" "token is not valid for this room" "403 body"
get_stream "$ROOM" "$CAPTURE"
assert_eq "$HTTP_STATUS" 403 "GET /stream with a capture token"
get_stream "$ROOM" ""
assert_eq "$HTTP_STATUS" 401 "GET /stream without a token"
get_stream "$OTHER" "$OTHER_CLINICIAN"
assert_eq "$HTTP_STATUS" 404 "GET /stream of a room without metadata"
get_stream "bad.room" "$CLINICIAN"
assert_eq "$HTTP_STATUS" 400 "GET /stream of an invalid room name"
http_request POST "/stream/$ROOM" "$CLINICIAN"
assert_eq "$HTTP_STATUS" 405 "POST /stream"

# (f) Mid-session update: merged, pushed once; the same again only answers
# the sender; an invalid one is refused and changes nothing.
touch "$GO.1"
wait_lines cap 6 10
assert_line cap 4 "{\"type\":\"stream\",\"stream\":{$OUT2,\"live\":true},\"id\":9}" "capture: update answered"
assert_line cap 5 "{\"type\":\"stream\",\"stream\":{$OUT2,\"live\":true},\"id\":10}" \
    "capture: unchanged update answered"
assert_line cap 6 '{"type":"error","code":400,"reason":"field '"'"'stream.width'"'"' must be an integer from 16 to 7680","ref":"stream","id":11}' \
    "capture: invalid update"
wait_lines early 3 10
sleep 0.5 # anything wrongly pushed for the unchanged or invalid update arrives by now
assert_eq "$(count early)" 3 "early: one push for three updates"
assert_line early 3 "{\"type\":\"stream\",\"stream\":{$OUT2,\"live\":true}}" "early: merged update"
get_stream "$ROOM" "$CLINICIAN"
assert_eq "$HTTP_BODY" "{$OUT2,\"live\":true}" "GET /stream after the update"

# (g) The publisher stops: live false, values kept.
touch "$GO.2"
finish_client cap
assert_contains "$(cat "$TEST_TMP/cap.json")" '"type":"stopped"' "capture: stopped"
assert_contains "$(cat "$TEST_TMP/cap.json")" "{\"type\":\"stream\",\"stream\":{$OUT2,\"live\":false}}" \
    "capture: its own end pushed"
wait_lines early 4 10
assert_line early 4 "{\"type\":\"stream\",\"stream\":{$OUT2,\"live\":false}}" "early: publisher stopped"
get_stream "$ROOM" "$OBSERVER"
assert_eq "$HTTP_STATUS" 200 "GET /stream after the publisher stopped"
assert_eq "$HTTP_BODY" "{$OUT2,\"live\":false}" "GET /stream after the publisher stopped: body"
run_client late2 0 "$TSN_WS_CLIENT" --url "$WS_URL" --ignore-type presence --ignore-type annotations --send "$(join "$CLINICIAN")"
assert_contains "$(line late2 1)" "\"stream\":{$OUT2,\"live\":false}" "welcome after the publisher stopped"

# (h) A new publisher, which then closes its socket (leaves): its own
# metadata replaces the old one, then ends.
start_client cap2 "$TSN_WS_CLIENT" --url "$WS_URL" --ignore-type presence --ignore-type annotations --send "$(join "$CAPTURE")" \
    --stream "$META3" --type publish --sdp-file "$OFFER" --wait-file "$GO.3" --wait-ms 0
wait_lines early 5 10
assert_line early 5 "{\"type\":\"stream\",\"stream\":{$OUT3,\"live\":true}}" "early: second publisher"
touch "$GO.3"
finish_client cap2
wait_lines early 6 10
assert_line early 6 "{\"type\":\"stream\",\"stream\":{$OUT3,\"live\":false}}" "early: second publisher left"

# (i) The other room never heard of any of it.
touch "$GO.done"
finish_client early
finish_client other
assert_eq "$(count early)" 6 "early: messages in all"
assert_eq "$(count other)" 1 "other room: messages in all (welcome only)"
assert_line other 1 '{"type":"welcome","protocol":2,"room":"ward-elsewhere","you":{"sub":"dr-other","role":"clinician"},"stream":null,"participants":[{"sub":"dr-other","role":"clinician","color":"#e6194b"}]}' \
    "other room's welcome"
assert_relay_alive
assert_eq "$(metric_sum telesono_peers)" 0 "media peers at the end of part one"

# (j) A publisher that times out (the media thread removes it): a relay with
# a 2 s consent timeout, the viewer gets live false without anyone asking.
stop_pid "$RELAY_PID"
mv "$TEST_TMP/relay.log" "$TEST_TMP/relay.part1.log"
[[ "$STOPPED_STATUS" == 0 ]] || fail "the first relay exited with $STOPPED_STATUS"
RELAY_PID=""
start_relay --consent-timeout 2
WS_URL="wss://127.0.0.1:$RELAY_PORT/ws"
CAPTURE=$(mint_token "$ROOM" capture probe-cart-1)
CLINICIAN=$(mint_token "$ROOM" clinician dr-meta)
start_client watch "$TSN_WS_CLIENT" --url "$WS_URL" --ignore-type presence --ignore-type annotations --send "$(join "$CLINICIAN")" \
    --wait-file "$GO.end" --wait-ms 300
wait_lines watch 1 10
start_client cap3 "$TSN_WS_CLIENT" --url "$WS_URL" --ignore-type presence --ignore-type annotations --send "$(join "$CAPTURE")" \
    --stream "$META3" --type publish --sdp-file "$OFFER" --wait-file "$GO.end" --wait-ms 300
wait_lines watch 2 10
assert_line watch 2 "{\"type\":\"stream\",\"stream\":{$OUT3,\"live\":true}}" "timeout: pushed"
wait_lines watch 3 15
assert_line watch 3 "{\"type\":\"stream\",\"stream\":{$OUT3,\"live\":false}}" "timeout: publisher gone"
wait_lines cap3 4 5
assert_contains "$(cat "$TEST_TMP/cap3.json")" '"state":"closed","reason":"no ICE connectivity check arrived"' \
    "timeout: the capture's session closed"
touch "$GO.end"
finish_client watch
finish_client cap3
assert_eq "$(count watch)" 3 "watch: messages in all"
assert_relay_alive
assert_healthz
