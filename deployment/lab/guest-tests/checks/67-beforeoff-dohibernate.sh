# beforeoff-dohibernate: the shutdown unit is active and ordered after libvirt-guests and the
# libvirt daemons (so that it stops first); 'host-shutdown' does nothing while the system is
# not stopping, and with --force applies the fallback (managedsave for an agent-less guest).
# Assumes: libvirt-hooks installed (shutdown unit enabled and started), libvirtd running.
set -eu
name=lab-beforeoff
virsh() { command virsh -q -c qemu:///system "$@"; }
cleanup() {
  virsh destroy "$name" >/dev/null 2>&1 || true
  virsh managedsave-remove "$name" >/dev/null 2>&1 || true
  virsh undefine "$name" >/dev/null 2>&1 || true
}
trap cleanup EXIT
cleanup

systemctl is-active --quiet libvirt-hooks-shutdown.service || { echo "libvirt-hooks-shutdown.service is not active"; exit 1; }
after=$(systemctl show -p After libvirt-hooks-shutdown.service)
for u in libvirt-guests.service libvirtd.service; do
  echo "$after" | grep -q "$u" || { echo "the shutdown unit is not After=$u: $after"; exit 1; }
done

xml=$(mktemp)
cat > "$xml" <<XML
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <metadata><hooks xmlns='urn:libvirt-hooks:1'><beforeoff-dohibernate fallback='managedsave'/></hooks></metadata>
  <devices><memballoon model='none'/></devices>
</domain>
XML
virsh define "$xml"
virsh start "$name"

libvirt-hooks host-shutdown | tee /dev/stderr | grep -q 'the host is not shutting down'
[ "$(virsh domstate "$name" | head -n 1)" = running ] || { echo "$name was touched although the host is not stopping"; exit 1; }

libvirt-hooks host-shutdown --force --timeout 60s
[ "$(virsh domstate "$name" | head -n 1)" = "shut off" ] || { echo "$name is $(virsh domstate "$name") after host-shutdown --force"; exit 1; }
virsh dominfo "$name" | grep -Eq 'Managed save: +yes' || { echo "no managed save image"; exit 1; }
echo "beforeoff-dohibernate: unit ordered before libvirt's shutdown handling; fallback applied when forced"
