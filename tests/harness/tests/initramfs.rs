//! Mutated initramfs archives: the test initramfs followed by a small cpio
//! archive of every entry kind (directories, files, a hard link, a symlink,
//! a device node, a FIFO) with changed header fields, flipped bytes or a
//! cut. The kernel unpacks what it can, logs what stops it, and boots to
//! init as Linux does with a damaged trailing archive: never a panic.

use std::path::PathBuf;
use std::time::Duration;

use harness::{Qemu, QemuConfig};

const TIMEOUT: Duration = Duration::from_secs(60);
const MUTANTS: u64 = 100;

/// One newc entry: name, mode, inode number, link count, device number, data.
fn entry(out: &mut Vec<u8>, name: &str, mode: u32, ino: u32, nlink: u32, rdev: (u32, u32), data: &[u8]) {
    let fields =
        [ino, mode, 0, 0, nlink, 1_700_000_000, data.len() as u32, 0, 0, rdev.0, rdev.1, name.len() as u32 + 1, 0];
    out.extend_from_slice(b"070701");
    for f in fields {
        out.extend_from_slice(format!("{f:08X}").as_bytes());
    }
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
    out.extend_from_slice(data);
    while !out.len().is_multiple_of(4) {
        out.push(0);
    }
}

fn small_archive() -> Vec<u8> {
    let mut a = Vec::new();
    let text = b"a file from the trailing archive\n".repeat(3);
    entry(&mut a, "x", 0o040755, 900, 2, (0, 0), b"");
    entry(&mut a, "x/f", 0o100644, 901, 2, (0, 0), &text);
    entry(&mut a, "x/h", 0o100644, 901, 2, (0, 0), &text);
    entry(&mut a, "x/l", 0o120777, 902, 1, (0, 0), b"f");
    entry(&mut a, "x/d", 0o040700, 903, 2, (0, 0), b"");
    entry(&mut a, "x/d/g", 0o100600, 904, 1, (0, 0), b"g\n");
    entry(&mut a, "x/n", 0o020666, 905, 1, (1, 3), b"");
    entry(&mut a, "x/p", 0o010644, 906, 1, (0, 0), b"");
    entry(&mut a, "TRAILER!!!", 0, 0, 1, (0, 0), b"");
    a
}

struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Header offsets of the archive's entries.
fn headers(a: &[u8]) -> Vec<usize> {
    (0..a.len().saturating_sub(6)).filter(|&i| i % 4 == 0 && &a[i..i + 6] == b"070701").collect()
}

fn mutate(base: &[u8], rng: &mut Rng) -> (Vec<u8>, &'static str) {
    let mut a = base.to_vec();
    let hdrs = headers(&a);
    let h = hdrs[rng.below(hdrs.len())];
    match rng.below(4) {
        0 => {
            const VALUES: [&[u8; 8]; 8] = [
                b"FFFFFFFF",
                b"00000000",
                b"7FFFFFFF",
                b"80000000",
                b"ZZZZZZZZ",
                b"0000FFFF",
                b"00100000",
                b"-0000001",
            ];
            let field = rng.below(13);
            a[h + 6 + field * 8..][..8].copy_from_slice(VALUES[rng.below(VALUES.len())]);
            (a, "a header field at an extreme")
        }
        1 => {
            // The file type bits: every kind, and impossible ones.
            const TYPES: [u32; 8] = [0o000000, 0o010000, 0o020000, 0o060000, 0o140000, 0o170000, 0o110000, 0o050000];
            let mode = TYPES[rng.below(TYPES.len())] | 0o755;
            a[h + 14..][..8].copy_from_slice(format!("{mode:08X}").as_bytes());
            (a, "a file type")
        }
        2 => {
            for _ in 0..1 + rng.below(8) {
                let i = rng.below(a.len());
                a[i] = rng.next() as u8;
            }
            (a, "random bytes")
        }
        _ => {
            let cut = rng.below(a.len());
            a.truncate(cut);
            (a, "a cut")
        }
    }
}

#[test]
fn damaged_trailing_archives_leave_the_kernel_booting() {
    let base = std::fs::read(harness::paths::initramfs()).expect("the test initramfs (scripts/build)");
    let small = small_archive();
    let dir = std::env::temp_dir().join(format!("kestrel-initramfs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut refused = 0;
    for i in 0..=MUTANTS {
        let (tail, what) = if i == 0 { (small.clone(), "none") } else { mutate(&small, &mut rng) };
        let initrd: PathBuf = dir.join("initrd.cpio");
        std::fs::write(&initrd, [base.as_slice(), &tail].concat()).unwrap();
        let config = QemuConfig { initrd, ..QemuConfig::from_env() };
        let mut q =
            Qemu::boot_with(&config, "console=ttyS0 panic=-1 init=/bin/sh -- -c \"ls -l /x | cat; echo booted\"");
        let r = q.wait(TIMEOUT);
        r.expect_clean_power_down();
        r.expect(r.has_line("booted"), format_args!("mutant {i} ({what}): init did not run"));
        if i == 0 {
            r.expect_absent("Initramfs unpacking failed");
            r.expect(r.contains("l -> f"), "the trailing archive's symlink is missing");
        }
        refused += usize::from(r.contains("Initramfs unpacking failed"));
    }
    println!("initramfs: {MUTANTS} damaged trailing archives booted; {refused} stopped the unpacking with a log line");
    std::fs::remove_dir_all(&dir).ok();
}
