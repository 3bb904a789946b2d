#!/bin/sh
# Busybox tools on the kernel: listing, searching, sorting, text tools,
# archives, checksums, many processes and timing. Each check prints "ok: ..."
# or "FAIL: ..."; exits 0 only when all passed.

. "$(dirname "$0")/lib/check.sh"

work=$(mktemp -d "${TMPDIR:-/tmp}/toolsXXXXXX") || { echo "FAIL: mktemp -d"; exit 1; }
cd "$work" || exit 1

n=$(ls / | wc -l)
check "ls / | wc -l counts the root's entries" "yes" "$([ "$n" -gt 5 ] && echo yes || echo "no ($n)")"

i=0
while [ $i -lt 500 ]; do /bin/true || break; i=$((i + 1)); done
check "a loop that runs 500 processes" "500" "$i"

mkdir -p tree/a/b tree/c
touch tree/a/one.txt tree/a/b/two.txt tree/c/three.log
check "find -name" "tree/a/b/two.txt tree/a/one.txt" "$(find tree -name '*.txt' | sort | tr '\n' ' ' | sed 's/ $//')"
check "find -type d" "4" "$(find tree -type d | wc -l | tr -d ' ')"
check "sort -n" "2 10 33" "$(printf '33\n2\n10\n' | sort -n | tr '\n' ' ' | sed 's/ $//')"
check "sort -u" "a b" "$(printf 'b\na\nb\n' | sort -u | tr '\n' ' ' | sed 's/ $//')"
check "sed substitution with a group" "key=value" "$(echo 'value=key' | sed 's/\(.*\)=\(.*\)/\2=\1/')"
check "awk sums a column" "60" "$(printf 'x 10\ny 20\nz 30\n' | awk '{ s += $2 } END { print s }')"
check "awk with a field separator" "b" "$(echo 'a:b:c' | awk -F: '{ print $2 }')"
check "xargs -n 1" "1 2 3" "$(echo 1 2 3 | xargs -n 1 echo | tr '\n' ' ' | sed 's/ $//')"
check "seq and tail" "10" "$(seq 1 10 | tail -n 1)"

# A file written then read back byte-identical.
dd if=/dev/urandom of=random.bin bs=1024 count=256 2>/dev/null
sum1=$(md5sum < random.bin | cut -d' ' -f1)
cp random.bin copy.bin
sum2=$(md5sum < copy.bin | cut -d' ' -f1)
check "256 KiB of random bytes copy byte-identical (md5sum)" "$sum1" "$sum2"
check "cmp agrees" "same" "$(cmp random.bin copy.bin && echo same)"

# tar creates and lists an archive.
tar -cf archive.tar tree
check "tar lists what it archived" "3" "$(tar -tf archive.tar | grep -c -v '/$')"
mkdir out && tar -xf archive.tar -C out
check "tar extracts the tree" "tree/a/b/two.txt" "$(cd out && find . -name two.txt | sed 's|^\./||')"

# sleep 1 takes one second (+- 10%), by the shell's microsecond clock; the
# best of three tries, so a loaded host adds no delay of its own.
best=999999
for try in 1 2 3; do
    t0=$EPOCHREALTIME
    sleep 1
    t1=$EPOCHREALTIME
    ms=$(echo "$t0 $t1" | awk '{ printf "%d", ($2 - $1) * 1000 }')
    [ "$ms" -ge 900 ] && [ "$ms" -lt "$best" ] && best=$ms
    [ "$best" -le 1100 ] && break
done
check "sleep 1 takes 900 to 1100 ms" "yes" "$([ "$best" -le 1100 ] && echo yes || echo "no ($best ms)")"

# A background job killed with SIGTERM, its status from wait.
sleep 30 &
job=$!
kill -TERM $job
wait $job
check "wait reports 128 + 15 for a job killed by SIGTERM" "143" "$?"

cd / && rm -rf "$work"
echo "tools tests: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
