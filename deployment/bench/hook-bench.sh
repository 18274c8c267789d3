#!/usr/bin/env bash
# The performance benchmark of issue 10 (README, section "Performance"): what libvirt-hooks
# costs a VM start on this machine's real libvirtd, measured as interleaved A/B pairs against
# a no-op hook. Run as root after './mvnw -B package -DskipTests':
#   deployment/bench/hook-bench.sh [PAIRS]        (default 15 pairs per case; a few minutes)
# It installs the freshly built program (and removes it at the end), starts libvirtd as the
# end-to-end tests do, and toggles the run bit of our launcher and of a no-op hook in qemu.d
# (libvirt runs only executables there and picks the change up at once). It prints a table:
# case, medians, median pair ratio, target, pass or miss. Not a test: nothing fails on figures.
set -euo pipefail
cd "$(dirname "$0")/../.."
PAIRS=${1:-15}
[ "$(id -u)" -eq 0 ] || { echo "hook-bench.sh: run as root" >&2; exit 1; }
[ -w /dev/kvm ] || { echo "hook-bench.sh: needs /dev/kvm" >&2; exit 1; }
dist=$(find deployment/target -mindepth 2 -maxdepth 2 -type d -name 'libvirt-hooks-*' 2>/dev/null | head -1)
[ -n "$dist" ] || { echo "hook-bench.sh: build first: ./mvnw -B package -DskipTests" >&2; exit 1; }
work=$(mktemp -d /tmp/hook-bench.XXXXXX)
QEMU_D=/etc/libvirt/hooks/qemu.d
OURS=$QEMU_D/libvirt-hooks
NOOP=$QEMU_D/00-bench-noop
NR=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
JDK25=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java

sh deployment/e2e/libvirtd-up.sh >/dev/null
"$dist/installer.sh" -i >/dev/null
printf '#!/bin/sh\nexit 0\n' > "$NOOP"
chmod +x "$NOOP"
sh deployment/e2e/libvirtd-up.sh --restart >/dev/null

cleanup() {
  for d in bench-plain bench-hp; do
    virsh -q destroy "$d" >/dev/null 2>&1 || true
    virsh -q undefine "$d" >/dev/null 2>&1 || true
  done
  rm -f "$NOOP" /var/tmp/hook-bench-fill /dev/shm/hook-bench-held
  [ -f /usr/lib/libvirt-hooks/hook.jsa.bench ] && mv /usr/lib/libvirt-hooks/hook.jsa.bench /usr/lib/libvirt-hooks/hook.jsa
  chmod +x "$OURS" 2>/dev/null || true
  libvirt-hooks restore >/dev/null 2>&1 || true
  libvirt-hooks uninstall >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

domain() { # name, hugepages yes/no
  local meta='' backing=''
  if [ "$2" = yes ]; then
    meta="<metadata><hooks xmlns='urn:libvirt-hooks:1'><hugepages/></hooks></metadata>"
    backing="<memoryBacking><hugepages/></memoryBacking>"
  fi
  cat > "$work/$1.xml" <<XML
<domain type='kvm'><name>$1</name>$meta<memory unit='MiB'>64</memory>$backing<vcpu>1</vcpu>
<os><type arch='x86_64' machine='pc'>hvm</type></os><devices><emulator>/usr/bin/qemu-system-x86_64</emulator></devices></domain>
XML
  virsh -q define "$work/$1.xml" >/dev/null
}
domain bench-plain no
domain bench-hp yes

now() { date +%s%N; }
cycle() { # start and destroy a domain; prints nanoseconds
  local t0 t1
  t0=$(now); virsh -q start "$1" >/dev/null; virsh -q destroy "$1" >/dev/null; t1=$(now)
  echo $((t1 - t0))
}
median() { sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
ours_only() { chmod +x "$OURS"; chmod -x "$NOOP"; }
noop_only() { chmod -x "$OURS"; chmod +x "$NOOP"; }

printf '%-44s %10s %10s %8s %8s %s\n' "case" "A ms" "noop ms" "ratio" "target" "verdict"
row() { # label, file of "a b" lines, target
  local a b r verdict
  a=$(awk '{print $1/1e6}' "$2" | median)
  b=$(awk '{print $2/1e6}' "$2" | median)
  r=$(awk '{print $1/$2}' "$2" | median)
  verdict=$(awk -v r="$r" -v t="$3" 'BEGIN {print (r <= t) ? "pass" : "miss"}')
  printf '%-44s %10.1f %10.1f %8.3f %8s %s\n' "$1" "$a" "$b" "$r" "<= $3" "$verdict"
}
ab() { # label, domain, target, hugepages for the noop side (yes/no)
  local out
  out="$work/$(echo "$1" | tr -c 'a-z0-9' _)"
  : > "$out"
  for i in $(seq -1 "$PAIRS"); do
    ours_only; a=$(cycle "$2")
    noop_only
    [ "$4" = yes ] && echo 32 > "$NR"
    b=$(cycle "$2")
    [ "$4" = yes ] && echo 0 > "$NR"
    [ "$i" -ge 1 ] && echo "$a $b" >> "$out"
  done
  row "$1" "$out" "$3"
}

echo 0 > "$NR"
ab "1 unconfigured VM (launcher only)" bench-plain 1.02 no
ab "2 hugepages VM, JVM + class-data archive" bench-hp 1.50 yes
mv /usr/lib/libvirt-hooks/hook.jsa /usr/lib/libvirt-hooks/hook.jsa.bench
ab "2b hugepages VM, JVM without the archive" bench-hp 1.50 yes
mv /usr/lib/libvirt-hooks/hook.jsa.bench /usr/lib/libvirt-hooks/hook.jsa
ours_only

# 3: reservation against the raw sysfs write, in one JVM; then under a filled page cache.
cp="$(cat /usr/lib/libvirt-hooks/hook.classpath):$(ls deployment/target/deployment-*.jar)"
# 2048 pages = a 4 GiB VM, 8192 pages = a 16 GiB VM.
java -cp "$cp" io.github.libvirthooks.deployment.bench.ReservationBench 2048 "$PAIRS"
java -cp "$cp" io.github.libvirthooks.deployment.bench.ReservationBench 8192 "$PAIRS"
free_kb=$(awk '/^MemFree:/ {print $2}' /proc/meminfo)
fill_mb=$(( free_kb * 7 / 10240 )); [ "$fill_mb" -gt 12288 ] && fill_mb=12288
dd if=/dev/zero of=/var/tmp/hook-bench-fill bs=1M count="$fill_mb" status=none
ask=$(( $(awk '/^MemFree:/ {print $2}' /proc/meminfo) / 2048 + 1024 ))
java -cp "$cp" io.github.libvirthooks.deployment.bench.ReservationBench "$ask" 1 --fragmented
rm -f /var/tmp/hook-bench-fill
# Memory held in tmpfs cannot be reclaimed: the raw write falls short; it is freed 2 s later.
avail_mb=$(( $(awk '/^MemAvailable:/ {print $2}' /proc/meminfo) / 1024 ))
held_mb=$(( avail_mb * 6 / 10 ))
dd if=/dev/zero of=/dev/shm/hook-bench-held bs=1M count="$held_mb" status=none
java -cp "$cp" io.github.libvirthooks.deployment.bench.ReservationBench "$(( avail_mb * 6 / 10 / 2 ))" 1 --fragmented /dev/shm/hook-bench-held
rm -f /dev/shm/hook-bench-held

# Per-event cost of the hook itself on a sandboxed host (no libvirt), and its peak memory.
sandbox="$work/sandbox"
# The JVM options install wrote into the launcher: 'set -- OPTIONS -Dlibvirt-hooks.config-file=...'.
opts_line=$(grep -m1 '^set -- -XX' "$OURS")
opts_line=${opts_line#set -- }
read -r -a opts <<< "${opts_line%% -Dlibvirt-hooks*}"
hookcp=$(cat /usr/lib/libvirt-hooks/hook.classpath)
java -cp "$hookcp" io.github.libvirthooks.features.hook.HookMain --train "$sandbox" >/dev/null
xml="<domain type='kvm'><name>training</name><metadata><hooks xmlns='urn:libvirt-hooks:1'><hugepages timeout='0s'/></hooks></metadata><memory unit='MiB'>8</memory><memoryBacking><hugepages/></memoryBacking></domain>"
event() { # java, operation, extra JVM options...
  local java=$1 op=$2 t0 t1
  shift 2
  t0=$(now)
  printf '%s' "$xml" | "$java" "${opts[@]}" "$@" -Dlibvirt-hooks.config-file="$sandbox/application.properties" -cp "$hookcp" \
    io.github.libvirthooks.features.hook.HookMain qemu training "$op" "$( [ "$op" = release ] && echo end || echo begin )" - >/dev/null 2>&1
  t1=$(now)
  echo $((t1 - t0))
}
per_event() { # java, label, extra JVM options...
  local java=$1 label=$2 p=() r=()
  shift 2
  for _ in $(seq 0 "$PAIRS"); do p+=("$(event "$java" prepare "$@")"); r+=("$(event "$java" release "$@")"); done
  printf '%-44s prepare %6.1f ms   release %6.1f ms\n' "$label" \
    "$(printf '%s\n' "${p[@]}" | awk '{print $1/1e6}' | median)" "$(printf '%s\n' "${r[@]}" | awk '{print $1/1e6}' | median)"
}
echo
per_event java "hook event, JDK 17, archive" -XX:SharedArchiveFile=/usr/lib/libvirt-hooks/hook.jsa -Xlog:disable
per_event java "hook event, JDK 17, no archive"
if [ -x "$JDK25" ]; then
  "$JDK25" "${opts[@]}" -XX:ArchiveClassesAtExit="$work/hook25.jsa" -Xlog:disable -cp "$hookcp" \
    io.github.libvirthooks.features.hook.HookMain --train "$work/train25" >/dev/null
  per_event "$JDK25" "hook event, JDK 25, archive" -XX:SharedArchiveFile="$work/hook25.jsa" -Xlog:disable
  per_event "$JDK25" "hook event, JDK 25, no archive"
fi
rss=$( { printf '%s' "$xml" | /usr/bin/time -f '%M' java "${opts[@]}" -XX:SharedArchiveFile=/usr/lib/libvirt-hooks/hook.jsa -Xlog:disable \
  -Dlibvirt-hooks.config-file="$sandbox/application.properties" -cp "$hookcp" io.github.libvirthooks.features.hook.HookMain \
  qemu training prepare begin - >/dev/null 2>"$work/rss"; } ; tail -1 "$work/rss")
printf '%-44s %s MB (target <= 64 MB)\n' "4 hook peak memory (RSS), JDK 17" "$(( rss / 1024 ))"
