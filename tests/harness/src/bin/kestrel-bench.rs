//! Runs the benchmark program as init on kestrel and on Linux in the same
//! QEMU, alternating the two kernels round by round (the host's speed
//! drifts over minutes), and prints the medians side by side with their
//! ratio; writes the table and a bar chart (SVG) into the output folder.
//!
//! Usage: kestrel-bench --linux VMLINUX [--rounds N] [--out DIR]
//! The kernel, initramfs and accelerator come from `KERNEL_ELF`,
//! `INITRAMFS` and `KERNEL_ACCEL`, as for the tests.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use harness::bench::{self, Figure};
use harness::{BootResult, Qemu, QemuConfig};

/// Both kernels get this much memory and one CPU.
const MEMORY: &str = "1G";
const BOOT_TIMEOUT: Duration = Duration::from_secs(600);
/// The line the benchmark program prints first and last.
const FIRST: &str = "bench: uptime at start";
const LAST: &str = "bench: done";

struct Options {
    linux: PathBuf,
    rounds: usize,
    out: PathBuf,
}

fn parse_args() -> Result<Options, String> {
    let mut linux = None;
    let mut rounds = 3;
    let mut out = harness::paths::build_dir().join("bench");
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        let mut value = || args.next().ok_or(format!("{a} needs a value"));
        match a.as_str() {
            "--linux" => linux = Some(PathBuf::from(value()?)),
            "--rounds" => rounds = value()?.parse().map_err(|_| "--rounds takes a number".to_string())?,
            "--out" => out = PathBuf::from(value()?),
            _ => return Err(format!("unknown argument {a}")),
        }
    }
    let linux = linux.ok_or("--linux VMLINUX is required (scripts/linux-image prints its path)")?;
    if rounds == 0 {
        return Err("--rounds must be at least 1".into());
    }
    Ok(Options { linux, rounds, out })
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

/// Boots `kernel` with the benchmark as init and returns its figures, plus
/// the host time from QEMU's start to the program's first line.
fn run_once(kernel: Kernel, opts: &Options) -> Result<Vec<Figure>, String> {
    let mut config = QemuConfig::from_env();
    config.extra = ["-m", MEMORY, "-smp", "1"].iter().map(OsString::from).collect();
    let init = match kernel {
        Kernel::Kestrel => "init=/bench",
        Kernel::Linux => {
            config.kernel = opts.linux.clone();
            "rdinit=/bench"
        }
    };
    let r = Qemu::boot_with(&config, &format!("console=ttyS0 panic=-1 quiet {init}")).wait(BOOT_TIMEOUT);
    if !r.contains(LAST) {
        return Err(format!("{} did not finish the benchmark:\n{}", kernel.name(), tail(&r)));
    }
    let mut figures: Vec<Figure> = r.texts().filter_map(bench::parse_figure).collect();
    if let Some(started) = r.time_of(FIRST) {
        figures.push(Figure {
            name: "QEMU start to init (host)".into(),
            value: started.as_secs_f64() * 1e3,
            unit: "ms",
        });
    }
    Ok(figures)
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
    for round in 0..opts.rounds {
        let order = if round % 2 == 0 { [Kernel::Kestrel, Kernel::Linux] } else { [Kernel::Linux, Kernel::Kestrel] };
        for kernel in order {
            eprintln!("==> round {} of {}: {}", round + 1, opts.rounds, kernel.name());
            let figures = run_once(kernel, opts)?;
            match kernel {
                Kernel::Kestrel => kestrel.push(figures),
                Kernel::Linux => linux.push(figures),
            }
        }
    }
    let rows = bench::compare(&kestrel, &linux);
    let accel = harness::qemu::accel_args_from_env()?.join(" ");
    let title = format!(
        "kestrel and Linux {} in the same QEMU ({accel}, 1 vCPU, {MEMORY}iB), medians of {} round{}",
        linux_release(&opts.linux),
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
    let missing: Vec<&str> =
        rows.iter().filter(|r| r.kestrel.is_none() || r.linux.is_none()).map(|r| r.name.as_str()).collect();
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
