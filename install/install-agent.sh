#!/usr/bin/env bash
# Install the Pantau agent on a Linux PC (docs/operations.md#memasang-agen).
#
# One line, with an enrollment token from the collector's admin (the collector serves this
# script with its own address filled in):
#   curl -fsSL https://COLLECTOR:PORT/install.sh | sudo bash -s -- --token T \
#       [--ca-fingerprint SHA256] [--deb https://FILESERVER/pantau-agent_0.1.0-1_amd64.deb]
# or from a copy of this script, with the package beside it:
#   sudo bash install-agent.sh --deb pantau-agent_0.1.0-1_amd64.deb --token T --url https://COLLECTOR:PORT
# or from a folder made by `pantau-collector enroll add` (agent.toml + agent.key):
#   sudo bash install-agent.sh ENROLLED_DIR [PATH_TO_pantau-agent]
#
# Options:
#   --token T                enroll with this token (pantau-agent enroll URL --token T)
#   --url URL                the collector's HTTPS address; default: where install.sh came from
#   --ca-fingerprint SHA256  the collector CA's fingerprint, checked before trusting it
#   --deb FILE|URL           install this package (default: pantau-agent_*.deb beside the
#                            script, else an already installed pantau-agent)
#   --bin FILE               install this binary instead of a package
#   --no-start               install and enroll, but do not enable the service
#
# PANTAU_ROOT=DIR installs into DIR instead of / (a throwaway root: tests/tests/packaging.rs);
# nothing is started there.
set -euo pipefail

# The collector that serves this script writes its own address here; empty in the file.
PANTAU_URL_DEFAULT=""

root=${PANTAU_ROOT:-}
say() { echo "pantau: $*" >&2; }
die() { say "$*"; exit 1; }

token="" url="$PANTAU_URL_DEFAULT" fingerprint="" deb="" bin="" start=1 enrolled_dir=""
while [ $# -gt 0 ]; do
    case "$1" in
    --token) token=${2:?--token needs a value}; shift 2 ;;
    --url) url=${2:?--url needs a value}; shift 2 ;;
    --ca-fingerprint) fingerprint=${2:?--ca-fingerprint needs a value}; shift 2 ;;
    --deb) deb=${2:?--deb needs a file}; shift 2 ;;
    --bin) bin=${2:?--bin needs a file}; shift 2 ;;
    --no-start) start=0; shift ;;
    -h | --help) sed -n '2,22p' "$0"; exit 0 ;;
    -*) die "unknown option $1 (see --help)" ;;
    *)
        # The older form: ENROLLED_DIR [BINARY].
        [ -z "$enrolled_dir" ] || { bin=$1; shift; continue; }
        enrolled_dir=$1; shift ;;
    esac
done
[ "$(id -u)" -eq 0 ] || die "run as root (sudo)"
[ -n "$token" ] || [ -n "$enrolled_dir" ] || die "give --token T (or an enrolled folder); see --help"
[ -z "$token" ] || [ -n "$url" ] || die "--url https://COLLECTOR:PORT is needed with --token"

here=$(cd "$(dirname "${BASH_SOURCE[0]:-$0}")" 2>/dev/null && pwd || echo .)

# 1. The program: a package (preferred: user, units, upgrades) or a bare binary.
if [ -z "$deb" ] && [ -z "$bin" ]; then
    deb=$(ls "$here"/pantau-agent_*.deb 2>/dev/null | sort | tail -n 1 || true)
fi
if [ -z "$deb" ] && [ -z "$bin" ] && [ -n "$enrolled_dir" ]; then
    # The older layout: the binary next to install/.
    for b in "$here/../pantau-agent" "$(command -v pantau-agent || true)"; do
        [ -n "$b" ] && [ -x "$b" ] && { bin=$b; break; }
    done
fi
case "$deb" in
http://* | https://*)
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    say "downloading $deb"
    curl -fsSL -o "$tmp/pantau-agent.deb" "$deb" || die "cannot download $deb"
    deb="$tmp/pantau-agent.deb"
    ;;
esac
if [ -z "$deb" ] && [ -z "$bin" ] && [ -x "$root/usr/bin/pantau-agent" ]; then
    say "using the installed $root/usr/bin/pantau-agent (apt or an earlier install)"
elif [ -n "$deb" ]; then
    [ -f "$deb" ] || die "$deb: no such package"
    command -v dpkg >/dev/null || die "dpkg not found: use --bin FILE on this system"
    if [ -n "$root" ]; then
        dpkg --root="$root" --force-script-chrootless --force-depends --log=/dev/null -i "$deb" >&2
    else
        dpkg -i "$deb" >&2 || apt-get install -f -y >&2
    fi
elif [ -n "$bin" ]; then
    [ -x "$bin" ] || die "$bin: not an executable"
    # What the package would do, by hand.
    grep -q '^pantau-agent:' "$root/etc/passwd" 2>/dev/null ||
        useradd ${root:+--prefix "$root"} --system --no-create-home --home-dir /var/lib/pantau-agent \
            --shell /usr/sbin/nologin pantau-agent
    install -D -m 0755 "$bin" "$root/usr/bin/pantau-agent"
    for f in pantau-agent.service pantau-smart.service pantau-smart.timer; do
        if [ -f "$here/$f" ]; then install -D -m 0644 "$here/$f" "$root/etc/systemd/system/$f"; fi
    done
    if [ -f "$here/pantau-smart-scan.sh" ]; then
        install -D -m 0755 "$here/pantau-smart-scan.sh" "$root/usr/lib/pantau/pantau-smart-scan.sh"
    fi
    install -d -m 0755 "$root/etc/pantau"
    agent_ids=$(awk -F: '$1 == "pantau-agent" { print $3 ":" $4 }' "$root/etc/passwd")
    install -d -m 0700 -o "${agent_ids%:*}" -g "${agent_ids#*:}" "$root/var/lib/pantau-agent"
elif [ ! -x "$root/usr/bin/pantau-agent" ]; then
    die "no pantau-agent package or binary found: use --deb FILE|URL or --bin FILE"
fi
agent="$root/usr/bin/pantau-agent"
ids=$(awk -F: '$1 == "pantau-agent" { print $3 ":" $4 }' "$root/etc/passwd")
[ -n "$ids" ] || die "user pantau-agent was not created"

# 2. The identity: enrollment with the token, or the enrolled folder's files.
if [ -n "$token" ]; then
    args=(enroll "$url" --token "$token")
    [ -z "$fingerprint" ] || args+=(--ca-fingerprint "$fingerprint")
    "$agent" "${args[@]}" || die "enrollment failed (see the message above); nothing was started"
else
    [ -f "$enrolled_dir/agent.toml" ] && [ -f "$enrolled_dir/agent.key" ] ||
        die "$enrolled_dir must hold agent.toml and agent.key"
    install -m 0644 "$enrolled_dir/agent.toml" "$root/etc/pantau/agent.toml"
fi
if [ -n "$enrolled_dir" ]; then
    install -m 0600 -o "${ids%:*}" -g "${ids#*:}" "$enrolled_dir/agent.key" "$root/etc/pantau/agent.key"
elif [ -f "$root/etc/pantau/agent.key" ]; then
    # The key is the agent's alone, whoever wrote it.
    chown "$ids" "$root/etc/pantau/agent.key"
    chmod 0600 "$root/etc/pantau/agent.key"
fi
[ -d "$root/var/lib/pantau-agent" ] && chown -R "$ids" "$root/var/lib/pantau-agent"

if [ -n "$root" ]; then
    "$agent" check-config --config "$root/etc/pantau/agent.toml" >/dev/null
    say "installed into $root (nothing started there)"
    exit 0
fi
runuser -u pantau-agent -- "$agent" check-config --config /etc/pantau/agent.toml >/dev/null

# 3. The service.
if [ "$start" -eq 1 ] && [ -d /run/systemd/system ]; then
    systemctl daemon-reload
    systemctl enable --now pantau-agent
    if command -v smartctl >/dev/null 2>&1; then
        # Started long after boot, the timer fires at once, so the first reports come now.
        systemctl enable --now pantau-smart.timer
    else
        echo "Petunjuk: pasang paket smartmontools (mis. 'apt install smartmontools') agar Pantau dapat"
        echo "melaporkan kesehatan disk (SMART), lalu jalankan: systemctl enable --now pantau-smart.timer"
    fi
    echo "pantau-agent terpasang dan berjalan / installed and running: systemctl status pantau-agent"
else
    echo "pantau-agent terpasang / installed; mulai / start: systemctl enable --now pantau-agent"
fi
