//! Random operation sequences checked against an in-memory model: create,
//! write at random offsets, truncate, rename, link, unlink, mkdir and rmdir
//! applied both to the filesystem and to a `BTreeMap` of paths, with syncs,
//! remounts (fsck first) and remounts that drop everything since the last
//! sync. Reads, listings, sizes and link counts must agree throughout.
//! Each seed is fixed, so a failure names the seed and step that reproduce it.

mod common;

use std::collections::BTreeMap;

use common::*;
use kestrelfs::inode::*;
use kestrelfs::{BlockDevice, Compression, Error, FormatOptions, Fs, MemDevice, NewInode};

/// What a path names in the model: a directory, or a file by its model id
/// (hard links share the id).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Dir,
    File(u32),
}

/// The model: paths ("/a/b"; the root "" is implicit) and file contents.
#[derive(Debug, Clone, Default)]
struct Model {
    paths: BTreeMap<String, Kind>,
    files: BTreeMap<u32, Vec<u8>>,
    next_id: u32,
}

fn join(dir: &str, name: &str) -> String {
    format!("{dir}/{name}")
}

fn parent_of(path: &str) -> &str {
    &path[..path.rfind('/').unwrap()]
}

impl Model {
    fn kind(&self, path: &str) -> Option<Kind> {
        if path.is_empty() {
            Some(Kind::Dir)
        } else {
            self.paths.get(path).copied()
        }
    }

    fn children(&self, dir: &str) -> Vec<(&String, Kind)> {
        let prefix = format!("{dir}/");
        self.paths
            .range(prefix.clone()..)
            .take_while(|(p, _)| p.starts_with(&prefix))
            .filter(|(p, _)| !p[prefix.len()..].contains('/'))
            .map(|(p, k)| (p, *k))
            .collect()
    }

    fn links(&self, id: u32) -> usize {
        self.paths.values().filter(|k| **k == Kind::File(id)).count()
    }

    fn dirs(&self) -> Vec<String> {
        let mut v = vec![String::new()];
        v.extend(self.paths.iter().filter(|(_, k)| **k == Kind::Dir).map(|(p, _)| p.clone()));
        v
    }

    fn regular(&self) -> Vec<String> {
        self.paths.iter().filter(|(_, k)| matches!(k, Kind::File(_))).map(|(p, _)| p.clone()).collect()
    }

    fn remove(&mut self, path: &str) {
        if let Some(Kind::File(id)) = self.paths.remove(path) {
            if self.links(id) == 0 {
                self.files.remove(&id);
            }
        }
    }

    fn create(&mut self, dir: &str, name: &str) -> Result<(), Error> {
        let p = join(dir, name);
        if self.paths.contains_key(&p) {
            return Err(Error::Exists);
        }
        self.next_id += 1;
        self.files.insert(self.next_id, Vec::new());
        self.paths.insert(p, Kind::File(self.next_id));
        Ok(())
    }

    fn mkdir(&mut self, dir: &str, name: &str) -> Result<(), Error> {
        let p = join(dir, name);
        if self.paths.contains_key(&p) {
            return Err(Error::Exists);
        }
        self.paths.insert(p, Kind::Dir);
        Ok(())
    }

    fn link(&mut self, src: &str, dir: &str, name: &str) -> Result<(), Error> {
        let id = match self.kind(src) {
            None => return Err(Error::NotFound),
            Some(Kind::Dir) => return Err(Error::IsDir),
            Some(Kind::File(id)) => id,
        };
        let p = join(dir, name);
        if self.paths.contains_key(&p) {
            return Err(Error::Exists);
        }
        self.paths.insert(p, Kind::File(id));
        Ok(())
    }

    fn unlink(&mut self, dir: &str, name: &str) -> Result<(), Error> {
        let p = join(dir, name);
        match self.kind(&p) {
            None => Err(Error::NotFound),
            Some(Kind::Dir) => Err(Error::IsDir),
            Some(Kind::File(_)) => {
                self.remove(&p);
                Ok(())
            }
        }
    }

    fn rmdir(&mut self, dir: &str, name: &str) -> Result<(), Error> {
        let p = join(dir, name);
        match self.kind(&p) {
            None => Err(Error::NotFound),
            Some(Kind::File(_)) => Err(Error::NotDir),
            Some(Kind::Dir) if !self.children(&p).is_empty() => Err(Error::NotEmpty),
            Some(Kind::Dir) => {
                self.paths.remove(&p);
                Ok(())
            }
        }
    }

    /// rename(2) as POSIX (and the library) define it, errors in the library's order.
    fn rename(&mut self, odir: &str, oname: &str, ndir: &str, nname: &str) -> Result<(), Error> {
        let src = join(odir, oname);
        let dst = join(ndir, nname);
        let sk = self.kind(&src).ok_or(Error::NotFound)?;
        if sk == Kind::Dir && (ndir == src || ndir.starts_with(&format!("{src}/"))) {
            return Err(Error::InvalidArgument);
        }
        if let Some(dk) = self.kind(&dst) {
            if dst == src || (dk == sk && sk != Kind::Dir) {
                return Ok(());
            }
            match (sk, dk) {
                (Kind::Dir, Kind::File(_)) => return Err(Error::NotDir),
                (Kind::File(_), Kind::Dir) => return Err(Error::IsDir),
                (Kind::Dir, Kind::Dir) if !self.children(&dst).is_empty() => return Err(Error::NotEmpty),
                _ => {}
            }
            self.remove(&dst);
        }
        // Move the source and everything below it.
        let below = format!("{src}/");
        let moved: Vec<(String, Kind)> = self
            .paths
            .iter()
            .filter(|(p, _)| **p == src || p.starts_with(&below))
            .map(|(p, k)| (p.clone(), *k))
            .collect();
        for (p, _) in &moved {
            self.paths.remove(p);
        }
        for (p, k) in moved {
            self.paths.insert(format!("{dst}{}", &p[src.len()..]), k);
        }
        Ok(())
    }

    fn write(&mut self, path: &str, off: usize, data: &[u8]) {
        let Some(Kind::File(id)) = self.kind(path) else { unreachable!() };
        let f = self.files.get_mut(&id).unwrap();
        if f.len() < off + data.len() {
            f.resize(off + data.len(), 0);
        }
        f[off..off + data.len()].copy_from_slice(data);
    }

    fn truncate(&mut self, path: &str, size: usize) {
        let Some(Kind::File(id)) = self.kind(path) else { unreachable!() };
        self.files.get_mut(&id).unwrap().resize(size, 0);
    }

    fn contents(&self, path: &str) -> &[u8] {
        let Some(Kind::File(id)) = self.kind(path) else { unreachable!() };
        &self.files[&id]
    }
}

fn ino_of<D: BlockDevice>(fs: &mut Fs<D>, path: &str) -> u64 {
    fs.lookup_path(path.as_bytes()).unwrap_or_else(|e| panic!("lookup {path:?}: {e:?}"))
}

/// Compares the whole filesystem with the model: the tree, every file's
/// contents and size, link counts, and that hard links share an inode.
fn check_all<D: BlockDevice>(fs: &mut Fs<D>, m: &Model, at: &str) {
    let mut seen: BTreeMap<String, (Kind, u64)> = BTreeMap::new();
    let mut stack = vec![(String::new(), fs.root())];
    while let Some((path, dir)) = stack.pop() {
        let inode = fs.stat(dir).unwrap();
        let subdirs = m.children(&path).iter().filter(|(_, k)| *k == Kind::Dir).count();
        assert_eq!(inode.nlink as usize, 2 + subdirs, "{at}: link count of directory {path:?}");
        let listing = fs.readdir(dir).unwrap();
        let names: Vec<String> = listing.iter().map(|(n, _)| join(&path, std::str::from_utf8(n).unwrap())).collect();
        let expected: Vec<String> = m.children(&path).into_iter().map(|(p, _)| p.clone()).collect();
        assert_eq!(names, expected, "{at}: listing of {path:?}");
        for (p, (_, e)) in names.into_iter().zip(listing) {
            let i = fs.stat(e.ino).unwrap();
            let kind = m.paths[&p];
            match kind {
                Kind::Dir => {
                    assert_eq!(i.file_type(), FileType::Directory, "{at}: type of {p:?}");
                    stack.push((p.clone(), e.ino));
                }
                Kind::File(id) => {
                    assert_eq!(i.file_type(), FileType::Regular, "{at}: type of {p:?}");
                    let want = &m.files[&id];
                    assert_eq!(i.size, want.len() as u64, "{at}: size of {p:?}");
                    assert_eq!(i.nlink as usize, m.links(id), "{at}: link count of {p:?}");
                    let got = fs.read_all(e.ino).unwrap();
                    assert!(got == *want, "{at}: contents of {p:?} ({} bytes, want {})", got.len(), want.len());
                }
            }
            seen.insert(p, (kind, e.ino));
        }
    }
    // Same model file <=> same inode.
    let mut by_id: BTreeMap<u32, u64> = BTreeMap::new();
    let mut by_ino: BTreeMap<u64, Kind> = BTreeMap::new();
    for (p, (kind, ino)) in &seen {
        if let Kind::File(id) = kind {
            assert_eq!(*by_id.entry(*id).or_insert(*ino), *ino, "{at}: {p:?} is a hard link of another inode");
        }
        by_ino.insert(*ino, *kind);
    }
    assert_eq!(by_ino.len(), seen.values().filter(|(k, _)| *k == Kind::Dir).count() + by_id.len(), "{at}: inodes");
}

const NAMES: [&str; 5] = ["a", "b", "c", "dd", "e"];

struct Run {
    rng: Rng,
    m: Model,
    synced: Model,
    max_size: usize,
}

impl Run {
    fn pick<T: Clone>(&mut self, v: &[T]) -> T {
        v[self.rng.below(v.len() as u64) as usize].clone()
    }

    fn name(&mut self) -> &'static str {
        NAMES[self.rng.below(NAMES.len() as u64) as usize]
    }

    /// A directory and a name in it; mostly an existing entry when `existing`.
    fn entry(&mut self, existing: bool) -> (String, String) {
        let all: Vec<String> = self.m.paths.keys().cloned().collect();
        if existing && !all.is_empty() && self.rng.below(10) < 8 {
            let p = self.pick(&all);
            let d = parent_of(&p).to_string();
            let n = p[d.len() + 1..].to_string();
            return (d, n);
        }
        let dirs = self.m.dirs();
        let d = self.pick(&dirs);
        (d, self.name().to_string())
    }

    fn data(&mut self, len: usize) -> Vec<u8> {
        if self.rng.below(2) == 0 {
            text(len, self.rng.next())
        } else {
            self.rng.bytes(len)
        }
    }

    fn len(&mut self, chunk: usize) -> usize {
        match self.rng.below(10) {
            0..=4 => 1 + self.rng.below(300) as usize,
            5..=7 => 1 + self.rng.below(12_000) as usize,
            _ => 1 + self.rng.below(3 * chunk as u64) as usize,
        }
    }
}

fn run(seed: u64, steps: usize, chunk_size: u32, compression: Compression) {
    let opts = FormatOptions { chunk_size, compression, ..FormatOptions::default() };
    let mut fs = Some(Fs::format(MemDevice::new(16384), &opts, clock()).expect("format"));
    let chunk = chunk_size as usize;
    let mut r = Run {
        rng: Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1),
        m: Model::default(),
        synced: Model::default(),
        max_size: 5 * chunk,
    };
    for step in 0..steps {
        let f = fs.as_mut().unwrap();
        let at = format!("seed {seed} step {step}");
        let op = r.rng.below(100);
        let mut touched: Option<String> = None;
        match op {
            0..=14 => {
                let (d, n) = r.entry(false);
                let want = r.m.create(&d, &n);
                let dino = ino_of(f, &d);
                let got = f.create(dino, n.as_bytes(), &NewInode::new(S_IFREG | 0o644, 0, 0)).map(|_| ());
                assert_eq!(got, want, "{at}: create {d}/{n}");
            }
            15..=39 => {
                let files = r.m.regular();
                if files.is_empty() {
                    continue;
                }
                let p = r.pick(&files);
                let size = r.m.contents(&p).len();
                let len = r.len(chunk);
                let off = match r.rng.below(4) {
                    0 => size,
                    1 => r.rng.below(size as u64 + 1) as usize,
                    2 => r.rng.below(size as u64 + 2 * chunk as u64) as usize,
                    _ => r.rng.below(size.max(1) as u64) as usize / 4096 * 4096,
                };
                if off + len > r.max_size {
                    continue;
                }
                let data = r.data(len);
                r.m.write(&p, off, &data);
                let ino = ino_of(f, &p);
                assert_eq!(f.write(ino, off as u64, &data), Ok(len), "{at}: write {p} at {off}");
                touched = Some(p);
            }
            40..=49 => {
                let files = r.m.regular();
                if files.is_empty() {
                    continue;
                }
                let p = r.pick(&files);
                let size = r.m.contents(&p).len();
                let new = match r.rng.below(4) {
                    0 => 0,
                    1 => r.rng.below(size as u64 + 1) as usize,
                    2 => size + r.rng.below(2 * chunk as u64) as usize,
                    _ => r.rng.below(size.max(1) as u64) as usize / chunk * chunk,
                };
                let new = new.min(r.max_size);
                r.m.truncate(&p, new);
                let ino = ino_of(f, &p);
                assert_eq!(f.truncate(ino, new as u64), Ok(()), "{at}: truncate {p} to {new}");
                touched = Some(p);
            }
            50..=59 => {
                let (od, on) = r.entry(true);
                let over = r.rng.below(3) == 0;
                let (nd, nn) = r.entry(over);
                let want = r.m.rename(&od, &on, &nd, &nn);
                let (oi, ni) = (ino_of(f, &od), ino_of(f, &nd));
                let got = f.rename(oi, on.as_bytes(), ni, nn.as_bytes());
                assert_eq!(got, want, "{at}: rename {od}/{on} -> {nd}/{nn}");
            }
            60..=67 => {
                let (sd, sn) = r.entry(true);
                let src = join(&sd, &sn);
                let (d, n) = r.entry(false);
                let want = r.m.link(&src, &d, &n);
                let dino = ino_of(f, &d);
                let got = match f.lookup_path(src.as_bytes()) {
                    Ok(ino) => f.link(ino, dino, n.as_bytes()),
                    Err(e) => Err(e),
                };
                assert_eq!(got, want, "{at}: link {src} -> {d}/{n}");
            }
            68..=77 => {
                let (d, n) = r.entry(true);
                let want = r.m.unlink(&d, &n);
                let dino = ino_of(f, &d);
                assert_eq!(f.unlink(dino, n.as_bytes()), want, "{at}: unlink {d}/{n}");
            }
            78..=85 => {
                let (d, n) = r.entry(false);
                if d.matches('/').count() >= 4 {
                    continue;
                }
                let want = r.m.mkdir(&d, &n);
                let dino = ino_of(f, &d);
                assert_eq!(f.mkdir(dino, n.as_bytes(), 0o755, 0, 0).map(|_| ()), want, "{at}: mkdir {d}/{n}");
            }
            86..=91 => {
                let (d, n) = r.entry(true);
                let want = r.m.rmdir(&d, &n);
                let dino = ino_of(f, &d);
                assert_eq!(f.rmdir(dino, n.as_bytes()), want, "{at}: rmdir {d}/{n}");
            }
            92..=94 => {
                f.sync().unwrap_or_else(|e| panic!("{at}: sync: {e:?}"));
                r.synced = r.m.clone();
            }
            _ => {
                // Remount: after a sync, or (one time in three) dropping
                // everything since the last sync, as a power cut would.
                let drop_unsynced = r.rng.below(3) == 0;
                let mut f = fs.take().unwrap();
                if drop_unsynced {
                    r.m = r.synced.clone();
                } else {
                    f.sync().unwrap_or_else(|e| panic!("{at}: sync: {e:?}"));
                    r.synced = r.m.clone();
                }
                let mut img = f.into_device();
                assert_clean(&mut img);
                let mut f = open(img);
                check_all(&mut f, &r.m, &format!("{at} (after remount, dropped: {drop_unsynced})"));
                fs = Some(f);
                continue;
            }
        }
        let f = fs.as_mut().unwrap();
        // The file just changed: a random read, its size and its whole contents.
        if let Some(p) = touched {
            let want = r.m.contents(&p).to_vec();
            let ino = ino_of(f, &p);
            assert_eq!(f.stat(ino).unwrap().size, want.len() as u64, "{at}: size of {p}");
            let off = r.rng.below(want.len() as u64 + 10) as usize;
            let mut buf = vec![0u8; 1 + r.rng.below(2 * chunk as u64) as usize];
            let n = f.read(ino, off as u64, &mut buf).unwrap();
            let expect = &want[off.min(want.len())..(off + buf.len()).min(want.len())];
            assert!(&buf[..n] == expect, "{at}: read {p} at {off}, {} bytes", buf.len());
        }
        if step % 8 == 7 {
            check_all(f, &r.m, &at);
        }
    }
    let mut f = fs.take().unwrap();
    f.sync().unwrap();
    let mut img = f.into_device();
    assert_clean(&mut img);
    let mut f = open(img);
    check_all(&mut f, &r.m, &format!("seed {seed}: final remount"));
    assert!(r.m.paths.len() > 3, "seed {seed}: the run built something ({} paths)", r.m.paths.len());
}

#[test]
fn model_lz4_small_chunks() {
    for seed in [1, 2, 3] {
        run(seed, 500, 16384, Compression::LZ4);
    }
}

#[test]
fn model_lz4_default_chunks() {
    for seed in [11, 12] {
        run(seed, 400, 128 * 1024, Compression::LZ4);
    }
}

#[test]
fn model_zstd() {
    for seed in [21, 22] {
        run(seed, 400, 16384, Compression::ZSTD);
    }
}

#[test]
fn model_uncompressed() {
    for seed in [31, 32] {
        run(seed, 500, 4096, Compression::NONE);
    }
}
