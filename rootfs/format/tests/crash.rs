//! Power cuts: a device that keeps every write in its cache but persists
//! only some. For every write N of a workload with syncs, the image as
//! persisted when the power goes at N must mount, pass fsck, and hold
//! exactly the state of the last completed sync (or of the sync that was
//! committing at the cut, if its superblock made it).

mod common;

use std::collections::BTreeMap;

use common::*;
use kestrelfs::inode::*;
use kestrelfs::{Block, BlockDevice, Compression, DeviceError, Fs, MemDevice, NewInode};

/// Writes as the device's cache sees them, and as the medium keeps them.
struct CutDevice {
    cache: MemDevice,
    medium: MemDevice,
    /// Writes since the last flush, not yet on the medium.
    unflushed: Vec<(u64, Box<Block>)>,
    writes: u64,
    cut_at: u64,
    /// With a seed, writes after the last flush before the cut reach the
    /// medium in any subset; without, exactly those before the cut do.
    rng: Option<Rng>,
    cut: bool,
}

impl CutDevice {
    fn new(img: MemDevice, cut_at: u64, seed: Option<u64>) -> Self {
        CutDevice {
            cache: img.clone(),
            medium: img,
            unflushed: Vec::new(),
            writes: 0,
            cut_at,
            rng: seed.map(Rng),
            cut: false,
        }
    }

    /// The medium after the power cut.
    fn after_cut(mut self) -> MemDevice {
        if !self.cut {
            self.power_off();
        }
        self.medium
    }

    fn power_off(&mut self) {
        self.cut = true;
        for (n, b) in std::mem::take(&mut self.unflushed) {
            let keep = match &mut self.rng {
                Some(r) => r.below(2) == 0,
                None => true,
            };
            if keep {
                self.medium.write_block(n, &b).unwrap();
            }
        }
    }
}

impl BlockDevice for CutDevice {
    fn block_count(&self) -> u64 {
        self.cache.block_count()
    }
    fn read_block(&mut self, n: u64, buf: &mut Block) -> Result<(), DeviceError> {
        self.cache.read_block(n, buf)
    }
    fn write_block(&mut self, n: u64, buf: &Block) -> Result<(), DeviceError> {
        self.cache.write_block(n, buf)?;
        if !self.cut {
            if self.writes == self.cut_at {
                self.power_off();
            } else {
                self.unflushed.push((n, Box::new(*buf)));
            }
        }
        self.writes += 1;
        Ok(())
    }
    fn flush(&mut self) -> Result<(), DeviceError> {
        // A cut just before this flush (before write `cut_at`) loses it.
        if !self.cut && self.writes == self.cut_at {
            self.power_off();
        }
        if !self.cut {
            for (n, b) in std::mem::take(&mut self.unflushed) {
                self.medium.write_block(n, &b)?;
            }
        }
        Ok(())
    }
}

/// Everything visible in the filesystem, as text per path.
fn dump<D: BlockDevice>(fs: &mut Fs<D>) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![(String::new(), fs.root())];
    while let Some((path, dir)) = stack.pop() {
        for (name, e) in fs.readdir(dir).unwrap() {
            let p = format!("{path}/{}", String::from_utf8_lossy(&name));
            let i = fs.inode(e.ino).unwrap();
            let body = match i.file_type() {
                FileType::Directory => {
                    stack.push((p.clone(), e.ino));
                    String::new()
                }
                FileType::Regular | FileType::Symlink => format!("{:?}", fs.read_all(e.ino).unwrap()),
                _ => String::new(),
            };
            let meta = format!(
                "{:o} {} {} {} {} {}:{} {:?}",
                i.mode, i.uid, i.gid, i.nlink, i.size, i.rdev_major, i.rdev_minor, i.mtime
            );
            out.insert(p, format!("{meta} {body}"));
        }
    }
    out
}

/// The workload: every kind of change, a sync after each step.
fn workload<D: BlockDevice>(fs: &mut Fs<D>, synced: &mut dyn FnMut(&mut Fs<D>)) {
    let reg = |m| NewInode::new(S_IFREG | m, 0, 0);
    let d = fs.mkdir(1, b"dir", 0o755, 1, 2).unwrap();
    let a = fs.create(d, b"a", &reg(0o644)).unwrap();
    fs.write(a, 0, &text(300_000, 1)).unwrap();
    fs.symlink(1, b"link", b"dir/a", 0, 0).unwrap();
    synced(fs);
    fs.write(a, 100_000, b"overwritten in the middle").unwrap();
    let b = fs.create(1, b"b", &reg(0o600)).unwrap();
    fs.write(b, 0, b"small").unwrap();
    fs.create(1, b"fifo", &NewInode::new(S_IFIFO | 0o644, 0, 0)).unwrap();
    synced(fs);
    fs.link(a, 1, b"a-again").unwrap();
    fs.truncate(a, 150_000).unwrap();
    fs.rename(1, b"b", d, b"b-moved").unwrap();
    synced(fs);
    let c = fs.create(d, b"c", &reg(0o644)).unwrap();
    fs.write(c, 600_000, &text(20_000, 2)).unwrap();
    fs.unlink(1, b"link").unwrap();
    synced(fs);
    fs.unlink(d, b"a").unwrap();
    fs.unlink(1, b"a-again").unwrap();
    let e = fs.mkdir(1, b"empty", 0o700, 0, 0).unwrap();
    let _ = e;
    synced(fs);
    fs.rmdir(1, b"empty").unwrap();
    fs.write(c, 0, &text(10_000, 3)).unwrap();
    synced(fs);
}

fn base_image() -> MemDevice {
    format(1024, Compression::LZ4).into_device()
}

fn run(seeded: bool) {
    // A run without a cut: the state at each sync and the writes done by then.
    let mut snapshots = vec![dump(&mut open(base_image()))];
    let mut ends = vec![0u64];
    let mut fs = open(CutDevice::new(base_image(), u64::MAX, None));
    workload(&mut fs, &mut |fs| {
        fs.sync().unwrap();
        ends.push(fs.device().writes);
        snapshots.push(dump(fs));
    });
    let total = fs.into_device().writes;
    assert!(total > 50, "the workload writes ({total})");
    for cut in 0..=total {
        let seed = if seeded { Some(cut * 7919 + 1) } else { None };
        let mut fs = open(CutDevice::new(base_image(), cut, seed));
        workload(&mut fs, &mut |fs| fs.sync().unwrap());
        let mut img = fs.into_device().after_cut();
        assert_clean(&mut img);
        let mut fs = open(img);
        let got = dump(&mut fs);
        // A sync is complete once its last flush is; a cut at its end (write
        // count `cut`, before that flush) may or may not keep it.
        let k = ends.iter().rposition(|&e| e < cut).unwrap_or(0);
        let ok = got == snapshots[k] || (k + 1 < snapshots.len() && got == snapshots[k + 1]);
        assert!(ok, "cut at write {cut}: state is neither sync {k} nor {}", k + 1);
        assert_clean(&mut fs.into_device());
    }
}

#[test]
fn power_cut_at_every_write() {
    run(false);
}

#[test]
fn power_cut_with_reordered_unflushed_writes() {
    run(true);
}
