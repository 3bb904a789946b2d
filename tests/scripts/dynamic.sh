#!/bin/sh
# kernel-only: it needs the disk image scripts/disk-image makes.
# Programs that bring their own libraries, on the root disk
# scripts/test makes with scripts/disk-image: the vdso conformance program
# linked dynamically against musl (/lib/ld-musl-x86_64.so.1) and against
# glibc (/lib64/ld-linux-x86-64.so.2, libc.so.6), whose libc reaches the
# kernel's vDSO; and Debian's own ls, sort and perl with their libraries.
# Prints "ok: WHAT" or "FAIL: ...", then "dynamic: N passed, M failed".
. "$(dirname "$0")/lib/check.sh"

mkdir -p /proc
[ -e /proc/mounts ] || mount -t proc proc /proc
for libc in musl glibc; do
    check "vdso linked against $libc" "summary: 22 passed, 0 failed" "$(/usr/local/bin/vdso-$libc | grep '^summary:')"
done
check "Debian's ls" "-rw-r--r-- /etc/inittab" "$(/bin/ls -l /etc/inittab | awk '{print $1, $NF}')"
check "Debian's sort" "apple pear" "$(printf 'pear\napple\n' | /usr/bin/sort | tr '\n' ' ' | sed 's/ $//')"
check "Debian's perl" "perl 42" "$(/usr/bin/perl -e 'print "perl ", 6 * 7, "\n"')"
maps=$(/usr/bin/perl -e 'open(M, "/proc/self/maps") or die; print <M>')
check "perl's maps: glibc's libc.so.6, mapped by ld.so" 1 "$(echo "$maps" | grep -c 'r-xp .*/lib/x86_64-linux-gnu/libc.so.6$')"
check "perl's maps: its interpreter, loaded by exec, under its own name" 1 \
    "$(echo "$maps" | grep -c 'r-xp .*/ld-linux-x86-64.so.2$')"
check "perl's maps: the vDSO" 1 "$(echo "$maps" | grep -c '\[vdso\]$')"
echo "dynamic: $passed passed, $failed failed"
