//! The screen the boot loader set up, as a display for the virtual
//! terminal: `fbcon` draws characters with the built-in font on a pixel
//! framebuffer, `vgacon` writes VGA text mode's cells.

pub mod fbcon;
mod font;
pub mod vgacon;

use alloc::boxed::Box;

use machine::fb::Screen;

use crate::tty::vt::screen::Display;

/// Linux's default console palette (in ANSI order: black, red, green,
/// brown, blue, magenta, cyan, white, then the bright eight), as 0xRRGGBB.
pub const PALETTE: [u32; 16] = [
    0x000000, 0xaa0000, 0x00aa00, 0xaa5500, 0x0000aa, 0xaa00aa, 0x00aaaa, 0xaaaaaa, 0x555555, 0xff5555, 0x55ff55,
    0xffff55, 0x5555ff, 0xff55ff, 0x55ffff, 0xffffff,
];

/// A scroll of rows top..bottom by n on a screen of `rows` rows, clipped
/// to it: (bottom, n), or None when nothing moves.
fn clip_scroll(rows: usize, top: usize, bottom: usize, n: usize) -> Option<(usize, usize)> {
    let bottom = bottom.min(rows);
    (top < bottom).then(|| (bottom, n.min(bottom - top)))
}

/// A display on the loader's screen, with its size in character cells.
pub struct Console {
    pub display: Box<dyn Display + Send>,
    pub rows: usize,
    pub cols: usize,
}

/// The loader's screen as a console display, or why there is none.
pub fn probe() -> Result<Console, machine::fb::ScreenError> {
    let screen = Screen::take()?;
    let info = *screen.info();
    let console = if screen.is_text() {
        let display = vgacon::TextDisplay::new(screen);
        Console { rows: display.rows(), cols: display.cols(), display: Box::new(display) }
    } else {
        let display = fbcon::PixelDisplay::new(screen);
        Console { rows: display.rows(), cols: display.cols(), display: Box::new(display) }
    };
    let kind = if matches!(info.kind, machine::boot::FramebufferKind::EgaText) { "VGA text" } else { "framebuffer" };
    crate::pr_info!(
        "Console: {} {}x{} at {:#x}, {}x{} characters",
        kind,
        info.width,
        info.height,
        info.addr,
        console.cols,
        console.rows
    );
    Ok(console)
}
