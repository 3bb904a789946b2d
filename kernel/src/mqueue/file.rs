//! A queue descriptor: a file that polls readable while messages wait
//! and writable while there is room, and whose read() reports the queue
//! as Linux's mqueue filesystem does ("QSIZE:... NOTIFY:...").

use alloc::format;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;

use abi::{Errno, OpenFlags};
use abi::{POLLIN, POLLOUT, POLLRDNORM, POLLWRNORM};

use super::queue::Queue;
use crate::fs::file::File;
use crate::fs::inode::{now as inode_now, Inode};
use crate::sched::wait::WaitQueue;

pub struct MqFile {
    pub queue: Arc<Queue>,
    /// The queue's file, whose times follow its use.
    inode: Arc<Inode>,
}

impl MqFile {
    pub fn new(queue: Arc<Queue>, inode: Arc<Inode>) -> MqFile {
        MqFile { queue, inode }
    }

    /// A message went in or out: access, modification and change time
    /// are now, as Linux's send and receive set them.
    pub fn stamp_transfer(&self) {
        let mut i = self.inode.lock();
        i.modified();
        i.atime = i.mtime;
    }

    /// The text a read returns: bytes queued, and the registration's
    /// kind, signal and process (zeros when there is none).
    fn report(&self) -> Vec<u8> {
        let (_, bytes, _) = self.queue.occupancy();
        let (notify, signo, pid) = self.queue.notification().map_or((0, 0, 0), |n| (n.notify, n.signo, n.pid));
        format!("QSIZE:{bytes:<10} NOTIFY:{notify:<5} SIGNO:{signo:<5} NOTIFY_PID:{pid:<6}\n").into_bytes()
    }
}

impl File for MqFile {
    fn positioned(&self) -> bool {
        true
    }

    fn read_at(&self, buf: &mut [u8], pos: u64) -> Result<usize, Errno> {
        let text = self.report();
        // Linux's mqueue_read_file sets access and change time.
        {
            let mut i = self.inode.lock();
            i.atime = inode_now();
            i.ctime = i.atime;
        }
        let rest = usize::try_from(pos).ok().and_then(|p| text.get(p..)).unwrap_or_default();
        let n = rest.len().min(buf.len());
        buf[..n].copy_from_slice(&rest[..n]);
        Ok(n)
    }

    /// A queue has no write operation: EINVAL, as Linux's mqueue files.
    fn write_at(&self, _buf: &[u8], _pos: u64, _flags: OpenFlags) -> Result<(usize, u64), Errno> {
        Err(Errno::EINVAL)
    }

    /// Closing any descriptor of the queue ends the closer's registration.
    fn flush(&self, tgid: u32) {
        self.queue.with_registration(|r| {
            if r.as_ref().is_some_and(|r| r.owner_tgid == tgid) {
                *r = None;
            }
        });
    }

    fn can_poll(&self) -> bool {
        true
    }

    fn poll(&self) -> i16 {
        let messages = self.queue.current_messages();
        let mut events = 0;
        if messages > 0 {
            events |= POLLIN | POLLRDNORM;
        }
        if messages < self.queue.max_messages {
            events |= POLLOUT | POLLWRNORM;
        }
        events
    }

    fn event_count(&self) -> u64 {
        self.queue.occupancy().2
    }

    fn wait_queues(&self) -> Vec<&WaitQueue> {
        alloc::vec![self.queue.wait_queue()]
    }

    fn object(&self) -> Option<&dyn Any> {
        Some(self)
    }
}
