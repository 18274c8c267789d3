#!/bin/sh
# Installs or removes libvirt-hooks from this unpacked distribution, with the flags users of
# the original bash project know. Everything else is done by 'libvirt-hooks install'.
set -u
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
# A short-lived command: the client compiler and the serial collector start it fastest.
JVM_OPTIONS='-XX:TieredStopAtLevel=1 -XX:+UseSerialGC -Xshare:auto'

# Runs the program; if the Java VM itself crashes (killed by a signal, or aborted after writing
# hs_err_pid*.log), runs it once more without class-data sharing and without the JIT compiler,
# the two parts a broken JDK build or CPU emulation most often trips over. install and
# uninstall are safe to repeat: a second run finishes what the first one began.
run_program() {
  # shellcheck disable=SC2086 # JVM_OPTIONS is a fixed list of words
  # Where the packages run this (from /usr/lib/libvirt-hooks), the command's class-data archive
  # of the last install is beside it: an upgrade, a reconfigure or the removal start from it.
  # Built from other jars, the JVM sets it aside itself (-Xshare:auto) and loads classes as usual.
  if [ -r "$here/cli.jsa" ]; then
    java $JVM_OPTIONS -XX:SharedArchiveFile="$here/cli.jsa" -Xlog:disable -jar "$here/app/quarkus-run.jar" "$@"
  else
    java $JVM_OPTIONS -jar "$here/app/quarkus-run.jar" "$@"
  fi
  rc=$?
  if [ "$rc" -gt 128 ] && [ "$rc" -lt 160 ]; then
    echo "installer.sh: the Java VM crashed (exit status $rc; its report is an hs_err_pid*.log in $(pwd) or /tmp);" \
      "running '$1' once more without class-data sharing or JIT" >&2
    java -Xshare:off -Xint -XX:+UseSerialGC -jar "$here/app/quarkus-run.jar" "$@"
    rc=$?
  fi
  return "$rc"
}

case $action in
  -i) run_program install --from "$here" "$@" ;;
  -u) run_program uninstall "$@" ;;
  -h) usage ;;
  *) usage >&2; exit 2 ;;
esac
