# dohibernate fallbacks on a guest without an agent (it cannot hibernate): managedsave saves
# and stops it, and restart-after-resume starts it again (restoring the image) at post; a
# guest that ignores the ACPI shutdown (firmware only) is reported within the shutdown timeout.
# Assumes: libvirt-hooks installed and on PATH, libvirtd running.
set -eu
virsh() { command virsh -q -c qemu:///system "$@"; }
names="lab-hib-save lab-hib-acpi"
cleanup() {
  for n in $names; do
    virsh destroy "$n" >/dev/null 2>&1 || true
    virsh managedsave-remove "$n" >/dev/null 2>&1 || true
    virsh undefine "$n" >/dev/null 2>&1 || true
  done
  rm -f /run/libvirt-hooks/host-sleep.record
}
trap cleanup EXIT
cleanup

define() {
  local xml; xml=$(mktemp)
  cat > "$xml" <<XML
<domain type='qemu'>
  <name>$1</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <features><acpi/></features>
  <pm><suspend-to-disk enabled='yes'/></pm>
  <metadata><hooks xmlns='urn:libvirt-hooks:1'>$2</hooks></metadata>
  <devices><memballoon model='none'/></devices>
</domain>
XML
  virsh define "$xml"
  virsh start "$1"
}

define lab-hib-save "<dohibernate fallback='managedsave' restart-after-resume='true'/>"
libvirt-hooks host-sleep pre --timeout 60s
[ "$(virsh domstate lab-hib-save | head -n 1)" = "shut off" ] || { echo "lab-hib-save is $(virsh domstate lab-hib-save) after pre"; exit 1; }
virsh dominfo lab-hib-save | grep -Eq 'Managed save: +yes' || { echo "no managed save image"; exit 1; }
grep -q '^managedsave ' /run/libvirt-hooks/host-sleep.record || { echo "no managedsave entry in the sleep record"; exit 1; }
libvirt-hooks host-sleep post --timeout 60s
[ "$(virsh domstate lab-hib-save | head -n 1)" = running ] || { echo "lab-hib-save not started again after post"; exit 1; }
virsh destroy lab-hib-save

define lab-hib-acpi "<dohibernate fallback='shutdown' shutdown-timeout='5s'/>"
start=$SECONDS
set +e
out=$(libvirt-hooks host-sleep pre --timeout 60s)
rc=$?
set -e
echo "$out"
[ "$rc" -eq 1 ] || { echo "pre exited $rc, expected 1 (a warning)"; exit 1; }
echo "$out" | grep -q 'still running after the ACPI shutdown timed out' || { echo "no timeout warning"; exit 1; }
[ $((SECONDS - start)) -lt 40 ] || { echo "pre took $((SECONDS - start)) s for a 5 s shutdown timeout"; exit 1; }
libvirt-hooks host-sleep post --timeout 30s
echo "dohibernate: managedsave fallback and restart after resume work; an ignored ACPI shutdown is bounded"
