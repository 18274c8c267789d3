# dohibernate fallbacks on guests without an agent (they cannot hibernate), in one host sleep
# (each run of the command costs about 20 s under software emulation): at 'pre', managedsave
# saves and stops lab-hib-save, and lab-hib-acpi, whose firmware ignores the ACPI shutdown, is
# reported once its 5 s shutdown timeout ends; at 'post', restart-after-resume starts
# lab-hib-save again (restoring the image).
# The bound on 'pre' is its own budget (--timeout 240s): had it ignored the shutdown timeout, it
# would have waited for the guest until that budget ran out. The machine's speed decides nothing.
. "$LAB_PROGRAM/bin/lab-vm.sh"
lab_cleanup() { rm -f /run/libvirt-hooks/host-sleep.record; }
lab_cleanup
# ACPI for the shutdown fallback, S4 allowed (there is no agent to ask, so the fallbacks apply).
power="<features><acpi/></features><pm><suspend-to-disk enabled='yes'/></pm>"
tiny_domain lab-hib-save "$power" "<dohibernate fallback='managedsave' restart-after-resume='true'/>" | vm_start lab-hib-save
tiny_domain lab-hib-acpi "$power" "<dohibernate fallback='shutdown' shutdown-timeout='5s'/>" | vm_start lab-hib-acpi
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
