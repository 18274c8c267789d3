# nosleep: starting a VM takes a logind sleep inhibitor held by a transient unit named after
# it; destroying the VM (release) stops the unit and the inhibitor is gone.
# Assumes: libvirt-hooks installed in the guest (launcher in /etc/libvirt/hooks/qemu.d/,
# 'libvirt-hooks' on PATH), libvirtd running and aware of the hook, systemd as PID 1.
set -eu
name=lab-nosleep
unit='libvirt-hooks-nosleep-lab\x2dnosleep.service'
virsh() { command virsh -q -c qemu:///system "$@"; }
cleanup() { virsh destroy "$name" >/dev/null 2>&1 || true; virsh undefine "$name" >/dev/null 2>&1 || true; }
trap cleanup EXIT
cleanup

xml=$(mktemp)
cat > "$xml" <<XML
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <metadata><hooks xmlns='urn:libvirt-hooks:1'><nosleep/></hooks></metadata>
  <devices><memballoon model='none'/></devices>
</domain>
XML
virsh define "$xml"
virsh start "$name"

systemctl is-active --quiet "$unit" || { echo "$unit is not active after start"; systemctl status "$unit" || true; exit 1; }
systemd-inhibit --list --no-pager | tee /dev/stderr | grep -q "VM $name is running" \
  || { echo "no inhibitor 'VM $name is running' in systemd-inhibit --list"; exit 1; }
systemctl show -p ExecStart "$unit" | grep -q -- '--mode=block' || { echo "$unit does not block"; exit 1; }

virsh destroy "$name"
for _ in 1 2 3 4 5 6 7 8 9 10; do
  systemctl is-active --quiet "$unit" || break
  sleep 0.5
done
! systemctl is-active --quiet "$unit" || { echo "$unit still active after the VM stopped"; exit 1; }
! systemd-inhibit --list --no-pager | grep -q "VM $name is running" || { echo "the inhibitor outlived the VM"; exit 1; }
echo "nosleep: inhibitor held while $name ran, gone after"
