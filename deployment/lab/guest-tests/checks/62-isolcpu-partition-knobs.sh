# isolcpu's partition and host-wide knobs: with partition=isolated (systemd backend, which owns
# machine.slice's cpuset) machine.slice becomes an isolated cpuset partition of the VM's CPUs
# 2-3 while it runs; workqueue, irq and timer-migration limit the unbound and writeback
# workqueues and the default interrupt affinity to the host CPUs 0-1 and turn timer migration
# off. Afterwards every value is back and CPUs 2-3 are usable by any task again.
. "$LAB_PROGRAM/bin/lab-vm.sh"
knobs="/sys/devices/virtual/workqueue/cpumask /sys/bus/workqueue/devices/writeback/cpumask /proc/irq/default_smp_affinity /proc/sys/kernel/timer_migration"
snapshot() {
  echo "root subtree_control: $(cat /sys/fs/cgroup/cgroup.subtree_control)"
  local k d
  for k in $knobs /proc/irq/[0-9]*/smp_affinity_list; do echo "$k: $(cat "$k" 2>/dev/null || echo absent)"; done
  for d in /sys/fs/cgroup/*/; do
    echo "$(basename "$d") cpuset.cpus=$(cat "$d/cpuset.cpus" 2>/dev/null || echo absent)" \
      "partition=$(cat "$d/cpuset.cpus.partition" 2>/dev/null || echo absent)"
  done
}
before=$(snapshot)
echo "before:"; echo "$before"

tiny_domain lab-iso-part "<cputune><vcpupin vcpu='0' cpuset='2'/><emulatorpin cpuset='3'/></cputune>" \
  "<isolcpu backend='systemd' include='emulator' partition='isolated' workqueue='true' irq='true' timer-migration='false'/>" | vm_start lab-iso-part
partition=$(cat /sys/fs/cgroup/machine.slice/cpuset.cpus.partition)
effective=$(cat /sys/fs/cgroup/machine.slice/cpuset.cpus.effective)
echo "machine.slice: cpuset.cpus.partition=$partition cpuset.cpus.effective=$effective"
[ "$partition" = isolated ] || fail "machine.slice's cpuset.cpus.partition reads '$partition' while lab-iso-part runs, expected isolated"
cpus_equal "$effective" 2-3 || fail "machine.slice's cpuset.cpus.effective is '$effective', expected 2-3"
cpus_equal "$(cat /sys/fs/cgroup/system.slice/cpuset.cpus.effective)" 0-1 || fail "system.slice is not confined to 0-1 beside the partition"
for k in /sys/devices/virtual/workqueue/cpumask /sys/bus/workqueue/devices/writeback/cpumask /proc/irq/default_smp_affinity; do
  [ -e "$k" ] || { echo "$k: not offered by this kernel"; continue; }
  mask=$(tr -d ',' < "$k")
  echo "$k: $mask"
  [ $((16#$mask)) -eq 3 ] || fail "$k reads '$mask' while lab-iso-part runs, expected the host CPUs 0-1 (mask 3)"
done
[ "$(cat /proc/sys/kernel/timer_migration)" = 0 ] || fail "kernel.timer_migration is $(cat /proc/sys/kernel/timer_migration), expected 0"
hooklog_new | grep -E 'isolcpu: .*(interrupts|workqueue|timer_migration|partition)' || true

vm_destroy lab-iso-part
# systemd drops the cpuset controller once no unit asks for it: give it a moment.
wait_until 60 test "$(snapshot)" = "$before" || { echo "now:"; snapshot; fail "the host did not get its old values back"; }
taskset -c 2 true && taskset -c 3 true || fail "CPUs 2-3 cannot be used any more after the partition was undone"
echo "after:"; snapshot
echo "isolcpu: isolated machine.slice partition, workqueues, interrupts and timer migration applied and undone"
