# The test scripts' shared checker, sourced as
# `. "$(dirname "$0")/lib/check.sh"`: check NAME EXPECTED ACTUAL prints
# "ok: NAME" or "FAIL: ..." and counts both in $passed and $failed.

passed=0
failed=0
check() {
    if [ "$2" = "$3" ]; then
        passed=$((passed + 1)); echo "ok: $1"
    else
        failed=$((failed + 1)); echo "FAIL: $1: expected [$2], got [$3]"
    fi
}
