#!/usr/bin/env bash
# Who may read which recording, over the relay's REST API (curl, HTTPS with
# the relay's certificate). Two rooms' sessions are made without the
# recorder: index rows written with the sqlite3 tool into the relay's own
# index, and session directories holding a small real MP4 (gst-launch-1.0
# videotestsrc ! x264enc ! mp4mux) as export/recording.mp4. Checks:
#   - a reviewer of room A lists A's sessions only; A's token on /recordings/B
#     is 403 "token is for another room", on B's session id under
#     /recordings/A/<id> 404 (view, export, file); clinician, observer and
#     capture tokens 403; no token, an expired token, a bad signature 401;
#   - Range: 206 with exactly the bytes asked (compared with dd), a second
#     range in the middle, "bytes=-100", an unsatisfiable one 416 with
#     Content-Range: bytes */size; HEAD gives the length and no body;
#   - a ticket URL works without a token (and with Range); a tampered
#     ticket, an expired one (made with the secret here, after a fresh one
#     made the same way is accepted), one for another file, session or
#     room: 403;
#   - path tricks (../, %2e%2e, encoded slashes, an over-long or uppercase
#     id, a symbolic link in the export directory) are 404/400 and never
#     serve a byte from outside the recordings (the secret, /etc/passwd);
#   - exports with a stub exporter (--export-program): 202 running, 202
#     again, done with the files listed; burn-in adds annotated.mp4; a
#     recording session is 409; a failing exporter gives "failed" with the
#     last log line and no path;
#   - DELETE: reviewer 403, another room's admin 403, a recording session
#     409, admin 204 and the directory is gone;
#   - audit: admin GET /recordings/A/audit lists list, view, export,
#     download, delete and denied entries with the reasons; a reviewer may
#     not read it; no entry and no relay log line holds a token or ticket;
#   - a relay whose index cannot be opened runs and answers 503 with why;
#   - after a restart (which forgets exports and their failures) a session with
#     export/recording.mp4 counts as done; then a real recording
#     (telesono-capture, --record always) is exported by the real telesono-export
#     through the REST API and its MP4 (downloaded with the ticket) has the
#     recorded frames (ffprobe).
TSN_NEEDS_CLIENTS=1
source "$(dirname "$0")/lib.sh"

for tool in curl sqlite3 gst-launch-1.0 ffprobe jq openssl dd; do
    command -v "$tool" >/dev/null || fail "$tool is needed"
done
# The exporter the relay runs by default: telesono-export beside it.
TSN_EXPORT=${TSN_EXPORT:-$(dirname "$TSN_RELAY")/telesono-export}

REC="$TEST_TMP/recordings"
STUB="$TEST_TMP/stub-export.sh"
MP4="$TEST_TMP/test.mp4"
A1=20261127T075012Z-3fa9c2d1 # room A, complete, with recording.mp4
A2=20261127T081500Z-00c0ffee # room A, still recording
B1=20261127T080000Z-0123abcd # room B, complete, with recording.mp4

# ---- helpers ----

# req NAME METHOD PATH TOKEN [CURL_ARGS...]: sets CODE; body in NAME.body,
# headers in NAME.hdr. TOKEN "" sends no Authorization header.
req() {
    local name=$1 method=$2 path=$3 token=$4
    shift 4
    local args=(-sS --path-as-is --cacert "$RELAY_DIR/cert.pem" -o "$TEST_TMP/$name.body"
        -D "$TEST_TMP/$name.hdr" -w '%{http_code}')
    if [[ "$method" == HEAD ]]; then args+=(-I); else args+=(-X "$method"); fi # -I: no body read
    [[ -n "$token" ]] && args+=(-H "Authorization: Bearer $token")
    CODE=$(curl "${args[@]}" "$@" "$RELAY_URL$path") || CODE=000
}

# expect STATUS NAME METHOD PATH TOKEN [CURL_ARGS...]
expect() {
    local want=$1
    shift
    req "$@"
    [[ "$CODE" == "$want" ]] ||
        fail "$2 $3 ($1): expected $want, got $CODE: $(head -c 300 "$TEST_TMP/$1.body")"
    say "ok: $2 $3 -> $CODE ($1)"
}

body() { cat "$TEST_TMP/$1.body"; }
header() { # NAME HEADER: its value (case-insensitive name), CR stripped
    grep -i "^$2:" "$TEST_TMP/$1.hdr" | head -n 1 | cut -d: -f2- | sed 's/^ *//' | tr -d '\r'
}
reason() { jq -r .reason "$TEST_TMP/$1.body"; }

# make_ticket ROOM ID NAME SUB ROLE_BIT EXP: a ticket as the relay makes it
# (file_ticket.h), from the relay's secret.
b64url() { openssl base64 -A | tr '+/' '-_' | tr -d '='; }
make_ticket() {
    local key mac sub64
    key=$(tr -d '[:space:]' <"$RELAY_SECRET")
    mac=$(printf 'telesono-file-ticket-v1\n%s\n%s\n%s\n%s\n%s\n%s' "$1" "$2" "$3" "$6" "$5" "$4" |
        openssl dgst -sha256 -hmac "$key" -binary | b64url)
    sub64=$(printf '%s' "$4" | b64url)
    echo "$6.$5.$sub64.$mac"
}

sql() { sqlite3 -cmd ".timeout 5000" "$REC/index.sqlite" "$@" >/dev/null || fail "sqlite3: $*"; }

add_session() { # ROOM ID STATE
    local ended=1795000010000
    [[ "$3" == recording ]] && ended=NULL
    sql "INSERT INTO sessions (id, room, state, codec, started_by, stop_reason, started_ms,
         ended_ms, media_ms, bytes, packets, frames, events)
         VALUES ('$2', '$1', '$3', 'H264', 'dr-$1', '', 1795000000000, $ended, 3000, 4096,
         100, 90, 2);
         INSERT INTO participants (session_id, sub, role, joined_ms, left_ms)
         VALUES ('$2', 'dr-$1', 'clinician', 1795000000000, NULL);"
    mkdir -p "$REC/$1/$2/export"
    chmod 700 "$REC/$1" "$REC/$1/$2" "$REC/$1/$2/export"
}

# wait_export ROOM ID TOKEN WANT TIMEOUT_S: polls GET .../export until its
# state is WANT (fails on another final state or the timeout).
wait_export() {
    local i state
    for ((i = 0; i < $5 * 5; i++)); do
        req exstate GET "/recordings/$1/$2/export" "$3"
        [[ "$CODE" == 200 ]] || fail "GET export state: $CODE $(body exstate)"
        state=$(jq -r .state "$TEST_TMP/exstate.body")
        [[ "$state" == "$4" ]] && return 0
        [[ "$state" == running ]] || fail "export of $2 ended '$state', not '$4': $(body exstate)"
        sleep 0.2
    done
    fail "export of $2 still '$state' after $5 s"
}

# ---- set-up ----

gst-launch-1.0 -q videotestsrc num-buffers=90 ! video/x-raw,width=320,height=240,framerate=30/1 \
    ! x264enc ! mp4mux ! filesink location="$MP4" || fail "cannot make the test MP4"
SIZE=$(stat -c %s "$MP4")
assert_gt "$SIZE" 20000 "bytes in the test MP4"

cat >"$STUB" <<'EOF'
#!/bin/sh
# A stand-in for telesono-export: SESSION_DIR [--burn-in] --json.
dir=$1
shift
echo "stub exporter: $*" >&2
if [ -e "$dir/fail-export" ]; then
    echo "warning: $dir/media.tsr: skipped 12 damaged bytes at offset 40" >&2
    echo "error: cannot read /etc/telesono/elsewhere: no such file" >&2
    exit 2
fi
sleep 1
cp "$STUB_MP4" "$dir/export/.recording.tmp" && mv "$dir/export/.recording.tmp" "$dir/export/recording.mp4"
echo '{"format":"telesono-annotations","version":1}' >"$dir/export/annotations.json"
case "$*" in *--burn-in*) cp "$STUB_MP4" "$dir/export/annotated.mp4" ;; esac
echo '{"frames":90,"duration_ms":3000}'
EOF
chmod +x "$STUB"
export STUB_MP4="$MP4" # the relay's children inherit it

start_relay --recordings "$REC" --export-program "$STUB"
EXPIRED=$(mint_token roomA reviewer rev-expired 1)
EXPIRED_AFTER=$(($(date +%s) + 1 + 5 + 1)) # ttl, the relay's 5 s leeway, whole seconds
[[ -s "$REC/index.sqlite" ]] || fail "the relay did not create $REC/index.sqlite"
assert_eq "$(stat -c %a "$REC")" 700 "mode of the recordings directory"
add_session roomA "$A1" complete
add_session roomA "$A2" recording
add_session roomB "$B1" complete
cp "$MP4" "$REC/roomA/$A1/export/recording.mp4"
cp "$MP4" "$REC/roomB/$B1/export/recording.mp4"

REV_A=$(mint_token roomA reviewer rev-a)
ADM_A=$(mint_token roomA admin adm-a)
REV_B=$(mint_token roomB reviewer rev-b)
ADM_B=$(mint_token roomB admin adm-b)
CLIN_A=$(mint_token roomA clinician dr-a)
OBS_A=$(mint_token roomA observer obs-a)
CAP_A=$(mint_token roomA capture cart-a)
echo "not-the-relay-secret-0123456789abcdef" >"$TEST_TMP/other-secret"
chmod 600 "$TEST_TMP/other-secret"
FORGED_A=$(mint_token roomA reviewer rev-a 600 "$TEST_TMP/other-secret")
SECRETS=("$REV_A" "$ADM_A" "$REV_B" "$ADM_B" "$CLIN_A" "$OBS_A" "$CAP_A" "$FORGED_A" "$EXPIRED")

# ---- listing and room isolation ----

expect 200 list_a GET /recordings/roomA "$REV_A"
assert_eq "$(jq -r .room "$TEST_TMP/list_a.body")" roomA "room of the list"
assert_eq "$(jq -r '[.sessions[].id] | sort | join(",")' "$TEST_TMP/list_a.body")" \
    "$(printf '%s\n' "$A1" "$A2" | sort | paste -sd,)" "sessions listed for room A"
expect 200 list_b GET /recordings/roomB "$REV_B"
assert_eq "$(jq -r '[.sessions[].id] | join(",")' "$TEST_TMP/list_b.body")" "$B1" "room B's list"

expect 403 a_on_b GET /recordings/roomB "$REV_A"
assert_eq "$(reason a_on_b)" "token is for another room" "reason for another room"
expect 403 a_on_b_session GET "/recordings/roomB/$B1" "$REV_A"
expect 403 a_on_b_file GET "/recordings/roomB/$B1/files/recording.mp4" "$REV_A"
expect 404 b_id_under_a GET "/recordings/roomA/$B1" "$REV_A"
expect 404 b_id_under_a_export GET "/recordings/roomA/$B1/export" "$REV_A"
expect 404 b_id_under_a_post POST "/recordings/roomA/$B1/export" "$REV_A" -d '{}'
expect 404 b_id_under_a_file GET "/recordings/roomA/$B1/files/recording.mp4" "$REV_A"
expect 404 b_id_under_a_admin DELETE "/recordings/roomA/$B1" "$ADM_A"
[[ -d "$REC/roomB/$B1" ]] || fail "room A's admin removed room B's session"

for t in CLIN_A OBS_A CAP_A; do
    expect 403 "role_$t" GET /recordings/roomA "${!t}"
    expect 403 "role_file_$t" GET "/recordings/roomA/$A1/files/recording.mp4" "${!t}"
done
assert_contains "$(reason role_CLIN_A)" "clinician" "a clinician's refusal"
expect 401 no_token GET /recordings/roomA ""
expect 401 no_token_file GET "/recordings/roomA/$A1/files/recording.mp4" ""
expect 401 forged GET /recordings/roomA "$FORGED_A"
expect 401 garbage GET /recordings/roomA "not.a.token"

# ---- one session, Range ----

expect 200 view GET "/recordings/roomA/$A1" "$REV_A"
assert_eq "$(jq -r .id "$TEST_TMP/view.body")" "$A1" "session id in the view"
assert_eq "$(jq -r '.participants[0].sub' "$TEST_TMP/view.body")" dr-roomA "participant"
assert_eq "$(jq -r .export.state "$TEST_TMP/view.body")" done "export state of a session with recording.mp4"
assert_eq "$(jq -r '.export.files["recording.mp4"].bytes' "$TEST_TMP/view.body")" "$SIZE" "bytes listed"

FILE_A1="/recordings/roomA/$A1/files/recording.mp4"
expect 200 whole GET "$FILE_A1" "$REV_A"
cmp -s "$TEST_TMP/whole.body" "$MP4" || fail "the whole file differs from the recording"
assert_eq "$(header whole accept-ranges)" bytes "Accept-Ranges"
assert_eq "$(header whole content-type)" video/mp4 "Content-Type"
assert_eq "$(header whole content-length)" "$SIZE" "Content-Length"

check_range() { # NAME RANGE FIRST LAST
    expect 206 "$1" GET "$FILE_A1" "$REV_A" -H "Range: $2"
    dd if="$MP4" of="$TEST_TMP/$1.want" bs=1 skip="$3" count=$(($4 - $3 + 1)) status=none
    cmp -s "$TEST_TMP/$1.body" "$TEST_TMP/$1.want" || fail "$2: not the bytes $3-$4"
    assert_eq "$(header "$1" content-range)" "bytes $3-$4/$SIZE" "Content-Range of $2"
    assert_eq "$(header "$1" content-length)" $(($4 - $3 + 1)) "Content-Length of $2"
}
check_range range_head "bytes=100-199" 100 199
MID=$((SIZE / 2))
check_range range_mid "bytes=$MID-$((MID + 70000))" "$MID" $((MID + 70000 < SIZE ? MID + 70000 : SIZE - 1))
check_range range_suffix "bytes=-100" $((SIZE - 100)) $((SIZE - 1))
check_range range_open "bytes=$((SIZE - 10))-" $((SIZE - 10)) $((SIZE - 1))
expect 416 range_416 GET "$FILE_A1" "$REV_A" -H "Range: bytes=$SIZE-"
assert_eq "$(header range_416 content-range)" "bytes */$SIZE" "Content-Range of a 416"
expect 200 range_multi GET "$FILE_A1" "$REV_A" -H "Range: bytes=0-1,5-6"
cmp -s "$TEST_TMP/range_multi.body" "$MP4" || fail "several ranges: not the whole file"
expect 200 head HEAD "$FILE_A1" "$REV_A"
assert_eq "$(header head content-length)" "$SIZE" "HEAD Content-Length"

# ---- tickets ----

expect 200 exstate_a1 GET "/recordings/roomA/$A1/export" "$REV_A"
URL=$(jq -r '.files["recording.mp4"].url' "$TEST_TMP/exstate_a1.body")
TICKET=${URL#*\?ticket=}
[[ "$URL" == "$FILE_A1?ticket="* && -n "$TICKET" ]] || fail "unexpected file URL: $URL"
SECRETS+=("$TICKET")
expect 200 ticket GET "$URL" ""
cmp -s "$TEST_TMP/ticket.body" "$MP4" || fail "the ticket download differs"
check_ticket_range() {
    expect 206 ticket_range GET "$URL" "" -H "Range: bytes=1000-1999"
    dd if="$MP4" of="$TEST_TMP/ticket_range.want" bs=1 skip=1000 count=1000 status=none
    cmp -s "$TEST_TMP/ticket_range.body" "$TEST_TMP/ticket_range.want" || fail "ticket range bytes"
}
check_ticket_range
LAST=${TICKET: -1}
[[ "$LAST" == A ]] && NEWLAST=B || NEWLAST=A
expect 403 ticket_tampered GET "$FILE_A1?ticket=${TICKET%?}$NEWLAST" ""
expect 403 ticket_other_name GET "/recordings/roomA/$A1/files/annotations.json?ticket=$TICKET" ""
expect 403 ticket_other_room GET "/recordings/roomB/$A1/files/recording.mp4?ticket=$TICKET" ""
expect 403 ticket_other_session GET "/recordings/roomA/$A2/files/recording.mp4?ticket=$TICKET" ""
expect 403 ticket_b_file GET "/recordings/roomB/$B1/files/recording.mp4?ticket=$TICKET" ""
expect 403 ticket_garbage GET "$FILE_A1?ticket=abc.def" ""
NOW=$(date +%s)
MADE=$(make_ticket roomA "$A1" recording.mp4 rev-a 8 $((NOW + 60)))
expect 200 ticket_made_here GET "$FILE_A1?ticket=$MADE" "" # the recipe above is the relay's
OLD=$(make_ticket roomA "$A1" recording.mp4 rev-a 8 $((NOW - 1)))
expect 403 ticket_expired GET "$FILE_A1?ticket=$OLD" ""
assert_contains "$(reason ticket_expired)" "expired" "an expired ticket's reason"
CLIN_TICKET=$(make_ticket roomA "$A1" recording.mp4 dr-a 2 $((NOW + 60)))
expect 403 ticket_clinician GET "$FILE_A1?ticket=$CLIN_TICKET" ""
SECRETS+=("$MADE" "$OLD" "$CLIN_TICKET")

# ---- path tricks: 404/400, never a byte from outside ----

ln -s "$RELAY_SECRET" "$REC/roomA/$A1/export/annotations.json"
ln -s /etc/passwd "$REC/roomA/$A1/export/annotated.mp4"
for p in \
    "/recordings/roomA/$A1/files/annotations.json" \
    "/recordings/roomA/$A1/files/annotated.mp4" \
    "/recordings/roomA/$A1/files/../../../../relay-data/secret" \
    "/recordings/roomA/$A1/files/..%2f..%2f..%2f..%2frelay-data%2fsecret" \
    "/recordings/roomA/$A1/files/%2e%2e/%2e%2e/%2e%2e/%2e%2e/relay-data/secret" \
    "/recordings/roomA/$A1/files/%2e%2e%2fsession.json" \
    "/recordings/roomA/$A1%2f..%2f..%2f..%2frelay-data%2fsecret" \
    "/recordings/roomA/$A1/files/export.log" \
    "/recordings/roomA/$A1/files/recording.mp4%2f" \
    "/recordings/roomA/${A1}0" \
    "/recordings/roomA/${A1}0/files/recording.mp4" \
    "/recordings/roomA/$(printf '%s' "$A1" | tr a-z A-Z)/files/recording.mp4" \
    "/recordings/roomA/20261127T075012Z-3fa9c2d/files/recording.mp4" \
    "/recordings/roomA/x$(head -c 150 /dev/zero | tr '\0' a)" \
    "/recordings/room.A" \
    "/recordings/roomA/audit/x" \
    "/recordings/roomA/$A1/files" \
    "/recordings/roomA/$A1/export/x"; do
    req trick GET "$p" "$ADM_A"
    [[ "$CODE" == 404 || "$CODE" == 400 ]] || fail "GET $p: expected 404 or 400, got $CODE"
    if grep -aqF "$(tr -d '[:space:]' <"$RELAY_SECRET")" "$TEST_TMP/trick.body" ||
        grep -aq "root:" "$TEST_TMP/trick.body" || grep -aq ftyp "$TEST_TMP/trick.body"; then
        fail "GET $p served a file: $(head -c 100 "$TEST_TMP/trick.body")"
    fi
    say "ok: GET $p -> $CODE"
done
expect 200 links_listed GET "/recordings/roomA/$A1/export" "$REV_A"
assert_eq "$(jq -r '.files | keys | join(",")' "$TEST_TMP/links_listed.body")" recording.mp4 \
    "files listed (symbolic links are not)"
rm "$REC/roomA/$A1/export/annotations.json" "$REC/roomA/$A1/export/annotated.mp4"

# ---- exports (stub exporter) ----

expect 409 export_recording POST "/recordings/roomA/$A2/export" "$REV_A" -d '{}'
expect 400 export_bad_body POST "/recordings/roomA/$A1/export" "$REV_A" -d '{"burn_in":"yes"}'
expect 202 export_start POST "/recordings/roomA/$A1/export" "$REV_A" -d '{}'
assert_eq "$(jq -r .state "$TEST_TMP/export_start.body")" running "state after POST"
expect 202 export_again POST "/recordings/roomA/$A1/export" "$REV_A" -d '{}'
expect 200 export_running GET "/recordings/roomA/$A1/export" "$REV_A"
assert_eq "$(jq -r .state "$TEST_TMP/export_running.body")" running "state while the exporter runs"
wait_export roomA "$A1" "$REV_A" done 20
assert_eq "$(jq -r '.files | keys | join(",")' "$TEST_TMP/exstate.body")" \
    annotations.json,recording.mp4 "files after the export"
expect 200 export_done POST "/recordings/roomA/$A1/export" "$REV_A" -d '{}'
assert_eq "$(jq -r .state "$TEST_TMP/export_done.body")" done "POST when the files exist"
expect 202 export_burn POST "/recordings/roomA/$A1/export" "$REV_A" -d '{"burn_in":true}'
wait_export roomA "$A1" "$REV_A" done 20
assert_eq "$(jq -r '.files | keys | join(",")' "$TEST_TMP/exstate.body")" \
    annotated.mp4,annotations.json,recording.mp4 "files after the burn-in export"
assert_contains "$(cat "$REC/roomA/$A1/export/export.log")" "stub exporter: --burn-in --json" \
    "the exporter's arguments"
touch "$REC/roomB/$B1/fail-export"
expect 202 export_fail POST "/recordings/roomB/$B1/export" "$REV_B" -d '{"burn_in":true}'
wait_export roomB "$B1" "$REV_B" failed 20
FAIL_REASON=$(jq -r .reason "$TEST_TMP/exstate.body")
say "failed export's reason: $FAIL_REASON"
assert_contains "$FAIL_REASON" "cannot read <path>: no such file" "failed export's reason"
assert_contains "$FAIL_REASON" "exit status 2" "failed export's exit status"
[[ "$FAIL_REASON" != *"$TEST_TMP"* && "$FAIL_REASON" != *"/etc"* ]] ||
    fail "the failure reason shows a path: $FAIL_REASON"
rm "$REC/roomB/$B1/fail-export"

# ---- delete ----

expect 403 delete_reviewer DELETE "/recordings/roomA/$A1" "$REV_A"
expect 403 delete_other_admin DELETE "/recordings/roomA/$A1" "$ADM_B"
expect 409 delete_recording DELETE "/recordings/roomA/$A2" "$ADM_A"
[[ -d "$REC/roomA/$A1" ]] || fail "a refused DELETE removed the directory"
expect 204 delete_admin DELETE "/recordings/roomA/$A1" "$ADM_A"
[[ ! -e "$REC/roomA/$A1" ]] || fail "$REC/roomA/$A1 is still there"
[[ -z "$(find "$REC/roomA" -maxdepth 1 -name '.deleting-*')" ]] || fail "a tombstone was left"
expect 404 deleted_view GET "/recordings/roomA/$A1" "$REV_A"
expect 404 deleted_ticket GET "$URL" "" # a valid ticket finds nothing: the session is gone
expect 200 list_after_delete GET /recordings/roomA "$REV_A"
assert_eq "$(jq -r '[.sessions[].id] | join(",")' "$TEST_TMP/list_after_delete.body")" "$A2" \
    "sessions after the delete"

# ---- expired token (waited for last) ----

NOW=$(date +%s)
if ((NOW < EXPIRED_AFTER)); then sleep $((EXPIRED_AFTER - NOW)); fi
expect 401 expired GET /recordings/roomA "$EXPIRED"
assert_contains "$(reason expired)" "expired" "an expired token's reason"

# ---- audit ----

expect 403 audit_reviewer GET /recordings/roomA/audit "$REV_A"
expect 200 audit_a GET /recordings/roomA/audit "$ADM_A"
AUDIT="$TEST_TMP/audit_a.body"
for action in list view export download delete denied; do
    n=$(jq "[.audit[] | select(.action == \"$action\")] | length" "$AUDIT")
    assert_ge "$n" 1 "audit entries '$action' in room A"
done
assert_eq "$(jq -r '[.audit[] | select(.action == "delete")][0].actor' "$AUDIT")" adm-a "who deleted"
assert_eq "$(jq -r '[.audit[] | select(.action == "delete")][0].session' "$AUDIT")" "$A1" "what was deleted"
assert_ge "$(jq '[.audit[] | select(.action == "download" and .actor == "rev-a")] | length' "$AUDIT")" 1 \
    "downloads by rev-a"
for why in "401: missing bearer token" "role 'clinician' may not do this" "404: no such session" \
    "403: download ticket expired" "403: download ticket is not valid for this file" \
    "409: the session is still recording" "invalid token"; do
    jq -e --arg w "$why" '[.audit[] | select(.action == "denied" and (.detail | contains($w)))] | length > 0' \
        "$AUDIT" >/dev/null || fail "no denied entry with '$why' in room A's audit"
    say "ok: denied '$why' audited"
done
# Every download of one file by one holder within 10 minutes is one entry,
# whatever the number of range requests.
assert_le "$(jq '[.audit[] | select(.action == "download" and .actor == "rev-a"
    and (.detail | startswith("recording.mp4")))] | length' "$AUDIT")" 1 "download entries per file and holder"
expect 200 audit_b GET /recordings/roomB/audit "$ADM_B"
jq -e '[.audit[] | select(.action == "denied" and .actor == "rev-a"
    and (.detail | contains("token is for another room")))] | length > 0' "$TEST_TMP/audit_b.body" \
    >/dev/null || fail "room B's audit lacks rev-a's refusal"
sqlite3 -cmd ".timeout 5000" "$REC/index.sqlite" .dump >"$TEST_TMP/index.dump"
for s in "${SECRETS[@]}"; do
    if grep -qF "$s" "$AUDIT" "$TEST_TMP/audit_b.body"; then fail "a token or ticket is in the audit log"; fi
    if grep -qF "$s" "$TEST_TMP/relay.log"; then fail "a token or ticket is in the relay log"; fi
    if grep -qF "$s" "$TEST_TMP/index.dump"; then fail "a token or ticket is in the index"; fi
done
say "ok: no token or ticket in the audit log, the index or the relay log"
assert_relay_alive

# ---- after a restart: a real recording, the real exporter ----

# A clean stop first (in a sanitizer build its exit status carries the leak
# check of everything above), then a new relay on the same recordings.
stop_pid "$RELAY_PID"
assert_eq "$STOPPED_STATUS" 0 "the relay's exit status on SIGTERM"
RELAY_PID=""
cp "$TEST_TMP/relay.log" "$TEST_TMP/relay.first.log"
# An index that cannot be opened: the relay runs, /recordings says why.
mkdir -p "$TEST_TMP/broken/index.sqlite"
start_relay --recordings "$TEST_TMP/broken"
expect 503 broken GET /recordings/roomA "$(mint_token roomA reviewer rev-a)"
assert_eq "$(reason broken)" "recordings index unavailable: index.sqlite: Is a directory" \
    "reason of a 503"
assert_healthz
stop_pid "$RELAY_PID"
assert_eq "$STOPPED_STATUS" 0 "the relay's exit status on SIGTERM"
RELAY_PID=""

[[ -x "$TSN_EXPORT" ]] ||
    fail "telesono-export not found at $TSN_EXPORT (set TSN_EXPORT): the real export is not tested"
# A sanitizer build's exporter runs without leak checks (GLib keeps
# allocations to the end), as start_client does for the GStreamer clients;
# otherwise the relay finds it by itself, beside its own binary.
EXPORT_ARGS=()
if ldd "$TSN_EXPORT" 2>/dev/null | grep libasan >/dev/null; then # not -q: pipefail
    printf '#!/bin/sh\nASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" exec "%s" "$@"\n' \
        "$TSN_EXPORT" >"$TEST_TMP/export-noleaks.sh"
    chmod +x "$TEST_TMP/export-noleaks.sh"
    EXPORT_ARGS=(--export-program "$TEST_TMP/export-noleaks.sh")
elif [[ "$TSN_EXPORT" != "$(dirname "$TSN_RELAY")/telesono-export" ]]; then
    EXPORT_ARGS=(--export-program "$TSN_EXPORT")
fi
start_relay --recordings "$REC" --record always --record-min-free-mb 0 "${EXPORT_ARGS[@]}"
REV_B=$(mint_token roomB reviewer rev-b) # a new data directory: a new secret
SECRETS+=("$REV_B")
expect 200 restart_b1 GET "/recordings/roomB/$B1/export" "$REV_B"
assert_eq "$(jq -r .state "$TEST_TMP/restart_b1.body")" done \
    "a session with recording.mp4 after a restart (its failure is forgotten)"

ROOM=roomR
REV_R=$(mint_token "$ROOM" reviewer rev-r)
SECRETS+=("$REV_R")
# Recorded from the first frame (--record always) of a /ws publisher.
start_client capture "$TSN_CAPTURE" --relay "$RELAY_URL" --token "$(mint_token "$ROOM" capture cart-r)" \
    --ca "$RELAY_DIR/cert.pem" --fps 30
wait_for_log capture "publishing to the relay" 20
sleep 4
stop_client capture # the last one leaves the room: the recording stops
SESSION=""
for ((i = 0; i < 50; i++)); do
    req list_r GET "/recordings/$ROOM" "$REV_R"
    SESSION=$(jq -r '[.sessions[] | select(.state != "recording")][0].id // empty' "$TEST_TMP/list_r.body")
    [[ -n "$SESSION" ]] && break
    sleep 0.2
done
[[ -n "$SESSION" ]] || fail "no finished recording of $ROOM: $(body list_r)"
REC_FRAMES=$(jq -r ".sessions[] | select(.id == \"$SESSION\") | .frames" "$TEST_TMP/list_r.body")
say "recorded session $SESSION: $REC_FRAMES frames"
assert_ge "$REC_FRAMES" 60 "frames recorded (30 fps for 4 s)"
expect 202 real_export POST "/recordings/$ROOM/$SESSION/export" "$REV_R" -d '{}'
wait_export "$ROOM" "$SESSION" "$REV_R" done 90
REAL_URL=$(jq -r '.files["recording.mp4"].url' "$TEST_TMP/exstate.body")
expect 200 real_mp4 GET "$REAL_URL" ""
OUT="$TEST_TMP/real.mp4"
cp "$TEST_TMP/real_mp4.body" "$OUT"
NB=$(ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames,codec_name \
    -of csv=p=0 "$OUT")
say "the exported MP4: $NB (codec,frames); the index says $REC_FRAMES frames"
assert_eq "${NB%%,*}" h264 "codec of the export"
FRAMES_OUT=${NB##*,}
# The export starts at the first keyframe the recording holds, so it may
# have up to a keyframe interval (2 s) fewer frames than were recorded.
assert_ge "$FRAMES_OUT" 30 "frames in the export (from the first keyframe on)"
assert_le "$FRAMES_OUT" "$REC_FRAMES" "frames in the export"
cmp -s "$OUT" "$(find "$REC/$ROOM/$SESSION/export" -name recording.mp4)" ||
    fail "the download differs from the exported file"
ANN_URL=$(jq -r '.files["annotations.json"].url' "$TEST_TMP/exstate.body")
expect 200 real_ann GET "$ANN_URL" ""
assert_eq "$(jq -r .format "$TEST_TMP/real_ann.body")" telesono-annotations "annotations.json format"
# What the API delivers is the exporter's output as written: the MP4's
# sample count is annotations.json's frame count. (Whether every sample
# decodes is telesono-export's own tests' business.)
SAMPLES=$(ffprobe -v error -select_streams v:0 -show_entries stream=nb_frames -of csv=p=0 "$OUT")
assert_eq "$(jq -r .video.frames "$TEST_TMP/real_ann.body")" "$SAMPLES" "frames in annotations.json"
for s in "${SECRETS[@]}"; do
    if grep -qF "$s" "$TEST_TMP/relay.log"; then fail "a token or ticket is in the relay log"; fi
done
assert_relay_alive
