//! A UNIX socket as an open file: read and write are recv and send
//! without flags, poll and the socket ioctls reach the socket, and
//! closing the last descriptor releases it.

use alloc::sync::Arc;
use core::any::Any;

use abi::{Errno, OpenFlags};

use super::scm::Scm;
use super::socket::UnixSocket;
use super::transfer::RecvFlags;
use crate::fs::file::{File, OpenFile};

pub struct SocketFile {
    pub sock: Arc<UnixSocket>,
}

impl File for SocketFile {
    fn read(&self, buf: &mut [u8], flags: OpenFlags) -> Result<usize, Errno> {
        // A read of nothing returns at once, as Linux's sock_read_iter.
        if buf.is_empty() {
            return Ok(0);
        }
        let flags = RecvFlags { nonblock: flags.contains(OpenFlags::O_NONBLOCK), ..RecvFlags::default() };
        self.sock.recv_into(buf, flags)
    }

    fn write(&self, buf: &[u8], flags: OpenFlags) -> Result<usize, Errno> {
        let nonblock = flags.contains(OpenFlags::O_NONBLOCK);
        let sent = self.sock.send(buf, None, &mut Scm::default(), nonblock);
        super::signal_broken_pipe(&self.sock, &sent, false);
        sent
    }

    fn can_poll(&self) -> bool {
        true
    }

    fn event_count(&self) -> u64 {
        self.sock.events.load(core::sync::atomic::Ordering::Relaxed)
    }

    fn wait_queues(&self) -> alloc::vec::Vec<&crate::sched::wait::WaitQueue> {
        alloc::vec![&self.sock.wait]
    }

    fn poll(&self) -> i16 {
        self.sock.poll()
    }

    fn ioctl(&self, cmd: u32, arg: u64) -> Result<usize, Errno> {
        self.sock.ioctl(cmd, arg)
    }

    fn socket(&self) -> Option<&dyn Any> {
        Some(self)
    }
}

impl Drop for SocketFile {
    fn drop(&mut self) {
        self.sock.release(false);
    }
}

/// The UNIX socket an open file is, if it is one.
pub fn socket_of_file(file: &OpenFile) -> Option<Arc<UnixSocket>> {
    file.socket()?.downcast_ref::<SocketFile>().map(|f| f.sock.clone())
}

/// An open file for `sock` (read-write; O_NONBLOCK if asked).
pub fn open_file(sock: Arc<UnixSocket>, nonblock: bool) -> Arc<OpenFile> {
    let mut flags = OpenFlags::O_RDWR;
    if nonblock {
        flags |= OpenFlags::O_NONBLOCK;
    }
    let inode = sock.inode.clone();
    OpenFile::with_inode(SocketFile { sock }, flags, inode)
}
