#!/usr/bin/env bash
# Install the Pantau agent on a Linux PC from an enrolled folder (agent.toml + agent.key).
# Usage: sudo bash install/install-agent.sh ENROLLED_DIR [PATH_TO_pantau-agent]
set -euo pipefail
dir=${1:?usage: install-agent.sh ENROLLED_DIR [pantau-agent binary]}
bin=${2:-$(dirname "$0")/../pantau-agent}
[ -f "$dir/agent.toml" ] && [ -f "$dir/agent.key" ] || { echo "$dir must hold agent.toml and agent.key" >&2; exit 1; }
[ -x "$bin" ] || bin=$(command -v pantau-agent) || { echo "pantau-agent binary not found" >&2; exit 1; }
id -u pantau-agent >/dev/null 2>&1 || useradd --system --no-create-home --shell /usr/sbin/nologin pantau-agent
install -m 0755 "$bin" /usr/local/bin/pantau-agent
install -d -m 0755 /etc/pantau
install -m 0644 "$dir/agent.toml" /etc/pantau/agent.toml
install -m 0600 -o pantau-agent -g pantau-agent "$dir/agent.key" /etc/pantau/agent.key
install -d -m 0700 -o pantau-agent -g pantau-agent /var/lib/pantau-agent
install -m 0644 "$(dirname "$0")/pantau-agent.service" /etc/systemd/system/pantau-agent.service
# Disk health (SMART) needs root; a root-run timer writes reports the unprivileged agent reads.
install -d -m 0755 /usr/local/lib/pantau
install -m 0755 "$(dirname "$0")/pantau-smart-scan.sh" /usr/local/lib/pantau/pantau-smart-scan.sh
install -m 0644 "$(dirname "$0")/pantau-smart.service" /etc/systemd/system/pantau-smart.service
install -m 0644 "$(dirname "$0")/pantau-smart.timer" /etc/systemd/system/pantau-smart.timer
runuser -u pantau-agent -- /usr/local/bin/pantau-agent check-config --config /etc/pantau/agent.toml >/dev/null
systemctl daemon-reload
systemctl enable --now pantau-agent
if command -v smartctl >/dev/null 2>&1; then
    # Started long after boot, the timer fires at once, so the first reports come now.
    systemctl enable --now pantau-smart.timer
else
    echo "Petunjuk: pasang paket smartmontools (mis. 'apt install smartmontools') agar Pantau dapat"
    echo "melaporkan kesehatan disk (SMART), lalu jalankan: systemctl enable --now pantau-smart.timer"
fi
echo "pantau-agent installed and running: systemctl status pantau-agent"
