#!/bin/sh
# kernel-only: it mounts the guest's virtio disks, which a host must not do.
# The benchmark's disk part (scripts/bench): /fsbench's workloads on each
# filesystem of this kernel, on the virtio disks the benchmark made.
# kestrel: kestrelfs on /dev/vda, uncompressed, lz4 and zstd (one image,
# emptied between them). Linux: ext4 on /dev/vda and btrfs on /dev/vdb,
# uncompressed, lzo and zstd:1; its drivers are the modules listed in
# /lib/modules/bench/disk-order, loaded in that order.
mib=${1:-64}
mount -t proc proc /proc 2>/dev/null
[ -e /dev/vda ] || mount -t devtmpfs devtmpfs /dev
if [ -f /lib/modules/bench/disk-order ]; then
    for m in $(cat /lib/modules/bench/disk-order); do
        insmod /lib/modules/bench/$m.ko || echo "diskbench: insmod $m failed"
    done
fi
mkdir -p /mnt
run() { # LABEL DEVICE FSTYPE OPTIONS
    if mount -t "$3" -o "$4" "$2" /mnt; then
        /fsbench "$1" /mnt "$mib" "$2" "$3" "$4"
        umount /mnt
    else
        echo "diskbench: cannot mount $2 as $3 ($4)"
    fi
}
if grep -q kestrelfs /proc/filesystems; then
    for c in none lz4 zstd; do
        label="kestrelfs $c"
        [ $c = none ] && label=kestrelfs
        run "$label" /dev/vda kestrelfs compress=$c
    done
else
    run ext4 /dev/vda ext4 rw
    run btrfs /dev/vdb btrfs compress=no
    run "btrfs lzo" /dev/vdb btrfs compress=lzo
    run "btrfs zstd:1" /dev/vdb btrfs compress=zstd:1
fi
echo "bench: done"
poweroff -f
