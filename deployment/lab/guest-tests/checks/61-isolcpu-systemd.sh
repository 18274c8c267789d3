# isolcpu, systemd backend, with two VMs sharing the isolation: lab-iso-a pins CPUs 2-3 (a
# whole core: no SMT warning) and the host's slices get AllowedCPUs=0-1; lab-iso-b pins CPU 1,
# half of core 0-1, so the hook warns about the split core and the host keeps only CPU 0;
# when lab-iso-a stops the host gets 0,2-3, and when lab-iso-b stops the old (empty) values.
. "$LAB_PROGRAM/bin/lab-vm.sh"
units="init.scope system.slice user.slice"
snapshot() {
  local u
  for u in $units; do
    echo "$u $(systemctl show -p AllowedCPUs "$u") cpuset.cpus=$(cat "/sys/fs/cgroup/$u/cpuset.cpus" 2>/dev/null || echo absent)"
  done
}
expect_host() {
  local u allowed cpus
  for u in $units; do
    allowed=$(systemctl show -p AllowedCPUs --value "$u")
    cpus=$(cat "/sys/fs/cgroup/$u/cpuset.cpus" 2>/dev/null || echo absent)
    echo "$1: $u AllowedCPUs=$allowed cpuset.cpus=$cpus"
    cpus_equal "$allowed" "$2" || fail "$1: $u has AllowedCPUs='$allowed', expected $2"
    cpus_equal "$cpus" "$2" || fail "$1: /sys/fs/cgroup/$u/cpuset.cpus reads '$cpus', expected $2"
  done
}
[ "$(cat /sys/devices/system/cpu/cpu2/topology/thread_siblings_list)" = 2-3 ] || fail "CPUs 2 and 3 are not SMT siblings"
before=$(snapshot)
echo "before:"; echo "$before"

hooklog_mark
tiny_domain lab-iso-a "<cputune><vcpupin vcpu='0' cpuset='2'/><emulatorpin cpuset='3'/></cputune>" \
  "<isolcpu backend='systemd'/>" | vm_start lab-iso-a
expect_host "lab-iso-a on 2-3" 0-1
! hooklog_new | grep -q 'is split' || { hooklog_new; fail "a split-core warning for lab-iso-a, which has the whole core 2-3"; }

hooklog_mark
tiny_domain lab-iso-b "<cputune><vcpupin vcpu='0' cpuset='1'/></cputune>" "<isolcpu backend='systemd'/>" | vm_start lab-iso-b
expect_host "lab-iso-a on 2-3, lab-iso-b on 1" 0
hooklog_new
hooklog_new | grep -q 'lab-iso-b prepare begin: warn   isolcpu: physical core .* is split: CPU 1 for lab-iso-b, 0 elsewhere' \
  || fail "no SMT warning in $LAB_HOOK_LOG for lab-iso-b, which takes CPU 1 and leaves its sibling 0 to the host"

vm_destroy lab-iso-a
expect_host "lab-iso-a destroyed, lab-iso-b on 1" 0,2-3
vm_destroy lab-iso-b
# systemd drops the cpuset controller once no unit asks for it: give it a moment.
wait_until 20 test "$(snapshot)" = "$before" || { echo "now:"; snapshot; fail "the host slices did not get their old values back"; }
echo "after:"; snapshot
echo "isolcpu systemd: slices confined while VMs run, counted across two VMs, SMT split warned, old values back"
