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
        tcg) echo "-accel tcg -cpu max" ;;
        *) die "KERNEL_ACCEL must be tcg or kvm, not '${KERNEL_ACCEL}'" ;;
    esac
}

# The firmware: qboot is faster than SeaBIOS and ships with Debian's QEMU.
qemu_bios_args() {
    if [ -f /usr/share/qemu/qboot.rom ]; then echo "-bios /usr/share/qemu/qboot.rom"; fi
}
