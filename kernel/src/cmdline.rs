//! The kernel command line, parsed as Linux does: `key=value` words the
//! kernel knows are kernel parameters; other words go to init, those with
//! `=` as environment and the rest as arguments; everything after `--` is
//! for init's argv. Double quotes group words with spaces.

use alloc::vec::Vec;
use core::sync::atomic::{AtomicI64, Ordering};

pub struct KernelArgs {
    pub init: Vec<u8>,
    pub init_argv: Vec<Vec<u8>>,
    pub init_envp: Vec<Vec<u8>>,
}

/// `panic=N`: N < 0 powers off at once, N > 0 after N seconds, 0 halts.
static PANIC_TIMEOUT: AtomicI64 = AtomicI64::new(0);

pub fn panic_timeout() -> i64 {
    PANIC_TIMEOUT.load(Ordering::Relaxed)
}

/// Parameters that must act before the heap exists (log level, panic).
pub fn parse_early(cmdline: &str) {
    for word in words(cmdline) {
        match word.split_once('=') {
            Some(("loglevel", v)) => {
                if let Ok(level) = v.parse::<u8>() {
                    crate::printk::set_console_loglevel(level.saturating_add(1).min(15));
                }
            }
            Some(("panic", v)) => {
                if let Ok(n) = v.parse::<i64>() {
                    PANIC_TIMEOUT.store(n, Ordering::Relaxed);
                }
            }
            None if word == "quiet" => crate::printk::set_console_loglevel(4),
            None if word == "debug" => crate::printk::set_console_loglevel(10),
            _ => {}
        }
    }
}

/// The value of kernel parameter `key` (the last one given), if any.
pub fn param<'a>(cmdline: &'a str, key: &'a str) -> Option<&'a str> {
    params(cmdline, key).last()
}

/// Every value of kernel parameter `key`, in order (`console=` may come
/// more than once).
pub fn params<'a>(cmdline: &'a str, key: &'a str) -> impl Iterator<Item = &'a str> {
    words(cmdline)
        .take_while(|w| *w != "--")
        .filter_map(|w| w.split_once('='))
        .filter(move |(k, _)| *k == key)
        .map(|(_, v)| v)
}

/// True when the word `flag` (such as `rw`) is on the command line before `--`.
pub fn has_flag(cmdline: &str, flag: &str) -> bool {
    words(cmdline).take_while(|w| *w != "--").any(|w| w == flag)
}

/// Splits on spaces, keeping double-quoted runs together (quotes removed).
fn words(cmdline: &str) -> impl Iterator<Item = &str> {
    let mut rest = cmdline;
    core::iter::from_fn(move || {
        rest = rest.trim_start();
        if rest.is_empty() {
            return None;
        }
        let mut in_quotes = false;
        let end = rest
            .char_indices()
            .find(|&(_, c)| {
                if c == '"' {
                    in_quotes = !in_quotes;
                }
                c == ' ' && !in_quotes
            })
            .map_or(rest.len(), |(i, _)| i);
        let (word, tail) = rest.split_at(end);
        rest = tail;
        Some(word.trim_matches('"'))
    })
}

const KERNEL_PARAMS: [&str; 10] =
    ["console", "root", "init", "rdinit", "loglevel", "panic", "rootfstype", "rootflags", "earlyprintk", "ip"];
const KERNEL_FLAGS: [&str; 4] = ["quiet", "debug", "ro", "rw"];

/// The command line as the boot loader gave it (/proc/cmdline).
static SAVED: spin::Once<alloc::string::String> = spin::Once::new();

pub fn saved() -> &'static str {
    SAVED.get().map_or("", |s| s.as_str())
}

pub fn parse(cmdline: &str) -> KernelArgs {
    SAVED.call_once(|| cmdline.into());
    let mut init: Option<Vec<u8>> = None;
    let mut argv = Vec::new();
    let mut envp: Vec<Vec<u8>> = alloc::vec![b"HOME=/".to_vec(), b"TERM=linux".to_vec()];
    let mut after_dashes = false;
    for word in words(cmdline) {
        if after_dashes {
            argv.push(word.as_bytes().to_vec());
            continue;
        }
        if word == "--" {
            after_dashes = true;
            continue;
        }
        match word.split_once('=') {
            Some(("init" | "rdinit", v)) => init = Some(v.as_bytes().to_vec()),
            Some((k, _)) if KERNEL_PARAMS.contains(&k) || k.contains('.') => {}
            Some(_) => envp.push(word.as_bytes().to_vec()),
            None if KERNEL_FLAGS.contains(&word) => {}
            None => argv.push(word.as_bytes().to_vec()),
        }
    }
    let init = init.unwrap_or_else(|| b"/init".to_vec());
    argv.insert(0, init.clone());
    KernelArgs { init, init_argv: argv, init_envp: envp }
}

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use super::*;

    fn strings(v: &[Vec<u8>]) -> Vec<&str> {
        v.iter().map(|w| core::str::from_utf8(w).unwrap()).collect()
    }

    #[test]
    fn words_keep_quoted_runs_together() {
        let w: Vec<&str> = words(r#"a  "b c" d"#).collect();
        assert_eq!(w, ["a", "b c", "d"]);
    }

    #[test]
    fn unknown_words_go_to_init_as_linux_does() {
        let args = parse("console=ttyS0 root=/dev/vda rw init=/bin/sh GREETING=hi quiet first -- -x rw");
        assert_eq!(args.init, b"/bin/sh");
        assert_eq!(strings(&args.init_argv), ["/bin/sh", "first", "-x", "rw"]);
        assert_eq!(strings(&args.init_envp), ["HOME=/", "TERM=linux", "GREETING=hi"]);
    }

    #[test]
    fn init_defaults_to_slash_init_and_dotted_parameters_are_the_kernels() {
        let args = parse("virtio_blk.queue_depth=4 single");
        assert_eq!(args.init, b"/init");
        assert_eq!(strings(&args.init_argv), ["/init", "single"]);
        assert_eq!(args.init_envp.len(), 2);
    }

    #[test]
    fn param_takes_the_last_value_before_dashes() {
        let line = "root=/dev/vda root=/dev/vdb -- root=/dev/vdc";
        assert_eq!(param(line, "root"), Some("/dev/vdb"));
        assert_eq!(param(line, "init"), None);
        assert!(has_flag("ro quiet -- rw", "ro"));
        assert!(!has_flag("ro quiet -- rw", "rw"));
    }
}
