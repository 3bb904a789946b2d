//! System V IPC: shared memory, semaphores and message queues. The
//! structures are the kernel's 64-bit ones (`ipc64_perm`, `shmid64_ds`,
//! ...), which x86_64's C libraries use as they are.

use bytemuck::{Pod, Zeroable};

/// `key` of the *get calls: always a new object.
pub const IPC_PRIVATE: i32 = 0;

// Flags of the *get calls (beside the low nine permission bits).
pub const IPC_CREAT: i32 = 0o1000;
pub const IPC_EXCL: i32 = 0o2000;
pub const IPC_NOWAIT: i32 = 0o4000;

// Commands shared by shmctl, semctl and msgctl.
pub const IPC_RMID: i32 = 0;
pub const IPC_SET: i32 = 1;
pub const IPC_STAT: i32 = 2;
pub const IPC_INFO: i32 = 3;

// shmat flags.
pub const SHM_RDONLY: i32 = 0o10000;
pub const SHM_RND: i32 = 0o20000;
pub const SHM_REMAP: i32 = 0o40000;
pub const SHM_EXEC: i32 = 0o100000;
/// shmget: huge pages (not offered here).
pub const SHM_HUGETLB: i32 = 0o4000;
/// shmget: no swap reservation (accepted, nothing to reserve).
pub const SHM_NORESERVE: i32 = 0o10000;
/// Linux's SHMLBA on x86_64: a page.
pub const SHMLBA: u64 = 4096;

// shmctl commands.
pub const SHM_LOCK: i32 = 11;
pub const SHM_UNLOCK: i32 = 12;
pub const SHM_STAT: i32 = 13;
pub const SHM_INFO: i32 = 14;
pub const SHM_STAT_ANY: i32 = 15;

// Bits of a segment's `shm_perm.mode` beside the permissions.
/// Removed (IPC_RMID) while still attached.
pub const SHM_DEST: u32 = 0o1000;
pub const SHM_LOCKED: u32 = 0o2000;

// semctl commands.
pub const GETPID: i32 = 11;
pub const GETVAL: i32 = 12;
pub const GETALL: i32 = 13;
pub const GETNCNT: i32 = 14;
pub const GETZCNT: i32 = 15;
pub const SETVAL: i32 = 16;
pub const SETALL: i32 = 17;
pub const SEM_STAT: i32 = 18;
pub const SEM_INFO: i32 = 19;
pub const SEM_STAT_ANY: i32 = 20;
/// `sem_flg`: undo the operation when the process exits.
pub const SEM_UNDO: i16 = 0x1000;

// msgctl commands.
pub const MSG_STAT: i32 = 11;
pub const MSG_INFO: i32 = 12;
pub const MSG_STAT_ANY: i32 = 13;
// msgrcv flags.
pub const MSG_NOERROR: i32 = 0o10000;
pub const MSG_EXCEPT: i32 = 0o20000;
pub const MSG_COPY: i32 = 0o40000;

// Linux's default limits (include/uapi/linux/shm.h, sem.h, msg.h).
pub const SHMMIN: u64 = 1;
pub const SHMMNI: u64 = 4096;
pub const SHMMAX: u64 = u64::MAX - (1 << 24);
pub const SHMALL: u64 = u64::MAX - (1 << 24);
pub const SEMMNI: i32 = 32000;
pub const SEMMSL: i32 = 32000;
pub const SEMMNS: i32 = SEMMNI * SEMMSL;
pub const SEMOPM: i32 = 500;
pub const SEMVMX: i32 = 32767;
pub const SEMAEM: i32 = SEMVMX;
pub const SEMUSZ: i32 = 20;
pub const MSGMNI: i32 = 32000;
pub const MSGMAX: i32 = 8192;
pub const MSGMNB: i32 = 16384;
/// Kilobytes of message pool: MSGMNI * MSGMNB / 1024.
pub const MSGPOOL: i32 = MSGMNI * (MSGMNB / 1024);
pub const MSGTQL: i32 = MSGMNB;
pub const MSGMAP: i32 = MSGMNB;
pub const MSGSSZ: i32 = 16;
pub const MSGSEG: u16 = 0xffff;

/// `struct ipc64_perm` (48 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct IpcPerm {
    pub key: i32,
    pub uid: u32,
    pub gid: u32,
    pub cuid: u32,
    pub cgid: u32,
    pub mode: u32,
    pub seq: u16,
    pub _pad2: u16,
    pub _pad3: u32,
    pub _unused1: u64,
    pub _unused2: u64,
}

/// `struct shmid64_ds` (112 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct ShmidDs {
    pub shm_perm: IpcPerm,
    pub shm_segsz: u64,
    pub shm_atime: i64,
    pub shm_dtime: i64,
    pub shm_ctime: i64,
    pub shm_cpid: i32,
    pub shm_lpid: i32,
    pub shm_nattch: u64,
    pub _unused4: u64,
    pub _unused5: u64,
}

/// `struct shminfo64` of shmctl(IPC_INFO) (72 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct ShmInfo64 {
    pub shmmax: u64,
    pub shmmin: u64,
    pub shmmni: u64,
    pub shmseg: u64,
    pub shmall: u64,
    pub _unused: [u64; 4],
}

/// `struct shm_info` of shmctl(SHM_INFO) (48 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct ShmInfo {
    pub used_ids: i32,
    pub _pad: u32,
    /// Pages in all segments.
    pub shm_tot: u64,
    /// Pages present in memory.
    pub shm_rss: u64,
    pub shm_swp: u64,
    pub swap_attempts: u64,
    pub swap_successes: u64,
}

/// `struct semid64_ds` (104 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct SemidDs {
    pub sem_perm: IpcPerm,
    pub sem_otime: i64,
    pub _unused1: u64,
    pub sem_ctime: i64,
    pub _unused2: u64,
    pub sem_nsems: u64,
    pub _unused3: u64,
    pub _unused4: u64,
}

/// `struct sembuf`: one operation of semop (6 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct Sembuf {
    pub sem_num: u16,
    pub sem_op: i16,
    pub sem_flg: i16,
}

/// `struct seminfo` of semctl(IPC_INFO, SEM_INFO) (40 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct SemInfo {
    pub semmap: i32,
    pub semmni: i32,
    pub semmns: i32,
    pub semmnu: i32,
    pub semmsl: i32,
    pub semopm: i32,
    pub semume: i32,
    pub semusz: i32,
    pub semvmx: i32,
    pub semaem: i32,
}

/// `struct msqid64_ds` (120 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct MsqidDs {
    pub msg_perm: IpcPerm,
    pub msg_stime: i64,
    pub msg_rtime: i64,
    pub msg_ctime: i64,
    pub msg_cbytes: u64,
    pub msg_qnum: u64,
    pub msg_qbytes: u64,
    pub msg_lspid: i32,
    pub msg_lrpid: i32,
    pub _unused4: u64,
    pub _unused5: u64,
}

/// `struct msginfo` of msgctl(IPC_INFO, MSG_INFO) (32 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct MsgInfo {
    pub msgpool: i32,
    pub msgmap: i32,
    pub msgmax: i32,
    pub msgmnb: i32,
    pub msgmni: i32,
    pub msgssz: i32,
    pub msgtql: i32,
    pub msgseg: u16,
    pub _pad: u16,
}
