#!/bin/sh
# Busybox's ipcs and ipcrm over System V IPC: a segment, a semaphore set
# and a message queue made by the conformance programs' "create" modes
# are listed by ipcs (and /proc/sysvipc), shown by ipcs -i, and removed
# by ipcrm by id and by key; ipcs -l shows the limits. Each check prints
# "ok: ..." or "FAIL: ..."; exits 0 only when all passed. The programs are
# in / here, in build/programs for a run on Linux (tests/run-native).

. "$(dirname "$0")/lib/check.sh"

[ -e /proc/self/stat ] || mount -t proc proc /proc
bin=
[ -x /sysvshm ] || bin="$(dirname "$0")/../../build/programs"
# The applets of the busybox running this script, also on a host whose
# own ipcs (util-linux) prints otherwise.
busybox=$(readlink /proc/$$/exe)
ipcs() { "$busybox" ipcs "$@"; }
ipcrm() { "$busybox" ipcrm "$@"; }

# key, id, owner, perms, and the kind's own columns, of the row of an id.
row() { ipcs "$1" | awk -v id="$2" 'NF > 4 && $2 "" == id "" { $3 = $3; print }'; }
# The key, id and perms columns of /proc/sysvipc/KIND for an id.
proc_row() { awk -v id="$2" 'NF > 4 && $2 "" == id "" { print $1, $2, $3 }' "/proc/sysvipc/$1"; }

shm=$("$bin/sysvshm" create 0x4b455310)
shm_by_key=$("$bin/sysvshm" create 0x4b455320)
sem=$("$bin/sysvsem" create 0x4b455311)
sem_by_key=$("$bin/sysvsem" create 0x4b455321)
msg=$("$bin/sysvmsg" create 0x4b455312)
msg_by_key=$("$bin/sysvmsg" create 0x4b455322)

check "ipcs -m lists the segment (8192 bytes, no attaches)" "0x4b455310 $shm root 640 8192 0" "$(row -m "$shm")"
check "ipcs -s lists the set (2 semaphores)" "0x4b455311 $sem root 640 2" "$(row -s "$sem")"
check "ipcs -q lists the queue (one 5-byte message)" "0x4b455312 $msg root 640 5 1" "$(row -q "$msg")"
check "/proc/sysvipc/shm lists the segment" "1262834448 $shm 640" "$(proc_row shm "$shm")"
check "/proc/sysvipc/sem lists the set" "1262834449 $sem 640" "$(proc_row sem "$sem")"
check "/proc/sysvipc/msg lists the queue" "1262834450 $msg 640" "$(proc_row msg "$msg")"
check "ipcs -m -i shows the segment's size and creator" "1" \
    "$(ipcs -m -i "$shm" | grep -c "bytes=8192.*cpid=[1-9]")"
check "ipcs -s -i shows the set's semaphores" "2" "$(ipcs -s -i "$sem" | grep -c '^[01] ')"
check "ipcs -l shows shmmni" "max number of segments = 4096" "$(ipcs -l | grep 'max number of segments')"
check "ipcs -l shows semopm" "max ops per semop call = 500" "$(ipcs -l | grep 'max ops per semop')"
check "ipcs -l shows msgmax" "max size of message (bytes) = 8192" "$(ipcs -l | grep 'max size of message')"

ipcrm -m "$shm" -s "$sem" -q "$msg"
check "ipcrm -m ID removes the segment" "" "$(row -m "$shm")"
check "ipcrm -s ID removes the set" "" "$(row -s "$sem")"
check "ipcrm -q ID removes the queue" "" "$(row -q "$msg")"
ipcrm -M 0x4b455320 -S 0x4b455321 -Q 0x4b455322
check "ipcrm -M KEY removes the segment" "" "$(row -m "$shm_by_key")"
check "ipcrm -S KEY removes the set" "" "$(row -s "$sem_by_key")"
check "ipcrm -Q KEY removes the queue" "" "$(row -q "$msg_by_key")"
check "none of them is left in /proc/sysvipc" "0" "$(cat /proc/sysvipc/shm /proc/sysvipc/sem /proc/sysvipc/msg |
    grep -cE '^ *(1262834448|1262834449|1262834450|1262834464|1262834465|1262834466) ')"
ipcrm -m "$shm" 2>/dev/null
check "ipcrm of a removed id fails" "1" "$?"

echo "ipc tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
