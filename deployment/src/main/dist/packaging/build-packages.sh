#!/bin/sh
# Builds the distribution packages of libvirt-hooks from this unpacked distribution:
#   deb    libvirt-hooks_VERSION_all.deb         dpkg-deb (Debian, Ubuntu)
#   rpm    libvirt-hooks-VERSION-1.noarch.rpm    rpmbuild (Fedora and its spins)
#   arch   libvirt-hooks-VERSION-1-any.pkg.tar.zst   makepkg (Arch); as root, run as 'nobody'
# Usage: build-packages.sh [--out DIR] [--optional] deb|rpm|arch...
#   --optional   skip (saying so) a package whose build tool is missing, instead of failing
# The Maven build runs it at 'package': the .deb always, the rpm and Arch package where their
# tools are installed (.ci/run installs them).
set -eu
here=$(cd "$(dirname "$0")" && pwd)
dist=$(dirname "$here")
out=$PWD
optional=no
while [ $# -gt 0 ]; do
  case $1 in
    --out) out=$2; shift 2 ;;
    --optional) optional=yes; shift ;;
    --) shift; break ;;
    -*) echo "build-packages.sh: unknown option $1" >&2; exit 2 ;;
    *) break ;;
  esac
done
[ $# -gt 0 ] || { echo "usage: build-packages.sh [--out DIR] [--optional] deb|rpm|arch..." >&2; exit 2; }
mkdir -p "$out"
out=$(cd "$out" && pwd)
version=$(sed -n 's/^version=//p' "$here/build-info")
# 0.1.0-SNAPSHOT: '~' sorts before the release in dpkg and rpm, a letter suffix does in pacman.
tilde_version=$(printf '%s' "$version" | tr - '~')
arch_version=$(printf '%s' "$version" | tr -d -)
# The build's timestamp for what the tools stamp themselves (dpkg-deb, rpmbuild, makepkg).
SOURCE_DATE_EPOCH=$(date -u -d "$(sed -n 's/^date=//p' "$here/build-info")" +%s)
export SOURCE_DATE_EPOCH
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

missing() {
  if [ "$optional" = yes ]; then
    echo "build-packages.sh: no $1 package: $2 is not installed (apt-get install $3)" >&2
    return 0
  fi
  echo "build-packages.sh: cannot build the $1 package: $2 is not installed (apt-get install $3)" >&2
  exit 1
}

build_deb() {
  command -v dpkg-deb >/dev/null || { missing deb dpkg-deb dpkg; return 0; }
  root=$work/deb
  sh "$here/stage.sh" "$dist" "$root"
  mkdir -p "$root/DEBIAN"
  for f in postinst prerm postrm; do
    install -m 0755 "$here/debian/$f" "$root/DEBIAN/$f"
  done
  install -m 0644 "$here/debian/triggers" "$here/debian/conffiles" "$root/DEBIAN/"
  size=$(du -k -s --apparent-size --exclude=DEBIAN "$root" | cut -f1)
  sed -e "s/@DEB_VERSION@/$tilde_version/" -e "s/@INSTALLED_SIZE@/$size/" "$here/debian/control.in" >"$root/DEBIAN/control"
  (cd "$root" && find usr etc -type f | LC_ALL=C sort | xargs md5sum) >"$root/DEBIAN/md5sums"
  chmod 0644 "$root/DEBIAN/control" "$root/DEBIAN/md5sums"
  chmod 0755 "$root/DEBIAN"
  dpkg-deb --root-owner-group -Zxz --build "$root" "$out/libvirt-hooks_${tilde_version}_all.deb" >/dev/null
  echo "built $out/libvirt-hooks_${tilde_version}_all.deb"
}

build_rpm() {
  command -v rpmbuild >/dev/null || { missing rpm rpmbuild rpm; return 0; }
  top=$work/rpm
  mkdir -p "$top/SPECS"
  sed "s/@RPM_VERSION@/$tilde_version/" "$here/rpm/libvirt-hooks.spec.in" >"$top/SPECS/libvirt-hooks.spec"
  # --nodeps: the build host need not be an rpm system holding the runtime dependencies.
  rpmbuild -bb --nodeps --quiet --define "_topdir $top" --define "distdir $dist" \
    --define "_buildhost libvirt-hooks" "$top/SPECS/libvirt-hooks.spec" >"$work/rpmbuild.log" 2>&1 \
    || { cat "$work/rpmbuild.log" >&2; echo "build-packages.sh: rpmbuild failed (above)" >&2; exit 1; }
  for rpm in "$top"/RPMS/noarch/*.rpm; do
    cp "$rpm" "$out/"
    echo "built $out/${rpm##*/}"
  done
}

build_arch() {
  command -v makepkg >/dev/null || { missing arch makepkg "makepkg libarchive-tools zstd"; return 0; }
  command -v bsdtar >/dev/null || { missing arch bsdtar "libarchive-tools"; return 0; }
  build=$work/arch
  mkdir -p "$build/out"
  sed "s/@ARCH_VERSION@/$arch_version/" "$here/arch/PKGBUILD.in" >"$build/PKGBUILD"
  cp "$here/arch/libvirt-hooks.install" "$here/arch/libvirt-hooks-remove.hook" "$here/arch/libvirt-hooks-jdk.hook" "$build/"
  # makepkg refuses to run as root (its build() would run as root on the host): run it as
  # 'nobody' in a directory of its own; package() still runs under fakeroot, so the files in
  # the package belong to root.
  run=
  if [ "$(id -u)" -eq 0 ]; then
    chown -R nobody "$build"
    chmod 0755 "$work"
    run="setpriv --reuid=nobody --regid=nogroup --clear-groups --reset-env --"
  fi
  # --nodeps: the build host is no pacman system; the dependencies are checked where it installs.
  # makepkg still looks pacman up at start (to check dependencies with it): PACMAN=true, which
  # --nodeps never calls.
  (cd "$build" && $run env HOME="$build" PATH="$PATH" SOURCE_DATE_EPOCH="$SOURCE_DATE_EPOCH" PACMAN=true LIBVIRT_HOOKS_DIST="$dist" PKGDEST="$build/out" \
      PKGEXT=.pkg.tar.zst BUILDDIR="$build/work" SRCDEST="$build" makepkg --nodeps --noconfirm --nocolor \
      >"$work/makepkg.log" 2>&1) \
    || { cat "$work/makepkg.log" >&2; echo "build-packages.sh: makepkg failed (above)" >&2; exit 1; }
  for pkg in "$build"/out/*.pkg.tar.zst; do
    cp "$pkg" "$out/"
    echo "built $out/${pkg##*/}"
  done
}

for kind in "$@"; do
  case $kind in
    deb) build_deb ;;
    rpm) build_rpm ;;
    arch) build_arch ;;
    *) echo "build-packages.sh: unknown package kind $kind (deb, rpm, arch)" >&2; exit 2 ;;
  esac
done
