//! eventfd(2): a 64-bit counter as a file (Linux's fs/eventfd.c). A write
//! adds to it, a read takes all of it (or one, with EFD_SEMAPHORE); reads
//! wait while it is 0, writes while the sum would pass 2^64 - 2.

use core::any::Any;

use abi::{Errno, OpenFlags, POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM};
use spin::Mutex;

use super::file::{install_anon, File};
use crate::sched::wait::WaitQueue;

pub const EFD_SEMAPHORE: u32 = 1;
pub const EFD_CLOEXEC: u32 = OpenFlags::O_CLOEXEC.bits();
pub const EFD_NONBLOCK: u32 = OpenFlags::O_NONBLOCK.bits();
/// The largest value the counter holds.
const MAX: u64 = u64::MAX - 1;

struct Counter {
    value: u64,
    /// Reads and writes so far (edge-triggered epoll).
    events: u64,
}

pub struct EventFd {
    counter: Mutex<Counter>,
    semaphore: bool,
    /// Woken whenever the counter changes: readers and writers both wait here.
    wait: WaitQueue,
}

impl EventFd {
    fn transfer<T>(&self, nonblock: bool, mut step: impl FnMut(&mut Counter) -> Option<T>) -> Result<T, Errno> {
        let result = self.wait.wait_interruptible(|| {
            let mut c = self.counter.lock();
            match step(&mut c) {
                Some(v) => {
                    c.events += 1;
                    Some(Ok(v))
                }
                None if nonblock => Some(Err(Errno::EAGAIN)),
                None => None,
            }
        })??;
        self.wait.wake_all();
        Ok(result)
    }
}

impl File for EventFd {
    fn read(&self, buf: &mut [u8], flags: OpenFlags) -> Result<usize, Errno> {
        if buf.len() < 8 {
            return Err(Errno::EINVAL);
        }
        let taken = self.transfer(flags.contains(OpenFlags::O_NONBLOCK), |c| {
            if c.value == 0 {
                return None;
            }
            let n = if self.semaphore { 1 } else { c.value };
            c.value -= n;
            Some(n)
        })?;
        buf[..8].copy_from_slice(&taken.to_ne_bytes());
        Ok(8)
    }

    fn write(&self, buf: &[u8], flags: OpenFlags) -> Result<usize, Errno> {
        let bytes: [u8; 8] = buf.get(..8).and_then(|b| b.try_into().ok()).ok_or(Errno::EINVAL)?;
        let add = u64::from_ne_bytes(bytes);
        if add == u64::MAX {
            return Err(Errno::EINVAL);
        }
        self.transfer(flags.contains(OpenFlags::O_NONBLOCK), |c| (MAX - c.value >= add).then(|| c.value += add))?;
        Ok(8)
    }

    fn can_poll(&self) -> bool {
        true
    }

    fn poll(&self) -> i16 {
        let c = self.counter.lock();
        let mut events = 0;
        if c.value > 0 {
            events |= POLLIN | POLLRDNORM;
        }
        if c.value < MAX {
            events |= POLLOUT | POLLWRNORM;
        }
        events
    }

    fn event_count(&self) -> u64 {
        self.counter.lock().events
    }

    fn wait_queues(&self) -> alloc::vec::Vec<&WaitQueue> {
        alloc::vec![&self.wait]
    }

    fn anon_name(&self) -> Option<&'static str> {
        Some("eventfd")
    }

    fn object(&self) -> Option<&dyn Any> {
        Some(self)
    }
}

pub fn sys_eventfd2(initval: u32, flags: u32) -> Result<usize, Errno> {
    if flags & !(EFD_SEMAPHORE | EFD_CLOEXEC | EFD_NONBLOCK) != 0 {
        return Err(Errno::EINVAL);
    }
    let file = EventFd {
        counter: Mutex::new(Counter { value: u64::from(initval), events: 0 }),
        semaphore: flags & EFD_SEMAPHORE != 0,
        wait: WaitQueue::new(),
    };
    let status = OpenFlags::O_RDWR | (OpenFlags::from_bits_retain(flags) & OpenFlags::O_NONBLOCK);
    install_anon(file, status, flags & EFD_CLOEXEC != 0)
}

pub fn sys_eventfd(initval: u32) -> Result<usize, Errno> {
    sys_eventfd2(initval, 0)
}
