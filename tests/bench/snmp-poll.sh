#!/usr/bin/env bash
# Polling the interface tables of BENCH_DEVICES (200) simulated devices: `pantau-agent
# snmp-poll` (concurrent GETBULK walks) vs net-snmp's `snmpbulkwalk` run one device after
# another, in one run, against the same agents.
#
#   tests/bench/snmp-poll.sh                    # BENCH_SIM=snmpd (default), a minute
#   BENCH_SIM=snmpsim tests/bench/snmp-poll.sh  # the recorded switch, a few minutes
#
# BENCH_SIM=snmpd: one net-snmp snmpd per device, each on its own UDP port of 127.0.0.1 with
# its own community (dev001..dev200), serving this machine's interfaces.
# BENCH_SIM=snmpsim: each device is a copy of tests/fixtures/snmp/switch.snmprec (50
# interfaces, 64-bit counters) served by ONE snmpsim process under its own community; snmpsim
# (Python, one thread) is then the bottleneck of both tools. For each device:
#   - snmpbulkwalk -v2c of ifTable and of ifXTable (what the poller reads, minus sysUpTime),
#     one process after the other, as a cron job of walks would;
#   - pantau-agent snmp-poll with all devices as targets, groups = ["interfaces"] (system
#     group + ifTable + ifXTable), default concurrency 32.
# Checks that both read the same ifHCInOctets/ifHCOutOctets/ifOperStatus for every interface
# of every device, and prints wall time, the ratio, and the poller's CPU time and peak RSS
# (from /usr/bin/time -v) per device.
#
# Knobs: BENCH_DEVICES (200), BENCH_RUNS (3), PANTAU_AGENT (default the release build in
# ${CARGO_TARGET_DIR:-target}, built if missing), SNMPSIM (default
# /opt/pantau-snmpsim/bin/snmpsim-command-responder, as .ci/run installs it).
set -euo pipefail
cd "$(dirname "$0")/../.."

DEVICES=${BENCH_DEVICES:-200}
RUNS=${BENCH_RUNS:-3}
TARGET=${CARGO_TARGET_DIR:-target}
AGENT=${PANTAU_AGENT:-$TARGET/release/pantau-agent}
SNMPSIM=${SNMPSIM:-/opt/pantau-snmpsim/bin/snmpsim-command-responder}
[ -x "$AGENT" ] || cargo build --release -p pantau-agent
command -v snmpbulkwalk >/dev/null || { echo "snmpbulkwalk missing: apt-get install snmp" >&2; exit 1; }
[ -x "$SNMPSIM" ] || { echo "$SNMPSIM missing: run .ci/run's install step" >&2; exit 1; }
[ -x /usr/bin/time ] || { echo "/usr/bin/time missing: apt-get install time" >&2; exit 1; }

SIM=${BENCH_SIM:-snmpd}
W=$(mktemp -d /tmp/pantau-snmp-bench.XXXXXX)
PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  rm -rf "$W" 2>/dev/null || true
}
trap cleanup EXIT
free_udp() { python3 -c 'import socket;s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM);s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
declare -A PORT_OF
if [ "$SIM" = snmpsim ]; then
  mkdir -p "$W/data" "$W/cache"
  for i in $(seq -f %03g 1 "$DEVICES"); do
    cp tests/fixtures/snmp/switch.snmprec "$W/data/dev$i.snmprec"
  done
  chmod -R a+rwX "$W"
  PORT=$(free_udp)
  USER_ARGS=(); [ "$(id -u)" -eq 0 ] && USER_ARGS=(--process-user=nobody --process-group=nogroup)
  "$SNMPSIM" --data-dir="$W/data" --cache-dir="$W/cache" --agent-udpv4-endpoint="127.0.0.1:$PORT" \
    "${USER_ARGS[@]}" >"$W/snmpsim.log" 2>&1 &
  PIDS+=($!)
  for i in $(seq -f %03g 1 "$DEVICES"); do PORT_OF[dev$i]=$PORT; done
else
  for i in $(seq -f %03g 1 "$DEVICES"); do
    p=$(free_udp); d="$W/snmpd$i"; mkdir -p "$d"
    printf 'agentAddress udp:127.0.0.1:%s\nrocommunity dev%s 127.0.0.1\nmaster no\n' "$p" "$i" >"$d/snmpd.conf"
    SNMP_PERSISTENT_DIR="$d" MIBS="" /usr/sbin/snmpd -f -Lf "$d/log" -C -c "$d/snmpd.conf" \
      -I system_mib,ifTable,ifXTable,interfaces >/dev/null 2>&1 &
    PIDS+=($!); PORT_OF[dev$i]=$p
  done
fi
# Wait for every device, so neither tool pays a start-up (or snmpsim's first-request indexing).
for i in $(seq -f %03g 1 "$DEVICES"); do
  for _ in $(seq 1 100); do
    snmpget -v2c -c "dev$i" -t 1 -r 0 "127.0.0.1:${PORT_OF[dev$i]}" 1.3.6.1.2.1.1.5.0 >/dev/null 2>&1 && break
    sleep 0.1
  done
done

for i in $(seq -f %03g 1 "$DEVICES"); do echo "dev$i ${PORT_OF[dev$i]}"; done >"$W/ports.txt"
python3 - "$W/ports.txt" >"$W/targets.json" <<'PY'
import json, sys
devs = [l.split() for l in open(sys.argv[1])]
print(json.dumps({"timeout_ms": 5000, "retries": 2, "targets": [
    {"name": name, "host": "127.0.0.1", "port": int(port), "groups": ["interfaces"],
     "credentials": {"version": "v2c", "community": name}} for name, port in devs]}))
PY

walk_all() {
  for i in $(seq -f %03g 1 "$DEVICES"); do
    for root in 1.3.6.1.2.1.2.2.1 1.3.6.1.2.1.31.1.1.1; do
      MIBS="" snmpbulkwalk -v2c -c "dev$i" -On -Cr25 -t 5 -r 2 "127.0.0.1:${PORT_OF[dev$i]}" "$root" >>"$W/walk.txt"
      echo "== dev$i" >>"$W/walk.txt"
    done
  done
}

now() { date +%s.%N; }
printf '%-12s %4s %10s\n' tool run wall_s
for run in $(seq 1 "$RUNS"); do
  : >"$W/walk.txt"
  t0=$(now); walk_all; t1=$(now)
  wall_walk=$(echo "$t1 - $t0" | bc)
  printf '%-12s %4s %10.2f\n' snmpbulkwalk "$run" "$wall_walk"
  t0=$(now)
  /usr/bin/time -v -o "$W/time.txt" "$AGENT" snmp-poll --config "$W/targets.json" --compact >"$W/poll.json"
  t1=$(now)
  wall_poll=$(echo "$t1 - $t0" | bc)
  printf '%-12s %4s %10.2f\n' pantau "$run" "$wall_poll"
  echo "$wall_walk $wall_poll" >>"$W/walls.txt"
done

python3 - "$W" "$DEVICES" "$SIM" <<'PY'
import json, re, sys
w, n, sim = sys.argv[1], int(sys.argv[2]), sys.argv[3]
walk, dev = {}, None
cur = []
for line in open(f"{w}/walk.txt"):
    line = line.rstrip("\n")
    if line.startswith("== "):
        dev = line[3:]
        for l in cur:
            oid, _, val = l.partition(" = ")
            walk.setdefault(dev, {})[oid.lstrip(".")] = val.split(": ", 1)[-1].strip('"')
        cur = []
    else:
        cur.append(line)
report = json.load(open(f"{w}/poll.json"))
checked = mismatched = 0
for d in report["devices"]:
    ours = walk.get(d["target"], {})
    assert d["reachable"], d
    for i in d["interfaces"]:
        pairs = [(f"1.3.6.1.2.1.2.2.1.2.{i['index']}", i["descr"]),
                 (f"1.3.6.1.2.1.2.2.1.8.{i['index']}", i["oper_status"]),
                 (f"1.3.6.1.2.1.2.2.1.3.{i['index']}", str(i["if_type"]))]
        # Recorded counters are fixed; live ones (snmpd) move between the two reads.
        if sim == "snmpsim":
            pairs += [(f"1.3.6.1.2.1.31.1.1.1.6.{i['index']}", str(i["in_octets"])),
                      (f"1.3.6.1.2.1.31.1.1.1.10.{i['index']}", str(i["out_octets"]))]
        for oid, val in pairs:
            theirs = ours.get(oid, "")
            theirs = re.sub(r"\(\d+\)$", "", theirs)  # ifOperStatus may print as up(1)
            theirs = {"1": "up", "2": "down"}.get(theirs, theirs)
            checked += 1
            if theirs != val:
                mismatched += 1
polled = len(report["devices"])
walls = [tuple(map(float, l.split())) for l in open(f"{w}/walls.txt")]
best_walk = min(a for a, _ in walls); best_poll = min(b for _, b in walls)
t = open(f"{w}/time.txt").read()
user = float(re.search(r"User time \(seconds\): ([\d.]+)", t).group(1))
sys_ = float(re.search(r"System time \(seconds\): ([\d.]+)", t).group(1))
rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", t).group(1))
reqs = sum(d["requests"] for d in report["devices"])
print(f"simulator: {sim}; devices polled: {polled}/{n}, values compared: {checked}, mismatched: {mismatched}")
print(f"best wall: snmpbulkwalk {best_walk:.2f} s, pantau {best_poll:.2f} s, ratio {best_walk / best_poll:.1f}x")
print(f"pantau (last run): CPU {user + sys_:.2f} s = {1000 * (user + sys_) / n:.2f} ms/device, "
      f"peak RSS {rss / 1024:.1f} MiB = {rss / n:.1f} KiB/device, {reqs / n:.1f} requests/device")
sys.exit(1 if mismatched or polled != n else 0)
PY
