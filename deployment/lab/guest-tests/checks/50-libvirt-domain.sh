# libvirtd starts a tiny software-emulated domain; systemd-machined gives it the scope
# machine.slice/machine-qemu\x2dID\x2dNAME.scope with libvirt/vcpu0 inside, and
# hooks-sysfs's LibvirtMachineScope finds it there.
set -eu
name=lab-smoke
virsh() { command virsh -q -c qemu:///system "$@"; }
cleanup() {
  virsh destroy "$name" >/dev/null 2>&1 || true
  virsh undefine "$name" >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup

xml=$(mktemp)
cat > "$xml" <<XML
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <devices><memballoon model='none'/></devices>
</domain>
XML
virsh define "$xml"
virsh start "$name"
id=$(virsh domid "$name" | tr -d '[:space:]')
echo "domain $name runs with id $id"
scope="/sys/fs/cgroup/machine.slice/machine-qemu\\x2d${id}\\x2dlab\\x2dsmoke.scope"
[ -d "$scope" ] || { echo "no scope $scope; machine.slice holds:"; ls -1d /sys/fs/cgroup/machine.slice/*/; exit 1; }
[ -d "$scope/libvirt/vcpu0" ] || { echo "no libvirt/vcpu0 in $scope:"; ls -1 "$scope"; exit 1; }
echo "machinectl: $(machinectl list --no-legend | tr -s ' ')"
lab-probe scope "$name" "$id"
