#!/bin/sh
# kernel-only: it mounts the guest's virtio disks, which a host must not do.
# Crash safety: writes files, syncs, says "kestrelfs: marker", then keeps
# writing (and committing now and then) until the harness kills QEMU.
# What was synced before the marker must survive the kill intact.
mkdir -p /mnt
mount -t kestrelfs /dev/vda /mnt || { echo "FAIL: mount"; exit 1; }
i=0
while [ $i -lt 4000 ]; do echo "synced line $i of the crash test"; i=$((i + 1)); done > /mnt/synced.txt
dd if=/dev/urandom of=/mnt/synced.bin bs=4096 count=100 2>/dev/null
mkdir /mnt/dir && echo in-a-dir > /mnt/dir/file
echo "kestrelfs: synced.bin md5 $(md5sum < /mnt/synced.bin | cut -d' ' -f1)"
sync
echo "kestrelfs: marker"
n=0
while true; do
    dd if=/dev/urandom of=/mnt/after.$((n % 5)) bs=4096 count=$((n % 50 + 1)) 2>/dev/null
    echo "$n" >> /mnt/counter
    rm -f /mnt/after.$(((n + 2) % 5))
    [ $((n % 4)) = 0 ] && sync
    n=$((n + 1))
done
