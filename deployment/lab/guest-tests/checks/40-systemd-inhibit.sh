# logind answers as root: inhibitors can be listed, and one taken shows up in the list.
set -eu
systemd-inhibit --list
systemd-inhibit --what=sleep --who=libvirt-hooks-lab --why="lab check" --mode=block \
  bash -c 'systemd-inhibit --list | tee /dev/stderr | grep -q libvirt-hooks-lab' \
  || { echo "an inhibitor taken with systemd-inhibit is not in systemd-inhibit --list"; exit 1; }
