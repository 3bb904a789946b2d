//! /proc in the guest: the procfs conformance programs (also run on the
//! host's Linux by tests/run-native), /proc/cpuinfo against CPUID on two
//! CPU models, busybox's process tools over /proc, and the crash trigger.

use std::ffi::OsString;
use std::io::Write as _;
use std::time::Duration;

use harness::{BootResult, Qemu, QemuConfig};

const BOOT_TIMEOUT: Duration = Duration::from_secs(90);

/// Boots with `console=ttyS0 panic=-1` plus `args` and QEMU arguments
/// `extra`, and checks that the kernel powered down without panicking.
fn boot_with(args: &str, extra: &[&str]) -> BootResult {
    let mut config = QemuConfig::from_env();
    config.extra = extra.iter().map(OsString::from).collect();
    let r = Qemu::boot_with(&config, &format!("console=ttyS0 panic=-1 {args}")).wait(BOOT_TIMEOUT);
    r.expect_clean_power_down();
    r
}

/// Runs conformance program `name` as init: every check passes.
fn conformance(name: &str, extra: &[&str]) -> BootResult {
    let r = boot_with(&format!("init=/{name}"), extra);
    r.expect_contains(&format!("Run /{name} as init process"));
    r.expect_absent("TFAIL");
    r.expect(r.contains("TPASS"), "no TPASS line: the program's checks did not run");
    r.expect_contains("init exited with status 0");
    r
}

fn show(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

#[test]
fn conformance_procself() {
    conformance("procself", &[]);
}

#[test]
fn conformance_procfiles() {
    conformance("procfiles", &[]);
}

/// /proc/cpuinfo matches CPUID on QEMU's `max` CPU (the default).
#[test]
fn cpuinfo_matches_cpuid_on_cpu_max() {
    let r = conformance("cpuinfo", &[]);
    show(r.find_containing("TPASS: flags").unwrap_or_default());
}

/// And on a named model, which has other identity and features.
#[test]
fn cpuinfo_matches_cpuid_on_skylake_client() {
    let r = conformance("cpuinfo", &["-cpu", "Skylake-Client"]);
    r.expect_contains("TPASS: vendor_id GenuineIntel");
    r.expect_contains("TPASS: model name \"Intel Core Processor (Skylake)\"");
    show(r.find_containing("TPASS: flags").unwrap_or_default());
}

/// ps, ps -o, top, free, uptime, mount, pidof, pgrep and kill on a known
/// process tree, a CPU-bound process and one that touches 32 MiB.
#[test]
fn busybox_process_tools_over_proc() {
    let r = boot_with("init=/bin/sh -- /tests/proctools.sh", &[]);
    let line = r.find_containing("proctools tests:").unwrap_or_default().to_string();
    show(&line);
    r.expect_absent("FAIL:");
    r.expect(line.ends_with(" 0 failed"), format!("proctools tests did not all pass: {line}"));
    r.expect_contains("init exited with status 0");
}

/// Writing `c` to /proc/sysrq-trigger panics the kernel, as Linux's crash
/// trigger; with `panic=-1` the machine then powers off at once.
#[test]
fn sysrq_trigger_c_panics_and_powers_off() {
    let script = "mount -t proc proc /proc; echo c > /proc/sysrq-trigger; echo survived";
    let r = harness::run(&format!("console=ttyS0 panic=-1 init=/bin/sh -- -c \"{script}\""), BOOT_TIMEOUT);
    r.expect(r.exited && !r.timed_out, "QEMU did not exit after the panic");
    r.expect_contains("sysrq: Trigger a crash");
    // The kernel exception report: the fault, CR2, registers, backtrace.
    r.expect_contains("kernel exception: page fault (vector 14, error code 0x2)");
    r.expect_contains("CR2: 0x0000000000000000");
    r.expect_contains("RIP: 0010:");
    r.expect_contains("Call Trace:");
    r.expect_contains("Kernel panic - not syncing: fatal kernel exception: page fault");
    r.expect_contains("reboot: Power down");
    r.expect(!r.has_line("survived"), "the shell went on after the crash");
    r.expect_absent("init exited");
}
