//! The framebuffer console: the virtual terminal's cells drawn with the
//! built-in 8x16 font on the loader's pixel framebuffer. It keeps a copy
//! of the cells to redraw the one under the cursor, which shows as an
//! underline (Linux's default cursor) in the cell's foreground colour.

use alloc::vec;
use alloc::vec::Vec;

use machine::fb::Screen;

use super::font::{glyph, GLYPH_HEIGHT, GLYPH_WIDTH};
use super::PALETTE;
use crate::tty::vt::screen::{Cell, CellFlags, Display};

/// The cursor's height in pixel rows, at the bottom of the cell.
const CURSOR_ROWS: usize = 2;

pub struct PixelDisplay {
    screen: Screen,
    rows: usize,
    cols: usize,
    /// The device's pixel value of each palette colour.
    colours: [u32; 16],
    cells: Vec<Cell>,
    /// Where the cursor is drawn, if it is.
    cursor: Option<(usize, usize)>,
}

impl PixelDisplay {
    pub fn new(mut screen: Screen) -> PixelDisplay {
        let (rows, cols) = (screen.height() / GLYPH_HEIGHT, screen.width() / GLYPH_WIDTH);
        let colours = PALETTE.map(|rgb| screen.pixel(rgb));
        let (w, h) = (screen.width(), screen.height());
        screen.fill(0, 0, w, h, colours[0]);
        PixelDisplay { screen, rows, cols, colours, cells: vec![Cell::BLANK; rows * cols], cursor: None }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    fn paint(&mut self, row: usize, col: usize, with_cursor: bool) {
        let cell = self.cells[row * self.cols + col];
        let (fg, bg) = (self.colours[usize::from(cell.fg & 15)], self.colours[usize::from(cell.bg & 15)]);
        let mut rows = [0u8; GLYPH_HEIGHT];
        rows.copy_from_slice(glyph(cell.ch));
        if cell.flags.contains(CellFlags::UNDERLINE) {
            rows[GLYPH_HEIGHT - 1] = 0xff;
        }
        if with_cursor {
            rows[GLYPH_HEIGHT - CURSOR_ROWS..].fill(0xff);
        }
        self.screen.draw_bitmap(col * GLYPH_WIDTH, row * GLYPH_HEIGHT, &rows, fg, bg);
    }

    fn hide_cursor(&mut self) {
        if let Some((row, col)) = self.cursor.take() {
            self.paint(row, col, false);
        }
    }

    fn clear_rows(&mut self, from: usize, to: usize, blank: Cell) {
        self.cells[from * self.cols..to * self.cols].fill(blank);
        let bg = self.colours[usize::from(blank.bg & 15)];
        let w = self.cols * GLYPH_WIDTH;
        self.screen.fill(0, from * GLYPH_HEIGHT, w, (to - from) * GLYPH_HEIGHT, bg);
        if blank.ch != ' ' || blank.flags != CellFlags::NONE {
            for row in from..to {
                for col in 0..self.cols {
                    self.paint(row, col, false);
                }
            }
        }
    }
}

impl Display for PixelDisplay {
    fn draw(&mut self, row: usize, col: usize, cell: Cell) {
        if row >= self.rows || col >= self.cols {
            return;
        }
        self.cells[row * self.cols + col] = cell;
        let under_cursor = self.cursor == Some((row, col));
        self.paint(row, col, under_cursor);
    }

    fn scroll_up(&mut self, top: usize, bottom: usize, n: usize, blank: Cell) {
        let Some((bottom, n)) = super::clip_scroll(self.rows, top, bottom, n) else { return };
        self.hide_cursor();
        let c = self.cols;
        self.cells.copy_within((top + n) * c..bottom * c, top * c);
        self.screen.move_rows(top * GLYPH_HEIGHT, (top + n) * GLYPH_HEIGHT, (bottom - top - n) * GLYPH_HEIGHT);
        self.clear_rows(bottom - n, bottom, blank);
    }

    fn scroll_down(&mut self, top: usize, bottom: usize, n: usize, blank: Cell) {
        let Some((bottom, n)) = super::clip_scroll(self.rows, top, bottom, n) else { return };
        self.hide_cursor();
        let c = self.cols;
        self.cells.copy_within(top * c..(bottom - n) * c, (top + n) * c);
        self.screen.move_rows((top + n) * GLYPH_HEIGHT, top * GLYPH_HEIGHT, (bottom - top - n) * GLYPH_HEIGHT);
        self.clear_rows(top, top + n, blank);
    }

    fn cursor(&mut self, row: usize, col: usize, visible: bool) {
        let want = (visible && row < self.rows && col < self.cols).then_some((row, col));
        if want == self.cursor {
            return;
        }
        self.hide_cursor();
        if let Some((row, col)) = want {
            self.paint(row, col, true);
            self.cursor = want;
        }
    }
}
