#!/bin/bash
# Lab setup, first: no scheduled job of the guest's own runs during the checks. The guest's
# clock is the host's, so a run that crosses midnight met logrotate.timer (and dpkg-db-backup,
# tmpfiles-clean...), whose files then showed up in 99-uninstall's before/after file lists as
# if the package had left them. The checks start what they need themselves.
set -eu
mapfile -t timers < <(systemctl list-units --type=timer --state=active --plain --no-legend | awk '{print $1}')
if [ ${#timers[@]} -gt 0 ]; then
  systemctl stop "${timers[@]}"
  echo "stopped timers: ${timers[*]}"
fi
left=$(systemctl list-units --type=timer --state=active --plain --no-legend | awk '{print $1}')
[ -z "$left" ] || { echo "timers still active after the stop: $left"; exit 1; }
echo "no timer of the guest is active"
