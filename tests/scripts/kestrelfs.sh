#!/bin/sh
# kernel-only: it mounts the guest's virtio disks, which a host must not do.
# kestrelfs in the kernel: mounts /dev/vda (a fresh image from the host's
# mkfs, whose default is no compression) with lz4 as the default, creates, writes, renames, links and
# deletes files of every type, sets metadata and per-file compression
# (chattr, the btrfs.compression xattr), checks what reads back, syncs,
# and says "kestrelfs: synced". The harness then checks the image with
# the host tools. Each check prints "ok: WHAT" or "FAIL: WHAT".
fail=0
check() { if eval "$2"; then echo "ok: $1"; else echo "FAIL: $1"; fail=1; fi; }

mkdir -p /mnt
mount -t kestrelfs -o compress=lz4 /dev/vda /mnt || { echo "FAIL: mount"; exit 1; }
check "mounted as kestrelfs" "grep -q '^/dev/vda /mnt kestrelfs rw,relatime,compress=lz4' /proc/mounts || ! [ -e /proc/mounts ]"
check "the image's file reads" "[ \"\$(cat /mnt/hello.txt)\" = 'hello from the host' ]"
cd /mnt || exit 1

# Files and directories.
mkdir -p a/b/c && echo one > a/b/c/file && echo two > a/two
check "mkdir -p and write" "[ \"\$(cat a/b/c/file)\" = one ]"
mv a/two a/b/renamed && check "rename" "[ ! -e a/two ] && [ \"\$(cat a/b/renamed)\" = two ]"
echo replaced > a/target && echo winner > a/source && mv a/source a/target
check "rename over a file" "[ \"\$(cat a/target)\" = winner ] && [ ! -e a/source ]"
mv a/b/c a/c2 && check "rename a directory" "[ -d a/c2 ] && [ ! -e a/b/c ] && [ \"\$(cat a/c2/file)\" = one ]"
mkdir gone && rmdir gone && check "rmdir" "[ ! -e gone ]"
echo x > doomed && rm doomed && check "unlink" "[ ! -e doomed ]"
check "rmdir of a non-empty directory fails" "! rmdir a 2>/dev/null"

# Links, devices, FIFOs.
echo shared > orig && ln orig hard && check "hard link" "[ \$(stat -c %h orig) = 2 ] && [ \"\$(cat hard)\" = shared ]"
ln -s a/target sym && check "symlink" "[ \"\$(readlink sym)\" = a/target ] && [ \"\$(cat sym)\" = winner ]"
mknod null c 1 3 && mknod vdz b 254 16 && mkfifo fifo
check "device nodes and a FIFO" "[ -c null ] && [ -b vdz ] && [ -p fifo ] && [ \"\$(stat -c %t:%T vdz)\" = fe:10 ]"

# Metadata.
echo m > meta && chown 12:34 meta && chmod 4751 meta && touch -d '2001-02-03 04:05:06' meta
check "chown chmod touch" "[ \"\$(stat -c '%a %u %g %Y' meta)\" = '4751 12 34 981173106' ]"

# Compression choices: the mount's default (lz4), the xattr (none, zstd),
# chattr +c (busybox's chattr has no +m).
text() { i=0; while [ $i -lt 3000 ]; do echo "kestrel line $i: the quick brown fox jumps over the lazy dog"; i=$((i + 1)); done; }
text > deflt.txt
touch raw.txt && setfattr -n btrfs.compression -v none raw.txt && text > raw.txt
touch zstd.txt && setfattr -n btrfs.compression -v zstd zstd.txt && text > zstd.txt
touch compr.txt && chattr +c compr.txt && text > compr.txt
check "lsattr shows the flag" "lsattr compr.txt | grep -q '^[^ ]*c' && ! lsattr deflt.txt | grep -q '^[^ ]*c'"
check "a bad compression name is refused" "! setfattr -n btrfs.compression -v gzip deflt.txt 2>/dev/null"
check "other xattrs are not kept" "! setfattr -n user.test -v 1 deflt.txt 2>/dev/null"
sum=$(text | md5sum | cut -d' ' -f1)
check "compressed files read back" "[ \$(cat deflt.txt raw.txt zstd.txt compr.txt | md5sum | cut -d' ' -f1) = \$(for f in 1 2 3 4; do text; done | md5sum | cut -d' ' -f1) ]"

# A larger file across chunks, overwritten in the middle and truncated.
dd if=/dev/zero bs=4096 count=300 2>/dev/null | tr '\0' 'k' > big
echo -n MIDDLE | dd of=big bs=1 seek=500000 conv=notrunc 2>/dev/null
truncate -s 1000000 big
check "big file" "[ \$(stat -c %s big) = 1000000 ] && [ \"\$(dd if=big bs=1 skip=500000 count=6 2>/dev/null)\" = MIDDLE ]"

# An unlinked file stays readable while open.
echo still-here > open-unlinked
exec 3< open-unlinked
rm open-unlinked
check "unlinked but open" "[ \"\$(cat <&3)\" = still-here ]"
exec 3<&-

check "statfs" "[ \"\$(stat -f -c '%t %S %b' /mnt)\" = '4b535452 4096 8192' ] && [ \$(stat -f -c %a /mnt) -gt 1000 ]"
sync && echo "kestrelfs: synced"
cd /
umount /mnt && check "umount" "! grep -q /mnt /proc/mounts 2>/dev/null"
# A second mount reads what the first wrote; without compress= the
# default is mkfs's (none), which chattr +c turns into lz4.
mount -t kestrelfs /dev/vda /mnt && check "remount reads back" "[ \"\$(cat /mnt/a/target)\" = winner ] && [ \$(md5sum < /mnt/zstd.txt | cut -d' ' -f1) = $sum ]"
text > /mnt/plain2.txt
touch /mnt/compr2.txt && chattr +c /mnt/compr2.txt && text > /mnt/compr2.txt
# Not synced: the power-off commits it.
echo after-remount > /mnt/late.txt
[ $fail = 0 ] && echo "kestrelfs: all ok"
exit $fail
