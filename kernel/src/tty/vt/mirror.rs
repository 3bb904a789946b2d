//! For the tests: a display that keeps its own copy of the cells from the
//! calls it gets, so a test can check that the calls alone reproduce the
//! terminal's screen, and that every call stays inside the screen.

use alloc::string::String;
use alloc::vec;
use alloc::vec::Vec;

use super::screen::{Cell, Display, Terminal};

pub struct Mirror {
    pub rows: usize,
    pub cols: usize,
    pub cells: Vec<Cell>,
    pub cursor: (usize, usize, bool),
    /// Scroll calls: (up, top, bottom, n).
    pub scrolls: Vec<(bool, usize, usize, usize)>,
    pub draws: usize,
}

impl Mirror {
    pub fn new(rows: usize, cols: usize) -> Mirror {
        Mirror {
            rows,
            cols,
            cells: vec![Cell::BLANK; rows * cols],
            cursor: (0, 0, true),
            scrolls: Vec::new(),
            draws: 0,
        }
    }

    fn check_region(&self, top: usize, bottom: usize, n: usize) {
        assert!(top < bottom && bottom <= self.rows, "region {top}..{bottom} of {}", self.rows);
        assert!(n >= 1 && n <= bottom - top, "scroll by {n} in {top}..{bottom}");
    }

    /// The cells the display calls produced equal the terminal's.
    pub fn assert_matches(&self, t: &Terminal) {
        for row in 0..self.rows {
            for col in 0..self.cols {
                assert_eq!(self.cells[row * self.cols + col], t.cell(row, col), "cell {row},{col}");
            }
        }
    }
}

impl Display for Mirror {
    fn draw(&mut self, row: usize, col: usize, cell: Cell) {
        assert!(row < self.rows && col < self.cols, "draw at {row},{col}");
        self.cells[row * self.cols + col] = cell;
        self.draws += 1;
    }

    fn scroll_up(&mut self, top: usize, bottom: usize, n: usize, blank: Cell) {
        self.check_region(top, bottom, n);
        let cols = self.cols;
        self.cells.copy_within((top + n) * cols..bottom * cols, top * cols);
        self.cells[(bottom - n) * cols..bottom * cols].fill(blank);
        self.scrolls.push((true, top, bottom, n));
    }

    fn scroll_down(&mut self, top: usize, bottom: usize, n: usize, blank: Cell) {
        self.check_region(top, bottom, n);
        let cols = self.cols;
        self.cells.copy_within(top * cols..(bottom - n) * cols, (top + n) * cols);
        self.cells[top * cols..(top + n) * cols].fill(blank);
        self.scrolls.push((false, top, bottom, n));
    }

    fn cursor(&mut self, row: usize, col: usize, visible: bool) {
        assert!(row < self.rows && col < self.cols, "cursor at {row},{col}");
        self.cursor = (row, col, visible);
    }
}

/// A terminal with its mirror.
pub struct Rig {
    pub t: Terminal,
    pub m: Mirror,
}

impl Rig {
    pub fn new(rows: usize, cols: usize) -> Rig {
        Rig { t: Terminal::new(rows, cols), m: Mirror::new(rows, cols) }
    }

    /// Writes `bytes`; returns the replies. Checks the mirror agrees and
    /// the cursor it was told is the terminal's.
    pub fn write(&mut self, bytes: &[u8]) -> Vec<u8> {
        let mut replies = Vec::new();
        self.t.write(bytes, &mut self.m, &mut |r: &[u8]| replies.extend_from_slice(r));
        self.m.assert_matches(&self.t);
        let (row, col) = self.t.cursor_position();
        assert_eq!((self.m.cursor.0, self.m.cursor.1), (row, col));
        replies
    }

    /// Row `row`'s characters, trailing spaces removed.
    pub fn line(&self, row: usize) -> String {
        let s: String = (0..self.t.cols()).map(|c| self.t.cell(row, c).ch).collect();
        String::from(s.trim_end())
    }

    pub fn cursor(&self) -> (usize, usize) {
        self.t.cursor_position()
    }
}
