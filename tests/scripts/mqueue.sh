#!/bin/sh
# The mqueue filesystem from the shell, as a user meets it on a
# distribution's /dev/mqueue: mount -t mqueue, touch makes a queue (open
# with O_CREAT), ls and ls -l list it as an 80-byte regular file, cat
# shows its QSIZE line, mkdir is refused, rm removes it, umount. Each
# check prints "ok: ..." or "FAIL: ..."; exits 0 only when all passed.

. "$(dirname "$0")/lib/check.sh"

[ -e /proc/self/stat ] || mount -t proc proc /proc
dir=${TMPDIR:-/tmp}/kestrel-mqueue-sh.$$
name=kestrel-sh-$$
mkdir -p "$dir"
umask 022

mount -t mqueue none "$dir"
check "mount -t mqueue none DIR" "0" "$?"
check "/proc/mounts lists it" "none mqueue" "$(awk -v d="$dir" '$2 == d { print $1, $3 }' /proc/mounts)"
touch "$dir/$name"
check "touch makes a queue" "0" "$?"
check "ls lists it" "$name" "$(ls "$dir")"
check "ls -l: a regular file of 80 bytes" "-rw-r--r-- 80" "$(ls -l "$dir/$name" | awk '{ print $1, $5 }')"
check "cat shows the empty queue" "$(printf 'QSIZE:%-10u NOTIFY:%-5d SIGNO:%-5d NOTIFY_PID:%-6d' 0 0 0 0)" \
    "$(cat "$dir/$name")"
mkdir "$dir/sub" 2>/dev/null
check "mkdir there fails" "1" "$?"
rm "$dir/$name"
check "rm removes the queue" "0" "$?"
check "ls lists nothing" "" "$(ls "$dir")"
umount "$dir"
check "umount" "0" "$?"
rmdir "$dir"

echo "mqueue tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
