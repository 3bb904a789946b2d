#!/bin/sh
# FIFO opens racing on several CPUs: a writer subshell and a reader open
# one FIFO at once, again and again; the writer may open, write and close
# before the reader's open has looked for it, and the reader must still
# get the data and end of file (Linux's wait_for_partner), never wait on.
# Each check prints "ok: ..." or "FAIL: ..."; exits 0 only when all passed.

. "$(dirname "$0")/lib/check.sh"

dir=${TMPDIR:-/tmp}/fifos.$$
mkdir -p "$dir"
rounds=200
good=0
i=0
while [ "$i" -lt "$rounds" ]; do
    mkfifo "$dir/f"
    (echo "round $i" > "$dir/f") &
    got=$(cat "$dir/f")
    wait $!
    [ "$got" = "round $i" ] && good=$((good + 1))
    rm "$dir/f"
    i=$((i + 1))
done
rm -rf "$dir"
check "$rounds writer and reader opens of a FIFO meet and carry the data" "$rounds" "$good"

echo "fifo tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
