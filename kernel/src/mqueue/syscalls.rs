//! mq_open, mq_unlink, mq_timedsend, mq_timedreceive, mq_notify and
//! mq_getsetattr, with Linux 6.1's checks in Linux's order.

use alloc::sync::Arc;
use alloc::vec;

use abi::signal::Sigevent;
use abi::{Errno, MqAttr, OpenFlags, Timespec, MQ_PRIO_MAX, RLIMIT_MSGQUEUE};

use super::charge::{cost, Charge};
use super::file::MqFile;
use super::fs::{queue_dir, queue_inode};
use super::limits::{Tunable, HARD_MSGMAX, HARD_MSGSIZEMAX};
use super::names::check_name;
use super::notify::Registration;
use super::queue::{live_queues, Queue, Wait};
use crate::fs::create::may_create;
use crate::fs::d_path::Link;
use crate::fs::file::{get_file, OpenFile};
use crate::fs::inode::Inode;
use crate::fs::mount::Path;
use crate::fs::perm::{current_cred, may_delete, permission, MAY_READ, MAY_WRITE};
use crate::fs::ramfs;
use crate::sched::current;
use crate::uaccess::{copy_from_user, copy_to_user, read_user, read_user_cstr, write_user};

/// The longest name a caller may pass (Linux's PATH_MAX with its NUL).
const PATH_MAX: usize = 4095;
const O_ACCMODE: u32 = 3;

/// Whether the caller holds CAP_SYS_RESOURCE (root's effective id).
fn has_sys_resource() -> bool {
    current().cred.lock().euid == 0
}

fn read_name(addr: u64) -> Result<alloc::vec::Vec<u8>, Errno> {
    let name = read_user_cstr(addr, PATH_MAX, Errno::ENAMETOOLONG)?;
    check_name(&name)?;
    Ok(name)
}

/// The size limits of a new queue: the caller's, checked against the
/// tunables (or, for a privileged caller, Linux's hard ceilings), else
/// the defaults.
fn new_queue_size(attr: Option<MqAttr>) -> Result<(usize, usize), Errno> {
    let Some(attr) = attr else {
        let messages = Tunable::MsgDefault.get().min(Tunable::MsgMax.get());
        let size = Tunable::MsgsizeDefault.get().min(Tunable::MsgsizeMax.get());
        return Ok((messages as usize, size as usize));
    };
    if attr.mq_maxmsg <= 0 || attr.mq_msgsize <= 0 {
        return Err(Errno::EINVAL);
    }
    let (max_messages, max_size) = if has_sys_resource() {
        (HARD_MSGMAX, HARD_MSGSIZEMAX)
    } else {
        (Tunable::MsgMax.get(), Tunable::MsgsizeMax.get())
    };
    if attr.mq_maxmsg as u64 > max_messages || attr.mq_msgsize as u64 > max_size {
        return Err(Errno::EINVAL);
    }
    Ok((attr.mq_maxmsg as usize, attr.mq_msgsize as usize))
}

/// A new queue of the sizes `attr` asks (None: the defaults), within
/// queues_max and charged to the caller's RLIMIT_MSGQUEUE.
pub fn new_queue(attr: Option<MqAttr>) -> Result<Arc<Queue>, Errno> {
    let (max_messages, message_size) = new_queue_size(attr)?;
    if live_queues() as u64 >= Tunable::QueuesMax.get() && !has_sys_resource() {
        return Err(Errno::ENOSPC);
    }
    let me = current();
    let uid = me.cred.lock().uid;
    let limit = me.rlimits.lock().get(RLIMIT_MSGQUEUE).rlim_cur;
    let charge = Charge::take(uid, cost(max_messages as u64, message_size as u64), limit)?;
    Ok(Arc::new(Queue::new(max_messages, message_size, charge)))
}

/// May the caller open the queue `inode` for `access` (O_RDONLY,
/// O_WRONLY, O_RDWR)?
fn may_open(inode: &Arc<Inode>, access: u32) -> Result<(), Errno> {
    let mask = match access {
        0 => MAY_READ,
        1 => MAY_WRITE,
        _ => MAY_READ | MAY_WRITE,
    };
    permission(inode, mask)
}

/// The inode of the queue named `name` in `dir`, found or created as
/// `oflag` says (Linux's prepare_open). Creating is making a name in the
/// queues' directory, checked as such: EROFS once a remount made the
/// filesystem read-only.
fn lookup_or_create(
    path: &Path,
    name: &[u8],
    oflag: u32,
    mode: u32,
    attr: Option<MqAttr>,
) -> Result<Arc<Inode>, Errno> {
    let access = oflag & O_ACCMODE;
    let dir = &path.inode;
    let _ns = ramfs::namespace_lock();
    if let Some(inode) = dir.lookup(name)? {
        if oflag & OpenFlags::O_CREAT.bits() != 0 && oflag & OpenFlags::O_EXCL.bits() != 0 {
            return Err(Errno::EEXIST);
        }
        if access == O_ACCMODE {
            return Err(Errno::EINVAL);
        }
        may_open(&inode, access)?;
        return Ok(inode);
    }
    if oflag & OpenFlags::O_CREAT.bits() == 0 {
        return Err(Errno::ENOENT);
    }
    // A creator may ask for O_ACCMODE (neither read nor write), as in Linux.
    path.mnt.want_write()?;
    may_create(dir, name)?;
    let queue = new_queue(attr)?;
    let umask = current().fs.lock().umask;
    let cred = current_cred();
    let inode = queue_inode(&dir.sb, queue, mode & 0o777 & !umask, cred.uid, cred.gid)?;
    ramfs::add_entry(dir, name, &inode)?;
    Ok(inode)
}

pub fn sys_mq_open(name: u64, oflag: u32, mode: u32, attr: u64) -> Result<usize, Errno> {
    let attr: Option<MqAttr> = if attr == 0 { None } else { Some(read_user(attr)?) };
    let name = read_name(name)?;
    let dir = queue_dir();
    let inode = lookup_or_create(&dir, &name, oflag, mode, attr)?;
    let status = OpenFlags::from_bits_retain(oflag & (O_ACCMODE | OpenFlags::O_NONBLOCK.bits()));
    let node = inode.node_ops().ok_or(Errno::ENOENT)?;
    let file = node.open(&inode, status)?;
    // Found in the internal mount's root: /proc shows "/NAME".
    let link = Link { dir: dir.clone(), name };
    let open = OpenFile::from_box_named(file, status, dir.child(inode), Some(link));
    // Linux makes every queue descriptor close-on-exec, O_CLOEXEC or not.
    current().files.lock().install(open, true).map(|fd| fd as usize)
}

/// Removes the name; descriptors keep the queue. The queues' directory
/// is sticky, so only the queue's owner or root may (EPERM); a read-only
/// one refuses first (EROFS).
pub fn sys_mq_unlink(name: u64) -> Result<usize, Errno> {
    let name = read_name(name)?;
    let path = queue_dir();
    path.mnt.want_write()?;
    let dir = path.inode.clone();
    let _ns = ramfs::namespace_lock();
    let inode = dir.lookup(&name)?.ok_or(Errno::ENOENT)?;
    may_delete(&dir, &inode, false)?;
    ramfs::remove_entry(&dir, &name)?;
    Ok(0)
}

/// The queue behind `fd` and its file's status flags; EBADF if it is no
/// queue.
fn queue_of(fd: i32) -> Result<(Arc<OpenFile>, Arc<Queue>), Errno> {
    let file = get_file(fd)?;
    let queue = file.object::<MqFile>().ok_or(Errno::EBADF)?.queue.clone();
    Ok((file, queue))
}

/// The absolute CLOCK_REALTIME deadline at `timeout` (ns), checked
/// before anything else as Linux does.
fn read_deadline(timeout: u64) -> Result<Option<i64>, Errno> {
    if timeout == 0 {
        return Ok(None);
    }
    let ts: Timespec = read_user(timeout)?;
    let ns = ts.to_nanos().ok_or(Errno::EINVAL)?;
    Ok(Some(ns.min(i64::MAX as u64) as i64))
}

/// A message went in or out of the queue behind `file`.
fn stamp_transfer(file: &OpenFile) {
    if let Some(mq) = file.object::<MqFile>() {
        mq.stamp_transfer();
    }
}

fn wait_of(file: &OpenFile, deadline: Option<i64>) -> Wait {
    Wait { nonblock: file.flags().contains(OpenFlags::O_NONBLOCK), deadline }
}

pub fn sys_mq_timedsend(fd: i32, msg: u64, len: usize, priority: u32, timeout: u64) -> Result<usize, Errno> {
    if priority >= MQ_PRIO_MAX {
        return Err(Errno::EINVAL);
    }
    let deadline = read_deadline(timeout)?;
    let (file, queue) = queue_of(fd)?;
    if !file.flags().writable() {
        return Err(Errno::EBADF);
    }
    if len > queue.message_size {
        return Err(Errno::EMSGSIZE);
    }
    let mut message = vec![0; len];
    copy_from_user(&mut message, msg)?;
    queue.send(message, priority, wait_of(&file, deadline))?;
    stamp_transfer(&file);
    Ok(0)
}

pub fn sys_mq_timedreceive(fd: i32, msg: u64, len: usize, priority: u64, timeout: u64) -> Result<usize, Errno> {
    let deadline = read_deadline(timeout)?;
    let (file, queue) = queue_of(fd)?;
    if !file.flags().readable() {
        return Err(Errno::EBADF);
    }
    if len < queue.message_size {
        return Err(Errno::EMSGSIZE);
    }
    let (message, prio) = queue.receive(wait_of(&file, deadline))?;
    stamp_transfer(&file);
    copy_to_user(msg, &message)?;
    if priority != 0 {
        write_user(priority, &prio)?;
    }
    Ok(message.len())
}

/// Registers the caller for a notification, or with a null `event`
/// removes its own registration (another process's stays).
pub fn sys_mq_notify(fd: i32, event: u64) -> Result<usize, Errno> {
    let registration = if event == 0 {
        None
    } else {
        let event: Sigevent = read_user(event)?;
        Some(Registration::for_current(&event)?)
    };
    let (_, queue) = queue_of(fd)?;
    let me = current().tgid;
    queue.with_registration(|current| match registration {
        None => {
            if current.as_ref().is_some_and(|r| r.owner_tgid == me) {
                *current = None;
            }
            Ok(0)
        }
        Some(_) if current.is_some() => Err(Errno::EBUSY),
        Some(r) => {
            *current = Some(r);
            Ok(0)
        }
    })
}

pub fn sys_mq_getsetattr(fd: i32, new: u64, old: u64) -> Result<usize, Errno> {
    let nonblock = OpenFlags::O_NONBLOCK.bits();
    let new: Option<MqAttr> = if new == 0 { None } else { Some(read_user(new)?) };
    if new.is_some_and(|a| a.mq_flags & !i64::from(nonblock) != 0) {
        return Err(Errno::EINVAL);
    }
    let (file, queue) = queue_of(fd)?;
    let flags = file.flags().bits();
    let previous = MqAttr {
        mq_flags: i64::from(flags & nonblock),
        mq_maxmsg: queue.max_messages as i64,
        mq_msgsize: queue.message_size as i64,
        mq_curmsgs: queue.current_messages() as i64,
        _reserved: [0; 4],
    };
    if let Some(attr) = new {
        file.set_status_flags((flags & !nonblock) | attr.mq_flags as u32);
    }
    if old != 0 {
        write_user(old, &previous)?;
    }
    Ok(0)
}
