#!/bin/sh
# kernel-only: it mounts the guest's virtio disk, which a host must not do.
# A file larger than RAM (/dev/vda's big.bin, 1 GiB, in a 256 MiB guest)
# reads whole: the clean page cache gives way as the read goes on. The
# harness compares the checksum with the host's.
mountpoint -q /proc || mount -t proc proc /proc
mkdir -p /mnt
mount -t kestrelfs -o ro /dev/vda /mnt || { echo "FAIL: mount /dev/vda"; exit 1; }
echo "bigread: $(md5sum /mnt/big.bin)"
echo "bigread: after: $(echo still here) $(ls /mnt)"
grep -E '^(pgsteal_direct|nr_free_pages)' /proc/vmstat | sed 's/^/bigread: /'
cached=$(awk '/^Cached:/ { print $2 }' /proc/meminfo)
echo 1 > /proc/sys/vm/drop_caches
echo "bigread: Cached: $cached kB, after drop_caches: $(awk '/^Cached:/ { print $2 }' /proc/meminfo) kB"
umount /mnt
echo "bigread: done"
