#!/bin/sh
# The maintainer script every distribution package of libvirt-hooks calls (the .deb's postinst
# and prerm, the rpm's %posttrans and %preun, the Arch package's install file and alpm hook), so
# that they all do what 'libvirt-hooks install' and 'uninstall' do, and nothing else:
#   configure   after the package unpacked /usr/lib/libvirt-hooks (first install, upgrade, or
#               a new JDK): the launcher, the command, the systemd units enabled, the class-data
#               archives for the java on PATH, the man page; the shipped config file is kept.
#   remove      before the package's files go: uninstall, which refuses (and so stops the
#               removal) while VMs still have host changes applied; the config file stays
#               for the package manager (removed on purge).
# An upgrade calls only 'configure': the launcher stays in place throughout, so that a VM
# running across the upgrade is released by it and gets everything back.
set -u
lib=/usr/lib/libvirt-hooks
case ${1:-} in
  configure)
    # The java alternatives link, not the JDK it points at today: the hook keeps working when
    # the JDK is replaced, and the packages rebuild the archives for the new one.
    if ! java=$(command -v java); then
      echo "libvirt-hooks: no java on PATH; install a Java 17 or newer runtime, then run '$lib/package-hooks.sh configure'" >&2
      exit 1
    fi
    "$lib/installer.sh" -i --java "$java" || exit $?
    # SELinux (Fedora): the files the install wrote get their policy's labels; without this a
    # launcher labelled as a temporary file cannot run as libvirt's hook.
    if command -v selinuxenabled >/dev/null 2>&1 && selinuxenabled && command -v restorecon >/dev/null 2>&1; then
      restorecon -R -- "$lib" /etc/libvirt/hooks /usr/bin/libvirt-hooks /etc/libvirt-hooks \
        || echo "libvirt-hooks: restorecon failed; run 'restorecon -R $lib /etc/libvirt/hooks' by hand" >&2
    fi ;;
  remove)
    if ! "$lib/installer.sh" -u --keep-config; then
      echo "libvirt-hooks: not removed (the line above says why); shut those VMs down or run 'libvirt-hooks restore'," \
        "then remove the package again" >&2
      exit 1
    fi ;;
  *)
    echo "usage: package-hooks.sh configure|remove" >&2
    exit 2 ;;
esac
