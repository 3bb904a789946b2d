//! Erasing, inserting and deleting characters and lines, and scrolling:
//! the editing operations of the screen (Linux's csi_J, csi_K, csi_X,
//! insert_char, delete_char, con_scroll). Erasing fills with a space in
//! the current colors, as Linux does.

use super::screen::{Cell, Display, Terminal};

impl Terminal {
    /// ED: 0 from the cursor to the end, 1 from the start to the cursor,
    /// 2 (and 3, which also drops the scrollback this console lacks) all.
    pub(super) fn erase_display(&mut self, mode: u32, d: &mut dyn Display) {
        let (here, end) = (self.index(), self.cells.len());
        match mode {
            0 => self.fill(here, end, d),
            1 => self.fill(0, here + 1, d),
            2 | 3 => self.fill(0, end, d),
            _ => return,
        }
        self.wrap_pending = false;
    }

    /// EL: 0 from the cursor to the end of the line, 1 from its start to
    /// the cursor, 2 the whole line.
    pub(super) fn erase_line(&mut self, mode: u32, d: &mut dyn Display) {
        let (start, here) = (self.row * self.cols, self.index());
        match mode {
            0 => self.fill(here, start + self.cols, d),
            1 => self.fill(start, here + 1, d),
            2 => self.fill(start, start + self.cols, d),
            _ => return,
        }
        self.wrap_pending = false;
    }

    /// ECH: `n` cells from the cursor, not past the line's end.
    pub(super) fn erase_chars(&mut self, n: usize, d: &mut dyn Display) {
        let here = self.index();
        self.fill(here, here + n.min(self.cols - self.col), d);
        self.wrap_pending = false;
    }

    /// ICH: the rest of the line moves right by `n`; what falls off the
    /// end is lost, blanks open at the cursor.
    pub(super) fn insert_chars(&mut self, n: usize, d: &mut dyn Display) {
        let (start, col, cols) = (self.row * self.cols, self.col, self.cols);
        let n = n.min(cols - col);
        let blank = self.attr.blank();
        // Right to left, so each source is read before it is overwritten.
        for c in (col..cols).rev() {
            let cell = if c >= col + n { self.cells[start + c - n] } else { blank };
            self.set(start + c, cell, d);
        }
        self.wrap_pending = false;
    }

    /// DCH: the rest of the line moves left by `n`; blanks open at the end.
    pub(super) fn delete_chars(&mut self, n: usize, d: &mut dyn Display) {
        let (start, col, cols) = (self.row * self.cols, self.col, self.cols);
        let n = n.min(cols - col);
        let blank = self.attr.blank();
        for c in col..cols {
            let cell = if c + n < cols { self.cells[start + c + n] } else { blank };
            self.set(start + c, cell, d);
        }
        self.wrap_pending = false;
    }

    /// IL: blank lines open at the cursor's row, the rows below it to the
    /// region's bottom move down. As Linux, a cursor below the region does
    /// nothing and one above it moves the rows down to the region's bottom.
    pub(super) fn insert_lines(&mut self, n: usize, d: &mut dyn Display) {
        if self.row < self.bottom {
            self.scroll_down(self.row, self.bottom, n, d);
        }
        self.wrap_pending = false;
    }

    /// DL: the cursor's row and those after it are deleted up to the
    /// region's bottom; blank lines open there.
    pub(super) fn delete_lines(&mut self, n: usize, d: &mut dyn Display) {
        if self.row < self.bottom {
            self.scroll_up(self.row, self.bottom, n, d);
        }
        self.wrap_pending = false;
    }

    /// Rows top..bottom move up by `n` (at most their number).
    pub(super) fn scroll_up(&mut self, top: usize, bottom: usize, n: usize, d: &mut dyn Display) {
        let n = n.min(bottom.saturating_sub(top));
        if n == 0 {
            return;
        }
        let (blank, cols) = (self.attr.blank(), self.cols);
        self.cells.copy_within((top + n) * cols..bottom * cols, top * cols);
        self.cells[(bottom - n) * cols..bottom * cols].fill(blank);
        d.scroll_up(top, bottom, n, blank);
    }

    /// Rows top..bottom move down by `n` (at most their number).
    pub(super) fn scroll_down(&mut self, top: usize, bottom: usize, n: usize, d: &mut dyn Display) {
        let n = n.min(bottom.saturating_sub(top));
        if n == 0 {
            return;
        }
        let (blank, cols) = (self.attr.blank(), self.cols);
        self.cells.copy_within(top * cols..(bottom - n) * cols, (top + n) * cols);
        self.cells[top * cols..(top + n) * cols].fill(blank);
        d.scroll_down(top, bottom, n, blank);
    }

    /// ESC # 8 (DECALN): the screen filled with 'E'.
    pub(super) fn alignment_test(&mut self, d: &mut dyn Display) {
        let cell = Cell { ch: 'E', ..self.attr.blank() };
        for i in 0..self.cells.len() {
            self.set(i, cell, d);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::mirror::Rig;
    use super::super::screen::CellFlags;
    use super::*;

    fn bg(rig: &Rig, row: usize, col: usize) -> u8 {
        rig.t.cell(row, col).bg
    }

    fn filled(rows: usize, cols: usize) -> Rig {
        let mut r = Rig::new(rows, cols);
        for _ in 0..rows * cols {
            r.write(b"x");
        }
        r
    }

    #[test]
    fn erase_in_line_uses_the_background() {
        let mut r = filled(3, 4);
        r.write(b"\x1b[44m\x1b[2;3H\x1b[K");
        assert_eq!((r.line(1).as_str(), bg(&r, 1, 2), bg(&r, 1, 3), bg(&r, 1, 1)), ("xx", 4, 4, 0));
        r.write(b"\x1b[3;2H\x1b[1K");
        assert_eq!(r.t.cell(2, 0), Cell { ch: ' ', fg: 7, bg: 4, flags: CellFlags::NONE });
        assert_eq!(r.line(2), "  xx");
        r.write(b"\x1b[2K");
        assert_eq!((r.line(2).as_str(), bg(&r, 2, 3)), ("", 4));
        assert_eq!(r.cursor(), (2, 1));
    }

    #[test]
    fn erase_in_display_variants() {
        let mut r = filled(3, 4);
        r.write(b"\x1b[41m\x1b[2;3H\x1b[J");
        assert_eq!([r.line(0), r.line(1), r.line(2)], ["xxxx", "xx", ""]);
        assert_eq!((bg(&r, 2, 0), bg(&r, 1, 1)), (1, 0));
        let mut r = filled(3, 4);
        r.write(b"\x1b[2;3H\x1b[1J");
        assert_eq!([r.line(0), r.line(1), r.line(2)], ["", "   x", "xxxx"]);
        for mode in [b"\x1b[2J", b"\x1b[3J"] {
            let mut r = filled(3, 4);
            r.write(b"\x1b[2;3H\x1b[43m");
            r.write(mode);
            assert_eq!([r.line(0), r.line(1), r.line(2)], ["", "", ""]);
            assert_eq!((bg(&r, 0, 0), r.cursor()), (3, (1, 2)));
        }
        let mut r = filled(1, 6);
        r.write(b"\x1b[3G\x1b[2X");
        assert_eq!((r.line(0).as_str(), r.cursor()), ("xx  xx", (0, 2)));
        r.write(b"\x1b[99X");
        assert_eq!(r.line(0), "xx");
    }

    #[test]
    fn insert_and_delete_chars() {
        let mut r = Rig::new(1, 8);
        r.write(b"abcdef\x1b[3G\x1b[2@");
        assert_eq!((r.line(0).as_str(), r.cursor()), ("ab  cdef", (0, 2)));
        r.write(b"\x1b[@");
        assert_eq!(r.line(0), "ab   cde");
        r.write(b"\x1b[3P");
        assert_eq!(r.line(0), "abcde");
        r.write(b"\x1b[44m\x1b[P");
        assert_eq!((r.line(0).as_str(), bg(&r, 0, 7), bg(&r, 0, 6)), ("abde", 4, 0));
        r.write(b"\x1b[99P");
        assert_eq!(r.line(0), "ab");
        // Insert mode shifts the line as it prints.
        r.write(b"\x1b[m\x1b[1G\x1b[4hXY\x1b[4lZ");
        assert_eq!(r.line(0), "XYZb");
    }

    #[test]
    fn insert_and_delete_lines_within_the_region() {
        let mut r = Rig::new(5, 3);
        r.write(b"1\r\n2\r\n3\r\n4\r\n5\x1b[2;4H\x1b[L");
        assert_eq!([r.line(0), r.line(1), r.line(2), r.line(3), r.line(4)], ["1", "", "2", "3", "4"]);
        assert_eq!(r.cursor(), (1, 2));
        r.write(b"\x1b[2M");
        assert_eq!([r.line(0), r.line(1), r.line(2), r.line(3), r.line(4)], ["1", "3", "4", "", ""]);
        let mut r = Rig::new(5, 3);
        r.write(b"1\r\n2\r\n3\r\n4\r\n5\x1b[2;4r\x1b[3;1H\x1b[9L");
        assert_eq!([r.line(0), r.line(1), r.line(2), r.line(3), r.line(4)], ["1", "2", "", "", "5"]);
        r.write(b"\x1b[5;1H\x1b[M");
        assert_eq!(r.line(4), "5");
        r.write(b"\x1b[2;1H\x1b[M");
        assert_eq!([r.line(1), r.line(2), r.line(3), r.line(4)], ["", "", "", "5"]);
    }
}
