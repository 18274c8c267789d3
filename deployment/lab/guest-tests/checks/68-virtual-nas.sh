#!/bin/bash
# virtual-nas over a real libvirt virtual network (issue 7): an isolated network gives the
# host 192.168.150.1; a VM attached to it with <virtual-nas/> gets a private smbd listening on
# that address only (never on every interface), run as a transient unit; release stops it.
# Assumes: libvirt-hooks installed in the guest and libvirtd aware of the hook (05-install).
. "$LAB_PROGRAM/bin/lab-vm.sh"

net=lab-nas-net
share_dir=/srv/lab-share
name=lab-nas

lab_cleanup() {
  virsh net-destroy "$net" >/dev/null 2>&1 || true
  virsh net-undefine "$net" >/dev/null 2>&1 || true
  rm -rf "$share_dir"
}
lab_cleanup

mkdir -p "$share_dir"
echo "hello from the host" > "$share_dir/readme.txt"
chmod 755 "$share_dir"
chmod 644 "$share_dir/readme.txt"

netxml=$(mktemp)
# No DHCP and no DNS: libvirt needs no dnsmasq for it (the image has none).
cat > "$netxml" <<XML
<network>
  <name>$net</name>
  <bridge name='virbr-labnas'/>
  <dns enable='no'/>
  <ip address='192.168.150.1' netmask='255.255.255.0'/>
</network>
XML
# libvirt writes a (here unused) MAC list for dnsmasq even when it runs none; the image has no dnsmasq package.
mkdir -p /var/lib/libvirt/dnsmasq
virsh net-define "$netxml" >/dev/null
virsh net-start "$net" >/dev/null || fail "cannot start the isolated network $net"

cat <<XML | vm_start "$name"
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <metadata><hooks xmlns='urn:libvirt-hooks:1'><virtual-nas path='$share_dir' network='$net' share='labshare'/></hooks></metadata>
  <devices>
    <interface type='network'><source network='$net'/><model type='e1000'/></interface>
    <memballoon model='none'/>
  </devices>
</domain>
XML

wait_until 60 sh -c "ss -ltnH | grep -q '192.168.150.1:445 '" || fail "no smbd listening on 192.168.150.1:445 after start"
if ss -ltnH | grep -E -q '(0\.0\.0\.0|\*|\[::\]):445 '; then
  ss -ltn
  fail "an smbd listens on every interface: the share must only be offered on the virtual network"
fi
unit=$(systemctl list-units --no-legend --plain 'libvirt-hooks-nas-*' | awk '{print $1}' | head -n 1)
[ -n "$unit" ] && systemctl is-active --quiet "$unit" || fail "no active libvirt-hooks-nas-* unit while the VM runs"
if command -v smbclient >/dev/null 2>&1; then
  smbclient -N -m SMB3 "//192.168.150.1/labshare" -c 'get readme.txt /tmp/lab-nas-readme.txt' >/dev/null \
    || fail "smbclient cannot read the share"
  grep -q "hello from the host" /tmp/lab-nas-readme.txt || fail "the file read over SMB differs"
fi

vm_destroy "$name"
wait_until 60 sh -c "! ss -ltnH | grep -q ':445 '" || fail "smbd still listens after the VM stopped"
! systemctl is-active --quiet "$unit" || fail "$unit still active after release"
echo "virtual-nas: smbd on 192.168.150.1:445 only while $name ran, gone after"
