# Shared helpers for the integration scripts (source it; do not run it).
#
# The scripts run the real telesono-relay on 127.0.0.1 with the test clients.
# Programs come from the environment (ctest sets them, see CMakeLists.txt):
#   TSN_RELAY TSN_TOKEN TSN_WHIP_PUBLISH TSN_WHEP_PLAY TSN_HTTPS_GET TSN_UDP_SEND
# or, for a manual run, from TSN_BUILD_DIR (the CMake build directory):
#   TSN_BUILD_DIR=build bash tests/integration/test_auth.sh
# TSN_KEEP_TMP=1 keeps the temporary directory (relay log, client logs and
# JSON reports) even when the test passes; it is always kept on failure.
#
# Everything a script starts is recorded and stopped by the EXIT trap: the
# clients first, then the relay, whose exit status on SIGTERM is checked too.

set -euo pipefail

TSN_SCRIPT_NAME=$(basename "$0" .sh)
TEST_TMP=$(mktemp -d "${TMPDIR:-/tmp}/tsn-${TSN_SCRIPT_NAME}.XXXXXX")
RELAY_PID=""
RELAY_PORT=""
RELAY_MEDIA_PORT=""
RELAY_URL=""
RELAY_DIR=""
RELAY_SECRET=""
declare -A TSN_CLIENT_PIDS=()

say() {
    echo "[$(date +%H:%M:%S.%3N) ${TSN_SCRIPT_NAME}] $*" >&2
}

fail() {
    say "FAIL: $*"
    exit 1
}

# ---- programs ----

tsn_find_program() { # VAR NAME: sets VAR from the environment or TSN_BUILD_DIR
    local var=$1 name=$2 path=${!1:-}
    if [[ -z "$path" && -n "${TSN_BUILD_DIR:-}" ]]; then
        for path in "$TSN_BUILD_DIR/$name" "$TSN_BUILD_DIR/tests/integration/$name" ""; do
            [[ -n "$path" && -x "$path" ]] && break
        done
    fi
    [[ -n "$path" && -x "$path" ]] ||
        fail "$name not found: set $var (ctest does) or TSN_BUILD_DIR to the build directory"
    printf -v "$var" '%s' "$path"
}

tsn_find_program TSN_RELAY telesono-relay
tsn_find_program TSN_TOKEN telesono-token
tsn_find_program TSN_WHIP_PUBLISH tsn-whip-publish
tsn_find_program TSN_WHEP_PLAY tsn-whep-play
tsn_find_program TSN_HTTPS_GET tsn-https-get
tsn_find_program TSN_UDP_SEND tsn-udp-send
tsn_find_program TSN_WS_CLIENT tsn-ws-client
if [[ "${TSN_NEEDS_CLIENTS:-0}" == 1 ]]; then
    tsn_find_program TSN_CAPTURE telesono-capture
    tsn_find_program TSN_VIEW telesono-view
    tsn_find_program TSN_FRAME_CHECK tsn-frame-check
    TSN_CLIPS=${TSN_CLIPS:-$(cd "$(dirname "${BASH_SOURCE[0]}")/../data/ultrasound" && pwd)}
fi

# ---- cleanup ----

# stop_pid PID: SIGTERM, up to 5 s, then SIGKILL; reaps it and sets
# STOPPED_STATUS to its exit status. (Not in $(...): a subshell cannot reap.)
stop_pid() {
    local pid=$1 i rc=0
    kill -TERM "$pid" 2>/dev/null || true
    for ((i = 0; i < 50; i++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        say "pid $pid ignored SIGTERM for 5 s: killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    wait "$pid" 2>/dev/null || rc=$?
    STOPPED_STATUS=$rc
}

tsn_cleanup() {
    local status=$? name rc
    set +e
    trap - EXIT INT TERM
    for name in "${!TSN_CLIENT_PIDS[@]}"; do
        if kill -0 "${TSN_CLIENT_PIDS[$name]}" 2>/dev/null; then
            stop_pid "${TSN_CLIENT_PIDS[$name]}"
        fi
    done
    if [[ -n "$RELAY_PID" ]]; then
        if kill -0 "$RELAY_PID" 2>/dev/null; then
            stop_pid "$RELAY_PID"
            rc=$STOPPED_STATUS
            # 0: clean shutdown; 143: no SIGTERM handler. Anything else is a
            # crash or a sanitizer report at exit.
            if [[ "$rc" != 0 && "$rc" != 143 && $status -eq 0 ]]; then
                say "FAIL: telesono-relay exited with status $rc on SIGTERM"
                status=1
            fi
        else
            wait "$RELAY_PID" 2>/dev/null
            rc=$?
            if [[ $status -eq 0 ]]; then
                say "FAIL: telesono-relay was no longer running at the end (status $rc)"
                status=1
            fi
        fi
    fi
    if [[ $status -ne 0 ]]; then
        if [[ -s "$TEST_TMP/relay.log" ]]; then
            say "last lines of the relay log ($TEST_TMP/relay.log):"
            tail -n 40 "$TEST_TMP/relay.log" >&2
        fi
        say "FAILED (status $status); logs kept in $TEST_TMP"
    elif [[ "${TSN_KEEP_TMP:-0}" == 1 ]]; then
        say "PASSED; logs kept in $TEST_TMP"
    else
        rm -rf "$TEST_TMP"
        say "PASSED"
    fi
    exit "$status"
}
trap tsn_cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# ---- ports ----

tsn_port_in_use() { # PORT
    command -v ss >/dev/null || return 1
    [[ -n "$(ss -Hantu "sport = :$1" 2>/dev/null)" ]]
}

pick_port() { # prints a port that no TCP or UDP socket uses now
    local p i
    for ((i = 0; i < 100; i++)); do
        p=$((20000 + RANDOM % 40000))
        if ! tsn_port_in_use "$p"; then
            echo "$p"
            return 0
        fi
    done
    fail "no free port found"
}

# ---- relay ----

# Starts telesono-relay in a fresh data directory and waits for its "ready"
# line. Sets RELAY_PID RELAY_PORT RELAY_MEDIA_PORT RELAY_URL RELAY_DIR
# RELAY_SECRET. Extra arguments go to the relay.
# shellcheck disable=SC2120 # the arguments are optional
start_relay() {
    local attempt i
    RELAY_DIR="$TEST_TMP/relay-data"
    for attempt in 1 2 3; do
        rm -rf "$RELAY_DIR"
        mkdir -p "$RELAY_DIR"
        RELAY_PORT=$(pick_port)
        RELAY_MEDIA_PORT=$(pick_port)
        [[ "$RELAY_PORT" != "$RELAY_MEDIA_PORT" ]] || continue
        say "starting telesono-relay: https 127.0.0.1:$RELAY_PORT, media udp $RELAY_MEDIA_PORT"
        "$TSN_RELAY" --listen "127.0.0.1:$RELAY_PORT" --media-port "$RELAY_MEDIA_PORT" \
            --data-dir "$RELAY_DIR" --log-level debug "$@" 2>"$TEST_TMP/relay.log" &
        RELAY_PID=$!
        for ((i = 0; i < 100; i++)); do
            if grep -q "telesono-relay ready" "$TEST_TMP/relay.log" 2>/dev/null; then
                RELAY_URL="https://127.0.0.1:$RELAY_PORT"
                RELAY_SECRET="$RELAY_DIR/secret"
                [[ -s "$RELAY_SECRET" ]] || fail "the relay is ready but wrote no $RELAY_SECRET"
                say "relay ready (pid $RELAY_PID)"
                return 0
            fi
            kill -0 "$RELAY_PID" 2>/dev/null || break
            sleep 0.1
        done
        if kill -0 "$RELAY_PID" 2>/dev/null; then
            fail "telesono-relay printed no 'telesono-relay ready' line within 10 s"
        fi
        wait "$RELAY_PID" 2>/dev/null || true
        RELAY_PID=""
        say "telesono-relay exited during start-up (attempt $attempt):"
        tail -n 20 "$TEST_TMP/relay.log" >&2
        cp "$TEST_TMP/relay.log" "$TEST_TMP/relay.failed-start-$attempt.log"
    done
    fail "telesono-relay did not start"
}

# restart_relay [ARGS...]: kills the relay with SIGKILL (a crash, no clean
# goodbye to anyone) and starts it again on the same ports and data
# directory (same certificate and secret), as a supervisor would.
restart_relay() {
    local i
    kill -KILL "$RELAY_PID" 2>/dev/null || true
    wait "$RELAY_PID" 2>/dev/null || true
    cat "$TEST_TMP/relay.log" >>"$TEST_TMP/relay.before-restart.log"
    say "relay killed; starting it again on 127.0.0.1:$RELAY_PORT"
    for ((i = 0; i < 50; i++)); do
        "$TSN_RELAY" --listen "127.0.0.1:$RELAY_PORT" --media-port "$RELAY_MEDIA_PORT" \
            --data-dir "$RELAY_DIR" --log-level debug "$@" 2>"$TEST_TMP/relay.log" &
        RELAY_PID=$!
        local j
        for ((j = 0; j < 50; j++)); do
            grep -q "telesono-relay ready" "$TEST_TMP/relay.log" 2>/dev/null && return 0
            kill -0 "$RELAY_PID" 2>/dev/null || break
            sleep 0.1
        done
        wait "$RELAY_PID" 2>/dev/null || true
        sleep 0.1 # the port may still be held for a moment
    done
    fail "telesono-relay did not restart on port $RELAY_PORT"
}

assert_relay_alive() {
    if [[ -z "$RELAY_PID" ]] || ! kill -0 "$RELAY_PID" 2>/dev/null; then
        fail "telesono-relay is not running any more"
    fi
}

# mint_token ROOM ROLE SUB [TTL_S [SECRET_FILE]]: prints a JWT
mint_token() {
    local room=$1 role=$2 sub=$3 ttl=${4:-600} secret=${5:-$RELAY_SECRET} token
    token=$("$TSN_TOKEN" --secret-file "$secret" --room "$room" --role "$role" --sub "$sub" \
        --ttl "$ttl") || fail "telesono-token failed for room=$room role=$role sub=$sub"
    token=$(echo "$token" | tr -d '[:space:]')
    [[ -n "$token" ]] || fail "telesono-token printed nothing"
    echo "$token"
}

# ---- HTTP ----

# http_request METHOD PATH [TOKEN [CONTENT_TYPE [BODY_FILE]]]: sets
# HTTP_STATUS and HTTP_BODY; fails the test on transport errors.
http_request() {
    local method=$1 path=$2 token=${3:-} ctype=${4:-} body_file=${5:-}
    local args=(-X "$method" -w -o "$TEST_TMP/http_body")
    [[ -n "$token" ]] && args+=(-a "$token")
    [[ -n "$ctype" ]] && args+=(-T "$ctype")
    [[ -n "$body_file" ]] && args+=(-d "@$body_file")
    HTTP_STATUS=$("$TSN_HTTPS_GET" "${args[@]}" "$RELAY_URL$path") ||
        fail "$method $path: no HTTP response"
    HTTP_BODY=$(cat "$TEST_TMP/http_body")
}

assert_healthz() {
    http_request GET /healthz
    [[ "$HTTP_STATUS" == 200 ]] || fail "GET /healthz answered $HTTP_STATUS: $HTTP_BODY"
}

# metric_sum NAME [LABEL_SUBSTRING]: sums every sample of NAME (all label
# sets, or those whose label text contains LABEL_SUBSTRING) from /metrics.
# Prints 0 when the metric is absent; fails if /metrics does not answer 200.
metric_sum() {
    local name=$1 filter=${2:-}
    http_request GET /metrics
    [[ "$HTTP_STATUS" == 200 ]] || fail "GET /metrics answered $HTTP_STATUS"
    printf '%s\n' "$HTTP_BODY" | awk -v name="$name" -v filter="$filter" '
        /^#/ { next }
        {
            series = $0
            sub(/[ \t].*$/, "", series)        # name{labels} (no spaces in our labels)
            base = series
            sub(/\{.*$/, "", base)
            if (base != name) next
            if (filter != "" && index(series, filter) == 0) next
            sum += $2
        }
        END { printf "%.0f\n", sum }'
}

# wait_metric_at_least NAME MIN TIMEOUT_S [FILTER]: polls /metrics (counters
# may be published a little after the event); prints the last value.
wait_metric_at_least() {
    local name=$1 min=$2 timeout_s=$3 filter=${4:-} v i
    for ((i = 0; i <= timeout_s * 5; i++)); do
        v=$(metric_sum "$name" "$filter")
        ((v >= min)) && break
        sleep 0.2
    done
    echo "$v"
}

# ---- clients ----

# start_client NAME PROGRAM ARGS...: runs it in the background; its stdout
# (the JSON report) goes to $TEST_TMP/NAME.json, stderr to NAME.log.
# In sanitizer builds the GStreamer clients run without LeakSanitizer: GLib
# allocates in its library constructor and never frees it, which would turn
# every client's exit status into 23. The relay keeps leak checking.
start_client() {
    local name=$1
    shift
    ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" \
        "$@" >"$TEST_TMP/$name.json" 2>"$TEST_TMP/$name.log" &
    TSN_CLIENT_PIDS[$name]=$!
    say "started $name (pid $!)"
}

# finish_client NAME [EXPECTED_EXIT]: waits for it; fails unless it exited
# with EXPECTED_EXIT (default 0) and printed a JSON report.
finish_client() {
    local name=$1 expected=${2:-0} pid=${TSN_CLIENT_PIDS[$1]} rc=0
    wait "$pid" || rc=$?
    unset "TSN_CLIENT_PIDS[$name]"
    if [[ "$rc" != "$expected" ]]; then
        say "$name exited with $rc (expected $expected); its log:"
        tail -n 30 "$TEST_TMP/$name.log" >&2
        say "$name report: $(tail -n 1 "$TEST_TMP/$name.json" 2>/dev/null)"
        fail "$name exited with $rc"
    fi
    [[ -s "$TEST_TMP/$name.json" ]] || fail "$name printed no JSON report"
    say "$name: $(tail -n 1 "$TEST_TMP/$name.json")"
}

# finish_program NAME [EXPECTED_EXIT]: like finish_client for programs that
# write their statistics to a file (telesono-capture, telesono-view), not
# to stdout.
finish_program() {
    local name=$1 expected=${2:-0} pid=${TSN_CLIENT_PIDS[$1]} rc=0
    wait "$pid" || rc=$?
    unset "TSN_CLIENT_PIDS[$name]"
    if [[ "$rc" != "$expected" ]]; then
        say "$name exited with $rc (expected $expected); its log:"
        tail -n 30 "$TEST_TMP/$name.log" >&2
        fail "$name exited with $rc"
    fi
    say "$name exited with $rc"
}

# stop_client NAME: ends a client (SIGTERM, SIGKILL after 5 s) without
# checking its exit status.
stop_client() {
    stop_pid "${TSN_CLIENT_PIDS[$1]}"
    unset "TSN_CLIENT_PIDS[$1]"
    say "$1 stopped: $(tail -n 1 "$TEST_TMP/$1.json" 2>/dev/null)"
}

# signal_client NAME SIGNAL: e.g. USR1 to start a measured run.
signal_client() {
    kill "-$2" "${TSN_CLIENT_PIDS[$1]}" || fail "cannot signal $1"
}

# end_client NAME: SIGTERM (the clients end their session normally on it),
# then finish_client NAME 0.
end_client() {
    signal_client "$1" TERM
    finish_client "$1" 0
}

# run_client NAME EXPECTED_EXIT PROGRAM ARGS...: start + finish.
run_client() {
    local name=$1 expected=$2
    shift 2
    start_client "$name" "$@"
    finish_client "$name" "$expected"
}

# wait_for_log NAME PATTERN TIMEOUT_S: waits until client NAME's stderr
# contains PATTERN (grep -E); fails if it exits or the time runs out.
wait_for_log() {
    local name=$1 pattern=$2 timeout_s=$3 pid=${TSN_CLIENT_PIDS[$1]} i
    for ((i = 0; i < timeout_s * 10; i++)); do
        grep -Eq "$pattern" "$TEST_TMP/$name.log" 2>/dev/null && return 0
        if ! kill -0 "$pid" 2>/dev/null; then
            tail -n 30 "$TEST_TMP/$name.log" >&2
            fail "$name exited before logging '$pattern'"
        fi
        sleep 0.1
    done
    tail -n 30 "$TEST_TMP/$name.log" >&2
    fail "$name did not log '$pattern' within $timeout_s s"
}

# report NAME KEY: a field of client NAME's JSON report ("null" if absent).
report() {
    local line
    line=$(tail -n 1 "$TEST_TMP/$1.json")
    if command -v jq >/dev/null; then
        printf '%s\n' "$line" | jq -r --arg k "$2" '.[$k]'
    else # flat objects of numbers, booleans, null and simple strings only
        printf '%s\n' "$line" | sed -n "s/.*\"$2\":\(\"[^\"]*\"\|[^,}]*\).*/\1/p" | tr -d '"' |
            grep . || echo null
    fi
}

# jget FILE JQ_EXPR: one value from a JSON file (jq -r); fails if unreadable.
jget() {
    jq -r "$2" "$1" 2>/dev/null || fail "cannot read $2 from $1"
}

# ---- assertions ----

assert_int() { # VALUE WHAT
    [[ "$1" =~ ^-?[0-9]+$ ]] || fail "$2: expected a number, got '$1'"
}

assert_eq() { # ACTUAL EXPECTED WHAT
    [[ "$1" == "$2" ]] || fail "$3: expected $2, got $1"
    say "ok: $3 = $1"
}

assert_ge() { # ACTUAL MIN WHAT
    assert_int "$1" "$3"
    (($1 >= $2)) || fail "$3: expected >= $2, got $1"
    say "ok: $3 = $1 (>= $2)"
}

assert_gt() { # ACTUAL MIN WHAT
    assert_int "$1" "$3"
    (($1 > $2)) || fail "$3: expected > $2, got $1"
    say "ok: $3 = $1 (> $2)"
}

assert_le() { # ACTUAL MAX WHAT
    assert_int "$1" "$3"
    (($1 <= $2)) || fail "$3: expected <= $2, got $1"
    say "ok: $3 = $1 (<= $2)"
}

assert_contains() { # HAYSTACK NEEDLE WHAT
    [[ "$1" == *"$2"* ]] || fail "$3: expected it to contain '$2', got: $1"
    say "ok: $3 contains '$2'"
}

# percent_of N P: ceil(N * P / 100)
percent_of() {
    echo $((($1 * $2 + 99) / 100))
}
