//! timerfd (Linux's fs/timerfd.c): a timer as a file. Reading gives the
//! number of expirations since the last read (waiting for the first);
//! poll sees it readable once it expired. Expirations are counted when
//! looked at, from the clock, so no interrupt-time work is needed: a
//! waiting reader or poller sleeps until the next expiry.

use core::any::Any;

use abi::time::{CLOCK_BOOTTIME, CLOCK_BOOTTIME_ALARM, CLOCK_MONOTONIC, CLOCK_REALTIME, CLOCK_REALTIME_ALARM};
use abi::{Errno, ItimerSpec, OpenFlags, Timespec, POLLIN, POLLRDNORM};
use spin::Mutex;

use super::file::{get_file, File};
use crate::sched::timer::wait_with_deadline;
use crate::sched::wait::WaitQueue;
use crate::time::{realtime_ns, realtime_offset_ns, uptime_ns};
use crate::uaccess::{read_user, write_user};

pub const TFD_TIMER_ABSTIME: u32 = 1;
pub const TFD_TIMER_CANCEL_ON_SET: u32 = 2;
const TFD_CLOEXEC: u32 = OpenFlags::O_CLOEXEC.bits();
const TFD_NONBLOCK: u32 = OpenFlags::O_NONBLOCK.bits();

struct State {
    /// The next expiry in the clock's ns; None when disarmed.
    deadline: Option<i64>,
    interval: u64,
    /// Expirations not read yet.
    ticks: u64,
    /// Expirations ever (edge-triggered epoll).
    events: u64,
    /// TFD_TIMER_CANCEL_ON_SET on an absolute realtime timer: the wall
    /// clock's set count when armed.
    cancel_at_set: Option<u64>,
}

impl State {
    /// The wall clock was set since the timer was armed (once: the next
    /// look sees the new count).
    fn cancelled(&mut self) -> bool {
        let sets = crate::time::realtime_sets();
        match self.cancel_at_set {
            Some(armed) if armed != sets => {
                self.cancel_at_set = Some(sets);
                true
            }
            _ => false,
        }
    }
}

pub struct TimerFd {
    realtime: bool,
    state: Mutex<State>,
    wait: WaitQueue,
}

/// Woken when the wall clock is set, for timers that cancel then.
static CLOCK_SET: WaitQueue = WaitQueue::new();

/// clock_settime's notice: cancellable timers see it at their next look.
pub fn clock_was_set() {
    CLOCK_SET.wake_all();
}

impl TimerFd {
    fn now(&self) -> i64 {
        if self.realtime {
            realtime_ns()
        } else {
            uptime_ns() as i64
        }
    }

    /// Counts the expirations that happened by now.
    fn expire(&self, s: &mut State) {
        let now = self.now();
        let Some(deadline) = s.deadline.filter(|&d| now >= d) else { return };
        let late = (now - deadline) as u64;
        match late.checked_div(s.interval) {
            Some(periods) => {
                let n = 1 + periods;
                s.ticks += n;
                s.deadline = Some(deadline + (n * s.interval) as i64);
            }
            None => {
                s.ticks += 1;
                s.deadline = None;
            }
        }
        s.events += 1;
    }

    /// The next expiry as uptime ns.
    fn wake_at(&self, s: &State) -> Option<u64> {
        let offset = if self.realtime { realtime_offset_ns() } else { 0 };
        s.deadline.map(|d| d.saturating_sub(offset).max(0) as u64)
    }

    /// The time left and the interval, as timerfd_gettime gives them.
    fn current(&self, s: &State) -> ItimerSpec {
        let left = s.deadline.map_or(0, |d| (d - self.now()).max(1) as u64);
        ItimerSpec { it_interval: Timespec::from_nanos(s.interval), it_value: Timespec::from_nanos(left) }
    }
}

impl File for TimerFd {
    fn read(&self, buf: &mut [u8], flags: OpenFlags) -> Result<usize, Errno> {
        if buf.len() < 8 {
            return Err(Errno::EINVAL);
        }
        let nonblock = flags.contains(OpenFlags::O_NONBLOCK);
        loop {
            let (ticks, wake_at) = {
                let mut s = self.state.lock();
                if s.cancelled() {
                    s.ticks = 0;
                    return Err(Errno::ECANCELED);
                }
                self.expire(&mut s);
                (core::mem::take(&mut s.ticks), self.wake_at(&s))
            };
            if ticks > 0 {
                buf[..8].copy_from_slice(&ticks.to_ne_bytes());
                return Ok(8);
            }
            if nonblock {
                return Err(Errno::EAGAIN);
            }
            // Woken by settime, or at the expiry; then look again. A timer
            // that cancels on a clock change also waits for that.
            let queue = if self.state.lock().cancel_at_set.is_some() { &CLOCK_SET } else { &self.wait };
            wait_with_deadline(queue, wake_at, || None::<()>)?;
        }
    }

    fn can_poll(&self) -> bool {
        true
    }

    fn poll(&self) -> i16 {
        let mut s = self.state.lock();
        self.expire(&mut s);
        let cancelled = s.cancel_at_set.is_some_and(|armed| armed != crate::time::realtime_sets());
        if s.ticks > 0 || cancelled {
            POLLIN | POLLRDNORM
        } else {
            0
        }
    }

    fn poll_deadline(&self) -> Option<u64> {
        self.wake_at(&self.state.lock())
    }

    fn event_count(&self) -> u64 {
        self.state.lock().events
    }

    fn anon_name(&self) -> Option<&'static str> {
        Some("timerfd")
    }

    fn object(&self) -> Option<&dyn Any> {
        Some(self)
    }
}

pub fn sys_timerfd_create(clock: i32, flags: u32) -> Result<usize, Errno> {
    if flags & !(TFD_CLOEXEC | TFD_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    let realtime = match clock {
        CLOCK_REALTIME | CLOCK_REALTIME_ALARM => true,
        CLOCK_MONOTONIC | CLOCK_BOOTTIME | CLOCK_BOOTTIME_ALARM => false,
        _ => return Err(Errno::EINVAL),
    };
    // Alarm clocks need CAP_WAKE_ALARM.
    if (clock == CLOCK_REALTIME_ALARM || clock == CLOCK_BOOTTIME_ALARM)
        && !crate::sched::current().cred.lock().capable(abi::capability::CAP_WAKE_ALARM)
    {
        return Err(Errno::EPERM);
    }
    let state = State { deadline: None, interval: 0, ticks: 0, events: 0, cancel_at_set: None };
    let timer = TimerFd { realtime, state: Mutex::new(state), wait: WaitQueue::new() };
    let status = OpenFlags::O_RDWR | (OpenFlags::from_bits_retain(flags) & OpenFlags::O_NONBLOCK);
    super::file::install_anon(timer, status, flags & TFD_CLOEXEC != 0)
}

pub fn sys_timerfd_settime(fd: i32, flags: u32, new: u64, old: u64) -> Result<usize, Errno> {
    let spec: ItimerSpec = read_user(new)?;
    if flags & !(TFD_TIMER_ABSTIME | TFD_TIMER_CANCEL_ON_SET) != 0 {
        return Err(Errno::EINVAL);
    }
    let (value, interval) = match (spec.it_value.to_nanos(), spec.it_interval.to_nanos()) {
        (Some(v), Some(i)) => (v, i),
        _ => return Err(Errno::EINVAL),
    };
    let file = get_file(fd)?;
    let timer = file.object::<TimerFd>().ok_or(Errno::EINVAL)?;
    let previous = {
        let mut s = timer.state.lock();
        timer.expire(&mut s);
        let previous = timer.current(&s);
        s.ticks = 0;
        s.interval = interval;
        let cancels = flags & TFD_TIMER_ABSTIME != 0 && flags & TFD_TIMER_CANCEL_ON_SET != 0 && timer.realtime;
        s.cancel_at_set = cancels.then(crate::time::realtime_sets);
        s.deadline = match value {
            0 => None,
            v if flags & TFD_TIMER_ABSTIME != 0 => Some(v as i64),
            v => Some(timer.now().saturating_add(v as i64)),
        };
        previous
    };
    timer.wait.wake_all();
    if old != 0 {
        write_user(old, &previous)?;
    }
    Ok(0)
}

pub fn sys_timerfd_gettime(fd: i32, curr: u64) -> Result<usize, Errno> {
    let file = get_file(fd)?;
    let timer = file.object::<TimerFd>().ok_or(Errno::EINVAL)?;
    let now = {
        let mut s = timer.state.lock();
        timer.expire(&mut s);
        timer.current(&s)
    };
    write_user(curr, &now).map(|_| 0)
}
