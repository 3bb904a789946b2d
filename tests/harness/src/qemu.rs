//! Boots the kernel in QEMU with the serial console on QEMU's stdin/stdout,
//! records every console line with the host time since spawn, and always
//! kills QEMU in the end, whether the test passes, fails or times out.

use std::ffi::OsString;
use std::io::{self, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, ExitStatus, Stdio};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use crate::paths;
use crate::serial::BootResult;

/// The QEMU binary.
pub const QEMU: &str = "qemu-system-x86_64";
/// qboot, a fast firmware that Debian's QEMU ships; used when present.
pub const QBOOT: &str = "/usr/share/qemu/qboot.rom";

/// Accelerator arguments for a `KERNEL_ACCEL` value: `tcg` (the default when
/// unset or empty) or `kvm`.
pub fn accel_args(accel: Option<&str>) -> Result<Vec<String>, String> {
    let args: &[&str] = match accel.unwrap_or("") {
        "" | "tcg" => &["-accel", "tcg", "-cpu", "max"],
        "kvm" => &["-accel", "kvm", "-cpu", "host"],
        other => return Err(format!("KERNEL_ACCEL must be tcg or kvm, not {other:?}")),
    };
    Ok(args.iter().map(|s| s.to_string()).collect())
}

/// `accel` with TCG asked to run each vCPU in a host thread of its own
/// (`-accel tcg,thread=multi`), for guests with several CPUs; other
/// accelerators as they are.
pub fn multi_threaded(accel: &[String]) -> Vec<String> {
    accel.iter().map(|a| if a == "tcg" { "tcg,thread=multi".to_string() } else { a.clone() }).collect()
}

/// Accelerator arguments for the `KERNEL_ACCEL` environment variable.
pub fn accel_args_from_env() -> Result<Vec<String>, String> {
    match std::env::var("KERNEL_ACCEL") {
        Ok(v) => accel_args(Some(&v)),
        Err(std::env::VarError::NotPresent) => accel_args(None),
        Err(e) => Err(format!("KERNEL_ACCEL: {e}")),
    }
}

/// What to boot and how.
#[derive(Debug, Clone)]
pub struct QemuConfig {
    /// The kernel image passed with `-kernel`.
    pub kernel: PathBuf,
    /// The initramfs passed with `-initrd`.
    pub initrd: PathBuf,
    /// The accelerator arguments (see [`accel_args`]).
    pub accel: Vec<String>,
    /// The firmware passed with `-bios`, if any.
    pub bios: Option<PathBuf>,
    /// Virtual CPUs (`-smp`); several run in parallel under TCG with
    /// multi-threaded translation.
    pub smp: usize,
    /// More arguments, after the standard ones: disks, another `-cpu`
    /// (QEMU takes the last one), more memory.
    pub extra: Vec<OsString>,
}

/// The vCPU count for a `KERNEL_SMP` value: 1 when unset or empty.
pub fn smp_from(value: Option<&str>) -> Result<usize, String> {
    match value.unwrap_or("") {
        "" => Ok(1),
        v => v
            .parse::<usize>()
            .ok()
            .filter(|&n| (1..=64).contains(&n))
            .ok_or(format!("KERNEL_SMP must be 1..64, not {v:?}")),
    }
}

/// The vCPU count the `KERNEL_SMP` environment variable asks for.
pub fn smp_from_env() -> Result<usize, String> {
    smp_from(std::env::var("KERNEL_SMP").ok().as_deref())
}

impl QemuConfig {
    /// Attaches `image` (raw) as the next virtio disk: /dev/vda for the
    /// first, /dev/vdb for the second, ... The kernel drives virtio-blk
    /// through its legacy PCI interface. `drive_options` are added to
    /// `-drive` (e.g. `snapshot=on`).
    pub fn attach_disk(&mut self, image: &Path, drive_options: &str) {
        let i = self.extra.iter().filter(|a| a.as_os_str() == "-drive").count();
        let mut drive = format!("file={},if=none,id=d{i},format=raw", image.display());
        if !drive_options.is_empty() {
            drive = format!("{drive},{drive_options}");
        }
        let device = format!("virtio-blk-pci,drive=d{i},disable-legacy=off,disable-modern=on");
        self.extra.extend(["-drive", &drive, "-device", &device].iter().map(OsString::from));
    }

    /// The configuration from the environment: `KERNEL_ELF`, `INITRAMFS` and
    /// `KERNEL_ACCEL`, and qboot if installed. Panics with a message telling
    /// to run `scripts/build` if the kernel or the initramfs is missing.
    pub fn from_env() -> QemuConfig {
        let kernel = paths::kernel_elf();
        let initrd = paths::initramfs();
        paths::require_file(&kernel, "the kernel image", "KERNEL_ELF");
        paths::require_file(&initrd, "the initramfs", "INITRAMFS");
        let accel = accel_args_from_env().unwrap_or_else(|e| panic!("{e}"));
        let bios = Some(PathBuf::from(QBOOT)).filter(|p| p.is_file());
        let smp = smp_from_env().unwrap_or_else(|e| panic!("{e}"));
        QemuConfig { kernel, initrd, accel, bios, smp, extra: Vec::new() }
    }

    /// QEMU's arguments to boot with kernel command line `cmdline`.
    pub fn args(&self, cmdline: &str) -> Vec<OsString> {
        let mut a: Vec<OsString> = self
            .accel
            .iter()
            .map(|s| if s == "tcg" && self.smp > 1 { OsString::from("tcg,thread=multi") } else { OsString::from(s) })
            .collect();
        a.push("-smp".into());
        a.push(self.smp.to_string().into());
        if let Some(bios) = &self.bios {
            a.push("-bios".into());
            a.push(bios.into());
        }
        for s in
            ["-machine", "q35", "-m", "512M", "-display", "none", "-monitor", "none", "-serial", "stdio", "-no-reboot"]
        {
            a.push(s.into());
        }
        a.extend(self.extra.iter().cloned());
        a.push("-kernel".into());
        a.push(self.kernel.as_os_str().into());
        a.push("-initrd".into());
        a.push(self.initrd.as_os_str().into());
        a.push("-append".into());
        a.push(cmdline.into());
        a
    }
}

/// A command as a shell-like string, for logs.
fn display_command(program: &str, args: &[OsString]) -> String {
    let mut s = program.to_string();
    for a in args {
        let a = a.to_string_lossy();
        s.push(' ');
        if a.is_empty() || a.contains(|c: char| c.is_whitespace() || c == '\'' || c == '"') {
            s.push('\'');
            s.push_str(&a.replace('\'', "'\\''"));
            s.push('\'');
        } else {
            s.push_str(&a);
        }
    }
    s
}

/// Console output shared between the reader threads and the test.
#[derive(Default)]
struct Output {
    /// Complete lines with their arrival time.
    lines: Vec<(Duration, String)>,
    /// The current line, not yet ended by a newline (a prompt, say).
    partial: Vec<u8>,
    /// QEMU's stderr lines.
    stderr: Vec<String>,
    /// Stdout reached end of file.
    eof: bool,
    /// Stderr reached end of file.
    stderr_eof: bool,
}

struct Shared {
    out: Mutex<Output>,
    changed: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, Output> {
        // A reader thread cannot panic while holding the lock, but do not
        // turn a poisoned lock into a second panic either.
        self.out.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// One serial line from raw bytes: lossy UTF-8, carriage returns removed.
fn line_text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).replace('\r', "")
}

/// Reads QEMU's stdout, splitting it into timestamped lines.
fn read_stdout(mut from: impl Read, shared: Arc<Shared>, start: Instant) {
    let mut buf = [0u8; 4096];
    loop {
        let n = match from.read(&mut buf) {
            Ok(0) | Err(_) => 0,
            Ok(n) => n,
        };
        let now = start.elapsed();
        let mut out = shared.lock();
        if n == 0 {
            if !out.partial.is_empty() {
                let text = line_text(&std::mem::take(&mut out.partial));
                out.lines.push((now, text));
            }
            out.eof = true;
            shared.changed.notify_all();
            return;
        }
        for &b in &buf[..n] {
            if b == b'\n' {
                let text = line_text(&std::mem::take(&mut out.partial));
                out.lines.push((now, text));
            } else {
                out.partial.push(b);
            }
        }
        shared.changed.notify_all();
    }
}

/// Reads QEMU's stderr (its own error messages) line by line.
fn read_stderr(from: impl Read, shared: Arc<Shared>) {
    let mut text = String::new();
    let _ = io::BufReader::new(from).read_to_string(&mut text);
    let mut out = shared.lock();
    out.stderr.extend(text.lines().map(str::to_string));
    out.stderr_eof = true;
    shared.changed.notify_all();
}

/// Makes the kernel kill QEMU if the thread that spawned it dies without
/// running destructors (the test binary killed by a CI timeout, say).
#[cfg(all(target_os = "linux", target_arch = "x86_64"))]
fn kill_with_parent(cmd: &mut Command) {
    use std::os::unix::process::CommandExt;
    const SYS_PRCTL: usize = 157;
    const PR_SET_PDEATHSIG: usize = 1;
    const SIGKILL: usize = 9;
    // SAFETY: the closure runs in the child between fork and exec and only
    // makes one system call, which touches no memory.
    unsafe {
        cmd.pre_exec(|| {
            let ret: isize;
            std::arch::asm!(
                "syscall",
                inlateout("rax") SYS_PRCTL => ret,
                in("rdi") PR_SET_PDEATHSIG,
                in("rsi") SIGKILL,
                out("rcx") _,
                out("r11") _,
                options(nostack),
            );
            if ret < 0 {
                return Err(io::Error::from_raw_os_error(-ret as i32));
            }
            Ok(())
        });
    }
}

#[cfg(not(all(target_os = "linux", target_arch = "x86_64")))]
fn kill_with_parent(_cmd: &mut Command) {}

/// A running QEMU. Dropping it kills QEMU and reaps it.
pub struct Qemu {
    child: Child,
    stdin: Option<ChildStdin>,
    shared: Arc<Shared>,
    readers: Vec<JoinHandle<()>>,
    start: Instant,
    cmdline: String,
    command: String,
}

impl Qemu {
    /// Boots the kernel with command line `cmdline`, configured from the
    /// environment (see [`QemuConfig::from_env`]). Panics if the kernel or
    /// initramfs is missing or QEMU cannot be started.
    pub fn boot(cmdline: &str) -> Qemu {
        Qemu::boot_with(&QemuConfig::from_env(), cmdline)
    }

    /// Boots with an explicit configuration.
    pub fn boot_with(config: &QemuConfig, cmdline: &str) -> Qemu {
        let args = config.args(cmdline);
        let command = display_command(QEMU, &args);
        let mut cmd = Command::new(QEMU);
        cmd.args(&args);
        Qemu::spawn(cmd, cmdline, command.clone())
            .unwrap_or_else(|e| panic!("could not start {QEMU} ({e}): run scripts/setup to install QEMU\n{command}"))
    }

    /// Starts QEMU with arguments of the caller's own (a machine booted
    /// from a disc rather than `-kernel`): the serial line must be
    /// `-serial stdio`. `what` names the boot in failure messages.
    pub fn start_with_args(args: &[OsString], what: &str) -> Qemu {
        let command = display_command(QEMU, args);
        let mut cmd = Command::new(QEMU);
        cmd.args(args);
        Qemu::spawn(cmd, what, command.clone())
            .unwrap_or_else(|e| panic!("could not start {QEMU} ({e}): run scripts/setup to install QEMU\n{command}"))
    }

    /// Spawns `cmd` with piped stdio and starts reading its output.
    fn spawn(mut cmd: Command, cmdline: &str, command: String) -> io::Result<Qemu> {
        cmd.stdin(Stdio::piped()).stdout(Stdio::piped()).stderr(Stdio::piped());
        kill_with_parent(&mut cmd);
        let start = Instant::now();
        let mut child = cmd.spawn()?;
        let shared = Arc::new(Shared { out: Mutex::new(Output::default()), changed: Condvar::new() });
        let stdout = child.stdout.take().expect("stdout is piped");
        let stderr = child.stderr.take().expect("stderr is piped");
        let readers = vec![
            {
                let shared = Arc::clone(&shared);
                std::thread::spawn(move || read_stdout(stdout, shared, start))
            },
            {
                let shared = Arc::clone(&shared);
                std::thread::spawn(move || read_stderr(stderr, shared))
            },
        ];
        let stdin = child.stdin.take();
        Ok(Qemu { child, stdin, shared, readers, start, cmdline: cmdline.to_string(), command })
    }

    /// Host time since QEMU was spawned.
    pub fn elapsed(&self) -> Duration {
        self.start.elapsed()
    }

    /// Types `s` on the serial console (QEMU's stdin, kept open).
    pub fn send(&mut self, s: &str) -> io::Result<()> {
        let stdin =
            self.stdin.as_mut().ok_or_else(|| io::Error::new(io::ErrorKind::BrokenPipe, "QEMU's stdin is closed"))?;
        stdin.write_all(s.as_bytes())?;
        stdin.flush()
    }

    /// The complete lines received so far.
    pub fn lines(&self) -> Vec<(Duration, String)> {
        self.shared.lock().lines.clone()
    }

    /// How many complete lines have arrived: a mark for [`Qemu::wait_for_from`].
    pub fn line_count(&self) -> usize {
        self.shared.lock().lines.len()
    }

    /// The complete lines from number `from` on, for a long run read as
    /// it goes.
    pub fn lines_from(&self, from: usize) -> Vec<String> {
        let out = self.shared.lock();
        out.lines.get(from..).unwrap_or(&[]).iter().map(|(_, l)| l.clone()).collect()
    }

    /// Whether QEMU's output has ended (it exited, or was killed).
    pub fn output_ended(&self) -> bool {
        self.shared.lock().eof
    }

    /// Waits until a line, or the unfinished current line (a prompt), contains
    /// `s`; returns the host time since spawn at which it arrived. `None` if
    /// `timeout` passes or QEMU's output ends first.
    pub fn wait_for(&self, s: &str, timeout: Duration) -> Option<Duration> {
        self.wait_for_from(0, s, timeout)
    }

    /// As [`Qemu::wait_for`], looking only at the lines from number `from`
    /// on (see [`Qemu::line_count`]) and at the unfinished current line.
    pub fn wait_for_from(&self, from: usize, s: &str, timeout: Duration) -> Option<Duration> {
        let deadline = Instant::now() + timeout;
        let mut out = self.shared.lock();
        let mut checked = from.min(out.lines.len());
        loop {
            if let Some((t, _)) = out.lines[checked..].iter().find(|(_, l)| l.contains(s)) {
                return Some(*t);
            }
            checked = out.lines.len();
            if line_text(&out.partial).contains(s) {
                return Some(self.start.elapsed());
            }
            let now = Instant::now();
            if out.eof || now >= deadline {
                return None;
            }
            out = self.shared.changed.wait_timeout(out, deadline - now).unwrap_or_else(|e| e.into_inner()).0;
        }
    }

    /// Kills QEMU at once (SIGKILL: a power cut, nothing is flushed) and
    /// returns everything it printed.
    pub fn kill(&mut self) -> BootResult {
        self.wait(Duration::ZERO)
    }

    /// Waits up to `timeout` for QEMU to exit by itself, kills it if it does
    /// not, and returns everything it printed.
    pub fn wait(&mut self, timeout: Duration) -> BootResult {
        let deadline = Instant::now() + timeout;
        let mut exited = false;
        let mut timed_out = false;
        let mut status: Option<ExitStatus> = None;
        loop {
            match self.child.try_wait() {
                Ok(Some(st)) => {
                    exited = true;
                    status = Some(st);
                    break;
                }
                Ok(None) if Instant::now() < deadline => {
                    std::thread::sleep(Duration::from_millis(5));
                }
                Ok(None) => {
                    timed_out = true;
                    break;
                }
                Err(_) => break,
            }
        }
        let total = self.start.elapsed();
        if !exited {
            let _ = self.child.kill();
            status = self.child.wait().ok();
        }
        // QEMU is gone, so its pipes reach end of file and the readers finish,
        // unless some other process inherited them: wait a little, not forever.
        self.stdin = None;
        let grace = Instant::now() + Duration::from_secs(2);
        let mut out = self.shared.lock();
        while !(out.eof && out.stderr_eof) {
            let now = Instant::now();
            if now >= grace {
                break;
            }
            out = self.shared.changed.wait_timeout(out, grace - now).unwrap_or_else(|e| e.into_inner()).0;
        }
        if out.eof && out.stderr_eof {
            drop(out);
            for r in self.readers.drain(..) {
                let _ = r.join();
            }
            out = self.shared.lock();
        }
        BootResult {
            cmdline: self.cmdline.clone(),
            command: self.command.clone(),
            lines: std::mem::take(&mut out.lines),
            stderr: std::mem::take(&mut out.stderr),
            exited,
            exit_status: status,
            timed_out,
            total,
        }
    }
}

impl Drop for Qemu {
    fn drop(&mut self) {
        // Kill is a no-op once the child has been reaped by wait().
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Boots with `cmdline`, waits up to `timeout` for QEMU to exit, and returns
/// what happened; QEMU is killed before this returns.
pub fn run(cmdline: &str, timeout: Duration) -> BootResult {
    Qemu::boot(cmdline).wait(timeout)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> QemuConfig {
        QemuConfig {
            kernel: PathBuf::from("/k/kernel.elf"),
            initrd: PathBuf::from("/k/initramfs.cpio"),
            accel: accel_args(None).unwrap(),
            bios: Some(PathBuf::from(QBOOT)),
            smp: 1,
            extra: Vec::new(),
        }
    }

    #[test]
    fn several_cpus_use_multi_threaded_translation() {
        let config = QemuConfig { smp: 4, ..config() };
        let args: Vec<String> = config.args("").iter().map(|a| a.to_string_lossy().into_owned()).collect();
        assert_eq!(args[..6], ["-accel", "tcg,thread=multi", "-cpu", "max", "-smp", "4"]);
        assert_eq!(smp_from(None), Ok(1));
        assert_eq!(smp_from(Some("2")), Ok(2));
        assert!(smp_from(Some("0")).unwrap_err().contains("1..64"));
        assert!(smp_from(Some("x")).is_err());
    }

    #[test]
    fn accelerators() {
        assert_eq!(accel_args(None).unwrap(), ["-accel", "tcg", "-cpu", "max"]);
        assert_eq!(accel_args(Some("")).unwrap(), ["-accel", "tcg", "-cpu", "max"]);
        assert_eq!(accel_args(Some("tcg")).unwrap(), ["-accel", "tcg", "-cpu", "max"]);
        assert_eq!(accel_args(Some("kvm")).unwrap(), ["-accel", "kvm", "-cpu", "host"]);
        assert!(accel_args(Some("hvf")).unwrap_err().contains("tcg or kvm"));
        let tcg = accel_args(Some("tcg")).unwrap();
        assert_eq!(multi_threaded(&tcg), ["-accel", "tcg,thread=multi", "-cpu", "max"]);
        let kvm = accel_args(Some("kvm")).unwrap();
        assert_eq!(multi_threaded(&kvm), kvm);
    }

    #[test]
    fn command_line() {
        let args = config().args("console=ttyS0 init=/demo -- a b");
        let args: Vec<String> = args.iter().map(|a| a.to_string_lossy().into_owned()).collect();
        assert_eq!(
            args,
            [
                "-accel",
                "tcg",
                "-cpu",
                "max",
                "-smp",
                "1",
                "-bios",
                QBOOT,
                "-machine",
                "q35",
                "-m",
                "512M",
                "-display",
                "none",
                "-monitor",
                "none",
                "-serial",
                "stdio",
                "-no-reboot",
                "-kernel",
                "/k/kernel.elf",
                "-initrd",
                "/k/initramfs.cpio",
                "-append",
                "console=ttyS0 init=/demo -- a b",
            ]
        );
        let mut c = config();
        c.bios = None;
        assert!(!c.args("x").iter().any(|a| a == "-bios"));
    }

    #[test]
    fn displays_commands() {
        let args: Vec<OsString> = ["-append", "a b", "it's", ""].iter().map(OsString::from).collect();
        assert_eq!(display_command("q", &args), "q -append 'a b' 'it'\\''s' ''");
    }

    #[test]
    fn splits_output_into_timed_lines() {
        let shared = Arc::new(Shared { out: Mutex::new(Output::default()), changed: Condvar::new() });
        let input: &[u8] = b"first\r\nsecond\n\xffbad\nno newline";
        read_stdout(input, Arc::clone(&shared), Instant::now());
        let out = shared.lock();
        let texts: Vec<&str> = out.lines.iter().map(|(_, l)| l.as_str()).collect();
        assert_eq!(texts, ["first", "second", "\u{fffd}bad", "no newline"]);
        assert!(out.eof);
    }

    /// A stand-in for QEMU: the harness machinery with `sh` as the child.
    fn fake(script: &str) -> Qemu {
        let mut cmd = Command::new("sh");
        cmd.args(["-c", script]);
        Qemu::spawn(cmd, "", script.to_string()).unwrap()
    }

    #[test]
    fn waits_for_exit() {
        let r = fake("echo one; echo oops >&2; echo two; exit 3").wait(Duration::from_secs(10));
        assert!(r.exited && !r.timed_out);
        assert_eq!(r.exit_status.and_then(|s| s.code()), Some(3));
        assert_eq!(r.texts().collect::<Vec<_>>(), ["one", "two"]);
        assert_eq!(r.stderr, ["oops"]);
    }

    #[test]
    fn kills_at_the_timeout() {
        let begin = Instant::now();
        // The orphaned sleep keeps the output pipes open: wait must not hang.
        let r = fake("echo started; sleep 30").wait(Duration::from_millis(300));
        assert!(r.timed_out && !r.exited);
        assert!(r.total < Duration::from_secs(10));
        assert!(begin.elapsed() < Duration::from_secs(10));
        assert!(r.contains("started"));
    }

    #[test]
    fn sends_input_and_waits_for_output() {
        let mut q = fake("printf 'prompt> '; read x; echo \"got $x\"; sleep 30");
        assert!(q.wait_for("prompt> ", Duration::from_secs(10)).is_some());
        q.send("hello\n").unwrap();
        assert!(q.wait_for("got hello", Duration::from_secs(10)).is_some());
        assert!(q.wait_for("never", Duration::from_millis(50)).is_none());
        // Dropped here while still running: killed, not leaked.
    }
}
