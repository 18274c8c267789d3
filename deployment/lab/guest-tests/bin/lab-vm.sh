# Sourced by the feature checks (". "$LAB_PROGRAM/bin/lab-vm.sh"): tiny libvirt domains that
# are always cleaned up, and small helpers to read what the hooks did. Needs bash; sets -eu.
#
#   tiny_domain NAME [ELEMENTS] [FEATURES]   prints a 64 MiB, 1 vCPU software-emulated domain
#                                            with no disk (the firmware idles: no guest agent,
#                                            ACPI ignored); ELEMENTS go inside <domain>, FEATURES
#                                            inside our <metadata><hooks> element
#   vm_define NAME < XML, vm_start NAME < XML   define (and start); NAME is cleaned up at exit
#   vm_destroy NAME                          destroy and wait until release has run
#   vm_state NAME                            running, paused, shut off, ...
#   hooklog_mark, hooklog_new                the hook log lines written since the mark
#   wait_until SECONDS CMD...                poll CMD every 0.5 s until it succeeds, or fail
#   fail MESSAGE                             print MESSAGE (the FAIL line) and exit 1
#   cpus_equal A B                           two CPU lists name the same CPUs ("0 2-3" = "0,2,3")
# A check may define lab_cleanup(), run at exit before the domains are removed.
set -eu
# 'tiny_domain ... | vm_start NAME' must run vm_start in this shell, or NAME is never cleaned up.
shopt -s lastpipe

LAB_HOOK_LOG=/run/libvirt-hooks/hooks.log
LAB_VMS=()
LAB_HOOKLOG_MARK=0
LAB_HOOKLOG_START=0

virsh() { command virsh -q -c qemu:///system "$@"; }

# The hook log of the whole check comes first: the last line printed becomes the FAIL line.
fail() {
  echo "--- hook log lines written during this check ---"
  tail -n +"$((LAB_HOOKLOG_START + 1))" "$LAB_HOOK_LOG" 2>/dev/null || true
  echo "---"
  echo "$*"
  exit 1
}

_lab_exit() {
  local rc=$?
  if declare -F lab_cleanup >/dev/null; then lab_cleanup || true; fi
  local name
  for name in "${LAB_VMS[@]}"; do _lab_remove "$name"; done
  exit "$rc"
}
trap _lab_exit EXIT

_lab_remove() {
  virsh destroy "$1" >/dev/null 2>&1 || true
  virsh managedsave-remove "$1" >/dev/null 2>&1 || true
  virsh undefine "$1" >/dev/null 2>&1 || true
}

tiny_domain() {
  local name=$1 elements=${2:-} features=${3:-}
  cat <<XML
<domain type='qemu'>
  <name>$name</name>
  <memory unit='MiB'>64</memory>
  <vcpu>1</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  $elements
  <metadata><hooks xmlns='urn:libvirt-hooks:1'>$features</hooks></metadata>
  <devices><memballoon model='none'/></devices>
</domain>
XML
}

vm_define() {
  local name=$1 xml
  _lab_remove "$name"
  LAB_VMS+=("$name")
  xml=$(mktemp)
  cat > "$xml"
  virsh define "$xml" >/dev/null
  rm -f "$xml"
}

vm_start() {
  vm_define "$1"
  local started=$SECONDS
  virsh start "$1" >/dev/null || fail "virsh start $1 failed (hook log: $(tail -n 3 "$LAB_HOOK_LOG" 2>/dev/null | tr '\n' ' '))"
  echo "started $1 in $((SECONDS - started)) s"
}

vm_state() { virsh domstate "$1" 2>/dev/null | head -n 1; }

# libvirt runs the release hook before 'virsh destroy' returns; waiting for the VM's journal to
# go keeps a slow release from passing for a missing one.
vm_destroy() {
  virsh destroy "$1" >/dev/null
  wait_until 120 _no_journal "$1" || fail "the state of $1 is still in /run/libvirt-hooks 120 s after destroy: release did not finish"
}

_no_journal() {
  local f
  for f in /run/libvirt-hooks/vm-"$1"-*.journal; do [ -e "$f" ] && return 1; done
  return 0
}

hooklog_mark() { LAB_HOOKLOG_MARK=$(if [ -f "$LAB_HOOK_LOG" ]; then wc -l < "$LAB_HOOK_LOG"; else echo 0; fi); }
hooklog_new() { tail -n +"$((LAB_HOOKLOG_MARK + 1))" "$LAB_HOOK_LOG" 2>/dev/null || true; }

wait_until() {
  local limit=$1 deadline
  shift
  deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.5
  done
}

# Expands "0 2-3" or "0,2-3" into "0 2 3".
cpu_list() {
  local part out=""
  for part in $(echo "$1" | tr ', ' '\n\n'); do
    case $part in
      *-*) out+=" $(seq -s ' ' "${part%-*}" "${part#*-}")" ;;
      '') ;;
      *) out+=" $part" ;;
    esac
  done
  echo "${out# }"
}

cpus_equal() { [ "$(cpu_list "$1")" = "$(cpu_list "$2")" ]; }

hooklog_mark
LAB_HOOKLOG_START=$LAB_HOOKLOG_MARK
