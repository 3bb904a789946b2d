//! Every file type and all metadata survive a commit and a remount;
//! compression choices are honoured and incompressible data is stored raw.

mod common;

use common::*;
use kestrelfs::inode::*;
use kestrelfs::{Algorithm, Compression, Error, Fs, Inode, Layout, MemDevice, NewInode, SetAttr, Timespec};

fn reopen(fs: Fs<MemDevice>) -> Fs<MemDevice> {
    let mut dev = fs.into_device();
    assert_clean(&mut dev);
    open(dev)
}

fn get(fs: &mut Fs<MemDevice>, name: &[u8]) -> Inode {
    let ino = fs.lookup(1, name).unwrap();
    fs.inode(ino).unwrap()
}

#[test]
fn every_file_type_and_its_metadata() {
    let mut fs = format(4096, Compression::LZ4);
    let root = fs.root();
    let dir = fs.mkdir(root, b"etc", 0o750, 10, 20).unwrap();
    let file = fs.create(dir, b"passwd", &NewInode::new(S_IFREG | 0o4644, 1000, 1001)).unwrap();
    fs.write(file, 0, b"root:x:0:0:root:/root:/bin/sh\n").unwrap();
    let big = fs.create(root, b"big", &NewInode::new(S_IFREG | 0o600, 0, 0)).unwrap();
    let big_data = text(1_000_000, 7);
    fs.write(big, 0, &big_data).unwrap();
    fs.symlink(root, b"short", b"etc/passwd", 5, 6).unwrap();
    let long_target = vec![b'x'; 300];
    fs.symlink(root, b"long", &long_target, 0, 0).unwrap();
    fs.link(file, root, b"hardlink").unwrap();
    let chr = NewInode { rdev_major: 4, rdev_minor: 64, ..NewInode::new(S_IFCHR | 0o620, 0, 5) };
    fs.create(root, b"ttyS0", &chr).unwrap();
    let blk = NewInode { rdev_major: 254, rdev_minor: 1, ..NewInode::new(S_IFBLK | 0o660, 0, 6) };
    fs.create(root, b"vda1", &blk).unwrap();
    fs.create(root, b"fifo", &NewInode::new(S_IFIFO | 0o644, 0, 0)).unwrap();
    fs.create(root, b"sock", &NewInode::new(S_IFSOCK | 0o755, 0, 0)).unwrap();
    let t = |sec, nsec| Some(Timespec { sec, nsec });
    fs.set_attr(file, &SetAttr { atime: t(1, 2), mtime: t(-3, 999_999_999), ctime: t(5, 6), ..Default::default() })
        .unwrap();
    fs.sync().unwrap();

    let mut fs = reopen(fs);
    let names: Vec<Vec<u8>> = fs.readdir(root).unwrap().into_iter().map(|(n, _)| n).collect();
    let expect: Vec<&[u8]> = vec![b"big", b"etc", b"fifo", b"hardlink", b"long", b"short", b"sock", b"ttyS0", b"vda1"];
    assert_eq!(names, expect);
    let f = fs.inode(file).unwrap();
    assert_eq!((f.mode, f.uid, f.gid, f.nlink), (S_IFREG | 0o4644, 1000, 1001, 2));
    assert_eq!((f.atime, f.mtime, f.ctime), (t(1, 2).unwrap(), t(-3, 999_999_999).unwrap(), t(5, 6).unwrap()));
    assert!(matches!(f.layout, Layout::Inline(_)), "a 30-byte file lives in its inode");
    assert_eq!(
        {
            let h = fs.lookup_path(b"/hardlink").unwrap();
            fs.read_all(h)
        }
        .unwrap(),
        b"root:x:0:0:root:/root:/bin/sh\n"
    );
    let d = fs.inode(dir).unwrap();
    assert_eq!((d.mode, d.uid, d.gid, d.nlink, d.parent), (S_IFDIR | 0o750, 10, 20, 2, root));
    assert_eq!(fs.inode(root).unwrap().nlink, 3);
    assert_eq!(fs.read_all(big).unwrap(), big_data);
    assert!(matches!(fs.inode(big).unwrap().layout, Layout::Tree { .. }), "8 chunks need a chunk map tree");
    let short = fs.lookup(root, b"short").unwrap();
    let long = fs.lookup(root, b"long").unwrap();
    assert_eq!(fs.readlink(short).unwrap(), b"etc/passwd");
    assert_eq!((fs.inode(short).unwrap().uid, fs.inode(short).unwrap().mode), (5, S_IFLNK | 0o777));
    assert_eq!(fs.readlink(long).unwrap(), long_target);
    let c = get(&mut fs, b"ttyS0");
    assert_eq!((c.file_type(), c.rdev_major, c.rdev_minor, c.gid), (FileType::CharDevice, 4, 64, 5));
    let b = get(&mut fs, b"vda1");
    assert_eq!((b.file_type(), b.rdev_major, b.rdev_minor), (FileType::BlockDevice, 254, 1));
    assert_eq!(get(&mut fs, b"fifo").file_type(), FileType::Fifo);
    assert_eq!(get(&mut fs, b"sock").file_type(), FileType::Socket);
}

#[test]
fn sparse_files_truncate_and_overwrite() {
    let mut fs = format(4096, Compression::ZSTD);
    let f = fs.create(1, b"sparse", &NewInode::new(S_IFREG | 0o644, 0, 0)).unwrap();
    fs.write(f, 10 << 20, b"end").unwrap();
    fs.write(f, 5, b"start").unwrap();
    fs.sync().unwrap();
    let mut fs = reopen(fs);
    let i = fs.inode(f).unwrap();
    assert_eq!(i.size, (10 << 20) + 3);
    assert!(i.blocks <= 4, "holes take no blocks ({} used)", i.blocks);
    let mut buf = vec![1u8; 16];
    fs.read(f, 0, &mut buf).unwrap();
    assert_eq!(&buf, b"\0\0\0\0\0start\0\0\0\0\0\0");
    fs.truncate(f, 7).unwrap();
    fs.truncate(f, 300_000).unwrap();
    fs.write(f, 200_000, &text(50_000, 3)).unwrap();
    fs.sync().unwrap();
    let mut fs = reopen(fs);
    let all = fs.read_all(f).unwrap();
    assert_eq!(all.len(), 300_000);
    assert_eq!(&all[..8], b"\0\0\0\0\0st\0");
    assert!(all[8..200_000].iter().all(|&b| b == 0));
    assert_eq!(&all[200_000..250_000], &text(50_000, 3)[..]);
    fs.truncate(f, 0).unwrap();
    fs.sync().unwrap();
    let mut fs = reopen(fs);
    assert_eq!(fs.inode(f).unwrap().blocks, 0);
    assert_eq!(fs.inode(f).unwrap().layout, Layout::Empty);
}

#[test]
fn compression_choices() {
    let mut noise_rng = Rng(99);
    let noise = noise_rng.bytes(300_000);
    let txt = text(300_000, 5);
    for default in [Compression::NONE, Compression::LZ4, Compression::ZSTD] {
        let mut fs = format(8192, default);
        let t = fs.create(1, b"text", &NewInode::new(S_IFREG | 0o644, 0, 0)).unwrap();
        fs.write(t, 0, &txt).unwrap();
        let n = fs.create(1, b"noise", &NewInode::new(S_IFREG | 0o644, 0, 0)).unwrap();
        fs.write(n, 0, &noise).unwrap();
        // Per-file choices: the xattr-style algorithm, and chattr's +m / +c.
        let z = fs.create(1, b"zstd19", &NewInode::new(S_IFREG | 0o644, 0, 0)).unwrap();
        fs.set_compression(z, Some(Compression::parse("zstd:19").unwrap())).unwrap();
        fs.write(z, 0, &txt).unwrap();
        let m = fs.create(1, b"nocomp", &NewInode::new(S_IFREG | 0o644, 0, 0)).unwrap();
        fs.set_flags(m, FS_NOCOMP_FL).unwrap();
        fs.write(m, 0, &txt).unwrap();
        let c = fs.create(1, b"compr", &NewInode::new(S_IFREG | 0o644, 0, 0)).unwrap();
        fs.set_flags(c, FS_COMPR_FL).unwrap();
        fs.write(c, 0, &txt).unwrap();
        fs.sync().unwrap();
        let mut fs = reopen(fs);
        let algos = |fs: &mut Fs<MemDevice>, ino| -> Vec<Algorithm> {
            fs.chunks(ino).unwrap().iter().map(|(_, p)| p.algorithm).collect()
        };
        for ino in [t, n, z, m, c] {
            assert_eq!(&fs.read_all(ino).unwrap(), if ino == n { &noise } else { &txt });
        }
        assert!(algos(&mut fs, t).iter().all(|&a| a == default.algorithm));
        assert!(algos(&mut fs, n).iter().all(|&a| a == Algorithm::None), "incompressible data is stored raw");
        assert!(algos(&mut fs, z).iter().all(|&a| a == Algorithm::Zstd));
        assert!(algos(&mut fs, m).iter().all(|&a| a == Algorithm::None));
        let want_c = if default.algorithm == Algorithm::None { Algorithm::Lz4 } else { default.algorithm };
        assert!(algos(&mut fs, c).iter().all(|&a| a == want_c));
        if default.algorithm != Algorithm::None {
            assert!(fs.inode(t).unwrap().blocks * 4096 < txt.len() as u64 / 2, "text compresses");
        }
    }
}

#[test]
fn mount_option_overrides_default_compression() {
    let fs = format(4096, Compression::NONE);
    let opts = kestrelfs::OpenOptions { compression: Some(Compression::ZSTD), ..Default::default() };
    let mut fs = Fs::open(fs.into_device(), opts, clock()).unwrap();
    let f = fs.create(1, b"f", &NewInode::new(S_IFREG | 0o644, 0, 0)).unwrap();
    fs.write(f, 0, &text(200_000, 1)).unwrap();
    fs.sync().unwrap();
    assert!(fs.chunks(f).unwrap().iter().all(|(_, p)| p.algorithm == Algorithm::Zstd));
}

#[test]
fn namespace_errors_and_rename() {
    let mut fs = format(2048, Compression::LZ4);
    let a = fs.mkdir(1, b"a", 0o755, 0, 0).unwrap();
    let b = fs.mkdir(a, b"b", 0o755, 0, 0).unwrap();
    let f = fs.create(b, b"f", &NewInode::new(S_IFREG | 0o644, 0, 0)).unwrap();
    assert_eq!(fs.mkdir(1, b"a", 0o755, 0, 0), Err(Error::Exists));
    assert_eq!(fs.rmdir(1, b"a"), Err(Error::NotEmpty));
    assert_eq!(fs.unlink(1, b"a"), Err(Error::IsDir));
    assert_eq!(fs.rename(1, b"a", b, b"x"), Err(Error::InvalidArgument), "a directory cannot move below itself");
    assert_eq!(fs.link(a, 1, b"alink"), Err(Error::IsDir));
    assert_eq!(fs.create(1, b"x/y", &NewInode::new(S_IFREG, 0, 0)), Err(Error::InvalidName));
    assert_eq!(fs.lookup(1, &[b'n'; 256]), Err(Error::NotFound));
    assert_eq!(fs.create(1, &[b'n'; 256], &NewInode::new(S_IFREG, 0, 0)), Err(Error::NameTooLong));
    fs.rename(a, b"b", 1, b"b2").unwrap();
    assert_eq!(fs.inode(b).unwrap().parent, 1);
    assert_eq!(fs.inode(a).unwrap().nlink, 2);
    assert_eq!(fs.inode(1).unwrap().nlink, 4);
    let g = fs.create(1, b"g", &NewInode::new(S_IFREG | 0o644, 0, 0)).unwrap();
    fs.rename(b, b"f", 1, b"g").unwrap();
    assert_eq!(fs.lookup(1, b"g").unwrap(), f);
    assert_eq!(fs.inode(g), Err(Error::NotFound), "the replaced file is gone");
    fs.sync().unwrap();
    let mut fs = reopen(fs);
    assert_eq!(fs.lookup_path(b"/b2").unwrap(), b);
    assert_eq!(fs.lookup(b, b"..").unwrap(), 1);
    fs.rmdir(1, b"b2").unwrap();
    fs.rmdir(1, b"a").unwrap();
    fs.sync().unwrap();
    let mut fs = reopen(fs);
    assert_eq!(fs.inode(1).unwrap().nlink, 2);
}

#[test]
fn unlinked_open_file_survives_until_unpinned_or_crash() {
    let mut fs = format(2048, Compression::LZ4);
    let f = fs.create(1, b"tmp", &NewInode::new(S_IFREG | 0o600, 0, 0)).unwrap();
    fs.write(f, 0, &text(100_000, 9)).unwrap();
    fs.sync().unwrap();
    fs.pin(f);
    fs.unlink(1, b"tmp").unwrap();
    fs.sync().unwrap();
    assert_eq!(fs.read_all(f).unwrap(), text(100_000, 9), "still readable while open");
    // A crash now: the next mount deletes the orphan.
    let mut crashed = fs.into_device().clone();
    assert_clean(&mut crashed);
    let mut fs2 = open(crashed);
    assert_eq!(fs2.inode(f), Err(Error::NotFound));
    assert_eq!(fs2.superblock().orphan_head, 0);
    assert_clean(&mut fs2.into_device());
}

#[test]
fn orphan_deleted_at_last_unpin() {
    let mut fs = format(2048, Compression::LZ4);
    let f = fs.create(1, b"tmp", &NewInode::new(S_IFREG | 0o600, 0, 0)).unwrap();
    fs.write(f, 0, &text(100_000, 9)).unwrap();
    fs.pin(f);
    fs.unlink(1, b"tmp").unwrap();
    fs.unpin(f).unwrap();
    assert_eq!(fs.inode(f), Err(Error::NotFound));
    fs.sync().unwrap();
    let before = fs.free_blocks();
    let mut dev = fs.into_device();
    assert_clean(&mut dev);
    assert_eq!(open(dev).free_blocks(), before);
}

#[test]
fn many_files_grow_the_inode_table() {
    let mut fs = format(16384, Compression::LZ4);
    let d = fs.mkdir(1, b"d", 0o755, 0, 0).unwrap();
    for i in 0..2000u32 {
        let f = fs.create(d, format!("file{i}").as_bytes(), &NewInode::new(S_IFREG | 0o644, i, i)).unwrap();
        fs.write(f, 0, format!("contents of {i}\n").as_bytes()).unwrap();
    }
    fs.sync().unwrap();
    let mut fs = reopen(fs);
    assert_eq!(fs.readdir(d).unwrap().len(), 2000);
    let f = fs.lookup(d, b"file1234").unwrap();
    assert_eq!(fs.read_all(f).unwrap(), b"contents of 1234\n");
    assert_eq!(fs.inode(f).unwrap().uid, 1234);
}

#[test]
fn out_of_space_is_an_error() {
    let mut fs = format(256, Compression::NONE);
    let f = fs.create(1, b"f", &NewInode::new(S_IFREG | 0o644, 0, 0)).unwrap();
    let mut r = Rng(5);
    let res = fs.write(f, 0, &r.bytes(2 << 20)).and_then(|_| fs.sync());
    assert_eq!(res, Err(Error::NoSpace));
}
