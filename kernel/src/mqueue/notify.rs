//! mq_notify's registration: one process per queue is told, once, when
//! a message arrives in the empty queue while no receiver waits: by a
//! signal (SIGEV_SIGNAL, si_code SI_MESGQ with the sender's pid and uid)
//! or not at all (SIGEV_NONE). Either way the registration then ends.

use alloc::sync::{Arc, Weak};

use abi::signal::{Sigevent, SIGEV_NONE, SIGEV_SIGNAL, SIGEV_THREAD};
use abi::{Errno, Siginfo};

use crate::proc::signal::send_signal;
use crate::sched::current;
use crate::sched::task::{Pid, Task};
use crate::uaccess::copy_from_user;

/// The bytes of SIGEV_THREAD's cookie (Linux's NOTIFY_COOKIE_LEN).
const NOTIFY_COOKIE_LEN: usize = 32;

#[derive(Clone, Copy)]
enum Kind {
    Nothing,
    /// `signo` 0 is accepted and sends nothing, as Linux.
    Signal {
        signo: i32,
        value: u64,
    },
}

pub struct Registration {
    /// The registering process (its leader).
    owner: Weak<Task>,
    pub owner_tgid: Pid,
    kind: Kind,
}

/// What a queue's read() reports of its registration.
pub struct Notification {
    pub notify: i32,
    pub signo: i32,
    pub pid: Pid,
}

impl Registration {
    /// The caller's registration for `event`. SIGEV_THREAD's sigev_signo
    /// names a netlink socket and sigev_value its cookie; kestrel has no
    /// netlink, so after the cookie is read, a descriptor that is no
    /// socket is ENOTSOCK and a socket of another family EINVAL.
    pub fn for_current(event: &Sigevent) -> Result<Registration, Errno> {
        let kind = match event.sigev_notify {
            SIGEV_NONE => Kind::Nothing,
            SIGEV_SIGNAL if (0..=64).contains(&event.sigev_signo) => {
                Kind::Signal { signo: event.sigev_signo, value: event.sigev_value }
            }
            SIGEV_THREAD => {
                // The C library's cookie for the netlink message comes first.
                let mut cookie = [0u8; NOTIFY_COOKIE_LEN];
                copy_from_user(&mut cookie, event.sigev_value)?;
                let file = current().files.lock().get(event.sigev_signo)?;
                return Err(if file.socket().is_some() { Errno::EINVAL } else { Errno::ENOTSOCK });
            }
            _ => return Err(Errno::EINVAL),
        };
        let me = current();
        let owner = me.leader().map(|l| Arc::downgrade(&l)).unwrap_or_else(|| Arc::downgrade(&me));
        Ok(Registration { owner, owner_tgid: me.tgid, kind })
    }

    pub fn owner_alive(&self) -> bool {
        self.owner.strong_count() > 0
    }

    pub fn describe(&self) -> Notification {
        let (notify, signo) = match self.kind {
            Kind::Nothing => (SIGEV_NONE, 0),
            Kind::Signal { signo, .. } => (SIGEV_SIGNAL, signo),
        };
        Notification { notify, signo, pid: self.owner_tgid }
    }

    /// Tells the owner a message arrived; the caller is its sender.
    pub fn fire(self) {
        let Kind::Signal { signo, value } = self.kind else { return };
        let Some(owner) = self.owner.upgrade() else { return };
        if signo == 0 {
            return;
        }
        let sender = current();
        let uid = sender.cred.lock().uid;
        send_signal(&owner, signo, Siginfo::mesgq(signo, sender.tgid as i32, uid, value));
    }
}
