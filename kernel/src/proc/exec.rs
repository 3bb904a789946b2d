//! execve(2): replacing the calling process's program. Everything that can
//! fail (reading the arguments, finding and loading the file, building the
//! stack) happens before the old address space is touched, so a failed
//! execve returns to the old program unharmed.

use alloc::format;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::sync::atomic::{AtomicBool, Ordering};

use abi::{AtFlags, Errno};
use spin::Mutex;

use super::elf;
use super::exec_file::ExecFile;
use super::exec_stack::{self, ExecArgs};
use crate::arch::entry::TrapFrame;
use crate::arch::gdt::{USER_CS, USER_DS};
use crate::fs::d_path::NamedPath;
use crate::fs::write_access::DenyWrite;
use crate::fs::{namei, perm};
use crate::mm::address_space::{page_up, AddressSpace, STACK_TOP};
use crate::mm::vma::{Mlock, Vma, VmaKind};
use crate::sched::current;
use crate::sched::task::Comm;
use crate::uaccess::{read_user, read_user_cstr};

/// The stack area a new program starts with (its arguments must fit).
const INITIAL_STACK_SIZE: u64 = 128 * 1024;
/// Linux's PATH_MAX.
const PATH_MAX: usize = 4096;
/// Linux's limit on `#!` interpreters of interpreters.
const MAX_SCRIPT_DEPTH: usize = 4;
/// Linux reads the first 256 bytes of a file for its `#!` line.
const BINPRM_BUF_SIZE: usize = 256;
/// An empty argv is logged once, as Linux's pr_warn_once.
static EMPTY_ARGV_LOGGED: AtomicBool = AtomicBool::new(false);

/// Linux's MAX_ARG_STRLEN.
const MAX_ARG_STRLEN: usize = 32 * 4096;
/// Linux's limit on the total argument and environment size (a quarter of
/// the 8 MiB stack limit).
const MAX_ARG_TOTAL: usize = 2 << 20;

const RFLAGS_IF: u64 = 1 << 9;
const RFLAGS_RESERVED: u64 = 1 << 1;

/// A program ready to run: its new address space and where to start; or
/// one whose segments could not be mapped (`fatal`: Linux kills the
/// process with SIGSEGV past the point of no return).
pub struct Prepared {
    pub mm: AddressSpace,
    pub entry: u64,
    pub sp: u64,
    pub comm: Comm,
    pub fatal: bool,
}

/// The interpreter a program names, read as open_exec would (ENOENT,
/// EACCES... as the path gives; ELIBBAD if it is no ELF file).
fn open_interpreter(program: &elf::Elf) -> Result<Option<elf::Elf>, Errno> {
    let Some(path) = elf::interpreter(program)? else { return Ok(None) };
    let named = namei::lookup_named(abi::AT_FDCWD, &path, true)?;
    // Linux lets the interpreter be written again once it is mapped.
    let (_, named, _) = read_executable(named)?;
    elf::parse(Arc::new(ExecFile::new(named)), Errno::ELIBBAD).map(Some)
}

/// Builds a fresh address space holding the program (and its
/// interpreter) and its initial stack; None when a segment cannot be
/// mapped.
fn load_image(program: &elf::Elf, args: &ExecArgs) -> Result<Option<(AddressSpace, u64, u64)>, Errno> {
    let mut mm = AddressSpace::new()?;
    let interp = open_interpreter(program)?;
    let mut image = match elf::load(&mut mm, program, interp.as_ref())? {
        elf::Loaded::Image(image) => image,
        elf::Loaded::Fatal => return Ok(None),
    };
    // The stack starts at 128 KiB and grows down on faults, up to
    // RLIMIT_STACK, as on Linux.
    let stack = Vma {
        start: STACK_TOP - INITIAL_STACK_SIZE - page_up(args.size_on_stack()),
        end: STACK_TOP,
        prot: abi::ProtFlags::PROT_READ | abi::ProtFlags::PROT_WRITE,
        shared: false,
        kind: VmaKind::Stack,
        grows_down: true,
        file: None,
        pgoff: 0,
        locked: Mlock::Unlocked,
    };
    if !mm.is_free(stack.start, stack.end) {
        return Err(Errno::ENOEXEC);
    }
    mm.insert_vma(stack);
    image.vdso = crate::mm::vdso::map(&mut mm).unwrap_or(0);
    let sp = exec_stack::build(&mut mm, args, &image)?;
    let brk = page_up(image.end);
    mm.brk_start = brk;
    mm.brk = brk;
    Ok(Some((mm, image.entry, sp)))
}

fn basename(path: &[u8]) -> &[u8] {
    path.rsplit(|&b| b == b'/').next().unwrap_or(path)
}

/// Opens an executable file, checking Linux's permission rules: a
/// regular file with execute access, not open for writing (ETXTBSY).
/// Returns its first bytes (an ELF header or a `#!` line), the file
/// (/proc/PID/exe) and the guard that keeps it from being written while
/// it runs.
fn read_executable(named: NamedPath) -> Result<(Vec<u8>, NamedPath, DenyWrite), Errno> {
    let inode = &named.path;
    if !inode.is_regular() {
        return Err(Errno::EACCES);
    }
    perm::may_exec(inode)?;
    let deny = DenyWrite::new(&inode.inode)?;
    let head = inode.read_all(Some(BINPRM_BUF_SIZE))?;
    Ok((head, named, deny))
}

/// Splits a `#!` line into the interpreter and its optional argument.
fn parse_shebang(bytes: &[u8]) -> Option<(Vec<u8>, Option<Vec<u8>>)> {
    let head = &bytes[..bytes.len().min(BINPRM_BUF_SIZE)];
    let line = head.strip_prefix(b"#!")?;
    let line = &line[..line.iter().position(|&b| b == b'\n').unwrap_or(line.len())];
    let line = line.trim_ascii();
    if line.is_empty() {
        return None;
    }
    let split = line.iter().position(|b| b.is_ascii_whitespace()).unwrap_or(line.len());
    let interp = line[..split].to_vec();
    let arg = line[split..].trim_ascii();
    Some((interp, (!arg.is_empty()).then(|| arg.to_vec())))
}

/// Resolves `#!` scripts and loads the final ELF program at `path`
/// (relative paths from the working directory).
pub fn prepare(path: &[u8], argv: Vec<Vec<u8>>, envp: Vec<Vec<u8>>) -> Result<Prepared, Errno> {
    let named = namei::lookup_named(abi::AT_FDCWD, path, true)?;
    prepare_named(named, path, argv, envp)
}

/// `prepare` for a file already found; `path` is the name the program
/// is told it was started as (AT_EXECFN, the script's argument).
fn prepare_named(first: NamedPath, path: &[u8], mut argv: Vec<Vec<u8>>, envp: Vec<Vec<u8>>) -> Result<Prepared, Errno> {
    let mut file = path.to_vec();
    let mut found = Some(first);
    for _ in 0..=MAX_SCRIPT_DEPTH {
        let named = match found.take() {
            Some(named) => named,
            None => namei::lookup_named(abi::AT_FDCWD, &file, true)?,
        };
        let (bytes, exe, deny) = read_executable(named)?;
        if let Some((interp, arg)) = parse_shebang(&bytes) {
            // argv becomes: interpreter, its argument, the script, the rest.
            let mut new_argv = alloc::vec![interp.clone()];
            new_argv.extend(arg);
            new_argv.push(file.clone());
            new_argv.extend(argv.into_iter().skip(1));
            argv = new_argv;
            file = interp;
            continue;
        }
        if !elf::is_elf(&bytes) {
            return Err(Errno::ENOEXEC);
        }
        let program = elf::parse(Arc::new(ExecFile::new(exe.clone())), Errno::ENOEXEC)?;
        let args = ExecArgs { argv: &argv, envp: &envp, execfn: path };
        let comm = Comm::new(basename(path));
        let Some((mut mm, entry, sp)) = load_image(&program, &args)? else {
            return Ok(Prepared { mm: AddressSpace::new()?, entry: 0, sp: 0, comm, fatal: true });
        };
        mm.exec.exe = Some(alloc::sync::Arc::new(exe));
        mm.exec.exe_deny = Some(alloc::sync::Arc::new(deny));
        return Ok(Prepared { mm, entry, sp, comm, fatal: false });
    }
    Err(Errno::ELOOP)
}

/// Reads a NULL-terminated array of user string pointers.
fn read_string_array(addr: u64, total: &mut usize) -> Result<Vec<Vec<u8>>, Errno> {
    let mut out = Vec::new();
    if addr == 0 {
        return Ok(out);
    }
    loop {
        let ptr: u64 = read_user(addr + (out.len() * 8) as u64)?;
        if ptr == 0 {
            return Ok(out);
        }
        let s = read_user_cstr(ptr, MAX_ARG_STRLEN - 1, Errno::E2BIG)?;
        *total += s.len() + 1 + 8;
        if *total > MAX_ARG_TOTAL {
            return Err(Errno::E2BIG);
        }
        out.push(s);
    }
}

/// execve in a multithreaded process: every other thread is killed and the
/// caller waits until they are gone (Linux's de_thread). A caller that is
/// not the leader keeps its own thread id.
fn end_other_threads(task: &crate::sched::task::Task) {
    if task.live_threads.load(Ordering::Acquire) <= 1 {
        return;
    }
    task.exec_in_progress.store(true, Ordering::Release);
    super::exit::kill_other_threads(task);
    while task.live_threads.load(Ordering::Acquire) > 1 {
        let next_tick = crate::time::uptime_ns() + crate::time::NSEC_PER_SEC / crate::time::HZ;
        let _ = crate::sched::timer::sleep_until(next_tick);
    }
    task.exec_in_progress.store(false, Ordering::Release);
}

/// The register state a new program starts with.
pub fn initial_frame(entry: u64, sp: u64) -> TrapFrame {
    TrapFrame {
        rip: entry,
        rsp: sp,
        cs: u64::from(USER_CS),
        ss: u64::from(USER_DS),
        rflags: RFLAGS_IF | RFLAGS_RESERVED,
        ..TrapFrame::default()
    }
}

pub fn sys_execve(frame: &mut TrapFrame, path: u64, argv: u64, envp: u64) -> Result<usize, Errno> {
    sys_execveat(frame, abi::AT_FDCWD, path, argv, envp, 0)
}

/// execveat(2): `path` from directory `dirfd`, or with AT_EMPTY_PATH and
/// an empty path the file `dirfd` itself (fexecve). The program's name
/// (AT_EXECFN) is then `/dev/fd/N` or `/dev/fd/N/path`, as Linux gives.
pub fn sys_execveat(
    frame: &mut TrapFrame,
    dirfd: i32,
    path: u64,
    argv: u64,
    envp: u64,
    flags: u32,
) -> Result<usize, Errno> {
    let flags = AtFlags::from_bits(flags)
        .filter(|f| (AtFlags::AT_EMPTY_PATH | AtFlags::AT_SYMLINK_NOFOLLOW).contains(*f))
        .ok_or(Errno::EINVAL)?;
    let path = read_user_cstr(path, PATH_MAX - 1, Errno::ENAMETOOLONG)?;
    let (named, name) = if path.is_empty() {
        if !flags.contains(AtFlags::AT_EMPTY_PATH) {
            return Err(Errno::ENOENT);
        }
        (crate::fs::file::get_raw(dirfd)?.named_path(), format!("/dev/fd/{dirfd}").into_bytes())
    } else {
        let follow = !flags.contains(AtFlags::AT_SYMLINK_NOFOLLOW);
        let named = namei::lookup_named(dirfd, &path, follow)?;
        if !follow && named.path.is_symlink() {
            return Err(Errno::ELOOP);
        }
        let name = if path.starts_with(b"/") || dirfd == abi::AT_FDCWD {
            path
        } else {
            [format!("/dev/fd/{dirfd}/").into_bytes(), path].concat()
        };
        (named, name)
    };
    let mut total = 0;
    let mut argv = read_string_array(argv, &mut total)?;
    let envp = read_string_array(envp, &mut total)?;
    if argv.is_empty() {
        // Linux since 5.18: programs count on argv[0], so it is there.
        if !EMPTY_ARGV_LOGGED.swap(true, Ordering::Relaxed) {
            let comm = current().comm();
            crate::pr_warn!(
                "process '{}' launched '{}' with NULL argv: empty string added",
                comm.as_str(),
                core::str::from_utf8(&name).unwrap_or("?")
            );
        }
        argv.push(Vec::new());
    }
    let prepared = prepare_named(named, &name, argv, envp)?;

    // The point of no return: the other threads go, then the new program.
    let task = current();
    end_other_threads(&task);
    if prepared.fatal {
        // Killed before its first instruction, as Linux does.
        crate::proc::signal::force_signal(abi::signal::SIGSEGV, abi::signal::SI_KERNEL, 0);
        return Ok(0);
    }
    let mm = Arc::new(Mutex::new(prepared.mm));
    mm.lock().activate();
    drop(task.set_mm(mm));
    task.did_exec.store(true, Ordering::Relaxed);
    task.vfork_done.store(true, Ordering::Release);
    task.vfork_wait.wake_all();
    task.files.lock().close_on_exec();
    task.signals.lock().reset_for_exec();
    super::posix_timers::delete_all(task.tgid);
    task.set_comm(prepared.comm);
    task.cred.lock().exec_caps();
    let persona = super::personality::on_exec(task.personality.load(Ordering::Relaxed));
    task.personality.store(persona, Ordering::Relaxed);
    task.set_fs_base(0);
    crate::arch::set_user_fs_base(0);
    crate::arch::set_user_gs_base(0);
    crate::arch::fpu::restore(&crate::arch::fpu::FpuState::initial());
    *frame = initial_frame(prepared.entry, prepared.sp);
    Ok(0)
}
