#!/usr/bin/env bash
# telesono-export on recordings written by tsn-rec-fixture (no relay: the
# fixture encodes the bone clip as capture does and writes the packet log
# the relay would, with known frames, events and damage; truth.json says
# what the export must hold). Checks:
#   - 10 s of the clip at its rate: ffprobe -count_frames on recording.mp4
#     and annotated.mp4 gives the fixture's frame count, and a duration
#     within one frame of the fixture's; the summary (--json) agrees;
#   - annotations.json: every frame's PTS, and each event's frame (by
#     rtp_ts, by capture_ms only, by the record's time for media null);
#   - burn-in: the arrow's colour along its shaft at its frame K and not at
#     K-1, the caliper's likewise, the initial line at D-1 and not at D
#     (its delete), decoded from annotated.mp4 with ffmpeg
#     (tsn-frame-check --colour-at); recording.mp4 has no marks;
#   - damage: corrupted bytes in two frames' packets -> exit 0, a warning
#     with the offset for each, skipped_bytes > 0, exactly those two frames
#     missing; a torn tail -> exit 0 and the info line; packet loss,
#     reordering and duplicates -> the frames whose packets all arrived (in
#     the file: ffmpeg leaves out some frames whose references were lost);
#   - a recording from the capture's first packet (SPS/PPS STAP-A with the
#     marker bit, then two IDR slices with the same timestamp) decodes
#     whole: ffprobe's decoded frames = samples = RTP timestamps;
#   - a recording that starts mid-GOP starts at its first key frame, events
#     before it at frame 0; a publisher restart (new generation) keeps the
#     frames and PTS growing; one with other H.264 parameter sets decodes
#     cleanly (avc3, in-band SPS/PPS); one at another picture size ends the
#     video there (a file holds one size) with a warning; VP8 goes to WebM;
#   - exit 2 for a file that is not a recording, 3 for no key frame, 4 for
#     an output that cannot be written (no partial file left, even when the
#     disk fills mid-write: RLIMIT_FSIZE).
# Export speed (x realtime) of the remux and of the burn-in is logged and
# kept in $TSN_ARTIFACTS/export-figures.json.
source "$(dirname "$0")/lib.sh"
tsn_find_program TSN_EXPORT telesono-export
tsn_find_program TSN_REC_FIXTURE tsn-rec-fixture
tsn_find_program TSN_FRAME_CHECK tsn-frame-check
TSN_CLIPS=${TSN_CLIPS:-$(cd "$(dirname "$0")/../data/ultrasound" && pwd)}
CLIP="$TSN_CLIPS/BoneUltrasound_L14_ffv1.mkv"
FPS=11.63
FRAMES=116 # 10 s at the clip's rate
command -v ffprobe >/dev/null && command -v ffmpeg >/dev/null || fail "ffprobe/ffmpeg not installed"

# GStreamer programs run without LeakSanitizer in sanitizer builds (see
# start_client in lib.sh); the exporter's pure code is leak-checked by its
# unit tests and fuzz replays.
NOLEAK="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
FC() { ASAN_OPTIONS="$NOLEAK" "$TSN_FRAME_CHECK" "$@"; }

# fixture NAME ARGS...: a recording directory $TEST_TMP/NAME
fixture() {
    local name=$1
    shift
    ASAN_OPTIONS="$NOLEAK" "$TSN_REC_FIXTURE" --out "$TEST_TMP/$name" --clip "$CLIP" \
        --fps "$FPS" --frames "$FRAMES" "$@" >"$TEST_TMP/$name.fixture.json" \
        2>"$TEST_TMP/$name.fixture.log" || fail "tsn-rec-fixture $name: $(tail -3 "$TEST_TMP/$name.fixture.log")"
}

# export_rec NAME ARGS...: runs telesono-export NAME --json ARGS; sets
# EXPORT_RC; stdout in NAME.out.json, stderr in NAME.err
export_rec() {
    local name=$1
    shift
    set +e
    ASAN_OPTIONS="$NOLEAK" "$TSN_EXPORT" "$TEST_TMP/$name" --json "$@" \
        >"$TEST_TMP/$name.out.json" 2>"$TEST_TMP/$name.err"
    EXPORT_RC=$?
    set -e
}

truth() { jget "$TEST_TMP/$1/truth.json" "$2"; }
summary() { jget "$TEST_TMP/$1.out.json" "$2"; }

# probe FILE: "FRAMES DURATION_S" by decoding every frame
probe() {
    ffprobe -v error -count_frames -select_streams v:0 -show_entries stream=nb_read_frames \
        -show_entries format=duration -of json "$1" |
        jq -r '"\(.streams[0].nb_read_frames) \(.format.duration)"'
}

# assert_close A B TOL WHAT: |A - B| <= TOL (decimals)
assert_close() {
    awk -v a="$1" -v b="$2" -v t="$3" 'BEGIN { d = a - b; if (d < 0) d = -d; exit !(d <= t) }' ||
        fail "$4: $1 is not within $3 of $2"
    say "ok: $4 = $1 (expected $2 +- $3)"
}

# assert_video FILE FRAMES DURATION_MS WHAT: ffprobe's count and duration
assert_video() {
    local got frames dur
    got=$(probe "$1")
    read -r frames dur <<<"$got"
    assert_eq "$frames" "$2" "$4: ffprobe frames"
    assert_close "$(awk -v d="$dur" 'BEGIN { printf "%.3f", d * 1000 }')" "$3" \
        "$(awk -v f="$FPS" 'BEGIN { printf "%.3f", 1000 / f }')" "$4: ffprobe duration (ms)"
}

# frame_png VIDEO K OUT.png: the K-th frame (0-based, presentation order)
frame_png() {
    ffmpeg -v error -y -i "$1" -vf "select=eq(n\,$2)" -fps_mode passthrough -frames:v 1 "$3" ||
        fail "ffmpeg could not extract frame $2 of $1"
    [[ -s "$3" ]] || fail "frame $2 of $1 not found"
}

# colour_hits PNG RRGGBB POINTS...: how many points have the colour
colour_hits() {
    local png=$1 colour=$2 args=() p
    shift 2
    for p in "$@"; do args+=(--at "$p"); done
    FC --colour-at "$png" --colour "$colour" "${args[@]}" | tee -a "$TEST_TMP/colour.jsonl" |
        jq -r .matched
}
ARROW_POINTS=(0.3,0.3 0.35,0.3 0.4,0.3 0.45,0.3 0.5,0.3 0.55,0.3 0.6,0.3)
LINE_POINTS=(0.25,0.6 0.35,0.6 0.45,0.6 0.55,0.6 0.65,0.6 0.75,0.6)
CALIPER_POINTS=(0.34,0.8 0.38,0.8 0.44,0.8 0.6,0.8 0.66,0.8)

# event_frame NAME SEQ: the frame annotations.json gives event SEQ
event_frame() {
    jget "$TEST_TMP/$1/export/annotations.json" ".events[] | select(.seq == $2) | .frame"
}
# expected_frame NAME SEQ: the fixture's frame index for event SEQ, or the
# last exported frame before it, or 0 (the contract's clamping)
expected_frame() {
    jq -r --argjson s "$2" '(.events[] | select(.seq == $s) | .frame) as $k |
        ([.frames[] | select(.i <= $k and .index >= 0) | .index] | max) // 0' \
        "$TEST_TMP/$1/truth.json"
}

# ---- 10 s, clean: counts, durations, speed ----
fixture clean
KEPT=$(truth clean .kept)
DUR_MS=$(truth clean .duration_ms)
assert_eq "$KEPT" "$FRAMES" "fixture: frames expected in the export"
export_rec clean --out "$TEST_TMP/clean-remux-only.mp4" --annotations "$TEST_TMP/clean-a.json"
assert_eq "$EXPORT_RC" 0 "remux-only export exit status"
REMUX_S=$(summary clean .elapsed_s)
export_rec clean --burn-in
assert_eq "$EXPORT_RC" 0 "export with burn-in exit status"
BURN_S=$(summary clean .elapsed_s)
for f in recording.mp4 annotated.mp4 annotations.json; do
    [[ -s "$TEST_TMP/clean/export/$f" ]] || fail "export/$f missing"
done
if ls -A "$TEST_TMP/clean/export" | grep -q part; then fail "temporary files left: $(ls -A "$TEST_TMP/clean/export")"; fi
assert_eq "$(summary clean .frames)" "$KEPT" "summary frames"
assert_eq "$(summary clean .codec)" H264 "summary codec"
assert_eq "$(summary clean .width)x$(summary clean .height)" 820x616 "summary size"
assert_eq "$(summary clean .events)" 5 "summary events"
assert_eq "$(summary clean .skipped_bytes)" 0 "summary skipped bytes"
assert_eq "$(summary clean .annotated_frames)" "$KEPT" "summary annotated frames"
assert_close "$(summary clean .duration_ms)" "$DUR_MS" 0.5 "summary duration (ms)"
assert_video "$TEST_TMP/clean-remux-only.mp4" "$KEPT" "$DUR_MS" "remux"
assert_video "$TEST_TMP/clean/export/recording.mp4" "$KEPT" "$DUR_MS" "recording.mp4"
assert_video "$TEST_TMP/clean/export/annotated.mp4" "$KEPT" "$DUR_MS" "annotated.mp4"
REMUX_X=$(awk -v d="$DUR_MS" -v s="$REMUX_S" 'BEGIN { printf "%.1f", d / 1000 / s }')
BURN_X=$(awk -v d="$DUR_MS" -v s="$BURN_S" 'BEGIN { printf "%.1f", d / 1000 / s }')
say "speed: remux ${REMUX_S} s for ${DUR_MS} ms of video (${REMUX_X}x realtime); with burn-in ${BURN_S} s (${BURN_X}x)"

# ---- annotations.json ----
A="$TEST_TMP/clean/export/annotations.json"
assert_eq "$(jget "$A" .format)/$(jget "$A" .version)" telesono-annotations/1 "annotations format"
assert_eq "$(jget "$A" .session)/$(jget "$A" .room)" 20261118T000000Z-0f1c2a3b/fixture-room \
    "annotations session/room"
assert_eq "$(jget "$A" .video.file)" recording.mp4 "annotations video file"
assert_eq "$(jget "$A" .video.frames)" "$KEPT" "annotations frames"
assert_eq "$(jget "$A" '.stream.pixel_spacing_mm.x')" 0.1 "annotations stream metadata"
assert_eq "$(jget "$A" '.initial.items[0].color')" "#00ff00" "annotations initial snapshot"
# every PTS within 1 us of the fixture's
worst=$(jq -n --slurpfile a "$A" --slurpfile t "$TEST_TMP/clean/truth.json" \
    '[range(0; $a[0].video.frames) as $k | ($a[0].video.frame_pts_ms[$k] -
      ([$t[0].frames[] | select(.index == $k) | .pts_ms][0])) | fabs] | max')
assert_close "$worst" 0 0.001 "largest frame PTS difference to the fixture (ms)"
for seq in 3 4 5 6 7; do
    op=$(jq -r --argjson s $seq '.events[] | select(.seq == $s) | .op' "$TEST_TMP/clean/truth.json")
    assert_eq "$(event_frame clean $seq)" "$(expected_frame clean $seq)" "event $seq ($op) frame"
done
assert_eq "$(jget "$A" '.events | length')" 5 "events listed"

# ---- burn-in at the right frames ----
K=$(event_frame clean 3)
C=$(event_frame clean 5)
D=$(event_frame clean 7)
for k in $((K - 1)) "$K" $((C - 1)) "$C" $((D - 1)) "$D"; do
    frame_png "$TEST_TMP/clean/export/annotated.mp4" "$k" "$TEST_TMP/burn-$k.png"
done
frame_png "$TEST_TMP/clean/export/recording.mp4" "$K" "$TEST_TMP/plain-$K.png"
n=${#ARROW_POINTS[@]}
assert_eq "$(colour_hits "$TEST_TMP/burn-$K.png" ff00ff "${ARROW_POINTS[@]}")" "$n" \
    "arrow points in #ff00ff at its frame $K"
assert_eq "$(colour_hits "$TEST_TMP/burn-$((K - 1)).png" ff00ff "${ARROW_POINTS[@]}")" 0 \
    "arrow points in #ff00ff at frame $((K - 1))"
assert_eq "$(colour_hits "$TEST_TMP/plain-$K.png" ff00ff "${ARROW_POINTS[@]}")" 0 \
    "arrow points in recording.mp4 (no burn-in) at frame $K"
n=${#CALIPER_POINTS[@]}
assert_eq "$(colour_hits "$TEST_TMP/burn-$C.png" 00ffff "${CALIPER_POINTS[@]}")" "$n" \
    "caliper points in #00ffff at its frame $C"
assert_eq "$(colour_hits "$TEST_TMP/burn-$((C - 1)).png" 00ffff "${CALIPER_POINTS[@]}")" 0 \
    "caliper points in #00ffff at frame $((C - 1))"
n=${#LINE_POINTS[@]}
assert_eq "$(colour_hits "$TEST_TMP/burn-$((D - 1)).png" 00ff00 "${LINE_POINTS[@]}")" "$n" \
    "initial line in #00ff00 at frame $((D - 1))"
assert_eq "$(colour_hits "$TEST_TMP/burn-$D.png" 00ff00 "${LINE_POINTS[@]}")" 0 \
    "initial line in #00ff00 at its delete's frame $D"
if [[ -n "${TSN_ARTIFACTS:-}" ]]; then
    mkdir -p "$TSN_ARTIFACTS"
    cp "$TEST_TMP/burn-$K.png" "$TSN_ARTIFACTS/export-annotated-frame.png"
fi

# ---- corrupted bytes ----
fixture corrupt --corrupt-frame 50 --corrupt-frame 77
export_rec corrupt
assert_eq "$EXPORT_RC" 0 "export of a damaged log: exit status"
for c in 0 1; do
    off=$(truth corrupt ".corrupted[$c].offset")
    line=$(grep -E "^warning: .*/media.tsr: skipped [0-9]+ damaged bytes at offset [0-9]+$" \
        "$TEST_TMP/corrupt.err" | sed -n "$((c + 1))p")
    [[ -n "$line" ]] || fail "no damage warning $((c + 1)) on stderr: $(cat "$TEST_TMP/corrupt.err")"
    at=${line##* }
    len=$(echo "$line" | sed -E 's/.*skipped ([0-9]+) damaged.*/\1/')
    ((at <= off && off < at + len)) || fail "warning '$line' does not cover the corrupted offset $off"
    say "ok: $line (corrupted byte at $off)"
done
assert_gt "$(summary corrupt .skipped_bytes)" 0 "summary skipped_bytes"
assert_eq "$(summary corrupt .damaged)" 2 "summary damaged stretches"
assert_eq "$(truth corrupt '[.corrupted[].frames_hit[]] | length')" 2 "frames hit by the damage"
assert_eq "$(summary corrupt .frames)" $((FRAMES - 2)) "frames exported from the damaged log"
assert_eq "$(truth corrupt .kept)" $((FRAMES - 2)) "fixture: frames expected"
assert_video "$TEST_TMP/corrupt/export/recording.mp4" $((FRAMES - 2)) "$(truth corrupt .duration_ms)" \
    "damaged log's recording.mp4"

# ---- torn tail ----
fixture torn --truncate 700
export_rec torn
assert_eq "$EXPORT_RC" 0 "export of a torn log: exit status"
grep -qE "^info: .*/media.tsr: torn tail: the last [0-9]+ bytes" "$TEST_TMP/torn.err" ||
    fail "no torn-tail line: $(cat "$TEST_TMP/torn.err")"
assert_gt "$(truth torn .torn_tail_bytes)" 0 "fixture: torn tail bytes"
assert_eq "$(summary torn .torn_tail_bytes)" "$(truth torn .torn_tail_bytes)" "summary torn tail bytes"
assert_eq "$(summary torn .skipped_bytes)" 0 "torn log: skipped bytes"
assert_eq "$(summary torn .frames)" "$(truth torn .kept)" "frames of the torn log"

# ---- loss, reordering, duplicates ----
fixture lossy --lose 1 --reorder 5 --duplicate 5 --seed 7
export_rec lossy
assert_eq "$EXPORT_RC" 0 "lossy log: exit status"
assert_gt "$(summary lossy .packets.duplicates)" 0 "duplicates dropped"
assert_eq "$(summary lossy .frames)" "$(truth lossy .kept)" "frames whose packets all arrived"
# frames in the file (packets: a decoder may leave out some frames whose
# reference frames were lost; ffmpeg decoded 85 of these 96)
assert_eq "$(ffprobe -v error -count_packets -select_streams v:0 -show_entries \
    stream=nb_read_packets -of csv=p=0 "$TEST_TMP/lossy/export/recording.mp4")" \
    "$(truth lossy .kept)" "lossy log: ffprobe packets (frames in the file)"

# ---- recording started mid-GOP ----
fixture midgop --skip-packets 3
export_rec midgop
assert_eq "$EXPORT_RC" 0 "mid-GOP log: exit status"
assert_eq "$(truth midgop .first_key)" 60 "fixture: first complete key frame"
assert_eq "$(summary midgop .frames)" $((FRAMES - 60)) "frames from the first key frame on"
assert_eq "$(jget "$TEST_TMP/midgop/export/annotations.json" .video.frame_pts_ms[0])" 0 "first PTS"
for seq in 3 5 7; do
    assert_eq "$(event_frame midgop $seq)" "$(expected_frame midgop $seq)" "mid-GOP event $seq frame"
done

# ---- recording from the capture's first packet (relay --record always) ----
# telesono-capture's key frame when the relay asks for one as it connects:
# the SPS/PPS alone in a STAP-A WITH the marker bit, then two IDR slices
# (sliced threads), each after a STAP-A of SPS/PPS, all with one timestamp.
# A frame is a timestamp, not a marker: every sample decodes (an exporter
# that split frame 0 at the marker dropped its IDR, and the whole first GOP
# did not decode: 191 samples, 132 decoded on a live recording).
fixture livestart --slices 2 --marker-stap
export_rec livestart
assert_eq "$EXPORT_RC" 0 "live start: exit status"
LIVE_TS=$(jq '.first_key as $k | [.frames[] | select(.i >= $k) | .rtp_ts] | unique | length' \
    "$TEST_TMP/livestart/truth.json")
assert_eq "$LIVE_TS" "$FRAMES" "live start: distinct RTP timestamps from the first key frame"
assert_eq "$(summary livestart .frames)" "$LIVE_TS" "live start: frames"
assert_eq "$(summary livestart .dropped_frames.out_of_order)" 0 "live start: out-of-order frames"
assert_eq "$(summary livestart .dropped_frames.before_key)" 0 "live start: frames before the key"
if grep -q "the muxer took" "$TEST_TMP/livestart.err"; then
    fail "live start: $(cat "$TEST_TMP/livestart.err")"
fi
read -r live_samples live_read <<<"$(ffprobe -v error -count_frames -select_streams v:0 \
    -show_entries stream=nb_frames,nb_read_frames -of csv=p=0 \
    "$TEST_TMP/livestart/export/recording.mp4" | tr ',' ' ')"
assert_eq "$live_samples" "$LIVE_TS" "live start: samples in recording.mp4"
assert_eq "$live_read" "$live_samples" "live start: samples decoded (ffprobe nb_read_frames)"
assert_video "$TEST_TMP/livestart/export/recording.mp4" "$FRAMES" \
    "$(truth livestart .duration_ms)" "live start"

# ---- publisher restart: a new generation ----
fixture restart --new-generation-at 60
export_rec restart
assert_eq "$EXPORT_RC" 0 "two generations: exit status"
assert_eq "$(summary restart .packets.generations)" 2 "generations"
assert_video "$TEST_TMP/restart/export/recording.mp4" "$FRAMES" "$(truth restart .duration_ms)" \
    "two generations"
assert_eq "$(jq '[.video.frame_pts_ms as $p | range(1; $p | length) | select($p[.] <= $p[. - 1])] | length' \
    "$TEST_TMP/restart/export/annotations.json")" 0 "PTS that do not grow"

# ---- a restarted publisher with other H.264 parameter sets (same size) ----
fixture restart-sps --new-generation-at 60 --new-generation-refs 3
export_rec restart-sps
assert_eq "$EXPORT_RC" 0 "other parameter sets: exit status"
grep -q "the MP4 carries them in-band (avc3)" "$TEST_TMP/restart-sps.err" ||
    fail "no avc3 info line: $(cat "$TEST_TMP/restart-sps.err")"
assert_video "$TEST_TMP/restart-sps/export/recording.mp4" "$FRAMES" \
    "$(truth restart-sps .duration_ms)" "other parameter sets"
# the second generation decodes with its own SPS/PPS: no decoder error
errs=$(ffmpeg -v error -i "$TEST_TMP/restart-sps/export/recording.mp4" -f null - 2>&1 | wc -l)
assert_eq "$errs" 0 "ffmpeg decoding errors after the parameter sets change"

# ---- a restarted publisher at another picture size: the video ends there ----
fixture restart-size --new-generation-at 60 --new-generation-size 640x480
export_rec restart-size --burn-in
assert_eq "$EXPORT_RC" 0 "picture size change: exit status"
assert_contains "$(cat "$TEST_TMP/restart-size.err")" "the picture changed from 820x616 to 640x480" \
    "picture size change: warning"
assert_eq "$(summary restart-size .frames)" 60 "picture size change: frames (the first publisher's)"
assert_video "$TEST_TMP/restart-size/export/recording.mp4" 60 \
    "$(jq '.frames[59].pts_ms + 1000 / .fps' "$TEST_TMP/restart-size/truth.json")" \
    "picture size change: recording.mp4"
assert_eq "$(probe "$TEST_TMP/restart-size/export/annotated.mp4" | cut -d' ' -f1)" 60 \
    "picture size change: annotated.mp4 frames"
assert_eq "$(event_frame restart-size 7)" 59 "event after the cut: the last frame"

# ---- VP8 -> WebM ----
fixture vp8 --codec vp8
export_rec vp8
assert_eq "$EXPORT_RC" 0 "VP8: exit status"
assert_eq "$(summary vp8 .codec)" VP8 "VP8: summary codec"
assert_eq "$(summary vp8 .outputs.recording)" "$TEST_TMP/vp8/export/recording.webm" "VP8: default output"
assert_eq "$(jget "$TEST_TMP/vp8/export/annotations.json" .video.file)" recording.webm "VP8: video file"
assert_video "$TEST_TMP/vp8/export/recording.webm" "$FRAMES" "$(truth vp8 .duration_ms)" "recording.webm"

# ---- refusals ----
mkdir -p "$TEST_TMP/junk"
head -c 5000 /dev/urandom >"$TEST_TMP/junk/media.tsr"
export_rec junk
assert_eq "$EXPORT_RC" 2 "not a recording: exit status"
assert_contains "$(cat "$TEST_TMP/junk.err")" "not a readable recording: not a telesono packet log" \
    "not a recording: message"
assert_eq "$(jget "$TEST_TMP/junk.out.json" .exit)" 2 "not a recording: JSON exit"
[[ ! -e "$TEST_TMP/junk/export" ]] || fail "an export directory was made for a file that is not a recording"
export_rec no-such-dir
assert_eq "$EXPORT_RC" 2 "missing directory: exit status"

fixture nokey --lose-keyframes
export_rec nokey
assert_eq "$EXPORT_RC" 3 "no key frame: exit status"
assert_contains "$(cat "$TEST_TMP/nokey.err")" "no decodable video" "no key frame: message"
[[ ! -e "$TEST_TMP/nokey/export/recording.mp4" ]] || fail "recording.mp4 written without a key frame"

set +e
ASAN_OPTIONS="$NOLEAK" "$TSN_EXPORT" "$TEST_TMP/clean" --frobnicate 2>"$TEST_TMP/usage.err"
rc=$?
set -e
assert_eq "$rc" 1 "unknown flag: exit status"

# output under a path that is a file
touch "$TEST_TMP/not-a-dir"
export_rec clean --out "$TEST_TMP/not-a-dir/x.mp4" --annotations "$TEST_TMP/unwritable-a.json"
assert_eq "$EXPORT_RC" 4 "unwritable output: exit status"
assert_contains "$(cat "$TEST_TMP/clean.err")" "cannot write $TEST_TMP/not-a-dir/x.mp4" \
    "unwritable output: message"
[[ ! -e "$TEST_TMP/unwritable-a.json" ]] || fail "annotations written although the video could not be"
ls -A "$TEST_TMP" | grep -q "unwritable-a.json" && fail "a temporary annotations file was left"

# the disk "fills" mid-write: files may grow to 512 KiB (SIGXFSZ ignored, so
# write() fails with EFBIG as it would with ENOSPC)
mkdir -p "$TEST_TMP/full"
set +e
(
    trap '' XFSZ
    ulimit -f 512
    ASAN_OPTIONS="$NOLEAK" exec "$TSN_EXPORT" "$TEST_TMP/clean" --out "$TEST_TMP/full/r.mp4" \
        --annotations "$TEST_TMP/full/a.json" --burn-in="$TEST_TMP/full/b.mp4"
) >/dev/null 2>"$TEST_TMP/full.err"
rc=$?
set -e
assert_eq "$rc" 4 "disk full mid-write: exit status"
assert_contains "$(cat "$TEST_TMP/full.err")" "cannot write the video" "disk full: message"
left=$(ls -A "$TEST_TMP/full")
[[ -z "$left" ]] || fail "disk full: files left behind: $left"
say "ok: disk full mid-write left no file"

if [[ -n "${TSN_ARTIFACTS:-}" ]]; then
    jq -n --argjson frames "$KEPT" --argjson dur "$DUR_MS" \
        --argjson probe "$(probe "$TEST_TMP/clean/export/recording.mp4" | jq -R 'split(" ") | {frames: (.[0] | tonumber), duration_s: (.[1] | tonumber)}')" \
        --argjson remux_s "$REMUX_S" --argjson burn_s "$BURN_S" \
        '{fixture: {frames: $frames, duration_ms: $dur}, ffprobe_recording: $probe,
          remux: {elapsed_s: $remux_s, x_realtime: ($dur / 1000 / $remux_s)},
          burn_in: {elapsed_s: $burn_s, x_realtime: ($dur / 1000 / $burn_s)}}' \
        >"$TSN_ARTIFACTS/export-figures.json"
fi
