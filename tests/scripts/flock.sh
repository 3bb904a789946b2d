#!/bin/sh
# busybox flock(1) against flock(2) locks held by other processes: -n fails
# while another process holds the lock, -s locks share, -u unlocks, a
# blocking flock waits for the holder, and /proc/locks shows the lock.
# FIFOs sequence the processes; nothing waits for time. Each check prints
# "ok: ..." or "FAIL: ..."; exits 0 only when all passed.

. "$(dirname "$0")/lib/check.sh"

[ -e /proc/self/stat ] || mount -t proc proc /proc
# busybox's own flock (natively the host's util-linux flock would answer).
BB=$(readlink /proc/$$/exe)
flock() { "$BB" flock "$@"; }

F=/tmp/flock.sh.lock
READY=/tmp/flock.sh.ready
GO=/tmp/flock.sh.go
rm -f "$F" "$READY" "$GO" /tmp/flock.sh.out
: > "$F"
mkfifo "$READY" "$GO"

# hold MODE: a background process takes the lock with flock MODE, says
# so through $READY, and keeps it until a line arrives on $GO.
hold() {
    (
        exec 8< "$F"
        flock "$1" 8
        echo locked > "$READY"
        read -r _ < "$GO"
    ) &
    read -r _ < "$READY"
}
release() {
    echo go > "$GO"
    wait
}
try() { flock "$@" "$F" -c true; echo $?; }

hold -x
check "flock -n fails while another process holds -x" 1 "$(try -n)"
check "flock -n -s fails too" 1 "$(try -n -s)"
ino=$(ls -i "$F" | awk '{ print $1 }')
# The pid is flock(1)'s, which set the lock and has exited since.
check "/proc/locks shows the holder's FLOCK line" 1 \
    "$(grep -c "^[0-9]*: FLOCK  ADVISORY  WRITE [0-9]* [0-9a-f]*:[0-9a-f]*:$ino 0 EOF" /proc/locks)"
release
check "flock -n succeeds once the holder has gone" 0 "$(try -n)"
check "and /proc/locks no longer shows it" 0 "$(grep -c ":$ino 0 EOF" /proc/locks)"

hold -s
check "flock -s -n shares a shared lock" 0 "$(try -n -s)"
check "flock -x -n does not" 1 "$(try -n -x)"
release

exec 9< "$F"
flock -x 9
check "with our own -x on fd 9, another flock -n fails" 1 "$(try -n)"
flock -u 9
check "after flock -u 9 it succeeds" 0 "$(try -n)"
exec 9<&-

hold -x
flock -x "$F" -c 'echo got > /tmp/flock.sh.out' &
waiter=$!
check "a blocking flock has not run while the lock is held" "no" \
    "$([ -e /tmp/flock.sh.out ] && echo yes || echo no)"
echo go > "$GO"
wait "$waiter"
check "a blocking flock ran its command after the holder let go" "got" "$(cat /tmp/flock.sh.out 2>/dev/null)"
wait

rm -f "$F" "$READY" "$GO" /tmp/flock.sh.out
echo "flock tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
