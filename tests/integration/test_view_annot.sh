#!/usr/bin/env bash
# The bedside shows the remote guidance, and a freeze holds the picture, end
# to end on loopback: telesono-capture (phantom) -> relay -> a headless
# telesono-view (observer, RGB --dump-frames), with a clinician on the
# WebSocket (tsn-ws-client) who draws, freezes and unfreezes. Checks:
#   - a frame captured well after the draw event has the marks' pixels: the
#     arrow's colour at points along its shaft and the caliper's along its
#     line (tsn-frame-check --colour-at); a frame captured well before it
#     has none of either colour there;
#   - telesono-view's stats show the marks (annotations.seq/marks/events);
#   - freeze: capture's stats say frozen, the relay's event reached the
#     viewer (annotations.frozen, the banner's colour at the top); every
#     frame capture sent during the freeze is the same source frame (one
#     index in its --frame-log, new capture times) while before it each was
#     a new one; consecutive frames dumped during the freeze look the same
#     (at most 100 pixels more than 32 luma levels apart: the encoder only
#     refines a still picture) while the moving phantom's do not (thousands
#     of pixels); after unfreeze capture's stats say not frozen and
#     consecutive frames differ again. Capture runs with keyframes 30 s
#     apart: after a keyframe the encoder re-sends the picture at a lower
#     quality and refines it again over ~3 frames (measured: up to 5,600
#     pixels over 32 apart), which would look like motion; a keyframe asked
#     for by the viewer (PLI) is allowed for.
# "Well before/after": a margin of TSN_MARGIN_MS (1 s) of capture time
# around the event's relay time covers the capture-to-decode latency (the
# viewer draws the state it has when a frame is decoded).
TSN_NEEDS_CLIENTS=1
source "$(dirname "$0")/lib.sh"

ROOM=ward-annot
MARGIN_MS=${TSN_MARGIN_MS:-1000}
ARROW_COLOUR=ff00ff
CALIPER_COLOUR=00ff00
BANNER_COLOUR=ffd400 # viewer/overlay.c BANNER_RGB
FC() { ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$TSN_FRAME_CHECK" "$@"; }

start_relay
CA="$RELAY_DIR/cert.pem"
CAP_TOKEN=$(mint_token "$ROOM" capture cart-1)
VIEW_TOKEN=$(mint_token "$ROOM" observer bedside)
DOC_TOKEN=$(mint_token "$ROOM" clinician dr-lee)
FRAMES="$TEST_TMP/frames"

start_client view "$TSN_VIEW" --relay "$RELAY_URL" --token "$VIEW_TOKEN" --ca "$CA" --headless \
    --latency-ms 200 --stats-json "$TEST_TMP/view.stats.json" --dump-frames "$FRAMES"
start_client capture "$TSN_CAPTURE" --relay "$RELAY_URL" --token "$CAP_TOKEN" --ca "$CA" \
    --fps 15 --keyframe-interval 30 --stats-json "$TEST_TMP/capture.stats.json" --frame-log "$TEST_TMP/sent.jsonl"
wait_for_log capture "publishing to the relay" 20
wait_for_log view "first frame decoded" 20

# The clinician: joins, then draws / freezes / unfreezes on the script's signals.
GO_DRAW="$TEST_TMP/go-draw" GO_FREEZE="$TEST_TMP/go-freeze" GO_UNFREEZE="$TEST_TMP/go-unfreeze"
GO_END="$TEST_TMP/go-end"
ARROW='{"type":"draw","item":{"kind":"arrow","points":[[0.15,0.2],[0.85,0.2]],"color":"#FF00FF"},"id":1}'
CALIPER='{"type":"draw","item":{"kind":"caliper","points":[[0.3,0.85],[0.7,0.85]],"color":"#00ff00"},"id":2}'
start_client doc "$TSN_WS_CLIENT" --url "wss://127.0.0.1:$RELAY_PORT/ws" \
    --send "{\"type\":\"join\",\"token\":\"$DOC_TOKEN\"}" --wait-file "$GO_DRAW" \
    --send "$ARROW" --send "$CALIPER" --wait-file "$GO_FREEZE" \
    --send '{"type":"freeze","frozen":true,"id":3}' --wait-file "$GO_UNFREEZE" \
    --send '{"type":"freeze","frozen":false,"id":4}' --wait-file "$GO_END" --wait-ms 200

# event OP [COND [FIELD]]: the relay time (or FIELD) of the newest OP event
# the clinician received for which the jq condition COND holds, waiting up
# to 10 s for one.
event() {
    local op=$1 cond=${2:-true} field=${3:-.time} i v
    for ((i = 0; i < 100; i++)); do
        v=$(jq -r --arg op "$op" "select(.type==\"event\" and .op==\$op and ($cond)) | $field" \
            "$TEST_TMP/doc.json" 2>/dev/null | tail -n 1)
        [[ -n "$v" ]] && {
            echo "$v"
            return 0
        }
        sleep 0.1
    done
    fail "no '$op' event reached the clinician: $(cat "$TEST_TMP/doc.json")"
}
# stat FILE EXPR TIMEOUT_S WANT: waits until jq EXPR of FILE prints WANT.
wait_stat() {
    local file=$1 expr=$2 timeout_s=$3 want=$4 i v=""
    for ((i = 0; i < timeout_s * 10; i++)); do
        v=$(jq -r "$expr" "$file" 2>/dev/null || true)
        [[ "$v" == "$want" ]] && return 0
        sleep 0.1
    done
    fail "$file: $expr is '$v', expected '$want' within $timeout_s s"
}
# frames_between FROM_MS TO_MS: dumped frames captured in [FROM, TO) (Unix
# ms), in decode order.
frames_between() {
    local f cap
    for f in $(ls "$FRAMES" | grep -E '^frame-[0-9]+-[0-9]+\.png$' | sort); do
        cap=${f##*-}
        cap=$((${cap%.png} / 1000))
        ((cap >= $1 && cap < $2)) && echo "$FRAMES/$f"
    done
    return 0
}
now_ms() { date +%s%3N; }
# colour_hits FILE COLOUR POINTS...: how many of the points have the colour
# (within 1 pixel, no channel more than 24 off).
colour_hits() {
    local file=$1 colour=$2 args=() p
    shift 2
    for p in "$@"; do args+=(--at "$p"); done
    FC --colour-at "$file" --colour "$colour" "${args[@]}" | tee -a "$TEST_TMP/colour.jsonl" |
        jq -r .matched
}
ARROW_POINTS=(0.2,0.2 0.3,0.2 0.4,0.2 0.5,0.2 0.6,0.2 0.7,0.2 0.78,0.2)
CALIPER_POINTS=(0.32,0.85 0.4,0.85 0.5,0.85 0.6,0.85 0.68,0.85)

# ---- marks ----
sleep $((MARGIN_MS / 1000 + 1)) # frames from before the draw
touch "$GO_DRAW"
T_DRAW=$(event draw '.item.kind=="arrow"')
event draw '.item.kind=="caliper"' >/dev/null
say "arrow drawn at relay time $T_DRAW (seq $(event draw '.item.kind=="arrow"' .seq))"
wait_stat "$TEST_TMP/view.stats.json" .annotations.marks 10 2
sleep $((MARGIN_MS / 1000 + 1))
T_NOW=$(now_ms)
mapfile -t before < <(frames_between 0 $((T_DRAW - MARGIN_MS)))
mapfile -t after < <(frames_between $((T_DRAW + MARGIN_MS)) "$T_NOW")
assert_ge "${#before[@]}" 5 "frames captured before the draw"
assert_ge "${#after[@]}" 5 "frames captured after the draw"
last_before=${before[-1]}
for f in "${after[0]}" "${after[-1]}"; do
    assert_eq "$(colour_hits "$f" $ARROW_COLOUR "${ARROW_POINTS[@]}")" ${#ARROW_POINTS[@]} \
        "points along the arrow in #$ARROW_COLOUR in $(basename "$f")"
    assert_eq "$(colour_hits "$f" $CALIPER_COLOUR "${CALIPER_POINTS[@]}")" ${#CALIPER_POINTS[@]} \
        "points along the caliper in #$CALIPER_COLOUR in $(basename "$f")"
done
assert_eq "$(colour_hits "$last_before" $ARROW_COLOUR "${ARROW_POINTS[@]}")" 0 \
    "arrow-coloured points in $(basename "$last_before") (before the draw)"
assert_eq "$(colour_hits "$last_before" $CALIPER_COLOUR "${CALIPER_POINTS[@]}")" 0 \
    "caliper-coloured points in $(basename "$last_before") (before the draw)"
# The bedside picture with the remote marks, kept as an artifact.
ARTIFACTS=${TSN_ARTIFACTS:-$(dirname "$TSN_VIEW")/artifacts}
mkdir -p "$ARTIFACTS" && cp "${after[-1]}" "$ARTIFACTS/view-annotations.png"
S="$TEST_TMP/view.stats.json"
say "view annotations: $(jq -c .annotations "$S")"
assert_eq "$(jget "$S" .annotations.marks)" 2 "marks in telesono-view's state"
assert_ge "$(jget "$S" .annotations.seq)" 2 "telesono-view's annotation seq"
assert_ge "$(jget "$S" .annotations.events)" 2 "events telesono-view applied"
assert_ge "$(jget "$S" .annotations.frames_drawn)" 5 "frames telesono-view drew marks on"

# ---- freeze ----
# diff_pairs FILES...: prints "SAME TOTAL MIN_PSNR IDENTICAL": of TOTAL pairs of
# consecutive frames, SAME look the same (at most 100 pixels more than 32
# luma levels apart: a codec's refinement of one picture, not motion).
diff_pairs() {
    local same=0 total=0 identical=0 i d min=100
    for ((i = 1; i < $#; i++)); do
        d=$(FC --diff "${!i}" "${@:i+1:1}")
        echo "$d" >>"$TEST_TMP/diff.jsonl"
        total=$((total + 1))
        if jq -e '.over_32 <= 100' <<<"$d" >/dev/null; then
            same=$((same + 1))
        fi
        [[ $(jq -r .differing <<<"$d") == 0 ]] && identical=$((identical + 1))
        min=$(jq -r --argjson m "$min" '[.psnr, $m] | min' <<<"$d")
    done
    echo "$same $total $min $identical"
}
# sent_indexes FROM_MS TO_MS: "ENTRIES DISTINCT_INDEXES" of capture's frame
# log over capture times [FROM, TO).
sent_indexes() {
    jq -rs --argjson a "$(($1 * 1000))" --argjson b "$(($2 * 1000))" \
        '[.[] | select(.capture_us >= $a and .capture_us < $b) | .index] |
         "\(length) \(unique | length)"' "$TEST_TMP/sent.jsonl"
}
mapfile -t live < <(frames_between $((T_DRAW + MARGIN_MS)) "$T_NOW")
read -r same total min identical <<<"$(diff_pairs "${live[@]: -12}")"
say "live: $same of $total consecutive pairs alike, $identical identical (lowest PSNR $min dB)"
assert_le "$same" 1 "alike consecutive pairs while live"
read -r n distinct <<<"$(sent_indexes $((T_DRAW + MARGIN_MS)) "$T_NOW")"
assert_ge "$n" 10 "frames capture sent while live"
assert_eq "$distinct" "$n" "distinct source frames among the $n sent while live"

touch "$GO_FREEZE"
T_FREEZE=$(event freeze '.frozen==true')
wait_for_log capture "the picture is frozen by dr-lee" 10
wait_stat "$TEST_TMP/capture.stats.json" .frozen 10 true
wait_stat "$S" .annotations.frozen 10 true
sleep $((MARGIN_MS / 1000 + 3))
T_NOW=$(now_ms)
mapfile -t frozen < <(frames_between $((T_FREEZE + MARGIN_MS)) "$T_NOW")
assert_ge "${#frozen[@]}" 20 "frames captured during the freeze"
# The encoder refines a still picture over a few frames (and re-sends it
# whole at each keyframe), so the last 15 frames are compared.
read -r same total min identical <<<"$(diff_pairs "${frozen[@]: -15}")"
say "frozen: $same of $total consecutive pairs alike, $identical identical (lowest PSNR $min dB)"
assert_ge "$same" $((total - 3)) "alike consecutive pairs while frozen"
# The banner's text (yellow on a dark band, centred at the top).
banner=$(FC --colour-at "${frozen[-1]}" --colour $BANNER_COLOUR --at 0.5,0.03 --radius 24 \
    --tolerance 40 | jq -r .matched)
assert_eq "$banner" 1 "the frozen banner's colour at the top of $(basename "${frozen[-1]}")"
assert_ge "$(jget "$TEST_TMP/capture.stats.json" .frames_held)" 20 "frames capture held"

touch "$GO_UNFREEZE"
T_UNFREEZE=$(event freeze '.frozen==false')
wait_for_log capture "the picture is unfrozen" 10
wait_stat "$TEST_TMP/capture.stats.json" .frozen 10 false
wait_stat "$S" .annotations.frozen 10 false
# From a margin after the relay's freeze event: capture learns of it a few
# ms later (more on a busy machine) and frames captured in between are live.
read -r n distinct <<<"$(sent_indexes $((T_FREEZE + MARGIN_MS)) "$T_UNFREEZE")"
assert_ge "$n" 20 "frames capture sent between the freeze (+${MARGIN_MS} ms) and unfreeze events"
assert_eq "$distinct" 1 "distinct source frames among the $n sent while frozen"
sleep $((MARGIN_MS / 1000 + 2))
T_NOW=$(now_ms)
mapfile -t thawed < <(frames_between $((T_UNFREEZE + MARGIN_MS)) "$T_NOW")
assert_ge "${#thawed[@]}" 10 "frames captured after the unfreeze"
read -r same total min identical <<<"$(diff_pairs "${thawed[@]: -10}")"
say "unfrozen: $same of $total consecutive pairs alike, $identical identical (lowest PSNR $min dB)"
assert_le "$same" 1 "alike consecutive pairs after the unfreeze"

touch "$GO_END"
finish_client doc 0
signal_client capture TERM
finish_program capture 0
end_client view
assert_relay_alive
say "capture: $(jq -c '{frozen, room_frozen, frames_held, frames_encoded}' "$TEST_TMP/capture.stats.json")"
say "view: $(jq -c '{frames_decoded, annotations}' "$S")"
