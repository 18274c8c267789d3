#!/usr/bin/env bash
# The performance benchmark of issues 10 and 21 (README, section "Performance"): what libvirt-hooks
# costs a VM start on this machine's real libvirtd, measured as interleaved A/B pairs against
# a no-op hook. Run as root after './mvnw -B package -DskipTests':
#   deployment/bench/hook-bench.sh [PAIRS]        (default 15 pairs per case; a few minutes)
# It installs the freshly built program (and removes it at the end), starts libvirtd as the
# end-to-end tests do, and toggles the run bit of our launcher and of a no-op hook in qemu.d
# (libvirt runs only executables there and picks the change up at once). It prints a table:
# case, medians, median pair ratio, target, pass or miss. Not a test: nothing fails on figures.
#   deployment/bench/hook-bench.sh --events [PAIRS]   only the per-event targets (1 and the class
#   count, JDK 17 and JDK 25 arms): no libvirtd, nothing installed outside a temporary folder; the
#   events reserve real hugepages (64 MiB) and give them back.
#   deployment/bench/hook-bench.sh --starts [PAIRS]   the VM starts (targets 1 to 3 of the table,
#   JDK 17 and 25) and the per-event targets, without the reservation runs that fill memory.
set -euo pipefail
cd "$(dirname "$0")/../.."
EVENTS_ONLY=no
STARTS_ONLY=no
if [ "${1:-}" = --events ]; then EVENTS_ONLY=yes; shift; fi
if [ "${1:-}" = --starts ]; then STARTS_ONLY=yes; shift; fi
PAIRS=${1:-15}
[ "$(id -u)" -eq 0 ] || { echo "hook-bench.sh: run as root" >&2; exit 1; }
dist=$(find deployment/target -mindepth 2 -maxdepth 3 -type f -name installer.sh 2>/dev/null | head -1)
dist=${dist%/installer.sh}
[ -n "$dist" ] || { echo "hook-bench.sh: build first: ./mvnw -B package -DskipTests" >&2; exit 1; }
work=$(mktemp -d /tmp/hook-bench.XXXXXX)
JDK17=$(readlink -f "$(command -v java)")
JDK25=/usr/lib/jvm/temurin-25-jdk-amd64/bin/java
now() { date +%s%N; }
median() { sort -g | awk '{v[NR]=$1} END {if (NR%2) print v[(NR+1)/2]; else print (v[NR/2]+v[NR/2+1])/2}'; }
verdict() { awk -v r="$1" -v t="$2" 'BEGIN {print (r <= t) ? "pass" : "miss"}'; }

# Target 1: one event of the installed launcher, run as libvirtd runs it (only HOME, PATH and
# LC_ALL=C; argv and the domain XML on stdin), on the real host, against a bare 'java' hello world
# of the same JDK with the same JVM options, timed in turn in the same run. Each JDK gets its own
# install below $work (its own start-up cache: class-data archive on 17, AOT cache on 25) and its
# own state folder; the host root is the real one.
event_xml="<domain type='kvm'><name>bench-ev</name><uuid>00000000-0000-0000-0000-0000000000be</uuid><metadata><hooks xmlns='urn:libvirt-hooks:1'><hugepages/></hooks></metadata><memory unit='MiB'>64</memory><memoryBacking><hugepages/></memoryBacking><vcpu>1</vcpu><os><type arch='x86_64' machine='pc'>hvm</type></os></domain>"
mkdir -p "$work/hello"
printf 'public class Hello { public static void main(String[] a) { System.out.println("hello"); } }\n' > "$work/hello/Hello.java"
javac --release 17 -d "$work/hello" "$work/hello/Hello.java"
install_arm() { # name, java
  local root="$work/$1"
  java -XX:TieredStopAtLevel=1 -XX:+UseSerialGC -jar "$dist/app/quarkus-run.jar" install --from "$dist" --root "$root" --java "$2" >/dev/null
  # The launcher's release asks Java only when a journal exists in the state folder it was installed with.
  printf 'libvirt-hooks.state-dir=%s\n' "$root/run/libvirt-hooks" >> "$root/etc/libvirt-hooks/application.properties"
  # The JVM options install wrote into the launcher ('set -- OPTIONS -Dlibvirt-hooks.config-file=...'): the hello gets the same.
  opts=$(grep -m1 '^set -- -XX' "$root/etc/libvirt/hooks/qemu.d/libvirt-hooks")
  opts=${opts#set -- }
  opts=${opts%% -Dlibvirt-hooks*}
}
hook_event() { # name, operation; prints nanoseconds
  local t0 t1 sub=begin
  [ "$2" = release ] && sub=end
  t0=$(now)
  printf '%s' "$event_xml" | env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C \
    "$work/$1/etc/libvirt/hooks/qemu.d/libvirt-hooks" bench-ev "$2" "$sub" - >/dev/null 2>"$work/$1.err"
  t1=$(now)
  echo $((t1 - t0))
}
hello() { # java; prints nanoseconds
  local t0 t1
  t0=$(now)
  # shellcheck disable=SC2086 # the hook's JVM options, words
  env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C "$1" $opts -Xshare:auto -Xlog:disable -cp "$work/hello" Hello >/dev/null
  t1=$(now)
  echo $((t1 - t0))
}
classes() { # name: classes the JVM loads for one prepare / one release
  local n=() op launcher="$work/$1/etc/libvirt/hooks/qemu.d/libvirt-hooks"
  # A copy of the launcher that logs class loading after its own -Xlog:disable (which would silence any earlier option).
  sed "s|-Xlog:disable|-Xlog:disable -Xlog:class+load=info:file=$work/classes|" "$launcher" > "$launcher.classes"
  chmod +x "$launcher.classes"
  for op in prepare release; do
    rm -f "$work/classes"
    printf '%s' "$event_xml" | env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LC_ALL=C \
      "$launcher.classes" bench-ev "$op" "$([ "$op" = release ] && echo end || echo begin)" - >/dev/null 2>&1
    n+=("$(wc -l < "$work/classes")")
  done
  echo "${n[0]} / ${n[1]}"
}
per_event_target() { # name, java, target, label
  local i p r hp hr out="$work/$1.pairs"
  : > "$out"
  for i in $(seq -1 "$PAIRS"); do
    p=$(hook_event "$1" prepare); hp=$(hello "$2")
    r=$(hook_event "$1" release); hr=$(hello "$2")
    [ "$i" -ge 1 ] && echo "$p $hp $r $hr" >> "$out"
  done
  local ev he ratio
  ev=$(awk '{print ($1 + $3) / 2e6}' "$out" | median)
  he=$(awk '{print ($2 + $4) / 2e6}' "$out" | median)
  ratio=$(awk '{print ($1 / $2 + $3 / $4) / 2}' "$out" | median)
  printf '%-44s %10.1f %10.1f %8.3f %8s %s   classes/event %s\n' "1 event vs a java hello, $4" "$ev" "$he" "$ratio" "<= $3" \
    "$(verdict "$ratio" "$3")" "$(classes "$1")"
}
events_target() {
  printf '%-44s %10s %10s %8s %8s %s\n' "case" "hook ms" "hello ms" "ratio" "target" "verdict"
  install_arm jdk17 "$JDK17"
  per_event_target jdk17 "$JDK17" 1.50 "JDK 17 + archive"
  if [ -x "$JDK25" ]; then
    install_arm jdk25 "$JDK25"
    per_event_target jdk25 "$JDK25" 1.20 "JDK 25 + AOT cache"
  fi
}
if [ "$EVENTS_ONLY" = yes ]; then
  trap 'rm -rf "$work"' EXIT
  events_target
  exit 0
fi
[ -w /dev/kvm ] || { echo "hook-bench.sh: needs /dev/kvm" >&2; exit 1; }
QEMU_D=/etc/libvirt/hooks/qemu.d
OURS=$QEMU_D/libvirt-hooks
NOOP=$QEMU_D/00-bench-noop
NR=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
BASH_PEER=$QEMU_D/01-bench-bash-hugepages

# libvirtd sees hooks only if some existed when it started: install first, and restart a libvirtd
# that was already running only when it saw none.
had_hooks=no
[ -n "$(ls -A "$QEMU_D" 2>/dev/null)" ] || [ -e /etc/libvirt/hooks/qemu ] && had_hooks=yes
was_running=no
pgrep -x libvirtd >/dev/null && was_running=yes
"$dist/installer.sh" -i >/dev/null
printf '#!/bin/sh\nexit 0\n' > "$NOOP"
chmod +x "$NOOP"
if [ "$was_running" = yes ] && [ "$had_hooks" = no ]; then
  sh deployment/e2e/libvirtd-up.sh --restart >/dev/null
else
  sh deployment/e2e/libvirtd-up.sh >/dev/null
fi

cleanup() {
  for d in bench-plain bench-hp; do
    virsh -q destroy "$d" >/dev/null 2>&1 || true
    virsh -q undefine "$d" >/dev/null 2>&1 || true
  done
  rm -f "$NOOP" "$BASH_PEER" /run/bench-bash-hugepages /var/tmp/hook-bench-fill /dev/shm/hook-bench-held
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

cycle() { # start and destroy a domain; prints nanoseconds
  local t0 t1
  t0=$(now); virsh -q start "$1" >/dev/null; virsh -q destroy "$1" >/dev/null; t1=$(now)
  echo $((t1 - t0))
}
ours_only() { chmod +x "$OURS"; chmod -x "$NOOP" "$BASH_PEER"; }
noop_only() { chmod -x "$OURS" "$BASH_PEER"; chmod +x "$NOOP"; }
bash_only() { chmod -x "$OURS" "$NOOP"; chmod +x "$BASH_PEER"; }

# Target 3's peer: the same hugepages reservation as a small bash hook in the style of the VFIO-Tools
# hooks (one script per job, the VM name matched by hand, the page count worked out from the XML's
# <memory>, nr_hugepages written, dropping caches and compacting once when the kernel falls short).
cat > "$BASH_PEER" <<'PEER'
#!/bin/bash
[ "$1" = bench-hp ] || exit 0
NR=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages
STATE=/run/bench-bash-hugepages
case "$2/$3" in
  prepare/begin)
    xml=$(cat)
    # libvirt hands hooks its own formatting of the XML: <memory unit='KiB'>.
    [[ $xml =~ \<memory\ unit=.KiB.\>([0-9]+)\</memory\> ]] || { echo "bench-bash-hugepages: no <memory unit='KiB'>" >&2; exit 1; }
    pages=$(( (BASH_REMATCH[1] + 2047) / 2048 ))
    before=$(<"$NR")
    echo $(( before + pages )) > "$NR"
    if [ "$(<"$NR")" -lt $(( before + pages )) ]; then
      sync; echo 3 > /proc/sys/vm/drop_caches; echo 1 > /proc/sys/vm/compact_memory
      echo $(( before + pages )) > "$NR"
    fi
    got=$(( $(<"$NR") - before ))
    echo "$got" > "$STATE"
    [ "$got" -ge "$pages" ] || { echo "bench-bash-hugepages: got $got of $pages pages" >&2; exit 1; }
    ;;
  release/end)
    [ -f "$STATE" ] || exit 0
    echo $(( $(<"$NR") - $(<"$STATE") )) > "$NR"
    rm -f "$STATE"
    ;;
esac
exit 0
PEER
chmod +x "$BASH_PEER"

printf '%-44s %10s %10s %8s %8s %s\n' "case" "A ms" "noop ms" "ratio" "target" "verdict"
row() { # label, file of "a b" lines, target
  local a b r verdict
  a=$(awk '{print $1/1e6}' "$2" | median)
  b=$(awk '{print $2/1e6}' "$2" | median)
  r=$(awk '{print $1/$2}' "$2" | median)
  verdict=$(awk -v r="$r" -v t="$3" 'BEGIN {print (r <= t) ? "pass" : "miss"}')
  printf '%-44s %10.1f %10.1f %8.3f %8s %s\n' "$1" "$a" "$b" "$r" "<= $3" "$verdict"
}
ab() { # label, domain, target, hugepages for the noop side (yes/no), baseline (noop or bash)
  local out
  out="$work/$(echo "$1" | tr -c 'a-z0-9' _)"
  : > "$out"
  for i in $(seq -1 "$PAIRS"); do
    ours_only; a=$(cycle "$2")
    if [ "${5:-noop}" = bash ]; then
      bash_only; b=$(cycle "$2")
    else
      noop_only
      [ "$4" = yes ] && echo 32 > "$NR"
      b=$(cycle "$2")
      [ "$4" = yes ] && echo 0 > "$NR"
    fi
    [ "$i" -ge 1 ] && echo "$a $b" >> "$out"
  done
  row "$1" "$out" "$3"
}

echo 0 > "$NR"
ab "1 unconfigured VM (launcher only)" bench-plain 1.02 no
ab "2 hugepages VM, JVM + class-data archive" bench-hp 1.25 yes
mv /usr/lib/libvirt-hooks/hook.jsa /usr/lib/libvirt-hooks/hook.jsa.bench
ab "2b hugepages VM, JVM without the archive" bench-hp 1.50 yes
mv /usr/lib/libvirt-hooks/hook.jsa.bench /usr/lib/libvirt-hooks/hook.jsa
ab "3 hugepages VM, JDK 17, vs the bash hook" bench-hp 1.15 no bash
if [ -x "$JDK25" ]; then
  # The same install on JDK 25: its AOT cache instead of the class-data archive.
  libvirt-hooks install --java "$JDK25" >/dev/null
  ab "2c hugepages VM, JDK 25 + AOT cache" bench-hp 1.10 yes
  ab "3 hugepages VM, JDK 25 + AOT cache, vs bash" bench-hp 1.15 no bash
  libvirt-hooks install --java "$JDK17" >/dev/null
fi
ours_only
echo
events_target
echo
[ "$STARTS_ONLY" = yes ] && exit 0

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
