#!/usr/bin/env bash
# What probing 50 targets costs the agent, next to collectd's ping plugin doing the same work.
#
#   tests/bench/probe-cpu.sh          # ~6 minutes with the defaults; needs root (raw ICMP for collectd)
#
# Three daemons side by side, in one run, on a private Mosquitto:
#   - agent "probing": metrics every 30 s and a network round every 60 s to 50 targets
#     (127.0.1.1-50: loopback answers every 127/8 address), 5 pings each (the defaults);
#   - agent "baseline": the same config with `[net] enabled = false`;
#   - collectd with only the ping plugin, the same 50 hosts, one echo every 12 s each (= 5 per
#     60 s, the same number of packets).
# The agent's cost of probing is CPU(probing) - CPU(baseline) over the window; the target is
# at most 0.1 % of one core on average. CPU is from /proc/PID/schedstat (ns, all threads).
#
# Knobs: PROBE_WINDOW_S (300), PROBE_WARMUP_S (70), BENCH_AGENT_BIN (else builds
# `--profile agent`), BENCH_OUT (results dir, default a new /tmp/pantau-probe.*).
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
source tests/bench/private-mosquitto.sh
bench_trap_cleanup

WINDOW=${PROBE_WINDOW_S:-300}
WARMUP=${PROBE_WARMUP_S:-70}
OUT=${BENCH_OUT:-$(mktemp -d /tmp/pantau-probe.XXXXXX)}
mkdir -p "$OUT"
COLLECTD=/usr/sbin/collectd
if [ ! -x "$COLLECTD" ] || [ ! -e /usr/lib/collectd/ping.so ] || ! ldconfig -p | grep -q liboping; then
    apt-get install -y -qq --no-install-recommends collectd-core liboping0 >/dev/null
fi
AGENT=${BENCH_AGENT_BIN:-}
if [ -z "$AGENT" ]; then
    cargo build --profile agent -p pantau-agent --bin pantau-agent --locked
    AGENT=${CARGO_TARGET_DIR:-$REPO/target}/agent/pantau-agent
fi

start_private_mosquitto "$OUT/mosquitto"

agent_dir() { # name net_enabled
    local d=$OUT/$1
    mkdir -p "$d"
    head -c32 /dev/urandom | base64 >"$d/agent.key"
    chmod 600 "$d/agent.key"
    {
        printf 'agent_id = "bench-%s"\nkey_file = "agent.key"\nstate_dir = "state"\n\n' "$1"
        printf '[broker]\nurl = "mqtt://127.0.0.1:%s"\n\n' "$MOSQ_PORT"
        printf '[metrics]\ninterval_s = 30\n\n[net]\nenabled = %s\ninterval_s = 60\npings = 5\ngateway = false\n' "$2"
        for i in $(seq 1 50); do
            printf '\n[[net.targets]]\nname = "t%s"\nhost = "127.0.1.%s"\n' "$i" "$i"
        done
    } >"$d/agent.toml"
    "$AGENT" check-config --config "$d/agent.toml" >/dev/null
}
# Proof the probing agent really probes: every net report it delivers.
mosquitto_sub -h 127.0.0.1 -p "$MOSQ_PORT" -q 1 -t 'pantau/v1/bench-probing/net' -F '%p' \
    >"$OUT/net-reports.jsonl" 2>/dev/null &
bench_track $!
agent_dir probing true
agent_dir baseline false

mkdir -p "$OUT/collectd"
{
    printf 'Interval 60\nFQDNLookup false\nBaseDir "%s"\nPIDFile "%s/pid"\n' "$OUT/collectd" "$OUT/collectd"
    printf 'LoadPlugin ping\nLoadPlugin csv\n<Plugin csv>\n  DataDir "%s/csv"\n</Plugin>\n<Plugin ping>\n  Interval 12.0\n  Timeout 1.0\n' "$OUT/collectd"
    for i in $(seq 1 50); do printf '  Host "127.0.1.%s"\n' "$i"; done
    printf '</Plugin>\n'
} >"$OUT/collectd/collectd.conf"

(cd "$OUT/probing" && PANTAU_LOG=info exec "$AGENT" run --config agent.toml >log 2>&1) &
P_PROBE=$!
bench_track $P_PROBE
(cd "$OUT/baseline" && PANTAU_LOG=info exec "$AGENT" run --config agent.toml >log 2>&1) &
P_BASE=$!
bench_track $P_BASE
"$COLLECTD" -f -C "$OUT/collectd/collectd.conf" >"$OUT/collectd/log" 2>&1 &
P_COLL=$!
bench_track $P_COLL

cpu_ns() { # pid: sum of schedstat run time over all threads
    local t s=0
    kill -0 "$1" 2>/dev/null || { echo "process $1 is gone; see the logs in $OUT" >&2; exit 1; }
    for t in /proc/"$1"/task/*/schedstat; do s=$((s + $(cut -d' ' -f1 "$t"))); done
    echo $s
}

echo "warm-up ${WARMUP}s, window ${WINDOW}s; results in $OUT"
sleep "$WARMUP"
a0=$(cpu_ns $P_PROBE); b0=$(cpu_ns $P_BASE); c0=$(cpu_ns $P_COLL)
sleep "$WINDOW"
a1=$(cpu_ns $P_PROBE); b1=$(cpu_ns $P_BASE); c1=$(cpu_ns $P_COLL)

python3 - "$OUT/net-reports.jsonl" <<'EOF' | tee "$OUT/rounds.txt"
import json, sys
reports = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
last = reports[-1]["body"] if reports else {}
probes = last.get("probes", [])
ok = sum(1 for p in probes if p.get("received", 0) == p.get("sent", -1))
print(f"net reports delivered: {len(reports)}; last round: {len(probes)} targets, {ok} with every reply, method {probes[0].get('method') if probes else '-'}")
EOF
python3 - "$WINDOW" "$a0" "$a1" "$b0" "$b1" "$c0" "$c1" <<'EOF' | tee "$OUT/summary.md"
import sys
w, a0, a1, b0, b1, c0, c1 = (int(x) for x in sys.argv[1:])
ms = lambda d: d / 1e6
share = lambda d: 100 * d / (w * 1e9)
probe, base, coll = a1 - a0, b1 - b0, c1 - c0
added = probe - base
print(f"| | CPU in {w} s window | share of one core |")
print("|---|---|---|")
print(f"| agent, probing 50 targets | {ms(probe):.1f} ms | {share(probe):.4f} % |")
print(f"| agent, baseline (net off) | {ms(base):.1f} ms | {share(base):.4f} % |")
print(f"| **added by probing** | {ms(added):.1f} ms | **{share(added):.4f} %** |")
print(f"| collectd, ping plugin only, same 50 hosts and packets | {ms(coll):.1f} ms | {share(coll):.4f} % |")
print()
ratio = added / coll if coll else float('nan')
print(f"agent's probing cost / collectd ping: {ratio:.2f}")
print(f"Target: added <= 0.1 % of a core -> {share(added):.4f} % -> {'pass' if share(added) <= 0.1 else 'FAIL'}")
EOF
