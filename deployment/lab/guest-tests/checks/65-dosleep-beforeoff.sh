# dosleep and beforeoff-dohibernate, on two domains (a domain start costs half a minute under
# software emulation, so the beforeoff VM is also the VM host sleep must leave alone).
# - dosleep, through the installed unit, driven the way sleep.target drives it: a holder unit
#   that Requires= it starts it ('host-sleep pre'); when the holder stops, nothing needs the
#   sleep unit any more and StopWhenUnneeded= stops it ('post'). (It cannot be started by hand:
#   with StopWhenUnneeded= it would stop at once; sleep.target refuses manual starts.) The tiny
#   domain has no guest agent, so it is paused and resumed; lab-beforeoff, without dosleep, is
#   not touched.
# - beforeoff-dohibernate: the shutdown unit is active and ordered after libvirt-guests and the
#   libvirt daemons (so that it stops first); 'host-shutdown' does nothing while the system is
#   not stopping, and with --force applies the fallback (managedsave for an agent-less guest);
#   lab-dosleep, without the feature, is not touched.
# Assumes: libvirt-hooks installed (units in /etc/systemd/system, sleep unit enabled, not
# started, shutdown unit enabled and started), libvirtd running, state in /run/libvirt-hooks.
. "$LAB_PROGRAM/bin/lab-vm.sh"
lab_cleanup() {
  systemctl stop lab-sleep-holder.service >/dev/null 2>&1 || true
  systemctl stop libvirt-hooks-sleep.service >/dev/null 2>&1 || true
}
lab_cleanup
tiny_domain lab-dosleep '' '<dosleep/>' | vm_start lab-dosleep
tiny_domain lab-beforeoff '' "<beforeoff-dohibernate fallback='managedsave'/>" | vm_start lab-beforeoff

systemctl is-enabled libvirt-hooks-sleep.service | grep -q enabled || { echo "libvirt-hooks-sleep.service is not enabled"; exit 1; }
systemctl show -p Before libvirt-hooks-sleep.service | grep -q sleep.target || { echo "the sleep unit is not ordered before sleep.target"; exit 1; }

systemd-run --unit=lab-sleep-holder.service --property=Requires=libvirt-hooks-sleep.service \
  --property=After=libvirt-hooks-sleep.service sleep infinity
for _ in $(seq 1 120); do
  systemctl is-active --quiet libvirt-hooks-sleep.service && break
  sleep 1
done
journalctl -u libvirt-hooks-sleep.service --no-pager -n 20 || true
[ "$(virsh domstate lab-dosleep | head -n 1)" = paused ] || { echo "lab-dosleep is $(virsh domstate lab-dosleep), not paused"; exit 1; }
[ "$(virsh domstate lab-beforeoff | head -n 1)" = running ] || { echo "lab-beforeoff (no dosleep) was touched by host sleep"; exit 1; }
grep -q '^pause ' /run/libvirt-hooks/host-sleep.record || { echo "no pause entry in the sleep record"; exit 1; }

systemctl stop lab-sleep-holder.service
# Wait for 'inactive': while ExecStop (post) runs the unit is 'deactivating', already not active.
for _ in $(seq 1 120); do
  [ "$(systemctl is-active libvirt-hooks-sleep.service)" = inactive ] && break
  sleep 1
done
[ "$(virsh domstate lab-dosleep | head -n 1)" = running ] || { echo "lab-dosleep is $(virsh domstate lab-dosleep) after post"; exit 1; }
[ ! -e /run/libvirt-hooks/host-sleep.record ] || { echo "the sleep record outlived post"; exit 1; }

[ "$(virsh domstate lab-beforeoff | head -n 1)" = running ] || { echo "lab-beforeoff (no dosleep) was touched by host resume"; exit 1; }

# post again (by hand, as after a crash): nothing left to do, exit 0
libvirt-hooks host-sleep post | tee /dev/stderr | grep -q 'nothing to wake'

# beforeoff-dohibernate
systemctl is-active --quiet libvirt-hooks-shutdown.service || { echo "libvirt-hooks-shutdown.service is not active"; exit 1; }
after=$(systemctl show -p After libvirt-hooks-shutdown.service)
for u in libvirt-guests.service libvirtd.service; do
  echo "$after" | grep -q "$u" || { echo "the shutdown unit is not After=$u: $after"; exit 1; }
done
libvirt-hooks host-shutdown | tee /dev/stderr | grep -q 'the host is not shutting down'
[ "$(virsh domstate lab-beforeoff | head -n 1)" = running ] || { echo "lab-beforeoff was touched although the host is not stopping"; exit 1; }
libvirt-hooks host-shutdown --force --timeout 120s
[ "$(virsh domstate lab-beforeoff | head -n 1)" = "shut off" ] || { echo "lab-beforeoff is $(virsh domstate lab-beforeoff) after host-shutdown --force"; exit 1; }
virsh dominfo lab-beforeoff | grep -Eq 'Managed save: +yes' || { echo "no managed save image of lab-beforeoff"; exit 1; }
[ "$(virsh domstate lab-dosleep | head -n 1)" = running ] || { echo "lab-dosleep (no beforeoff-dohibernate) was touched by host-shutdown"; exit 1; }
echo "dosleep: paused before sleep, resumed after, other VMs untouched;" \
  "beforeoff-dohibernate: unit ordered before libvirt's shutdown handling, fallback applied when forced, other VMs untouched"
