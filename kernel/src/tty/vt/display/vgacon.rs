//! The VGA text-mode console: the virtual terminal's cells written as
//! character and attribute to the text buffer the loader left, with the
//! hardware cursor moved through the CRT controller's registers.

use machine::fb::Screen;
use machine::io::IoPort;

use crate::tty::vt::screen::{Cell, Display};

/// The CRT controller's index and data ports (colour adapters).
const CRTC: u16 = 0x3d4;
const CURSOR_START: u8 = 0x0a;
const CURSOR_HIGH: u8 = 0x0e;
const CURSOR_LOW: u8 = 0x0f;
/// CURSOR_START's bit that hides the cursor.
const CURSOR_OFF: u8 = 1 << 5;

/// VGA's colour numbers for the ANSI ones (VGA swaps red and blue, and
/// cyan and brown).
const VGA_COLOUR: [u8; 8] = [0, 4, 2, 6, 1, 5, 3, 7];

pub struct TextDisplay {
    screen: Screen,
    crtc: Option<IoPort>,
}

fn vga_colour(index: u8) -> u8 {
    VGA_COLOUR[usize::from(index & 7)] | (index & 8)
}

/// The code page 437 byte for `ch`: ASCII as it is, a few box-drawing
/// and Latin-1 characters, '?' for the rest.
fn cp437(ch: char) -> u8 {
    match ch {
        ' '..='~' => ch as u8,
        '│' => 0xb3,
        '┤' => 0xb4,
        '┐' => 0xbf,
        '└' => 0xc0,
        '┴' => 0xc1,
        '┬' => 0xc2,
        '├' => 0xc3,
        '─' => 0xc4,
        '┼' => 0xc5,
        '┘' => 0xd9,
        '┌' => 0xda,
        '█' => 0xdb,
        '░' => 0xb0,
        '▒' => 0xb1,
        '▓' => 0xb2,
        'é' => 0x82,
        'è' => 0x8a,
        'à' => 0x85,
        'ü' => 0x81,
        'ö' => 0x94,
        'ä' => 0x84,
        '°' => 0xf8,
        _ => b'?',
    }
}

impl TextDisplay {
    pub fn new(screen: Screen) -> TextDisplay {
        let mut d = TextDisplay { screen, crtc: IoPort::claim(CRTC, 2) };
        let (rows, cols) = (d.rows(), d.cols());
        for row in 0..rows {
            for col in 0..cols {
                d.draw(row, col, Cell::BLANK);
            }
        }
        d
    }

    pub fn rows(&self) -> usize {
        self.screen.height()
    }

    pub fn cols(&self) -> usize {
        self.screen.width()
    }

    fn crtc_write(&self, register: u8, value: u8) {
        if let Some(port) = &self.crtc {
            port.write8(0, register);
            port.write8(1, value);
        }
    }

    fn crtc_read(&self, register: u8) -> u8 {
        self.crtc.as_ref().map_or(0, |port| {
            port.write8(0, register);
            port.read8(1)
        })
    }

    fn clear_rows(&mut self, from: usize, to: usize, blank: Cell) {
        for row in from..to {
            for col in 0..self.cols() {
                self.draw(row, col, blank);
            }
        }
    }
}

impl Display for TextDisplay {
    fn draw(&mut self, row: usize, col: usize, cell: Cell) {
        let attribute = vga_colour(cell.bg & 7) << 4 | vga_colour(cell.fg);
        self.screen.put_cell(row, col, cp437(cell.ch), attribute);
    }

    fn scroll_up(&mut self, top: usize, bottom: usize, n: usize, blank: Cell) {
        let Some((bottom, n)) = super::clip_scroll(self.rows(), top, bottom, n) else { return };
        self.screen.move_rows(top, top + n, bottom - top - n);
        self.clear_rows(bottom - n, bottom, blank);
    }

    fn scroll_down(&mut self, top: usize, bottom: usize, n: usize, blank: Cell) {
        let Some((bottom, n)) = super::clip_scroll(self.rows(), top, bottom, n) else { return };
        self.screen.move_rows(top + n, top, bottom - top - n);
        self.clear_rows(top, top + n, blank);
    }

    fn cursor(&mut self, row: usize, col: usize, visible: bool) {
        let start = self.crtc_read(CURSOR_START);
        self.crtc_write(CURSOR_START, if visible { start & !CURSOR_OFF } else { start | CURSOR_OFF });
        let at = (row * self.cols() + col).min(u16::MAX as usize) as u16;
        self.crtc_write(CURSOR_HIGH, (at >> 8) as u8);
        self.crtc_write(CURSOR_LOW, at as u8);
    }
}
