//! System V shared memory (Linux's ipc/shm.c): segments of shared
//! anonymous memory (`mm::shmem::SharedAnon`) named by ids, attached into
//! address spaces as shared file mappings.
//!
//! Every address space that maps a segment holds a reference to the
//! segment's one `Attachment`; the attach count is that object's reference
//! count, so fork (which copies the mapping), exit and exec (which drop the
//! address space) and shmdt keep it right without hooks. The last
//! reference dropped removes a segment that IPC_RMID marked.
//!
//! Lock order: an address space's lock, then `SHM` (an attachment may be
//! dropped while the address space is locked).

use alloc::format;
use alloc::sync::{Arc, Weak};

use abi::ipc::*;
use abi::{Errno, MapFlags, ProtFlags};
use machine::mm::Frame;
use spin::Mutex;

use super::util::{current_cred, current_pid, now, Ids, IpcObject, Lookup, Perm, READ, WRITE};
use crate::mm::address_space::page_up;
use crate::mm::mapped::{FileId, MappedFile};
use crate::mm::shmem::SharedAnon;
use crate::uaccess::{read_user, write_user};

const PAGE: u64 = 4096;

static SHM: Mutex<Ids<Segment>> = Mutex::new(Ids::new(SHMMNI as usize));

pub struct Segment {
    perm: Perm,
    size: u64,
    memory: Arc<SharedAnon>,
    /// The object attaching address spaces share, while any does.
    attachment: Weak<Attachment>,
    atime: i64,
    dtime: i64,
    ctime: i64,
    cpid: i32,
    lpid: i32,
}

impl IpcObject for Segment {
    fn perm(&self) -> &Perm {
        &self.perm
    }
}

impl Segment {
    fn attach_count(&self) -> u64 {
        self.attachment.strong_count() as u64
    }

    fn pages(&self) -> u64 {
        self.size.div_ceil(PAGE)
    }

    fn to_abi(&self) -> ShmidDs {
        ShmidDs {
            shm_perm: self.perm.to_abi(),
            shm_segsz: self.size,
            shm_atime: self.atime,
            shm_dtime: self.dtime,
            shm_ctime: self.ctime,
            shm_cpid: self.cpid,
            shm_lpid: self.lpid,
            shm_nattch: self.attach_count(),
            ..ShmidDs::default()
        }
    }

    /// The attachment, made anew when no address space holds it.
    fn attachment(&mut self, id: i32) -> Arc<Attachment> {
        if let Some(existing) = self.attachment.upgrade() {
            return existing;
        }
        let new = Arc::new(Attachment { id, key: self.perm.key, size: self.size, memory: self.memory.clone() });
        self.attachment = Arc::downgrade(&new);
        new
    }
}

/// A segment as address spaces map it.
pub struct Attachment {
    id: i32,
    /// The key at creation, which /proc/PID/maps shows.
    key: i32,
    size: u64,
    memory: Arc<SharedAnon>,
}

impl MappedFile for Attachment {
    fn size(&self) -> u64 {
        self.size
    }

    fn frame(&self, index: u64) -> Result<Frame, Errno> {
        self.memory.frame(index)
    }

    fn is_cached(&self, index: u64) -> bool {
        self.memory.is_cached(index)
    }

    /// Linux's name of the segment's file on its internal shm mount.
    fn id(&self) -> FileId {
        let path = format!("/SYSV{:08x} (deleted)", self.key as u32).into_bytes();
        FileId { dev: abi::makedev(0, 1), ino: self.id as u64, path }
    }
}

impl Drop for Attachment {
    /// The last address space let go: a segment marked for removal goes.
    fn drop(&mut self) {
        let mut shm = SHM.lock();
        let doomed = shm.get(self.id).is_ok_and(|s| s.attach_count() == 0 && s.perm.mode & SHM_DEST != 0);
        if doomed {
            shm.remove(self.id);
        }
    }
}

pub fn sys_shmget(key: i32, size: u64, flags: i32) -> Result<usize, Errno> {
    if flags & SHM_HUGETLB != 0 {
        // No huge pages are reserved here, as on a Linux without any.
        return Err(Errno::ENOMEM);
    }
    let cred = current_cred();
    let mut shm = SHM.lock();
    if let Lookup::Found(id, seg) = shm.find_key(key, flags)? {
        if size > seg.size {
            return Err(Errno::EINVAL);
        }
        seg.perm.check(&cred, flags as u32 & 0o777)?;
        return Ok(id as usize);
    }
    if !(SHMMIN..=SHMMAX).contains(&size) {
        return Err(Errno::EINVAL);
    }
    let total: u64 = shm.iter().map(|(_, s)| s.pages()).sum();
    if total.saturating_add(size.div_ceil(PAGE)) > SHMALL {
        return Err(Errno::ENOSPC);
    }
    let memory = Arc::new(SharedAnon::new(size));
    let (time, pid) = (now(), current_pid());
    let id = shm.insert(key, flags, &cred, |perm| Segment {
        perm,
        size,
        memory,
        attachment: Weak::new(),
        atime: 0,
        dtime: 0,
        ctime: time,
        cpid: pid,
        lpid: 0,
    })?;
    Ok(id as usize)
}

/// shmat's address: SHM_RND rounds down to SHMLBA; an unaligned one
/// without it, or SHM_REMAP without an address, is EINVAL.
fn attach_address(addr: u64, flags: i32) -> Result<u64, Errno> {
    if addr == 0 {
        return if flags & SHM_REMAP != 0 { Err(Errno::EINVAL) } else { Ok(0) };
    }
    if addr.is_multiple_of(SHMLBA) {
        return Ok(addr);
    }
    if flags & SHM_RND == 0 {
        return Err(Errno::EINVAL);
    }
    let rounded = addr & !(SHMLBA - 1);
    if rounded == 0 && flags & SHM_REMAP != 0 {
        return Err(Errno::EINVAL);
    }
    Ok(rounded)
}

pub fn sys_shmat(id: i32, addr: u64, flags: i32) -> Result<usize, Errno> {
    let addr = attach_address(addr, flags)?;
    let (mut prot, mut wanted) = if flags & SHM_RDONLY != 0 {
        (ProtFlags::PROT_READ, READ)
    } else {
        (ProtFlags::PROT_READ | ProtFlags::PROT_WRITE, READ | WRITE)
    };
    if flags & SHM_EXEC != 0 {
        prot |= ProtFlags::PROT_EXEC;
        wanted |= 0o111;
    }
    let cred = current_cred();
    let attachment = {
        let mut shm = SHM.lock();
        let seg = shm.get_mut(id)?;
        seg.perm.check(&cred, wanted)?;
        seg.attachment(id)
    };
    let mut map_flags = MapFlags::MAP_SHARED;
    if addr != 0 {
        // Without SHM_REMAP the range must be free (EINVAL otherwise).
        map_flags |= if flags & SHM_REMAP != 0 { MapFlags::MAP_FIXED } else { MapFlags::MAP_FIXED_NOREPLACE };
    }
    let size = attachment.size;
    let source: Arc<dyn MappedFile> = attachment;
    let start = match crate::mm::mmap::do_mmap(addr, size, prot, map_flags, Some(source), 0) {
        Err(Errno::EEXIST) => return Err(Errno::EINVAL),
        result => result?,
    };
    if let Ok(seg) = SHM.lock().get_mut(id) {
        seg.atime = now();
        seg.lpid = current_pid();
    }
    Ok(start)
}

/// The segment id of an attachment mapped by an area, if it is one.
fn segment_of(file: &Arc<dyn MappedFile>) -> Option<i32> {
    let shm = SHM.lock();
    let target = Arc::as_ptr(file) as *const ();
    let found = shm.iter().find(|(_, s)| core::ptr::eq(s.attachment.as_ptr() as *const (), target)).map(|(id, _)| id);
    found
}

pub fn sys_shmdt(addr: u64) -> Result<usize, Errno> {
    if !addr.is_multiple_of(PAGE) {
        return Err(Errno::EINVAL);
    }
    let task = crate::sched::current();
    let mm = task.mm().ok_or(Errno::EINVAL)?;
    // Our own reference keeps the attachment alive until SHM is free to
    // be locked by its drop.
    let (id, held) = {
        let mut mm = mm.lock();
        let vma = *mm.find_vma(addr).filter(|v| v.start == addr && v.pgoff == 0).ok_or(Errno::EINVAL)?;
        let file_id = vma.file.ok_or(Errno::EINVAL)?;
        let file = mm.mapped_file(file_id).ok_or(Errno::EINVAL)?;
        let id = segment_of(&file).ok_or(Errno::EINVAL)?;
        // Every area of this attachment within the segment's size goes.
        let end = addr.saturating_add(page_up(file.size()));
        let areas: alloc::vec::Vec<(u64, u64)> = mm
            .vmas_iter()
            .filter(|v| v.file == Some(file_id) && v.start >= addr && v.start < end)
            .map(|v| (v.start, v.end.min(end)))
            .collect();
        for (start, stop) in areas {
            mm.unmap_range(start, stop);
        }
        (id, file)
    };
    if let Ok(seg) = SHM.lock().get_mut(id) {
        seg.dtime = now();
        seg.lpid = current_pid();
    }
    drop(held);
    Ok(0)
}

pub fn sys_shmctl(id: i32, cmd: i32, buf: u64) -> Result<usize, Errno> {
    if id < 0 || cmd < 0 {
        return Err(Errno::EINVAL);
    }
    let cred = current_cred();
    match cmd {
        IPC_INFO => {
            let info = ShmInfo64 {
                shmmax: SHMMAX,
                shmmin: SHMMIN,
                shmmni: SHMMNI,
                shmseg: SHMMNI,
                shmall: SHMALL,
                ..Default::default()
            };
            let max = SHM.lock().max_index();
            write_user(buf, &info)?;
            Ok(max)
        }
        SHM_INFO => {
            let (info, max) = {
                let shm = SHM.lock();
                let info = ShmInfo {
                    used_ids: shm.in_use() as i32,
                    shm_tot: shm.iter().map(|(_, s)| s.pages()).sum(),
                    shm_rss: shm.iter().map(|(_, s)| s.memory.resident_pages()).sum(),
                    ..Default::default()
                };
                (info, shm.max_index())
            };
            write_user(buf, &info)?;
            Ok(max)
        }
        SHM_STAT | SHM_STAT_ANY => {
            let (full_id, ds) = {
                let shm = SHM.lock();
                let (full_id, seg) = shm.at_index(id as usize).ok_or(Errno::EINVAL)?;
                if cmd == SHM_STAT {
                    seg.perm.check(&cred, READ)?;
                }
                (full_id, seg.to_abi())
            };
            write_user(buf, &ds)?;
            Ok(full_id as usize)
        }
        IPC_STAT => {
            let ds = {
                let shm = SHM.lock();
                let seg = shm.get(id)?;
                seg.perm.check(&cred, READ)?;
                seg.to_abi()
            };
            write_user(buf, &ds)?;
            Ok(0)
        }
        IPC_SET => {
            let new: ShmidDs = read_user(buf)?;
            let mut shm = SHM.lock();
            let seg = shm.get_mut(id)?;
            seg.perm.check_owner(&cred)?;
            seg.perm.set(&new.shm_perm);
            seg.ctime = now();
            Ok(0)
        }
        IPC_RMID => {
            let mut shm = SHM.lock();
            let seg = shm.get_mut(id)?;
            seg.perm.check_owner(&cred)?;
            if seg.attach_count() == 0 {
                shm.remove(id);
            } else {
                // Gone once the last user detaches; no key finds it now.
                seg.perm.mode |= SHM_DEST;
                seg.perm.key = IPC_PRIVATE;
            }
            Ok(0)
        }
        SHM_LOCK | SHM_UNLOCK => {
            let mut shm = SHM.lock();
            let seg = shm.get_mut(id)?;
            seg.perm.check_owner(&cred)?;
            // Nothing is ever swapped here: the flag is all there is to do.
            if cmd == SHM_LOCK {
                seg.perm.mode |= SHM_LOCKED;
            } else {
                seg.perm.mode &= !SHM_LOCKED;
            }
            Ok(0)
        }
        _ => Err(Errno::EINVAL),
    }
}

/// One line of /proc/sysvipc/shm per segment, in Linux's format.
pub fn proc_lines() -> alloc::vec::Vec<alloc::string::String> {
    let shm = SHM.lock();
    shm.iter()
        .map(|(id, s)| {
            let p = &s.perm;
            format!(
                "{:>10} {:>10}  {:>4o} {:>21} {:>5} {:>5}  {:>5} {:>5} {:>5} {:>5} {:>5} {:>10} {:>10} {:>10} {:>21} {:>21}\n",
                p.key,
                id,
                p.mode,
                s.size,
                s.cpid,
                s.lpid,
                s.attach_count(),
                p.uid,
                p.gid,
                p.cuid,
                p.cgid,
                s.atime,
                s.dtime,
                s.ctime,
                s.memory.resident_pages() * PAGE,
                0
            )
        })
        .collect()
}
