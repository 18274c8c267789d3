# hugepages on the right NUMA node: a 64 MiB domain bound to node 1 (numatune strict) with
# hugepage backing gets its 32 x 2 MiB pages reserved on node 1 at prepare, node 0 untouched;
# a second such domain adds its own 32; destroying the first gives back only its pages, and
# after both everything is as before.
. "$LAB_PROGRAM/bin/lab-vm.sh"
pages() { cat "/sys/devices/system/node/node$1/hugepages/hugepages-2048kB/nr_hugepages"; }
expect() {
  local n0 n1
  n0=$(pages 0) n1=$(pages 1)
  echo "$1: node0 $n0, node1 $n1 pages"
  [ "$n0" -eq "$base0" ] || fail "$1: node 0 has $n0 pages, expected it untouched at $base0"
  [ "$n1" -eq $((base1 + $2)) ] || fail "$1: node 1 has $n1 pages, expected $base1 + $2"
}
domain() {
  tiny_domain "$1" "<numatune><memory mode='strict' nodeset='1'/></numatune>
  <memoryBacking><hugepages/></memoryBacking>" '<hugepages/>'
}
base0=$(pages 0) base1=$(pages 1)
expect "before" 0

hooklog_mark
domain lab-hp-a | vm_start lab-hp-a
expect "lab-hp-a running" 32
hooklog_new | grep -q 'lab-hp-a prepare begin: change hugepages: .*/node1/hugepages/hugepages-2048kB/nr_hugepages' \
  || { hooklog_new; fail "the hook log does not show lab-hp-a's reservation on node 1"; }
free1=$(cat /sys/devices/system/node/node1/hugepages/hugepages-2048kB/free_hugepages)
echo "node1 free pages with lab-hp-a running: $free1 (QEMU maps its memory from the pool)"

domain lab-hp-b | vm_start lab-hp-b
expect "lab-hp-a and lab-hp-b running" 64

vm_destroy lab-hp-a
expect "lab-hp-a destroyed, lab-hp-b running" 32
vm_destroy lab-hp-b
expect "both destroyed" 0
echo "hugepages: 32 pages per VM on node 1, node 0 untouched, each VM gave back exactly its own"
