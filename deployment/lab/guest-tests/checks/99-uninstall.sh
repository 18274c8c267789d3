# 'apt-get remove' of the package 05-install installed, now that no VM has host changes applied:
# the prerm's uninstall removes the launcher, the command, the units and their enablement and
# what install built; the config file stays (a conffile) until 'apt-get purge', which also takes
# the state directory. Afterwards the guest holds exactly the files it held before the install.
set -eu
export DEBIAN_FRONTEND=noninteractive
manifest=/usr/lib/libvirt-hooks/installed-files
[ -f "$manifest" ] || { echo "no install manifest $manifest: was 05-install run?"; exit 1; }
[ -f /var/tmp/lab-files-before-install.list ] || { echo "no file list of 05-install (/var/tmp/lab-files-before-install.list)"; exit 1; }
paths=$(sed '/^$/d; s|^|/|' "$manifest")
echo "manifest:"; echo "$paths"
ls /run/libvirt-hooks/vm-*.journal 2>/dev/null && { echo "VM state left by earlier checks: the removal would refuse"; exit 1; }

out=$(apt-get remove -y libvirt-hooks 2>&1) || { echo "$out"; echo "apt-get remove libvirt-hooks failed: $(echo "$out" | tail -n 1)"; exit 1; }
echo "$out"
left=""
for p in $paths /usr/lib/libvirt-hooks /usr/bin/libvirt-hooks; do
  [ ! -e "$p" ] || left+=" $p"
done
[ -z "$left" ] || { ls -la $left; echo "apt-get remove left:$left"; exit 1; }
for unit in libvirt-hooks-sleep.service libvirt-hooks-shutdown.service; do
  ! systemctl is-enabled --quiet "$unit" 2>/dev/null || { echo "$unit is still enabled"; exit 1; }
done
[ -f /etc/libvirt-hooks/application.properties ] || { echo "apt-get remove took the conffile /etc/libvirt-hooks/application.properties (only purge may)"; exit 1; }

out=$(apt-get purge -y libvirt-hooks 2>&1) || { echo "$out"; echo "apt-get purge libvirt-hooks failed: $(echo "$out" | tail -n 1)"; exit 1; }
echo "$out"
! dpkg-query -W libvirt-hooks >/dev/null 2>&1 || { echo "dpkg still knows libvirt-hooks after the purge: $(dpkg-query -W -f '${Status}' libvirt-hooks)"; exit 1; }
for p in /etc/libvirt-hooks /run/libvirt-hooks; do
  [ ! -e "$p" ] || { echo "apt-get purge left $p"; exit 1; }
done
# The same lists as 05-install took before the install.
after=$( {
  find /etc /usr /opt /var/lib -xdev 2>/dev/null | grep -v -e '^/var/lib/dpkg' -e '^/var/lib/apt' \
    -e '^/var/lib/systemd' -e '^/var/lib/libvirt' -e '^/var/lib/samba' -e '^/var/lib/ucf' | LC_ALL=C sort
  find /run /var -xdev -name '*libvirt-hooks*' ! -path '/var/lib/dpkg/*' 2>/dev/null | LC_ALL=C sort
} )
new=$(LC_ALL=C comm -13 <(LC_ALL=C sort -u /var/tmp/lab-files-before-install.list) <(echo "$after" | LC_ALL=C sort -u))
[ -z "$new" ] || { echo "$new"; echo "after the purge the guest holds paths it did not hold before the install: $(echo "$new" | head -n 5 | tr '\n' ' ')"; exit 1; }
# (/usr/local/lib/libvirt-hooks-lab is the lab's own runner.)
found=$(find /etc /usr /var /run -name '*libvirt-hooks*' ! -path '/usr/local/lib/libvirt-hooks-lab*' ! -path '/var/lib/dpkg/*' 2>/dev/null || true)
[ -z "$found" ] || { echo "$found"; echo "files named after libvirt-hooks are left: $(echo "$found" | tr '\n' ' ')"; exit 1; }
[ -z "$(ls -A /etc/libvirt/hooks/qemu.d 2>/dev/null)" ] || { echo "/etc/libvirt/hooks/qemu.d is not empty: $(ls -A /etc/libvirt/hooks/qemu.d)"; exit 1; }
echo "remove and purge: the guest holds the files it held before the install"
