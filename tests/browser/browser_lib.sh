# shellcheck shell=bash source-path=SCRIPTDIR disable=SC2034 # variables used by the sourcing scripts
# Shared set-up for the browser test drivers (source it; do not run it).
#
# Brings in tests/integration/lib.sh (the relay, tokens, clients, cleanup
# and assertions), then checks what the browser scripts need: node, the
# npm packages of tests/browser (npm ci, which scripts/test.sh runs before
# entering the network namespace) and Debian's Chromium. Anything missing
# fails the test: a browser test is never skipped.
#
# Environment: as for lib.sh, plus
#   TSN_CHROMIUM   the browser (default /usr/bin/chromium)
#   TSN_ARTIFACTS  where screenshots are kept (default: the build dir's artifacts/)
#   TSN_WEB_URL    open the page from here instead of the relay's / (a stub
#                  web app on another port, for working on the harness);
#                  {port} in it is replaced by the relay's port

TSN_NEEDS_CLIENTS=1
# shellcheck source=../integration/lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/../integration/lib.sh"

BROWSER_DIR=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
TSN_CHROMIUM=${TSN_CHROMIUM:-/usr/bin/chromium}
export TSN_CHROMIUM
ARTIFACTS=${TSN_ARTIFACTS:-$(dirname "$TSN_RELAY")/artifacts}

command -v node >/dev/null || fail "node is missing (scripts/bootstrap.sh installs nodejs)"
[[ -d "$BROWSER_DIR/node_modules/playwright-core" ]] ||
    fail "playwright-core is missing: run 'npm ci' in tests/browser (scripts/test.sh does)"
[[ -x "$TSN_CHROMIUM" ]] || fail "$TSN_CHROMIUM is missing (scripts/bootstrap.sh installs chromium)"

# start_phantom ROOM SUB [ARGS...]: telesono-capture with its phantom as
# client "capture" (a capture token for ROOM and SUB in a file), and waits
# until it publishes.
start_phantom() {
    local room=$1 sub=$2
    shift 2
    mint_token "$room" capture "$sub" >"$TEST_TMP/capture.token"
    chmod 600 "$TEST_TMP/capture.token"
    start_client capture "$TSN_CAPTURE" --relay "$RELAY_URL" --token-file "$TEST_TMP/capture.token" \
        --ca "$RELAY_DIR/cert.pem" --stats-json "$TEST_TMP/capture.stats.json" "$@"
    wait_for_log capture "publishing to the relay" 20
}

# page_base: the URL the browser opens (the relay serves the app at /).
page_base() {
    local url=${TSN_WEB_URL:-$RELAY_URL/}
    echo "${url//\{port\}/$RELAY_PORT}"
}

# run_browser NAME SCRIPT ARGS...: runs tests/browser/SCRIPT with node in the
# foreground; its JSON report goes to $TEST_TMP/NAME.json, its progress to
# stderr (shown by ctest), the page's console to $TEST_TMP/NAME.console.log.
# Fails the test if the script fails.
run_browser() {
    local name=$1 script=$2 rc=0
    shift 2
    say "running $script"
    node "$BROWSER_DIR/$script" --log "$TEST_TMP/$name.console.log" "$@" \
        >"$TEST_TMP/$name.json" || rc=$?
    say "$name report: $(cat "$TEST_TMP/$name.json" 2>/dev/null)"
    if [[ $rc -ne 0 ]]; then
        if [[ -s "$TEST_TMP/$name.console.log" ]]; then
            say "last lines of the page's console ($TEST_TMP/$name.console.log):"
            tail -n 30 "$TEST_TMP/$name.console.log" >&2
        fi
        fail "$script failed (exit $rc)"
    fi
}
