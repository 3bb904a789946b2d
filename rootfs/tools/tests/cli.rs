//! The tool end to end: mkfs from a tree made here, fsck, ls, cat,
//! extract and compare; export decoded by Debian's lz4 and zstd; damage
//! reported with a non-zero exit.

use std::fs;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

fn tool(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kestrel-fs")).args(args).output().expect("run kestrel-fs")
}

fn ok(args: &[&str]) -> Vec<u8> {
    let out = tool(args);
    assert!(out.status.success(), "kestrel-fs {args:?}: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

fn tempdir(tag: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("kestrel-fs-{tag}-{}", std::process::id()));
    let _ = fs::remove_dir_all(&d);
    fs::create_dir_all(&d).unwrap();
    d
}

fn text(n: usize) -> Vec<u8> {
    b"All work and no play makes a kestrel a dull bird.\n".iter().copied().cycle().take(n).collect()
}

fn noise(n: usize) -> Vec<u8> {
    let mut x = 0x9E37_79B9_7F4A_7C15u64;
    (0..n)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x as u8
        })
        .collect()
}

fn set_times(p: &Path, sec: i64, nsec: i64) {
    let t = rustix::fs::Timespec { tv_sec: sec, tv_nsec: nsec as _ };
    let ts = rustix::fs::Timestamps { last_access: t, last_modification: t };
    rustix::fs::utimensat(rustix::fs::CWD, p, &ts, rustix::fs::AtFlags::SYMLINK_NOFOLLOW).unwrap();
}

/// A tree with every file type, odd modes, owners and nanosecond times.
fn make_tree(root: &Path) -> bool {
    let as_root = rustix::process::geteuid().is_root();
    fs::create_dir_all(root.join("etc/deep/er")).unwrap();
    fs::write(root.join("etc/hostname"), b"kestrel\n").unwrap();
    fs::write(root.join("text"), text(700_000)).unwrap();
    fs::write(root.join("noise"), noise(300_000)).unwrap();
    fs::write(root.join("empty"), b"").unwrap();
    fs::write(root.join("etc/deep/er/file"), text(5000)).unwrap();
    fs::hard_link(root.join("text"), root.join("etc/text-link")).unwrap();
    symlink("../text", root.join("etc/sym")).unwrap();
    symlink("/nowhere/at/all", root.join("dangling")).unwrap();
    rustix::fs::mknodat(
        rustix::fs::CWD,
        root.join("fifo"),
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o640),
        0,
    )
    .unwrap();
    fs::set_permissions(root.join("noise"), fs::Permissions::from_mode(0o4755)).unwrap();
    fs::set_permissions(root.join("etc/deep"), fs::Permissions::from_mode(0o1777)).unwrap();
    if as_root {
        let dev = rustix::fs::makedev(4, 65);
        rustix::fs::mknodat(
            rustix::fs::CWD,
            root.join("ttyS1"),
            rustix::fs::FileType::CharacterDevice,
            rustix::fs::Mode::from_raw_mode(0o620),
            dev,
        )
        .unwrap();
        let dev = rustix::fs::makedev(259, 300);
        rustix::fs::mknodat(
            rustix::fs::CWD,
            root.join("nvme"),
            rustix::fs::FileType::BlockDevice,
            rustix::fs::Mode::from_raw_mode(0o660),
            dev,
        )
        .unwrap();
        std::os::unix::fs::lchown(root.join("etc/hostname"), Some(1000), Some(1001)).unwrap();
        std::os::unix::fs::lchown(root.join("etc/sym"), Some(7), Some(8)).unwrap();
    }
    set_times(&root.join("text"), 1_000_000_000, 123_456_789);
    set_times(&root.join("etc/sym"), 1_200_000_000, 5);
    set_times(&root.join("etc/deep/er"), 1_300_000_000, 999_999_999);
    as_root
}

/// Everything that must survive, for each path under `root`.
fn describe(root: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let mut names: Vec<_> = fs::read_dir(&dir).unwrap().map(|e| e.unwrap().path()).collect();
        names.sort();
        for p in names {
            let m = fs::symlink_metadata(&p).unwrap();
            let rel = p.strip_prefix(root).unwrap().display().to_string();
            let body = if m.is_file() {
                format!(
                    "{:x}",
                    fs::read(&p).unwrap().iter().fold(0u64, |h, &b| h.wrapping_mul(31).wrapping_add(b as u64))
                )
            } else if m.is_symlink() {
                fs::read_link(&p).unwrap().display().to_string()
            } else {
                String::new()
            };
            let nlink = if m.is_dir() { 0 } else { m.nlink() };
            // Directory mtimes and symlink atimes change as the tree is read.
            let mtime = if m.is_dir() && rel.contains("deep/er") || !m.is_dir() {
                format!("{}.{}", m.mtime(), m.mtime_nsec())
            } else {
                String::new()
            };
            out.push(format!(
                "{rel} {:o} {}:{} {} {} rdev={:x} {mtime} {body}",
                m.mode(),
                m.uid(),
                m.gid(),
                m.len(),
                nlink,
                m.rdev()
            ));
            if m.is_dir() {
                stack.push(p);
            }
        }
    }
    out
}

#[test]
fn mkfs_fsck_ls_cat_extract_round_trip() {
    let t = tempdir("roundtrip");
    let src = t.join("src");
    let as_root = make_tree(&src);
    for comp in ["lz4", "zstd:9", "none"] {
        let img = t.join(format!("img-{comp}"));
        let img = img.to_str().unwrap();
        ok(&["mkfs", img, src.to_str().unwrap(), "--compress", comp, "--label", "test"]);
        let out = String::from_utf8(ok(&["fsck", img])).unwrap();
        assert!(out.contains("clean"), "{out}");
        let ls = String::from_utf8(ok(&["ls", img, "/etc", "-l"])).unwrap();
        assert!(ls.contains("sym -> ../text"), "{ls}");
        assert!(ls.contains("hostname"), "{ls}");
        assert_eq!(ok(&["cat", img, "/etc/hostname"]), b"kestrel\n");
        assert_eq!(ok(&["cat", img, "/text"]), text(700_000));
        let dest = t.join(format!("out-{comp}"));
        ok(&["extract", img, dest.to_str().unwrap()]);
        assert_eq!(describe(&dest), describe(&src), "extract of {comp} differs");
        let info = String::from_utf8(ok(&["info", img])).unwrap();
        assert!(info.contains("label: test"), "{info}");
    }
    if !as_root {
        eprintln!("note: not root, so device nodes and owners were not tried");
    }
    fs::remove_dir_all(&t).unwrap();
}

fn decode(cmd: &str, file: &Path) -> Vec<u8> {
    let out = Command::new(cmd).args(["-d", "-c", "-q"]).arg(file).stderr(Stdio::piped()).output().expect(cmd);
    assert!(out.status.success(), "{cmd} -d: {}", String::from_utf8_lossy(&out.stderr));
    out.stdout
}

#[test]
fn export_decodes_with_the_real_lz4_and_zstd() {
    let t = tempdir("export");
    let src = t.join("src");
    fs::create_dir_all(&src).unwrap();
    // Text, incompressible data, a file with a hole, and an empty file.
    let mut mixed = text(200_000);
    mixed.extend(noise(150_000));
    mixed.extend(vec![0u8; 400_000]);
    mixed.extend(text(1234));
    fs::write(src.join("mixed"), &mixed).unwrap();
    fs::write(src.join("empty"), b"").unwrap();
    fs::write(src.join("small"), b"tiny").unwrap();
    for comp in ["lz4", "zstd", "zstd:19", "none"] {
        let img = t.join(format!("img-{comp}"));
        ok(&["mkfs", img.to_str().unwrap(), src.to_str().unwrap(), "--compress", comp]);
        for name in ["mixed", "empty", "small"] {
            let want = fs::read(src.join(name)).unwrap();
            for (format, cmd) in [("lz4", "lz4"), ("zstd", "zstd")] {
                let out = t.join(format!("{comp}-{name}.{format}"));
                let path = format!("/{name}");
                ok(&["export", img.to_str().unwrap(), &path, "--format", format, "-o", out.to_str().unwrap()]);
                assert!(decode(cmd, &out) == want, "{cmd} -d of {name} from a {comp} image differs");
            }
        }
        // The default format follows the file's own compression.
        let out = t.join(format!("{comp}-default"));
        let o = tool(&["export", img.to_str().unwrap(), "/mixed", "-o", out.to_str().unwrap()]);
        assert!(o.status.success());
        let cmd = if comp.starts_with("zstd") { "zstd" } else { "lz4" };
        assert!(decode(cmd, &out) == mixed);
        if comp != "none" {
            assert!(String::from_utf8_lossy(&o.stderr).contains("chunks copied as stored"));
        }
    }
    fs::remove_dir_all(&t).unwrap();
}

#[test]
fn fsck_reports_damage_with_a_nonzero_exit() {
    let t = tempdir("damage");
    let src = t.join("src");
    fs::create_dir_all(&src).unwrap();
    fs::write(src.join("f"), text(300_000)).unwrap();
    let img = t.join("img");
    ok(&["mkfs", img.to_str().unwrap(), src.to_str().unwrap()]);
    let mut bytes = fs::read(&img).unwrap();
    // The first chunk of /f is the first data written after the root: find it by its lz4 bytes changing.
    let clean = bytes.clone();
    let block = (3..bytes.len() / 4096)
        .find(|&b| clean[b * 4096..b * 4096 + 4] != *b"KSND" && clean[b * 4096..(b + 1) * 4096].iter().any(|&x| x != 0))
        .unwrap();
    bytes[block * 4096 + 10] ^= 0x20;
    fs::write(&img, &bytes).unwrap();
    let out = tool(&["fsck", img.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    let msg = String::from_utf8_lossy(&out.stdout);
    assert!(msg.contains("data checksum mismatch"), "{msg}");
    let cat = tool(&["cat", img.to_str().unwrap(), "/f"]);
    assert_eq!(cat.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&cat.stderr).contains("checksum mismatch"));
    // Both superblocks zeroed: refused with a message.
    bytes[4096..3 * 4096].fill(0);
    fs::write(&img, &bytes).unwrap();
    let out = tool(&["ls", img.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("no valid superblock"));
    fs::remove_dir_all(&t).unwrap();
}

#[test]
fn busybox_initramfs_round_trip() {
    let tree = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../build/initramfs");
    if !tree.join("bin/busybox").exists() {
        eprintln!("note: {} not built (scripts/build makes it); skipped", tree.display());
        return;
    }
    let t = tempdir("busybox");
    let img = t.join("img");
    ok(&["mkfs", img.to_str().unwrap(), tree.to_str().unwrap(), "--compress", "zstd"]);
    ok(&["fsck", img.to_str().unwrap()]);
    let dest = t.join("out");
    ok(&["extract", img.to_str().unwrap(), dest.to_str().unwrap()]);
    assert_eq!(describe(&dest), describe(&tree));
    assert_eq!(ok(&["cat", img.to_str().unwrap(), "/bin/busybox"]), fs::read(tree.join("bin/busybox")).unwrap());
    fs::remove_dir_all(&t).unwrap();
}

/// `mkfs --owner` gives every file that owner whoever owns the source;
/// `stat` shows an inode's record and how its chunks are stored.
#[test]
fn mkfs_owner_and_stat() {
    let dir = tempdir("owner");
    let src = dir.join("src");
    fs::create_dir_all(src.join("sub")).unwrap();
    fs::write(src.join("sub/big.txt"), text(300_000)).unwrap();
    fs::write(src.join("noise"), noise(200_000)).unwrap();
    let img = dir.join("img");
    let img = img.to_str().unwrap();
    ok(&["mkfs", img, src.to_str().unwrap(), "--compress", "zstd", "--owner", "7:8"]);
    let listing = String::from_utf8(ok(&["ls", img, "/", "-l", "-R"])).unwrap();
    for line in listing.lines().filter(|l| l.starts_with(['-', 'd'])) {
        assert!(line.split_whitespace().nth(2) == Some("7") && line.split_whitespace().nth(3) == Some("8"), "{line}");
    }
    let stat = String::from_utf8(ok(&["stat", img, "/sub/big.txt"])).unwrap();
    assert!(stat.contains("owner: 7 8\n") && stat.contains("size: 300000\n"), "{stat}");
    assert!(stat.contains("chunks: 0 raw, 0 lz4, 3 zstd\n") && stat.contains("compression: default\n"), "{stat}");
    let stat = String::from_utf8(ok(&["stat", img, "/noise"])).unwrap();
    assert!(stat.contains("chunks: 2 raw, 0 lz4, 0 zstd\n"), "incompressible data is stored raw:\n{stat}");
    assert!(!tool(&["mkfs", img, src.to_str().unwrap(), "--owner", "root"]).status.success());
    fs::remove_dir_all(&dir).ok();
}
