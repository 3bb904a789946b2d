//! The virtio disk: a raw image attached with QEMU's virtio-blk-pci is
//! /dev/vda in the guest; what the guest reads is the image's bytes, and
//! what it writes is in the image after the machine powers off.

use std::time::Duration;

use harness::{Qemu, QemuConfig};

#[test]
fn virtio_disk_reads_and_writes_through_dev_vda() {
    let dir = std::env::temp_dir().join(format!("kestrel-blk-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let image = dir.join("disk.img");
    let mut bytes: Vec<u8> = (0..(1u32 << 20)).map(|i| (i * 7 % 251) as u8).collect();
    bytes[..16].copy_from_slice(b"kestrel-disk-ok!");
    std::fs::write(&image, &bytes).unwrap();

    let mut config = QemuConfig::from_env();
    config.attach_disk(&image, "");
    let script = "ls -l /dev/vda; echo header:$(head -c 16 /dev/vda); \
                  echo written-by-guest | dd of=/dev/vda bs=1 seek=8192 conv=notrunc 2>/dev/null; sync";
    let mut q = Qemu::boot_with(&config, &format!("console=ttyS0 panic=-1 init=/bin/sh -- -c \"{script}\""));
    let r = q.wait(Duration::from_secs(90));
    r.expect_clean_power_down();
    r.expect_contains("vda: 2048 sectors (1 MiB)");
    r.expect_contains("header:kestrel-disk-ok!");
    r.expect_contains("init exited with status 0");

    let after = std::fs::read(&image).unwrap();
    assert_eq!(&after[8192..8192 + 17], b"written-by-guest\n", "the guest's write is not in the image");
    assert_eq!(after[..8192], bytes[..8192], "bytes before the write changed");
    assert_eq!(after[8192 + 17..], bytes[8192 + 17..], "bytes after the write changed");
    std::fs::remove_dir_all(&dir).ok();
}
