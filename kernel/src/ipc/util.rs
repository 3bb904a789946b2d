//! What the three kinds of IPC object share (Linux's ipc/util.c): the table
//! of ids with its keys and sequence numbers, the owner and mode of an
//! object, and the permission checks of the *get and *ctl calls.

use alloc::vec::Vec;

use abi::ipc::{IpcPerm, IPC_CREAT, IPC_EXCL, IPC_PRIVATE};
use abi::Errno;

use crate::proc::cred::Credentials;

/// Linux's IPCMNI: ids are `seq * 32768 + index`.
pub const SEQ_MULTIPLIER: i32 = 32768;
/// Sequence numbers wrap to 0 here (Linux's INT_MAX >> 15).
const SEQ_LIMIT: u16 = u16::MAX;

/// Permission bits asked of an object: read (S_IRUGO) or write (S_IWUGO).
pub const READ: u32 = 0o444;
pub const WRITE: u32 = 0o222;

/// An object's owner, creator, rights and name.
#[derive(Clone, Copy, Debug)]
pub struct Perm {
    pub key: i32,
    pub uid: u32,
    pub gid: u32,
    pub cuid: u32,
    pub cgid: u32,
    /// The low nine bits are the rights; higher ones say the object's state
    /// (SHM_DEST).
    pub mode: u32,
    pub seq: u16,
}

impl Perm {
    fn new(key: i32, flags: i32, cred: &Credentials) -> Perm {
        Perm {
            key,
            uid: cred.euid,
            gid: cred.egid,
            cuid: cred.euid,
            cgid: cred.egid,
            mode: flags as u32 & 0o777,
            seq: 0,
        }
    }

    /// Linux's ipcperms: the owner's, group's or others' bits, whichever
    /// class the caller is in, must hold every bit of `flags` asked for;
    /// root passes (CAP_IPC_OWNER).
    pub fn allows(&self, cred: &Credentials, flags: u32) -> bool {
        let requested = (flags >> 6 | flags >> 3 | flags) & 0o7;
        let granted = if cred.euid == self.cuid || cred.euid == self.uid {
            self.mode >> 6
        } else if in_group(cred, self.gid) || in_group(cred, self.cgid) {
            self.mode >> 3
        } else {
            self.mode
        };
        requested & !granted & 0o7 == 0 || cred.capable(abi::capability::CAP_IPC_OWNER)
    }

    /// EACCES unless `allows`.
    pub fn check(&self, cred: &Credentials, flags: u32) -> Result<(), Errno> {
        if self.allows(cred, flags) {
            Ok(())
        } else {
            Err(Errno::EACCES)
        }
    }

    /// IPC_SET and IPC_RMID: only the owner, the creator or root.
    pub fn check_owner(&self, cred: &Credentials) -> Result<(), Errno> {
        if cred.euid == self.uid || cred.euid == self.cuid || cred.is_privileged() {
            Ok(())
        } else {
            Err(Errno::EPERM)
        }
    }

    /// IPC_SET's new owner and rights.
    pub fn set(&mut self, new: &IpcPerm) {
        self.uid = new.uid;
        self.gid = new.gid;
        self.mode = (self.mode & !0o777) | (new.mode & 0o777);
    }

    /// The `ipc64_perm` IPC_STAT reports.
    pub fn to_abi(self) -> IpcPerm {
        IpcPerm {
            key: self.key,
            uid: self.uid,
            gid: self.gid,
            cuid: self.cuid,
            cgid: self.cgid,
            mode: self.mode,
            seq: self.seq,
            ..IpcPerm::default()
        }
    }
}

fn in_group(cred: &Credentials, gid: u32) -> bool {
    cred.egid == gid || cred.groups.contains(&gid)
}

/// Something a table of ids holds.
pub trait IpcObject {
    fn perm(&self) -> &Perm;
}

/// The objects of one kind, by index; an id adds the index's sequence
/// number, so a stale id of a removed object does not name its successor.
pub struct Ids<T> {
    slots: Vec<Option<T>>,
    /// Indexes are handed out cyclically (as Linux 6.1's idr_alloc_cyclic);
    /// the sequence number advances when they wrap.
    last_index: Option<usize>,
    seq: u16,
    /// How many objects may exist at once (msgmni, shmmni, semmni).
    limit: usize,
    /// How many exist.
    count: usize,
}

/// Indexes run below Linux's IPCMNI, whatever the limit on the count.
pub const IPCMNI: usize = 32768;

/// What a *get call asks for when the key names nothing yet.
pub enum Lookup<'a, T> {
    Found(i32, &'a mut T),
    Missing,
}

impl<T: IpcObject> Ids<T> {
    pub const fn new(limit: usize) -> Ids<T> {
        Ids { slots: Vec::new(), last_index: None, seq: 0, limit, count: 0 }
    }

    pub fn in_use(&self) -> usize {
        self.count
    }

    pub fn limit(&self) -> usize {
        self.limit
    }

    /// A new limit on the count (objects past it stay).
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
    }

    /// The highest index in use (IPC_INFO's answer), 0 when none is.
    pub fn max_index(&self) -> usize {
        self.slots.iter().rposition(Option::is_some).unwrap_or(0)
    }

    fn id_of(index: usize, seq: u16) -> i32 {
        i32::from(seq) * SEQ_MULTIPLIER + index as i32
    }

    /// The object `id` names: EINVAL if none (or an older one's id).
    pub fn get(&self, id: i32) -> Result<&T, Errno> {
        let (index, seq) = split_id(id)?;
        match self.slots.get(index) {
            Some(Some(obj)) if obj.perm().seq == seq => Ok(obj),
            _ => Err(Errno::EINVAL),
        }
    }

    pub fn get_mut(&mut self, id: i32) -> Result<&mut T, Errno> {
        let (index, seq) = split_id(id)?;
        match self.slots.get_mut(index) {
            Some(Some(obj)) if obj.perm().seq == seq => Ok(obj),
            _ => Err(Errno::EINVAL),
        }
    }

    /// The object at `index` with its id (the *_STAT commands).
    pub fn at_index(&self, index: usize) -> Option<(i32, &T)> {
        let obj = self.slots.get(index)?.as_ref()?;
        Some((Self::id_of(index, obj.perm().seq), obj))
    }

    /// Every object, to change.
    pub fn iter_mut(&mut self) -> impl Iterator<Item = &mut T> {
        self.slots.iter_mut().flatten()
    }

    /// Every object with its id.
    pub fn iter(&self) -> impl Iterator<Item = (i32, &T)> {
        self.slots.iter().enumerate().filter_map(|(i, s)| s.as_ref().map(|o| (Self::id_of(i, o.perm().seq), o)))
    }

    pub fn remove(&mut self, id: i32) -> Option<T> {
        let (index, seq) = split_id(id).ok()?;
        let slot = self.slots.get_mut(index)?;
        if slot.as_ref()?.perm().seq != seq {
            return None;
        }
        self.count -= 1;
        slot.take()
    }

    /// The public object named `key`, after the EEXIST check of a *get call.
    pub fn find_key(&mut self, key: i32, flags: i32) -> Result<Lookup<'_, T>, Errno> {
        if key == IPC_PRIVATE {
            return Ok(Lookup::Missing);
        }
        let found = self.slots.iter().position(|s| s.as_ref().is_some_and(|o| o.perm().key == key));
        let Some(index) = found else {
            return if flags & IPC_CREAT == 0 { Err(Errno::ENOENT) } else { Ok(Lookup::Missing) };
        };
        if flags & IPC_CREAT != 0 && flags & IPC_EXCL != 0 {
            return Err(Errno::EEXIST);
        }
        let obj = self.slots[index].as_mut().expect("found above");
        let id = Self::id_of(index, obj.perm().seq);
        Ok(Lookup::Found(id, obj))
    }

    /// Adds an object made by `make` from its new `Perm`; ENOSPC when the
    /// table is full.
    pub fn insert(
        &mut self,
        key: i32,
        flags: i32,
        cred: &Credentials,
        make: impl FnOnce(Perm) -> T,
    ) -> Result<i32, Errno> {
        if self.in_use() >= self.limit {
            return Err(Errno::ENOSPC);
        }
        let start = self.last_index.map_or(0, |i| i + 1);
        let index = (start..IPCMNI)
            .chain(0..start.min(IPCMNI))
            .find(|&i| self.slots.get(i).is_none_or(Option::is_none))
            .ok_or(Errno::ENOSPC)?;
        if self.last_index.is_some_and(|last| index <= last) {
            self.seq = ((u32::from(self.seq) + 1) % u32::from(SEQ_LIMIT)) as u16;
        }
        self.last_index = Some(index);
        if self.slots.len() <= index {
            self.slots.resize_with(index + 1, || None);
        }
        let perm = Perm { seq: self.seq, ..Perm::new(key, flags, cred) };
        self.slots[index] = Some(make(perm));
        self.count += 1;
        Ok(Self::id_of(index, self.seq))
    }
}

/// An id's index and sequence number; a negative id names nothing.
fn split_id(id: i32) -> Result<(usize, u16), Errno> {
    if id < 0 {
        return Err(Errno::EINVAL);
    }
    Ok(((id % SEQ_MULTIPLIER) as usize, (id / SEQ_MULTIPLIER) as u16))
}

/// The calling thread's credentials, copied.
pub fn current_cred() -> Credentials {
    crate::sched::current().cred.lock().clone()
}

/// The calling process's id (the *pid fields of the objects).
pub fn current_pid() -> i32 {
    crate::sched::current().tgid as i32
}

/// Seconds since the epoch (the *time fields).
pub fn now() -> i64 {
    crate::time::realtime().tv_sec
}

#[cfg(test)]
mod tests {
    use super::*;

    struct Obj(Perm);
    impl IpcObject for Obj {
        fn perm(&self) -> &Perm {
            &self.0
        }
    }

    fn user(uid: u32, gid: u32) -> Credentials {
        let base = if uid == 0 { Credentials::root() } else { Credentials::default() };
        Credentials { uid, euid: uid, gid, egid: gid, ..base }
    }

    #[test]
    fn the_class_of_the_caller_picks_the_bits() {
        let perm = Perm::new(1, 0o640, &user(1000, 100));
        assert!(perm.allows(&user(1000, 5), READ | WRITE));
        assert!(perm.allows(&user(1001, 100), READ));
        assert!(!perm.allows(&user(1001, 100), WRITE));
        assert!(!perm.allows(&user(1001, 101), READ));
        assert!(perm.allows(&user(0, 0), READ | WRITE));
        // Nothing asked, nothing refused.
        assert!(perm.allows(&user(1001, 101), 0));
    }

    #[test]
    fn the_limit_counts_objects_and_indexes_go_round() {
        let mut ids: Ids<Obj> = Ids::new(2);
        let root = user(0, 0);
        let a = ids.insert(0, 0o600, &root, Obj).unwrap();
        let b = ids.insert(0, 0o600, &root, Obj).unwrap();
        assert_eq!((a, b), (0, 1));
        assert_eq!(ids.insert(0, 0o600, &root, Obj), Err(Errno::ENOSPC));
        ids.remove(a).unwrap();
        // The next index, not the freed one (Linux's cyclic allocation).
        let c = ids.insert(0, 0o600, &root, Obj).unwrap();
        assert_eq!(c, 2);
        assert!(ids.get(a).is_err());
        assert!(ids.get(c).is_ok());
        ids.set_limit(4);
        assert!(ids.insert(0, 0o600, &root, Obj).is_ok());
    }

    #[test]
    fn ids_carry_a_sequence_that_changes_when_indexes_wrap() {
        let mut ids: Ids<Obj> = Ids::new(IPCMNI);
        let root = user(0, 0);
        for _ in 0..IPCMNI {
            let id = ids.insert(0, 0o600, &root, Obj).unwrap();
            ids.remove(id).unwrap();
        }
        let wrapped = ids.insert(0, 0o600, &root, Obj).unwrap();
        assert_eq!(wrapped, SEQ_MULTIPLIER);
    }

    #[test]
    fn keys_are_found_unless_excl() {
        let mut ids: Ids<Obj> = Ids::new(8);
        let root = user(0, 0);
        let id = ids.insert(42, 0o600, &root, Obj).unwrap();
        assert!(matches!(ids.find_key(42, 0), Ok(Lookup::Found(i, _)) if i == id));
        assert!(matches!(ids.find_key(42, IPC_CREAT | IPC_EXCL), Err(Errno::EEXIST)));
        assert!(matches!(ids.find_key(43, 0), Err(Errno::ENOENT)));
        assert!(matches!(ids.find_key(43, IPC_CREAT), Ok(Lookup::Missing)));
    }
}
