//! /proc's system-wide files: meminfo, stat, uptime, loadavg, version,
//! filesystems, cmdline, sysrq-trigger, /proc/sys/kernel, /proc/sys/vm
//! and /proc/sys/fs/mqueue, and /proc/sysvipc, in Linux's formats.

use crate::net::inet::addr::Family;
use alloc::format;
use alloc::string::String;
use alloc::sync::Arc;
use alloc::vec::Vec;
use core::fmt::Write as _;

use abi::ipc::{MSGMAX, MSGMNB, SEMMNI, SEMMNS, SEMMSL, SEMOPM, SHMALL, SHMMAX, SHMMNI};
use abi::Errno;

use super::super::mount;
use super::pid_files::parse_int;
use super::pid_stat::clock_t;
use super::table::FileKind;
use crate::mm::frame;
use crate::proc::uts;
use crate::sched::stats;
use crate::time::NSEC_PER_SEC;

/// The bytes of a system-wide file; None for a process's files.
pub fn generate(kind: FileKind) -> Option<Result<Vec<u8>, Errno>> {
    let text = match kind {
        FileKind::Cpuinfo => super::cpuinfo::cpuinfo(),
        FileKind::Meminfo => meminfo(),
        FileKind::Vmstat => vmstat(),
        FileKind::Stat => stat(),
        FileKind::Uptime => uptime(),
        FileKind::Loadavg => loadavg(),
        FileKind::Interrupts => interrupts(),
        FileKind::Version => {
            format!("{} version {} (kestrel@kestrel) (rustc) {}\n", uts::SYSNAME, uts::RELEASE, uts::VERSION)
        }
        // Every filesystem type mount(2) knows, and pipefs; none needs a device.
        FileKind::Filesystems => filesystems(),
        FileKind::Cmdline => format!("{}\n", crate::cmdline::saved()),
        FileKind::SysrqTrigger => return Some(Err(Errno::EINVAL)), // write-only
        FileKind::NetUnix => return Some(Ok(crate::net::unix::proc_net_unix())),
        FileKind::NetDev => crate::net::inet::netdev::proc_net_dev(),
        FileKind::NetRoute => crate::net::inet::netdev::proc_net_route(),
        FileKind::NetIfInet6 => crate::net::inet::netdev::proc_net_if_inet6(),
        FileKind::NetTcp => crate::net::inet::proc_net::proc_net_tcp(Family::V4),
        FileKind::NetUdp => crate::net::inet::proc_net::proc_net_udp(Family::V4),
        FileKind::NetTcp6 => crate::net::inet::proc_net::proc_net_tcp(Family::V6),
        FileKind::NetUdp6 => crate::net::inet::proc_net::proc_net_udp(Family::V6),
        FileKind::Locks => return Some(Ok(crate::fs::locks::proc_locks())),
        FileKind::Hostname => format!("{}\n", name_of(&uts::utsname().nodename)),
        FileKind::Domainname => format!("{}\n", name_of(&uts::utsname().domainname)),
        FileKind::Ostype => format!("{}\n", uts::SYSNAME),
        FileKind::Osrelease => format!("{}\n", uts::RELEASE),
        FileKind::KernelVersion => format!("{}\n", uts::VERSION),
        FileKind::Sem => format!("{SEMMSL}\t{SEMMNS}\t{SEMOPM}\t{SEMMNI}\n"),
        FileKind::SysvipcShm => sysvipc(SHM_HEADER, crate::ipc::shm::proc_lines()),
        FileKind::SysvipcSem => sysvipc(SEM_HEADER, crate::ipc::sem::proc_lines()),
        FileKind::SysvipcMsg => sysvipc(MSG_HEADER, crate::ipc::msg::proc_lines()),
        FileKind::BootId => format!("{}\n", boot_id()),
        FileKind::Uuid => format!("{}\n", random_uuid()),
        FileKind::Printk => {
            let [a, b, c, d] = crate::printk::printk_levels();
            format!("{a}\t{b}\t{c}\t{d}\n")
        }
        _ => format!("{}\n", tunable(kind)?),
    };
    Some(Ok(text.into_bytes()))
}

fn name_of(field: &[u8; 65]) -> String {
    let n = field.iter().position(|&b| b == 0).unwrap_or(64);
    String::from_utf8_lossy(&field[..n]).into()
}

/// The fixed values of /proc/sys (not tunable here).
fn tunable(kind: FileKind) -> Option<u64> {
    Some(match kind {
        FileKind::PidMax => u64::from(crate::proc::pid::PID_MAX),
        FileKind::Tainted => 0,
        FileKind::MinFreeKbytes => min_free_kbytes(),
        FileKind::DropCaches => DROP_CACHES.load(core::sync::atomic::Ordering::Relaxed),
        // Heuristic overcommit (mm/mmap.rs), the default ratio.
        FileKind::OvercommitMemory => 0,
        FileKind::OvercommitRatio => 50,
        // System V IPC's limits (ipc/), Linux's defaults.
        FileKind::Shmmax => SHMMAX,
        FileKind::Shmall => SHMALL,
        FileKind::Shmmni => SHMMNI,
        FileKind::Msgmax => MSGMAX as u64,
        FileKind::Msgmnb => MSGMNB as u64,
        FileKind::Msgmni => crate::ipc::msg::msgmni() as u64,
        FileKind::Mqueue(t) => t.get(),
        FileKind::PipeMaxSize => crate::fs::pipe::max_size() as u64,
        // The pool is ready from boot: full, as Linux 6.1 always says.
        FileKind::EntropyAvail | FileKind::Poolsize => 256,
        FileKind::ThreadsMax => crate::proc::pid::threads_max() as u64,
        FileKind::NsLastPid => u64::from(crate::proc::pid::last_pid()),
        FileKind::InotifyMaxUserInstances | FileKind::InotifyMaxUserWatches | FileKind::InotifyMaxQueuedEvents => {
            inotify_limit(kind).load(core::sync::atomic::Ordering::Relaxed) as u64
        }
        FileKind::PipeUserPagesSoft => crate::fs::pipe_user::soft_limit(),
        FileKind::PipeUserPagesHard => crate::fs::pipe_user::hard_limit(),
        _ => return None,
    })
}

/// The last value written to /proc/sys/vm/drop_caches (what reading it gives).
static DROP_CACHES: core::sync::atomic::AtomicU64 = core::sync::atomic::AtomicU64::new(0);

/// /proc/sys/vm/drop_caches: 1 (or 3) drops the clean page cache of disk
/// files; 2 asks for the kernel's reclaimable objects, of which this
/// kernel keeps none; 4 only silences the message. Linux takes 1 to 4.
fn drop_caches(data: &[u8]) -> Result<usize, Errno> {
    let value = parse_int(data)?;
    if !(1..=4).contains(&value) {
        return Err(Errno::EINVAL);
    }
    if value & 1 != 0 {
        crate::fs::reclaim::drop_caches();
    }
    DROP_CACHES.store(value as u64, core::sync::atomic::Ordering::Relaxed);
    Ok(data.len())
}

/// The inotify limit behind a /proc/sys/fs/inotify file.
fn inotify_limit(kind: FileKind) -> &'static core::sync::atomic::AtomicUsize {
    use crate::fs::notify::{MAX_QUEUED_EVENTS, MAX_USER_INSTANCES, MAX_USER_WATCHES};
    match kind {
        FileKind::InotifyMaxUserInstances => &MAX_USER_INSTANCES,
        FileKind::InotifyMaxUserWatches => &MAX_USER_WATCHES,
        _ => &MAX_QUEUED_EVENTS,
    }
}

/// A random (version 4) UUID, as Linux formats them.
fn random_uuid() -> String {
    let mut b = [0u8; 16];
    crate::random::fill(&mut b);
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: Vec<String> = b.iter().map(|x| format!("{x:02x}")).collect();
    format!(
        "{}-{}-{}-{}-{}",
        hex[..4].concat(),
        hex[4..6].concat(),
        hex[6..8].concat(),
        hex[8..10].concat(),
        hex[10..].concat()
    )
}

/// This boot's UUID, made at its first read.
fn boot_id() -> String {
    static BOOT_ID: spin::Once<String> = spin::Once::new();
    BOOT_ID.call_once(random_uuid).clone()
}

/// /proc/sys/kernel/printk: up to four levels, each 0 to 15.
fn set_printk(data: &[u8]) -> Result<usize, Errno> {
    let text = core::str::from_utf8(data).map_err(|_| Errno::EINVAL)?;
    let mut levels = Vec::new();
    for word in text.split_whitespace().take(4) {
        levels.push(word.parse::<u8>().map_err(|_| Errno::EINVAL)?);
    }
    crate::printk::set_printk_levels(&levels);
    Ok(data.len())
}

/// Linux's default: sqrt(16 * RAM in KiB), between 128 KiB and 256 MiB.
fn min_free_kbytes() -> u64 {
    let kb = frame::total_count() as u64 * 4;
    (kb * 16).isqrt().clamp(128, 262_144)
}

/// A write to a system-wide file; None for a process's files.
pub fn write(kind: FileKind, data: &[u8]) -> Option<Result<usize, Errno>> {
    let result = match kind {
        FileKind::SysrqTrigger => sysrq(data),
        FileKind::DropCaches => drop_caches(data),
        // As sethostname(2): the text up to a newline (proc_dostring).
        FileKind::Hostname | FileKind::Domainname => {
            let name = data.split(|&b| b == b'\n').next().unwrap_or_default();
            uts::set(kind == FileKind::Domainname, name).map(|_| data.len())
        }
        FileKind::Sem if same_numbers(data, &[SEMMSL as u64, SEMMNS as u64, SEMOPM as u64, SEMMNI as u64]) => {
            Ok(data.len())
        }
        FileKind::Sem => Err(Errno::EINVAL),
        FileKind::Mqueue(t) => parse_int(data).and_then(|v| t.set(v)).map(|_| data.len()),
        FileKind::Msgmni => parse_int(data).and_then(crate::ipc::msg::set_msgmni).map(|_| data.len()),
        FileKind::ThreadsMax => parse_int(data).and_then(crate::proc::pid::set_threads_max).map(|_| data.len()),
        FileKind::NsLastPid => parse_int(data).and_then(crate::proc::pid::set_last_pid).map(|_| data.len()),
        FileKind::InotifyMaxUserInstances | FileKind::InotifyMaxUserWatches | FileKind::InotifyMaxQueuedEvents => {
            // 0 to INT_MAX, as Linux's proc_dointvec_minmax with zero.
            let value = parse_int(data).and_then(|v| usize::try_from(v).map_err(|_| Errno::EINVAL));
            value.and_then(|v| if v <= i32::MAX as usize { Ok(v) } else { Err(Errno::EINVAL) }).map(|v| {
                inotify_limit(kind).store(v, core::sync::atomic::Ordering::Relaxed);
                data.len()
            })
        }
        FileKind::Printk => set_printk(data),
        FileKind::PipeUserPagesSoft | FileKind::PipeUserPagesHard => {
            let hard = kind == FileKind::PipeUserPagesHard;
            parse_int(data).and_then(|v| crate::fs::pipe_user::set_limit(hard, v)).map(|_| data.len())
        }
        FileKind::PipeMaxSize => parse_int(data)
            .and_then(|v| crate::fs::pipe::set_max_size(u64::try_from(v).map_err(|_| Errno::EINVAL)?))
            .map(|_| data.len()),
        // The fixed values accept themselves only.
        _ => match tunable(kind) {
            Some(value) if same_numbers(data, &[value]) => Ok(data.len()),
            Some(_) => Err(Errno::EINVAL),
            None => return None,
        },
    };
    Some(result)
}

/// Whether `data` is these numbers, separated by white space.
fn same_numbers(data: &[u8], values: &[u64]) -> bool {
    let Ok(text) = core::str::from_utf8(data) else { return false };
    let mut words = text.split_ascii_whitespace();
    values.iter().all(|v| words.next().and_then(|w| w.parse::<u64>().ok()) == Some(*v)) && words.next().is_none()
}

const SHM_HEADER: &str = "       key      shmid perms                  size  cpid  lpid nattch   uid   gid  cuid  cgid      atime      dtime      ctime                   rss                  swap\n";
const SEM_HEADER: &str = "       key      semid perms      nsems   uid   gid  cuid  cgid      otime      ctime\n";
const MSG_HEADER: &str = "       key      msqid perms      cbytes       qnum lspid lrpid   uid   gid  cuid  cgid      stime      rtime      ctime\n";

/// A /proc/sysvipc file: its header, then a line per object.
fn sysvipc(header: &str, lines: Vec<String>) -> String {
    let mut text = String::from(header);
    lines.iter().for_each(|line| text.push_str(line));
    text
}

/// /proc/sysrq-trigger: the first byte names the action (Linux's
/// __handle_sysrq): `c` crashes the kernel, `b` reboots and `o` powers
/// off at once; others are not offered here.
fn sysrq(data: &[u8]) -> Result<usize, Errno> {
    match data.first() {
        Some(b'c') => {
            crate::pr_info!("sysrq: Trigger a crash");
            // As Linux: a real fault in kernel mode, so the exception
            // report (registers, CR2, backtrace) and the panic both run.
            crate::arch::crash_with_null_write()
        }
        Some(b'b') => {
            crate::pr_info!("sysrq: Resetting");
            crate::reboot::restart()
        }
        Some(b'o') => {
            crate::pr_info!("sysrq: Power Off");
            crate::reboot::power_off()
        }
        Some(&c) => crate::pr_info!("sysrq: key '{}' is not offered here", c as char),
        None => {}
    }
    Ok(data.len())
}

/// /proc/vmstat: the counters this kernel keeps, under Linux's names
/// (pages, except nr_kernel_stack in KiB), and `exec_copied_bytes`, the
/// segment bytes exec copied rather than mapped from the page cache.
fn vmstat() -> String {
    let (cached, shmem, _) = fs_pages();
    let g = super::maps::global_usage();
    let tasks = crate::proc::pid::tasks_where(|_| true).len() as u64;
    let mut s = String::new();
    for (name, value) in [
        ("nr_free_pages", frame::free_count() as u64),
        ("nr_anon_pages", g.anon_pages),
        ("nr_mapped", g.mapped_pages),
        ("nr_file_pages", cached),
        ("nr_shmem", shmem),
        ("nr_kernel_stack", tasks * machine::mm::kstack::KSTACK_PAGES as u64 * 4),
        ("nr_page_table_pages", g.page_tables),
        ("pgsteal_kswapd", 0),
        ("pgsteal_direct", crate::fs::reclaim::stolen_pages()),
        ("exec_copied_bytes", crate::proc::elf::copied_bytes()),
    ] {
        let _ = writeln!(s, "{name} {value}");
    }
    s
}

fn kb(s: &mut String, name: &str, kb: u64) {
    let label = format!("{name}:");
    let _ = writeln!(s, "{label:<16}{kb:>8} kB");
}

/// Pages of file data in memory, all of them counted once per
/// filesystem: (all, tmpfs's, disk filesystems' page cache).
fn fs_pages() -> (u64, u64, u64) {
    let mut seen: Vec<Arc<super::super::super_block::SuperBlock>> = Vec::new();
    let (mut all, mut tmpfs, mut disk) = (0, 0, 0);
    for m in mount::all() {
        if seen.iter().any(|sb| Arc::ptr_eq(sb, &m.sb)) {
            continue;
        }
        let (pages, _) = m.sb.usage();
        all += pages;
        if m.sb.is(&crate::fs::tmpfs::TMPFS) {
            tmpfs += pages;
        } else if m.sb.is(&crate::fs::kestrel::ops::KESTRELFS) {
            disk += pages;
        }
        seen.push(m.sb.clone());
    }
    // memfds live on a tmpfs no mount table lists.
    let memfds = crate::fs::memfd::pages();
    (all + memfds, tmpfs + memfds, disk)
}

/// Pages of disk files changed and not yet written back.
fn dirty_pages() -> u64 {
    crate::fs::kestrel::volumes().iter().map(|v| v.dirty_page_count()).sum()
}

/// /proc/meminfo, as Linux counts: the page cache is Cached, of which
/// tmpfs's is Shmem, ramfs's Unevictable (its only copy), and the disk
/// filesystems' the file LRU, which reclaim may drop when clean: that
/// part counts in MemAvailable.
fn meminfo() -> String {
    let total = frame::total_count() as u64 * 4;
    let free = frame::free_count() as u64 * 4;
    let (cached, shmem, disk) = fs_pages();
    let (cached, shmem, disk, dirty) = (cached * 4, shmem * 4, disk * 4, dirty_pages() * 4);
    let g = super::maps::global_usage();
    let anon = g.anon_pages * 4;
    let tasks = crate::proc::pid::tasks_where(|_| true).len() as u64;
    let kernel_stack = tasks * (machine::mm::kstack::KSTACK_PAGES as u64 * 4);
    let slab = machine::mm::heap_claimed() as u64 / 1024;
    let mut s = String::new();
    for (name, value) in [
        ("MemTotal", total),
        ("MemFree", free),
        ("MemAvailable", free + disk.saturating_sub(dirty)),
        ("Buffers", 0),
        ("Cached", cached),
        ("SwapCached", 0),
        ("Active", anon + shmem),
        ("Inactive", disk),
        ("Active(anon)", anon + shmem),
        ("Inactive(anon)", 0),
        ("Active(file)", 0),
        ("Inactive(file)", disk),
        ("Unevictable", cached - shmem - disk),
        ("Mlocked", 0),
        ("SwapTotal", 0),
        ("SwapFree", 0),
        ("Zswap", 0),
        ("Zswapped", 0),
        ("Dirty", dirty),
        ("Writeback", 0),
        ("AnonPages", anon),
        ("Mapped", g.mapped_pages * 4),
        ("Shmem", shmem),
        ("KReclaimable", 0),
        ("Slab", slab),
        ("SReclaimable", 0),
        ("SUnreclaim", slab),
        ("KernelStack", kernel_stack),
        ("PageTables", g.page_tables * 4),
        ("NFS_Unstable", 0),
        ("Bounce", 0),
        ("WritebackTmp", 0),
        ("CommitLimit", total / 2),
        ("Committed_AS", g.committed / 1024),
        ("VmallocTotal", 34_359_738_367),
        ("VmallocUsed", kernel_stack),
        ("VmallocChunk", 0),
        ("Percpu", 0),
        ("HardwareCorrupted", 0),
        ("AnonHugePages", 0),
        ("ShmemHugePages", 0),
        ("ShmemPmdMapped", 0),
        ("FileHugePages", 0),
        ("FilePmdMapped", 0),
    ] {
        kb(&mut s, name, value);
    }
    for name in ["HugePages_Total", "HugePages_Free", "HugePages_Rsvd", "HugePages_Surp"] {
        let label = format!("{name}:");
        let _ = writeln!(s, "{label:<16}{:>8}", 0);
    }
    kb(&mut s, "Hugepagesize", 2048);
    kb(&mut s, "Hugetlb", 0);
    s
}

/// /proc/stat: CPU time by state since boot (all CPUs, then each), then
/// interrupts (all of them), context switches, boot time, forks and tasks.
fn stat() -> String {
    let times = |t: stats::CpuTicks| {
        format!("{} {} {} {} 0 0 0 0 0 0", clock_t(t.user), clock_t(t.nice), clock_t(t.system), clock_t(t.idle))
    };
    let mut s = String::new();
    let _ = writeln!(s, "cpu  {}", times(stats::cpu_ticks()));
    for cpu in stats::online_cpus() {
        let _ = writeln!(s, "cpu{cpu} {}", times(stats::cpu_ticks_of(cpu)));
    }
    let interrupts: u64 = stats::online_cpus()
        .map(stats::interrupt_counts)
        .map(|c| c.timer + c.reschedule + c.irq.iter().sum::<u64>())
        .sum();
    let _ = writeln!(s, "intr {interrupts}");
    let _ = writeln!(s, "ctxt {}", stats::context_switches());
    let boot = crate::time::realtime().tv_sec - (crate::time::uptime_ns() / NSEC_PER_SEC) as i64;
    let _ = writeln!(s, "btime {boot}");
    let _ = writeln!(s, "processes {}", stats::forks());
    let _ = writeln!(s, "procs_running {}", crate::sched::runnable_count());
    s.push_str("procs_blocked 0\nsoftirq 0 0 0 0 0 0 0 0 0 0 0\n");
    s
}

/// /proc/uptime: seconds since boot and seconds the CPU was idle.
fn uptime() -> String {
    let up = crate::time::uptime_ns() / (NSEC_PER_SEC / 100);
    let idle = clock_t(stats::cpu_ticks().idle);
    format!("{}.{:02} {}.{:02}\n", up / 100, up % 100, idle / 100, idle % 100)
}

/// /proc/loadavg: the three load averages (rounded as Linux), runnable
/// and all tasks, the last pid handed out.
fn loadavg() -> String {
    const FIXED_1: u64 = 1 << stats::FSHIFT;
    let mut s = String::new();
    for load in stats::loads() {
        let l = load + FIXED_1 / 200;
        let _ = write!(s, "{}.{:02} ", l >> stats::FSHIFT, ((l & (FIXED_1 - 1)) * 100) >> stats::FSHIFT);
    }
    let tasks = crate::proc::pid::tasks_where(|_| true).len();
    let _ = writeln!(s, "{}/{} {}", crate::sched::runnable_count(), tasks, crate::proc::pid::last_pid());
    s
}

/// /proc/filesystems: the registered kinds, "nodev" before those that
/// need no block device.
fn filesystems() -> String {
    let mut out = String::new();
    for t in crate::fs::fs_type::filesystems() {
        out += if t.nodev { "nodev\t" } else { "\t" };
        out += t.name;
        out.push('\n');
    }
    out
}

/// /proc/interrupts in Linux's layout: a column per CPU; the ISA IRQs
/// that fired (through the I/O APIC), then the local timer, reschedule,
/// function-call and TLB shootdown interrupts.
fn interrupts() -> String {
    let cpus: Vec<usize> = stats::online_cpus().collect();
    let counts: Vec<stats::InterruptCounts> = cpus.iter().map(|&c| stats::interrupt_counts(c)).collect();
    let mut s = format!("{:11}", "");
    for cpu in &cpus {
        let _ = write!(s, "CPU{cpu:<8}");
    }
    s.push('\n');
    let row = |s: &mut String, label: &str, values: &mut dyn Iterator<Item = u64>, tail: &str| {
        let _ = write!(s, "{label:>3}: ");
        for v in values {
            let _ = write!(s, "{v:>10} ");
        }
        let _ = writeln!(s, "{tail}");
    };
    let nic_gsi = crate::drivers::virtio::net::gsi();
    for irq in (0..stats::IRQS).filter(|&i| counts.iter().any(|c| c.irq[i] > 0)) {
        let tail = if irq == 4 {
            format!(" IO-APIC  {irq:>3}-edge      ttyS0")
        } else if irq == 1 {
            format!(" IO-APIC  {irq:>3}-edge      i8042")
        } else if Some(irq as u32) == nic_gsi {
            format!(" IO-APIC  {irq:>3}-fasteoi   virtio0")
        } else {
            format!(" IO-APIC  {irq:>3}-edge")
        };
        row(&mut s, &format!("{irq}"), &mut counts.iter().map(|c| c.irq[irq]), &tail);
    }
    row(&mut s, "LOC", &mut counts.iter().map(|c| c.timer), "  Local timer interrupts");
    row(&mut s, "RES", &mut counts.iter().map(|c| c.reschedule), "  Rescheduling interrupts");
    row(&mut s, "CAL", &mut cpus.iter().map(|&c| machine::arch::ipi::calls_answered(c)), "  Function call interrupts");
    row(&mut s, "TLB", &mut cpus.iter().map(|&c| machine::mm::shootdowns_answered(c)), "  TLB shootdowns");
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_fixed_value_accepts_itself_only() {
        assert!(same_numbers(b"18446744073692774399\n", &[SHMMAX]));
        assert!(!same_numbers(b"4095\n", &[SHMMNI]));
        assert!(same_numbers(b"32000 1024000000\t500 32000\n", &[32000, 1_024_000_000, 500, 32000]));
        assert!(!same_numbers(b"32000 1024000000 500\n", &[32000, 1_024_000_000, 500, 32000]));
        assert!(!same_numbers(b"32000 1024000000 500 32000 1\n", &[32000, 1_024_000_000, 500, 32000]));
    }
}
