# cfscpu, nosleep and service on one real domain (a domain start costs half a minute under
# software emulation, so the three features share it; every assertion names its feature):
# - cfscpu: at started the VM's vCPU thread ('CPU 0/TCG' under software emulation, 'CPU 0/KVM'
#   under KVM) runs SCHED_FIFO priority 10, read back with chrt; QEMU's main thread keeps
#   SCHED_OTHER; nothing is left to undo after the VM stops.
# - nosleep: the VM holds a logind sleep inhibitor through a transient unit named after it
#   while it runs; release stops the unit and the inhibitor is gone.
# - service: <service unit='lab-vm-service'/> gets lab-vm-service@<VM name escaped by
#   systemd-escape>.service started when the VM starts and stopped when it stops, listed by
#   'libvirt-hooks status'; a unit that fails to start fails 'virsh start' with our message and
#   leaves nothing behind.
# The VM's name has a space and a dash, so every unit name is escaped for real.
# Needs the libvirt-hooks distribution installed in the guest (05-install installs it and
# restarts libvirtd).
set -eu
name='lab svc-1'
bad='lab-svc-bad'
virsh() { command virsh -q -c qemu:///system "$@"; }
cleanup() {
  for vm in "$name" "$bad"; do
    virsh destroy -- "$vm" >/dev/null 2>&1 || true
    virsh undefine -- "$vm" >/dev/null 2>&1 || true
  done
  rm -f /etc/systemd/system/lab-vm-service@.service /etc/systemd/system/lab-vm-broken@.service /run/lab-vm-service.name
  systemctl daemon-reload
}
trap cleanup EXIT
fail() { echo "--- hook log ---"; tail -n 30 /run/libvirt-hooks/hooks.log 2>/dev/null || true; echo "---"; echo "$*"; exit 1; }

command -v libvirt-hooks >/dev/null && [ -x /etc/libvirt/hooks/qemu.d/libvirt-hooks ] \
  || { echo "libvirt-hooks is not installed in the guest: the install check must run first"; exit 1; }
cleanup

# %I is the unescaped instance: the VM name as libvirt knows it, given to the service as one argument
# ("%I" quoted for systemd's word splitting; $$1 is a literal $1 for the shell, not a systemd variable).
cat > /etc/systemd/system/lab-vm-service@.service <<'UNIT'
[Unit]
Description=lab: a service for VM %I
[Service]
Type=exec
ExecStart=/bin/sh -c 'printf "%%s\\n" "$$1" > /run/lab-vm-service.name; exec sleep infinity' lab-vm-service "%I"
UNIT
cat > /etc/systemd/system/lab-vm-broken@.service <<'UNIT'
[Unit]
Description=lab: a service that cannot start, for VM %I
[Service]
Type=oneshot
ExecStart=/bin/false
UNIT
systemctl daemon-reload

domain() { # name, hooks metadata
  xml=$(mktemp)
  cat > "$xml" <<XML
<domain type='qemu'>
  <name>$1</name>
  <metadata><hooks xmlns='urn:libvirt-hooks:1'>$2</hooks></metadata>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices><memballoon model='none'/></devices>
</domain>
XML
  virsh define "$xml"
}

unit=$(systemd-escape --template=lab-vm-service@.service "$name")
inhibitor_unit="libvirt-hooks-nosleep-$(systemd-escape "$name").service"
echo "expecting $unit and $inhibitor_unit"
domain "$name" "<service unit='lab-vm-service'/><cfscpu policy='fifo' priority='10'/><nosleep/>"
virsh start -- "$name"

# cfscpu
pid=$(cat "/run/libvirt/qemu/$name.pid")
vcpu_tid() {
  local t
  for t in /proc/"$pid"/task/*; do
    case $(cat "$t/comm") in "CPU 0/TCG" | "CPU 0/KVM") basename "$t"; return 0 ;; esac
  done
  return 1
}
tid=$(vcpu_tid) || { grep . /proc/"$pid"/task/*/comm; fail "cfscpu: QEMU $pid has no thread named 'CPU 0/TCG' or 'CPU 0/KVM'"; }
fifo() { chrt -p "$tid" | grep -q 'policy: SCHED_FIFO' && chrt -p "$tid" | grep -q 'priority: 10$'; }
# 'started' runs after 'virsh start' may have returned: wait for it, bounded.
for _ in $(seq 1 240); do fifo && break; sleep 0.5; done
fifo || { chrt -p "$tid"; fail "cfscpu: vCPU thread $tid ($(cat /proc/"$pid"/task/"$tid"/comm)) is not SCHED_FIFO priority 10"; }
echo "vCPU thread $tid ($(cat /proc/"$pid"/task/"$tid"/comm)): $(chrt -p "$tid" | tr '\n' ' ')"
chrt -p "$pid" | grep -q 'SCHED_OTHER' || fail "cfscpu: QEMU's main thread $pid was changed too: $(chrt -p "$pid")"
grep -qF "started begin: info   cfscpu: 1 of 1 threads of $name run SCHED_FIFO priority 10" /run/libvirt-hooks/hooks.log \
  || fail "cfscpu: the hook log does not report the vCPU thread set to SCHED_FIFO priority 10"

# nosleep
systemctl is-active --quiet "$inhibitor_unit" || { systemctl status --no-pager "$inhibitor_unit" || true; fail "nosleep: $inhibitor_unit is not active after start"; }
systemd-inhibit --list --no-pager | tee /dev/stderr | grep -q "VM $name is running" \
  || fail "nosleep: no inhibitor 'VM $name is running' in systemd-inhibit --list"
systemctl show -p ExecStart "$inhibitor_unit" | grep -q -- '--mode=block' || fail "nosleep: $inhibitor_unit does not block"

# service
systemctl is-active --quiet "$unit" || { echo "$unit is not active after virsh start:"; systemctl status --no-pager "$unit" || true; exit 1; }
[ "$(cat /run/lab-vm-service.name)" = "$name" ] || { echo "the unit saw the VM name as '$(cat /run/lab-vm-service.name)'"; exit 1; }
# Look in status' journal entries, not in its hook log tail (which names the unit too).
json_unit=$(printf '%s' "$unit" | sed 's/\\/\\\\/g')
listed() { libvirt-hooks status --json | grep -qF "\"key\" : \"$json_unit\""; }
listed || { libvirt-hooks status --json; echo "status does not list $unit"; exit 1; }

virsh destroy -- "$name"
# libvirt may return from 'virsh destroy' before the release hook has finished: wait for the
# release's line in the hook log (the log escapes the space of the name as \x20). Under software
# emulation the hook's JVM alone takes seconds: allow two minutes.
for _ in $(seq 1 240); do
  grep -qF 'lab\x20svc-1 release end' /run/libvirt-hooks/hooks.log 2>/dev/null && break
  sleep 0.5
done
grep -qF 'lab\x20svc-1 release end' /run/libvirt-hooks/hooks.log || { echo "no release of '$name' in the hook log 2 minutes after destroy"; exit 1; }
if systemctl is-active --quiet "$unit"; then echo "service: $unit still active after the VM stopped"; exit 1; fi
if listed; then echo "service: status still lists $unit after the VM stopped and its release ran"; exit 1; fi
for _ in $(seq 1 20); do systemctl is-active --quiet "$inhibitor_unit" || break; sleep 0.5; done
! systemctl is-active --quiet "$inhibitor_unit" || fail "nosleep: $inhibitor_unit still active after the VM stopped"
! systemd-inhibit --list --no-pager | grep -q "VM $name is running" || fail "nosleep: the inhibitor outlived the VM"

domain "$bad" "<service unit='lab-vm-broken'/>"
if out=$(virsh start -- "$bad" 2>&1); then echo "virsh start succeeded although its service failed"; exit 1; fi
echo "$out"
echo "$out" | grep -qF "service: cannot start lab-vm-broken@lab\\x2dsvc\\x2dbad.service" \
  || { echo "virsh start did not fail with the service's message"; exit 1; }
[ "$(virsh domstate -- "$bad")" = "shut off" ] || { echo "$bad is not shut off"; exit 1; }
if ls /run/libvirt-hooks/*.journal >/dev/null 2>&1; then echo "journals left behind:"; ls /run/libvirt-hooks; exit 1; fi
echo "cfscpu: the vCPU thread ran SCHED_FIFO priority 10, the emulator thread was left alone;" \
  "nosleep: inhibitor held while the VM ran, gone after;" \
  "service: started, named, listed and stopped with the VM; a failing unit aborts the start cleanly"
