#!/bin/sh
# Busybox's scheduling tools over the kernel's calls and /proc: nice,
# renice, chrt (set, show, run with a policy, list the ranges) and ps's
# nice column. Each check prints "ok: ..." or "FAIL: ..."; exits 0 only
# when all passed.

. "$(dirname "$0")/lib/check.sh"

[ -e /proc/self/stat ] || mount -t proc proc /proc

field() { cut -d' ' -f"$2" "/proc/$1/stat"; }

check "nice -n 5 runs a command at nice 5" "5" "$(nice -n 5 sh -c 'cut -d" " -f19 /proc/self/stat')"
check "nice without -n adds 10" "10" "$(nice sh -c 'cut -d" " -f19 /proc/self/stat')"

sleep 30 &
pid=$!
renice 7 -p "$pid" >/dev/null
check "renice 7 -p PID" "7" "$(field "$pid" 19)"
check "ps -o nice shows it" "7" "$(ps -o pid,nice | awk -v p="$pid" '$1 == p { print $2 }')"
check "stat's priority is 20 + nice" "27" "$(field "$pid" 18)"

chrt -f -p 20 "$pid" >/dev/null
check "chrt -f -p 20: SCHED_FIFO at 20" "pid $pid's current scheduling policy: SCHED_FIFO" \
    "$(chrt -p "$pid" | head -n 1)"
check "chrt -p shows the priority" "pid $pid's current scheduling priority: 20" "$(chrt -p "$pid" | tail -n 1)"
check "stat's rt_priority and policy" "20 1" "$(field "$pid" 40-41)"
chrt -o -p 0 "$pid" >/dev/null
check "chrt -o -p 0: back to SCHED_OTHER" "0" "$(field "$pid" 41)"
kill "$pid"

check "chrt -r 10 runs a command SCHED_RR at 10" "10 2" "$(chrt -r 10 sh -c 'cut -d" " -f40,41 /proc/self/stat')"
check "chrt -m lists SCHED_FIFO's range" "SCHED_FIFO min/max priority	: 1/99" "$(chrt -m | grep FIFO)"

echo "schedtools tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
