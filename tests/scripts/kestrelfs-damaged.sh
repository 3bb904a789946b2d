#!/bin/sh
# kernel-only: it mounts the guest's virtio disks, which a host must not do.
# Damaged and foreign images are refused at mount, with EINVAL or EUCLEAN
# and a kernel log line; nothing panics. /dev/vda has both superblocks
# zeroed, /dev/vdb a flipped byte in a metadata block, /dev/vdc is no
# kestrelfs at all. /dev/vdd mounts, but a file's data has a flipped byte:
# reading it fails (EUCLEAN), the rest reads. The root on disk was asked for (root=/dev/vda) and
# could not be had, so this runs on the initramfs.
mkdir -p /mnt
for d in vda vdb vdc; do
    if mount -t kestrelfs /dev/$d /mnt 2>/tmp/err; then
        echo "FAIL: /dev/$d mounted"
        umount /mnt
    else
        echo "refused: /dev/$d: $(cat /tmp/err)"
    fi
done
if mount -t kestrelfs /dev/vdd /mnt; then
    cat /mnt/a >/dev/null 2>&1 && echo "FAIL: a damaged chunk reads"
    [ "$(cat /mnt/b)" = beta ] && echo "kestrelfs: the undamaged file reads"
    umount /mnt
else
    echo "FAIL: /dev/vdd did not mount"
fi
[ "$(stat -f -c %t /)" = 858458f6 ] && echo "kestrelfs: running on the initramfs"
echo "kestrelfs: done"
