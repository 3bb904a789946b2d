//! An internet socket as an open file: read and write are recv and send
//! without flags, poll and the socket ioctls reach the socket, and
//! closing the last descriptor releases it.

use alloc::sync::Arc;
use alloc::vec::Vec;
use core::any::Any;

use abi::{Errno, OpenFlags};

use super::socket::InetSocket;
use super::stack::{self, NET_WAIT};
use crate::fs::file::{File, OpenFile};
use crate::sched::wait::WaitQueue;

pub struct InetFile {
    pub sock: Arc<InetSocket>,
}

impl File for InetFile {
    fn read(&self, buf: &mut [u8], flags: OpenFlags) -> Result<usize, Errno> {
        if buf.is_empty() {
            return Ok(0);
        }
        let nonblock = flags.contains(OpenFlags::O_NONBLOCK);
        self.sock.recv(buf, 0, nonblock).map(|r| r.copied)
    }

    fn write(&self, buf: &[u8], flags: OpenFlags) -> Result<usize, Errno> {
        let sent = self.sock.send(buf, None, flags.contains(OpenFlags::O_NONBLOCK));
        if matches!(sent, Err(Errno::EPIPE)) && self.sock.is_stream() {
            crate::proc::signal::send_sigpipe();
        }
        sent
    }

    fn can_poll(&self) -> bool {
        true
    }

    fn event_count(&self) -> u64 {
        stack::event_count()
    }

    fn wait_queues(&self) -> Vec<&WaitQueue> {
        alloc::vec![&NET_WAIT]
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

impl Drop for InetFile {
    fn drop(&mut self) {
        self.sock.release();
    }
}

/// The internet socket an open file is, if it is one.
pub fn socket_of_file(file: &OpenFile) -> Option<Arc<InetSocket>> {
    file.socket()?.downcast_ref::<InetFile>().map(|f| f.sock.clone())
}

/// An open file for `sock` (read-write; O_NONBLOCK if asked).
pub fn open_file(sock: Arc<InetSocket>, nonblock: bool) -> Arc<OpenFile> {
    let mut flags = OpenFlags::O_RDWR;
    if nonblock {
        flags |= OpenFlags::O_NONBLOCK;
    }
    let inode = sock.inode.clone();
    OpenFile::with_inode(InetFile { sock }, flags, inode)
}
