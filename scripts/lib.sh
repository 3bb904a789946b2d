# Shared helpers for the project's scripts. Sourced, not run.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
BUILD="$ROOT/build"
KERNEL_TARGET=x86_64-unknown-none

say() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# QEMU accelerator: TCG unless the user asks for KVM (KERNEL_ACCEL=kvm or --kvm).
qemu_accel_args() {
    case "${KERNEL_ACCEL:-tcg}" in
        kvm) echo "-accel kvm -cpu host" ;;
        tcg) if [ "$(qemu_smp)" -gt 1 ]; then echo "-accel tcg,thread=multi -cpu max"; else echo "-accel tcg -cpu max"; fi ;;
        *) die "KERNEL_ACCEL must be tcg or kvm, not '${KERNEL_ACCEL}'" ;;
    esac
}

# The guest's vCPUs: KERNEL_SMP, else as many as the host has cores, at
# most 4 (each vCPU is a host thread under multi-threaded TCG).
qemu_smp() {
    local n="${KERNEL_SMP:-}"
    if [ -z "$n" ]; then
        n=$(nproc 2>/dev/null || echo 1)
        [ "$n" -gt 4 ] && n=4
    fi
    case "$n" in
        '' | *[!0-9]* | 0) die "KERNEL_SMP must be a CPU count, not '$n'" ;;
    esac
    echo "$n"
}

# The firmware: qboot is faster than SeaBIOS and ships with Debian's QEMU.
qemu_bios_args() {
    if [ -f /usr/share/qemu/qboot.rom ]; then echo "-bios /usr/share/qemu/qboot.rom"; fi
}
