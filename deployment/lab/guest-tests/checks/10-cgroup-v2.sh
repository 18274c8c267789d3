# The guest is a pure cgroup v2 host with the cpuset controller, and hooks-sysfs says so too.
set -eu
fstype=$(stat -f -c %T /sys/fs/cgroup)
echo "/sys/fs/cgroup is $fstype"
if [ "$fstype" != cgroup2fs ]; then
  echo "/sys/fs/cgroup is $fstype, not cgroup2: the kernel command line must have systemd.unified_cgroup_hierarchy=1 ($(cat /proc/cmdline))"
  exit 1
fi
controllers=$(cat /sys/fs/cgroup/cgroup.controllers)
echo "root controllers: $controllers"
grep -qw cpuset <<<"$controllers" || { echo "no cpuset in /sys/fs/cgroup/cgroup.controllers"; exit 1; }
[ "$(cat /proc/1/comm)" = systemd ] || { echo "PID 1 is $(cat /proc/1/comm), not systemd"; exit 1; }
lab-probe cgroup
