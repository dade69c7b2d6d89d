#!/usr/bin/env bash
# Token checks on WHIP and WHEP, made with the real clients (so every request
# carries a real offer): a bad signature, a token signed with another secret,
# a malformed token, an expired token, a token not valid yet and no
# Authorization header give 401;
# a token for another room and a role that does not allow the endpoint give
# 403; each error has a reason body. Valid tokens still work (a publisher and
# a viewer, as a control) and the relay still serves /healthz afterwards.
source "$(dirname "$0")/lib.sh"

start_relay
ROOM=ward-auth

# expect_refused NAME STATUS PROGRAM ARGS...: the POST must be answered with
# STATUS and a non-empty reason (the clients exit 3 on HTTP errors).
expect_refused() {
    local name=$1 status=$2 err reason
    shift 2
    run_client "$name" 3 "$@" --duration 3
    err=$(report "$name" error)
    assert_contains "$err" "HTTP $status (expected 201)" "$name"
    reason=${err#*"(expected 201): "}
    [[ -n "${reason// /}" ]] || fail "$name: HTTP $status came without a reason body"
}

# Changes one character in the middle of the signature: every bit there is
# significant (the last character of a 43-character signature carries padding
# bits a lenient decoder might ignore).
tamper_signature() {
    local token=$1 sig pos c
    sig=${token##*.}
    pos=$((${#sig} / 2))
    c=${sig:pos:1}
    [[ "$c" == A ]] && c=Q || c=A
    echo "${token%.*}.${sig:0:pos}${c}${sig:pos+1}"
}

WHIP="$RELAY_URL/whip/$ROOM"
WHEP="$RELAY_URL/whep/$ROOM"
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TEST_TMP/other-secret"
# The relay tolerates this much clock skew on exp and nbf (relay.c).
LEEWAY_S=${TSN_RELAY_LEEWAY_S:-5}
EXPIRED=$(mint_token "$ROOM" clinician expired-viewer 1)
EXPIRED_WHIP=$(mint_token "$ROOM" capture expired-probe 1)
EXPIRED_AFTER=$(($(date +%s) + 1 + LEEWAY_S + 1)) # exp, leeway, whole seconds
wait_until_expired() {
    local now
    now=$(date +%s)
    if ((now < EXPIRED_AFTER)); then
        say "waiting $((EXPIRED_AFTER - now)) s for the short-lived tokens to expire (ttl 1 s + ${LEEWAY_S} s leeway)"
        sleep $((EXPIRED_AFTER - now))
    fi
}

# WHIP first, while the room has no publisher (so nothing but auth can refuse).
expect_refused whip_bad_sig 401 "$TSN_WHIP_PUBLISH" --url "$WHIP" \
    --token "$(tamper_signature "$(mint_token "$ROOM" capture probe)")"
expect_refused whip_other_secret 401 "$TSN_WHIP_PUBLISH" --url "$WHIP" \
    --token "$(mint_token "$ROOM" capture probe 600 "$TEST_TMP/other-secret")"
expect_refused whip_no_token 401 "$TSN_WHIP_PUBLISH" --url "$WHIP" --no-token
expect_refused whip_other_room 403 "$TSN_WHIP_PUBLISH" --url "$WHIP" \
    --token "$(mint_token ward-other capture probe)"
expect_refused whip_observer 403 "$TSN_WHIP_PUBLISH" --url "$WHIP" \
    --token "$(mint_token "$ROOM" observer watcher)"
expect_refused whip_clinician 403 "$TSN_WHIP_PUBLISH" --url "$WHIP" \
    --token "$(mint_token "$ROOM" clinician doctor)"
wait_until_expired
expect_refused whip_expired 401 "$TSN_WHIP_PUBLISH" --url "$WHIP" --token "$EXPIRED_WHIP"

# A real publisher (control), then WHEP while the room is live.
# Ended by stop_client below; 120 s is only a safety net (a loaded machine
# makes the refusals above slow, and the viewers at the end need a stream).
start_client pub "$TSN_WHIP_PUBLISH" --url "$WHIP" --token "$(mint_token "$ROOM" capture probe)" \
    --duration 120
wait_for_log pub "streaming" 15

expect_refused whep_bad_sig 401 "$TSN_WHEP_PLAY" --url "$WHEP" \
    --token "$(tamper_signature "$(mint_token "$ROOM" clinician doctor)")"
expect_refused whep_other_secret 401 "$TSN_WHEP_PLAY" --url "$WHEP" \
    --token "$(mint_token "$ROOM" clinician doctor 600 "$TEST_TMP/other-secret")"
expect_refused whep_malformed 401 "$TSN_WHEP_PLAY" --url "$WHEP" --token "not.a.jwt"
expect_refused whep_expired 401 "$TSN_WHEP_PLAY" --url "$WHEP" --token "$EXPIRED"
expect_refused whep_not_yet_valid 401 "$TSN_WHEP_PLAY" --url "$WHEP" \
    --token "$("$TSN_TOKEN" --secret-file "$RELAY_SECRET" --room "$ROOM" --role clinician \
        --sub early-bird --ttl 600 --nbf-in $((LEEWAY_S + 120)))"
expect_refused whep_no_token 401 "$TSN_WHEP_PLAY" --url "$WHEP" --no-token
expect_refused whep_other_room 403 "$TSN_WHEP_PLAY" --url "$WHEP" \
    --token "$(mint_token ward-other clinician doctor)"
expect_refused whep_capture 403 "$TSN_WHEP_PLAY" --url "$WHEP" \
    --token "$(mint_token "$ROOM" capture second-probe)"

# Control: valid viewer tokens of both viewing roles work.
run_client viewer 0 "$TSN_WHEP_PLAY" --url "$WHEP" --token "$(mint_token "$ROOM" clinician doctor)" \
    --duration 3
assert_gt "$(report viewer frames_decoded)" 30 "valid clinician frames_decoded"
run_client observer 0 "$TSN_WHEP_PLAY" --url "$WHEP" --token "$(mint_token "$ROOM" observer watcher)" \
    --duration 3
assert_gt "$(report observer frames_decoded)" 30 "valid observer frames_decoded"

stop_client pub # SIGTERM: the publisher sends DELETE and reports
assert_relay_alive
assert_healthz
