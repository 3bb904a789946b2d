#!/bin/sh
# kernel-only: the host's Linux is never idle while tests run.
# Tickless idle: an idle system takes few local timer interrupts (the
# LOC line of /proc/interrupts, read 5 s apart), and a lone nanosleep
# wakes close to its deadline. Each check prints "ok: ..." or "FAIL: ...";
# exits 0 only when all passed.

. "$(dirname "$0")/lib/check.sh"

[ -e /proc/self/stat ] || mount -t proc proc /proc

loc() { awk '$1 == "LOC:" { print $2 }' /proc/interrupts; }

check "/proc/interrupts has the CPU header" "CPU0" "$(head -n 1 /proc/interrupts | tr -d ' ')"
a=$(loc)
sleep 5
b=$(loc)
n=$(( (b - a) / 5 ))
echo "idle: $n local timer interrupts a second"
check "an idle system takes fewer than 20 timer interrupts a second" "yes" "$([ "$n" -lt 20 ] && echo yes || echo "no ($n)")"

echo "tickless tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
