# backend=cgroup on a host whose cgroups systemd manages (the lab): systemd writes its own
# cpuset.cpus into its units' cgroups whenever it updates them (a daemon-reload, a VM's scope
# with Delegate=yes), and owns machine.slice's cpuset. Whatever libvirt-hooks does about it
# (make it hold, or refuse backend=cgroup at prepare with its own message), a VM's isolation
# must not silently vanish, and the host must end as it was, CPUs 2-3 usable by any task.
# Runs late: when the partition case fails, CPUs 2-3 may stay unusable until reboot.
. "$LAB_PROGRAM/bin/lab-vm.sh"
pins="<cputune><vcpupin vcpu='0' cpuset='2'/><emulatorpin cpuset='3'/></cputune>"
snapshot() {
  echo "root subtree_control: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
  local d
  for d in /sys/fs/cgroup/*/; do
    echo "$(basename "$d") cpuset.cpus=$(cat "$d/cpuset.cpus" 2>/dev/null || echo absent)" \
      "partition=$(cat "$d/cpuset.cpus.partition" 2>/dev/null || echo absent)"
  done
}
problems=()
# try NAME FEATURES: starts NAME; 0 = it runs, 1 = refused by libvirt-hooks, 2 = failed otherwise.
try() {
  local out rc started=$SECONDS
  tiny_domain "$1" "$pins" "$2" | vm_define "$1"
  set +e
  out=$(timeout 120 virsh start "$1" 2>&1)
  rc=$?
  set -e
  echo "$1: virsh start exit $rc after $((SECONDS - started)) s ${out:+: $out}"
  [ "$rc" -eq 0 ] && return 0
  if echo "$out" | grep -q 'Hook script execution failed' && echo "$out" | grep -q 'isolcpu'; then return 1; fi
  problems+=("$1 did not start and was not refused by libvirt-hooks ($((SECONDS - started)) s): $(echo "$out" | tail -n 1)")
  return 2
}
before=$(snapshot)

# 1. backend=cgroup alone, and a daemon-reload (what every package install does) while it runs.
rc=0; try lab-cg-plain "<isolcpu backend='cgroup' include='emulator'/>" || rc=$?
if [ "$rc" -eq 0 ]; then
  systemctl daemon-reload
  sleep 1
  for d in /sys/fs/cgroup/*/; do
    [ "$(basename "$d")" = machine.slice ] && continue
    cpus=$(cat "$d/cpuset.cpus" 2>/dev/null || echo absent)
    cpus_equal "$cpus" 0-1 || { problems+=("backend=cgroup: after a daemon-reload $(basename "$d") has cpuset.cpus '$cpus', not 0-1: systemd undid the isolation while the VM runs"); break; }
  done
  vm_destroy lab-cg-plain
fi
wait_until 60 test "$(snapshot)" = "$before" || problems+=("backend=cgroup: the cgroups are not as before after the VM stopped")

# 2. backend=cgroup with partition=isolated on machine.slice.
rc=0; try lab-cg-part "<isolcpu backend='cgroup' include='emulator' partition='isolated'/>" || rc=$?
if [ "$rc" -eq 0 ]; then
  partition=$(cat /sys/fs/cgroup/machine.slice/cpuset.cpus.partition 2>/dev/null || echo absent)
  [ "$partition" = isolated ] || problems+=("partition: the VM runs but machine.slice's partition reads '$partition'")
  vm_destroy lab-cg-part
fi
wait_until 60 test "$(snapshot)" = "$before" || { echo "before:"; echo "$before"; echo "now:"; snapshot; problems+=("partition: the cgroups are not as before"); }
echo "root cpuset.cpus.effective: $(cat /sys/fs/cgroup/cpuset.cpus.effective)"
taskset -c 2 true && taskset -c 3 true \
  || problems+=("partition: CPUs 2-3 are unusable by any task now (taskset: EINVAL; root cpuset.cpus.effective $(cat /sys/fs/cgroup/cpuset.cpus.effective)) although release said the host is back")
[ ${#problems[@]} -eq 0 ] || fail "$(printf '%s; ' "${problems[@]}")"
echo "backend=cgroup under systemd: refused or holding, and the host is as before"
