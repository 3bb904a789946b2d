//! System V message queues (Linux's ipc/msg.c): typed messages queued in
//! order, taken by type, with a byte limit per queue (msg_qbytes).
//!
//! Senders and receivers wait on one queue, woken at every change of any
//! message queue, and try again.

use alloc::collections::VecDeque;
use alloc::format;
use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use abi::ipc::*;
use abi::Errno;
use spin::Mutex;

use super::util::{current_cred, current_pid, now, Ids, IpcObject, Lookup, Perm, READ, WRITE};
use crate::sched::wait::WaitQueue;
use crate::uaccess::{copy_from_user, copy_to_user, read_user, write_user};

static MSG: Mutex<Ids<MessageQueue>> = Mutex::new(Ids::new(MSGMNI as usize));

/// /proc/sys/kernel/msgmni: how many queues may exist.
pub fn msgmni() -> usize {
    MSG.lock().limit()
}

/// Sets msgmni: 0 to IPCMNI (EINVAL past it).
pub fn set_msgmni(limit: i64) -> Result<(), Errno> {
    let limit = usize::try_from(limit).ok().filter(|&l| l <= super::util::IPCMNI).ok_or(Errno::EINVAL)?;
    MSG.lock().set_limit(limit);
    Ok(())
}
/// Where msgsnd waits for room and msgrcv for a message.
static MSG_WAIT: WaitQueue = WaitQueue::new();

#[derive(Clone)]
struct Message {
    mtype: i64,
    text: Vec<u8>,
}

pub struct MessageQueue {
    perm: Perm,
    messages: VecDeque<Message>,
    /// Bytes of text queued (msg_cbytes), at most `max_bytes`.
    bytes: u64,
    max_bytes: u64,
    last_sender: i32,
    last_receiver: i32,
    stime: i64,
    rtime: i64,
    ctime: i64,
}

impl IpcObject for MessageQueue {
    fn perm(&self) -> &Perm {
        &self.perm
    }
}

impl MessageQueue {
    fn to_abi(&self) -> MsqidDs {
        MsqidDs {
            msg_perm: self.perm.to_abi(),
            msg_stime: self.stime,
            msg_rtime: self.rtime,
            msg_ctime: self.ctime,
            msg_cbytes: self.bytes,
            msg_qnum: self.messages.len() as u64,
            msg_qbytes: self.max_bytes,
            msg_lspid: self.last_sender,
            msg_lrpid: self.last_receiver,
            ..MsqidDs::default()
        }
    }

    /// Room for `len` more bytes and one more message (Linux counts the
    /// messages against msg_qbytes too).
    fn has_room(&self, len: u64) -> bool {
        self.bytes + len <= self.max_bytes && (self.messages.len() as u64) < self.max_bytes
    }

    /// The message msgrcv's `msgtyp` and flags select.
    fn select(&self, msgtyp: i64, flags: i32) -> Option<usize> {
        if flags & MSG_COPY != 0 {
            return usize::try_from(msgtyp).ok().filter(|&i| i < self.messages.len());
        }
        let mut all = self.messages.iter().enumerate();
        match msgtyp {
            0 => all.next().map(|(i, _)| i),
            t if t > 0 && flags & MSG_EXCEPT != 0 => all.find(|(_, m)| m.mtype != t).map(|(i, _)| i),
            t if t > 0 => all.find(|(_, m)| m.mtype == t).map(|(i, _)| i),
            t => {
                // The lowest type up to |t|, the oldest of that type.
                let limit = t.unsigned_abs();
                all.filter(|(_, m)| m.mtype.unsigned_abs() <= limit).min_by_key(|(i, m)| (m.mtype, *i)).map(|(i, _)| i)
            }
        }
    }
}

pub fn sys_msgget(key: i32, flags: i32) -> Result<usize, Errno> {
    let cred = current_cred();
    let mut queues = MSG.lock();
    if let Lookup::Found(id, queue) = queues.find_key(key, flags)? {
        queue.perm.check(&cred, flags as u32 & 0o777)?;
        return Ok(id as usize);
    }
    let ctime = now();
    let id = queues.insert(key, flags, &cred, |perm| MessageQueue {
        perm,
        messages: VecDeque::new(),
        bytes: 0,
        max_bytes: MSGMNB as u64,
        last_sender: 0,
        last_receiver: 0,
        stime: 0,
        rtime: 0,
        ctime,
    })?;
    Ok(id as usize)
}

/// The queue's lock taken, `f` on queue `id` after a rights check.
fn with_queue<T>(id: i32, access: u32, f: impl FnOnce(&mut MessageQueue) -> T) -> Result<T, Errno> {
    let cred = current_cred();
    let mut queues = MSG.lock();
    let queue = queues.get_mut(id)?;
    queue.perm.check(&cred, access)?;
    Ok(f(queue))
}

pub fn sys_msgsnd(id: i32, msgp: u64, size: usize, flags: i32) -> Result<usize, Errno> {
    if size > MSGMAX as usize || id < 0 {
        return Err(Errno::EINVAL);
    }
    let mtype: i64 = read_user(msgp)?;
    if mtype < 1 {
        return Err(Errno::EINVAL);
    }
    let mut text = vec![0u8; size];
    copy_from_user(&mut text, msgp + 8)?;
    with_queue(id, WRITE, |_| ())?;
    let mut message = Some(Message { mtype, text });
    let pid = current_pid();
    MSG_WAIT
        .wait_interruptible(|| {
            let mut queues = MSG.lock();
            let Ok(queue) = queues.get_mut(id) else { return Some(Err(Errno::EIDRM)) };
            if !queue.has_room(size as u64) {
                return if flags & IPC_NOWAIT != 0 { Some(Err(Errno::EAGAIN)) } else { None };
            }
            queue.bytes += size as u64;
            queue.messages.push_back(message.take().expect("sent once"));
            queue.last_sender = pid;
            queue.stime = now();
            Some(Ok(()))
        })
        // Restarted only when no handler ran, as Linux.
        .map_err(|e| if e == Errno::ERESTARTSYS { Errno::ERESTARTNOHAND } else { e })??;
    MSG_WAIT.wake_all();
    Ok(0)
}

pub fn sys_msgrcv(id: i32, msgp: u64, size: usize, msgtyp: i64, flags: i32) -> Result<usize, Errno> {
    if (size as isize) < 0 || id < 0 {
        return Err(Errno::EINVAL);
    }
    if flags & MSG_COPY != 0 && (flags & MSG_EXCEPT != 0 || flags & IPC_NOWAIT == 0) {
        return Err(Errno::EINVAL);
    }
    with_queue(id, READ, |_| ())?;
    let pid = current_pid();
    let message = MSG_WAIT
        .wait_interruptible(|| {
            let mut queues = MSG.lock();
            let Ok(queue) = queues.get_mut(id) else { return Some(Err(Errno::EIDRM)) };
            let Some(index) = queue.select(msgtyp, flags) else {
                return if flags & IPC_NOWAIT != 0 { Some(Err(Errno::ENOMSG)) } else { None };
            };
            if queue.messages[index].text.len() > size && flags & MSG_NOERROR == 0 {
                return Some(Err(Errno::E2BIG));
            }
            if flags & MSG_COPY != 0 {
                return Some(Ok(queue.messages[index].clone()));
            }
            let message = queue.messages.remove(index).expect("selected");
            queue.bytes -= message.text.len() as u64;
            queue.last_receiver = pid;
            queue.rtime = now();
            Some(Ok(message))
        })
        .map_err(|e| if e == Errno::ERESTARTSYS { Errno::ERESTARTNOHAND } else { e })??;
    if flags & MSG_COPY == 0 {
        MSG_WAIT.wake_all();
    }
    // MSG_NOERROR: the rest of a longer message is lost.
    let len = message.text.len().min(size);
    write_user(msgp, &message.mtype)?;
    copy_to_user(msgp + 8, &message.text[..len])?;
    Ok(len)
}

pub fn sys_msgctl(id: i32, cmd: i32, buf: u64) -> Result<usize, Errno> {
    if id < 0 || cmd < 0 {
        return Err(Errno::EINVAL);
    }
    match cmd {
        IPC_INFO | MSG_INFO => msg_info(cmd, buf),
        MSG_STAT | MSG_STAT_ANY => {
            let (full_id, ds) = {
                let queues = MSG.lock();
                let (full_id, queue) = queues.at_index(id as usize).ok_or(Errno::EINVAL)?;
                if cmd == MSG_STAT {
                    queue.perm.check(&current_cred(), READ)?;
                }
                (full_id, queue.to_abi())
            };
            write_user(buf, &ds)?;
            Ok(full_id as usize)
        }
        IPC_STAT => {
            let ds = with_queue(id, READ, |q| q.to_abi())?;
            write_user(buf, &ds)?;
            Ok(0)
        }
        IPC_SET => {
            let new: MsqidDs = read_user(buf)?;
            let cred = current_cred();
            {
                let mut queues = MSG.lock();
                let queue = queues.get_mut(id)?;
                queue.perm.check_owner(&cred)?;
                // Above the default limit only with CAP_SYS_RESOURCE.
                if new.msg_qbytes > MSGMNB as u64 && !cred.capable(abi::capability::CAP_SYS_RESOURCE) {
                    return Err(Errno::EPERM);
                }
                queue.max_bytes = new.msg_qbytes;
                queue.perm.set(&new.msg_perm);
                queue.ctime = now();
            }
            MSG_WAIT.wake_all();
            Ok(0)
        }
        IPC_RMID => {
            let cred = current_cred();
            {
                let mut queues = MSG.lock();
                queues.get(id)?.perm.check_owner(&cred)?;
                queues.remove(id);
            }
            MSG_WAIT.wake_all();
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

fn msg_info(cmd: i32, buf: u64) -> Result<usize, Errno> {
    let mut info = MsgInfo {
        msgpool: MSGPOOL,
        msgmap: MSGMAP,
        msgmax: MSGMAX,
        msgmnb: MSGMNB,
        msgmni: msgmni() as i32,
        msgssz: MSGSSZ,
        msgtql: MSGTQL,
        msgseg: MSGSEG,
        _pad: 0,
    };
    let max = {
        let queues = MSG.lock();
        if cmd == MSG_INFO {
            // Linux reuses three fields for what is in use.
            info.msgpool = queues.in_use() as i32;
            info.msgmap = queues.iter().map(|(_, q)| q.messages.len()).sum::<usize>() as i32;
            info.msgtql = queues.iter().map(|(_, q)| q.bytes).sum::<u64>() as i32;
        }
        queues.max_index()
    };
    write_user(buf, &info)?;
    Ok(max)
}

/// One line of /proc/sysvipc/msg per queue, in Linux's format.
pub fn proc_lines() -> Vec<String> {
    let queues = MSG.lock();
    queues
        .iter()
        .map(|(id, q)| {
            let p = &q.perm;
            format!(
                "{:>10} {:>10}  {:>4o}  {:>10} {:>10} {:>5} {:>5} {:>5} {:>5} {:>5} {:>5} {:>10} {:>10} {:>10}\n",
                p.key,
                id,
                p.mode,
                q.bytes,
                q.messages.len(),
                q.last_sender,
                q.last_receiver,
                p.uid,
                p.gid,
                p.cuid,
                p.cgid,
                q.stime,
                q.rtime,
                q.ctime
            )
        })
        .collect()
}
