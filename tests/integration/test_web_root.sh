#!/usr/bin/env bash
# The relay's static files (--web-root) over real TLS, with raw requests
# (openssl s_client) so that paths reach the relay byte for byte and every
# header can be read. Checked: GET / is index.html with the page's security
# headers (Content-Security-Policy, X-Content-Type-Options, Referrer-Policy)
# and Cache-Control: no-cache; Content-Type by extension (and no CSP on
# non-HTML); HEAD gives the headers and Content-Length without a body; a
# file of exactly 4 MiB arrives intact (sent in pieces) and is followed by a
# second request on the same connection; one byte more is 403. Refused:
# traversal in its plain, percent-encoded and double-encoded forms,
# backslashes, NUL, hidden files, symbolic links (out of the root and
# inside it), directories, a FIFO; missing files are 404; nothing outside
# the root ever comes back. The API routes win over files of the same name.
# Then: --web-root "" (text index at /, no files), a web root missing at
# start (a warning, 404 with a clear reason, and files served as soon as it
# appears, without a restart), and the default web root (the source tree's
# viewer/web, whatever state it is in).
source "$(dirname "$0")/lib.sh"

SRC_DIR=$(cd "$(dirname "$0")/../.." && pwd)
WEB="$TEST_TMP/web"
OUTSIDE="$TEST_TMP/outside"
mkdir -p "$WEB/js" "$WEB/whip" "$OUTSIDE"
printf '<!doctype html>\n<title>Telesono test page</title>\n' >"$WEB/index.html"
printf 'export const answer = 42;\n' >"$WEB/app.js"
printf 'body { margin: 0; }\n' >"$WEB/style.css"
printf 'export function f() {}\n' >"$WEB/js/mod.mjs"
printf '{"a":1}\n' >"$WEB/data.json"
printf '<svg xmlns="http://www.w3.org/2000/svg"/>\n' >"$WEB/icon.svg"
printf '\x00\x01binary' >"$WEB/blob.bin"
printf 'SECRET-HIDDEN\n' >"$WEB/.hidden"
printf 'SECRET-OUTSIDE\n' >"$OUTSIDE/secret.txt"
printf 'not the metrics\n' >"$WEB/metrics"
printf 'not the healthz\n' >"$WEB/healthz"
printf 'not the ws\n' >"$WEB/ws"
printf 'alert(1)\n' >"$WEB/whip/evil.js"
ln -s "$OUTSIDE/secret.txt" "$WEB/leak.txt"
ln -s "$OUTSIDE" "$WEB/out"
ln -s index.html "$WEB/alias.html"
mkfifo "$WEB/pipe.js"
head -c $((4 * 1024 * 1024)) /dev/urandom >"$WEB/at_cap.bin"
head -c $((4 * 1024 * 1024 + 1)) /dev/zero >"$WEB/over_cap.bin"
head -c 300000 /dev/urandom >"$WEB/medium.bin"

CSP="default-src 'self'; connect-src 'self' wss:; media-src 'self' blob:; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; frame-ancestors 'none'; base-uri 'none'"

# raw NAME REQUEST: sends REQUEST (backslash escapes as printf %b: CRLFs
# written as \r\n, a backslash as \\; '%' is sent as is) over
# TLS and keeps the whole response in $TEST_TMP/NAME.raw; the status code,
# header block and body go to NAME.status, NAME.head and NAME.body.
raw() {
    raw_maybe "$@"
    [[ -s "$TEST_TMP/$1.raw" ]] || fail "$1: no response ($(tail -n 2 "$TEST_TMP/$1.err"))"
}
raw_maybe() { # like raw, for a request the server may drop without an answer
    local name=$1 request=$2 out="$TEST_TMP/$1"
    printf '%b' "$request" | timeout 20 openssl s_client -quiet -connect "127.0.0.1:$RELAY_PORT" \
        >"$out.raw" 2>"$out.err" || true
    head -n 1 "$out.raw" | awk '{print $2}' >"$out.status"
    awk '/^\r$/ {exit} {print}' "$out.raw" | tr -d '\r' >"$out.head"
    local hlen
    hlen=$(awk '{n += length($0) + 1} /^\r$/ {print n; exit}' "$out.raw")
    tail -c +$((hlen + 1)) "$out.raw" >"$out.body"
}
get() { # NAME PATH [METHOD]: one request on a fresh connection
    raw "$1" "${3:-GET} $2 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n"
}
status() { cat "$TEST_TMP/$1.status"; }
header() { # NAME HEADER: its value ("" if absent)
    grep -i "^$2:" "$TEST_TMP/$1.head" | head -n 1 | sed 's/^[^:]*: *//'
}
body() { cat "$TEST_TMP/$1.body"; }

# expect_file NAME PATH FILE TYPE: 200, the file's exact bytes, the type.
expect_file() {
    get "$1" "$2"
    assert_eq "$(status "$1")" 200 "GET $2: status"
    cmp -s "$TEST_TMP/$1.body" "$3" || fail "GET $2: the body is not $3"
    assert_eq "$(header "$1" content-type)" "$4" "GET $2: Content-Type"
    assert_eq "$(header "$1" content-length)" "$(stat -c %s "$3")" "GET $2: Content-Length"
    assert_eq "$(header "$1" cache-control)" "no-cache" "GET $2: Cache-Control"
    assert_eq "$(header "$1" x-content-type-options)" "nosniff" "GET $2: X-Content-Type-Options"
}

# expect_refused NAME PATH STATUS REASON: refused with that status and
# reason, and nothing secret in the answer.
expect_refused() {
    get "$1" "$2"
    assert_eq "$(status "$1")" "$3" "GET $2: status"
    if [[ -n "$4" ]]; then
        assert_eq "$(body "$1")" "$4" "GET $2: reason"
    fi
    if grep -aq "SECRET" "$TEST_TMP/$1.raw"; then
        fail "GET $2 leaked a file it must not serve"
    fi
}

start_relay --web-root "$WEB"
grep -q "serving the web viewer from $WEB" "$TEST_TMP/relay.log" ||
    fail "the relay did not log its web root"

# (a) The page: index.html at / and by name, with the security headers.
expect_file index / "$WEB/index.html" "text/html; charset=utf-8"
assert_eq "$(header index content-security-policy)" "$CSP" "GET /: Content-Security-Policy"
assert_eq "$(header index referrer-policy)" "no-referrer" "GET /: Referrer-Policy"
expect_file index_by_name /index.html "$WEB/index.html" "text/html; charset=utf-8"
assert_eq "$(header index_by_name content-security-policy)" "$CSP" "GET /index.html: CSP"
raw index_query "GET /?room=a&token=b HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
assert_eq "$(status index_query)" 200 "GET /?query: status"
cmp -s "$TEST_TMP/index_query.body" "$WEB/index.html" || fail "GET /?query: not index.html"

# (b) Content-Type by extension; no page headers on what is not HTML.
expect_file js /app.js "$WEB/app.js" "text/javascript; charset=utf-8"
assert_eq "$(header js content-security-policy)" "" "GET /app.js: no CSP"
assert_eq "$(header js referrer-policy)" "" "GET /app.js: no Referrer-Policy"
expect_file mjs /js/mod.mjs "$WEB/js/mod.mjs" "text/javascript; charset=utf-8"
expect_file css /style.css "$WEB/style.css" "text/css; charset=utf-8"
expect_file json /data.json "$WEB/data.json" "application/json"
expect_file svg /icon.svg "$WEB/icon.svg" "image/svg+xml"
expect_file bin /blob.bin "$WEB/blob.bin" "application/octet-stream"
raw js_query "GET /app.js?v=3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
cmp -s "$TEST_TMP/js_query.body" "$WEB/app.js" || fail "GET /app.js?v=3: not app.js"
# libwebsockets folds "/./", "//" and "/x/../" before the relay sees the path.
expect_file folded "/js/../app.js" "$WEB/app.js" "text/javascript; charset=utf-8"
# It also decodes %XX once, %2F included: an encoded slash reaches the relay
# as a plain '/', so it can only name what the plain path names.
expect_file enc_slash_ok "/js%2Fmod.mjs" "$WEB/js/mod.mjs" "text/javascript; charset=utf-8"

# (c) HEAD: the GET's headers and length, no body.
get head_js /app.js HEAD
assert_eq "$(status head_js)" 200 "HEAD /app.js: status"
assert_eq "$(header head_js content-length)" "$(stat -c %s "$WEB/app.js")" "HEAD /app.js: Content-Length"
assert_eq "$(header head_js content-type)" "text/javascript; charset=utf-8" "HEAD /app.js: Content-Type"
assert_eq "$(stat -c %s "$TEST_TMP/head_js.body")" 0 "HEAD /app.js: body bytes"
get head_index / HEAD
assert_eq "$(header head_index content-security-policy)" "$CSP" "HEAD /: CSP"
assert_eq "$(stat -c %s "$TEST_TMP/head_index.body")" 0 "HEAD /: body bytes"
get head_health /healthz HEAD
assert_eq "$(status head_health)" 200 "HEAD /healthz: status"
assert_eq "$(header head_health content-length)" 3 "HEAD /healthz: Content-Length"
assert_eq "$(stat -c %s "$TEST_TMP/head_health.body")" 0 "HEAD /healthz: body bytes"

# (d) Size: exactly 4 MiB is served intact; one byte more is refused.
expect_file at_cap /at_cap.bin "$WEB/at_cap.bin" "application/octet-stream"
expect_refused over_cap /over_cap.bin 403 "the file is too large to serve"
# Keep-alive: a body sent in pieces, then a second request on the connection.
raw two "GET /medium.bin HTTP/1.1\r\nHost: x\r\n\r\nGET /app.js HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
assert_eq "$(grep -ao 'HTTP/1.1 200 OK' "$TEST_TMP/two.raw" | wc -l)" 2 \
    "two requests on one connection: responses"
assert_eq "$(tail -c "$(stat -c %s "$WEB/app.js")" "$TEST_TMP/two.raw")" "$(cat "$WEB/app.js")" \
    "two requests on one connection: the second body"
assert_eq "$(header two content-length)" 300000 "two requests on one connection: first length"
head -c 300000 "$TEST_TMP/two.body" | cmp -s - "$WEB/medium.bin" ||
    fail "two requests on one connection: the first body is not medium.bin"

# (e) Refusals. Traversal in every spelling: nothing from outside the root.
expect_refused dotdot "/../outside/secret.txt" 404 "not found"
expect_refused enc_dotdot "/%2e%2e/outside/secret.txt" 404 "not found"
expect_refused enc_slash "/..%2F..%2Foutside%2Fsecret.txt" 404 "not found"
expect_refused double_enc "/%252e%252e/outside/secret.txt" 403 "a '%' is left after decoding (encoded twice?)"
expect_refused backslash '/js\\mod.mjs' 403 "backslashes are not allowed in paths"
expect_refused backslash_dotdot '/..\\outside\\secret.txt' 403 "hidden files and dot segments are not served"
expect_refused hidden /.hidden 403 "hidden files and dot segments are not served"
expect_refused enc_hidden /%2ehidden 403 "hidden files and dot segments are not served"
expect_refused link_out /leak.txt 403 "symbolic links are not followed"
expect_refused link_dir /out/secret.txt 403 "symbolic links are not followed"
expect_refused link_in /alias.html 403 "symbolic links are not followed"
expect_refused dir_slash /js/ 403 "directories are not listed"
expect_refused dir /js 403 "directories are not listed"
expect_refused fifo /pipe.js 403 "only regular files are served"
expect_refused missing /nope.js 404 "not found"
expect_refused space "/a%20b.js" 403 "the path has a character that is not served"
expect_refused colon "/C:/x" 403 "the path has a character that is not served"
# A NUL is refused by libwebsockets' parser itself (it drops the
# connection): never a 200, never the file.
raw_maybe nul "GET /index.html%00.png HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"
[[ "$(status nul)" != 200 ]] || fail "GET /index.html%00.png answered 200"
say "ok: GET /index.html%00.png answered '$(status nul)' ($(stat -c %s "$TEST_TMP/nul.raw") bytes)"
# A path longer than the relay keeps: 414, never a shortened path.
LONG="/$(printf 'a%.0s' {1..300}).js"
expect_refused long "$LONG" 414 "request path too long"
# Methods other than GET and HEAD on a file path: not found.
raw post "POST /app.js HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
assert_eq "$(status post)" 404 "POST /app.js: status"

# (f) The API wins over files of the same name.
get metrics /metrics
assert_eq "$(status metrics)" 200 "GET /metrics: status"
assert_contains "$(body metrics)" "telesono_" "GET /metrics is the metrics"
get healthz /healthz
assert_eq "$(body healthz)" "ok" "GET /healthz is the health check"
expect_refused ws_file /ws 404 "not found"
expect_refused whip_file /whip/evil.js 405 "method not allowed"
expect_refused whip_deep /whip/a/b/evil.js 404 "not found"
assert_relay_alive
assert_healthz
# The refusals are logged with their reason only.
grep -q "static file refused (403): symbolic links are not followed" "$TEST_TMP/relay.log" ||
    fail "the relay did not log a refused static file"

# (g) --web-root "": the text index at /, no files.
stop_pid "$RELAY_PID"
[[ "$STOPPED_STATUS" == 0 ]] || fail "the relay exited with $STOPPED_STATUS"
RELAY_PID=""
mv "$TEST_TMP/relay.log" "$TEST_TMP/relay.part1.log"
start_relay --web-root ""
get off_index /
assert_eq "$(status off_index)" 200 "no web root: GET / status"
assert_contains "$(body off_index)" "Telesono relay. WHIP: POST /whip/<room>" "no web root: GET / text index"
assert_eq "$(header off_index content-security-policy)" "" "no web root: no CSP on the text index"
expect_refused off_file /app.js 404 "not found"
grep -q "no --web-root" "$TEST_TMP/relay.log" || fail "no web root: nothing logged"

# (h) A web root missing at start: a warning, a clear 404, and the files as
# soon as the directory appears (looked up per request).
stop_pid "$RELAY_PID"
RELAY_PID=""
mv "$TEST_TMP/relay.log" "$TEST_TMP/relay.part2.log"
LATE="$TEST_TMP/late-web"
start_relay --web-root "$LATE"
grep -q "WARN.*web root $LATE cannot be opened" "$TEST_TMP/relay.log" ||
    fail "a missing web root was not warned about: $(grep -i 'web root' "$TEST_TMP/relay.log")"
expect_refused late_index / 404 "the web viewer is not installed on this relay"
expect_refused late_file /app.js 404 "the web viewer is not installed on this relay"
assert_relay_alive
mkdir -p "$LATE"
cp "$WEB/index.html" "$LATE/index.html"
expect_file late_ok / "$LATE/index.html" "text/html; charset=utf-8"

# (i) The default: this source tree's viewer/web, in whatever state it is.
stop_pid "$RELAY_PID"
RELAY_PID=""
mv "$TEST_TMP/relay.log" "$TEST_TMP/relay.part3.log"
start_relay
DEFAULT_WEB="$SRC_DIR/viewer/web"
if [[ -r "$DEFAULT_WEB/index.html" && ! -L "$DEFAULT_WEB/index.html" ]]; then
    grep -q "serving the web viewer from $DEFAULT_WEB" "$TEST_TMP/relay.log" ||
        fail "default web root not logged"
    expect_file default_index / "$DEFAULT_WEB/index.html" "text/html; charset=utf-8"
    assert_eq "$(header default_index content-security-policy)" "$CSP" "default web root: CSP"
else
    get default_index /
    assert_eq "$(status default_index)" 404 "default web root without index.html: status"
fi
assert_relay_alive
