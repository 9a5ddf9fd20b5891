#!/usr/bin/env bash
# What reading usage facts costs the agent, next to the script an administrator would write
# for the same facts (ps; ss -tulpn; dpkg-query -W; who), side by side in one run.
#
#   tests/bench/usage-cpu.sh          # ~1 minute after the build; root sees every process
#
# USAGE_EXTRA_PROCS (300) extra processes are started first (copies of sleep under 30
# different names, so 30 more executables to hash), as on a busy desktop.
#   - agent: `pantau-agent usage --cycles N` takes N readings in one process as the running
#     agent does and reports each one's CPU from getrusage (user + system): the first (every
#     executable hashed, software parsed), the steady ones (every 5 minutes: hashes cached,
#     software only stat'ed) and a warm full snapshot (hourly: software re-read). Repeated
#     USAGE_ROUNDS times; medians.
#   - agent one-shot: `pantau-agent usage --json` as a fresh process (start-up, cold cache).
#   - peer: the four commands in a subshell, CPU of the subshell and its children (bash
#     `time`), USAGE_ROUNDS times; median. It hashes nothing: the agent does more work.
# The average at the default interval is (11 x steady + 1 x full) per hour; the target is
# at most 0.1 % of one core.
#
# Knobs: USAGE_EXTRA_PROCS (300), USAGE_ROUNDS (7), USAGE_CYCLES (11), BENCH_AGENT_BIN
# (else builds `--profile agent`), BENCH_OUT (results dir, default a new /tmp/pantau-usage.*).
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
EXTRA=${USAGE_EXTRA_PROCS:-300}
ROUNDS=${USAGE_ROUNDS:-7}
CYCLES=${USAGE_CYCLES:-11}
OUT=${BENCH_OUT:-$(mktemp -d /tmp/pantau-usage.XXXXXX)}
mkdir -p "$OUT/bin"
AGENT=${BENCH_AGENT_BIN:-}
if [ -z "$AGENT" ]; then
    cargo build --profile agent -p pantau-agent --bin pantau-agent --locked
    AGENT=${CARGO_TARGET_DIR:-$REPO/target}/agent/pantau-agent
fi

PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; }
trap cleanup EXIT
for n in $(seq 1 30); do cp /usr/bin/sleep "$OUT/bin/app$n"; done
for i in $(seq 1 "$EXTRA"); do
    "$OUT/bin/app$(( (i % 30) + 1 ))" 3600 &
    PIDS+=($!)
done
sleep 1
NPROC=$(ls -d /proc/[0-9]* | wc -l)

median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

: >"$OUT/agent.jsonl"
for r in $(seq 1 "$ROUNDS"); do
    "$AGENT" usage --cycles "$CYCLES" >>"$OUT/agent.jsonl"
done
field() { python3 -c "import json,sys; [print(json.loads(l)['$1']) for l in open('$OUT/agent.jsonl')]"; }
FIRST=$(field first_ms | median)
STEADY=$(field steady_median_ms | median)
FULL=$(field full_warm_ms | median)
SHAPE=$(tail -1 "$OUT/agent.jsonl" | python3 -c "import json,sys; d=json.load(sys.stdin); print(d['processes'], d['listeners'], d['packages'], d['executables_hashed'])")

TIMEFORMAT='%3U %3S'
: >"$OUT/oneshot.txt"
: >"$OUT/peer.txt"
for r in $(seq 1 "$ROUNDS"); do
    { time "$AGENT" usage --json >/dev/null; } 2>>"$OUT/oneshot.txt"
    { time (
        ps -eo pid,user,comm,lstart,time,rss >/dev/null
        ss -tulpn >/dev/null
        dpkg-query -W -f '${Package}\t${Version}\t${Maintainer}\t${db:Status-Status}\n' >/dev/null
        who >/dev/null
    ); } 2>>"$OUT/peer.txt"
done
ONESHOT=$(awk '{print ($1 + $2) * 1000}' "$OUT/oneshot.txt" | median)
PEER=$(awk '{print ($1 + $2) * 1000}' "$OUT/peer.txt" | median)

python3 - "$STEADY" "$FULL" "$FIRST" "$ONESHOT" "$PEER" "$NPROC" "$SHAPE" "$(nproc)" <<'PY' | tee "$OUT/summary.txt"
import sys
steady, full, first, oneshot, peer = map(float, sys.argv[1:6])
nproc, shape, cores = sys.argv[6], sys.argv[7].split(), sys.argv[8]
avg_ms_per_hour = 11 * steady + full
share = avg_ms_per_hour / 3600e3 * 100
peer_share = peer * 12 / 3600e3 * 100
print(f"machine: {cores} cores, {nproc} processes in /proc; report: {shape[0]} processes, "
      f"{shape[1]} listeners, {shape[2]} packages, {shape[3]} executables hashed")
print(f"agent   steady cycle (median)       {steady:8.2f} ms CPU")
print(f"agent   hourly full, warm (median)  {full:8.2f} ms CPU")
print(f"agent   first reading (median)      {first:8.2f} ms CPU (once per agent start)")
print(f"agent   one-shot process            {oneshot:8.2f} ms CPU (usage --json, cold)")
print(f"peer    ps; ss; dpkg-query; who     {peer:8.2f} ms CPU")
print(f"average at 300 s, agent             {share:8.4f} % of one core (target <= 0.1 %)")
print(f"average at 300 s, peer              {peer_share:8.4f} % of one core")
print(f"ratio peer / agent steady cycle     {peer / steady:8.1f} x")
print(f"ratio peer / agent one-shot         {peer / oneshot:8.2f} x")
PY
echo "results in $OUT"
