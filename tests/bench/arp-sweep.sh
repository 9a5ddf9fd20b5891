#!/usr/bin/env bash
# ARP sweep of a /24: `pantau-agent scan` vs `arp-scan --localnet`, on the same namespaced LAN,
# in one run.
#
#   tests/bench/arp-sweep.sh          # about a minute
#
# Builds a throw-away LAN of network namespaces (like tests/src/netns.rs): a "scout"
# namespace with a bridge and its own veth `s0` (10.77.X.1/24), and BENCH_HOSTS namespaces,
# each with a veth into the bridge, its own address (10.77.X.11..) and its own MAC
# (02:77:00:00:00:NN). Then, on s0, for each rate:
#   - arp-scan --localnet at its default rate (256 kbit/s, about 380 requests a second; 2
#     retries of silent addresses, 500 ms timeout), and pantau-agent scan at the same rate;
#   - both at 50 requests a second (pantau's default; arp-scan --interval=20);
# pantau once with its default 1.5 s wait for late replies and once with --wait-ms 500
# (arp-scan's default per-request timeout); and prints wall time, hosts found, and whether both found exactly the same IP/MAC pairs.
# Needs root (namespaces, raw sockets). Installs arp-scan with apt-get unless
# BENCH_SKIP_INSTALL=1. Removes every namespace it made on exit.
#
# Knobs: BENCH_HOSTS (20), BENCH_RUNS per tool and rate (3), PANTAU_AGENT (binary; default the
# release build in ${CARGO_TARGET_DIR:-target}, built if missing).
set -euo pipefail
cd "$(dirname "$0")/../.."

HOSTS=${BENCH_HOSTS:-20}
RUNS=${BENCH_RUNS:-3}
TARGET=${CARGO_TARGET_DIR:-target}
AGENT=${PANTAU_AGENT:-$TARGET/release/pantau-agent}

if ! command -v arp-scan >/dev/null 2>&1 && [ ! -x /usr/sbin/arp-scan ]; then
  if [ "${BENCH_SKIP_INSTALL:-0}" = 1 ]; then echo "arp-scan is not installed" >&2; exit 1; fi
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends arp-scan
fi
ARPSCAN=$(command -v arp-scan || echo /usr/sbin/arp-scan)
if [ ! -x "$AGENT" ]; then
  cargo build --release -p pantau-agent
fi

P="pb$$"
X=$(( ($$ % 250) + 1 ))
NETNS=("${P}s")
cleanup() { for ((i=${#NETNS[@]}-1; i>=0; i--)); do ip netns del "${NETNS[$i]}" 2>/dev/null || true; done; }
trap cleanup EXIT

S=${P}s
ip netns add "$S"
ip -n "$S" link set lo up
ip -n "$S" link add br0 type bridge
ip -n "$S" link set br0 up
ip -n "$S" link add s0 type veth peer name s0p
ip -n "$S" link set s0p master br0 up
ip -n "$S" link set s0 address 02:77:00:00:ff:fe
ip -n "$S" addr add "10.77.$X.1/24" dev s0
ip -n "$S" link set s0 up
for i in $(seq 1 "$HOSTS"); do
  ns=${P}$i
  ip netns add "$ns"; NETNS+=("$ns")
  ip -n "$S" link add "h$i" type veth peer name e0 netns "$ns"
  ip -n "$S" link set "h$i" master br0 up
  ip -n "$ns" link set e0 address "$(printf '02:77:00:00:%02x:%02x' $((i / 256)) $((i % 256)))"
  ip -n "$ns" addr add "10.77.$X.$((10 + i))/24" dev e0
  ip -n "$ns" link set e0 up
done
sleep 1 # let the bridge ports come up

OUT=$(mktemp -d /tmp/pantau-arp-bench.XXXXXX)
now() { date +%s.%N; }

# run NAME CMD... -> prints "seconds" and leaves sorted "ip mac" pairs in $OUT/NAME.found
run() {
  local name=$1; shift
  local t0 t1
  t0=$(now)
  ip netns exec "$S" "$@" >"$OUT/$name.raw" 2>"$OUT/$name.err"
  t1=$(now)
  grep -Eo '^10\.77\.[0-9]+\.[0-9]+[[:space:]]+([0-9a-f]{2}:){5}[0-9a-f]{2}' "$OUT/$name.raw" \
    | awk '{print $1, $2}' | sort -V >"$OUT/$name.found"
  echo "$t1 - $t0" | bc -l
}

median() { sort -n | awk '{a[NR]=$1} END {m=(NR+1)/2; printf "%.2f", (a[int(m)]+a[int(m+0.5)])/2}'; }

printf '%s\n' "| rate (requests/s) | tool | wall time, median of $RUNS (s) | hosts found | same IP/MAC pairs as arp-scan |"
printf '%s\n' "|---|---|---|---|---|"
for rate in default 50; do
  if [ "$rate" = default ]; then
    A=("$ARPSCAN" --interface=s0 --localnet --quiet --plain)
    # arp-scan's default: 256000 bit/s over 84-byte frames on the wire (60 + preamble,
    # FCS and gap) = 380 requests a second.
    R=380; label="380 (arp-scan's default)"
  else
    A=("$ARPSCAN" --interface=s0 --localnet --quiet --plain --interval=20)
    R=$rate; label="$rate (pantau's default)"
  fi
  ta=(); tp=(); tq=()
  for n in $(seq 1 "$RUNS"); do
    ta+=("$(run "arpscan-$rate-$n" "${A[@]}")")
    tp+=("$(run "pantau-$rate-$n" "$AGENT" scan --interface s0 --rate "$R")")
    tq+=("$(run "pantau500-$rate-$n" "$AGENT" scan --interface s0 --rate "$R" --wait-ms 500)")
  done
  fa=$(wc -l <"$OUT/arpscan-$rate-1.found")
  fp=$(wc -l <"$OUT/pantau-$rate-1.found")
  same=yes
  for n in $(seq 1 "$RUNS"); do
    cmp -s "$OUT/arpscan-$rate-$n.found" "$OUT/pantau-$rate-$n.found" || same="no (see $OUT)"
    cmp -s "$OUT/arpscan-$rate-$n.found" "$OUT/pantau500-$rate-$n.found" || same="no (see $OUT)"
    [ "$(wc -l <"$OUT/arpscan-$rate-$n.found")" = "$HOSTS" ] || same="arp-scan missed hosts in run $n"
  done
  ma=$(printf '%s\n' "${ta[@]}" | median)
  mp=$(printf '%s\n' "${tp[@]}" | median)
  printf '| %s | arp-scan %s | %s (%s) | %s | - |\n' "$label" "$("$ARPSCAN" --version 2>&1 | head -1 | awk '{print $2}')" "$ma" "$(echo "${ta[@]}" | xargs printf '%.2f ')" "$fa"
  printf '| %s | pantau-agent scan | %s (%s) | %s | %s |\n' "$label" "$mp" "$(echo "${tp[@]}" | xargs printf '%.2f ')" "$fp" "$same"
  mq=$(printf '%s\n' "${tq[@]}" | median)
  fq=$(wc -l <"$OUT/pantau500-$rate-1.found")
  printf '| %s | pantau-agent scan --wait-ms 500 | %s (%s) | %s | %s |\n' "$label" "$mq" "$(echo "${tq[@]}" | xargs printf '%.2f ')" "$fq" "$same"
  printf '| %s | ratio pantau / arp-scan (default wait; 500 ms wait) | %s; %s | | |\n' "$label" \
    "$(echo "$mp / $ma" | bc -l | xargs printf '%.2f')" "$(echo "$mq / $ma" | bc -l | xargs printf '%.2f')"
done
echo
echo "hosts: $HOSTS responders on 10.77.$X.0/24; raw output in $OUT"
