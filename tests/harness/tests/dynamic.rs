//! Programs that bring their own libraries: the root disk scripts/test
//! makes with scripts/disk-image (the initramfs tree plus Debian's ls,
//! sort and perl with their glibc libraries, and the vdso conformance
//! program linked dynamically against musl and against glibc) boots, and
//! tests/scripts/dynamic.sh runs them all.

use std::ffi::OsString;
use std::time::Duration;

use harness::{paths, Qemu, QemuConfig};

#[test]
fn dynamically_linked_musl_and_glibc_programs_run() {
    let image = paths::build_dir().join("dynamic.img");
    assert!(
        image.is_file(),
        "{} does not exist: scripts/test makes it with scripts/disk-image (see tests/scripts/dynamic.sh)",
        image.display()
    );
    let mut config = QemuConfig::from_env();
    let drive = format!("file={},if=none,id=d0,format=raw,snapshot=on", image.display());
    let device = "virtio-blk-pci,drive=d0,disable-legacy=off,disable-modern=on".to_string();
    config.extra.extend([OsString::from("-drive"), drive.into(), "-device".into(), device.into()]);
    let mut q = Qemu::boot_with(&config, "console=ttyS0 panic=-1 root=/dev/vda init=/bin/sh -- /tests/dynamic.sh");
    let r = q.wait(Duration::from_secs(180));
    r.expect_absent("FAIL:");
    let summary = r.find_line("dynamic: ").unwrap_or_default().to_string();
    r.expect(summary.trim_end() == "dynamic: 7 passed, 0 failed", format_args!("dynamic.sh's summary is {summary:?}"));
    r.expect_contains("init exited with status 0");
}
