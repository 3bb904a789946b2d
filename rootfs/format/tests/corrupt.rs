//! Damage: a flipped bit in every metadata block, in data, in the
//! superblocks; zeroed superblocks; a truncated image; random flips.
//! fsck names the damage, mount refuses with an error, nothing panics.

mod common;

use common::*;
use kestrelfs::error::{ChunkFault, Corruption, NodeKind};
use kestrelfs::inode::*;
use kestrelfs::{fsck, Compression, Error, Fs, MemDevice, NewInode, OpenOptions, BLOCK_SIZE};

/// An image with every structure: a deep directory, a multi-chunk file
/// (chunk map tree), inline files, symlinks, devices; enough inodes that
/// the inode table has an interior node.
fn image() -> (MemDevice, u64) {
    let mut fs = format(2048, Compression::LZ4);
    let d = fs.mkdir(1, b"d", 0o755, 0, 0).unwrap();
    for i in 0..400u32 {
        let f = fs.create(d, format!("f{i}").as_bytes(), &NewInode::new(S_IFREG | 0o644, 0, 0)).unwrap();
        fs.write(f, 0, format!("{i}").as_bytes()).unwrap();
    }
    let big = fs.create(1, b"big", &NewInode::new(S_IFREG | 0o644, 0, 0)).unwrap();
    fs.write(big, 0, &text(700_000, 4)).unwrap();
    fs.symlink(1, b"l", b"big", 0, 0).unwrap();
    fs.create(1, b"null", &NewInode { rdev_major: 1, rdev_minor: 3, ..NewInode::new(S_IFCHR | 0o666, 0, 0) }).unwrap();
    fs.sync().unwrap();
    let mut dev = fs.into_device();
    assert_clean(&mut dev);
    (dev, big)
}

fn flip(dev: &MemDevice, block: u64, byte: usize, bit: u8) -> MemDevice {
    let mut d = dev.clone();
    d.bytes_mut()[block as usize * BLOCK_SIZE + byte] ^= 1 << bit;
    d
}

#[test]
fn every_metadata_block_flipped() {
    let (dev, _) = image();
    let report = fsck::check(&mut dev.clone()).unwrap();
    let kinds: Vec<NodeKind> = report.nodes.iter().map(|n| n.1).collect();
    for k in [NodeKind::Interior, NodeKind::InodeLeaf, NodeKind::ChunkLeaf, NodeKind::BitmapLeaf] {
        assert!(kinds.contains(&k), "the image has a {k:?}");
    }
    for &(block, kind) in &report.nodes {
        for (byte, bit) in [(0, 0), (9, 1), (33, 0), (2000, 4), (4095, 6)] {
            let mut bad = flip(&dev, block, byte, bit);
            let r = fsck::check(&mut bad).unwrap();
            let named = r.problems.iter().any(|p| matches!(p, Corruption::Node { block: b, .. } if *b == block));
            assert!(named, "flip at block {block} ({kind:?}) byte {byte}: fsck said {:?}", r.problems.first());
            match Fs::open(bad, OpenOptions::default(), clock()) {
                Err(Error::Corrupt(c)) => assert!(!c.to_string().is_empty()),
                Err(e) => panic!("block {block} byte {byte}: unexpected error {e}"),
                Ok(_) => panic!("block {block} ({kind:?}) byte {byte}: a damaged image mounted"),
            }
        }
    }
}

#[test]
fn data_flip_is_found_by_fsck_and_read() {
    let (dev, big) = image();
    let mut fs = open(dev.clone());
    let chunks = fs.chunks(big).unwrap();
    let (index, ptr) = chunks[3];
    let bad = flip(&dev, ptr.block, 100, 5);
    let r = fsck::check(&mut bad.clone()).unwrap();
    assert!(
        matches!(
            r.problems.as_slice(),
            [Corruption::Chunk { ino, index: i, fault: ChunkFault::BadChecksum { .. } }] if *ino == big && *i == index
        ),
        "{:?}",
        r.problems
    );
    let mut fs = open(bad);
    match fs.read_all(big) {
        Err(Error::Corrupt(Corruption::Chunk { fault: ChunkFault::BadChecksum { .. }, .. })) => {}
        other => panic!("read of damaged data: {other:?}"),
    }
}

#[test]
fn one_damaged_superblock_falls_back_to_the_other() {
    let (dev, _) = image();
    let generation = fs_generation(&dev);
    let slot = (generation % 2) as u32;
    let bad = flip(&dev, 1 + slot as u64, 40, 1);
    let r = fsck::check(&mut bad.clone()).unwrap();
    assert!(
        matches!(r.problems.first(), Some(Corruption::Superblock { slot: s, .. }) if *s == slot),
        "{:?}",
        r.problems
    );
    assert_eq!(r.generation, generation - 1);
    let fs = Fs::open(bad, OpenOptions::default(), clock()).expect("the older copy mounts");
    assert_eq!(fs.superblock().generation, generation - 1);
    assert_eq!(fs.slot_faults().len(), 1);
}

fn fs_generation(dev: &MemDevice) -> u64 {
    open(dev.clone()).superblock().generation
}

#[test]
fn zeroed_superblocks_and_truncated_image() {
    let (dev, _) = image();
    let mut zeroed = dev.clone();
    zeroed.bytes_mut()[BLOCK_SIZE..3 * BLOCK_SIZE].fill(0);
    let err = Fs::open(zeroed.clone(), OpenOptions::default(), clock()).err().unwrap();
    assert!(matches!(err, Error::Corrupt(Corruption::NoValidSuperblock { .. })));
    assert!(err.to_string().contains("no valid superblock"), "{err}");
    let r = fsck::check(&mut zeroed).unwrap();
    assert!(matches!(r.problems.as_slice(), [Corruption::NoValidSuperblock { .. }]));

    let mut short = dev.into_bytes();
    short.truncate(short.len() / 2);
    let mut short = MemDevice::from_bytes(short);
    let err = Fs::open(short.clone(), OpenOptions::default(), clock()).err().unwrap();
    assert!(err.to_string().contains("claims 2048 blocks but the device has 1024"), "{err}");
    assert!(!fsck::check(&mut short).unwrap().is_clean());
}

#[test]
fn foreign_image_is_refused() {
    let mut junk = MemDevice::new(64);
    let mut r = Rng(3);
    junk.bytes_mut().copy_from_slice(&r.bytes(64 * BLOCK_SIZE));
    let err = Fs::open(junk, OpenOptions::default(), clock()).err().unwrap();
    assert!(err.to_string().contains("bad magic"), "{err}");
}

#[test]
fn random_bit_flips_never_panic() {
    let (dev, _) = image();
    let mut r = Rng(77);
    let used = dev.bytes().len() / BLOCK_SIZE;
    for _ in 0..120 {
        let block = r.below(used as u64);
        let mut bad = flip(&dev, block, r.below(BLOCK_SIZE as u64) as usize, r.below(8) as u8);
        let report = fsck::check(&mut bad.clone()).unwrap();
        if let Ok(mut fs) = Fs::open(bad.clone(), OpenOptions::default(), clock()) {
            // Mounted: reading every file either works or reports damage.
            let entries = fs.readdir(1).unwrap_or_default();
            for (_, e) in entries {
                let _ = fs.read_all(e.ino);
            }
        }
        let _ = fsck::check(&mut bad);
        let _ = report;
    }
}

/// Inode records changed behind a checksum made right again: a directory
/// that claims a petabyte and a symbolic link that claims a terabyte are
/// damage, reported before anything that large is allocated.
#[test]
fn impossible_sizes_behind_good_checksums() {
    let mut fs = format(256, Compression::LZ4);
    let d = fs.mkdir(1, b"d", 0o755, 0, 0).unwrap();
    fs.symlink(1, b"l", b"d", 0, 0).unwrap();
    fs.sync().unwrap();
    let dev = fs.into_device();
    let report = fsck::check(&mut dev.clone()).unwrap();
    let leaves: Vec<u64> = report.nodes.iter().filter(|n| n.1 == NodeKind::InodeLeaf).map(|n| n.0).collect();
    for (kind, size) in [(S_IFDIR, 1u64 << 50), (S_IFLNK, 1u64 << 40)] {
        let mut bad = dev.clone();
        let bytes = bad.bytes_mut();
        let mut changed = 0;
        for &leaf in &leaves {
            let block = &mut bytes[leaf as usize * BLOCK_SIZE..][..BLOCK_SIZE];
            for rec in block[64..].chunks_exact_mut(256) {
                let mode = u32::from_le_bytes(rec[0..4].try_into().unwrap());
                if mode & S_IFMT == kind {
                    rec[24..32].copy_from_slice(&size.to_le_bytes());
                    changed += 1;
                }
            }
            let crc = kestrelfs::crc32c::crc32c_skipping(block, 4);
            block[4..8].copy_from_slice(&crc.to_le_bytes());
        }
        assert!(changed > 0, "no inode of kind {kind:o} found");
        let outcome = Fs::open(bad, OpenOptions::default(), clock()).and_then(|mut fs| {
            fs.readdir(1)?;
            fs.readdir(d)?;
            let link = fs.lookup(1, b"l")?;
            fs.readlink(link)
        });
        match outcome {
            Err(Error::Corrupt(Corruption::Inode { .. })) => {}
            other => panic!("kind {kind:o} with size {size}: {other:?}"),
        }
    }
}
