# 'installer.sh -u' removes every path the install manifest lists, the configuration skeleton,
# the units and their enablement, and the state directory: afterwards no file of ours is left.
set -eu
manifest=/usr/lib/libvirt-hooks/installed-files
[ -f "$manifest" ] || { echo "no install manifest $manifest: was 05-install run?"; exit 1; }
paths=$(sed '/^$/d; s|^|/|' "$manifest")
echo "manifest:"; echo "$paths"
ls /run/libvirt-hooks/vm-*.journal 2>/dev/null && { echo "VM state left by earlier checks: uninstall would refuse"; exit 1; }

"$LAB_PROGRAM/dist/installer.sh" -u || { echo "installer.sh -u failed"; exit 1; }
left=""
for p in $paths /usr/lib/libvirt-hooks /etc/libvirt-hooks /run/libvirt-hooks; do
  [ ! -e "$p" ] || left+=" $p"
done
[ -z "$left" ] || { ls -la $left; echo "uninstall left:$left"; exit 1; }
for unit in libvirt-hooks-sleep.service libvirt-hooks-shutdown.service; do
  ! systemctl is-enabled --quiet "$unit" 2>/dev/null || { echo "$unit is still enabled"; exit 1; }
done
# (/usr/local/lib/libvirt-hooks-lab is the lab's own runner.)
found=$(find /etc /usr /var /run -name '*libvirt-hooks*' ! -path '/usr/local/lib/libvirt-hooks-lab*' 2>/dev/null || true)
[ -z "$found" ] || { echo "$found"; echo "files named after libvirt-hooks are left: $(echo "$found" | tr '\n' ' ')"; exit 1; }
[ -z "$(ls -A /etc/libvirt/hooks/qemu.d 2>/dev/null)" ] || { echo "/etc/libvirt/hooks/qemu.d is not empty: $(ls -A /etc/libvirt/hooks/qemu.d)"; exit 1; }
echo "uninstall: nothing of libvirt-hooks is left"
