#!/bin/sh
# kernel-only: a process that allocates until it fails; the shell goes on
# after it. (On a host it would take all the memory.)
/memhog
echo "memhog exit status: $?"
echo "after: $(echo still alive)"
i=0; while [ $i -lt 20 ]; do /bin/true; i=$((i + 1)); done
echo "forks after pressure: $i"
