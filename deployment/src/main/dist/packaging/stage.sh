#!/bin/sh
# Lays out, below ROOT, the files every distribution package of libvirt-hooks ships, from the
# unpacked distribution DIST: the .deb, the rpm (%install) and the Arch package (package())
# all call it, so that they ship the same files with the same modes.
#   /usr/lib/libvirt-hooks/{app,share,bin}/   the program, as 'install --from' finds it
#   /usr/lib/libvirt-hooks/installer.sh, package-hooks.sh   what the maintainer scripts run
#   /etc/libvirt-hooks/application.properties   the config skeleton, a config file of the package
#   /usr/share/doc/libvirt-hooks/{copyright,changelog.gz}
# Everything else 'libvirt-hooks install' writes at configure time (launcher, command, units,
# class-data archives for the host's JDK, man page) and uninstall removes.
# Usage: stage.sh DIST ROOT
set -eu
[ $# -eq 2 ] || { echo "usage: stage.sh DIST ROOT" >&2; exit 2; }
dist=$1
root=$2
packaging=$dist/packaging
[ -f "$dist/app/quarkus-run.jar" ] && [ -f "$packaging/build-info" ] \
  || { echo "stage.sh: $dist is not an unpacked libvirt-hooks distribution" >&2; exit 1; }
version=$(sed -n 's/^version=//p' "$packaging/build-info")
date=$(sed -n 's/^date=//p' "$packaging/build-info")

lib=$root/usr/lib/libvirt-hooks
doc=$root/usr/share/doc/libvirt-hooks
mkdir -p "$lib" "$root/etc/libvirt-hooks" "$doc"
cp -R "$dist/app" "$dist/share" "$lib/"
[ ! -d "$dist/bin" ] || cp -R "$dist/bin" "$lib/"
cp "$dist/installer.sh" "$packaging/package-hooks.sh" "$lib/"
cp "$packaging/application.properties" "$root/etc/libvirt-hooks/application.properties"
cp "$packaging/copyright" "$doc/copyright"
# A native package's changelog, as Debian policy has it: the one entry of this build.
{
  printf 'libvirt-hooks (%s) unstable; urgency=medium\n\n' "$(printf '%s' "$version" | tr - '~')"
  printf '  * Built from the libvirt-hooks sources; their history is the git log.\n\n'
  printf ' -- libvirt-hooks maintainers <libvirt-hooks@users.noreply.github.com>  %s\n' "$(LC_ALL=C date -u -R -d "$date")"
} | gzip -9n >"$doc/changelog.gz"

# The same modes whatever the umask and the build tool: directories and programs 0755, the rest 0644.
find "$root/usr" "$root/etc" -type d -exec chmod 0755 {} +
find "$root/usr" "$root/etc" -type f -exec chmod 0644 {} +
chmod 0755 "$lib/installer.sh" "$lib/package-hooks.sh" "$lib/share/qemu-hook" "$lib/share/libvirt-hooks"
[ ! -d "$lib/bin" ] || find "$lib/bin" -type f -exec chmod 0755 {} +
# The build's timestamp on every file: the packages do not change with the build's clock.
find "$root/usr" "$root/etc" -exec touch -h -d "$date" {} +
