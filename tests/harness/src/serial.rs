//! The outcome of one boot, its serial console log, and parsers for the lines
//! of the kernel's console protocol and of the test programs' output.
//!
//! Kernel lines may begin with a Linux-style timestamp (`[    0.123456] `), so
//! matching is by substring, or on the text after [`strip_timestamp`].

use std::fmt::Write as _;
use std::process::ExitStatus;
use std::time::Duration;

/// Printed by the kernel right before it powers the machine off.
pub const POWER_DOWN: &str = "reboot: Power down";
/// Printed by the kernel when it panics; never acceptable in a test.
pub const KERNEL_PANIC: &str = "Kernel panic";

/// What happened during one boot.
#[derive(Debug)]
pub struct BootResult {
    /// The kernel command line.
    pub cmdline: String,
    /// The QEMU command, for the log.
    pub command: String,
    /// Every serial line with the host time since QEMU was spawned at which
    /// its end arrived. Carriage returns are removed.
    pub lines: Vec<(Duration, String)>,
    /// What QEMU wrote to its stderr (its own errors), line by line.
    pub stderr: Vec<String>,
    /// QEMU exited by itself (not killed by the harness).
    pub exited: bool,
    /// QEMU's exit status, once it exited (by itself or killed).
    pub exit_status: Option<ExitStatus>,
    /// The harness killed QEMU because the timeout passed.
    pub timed_out: bool,
    /// Host time from spawning QEMU to its exit (or to the kill).
    pub total: Duration,
}

impl BootResult {
    /// The serial lines without their host times.
    pub fn texts(&self) -> impl Iterator<Item = &str> {
        self.lines.iter().map(|(_, l)| l.as_str())
    }

    /// Whether some serial line contains `s`.
    pub fn contains(&self, s: &str) -> bool {
        self.texts().any(|l| l.contains(s))
    }

    /// How many serial lines contain `s`.
    pub fn count(&self, s: &str) -> usize {
        self.texts().filter(|l| l.contains(s)).count()
    }

    /// The first line containing `s`.
    pub fn find_containing(&self, s: &str) -> Option<&str> {
        self.texts().find(|l| l.contains(s))
    }

    /// The first line that starts with `prefix` once any kernel timestamp is
    /// removed; returned without the timestamp.
    pub fn find_line(&self, prefix: &str) -> Option<&str> {
        self.texts().map(strip_timestamp).find(|l| l.starts_with(prefix))
    }

    /// Whether some line, without its timestamp and trailing blanks, is
    /// exactly `s`.
    pub fn has_line(&self, s: &str) -> bool {
        self.texts().any(|l| strip_timestamp(l).trim_end() == s)
    }

    /// Host time (since spawn) at which the first line containing `s` arrived.
    pub fn time_of(&self, s: &str) -> Option<Duration> {
        self.lines.iter().find(|(_, l)| l.contains(s)).map(|(t, _)| *t)
    }

    /// The value printed for an auxv entry (`auxv[AT_ENTRY]=0x401785`).
    pub fn auxv(&self, name: &str) -> Option<u64> {
        self.texts().find_map(|l| parse_auxv(l, name))
    }

    /// The values of the `key[N]=VALUE` lines (`argv`, `envp`) in order of
    /// appearance, with their indices.
    pub fn indexed(&self, key: &str) -> Vec<(usize, String)> {
        self.texts().filter_map(|l| parse_indexed(l, key)).map(|(i, v)| (i, v.to_string())).collect()
    }

    /// The kernel's own boot-time measurement, from its `boot:` line.
    pub fn boot_figures(&self) -> Option<BootFigures> {
        self.texts().find_map(parse_boot_figures)
    }

    /// Each syscall number reported as unimplemented more than once, with its
    /// count.
    pub fn repeated_unimplemented(&self) -> Vec<(u64, usize)> {
        repeated_unimplemented(self.texts())
    }

    /// Problems that make any boot a failure: QEMU did not exit by itself,
    /// the kernel did not power down, it panicked, or it reported an
    /// unimplemented syscall number more than once.
    pub fn common_problems(&self) -> Vec<String> {
        let mut problems = Vec::new();
        if self.timed_out {
            problems.push(format!("QEMU did not exit by itself: killed after {:.1} s", self.total.as_secs_f64()));
        } else if !self.exited {
            problems.push("QEMU did not exit by itself".to_string());
        }
        if !self.contains(POWER_DOWN) {
            problems.push(format!("no {POWER_DOWN:?} line"));
        }
        if let Some(l) = self.find_containing(KERNEL_PANIC) {
            problems.push(format!("the kernel panicked: {l:?}"));
        }
        for (nr, n) in self.repeated_unimplemented() {
            problems.push(format!("unimplemented syscall {nr} reported {n} times (at most once per number)"));
        }
        for l in self.texts().filter(|l| names_socket_call(l)) {
            problems.push(format!("a socket call is unimplemented: {l:?}"));
        }
        problems
    }

    /// The whole serial log with host times, QEMU's stderr and the outcome,
    /// for failure messages.
    pub fn log(&self) -> String {
        let mut s = String::new();
        let _ = writeln!(s, "---- kernel command line: {}", self.cmdline);
        let _ = writeln!(s, "---- {}", self.command);
        let _ = writeln!(s, "---- serial log ({} lines), host time since QEMU start:", self.lines.len());
        for (t, l) in &self.lines {
            let _ = writeln!(s, "[{:8.3} s] {l}", t.as_secs_f64());
        }
        if !self.stderr.is_empty() {
            let _ = writeln!(s, "---- QEMU stderr:");
            for l in &self.stderr {
                let _ = writeln!(s, "{l}");
            }
        }
        let status = match self.exit_status {
            Some(st) => st.to_string(),
            None => "unknown".to_string(),
        };
        let how = if self.timed_out {
            "killed by the harness at the timeout"
        } else if self.exited {
            "exited by itself"
        } else {
            "killed by the harness"
        };
        let _ = writeln!(s, "---- QEMU {how} after {:.3} s, status {status}", self.total.as_secs_f64());
        s
    }

    /// Panics with `what` and the serial log unless `ok`.
    #[track_caller]
    pub fn expect(&self, ok: bool, what: impl std::fmt::Display) {
        if !ok {
            panic!("{what}\n{}", self.log());
        }
    }

    /// Panics with the serial log unless some line contains `s`.
    #[track_caller]
    pub fn expect_contains(&self, s: &str) {
        self.expect(self.contains(s), format_args!("expected a serial line containing {s:?}"));
    }

    /// Panics with the serial log if some line contains `s`.
    #[track_caller]
    pub fn expect_absent(&self, s: &str) {
        if let Some(l) = self.find_containing(s) {
            self.expect(false, format_args!("unexpected serial line containing {s:?}: {l:?}"));
        }
    }

    /// Panics with the serial log if any of [`BootResult::common_problems`]
    /// applies.
    #[track_caller]
    pub fn expect_clean_power_down(&self) {
        let problems = self.common_problems();
        if !problems.is_empty() {
            self.expect(false, format_args!("the boot failed:\n  {}", problems.join("\n  ")));
        }
    }
}

/// The socket calls, which the kernel implements: none may be reported
/// as unimplemented.
const SOCKET_CALLS: [&str; 18] = [
    "socket",
    "socketpair",
    "bind",
    "listen",
    "connect",
    "accept",
    "accept4",
    "shutdown",
    "getsockname",
    "getpeername",
    "sendto",
    "recvfrom",
    "sendmsg",
    "recvmsg",
    "sendmmsg",
    "recvmmsg",
    "setsockopt",
    "getsockopt",
];

/// Whether `line` reports a socket call as unimplemented.
pub fn names_socket_call(line: &str) -> bool {
    let Some((_, rest)) = line.split_once("unimplemented syscall ") else { return false };
    let name = rest.split(' ').next().unwrap_or("");
    SOCKET_CALLS.contains(&name)
}

/// `line` without a leading Linux-style timestamp `[    0.123456] `.
pub fn strip_timestamp(line: &str) -> &str {
    let Some(rest) = line.strip_prefix('[') else {
        return line;
    };
    let Some(end) = rest.find(']') else {
        return line;
    };
    let stamp = &rest[..end];
    let is_stamp = stamp.contains(|c: char| c.is_ascii_digit())
        && stamp.chars().all(|c| c.is_ascii_digit() || c == '.' || c == ' ');
    if !is_stamp {
        return line;
    }
    let after = &rest[end + 1..];
    after.strip_prefix(' ').unwrap_or(after)
}

/// Parses a number written as decimal or as `0x`-prefixed hexadecimal.
pub fn parse_number(s: &str) -> Option<u64> {
    match s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        Some(hex) => u64::from_str_radix(hex, 16).ok(),
        None => s.parse().ok(),
    }
}

/// The value in a demo line `auxv[NAME]=0x...` (optionally followed by a
/// quoted string), if `line` is the one for `name`.
pub fn parse_auxv(line: &str, name: &str) -> Option<u64> {
    let key = format!("auxv[{name}]=");
    let at = line.find(&key)?;
    let value = line[at + key.len()..].split_whitespace().next()?;
    parse_number(value)
}

/// `(N, VALUE)` from a line `KEY[N]=VALUE` (after any timestamp).
pub fn parse_indexed<'a>(line: &'a str, key: &str) -> Option<(usize, &'a str)> {
    let rest = strip_timestamp(line).strip_prefix(key)?.strip_prefix('[')?;
    let close = rest.find(']')?;
    let index = rest[..close].parse().ok()?;
    let value = rest[close + 1..].strip_prefix('=')?;
    Some((index, value))
}

/// The kernel's boot-time measurement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BootFigures {
    /// From the kernel's first instruction to entering init.
    pub entry_to_init: Duration,
    /// From machine reset (TSC zero) to entering init.
    pub reset_to_init: Duration,
}

/// Parses a duration like `1234us`, `12.5ms`, `800ns` or `1.2s`.
pub fn parse_duration(s: &str) -> Option<Duration> {
    let (num, scale) = if let Some(n) = s.strip_suffix("ns") {
        (n, 1e-9)
    } else if let Some(n) = s.strip_suffix("us").or_else(|| s.strip_suffix("µs")) {
        (n, 1e-6)
    } else if let Some(n) = s.strip_suffix("ms") {
        (n, 1e-3)
    } else if let Some(n) = s.strip_suffix('s') {
        (n, 1.0)
    } else {
        return None;
    };
    let v: f64 = num.parse().ok()?;
    if !v.is_finite() || v < 0.0 {
        return None;
    }
    Some(Duration::from_secs_f64(v * scale))
}

/// Parses `boot: entry-to-init=NNNus reset-to-init=NNNus`.
pub fn parse_boot_figures(line: &str) -> Option<BootFigures> {
    let at = line.find("boot: ")?;
    let mut entry = None;
    let mut reset = None;
    for field in line[at + "boot: ".len()..].split_whitespace() {
        if let Some((k, v)) = field.split_once('=') {
            match k {
                "entry-to-init" => entry = parse_duration(v),
                "reset-to-init" => reset = parse_duration(v),
                _ => {}
            }
        }
    }
    Some(BootFigures { entry_to_init: entry?, reset_to_init: reset? })
}

/// The number NR in `unimplemented syscall NAME (NR) by PID COMM`.
pub fn parse_unimplemented(line: &str) -> Option<u64> {
    const KEY: &str = "unimplemented syscall ";
    let rest = &line[line.find(KEY)? + KEY.len()..];
    let open = rest.find('(')?;
    let close = open + rest[open..].find(')')?;
    parse_number(rest[open + 1..close].trim())
}

/// Syscall numbers reported as unimplemented more than once, with counts,
/// in increasing order of number.
pub fn repeated_unimplemented<'a>(lines: impl Iterator<Item = &'a str>) -> Vec<(u64, usize)> {
    let mut counts = std::collections::BTreeMap::new();
    for nr in lines.filter_map(parse_unimplemented) {
        *counts.entry(nr).or_insert(0usize) += 1;
    }
    counts.into_iter().filter(|&(_, n)| n > 1).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result(lines: &[&str]) -> BootResult {
        BootResult {
            cmdline: "console=ttyS0".to_string(),
            command: "qemu-system-x86_64 ...".to_string(),
            lines: lines
                .iter()
                .enumerate()
                .map(|(i, l)| (Duration::from_millis(100 * i as u64), l.to_string()))
                .collect(),
            stderr: Vec::new(),
            exited: true,
            exit_status: None,
            timed_out: false,
            total: Duration::from_secs(1),
        }
    }

    #[test]
    fn strips_timestamps() {
        assert_eq!(strip_timestamp("[    0.123456] Run /demo as init process"), "Run /demo as init process");
        assert_eq!(strip_timestamp("[12345.000001] x"), "x");
        assert_eq!(strip_timestamp("argv[0]=/demo"), "argv[0]=/demo");
        assert_eq!(strip_timestamp("[AT_ENTRY] x"), "[AT_ENTRY] x");
        assert_eq!(strip_timestamp("[ ] x"), "[ ] x");
        assert_eq!(strip_timestamp("[0.5"), "[0.5");
        assert_eq!(strip_timestamp(""), "");
    }

    #[test]
    fn parses_auxv_lines() {
        assert_eq!(parse_auxv("auxv[AT_ENTRY]=0x401785", "AT_ENTRY"), Some(0x401785));
        assert_eq!(parse_auxv("auxv[AT_PHNUM]=0x6", "AT_PHNUM"), Some(6));
        assert_eq!(parse_auxv("auxv[AT_BASE]=0", "AT_BASE"), Some(0));
        assert_eq!(parse_auxv("auxv[AT_EXECFN]=0x7ffc9dd5afe2 \"/demo\"", "AT_EXECFN"), Some(0x7ffc9dd5afe2));
        assert_eq!(parse_auxv("auxv[AT_PHENT]=0x38", "AT_PHNUM"), None);
        assert_eq!(parse_auxv("auxv[AT_PHNUM]=zz", "AT_PHNUM"), None);
        let r = result(&["argc=1", "auxv[AT_PAGESZ]=0x1000", "auxv[AT_ENTRY]=0x401000"]);
        assert_eq!(r.auxv("AT_ENTRY"), Some(0x401000));
        assert_eq!(r.auxv("AT_PAGESZ"), Some(4096));
        assert_eq!(r.auxv("AT_RANDOM"), None);
    }

    #[test]
    fn parses_indexed_lines() {
        assert_eq!(parse_indexed("argv[1]=exit=42", "argv"), Some((1, "exit=42")));
        assert_eq!(parse_indexed("envp[0]=HOME=/", "envp"), Some((0, "HOME=/")));
        assert_eq!(parse_indexed("[    1.000000] envp[2]=", "envp"), Some((2, "")));
        assert_eq!(parse_indexed("argv[x]=1", "argv"), None);
        assert_eq!(parse_indexed("auxv[AT_ENTRY]=0x1", "argv"), None);
        assert_eq!(parse_indexed("argc=4", "argv"), None);
        let r = result(&["argc=2", "argv[0]=/demo", "argv[1]=a b", "envp[0]=HOME=/"]);
        assert_eq!(r.indexed("argv"), vec![(0, "/demo".to_string()), (1, "a b".to_string())]);
        assert_eq!(r.indexed("envp"), vec![(0, "HOME=/".to_string())]);
    }

    #[test]
    fn parses_boot_figures() {
        let f = parse_boot_figures("[    0.051234] boot: entry-to-init=51234us reset-to-init=183000us");
        assert_eq!(
            f,
            Some(BootFigures {
                entry_to_init: Duration::from_micros(51234),
                reset_to_init: Duration::from_micros(183000),
            })
        );
        assert_eq!(
            parse_boot_figures("boot: reset-to-init=2ms entry-to-init=500us").map(|f| f.entry_to_init),
            Some(Duration::from_micros(500))
        );
        assert_eq!(parse_boot_figures("boot: entry-to-init=51234us"), None);
        assert_eq!(parse_boot_figures("boot: entry-to-init=12 reset-to-init=13us"), None);
        assert_eq!(parse_boot_figures("reboot: Power down"), None);
    }

    #[test]
    fn parses_durations() {
        assert_eq!(parse_duration("15us"), Some(Duration::from_micros(15)));
        assert_eq!(parse_duration("1.5ms"), Some(Duration::from_micros(1500)));
        assert_eq!(parse_duration("7ns"), Some(Duration::from_nanos(7)));
        assert_eq!(parse_duration("2s"), Some(Duration::from_secs(2)));
        assert_eq!(parse_duration("2"), None);
        assert_eq!(parse_duration("-1us"), None);
        assert_eq!(parse_duration("us"), None);
    }

    #[test]
    fn parses_unimplemented_syscall_lines() {
        assert_eq!(parse_unimplemented("[    0.2] unimplemented syscall rt_sigaction (13) by 1 demo"), Some(13));
        assert_eq!(parse_unimplemented("unimplemented syscall ? (1000) by 1 basic"), Some(1000));
        assert_eq!(parse_unimplemented("unimplemented syscall foo by 1 demo"), None);
        assert_eq!(parse_unimplemented("TPASS: syscall(1000) -> -1 ENOSYS"), None);
    }

    #[test]
    fn finds_repeated_unimplemented_syscalls() {
        let lines = [
            "unimplemented syscall rt_sigaction (13) by 1 demo",
            "unimplemented syscall ioctl (16) by 1 demo",
            "unimplemented syscall rt_sigaction (13) by 1 demo",
            "unimplemented syscall ? (1000) by 1 basic",
        ];
        assert_eq!(repeated_unimplemented(lines.iter().copied()), vec![(13, 2)]);
        assert!(repeated_unimplemented(lines[1..].iter().copied()).is_empty());
    }

    #[test]
    fn finds_lines_and_times() {
        let r = result(&[
            "[    0.000100] Linux version",
            "[    0.010000] Run /demo as init process",
            "argc=4",
            "argc=42",
            "[    0.900000] reboot: Power down",
        ]);
        assert!(r.contains("as init process"));
        assert!(!r.contains("Kernel panic"));
        assert_eq!(r.find_line("Run "), Some("Run /demo as init process"));
        assert_eq!(r.find_line("as init"), None);
        assert!(r.has_line("argc=4"));
        assert!(!r.has_line("argc=5"));
        assert_eq!(r.count("argc=4"), 2);
        assert_eq!(r.time_of("Run /demo"), Some(Duration::from_millis(100)));
        assert_eq!(r.time_of("nowhere"), None);
        assert!(r.common_problems().is_empty(), "{:?}", r.common_problems());
        let log = r.log();
        assert!(log.contains("Run /demo as init process"));
        assert!(log.contains("exited by itself"));
    }

    #[test]
    fn socket_calls_must_be_implemented() {
        assert!(names_socket_call("[    0.5] unimplemented syscall sendto (44) by 3 syslogd"));
        assert!(!names_socket_call("[    0.5] unimplemented syscall io_setup (206) by 3 x"));
        assert!(!names_socket_call("bench: socket round trip"));
    }

    #[test]
    fn reports_common_problems() {
        let mut r = result(&[
            "Kernel panic - not syncing: oops",
            "unimplemented syscall x (7) by 1 a",
            "unimplemented syscall x (7) by 1 a",
        ]);
        r.exited = false;
        r.timed_out = true;
        let p = r.common_problems().join("\n");
        assert!(p.contains("did not exit by itself"), "{p}");
        assert!(p.contains("no \"reboot: Power down\" line"), "{p}");
        assert!(p.contains("panicked"), "{p}");
        assert!(p.contains("syscall 7 reported 2 times"), "{p}");
    }

    #[test]
    #[should_panic(expected = "expected a serial line containing \"missing\"")]
    fn expect_contains_panics_with_the_log() {
        result(&["present"]).expect_contains("missing");
    }
}
