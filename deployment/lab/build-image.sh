#!/usr/bin/env bash
# Builds the lab guest image: Debian 12 with systemd, libvirt, QEMU, samba, ddcutil and a
# JRE, packed into a raw ext4 disk, with its kernel and initrd beside it. Prints the image
# directory (disk.img, vmlinuz, initrd.img) as the last line on stdout; progress goes to
# stderr.
#
# The image is cached under $LAB_CACHE_DIR (default /var/cache/libvirt-hooks-lab), in a
# directory named after a hash of this script and of guest/, so a second run reuses it and
# any change to the recipe builds a new one. The cache lives outside the checkout because CI
# starts from a fresh clone each time.
#
# Usage: build-image.sh [--print-dir]
#   --print-dir  print where the image for this recipe is (or would be) and exit
#
# Environment: LAB_CACHE_DIR, LAB_MIRROR (Debian mirror, default http://deb.debian.org/debian),
# LAB_IMAGE_SIZE (default 4G). Neither the mirror nor the size is part of the cache key.
set -euo pipefail
# debootstrap, mkfs.ext4 and chroot live in sbin, which a non-login root shell may lack.
export PATH="$PATH:/usr/sbin:/sbin"

here=$(cd "$(dirname "$0")" && pwd)
cache_root=${LAB_CACHE_DIR:-/var/cache/libvirt-hooks-lab}
mirror=${LAB_MIRROR:-http://deb.debian.org/debian}
image_size=${LAB_IMAGE_SIZE:-4G}
suite=bookworm

# debootstrap resolves plain dependencies only; what it installs is what the DESIGN measured.
base_packages=systemd,systemd-sysv,linux-image-amd64,udev,kmod,iproute2,util-linux,dbus
# Installed by apt inside the new root, without recommends, so alternatives and virtual
# packages resolve as on a real host. systemd-container brings systemd-machined, which gives
# libvirt's domains their machine.slice scopes.
extra_packages=(
  systemd-container libvirt-daemon-system libvirt-clients qemu-system-x86
  samba ddcutil openjdk-17-jre-headless procps
  # the guest agent, for the power features against a real guest (e2e/GuestAgentPowerE2eIT boots this image)
  qemu-guest-agent
)

log() { echo "build-image: $*" >&2; }
die() { log "$*"; exit 1; }

recipe_hash() {
  (cd "$here" && find build-image.sh guest -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) \
    | sha256sum | cut -c1-16
}

image_dir="$cache_root/$(recipe_hash)"
if [ "${1:-}" = --print-dir ]; then
  echo "$image_dir"
  exit 0
fi
[ $# -eq 0 ] || die "unknown argument '$1'; usage: build-image.sh [--print-dir]"

if [ -f "$image_dir/complete" ]; then
  log "reusing $image_dir (built $(cat "$image_dir/complete"))"
  echo "$image_dir"
  exit 0
fi

[ "$(id -u)" -eq 0 ] || die "building the lab image needs root (debootstrap, chroot); run as root or use a machine where $image_dir exists"
for tool in debootstrap mkfs.ext4 chroot flock; do
  command -v "$tool" >/dev/null 2>&1 \
    || die "$tool is missing: apt-get install -y --no-install-recommends debootstrap e2fsprogs util-linux coreutils"
done

mkdir -p "$cache_root"
# One build per recipe at a time: a second caller waits, then finds the finished image.
exec 9>"$cache_root/.lock-$(basename "$image_dir")"
flock 9
if [ -f "$image_dir/complete" ]; then
  log "reusing $image_dir (built by a concurrent run)"
  echo "$image_dir"
  exit 0
fi

work="$image_dir.build.$$"
root="$work/root"
unmount_all() {
  # Deepest first; lazily, so a busy mount never stops the cleanup.
  local m
  for m in $(grep -o " $work/[^ ]*" /proc/mounts 2>/dev/null | sort -r || true); do umount -l "$m" || true; done
}
cleanup() {
  unmount_all
  # Never remove a tree that still has something mounted inside: that could reach the host's files.
  if grep -q " $work/" /proc/mounts 2>/dev/null; then
    log "left $work in place: something is still mounted below it"
  else
    rm -rf "$work"
  fi
}
trap cleanup EXIT
rm -rf "$work"
mkdir -p "$work"

start=$(date +%s)
log "debootstrap $suite ($base_packages) into $root from $mirror"
debootstrap --variant=minbase --include="$base_packages" "$suite" "$root" "$mirror" >"$work/debootstrap.log" 2>&1 \
  || { tail -n 30 "$work/debootstrap.log" >&2; tail -n 30 "$root/debootstrap/debootstrap.log" >&2 2>/dev/null || true; die "debootstrap failed (log above)"; }
log "debootstrap done after $(( $(date +%s) - start )) s"

# Services must not start inside the chroot; the JRE's postinst wants /proc.
printf '#!/bin/sh\nexit 101\n' > "$root/usr/sbin/policy-rc.d"
chmod +x "$root/usr/sbin/policy-rc.d"
mount -t proc proc "$root/proc"
in_root() { chroot "$root" env DEBIAN_FRONTEND=noninteractive LC_ALL=C.UTF-8 "$@"; }
log "apt-get install ${extra_packages[*]}"
{
  in_root apt-get update -q
  in_root apt-get install -y -q --no-install-recommends "${extra_packages[@]}"
  in_root apt-get clean
} >"$work/apt.log" 2>&1 || { tail -n 40 "$work/apt.log" >&2; die "apt-get inside the image failed (log above)"; }
rm -f "$root/usr/sbin/policy-rc.d"
rm -rf "$root"/var/lib/apt/lists/*
log "packages done after $(( $(date +%s) - start )) s"

# --- configuration ---------------------------------------------------------------------
echo lab > "$root/etc/hostname"
printf '127.0.0.1 localhost\n127.0.1.1 lab\n::1 localhost ip6-localhost ip6-loopback\n' > "$root/etc/hosts"
printf '/dev/vda / ext4 rw,errors=remount-ro 0 1\n' > "$root/etc/fstab"
# Root logs in on the serial console without a password (run-lab.sh --debug): the guest has
# no network and its disk is thrown away after every boot.
in_root passwd -d root >/dev/null
printf '9p\n9pnet_virtio\n' > "$root/etc/modules-load.d/lab-9p.conf"
mkdir -p "$root/mnt/program" "$root/mnt/results"

install -D -m 0755 "$here/guest/lab-run" "$root/usr/local/lib/libvirt-hooks-lab/lab-run"
install -D -m 0644 "$here/guest/lab-run.service" "$root/etc/systemd/system/lab-run.service"
in_root systemctl enable lab-run.service >/dev/null 2>&1
# Faster, quieter boots: file sharing and timers are started by the tests that need them.
for unit in smbd.service nmbd.service samba-ad-dc.service apt-daily.timer apt-daily-upgrade.timer \
            e2scrub_all.timer e2scrub_reap.service fstrim.timer man-db.timer libvirt-guests.service; do
  in_root systemctl disable "$unit" >/dev/null 2>&1 || true
done
# No dnsmasq in the image, so libvirt's default network could not start anyway; leave it inactive.
rm -f "$root/etc/libvirt/qemu/networks/autostart/default.xml"

# --- pack ------------------------------------------------------------------------------
cp "$(ls "$root"/boot/vmlinuz-* | sort -V | tail -n 1)" "$work/vmlinuz"
cp "$(ls "$root"/boot/initrd.img-* | sort -V | tail -n 1)" "$work/initrd.img"
umount "$root/proc"
du -sh "$root" >&2
log "mkfs.ext4 -d into a $image_size raw image"
mkfs.ext4 -q -F -L lab-root -d "$root" "$work/disk.img" "$image_size" >&2
rm -rf "$root"
( cd "$here" && find build-image.sh guest -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum ) > "$work/recipe.sha256"
echo "$(date -u +%FT%TZ) in $(( $(date +%s) - start )) s" > "$work/complete"
mv "$work" "$image_dir"
log "image ready in $image_dir after $(( $(date +%s) - start )) s"

# Keep the two newest images; older recipes are of no use any more.
for old in $(ls -1dt "$cache_root"/*/ 2>/dev/null | tail -n +3 || true); do
  if [ -f "$old/complete" ]; then
    log "removing old image $old"
    rm -rf "$old" "$cache_root/.lock-$(basename "$old")"
  fi
done
echo "$image_dir"
