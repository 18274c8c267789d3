# The booted topology (1 socket x 2 cores x 2 threads, cpus 0-1 on node 0 and 2-3 on node 1)
# is what the kernel shows and what hooks-sysfs reads.
set -eu
siblings=$(cat /sys/devices/system/cpu/cpu0/topology/thread_siblings_list)
nodes=$(cat /sys/devices/system/node/online)
echo "cpu0 thread_siblings_list: $siblings; nodes online: $nodes"
[ "$siblings" = 0-1 ] || { echo "cpu0's thread_siblings_list is '$siblings', not 0-1: no SMT (is the CPU model Nehalem?)"; exit 1; }
[ "$nodes" = 0-1 ] || { echo "online nodes are '$nodes', not 0-1"; exit 1; }
lab-probe topology
