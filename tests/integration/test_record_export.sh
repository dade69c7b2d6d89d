#!/usr/bin/env bash
# Record 10 s of the bone clip through the real relay and export it, end to
# end on loopback: telesono-capture plays BoneUltrasound_L14 (820x616,
# 11.63 fps, looped) to the relay; a clinician turns recording on, draws a
# magenta arrow after ~5 s, and turns it off after 10 s. Checks:
#   - the relay's own counts (session.json, written by its recorder thread
#     from the RTP it logged) against the MP4 telesono-export remuxed,
#     measured by ffprobe: the frame count (-count_frames) equals the frames
#     recorded from the first keyframe on within one frame, and the
#     duration equals the recorded media span within one frame interval;
#     the MP4 is H.264 at 820x616 and was not re-encoded (its size is the
#     packet log's less the RTP and record headers: 85-100 %);
#   - annotations.json names the arrow's frame K (from its media.rtp_ts);
#   - the burned-in export (--burn-in) shows the arrow's colour along the
#     arrow in frame K and not in frame K-1 (frames decoded by ffmpeg,
#     pixels by tsn-frame-check), and has the same frame count.
TSN_NEEDS_CLIENTS=1
source "$(dirname "$0")/lib.sh"
tsn_find_program TSN_EXPORT telesono-export

ROOM=ward-bone
REC="$TEST_TMP/recordings"
CLIP="$TSN_CLIPS/BoneUltrasound_L14_ffv1.mkv"
[[ -r "$CLIP" ]] || fail "no clip $CLIP"
FC() { ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" "$TSN_FRAME_CHECK" "$@"; }
EXPORT() { ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0" timeout 100 "$TSN_EXPORT" "$@"; }

start_relay --recordings "$REC" --record-min-free-mb 0
CA="$RELAY_DIR/cert.pem"
CAP_TOKEN=$(mint_token "$ROOM" capture cart-1)
DOC_TOKEN=$(mint_token "$ROOM" clinician dr-bone)
start_client capture "$TSN_CAPTURE" --relay "$RELAY_URL" --token "$CAP_TOKEN" --ca "$CA" \
    --source "file:$CLIP"
wait_for_log capture "publishing to the relay" 20
sleep 1

ARROW='{"type":"draw","item":{"kind":"arrow","points":[[0.15,0.3],[0.85,0.3]],"color":"#ff00ff"},"id":2}'
run_client doc 0 "$TSN_WS_CLIENT" --url "wss://127.0.0.1:$RELAY_PORT/ws" \
    --send "{\"type\":\"join\",\"token\":\"$DOC_TOKEN\"}" --ignore-type presence \
    --send '{"type":"record","on":true,"id":1}' --hold-ms 5000 --send "$ARROW" \
    --hold-ms 5000 --send '{"type":"record","on":false,"id":3}'
SESSION=$(grep -m1 '"type":"recording","on":true' "$TEST_TMP/doc.json" | jq -r .session)
DIR="$REC/$ROOM/$SESSION"
for ((i = 0; i < 50; i++)); do
    [[ "$(jq -r .state "$DIR/session.json" 2>/dev/null)" == complete ]] && break
    sleep 0.1
done
assert_eq "$(jget "$DIR/session.json" .state)" complete "session state"
REC_FRAMES=$(jget "$DIR/session.json" .frames)
REC_MEDIA_MS=$(jget "$DIR/session.json" .media_ms)
REC_BYTES=$(jget "$DIR/session.json" .bytes)
say "relay recorded $SESSION: $REC_FRAMES frames over $REC_MEDIA_MS ms, $REC_BYTES bytes"
assert_ge "$REC_MEDIA_MS" 9500 "ms of media recorded in 10 s"
assert_ge "$REC_FRAMES" 110 "frames recorded in 10 s at 11.63 fps"

EXPORT "$DIR" --burn-in --json >"$TEST_TMP/export.json" 2>"$TEST_TMP/export.log" ||
    { cat "$TEST_TMP/export.log" >&2; fail "telesono-export failed"; }
say "export: $(cat "$TEST_TMP/export.json")"
BEFORE_KEY=$(jget "$TEST_TMP/export.json" .dropped_frames.before_key)
EXPECTED=$((REC_FRAMES - BEFORE_KEY))
MP4="$DIR/export/recording.mp4"
probe() { ffprobe -v error -count_frames -select_streams v:0 \
    -show_entries stream=nb_read_frames,codec_name,width,height,r_frame_rate:format=duration,bit_rate \
    -of json "$1"; }
probe "$MP4" >"$TEST_TMP/probe.json"
NB=$(jget "$TEST_TMP/probe.json" '.streams[0].nb_read_frames')
DUR_MS=$(jq -r '.format.duration | tonumber * 1000 | floor' "$TEST_TMP/probe.json")
assert_eq "$(jget "$TEST_TMP/probe.json" '.streams[0].codec_name')" h264 "exported codec"
assert_eq "$(jget "$TEST_TMP/probe.json" '.streams[0].width')x$(jget "$TEST_TMP/probe.json" '.streams[0].height')" \
    820x616 "exported size"
FRAME_MS=86 # 1000 / 11.63
say "ffprobe: $NB frames, $DUR_MS ms; recorded from the first keyframe: $EXPECTED frames ($BEFORE_KEY before it)"
DIFF=$((NB - EXPECTED))
assert_le "${DIFF#-}" 1 "|ffprobe frames - recorded frames|"
# The span the relay logged runs from the first packet to the last; the
# MP4 from the first keyframe to the end of the last frame.
SPAN_MS=$((REC_MEDIA_MS - BEFORE_KEY * FRAME_MS + FRAME_MS))
DDIFF=$((DUR_MS - SPAN_MS))
say "duration difference: $DDIFF ms (one frame = $FRAME_MS ms)"
assert_le "${DDIFF#-}" "$FRAME_MS" "|ffprobe duration - recorded span|"
# Remuxed, not re-encoded: the video bytes are the recording's RTP payload.
MP4_BYTES=$(stat -c %s "$MP4")
assert_le "$MP4_BYTES" "$REC_BYTES" "MP4 bytes vs the packet log's"
assert_ge "$((MP4_BYTES * 100 / REC_BYTES))" 85 "MP4 bytes as % of the log (RTP headers aside)"

# The arrow's frame, and the burned-in copy.
K=$(jq -r '[.events[] | select(.op == "draw")][0].frame' "$DIR/export/annotations.json")
assert_int "$K" "the arrow's frame"
assert_gt "$K" 10 "the arrow's frame index (drawn after ~5 s)"
BURN="$DIR/export/annotated.mp4"
probe "$BURN" >"$TEST_TMP/probe-burn.json"
NB_BURN=$(jget "$TEST_TMP/probe-burn.json" '.streams[0].nb_read_frames')
assert_eq "$NB_BURN" "$NB" "frames in the burned-in export"
PNG="$TEST_TMP/frames"
mkdir -p "$PNG"
ffmpeg -v error -i "$BURN" -vf "select='between(n\,$((K - 1))\,$K)'" -vsync 0 \
    "$PNG/f%d.png" || fail "ffmpeg could not decode frames $((K - 1)) and $K"
AT=(--at 0.25,0.3 --at 0.4,0.3 --at 0.55,0.3 --at 0.7,0.3)
# Re-encoded H.264 (4:2:0) softens the line's colour: 3 px and 60 levels.
hits() { FC --colour-at "$1" --colour ff00ff "${AT[@]}" --radius 3 --tolerance 60 |
    tee -a "$TEST_TMP/colour.jsonl" | jq -r .matched; }
HITS_K=$(hits "$PNG/f2.png")
HITS_K1=$(hits "$PNG/f1.png")
say "arrow pixels: frame $K: $HITS_K of 4 points, frame $((K - 1)): $HITS_K1 of 4"
assert_eq "$HITS_K" 4 "points of the arrow in frame $K of the burned-in export"
assert_eq "$HITS_K1" 0 "points of the arrow in frame $((K - 1)) (before it was drawn)"
cp "$PNG/f2.png" "$TSN_ARTIFACTS/record-burned-in-frame.png" 2>/dev/null || true
assert_relay_alive
say "PASS: $NB frames / $DUR_MS ms exported vs $EXPECTED / $SPAN_MS recorded; arrow at frame $K"
