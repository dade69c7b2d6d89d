#!/usr/bin/env bash
# Clear errors and distinct exit codes: a bad device, a missing clip, bad
# flags, refused tokens, an unreachable relay and an untrusted certificate,
# for telesono-capture and telesono-view. Nothing here may crash the relay.
TSN_NEEDS_CLIENTS=1
source "$(dirname "$0")/lib.sh"

start_relay
CA="$RELAY_DIR/cert.pem"
CAP=$(mint_token er1 capture bedside)
OBS=$(mint_token er1 observer student)
VIEW=$(mint_token er1 clinician dr-a)
mkdir -p "$TEST_TMP/other"
head -c 32 /dev/urandom >"$TEST_TMP/other/secret"
FORGED=$(mint_token er1 capture mallory 600 "$TEST_TMP/other/secret")
CLOSED_PORT=$(pick_port)

# expect NAME CODE PATTERN PROGRAM ARGS...: runs it (15 s at most) and checks
# the exit code and that stderr says PATTERN (grep -Ei).
expect() {
    local name=$1 code=$2 pattern=$3 rc=0
    shift 3
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" timeout 15 "$@" \
        >"$TEST_TMP/$name.out" 2>"$TEST_TMP/$name.log" || rc=$?
    if [[ "$rc" != "$code" ]] || ! grep -Eiq -e "$pattern" "$TEST_TMP/$name.log"; then
        tail -n 20 "$TEST_TMP/$name.log" >&2
        fail "$name: expected exit $code and a message matching '$pattern', got exit $rc"
    fi
    say "ok: $name -> exit $rc: $(grep -Ei -e "$pattern" "$TEST_TMP/$name.log" | head -n 1)"
    if grep -q "$CAP\|$VIEW\|$FORGED" "$TEST_TMP/$name.log"; then
        fail "$name printed a token"
    fi
}

C=("$TSN_CAPTURE" --relay "$RELAY_URL" --ca "$CA" --connect-timeout 3)
V=("$TSN_VIEW" --relay "$RELAY_URL" --ca "$CA" --headless --duration 5 --connect-timeout 3)

expect bad_device 5 "/dev/video99.*(does not exist|no such)" "${C[@]}" --token "$CAP" \
    --source v4l2:/dev/video99
expect missing_clip 5 "cannot read the clip" "${C[@]}" --token "$CAP" \
    --source file:/nonexistent/clip.mkv
expect bad_mask 2 "--mask" "${C[@]}" --token "$CAP" --mask 10,10,-5,4
expect bad_size 2 "--size" "${C[@]}" --token "$CAP" --size 641x480
expect no_token 2 "token" "$TSN_CAPTURE" --relay "$RELAY_URL"
expect forged_token 3 "refused.*40[13]" "${C[@]}" --token "$FORGED"
expect observer_publishes 3 "capture token|refused" "${C[@]}" --token "$OBS"
expect unreachable 4 "unreachable" "$TSN_CAPTURE" --relay "https://127.0.0.1:$CLOSED_PORT" \
    --ca "$CA" --connect-timeout 2 --token "$CAP"
expect wrong_pin 4 "does not match the pinned fingerprint" "$TSN_CAPTURE" --relay "$RELAY_URL" \
    --connect-timeout 2 --token "$CAP" \
    --fingerprint "$(printf 'AB%.0s' {1..32})"
expect untrusted 4 "certificate is not trusted: self.signed certificate" "$TSN_CAPTURE" --relay "$RELAY_URL" \
    --connect-timeout 2 --token "$CAP"
expect view_forged 3 "refused.*40[13]" "${V[@]}" --token "$FORGED"
expect view_unreachable 4 "unreachable" "$TSN_VIEW" --relay "https://127.0.0.1:$CLOSED_PORT" \
    --headless --duration 5 --connect-timeout 2 --token "$VIEW"

# The right pin and the insecure mode connect (the latter says so loudly).
pin=$(openssl x509 -in "$CA" -noout -fingerprint -sha256 | sed 's/.*=//')
start_client pinned "$TSN_CAPTURE" --relay "$RELAY_URL" --token "$CAP" --fingerprint "$pin"
wait_for_log pinned "publishing to the relay" 15
stop_client pinned
start_client insecure "$TSN_VIEW" --relay "$RELAY_URL" --token "$VIEW" --insecure --headless \
    --duration 3
wait_for_log insecure "WARNING: --insecure" 5
stop_client insecure
assert_relay_alive
