#!/usr/bin/env bash
# The review page's pure logic without a browser (review_model.mjs): frame
# of a media time and seek time of a frame, the annotation state at a frame
# (initial snapshot + events with frame <= k, in seq order, through the live
# viewer's AnnotationState), malformed annotations.json refused, token
# claims, the sentences for refusals. Needs only node.
# shellcheck source-path=SCRIPTDIR
source "$(dirname "$0")/browser_lib.sh"

node "$BROWSER_DIR/review_model.mjs" >"$TEST_TMP/review_model.json" ||
    fail "review_model.mjs: $(cat "$TEST_TMP/review_model.json")"
say "review_model: $(cat "$TEST_TMP/review_model.json")"
[[ $(jget "$TEST_TMP/review_model.json" .passed) == true ]] || fail "review_model.mjs did not pass"
