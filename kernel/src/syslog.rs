//! syslog(2): reading and controlling the kernel log (busybox `dmesg`).

use alloc::vec;

use abi::Errno;

use crate::printk;
use crate::uaccess::copy_to_user;

const SYSLOG_ACTION_CLOSE: i32 = 0;
const SYSLOG_ACTION_OPEN: i32 = 1;
const SYSLOG_ACTION_READ: i32 = 2;
const SYSLOG_ACTION_READ_ALL: i32 = 3;
const SYSLOG_ACTION_READ_CLEAR: i32 = 4;
const SYSLOG_ACTION_CLEAR: i32 = 5;
const SYSLOG_ACTION_CONSOLE_OFF: i32 = 6;
const SYSLOG_ACTION_CONSOLE_ON: i32 = 7;
const SYSLOG_ACTION_CONSOLE_LEVEL: i32 = 8;
const SYSLOG_ACTION_SIZE_UNREAD: i32 = 9;
const SYSLOG_ACTION_SIZE_BUFFER: i32 = 10;

/// How often a waiting SYSLOG_ACTION_READ looks for new lines: the log
/// is written from any context, interrupts and the scheduler included,
/// where waking a task is not safe, so the reader polls.
const READ_POLL_NS: u64 = 200_000_000;

/// The console level `CONSOLE_OFF` saved, to restore on `CONSOLE_ON`.
static SAVED_LEVEL: spin::Mutex<Option<u8>> = spin::Mutex::new(None);

pub fn sys_syslog(action: i32, buf: u64, len: i32) -> Result<usize, Errno> {
    match action {
        SYSLOG_ACTION_CLOSE | SYSLOG_ACTION_OPEN => Ok(0),
        SYSLOG_ACTION_READ_ALL | SYSLOG_ACTION_READ_CLEAR => {
            if buf == 0 || len < 0 {
                return Err(Errno::EINVAL);
            }
            let mut kbuf = vec![0u8; (len as usize).min(printk::LOG_BUFFER_SIZE)];
            let n = printk::read_log(&mut kbuf);
            copy_to_user(buf, &kbuf[..n])?;
            if action == SYSLOG_ACTION_READ_CLEAR {
                printk::clear_log();
            }
            Ok(n)
        }
        SYSLOG_ACTION_CLEAR => {
            printk::clear_log();
            Ok(0)
        }
        SYSLOG_ACTION_CONSOLE_OFF => {
            SAVED_LEVEL.lock().get_or_insert(printk::console_loglevel());
            printk::set_console_loglevel(printk::minimum_console_loglevel());
            Ok(0)
        }
        SYSLOG_ACTION_CONSOLE_ON => {
            if let Some(level) = SAVED_LEVEL.lock().take() {
                printk::set_console_loglevel(level);
            }
            Ok(0)
        }
        SYSLOG_ACTION_CONSOLE_LEVEL => {
            if !(1..=8).contains(&len) {
                return Err(Errno::EINVAL);
            }
            printk::set_console_loglevel((len as u8).max(printk::minimum_console_loglevel()));
            *SAVED_LEVEL.lock() = None;
            Ok(0)
        }
        SYSLOG_ACTION_READ => read_new(buf, len),
        SYSLOG_ACTION_SIZE_UNREAD => Ok(printk::unread_bytes()),
        SYSLOG_ACTION_SIZE_BUFFER => Ok(printk::LOG_BUFFER_SIZE),
        _ => Err(Errno::EINVAL),
    }
}

/// SYSLOG_ACTION_READ: waits until there are unread lines, then consumes
/// them (klogd's loop). A signal ends the wait (ERESTARTSYS).
fn read_new(buf: u64, len: i32) -> Result<usize, Errno> {
    if buf == 0 || len < 0 {
        return Err(Errno::EINVAL);
    }
    if len == 0 {
        return Ok(0);
    }
    crate::uaccess::check_user_range(buf, len as usize)?;
    while printk::unread_bytes() == 0 {
        crate::sched::timer::sleep_until(crate::time::uptime_ns() + READ_POLL_NS)?;
    }
    let mut kbuf = vec![0u8; (len as usize).min(printk::LOG_BUFFER_SIZE)];
    let n = printk::consume_log(&mut kbuf);
    copy_to_user(buf, &kbuf[..n])?;
    Ok(n)
}
