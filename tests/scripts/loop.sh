#!/bin/sh
# kernel-only: it mounts kestrelfs images, which this host's Linux cannot read.
# Loop devices with busybox: losetup binds an image and lists it, mount -o
# loop mounts the images under /images read-only and finds the tree they
# were made from; a copy mounted read-write keeps a change across a
# remount; a read-only loop device refuses a read-write mount; umount
# frees the devices mount -o loop took. Prints "ok: WHAT" or "FAIL: ...",
# then "loop: N passed, M failed".
. "$(dirname "$0")/lib/check.sh"

mkdir -p /mnt/a /mnt/b /proc
[ -e /proc/mounts ] || mount -t proc proc /proc
dev=$(losetup -f)
check "losetup -f names a free device" /dev/loop0 "$dev"
losetup "$dev" /images/zstd.kfs
check "losetup -a lists the binding" 1 "$(losetup -a | grep -c '^/dev/loop0: .*/images/zstd.kfs')"
check "the device has the image's size" 1048576 "$(blockdev --getsize64 "$dev" 2>/dev/null || wc -c < "$dev")"
mount -t kestrelfs -o ro "$dev" /mnt/a
check "mount of the bound device" 0 $?
check "the tree reads back" "" "$(diff -r /images/tree /mnt/a 2>&1)"
umount /mnt/a
losetup -d "$dev"
check "losetup -d frees it" "" "$(losetup -a)"

for image in zstd lz4; do
    mount -o loop,ro "/images/$image.kfs" /mnt/a
    check "mount -o loop of the $image image" 0 $?
    check "the $image tree reads back" "" "$(diff -r /images/tree /mnt/a 2>&1)"
    check "its big file" "$(md5sum < /images/tree/big.bin)" "$(md5sum < /mnt/a/big.bin)"
    check "its 60 small files" 60 "$(ls /mnt/a/many | wc -l)"
    umount /mnt/a
done
check "umount freed the loop devices" "" "$(losetup -a)"

cp /images/lz4.kfs /tmp/rw.kfs
mount -o loop /tmp/rw.kfs /mnt/b
check "a read-write loop mount" 1 "$(grep -c ' /mnt/b kestrelfs rw' /proc/mounts)"
echo "written through a loop device" > /mnt/b/new.txt
rm /mnt/b/many/f1
umount /mnt/b
mount -o loop,ro /tmp/rw.kfs /mnt/b
check "the change is in the image" "written through a loop device" "$(cat /mnt/b/new.txt)"
check "the removal too" "" "$(ls /mnt/b/many/f1 2>/dev/null)"
umount /mnt/b

dev=$(losetup -f)
losetup -r "$dev" /tmp/rw.kfs
mount -t kestrelfs "$dev" /mnt/b 2>/dev/null
check "busybox mounts a read-only device read-only" 1 "$(grep -c " /mnt/b kestrelfs ro" /proc/mounts)"
umount /mnt/b 2>/dev/null
losetup -d "$dev"
check "no loop device left bound" "" "$(losetup -a)"
echo "loop: $passed passed, $failed failed"
