//! Starting the first user process, init (pid 1), from the root filesystem.

use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::Errno;

use super::elf;
use super::exec_stack::{self, ExecArgs};
use crate::arch::entry::TrapFrame;
use crate::arch::gdt::{USER_CS, USER_DS};
use crate::fs::file::{FdTable, File};
use crate::fs::ramfs;
use crate::mm::address_space::{AddressSpace, STACK_SIZE, STACK_TOP};
use crate::mm::vma::{Vma, VmaKind};
use crate::sched::task::{Comm, Task};
use crate::tty::console::Console;

static CONSOLE: Console = Console::new();

const RFLAGS_IF: u64 = 1 << 9;
const RFLAGS_RESERVED: u64 = 1 << 1;

/// Console descriptors 0, 1 and 2, as Linux gives init /dev/console.
fn console_fds() -> Result<FdTable, Errno> {
    struct ConsoleRef;
    impl File for ConsoleRef {
        fn read(&self, buf: &mut [u8]) -> Result<usize, Errno> {
            CONSOLE.read(buf)
        }
        fn write(&self, buf: &[u8]) -> Result<usize, Errno> {
            CONSOLE.write(buf)
        }
        fn ioctl(&self, cmd: u32, arg: u64) -> Result<usize, Errno> {
            CONSOLE.ioctl(cmd, arg)
        }
    }
    let console: Arc<dyn File> = Arc::new(ConsoleRef);
    let mut fds = FdTable::new();
    for _ in 0..3 {
        fds.install(console.clone())?;
    }
    Ok(fds)
}

/// Builds a fresh address space holding the program and its initial stack.
/// Returns it with the entry point and stack pointer.
pub fn load_program(bytes: &[u8], args: &ExecArgs) -> Result<(AddressSpace, u64, u64), Errno> {
    let mut mm = AddressSpace::new()?;
    let image = elf::load(&mut mm, bytes)?;
    let stack = Vma {
        start: STACK_TOP - STACK_SIZE,
        end: STACK_TOP,
        prot: abi::ProtFlags::PROT_READ | abi::ProtFlags::PROT_WRITE,
        shared: false,
        kind: VmaKind::Stack,
    };
    if !mm.is_free(stack.start, stack.end) {
        return Err(Errno::ENOEXEC);
    }
    mm.insert_vma(stack);
    let sp = exec_stack::build(&mut mm, args, &image)?;
    let brk = crate::mm::address_space::page_up(image.end);
    mm.brk_start = brk;
    mm.brk = brk;
    Ok((mm, image.entry, sp))
}

fn basename(path: &[u8]) -> &[u8] {
    path.rsplit(|&b| b == b'/').next().unwrap_or(path)
}

/// Creates init from `path` and queues it to run.
pub fn spawn_init(path: &[u8], argv: &[Vec<u8>], envp: &[Vec<u8>]) -> Result<(), Errno> {
    let inode = ramfs::lookup(path, true)?;
    if !inode.is_regular() {
        return Err(Errno::EACCES);
    }
    if inode.mode & 0o111 == 0 {
        return Err(Errno::EACCES);
    }
    let bytes = inode.read_all()?;
    let args = ExecArgs { argv, envp, execfn: path };
    let (mm, entry, sp) = load_program(&bytes, &args)?;
    let frame = TrapFrame {
        rip: entry,
        rsp: sp,
        cs: u64::from(USER_CS),
        ss: u64::from(USER_DS),
        rflags: RFLAGS_IF | RFLAGS_RESERVED,
        ..TrapFrame::default()
    };
    let task = Task::new_user(1, Comm::new(basename(path)), mm, console_fds()?, &frame).ok_or(Errno::ENOMEM)?;
    crate::sched::add_task(Arc::new(task));
    Ok(())
}
