#!/usr/bin/env bash
# Ingest throughput end to end (broker -> verified -> committed row -> PUBACK) as a ratio of
# the broker's own pass-through rate for the same messages, side by side in one run.
#
#   tests/bench/ingest-ratio.sh              # two rounds of 20,000 messages, a few minutes
#
# Each round, on one private Mosquitto:
#   1. plain: `pantau-loadgen run --consumer plain` publishes N signed metrics envelopes at
#      QoS 1 as fast as the broker takes them while its own plain subscriber (QoS 1, acks on
#      receipt, does nothing else) counts them: the broker's pass-through rate;
#   2. for each store in BENCH_STORES: the same N messages (same agents, sizes and topics)
#      with a release `pantau-collector serve` as the only subscriber, on a fresh SQLite
#      file or a fresh database of a private PostgreSQL (initdb on a free port, default
#      durability), timed until its /metrics shows all N stored (each verified, committed,
#      then acked).
# ratio = collector rate / plain rate. Target: >= 0.8 on SQLite and on PostgreSQL.
#
# Knobs (environment):
#   BENCH_OUT          results dir                       (default: a new /tmp/pantau-ingest.*)
#   BENCH_MESSAGES     messages per measurement          (20000)
#   BENCH_AGENTS       signing identities                (200)
#   BENCH_ROUNDS       rounds                            (2)
#   BENCH_STORES       stores to measure                 ("sqlite postgres")
#   BENCH_BIN          directory of release binaries     ($CARGO_TARGET_DIR/release)
#   BENCH_BROKER_CONF  extra mosquitto.conf lines        ("max_queued_messages 0")
#   MOSQUITTO          broker binary                     (/usr/sbin/mosquitto)

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck source=tests/bench/private-mosquitto.sh
source "$HERE/private-mosquitto.sh"
# shellcheck source=tests/bench/private-postgres.sh
source "$HERE/private-postgres.sh"

: "${BENCH_MESSAGES:=20000}"
: "${BENCH_AGENTS:=200}"
: "${BENCH_ROUNDS:=2}"
: "${BENCH_STORES:=sqlite postgres}"
: "${BENCH_BIN:=${CARGO_TARGET_DIR:-$REPO/target}/release}"
# Unlimited queue: Mosquitto's default of 1000 queued QoS 1 messages per client would drop
# whatever a consumer has not taken yet once the publisher is 1000 ahead (docs/scale.md).
: "${BENCH_BROKER_CONF:=max_queued_messages 0}"
BENCH_OUT=${BENCH_OUT:-$(mktemp -d /tmp/pantau-ingest.XXXXXX)}
mkdir -p "$BENCH_OUT"

for b in pantau-collector pantau-loadgen; do
    [[ -x $BENCH_BIN/$b ]] || {
        echo "$BENCH_BIN/$b missing: cargo build --release -p pantau-collector -p pantau-tests --bins" >&2
        exit 1
    }
done

bench_trap_cleanup
MOSQ_EXTRA_CONF=$BENCH_BROKER_CONF start_private_mosquitto "$BENCH_OUT/mqtt"
BROKER="mqtt://127.0.0.1:$MOSQ_PORT"
[[ " $BENCH_STORES " == *" postgres "* ]] && start_private_postgres "$BENCH_OUT/pg"
"$BENCH_BIN/pantau-loadgen" keys --agents "$BENCH_AGENTS" --out "$BENCH_OUT/keys"

{
    echo "date: $(date -u +%FT%TZ)"
    echo "host: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB"
    echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "busiest other processes before:"
    ps -eo pcpu,comm --sort=-pcpu | head -6 | tail -5
} >"$BENCH_OUT/machine.txt"

# One collector run: fresh store, agents enrolled, serve, measure, stop.
collector_round() {
    local r=$1 store=$2 dir="$BENCH_OUT/$2-$1" http pid database=""
    mkdir -p "$dir/data"
    http=$(free_port)
    [[ $store == postgres ]] && database="[database]
url = \"$(fresh_private_database "bench_$r")\""
    cat >"$dir/collector.toml" <<EOF
data_dir = "$dir/data"
[mqtt]
url = "$BROKER"
client_id = "bench-collector-$store-$r"
[http]
listen = "127.0.0.1:$http"
$database
EOF
    "$BENCH_BIN/pantau-collector" enroll import "$BENCH_OUT/keys/enrollment.json" \
        --config "$dir/collector.toml" >/dev/null
    PANTAU_LOG=warn "$BENCH_BIN/pantau-collector" serve --config "$dir/collector.toml" \
        >"$dir/collector.log" 2>&1 &
    pid=$!
    bench_track "$pid"
    wait_listening "$http" 30 || { echo "collector did not start; see $dir/collector.log" >&2; exit 1; }
    "$BENCH_BIN/pantau-loadgen" run --broker "$BROKER" --keys "$BENCH_OUT/keys" \
        --messages "$BENCH_MESSAGES" --seq-base 1 \
        --consumer "metrics=http://127.0.0.1:$http/metrics" >"$BENCH_OUT/$store-$r.json"
    # CPU seconds (user + system, from the clock ticks in /proc) and peak RSS.
    awk -v hz="$(getconf CLK_TCK)" '{printf "%.2f s CPU, ", ($14 + $15) / hz}' "/proc/$pid/stat" >"$dir/rss-cpu.txt"
    awk '/VmHWM/ {printf "%d MiB peak RSS\n", $2 / 1024}' "/proc/$pid/status" >>"$dir/rss-cpu.txt"
    kill -TERM "$pid"
    wait "$pid" 2>/dev/null || true
}

for ((r = 1; r <= BENCH_ROUNDS; r++)); do
    echo "round $r: plain subscriber" >&2
    "$BENCH_BIN/pantau-loadgen" run --broker "$BROKER" --keys "$BENCH_OUT/keys" \
        --messages "$BENCH_MESSAGES" --consumer plain >"$BENCH_OUT/plain-$r.json"
    for store in $BENCH_STORES; do
        echo "round $r: collector on $store" >&2
        collector_round "$r" "$store"
    done
done

rate() { sed -E 's/.*"rate_per_s":([0-9.]+).*/\1/' "$1"; }
size() { sed -E 's/.*"payload_bytes_avg":([0-9]+).*/\1/' "$1"; }
{
    echo "| round | messages | bytes each | plain subscriber (msg/s) | store | collector (msg/s) | ratio | collector |"
    echo "|---|---|---|---|---|---|---|---|"
    for ((r = 1; r <= BENCH_ROUNDS; r++)); do
        p=$(rate "$BENCH_OUT/plain-$r.json")
        for store in $BENCH_STORES; do
            c=$(rate "$BENCH_OUT/$store-$r.json")
            printf '| %d | %d | %d | %.0f | %s | %.0f | %.2f | %s |\n' "$r" "$BENCH_MESSAGES" \
                "$(size "$BENCH_OUT/plain-$r.json")" "$p" "$store" "$c" "$(echo "$c / $p" | bc -l)" \
                "$(cat "$BENCH_OUT/$store-$r/rss-cpu.txt")"
        done
    done
    echo
    echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$BENCH_OUT/summary.md"
cat "$BENCH_OUT/machine.txt"
echo "results in $BENCH_OUT" >&2
