#!/usr/bin/env bash
# A private Mosquitto broker on a free loopback port, for benchmarks and manual tests.
#
# Never touches the system broker (port 1883) or its config. Two ways to use it:
#
#   Sourced (what agent-footprint.sh does):
#       source tests/bench/private-mosquitto.sh
#       bench_trap_cleanup                     # kill everything bench_track'ed on EXIT/INT/TERM
#       start_private_mosquitto "$workdir"     # sets MOSQ_PORT and MOSQ_PID
#
#   Run directly: starts a broker, prints its port, stays until Ctrl-C, then cleans up.
#       tests/bench/private-mosquitto.sh [workdir]
#
# MOSQUITTO overrides the binary (default /usr/sbin/mosquitto). MOSQ_EXTRA_CONF holds more
# config lines (e.g. "max_queued_messages 0"); MOSQ_LISTEN_ADDRS more loopback addresses to
# listen on with the same port (e.g. "127.0.0.2 127.0.0.3").

: "${MOSQUITTO:=/usr/sbin/mosquitto}"

# PIDs this shell started and must kill on exit.
BENCH_PIDS=()

bench_track() {
    BENCH_PIDS+=("$@")
}

# Kill (TERM, then KILL after a grace period) every tracked PID, newest first. Only the
# processes this script started, by PID: never by name.
bench_cleanup() {
    local i pid
    # A sleep the caller may be waiting on (see BENCH_SLEEP_PID in agent-footprint.sh).
    [[ -n ${BENCH_SLEEP_PID:-} ]] && kill "$BENCH_SLEEP_PID" 2>/dev/null
    for ((i = ${#BENCH_PIDS[@]} - 1; i >= 0; i--)); do
        pid=${BENCH_PIDS[i]}
        kill -TERM "$pid" 2>/dev/null || true
    done
    for ((i = 0; i < 30; i++)); do
        local alive=0
        for pid in "${BENCH_PIDS[@]}"; do
            kill -0 "$pid" 2>/dev/null && alive=1
        done
        ((alive)) || break
        sleep 0.1
    done
    for pid in "${BENCH_PIDS[@]}"; do
        kill -KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
    done
    BENCH_PIDS=()
}

bench_trap_cleanup() {
    trap 'bench_cleanup' EXIT
    trap 'bench_cleanup; trap - INT; kill -INT $$' INT
    trap 'bench_cleanup; trap - TERM; kill -TERM $$' TERM
}

# A TCP port nobody listens on right now (loopback). The caller still checks that its
# server came up, since another process could take the port in between.
free_port() {
    local port tries=0
    while ((tries++ < 200)); do
        port=$((20000 + RANDOM % 40000))
        if ! ss -Htln "sport = :$port" 2>/dev/null | grep -q .; then
            echo "$port"
            return 0
        fi
    done
    echo "free_port: no free port found" >&2
    return 1
}

# Wait until something listens on 127.0.0.1:$1 (max $2 seconds, default 10).
wait_listening() {
    local port=$1 limit=${2:-10} i
    for ((i = 0; i < limit * 10; i++)); do
        ss -Htln "sport = :$port" 2>/dev/null | grep -q . && return 0
        sleep 0.1
    done
    return 1
}

# start_private_mosquitto DIR: broker on a free port with its config and log in DIR.
# Sets MOSQ_PORT and MOSQ_PID; the PID is tracked for cleanup.
start_private_mosquitto() {
    local dir=$1 attempt
    mkdir -p "$dir"
    for attempt in 1 2 3 4 5; do
        MOSQ_PORT=$(free_port) || return 1
        cat >"$dir/mosquitto.conf" <<EOF
# private broker for Pantau benchmarks; loopback only
listener $MOSQ_PORT 127.0.0.1
allow_anonymous true
persistence false
log_dest stderr
log_type error
log_type warning
log_type notice
log_type information
${MOSQ_EXTRA_CONF:-}
EOF
        local a
        for a in ${MOSQ_LISTEN_ADDRS:-}; do
            echo "listener $MOSQ_PORT $a" >>"$dir/mosquitto.conf"
        done
        "$MOSQUITTO" -c "$dir/mosquitto.conf" >>"$dir/mosquitto.log" 2>&1 &
        MOSQ_PID=$!
        bench_track "$MOSQ_PID"
        if wait_listening "$MOSQ_PORT" 5 && kill -0 "$MOSQ_PID" 2>/dev/null; then
            return 0
        fi
        echo "mosquitto did not come up on port $MOSQ_PORT (attempt $attempt); retrying" >&2
        kill "$MOSQ_PID" 2>/dev/null || true
    done
    echo "start_private_mosquitto: giving up; see $dir/mosquitto.log" >&2
    return 1
}

# Run directly: a broker until interrupted.
if [[ "${BASH_SOURCE[0]}" == "$0" ]]; then
    set -euo pipefail
    dir=${1:-$(mktemp -d /tmp/pantau-mosquitto.XXXXXX)}
    bench_trap_cleanup
    start_private_mosquitto "$dir"
    echo "mosquitto pid $MOSQ_PID listening on 127.0.0.1:$MOSQ_PORT (config and log in $dir); Ctrl-C stops it"
    wait "$MOSQ_PID"
fi
