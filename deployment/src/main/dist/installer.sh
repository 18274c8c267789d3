#!/bin/sh
# Installs or removes libvirt-hooks from this unpacked distribution, with the flags users of
# the original bash project know. Everything else is done by 'libvirt-hooks install'.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
usage() {
  cat <<USAGE
Usage: installer.sh [-i | -u | -h] [options passed to libvirt-hooks install/uninstall]
  -i   install libvirt-hooks (program, libvirt hook launcher, config skeleton)
  -u   uninstall (keeps an edited /etc/libvirt-hooks/application.properties)
  -h   this help
USAGE
}
[ $# -ge 1 ] || { usage >&2; exit 2; }
action=$1; shift
if ! command -v java >/dev/null 2>&1; then
  echo "installer.sh: java is missing; install a JRE 17 or newer (apt-get install openjdk-17-jre-headless)" >&2
  exit 1
fi
case $action in
  -i) exec java -jar "$here/app/quarkus-run.jar" install --from "$here" "$@" ;;
  -u) exec java -jar "$here/app/quarkus-run.jar" uninstall "$@" ;;
  -h) usage ;;
  *) usage >&2; exit 2 ;;
esac
