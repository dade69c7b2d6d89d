#!/usr/bin/env bash
# Annotation fan-out benchmark of telesono-relay: how long one annotation
# event takes from its sender to each of 100 receivers on loopback. For each
# run (RUNS, default 1) start a fresh relay in a temporary data dir on a free
# port, mint the sender (clinician) and receiver (observer) tokens, run
# tsn-annot-clients fanout (all clients in one process: the send and receive
# times are the same CLOCK_MONOTONIC) and print its JSON line on stdout.
#
# Run it inside a private network namespace, e.g. as root:
#   unshare -n bash -c 'ip link set lo up && tests/bench/run_annot_fanout.sh'
#
# Environment (all optional):
#   TSN_BUILD_DIR  where telesono-relay, telesono-token and tsn-annot-clients
#                  are (default: ./build/release, then ./build, searched recursively)
#   RUNS=1 RECEIVERS=100 SENDERS=4 EVENTS=200 INTERVAL_MS=20 WARMUP=20 POINTERS=200 PINGS=200
#   FANOUT_ARGS    extra tsn-annot-clients options
#   RELAY_ARGS     extra telesono-relay options
#   RELAY_CPU, LOAD_CPU  pin the relay and the clients to CPU lists (taskset)
#   KEEP_LOGS=1    keep the temporary dirs (relay.log, fanout.log) and print where
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
root="$(cd "$here/../.." && pwd)"
build="${TSN_BUILD_DIR:-}"
if [ -z "$build" ]; then
    build="$root/build/release"
    [ -d "$build" ] || build="$root/build"
fi
runs="${RUNS:-1}"
receivers="${RECEIVERS:-100}"
senders="${SENDERS:-4}"
events="${EVENTS:-200}"
interval_ms="${INTERVAL_MS:-20}"
warmup="${WARMUP:-20}"
pointers="${POINTERS:-200}"
pings="${PINGS:-200}"
room=bench-annot

BENCH_NAME=run_annot_fanout
# shellcheck source=bench_lib.sh
source "$here/bench_lib.sh"
relay_bin="$(find_bin telesono-relay)"
token_bin="$(find_bin telesono-token)"
clients_bin="$(find_bin tsn-annot-clients)"

status=0
for run in $(seq 1 "$runs"); do
    tmp="$(mktemp -d /tmp/tsn-annot-fanout.XXXXXX)"
    http_port="$(free_port)"
    media_port="$(free_port)"
    # shellcheck disable=SC2086
    ${RELAY_CPU:+taskset -c "$RELAY_CPU"} "$relay_bin" --listen "127.0.0.1:$http_port" \
        --media-port "$media_port" --data-dir "$tmp/data" --log-level warn ${RELAY_ARGS:-} \
        >"$tmp/relay.log" 2>&1 &
    relay_pid=$!
    if ! wait_ready "$tmp/relay.log"; then
        printf '{"mode":"fanout","run":%s,"error":"relay did not start"}\n' "$run"
        status=1
        bench_cleanup
        continue
    fi
    # Tokens go in a file (mode 600 in a private dir), not argv.
    for i in $(seq 1 "$senders"); do
        "$token_bin" --secret-file "$tmp/data/secret" --room "$room" --role clinician \
            --sub "sender-$i" --ttl 600
    done >"$tmp/tokens"
    for i in $(seq 1 "$receivers"); do
        "$token_bin" --secret-file "$tmp/data/secret" --room "$room" --role observer \
            --sub "receiver-$i" --ttl 600
    done >>"$tmp/tokens"
    # shellcheck disable=SC2086
    if ! ${LOAD_CPU:+taskset -c "$LOAD_CPU"} "$clients_bin" fanout \
        --url "wss://127.0.0.1:$http_port/ws" --tokens "$tmp/tokens" --receivers "$receivers" \
        --senders "$senders" --events "$events" --interval-ms "$interval_ms" --warmup "$warmup" \
        --pointers "$pointers" --pings "$pings" --relay-pid "$relay_pid" ${FANOUT_ARGS:-} 2>"$tmp/fanout.log"; then
        status=1
        echo "run_annot_fanout: run $run failed; its log:" >&2
        tail -n 20 "$tmp/fanout.log" >&2 || true
    fi
    if ! kill -0 "$relay_pid" 2>/dev/null; then
        echo "run_annot_fanout: the relay died during run $run; its log:" >&2
        tail -n 20 "$tmp/relay.log" >&2 || true
        status=1
    fi
    bench_cleanup
done
exit $status
