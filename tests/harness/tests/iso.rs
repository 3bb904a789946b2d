//! The GRUB image (`scripts/iso`) boots by BIOS (SeaBIOS) and by UEFI
//! (OVMF) on two CPUs to busybox shells on the serial line and on the
//! screen: keys typed on the PS/2 keyboard through QEMU's monitor run a
//! command on the screen's shell whose output goes to the serial line,
//! and a screendump shows the prompt and the cursor where `clear` put
//! them.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use harness::monitor::{Image, Monitor};
use harness::qemu::{accel_args_from_env, multi_threaded};
use harness::{paths, Qemu};

const OVMF: &str = "/usr/share/ovmf/OVMF.fd";
const CELL_WIDTH: usize = 8;
const CELL_HEIGHT: usize = 16;

struct Boot {
    qemu: Qemu,
    monitor: Monitor,
    scratch: PathBuf,
}

fn boot(firmware: Option<&str>, name: &str) -> Boot {
    let iso = paths::iso();
    paths::require_file(&iso, "the GRUB image", "KESTREL_ISO");
    let scratch = std::env::temp_dir().join(format!("kestrel-iso-{name}-{}", std::process::id()));
    std::fs::create_dir_all(&scratch).unwrap();
    let socket = scratch.join("monitor.sock");
    let accel = multi_threaded(&accel_args_from_env().unwrap());
    let mut args: Vec<OsString> = accel.iter().map(OsString::from).collect();
    for a in ["-smp", "2", "-machine", "q35", "-m", "512M", "-display", "none", "-serial", "stdio", "-no-reboot"] {
        args.push(a.into());
    }
    if let Some(fw) = firmware {
        args.extend(["-bios".into(), fw.into()]);
    }
    args.extend(["-monitor".into(), format!("unix:{},server,nowait", socket.display()).into()]);
    args.extend(["-cdrom".into(), iso.into_os_string()]);
    let qemu = Qemu::start_with_args(&args, name);
    let monitor = Monitor::connect(&socket, Duration::from_secs(30)).expect("QEMU's monitor socket");
    Boot { qemu, monitor, scratch }
}

impl Drop for Boot {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.scratch);
    }
}

/// "Console: framebuffer 1024x768 at 0x..., 128x48 characters": the
/// screen's columns and rows.
fn console_size(qemu: &Qemu) -> (usize, usize) {
    let line = qemu
        .lines()
        .into_iter()
        .map(|(_, l)| l)
        .find(|l| l.contains("Console: framebuffer"))
        .unwrap_or_else(|| panic!("no framebuffer console line; output:\n{}", all_lines(qemu)));
    let size = line.rsplit(", ").next().unwrap().trim_end_matches(" characters");
    let (cols, rows) = size.split_once('x').unwrap();
    (cols.parse().unwrap(), rows.parse().unwrap())
}

fn all_lines(qemu: &Qemu) -> String {
    qemu.lines().into_iter().map(|(_, l)| l).collect::<Vec<_>>().join("\n")
}

/// A cell's pixels as text, '#' for lit ones.
fn picture(rows: &[u32]) -> String {
    let line = |r: u32| (0..CELL_WIDTH).rev().map(|x| if r >> x & 1 != 0 { '#' } else { '.' }).collect::<String>();
    rows.iter().map(|&r| line(r)).collect::<Vec<_>>().join("\n")
}

fn blank(img: &Image, row: usize, col: usize) -> bool {
    img.cell(row, col, CELL_WIDTH, CELL_HEIGHT).iter().all(|&r| r == 0)
}

/// The screen after `clear`: "/ # " on the first row, the cursor (an
/// underline, Linux's) in the fifth cell, every other cell blank.
fn check_cleared_screen(img: &Image, cols: usize, rows: usize) -> Result<(), String> {
    if img.width < cols * CELL_WIDTH || img.height < rows * CELL_HEIGHT {
        return Err(format!("a {}x{} screendump for {cols}x{rows} cells", img.width, img.height));
    }
    let slash = img.cell(0, 0, CELL_WIDTH, CELL_HEIGHT);
    let inked: Vec<(usize, u32)> = slash.iter().copied().enumerate().filter(|&(_, r)| r != 0).collect();
    let (Some(&(_, top)), Some(&(_, bottom))) = (inked.first(), inked.last()) else {
        return Err("no '/' in the first cell".into());
    };
    // A slash leans right: its top row's pixels sit right of its bottom's.
    if top.trailing_zeros() >= bottom.trailing_zeros() || inked.len() < 8 {
        return Err(format!("the first cell is not a '/':\n{}", picture(&slash)));
    }
    if blank(img, 0, 2) || !blank(img, 0, 1) || !blank(img, 0, 3) {
        return Err("the first row is not \"/ # \"".into());
    }
    let cursor = img.cell(0, 4, CELL_WIDTH, CELL_HEIGHT);
    let full = (1u32 << CELL_WIDTH) - 1;
    if cursor[..CELL_HEIGHT - 2].iter().any(|&r| r != 0) || cursor[CELL_HEIGHT - 2..].iter().any(|&r| r != full) {
        return Err(format!("no underline cursor in the fifth cell:\n{}", picture(&cursor)));
    }
    for row in 0..rows {
        for col in 0..cols {
            if (row, col) != (0, 0) && (row, col) != (0, 2) && (row, col) != (0, 4) && !blank(img, row, col) {
                return Err(format!("cell ({row}, {col}) is not blank after clear"));
            }
        }
    }
    Ok(())
}

fn boots_to_shells_on_screen_and_serial(firmware: Option<&str>, name: &str) {
    let mut b = boot(firmware, name);
    let smp = b.qemu.wait_for("smp: Brought up 1 node, 2 CPUs", Duration::from_secs(240));
    assert!(smp.is_some(), "{name}: no boot on 2 CPUs; output:\n{}", all_lines(&b.qemu));
    let prompt = b.qemu.wait_for("/ # ", Duration::from_secs(60));
    assert!(prompt.is_some(), "{name}: no serial shell prompt; output:\n{}", all_lines(&b.qemu));
    let (cols, rows) = console_size(&b.qemu);

    // Typed on the keyboard, run by the screen's shell, printed on ttyS0.
    let mark = b.qemu.line_count();
    b.monitor.type_text("stty size >/dev/ttyS0; echo kbd-$((6*7)) >/dev/ttyS0\n").unwrap();
    let got = b.qemu.wait_for_from(mark, "kbd-42", Duration::from_secs(30));
    assert!(got.is_some(), "{name}: the typed command did not run; output:\n{}", all_lines(&b.qemu));
    let size = format!("{rows} {cols}");
    assert!(
        b.qemu.lines_from(mark).iter().any(|l| l.trim_end().ends_with(&size)),
        "{name}: tty1's size is not {size}; output:\n{}",
        all_lines(&b.qemu)
    );

    b.monitor.type_text("clear\n").unwrap();
    let dump = b.scratch.join("screen.ppm");
    let deadline = Instant::now() + Duration::from_secs(30);
    let verdict = loop {
        let img = b.monitor.screendump(&dump).unwrap();
        let verdict = check_cleared_screen(&img, cols, rows);
        if verdict.is_ok() || Instant::now() >= deadline {
            break verdict;
        }
        std::thread::sleep(Duration::from_millis(500));
    };
    let kept = Path::new(&paths::build_dir()).join(format!("iso-{name}-screen.ppm"));
    let _ = std::fs::copy(&dump, &kept);
    b.qemu.kill();
    if let Err(e) = verdict {
        panic!("{name}: {e} (screendump kept in {})", kept.display());
    }
}

#[test]
fn iso_boots_by_bios_on_two_cpus() {
    boots_to_shells_on_screen_and_serial(None, "seabios");
}

#[test]
fn iso_boots_by_uefi_on_two_cpus() {
    assert!(Path::new(OVMF).is_file(), "{OVMF} is missing: run scripts/setup (package ovmf)");
    boots_to_shells_on_screen_and_serial(Some(OVMF), "ovmf");
}
