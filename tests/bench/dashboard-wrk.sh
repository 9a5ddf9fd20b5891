#!/usr/bin/env bash
# The dashboard under load (issue 7's target): the overview (`/`) and the flags inbox
# (`/temuan`) of a collector holding a 10,000-host city (60 OPDs, 10,000 register assets,
# one reconciliation's flags), each hit by `wrk` with 50 concurrent connections for
# BENCH_SECONDS (30) after a 5 s warm-up. Prints requests/s and the latency distribution
# (p50/p90/p99), and the collector's resident memory (VmRSS after, VmHWM peak).
#
#   tests/bench/dashboard-wrk.sh              # a few minutes (release build first)
#   BENCH_OUT=/tmp/dash tests/bench/dashboard-wrk.sh
#
# The city is written straight into SQLite by the store's `bench_dashboard_db` fixture
# (collector/src/store/sqlite/bench_tests.rs), then served by the release `pantau-collector
# serve` with its MQTT link pointed at a closed port (ingest idles; pages read the store).
# wrk and the collector share this machine's cores: the figures include that contention.
set -euo pipefail
cd "$(dirname "$0")/../.."

SECONDS_RUN=${BENCH_SECONDS:-30}
OUT=${BENCH_OUT:-$(mktemp -d /tmp/pantau-bench-dashboard.XXXX)}
TARGET=${CARGO_TARGET_DIR:-target}
command -v wrk >/dev/null || { echo "wrk missing: apt-get install wrk" >&2; exit 1; }
mkdir -p "$OUT"
DATA="$OUT/data"
rm -rf "$DATA"; mkdir -p "$DATA"

echo "== release build and the 10,000-host fixture"
cargo build --release -p pantau-collector --bin pantau-collector -q
PANTAU_BENCH_DATA="$DATA" cargo test --release -q -p pantau-collector --lib bench_dashboard_db \
  -- --ignored --nocapture 2>&1 | grep -E "hosts in|test result" | tee "$OUT/fixture.txt"

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
HTTP=$(free_port); DEAD=$(free_port)
cat > "$OUT/collector.toml" <<TOML
data_dir = "$DATA"
[mqtt]
url = "mqtt://127.0.0.1:$DEAD"
[http]
listen = "127.0.0.1:$HTTP"
TOML
COL="$TARGET/release/pantau-collector"
echo "bench-password" | "$COL" user add bench --role admin --password-stdin --config "$OUT/collector.toml" >/dev/null
TOKEN=$("$COL" user token bench --name wrk --config "$OUT/collector.toml" 2>/dev/null)
"$COL" serve --config "$OUT/collector.toml" > "$OUT/collector.log" 2>&1 &
PID=$!
trap 'kill $PID 2>/dev/null || true' EXIT
for _ in $(seq 100); do
  curl -sf "http://127.0.0.1:$HTTP/api/v1/health" >/dev/null && break
  sleep 0.1
done

summary="$OUT/summary.md"
{
  echo "| page | requests/s | p50 | p90 | p99 | target p99 |"
  echo "|---|---|---|---|---|---|"
} > "$summary"
for path in / /temuan; do
  name=$(echo "$path" | tr -c 'a-z\n' '_')
  url="http://127.0.0.1:$HTTP$path"
  bytes=$(curl -s -H "Authorization: Bearer $TOKEN" "$url" | wc -c)
  echo "== $path ($bytes bytes)"
  wrk -t2 -c50 -d5s -H "Authorization: Bearer $TOKEN" "$url" > /dev/null
  wrk -t2 -c50 -d"${SECONDS_RUN}s" --latency -H "Authorization: Bearer $TOKEN" "$url" \
    | tee "$OUT/wrk$name.txt"
  rps=$(awk '/Requests\/sec/ {print $2}' "$OUT/wrk$name.txt")
  p() { awk -v q="$1" '$1 == q {print $2}' "$OUT/wrk$name.txt"; }
  echo "| \`$path\` ($bytes B) | $rps | $(p 50%) | $(p 90%) | $(p 99%) | 200ms |" >> "$summary"
done
rss=$(awk '/VmRSS/ {print $2}' /proc/$PID/status)
hwm=$(awk '/VmHWM/ {print $2}' /proc/$PID/status)
echo "" >> "$summary"
echo "collector VmRSS after: $((rss / 1024)) MiB, peak (VmHWM): $((hwm / 1024)) MiB" >> "$summary"
echo
cat "$summary"
echo "raw output in $OUT"
