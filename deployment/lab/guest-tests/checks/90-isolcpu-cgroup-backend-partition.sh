# backend=cgroup with partition=isolated on a host whose cgroups systemd manages: systemd owns
# machine.slice's cpuset and rewrites it when it creates the VM's scope. Whatever libvirt-hooks
# does about it (make it work, or refuse it at prepare with its own message), the host must end
# as it was: the same cgroup values, and CPUs 2-3 usable by any task.
# Runs late: when it fails, CPUs 2-3 may stay unusable until reboot.
. "$LAB_PROGRAM/bin/lab-vm.sh"
name=lab-iso-cgpart
snapshot() {
  echo "root subtree_control: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
  local d
  for d in /sys/fs/cgroup/*/; do
    echo "$(basename "$d") cpuset.cpus=$(cat "$d/cpuset.cpus" 2>/dev/null || echo absent)" \
      "partition=$(cat "$d/cpuset.cpus.partition" 2>/dev/null || echo absent)"
  done
}
before=$(snapshot)
tiny_domain "$name" "<cputune><vcpupin vcpu='0' cpuset='2'/><emulatorpin cpuset='3'/></cputune>" \
  "<isolcpu backend='cgroup' partition='isolated'/>" | vm_define "$name"
hooklog_mark
start=$SECONDS
set +e
out=$(timeout 120 virsh start "$name" 2>&1)
rc=$?
set -e
echo "virsh start: exit $rc after $((SECONDS - start)) s: $out"
hooklog_new
problems=()
if [ "$rc" -eq 0 ]; then
  partition=$(cat /sys/fs/cgroup/machine.slice/cpuset.cpus.partition 2>/dev/null || echo absent)
  echo "running; machine.slice partition: $partition"
  [ "$partition" = isolated ] || problems+=("the VM runs but machine.slice's partition reads '$partition', not isolated")
  vm_destroy "$name"
elif ! { echo "$out" | grep -q 'Hook script execution failed' && echo "$out" | grep -q 'isolcpu'; }; then
  problems+=("the start failed after $((SECONDS - start)) s, not refused by libvirt-hooks: $(echo "$out" | tail -n 1)")
fi
wait_until 20 test "$(snapshot)" = "$before" || { echo "before:"; echo "$before"; echo "now:"; snapshot; problems+=("the cgroups are not as before"); }
echo "root cpuset.cpus.effective: $(cat /sys/fs/cgroup/cpuset.cpus.effective)"
taskset -c 2 true && taskset -c 3 true \
  || problems+=("CPUs 2-3 are unusable by any task now (taskset: EINVAL; root cpuset.cpus.effective $(cat /sys/fs/cgroup/cpuset.cpus.effective)) although release said the host is back")
[ ${#problems[@]} -eq 0 ] || fail "$(printf "%s; " "${problems[@]}")"
echo "backend=cgroup with partition=isolated: handled, and the host is as before"
