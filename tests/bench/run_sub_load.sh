#!/usr/bin/env bash
# Subscriber-load benchmark of telesono-relay: for each subscriber count N
# (arguments; default "1 50 200 500") start a fresh relay in a temporary data
# dir on free loopback ports, mint a capture and a clinician token, run
# tsn-sub-load (built-in publisher at 2 Mbit/s, N subscribers, --relay-pid so
# the relay's CPU and RSS are measured over the window) and print its JSON
# line on stdout. A fresh relay per N keeps the RSS figures clean.
#
# Run it inside a private network namespace, e.g. as root:
#   unshare -n bash -c 'ip link set lo up && tests/bench/run_sub_load.sh 1 50 200'
#
# Environment (all optional):
#   TSN_BUILD_DIR  where telesono-relay, telesono-token, tsn-sub-load are
#                  (default: ./build, searched recursively)
#   DURATION=10 WARMUP=2 BITRATE=2000 ROOM=bench   passed to tsn-sub-load
#   SUB_LOAD_ARGS  extra tsn-sub-load options (e.g. "--nack")
#   RELAY_ARGS     extra telesono-relay options
#   RELAY_CPU, LOAD_CPU  pin the relay and the load tool to CPU lists (taskset),
#                  e.g. RELAY_CPU=0 LOAD_CPU=1, so they do not steal each other's core
#   KEEP_LOGS=1    keep the temporary dirs (relay.log, sub_load.log) and print where
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${TSN_BUILD_DIR:-$root/build}"
duration="${DURATION:-10}"
warmup="${WARMUP:-2}"
bitrate="${BITRATE:-2000}"
room="${ROOM:-bench}"
counts=("$@")
[ ${#counts[@]} -eq 0 ] && counts=(1 50 200 500)

BENCH_NAME=run_sub_load
# shellcheck source=bench_lib.sh
source "$here/bench_lib.sh"
relay_bin="$(find_bin telesono-relay)"
token_bin="$(find_bin telesono-token)"
load_bin="$(find_bin tsn-sub-load)"

status=0
for n in "${counts[@]}"; do
    tmp="$(mktemp -d /tmp/tsn-sub-load.XXXXXX)"
    http_port="$(free_port t)"
    media_port="$(free_port u)"
    # shellcheck disable=SC2086
    ${RELAY_CPU:+taskset -c "$RELAY_CPU"} "$relay_bin" --listen "127.0.0.1:$http_port" --media-port "$media_port" \
        --data-dir "$tmp/data" --max-peers $((n + 64)) --log-level warn ${RELAY_ARGS:-} \
        >"$tmp/relay.log" 2>&1 &
    relay_pid=$!
    if ! wait_ready "$tmp/relay.log"; then
        printf '{"subscribers":%s,"connected":0,"error":"relay did not start"}\n' "$n"
        status=1
        bench_cleanup
        continue
    fi
    token_pub="$("$token_bin" --secret-file "$tmp/data/secret" --room "$room" --role capture \
        --sub bench-pub --ttl 600)"
    token_sub="$("$token_bin" --secret-file "$tmp/data/secret" --room "$room" --role clinician \
        --sub bench-sub --ttl 600)"
    # Tokens go through the environment, not argv (ps shows argv).
    # shellcheck disable=SC2086
    if ! TSN_TOKEN_PUB="$token_pub" TSN_TOKEN_SUB="$token_sub" ${LOAD_CPU:+taskset -c "$LOAD_CPU"} "$load_bin" \
        --url-base "https://127.0.0.1:$http_port" --room "$room" --subscribers "$n" \
        --duration "$duration" --warmup "$warmup" --bitrate "$bitrate" \
        --relay-pid "$relay_pid" ${SUB_LOAD_ARGS:-} 2>"$tmp/sub_load.log"; then
        status=1
        echo "run_sub_load: tsn-sub-load failed for N=$n; its log:" >&2
        tail -n 20 "$tmp/sub_load.log" >&2 || true
    fi
    if ! kill -0 "$relay_pid" 2>/dev/null; then
        echo "run_sub_load: the relay died during N=$n; its log:" >&2
        tail -n 20 "$tmp/relay.log" >&2 || true
        status=1
    fi
    bench_cleanup
done
exit $status
