#!/usr/bin/env bash
# 10,000 simulated agents, each over its own MQTT connection, a metrics sample every 30 s,
# against one release collector on SQLite and one private Mosquitto, all on this machine.
#
#   tests/bench/fleet-10k.sh                 # ~8 minutes with the defaults
#
# Reports: whether the collector keeps up (messages stored in the window against what the
# fleet sends), the p50/p99 lag from the agent's timestamp (signed just before publishing)
# to the commit (`pantau_ingest_commit_lag_seconds`, read off the histogram over the
# measuring window only), and CPU and peak RSS of the collector, Mosquitto and pantau-sim.
#
# Knobs (environment):
#   BENCH_OUT         results dir                                (a new /tmp/pantau-fleet.*)
#   BENCH_AGENTS      simulated agents                           (10000)
#   BENCH_INTERVAL    their sample interval                      (30s)
#   BENCH_WARMUP_S    after the ramp, before measuring           (60)
#   BENCH_WINDOW_S    measuring window                           (240)
#   BENCH_SIM_DATA    the simulator's identities and spools      (/dev/shm/pantau-fleet-sim)
#   BENCH_BIN         directory of release binaries              ($CARGO_TARGET_DIR/release)
#
# The simulator's spools live on tmpfs: its fsyncs are the fleet's, not the collector's, and
# 10,000 PCs do them on 10,000 disks. The collector's SQLite file is on the real disk.

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck source=tests/bench/private-mosquitto.sh
source "$HERE/private-mosquitto.sh"

: "${BENCH_AGENTS:=10000}"
: "${BENCH_INTERVAL:=30s}"
: "${BENCH_WARMUP_S:=60}"
: "${BENCH_WINDOW_S:=240}"
: "${BENCH_SIM_DATA:=/dev/shm/pantau-fleet-sim}"
: "${BENCH_BIN:=${CARGO_TARGET_DIR:-$REPO/target}/release}"
BENCH_OUT=${BENCH_OUT:-$(mktemp -d /tmp/pantau-fleet.XXXXXX)}
mkdir -p "$BENCH_OUT"

for b in pantau-collector pantau-sim; do
    [[ -x $BENCH_BIN/$b ]] || {
        echo "$BENCH_BIN/$b missing: cargo build --release -p pantau-collector -p pantau-agent --bins" >&2
        exit 1
    }
done

# One socket per agent in the simulator and one in Mosquitto, plus the collector's files.
need=$((BENCH_AGENTS + 4096))
ulimit -Hn $((need * 2)) 2>/dev/null || true
ulimit -n $((need * 2)) 2>/dev/null || ulimit -n "$(ulimit -Hn)"
if (($(ulimit -n) < need)); then
    echo "open-file limit $(ulimit -n) is below $need; run as root or raise it" >&2
    exit 1
fi

bench_trap_cleanup
# Unlimited queue and a wider in-flight window for the collector's session (docs/scale.md).
MOSQ_EXTRA_CONF=$'max_queued_messages 0\nmax_connections -1' start_private_mosquitto "$BENCH_OUT/mqtt"
BROKER="mqtt://127.0.0.1:$MOSQ_PORT"
interval_s=$(sed -E 's/s$//' <<<"$BENCH_INTERVAL")

# The fleet's identities and register, then a fresh collector that knows them.
rm -rf "$BENCH_SIM_DATA"
"$BENCH_BIN/pantau-sim" --agents "$BENCH_AGENTS" --opds 40 --interval "$BENCH_INTERVAL" \
    --broker "$BROKER" --data "$BENCH_SIM_DATA" --enroll-only 2>/dev/null
http=$(free_port)
mkdir -p "$BENCH_OUT/collector"
cat >"$BENCH_OUT/collector/collector.toml" <<EOF
data_dir = "$BENCH_OUT/collector/data"
[mqtt]
url = "$BROKER"
client_id = "bench-fleet-collector"
[http]
listen = "127.0.0.1:$http"
EOF
C="$BENCH_BIN/pantau-collector"
"$C" enroll import "$BENCH_SIM_DATA/enrollment.json" --config "$BENCH_OUT/collector/collector.toml" >/dev/null
"$C" register import "$BENCH_SIM_DATA/register.csv" --config "$BENCH_OUT/collector/collector.toml" >/dev/null
PANTAU_LOG=warn "$C" serve --config "$BENCH_OUT/collector/collector.toml" >"$BENCH_OUT/collector.log" 2>&1 &
cpid=$!
bench_track "$cpid"
wait_listening "$http" 60 || { echo "collector did not start" >&2; exit 1; }

{
    echo "date: $(date -u +%FT%TZ)"
    echo "host: $(nproc) cores, $(free -g | awk '/Mem:/ {print $2}') GiB; open files $(ulimit -n)"
    echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "busiest other processes before:"
    ps -eo pcpu,comm --sort=-pcpu | head -6 | tail -5
} >"$BENCH_OUT/machine.txt"

ramp_s=$interval_s
total_s=$((ramp_s + BENCH_WARMUP_S + BENCH_WINDOW_S + 5))
"$BENCH_BIN/pantau-sim" --agents "$BENCH_AGENTS" --opds 40 --interval "$BENCH_INTERVAL" \
    --broker "$BROKER" --data "$BENCH_SIM_DATA" --duration "${total_s}s" \
    >"$BENCH_OUT/sim.out" 2>"$BENCH_OUT/sim.err" &
spid=$!
bench_track "$spid"

metrics() { curl -s "http://127.0.0.1:$http/metrics"; }
# utime+stime in clock ticks of a PID.
ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

sleep $((ramp_s + BENCH_WARMUP_S))
connected=$(ss -Htn state established "( sport = :$MOSQ_PORT )" | wc -l)
metrics >"$BENCH_OUT/metrics-start.txt"
t0=$(date +%s.%N)
declare -A cpu0 peak
for p in "$cpid" "$MOSQ_PID" "$spid"; do
    cpu0[$p]=$(ticks "$p")
    peak[$p]=0
done
end=$(($(date +%s) + BENCH_WINDOW_S))
while (($(date +%s) < end)); do
    for p in "$cpid" "$MOSQ_PID" "$spid"; do
        r=$(rss_kib "$p")
        ((r > peak[$p])) && peak[$p]=$r
    done
    sleep 5
done
t1=$(date +%s.%N)
metrics >"$BENCH_OUT/metrics-end.txt"
declare -A cpu1
for p in "$cpid" "$MOSQ_PID" "$spid"; do
    cpu1[$p]=$(ticks "$p")
done
wait "$spid" || true
hz=$(getconf CLK_TCK)
window=$(echo "$t1 - $t0" | bc -l)

# Sum of a metric's samples (optionally only lines matching a filter) in a metrics file.
msum() { grep -E "^$2" "$1" | grep -E -- "${3:-.}" | awk '{s += $NF} END {printf "%.0f", s}'; }
stored=$(($(msum "$BENCH_OUT/metrics-end.txt" pantau_ingest_messages_total) - $(msum "$BENCH_OUT/metrics-start.txt" pantau_ingest_messages_total)))
expected=$(echo "$BENCH_AGENTS * $window / $interval_s" | bc -l)
# p-quantile of the window's commit lag: cumulative bucket deltas.
quantile() {
    local q=$1
    paste <(grep '^pantau_ingest_commit_lag_seconds_bucket' "$BENCH_OUT/metrics-start.txt") \
        <(grep '^pantau_ingest_commit_lag_seconds_bucket' "$BENCH_OUT/metrics-end.txt") |
        awk -v q="$q" '{
            match($1, /le="[^"]+"/); le = substr($1, RSTART + 4, RLENGTH - 5);
            n[NR] = $NF - $2; les[NR] = le
        } END {
            total = n[NR]; for (i = 1; i <= NR; i++) if (n[i] >= q * total) { print les[i]; exit }
        }'
}
p50=$(quantile 0.50)
p99=$(quantile 0.99)
cpu_pct() { echo "100 * (${cpu1[$1]} - ${cpu0[$1]}) / $hz / $window" | bc -l; }
{
    echo "| figure | value |"
    echo "|---|---|"
    printf '| agents connected to the broker | %d of %d |\n' "$connected" "$BENCH_AGENTS"
    printf '| measuring window | %.0f s |\n' "$window"
    printf '| messages stored in the window | %d (the fleet sends %.0f) |\n' "$stored" "$expected"
    printf '| stored / sent | %.3f |\n' "$(echo "$stored / $expected" | bc -l)"
    printf '| lag publish -> commit, p50 | <= %s s |\n' "$p50"
    printf '| lag publish -> commit, p99 | <= %s s |\n' "$p99"
    printf '| collector CPU (of one core) | %.1f %% |\n' "$(cpu_pct "$cpid")"
    printf '| collector peak RSS | %.0f MiB |\n' "$(echo "${peak[$cpid]} / 1024" | bc -l)"
    printf '| mosquitto CPU / peak RSS | %.1f %% / %.0f MiB |\n' "$(cpu_pct "$MOSQ_PID")" "$(echo "${peak[$MOSQ_PID]} / 1024" | bc -l)"
    printf '| pantau-sim CPU / peak RSS | %.1f %% / %.0f MiB |\n' "$(cpu_pct "$spid")" "$(echo "${peak[$spid]} / 1024" | bc -l)"
    printf '| SQLite file after the run | %s |\n' "$(du -sh "$BENCH_OUT/collector/data" | cut -f1)"
    echo
    echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"
} | tee "$BENCH_OUT/summary.md"
cat "$BENCH_OUT/machine.txt"
tail -12 "$BENCH_OUT/sim.out"
echo "results in $BENCH_OUT" >&2
