//! Programs users bring, on the root disk scripts/test makes with
//! scripts/disk-image (the initramfs tree plus the programs below, with
//! their libraries):
//! - dynamically linked ones (tests/scripts/dynamic.sh): Debian's ls,
//!   sort and perl on glibc, and the vdso conformance program linked
//!   against musl and against glibc;
//! - real programs and their workloads (tests/scripts/real.sh), whose
//!   output must be the same as the same script's on the host: httpd on
//!   tokio, parsum on rayon, kvdb on redb, ripgrep, perl with threads,
//!   sqlite3.

use std::ffi::OsString;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use harness::{paths, BootResult, Qemu, QemuConfig};

fn image() -> PathBuf {
    let image = paths::build_dir().join("programs.img");
    assert!(
        image.is_file(),
        "{} does not exist: scripts/test makes it with scripts/disk-image (see tests/scripts/dynamic.sh)",
        image.display()
    );
    image
}

/// Boots with the programs' disk as the root (writes are discarded with
/// QEMU's snapshot) and runs `script`.
fn run_script(script: &str, cpus: usize) -> BootResult {
    let mut config = QemuConfig::from_env();
    config.smp = cpus;
    config.attach_disk(&image(), "snapshot=on");
    config.extra.extend(["-m", "1G"].map(OsString::from));
    let cmdline = format!("console=ttyS0 panic=-1 root=/dev/vda rw init=/bin/sh -- /tests/{script}");
    let mut q = Qemu::boot_with(&config, &cmdline);
    q.wait(Duration::from_secs(600))
}

#[test]
fn dynamically_linked_musl_and_glibc_programs_run() {
    let r = run_script("dynamic.sh", 2);
    r.expect_absent("FAIL:");
    let summary = r.find_line("dynamic: ").unwrap_or_default().to_string();
    r.expect(summary.trim_end() == "dynamic: 8 passed, 0 failed", format_args!("dynamic.sh's summary is {summary:?}"));
    r.expect_contains("init exited with status 0");
}

/// The lines between "== httpd" and "== end", less the timing lines and
/// the kernel's own messages.
fn workload_output(lines: impl Iterator<Item = String>) -> Vec<String> {
    lines
        .filter(|l| !is_kernel_message(l))
        .map(|l| l.trim_end().to_string())
        .skip_while(|l| l != "== httpd")
        .take_while(|l| l != "== end")
        .filter(|l| !l.starts_with("workload "))
        .collect()
}

/// A console line of the kernel's, with its "[    1.234567] " stamp.
fn is_kernel_message(line: &str) -> bool {
    line.strip_prefix('[')
        .and_then(|rest| rest.split_once("] "))
        .is_some_and(|(stamp, _)| stamp.trim().parse::<f64>().is_ok())
}

#[test]
fn real_programs_give_the_hosts_answers() {
    let real_bin = paths::build_dir().join("real");
    let work = std::env::temp_dir().join(format!("kestrel-real-{}", std::process::id()));
    let host = Command::new("sh")
        .arg(paths::workspace_root().join("tests/scripts/real.sh"))
        .env("REAL_BIN", &real_bin)
        .env("REAL_WORK", &work)
        .output()
        .expect("sh tests/scripts/real.sh on the host");
    let _ = std::fs::remove_dir_all(&work);
    let host_text = String::from_utf8_lossy(&host.stdout).into_owned();
    let expected = workload_output(host_text.lines().map(str::to_string));
    assert!(expected.len() > 10, "the host's run printed too little:\n{host_text}");

    let r = run_script("real.sh", 2);
    let got = workload_output(r.lines.iter().map(|(_, l)| l.clone()));
    r.expect(
        got == expected,
        format_args!(
            "the guest's output differs from the host's:\nhost:\n{}\nguest:\n{}",
            expected.join("\n"),
            got.join("\n")
        ),
    );
    for name in ["httpd", "parsum", "kvdb"] {
        r.expect(
            r.lines.iter().any(|(_, l)| l.contains(&format!("workload {name} "))),
            format_args!("no timing line from {name}"),
        );
    }
}
