#!/usr/bin/env bash
# Browser test 2, wrong token: with the phantom live in the room, a page
# given a clinician token signed with another secret (by the link, then by
# the join form) must show a clear error (#error matches /refused/i), state
# "error", and not retry. The relay must have refused it (401) and must not
# see the page join. Checks in wrong_token.mjs.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/browser_lib.sh"

start_relay
start_phantom ward4 bedside-cap
head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TEST_TMP/other-secret"
BAD_TOKEN=$(mint_token ward4 clinician dr-wrong 600 "$TEST_TMP/other-secret")

run_browser wrong_token wrong_token.mjs --url "$(page_base)" --room ward4 --token "$BAD_TOKEN"
say "link: $(jq -c .link "$TEST_TMP/wrong_token.json")"
say "form: $(jq -c .form "$TEST_TMP/wrong_token.json")"

# The relay's side: no subscriber session was created for the page.
subs=$(grep -c "subscriber session created" "$TEST_TMP/relay.log" || true)
assert_eq "$subs" 0 "subscriber sessions created for a refused token"
assert_relay_alive
stop_client capture
