# 'installer.sh -i' from the distribution this build made installs libvirt-hooks with the
# guest's JRE: launcher, command, units, manifest; after the libvirtd restart that install asks
# for, 'libvirt-hooks doctor' sees the hook installed and enabled, and cgroup v2. Every later
# feature check uses this installation; 99-uninstall removes it.
set -eu
dist=$LAB_PROGRAM/dist
[ -x "$dist/installer.sh" ] || { echo "no distribution in the program share ($dist/installer.sh): LabProgramShare did not ship it"; exit 1; }
command -v java >/dev/null || { echo "no java on PATH in the guest: the image needs openjdk-17-jre-headless"; exit 1; }
java -version 2>&1 | head -n 1
[ ! -e /etc/libvirt/hooks/qemu.d/libvirt-hooks ] || { echo "libvirt-hooks is installed before the install check ran"; exit 1; }

"$dist/installer.sh" -h | grep -q -- '-i ' || { echo "installer.sh -h prints no usage"; exit 1; }
echo "libvirtd before install: $(systemctl is-active libvirtd.service)"
start=$SECONDS
out=$("$dist/installer.sh" -i 2>&1) || { echo "$out"; echo "installer.sh -i failed: $(echo "$out" | tail -n 1)"; exit 1; }
echo "$out"
echo "installer.sh -i took $((SECONDS - start)) s"

for f in /etc/libvirt/hooks/qemu.d/libvirt-hooks /usr/bin/libvirt-hooks; do
  [ -x "$f" ] || { echo "install did not leave an executable $f"; exit 1; }
done
for f in /usr/lib/libvirt-hooks/app/quarkus-run.jar /usr/lib/libvirt-hooks/installed-files \
    /etc/libvirt-hooks/application.properties /etc/systemd/system/libvirt-hooks-sleep.service \
    /etc/systemd/system/libvirt-hooks-shutdown.service; do
  [ -f "$f" ] || { echo "install did not write $f"; exit 1; }
done
# Debian's libvirtd runs with --timeout 120: idle, it ends, and its socket starts it again at the
# next client, which then sees the hook. install tells the two cases apart.
if echo "$out" | grep -q 'libvirtd is not running now: its socket starts it'; then
  ! systemctl is-active --quiet libvirtd.service || { echo "install said libvirtd is not running, but libvirtd.service is active"; exit 1; }
  systemctl is-active --quiet libvirtd.socket || { echo "install said libvirtd's socket starts it, but libvirtd.socket is not active"; exit 1; }
else
  echo "$out" | grep -q 'libvirtd looks for hooks only when it starts and saw none: restart it once (systemctl restart libvirtd)' \
    || { echo "install did not say that libvirtd must be restarted (it saw no hook before)"; exit 1; }
fi
systemctl is-enabled --quiet libvirt-hooks-sleep.service || { echo "libvirt-hooks-sleep.service is not enabled"; exit 1; }
systemctl is-active --quiet libvirt-hooks-shutdown.service || { echo "libvirt-hooks-shutdown.service is not active"; exit 1; }

# libvirtd decides at its start whether hooks exist: restart it, as install asks.
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
  echo "$doctor" | grep -q "$want" || { echo "doctor does not report '$want'"; exit 1; }
done
[ "$rc" -eq 0 ] || { echo "doctor exited $rc (3 = a failing check)"; exit 1; }
echo "installed; doctor sees the hook, libvirtd running with hooks, cgroup v2"
