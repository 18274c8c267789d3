# gpu-handoff on the real kernel: the lab guest's display is a real PCI function (QEMU's VGA,
# behind a PCIe root port so that it can be reset through the port, in its own IOMMU group of the
# emulated VT-d) driven by bochs-drm with the framebuffer console on it. The hook is run as
# libvirt runs it (the launcher, argv, XML on stdin) for a domain that passes the VGA with
# managed='no', so the feature itself binds it to vfio-pci; no domain starts (a nested guest
# has no IOMMU to pass a device through), the binding is what is proven.
# - a process outside the display manager holds /dev/dri/card0: prepare refuses naming it, and
#   nothing changes (driver, consoles, display manager);
# - a stand-in display manager holds the card: prepare stops it, unbinds the framebuffer
#   console and bochs-drm, and binds vfio-pci; release brings back bochs-drm, the console
#   binding and the unit, and leaves no journal.
. "$LAB_PROGRAM/bin/lab-vm.sh"
units=/run/systemd/system
lab_cleanup() {
  systemctl stop lab-gpu-holder.service display-manager.service >/dev/null 2>&1 || true
  rm -f "$units/display-manager.service" "$units/lab-gpu-holder.service"
  systemctl daemon-reload || true
}

gpu=""
for dev in /sys/bus/pci/devices/*; do
  if [ "$(cat "$dev/class")" = 0x030000 ] && [ -e "$dev/drm" ]; then gpu=${dev##*/}; break; fi
done
[ -n "$gpu" ] || fail "no PCI display function with a DRM driver in the lab guest (run-lab.sh gives it QEMU's VGA)"
dev=/sys/bus/pci/devices/$gpu
driver() { basename "$(readlink "$dev/driver" 2>/dev/null || echo none)"; }
card=/dev/dri/$(ls "$dev/drm" | grep '^card' | head -n 1)
[ "$(ls /sys/kernel/iommu_groups | wc -l)" -gt 0 ] || fail "no IOMMU groups: the lab guest needs intel_iommu=on and QEMU's intel-iommu"
echo "GPU $gpu ($(driver)), $card, IOMMU group $(basename "$(readlink "$dev/iommu_group")"), boot_vga $(cat "$dev/boot_vga" 2>/dev/null), reset_method '$(cat "$dev/reset_method" 2>/dev/null)'"
consoles() { for c in /sys/class/vtconsole/vtcon*; do printf '%s=%s(%s) ' "${c##*/}" "$(cat "$c/bind")" "$(cat "$c/name")"; done; }
# What the terminals are drawn by, without the numbers: fbcon leaves with the framebuffer and
# registers anew under the lowest free number (vtcon2 may come back as vtcon0).
console_states() { for c in /sys/class/vtconsole/vtcon*; do printf '%s=%s\n' "$(cat "$c/name")" "$(cat "$c/bind")"; done | LC_ALL=C sort | tr '\n' ' '; }
before_states=$(console_states)
before_consoles=$(consoles)
echo "consoles: $before_consoles"
modprobe vfio-pci

holder_unit() { # name
  cat > "$units/$1" <<UNIT
[Service]
ExecStart=/bin/sh -c 'exec 3<>$card; exec sleep infinity'
UNIT
}
holder_unit display-manager.service
holder_unit lab-gpu-holder.service
systemctl daemon-reload
systemctl start display-manager.service lab-gpu-holder.service
wait_until 30 systemctl is-active --quiet display-manager.service

xml=$(cat <<XML
<domain type='qemu'><name>lab-gpu</name><uuid>6f1c2b9e-0000-4000-8000-0000000000e1</uuid>
<memory unit='MiB'>64</memory><vcpu>1</vcpu><os><type arch='x86_64'>hvm</type></os>
<devices><hostdev mode='subsystem' type='pci' managed='no'><source>
<address domain='0x${gpu:0:4}' bus='0x${gpu:5:2}' slot='0x${gpu:8:2}' function='0x${gpu:11:1}'/></source></hostdev></devices>
<metadata><hooks xmlns='urn:libvirt-hooks:1'><gpu-handoff/></hooks></metadata></domain>
XML
)
hook() { printf '%s\n' "$xml" | env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C /etc/libvirt/hooks/qemu.d/libvirt-hooks lab-gpu "$@"; }

holder=$(systemctl show -p MainPID --value lab-gpu-holder.service)
set +e
out=$(hook prepare begin - 2>&1)
rc=$?
set -e
echo "prepare with a foreign holder: exit $rc: $out"
[ "$rc" -ne 0 ] || fail "gpu-handoff: prepare went ahead while pid $holder (lab-gpu-holder.service) held $card"
echo "$out" | grep -q "$holder" || fail "gpu-handoff: the refusal does not name the holder's pid $holder"
[ "$(driver)" = bochs-drm ] || fail "gpu-handoff: a refused prepare left the GPU on '$(driver)'"
[ "$(consoles)" = "$before_consoles" ] || fail "gpu-handoff: a refused prepare changed the consoles: $(consoles)"
systemctl is-active --quiet display-manager.service || fail "gpu-handoff: a refused prepare stopped the display manager"
systemctl stop lab-gpu-holder.service

hook prepare begin - || fail "gpu-handoff: prepare with only the display manager holding the card failed"
echo "after prepare: driver $(driver), consoles $(consoles), display manager $(systemctl is-active display-manager.service)"
[ "$(driver)" = vfio-pci ] || fail "gpu-handoff: the GPU is on '$(driver)' after prepare, not vfio-pci (managed='no')"
! systemctl is-active --quiet display-manager.service || fail "gpu-handoff: the display manager still runs"
for c in /sys/class/vtconsole/vtcon*; do
  if grep -q 'frame buffer' "$c/name" && [ "$(cat "$c/bind")" = 1 ]; then fail "gpu-handoff: ${c##*/} is still bound"; fi
done
journal() { ls /run/libvirt-hooks/vm-lab-gpu-*.journal 2>/dev/null; }
[ -n "$(journal)" ] || fail "gpu-handoff: no journal of lab-gpu while it holds the GPU"

hook release end - || fail "gpu-handoff: release failed"
echo "after release: driver $(driver), consoles $(consoles), display manager $(systemctl is-active display-manager.service)"
[ "$(driver)" = bochs-drm ] || fail "gpu-handoff: the GPU is on '$(driver)' after release, not bochs-drm again"
[ "$(console_states)" = "$before_states" ] || fail "gpu-handoff: the consoles are '$(consoles)' after release, were '$before_consoles'"
wait_until 30 systemctl is-active --quiet display-manager.service
[ -z "$(journal)" ] || fail "gpu-handoff: a journal of lab-gpu outlived release: $(journal)"
echo "gpu-handoff: a foreign holder refused and named, nothing touched; the display manager stopped, the console and" \
  "bochs-drm unbound, vfio-pci bound, and all of it given back at release"
