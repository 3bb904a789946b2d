#!/bin/sh
# Kernel threads: kthreadd is pid 2 with parent 0, other kernel threads are
# its children, ps shows them in brackets (their cmdline is empty), and
# signals sent to them, SIGKILL included, leave them running. Each check
# prints "ok: ..." or "FAIL: ..."; exits 0 only when all passed.

. "$(dirname "$0")/lib/check.sh"

[ -e /proc/self/stat ] || mount -t proc proc /proc
# busybox's own ps (natively the host's ps would answer): the shell's binary.
BB=$(readlink /proc/$$/exe)
ps() { "$BB" ps "$@"; }

ppid_of() { sed 's/.*) //' "/proc/$1/stat" | cut -d' ' -f2; }

check "pid 2 is kthreadd" "(kthreadd)" "$(cut -d' ' -f2 /proc/2/stat)"
check "kthreadd's parent is 0" "0" "$(ppid_of 2)"
check "ps shows it in brackets" "[kthreadd]" "$(ps | awk '$1 == 2 { print $NF }')"
check "its cmdline is empty" "0" "$(wc -c < /proc/2/cmdline | tr -d ' ')"

child=""
for d in /proc/[0-9]*; do
    p=${d#/proc/}
    if [ "$p" != 2 ] && [ "$(ppid_of "$p" 2>/dev/null)" = 2 ]; then
        child=$p
        break
    fi
done
check "another kernel thread is kthreadd's child" "yes" "$([ -n "$child" ] && echo yes || echo no)"
[ -n "$child" ] && check "ps shows it in brackets too" "yes" \
    "$(ps | awk -v p="$child" '$1 == p { print $NF }' | grep -q '^\[' && echo yes || echo no)"

kill -9 2 2>/dev/null
[ -n "$child" ] && kill -9 "$child" 2>/dev/null
kill -TERM 2 2>/dev/null
sleep 1
check "kill -9 leaves kthreadd running" "yes" "$([ -e /proc/2/stat ] && echo yes || echo no)"
[ -n "$child" ] && check "kill -9 leaves the other one running" "yes" \
    "$([ -e "/proc/$child/stat" ] && echo yes || echo no)"

echo "kthreads tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
