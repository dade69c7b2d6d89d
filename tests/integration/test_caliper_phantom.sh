#!/usr/bin/env bash
# A caliper measured on the phantom matches the true distance within one
# pixel's worth of millimetres, end to end: telesono-capture's phantom
# (640x480, 80 mm deep: two point targets exactly 20 mm apart,
# capture/phantom.h) -> relay -> headless telesono-view dumping the decoded
# luma (--dump-gray: the picture as decoded, no overlay). The targets are
# found in a dumped frame from its pixels alone (tsn-frame-check --blobs:
# isolated bright spots, sub-pixel centroids); a clinician (tsn-ws-client)
# draws a caliper between the two centroids, in normalised coordinates
# ((column + 0.5) / width, (row + 0.5) / height: a pixel's centre); the
# relay measures it from the stream's pixel spacing, which the clinician's
# welcome carries. Asserts |mm - 20| <= the pixel spacing, and that the
# relay's figure is the one the welcome's metadata gives for those points
# (to its 2 decimals). Prints every number on the way.
TSN_NEEDS_CLIENTS=1
source "$(dirname "$0")/lib.sh"

ROOM=ward-caliper
TRUE_MM=20 # TSN_PHANTOM_TARGET_SEPARATION_MM
FC() { ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$TSN_FRAME_CHECK" "$@"; }

start_relay
CA="$RELAY_DIR/cert.pem"
CAP_TOKEN=$(mint_token "$ROOM" capture cart-1)
VIEW_TOKEN=$(mint_token "$ROOM" observer bedside)
DOC_TOKEN=$(mint_token "$ROOM" clinician dr-kim)
FRAMES="$TEST_TMP/frames"

start_client view "$TSN_VIEW" --relay "$RELAY_URL" --token "$VIEW_TOKEN" --ca "$CA" --headless \
    --latency-ms 200 --stats-json "$TEST_TMP/view.stats.json" --dump-frames "$FRAMES" --dump-gray
start_client capture "$TSN_CAPTURE" --relay "$RELAY_URL" --token "$CAP_TOKEN" --ca "$CA" \
    --size 640x480 --fps 15 --stats-json "$TEST_TMP/capture.stats.json"
wait_for_log capture "publishing to the relay" 20
wait_for_log view "first frame decoded" 20
# A frame well into the stream (the first ones may still be refining).
for ((i = 0; i < 100; i++)); do
    n=$(ls "$FRAMES" | grep -cE '^frame-[0-9]+-[0-9]+\.png$' || true)
    ((n >= 20)) && break
    sleep 0.1
done
assert_ge "$n" 20 "frames dumped"
FRAME="$FRAMES/$(ls "$FRAMES" | grep -E '^frame-[0-9]+-[0-9]+\.png$' | sort | sed -n 20p)"
FC --blobs "$FRAME" >"$TEST_TMP/blobs.json" || fail "tsn-frame-check --blobs $FRAME failed"
say "spots in $(basename "$FRAME"): $(cat "$TEST_TMP/blobs.json")"
assert_eq "$(jget "$TEST_TMP/blobs.json" .count)" 2 "isolated bright spots (the point targets)"
W=$(jget "$TEST_TMP/blobs.json" .width)
H=$(jget "$TEST_TMP/blobs.json" .height)
# Top target first.
read -r X1 Y1 X2 Y2 < <(jq -r '.blobs | sort_by(.y) | "\(.[0].x) \(.[0].y) \(.[1].x) \(.[1].y)"' \
    "$TEST_TMP/blobs.json")
read -r NX1 NY1 NX2 NY2 < <(awk -v w="$W" -v h="$H" -v x1="$X1" -v y1="$Y1" -v x2="$X2" -v y2="$Y2" \
    'BEGIN { printf "%.6f %.6f %.6f %.6f\n", (x1+0.5)/w, (y1+0.5)/h, (x2+0.5)/w, (y2+0.5)/h }')
say "targets at pixel ($X1, $Y1) and ($X2, $Y2) of ${W}x${H}: normalised ($NX1, $NY1) ($NX2, $NY2)"

CALIPER="{\"type\":\"draw\",\"item\":{\"kind\":\"caliper\",\"points\":[[$NX1,$NY1],[$NX2,$NY2]],\"color\":\"#00ff00\"},\"id\":7}"
run_client doc 0 "$TSN_WS_CLIENT" --url "wss://127.0.0.1:$RELAY_PORT/ws" \
    --send "{\"type\":\"join\",\"token\":\"$DOC_TOKEN\"}" --send "$CALIPER" --wait-ms 1500
WELCOME=$(jq -c 'select(.type=="welcome")' "$TEST_TMP/doc.json")
EVENT=$(jq -c 'select(.type=="event" and .op=="draw" and .id==7)' "$TEST_TMP/doc.json")
[[ -n "$EVENT" ]] || fail "no draw event echoed to the clinician: $(cat "$TEST_TMP/doc.json")"
SX=$(jq -r .stream.pixel_spacing_mm.x <<<"$WELCOME")
SY=$(jq -r .stream.pixel_spacing_mm.y <<<"$WELCOME")
SW=$(jq -r .stream.width <<<"$WELCOME")
SH=$(jq -r .stream.height <<<"$WELCOME")
MM=$(jq -r .item.mm <<<"$EVENT")
say "welcome stream: ${SW}x${SH}, pixel spacing $SX x $SY mm; the relay's caliper: $(jq -c .item <<<"$EVENT")"
[[ "$MM" =~ ^[0-9]+(\.[0-9]+)?$ ]] || fail "the echoed caliper has no mm: $EVENT"
assert_eq "$SW" "$W" "stream width (welcome) vs the dumped frame's"
assert_eq "$SH" "$H" "stream height (welcome) vs the dumped frame's"
# The relay's formula (docs/protocol.md) on the points it echoed, and the
# verdict: within one pixel's worth of millimetres of the true 20 mm.
read -r EXPECT ERR PX_MM ERR_PX OK < <(jq -r --argjson sx "$SX" --argjson sy "$SY" \
    --argjson w "$SW" --argjson h "$SH" --argjson mm "$MM" --argjson true_mm "$TRUE_MM" '
    .item.points as $p
    | ((($p[1][0] - $p[0][0]) * $w * $sx) as $dx | (($p[1][1] - $p[0][1]) * $h * $sy) as $dy
       | (($dx * $dx + $dy * $dy) | sqrt)) as $expect
    | ([$sx, $sy] | max) as $px_mm
    | (($mm - $true_mm) | fabs) as $err
    | "\($expect) \($err) \($px_mm) \($err / $px_mm) \(if $err <= $px_mm then 1 else 0 end)"' \
    <<<"$EVENT")
say "caliper: relay $MM mm (formula on its points: $EXPECT mm), true $TRUE_MM mm, error $ERR mm" \
    "= $ERR_PX px (one pixel = $PX_MM mm)"
awk -v a="$MM" -v b="$EXPECT" 'BEGIN { exit !(a - b <= 0.0051 && b - a <= 0.0051) }' ||
    fail "the relay's $MM mm is not hypot(dx*w*sx, dy*h*sy) = $EXPECT mm on its own points"
say "ok: the relay's figure is the protocol's formula on the welcome's metadata"
assert_eq "$OK" 1 "caliper within one pixel's worth ($PX_MM mm) of $TRUE_MM mm (got $MM mm)"

signal_client capture TERM
finish_program capture 0
end_client view
assert_relay_alive
