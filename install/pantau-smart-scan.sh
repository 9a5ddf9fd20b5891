#!/bin/sh
# Write one smartctl JSON report per disk for pantau-agent: OUT/<dev>.json (sda.json,
# nvme0.json). The agent runs unprivileged and cannot read SMART itself (smartctl needs
# CAP_SYS_RAWIO / CAP_SYS_ADMIN), so this runs as root from pantau-smart.timer (5 min after
# boot, then every 6 h) and the agent only reads the files. Does nothing without smartctl.
# Usage: pantau-smart-scan.sh [OUT]   (default /var/lib/pantau-smart)
set -u
out=${1:-/var/lib/pantau-smart}
command -v smartctl >/dev/null 2>&1 || exit 0

# OUT is root's own directory (not inside the agent's state directory, which the agent's
# user could fill with symlinks); refuse anything else all the same.
if [ -L "$out" ]; then echo "pantau-smart-scan: $out is a symlink; refusing" >&2; exit 1; fi
mkdir -p "$out" || exit 1
if [ "$(stat -c %u "$out")" != 0 ]; then echo "pantau-smart-scan: $out is not owned by root; refusing" >&2; exit 1; fi
chmod 0755 "$out"

# Lines look like: /dev/sda -d sat # /dev/sda [SAT], ATA device
smartctl --scan-open | while read -r dev dflag dtype _; do
    case "$dev" in /dev/*) ;; *) continue ;; esac
    name=${dev#/dev/}
    case "$name" in */*|'') continue ;; esac   # RAID pass-through (/dev/bus/0): not handled
    tmp=$(mktemp "$out/.$name.XXXXXX") || continue
    if [ "$dflag" = "-d" ]; then
        set -- -d "$dtype"
    else
        set --
    fi
    # -n standby leaves a sleeping disk asleep. The exit status is a bit mask in which
    # "disk failing" is news, not an error, so the output is judged, not the status.
    timeout 60 smartctl --json -a -n standby "$@" "$dev" >"$tmp" 2>/dev/null
    # Keep the previous report when this run got no health data (disk asleep, open failed);
    # the agent ignores reports older than 3 days.
    if grep -q -e '"smart_status"' -e '"ata_smart_attributes"' -e '"nvme_smart_health_information_log"' "$tmp"; then
        chmod 0644 "$tmp" && mv -f "$tmp" "$out/$name.json"
    else
        rm -f "$tmp"
    fi
done
exit 0
