//! Starting the first user process, init (pid 1), from the root filesystem.

use alloc::sync::Arc;
use alloc::vec::Vec;

use abi::open::O_RDWR;
use abi::{Errno, AT_FDCWD};
use spin::Mutex;

use super::exec;
use crate::fs::file::FdTable;
use crate::sched::task::Task;

/// Descriptors 0, 1 and 2 on one open of /dev/console, as Linux gives init.
fn console_fds() -> Result<FdTable, Errno> {
    let console = match crate::fs::open::do_open(AT_FDCWD, b"/dev/console", O_RDWR, 0) {
        Ok(file) => file,
        Err(e) => {
            crate::pr_warn!("Warning: unable to open an initial console (error -{}).", e.code());
            return Ok(FdTable::new());
        }
    };
    let mut fds = FdTable::new();
    for _ in 0..3 {
        fds.install(console.clone(), false)?;
    }
    Ok(fds)
}

pub fn spawn_init(path: &[u8], argv: &[Vec<u8>], envp: &[Vec<u8>]) -> Result<(), Errno> {
    let prepared = exec::prepare(path, argv.to_vec(), envp.to_vec())?;
    if prepared.fatal {
        // Its segments cannot be mapped: a process would be killed with
        // SIGSEGV; there is no init to kill yet, so it fails to execute.
        return Err(Errno::ENOEXEC);
    }
    let frame = exec::initial_frame(prepared.entry, prepared.sp);
    let mm = Arc::new(Mutex::new(prepared.mm));
    let task = Task::new_process(1, prepared.comm, mm, console_fds()?, &frame).ok_or(Errno::ENOMEM)?;
    let task = Arc::new(task);
    task.join_thread_list();
    super::pid::register(&task);
    crate::sched::add_task(task);
    Ok(())
}
