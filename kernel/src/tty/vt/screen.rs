//! The screen: a grid of cells, the cursor, the scrolling region, the
//! modes, and the operations escape sequences perform on them, under
//! Linux's names and with its semantics (vt.c's lf, ri, gotoxy...; the
//! editing ones are in `edit`).
//! Every change is told to a `Display`, so that a renderer mirrors the
//! grid without reading it back.

use alloc::vec;
use alloc::vec::Vec;

use super::attr::Attr;
use super::parser::Parser;

/// What a display may draw beyond the colors (bitflags-like).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct CellFlags(pub u8);

impl CellFlags {
    pub const NONE: CellFlags = CellFlags(0);
    pub const BOLD: CellFlags = CellFlags(1 << 0);
    /// Half-bright (SGR 2); the colors do not show it.
    pub const DIM: CellFlags = CellFlags(1 << 1);
    pub const UNDERLINE: CellFlags = CellFlags(1 << 2);
    pub const BLINK: CellFlags = CellFlags(1 << 3);

    pub const fn contains(self, other: CellFlags) -> bool {
        self.0 & other.0 == other.0
    }

    pub const fn with(self, other: CellFlags) -> CellFlags {
        CellFlags(self.0 | other.0)
    }
}

/// One character cell. `fg` and `bg` are palette indices (0..=15, see
/// `attr`) to paint as they are: bold's bright foreground and reverse
/// video's swap are already applied, so reverse is not a flag.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Cell {
    pub ch: char,
    pub fg: u8,
    pub bg: u8,
    pub flags: CellFlags,
}

impl Cell {
    /// A space in the default colors.
    pub const BLANK: Cell = Cell { ch: ' ', fg: 7, bg: 0, flags: CellFlags::NONE };
}

/// What the screen asks its display to do, in order; the display keeps
/// the pixels (or VGA text cells).
pub trait Display {
    /// One cell changed.
    fn draw(&mut self, row: usize, col: usize, cell: Cell);
    /// Rows top..bottom (bottom exclusive) move up by n; the n rows that
    /// open at the bottom are filled with `blank`.
    fn scroll_up(&mut self, top: usize, bottom: usize, n: usize, blank: Cell);
    /// Rows top..bottom move down by n; the n rows that open at the top are
    /// filled with `blank`.
    fn scroll_down(&mut self, top: usize, bottom: usize, n: usize, blank: Cell);
    /// The cursor is now at (row, col), shown or hidden.
    fn cursor(&mut self, row: usize, col: usize, visible: bool);
}

/// The modes set and reset with CSI h and l.
#[derive(Clone, Copy)]
struct Modes {
    /// DECAWM (?7): printing past the last column wraps.
    autowrap: bool,
    /// DECOM (?6): positions count from the scrolling region's top, and
    /// the cursor stays inside the region.
    origin: bool,
    /// IRM (4): printing inserts rather than overwrites.
    insert: bool,
    /// DECTCEM (?25).
    cursor_visible: bool,
    /// LNM (20): LF, VT and FF also return the carriage.
    newline: bool,
}

impl Modes {
    const DEFAULT: Modes = Modes { autowrap: true, origin: false, insert: false, cursor_visible: true, newline: false };
}

/// What ESC 7 and CSI s save: the position and the attributes.
#[derive(Clone, Copy)]
struct Saved {
    row: usize,
    col: usize,
    attr: Attr,
}

impl Saved {
    const HOME: Saved = Saved { row: 0, col: 0, attr: Attr::DEFAULT };
}

pub struct Terminal {
    pub(super) rows: usize,
    pub(super) cols: usize,
    /// Row after row.
    pub(super) cells: Vec<Cell>,
    pub(super) row: usize,
    pub(super) col: usize,
    /// A character went to the last column with autowrap on: the next
    /// printable one first moves to the start of the next line (the VT100's
    /// pending wrap, Linux's need_wrap). Any cursor movement clears it.
    pub(super) wrap_pending: bool,
    /// The scrolling region: rows top..bottom.
    pub(super) top: usize,
    pub(super) bottom: usize,
    pub(super) attr: Attr,
    saved: Saved,
    modes: Modes,
    /// Tab stops, one per column.
    tabs: Vec<bool>,
    pub(super) parser: Parser,
}

/// A tab stop every 8 columns, as after a reset.
fn default_tabs(cols: usize) -> Vec<bool> {
    (0..cols).map(|c| c % 8 == 0).collect()
}

/// `v` clamped to lo..=hi.
fn clamp(v: isize, lo: usize, hi: usize) -> usize {
    match usize::try_from(v) {
        Ok(v) => v.clamp(lo, hi),
        Err(_) => lo,
    }
}

impl Terminal {
    /// A blank screen (at least 1x1) in the state a reset gives.
    pub fn new(rows: usize, cols: usize) -> Terminal {
        let (rows, cols) = (rows.max(1), cols.max(1));
        Terminal {
            rows,
            cols,
            cells: vec![Cell::BLANK; rows * cols],
            row: 0,
            col: 0,
            wrap_pending: false,
            top: 0,
            bottom: rows,
            attr: Attr::DEFAULT,
            saved: Saved::HOME,
            modes: Modes::DEFAULT,
            tabs: default_tabs(cols),
            parser: Parser::new(),
        }
    }

    pub fn rows(&self) -> usize {
        self.rows
    }

    pub fn cols(&self) -> usize {
        self.cols
    }

    /// Interprets output bytes; calls `display` for each change and `reply`
    /// with bytes the terminal answers (DSR, DA), which the caller feeds
    /// back as input. The cursor is reported once, at the end.
    pub fn write(&mut self, bytes: &[u8], display: &mut dyn Display, reply: &mut dyn FnMut(&[u8])) {
        for &b in bytes {
            self.feed(b, display, reply);
        }
        display.cursor(self.row, self.col, self.modes.cursor_visible);
    }

    /// Redraws every cell and the cursor (after the display was reset).
    pub fn redraw(&self, display: &mut dyn Display) {
        for row in 0..self.rows {
            for col in 0..self.cols {
                display.draw(row, col, self.cell(row, col));
            }
        }
        display.cursor(self.row, self.col, self.modes.cursor_visible);
    }

    /// The cell at (row, col); a blank one outside the screen.
    pub fn cell(&self, row: usize, col: usize) -> Cell {
        if row < self.rows && col < self.cols {
            self.cells[row * self.cols + col]
        } else {
            Cell::BLANK
        }
    }

    /// (row, col), from 0.
    pub fn cursor_position(&self) -> (usize, usize) {
        (self.row, self.col)
    }

    /// Stores a cell, telling the display only if it changed.
    pub(super) fn set(&mut self, index: usize, cell: Cell, d: &mut dyn Display) {
        if self.cells[index] != cell {
            self.cells[index] = cell;
            d.draw(index / self.cols, index % self.cols, cell);
        }
    }

    /// Erases cells from..to (indices into the grid, row after row).
    pub(super) fn fill(&mut self, from: usize, to: usize, d: &mut dyn Display) {
        let blank = self.attr.blank();
        for i in from..to.min(self.cells.len()) {
            self.set(i, blank, d);
        }
    }

    pub(super) fn index(&self) -> usize {
        self.row * self.cols + self.col
    }

    // Printing and the C0 controls.

    /// A printable character at the cursor, wrapping first if a wrap is
    /// pending, inserting in insert mode.
    pub(super) fn print(&mut self, ch: char, d: &mut dyn Display) {
        if self.wrap_pending {
            self.carriage_return();
            self.line_feed(d);
        }
        if self.modes.insert {
            self.insert_chars(1, d);
        }
        let cell = self.attr.cell(ch);
        self.set(self.index(), cell, d);
        if self.col + 1 == self.cols {
            self.wrap_pending = self.modes.autowrap;
        } else {
            self.col += 1;
        }
    }

    /// Down a row; at the region's bottom the region scrolls up instead.
    /// Below the region the cursor stops at the screen's last row.
    pub(super) fn line_feed(&mut self, d: &mut dyn Display) {
        if self.row + 1 == self.bottom {
            self.scroll_up(self.top, self.bottom, 1, d);
        } else if self.row + 1 < self.rows {
            self.row += 1;
        }
        self.wrap_pending = false;
    }

    /// LF, VT and FF: a line feed, and a carriage return in newline mode.
    pub(super) fn line_feed_control(&mut self, d: &mut dyn Display) {
        self.line_feed(d);
        if self.modes.newline {
            self.carriage_return();
        }
    }

    /// ESC M: up a row; at the region's top the region scrolls down.
    pub(super) fn reverse_index(&mut self, d: &mut dyn Display) {
        if self.row == self.top {
            self.scroll_down(self.top, self.bottom, 1, d);
        } else if self.row > 0 {
            self.row -= 1;
        }
        self.wrap_pending = false;
    }

    pub(super) fn carriage_return(&mut self) {
        self.col = 0;
        self.wrap_pending = false;
    }

    /// BS: left a column, never past the first. As Linux, from a pending
    /// wrap it moves left of the last column.
    pub(super) fn backspace(&mut self) {
        if self.col > 0 {
            self.col -= 1;
            self.wrap_pending = false;
        }
    }

    /// HT: to the next tab stop, or the last column if none is left.
    pub(super) fn tab(&mut self) {
        let last = self.cols - 1;
        self.col = (self.col + 1..last).find(|&c| self.tabs[c]).unwrap_or(last);
    }

    // Cursor movement.

    /// Moves the cursor, clamped to the screen (to the scrolling region in
    /// origin mode); clears a pending wrap. Linux's gotoxy.
    pub(super) fn goto(&mut self, row: isize, col: isize) {
        let (min, max) = if self.modes.origin { (self.top, self.bottom) } else { (0, self.rows) };
        self.row = clamp(row, min, max - 1);
        self.col = clamp(col, 0, self.cols - 1);
        self.wrap_pending = false;
    }

    /// Moves to a position a sequence gave (from 0): in origin mode its
    /// rows count from the region's top. Linux's gotoxay.
    pub(super) fn goto_abs(&mut self, row: usize, col: usize) {
        let base = if self.modes.origin { self.top } else { 0 };
        let signed = |v: usize| isize::try_from(v).unwrap_or(isize::MAX);
        self.goto(signed(base.saturating_add(row)), signed(col));
    }

    /// The cursor as DSR 6 reports it: from 1, rows from the region's top
    /// in origin mode.
    pub(super) fn report_position(&self) -> (usize, usize) {
        let base = if self.modes.origin { self.top } else { 0 };
        (self.row.saturating_sub(base) + 1, self.col + 1)
    }

    /// ESC 7, CSI s.
    pub(super) fn save_cursor(&mut self) {
        self.saved = Saved { row: self.row, col: self.col, attr: self.attr };
    }

    /// ESC 8, CSI u (the position clamped as any move).
    pub(super) fn restore_cursor(&mut self) {
        let s = self.saved;
        self.attr = s.attr;
        self.goto(s.row as isize, s.col as isize);
    }

    // Settings.

    /// DECSTBM: the region is rows top..=bottom (from 1; 0 means the
    /// screen's edge). As Linux, a region of fewer than 2 rows or past the
    /// screen is refused; a region set homes the cursor.
    pub(super) fn set_region(&mut self, top: u32, bottom: u32) {
        let top = top.max(1) as usize;
        let bottom = if bottom == 0 { self.rows } else { bottom as usize };
        if top < bottom && bottom <= self.rows {
            self.top = top - 1;
            self.bottom = bottom;
            self.goto_abs(0, 0);
        }
    }

    /// CSI h (`on`) and l: an ANSI mode, or a DEC private one (`dec`, "?").
    /// Other modes are ignored.
    pub(super) fn set_mode(&mut self, dec: bool, mode: u32, on: bool) {
        match (dec, mode) {
            (true, 6) => {
                self.modes.origin = on;
                self.goto_abs(0, 0);
            }
            (true, 7) => self.modes.autowrap = on,
            (true, 25) => self.modes.cursor_visible = on,
            (false, 4) => self.modes.insert = on,
            (false, 20) => self.modes.newline = on,
            _ => {}
        }
    }

    /// ESC H: a tab stop at the cursor's column.
    pub(super) fn set_tab(&mut self) {
        self.tabs[self.col] = true;
    }

    /// TBC: 0 clears the stop at the cursor's column, 3 all of them.
    pub(super) fn clear_tab(&mut self, mode: u32) {
        match mode {
            0 => self.tabs[self.col] = false,
            3 => self.tabs.fill(false),
            _ => {}
        }
    }

    /// ESC c: every setting back to its default, the screen cleared, the
    /// cursor home.
    pub(super) fn reset(&mut self, d: &mut dyn Display) {
        self.modes = Modes::DEFAULT;
        self.attr = Attr::DEFAULT;
        self.top = 0;
        self.bottom = self.rows;
        self.tabs = default_tabs(self.cols);
        self.goto(0, 0);
        self.save_cursor();
        self.erase_display(2, d);
    }
}

#[cfg(test)]
mod tests {
    use super::super::mirror::Rig;
    use super::*;

    fn bg(rig: &Rig, row: usize, col: usize) -> u8 {
        rig.t.cell(row, col).bg
    }

    #[test]
    fn printing_wraps_after_the_last_column_only_when_the_next_char_comes() {
        let mut r = Rig::new(3, 5);
        r.write(b"abcde");
        assert_eq!((r.line(0).as_str(), r.cursor()), ("abcde", (0, 4)));
        r.write(b"f");
        assert_eq!((r.line(1).as_str(), r.cursor()), ("f", (1, 1)));
    }

    #[test]
    fn pending_wrap_is_cancelled_by_cursor_movement() {
        let mut r = Rig::new(3, 5);
        r.write(b"abcde\rx");
        assert_eq!((r.line(0).as_str(), r.line(1).as_str()), ("xbcde", ""));
        r.write(b"\x1b[H\x1b[Kabcde\x08y");
        assert_eq!((r.line(0).as_str(), r.cursor()), ("abcye", (0, 4)));
        r.write(b"\x1b[H\x1b[Kabcde\x1b[Dz");
        assert_eq!((r.line(0).as_str(), r.cursor()), ("abcze", (0, 4)));
        assert_eq!(r.line(1), "");
    }

    #[test]
    fn no_autowrap_overwrites_the_last_column() {
        let mut r = Rig::new(2, 5);
        r.write(b"\x1b[?7labcdefg");
        assert_eq!((r.line(0).as_str(), r.line(1).as_str(), r.cursor()), ("abcdg", "", (0, 4)));
        r.write(b"\x1b[?7hh");
        assert_eq!((r.line(0).as_str(), r.line(1).as_str()), ("abcdh", ""));
        r.write(b"i");
        assert_eq!(r.line(1), "i");
    }

    #[test]
    fn wrap_at_the_bottom_scrolls() {
        let mut r = Rig::new(2, 3);
        r.write(b"abcdefg");
        assert_eq!((r.line(0).as_str(), r.line(1).as_str(), r.cursor()), ("def", "g", (1, 1)));
        assert_eq!(r.m.scrolls, [(true, 0, 2, 1)]);
    }

    #[test]
    fn line_feed_at_the_bottom_scrolls_with_the_current_background() {
        let mut r = Rig::new(3, 4);
        r.write(b"a\r\nb\r\nc\x1b[42m\r\nd");
        assert_eq!([r.line(0), r.line(1), r.line(2)], ["b", "c", "d"]);
        assert_eq!(r.m.scrolls, [(true, 0, 3, 1)]);
        assert_eq!((bg(&r, 2, 0), bg(&r, 2, 3), bg(&r, 1, 3)), (2, 2, 0));
        // LF, VT and FF all feed a line without returning the carriage.
        r.write(b"\x1b[H\x0b\x0c");
        assert_eq!(r.cursor(), (2, 0));
    }

    #[test]
    fn scrolling_region_limits_line_feed() {
        let mut r = Rig::new(5, 4);
        r.write(b"1\r\n2\r\n3\r\n4\r\n5\x1b[2;4r");
        assert_eq!(r.cursor(), (0, 0));
        r.write(b"\x1b[4;1H\n");
        assert_eq!([r.line(0), r.line(1), r.line(2), r.line(3), r.line(4)], ["1", "3", "4", "", "5"]);
        assert_eq!(r.m.scrolls, [(true, 1, 4, 1)]);
        // Below the region a line feed stops at the last row.
        r.write(b"\x1b[5;1H\n\n");
        assert_eq!((r.cursor(), r.line(4).as_str()), ((4, 0), "5"));
        // Invalid regions are refused; no parameters mean the whole screen.
        r.write(b"\x1b[3;3r\x1b[5;1H");
        r.write(b"\x1b[4;9r\x1b[5;1H\n");
        assert_eq!(r.m.scrolls.len(), 1);
        r.write(b"\x1b[r\x1b[5;1H\n");
        assert_eq!(r.m.scrolls.last(), Some(&(true, 0, 5, 1)));
    }

    #[test]
    fn reverse_index_scrolls_down_at_the_region_top() {
        let mut r = Rig::new(5, 4);
        r.write(b"1\r\n2\r\n3\r\n4\r\n5\x1b[2;4r\x1b[2;1H\x1bM");
        assert_eq!([r.line(0), r.line(1), r.line(2), r.line(3), r.line(4)], ["1", "", "2", "3", "5"]);
        assert_eq!((r.m.scrolls.as_slice(), r.cursor()), (&[(false, 1, 4, 1)][..], (1, 0)));
        // Above the region it moves up, and stops at the top row.
        r.write(b"\x1b[1;1H\x1bM\x1bM");
        assert_eq!((r.cursor(), r.m.scrolls.len()), ((0, 0), 1));
        // ESC D and ESC E are index and next line.
        r.write(b"\x1b[1;3H\x1bD");
        assert_eq!(r.cursor(), (1, 2));
        r.write(b"\x1bE");
        assert_eq!(r.cursor(), (2, 0));
    }

    #[test]
    fn cursor_moves_clamp_to_the_screen() {
        let mut r = Rig::new(5, 10);
        let moves: [(&[u8], (usize, usize)); 16] = [
            (b"\x1b[3;4H", (2, 3)),
            (b"\x1b[A", (1, 3)),
            (b"\x1b[9A", (0, 3)),
            (b"\x1b[2B", (2, 3)),
            (b"\x1b[99B", (4, 3)),
            (b"\x1b[0C", (4, 4)),
            (b"\x1b[99C", (4, 9)),
            (b"\x1b[3D", (4, 6)),
            (b"\x1b[2F", (2, 0)),
            (b"\x1b[E", (3, 0)),
            (b"\x1b[5G", (3, 4)),
            (b"\x1b[2`", (3, 1)),
            (b"\x1b[1d", (0, 1)),
            (b"\x1b[2a\x1b[e", (1, 3)),
            (b"\x1b[;7f", (0, 6)),
            (b"\x1b[99;99H", (4, 9)),
        ];
        for (seq, at) in moves {
            r.write(seq);
            assert_eq!(r.cursor(), at, "{seq:?}");
        }
        r.write(b"\x1b[H");
        assert_eq!(r.cursor(), (0, 0));
    }

    #[test]
    fn origin_mode_counts_from_the_region() {
        let mut r = Rig::new(6, 10);
        r.write(b"\x1b[2;4r\x1b[?6h");
        assert_eq!(r.cursor(), (1, 0));
        r.write(b"\x1b[2;3H");
        assert_eq!(r.cursor(), (2, 2));
        r.write(b"\x1b[9;1H");
        assert_eq!(r.cursor(), (3, 0));
        r.write(b"\x1b[9A");
        assert_eq!(r.cursor(), (1, 0));
        assert_eq!(r.write(b"\x1b[B\x1b[6n"), b"\x1b[2;1R");
        r.write(b"\x1b[?6l");
        assert_eq!(r.cursor(), (0, 0));
    }

    #[test]
    fn tab_stops() {
        let mut r = Rig::new(1, 20);
        r.write(b"\t");
        assert_eq!(r.cursor(), (0, 8));
        r.write(b"\t\t");
        assert_eq!(r.cursor(), (0, 19));
        r.write(b"\r\x1b[3C\x1bH\r\t");
        assert_eq!(r.cursor(), (0, 3));
        r.write(b"\x1b[g\r\t");
        assert_eq!(r.cursor(), (0, 8));
        r.write(b"\x1b[3g\r\t");
        assert_eq!(r.cursor(), (0, 19));
        r.write(b"\x1bc\tx");
        assert_eq!((r.cursor(), r.t.cell(0, 8).ch), ((0, 9), 'x'));
    }

    #[test]
    fn save_and_restore_cursor_with_attributes() {
        let mut r = Rig::new(5, 10);
        r.write(b"\x1b[2;3H\x1b[31m\x1b7\x1b[m\x1b[5;5Hx\x1b8y");
        assert_eq!(r.cursor(), (1, 3));
        assert_eq!((r.t.cell(1, 2).ch, r.t.cell(1, 2).fg, r.t.cell(4, 4).fg), ('y', 1, 7));
        r.write(b"\x1b[4;4H\x1b[s\x1b[H\x1b[u");
        assert_eq!(r.cursor(), (3, 3));
    }

    #[test]
    fn reset_clears_everything() {
        let mut r = Rig::new(3, 5);
        r.write(b"\x1b[2;3r\x1b[?25l\x1b[41mabc\x1bc");
        assert_eq!((r.line(0).as_str(), r.cursor(), r.m.cursor.2), ("", (0, 0), true));
        assert_eq!(r.t.cell(0, 0), Cell::BLANK);
        r.write(b"\x1b[3;1H\n");
        assert_eq!(r.m.scrolls, [(true, 0, 3, 1)]);
    }

    #[test]
    fn redraw_repaints_every_cell() {
        let mut r = Rig::new(2, 3);
        r.write(b"ab\x1b[34mc");
        let mut fresh = super::super::mirror::Mirror::new(2, 3);
        r.t.redraw(&mut fresh);
        fresh.assert_matches(&r.t);
        assert_eq!((fresh.draws, fresh.cursor), (6, (0, 2, true)));
    }

    #[test]
    fn tiny_screens() {
        let mut r = Rig::new(1, 1);
        r.write(b"abc\n\x1bM\x1b[5@\x1b[5L\x1b[5P\x1b[5M\t\x08x");
        assert_eq!((r.line(0).as_str(), r.cursor()), ("x", (0, 0)));
        assert_eq!((Terminal::new(0, 0).rows(), Terminal::new(0, 0).cols()), (1, 1));
    }
}
