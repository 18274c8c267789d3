#!/bin/sh
# Starts a real libvirtd on this machine for the end-to-end tests and the benchmark, as
# DESIGN.md §8 describes: Debian packages, root, no systemd as PID 1. Idempotent: a libvirtd
# already running is left alone, unless --restart is given. Exit 0 when 'virsh list' answers.
set -eu

if [ "$(id -u)" -ne 0 ]; then
  echo "libvirtd-up.sh: must run as root" >&2
  exit 1
fi

if ! command -v libvirtd >/dev/null 2>&1 || ! command -v virsh >/dev/null 2>&1 \
    || ! command -v qemu-system-x86_64 >/dev/null 2>&1; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients qemu-system-x86
fi

getent group kvm >/dev/null || groupadd -r kvm
getent group libvirt-qemu >/dev/null || groupadd -r libvirt-qemu
getent passwd libvirt-qemu >/dev/null || useradd -r -g libvirt-qemu -G kvm libvirt-qemu
mkdir -p /var/log/libvirt /var/run/libvirt /var/lib/libvirt/qemu /etc/libvirt
if ! grep -q '^security_driver = "none"' /etc/libvirt/qemu.conf 2>/dev/null; then
  printf 'user = "root"\ngroup = "root"\nsecurity_driver = "none"\n' >> /etc/libvirt/qemu.conf
fi
mkdir -p /dev/hugepages
mountpoint -q /dev/hugepages || mount -t hugetlbfs hugetlbfs /dev/hugepages

pgrep -x virtlogd >/dev/null || virtlogd -d
if [ "${1:-}" = "--restart" ] && pgrep -x libvirtd >/dev/null; then
  # libvirtd decides at start whether QEMU hooks exist (DESIGN.md §2).
  pkill -x libvirtd
  i=0
  while pgrep -x libvirtd >/dev/null; do
    i=$((i + 1))
    [ $i -le 100 ] || { echo "libvirtd-up.sh: libvirtd did not stop" >&2; exit 1; }
    sleep 0.1
  done
fi
if ! pgrep -x libvirtd >/dev/null; then
  libvirtd -d
fi
i=0
until virsh --connect qemu:///system list >/dev/null 2>&1; do
  i=$((i + 1))
  if [ $i -gt 100 ]; then
    echo "libvirtd-up.sh: libvirtd did not answer within 10 s" >&2
    exit 1
  fi
  sleep 0.1
done
# Never let libvirt's default network come up on the host's namespace.
if virsh --connect qemu:///system net-info default >/dev/null 2>&1; then
  virsh --connect qemu:///system net-autostart default --disable >/dev/null 2>&1 || true
  virsh --connect qemu:///system net-destroy default >/dev/null 2>&1 || true
fi
echo "libvirtd-up.sh: libvirtd is running ($(libvirtd --version))"
