//! Runs the benchmark program as init on kestrel and on Linux in the same
//! QEMU, alternating the two kernels round by round (the host's speed
//! drifts over minutes), and prints the medians side by side with their
//! ratio; writes the table and a bar chart (SVG) into the output folder.
//! Each kernel boots three times a round: with one CPU for the benchmark's
//! figures, then twice in the benchmark's SMP mode (multi-threaded TCG),
//! at `-smp 1` and at `-smp N`, for the time of N processes side by side
//! (whose ratio between the two boots is the parallel speedup) and, at
//! `-smp N`, for the figures that need two CPUs (a munmap with a TLB
//! shootdown, cross-CPU round trips).
//!
//! A fourth boot a round gives the guest a virtio-net card on QEMU's user
//! network and runs `/benchnet` against a server this program runs on the
//! host's loopback: TCP round trip and throughput between guest and host.
//! Linux boots it with `--linux-initrd`, the initramfs with its virtio-net
//! modules added (scripts/bench makes it).
//!
//! A fifth boot a round runs the disk workloads (`tests/scripts/diskbench.sh`
//! and `/fsbench`) on 1 GiB virtio disks this program makes afresh:
//! kestrelfs (uncompressed, lz4, zstd) on kestrel; ext4 and btrfs
//! (uncompressed, lzo, zstd:1) on Linux, made by the host's `mkfs.ext4`
//! and `mkfs.btrfs`, with the drivers from `--linux-disk-initrd`. Each
//! kestrelfs figure is shown beside the Linux filesystem it compares with
//! (see [`DISK_PAIRS`]).
//!
//! Usage: kestrel-bench --linux VMLINUX [--linux-initrd CPIO]
//! [--linux-disk-initrd CPIO] [--disk-mib N] [--rounds N] [--smp N]
//! [--out DIR] (`--smp 1` leaves the SMP boots out; `--disk-mib 0` the disk
//! boot.)
//! The kernel, initramfs and accelerator come from `KERNEL_ELF`,
//! `INITRAMFS` and `KERNEL_ACCEL`, as for the tests.

use std::ffi::OsString;
use std::io::{Read, Write};
use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread;
use std::time::Duration;

use harness::bench::{self, Figure};
use harness::{BootResult, Qemu, QemuConfig};

/// Both kernels get this much memory, and one CPU in the first boot.
const MEMORY: &str = "1G";
const BOOT_TIMEOUT: Duration = Duration::from_secs(600);
/// The line the benchmark program prints first and last.
const FIRST: &str = "bench: uptime at start";
const LAST: &str = "bench: done";

struct Options {
    linux: PathBuf,
    /// The initramfs Linux boots (with its network modules), if not the
    /// tests' one.
    linux_initrd: Option<PathBuf>,
    /// The initramfs of Linux's disk boot (with its block and
    /// filesystem modules).
    linux_disk_initrd: Option<PathBuf>,
    /// The size of each file the disk workloads write; 0 leaves them out.
    disk_mib: usize,
    rounds: usize,
    /// The CPUs of the SMP boot, and the processes of the parallel figures.
    smp: usize,
    out: PathBuf,
}

fn parse_args() -> Result<Options, String> {
    let mut linux = None;
    let mut linux_initrd = None;
    let mut linux_disk_initrd = None;
    let mut disk_mib = 64;
    let mut rounds = 3;
    let mut smp = 2;
    let mut out = harness::paths::build_dir().join("bench");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--linux" => linux = Some(PathBuf::from(value()?)),
            "--linux-initrd" => linux_initrd = Some(PathBuf::from(value()?)),
            "--linux-disk-initrd" => linux_disk_initrd = Some(PathBuf::from(value()?)),
            "--disk-mib" => disk_mib = value()?.parse().map_err(|_| "--disk-mib takes a number".to_string())?,
            "--rounds" => rounds = value()?.parse().map_err(|_| "--rounds takes a number".to_string())?,
            "--smp" => smp = value()?.parse().map_err(|_| "--smp takes a number".to_string())?,
            "--out" => out = PathBuf::from(value()?),
            _ => return Err(format!("unknown argument {a}")),
        }
    }
    let linux = linux.ok_or("--linux VMLINUX is required (scripts/linux-image prints its path)")?;
    if rounds == 0 {
        return Err("--rounds must be at least 1".into());
    }
    if !(1..=64).contains(&smp) {
        return Err("--smp must be from 1 to 64".into());
    }
    if disk_mib > 256 {
        return Err("--disk-mib must be at most 256 (the disks are 1 GiB)".into());
    }
    Ok(Options { linux, linux_initrd, linux_disk_initrd, disk_mib, rounds, smp, out })
}

#[derive(Clone, Copy, PartialEq)]
enum Kernel {
    Kestrel,
    Linux,
}

impl Kernel {
    fn name(self) -> &'static str {
        match self {
            Kernel::Kestrel => "kestrel",
            Kernel::Linux => "Linux",
        }
    }
}

/// What one boot printed.
struct Boot {
    figures: Vec<Figure>,
    /// The CPUs the program saw (`bench: cpus: K`).
    cpus: Option<usize>,
    /// Why it printed no SMP figures, if it said.
    smp_unavailable: Option<String>,
}

/// Boots `kernel` with the benchmark as init, with one CPU (`smp` None)
/// or in the program's SMP mode with `smp` CPUs, and returns what it
/// printed; the first adds the host time from QEMU's start to the
/// program's first line.
fn run_once(kernel: Kernel, opts: &Options, smp: Option<usize>) -> Result<Boot, String> {
    let mut config = QemuConfig::from_env();
    config.smp = smp.unwrap_or(1);
    let cpus = config.smp.to_string();
    config.extra = ["-m", MEMORY].iter().map(OsString::from).collect();
    if smp.is_some() {
        config.accel = harness::qemu::multi_threaded(&config.accel);
    }
    let init = match kernel {
        Kernel::Kestrel => "init=/bench",
        Kernel::Linux => {
            config.kernel = opts.linux.clone();
            "rdinit=/bench"
        }
    };
    let mode = if smp.is_some() { format!(" -- smp procs={}", opts.smp) } else { String::new() };
    let cmdline = format!("console=ttyS0 panic=-1 quiet {init}{mode}");
    let r = Qemu::boot_with(&config, &cmdline).wait(BOOT_TIMEOUT);
    let which = format!("{} (-smp {cpus})", kernel.name());
    if !r.contains(LAST) {
        return Err(format!("{which} did not finish the benchmark:\n{}", tail(&r)));
    }
    let mut figures: Vec<Figure> = r.texts().filter_map(bench::parse_figure).collect();
    if smp.is_none() {
        if let Some(started) = r.time_of(FIRST) {
            figures.push(Figure {
                name: "QEMU start to init (host)".into(),
                value: started.as_secs_f64() * 1e3,
                unit: "ms",
            });
        }
    }
    let smp_unavailable = r.texts().find_map(bench::parse_smp_unavailable).map(str::to_string);
    let cpus = r.texts().find_map(bench::parse_cpus);
    Ok(Boot { figures, cpus, smp_unavailable })
}

/// One round of `kernel`: the 1-CPU boot, then the SMP mode at -smp 1 and
/// at -smp N unless `--smp 1`. Returns the figures (see
/// [`bench::merge_smp`]) and whether the last boot showed fewer CPUs than
/// asked (said on stderr).
fn run_round(kernel: Kernel, opts: &Options) -> Result<(Vec<Figure>, bool), String> {
    let one = run_once(kernel, opts, None)?;
    if opts.smp == 1 {
        let mut figures = one.figures;
        figures.extend(run_net(kernel, opts)?);
        figures.extend(run_disk(kernel, opts)?);
        return Ok((figures, false));
    }
    let base = run_once(kernel, opts, Some(1))?;
    let smp = run_once(kernel, opts, Some(opts.smp))?;
    let short = smp.cpus.is_some_and(|c| c < opts.smp);
    if short {
        let shown = smp.cpus.unwrap_or(0);
        let why = smp.smp_unavailable.as_deref().map_or(String::new(), |w| format!(" ({w})"));
        let plural = if shown == 1 { "" } else { "s" };
        eprintln!(
            "warning: {} booted with -smp {} showed {shown} CPU{plural}{why}: its speedups are those of \
             {shown} CPU{plural}, and the figures it did not print for want of CPUs are n/a",
            kernel.name(),
            opts.smp,
        );
    }
    let mut figures = bench::merge_smp(&one.figures, &base.figures, &smp.figures, opts.smp);
    figures.extend(run_net(kernel, opts)?);
    figures.extend(run_disk(kernel, opts)?);
    Ok((figures, short))
}

/// One connection to the host's server: 'e' then bytes it echoes, or 's',
/// a 64-bit little-endian length and that many bytes, answered with one.
fn serve(mut conn: TcpStream) {
    let _ = conn.set_nodelay(true);
    let mut mode = [0u8; 1];
    if conn.read_exact(&mut mode).is_err() {
        return;
    }
    let mut buf = vec![0u8; 64 << 10];
    match mode[0] {
        b'e' => {
            let mut byte = [0u8; 1];
            while conn.read_exact(&mut byte).is_ok() && conn.write_all(&byte).is_ok() {}
        }
        b's' => {
            let mut len = [0u8; 8];
            if conn.read_exact(&mut len).is_err() {
                return;
            }
            let mut left = u64::from_le_bytes(len);
            while left > 0 {
                match conn.read(&mut buf[..left.min(64 << 10) as usize]) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => left -= n as u64,
                }
            }
            let _ = conn.write_all(b"k");
        }
        _ => {}
    }
}

/// The host's server on 127.0.0.1 (its port), serving until `stop` is set.
fn start_server(stop: Arc<AtomicBool>) -> Result<u16, String> {
    let listener = TcpListener::bind("127.0.0.1:0").map_err(|e| format!("server: {e}"))?;
    let port = listener.local_addr().map_err(|e| e.to_string())?.port();
    listener.set_nonblocking(true).map_err(|e| e.to_string())?;
    thread::spawn(move || {
        while !stop.load(Ordering::Relaxed) {
            match listener.accept() {
                Ok((conn, _)) => {
                    let _ = conn.set_nonblocking(false);
                    thread::spawn(move || serve(conn));
                }
                Err(_) => thread::sleep(Duration::from_millis(20)),
            }
        }
    });
    Ok(port)
}

/// The network boot: `/benchnet` with a virtio-net card, against the
/// host's server.
fn run_net(kernel: Kernel, opts: &Options) -> Result<Vec<Figure>, String> {
    let stop = Arc::new(AtomicBool::new(false));
    let port = start_server(stop.clone())?;
    let mut config = QemuConfig::from_env();
    config.smp = 1;
    config.extra = ["-m", MEMORY, "-netdev", "user,id=n0", "-device", "virtio-net-pci,netdev=n0"]
        .iter()
        .map(OsString::from)
        .collect();
    let init = match kernel {
        Kernel::Kestrel => "init=/benchnet",
        Kernel::Linux => {
            config.kernel = opts.linux.clone();
            if let Some(initrd) = &opts.linux_initrd {
                config.initrd = initrd.clone();
            }
            "rdinit=/benchnet"
        }
    };
    let r = Qemu::boot_with(&config, &format!("console=ttyS0 panic=-1 quiet {init} -- port={port}")).wait(BOOT_TIMEOUT);
    stop.store(true, Ordering::Relaxed);
    if !r.contains(LAST) {
        return Err(format!("{} did not finish the network benchmark:\n{}", kernel.name(), tail(&r)));
    }
    Ok(r.texts().filter_map(bench::parse_figure).collect())
}

/// The filesystems the disk figures compare: kestrelfs's mode, and the
/// Linux filesystem shown beside it.
const DISK_PAIRS: [(&str, &str); 4] =
    [("kestrelfs", "ext4"), ("kestrelfs", "btrfs"), ("kestrelfs lz4", "btrfs lzo"), ("kestrelfs zstd", "btrfs zstd:1")];

/// A fresh, empty 1 GiB image at `path` made by `command` (its arguments
/// come before the path).
fn make_image(path: &Path, command: &[&str]) -> Result<(), String> {
    let _ = std::fs::remove_file(path);
    let file = std::fs::File::create(path).map_err(|e| format!("{}: {e}", path.display()))?;
    file.set_len(1 << 30).map_err(|e| format!("{}: {e}", path.display()))?;
    let out = std::process::Command::new(command[0])
        .args(&command[1..])
        .arg(path)
        .output()
        .map_err(|e| format!("{}: {e} (scripts/setup installs it)", command[0]))?;
    if !out.status.success() {
        return Err(format!("{} failed: {}", command.join(" "), String::from_utf8_lossy(&out.stderr)));
    }
    Ok(())
}

/// The disk boot: the disk workloads on fresh images; the figures renamed
/// by [`bench::pair_disk_figures`].
fn run_disk(kernel: Kernel, opts: &Options) -> Result<Vec<Figure>, String> {
    if opts.disk_mib == 0 {
        return Ok(Vec::new());
    }
    std::fs::create_dir_all(&opts.out).map_err(|e| format!("{}: {e}", opts.out.display()))?;
    let mut config = QemuConfig::from_env();
    config.smp = 1;
    config.extra = ["-m", MEMORY].iter().map(OsString::from).collect();
    let images: Vec<PathBuf> = match kernel {
        Kernel::Kestrel => {
            let empty = opts.out.join("empty");
            std::fs::create_dir_all(&empty).map_err(|e| format!("{}: {e}", empty.display()))?;
            let image = opts.out.join("kestrelfs.img");
            let _ = std::fs::remove_file(&image);
            let tool = harness::paths::kestrel_fs();
            let out = std::process::Command::new(&tool)
                .arg("mkfs")
                .arg(&image)
                .arg(&empty)
                .args(["--size", "1G", "--compress", "none"])
                .output()
                .map_err(|e| format!("{}: {e}", tool.display()))?;
            if !out.status.success() {
                return Err(format!("kestrel-fs mkfs failed: {}", String::from_utf8_lossy(&out.stderr)));
            }
            vec![image]
        }
        Kernel::Linux => {
            config.kernel = opts.linux.clone();
            if let Some(initrd) = &opts.linux_disk_initrd {
                config.initrd = initrd.clone();
            }
            let ext4 = opts.out.join("ext4.img");
            let btrfs = opts.out.join("btrfs.img");
            make_image(&ext4, &["mkfs.ext4", "-q", "-F"])?;
            make_image(&btrfs, &["mkfs.btrfs", "-q", "-f"])?;
            vec![ext4, btrfs]
        }
    };
    for image in &images {
        config.attach_disk(image, "");
    }
    let init = match kernel {
        Kernel::Kestrel => "init=/bin/sh",
        Kernel::Linux => "rdinit=/bin/sh",
    };
    let cmdline = format!("console=ttyS0 panic=-1 quiet {init} -- /tests/diskbench.sh {}", opts.disk_mib);
    let r = Qemu::boot_with(&config, &cmdline).wait(BOOT_TIMEOUT);
    for image in &images {
        let _ = std::fs::remove_file(image);
    }
    if !r.contains(LAST) {
        return Err(format!("{} did not finish the disk benchmark:\n{}", kernel.name(), tail(&r)));
    }
    let side = match kernel {
        Kernel::Kestrel => bench::Side::Kestrel,
        Kernel::Linux => bench::Side::Linux,
    };
    let figures: Vec<Figure> = r.texts().filter_map(bench::parse_figure).collect();
    Ok(bench::pair_disk_figures(&figures, &DISK_PAIRS, side))
}

fn tail(r: &BootResult) -> String {
    let lines: Vec<&str> = r.texts().collect();
    lines[lines.len().saturating_sub(30)..].join("\n")
}

/// The kernel release recorded beside the vmlinux by scripts/linux-image.
fn linux_release(vmlinux: &Path) -> String {
    let recorded = vmlinux.parent().map(|d| d.join(".version")).and_then(|p| std::fs::read_to_string(p).ok());
    recorded.map_or_else(|| vmlinux.display().to_string(), |v| v.trim().to_string())
}

fn run(opts: &Options) -> Result<(), String> {
    let mut kestrel = Vec::new();
    let mut linux = Vec::new();
    let (mut kestrel_short, mut linux_short) = (false, false);
    for round in 0..opts.rounds {
        let order = if round % 2 == 0 { [Kernel::Kestrel, Kernel::Linux] } else { [Kernel::Linux, Kernel::Kestrel] };
        for kernel in order {
            eprintln!("==> round {} of {}: {}", round + 1, opts.rounds, kernel.name());
            let (figures, short) = run_round(kernel, opts)?;
            let (runs, was_short) = match kernel {
                Kernel::Kestrel => (&mut kestrel, &mut kestrel_short),
                Kernel::Linux => (&mut linux, &mut linux_short),
            };
            runs.push(figures);
            *was_short |= short;
        }
    }
    let mut rows = bench::compare(&kestrel, &linux);
    bench::mark_unavailable(&mut rows, opts.smp, kestrel_short, linux_short);
    let accel = harness::qemu::accel_args_from_env()?;
    let smp = match opts.smp {
        1 => String::new(),
        _ => format!("; rows with -smp: {}", harness::qemu::multi_threaded(&accel).join(" ")),
    };
    let title = format!(
        "kestrel and Linux {} in the same QEMU ({}, 1 vCPU{smp}, {MEMORY}iB), medians of {} round{}",
        linux_release(&opts.linux),
        accel.join(" "),
        opts.rounds,
        if opts.rounds == 1 { "" } else { "s" }
    );
    let text = format!("{title}\n\n{}", bench::table(&rows));
    print!("{text}");
    std::fs::create_dir_all(&opts.out).map_err(|e| format!("{}: {e}", opts.out.display()))?;
    let write = |name: &str, body: &str| {
        let path = opts.out.join(name);
        std::fs::write(&path, body).map_err(|e| format!("{}: {e}", path.display()))
    };
    write("bench.txt", &text)?;
    write("bench.svg", &bench::svg(&rows, &title))?;
    println!("\ntable and chart: {}/bench.txt, {}/bench.svg", opts.out.display(), opts.out.display());
    let na: Vec<String> = rows
        .iter()
        .filter(|r| r.kestrel_na || r.linux_na)
        .map(|r| format!("{} ({})", r.name, if r.kestrel_na { "kestrel" } else { "Linux" }))
        .collect();
    if !na.is_empty() {
        eprintln!("warning: n/a, the SMP boot showed fewer CPUs than asked: {}", na.join(", "));
    }
    let missing = bench::missing(&rows);
    if !missing.is_empty() {
        return Err(format!("figures missing on one kernel: {}", missing.join(", ")));
    }
    Ok(())
}

fn main() -> ExitCode {
    match parse_args().and_then(|opts| run(&opts)) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("kestrel-bench: {e}");
            ExitCode::FAILURE
        }
    }
}
