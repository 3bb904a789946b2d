//! FIFOs (named pipes): every open of a FIFO inode attaches to one pipe,
//! made at the first open and gone with the last close, as on Linux; a
//! pipe(2)'s inode reopened through /proc attaches to its own pipe. A
//! read-only open waits for a writer and a write-only open for a reader,
//! unless O_NONBLOCK, where a lone writer gets ENXIO instead; a read-write
//! open never waits. A signal ends a wait (ERESTARTSYS).

use alloc::boxed::Box;
use alloc::collections::BTreeMap;
use alloc::sync::{Arc, Weak};

use abi::open::{O_RDONLY, O_RDWR, O_WRONLY};
use abi::{Errno, OpenFlags};
use spin::Mutex;

use super::file::File;
use super::inode::Inode;
use super::pipe::{Pipe, ReadEnd, WriteEnd};

/// The pipe of each FIFO inode that is open somewhere, by inode number
/// (never reused).
static PIPES: Mutex<BTreeMap<u64, Weak<Pipe>>> = Mutex::new(BTreeMap::new());

fn pipe_of(inode: &Inode) -> Result<Arc<Pipe>, Errno> {
    let mut pipes = PIPES.lock();
    if let Some(pipe) = pipes.get(&inode.ino).and_then(Weak::upgrade) {
        return Ok(pipe);
    }
    pipes.retain(|_, p| p.strong_count() > 0);
    // A FIFO's pipe that may not be made is ENOMEM, as Linux's fifo_open.
    let pipe = Pipe::new().map_err(|_| Errno::ENOMEM)?;
    pipes.insert(inode.ino, Arc::downgrade(&pipe));
    Ok(pipe)
}

/// Makes `pipe` the one opens of `inode` attach to: a pipe(2) pipe,
/// reopened through /proc/PID/fd/N as Linux's fifo_open does.
pub(super) fn register(inode: &Inode, pipe: &Arc<Pipe>) {
    let mut pipes = PIPES.lock();
    pipes.retain(|_, p| p.strong_count() > 0);
    pipes.insert(inode.ino, Arc::downgrade(pipe));
}

/// Both ends in one file: O_RDWR opens.
struct ReadWrite(ReadEnd, WriteEnd);

impl File for ReadWrite {
    fn read(&self, buf: &mut [u8], flags: OpenFlags) -> Result<usize, Errno> {
        self.0.read(buf, flags)
    }

    fn write(&self, buf: &[u8], flags: OpenFlags) -> Result<usize, Errno> {
        self.1.write(buf, flags)
    }

    fn ioctl(&self, cmd: u32, arg: u64) -> Result<usize, Errno> {
        self.0.ioctl(cmd, arg)
    }

    fn can_poll(&self) -> bool {
        true
    }

    fn wait_queues(&self) -> alloc::vec::Vec<&crate::sched::wait::WaitQueue> {
        let mut queues = self.0.wait_queues();
        queues.extend(self.1.wait_queues());
        queues
    }

    fn object(&self) -> Option<&dyn core::any::Any> {
        self.0.object()
    }

    fn poll(&self) -> i16 {
        self.0.poll() | self.1.poll()
    }
}

pub fn open(inode: &Inode, flags: OpenFlags) -> Result<Box<dyn File>, Errno> {
    let pipe = pipe_of(inode)?;
    let nonblock = flags.contains(OpenFlags::O_NONBLOCK);
    match flags.access_mode() {
        O_RDONLY => {
            // Linux's wait_for_partner: with no writer when this end
            // attaches (looked at in the same step), wait until a writer
            // opens, even if it has closed again since.
            let (end, waiting) = ReadEnd::attach_seeing(&pipe, |s| (s.writers == 0).then_some(s.writer_opens));
            if let (Some(seen), false) = (waiting, nonblock) {
                pipe.readable.wait_interruptible(|| (pipe.state.lock().writer_opens != seen).then_some(()))?;
            }
            Ok(Box::new(end))
        }
        O_WRONLY => {
            if nonblock && pipe.state.lock().readers == 0 {
                return Err(Errno::ENXIO);
            }
            let (end, waiting) = WriteEnd::attach_seeing(&pipe, |s| (s.readers == 0).then_some(s.reader_opens));
            if let (Some(seen), false) = (waiting, nonblock) {
                pipe.writable.wait_interruptible(|| (pipe.state.lock().reader_opens != seen).then_some(()))?;
            }
            Ok(Box::new(end))
        }
        O_RDWR => Ok(Box::new(ReadWrite(ReadEnd::attach(&pipe), WriteEnd::attach(&pipe)))),
        _ => Err(Errno::EINVAL),
    }
}
