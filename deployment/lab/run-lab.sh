#!/usr/bin/env bash
# Boots the lab guest (building or reusing its image), lets it run the suite in the program
# share and reads the verdict from the results share.
#
# Usage:
#   run-lab.sh --program DIR --results DIR [--console FILE] [--timeout SECONDS] [--append ARGS]
#   run-lab.sh --debug [--program DIR] [--results DIR] [--append ARGS]
#
#   --program DIR      shared read-only as 9p tag 'program'; the guest runs DIR/run-in-guest.sh
#   --results DIR      shared read-write as 9p tag 'results'; emptied first (only a new or empty
#                      directory, or one run-lab.sh made), filled by the guest
#   --console FILE     where the serial console goes (default RESULTS/../console.log)
#   --timeout SECONDS  hard limit for the boot and the suite (default 900); qemu is killed then
#   --append ARGS      more kernel command line (for example to break the lab on purpose)
#   --debug            interactive: console on this terminal, the suite not started; log in as
#                      root without a password, leave with 'poweroff' (or Ctrl-A X)
#
# Exit status: 0 when the guest ran the suite and every check passed; 1 when a check failed;
# 3 when the guest gave no verdict (timeout, crash, no results); 2 for usage errors.
#
# Environment: LAB_ACCEL=auto|kvm|tcg (default auto: KVM only when a bounded probe boot of
# the lab kernel succeeds, else TCG), LAB_MEMORY_MIB (default 3072, split over two nodes),
# LAB_QEMU (default qemu-system-x86_64), and build-image.sh's variables.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
qemu=${LAB_QEMU:-qemu-system-x86_64}
memory_mib=${LAB_MEMORY_MIB:-3072}
accel_choice=${LAB_ACCEL:-auto}

program="" results="" console="" timeout_s=900 append_extra="" debug=0
usage() { sed -n '/^# Usage:/,/^set /{/^set /d; s/^# \{0,1\}//; p}' "$0" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --program) program=${2:?}; shift 2 ;;
    --results) results=${2:?}; shift 2 ;;
    --console) console=${2:?}; shift 2 ;;
    --timeout) timeout_s=${2:?}; shift 2 ;;
    --append) append_extra=${2:?}; shift 2 ;;
    --debug) debug=1; shift ;;
    -h|--help) usage ;;
    *) echo "run-lab: unknown argument '$1'" >&2; usage ;;
  esac
done

log() { echo "run-lab: $*" >&2; }
# No verdict from the guest: say why, show the end of the console, exit 3.
no_verdict() {
  log "FAIL: $*"
  if [ -n "$console" ] && [ -s "$console" ]; then
    log "last lines of the serial console ($console):"
    tail -n 40 "$console" | sed 's/\r$//; s/^/  | /' >&2
  fi
  [ -n "$results" ] && [ -s "$results/lab-run.log" ] && { log "lab-run.log:"; sed 's/^/  | /' "$results/lab-run.log" >&2; }
  exit 3
}

if [ "$debug" -eq 0 ]; then
  [ -n "$program" ] && [ -n "$results" ] || { log "--program and --results are required"; usage; }
fi
[ -z "$program" ] || [ -d "$program" ] || { log "program share '$program' is not a directory"; exit 2; }
case "$timeout_s" in ''|*[!0-9]*) log "--timeout wants whole seconds, got '$timeout_s'"; exit 2 ;; esac
command -v "$qemu" >/dev/null 2>&1 \
  || { log "$qemu is missing: apt-get install -y --no-install-recommends qemu-system-x86"; exit 2; }

image=$("$here/build-image.sh" | tail -n 1) || { log "FAIL: build-image.sh could not give the lab image (its messages are above)"; exit 3; }
[ -f "$image/complete" ] || { log "build-image.sh gave no finished image ($image)"; exit 3; }

# Node 0 gets a third, node 1 the rest: node 1 then starts at 1 GiB of a 3 GiB guest and holds the
# whole aligned gigabyte [1 GiB, 2 GiB), so that it can give a 1 GiB page (61-hugepages-per-cell).
node0=$(( memory_mib / 3 ))
node1=$(( memory_mib - node0 ))
machine_args=(
  # q35 with the emulated VT-d first (it must precede the PCI devices it translates for): the guest
  # gets real IOMMU groups. Its display is QEMU's VGA behind a PCIe root port, so that the port can
  # reset it: the real PCI function gpu-handoff hands to vfio-pci and back (70-gpu-handoff).
  -machine q35 -device intel-iommu,intremap=off
  -vga none -device pcie-root-port,id=lab-gpu-port,chassis=8 -device VGA,bus=lab-gpu-port
  -cpu Nehalem,+pdpe1gb
  # SMT needs an Intel model under TCG: with it cpu0's thread_siblings_list reads 0-1. pdpe1gb gives the
  # guest kernel 1 GiB pages (61-hugepages-per-cell).
  -smp 4,sockets=1,cores=2,threads=2
  -m "${memory_mib}M"
  -object "memory-backend-ram,id=m0,size=${node0}M" -numa node,nodeid=0,cpus=0-1,memdev=m0
  -object "memory-backend-ram,id=m1,size=${node1}M" -numa node,nodeid=1,cpus=2-3,memdev=m1
  -nic none -no-reboot
)

# Under KVM on some hosts (nested virtualisation) a Linux guest hangs early in boot while
# firmware-only guests run, so KVM is used only when the lab kernel itself boots under it:
# without a root disk it panics once its drivers are up, and panic=-1 with -no-reboot ends
# qemu. The answer is kept beside the image, per qemu version.
kvm_works() {
  [ -r /dev/kvm ] && [ -w /dev/kvm ] || { log "no usable /dev/kvm"; return 1; }
  local key verdict probe_log
  key=$("$qemu" --version | head -n 1 | sha256sum | cut -c1-12)
  verdict="$image/kvm-probe-$key"
  if [ -f "$verdict" ]; then
    [ "$(cat "$verdict")" = works ]
    return
  fi
  probe_log=$(mktemp)
  local started=$SECONDS
  if timeout --kill-after=5 30 "$qemu" -accel kvm "${machine_args[@]}" -display none -monitor none \
       -serial "file:$probe_log" -kernel "$image/vmlinuz" -append "console=ttyS0 panic=-1" </dev/null >/dev/null 2>&1 \
     && grep -q 'Kernel panic' "$probe_log"; then
    log "KVM probe: the lab kernel booted to its expected panic in $(( SECONDS - started )) s; using KVM"
    echo works > "$verdict" 2>/dev/null || true
    rm -f "$probe_log"
    return 0
  fi
  log "KVM probe: the lab kernel did not get through boot under KVM within 30 s; using TCG"
  echo hangs > "$verdict" 2>/dev/null || true
  rm -f "$probe_log"
  return 1
}

case "$accel_choice" in
  kvm) accel=(-accel kvm) ;;
  tcg) accel=(-accel tcg,thread=multi) ;;
  auto) if kvm_works; then accel=(-accel kvm); else accel=(-accel tcg,thread=multi); fi ;;
  *) log "LAB_ACCEL must be auto, kvm or tcg, not '$accel_choice'"; exit 2 ;;
esac

# One 1 GiB page reserved on node 1 at boot keeps an aligned gigabyte free there: at run time the
# kernel's own allocations soon break every one up. 61-hugepages-per-cell gives it back to the
# kernel right before its VM starts, so that the hook's reservation finds the gigabyte free.
# mitigations=off: the emulated Nehalem has no PCID, so with page-table isolation every system
# call switches page tables and software emulation flushes its whole TLB each time. The guest is
# thrown away after the run and runs nothing but the suite.
cmdline="root=/dev/vda rw console=ttyS0 systemd.unified_cgroup_hierarchy=1 panic=-1 hugepagesz=1G hugepages=1:1 intel_iommu=on mitigations=off"
shares=()
[ -z "$program" ] || shares+=(-virtfs "local,path=$program,mount_tag=program,security_model=none,readonly=on")
if [ -n "$results" ]; then
  mkdir -p "$results"
  # Emptied before every boot, so refuse a directory that holds anything not made here.
  if [ -n "$(ls -A "$results")" ] && [ ! -f "$results/.lab-results" ]; then
    log "results directory $results is not empty and was not made by run-lab.sh; give a new or empty directory"
    exit 2
  fi
  find "$results" -mindepth 1 -delete
  touch "$results/.lab-results"
  shares+=(-virtfs "local,path=$results,mount_tag=results,security_model=none")
fi
# The image stays as built: every boot writes to a throw-away overlay (snapshot=on).
disk=(-drive "file=$image/disk.img,format=raw,if=virtio,snapshot=on")
boot=(-kernel "$image/vmlinuz" -initrd "$image/initrd.img")

if [ "$debug" -eq 1 ]; then
  log "debug boot (${accel[*]}): lab-run.service is masked; log in as root, no password; Ctrl-A X quits"
  exec "$qemu" "${accel[@]}" "${machine_args[@]}" "${disk[@]}" "${shares[@]}" "${boot[@]}" \
    -append "$cmdline systemd.mask=lab-run.service $append_extra" -nographic
fi

[ -n "$console" ] || console="$(dirname "$results")/console.log"
: > "$console"
log "booting ${accel[*]}, 4 vCPUs (2 cores x 2 threads), 2 NUMA nodes, ${memory_mib} MiB; timeout ${timeout_s} s; console in $console"
started=$SECONDS
set +e
timeout --kill-after=10 "$timeout_s" "$qemu" "${accel[@]}" "${machine_args[@]}" "${disk[@]}" "${shares[@]}" "${boot[@]}" \
  -append "$cmdline $append_extra" -display none -monitor none -serial "file:$console" </dev/null >"$console.qemu" 2>&1
qemu_rc=$?
set -e
elapsed=$(( SECONDS - started ))
[ -s "$console.qemu" ] && { log "qemu said:"; sed 's/^/  | /' "$console.qemu" >&2; }
[ "$qemu_rc" -ne 124 ] && [ "$qemu_rc" -ne 137 ] || no_verdict "the guest did not power off within ${timeout_s} s; qemu was killed"
[ "$qemu_rc" -eq 0 ] || no_verdict "qemu exited with status $qemu_rc after ${elapsed} s"
[ -f "$results/exit-status" ] || no_verdict "the guest powered off after ${elapsed} s without finishing the suite (no exit-status in $results)"
log "guest powered off after ${elapsed} s"

[ -f "$results/checks.txt" ] && cat "$results/checks.txt"
summary=$(tail -n 1 "$results/summary.txt" 2>/dev/null || true)
[ -n "$summary" ] || no_verdict "the guest wrote no summary.txt (exit status $(cat "$results/exit-status"))"
echo "$summary"
passed=$(sed -n 's/.* \([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed.*/\1/p' <<<"$summary")
failed=$(sed -n 's/.* \([0-9][0-9]*\) passed, \([0-9][0-9]*\) failed.*/\2/p' <<<"$summary")
[ -n "$passed" ] && [ -n "$failed" ] || no_verdict "summary.txt does not say 'N passed, N failed': '$summary'"
status=$(cat "$results/exit-status")
if [ "$failed" -ne 0 ] || [ "$passed" -eq 0 ] || [ "$status" != 0 ]; then
  log "FAIL: $failed failed, $passed passed, run-in-guest.sh exit status $status; logs in $results/checks/"
  exit 1
fi
log "PASS: $passed checks in ${elapsed} s"
