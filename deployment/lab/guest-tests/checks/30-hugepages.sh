# hooks-sysfs reserves 8 x 2 MiB pages on node 1, they show there and not on node 0, and it
# gives them all back. libvirt also needs the hugetlbfs mount systemd makes at boot.
set -eu
mountpoint -q /dev/hugepages || { echo "/dev/hugepages is not mounted (systemd's dev-hugepages.mount)"; exit 1; }
for node in 0 1; do
  echo "node$node 2M pages: $(cat /sys/devices/system/node/node$node/hugepages/hugepages-2048kB/nr_hugepages)"
done
lab-probe hugepages
