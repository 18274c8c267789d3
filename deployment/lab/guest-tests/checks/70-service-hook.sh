# The service feature on a real systemd: a VM whose XML asks for <service unit='lab-vm-service'/>
# gets lab-vm-service@<VM name escaped by systemd-escape>.service started when it starts and
# stopped when it stops, listed by 'libvirt-hooks status'; a unit that fails to start fails
# 'virsh start' with our message and leaves nothing behind.
# Needs the libvirt-hooks distribution installed in the guest (an earlier check installs it and
# restarts libvirtd), and libvirtd with a software-emulated domain (see 50-libvirt-domain.sh).
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
echo "expecting $unit"
domain "$name" "<service unit='lab-vm-service'/>"
virsh start -- "$name"
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
if systemctl is-active --quiet "$unit"; then echo "$unit still active after the VM stopped"; exit 1; fi
if listed; then echo "status still lists $unit after the VM stopped and its release ran"; exit 1; fi

domain "$bad" "<service unit='lab-vm-broken'/>"
if out=$(virsh start -- "$bad" 2>&1); then echo "virsh start succeeded although its service failed"; exit 1; fi
echo "$out"
echo "$out" | grep -qF "service: cannot start lab-vm-broken@lab\\x2dsvc\\x2dbad.service" \
  || { echo "virsh start did not fail with the service's message"; exit 1; }
[ "$(virsh domstate -- "$bad")" = "shut off" ] || { echo "$bad is not shut off"; exit 1; }
if ls /run/libvirt-hooks/*.journal >/dev/null 2>&1; then echo "journals left behind:"; ls /run/libvirt-hooks; exit 1; fi
echo "service hook: started, named, listed and stopped with the VM; a failing unit aborts the start cleanly"
