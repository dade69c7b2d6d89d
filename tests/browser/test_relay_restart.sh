#!/usr/bin/env bash
# Browser test 3, relay restart: a page shows the phantom; the relay is
# killed with SIGKILL (no goodbye to anyone) and started again on the same
# port, data directory and certificate (restart_relay in lib.sh). The page
# must recover by itself: new frames within 10 s of the kill, state "live",
# #error empty, one reconnect counted. Prints the recovery time. Checks in
# relay_restart.mjs; this script does the killing when the page says it is
# live (files in $TEST_TMP: browser.ready, browser.killed, browser.restarted).
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/browser_lib.sh"

now_ms() { date +%s%3N; }

start_relay
start_phantom ward5 bedside-cap
VIEW_TOKEN=$(mint_token ward5 clinician dr-restart)

start_client browser node "$BROWSER_DIR/relay_restart.mjs" --url "$(page_base)" --room ward5 \
    --token "$VIEW_TOKEN" --log "$TEST_TMP/browser.console.log" --ready "$TEST_TMP/browser.ready" \
    --killed "$TEST_TMP/browser.killed" --restarted "$TEST_TMP/browser.restarted"
for ((i = 0; i < 300; i++)); do
    [[ -s "$TEST_TMP/browser.ready" ]] && break
    kill -0 "${TSN_CLIENT_PIDS[browser]}" 2>/dev/null || break
    sleep 0.1
done
if [[ ! -s "$TEST_TMP/browser.ready" ]]; then
    cat "$TEST_TMP/browser.log" >&2
    fail "the page did not become live within 30 s"
fi
say "page live ($(cat "$TEST_TMP/browser.ready") frames decoded): killing the relay"

now_ms >"$TEST_TMP/browser.killed.tmp"
mv "$TEST_TMP/browser.killed.tmp" "$TEST_TMP/browser.killed"
# shellcheck disable=SC2119 # no extra relay arguments
restart_relay
now_ms >"$TEST_TMP/browser.restarted.tmp"
mv "$TEST_TMP/browser.restarted.tmp" "$TEST_TMP/browser.restarted"
say "relay back (pid $RELAY_PID) $(($(cat "$TEST_TMP/browser.restarted") - $(cat "$TEST_TMP/browser.killed"))) ms after the kill"

rc=0
wait "${TSN_CLIENT_PIDS[browser]}" || rc=$?
unset "TSN_CLIENT_PIDS[browser]"
cat "$TEST_TMP/browser.log" >&2
say "report: $(cat "$TEST_TMP/browser.json")"
if [[ $rc -ne 0 ]]; then
    say "last lines of the page's console:"
    tail -n 30 "$TEST_TMP/browser.console.log" >&2
    fail "relay_restart.mjs failed (exit $rc)"
fi
say "recovery: first new frame $(jget "$TEST_TMP/browser.json" .recoveryFromKillMs) ms after the kill" \
    "($(jget "$TEST_TMP/browser.json" .recoveryFromRestartMs) ms after the new relay was ready);" \
    "live with no error after $(jget "$TEST_TMP/browser.json" .normalAgainFromKillMs) ms"
assert_relay_alive
stop_client capture
