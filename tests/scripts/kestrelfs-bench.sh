#!/bin/sh
# kernel-only: it mounts the guest's virtio disks, which a host must not do.
# File throughput on kestrelfs (/dev/vda) with lz4 and with zstd, and on
# tmpfs, by /fsbench; figures only, nothing is checked.
mkdir -p /mnt
mount -t kestrelfs -o compress=lz4 /dev/vda /mnt && /fsbench "kestrelfs lz4, 64 MiB" /mnt 64 /dev/vda kestrelfs compress=lz4
umount /mnt
mount -t kestrelfs -o compress=zstd /dev/vda /mnt && /fsbench "kestrelfs zstd, 16 MiB" /mnt 16 /dev/vda kestrelfs compress=zstd
umount /mnt
mount -t tmpfs tmpfs /tmp && /fsbench "tmpfs, 64 MiB" /tmp 64
echo "fsbench: done"
