# restore after a crash: the prepare hook of a VM that then never ran (as if QEMU, libvirtd or
# the host crashed before release) is run by hand; it reserves hugepages on node 1, confines
# the host slices to 0-1 and takes a sleep inhibitor. 'libvirt-hooks restore' puts all of it
# back and leaves no state behind.
. "$LAB_PROGRAM/bin/lab-vm.sh"
name=lab-crash
pages1() { cat /sys/devices/system/node/node1/hugepages/hugepages-2048kB/nr_hugepages; }
allowed() { systemctl show -p AllowedCPUs --value system.slice; }
inhibited() { systemd-inhibit --list --no-pager | grep -q "VM $name is running"; }
# A failed check must not leave the crashed VM's changes to the checks after it.
lab_cleanup() { ! ls /run/libvirt-hooks/vm-"$name"-*.journal >/dev/null 2>&1 || libvirt-hooks restore >/dev/null 2>&1; }

base1=$(pages1) base_allowed=$(allowed)
xml=$(mktemp)
tiny_domain "$name" "<cputune><vcpupin vcpu='0' cpuset='2'/><emulatorpin cpuset='3'/></cputune>
  <numatune><memory mode='strict' nodeset='1'/></numatune>
  <memoryBacking><hugepages/></memoryBacking>" "<hugepages/><isolcpu backend='systemd' include='emulator'/><nosleep/>" > "$xml"

start=$SECONDS
libvirt-hooks hook qemu "$name" prepare begin - < "$xml" || fail "the prepare hook run by hand failed"
echo "prepare by hand took $((SECONDS - start)) s"
[ "$(pages1)" -eq $((base1 + 32)) ] || fail "prepare reserved $(( $(pages1) - base1 )) pages on node 1, expected 32"
cpus_equal "$(allowed)" 0-1 || fail "prepare left system.slice AllowedCPUs='$(allowed)', expected 0-1"
wait_until 60 inhibited || fail "prepare took no sleep inhibitor for $name"
ls /run/libvirt-hooks/vm-"$name"-*.journal >/dev/null 2>&1 || fail "no journal for $name in /run/libvirt-hooks"

# The crash: release never runs. restore puts everything back.
start=$SECONDS
out=$(libvirt-hooks restore 2>&1) || { echo "$out"; fail "libvirt-hooks restore failed: $(echo "$out" | tail -n 1)"; }
echo "$out"
echo "restore took $((SECONDS - start)) s"
[ "$(pages1)" -eq "$base1" ] || fail "after restore node 1 has $(pages1) pages, expected $base1"
cpus_equal "$(allowed)" "$base_allowed" || [ "$(allowed)" = "$base_allowed" ] \
  || fail "after restore system.slice AllowedCPUs='$(allowed)', expected '$base_allowed'"
wait_until 60 eval '! inhibited' || fail "the sleep inhibitor of $name outlived restore"
! ls /run/libvirt-hooks/vm-"$name"-*.journal >/dev/null 2>&1 || fail "restore left the journal of $name"
echo "restore: hugepages, CPU isolation and the inhibitor of a crashed VM all undone"
