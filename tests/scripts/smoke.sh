#!/bin/sh
# The shell's own features: no files needed.
echo "shell: $((6 * 7))"
x=1; while [ $x -lt 4 ]; do x=$((x + 1)); done; echo "loop: $x"
f() { echo "function: $1"; }; f arg
echo "pipe: $(echo abc | tr a-c x-z)"
sh -c 'exit 3'; echo "status: $?"
echo done
