# cfscpu: at started, the VM's vCPU thread (named 'CPU 0/TCG' under software emulation,
# 'CPU 0/KVM' under KVM) runs SCHED_FIFO priority 10, read back with chrt; QEMU's other threads
# keep SCHED_OTHER; nothing is left to undo after the VM stops.
. "$LAB_PROGRAM/bin/lab-vm.sh"
name=lab-cfs
hooklog_mark
tiny_domain "$name" "" "<cfscpu policy='fifo' priority='10'/>" | vm_start "$name"
pid=$(cat "/run/libvirt/qemu/$name.pid")
vcpu_tid() {
  local t
  for t in /proc/"$pid"/task/*; do
    case $(cat "$t/comm") in "CPU 0/TCG" | "CPU 0/KVM") basename "$t"; return 0 ;; esac
  done
  return 1
}
tid=$(vcpu_tid) || { grep . /proc/"$pid"/task/*/comm; fail "QEMU $pid has no thread named 'CPU 0/TCG' or 'CPU 0/KVM'"; }
fifo() { chrt -p "$tid" | grep -q 'policy: SCHED_FIFO' && chrt -p "$tid" | grep -q 'priority: 10$'; }
# The started hook runs before 'virsh start' returns; the wait only covers a slow read-back.
wait_until 20 fifo || { chrt -p "$tid"; hooklog_new; fail "vCPU thread $tid ($(cat /proc/"$pid"/task/"$tid"/comm)) is not SCHED_FIFO priority 10"; }
echo "vCPU thread $tid ($(cat /proc/"$pid"/task/"$tid"/comm)): $(chrt -p "$tid" | tr '\n' ' ')"
chrt -p "$pid" | grep -q 'SCHED_OTHER' || fail "QEMU's main thread $pid was changed too: $(chrt -p "$pid")"
hooklog_new
hooklog_new | grep -q "$name started begin: info   cfscpu: 1 of 1 threads of $name run SCHED_FIFO priority 10" \
  || fail "the hook log does not report the vCPU thread set to SCHED_FIFO priority 10"
vm_destroy "$name"
echo "cfscpu: the vCPU thread ran SCHED_FIFO priority 10, the emulator thread was left alone"
