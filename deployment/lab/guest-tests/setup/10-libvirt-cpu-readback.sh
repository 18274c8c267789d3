# Lab setup, before the checks: a cheaper guest-CPU readback in libvirtd.
#
# After QEMU starts an x86 guest, libvirt 9.0 reads the guest CPU back property by property
# when QEMU offers 'unavailable-features' (qom-list, then one qom-get per CPU feature: about 450
# QMP round trips). Under software emulation inside the software-emulated lab each costs about
# 60 ms of the nested QEMU's time: 25-30 s of every domain start, most of the lab's time
# (measured 2026-12-01: 33-45 s per 'virsh start' of a tiny domain). Without that capability
# flag in its QEMU capabilities cache, libvirtd reads the same facts through its older path
# (two properties: feature-words and filtered-features). Nothing a hook sees changes: the same
# events, argv, domain XML, cgroups, threads and libvirt states.
set -eu
cache=/var/cache/libvirt/qemu/capabilities
flag="<flag name='cpu-unavailable-features'/>"
# Any query that needs QEMU's capabilities makes libvirtd probe the binary and write its cache.
virsh -q -c qemu:///system domcapabilities --virttype qemu >/dev/null
shopt -s nullglob
files=("$cache"/*.xml)
[ ${#files[@]} -gt 0 ] || { echo "libvirtd wrote no QEMU capabilities cache in $cache"; exit 1; }
grep -qF "$flag" "${files[@]}" || { echo "no $flag in $cache: libvirt or QEMU changed; look again at what a domain start costs"; exit 1; }
sed -i "\\|$flag|d" "${files[@]}"
systemctl restart libvirtd
virsh -q -c qemu:///system domcapabilities --virttype qemu >/dev/null
! grep -qF "$flag" "$cache"/*.xml || { echo "libvirtd rebuilt its capabilities cache with $flag again"; exit 1; }
echo "libvirtd reads a started guest's CPU through feature-words and filtered-features"
