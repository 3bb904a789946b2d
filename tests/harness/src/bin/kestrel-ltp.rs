//! Runs the Linux Test Project's syscall tests in QEMU and keeps the
//! verdicts (scripts/ltp drives it):
//!
//!   kestrel-ltp run --out FILE [--linux VMLINUX] [--disk IMAGE] [--regex R] [--select NAMES]
//!                   [--stall SECONDS]
//!   kestrel-ltp compare LINUX_VERDICTS KESTREL_VERDICTS
//!
//! `run` boots the kernel (kestrel from KERNEL_ELF, or Linux with
//! `--linux`) with INITRAMFS, 1 vCPU and 2 GiB, and `ltp-subset/run-syscalls`
//! as init, which prints a line per test. A kernel panic, a guest that
//! stops printing for `--stall` seconds (default 720, past the guest's own
//! per-test limit) or a guest that powers off mid-run gives the test in
//! progress the verdict PANIC, HANG or CRASH, and the run goes on in a
//! fresh boot from the next test. `--select` names a file of test names,
//! one a line: only those run (the guest finds them in /ltp/select, in a
//! cpio archive appended to the initramfs). The verdict file has a line per test,
//! "NAME VERDICT", and under a failure its first TFAIL/TBROK lines,
//! indented; it is written as the run goes.
//!
//! `compare` prints the tests Linux passes and kestrel does not, grouped by
//! system call, and the counts: Linux passes, kestrel passes, both pass.

use std::collections::{BTreeMap, BTreeSet};
use std::ffi::OsString;
use std::io::Write as _;
use std::path::PathBuf;
use std::time::{Duration, Instant};

use harness::{Qemu, QemuConfig};

const MEMORY: &str = "2G";
const POLL: Duration = Duration::from_millis(500);

struct RunOptions {
    out: PathBuf,
    linux: Option<PathBuf>,
    disk: Option<PathBuf>,
    regex: String,
    select: Option<PathBuf>,
    stall: Duration,
}

fn parse_run(args: &[String]) -> Result<RunOptions, String> {
    let mut opts = RunOptions {
        out: PathBuf::new(),
        linux: None,
        disk: None,
        regex: "-".into(),
        select: None,
        stall: Duration::from_secs(720),
    };
    let mut it = args.iter();
    while let Some(a) = it.next() {
        let mut value = || it.next().cloned().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--out" => opts.out = PathBuf::from(value()?),
            "--linux" => opts.linux = Some(PathBuf::from(value()?)),
            "--disk" => opts.disk = Some(PathBuf::from(value()?)),
            "--regex" => opts.regex = value()?,
            "--select" => opts.select = Some(PathBuf::from(value()?)),
            "--stall" => opts.stall = Duration::from_secs(value()?.parse().map_err(|_| "--stall takes seconds")?),
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if opts.out.as_os_str().is_empty() {
        return Err("--out FILE is required".into());
    }
    Ok(opts)
}

/// One test's outcome.
struct Verdict {
    name: String,
    verdict: String,
    details: Vec<String>,
}

/// How one boot ended.
enum End {
    /// The runner printed its summary.
    Finished,
    /// The test at this runtest index (1-based) took the kernel down.
    Lost { index: usize, name: String, verdict: &'static str, why: String },
}

struct Run {
    opts: RunOptions,
    file: std::fs::File,
    verdicts: Vec<Verdict>,
    /// The initramfs with /ltp/select appended, when tests are selected.
    initrd: Option<PathBuf>,
}

impl Run {
    fn record(&mut self, v: Verdict) {
        let _ = writeln!(self.file, "{} {}", v.name, v.verdict);
        for d in &v.details {
            let _ = writeln!(self.file, "    {d}");
        }
        let _ = self.file.flush();
        println!("{} {}", v.name, v.verdict);
        for d in &v.details {
            println!("    {d}");
        }
        self.verdicts.push(v);
    }

    fn config(&self) -> QemuConfig {
        let mut config = QemuConfig::from_env();
        if let Some(initrd) = &self.initrd {
            config.initrd = initrd.clone();
        }
        config.smp = 1;
        let mut extra: Vec<OsString> = vec!["-m".into(), MEMORY.into()];
        if let Some(disk) = &self.opts.disk {
            extra.push("-drive".into());
            extra.push(format!("file={},if=virtio,format=raw,readonly=on", disk.display()).into());
        }
        if let Some(linux) = &self.opts.linux {
            config.kernel = linux.clone();
        }
        config.extra = extra;
        config
    }

    /// One boot, running the tests after the first `skip`.
    fn boot(&mut self, skip: usize) -> Result<End, String> {
        let init = if self.opts.linux.is_some() { "rdinit=/bin/sh" } else { "init=/bin/sh" };
        let cmdline = format!("console=ttyS0 panic=-1 quiet {init} -- /ltp/run-syscalls {} {skip}", self.opts.regex);
        let mut q = Qemu::boot_with(&self.config(), &cmdline);
        let (mut mark, mut last) = (0, Instant::now());
        let mut current: Option<(usize, String)> = None;
        let mut tail: Vec<String> = Vec::new();
        loop {
            std::thread::sleep(POLL);
            let lines = q.lines_from(mark);
            mark += lines.len();
            if !lines.is_empty() {
                last = Instant::now();
            }
            for line in lines {
                let text = line.trim_end();
                tail.push(text.to_string());
                if tail.len() > 20 {
                    tail.remove(0);
                }
                if let Some(rest) = text.strip_prefix("ltp-start ") {
                    let (index, name) = rest.split_once(' ').unwrap_or((rest, "?"));
                    current = Some((index.parse().unwrap_or(0), name.to_string()));
                } else if let Some(rest) = text.strip_prefix("ltp-verdict ") {
                    let (name, verdict) = rest.split_once(' ').unwrap_or((rest, "?"));
                    let v = Verdict { name: name.into(), verdict: verdict.into(), details: Vec::new() };
                    self.record(v);
                    current = None;
                } else if let Some(rest) = text.strip_prefix("ltp-detail ") {
                    if let Some(v) = self.verdicts.last_mut() {
                        let _ = writeln!(self.file, "    {rest}");
                        println!("    {rest}");
                        v.details.push(rest.to_string());
                    }
                } else if text.starts_with("ltp-summary ") {
                    q.wait(Duration::from_secs(30));
                    return Ok(End::Finished);
                } else if let Some(rest) = text.strip_prefix("ltp-error: ") {
                    q.kill();
                    return Err(format!("the guest could not run LTP: {rest}"));
                } else if text.contains("Kernel panic") {
                    let r = q.wait(Duration::from_secs(5));
                    let why: Vec<&str> = r.texts().skip_while(|l| !l.contains("Kernel panic")).take(12).collect();
                    return lost(current, "PANIC", why.join("\n"));
                }
            }
            if q.output_ended() {
                q.wait(Duration::from_secs(5));
                return lost(current, "CRASH", tail.join("\n"));
            }
            if last.elapsed() > self.opts.stall {
                q.kill();
                return lost(current, "HANG", format!("no output for {} s", self.opts.stall.as_secs()));
            }
        }
    }
}

/// One newc cpio entry.
fn cpio_entry(out: &mut Vec<u8>, name: &str, mode: u32, data: &[u8]) {
    let fields = [0, mode, 0, 0, 1, 0, data.len() as u32, 0, 0, 0, 0, name.len() as u32 + 1, 0];
    out.extend_from_slice(b"070701");
    for f in fields {
        out.extend_from_slice(format!("{f:08X}").as_bytes());
    }
    out.extend_from_slice(name.as_bytes());
    out.push(0);
    out.resize(out.len().next_multiple_of(4), 0);
    out.extend_from_slice(data);
    out.resize(out.len().next_multiple_of(4), 0);
}

/// `initrd` followed by an archive holding /ltp/select (the names in
/// `names`), written beside `out`.
fn with_selection(initrd: &std::path::Path, names: &std::path::Path, out: &std::path::Path) -> Result<PathBuf, String> {
    let list = std::fs::read(names).map_err(|e| format!("{}: {e}", names.display()))?;
    let mut bytes = std::fs::read(initrd).map_err(|e| format!("{}: {e}", initrd.display()))?;
    bytes.resize(bytes.len().next_multiple_of(4), 0);
    cpio_entry(&mut bytes, "ltp/select", 0o100644, &list);
    cpio_entry(&mut bytes, "TRAILER!!!", 0, b"");
    let path = out.with_extension("initrd");
    std::fs::write(&path, bytes).map_err(|e| format!("{}: {e}", path.display()))?;
    Ok(path)
}

fn lost(current: Option<(usize, String)>, verdict: &'static str, why: String) -> Result<End, String> {
    match current {
        Some((index, name)) => Ok(End::Lost { index, name, verdict, why }),
        None => Err(format!("the guest stopped outside any test ({verdict}):\n{why}")),
    }
}

fn run(args: &[String]) -> Result<(), String> {
    let opts = parse_run(args)?;
    let file = std::fs::File::create(&opts.out).map_err(|e| format!("{}: {e}", opts.out.display()))?;
    let initrd = match &opts.select {
        Some(names) => Some(with_selection(&QemuConfig::from_env().initrd, names, &opts.out)?),
        None => None,
    };
    let mut run = Run { opts, file, verdicts: Vec::new(), initrd };
    let mut skip = 0;
    loop {
        match run.boot(skip)? {
            End::Finished => break,
            End::Lost { index, name, verdict, why } => {
                let details = why.lines().take(12).map(|l| format!("{name}: {l}")).collect();
                run.record(Verdict { name, verdict: verdict.into(), details });
                skip = index;
            }
        }
    }
    let count = |f: &dyn Fn(&str) -> bool| run.verdicts.iter().filter(|v| f(&v.verdict)).count();
    let passed = count(&|v| v == "PASS");
    let skipped = count(&|v| v == "CONF");
    let failed = run.verdicts.len() - passed - skipped;
    println!("{passed} passed, {failed} failed, {skipped} skipped");
    Ok(())
}

/// The verdicts of a file: name to verdict.
fn read_verdicts(path: &str) -> Result<BTreeMap<String, String>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
    Ok(text
        .lines()
        .filter(|l| !l.starts_with(' ') && !l.is_empty())
        .filter_map(|l| l.split_once(' ').map(|(n, v)| (n.to_string(), v.to_string())))
        .collect())
}

/// The system call a test is named after: its name without the number and
/// the _16/_64 variant (fcntl34_64 is fcntl's).
fn syscall_of(test: &str) -> &str {
    let base = test.strip_suffix("_64").or_else(|| test.strip_suffix("_16")).unwrap_or(test);
    base.trim_end_matches(|c: char| c.is_ascii_digit())
}

fn compare(linux_path: &str, kestrel_path: &str) -> Result<(), String> {
    let linux = read_verdicts(linux_path)?;
    let kestrel = read_verdicts(kestrel_path)?;
    let passes = |m: &BTreeMap<String, String>| -> BTreeSet<String> {
        m.iter().filter(|(_, v)| *v == "PASS").map(|(n, _)| n.clone()).collect()
    };
    let (l, k) = (passes(&linux), passes(&kestrel));
    let mut missing: BTreeMap<&str, Vec<String>> = BTreeMap::new();
    for t in l.difference(&k) {
        let v = kestrel.get(t).map_or("not run", String::as_str);
        missing.entry(syscall_of(t)).or_default().push(format!("{t} ({v})"));
    }
    println!("Tests Linux passes and kestrel does not, by system call:");
    for (call, tests) in &missing {
        println!("  {call}: {}", tests.join(", "));
    }
    let extra: Vec<&String> = k.difference(&l).collect();
    if !extra.is_empty() {
        println!(
            "Tests kestrel passes and Linux does not: {}",
            extra.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ")
        );
    }
    println!("Linux passes {}, kestrel passes {}, both pass {}", l.len(), k.len(), l.intersection(&k).count());
    Ok(())
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("run") => run(&args[1..]),
        Some("compare") if args.len() == 3 => compare(&args[1], &args[2]),
        _ => Err("usage: kestrel-ltp run --out FILE [--linux VMLINUX] [--disk IMAGE] [--regex R] [--select NAMES] \
                  [--stall SECONDS]\n       kestrel-ltp compare LINUX_VERDICTS KESTREL_VERDICTS"
            .into()),
    };
    if let Err(e) = result {
        eprintln!("kestrel-ltp: {e}");
        std::process::exit(1);
    }
}
