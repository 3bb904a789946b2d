//! A Linux-syscall-compatible x86_64 kernel that runs static musl programs.
//!
//! Safe code only (the attribute below): the hardware-facing layer is
//! the `machine` crate.

#![cfg_attr(not(test), no_std)]
#![cfg_attr(not(test), no_main)]
#![forbid(unsafe_code)]
// Host unit tests (`cargo test -p kernel --target x86_64-unknown-linux-gnu`)
// build the whole kernel for the host and exercise its pure logic; the
// boot entry and the panic handler are the bare-metal build's only.
#![cfg_attr(test, allow(dead_code, unused_imports))]

extern crate alloc;

use machine::arch;
use machine::boot;

mod block;
mod cmdline;
mod drivers;
mod fs;
mod hooks;
mod ipc;
mod mm;
mod mqueue;
mod net;
#[cfg(not(test))]
mod panic;
mod printk;
mod proc;
mod random;
mod reboot;
mod sched;
mod syscall;
mod syslog;
mod time;
mod traps;
mod tty;
mod uaccess;

use boot::{BootError, BootInfo};

#[cfg(not(test))]
machine::entry_point!(kernel_main);

/// The boot CPU's entry, from the base's boot code, on the boot stack.
fn kernel_main(info: Result<&'static BootInfo, BootError>) -> ! {
    drivers::uart16550::init();
    printk::set_console(tty::console::write);
    machine::console::set_emergency_writer(tty::console::write);
    let info = match info {
        Ok(info) => info,
        Err(e) => panic!("unusable boot information: {e}"),
    };
    cmdline::parse_early(info.cmdline());
    tty::console::select(info.cmdline());
    pr_notice!("kestrel {} (Linux ABI {})", env!("CARGO_PKG_VERSION"), proc::uts::RELEASE);
    pr_notice!("Command line: {}", info.cmdline());
    arch::init_cpu();
    machine::mm::init(info);
    traps::install();
    let f = arch::cpu_features();
    pr_info!("cpu: nx={} smep={} smap={} xsave={} avx={}", f.nx, f.smep, f.smap, f.xsave, f.avx);
    for r in info.memory_regions() {
        let kind = if r.usable { "usable" } else { "reserved" };
        pr_debug!("BIOS-e820: [mem {:#018x}-{:#018x}] {}", r.start, r.start + r.len - 1, kind);
    }
    let ram_mib = info.ram_end() >> 20;
    let (total, free) = (mm::frame::total_count() * 4, mm::frame::free_count() * 4);
    pr_info!("Memory: {} MiB of RAM, {} KiB managed, {} KiB free", ram_mib, total, free);

    arch::apic::init();
    let cal = arch::calibrate::calibrate();
    time::init(cal.tsc_hz, drivers::rtc::read_epoch_seconds());
    pr_info!("tsc: {}.{:03} MHz", cal.tsc_hz / 1_000_000, (cal.tsc_hz / 1000) % 1000);
    time::set_apic_timer_hz(cal.apic_timer_hz);
    mm::vdso::init();
    time::on_realtime_set(mm::vdso::update);
    sched::timer::program_timer(true, u64::MAX);
    if !machine::firmware::acpi::init(info.rsdp) {
        pr_warn!("ACPI: no FADT or \\_S5 found; poweroff will fall back to QEMU's ports");
    }
    let ioapics = arch::ioapic::init();
    for (i, a) in ioapics.iter().enumerate() {
        let last = a.gsi_base + a.pins - 1;
        pr_debug!("IOAPIC[{i}]: apic_id {}, address {:#x}, GSI {}-{last}", a.id, a.address, a.gsi_base);
    }
    if ioapics.is_empty() {
        pr_warn!("IOAPIC: none in the ACPI tables; device interrupts are off");
    } else {
        drivers::uart16550::enable_interrupts();
    }
    tty::vt::driver::init();

    drivers::virtio::blk::probe();
    drivers::loopdev::init(info.cmdline());
    sched::init(proc::task::new_idle_task());
    sched::wait::set_signal_pending_check(proc::signal::has_deliverable);
    sched::deferred::register(sched::deferred::DeferredWork {
        run: proc::exit::reap_dead_threads,
        pending: None,
        deadline: None,
    });
    sched::deferred::register(sched::deferred::DeferredWork {
        run: proc::itimer::run_expired,
        pending: None,
        deadline: Some(proc::itimer::next_deadline),
    });
    sched::deferred::register(sched::deferred::DeferredWork {
        run: proc::posix_timers::run_expired,
        pending: None,
        deadline: Some(proc::posix_timers::next_deadline),
    });
    fs::pipe::set_sigpipe_sender(proc::signal::send_sigpipe);
    fs::fsize::set_sigxfsz_sender(proc::signal::send_sigxfsz);
    fs::chardev::register_driver(fs::chardev::TTY_MAJOR, tty::open);
    fs::chardev::register_driver(fs::chardev::TTYAUX_MAJOR, tty::open);
    proc::exit::register_exit_hook(tty::job::exit_notify);
    proc::exit::register_exit_hook(proc::posix_timers::exit_hook);
    proc::exit::register_exit_hook(ipc::semop::exit_sem);
    for kind in [
        &fs::tmpfs::TMPFS,
        &fs::proc::PROC,
        &fs::mount::PIPEFS,
        &fs::tmpfs::RAMFS,
        &fs::kestrel::ops::KESTRELFS,
        &mqueue::fs::MQUEUE,
    ] {
        fs::fs_type::register_filesystem(kind);
    }
    reboot::register_shutdown_work(fs::kestrel::writeback::sync_all);
    reboot::register_shutdown_work(block::flush_all);
    sched::deferred::register(sched::deferred::DeferredWork {
        run: tty::run_deferred,
        pending: Some(tty::deferred_pending),
        deadline: Some(tty::next_deadline),
    });
    start_network(info.cmdline());
    unpack_initramfs(info);
    fs::reclaim::init();
    fs::kestrel::reclaim::init();
    fs::devfs::init();
    fs::kestrel::mount::mount_root(info.cmdline());
    start_secondary_cpus(info.cmdline(), cal.tsc_hz);
    start_init(info.cmdline());
    start_kernel_threads();
    sched::idle_loop()
}

/// Starts the other CPUs the firmware lists (at most `nr_cpus=` or
/// `maxcpus=` in all, as Linux; `maxcpus=0` and `nosmp` keep to the boot
/// CPU).
fn start_secondary_cpus(cmdline: &str, tsc_hz: u64) {
    let limit = ["nr_cpus", "maxcpus"]
        .iter()
        .filter_map(|key| cmdline::param(cmdline, key).and_then(|v| v.parse::<usize>().ok()))
        .min()
        .map(|n| n.max(1));
    let limit = if cmdline::has_flag(cmdline, "nosmp") { Some(1) } else { limit };
    let online = arch::smp::start_secondary_cpus(limit.unwrap_or(usize::MAX), tsc_hz, secondary_main);
    pr_info!("smp: Brought up 1 node, {} CPU{}", online, if online == 1 { "" } else { "s" });
}

/// A secondary CPU's life once the base set it up: its idle task, its
/// local timer, then the idle loop, from which it runs whatever it is
/// given or takes.
fn secondary_main(cpu: usize) -> ! {
    sched::init(proc::task::new_idle_task());
    sched::timer::program_timer(true, u64::MAX);
    pr_debug!("smp: CPU {} (APIC id {}) online", cpu, arch::apic::id());
    sched::idle_loop()
}

/// The network: the virtio-net card, if any (its interrupt routed), and
/// the address `ip=` gives it.
fn start_network(cmdline: &str) {
    let nic = drivers::virtio::net::probe();
    if let Some(dev) = &nic {
        if !arch::ioapic::route_pci_gsi(dev.gsi, arch::traps::VIRTIO_VECTOR as u8) {
            pr_warn!("virtio-net: no I/O APIC input for GSI {}", dev.gsi);
        }
        let m = dev.mac;
        pr_info!("eth0: virtio-net, MAC {:02x}:{:02x}:{:02x}:{:02x}:{:02x}:{:02x}", m[0], m[1], m[2], m[3], m[4], m[5]);
    }
    let config = cmdline::param(cmdline, "ip").and_then(net::inet::ipconfig::parse);
    if let Some(c) = config {
        pr_info!("ip: eth0 {}/{}, gateway {:?}", c.addr, c.prefix_len, c.gateway);
    }
    net::inet::stack::init(nic, config);
}

/// Unpacks the initramfs, then frees the archive's memory, as Linux.
fn unpack_initramfs(info: &BootInfo) {
    let unpacked = info.consume_initrd(|archive| (fs::initramfs::unpack(archive), archive.len()));
    match unpacked {
        None => pr_warn!("no initramfs given (-initrd)"),
        Some((Ok(n), len)) => {
            pr_info!("initramfs: unpacked {} entries ({} KiB); freed its archive's memory", n, len / 1024)
        }
        Some((Err(msg), _)) => pr_err!("Initramfs unpacking failed: {msg}"),
    }
}

/// kthreadd (pid 2, after init) and the threads under it.
fn start_kernel_threads() {
    let started = proc::kthread::start_kthreadd()
        .and_then(|()| proc::kthread::spawn(b"writeback", fs::kestrel::writeback::flusher_main).map(drop));
    if let Err(e) = started {
        pr_err!("kthreadd: cannot start the kernel threads (error -{})", e.code());
    }
}

fn start_init(cmdline: &str) {
    let args = cmdline::parse(cmdline);
    let path = core::str::from_utf8(&args.init).unwrap_or("?");
    pr_info!("Run {} as init process", path);
    if let Err(e) = proc::init::spawn_init(&args.init, &args.init_argv, &args.init_envp) {
        pr_crit!("Failed to execute {} (error -{})", path, e.code());
        pr_crit!("No working init found ({}); powering off.", e.name());
        reboot::power_off();
    }
    let now = arch::cpu::rdtsc();
    let entry_us = time::tsc_delta_ns(arch::boot::boot_tsc(), now) / 1000;
    let reset_us = time::tsc_delta_ns(0, now) / 1000;
    pr_info!("boot: entry-to-init={}us reset-to-init={}us", entry_us, reset_us);
}
