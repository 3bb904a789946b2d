//! Output processing (OPOST) and the column it tracks: Linux's
//! `do_output_char`. Echoes go through the same path, so an echoed newline
//! becomes "\r\n" under ONLCR, and erasing knows how far to back up.

use abi::{Termios, OCRNL, OLCUC, ONLCR, ONLRET, ONOCR, OPOST, TABDLY, XTABS};

/// Where processed output goes: the driver's transmit queue.
pub trait Sink {
    fn put(&mut self, bytes: &[u8]);
    /// Discards output queued and not yet sent (the flush of ^C).
    fn flush(&mut self);
}

/// The output column, and where the current canonical line's echo began
/// (for erasing a tab).
#[derive(Clone, Copy, Default)]
pub struct Columns {
    pub column: u32,
    pub canon_column: u32,
}

/// The most bytes one input byte can become (a tab expanded to spaces).
pub const MAX_EXPANSION: usize = 8;

/// True for the bytes Linux's `iscntrl` names: C0 controls and DEL.
pub fn is_cntrl(c: u8) -> bool {
    c < 0x20 || c == 0x7f
}

/// A UTF-8 continuation byte under IUTF8: it takes no column of its own.
pub fn is_continuation(t: &Termios, c: u8) -> bool {
    t.c_iflag & abi::IUTF8 != 0 && c & 0xc0 == 0x80
}

impl Columns {
    /// Writes `c` with OPOST processing (the caller checked OPOST is on).
    fn opost_char(&mut self, t: &Termios, mut c: u8, out: &mut dyn Sink) {
        let o = t.c_oflag;
        match c {
            b'\n' => {
                if o & ONLRET != 0 {
                    self.column = 0;
                }
                if o & ONLCR != 0 {
                    self.column = 0;
                    self.canon_column = 0;
                    out.put(b"\r\n");
                    return;
                }
                self.canon_column = self.column;
            }
            b'\r' => {
                if o & ONOCR != 0 && self.column == 0 {
                    return;
                }
                if o & OCRNL != 0 {
                    c = b'\n';
                    if o & ONLRET != 0 {
                        self.column = 0;
                        self.canon_column = 0;
                    }
                } else {
                    self.column = 0;
                    self.canon_column = 0;
                }
            }
            b'\t' => {
                let spaces = 8 - (self.column & 7);
                self.column += spaces;
                if o & TABDLY == XTABS {
                    out.put(&b"        "[..spaces as usize]);
                    return;
                }
            }
            0x08 => self.column = self.column.saturating_sub(1),
            _ if !is_cntrl(c) => {
                if o & OLCUC != 0 {
                    c = c.to_ascii_uppercase();
                }
                if !is_continuation(t, c) {
                    self.column += 1;
                }
            }
            _ => {}
        }
        out.put(&[c]);
    }

    /// Writes one byte: processed under OPOST, else as it is.
    pub fn output(&mut self, t: &Termios, c: u8, out: &mut dyn Sink) {
        if t.c_oflag & OPOST != 0 {
            self.opost_char(t, c, out);
        } else {
            out.put(&[c]);
        }
    }

    /// A control character shown as "^X" (ECHOCTL): two columns.
    pub fn output_caret(&mut self, c: u8, out: &mut dyn Sink) {
        out.put(&[b'^', c ^ 0x40]);
        self.column += 2;
    }

    /// Backs up over an erased tab: to the tab stop where it began, counted
    /// from the previous tab (`after_tab`) or from where the line's echo
    /// began, `chars` columns of other characters in between.
    pub fn erase_tab(&mut self, chars: u32, after_tab: bool, out: &mut dyn Sink) {
        let chars = if after_tab { chars } else { chars + self.canon_column };
        for _ in 0..8 - (chars & 7) {
            out.put(b"\x08");
            self.column = self.column.saturating_sub(1);
        }
    }
}
