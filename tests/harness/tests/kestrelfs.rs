//! kestrelfs in the kernel, checked from both sides: images made by the
//! host tool (`build/kestrel-fs`) are attached as virtio disks, a busybox
//! script works on them in the guest, and the host tool checks what the
//! guest left: fsck, the bytes (`cat`) and how they are stored (`stat`).
//! Also: the file-system conformance programs on kestrelfs, a hard kill
//! after a sync, damaged and foreign images, the root on disk, and the
//! throughput figures.

use std::ffi::OsString;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use harness::{paths, BootResult, Qemu, QemuConfig};

const TIMEOUT: Duration = Duration::from_secs(180);

fn show(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

/// A fresh directory for one test's images.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kestrel-fs-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// Runs the host tool; returns its stdout, or panics with its stderr.
fn tool(args: &[&str]) -> Vec<u8> {
    let exe = paths::kestrel_fs();
    paths::require_file(&exe, "the host tool", "KESTREL_FS");
    let out = Command::new(&exe).args(args).output().unwrap_or_else(|e| panic!("{}: {e}", exe.display()));
    if !out.status.success() {
        panic!(
            "kestrel-fs {} failed ({}):\n{}{}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
    }
    out.stdout
}

fn text(bytes: Vec<u8>) -> String {
    String::from_utf8_lossy(&bytes).into_owned()
}

/// An image of `size` made by the host's mkfs from `files` (name, bytes).
fn mkfs(dir: &Path, name: &str, size: &str, compress: &str, files: &[(&str, &[u8])]) -> PathBuf {
    let src = dir.join(format!("{name}.src"));
    std::fs::create_dir_all(&src).unwrap();
    for (f, bytes) in files {
        std::fs::write(src.join(f), bytes).unwrap();
    }
    let image = dir.join(name);
    tool(&["mkfs", image.to_str().unwrap(), src.to_str().unwrap(), "--size", size, "--compress", compress]);
    image
}

/// QEMU with `images` as /dev/vda, /dev/vdb, ...
fn config(images: &[&Path]) -> QemuConfig {
    let mut config = QemuConfig::from_env();
    for image in images {
        config.attach_disk(image, "");
    }
    config
}

fn boot(images: &[&Path], args: &str) -> Qemu {
    Qemu::boot_with(&config(images), &format!("console=ttyS0 panic=-1 {args}"))
}

/// The fields `kestrel-fs stat` prints for `path`.
fn stat(image: &Path, path: &str) -> String {
    text(tool(&["stat", image.to_str().unwrap(), path]))
}

fn cat(image: &Path, path: &str) -> Vec<u8> {
    tool(&["cat", image.to_str().unwrap(), path])
}

fn fsck(image: &Path) {
    let out = text(tool(&["fsck", image.to_str().unwrap()]));
    show(out.trim_end());
}

/// The text the guest script writes with its `text` function.
fn script_text() -> Vec<u8> {
    (0..3000)
        .flat_map(|i| format!("kestrel line {i}: the quick brown fox jumps over the lazy dog\n").into_bytes())
        .collect()
}

#[track_caller]
fn expect_chunks(r: &BootResult, image: &Path, path: &str, want: &str) {
    let s = stat(image, path);
    r.expect(s.contains(want), format_args!("{path} is stored as\n{s}expected {want:?}"));
}

/// The guest creates, writes, renames, links, deletes, sets metadata and
/// compression, syncs and powers off; the host tool finds it all.
#[test]
fn guest_changes_reach_the_image() {
    let dir = scratch("rw");
    let image = mkfs(&dir, "disk.img", "32M", "none", &[("hello.txt", b"hello from the host")]);
    let mut q = boot(&[&image], "init=/bin/sh -- /tests/kestrelfs.sh");
    let r = q.wait(TIMEOUT);
    r.expect_clean_power_down();
    r.expect_absent("FAIL");
    r.expect_contains("kestrelfs: synced");
    r.expect_contains("kestrelfs: all ok");
    fsck(&image);
    let img = image.as_path();
    r.expect(cat(img, "/a/target") == b"winner\n", "/a/target");
    r.expect(cat(img, "/a/c2/file") == b"one\n", "/a/c2/file");
    r.expect(cat(img, "/hard") == b"shared\n", "/hard");
    r.expect(cat(img, "/late.txt") == b"after-remount\n", "the power-off did not commit /late.txt");
    for gone in ["/a/two", "/doomed", "/gone", "/open-unlinked", "/a/source"] {
        r.expect(
            Command::new(paths::kestrel_fs())
                .args(["cat", img.to_str().unwrap(), gone])
                .output()
                .is_ok_and(|o| !o.status.success()),
            format_args!("{gone} still exists"),
        );
    }
    let mut big = vec![b'k'; 300 * 4096];
    big[500_000..500_006].copy_from_slice(b"MIDDLE");
    big.truncate(1_000_000);
    r.expect(cat(img, "/big") == big, "/big differs");
    let text = script_text();
    for f in ["/deflt.txt", "/raw.txt", "/zstd.txt", "/compr.txt", "/plain2.txt", "/compr2.txt"] {
        r.expect(cat(img, f) == text, format_args!("{f} differs"));
    }
    let meta = stat(img, "/meta");
    r.expect(meta.contains("mode: -rwsr-x--x 104751") && meta.contains("owner: 12 34"), format_args!("/meta:\n{meta}"));
    r.expect(meta.contains("mtime: 981173106."), format_args!("/meta's mtime:\n{meta}"));
    r.expect(stat(img, "/sym").contains("lrwxrwxrwx"), "/sym");
    // The mount's compress=lz4; the xattr's none and zstd; chattr +c.
    expect_chunks(&r, img, "/deflt.txt", "chunks: 0 raw, 2 lz4, 0 zstd");
    expect_chunks(&r, img, "/raw.txt", "chunks: 2 raw, 0 lz4, 0 zstd");
    expect_chunks(&r, img, "/zstd.txt", "chunks: 0 raw, 0 lz4, 2 zstd");
    expect_chunks(&r, img, "/zstd.txt", "compression: zstd");
    expect_chunks(&r, img, "/compr.txt", "flags: 0x4");
    // Mounted again without compress=: mkfs's none, chattr +c's lz4.
    expect_chunks(&r, img, "/plain2.txt", "chunks: 2 raw, 0 lz4, 0 zstd");
    expect_chunks(&r, img, "/compr2.txt", "chunks: 0 raw, 2 lz4, 0 zstd");
    std::fs::remove_dir_all(&dir).ok();
}

/// The file-system conformance programs (fsfile, fspath, fsdir, fsattr,
/// fsdev, fsperm, mmapfile: Linux's rules, checked on Linux first) with
/// their /tmp on kestrelfs; the image they leave passes fsck.
#[test]
fn conformance_programs_on_kestrelfs() {
    let dir = scratch("conformance");
    let image = mkfs(&dir, "disk.img", "32M", "lz4", &[]);
    let mut q = boot(&[&image], "init=/bin/sh -- /tests/kestrelfs-conformance.sh");
    let r = q.wait(TIMEOUT);
    r.expect_clean_power_down();
    r.expect_absent("FAIL");
    r.expect_contains("conformance on kestrelfs: 7 passed, 0 failed");
    fsck(&image);
    std::fs::remove_dir_all(&dir).ok();
}

/// A hard kill (SIGKILL to QEMU: no shutdown, no flush) while the guest
/// keeps writing: the image passes fsck and holds what was synced.
#[test]
fn hard_kill_keeps_what_was_synced() {
    let dir = scratch("crash");
    let image = mkfs(&dir, "disk.img", "64M", "lz4", &[]);
    let mut q = boot(&[&image], "init=/bin/sh -- /tests/kestrelfs-crash.sh");
    let marked = q.wait_for("kestrelfs: marker", TIMEOUT);
    // Some seconds of writes and commits after the marker, then the cut.
    std::thread::sleep(Duration::from_secs(4));
    let r = q.kill();
    r.expect(marked.is_some(), "no marker: the script did not get to its sync");
    r.expect(!r.exited, "QEMU stopped before it was killed");
    r.expect_absent("Kernel panic");
    fsck(&image);
    let expected: Vec<u8> =
        (0..4000).flat_map(|i| format!("synced line {i} of the crash test\n").into_bytes()).collect();
    r.expect(cat(&image, "/synced.txt") == expected, "/synced.txt differs from what was synced");
    r.expect(cat(&image, "/dir/file") == b"in-a-dir\n", "/dir/file differs");
    let line = r.find_containing("kestrelfs: synced.bin md5 ").unwrap_or_default().to_string();
    let want = line.rsplit(' ').next().unwrap_or_default().to_string();
    let bin = dir.join("synced.bin");
    std::fs::write(&bin, cat(&image, "/synced.bin")).unwrap();
    let md5 = Command::new("md5sum").arg(&bin).output().expect("md5sum");
    let got = text(md5.stdout).split(' ').next().unwrap_or_default().to_string();
    r.expect(!want.is_empty() && got == want, format_args!("/synced.bin md5 {got}, synced {want}"));
    let counter = text(cat(&image, "/counter"));
    show(&format!("crash: {} writes after the marker were committed before the kill", counter.lines().count()));
    std::fs::remove_dir_all(&dir).ok();
}

/// Zeroed superblocks, a flipped metadata byte, a foreign disk: each mount
/// is refused with a log line saying why, and a root on such a disk falls
/// back to the initramfs. A flipped data byte fails that file's reads.
#[test]
fn damaged_and_foreign_images_are_refused() {
    let dir = scratch("damaged");
    let files: &[(&str, &[u8])] = &[("a", b"alpha"), ("b", b"beta")];
    let zeroed = mkfs(&dir, "zeroed.img", "8M", "lz4", files);
    let mut bytes = std::fs::read(&zeroed).unwrap();
    bytes[4096..3 * 4096].fill(0);
    std::fs::write(&zeroed, &bytes).unwrap();

    // The inode table's root block, from the newer superblock copy
    // (generation at offset 16, inode table root at offset 96).
    let flipped = mkfs(&dir, "flipped.img", "8M", "lz4", files);
    let mut bytes = std::fs::read(&flipped).unwrap();
    let field = |slot: usize, at: usize| u64::from_le_bytes(bytes[(slot + 1) * 4096 + at..][..8].try_into().unwrap());
    let slot = if field(0, 16) > field(1, 16) { 0 } else { 1 };
    let inode_root = field(slot, 96) as usize;
    bytes[inode_root * 4096 + 200] ^= 0x55;
    std::fs::write(&flipped, &bytes).unwrap();

    let foreign = dir.join("foreign.img");
    std::fs::write(&foreign, vec![0x5a; 4 << 20]).unwrap();

    // A file stored raw, one byte of its data flipped.
    let marker = b"kestrel data marker ".repeat(100);
    let data = mkfs(&dir, "data.img", "8M", "none", &[("a", &marker), ("b", b"beta")]);
    let mut bytes = std::fs::read(&data).unwrap();
    let at = bytes.windows(marker.len()).position(|w| w == marker.as_slice()).expect("the raw data is in the image");
    bytes[at + 1000] ^= 1;
    std::fs::write(&data, &bytes).unwrap();

    let mut q =
        boot(&[&zeroed, &flipped, &foreign, &data], "root=/dev/vda rw init=/bin/sh -- /tests/kestrelfs-damaged.sh");
    let r = q.wait(TIMEOUT);
    r.expect_clean_power_down();
    r.expect_contains("kestrelfs (vda): cannot mount: filesystem damaged: no valid superblock");
    r.expect_contains("VFS: Cannot mount root device /dev/vda (error -22); staying on the initramfs");
    r.expect_contains("kestrelfs: running on the initramfs");
    r.expect_contains("refused: /dev/vda: mount: mounting /dev/vda on /mnt failed: Invalid argument");
    r.expect_contains(&format!(
        "kestrelfs (vdb): cannot mount: filesystem damaged: inode table leaf at block {inode_root}: checksum mismatch"
    ));
    // EUCLEAN, for which musl has no text.
    r.expect_contains("refused: /dev/vdb: mount: mounting /dev/vdb on /mnt failed: No error information");
    r.expect_contains(
        "kestrelfs (vdc): cannot mount: filesystem damaged: no valid superblock: copy 0 (block 1): bad magic",
    );
    r.expect_contains("refused: /dev/vdc: mount: mounting /dev/vdc on /mnt failed: Invalid argument");
    r.expect(
        r.contains("kestrelfs (vdd): filesystem damaged: inode 2 chunk 0: data checksum mismatch"),
        "no log line for the damaged chunk",
    );
    r.expect_contains("kestrelfs: the undamaged file reads");
    r.expect_absent("FAIL");
    r.expect_contains("kestrelfs: done");
    std::fs::remove_dir_all(&dir).ok();
}

/// `root=/dev/vda` with the image scripts/build makes: busybox init runs
/// from the disk, a file made at the shell prompt is on the disk after
/// `poweroff`.
#[test]
fn root_on_disk_boots_busybox() {
    let dir = scratch("root");
    let image = dir.join("rootfs.img");
    let built = paths::rootfs_image();
    paths::require_file(&built, "the root disk image", "ROOTFS_IMG");
    std::fs::copy(&built, &image).unwrap();
    let mut q = boot(&[&image], "root=/dev/vda rw init=/sbin/init");
    let prompt = q.wait_for("/ # ", TIMEOUT);
    if prompt.is_some() {
        q.send("echo made-at-the-prompt > /root/proof; stat -f -c %t /; poweroff\n").unwrap();
    }
    let r = q.wait(TIMEOUT);
    r.expect(prompt.is_some(), "no shell prompt");
    r.expect_clean_power_down();
    r.expect_contains("VFS: Mounted root (kestrelfs filesystem) on device 254:0.");
    r.expect_contains("4b535452");
    fsck(&image);
    r.expect(cat(&image, "/root/proof") == b"made-at-the-prompt\n", "/root/proof is not on the disk");
    std::fs::remove_dir_all(&dir).ok();
}

/// A file larger than RAM reads whole: 1 GiB of pseudo-random bytes on
/// kestrelfs, md5sum'd by a 256 MiB guest, matches the host's checksum,
/// and the shell works afterwards (tests/scripts/bigread.sh).
#[test]
fn a_file_larger_than_ram_reads_whole() {
    let dir = scratch("bigread");
    let src = dir.join("src");
    std::fs::create_dir_all(&src).unwrap();
    let mut state = 0x9e37_79b9_7f4a_7c15u64;
    let mut block = vec![0u8; 1 << 20];
    let mut out = std::io::BufWriter::new(std::fs::File::create(src.join("big.bin")).unwrap());
    for _ in 0..1024 {
        for word in block.chunks_exact_mut(8) {
            // xorshift64: cheap bytes that do not compress.
            state ^= state << 13;
            state ^= state >> 7;
            state ^= state << 17;
            word.copy_from_slice(&state.to_le_bytes());
        }
        out.write_all(&block).unwrap();
    }
    drop(out);
    let host = Command::new("md5sum").arg(src.join("big.bin")).output().expect("md5sum on the host");
    let host = String::from_utf8_lossy(&host.stdout).split_whitespace().next().unwrap_or_default().to_string();
    let image = dir.join("big.img");
    tool(&["mkfs", image.to_str().unwrap(), src.to_str().unwrap(), "--size", "1100M", "--compress", "none"]);
    std::fs::remove_dir_all(&src).ok();
    let mut config = config(&[&image]);
    config.extra.extend(["-m", "256M"].iter().map(OsString::from));
    let mut q = Qemu::boot_with(&config, "console=ttyS0 panic=-1 init=/bin/sh -- /tests/bigread.sh");
    let r = q.wait(Duration::from_secs(300));
    r.expect_clean_power_down();
    std::fs::remove_dir_all(&dir).ok();
    let sum = r.find_containing("bigread: ").unwrap_or_default().to_string();
    r.expect(
        sum.contains(&format!("{host}  /mnt/big.bin")),
        format_args!("the guest's md5sum is {sum:?}, the host's {host}"),
    );
    r.expect_contains("bigread: after: still here big.bin");
    for line in ["pgsteal_direct", "Cached:"] {
        show(r.find_containing(&format!("bigread: {line}")).unwrap_or_default());
    }
    r.expect_contains("bigread: done");
}

/// The benchmark's disk workloads (tests/scripts/diskbench.sh, as
/// scripts/bench runs them, with 16 MiB files) on kestrelfs uncompressed,
/// lz4 and zstd: every figure is printed (speed is not checked), the text
/// takes less room compressed, and the image passes fsck afterwards.
#[test]
fn disk_benchmark_workloads() {
    let dir = scratch("bench");
    let image = mkfs(&dir, "disk.img", "256M", "none", &[]);
    let mut q = boot(&[&image], "init=/bin/sh -- /tests/diskbench.sh 16");
    let r = q.wait(Duration::from_secs(300));
    r.expect_clean_power_down();
    let mut space = Vec::new();
    for label in ["kestrelfs", "kestrelfs lz4", "kestrelfs zstd"] {
        for what in ["write text+fsync", "write random+fsync", "cold read text", "cold read random"] {
            let line = r.find_containing(&format!("bench: disk {what} ({label}): ")).unwrap_or_default().to_string();
            r.expect(line.contains(" MB/s"), format_args!("no {what} figure for {label}"));
            show(&line);
        }
        let line =
            r.find_containing(&format!("bench: disk create 2000 x 4 KiB + sync ({label}): ")).unwrap_or_default();
        r.expect(line.ends_with(" ms"), format_args!("no file creation figure for {label}"));
        show(line);
        let line = r.find_containing(&format!("bench: disk space for 16 MiB of text ({label}): ")).unwrap_or_default();
        show(line);
        let used =
            line.rsplit(": ").next().and_then(|v| v.strip_suffix(" MiB used")).and_then(|v| v.parse::<f64>().ok());
        r.expect(used.is_some(), format_args!("no space figure for {label}"));
        space.push(used.unwrap_or(0.0));
    }
    r.expect((15.5..17.0).contains(&space[0]), format_args!("16 MiB uncompressed took {} MiB", space[0]));
    r.expect(
        space[1] < space[0] / 2.0 && space[2] < space[0] / 2.0,
        format_args!("compressed text took {space:?} MiB"),
    );
    r.expect_contains("bench: done");
    fsck(&image);
    std::fs::remove_dir_all(&dir).ok();
}

/// A MAP_SHARED file mapping on the native filesystem, written and
/// msync(MS_SYNC)ed, survives a hard kill of QEMU right after msync
/// returns (writeback would wait 5 s): the image passes fsck and holds it.
#[test]
fn msync_data_survives_a_hard_kill() {
    let dir = scratch("msync");
    let image = mkfs(&dir, "disk.img", "16M", "lz4", &[]);
    let mut q = boot(&[&image], "init=/msyncdisk");
    let marked = q.wait_for("msyncdisk: marker", TIMEOUT);
    std::thread::sleep(Duration::from_millis(500));
    let r = q.kill();
    r.expect(marked.is_some(), "no marker: the program did not get past msync");
    r.expect_absent("TFAIL");
    fsck(&image);
    let want: Vec<u8> = (0..8192u32).map(|i| (i.wrapping_mul(13).wrapping_add(7)) as u8).collect();
    r.expect(cat(&image, "/mapped") == want, "/mapped does not hold what was msync'ed");
    std::fs::remove_dir_all(&dir).ok();
}
