//! Starting the first user process, init (pid 1), from the root filesystem.

use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::{Errno, OpenFlags};
use spin::Mutex;

use super::exec;
use crate::fs::file::{FdTable, OpenFile};
use crate::sched::task::Task;
use crate::tty::console::Console;

/// Descriptors 0, 1 and 2 on one open console, as Linux gives init
/// /dev/console opened once and duplicated.
fn console_fds() -> Result<FdTable, Errno> {
    let console = OpenFile::new(Console::new(), OpenFlags::O_RDWR);
    let mut fds = FdTable::new();
    for _ in 0..3 {
        fds.install(console.clone(), false)?;
    }
    Ok(fds)
}

pub fn spawn_init(path: &[u8], argv: &[Vec<u8>], envp: &[Vec<u8>]) -> Result<(), Errno> {
    let prepared = exec::prepare(path, argv.to_vec(), envp.to_vec())?;
    let frame = exec::initial_frame(prepared.entry, prepared.sp);
    let mm = Arc::new(Mutex::new(prepared.mm));
    let task = Task::new_user(1, prepared.comm, mm, console_fds()?, &frame).ok_or(Errno::ENOMEM)?;
    let task = Arc::new(task);
    super::pid::register(&task);
    crate::sched::add_task(task);
    Ok(())
}
