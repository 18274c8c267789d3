# dosleep through the installed unit, driven the way sleep.target drives it: a holder unit that
# Requires= it starts it ('host-sleep pre'); when the holder stops, nothing needs the sleep unit
# any more and StopWhenUnneeded= stops it ('post'). (It cannot be started by hand: with
# StopWhenUnneeded= it would stop at once; sleep.target refuses manual starts.) The tiny domain has no guest
# agent, so it is paused and resumed; a VM without the feature is not touched.
# Assumes: libvirt-hooks installed (units in /etc/systemd/system, sleep unit enabled, not started),
# libvirtd running, state in /run/libvirt-hooks.
set -eu
virsh() { command virsh -q -c qemu:///system "$@"; }
names="lab-dosleep lab-plain"
cleanup() {
  systemctl stop lab-sleep-holder.service >/dev/null 2>&1 || true
  systemctl stop libvirt-hooks-sleep.service >/dev/null 2>&1 || true
  for n in $names; do virsh destroy "$n" >/dev/null 2>&1 || true; virsh undefine "$n" >/dev/null 2>&1 || true; done
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
  <metadata><hooks xmlns='urn:libvirt-hooks:1'>$2</hooks></metadata>
  <devices><memballoon model='none'/></devices>
</domain>
XML
  virsh define "$xml"
  virsh start "$1"
}
define lab-dosleep '<dosleep/>'
define lab-plain ''

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
[ "$(virsh domstate lab-plain | head -n 1)" = running ] || { echo "lab-plain was touched"; exit 1; }
grep -q '^pause ' /run/libvirt-hooks/host-sleep.record || { echo "no pause entry in the sleep record"; exit 1; }

systemctl stop lab-sleep-holder.service
# Wait for 'inactive': while ExecStop (post) runs the unit is 'deactivating', already not active.
for _ in $(seq 1 120); do
  [ "$(systemctl is-active libvirt-hooks-sleep.service)" = inactive ] && break
  sleep 1
done
[ "$(virsh domstate lab-dosleep | head -n 1)" = running ] || { echo "lab-dosleep is $(virsh domstate lab-dosleep) after post"; exit 1; }
[ ! -e /run/libvirt-hooks/host-sleep.record ] || { echo "the sleep record outlived post"; exit 1; }

# post again (by hand, as after a crash): nothing left to do, exit 0
libvirt-hooks host-sleep post | tee /dev/stderr | grep -q 'nothing to wake'
echo "dosleep: paused before sleep, resumed after, other VMs untouched"
