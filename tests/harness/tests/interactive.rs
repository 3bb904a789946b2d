//! The interactive busybox shell on the serial console: each test boots the
//! README's image with busybox init (`init=/sbin/init`), waits for ash's
//! `/ # ` prompt, and types at it character by character, as a person
//! does, reading what the terminal shows. Nothing waits a fixed time for
//! output: every step waits (with a generous timeout, for a loaded machine)
//! for the output it expects.

use std::io::Write as _;
use std::time::{Duration, Instant};

use harness::Qemu;

const CMDLINE: &str = "console=ttyS0 panic=-1 init=/sbin/init";
/// The longest any one step may take (TCG on a busy two-core machine).
const STEP: Duration = Duration::from_secs(60);
/// A quick typist: this much between two keys.
const KEY_DELAY: Duration = Duration::from_millis(8);
const PROMPT: &str = "/ # ";

fn show(line: &str) {
    let mut out = std::io::stdout().lock();
    let _ = writeln!(out, "{line}");
    let _ = out.flush();
}

struct Console {
    q: Qemu,
}

impl Console {
    /// Boots busybox init and waits for the shell's first prompt.
    fn boot() -> Console {
        let c = Console { q: Qemu::boot(CMDLINE) };
        c.expect_from(0, PROMPT);
        c
    }

    fn log(&self) -> String {
        self.q.lines().iter().map(|(_, l)| format!("    {l:?}\n")).collect()
    }

    #[track_caller]
    fn fail(&self, what: &str) -> ! {
        panic!("{what}\nconsole so far:\n{}", self.log())
    }

    /// Waits until text containing `s` arrives at or after line `from`.
    #[track_caller]
    fn expect_from(&self, from: usize, s: &str) -> Duration {
        self.q.wait_for_from(from, s, STEP).unwrap_or_else(|| self.fail(&format!("no {s:?} on the console")))
    }

    /// Waits for a complete line, at or after line `from`, that satisfies
    /// `pred`; returns its number and text.
    #[track_caller]
    fn expect_line(&self, from: usize, what: &str, pred: impl Fn(&str) -> bool) -> (usize, String) {
        let deadline = Instant::now() + STEP;
        loop {
            let lines = self.q.lines();
            if let Some((i, (_, l))) = lines.iter().enumerate().skip(from).find(|(_, (_, l))| pred(l)) {
                return (i, l.clone());
            }
            if Instant::now() >= deadline {
                self.fail(&format!("no line {what}"));
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// Types `s` key by key.
    fn type_keys(&mut self, s: &str) {
        for ch in s.chars() {
            let mut buf = [0u8; 4];
            self.q.send(ch.encode_utf8(&mut buf)).unwrap_or_else(|e| self.fail(&format!("typing: {e}")));
            std::thread::sleep(KEY_DELAY);
        }
    }

    /// Sends `s` at once, as a paste or a terminal's escape sequence does.
    fn send_at_once(&mut self, s: &str) {
        self.q.send(s).unwrap_or_else(|e| self.fail(&format!("sending: {e}")));
    }

    /// Types a command and Enter; returns the line number after the
    /// command's own echo, where its output begins.
    fn command(&mut self, cmd: &str) -> usize {
        let mark = self.q.line_count();
        self.type_keys(cmd);
        self.type_keys("\r");
        let (i, _) = self.expect_line(mark, &format!("echoing {cmd:?}"), |l| l.ends_with(cmd));
        i + 1
    }

    /// Waits for the prompt after line `from`.
    #[track_caller]
    fn prompt_after(&self, from: usize) -> Duration {
        self.expect_from(from, PROMPT)
    }

    /// Runs a command and returns its output lines (up to the next prompt).
    fn run(&mut self, cmd: &str) -> Vec<String> {
        let from = self.command(cmd);
        self.prompt_after(from);
        let lines = self.q.lines();
        lines[from.min(lines.len())..].iter().map(|(_, l)| l.clone()).filter(|l| !l.starts_with(PROMPT)).collect()
    }

    /// Runs a command whose output must include the line `want`.
    #[track_caller]
    fn run_expect(&mut self, cmd: &str, want: &str) {
        let out = self.run(cmd);
        if !out.iter().any(|l| l == want) {
            self.fail(&format!("{cmd:?} printed {out:?}, not the line {want:?}"));
        }
    }

    /// The command line shows, and the job has had time to start (a person
    /// at the keyboard waits as long before pressing ^C or ^Z).
    fn start_job(&mut self, cmd: &str) -> usize {
        let from = self.command(cmd);
        std::thread::sleep(Duration::from_millis(700));
        from
    }
}

fn ms(d: Duration) -> String {
    format!("{:.0}", d.as_secs_f64() * 1e3)
}

/// Done-when 1 and 3: the prompt, `echo hello`, `poweroff` ending QEMU, and
/// the boot figures.
#[test]
fn prompt_echo_and_poweroff() {
    let mut c = Console::boot();
    let prompt_at = c.expect_from(0, PROMPT);
    let lines = c.q.lines();
    let kernel = lines.iter().find_map(|(_, l)| harness::serial::parse_boot_figures(l));
    let kernel = kernel.unwrap_or_else(|| c.fail("no \"boot: entry-to-init=...\" line"));
    show(&format!(
        "boot figures (busybox init): QEMU start to the shell prompt: {} ms (host clock); \
         kernel entry to init: {} ms; machine reset to init: {} ms",
        ms(prompt_at),
        ms(kernel.entry_to_init),
        ms(kernel.reset_to_init)
    ));
    // Debug-level lines (the memory map, the I/O APIC) stay in the log
    // unless `loglevel=` asks for them.
    for noise in ["BIOS-e820", "IOAPIC[", "unexpected interrupt"] {
        if lines.iter().any(|(_, l)| l.contains(noise)) {
            c.fail(&format!("boot printed {noise:?} at the default log level"));
        }
    }
    c.run_expect("echo hello", "hello");
    c.command("poweroff");
    let r = c.q.wait(STEP);
    assert!(r.exited && !r.timed_out, "QEMU did not exit after poweroff\n{}", r.log());
    r.expect_contains("reboot: Power down");
    r.expect_absent("Kernel panic");
}

/// Line editing: busybox's own (DEL at the prompt) and the kernel's
/// canonical mode (ERASE, WERASE, KILL while `read` waits for a line).
#[test]
fn line_editing() {
    let mut c = Console::boot();
    let mark = c.q.line_count();
    c.type_keys("ech\x7fho hi\r");
    c.expect_line(mark, "\"hi\"", |l| l == "hi");
    // The kernel's echo erases with "\b \b" (ECHOE, ECHOKE).
    let erased = |n: usize| "\x08 \x08".repeat(n);
    let from = c.command("read -r x; echo \"got:$x\"");
    c.type_keys("foo bar\x17baz\x7f\x7fzz\r");
    let echo = format!("foo bar{}baz{}zz", erased(3), erased(2));
    c.expect_line(from, "echoing the edits", |l| l == echo);
    c.expect_line(from, "\"got:foo bzz\"", |l| l == "got:foo bzz");
    let from = c.command("read -r x; echo \"got:$x\"");
    c.type_keys("junk\x15ok\r");
    let echo = format!("junk{}ok", erased(4));
    c.expect_line(from, "echoing the kill", |l| l == echo);
    c.expect_line(from, "\"got:ok\"", |l| l == "got:ok");
}

/// ^C interrupts `sleep 100`: the prompt is back within a second.
#[test]
fn ctrl_c_interrupts_sleep() {
    let mut c = Console::boot();
    let from = c.start_job("sleep 100");
    let sent = c.q.elapsed();
    c.send_at_once("\x03");
    let (i, _) = c.expect_line(from, "showing ^C", |l| l.contains("^C"));
    let back = c.prompt_after(i);
    let took = back.saturating_sub(sent);
    show(&format!("^C to the prompt: {} ms", ms(took)));
    assert!(took < Duration::from_secs(1), "the prompt came back {} ms after ^C\n{}", ms(took), c.log());
    c.run_expect("echo rc=$?", "rc=130");
}

/// ^Z stops `sleep 3`, `jobs` lists it, `fg` resumes it and it completes.
#[test]
fn ctrl_z_then_fg() {
    let mut c = Console::boot();
    let from = c.start_job("sleep 3");
    c.send_at_once("\x1a");
    let (i, _) = c.expect_line(from, "saying the job stopped", |l| l.contains("Stopped") && l.contains("sleep 3"));
    c.prompt_after(i + 1);
    let jobs = c.run("jobs");
    assert!(jobs.iter().any(|l| l.contains("Stopped") && l.contains("sleep 3")), "jobs printed {jobs:?}\n{}", c.log());
    let out = c.run("fg");
    assert!(out.iter().any(|l| l == "sleep 3"), "fg printed {out:?}\n{}", c.log());
    c.run_expect("echo rc=$?", "rc=0");
}

/// A background job is listed by `jobs`; a stopped one goes on in the
/// background with `bg`; `kill %1` ends it.
#[test]
fn background_jobs() {
    let mut c = Console::boot();
    c.run("sleep 100 &");
    let jobs = c.run("jobs");
    assert!(
        jobs.iter().any(|l| l.contains("Running") && l.contains("sleep 100")),
        "jobs printed {jobs:?}\n{}",
        c.log()
    );
    let from = c.start_job("sleep 200");
    c.send_at_once("\x1a");
    let (i, _) = c.expect_line(from, "saying the job stopped", |l| l.contains("Stopped") && l.contains("sleep 200"));
    c.prompt_after(i + 1);
    let out = c.run("bg");
    assert!(out.iter().any(|l| l == "[2] sleep 200"), "bg printed {out:?}\n{}", c.log());
    let jobs = c.run("jobs");
    assert!(
        jobs.iter().filter(|l| l.contains("Running")).count() == 2,
        "jobs printed {jobs:?}, expected two running\n{}",
        c.log()
    );
    c.run_expect("kill %1 %2; echo k=$?", "k=0");
    c.run_expect("wait; jobs; echo jobs-done", "jobs-done");
}

/// vi in raw mode: insert text, move with a cursor key, save with :wq.
#[test]
fn vi_edits_a_file() {
    let mut c = Console::boot();
    c.run("stty rows 24 cols 80");
    let from = c.command("vi /tmp/x");
    c.expect_from(from, "/tmp/x");
    c.type_keys("ihello world");
    c.send_at_once("\x1b");
    // Back in command mode, vi shows the file modified.
    c.expect_from(from, "- /tmp/x [Modified]");
    // The cursor is on the final "d": four times left reaches the "w".
    for _ in 0..4 {
        c.send_at_once("\x1b[D");
        std::thread::sleep(KEY_DELAY);
    }
    c.type_keys("iX");
    c.send_at_once("\x1b");
    // A person pauses after ESC; vi tells ESC from a cursor key's escape
    // sequence by the time until the next byte.
    std::thread::sleep(Duration::from_millis(300));
    c.type_keys(":wq\r");
    c.expect_from(from, "'/tmp/x' 1L, 13C");
    c.prompt_after(from);
    c.run_expect("cat /tmp/x", "hello Xworld");
}

/// A 400-character line pasted at full speed arrives intact.
#[test]
fn paste_of_400_characters() {
    let mut c = Console::boot();
    let alphabet: Vec<char> = ('a'..='z').chain('0'..='9').collect();
    let body: String = (0..398).map(|i| alphabet[i % alphabet.len()]).collect();
    let line = format!("P{body}Q");
    assert_eq!(line.len(), 400);
    let mark = c.q.line_count();
    c.send_at_once(&format!("echo {line} > /tmp/p\r"));
    c.expect_line(mark, "ending the pasted command", |l| l.ends_with("Q > /tmp/p"));
    c.run_expect("cat /tmp/p", &line);
    c.run_expect("wc -c < /tmp/p", "401");
}

/// `stty -a` shows the settings; `tty` names the terminal.
#[test]
fn stty_and_tty() {
    let mut c = Console::boot();
    c.run("stty rows 24 cols 80");
    let out = c.run("stty -a");
    for want in ["speed 115200 baud", "rows 24; columns 80", "intr = ^C", "icanon", "echoctl"] {
        assert!(out.iter().any(|l| l.contains(want)), "stty -a lacks {want:?}: {out:?}\n{}", c.log());
    }
    c.run_expect("[ -t 0 ] && echo stdin-is-a-tty", "stdin-is-a-tty");
    // musl's ttyname reads /proc/self/fd, which inittab's /proc mount gives.
    c.run_expect("tty", "/dev/ttyS0");
}

/// busybox syslogd and klogd, started by inittab, keep `logger`'s line (a
/// datagram on the UNIX socket /dev/log) and the kernel's log in
/// /var/log/messages.
#[test]
fn syslogd_keeps_logger_and_kernel_lines() {
    let mut c = Console::boot();
    c.run_expect("pidof syslogd >/dev/null && pidof klogd >/dev/null && echo loggers-up", "loggers-up");
    c.run_expect("ls -l /dev/log | cut -c1", "s");
    c.run("logger -t probe hello-from-logger");
    // syslogd writes the line once it has read it: look until it is there
    // (the step's timeout bounds the wait; the line must fit the terminal).
    c.run("until grep -q hello-from /var/log/messages; do sleep 0.1; done");
    c.run_expect("grep -c 'user.notice probe: hello-from-logger' /var/log/messages", "1");
    // klogd hands the kernel's lines to syslogd in its own time too.
    c.run("until grep -q 'Command line' /var/log/messages; do sleep 0.1; done");
    c.run_expect("grep -q 'kern.*kernel: .*Command line' /var/log/messages && echo klogd-ok", "klogd-ok");
    c.command("poweroff");
    let r = c.q.wait(STEP);
    r.expect_clean_power_down();
}
