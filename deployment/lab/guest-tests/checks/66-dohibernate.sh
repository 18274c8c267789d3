# dohibernate fallbacks on guests without an agent (they cannot hibernate), in one host sleep
# (each run of the command costs about 20 s under software emulation): at 'pre', managedsave
# saves and stops lab-hib-save, and lab-hib-acpi, whose firmware ignores the ACPI shutdown, is
# reported once its 5 s shutdown timeout ends; at 'post', restart-after-resume starts
# lab-hib-save again (restoring the image).
# The bound on 'pre' is its own budget (--timeout 240s): had it ignored the shutdown timeout, it
# would have waited for the guest until that budget ran out. The machine's speed decides nothing.
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
define lab-hib-acpi "<dohibernate fallback='shutdown' shutdown-timeout='5s'/>"
budget=240
start=$SECONDS
set +e
out=$(libvirt-hooks host-sleep pre --timeout ${budget}s)
rc=$?
set -e
took=$((SECONDS - start))
echo "$out"
echo "pre took $took s (shutdown timeout 5 s, run budget $budget s)"
[ "$(virsh domstate lab-hib-save | head -n 1)" = "shut off" ] || { echo "lab-hib-save is $(virsh domstate lab-hib-save) after pre"; exit 1; }
virsh dominfo lab-hib-save | grep -Eq 'Managed save: +yes' || { echo "no managed save image of lab-hib-save"; exit 1; }
grep -q '^managedsave ' /run/libvirt-hooks/host-sleep.record || { echo "no managedsave entry in the sleep record"; exit 1; }
[ "$rc" -eq 1 ] || { echo "pre exited $rc, expected 1 (a warning about lab-hib-acpi)"; exit 1; }
echo "$out" | grep -q 'lab-hib-acpi: ACPI shutdown sent, waiting up to 5 s' || { echo "pre did not wait for lab-hib-acpi with its 5 s shutdown timeout"; exit 1; }
echo "$out" | grep -q 'lab-hib-acpi: still running after the ACPI shutdown timed out' || { echo "no timeout warning for lab-hib-acpi"; exit 1; }
[ "$took" -lt "$budget" ] || { echo "pre took $took s: it waited for its whole $budget s budget, not for the 5 s shutdown timeout"; exit 1; }
[ "$(virsh domstate lab-hib-acpi | head -n 1)" = running ] || { echo "lab-hib-acpi is $(virsh domstate lab-hib-acpi), expected running (its firmware ignores ACPI)"; exit 1; }

libvirt-hooks host-sleep post --timeout 120s
[ "$(virsh domstate lab-hib-save | head -n 1)" = running ] || { echo "lab-hib-save not started again after post"; exit 1; }
echo "dohibernate: managedsave fallback and restart after resume work; an ignored ACPI shutdown ends with its timeout"
