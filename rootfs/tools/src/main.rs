//! kestrel-fs: make, check and inspect kestrel filesystem images.
//!
//!   kestrel-fs mkfs IMAGE SRC_DIR [--compress ALGO[:LEVEL]] [--chunk-size BYTES] [--size BYTES[K|M|G]] [--label L] [--owner UID:GID]
//!   kestrel-fs fsck IMAGE [-v]
//!   kestrel-fs ls IMAGE [PATH] [-l] [-R]
//!   kestrel-fs cat IMAGE PATH
//!   kestrel-fs stat IMAGE PATH
//!   kestrel-fs extract IMAGE DEST [PATH]
//!   kestrel-fs export IMAGE PATH [--format lz4|zstd] [-o OUT]
//!   kestrel-fs info IMAGE
//!   kestrel-fs bench [--rootfs DIR] [--text DIR] [--chunk-size BYTES]

mod bench;
mod export;
mod extract;
mod host;
mod inspect;
mod mkfs;
mod xxh32;

use std::path::Path;
use std::process::ExitCode;

pub use host::{FileDevice, Host};

/// Why a command failed.
#[derive(Debug)]
pub enum Fail {
    Usage(String),
    Io(String, std::io::Error),
    Fs(String, kestrelfs::Error),
    Lib(kestrelfs::Error),
    Write(std::io::Error),
    /// fsck found damage (already printed).
    Damaged(usize),
}

impl Fail {
    pub fn io(p: &Path, e: std::io::Error) -> Fail {
        Fail::Io(p.display().to_string(), e)
    }
    pub fn fs(p: &Path, e: kestrelfs::Error) -> Fail {
        Fail::Fs(p.display().to_string(), e)
    }
}

impl std::fmt::Display for Fail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fail::Usage(m) => write!(f, "{m}"),
            Fail::Io(p, e) => write!(f, "{p}: {e}"),
            Fail::Fs(p, e) => write!(f, "{p}: {e}"),
            Fail::Lib(e) => write!(f, "{e}"),
            Fail::Write(e) => write!(f, "write: {e}"),
            Fail::Damaged(n) => write!(f, "{n} problem(s) found"),
        }
    }
}

const USAGE: &str = "usage: kestrel-fs mkfs IMAGE SRC_DIR [--compress none|lz4|zstd[:LEVEL]] [--chunk-size BYTES] [--size SIZE] [--label LABEL] [--owner UID:GID]
       kestrel-fs fsck IMAGE [-v]
       kestrel-fs ls IMAGE [PATH] [-l] [-R]
       kestrel-fs cat IMAGE PATH
       kestrel-fs stat IMAGE PATH
       kestrel-fs extract IMAGE DEST [PATH]
       kestrel-fs export IMAGE PATH [--format lz4|zstd] [-o OUT]
       kestrel-fs info IMAGE
       kestrel-fs bench [--rootfs DIR] [--text DIR] [--chunk-size BYTES]";

/// Command-line words: positional arguments and `--name value` / `-x` flags.
pub struct Args {
    pub pos: Vec<String>,
    opts: Vec<(String, Option<String>)>,
}

const TAKES_VALUE: &[&str] =
    &["--compress", "--chunk-size", "--size", "--label", "--owner", "--format", "-o", "--rootfs", "--text"];

impl Args {
    fn parse(words: Vec<String>) -> Result<Args, Fail> {
        let mut a = Args { pos: Vec::new(), opts: Vec::new() };
        let mut it = words.into_iter();
        while let Some(w) = it.next() {
            if TAKES_VALUE.contains(&w.as_str()) {
                let v = it.next().ok_or_else(|| Fail::Usage(format!("{w} needs a value")))?;
                a.opts.push((w, Some(v)));
            } else if w.starts_with('-') && w.len() > 1 {
                a.opts.push((w, None));
            } else {
                a.pos.push(w);
            }
        }
        Ok(a)
    }

    pub fn value(&self, name: &str) -> Option<&str> {
        self.opts.iter().rev().find(|(n, _)| n == name).and_then(|(_, v)| v.as_deref())
    }

    pub fn flag(&self, name: &str) -> bool {
        self.opts.iter().any(|(n, v)| n == name && v.is_none())
    }

    pub fn check(&self, allowed: &[&str], min: usize, max: usize) -> Result<(), Fail> {
        if let Some((n, _)) = self.opts.iter().find(|(n, _)| !allowed.contains(&n.as_str())) {
            return Err(Fail::Usage(format!("unknown option {n}\n{USAGE}")));
        }
        if self.pos.len() < min || self.pos.len() > max {
            return Err(Fail::Usage(USAGE.to_string()));
        }
        Ok(())
    }
}

fn main() -> ExitCode {
    let mut words: Vec<String> = std::env::args().skip(1).collect();
    if words.is_empty() {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    }
    let cmd = words.remove(0);
    let result = Args::parse(words).and_then(|args| match cmd.as_str() {
        "mkfs" => inspect::mkfs(&args),
        "fsck" => inspect::fsck(&args),
        "ls" => inspect::ls(&args),
        "cat" => inspect::cat(&args),
        "stat" => inspect::stat(&args),
        "extract" => inspect::extract(&args),
        "export" => inspect::export(&args),
        "info" => inspect::info(&args),
        "bench" => bench::bench(&args),
        "-h" | "--help" | "help" => {
            println!("{USAGE}");
            Ok(())
        }
        _ => Err(Fail::Usage(format!("unknown command {cmd}\n{USAGE}"))),
    });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(Fail::Damaged(n)) => {
            eprintln!("kestrel-fs: {n} problem(s) found");
            ExitCode::from(1)
        }
        Err(e @ Fail::Usage(_)) => {
            eprintln!("kestrel-fs: {e}");
            ExitCode::from(2)
        }
        Err(e) => {
            eprintln!("kestrel-fs: {e}");
            ExitCode::from(1)
        }
    }
}
