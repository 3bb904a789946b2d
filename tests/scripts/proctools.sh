#!/bin/sh
# Busybox's process tools over /proc: ps and ps -o on a known process tree,
# top -b -n 1 with a CPU-bound process, TIME and RSS growing, free against
# /proc/meminfo, uptime, mount, pidof, pgrep and kill. Runs on Linux too
# (with the same busybox, found through /proc/$$/exe), where other
# processes exist: there only this script's processes are checked and
# killed. Each check prints "ok: ..." or "FAIL: ..."; exits 0 when all pass.

. "$(dirname "$0")/lib/check.sh"
yes_if() { if "$@"; then echo yes; else echo no; fi; }
# has TEXT REGEX: a line of TEXT matches the extended REGEX.
has() { echo "$1" | grep -q -E "$2"; }
# A size as ps prints it in four columns ("1312", "32m") in KiB.
kib() { case "$1" in *m) echo $((${1%m} * 1024)) ;; *g) echo $((${1%g} * 1048576)) ;; *) echo "${1:-0}" ;; esac; }

[ -e /proc/self ] || mount -t proc proc /proc || { echo "FAIL: mount -t proc"; exit 1; }
# This shell's own busybox, and the tree it came from (the initramfs).
BB=$(readlink /proc/$$/exe)
ROOT=${BB%/bin/busybox}
bb() { "$BB" "$@"; }
kestrel=no
case "$(uname -r)" in *kestrel*) kestrel=yes ;; esac
ncpu=$(grep -c '^processor' /proc/cpuinfo)
check "busybox found through /proc/\$\$/exe" "yes" "$(yes_if [ -x "$BB" ])"

# A known tree: this shell -> sh -> two sleeps.
"$BB" sh -c 'sleep 317 & sleep 317 & wait' &
tree=$!
sleeps=""
i=0
while [ $i -lt 200 ]; do
    sleeps=$(bb pgrep -P $tree | sort -n | tr '\n' ' ' | sed 's/ $//')
    [ "$(echo "$sleeps" | wc -w)" -eq 2 ] && break
    bb usleep 20000; i=$((i + 1))
done
set -- $sleeps
s1=$1 s2=$2
check "pgrep -P lists the tree's two children" "2" "$(echo "$sleeps" | wc -w | tr -d ' ')"

out=$(bb ps)
check "ps: header" "PID   USER     TIME  COMMAND" "$(echo "$out" | head -n 1 | sed 's/ *$//')"
check "ps: the tree's shell with its arguments" "yes" "$(yes_if has "$out" "^ *$tree root .* sh -c sleep 317")"
check "ps: both sleeps" "2" "$(echo "$out" | grep -c -E "^ *($s1|$s2) root .* sleep 317$")"

out=$(bb ps -o pid,ppid,user,stat,vsz,rss,time,args)
check "ps -o: header" "PID   PPID  USER     STAT VSZ  RSS  TIME  COMMAND" \
    "$(echo "$out" | head -n 1 | sed 's/ *$//')"
row() { echo "$out" | awk -v p="$1" '$1 == p'; }
check "ps -o: this shell's parent" "$PPID" "$(row $$ | awk '{ print $2 }')"
check "ps -o: the tree's parent is this shell" "$$" "$(row $tree | awk '{ print $2 }')"
check "ps -o: the sleeps' parent is the tree" "$tree $tree" "$(row $s1 | awk '{ print $2 }') $(row $s2 | awk '{ print $2 }')"
check "ps -o: a sleep's user, state and arguments" "root S sleep 317" \
    "$(row $s1 | awk '{ print $3, substr($4, 1, 1), $8, $9 }')"
check "ps -o: a sleep has VSZ and RSS" "yes" "$(row $s1 | awk '{ print ($5 > 0 && $6 > 0) ? "yes" : "no" }')"

pids=" $(bb pidof sleep) "
check "pidof sleep includes both sleeps" "yes yes" "$(yes_if has "$pids" " $s1 ") $(yes_if has "$pids" " $s2 ")"
check "pgrep -f finds both by their arguments" "$sleeps" \
    "$(bb pgrep -f '^sleep 317' | sort -n | tr '\n' ' ' | sed 's/ $//')"

# A CPU-bound process: its TIME grows and top shows it busy.
"$BB" sh -c 'while :; do :; done' &
hog=$!
seconds() { bb ps -o pid,time | awk -v p="$1" '$1 == p { n = split($2, t, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + t[i]; print s }'; }
sleep 1
t1=$(seconds $hog)
sleep 2
t2=$(seconds $hog)
check "ps: the busy process's TIME grows ($t1 s, then $t2 s)" "yes" "$(yes_if [ "$t2" -gt "$t1" ])"
# top samples for 0.1 s: on a loaded host the guest may get too little of
# that to count a tick, so the best of three runs counts.
cpu=0
for try in 1 2 3; do
    out=$(bb top -b -n 1)
    # By column: at 100% busybox prints "0100.0", the CPU number and
    # %CPU run together.
    c=$(echo "$out" | awk -v p=$hog '/%CPU/ { at = index($0, "%CPU") } $1 == p { print int(substr($0, at - 1, 5)) }')
    [ "${c:-0}" -gt "$cpu" ] && cpu=$c
done
if [ $kestrel = yes ]; then
    # It has a CPU to itself while top sleeps between its samples; top's
    # percentages are of all the CPUs together.
    least=$((50 / $(nproc)))
    check "top: the busy process at ${cpu}% CPU (over $least%)" "yes" "$(yes_if [ "${cpu:-0}" -ge $least ])"
else
    # A shared host with $ncpu CPUs: busy, at least.
    check "top: the busy process at ${cpu}% CPU (over 0%)" "yes" "$(yes_if [ "${cpu:-0}" -gt 0 ])"
fi
check "top: Mem, CPU and Load average lines" "yes yes yes" \
    "$(yes_if has "$out" "^Mem: [0-9]+K used") $(yes_if has "$out" "^CPU: ") $(yes_if has "$out" "^Load average: ")"
if [ $kestrel = yes ]; then
    # The load average follows the busy process (updated every 5 s).
    sleep 5
    check "loadavg: the 1-minute load rose" "yes" "$(awk '{ print ($1 > 0) ? "yes" : "no" }' /proc/loadavg)"
fi
kill $hog
wait $hog 2>/dev/null

# RSS grows when a process touches 32 MiB.
log=${TMPDIR:-/tmp}/memtouch.$$
"$ROOT/memtouch" 32 >"$log" &
mt=$!
i=0; while ! grep -q mapped "$log" && [ $i -lt 500 ]; do bb usleep 10000; i=$((i + 1)); done
r1=$(kib "$(bb ps -o pid,rss | awk -v p=$mt '$1 == p { print $2 }')")
kill -USR1 $mt
i=0; while ! grep -q touched "$log" && [ $i -lt 500 ]; do bb usleep 10000; i=$((i + 1)); done
r2=$(kib "$(bb ps -o pid,rss | awk -v p=$mt '$1 == p { print $2 }')")
# ps prints sizes over 9999 KiB in whole MiB, rounded down.
check "ps: RSS grows by 32 MiB after touching it (${r1}k -> ${r2}k)" "yes" "$(yes_if [ $((r2 - r1)) -ge 31744 ])"
vmrss=$(awk '/^VmRSS:/ { print $2 }' /proc/$mt/status)
check "status: VmRSS has the 32 MiB too" "yes" "$(yes_if [ "$vmrss" -ge 32768 ])"
kill $mt
wait $mt 2>/dev/null
rm -f "$log"

# free: its totals are /proc/meminfo's (in KiB).
out=$(bb free)
mem() { awk -v k="$1:" '$1 == k { print $2 }' /proc/meminfo; }
check "free: Mem total is MemTotal" "$(mem MemTotal)" "$(echo "$out" | awk '$1 == "Mem:" { print $2 }')"
check "free: Swap total is SwapTotal" "$(mem SwapTotal)" "$(echo "$out" | awk '$1 == "Swap:" { print $2 }')"
free_kb=$(echo "$out" | awk '$1 == "Mem:" { print $4 }')
check "free: free is MemFree (within 4 MiB)" "yes" "$(yes_if [ $((free_kb - $(mem MemFree))) -le 4096 ] && [ $(($(mem MemFree) - free_kb)) -le 4096 ])"
check "free: used + free + buff/cache is the total" "$(mem MemTotal)" \
    "$(echo "$out" | awk '$1 == "Mem:" { print $3 + $4 + $6 }')"

check "uptime: time, up, users, load average" "yes" \
    "$(yes_if has "$(bb uptime)" "^ ?[0-9]+:[0-9]+:[0-9]+ up .*load average: [0-9]+\.[0-9]{2}, [0-9]+\.[0-9]{2}, [0-9]+\.[0-9]{2}$")"
check "mount: lists proc on /proc" "yes" "$(yes_if has "$(bb mount)" "^proc on /proc type proc \(rw")"

# kill $(pidof sleep): in this kernel the tree's sleeps are the only ones.
if [ $kestrel = yes ]; then
    check "pidof sleep is the two sleeps" "$sleeps" "$(bb pidof sleep | tr ' ' '\n' | sort -n | tr '\n' ' ' | sed 's/ $//')"
    kill $(bb pidof sleep)
else
    kill $s1 $s2
fi
wait $tree
check "kill: the tree's shell ended after its sleeps were killed" "0" "$?"
check "the sleeps are gone" "" "$(bb pgrep -f '^sleep 317')"

echo "proctools tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
