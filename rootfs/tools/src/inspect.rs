//! The subcommands: argument handling and output.

use std::io::Write;
use std::path::Path;
use std::time::Instant;

use kestrelfs::inode::FileType;
use kestrelfs::{fsck, Compression, FormatOptions, Fs, Inode, OpenOptions, BLOCK_SIZE};

use crate::{Args, Fail, FileDevice, Host};

fn open_image(path: &str) -> Result<Fs<FileDevice>, Fail> {
    let dev = FileDevice::open(path, false).map_err(|e| Fail::io(Path::new(path), e))?;
    let opts = OpenOptions { read_only: true, ..Default::default() };
    let fs = Fs::open(dev, opts, Box::new(Host)).map_err(|e| Fail::fs(Path::new(path), e))?;
    for f in fs.slot_faults() {
        eprintln!("kestrel-fs: warning: superblock copy {} is damaged ({}); using the other", f.slot, f.fault);
    }
    Ok(fs)
}

fn lookup(fs: &mut Fs<FileDevice>, path: &str) -> Result<u64, Fail> {
    fs.lookup_path(path.as_bytes()).map_err(|e| Fail::fs(Path::new(path), e))
}

fn parse_size(s: &str) -> Option<u64> {
    let (num, mul) = match s.as_bytes().last()? {
        b'K' | b'k' => (&s[..s.len() - 1], 1 << 10),
        b'M' | b'm' => (&s[..s.len() - 1], 1 << 20),
        b'G' | b'g' => (&s[..s.len() - 1], 1 << 30),
        _ => (s, 1),
    };
    num.parse::<u64>().ok()?.checked_mul(mul)
}

pub fn mkfs(a: &Args) -> Result<(), Fail> {
    a.check(&["--compress", "--chunk-size", "--size", "--label", "--owner"], 2, 2)?;
    let (image, src) = (&a.pos[0], Path::new(&a.pos[1]));
    let mut opts = FormatOptions::default();
    if let Some(c) = a.value("--compress") {
        opts.compression = Compression::parse(c).ok_or_else(|| Fail::Usage(format!("bad --compress {c}")))?;
    }
    if let Some(c) = a.value("--chunk-size") {
        opts.chunk_size = parse_size(c)
            .and_then(|v| u32::try_from(v).ok())
            .ok_or_else(|| Fail::Usage(format!("bad --chunk-size {c}")))?;
    }
    if let Some(l) = a.value("--label") {
        let n = l.len().min(32);
        opts.label[..n].copy_from_slice(&l.as_bytes()[..n]);
    }
    let owner = match a.value("--owner") {
        Some(o) => {
            let parsed = o.split_once(':').and_then(|(u, g)| Some((u.parse().ok()?, g.parse().ok()?)));
            Some(parsed.ok_or_else(|| Fail::Usage(format!("bad --owner {o} (UID:GID)")))?)
        }
        None => None,
    };
    opts.uuid = uuid();
    let (bytes, entries) = crate::mkfs::measure(src)?;
    let size = match a.value("--size") {
        Some(s) => parse_size(s).ok_or_else(|| Fail::Usage(format!("bad --size {s}")))?,
        // Room for the tree stored raw, its metadata, and as much again free.
        None => (2 * bytes + entries * 512 + (16 << 20)).div_ceil(1 << 20) << 20,
    };
    let started = Instant::now();
    let dev = FileDevice::create(image, size / BLOCK_SIZE as u64).map_err(|e| Fail::io(Path::new(image), e))?;
    let mut fs = Fs::format(dev, &opts, Box::new(Host)).map_err(|e| Fail::fs(Path::new(image), e))?;
    let mut b = crate::mkfs::Builder::new(&mut fs);
    b.owner = owner;
    b.copy_tree(src)?;
    let copied = std::mem::take(&mut b.copied);
    // Two commits: both superblock copies describe the finished tree.
    fs.sync().and_then(|_| fs.sync()).map_err(|e| Fail::fs(Path::new(image), e))?;
    let used = fs.superblock().total_blocks - fs.free_blocks();
    println!(
        "{image}: {} files, {} bytes in {} blocks of {} ({} compression, {} KiB chunks), {:.2} s",
        copied.files,
        copied.bytes,
        used,
        fs.superblock().total_blocks,
        opts.compression,
        opts.chunk_size / 1024,
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

fn uuid() -> [u8; 16] {
    let mut u = [0u8; 16];
    if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
        let _ = std::io::Read::read_exact(&mut f, &mut u);
    }
    u[6] = (u[6] & 0x0f) | 0x40;
    u[8] = (u[8] & 0x3f) | 0x80;
    u
}

pub fn fsck(a: &Args) -> Result<(), Fail> {
    a.check(&["-v"], 1, 1)?;
    let image = &a.pos[0];
    let mut dev = FileDevice::open(image, false).map_err(|e| Fail::io(Path::new(image), e))?;
    let r = fsck::check(&mut dev).map_err(|e| Fail::fs(Path::new(image), e))?;
    for p in &r.problems {
        println!("{image}: {p}");
    }
    let s = r.stats;
    if a.flag("-v") || r.is_clean() {
        println!(
            "{image}: generation {}, {} inodes ({} files, {} directories, {} symlinks, {} special), {}/{} blocks used ({} metadata, {} data), {} chunks raw / {} lz4 / {} zstd, {} inline",
            r.generation, s.inodes, s.regular, s.directories, s.symlinks, s.special,
            s.total_blocks - s.free_blocks, s.total_blocks, s.metadata_blocks, s.data_blocks,
            s.chunks[0], s.chunks[1], s.chunks[2], s.inline_files
        );
    }
    if r.is_clean() {
        println!("{image}: clean");
        Ok(())
    } else {
        Err(Fail::Damaged(r.problems.len()))
    }
}

fn mode_string(i: &Inode) -> String {
    let t = match i.file_type() {
        FileType::Regular => '-',
        FileType::Directory => 'd',
        FileType::Symlink => 'l',
        FileType::CharDevice => 'c',
        FileType::BlockDevice => 'b',
        FileType::Fifo => 'p',
        FileType::Socket => 's',
    };
    let mut s = String::from(t);
    let m = i.mode;
    for (shift, special, lower, upper) in [(6, 0o4000, 's', 'S'), (3, 0o2000, 's', 'S'), (0, 0o1000, 't', 'T')] {
        let bits = (m >> shift) & 7;
        s.push(if bits & 4 != 0 { 'r' } else { '-' });
        s.push(if bits & 2 != 0 { 'w' } else { '-' });
        s.push(match (bits & 1 != 0, m & special != 0) {
            (true, true) => lower,
            (false, true) => upper,
            (true, false) => 'x',
            (false, false) => '-',
        });
    }
    s
}

pub fn ls(a: &Args) -> Result<(), Fail> {
    a.check(&["-l", "-R"], 1, 2)?;
    let mut fs = open_image(&a.pos[0])?;
    let path = a.pos.get(1).map(String::as_str).unwrap_or("/");
    let ino = lookup(&mut fs, path)?;
    let mut out = std::io::stdout().lock();
    let mut stack = vec![(path.trim_end_matches('/').to_string(), ino)];
    while let Some((dir, ino)) = stack.pop() {
        let inode = fs.inode(ino).map_err(|e| Fail::fs(Path::new(&dir), e))?;
        if !inode.is_dir() {
            list_one(&mut fs, &mut out, a.flag("-l"), &dir, ino)?;
            continue;
        }
        if a.flag("-R") {
            writeln!(out, "{}:", if dir.is_empty() { "/" } else { &dir }).map_err(Fail::Write)?;
        }
        let entries = fs.readdir(ino).map_err(|e| Fail::fs(Path::new(&dir), e))?;
        let mut subdirs = Vec::new();
        for (name, e) in &entries {
            let name = String::from_utf8_lossy(name).into_owned();
            list_one(&mut fs, &mut out, a.flag("-l"), &name, e.ino)?;
            if e.dtype == 4 {
                subdirs.push((format!("{dir}/{name}"), e.ino));
            }
        }
        if a.flag("-R") {
            writeln!(out).map_err(Fail::Write)?;
            stack.extend(subdirs.into_iter().rev());
        }
    }
    Ok(())
}

fn list_one(fs: &mut Fs<FileDevice>, out: &mut dyn Write, long: bool, name: &str, ino: u64) -> Result<(), Fail> {
    if !long {
        return writeln!(out, "{name}").map_err(Fail::Write);
    }
    let i = fs.inode(ino).map_err(|e| Fail::fs(Path::new(name), e))?;
    let size = match i.file_type() {
        FileType::CharDevice | FileType::BlockDevice => format!("{}, {}", i.rdev_major, i.rdev_minor),
        _ => i.size.to_string(),
    };
    let link = if i.file_type() == FileType::Symlink {
        let t = fs.readlink(ino).map_err(|e| Fail::fs(Path::new(name), e))?;
        format!(" -> {}", String::from_utf8_lossy(&t))
    } else {
        String::new()
    };
    let comp = i.compression.map(|c| format!(" [{c}]")).unwrap_or_default();
    writeln!(
        out,
        "{} {:>3} {:>5} {:>5} {:>10} {}.{:09} {name}{link}{comp}",
        mode_string(&i),
        i.nlink,
        i.uid,
        i.gid,
        size,
        i.mtime.sec,
        i.mtime.nsec
    )
    .map_err(Fail::Write)
}

/// One inode in detail: its record, and how its chunks are stored.
pub fn stat(a: &Args) -> Result<(), Fail> {
    a.check(&[], 2, 2)?;
    let mut fs = open_image(&a.pos[0])?;
    let ino = lookup(&mut fs, &a.pos[1])?;
    let i = fs.inode(ino).map_err(Fail::Lib)?;
    let chunks = fs.chunks(ino).map_err(Fail::Lib)?;
    let count = |algo| chunks.iter().filter(|(_, p)| p.algorithm == algo).count();
    println!("inode: {ino}");
    println!("mode: {} {:o}", mode_string(&i), i.mode);
    println!("owner: {} {}", i.uid, i.gid);
    println!("links: {}", i.nlink);
    println!("size: {}", i.size);
    println!("blocks: {}", i.blocks);
    println!("flags: {:#x}", i.flags);
    println!("compression: {}", i.compression.map_or("default".to_string(), |c| c.to_string()));
    println!("layout: {}", layout_name(&i.layout));
    println!(
        "chunks: {} raw, {} lz4, {} zstd",
        count(kestrelfs::Algorithm::None),
        count(kestrelfs::Algorithm::Lz4),
        count(kestrelfs::Algorithm::Zstd)
    );
    println!("mtime: {}.{:09}", i.mtime.sec, i.mtime.nsec);
    Ok(())
}

fn layout_name(l: &kestrelfs::Layout) -> &'static str {
    match l {
        kestrelfs::Layout::Empty => "empty",
        kestrelfs::Layout::Inline(_) => "inline",
        kestrelfs::Layout::Chunks(_) => "chunk pointers",
        kestrelfs::Layout::Tree { .. } => "chunk map tree",
    }
}

pub fn cat(a: &Args) -> Result<(), Fail> {
    a.check(&[], 2, 2)?;
    let mut fs = open_image(&a.pos[0])?;
    let ino = lookup(&mut fs, &a.pos[1])?;
    if fs.inode(ino).map_err(Fail::Lib)?.is_dir() {
        return Err(Fail::Fs(a.pos[1].clone(), kestrelfs::Error::IsDir));
    }
    let data = fs.read_all(ino).map_err(|e| Fail::fs(Path::new(&a.pos[1]), e))?;
    std::io::stdout().lock().write_all(&data).map_err(Fail::Write)
}

pub fn extract(a: &Args) -> Result<(), Fail> {
    a.check(&[], 2, 3)?;
    let mut fs = open_image(&a.pos[0])?;
    let ino = lookup(&mut fs, a.pos.get(2).map(String::as_str).unwrap_or("/"))?;
    crate::extract::Extractor::new(&mut fs).extract(ino, Path::new(&a.pos[1]))
}

pub fn export(a: &Args) -> Result<(), Fail> {
    a.check(&["--format", "-o"], 2, 2)?;
    let mut fs = open_image(&a.pos[0])?;
    let ino = lookup(&mut fs, &a.pos[1])?;
    let inode = fs.inode(ino).map_err(Fail::Lib)?;
    if inode.file_type() != FileType::Regular {
        return Err(Fail::Usage(format!("{} is not a regular file", a.pos[1])));
    }
    let format = match a.value("--format") {
        Some(f) => f.to_string(),
        None => {
            let chunks = fs.chunks(ino).map_err(Fail::Lib)?;
            let zstd = chunks.iter().filter(|(_, p)| p.algorithm == kestrelfs::Algorithm::Zstd).count();
            if zstd * 2 > chunks.len() { "zstd" } else { "lz4" }.to_string()
        }
    };
    let mut out: Box<dyn Write> = match a.value("-o") {
        Some(p) => Box::new(std::io::BufWriter::new(std::fs::File::create(p).map_err(|e| Fail::io(Path::new(p), e))?)),
        None => Box::new(std::io::stdout().lock()),
    };
    let done = match format.as_str() {
        "lz4" => crate::export::lz4(&mut fs, ino, &mut out)?,
        "zstd" => crate::export::zstd(&mut fs, ino, &mut out)?,
        f => return Err(Fail::Usage(format!("unknown --format {f} (lz4 or zstd)"))),
    };
    out.flush().map_err(Fail::Write)?;
    eprintln!("{}: {format}: {} chunks copied as stored, {} pieces encoded", a.pos[1], done.verbatim, done.encoded);
    Ok(())
}

pub fn info(a: &Args) -> Result<(), Fail> {
    a.check(&[], 1, 1)?;
    let fs = open_image(&a.pos[0])?;
    let sb = fs.superblock();
    println!("label: {}", sb.label_str());
    println!("generation: {}", sb.generation);
    println!("blocks: {} of {} bytes, {} free", sb.total_blocks, BLOCK_SIZE, sb.free_blocks);
    println!("inodes: {} (next {})", sb.inode_count, sb.next_inode);
    println!("chunk size: {}", sb.chunk_size);
    println!("default compression: {}", sb.default_compression);
    println!("features: compat {:#x} ro_compat {:#x} incompat {:#x}", sb.compat, sb.ro_compat, sb.incompat);
    Ok(())
}
