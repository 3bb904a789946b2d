#!/bin/sh
# kernel-only: it mounts the guest's virtio disk, which a host must not do.
# The file-system conformance programs with their scratch directory, /tmp,
# on kestrelfs (/dev/vda) instead of tmpfs: the VFS's rules on the native
# filesystem. Prints "conformance on kestrelfs: N passed, N failed".
mount -t kestrelfs /dev/vda /tmp || { echo "FAIL: mount"; exit 1; }
chmod 1777 /tmp
passed=0
failed=0
for p in fsfile fspath fsdir fsattr fsdev fsperm mmapfile; do
    if "/$p" > "/dev/shm/$p.log" 2>&1 && ! grep -q '^TFAIL' "/dev/shm/$p.log"; then
        passed=$((passed + 1))
        echo "ok: $p ($(grep -c "^TPASS" "/dev/shm/$p.log") checks)"
    else
        failed=$((failed + 1))
        echo "FAIL: $p"
        grep -E '^TFAIL' "/dev/shm/$p.log"
    fi
done
sync
echo "conformance on kestrelfs: $passed passed, $failed failed"
