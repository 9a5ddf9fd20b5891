#!/usr/bin/env bash
# Footprint of pantau-agent next to the usual alternatives, side by side on this machine.
#
#   tests/bench/agent-footprint.sh            # ~11 minutes with the defaults
#
# Measures, in one run:
#   1. steady RSS and CPU time per collection cycle of `pantau-agent run` (all host
#      collectors on) vs prometheus-node-exporter (default collectors, scraped with curl
#      every interval) vs collectd (cpu memory df disk interface load processes -> csv),
#      all three running at the same time:
#        - "slow" phase at a 30 s interval: RSS sampled over BENCH_SLOW_WINDOW_S after a
#          warm-up, plus CPU per cycle and CPU per hour;
#        - "fast" phase at a 1 s interval: many cycles quickly, for CPU per cycle;
#   2. size of the stripped release binary;
#   3. `pantau-agent inventory` vs `fusioninventory-inventory`: wall time (hyperfine) and
#      peak RSS (/usr/bin/time).
# Writes everything under BENCH_OUT and prints a Markdown summary (also BENCH_OUT/summary.md).
#
# Installs what it needs from Debian with apt-get (root, or sudo) unless BENCH_SKIP_INSTALL=1.
# Never uses the system broker or system services: it starts its own mosquitto, node
# exporter and collectd on free loopback ports / temp dirs and kills them (by PID) on exit.
#
# Knobs (environment):
#   BENCH_OUT               results dir                        (default: a new /tmp/pantau-bench.*)
#   BENCH_SLOW_INTERVAL_S   interval of the slow phase          (30)
#   BENCH_SLOW_WARMUP_S     warm-up before measuring            (60)
#   BENCH_SLOW_WINDOW_S     measuring window (RSS sampling)     (300)
#   BENCH_FAST_INTERVAL_S   interval of the fast phase          (1)
#   BENCH_FAST_WARMUP_S     warm-up of the fast phase           (10)
#   BENCH_FAST_WINDOW_S     measuring window of the fast phase  (120)
#   BENCH_RSS_EVERY_S       seconds between RSS samples         (10)
#   BENCH_INV_RUNS          hyperfine runs, fusioninventory     (10)
#   BENCH_INV_AGENT_RUNS    hyperfine runs, pantau-agent        (50)
#   BENCH_RSS_RUNS          /usr/bin/time runs per inventory    (5)
#   BENCH_PHASES            which parts to run                  ("size inventory slow fast")
#   BENCH_AGENT_BIN         use this binary instead of building one
#   BENCH_SKIP_INSTALL=1    do not apt-get anything
#   BENCH_SUMMARY_ONLY=1    only remake summary.md from an earlier run's BENCH_OUT
#   CARGO_TARGET_DIR        where cargo builds                  (<repo>/target)
#   MOSQUITTO               broker binary                       (/usr/sbin/mosquitto)

set -euo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
# shellcheck source=tests/bench/private-mosquitto.sh
source "$HERE/private-mosquitto.sh"

: "${BENCH_SLOW_INTERVAL_S:=30}"
: "${BENCH_SLOW_WARMUP_S:=60}"
: "${BENCH_SLOW_WINDOW_S:=300}"
: "${BENCH_FAST_INTERVAL_S:=1}"
: "${BENCH_FAST_WARMUP_S:=10}"
: "${BENCH_FAST_WINDOW_S:=120}"
: "${BENCH_RSS_EVERY_S:=10}"
: "${BENCH_INV_RUNS:=10}"
: "${BENCH_INV_AGENT_RUNS:=50}"
: "${BENCH_RSS_RUNS:=5}"
: "${BENCH_PHASES:=size inventory slow fast}"
: "${BENCH_SKIP_INSTALL:=0}"
: "${CARGO_TARGET_DIR:=$REPO/target}"
BENCH_OUT=${BENCH_OUT:-$(mktemp -d /tmp/pantau-bench.XXXXXX)}
mkdir -p "$BENCH_OUT"
BENCH_OUT=$(cd "$BENCH_OUT" && pwd)
RESULTS=$BENCH_OUT/results.env # key=value, one per line; summary.md is made from it
[[ ${BENCH_SUMMARY_ONLY:-0} == 1 ]] || : >"$RESULTS"

NODE_EXPORTER=/usr/bin/prometheus-node-exporter
COLLECTD=/usr/sbin/collectd
FUSION=/usr/bin/fusioninventory-inventory
# The categories fusioninventory collects that pantau-agent's inventory has no counterpart
# for; the "comparable scope" row leaves them out.
FUSION_EXTRA_CATEGORIES=software,process,environment,local_user,local_group,controller
CLK_TCK=$(getconf CLK_TCK)

log() { printf '[%(%H:%M:%S)T] %s\n' -1 "$*" >&2; }
die() { log "error: $*"; exit 1; }
put() { printf '%s=%s\n' "$1" "$2" >>"$RESULTS"; }
get() { awk -F= -v k="$1" '$1 == k { v = substr($0, length(k) + 2) } END { print v }' "$RESULTS"; }
calc() { awk "BEGIN { printf \"%.6g\", ($*) }"; }
now() { date +%s.%N; }
sleep_until() { # absolute epoch seconds (fractional)
    local d
    d=$(awk -v t="$1" -v n="$(now)" 'BEGIN { d = t - n; printf "%.3f", (d > 0 ? d : 0) }')
    # In the background and waited for, so a TERM trap runs at once, and can kill it.
    sleep "$d" &
    BENCH_SLEEP_PID=$!
    wait "$BENCH_SLEEP_PID" || true
    BENCH_SLEEP_PID=
}
want() { [[ " $BENCH_PHASES " == *" $1 "* ]]; }

bench_trap_cleanup

# ---------------------------------------------------------------------------------------
# Dependencies

install_deps() {
    # Debian packages -> a file each provides (to check without dpkg, too).
    local -A need=(
        [prometheus-node-exporter]=$NODE_EXPORTER
        [collectd-core]=$COLLECTD
        [fusioninventory-agent]=$FUSION
        # fusioninventory-agent's Recommends: what a normal install has, so it is not
        # measured with half its probes failing.
        [dmidecode]=/usr/sbin/dmidecode
        [hdparm]=/usr/sbin/hdparm
        [net-tools]=/usr/sbin/ifconfig
        [fdisk]=/usr/sbin/fdisk
        [libio-socket-ssl-perl]=/usr/share/perl5/IO/Socket/SSL.pm
        [hyperfine]=/usr/bin/hyperfine
        [time]=/usr/bin/time
        [mosquitto]=/usr/sbin/mosquitto
        [mosquitto-clients]=/usr/bin/mosquitto_sub
        [curl]=/usr/bin/curl
        [jq]=/usr/bin/jq
        [iproute2]=/usr/bin/ss
        [file]=/usr/bin/file
    )
    local missing=() p
    for p in "${!need[@]}"; do
        [[ -e ${need[$p]} ]] || missing+=("$p")
    done
    ((${#missing[@]})) || return 0
    if [[ $BENCH_SKIP_INSTALL == 1 ]]; then
        # hyperfine has a fallback (repeated runs timed with date +%s%N); the rest is needed.
        local hard=()
        for p in "${missing[@]}"; do
            [[ $p == hyperfine ]] || hard+=("$p")
        done
        ((${#hard[@]} == 0)) || die "missing ${hard[*]} and BENCH_SKIP_INSTALL=1"
        return 0
    fi
    local sudo=()
    if ((EUID != 0)); then
        command -v sudo >/dev/null || die "need root or sudo to install: ${missing[*]}"
        sudo=(sudo)
    fi
    log "installing: ${missing[*]}"
    # Package installs must not start the system node exporter / collectd services: they
    # would run next to the ones measured here. policy-rc.d 101 = "do not start"; only
    # added when the machine has none, and removed afterwards.
    local policy=/usr/sbin/policy-rc.d added_policy=0
    if [[ ! -e $policy ]]; then
        printf '#!/bin/sh\nexit 101\n' | "${sudo[@]}" tee "$policy" >/dev/null
        "${sudo[@]}" chmod 755 "$policy"
        added_policy=1
    fi
    local rc=0
    "${sudo[@]}" apt-get update -qq || rc=$?
    ((rc == 0)) && { "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
        apt-get install -y -qq --no-install-recommends "${missing[@]}" >"$BENCH_OUT/apt.log" 2>&1 || rc=$?; }
    ((added_policy)) && "${sudo[@]}" rm -f "$policy"
    ((rc == 0)) || die "apt-get failed (see $BENCH_OUT/apt.log)"
}

build_agent() {
    if [[ -n ${BENCH_AGENT_BIN:-} ]]; then
        AGENT=$BENCH_AGENT_BIN
    else
        log "building pantau-agent (profile agent, built for size) in $CARGO_TARGET_DIR"
        (cd "$REPO" && CARGO_TARGET_DIR=$CARGO_TARGET_DIR cargo build --profile agent -p pantau-agent --quiet)
        AGENT=$CARGO_TARGET_DIR/agent/pantau-agent
    fi
    [[ -x $AGENT ]] || die "no agent binary at $AGENT"
}

# ---------------------------------------------------------------------------------------
# Machine and versions

record_environment() {
    local f=$BENCH_OUT/environment.txt
    {
        echo "date: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
        echo "nproc: $(nproc)"
        echo "cpu: $(awk -F': ' '/^model name/ { print $2; exit }' /proc/cpuinfo)"
        echo "memory: $(awk '/^MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)"
        echo "kernel: $(uname -r) ($(uname -m))"
        echo "os: $(. /etc/os-release && echo "$PRETTY_NAME") (debian_version $(cat /etc/debian_version 2>/dev/null || echo ?))"
        echo "git: $(cd "$REPO" && git rev-parse --short HEAD 2>/dev/null || echo ?)$(cd "$REPO" && git diff --quiet HEAD 2>/dev/null || echo ' (dirty)')"
        echo "rustc: $(rustc --version 2>/dev/null || echo ?)"
        echo "pantau-agent: $("$AGENT" --version)"
        echo "prometheus-node-exporter: $("$NODE_EXPORTER" --version 2>&1 | head -1) [deb $(dpkg-query -W -f='${Version}' prometheus-node-exporter 2>/dev/null)]"
        echo "collectd: $("$COLLECTD" -h | grep -m1 '^collectd ') [deb $(dpkg-query -W -f='${Version}' collectd-core 2>/dev/null)]"
        echo "fusioninventory-inventory: $("$FUSION" --version 2>&1 | head -2 | tr '\n' ' ')[deb $(dpkg-query -W -f='${Version}' fusioninventory-agent 2>/dev/null)]"
        echo "perl: $(perl -e 'print $^V')"
        echo "hyperfine: $(hyperfine --version)"
        echo "time: GNU time [deb $(dpkg-query -W -f='${Version}' time 2>/dev/null)]"
        echo "mosquitto: $("$MOSQUITTO" -h 2>&1 | head -1)"
        echo "curl: $(curl --version | head -1)"
    } >"$f"
    cat "$f" >&2
}

# ---------------------------------------------------------------------------------------
# 2. Binary size

measure_size() {
    local bytes
    bytes=$(stat -c %s "$AGENT")
    put size.agent.bytes "$bytes"
    put size.agent.file "$(file -b "$AGENT" | grep -o 'stripped\|not stripped' | head -1)"
    put size.node_exporter.bytes "$(stat -c %s "$NODE_EXPORTER")"
    # collectd: the daemon plus the plugins this benchmark loads.
    local cd_bytes p
    cd_bytes=$(stat -c %s "$COLLECTD")
    for p in cpu memory df disk interface load processes csv logfile; do
        cd_bytes=$((cd_bytes + $(stat -c %s "/usr/lib/collectd/$p.so")))
    done
    put size.collectd.bytes "$cd_bytes"
    log "agent binary: $bytes bytes ($(file -b "$AGENT" | cut -c1-60)...)"
}

# ---------------------------------------------------------------------------------------
# 3. Inventory: wall time and peak RSS

# time_runs RUNS WARMUP CMD...: hyperfine's JSON result object (mean, stddev, median, times)
# from repeated runs timed with date +%s%N, output discarded; for machines without hyperfine.
time_runs() {
    local runs=$1 warm=$2 i a b
    shift 2
    for ((i = 0; i < warm; i++)); do "$@" >/dev/null 2>&1; done
    for ((i = 0; i < runs; i++)); do
        a=$(date +%s%N)
        "$@" >/dev/null 2>&1
        b=$(date +%s%N)
        echo $((b - a))
    done | sort -n | awk '{ t[NR] = $1 / 1e9; s += t[NR] }
        END { m = s / NR; for (i = 1; i <= NR; i++) v += (t[i] - m) ^ 2
              printf "{\"mean\":%.9f,\"stddev\":%.9f,\"median\":%.9f,\"times\":[", m, (NR > 1 ? sqrt(v / (NR - 1)) : 0), t[int((NR + 1) / 2)]
              for (i = 1; i <= NR; i++) printf "%s%.9f", (i > 1 ? "," : ""), t[i]
              print "]}" }'
}

measure_inventory() {
    local dir=$BENCH_OUT/inventory
    mkdir -p "$dir"
    "$AGENT" inventory >"$dir/pantau.json"
    "$FUSION" >"$dir/fusion.xml" 2>"$dir/fusion.stderr"
    "$FUSION" --no-category="$FUSION_EXTRA_CATEGORIES" >"$dir/fusion-scoped.xml" 2>>"$dir/fusion.stderr"
    put inv.agent.output_bytes "$(stat -c %s "$dir/pantau.json")"
    put inv.fusion.output_bytes "$(stat -c %s "$dir/fusion.xml")"
    put inv.fusion_scoped.output_bytes "$(stat -c %s "$dir/fusion-scoped.xml")"

    if command -v hyperfine >/dev/null; then
        log "inventory wall time (hyperfine)"
        # hyperfine discards the commands' output (stdout and stderr) by default.
        hyperfine -N --style basic --warmup 3 --runs "$BENCH_INV_AGENT_RUNS" \
            --export-json "$dir/hyperfine-agent.json" \
            "$AGENT inventory" >"$dir/hyperfine-agent.txt" 2>&1
        hyperfine -N --style basic --warmup 1 --runs "$BENCH_INV_RUNS" \
            --export-json "$dir/hyperfine-fusion.json" \
            "$FUSION" "$FUSION --no-category=$FUSION_EXTRA_CATEGORIES" >"$dir/hyperfine-fusion.txt" 2>&1
        put inv.timer hyperfine
    else
        log "inventory wall time (no hyperfine: repeated runs timed with date +%s%N)"
        {
            echo '{"results":['
            time_runs "$BENCH_INV_AGENT_RUNS" 3 "$AGENT" inventory
            echo ']}'
        } >"$dir/hyperfine-agent.json"
        {
            echo '{"results":['
            time_runs "$BENCH_INV_RUNS" 1 "$FUSION"
            echo ','
            time_runs "$BENCH_INV_RUNS" 1 "$FUSION" "--no-category=$FUSION_EXTRA_CATEGORIES"
            echo ']}'
        } >"$dir/hyperfine-fusion.json"
        put inv.timer "date +%s%N"
    fi
    local j=$dir/hyperfine-agent.json k=$dir/hyperfine-fusion.json
    put inv.agent.wall_mean_s "$(jq '.results[0].mean' "$j")"
    put inv.agent.wall_stddev_s "$(jq '.results[0].stddev' "$j")"
    put inv.agent.wall_median_s "$(jq '.results[0].median' "$j")"
    put inv.agent.runs "$(jq '.results[0].times | length' "$j")"
    put inv.fusion.wall_mean_s "$(jq '.results[0].mean' "$k")"
    put inv.fusion.wall_stddev_s "$(jq '.results[0].stddev' "$k")"
    put inv.fusion.wall_median_s "$(jq '.results[0].median' "$k")"
    put inv.fusion.runs "$(jq '.results[0].times | length' "$k")"
    put inv.fusion_scoped.wall_mean_s "$(jq '.results[1].mean' "$k")"
    put inv.fusion_scoped.wall_stddev_s "$(jq '.results[1].stddev' "$k")"
    put inv.fusion_scoped.wall_median_s "$(jq '.results[1].median' "$k")"

    log "inventory peak RSS (/usr/bin/time, $BENCH_RSS_RUNS runs each)"
    local name i
    for name in agent fusion fusion_scoped; do
        local cmd
        case $name in
        agent) cmd=("$AGENT" inventory) ;;
        fusion) cmd=("$FUSION") ;;
        fusion_scoped) cmd=("$FUSION" "--no-category=$FUSION_EXTRA_CATEGORIES") ;;
        esac
        : >"$dir/maxrss-$name.txt"
        for ((i = 0; i < BENCH_RSS_RUNS; i++)); do
            /usr/bin/time -f '%M %e %U %S' -a -o "$dir/maxrss-$name.txt" "${cmd[@]}" >/dev/null 2>&1
        done
        put "inv.$name.maxrss_kb_median" "$(awk '{ print $1 }' "$dir/maxrss-$name.txt" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')"
        put "inv.$name.maxrss_kb_max" "$(awk '$1 > m { m = $1 } END { print m }' "$dir/maxrss-$name.txt")"
        put "inv.$name.cpu_s_median" "$(awk '{ print $3 + $4 }' "$dir/maxrss-$name.txt" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')"
    done
}

# ---------------------------------------------------------------------------------------
# 1. The three daemons side by side

cpu_ticks() { # utime + stime of all threads, in clock ticks
    awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}
cpu_ns() { # on-CPU time of the live threads, ns (finer than ticks; cross-check only)
    cat /proc/"$1"/task/*/schedstat 2>/dev/null | awk '{ s += $1 } END { printf "%.0f\n", s }'
}
status_kb() { awk -v k="$2:" '$1 == k { print $2 }' "/proc/$1/status"; }
pss_kb() { awk '$1 == "Pss:" { print $2 }' "/proc/$1/smaps_rollup" 2>/dev/null || echo 0; }
collectd_cycles() { # one line per read of the load plugin
    cat "$1"/csv/*/load/load-* 2>/dev/null | grep -vc '^epoch' || true
}
# Where a process's RSS is: kB of Rss and of it anonymous, per mapping (file or [heap] ...),
# biggest first.
rss_by_mapping() {
    awk '/^[0-9a-f]+-[0-9a-f]+ / { name = ($6 == "" ? "[anon]" : $6) }
         /^Rss:/ { r[name] += $2 }
         /^Anonymous:/ { a[name] += $2 }
         END { for (n in r) if (r[n] > 0) printf "%d %d %s\n", r[n], a[n], n }' "/proc/$1/smaps" | sort -rn
}
scrape_count() { grep -c ' 200 ' "$1" 2>/dev/null || true; }

run_phase() {
    local phase=$1 interval=$2 warmup=$3 window=$4
    local dir=$BENCH_OUT/$phase
    rm -rf "$dir"
    mkdir -p "$dir"/{agent,collectd,node_exporter,mosquitto}
    # The window is a whole number of intervals, and measuring starts half an interval
    # off the agent's and collectd's ticks, so neither end cuts a cycle in two.
    window=$(((window + interval - 1) / interval * interval))
    warmup=$(((warmup + interval - 1) / interval * interval))
    log "phase $phase: interval ${interval}s, warm-up ${warmup}s, window ${window}s"

    start_private_mosquitto "$dir/mosquitto"
    local port=$MOSQ_PORT

    # Who sees the agent's messages: counts them, proving the agent really delivers.
    mosquitto_sub -h 127.0.0.1 -p "$port" -q 1 -i "bench-sub-$$" -t 'pantau/v1/bench-agent/#' \
        -F '%U %t %l' >"$dir/agent/received.txt" 2>"$dir/agent/sub.stderr" &
    bench_track $!

    # pantau-agent
    head -c32 /dev/urandom | base64 >"$dir/agent/agent.key"
    chmod 600 "$dir/agent/agent.key"
    cat >"$dir/agent/agent.toml" <<EOF
agent_id = "bench-agent"
key_file = "agent.key"
state_dir = "state"

[broker]
url = "mqtt://127.0.0.1:$port"

[metrics]
interval_s = $interval
batch = 2
top_processes = 5
EOF
    "$AGENT" check-config --config "$dir/agent/agent.toml" >"$dir/agent/check-config.txt"

    # collectd, foreground, own config, csv into the phase dir
    cat >"$dir/collectd/collectd.conf" <<EOF
Hostname "bench"
FQDNLookup false
BaseDir "$dir/collectd"
PIDFile "$dir/collectd/collectd.pid"
PluginDir "/usr/lib/collectd"
TypesDB "/usr/share/collectd/types.db"
Interval $interval

LoadPlugin logfile
<Plugin logfile>
  LogLevel info
  File "$dir/collectd/collectd.log"
  Timestamp true
</Plugin>

LoadPlugin cpu
LoadPlugin memory
LoadPlugin df
LoadPlugin disk
LoadPlugin interface
LoadPlugin load
LoadPlugin processes
LoadPlugin csv
<Plugin csv>
  DataDir "$dir/collectd/csv"
  StoreRates false
</Plugin>
EOF
    "$COLLECTD" -t -C "$dir/collectd/collectd.conf" || die "collectd config rejected"

    local ne_port
    ne_port=$(free_port)

    # Start the three together.
    local t_start
    t_start=$(now)
    PANTAU_LOG=info "$AGENT" run --config "$dir/agent/agent.toml" >"$dir/agent/stdout" 2>"$dir/agent/agent.log" &
    local agent_pid=$!
    bench_track "$agent_pid"
    "$COLLECTD" -f -C "$dir/collectd/collectd.conf" >"$dir/collectd/stdout" 2>&1 &
    local cd_pid=$!
    bench_track "$cd_pid"
    "$NODE_EXPORTER" --web.listen-address="127.0.0.1:$ne_port" >"$dir/node_exporter/node_exporter.log" 2>&1 &
    local ne_pid=$!
    bench_track "$ne_pid"
    wait_listening "$ne_port" 10 || die "node exporter did not listen on $ne_port"

    # The scraper: one GET /metrics per interval, a line per scrape.
    (
        trap 'kill ${BENCH_SLEEP_PID:-} 2>/dev/null; exit 0' TERM
        local k=0 next code
        while :; do
            next=$(awk -v s="$t_start" -v k="$k" -v i="$interval" 'BEGIN { printf "%.3f", s + k * i }')
            sleep_until "$next"
            code=$(curl -s -o /dev/null --max-time 10 -w '%{http_code} %{size_download}' \
                "http://127.0.0.1:$ne_port/metrics" || echo "000 0")
            echo "$(now) $code" >>"$dir/node_exporter/scrapes.txt"
            k=$((k + 1))
        done
    ) &
    bench_track $!

    local names=(agent collectd node_exporter)
    local -A pid=([agent]=$agent_pid [collectd]=$cd_pid [node_exporter]=$ne_pid)

    put "$phase.loadavg_start" "$(cut -d' ' -f1-3 /proc/loadavg)"
    local t0 t1
    t0=$(awk -v s="$t_start" -v w="$warmup" -v i="$interval" 'BEGIN { printf "%.3f", s + w + i / 2 }')
    sleep_until "$t0"
    local n
    for n in "${names[@]}"; do
        kill -0 "${pid[$n]}" 2>/dev/null || die "$n (pid ${pid[$n]}) died during warm-up; see $dir/$n"
    done

    local -A ticks0 ns0
    local cd0 ne0
    t0=$(now)
    for n in "${names[@]}"; do
        ticks0[$n]=$(cpu_ticks "${pid[$n]}")
        ns0[$n]=$(cpu_ns "${pid[$n]}")
    done
    cd0=$(collectd_cycles "$dir/collectd")
    ne0=$(scrape_count "$dir/node_exporter/scrapes.txt")

    # RSS samples through the window.
    local rss=$dir/rss.csv
    echo "t,tool,vmrss_kb,rssanon_kb,rssfile_kb,pss_kb" >"$rss"
    local t_end t_next
    t_end=$(awk -v a="$t0" -v w="$window" 'BEGIN { printf "%.3f", a + w }')
    t_next=$t0
    while awk -v n="$(now)" -v e="$t_end" 'BEGIN { exit !(n < e) }'; do
        for n in "${names[@]}"; do
            kill -0 "${pid[$n]}" 2>/dev/null || die "$n died during the window; see $dir/$n"
            echo "$(now),$n,$(status_kb "${pid[$n]}" VmRSS),$(status_kb "${pid[$n]}" RssAnon),$(status_kb "${pid[$n]}" RssFile),$(pss_kb "${pid[$n]}")" >>"$rss"
        done
        t_next=$(awk -v a="$t_next" -v s="$BENCH_RSS_EVERY_S" -v e="$t_end" 'BEGIN { x = a + s; printf "%.3f", (x < e ? x : e) }')
        sleep_until "$t_next"
    done

    local -A ticks1 ns1
    t1=$(now)
    for n in "${names[@]}"; do
        ticks1[$n]=$(cpu_ticks "${pid[$n]}")
        ns1[$n]=$(cpu_ns "${pid[$n]}")
        put "$phase.$n.vmhwm_kb" "$(status_kb "${pid[$n]}" VmHWM)"
        put "$phase.$n.threads" "$(status_kb "${pid[$n]}" Threads)"
        rss_by_mapping "${pid[$n]}" >"$dir/$n/rss-by-mapping.txt"
    done
    local cd1 ne1
    cd1=$(collectd_cycles "$dir/collectd")
    ne1=$(scrape_count "$dir/node_exporter/scrapes.txt")

    local elapsed
    elapsed=$(calc "$t1 - $t0")
    put "$phase.loadavg_end" "$(cut -d' ' -f1-3 /proc/loadavg)"
    put "$phase.interval_s" "$interval"
    put "$phase.warmup_s" "$warmup"
    put "$phase.window_s" "$elapsed"
    put "$phase.rss_samples" "$(($(wc -l <"$rss") - 1))"

    # Cycles: collectd and node exporter are counted (csv lines, successful scrapes); the
    # agent's are its ticks in the window, checked against the samples it delivered.
    local -A cycles
    cycles[agent]=$(awk -v e="$elapsed" -v i="$interval" 'BEGIN { printf "%d", e / i + 0.5 }')
    cycles[collectd]=$((cd1 - cd0))
    cycles[node_exporter]=$((ne1 - ne0))
    local msgs
    msgs=$(awk -v a="$t0" -v b="$t1" '$1 >= a && $1 <= b && $2 ~ /\/metrics$/ { n++ } END { print n + 0 }' "$dir/agent/received.txt")
    put "$phase.agent.metrics_msgs_in_window" "$msgs"
    put "$phase.agent.metrics_msgs_total" "$(awk '$2 ~ /\/metrics$/ { n++ } END { print n + 0 }' "$dir/agent/received.txt")"
    put "$phase.agent.msgs_total" "$(wc -l <"$dir/agent/received.txt")"
    put "$phase.node_exporter.scrape_bytes" "$(tail -1 "$dir/node_exporter/scrapes.txt" | awk '{ print $3 }')"

    for n in "${names[@]}"; do
        local dt dns
        dt=$((ticks1[$n] - ticks0[$n]))
        dns=$((ns1[$n] - ns0[$n]))
        put "$phase.$n.cycles" "${cycles[$n]}"
        put "$phase.$n.cpu_ticks" "$dt"
        put "$phase.$n.cpu_ms" "$(calc "$dt * 1000 / $CLK_TCK")"
        put "$phase.$n.cpu_ms_per_cycle" "$(calc "${cycles[$n]} > 0 ? $dt * 1000 / $CLK_TCK / ${cycles[$n]} : 0")"
        put "$phase.$n.schedstat_ms_per_cycle" "$(calc "${cycles[$n]} > 0 ? $dns / 1e6 / ${cycles[$n]} : 0")"
        put "$phase.$n.cpu_s_per_hour" "$(calc "$dt / $CLK_TCK * 3600 / $elapsed")"
        # RSS over the window: median and max of the samples.
        local col field
        for col in 3:vmrss 4:rssanon 5:rssfile 6:pss; do
            field=${col%%:*}
            put "$phase.$n.${col#*:}_kb_median" "$(awk -F, -v n="$n" -v f="$field" '$2 == n { print $f }' "$rss" | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }')"
            put "$phase.$n.${col#*:}_kb_max" "$(awk -F, -v n="$n" -v f="$field" '$2 == n && $f > m { m = $f } END { print m + 0 }' "$rss")"
        done
    done
    log "phase $phase: agent $msgs metrics messages in the window (${cycles[agent]} cycles, batch 2)"

    # Stop this phase's processes before the next phase.
    bench_cleanup
    grep -iE 'error|warn' "$dir/agent/agent.log" | head -5 >&2 || true
}

# ---------------------------------------------------------------------------------------
# Summary

fmt_mib() { awk -v k="$1" 'BEGIN { printf "%.1f MiB", k / 1024 }'; }
fmt_s() { awk -v v="$1" 'BEGIN { printf "%.2f s", v }'; }
fmt_cpu() { awk -v v="$1" 'BEGIN { if (v == 0) print "< 0.01 s"; else printf "%.2f s", v }'; }
fmt_ms() { awk -v v="$1" 'BEGIN { if (v < 10) printf "%.2f ms", v; else printf "%.0f ms", v }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.3g", a / b; else print "n/a" }'; }
passfail() { # value op limit
    awk -v a="$1" -v b="$3" -v op="$2" 'BEGIN { ok = (op == "<=" ? a <= b : a < b); print (ok ? "**pass**" : "**FAIL**") }'
}

summary() {
    local out=$BENCH_OUT/summary.md
    {
        echo "# pantau-agent footprint: results"
        echo
        echo '```'
        cat "$BENCH_OUT/environment.txt"
        echo '```'
        echo
        if want slow; then
            local p=slow a c e
            echo "## 1a. Steady RSS, ${BENCH_SLOW_INTERVAL_S} s interval (three daemons side by side)"
            echo
            echo "Window $(printf '%.0f' "$(get $p.window_s)") s after a $(get $p.warmup_s) s warm-up, $(get $p.rss_samples) samples (all tools), every ${BENCH_RSS_EVERY_S} s. Load average at the window's start / end: $(get $p.loadavg_start) / $(get $p.loadavg_end)."

            echo
            echo "| | pantau-agent | collectd | node exporter | agent / collectd | agent / node exporter |"
            echo "|---|---|---|---|---|---|"
            for m in vmrss_kb_median:"VmRSS median" vmrss_kb_max:"VmRSS max" vmhwm_kb:"VmHWM (peak since start)" rssanon_kb_median:"RssAnon median" rssfile_kb_median:"RssFile median" pss_kb_median:"Pss median" threads:"threads"; do
                local k=${m%%:*} label=${m#*:}
                a=$(get "$p.agent.$k") c=$(get "$p.collectd.$k") e=$(get "$p.node_exporter.$k")
                if [[ $k == threads ]]; then
                    echo "| $label | $a | $c | $e | | |"
                else
                    echo "| $label | $(fmt_mib "$a") | $(fmt_mib "$c") | $(fmt_mib "$e") | $(ratio "$a" "$c") | $(ratio "$a" "$e") |"
                fi
            done
            a=$(get $p.agent.vmrss_kb_median) c=$(get $p.collectd.vmrss_kb_median)
            echo
            echo "Target: agent VmRSS ≤ collectd's → $(ratio "$a" "$c") → $(passfail "$a" "<=" "$c")"
            echo
            echo "Where the RSS is at the end of the window (/proc/PID/smaps; kB resident, of which anonymous):"
            echo
            local n
            for n in agent collectd node_exporter; do
                echo "- $n: $(head -6 "$BENCH_OUT/$p/$n/rss-by-mapping.txt" | awk '{ printf "%s%s %d (%d anon)", (NR > 1 ? ", " : ""), $3, $1, $2 }')"
            done
            echo
            echo "CPU in the same window (few cycles; the ${BENCH_FAST_INTERVAL_S} s phase below is the per-cycle figure):"
            echo
            echo "| | pantau-agent | collectd | node exporter | agent / collectd | agent / node exporter |"
            echo "|---|---|---|---|---|---|"
            echo "| cycles in window | $(get $p.agent.cycles) | $(get $p.collectd.cycles) | $(get $p.node_exporter.cycles) | | |"
            echo "| CPU (utime+stime) | $(get $p.agent.cpu_ms) ms | $(get $p.collectd.cpu_ms) ms | $(get $p.node_exporter.cpu_ms) ms | $(ratio "$(get $p.agent.cpu_ms)" "$(get $p.collectd.cpu_ms)") | $(ratio "$(get $p.agent.cpu_ms)" "$(get $p.node_exporter.cpu_ms)") |"
            echo "| CPU per cycle (ticks) | $(fmt_ms "$(get $p.agent.cpu_ms_per_cycle)") | $(fmt_ms "$(get $p.collectd.cpu_ms_per_cycle)") | $(fmt_ms "$(get $p.node_exporter.cpu_ms_per_cycle)") | $(ratio "$(get $p.agent.cpu_ms_per_cycle)" "$(get $p.collectd.cpu_ms_per_cycle)") | $(ratio "$(get $p.agent.cpu_ms_per_cycle)" "$(get $p.node_exporter.cpu_ms_per_cycle)") |"
            echo "| CPU per cycle (schedstat) | $(fmt_ms "$(get $p.agent.schedstat_ms_per_cycle)") | $(fmt_ms "$(get $p.collectd.schedstat_ms_per_cycle)") | $(fmt_ms "$(get $p.node_exporter.schedstat_ms_per_cycle)") | $(ratio "$(get $p.agent.schedstat_ms_per_cycle)" "$(get $p.collectd.schedstat_ms_per_cycle)") | $(ratio "$(get $p.agent.schedstat_ms_per_cycle)" "$(get $p.node_exporter.schedstat_ms_per_cycle)") |"
            local -A sph
            for n in agent collectd node_exporter; do
                sph[$n]=$(calc "$(get $p.$n.schedstat_ms_per_cycle) * $(get $p.$n.cycles) / $(get $p.window_s) * 3.6")
            done
            echo "| CPU seconds per hour (schedstat) | $(fmt_s "${sph[agent]}") | $(fmt_s "${sph[collectd]}") | $(fmt_s "${sph[node_exporter]}") | $(ratio "${sph[agent]}" "${sph[collectd]}") | $(ratio "${sph[agent]}" "${sph[node_exporter]}") |"
            echo "| CPU seconds per hour (ticks) | $(fmt_s "$(get $p.agent.cpu_s_per_hour)") | $(fmt_s "$(get $p.collectd.cpu_s_per_hour)") | $(fmt_s "$(get $p.node_exporter.cpu_s_per_hour)") | $(ratio "$(get $p.agent.cpu_s_per_hour)" "$(get $p.collectd.cpu_s_per_hour)") | $(ratio "$(get $p.agent.cpu_s_per_hour)" "$(get $p.node_exporter.cpu_s_per_hour)") |"
            echo
            echo "Agent delivery check: $(get $p.agent.metrics_msgs_in_window) metrics messages in the window ($(get $p.agent.metrics_msgs_total) in all, $(get $p.agent.msgs_total) messages of any kind); node exporter scrape size $(get $p.node_exporter.scrape_bytes) bytes."
            echo
        fi
        if want fast; then
            local p=fast
            echo "## 1b. CPU per collection cycle, ${BENCH_FAST_INTERVAL_S} s interval (three daemons side by side)"
            echo
            echo "Window $(printf '%.0f' "$(get $p.window_s)") s after a $(get $p.warmup_s) s warm-up; load average at start / end $(get $p.loadavg_start) / $(get $p.loadavg_end). utime+stime from /proc/PID/stat (${CLK_TCK} ticks/s) ÷ cycles; schedstat = sum of /proc/PID/task/*/schedstat (ns) as a finer cross-check."
            echo
            echo "| | pantau-agent | collectd | node exporter | agent / collectd | agent / node exporter |"
            echo "|---|---|---|---|---|---|"
            echo "| cycles in window | $(get $p.agent.cycles) | $(get $p.collectd.cycles) | $(get $p.node_exporter.cycles) | | |"
            echo "| CPU (utime+stime) | $(get $p.agent.cpu_ms) ms | $(get $p.collectd.cpu_ms) ms | $(get $p.node_exporter.cpu_ms) ms | $(ratio "$(get $p.agent.cpu_ms)" "$(get $p.collectd.cpu_ms)") | $(ratio "$(get $p.agent.cpu_ms)" "$(get $p.node_exporter.cpu_ms)") |"
            echo "| CPU per cycle (ticks) | $(fmt_ms "$(get $p.agent.cpu_ms_per_cycle)") | $(fmt_ms "$(get $p.collectd.cpu_ms_per_cycle)") | $(fmt_ms "$(get $p.node_exporter.cpu_ms_per_cycle)") | $(ratio "$(get $p.agent.cpu_ms_per_cycle)" "$(get $p.collectd.cpu_ms_per_cycle)") | $(ratio "$(get $p.agent.cpu_ms_per_cycle)" "$(get $p.node_exporter.cpu_ms_per_cycle)") |"
            echo "| CPU per cycle (schedstat) | $(fmt_ms "$(get $p.agent.schedstat_ms_per_cycle)") | $(fmt_ms "$(get $p.collectd.schedstat_ms_per_cycle)") | $(fmt_ms "$(get $p.node_exporter.schedstat_ms_per_cycle)") | $(ratio "$(get $p.agent.schedstat_ms_per_cycle)" "$(get $p.collectd.schedstat_ms_per_cycle)") | $(ratio "$(get $p.agent.schedstat_ms_per_cycle)" "$(get $p.node_exporter.schedstat_ms_per_cycle)") |"
            echo "| VmRSS median | $(fmt_mib "$(get $p.agent.vmrss_kb_median)") | $(fmt_mib "$(get $p.collectd.vmrss_kb_median)") | $(fmt_mib "$(get $p.node_exporter.vmrss_kb_median)") | $(ratio "$(get $p.agent.vmrss_kb_median)" "$(get $p.collectd.vmrss_kb_median)") | $(ratio "$(get $p.agent.vmrss_kb_median)" "$(get $p.node_exporter.vmrss_kb_median)") |"
            local a c
            a=$(get $p.agent.cpu_ms_per_cycle) c=$(get $p.collectd.cpu_ms_per_cycle)
            echo
            echo "Target: agent CPU per cycle ≤ collectd's → $(ratio "$a" "$c") → $(passfail "$a" "<=" "$c")"
            echo
            echo "Agent delivery check: $(get $p.agent.metrics_msgs_in_window) metrics messages in the window (expected about cycles ÷ 2)."
            echo
        fi
        if want size; then
            local b
            b=$(get size.agent.bytes)
            echo "## 2. Release binary size"
            echo
            echo "| | bytes | MiB |"
            echo "|---|---|---|"
            echo "| pantau-agent ($(get size.agent.file)) | $b | $(awk -v b="$b" 'BEGIN { printf "%.2f", b / 1048576 }') |"
            echo "| prometheus-node-exporter (for scale) | $(get size.node_exporter.bytes) | $(awk -v b="$(get size.node_exporter.bytes)" 'BEGIN { printf "%.2f", b / 1048576 }') |"
            echo "| collectd + the 9 plugins loaded (for scale) | $(get size.collectd.bytes) | $(awk -v b="$(get size.collectd.bytes)" 'BEGIN { printf "%.2f", b / 1048576 }') |"
            echo
            echo "Target: < 8 MB (8,000,000 bytes) → $(passfail "$b" "<" 8000000)"
            echo
        fi
        if want inventory; then
            local aw fw sw am fm sm
            aw=$(get inv.agent.wall_mean_s) fw=$(get inv.fusion.wall_mean_s) sw=$(get inv.fusion_scoped.wall_mean_s)
            am=$(get inv.agent.maxrss_kb_median) fm=$(get inv.fusion.maxrss_kb_median) sm=$(get inv.fusion_scoped.maxrss_kb_median)
            echo "## 3. One-shot inventory"
            echo
            echo "Wall time: $(get inv.timer) mean ± σ ($(get inv.agent.runs) runs agent, $(get inv.fusion.runs) runs fusioninventory, output discarded). Peak RSS: /usr/bin/time \"Maximum resident set size\", median of ${BENCH_RSS_RUNS} runs."
            echo
            echo "| | wall time | peak RSS | CPU (user+sys) | output |"
            echo "|---|---|---|---|---|"
            echo "| pantau-agent inventory | $(awk -v m="$aw" -v s="$(get inv.agent.wall_stddev_s)" 'BEGIN { printf "%.1f ± %.1f ms", m * 1000, s * 1000 }') | $(fmt_mib "$am") | $(fmt_cpu "$(get inv.agent.cpu_s_median)") | $(get inv.agent.output_bytes) B JSON |"
            echo "| fusioninventory-inventory | $(awk -v m="$fw" -v s="$(get inv.fusion.wall_stddev_s)" 'BEGIN { printf "%.0f ± %.0f ms", m * 1000, s * 1000 }') | $(fmt_mib "$fm") | $(fmt_cpu "$(get inv.fusion.cpu_s_median)") | $(get inv.fusion.output_bytes) B XML |"
            echo "| fusioninventory-inventory, comparable scope¹ | $(awk -v m="$sw" -v s="$(get inv.fusion_scoped.wall_stddev_s)" 'BEGIN { printf "%.0f ± %.0f ms", m * 1000, s * 1000 }') | $(fmt_mib "$sm") | $(fmt_cpu "$(get inv.fusion_scoped.cpu_s_median)") | $(get inv.fusion_scoped.output_bytes) B XML |"
            echo
            echo "| ratio (agent / fusioninventory) | measured | target | result |"
            echo "|---|---|---|---|"
            echo "| wall time | $(ratio "$aw" "$fw") (1/$(awk -v a="$aw" -v b="$fw" 'BEGIN { printf "%.0f", b / a }')) | ≤ 0.10 | $(passfail "$(ratio "$aw" "$fw")" "<=" 0.10) |"
            echo "| peak RSS | $(ratio "$am" "$fm") (1/$(awk -v a="$am" -v b="$fm" 'BEGIN { printf "%.1f", b / a }')) | ≤ 0.20 | $(passfail "$(ratio "$am" "$fm")" "<=" 0.20) |"
            echo "| wall time, comparable scope¹ | $(ratio "$aw" "$sw") | (≤ 0.10) | $(passfail "$(ratio "$aw" "$sw")" "<=" 0.10) |"
            echo "| peak RSS, comparable scope¹ | $(ratio "$am" "$sm") | (≤ 0.20) | $(passfail "$(ratio "$am" "$sm")" "<=" 0.20) |"
            echo
            echo "¹ \`--no-category=$FUSION_EXTRA_CATEGORIES\`: without the parts pantau-agent's inventory does not have."
            echo
        fi
    } >"$out"
    cat "$out"
}

# ---------------------------------------------------------------------------------------

main() {
    if [[ ${BENCH_SUMMARY_ONLY:-0} == 1 ]]; then
        [[ -s $RESULTS ]] || die "BENCH_SUMMARY_ONLY=1 needs an earlier run's BENCH_OUT"
        summary
        return
    fi
    log "results in $BENCH_OUT"
    install_deps
    build_agent
    record_environment
    want size && measure_size
    want inventory && measure_inventory
    want slow && run_phase slow "$BENCH_SLOW_INTERVAL_S" "$BENCH_SLOW_WARMUP_S" "$BENCH_SLOW_WINDOW_S"
    want fast && run_phase fast "$BENCH_FAST_INTERVAL_S" "$BENCH_FAST_WARMUP_S" "$BENCH_FAST_WINDOW_S"
    summary
    log "done; raw data and summary.md in $BENCH_OUT"
}

main "$@"
