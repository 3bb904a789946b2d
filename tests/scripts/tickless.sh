#!/bin/sh
# kernel-only: the host's Linux is never idle while tests run.
# Tickless idle: an idle system takes few local timer interrupts on each
# CPU (the LOC line of /proc/interrupts, read 5 s apart), and a lone nanosleep
# wakes close to its deadline. Each check prints "ok: ..." or "FAIL: ...";
# exits 0 only when all passed.

. "$(dirname "$0")/lib/check.sh"

[ -e /proc/self/stat ] || mount -t proc proc /proc

# The LOC counts of every CPU's column, summed.
loc() { awk '$1 == "LOC:" { s = 0; for (i = 2; i <= NF && $i ~ /^[0-9]+$/; i++) s += $i; print s }' /proc/interrupts; }

cpus=$(nproc)
header=$(i=0; while [ "$i" -lt "$cpus" ]; do printf 'CPU%d' "$i"; i=$((i + 1)); done)
check "/proc/interrupts has a column per CPU" "$header" "$(head -n 1 /proc/interrupts | tr -d ' ')"
a=$(loc)
sleep 5
b=$(loc)
n=$(( (b - a) / 5 / cpus ))
echo "idle: $n local timer interrupts a second per CPU ($cpus CPUs)"
check "an idle CPU takes fewer than 20 timer interrupts a second" "yes" "$([ "$n" -lt 20 ] && echo yes || echo "no ($n)")"

echo "tickless tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
