# hugepages per guest NUMA cell, as libvirt maps them: a VM whose cell 0 (64 MiB) is backed by
# 2 MiB pages on host node 0 and whose cell 1 by 1 GiB pages on host node 1 gets both pools
# grown at prepare (32 x 2 MiB on node 0, 1 x 1 GiB on node 1), starts, and gives both back
# exactly at release. Where the guest kernel cannot have a 1 GiB page (no pdpe1gb, or node 1 too
# fragmented for one), cell 1 uses the system page size instead (no hugepages for it, as libvirt
# reads <page size='4' unit='KiB'>), and the check says why. run-lab.sh reserves a 1 GiB page on node
# 1 at boot (hugepages=1:1) to keep one aligned gigabyte free until here.
. "$LAB_PROGRAM/bin/lab-vm.sh"
nr() { cat "/sys/devices/system/node/node$2/hugepages/hugepages-$1/nr_hugepages"; }
gig=/sys/devices/system/node/node1/hugepages/hugepages-1048576kB

one_gib=no why=""
if [ ! -d "$gig" ]; then
  why="this guest kernel has no 1 GiB pages ($gig missing)"
elif ! mountpoint -q /dev/hugepages1G; then
  why="no hugetlbfs with 1 GiB pages is mounted (setup/05-hugetlbfs-1g.sh)"
else
  # The page run-lab.sh reserved at boot goes back to the kernel now: the gigabyte it held is free for the hook.
  echo 0 > "$gig/nr_hugepages" || true
  # Can node 1 give one at all? Asked and given back here, so that a fragmented node is a reason, not a failure.
  before=$(cat "$gig/nr_hugepages")
  echo 3 > /proc/sys/vm/drop_caches; echo 1 > /proc/sys/vm/compact_memory
  echo $((before + 1)) > "$gig/nr_hugepages" 2>/dev/null || true
  got=$(cat "$gig/nr_hugepages")
  echo "$before" > "$gig/nr_hugepages"
  if [ "$got" -gt "$before" ]; then one_gib=yes; else why="node 1 has no free 1 GiB block (memory fragmented)"; fi
fi

if [ $one_gib = yes ]; then
  cell1_mib=1024 page1="<page size='1048576' unit='KiB' nodeset='1'/>"
else
  echo "1 GiB cell skipped: $why; cell 1 uses the system page size instead"
  cell1_mib=64 page1="<page size='4' unit='KiB' nodeset='1'/>"
fi
xml="<domain type='qemu'>
  <name>lab-cells</name>
  <memory unit='MiB'>$((64 + cell1_mib))</memory>
  <vcpu>2</vcpu>
  <os><type arch='x86_64'>hvm</type></os>
  <cpu><numa><cell id='0' cpus='0' memory='64' unit='MiB'/><cell id='1' cpus='1' memory='$cell1_mib' unit='MiB'/></numa></cpu>
  <numatune><memory mode='strict' nodeset='0-1'/><memnode cellid='0' mode='strict' nodeset='0'/><memnode cellid='1' mode='strict' nodeset='1'/></numatune>
  <memoryBacking><hugepages><page size='2048' unit='KiB' nodeset='0'/>$page1</hugepages></memoryBacking>
  <metadata><hooks xmlns='urn:libvirt-hooks:1'><hugepages/></hooks></metadata>
  <devices><memballoon model='none'/></devices>
</domain>"

two0=$(nr 2048kB 0) two1=$(nr 2048kB 1)
gib1=$( [ -d "$gig" ] && cat "$gig/nr_hugepages" || echo 0)
hooklog_mark
echo "$xml" | vm_start lab-cells
echo "running: node0 2M $(nr 2048kB 0) (was $two0), node1 2M $(nr 2048kB 1) (was $two1)$([ -d "$gig" ] && echo ", node1 1G $(cat "$gig/nr_hugepages") (was $gib1)")"
[ "$(nr 2048kB 0)" -eq $((two0 + 32)) ] || fail "hugepages: cell 0 (64 MiB of 2 MiB pages on node 0) left node 0 with $(nr 2048kB 0) pages, expected $two0 + 32"
[ "$(nr 2048kB 1)" -eq "$two1" ] || fail "hugepages: node 1's 2 MiB pool changed ($two1 -> $(nr 2048kB 1)); cell 1 does not use 2 MiB pages"
if [ $one_gib = yes ]; then
  [ "$(cat "$gig/nr_hugepages")" -eq $((gib1 + 1)) ] || fail "hugepages: cell 1 (1 GiB of 1 GiB pages on node 1) left node 1 with $(cat "$gig/nr_hugepages") 1 GiB pages, expected $gib1 + 1"
fi
hooklog_new | grep 'hugepages' || true

vm_destroy lab-cells
[ "$(nr 2048kB 0)" -eq "$two0" ] || fail "hugepages: release left node 0 with $(nr 2048kB 0) 2 MiB pages, expected $two0"
if [ $one_gib = yes ]; then
  [ "$(cat "$gig/nr_hugepages")" -eq "$gib1" ] || fail "hugepages: release left node 1 with $(cat "$gig/nr_hugepages") 1 GiB pages, expected $gib1"
  echo "hugepages per cell: 32 x 2 MiB on node 0 and 1 x 1 GiB on node 1 while lab-cells ran, both given back"
else
  echo "hugepages per cell: 32 x 2 MiB on node 0 for cell 0, nothing for cell 1 (system page size), given back ($why)"
fi
