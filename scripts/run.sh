#!/usr/bin/env bash
# One command for the whole demo on embedded defaults: installs what is
# missing, builds, starts telesono-relay on https://127.0.0.1:8443 (self-signed
# certificate and generated secret in ./telesono-data) and telesono-capture
# publishing the synthetic phantom into room "demo", then prints how to watch.
# Ctrl-C stops both. Environment: TSN_ROOM (demo), TSN_PORT (8443),
# TSN_DATA (./telesono-data), TSN_TOKEN_TTL (seconds, 43200).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOM=${TSN_ROOM:-demo}
PORT=${TSN_PORT:-8443}
DATA=${TSN_DATA:-./telesono-data}
TTL=${TSN_TOKEN_TTL:-43200}
BIN=build/release
scripts/bootstrap.sh
scripts/build.sh release

mkdir -p "$DATA"
chmod 700 "$DATA"
"$BIN/telesono-relay" --listen "127.0.0.1:$PORT" --data-dir "$DATA" "$@" 2>"$DATA/relay.log" &
relay=$!
capture=""
stop() {
  trap - EXIT INT TERM
  [ -n "$capture" ] && kill -TERM "$capture" 2>/dev/null && wait "$capture" 2>/dev/null
  kill -TERM "$relay" 2>/dev/null && wait "$relay" 2>/dev/null
  echo "run.sh: stopped (logs in $DATA/relay.log and $DATA/capture.log)" >&2
}
trap stop EXIT INT TERM
for _ in $(seq 100); do
  grep -q "telesono-relay ready" "$DATA/relay.log" 2>/dev/null && break
  kill -0 "$relay" 2>/dev/null || { cat "$DATA/relay.log" >&2; exit 1; }
  sleep 0.1
done

token() { # ROLE SUB
  "$BIN/telesono-token" --secret-file "$DATA/secret" --room "$ROOM" --role "$1" --sub "$2" \
    --ttl "$TTL" | tr -d '[:space:]'
}
umask 077
token capture bedside >"$DATA/capture.token"
token clinician dr-remote >"$DATA/clinician.token"
token clinician dr-second >"$DATA/clinician2.token"
token observer student >"$DATA/observer.token"
token reviewer reviewer >"$DATA/reviewer.token"

"$BIN/telesono-capture" --relay "https://127.0.0.1:$PORT" --token-file "$DATA/capture.token" \
  --ca "$DATA/cert.pem" --stats-json "$DATA/capture.stats.json" 2>"$DATA/capture.log" &
capture=$!
fp=$(sed -n 's/.*SHA-256 fingerprint: *//p' "$DATA/relay.log" | head -n 1 || true)
cat >&2 <<HINT

Telesono demo is running: relay https://127.0.0.1:$PORT, room "$ROOM", phantom capture
640x480@30 (H.264). Certificate: $DATA/cert.pem${fp:+ (SHA-256 $fp; pin it with --fingerprint)}
Tokens (valid $((TTL / 3600)) h) are in $DATA: clinician.token, clinician2.token,
observer.token, reviewer.token, capture.token.

Watch in a browser (the link carries the clinician token in its fragment, which never
reaches the server; accept the self-signed certificate once):
  https://127.0.0.1:$PORT/#room=$ROOM&token=$(cat "$DATA/clinician.token")
Annotate together: open this second clinician's link in another window, draw in one
(arrow, caliper in mm, text, ...) and watch it appear in the other and in telesono-view:
  https://127.0.0.1:$PORT/#room=$ROOM&token=$(cat "$DATA/clinician2.token")
Record: press Record in a clinician's page (everyone sees REC), annotate, press Stop.
Review the recordings (play with the annotations at their frames, step frame by frame):
  https://127.0.0.1:$PORT/review.html#token=$(cat "$DATA/reviewer.token")
Recordings are in $DATA/recordings; export one to MP4 with
  $BIN/telesono-export $DATA/recordings/$ROOM/<session-id> --burn-in
Watch in a window (the bedside display: it draws the room's annotations over the video):
  $BIN/telesono-view --relay https://127.0.0.1:$PORT --token-file $DATA/clinician.token \\
      --ca $DATA/cert.pem
Or headless, with statistics and latency:
  $BIN/telesono-view --relay https://127.0.0.1:$PORT --token-file $DATA/clinician.token \\
      --ca $DATA/cert.pem --headless --duration 10 --stats-json /tmp/view.json
Capture statistics: $DATA/capture.stats.json. Ctrl-C stops everything.
HINT
wait "$relay"
