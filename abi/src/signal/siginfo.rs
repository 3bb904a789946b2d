//! `siginfo_t` as the x86_64 kernel lays it out (128 bytes).
//!
//! After the three `int` header fields and 4 bytes of alignment padding comes
//! a union whose active member depends on the signal and `si_code`. Rather
//! than model the union, [`Siginfo`] keeps it as raw bytes and offers typed
//! accessors at the fixed offsets each member uses:
//!
//! | offset | kill / rt / SIGCHLD | timer        | fault (SEGV…) | SIGPOLL | SIGSYS       |
//! |--------|---------------------|--------------|---------------|---------|--------------|
//! | 16     | `si_pid`            | `si_timerid` | `si_addr` (8) | `si_band` (8) | `si_call_addr` (8) |
//! | 20     | `si_uid`            | `si_overrun` |               |         |              |
//! | 24     | `si_value` (8) / `si_status` | `si_value` (8) | `si_addr_lsb` (2) | `si_fd` | `si_syscall` |
//! | 28     |                     |              |               |         | `si_arch`    |
//! | 32, 40 | `si_utime`, `si_stime` (SIGCHLD) |  | bounds / `si_pkey` |  |              |

use bytemuck::{Pod, Zeroable};

use super::{SIGCHLD, SI_MESGQ, SI_QUEUE, SI_TIMER, SI_USER};

/// Size of `siginfo_t` on every Linux architecture.
pub const SIGINFO_SIZE: usize = 128;

/// Offset of the union part from the start of the structure.
const UNION_OFFSET: usize = 16;
const UNION_SIZE: usize = SIGINFO_SIZE - UNION_OFFSET;

/// Signal information delivered to `SA_SIGINFO` handlers and returned by
/// `waitid`, `rt_sigtimedwait` and friends.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct Siginfo {
    pub si_signo: i32,
    pub si_errno: i32,
    pub si_code: i32,
    /// Alignment padding before the 8-byte-aligned union.
    pub _pad: i32,
    /// The union, as raw bytes; offsets in the accessors are from the start
    /// of the whole structure.
    pub fields: [u8; UNION_SIZE],
    /// Gives the structure the union's 8-byte alignment.
    pub _align: [u64; 0],
}

impl Default for Siginfo {
    fn default() -> Self {
        Self::zeroed()
    }
}

impl Siginfo {
    /// A siginfo with only the header set and the union zeroed.
    pub fn new(signo: i32, code: i32) -> Siginfo {
        Siginfo { si_signo: signo, si_code: code, ..Siginfo::zeroed() }
    }

    /// A signal sent by a process (`kill`, `tkill`…): `code` is `SI_USER`,
    /// `SI_TKILL` and so on.
    pub fn kill(signo: i32, code: i32, pid: i32, uid: u32) -> Siginfo {
        let mut info = Siginfo::new(signo, code);
        info.set_i32(16, pid);
        info.set_u32(20, uid);
        info
    }

    /// A signal from `sigqueue`, carrying a `sigval`.
    pub fn queue(signo: i32, pid: i32, uid: u32, value: u64) -> Siginfo {
        let mut info = Siginfo::kill(signo, SI_QUEUE, pid, uid);
        info.set_u64(24, value);
        info
    }

    /// A message arrived in an empty POSIX message queue (mq_notify):
    /// the sender's process id and real user id, and the registered value.
    pub fn mesgq(signo: i32, pid: i32, uid: u32, value: u64) -> Siginfo {
        let mut info = Siginfo::kill(signo, SI_MESGQ, pid, uid);
        info.set_u64(24, value);
        info
    }

    /// A POSIX timer expiry.
    pub fn timer(signo: i32, timer_id: i32, overrun: i32, value: u64) -> Siginfo {
        let mut info = Siginfo::new(signo, SI_TIMER);
        info.set_i32(16, timer_id);
        info.set_i32(20, overrun);
        info.set_u64(24, value);
        info
    }

    /// A hardware fault (`SIGSEGV`, `SIGBUS`, `SIGILL`, `SIGFPE`, `SIGTRAP`)
    /// at user address `addr`.
    pub fn fault(signo: i32, code: i32, addr: u64) -> Siginfo {
        let mut info = Siginfo::new(signo, code);
        info.set_u64(16, addr);
        info
    }

    /// A `SIGCHLD` (or a `waitid` result): `code` is a `CLD_*` value and
    /// `status` the exit code or signal number. Times are in clock ticks.
    pub fn child(code: i32, pid: i32, uid: u32, status: i32, utime: i64, stime: i64) -> Siginfo {
        let mut info = Siginfo::kill(SIGCHLD, code, pid, uid);
        info.set_i32(24, status);
        info.set_i64(32, utime);
        info.set_i64(40, stime);
        info
    }

    /// A plain user signal with no sender details (`SI_USER`, pid 0).
    pub fn user(signo: i32) -> Siginfo {
        Siginfo::new(signo, SI_USER)
    }

    /// Faulting address (fault signals).
    pub fn si_addr(&self) -> u64 {
        self.get_u64(16)
    }

    /// Sender's pid (kill, queue, SIGCHLD).
    pub fn si_pid(&self) -> i32 {
        self.get_i32(16)
    }

    /// Sender's real uid (kill, queue, SIGCHLD).
    pub fn si_uid(&self) -> u32 {
        self.get_u32(20)
    }

    /// Exit status or signal (SIGCHLD).
    pub fn si_status(&self) -> i32 {
        self.get_i32(24)
    }

    /// User CPU time of the child, in clock ticks (SIGCHLD).
    pub fn si_utime(&self) -> i64 {
        self.get_i64(32)
    }

    /// System CPU time of the child, in clock ticks (SIGCHLD).
    pub fn si_stime(&self) -> i64 {
        self.get_i64(40)
    }

    /// The `sigval` payload (queue, timer), as its 8 raw bytes.
    pub fn si_value(&self) -> u64 {
        self.get_u64(24)
    }

    /// Timer id (timer).
    pub fn si_timerid(&self) -> i32 {
        self.get_i32(16)
    }

    /// Overrun count (timer).
    pub fn si_overrun(&self) -> i32 {
        self.get_i32(20)
    }

    /// Band event (SIGPOLL).
    pub fn si_band(&self) -> i64 {
        self.get_i64(16)
    }

    /// File descriptor (SIGPOLL).
    pub fn si_fd(&self) -> i32 {
        self.get_i32(24)
    }

    /// Reads a native-endian `i32` at byte `offset` of the whole structure.
    pub fn get_i32(&self, offset: usize) -> i32 {
        i32::from_ne_bytes(self.union_bytes(offset))
    }

    /// Reads a native-endian `u32` at byte `offset` of the whole structure.
    pub fn get_u32(&self, offset: usize) -> u32 {
        u32::from_ne_bytes(self.union_bytes(offset))
    }

    /// Reads a native-endian `i64` at byte `offset` of the whole structure.
    pub fn get_i64(&self, offset: usize) -> i64 {
        i64::from_ne_bytes(self.union_bytes(offset))
    }

    /// Reads a native-endian `u64` at byte `offset` of the whole structure.
    pub fn get_u64(&self, offset: usize) -> u64 {
        u64::from_ne_bytes(self.union_bytes(offset))
    }

    /// Writes `value` at byte `offset` (16..=124) of the whole structure.
    pub fn set_i32(&mut self, offset: usize, value: i32) {
        self.set_bytes(offset, &value.to_ne_bytes());
    }

    /// Writes `value` at byte `offset` (16..=124) of the whole structure.
    pub fn set_u32(&mut self, offset: usize, value: u32) {
        self.set_bytes(offset, &value.to_ne_bytes());
    }

    /// Writes `value` at byte `offset` (16..=120) of the whole structure.
    pub fn set_i64(&mut self, offset: usize, value: i64) {
        self.set_bytes(offset, &value.to_ne_bytes());
    }

    /// Writes `value` at byte `offset` (16..=120) of the whole structure.
    pub fn set_u64(&mut self, offset: usize, value: u64) {
        self.set_bytes(offset, &value.to_ne_bytes());
    }

    /// Copies `N` bytes of the union starting at structure offset `offset`.
    /// Panics if the range falls outside the union.
    fn union_bytes<const N: usize>(&self, offset: usize) -> [u8; N] {
        let start = offset - UNION_OFFSET;
        let mut out = [0u8; N];
        out.copy_from_slice(&self.fields[start..start + N]);
        out
    }

    fn set_bytes(&mut self, offset: usize, bytes: &[u8]) {
        let start = offset - UNION_OFFSET;
        self.fields[start..start + bytes.len()].copy_from_slice(bytes);
    }
}

// Sizes the ABI fixes; checked at compile time on every target.
const _: () = assert!(core::mem::size_of::<Siginfo>() == SIGINFO_SIZE);
