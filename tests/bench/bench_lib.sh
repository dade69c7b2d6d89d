# Shared by the relay benchmarks (run_sub_load.sh, run_annot_fanout.sh):
# finding the programs, free ports, a relay per run and its clean-up.
# Sourced after the script sets BENCH_NAME (for messages) and `build`.
# Sets relay_pid and tmp, which the script fills per run; the EXIT trap
# stops the relay and removes tmp (kept with KEEP_LOGS=1).

# find_bin NAME: prints the path of executable NAME under $build, or exits 2.
find_bin() {
    local p
    p="$(find "$build" -type f -name "$1" -perm -u+x 2>/dev/null | head -n 1)"
    if [ -z "$p" ]; then
        echo "$BENCH_NAME: $1 not found under $build (set TSN_BUILD_DIR)" >&2
        exit 2
    fi
    printf '%s\n' "$p"
}

# free_port [t|u|tu]: a port nobody listens on (TCP, UDP or both; default
# both), from a random start in the dynamic range. Racy in principle; in a
# private namespace nothing else is there.
free_port() {
    local proto=${1:-tu} p tries=0
    while [ $tries -lt 200 ]; do
        p=$((20000 + RANDOM % 30000))
        if [ -z "$(ss "-Hn${proto}l" "sport = :$p" 2>/dev/null)" ]; then
            printf '%s\n' "$p"
            return 0
        fi
        tries=$((tries + 1))
    done
    echo "$BENCH_NAME: no free port" >&2
    return 1
}

relay_pid=""
tmp=""
bench_cleanup() {
    if [ -n "$relay_pid" ] && kill -0 "$relay_pid" 2>/dev/null; then
        kill "$relay_pid" 2>/dev/null || true
        wait "$relay_pid" 2>/dev/null || true
    fi
    relay_pid=""
    if [ -n "$tmp" ]; then
        if [ "${KEEP_LOGS:-0}" = 1 ]; then
            echo "$BENCH_NAME: logs kept in $tmp" >&2
        else
            rm -rf "$tmp"
        fi
    fi
    tmp=""
}
trap bench_cleanup EXIT INT TERM

# wait_ready LOG: until the relay logged its ready line (or died, or 15 s).
wait_ready() {
    local log=$1 _
    for _ in $(seq 1 150); do
        grep -q "telesono-relay ready" "$log" 2>/dev/null && return 0
        kill -0 "$relay_pid" 2>/dev/null || break
        sleep 0.1
    done
    echo "$BENCH_NAME: relay did not start; its log:" >&2
    tail -n 20 "$log" >&2 || true
    return 1
}

ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
