#!/usr/bin/env bash
# A city-wide monthly report for 5,000 assets in 60 OPDs: time and peak memory of
# `pantau-collector report` (PDF, HTML, XLSX together, then each alone). Target: under 10 s.
#
#   tests/bench/report.sh            # BENCH_PROFILE=release for an optimized build (default dev)
#   BENCH_CARGO_FLAGS=--no-default-features BENCH_FORMATS=html,xlsx tests/bench/report.sh
#
# The database is filled once by the ignored test `bench_report_fill`
# (collector/src/report/tests/bench_fill.rs). Results in docs/benchmarks.md.
set -euo pipefail
cd "$(dirname "$0")/../.."
PROFILE=${BENCH_PROFILE:-dev}
OUT=${BENCH_OUT:-$(mktemp -d /tmp/pantau-report-bench.XXXXXX)}
TARGET=${CARGO_TARGET_DIR:-$PWD/target}
if [ "$PROFILE" = dev ]; then BIN=$TARGET/debug/pantau-collector; else BIN=$TARGET/$PROFILE/pantau-collector; fi
FLAGS=${BENCH_CARGO_FLAGS:-}
FORMATS=${BENCH_FORMATS:-pdf,html,xlsx}
cargo build -q --profile "$PROFILE" $FLAGS -p pantau-collector --bin pantau-collector
PANTAU_BENCH_DIR=$OUT cargo test -q --profile "$PROFILE" $FLAGS -p pantau-collector --lib bench_report_fill \
    -- --ignored --nocapture 2>&1 | grep -E "filled|test result"
run() {
    local label=$1; shift
    /usr/bin/time -v "$BIN" report --period 2026-10 --data "$OUT" --out "$OUT/out" "$@" \
        >/dev/null 2>"$OUT/time-$label.txt"
    local wall rss
    wall=$(grep "Elapsed (wall clock)" "$OUT/time-$label.txt" | awk '{print $NF}')
    rss=$(grep "Maximum resident set size" "$OUT/time-$label.txt" | awk '{print $NF}')
    printf '%-16s wall %s  peak RSS %d MiB\n' "$label" "$wall" $((rss / 1024))
}
echo "== $PROFILE build, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
run all --format "$FORMATS"
for f in ${FORMATS//,/ }; do run "$f" --format "$f"; done
ls -l "$OUT/out"
pdfinfo "$OUT/out/laporan-kota-2026-10.pdf" 2>/dev/null | grep Pages || true
