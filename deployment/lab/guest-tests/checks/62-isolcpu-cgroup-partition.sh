# isolcpu's other paths on a cgroup v2 host: backend=cgroup writes cpuset.cpus of every
# top-level cgroup but machine.slice (enabling the cpuset controller at the root) and puts all
# back; partition=isolated (with the systemd backend, which owns machine.slice's cpuset) makes
# machine.slice an isolated cpuset partition of the VM's CPUs while it runs, and the CPUs are
# usable by everyone again after.
. "$LAB_PROGRAM/bin/lab-vm.sh"
top_cgroups() { find /sys/fs/cgroup -mindepth 1 -maxdepth 1 -type d ! -name machine.slice -printf '%f\n' | sort; }
snapshot() {
  echo "root subtree_control: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
  local c
  for c in $(top_cgroups) machine.slice; do
    echo "$c cpuset.cpus=$(cat "/sys/fs/cgroup/$c/cpuset.cpus" 2>/dev/null || echo absent)" \
      "partition=$(cat "/sys/fs/cgroup/$c/cpuset.cpus.partition" 2>/dev/null || echo absent)"
  done
}
pins="<cputune><vcpupin vcpu='0' cpuset='2'/><emulatorpin cpuset='3'/></cputune>"
before=$(snapshot)
echo "before:"; echo "$before"

# backend=cgroup
tiny_domain lab-iso-cg "$pins" "<isolcpu backend='cgroup'/>" | vm_start lab-iso-cg
grep -qw cpuset /sys/fs/cgroup/cgroup.subtree_control || fail "backend=cgroup: the cpuset controller is not enabled at the root"
for c in $(top_cgroups); do
  cpus=$(cat "/sys/fs/cgroup/$c/cpuset.cpus")
  cpus_equal "$cpus" 0-1 || fail "backend=cgroup: /sys/fs/cgroup/$c/cpuset.cpus reads '$cpus', expected 0-1"
done
echo "backend=cgroup: $(top_cgroups | wc -l) top-level cgroups confined to 0-1"
vm_destroy lab-iso-cg
wait_until 20 test "$(snapshot)" = "$before" || { echo "now:"; snapshot; fail "backend=cgroup: the cgroups did not get their old values back"; }

# partition=isolated on machine.slice
hooklog_mark
tiny_domain lab-iso-part "$pins" "<isolcpu backend='systemd' partition='isolated'/>" | vm_start lab-iso-part
hooklog_new
partition=$(cat /sys/fs/cgroup/machine.slice/cpuset.cpus.partition)
effective=$(cat /sys/fs/cgroup/machine.slice/cpuset.cpus.effective)
echo "machine.slice: cpuset.cpus.partition=$partition cpuset.cpus.effective=$effective"
[ "$partition" = isolated ] || fail "machine.slice's cpuset.cpus.partition reads '$partition' while lab-iso-part runs, expected isolated"
cpus_equal "$effective" 2-3 || fail "machine.slice's cpuset.cpus.effective is '$effective', expected 2-3"
cpus_equal "$(cat /sys/fs/cgroup/system.slice/cpuset.cpus.effective)" 0-1 || fail "system.slice is not confined to 0-1 beside the partition"
vm_destroy lab-iso-part
wait_until 20 test "$(snapshot)" = "$before" || { echo "now:"; snapshot; fail "partition: the cgroups did not get their old values back"; }
taskset -c 2 true && taskset -c 3 true || fail "CPUs 2-3 cannot be used any more after the partition was undone"
echo "after:"; snapshot
echo "isolcpu: backend=cgroup and an isolated machine.slice partition applied and undone"
