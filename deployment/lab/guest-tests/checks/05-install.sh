# lab-check-timeout: 1800
# The .deb this build made, as a Debian user installs it, upgrades it with a VM running, and
# cannot remove it while that VM has host changes applied:
# - 'apt-get install ./libvirt-hooks_*.deb' on the clean guest (no network: every dependency is
#   in the image): the postinst runs 'libvirt-hooks install' (through package-hooks.sh and
#   installer.sh): launcher, command, units enabled, class-data archive; it says libvirtd must be
#   restarted; after that restart 'doctor' sees the hook installed and enabled, cgroup v2, hugetlbfs;
# - a VM with hugepages starts and its pages are reserved;
# - 'apt-get install' of a newer build (this one repacked with a higher version) while it runs:
#   the VM's journal is the same after the upgrade, the postinst rewrote the launcher;
# - 'apt-get remove' refuses while the VM is applied (the package stays installed, the launcher
#   in place), and the VM's release after the upgrade gives every page back.
# The package stays installed for the feature checks; 99-uninstall removes and purges it and
# compares the guest's files with the list taken here before the install.
. "$LAB_PROGRAM/bin/lab-vm.sh"
set -o pipefail
export DEBIAN_FRONTEND=noninteractive
shipped=("$LAB_PROGRAM"/packages/libvirt-hooks_*_all.deb)
[ -f "${shipped[0]}" ] || fail "no .deb in the program share ($LAB_PROGRAM/packages/): LabProgramShare did not ship it"
command -v java >/dev/null || fail "no java on PATH in the guest: the image needs openjdk-17-jre-headless"
java -version 2>&1 | head -n 1
[ ! -e /etc/libvirt/hooks/qemu.d/libvirt-hooks ] || fail "libvirt-hooks is installed before the install check ran"

# What the guest holds before: 99-uninstall compares it after the purge. The lists of the
# package tools, libvirt's and systemd's own state and samba's change for reasons not ours.
list_files() {
  find /etc /usr /opt /var/lib -xdev 2>/dev/null | grep -v -e '^/var/lib/dpkg' -e '^/var/lib/apt' \
    -e '^/var/lib/systemd' -e '^/var/lib/libvirt' -e '^/var/lib/samba' -e '^/var/lib/ucf' | LC_ALL=C sort
  find /run /var -xdev -name '*libvirt-hooks*' ! -path '/var/lib/dpkg/*' 2>/dev/null | LC_ALL=C sort
}
list_files >/var/tmp/lab-files-before-install.list
echo "files before the install: $(wc -l </var/tmp/lab-files-before-install.list)"

work=$(mktemp -d /var/tmp/lab-deb.XXXXXX)
lab_cleanup() { rm -rf "$work"; }
cp "${shipped[0]}" "$work/"
deb=$work/${shipped[0]##*/}
version=$(dpkg-deb -f "$deb" Version)
start=$SECONDS
out=$(apt-get install -y --no-install-recommends "$deb" 2>&1) || { echo "$out"; fail "apt-get install $deb failed: $(echo "$out" | tail -n 1)"; }
echo "$out"
echo "apt-get install of $version took $((SECONDS - start)) s"
[ "$(dpkg-query -W -f '${Status} ${Version}' libvirt-hooks)" = "install ok installed $version" ] \
  || fail "dpkg does not list libvirt-hooks $version as installed: $(dpkg-query -W -f '${Status} ${Version}' libvirt-hooks)"

for f in /etc/libvirt/hooks/qemu.d/libvirt-hooks /usr/bin/libvirt-hooks; do
  [ -x "$f" ] || fail "the postinst did not leave an executable $f"
done
for f in /usr/lib/libvirt-hooks/app/quarkus-run.jar /usr/lib/libvirt-hooks/installed-files /usr/lib/libvirt-hooks/hook.jsa \
    /etc/libvirt-hooks/application.properties /etc/systemd/system/libvirt-hooks-sleep.service \
    /etc/systemd/system/libvirt-hooks-shutdown.service; do
  [ -f "$f" ] || fail "the postinst did not write $f"
done
dpkg-query --control-show libvirt-hooks conffiles | grep -q '^/etc/libvirt-hooks/application.properties$' \
  || fail "/etc/libvirt-hooks/application.properties is not a conffile of the package"
# Debian's libvirtd runs with --timeout 120: idle, it ends, and its socket starts it again at the
# next client, which then sees the hook. install tells the two cases apart.
if echo "$out" | grep -q 'libvirtd is not running now: its socket starts it'; then
  ! systemctl is-active --quiet libvirtd.service || fail "the postinst said libvirtd is not running, but libvirtd.service is active"
  systemctl is-active --quiet libvirtd.socket || fail "the postinst said libvirtd's socket starts it, but libvirtd.socket is not active"
else
  echo "$out" | grep -q 'libvirtd looks for hooks only when it starts and saw none: restart it once (systemctl restart libvirtd)' \
    || fail "the postinst did not say that libvirtd must be restarted (it saw no hook before)"
fi
systemctl is-enabled --quiet libvirt-hooks-sleep.service || fail "libvirt-hooks-sleep.service is not enabled"
systemctl is-active --quiet libvirt-hooks-shutdown.service || fail "libvirt-hooks-shutdown.service is not active"

# libvirtd decides at its start whether hooks exist: restart it, as the postinst asks.
systemctl restart libvirtd
start=$SECONDS
set +e
doctor=$(libvirt-hooks doctor 2>&1)
rc=$?
set -e
echo "$doctor"
echo "libvirt-hooks doctor exited $rc after $((SECONDS - start)) s"
for want in '^OK   hook: launcher installed at /etc/libvirt/hooks/qemu.d/libvirt-hooks' \
    '^OK   libvirtd: running since .*, hooks enabled' '^OK   cgroups: cgroup v2' '^OK   hugetlbfs: mounted'; do
  echo "$doctor" | grep -q "$want" || fail "doctor does not report '$want'"
done
[ "$rc" -eq 0 ] || fail "doctor exited $rc (3 = a failing check)"

# A configured VM with hugepages, running across the upgrade.
pages() { cat /proc/sys/vm/nr_hugepages; }
base=$(pages)
tiny_domain lab-deb "<memoryBacking><hugepages/></memoryBacking>" "<hugepages/>" | vm_start lab-deb
[ "$(pages)" -eq $((base + 32)) ] || fail "hugepages: $(pages) pages with lab-deb running, expected $base + 32"
journal=$(ls /run/libvirt-hooks/vm-lab-deb-*.journal) || fail "lab-deb runs but has no journal in /run/libvirt-hooks"
journal_sum=$(sha256sum <"$journal")

# A newer build: this package with a higher version (+lab1 sorts after it).
start=$SECONDS
dpkg-deb -R "$deb" "$work/newer"
sed -i "s/^Version: .*/Version: $version+lab1/" "$work/newer/DEBIAN/control"
# Uncompressed: xz is slow under software emulation, and this package only crosses a directory.
dpkg-deb --root-owner-group -Znone -b "$work/newer" "$work/libvirt-hooks_${version}+lab1_all.deb" >/dev/null
echo "repacked as $version+lab1 in $((SECONDS - start)) s"
launcher_before=$(stat -c %Y.%i /etc/libvirt/hooks/qemu.d/libvirt-hooks)
start=$SECONDS
out=$(apt-get install -y --no-install-recommends "$work/libvirt-hooks_${version}+lab1_all.deb" 2>&1) \
  || { echo "$out"; fail "the upgrade to $version+lab1 with lab-deb running failed: $(echo "$out" | tail -n 1)"; }
echo "$out"
echo "apt-get install of $version+lab1 (an upgrade, lab-deb running) took $((SECONDS - start)) s"
[ "$(dpkg-query -W -f '${Version}' libvirt-hooks)" = "$version+lab1" ] || fail "the upgrade did not install $version+lab1"
[ "$(vm_state lab-deb)" = running ] || fail "lab-deb is $(vm_state lab-deb) after the upgrade, expected running"
[ -f "$journal" ] && [ "$(sha256sum <"$journal")" = "$journal_sum" ] || fail "the journal of lab-deb did not survive the upgrade unchanged"
[ "$(stat -c %Y.%i /etc/libvirt/hooks/qemu.d/libvirt-hooks)" != "$launcher_before" ] || fail "the upgrade's postinst did not rewrite the launcher"
! echo "$out" | grep -q 'restart it once' || fail "the upgrade asked for a libvirtd restart, though libvirtd already runs our hook"

# Removal while lab-deb is applied: refused, nothing changed.
set +e
out=$(apt-get remove -y libvirt-hooks 2>&1)
rc=$?
set -e
echo "$out"
[ "$rc" -ne 0 ] || fail "apt-get remove succeeded while lab-deb has host changes applied"
echo "$out" | grep -q 'still have host changes applied' || fail "apt-get remove failed without saying that a VM has host changes applied"
dpkg-query -W -f '${Status}' libvirt-hooks | grep -q ' ok installed$' \
  || fail "libvirt-hooks is '$(dpkg-query -W -f '${Status}' libvirt-hooks)' after the refused removal, expected installed"
[ -x /etc/libvirt/hooks/qemu.d/libvirt-hooks ] && [ -f "$journal" ] || fail "the refused removal took the launcher or the journal away"

# The release after the upgrade gives everything back.
vm_destroy lab-deb
[ "$(pages)" -eq "$base" ] || fail "hugepages: $(pages) pages after lab-deb's release (after the upgrade), expected $base"
echo "deb: installed, upgraded to $version+lab1 with lab-deb running, its journal kept, removal refused while applied, release gave every page back"
