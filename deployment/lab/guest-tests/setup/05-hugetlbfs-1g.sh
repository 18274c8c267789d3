#!/bin/bash
# libvirt maps a guest cell backed by 1 GiB pages from a hugetlbfs mount of that page size, and
# finds the mounts when libvirtd starts (the setup step after this one restarts it). systemd
# mounts only the default size at /dev/hugepages. A kernel without 1 GiB pages (the CPU lacks
# pdpe1gb) gets no mount, and 61-hugepages-per-cell says so.
set -eu
pool=/sys/kernel/mm/hugepages/hugepages-1048576kB
if [ ! -d "$pool" ]; then
  echo "no 1 GiB hugepages in this kernel ($pool missing): no 1 GiB hugetlbfs mount"
  exit 0
fi
mkdir -p /dev/hugepages1G
mountpoint -q /dev/hugepages1G || mount -t hugetlbfs -o pagesize=1G hugetlbfs /dev/hugepages1G
echo "hugetlbfs with 1 GiB pages mounted at /dev/hugepages1G"
