//! What each byte written to the console does: UTF-8 decoding, the C0
//! controls, and the escape and CSI state machine that drives the screen,
//! as Linux's do_con_write and do_con_trol (facts from console_codes(4)).
//!
//! As Linux: outside a sequence bytes are decoded as UTF-8; inside one
//! they are taken raw. C0 controls act in every state, even in the middle
//! of a sequence (CAN and SUB abort it, ESC starts a new one). A sequence
//! this terminal does not know is consumed and ignored.

use alloc::format;

use super::screen::{Display, Terminal};
use super::utf8::{Decoder, Step, REPLACEMENT};

/// The most CSI parameters (Linux's NPAR); a sequence with more is
/// ignored.
const MAX_PARAMS: usize = 16;

/// The answer to DA (CSI c, ESC Z): "I am a VT102".
const DEVICE_ATTRIBUTES: &[u8] = b"\x1b[?6c";

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum State {
    Normal,
    /// After ESC.
    Escape,
    /// After ESC [: a private marker ('?', '>', '=', '<') may come first.
    CsiEntry,
    /// Reading a CSI's parameters up to its final byte.
    CsiParams,
    /// A CSI this terminal does not take (an intermediate byte, too many
    /// parameters): consumed up to its final byte.
    CsiIgnore,
    /// After ESC ]: P (set a palette entry), R (reset the palette) or a
    /// digit (an OSC string such as a window title).
    OscEntry,
    /// ESC ] P and the hex digits of its entry read so far (7 in all).
    Palette(u8),
    /// An OSC, DCS, APC or PM string: consumed up to BEL or ESC \.
    String,
    /// One more byte to consume: ESC [ [ (Linux's function-key echo),
    /// ESC ( and ESC ) (charsets), ESC % (UTF-8 or not), ESC # (DECALN).
    OneMore(u8),
}

/// The parser's state, kept in the `Terminal`.
pub struct Parser {
    state: State,
    params: [u32; MAX_PARAMS],
    /// The index of the parameter being read.
    last: usize,
    /// The private marker, or 0.
    private: u8,
    utf8: Decoder,
}

impl Parser {
    pub const fn new() -> Parser {
        Parser { state: State::Normal, params: [0; MAX_PARAMS], last: 0, private: 0, utf8: Decoder::new() }
    }
}

impl Default for Parser {
    fn default() -> Parser {
        Parser::new()
    }
}

/// A 1-based position parameter as a 0-based one (0 and 1 both mean the
/// first).
fn from_one(p: u32) -> usize {
    p.saturating_sub(1) as usize
}

impl Terminal {
    /// Interprets one byte.
    pub(super) fn feed(&mut self, b: u8, d: &mut dyn Display, reply: &mut dyn FnMut(&[u8])) {
        if self.parser.state != State::Normal {
            self.sequence_byte(b, d, reply);
            return;
        }
        match self.parser.utf8.push(b) {
            Step::More => {}
            Step::Char(c) => self.normal_char(c, d),
            Step::Broken => {
                self.print(REPLACEMENT, d);
                if let Step::Char(c) = self.parser.utf8.push(b) {
                    self.normal_char(c, d);
                }
            }
        }
    }

    /// A decoded character outside any sequence: a control, or printed.
    /// The C0 controls without a function here and the C1 range are
    /// ignored.
    fn normal_char(&mut self, c: char, d: &mut dyn Display) {
        match u32::from(c) {
            0..=0x1f | 0x7f => {
                self.control(c as u8, d);
            }
            0x80..=0x9f => {}
            _ => self.print(c, d),
        }
    }

    /// The C0 controls that act in any state; false if `b` is not one.
    fn control(&mut self, b: u8, d: &mut dyn Display) -> bool {
        let in_string = self.parser.state == State::String;
        match b {
            // Format effectors are not acted on inside a string.
            0x08..=0x0d if in_string => {}
            // BEL ends a string; otherwise it is the bell, not rung here.
            0x07 if in_string => self.parser.state = State::Normal,
            0x08 => self.backspace(),
            0x09 => self.tab(),
            0x0a..=0x0c => self.line_feed_control(d),
            0x0d => self.carriage_return(),
            // NUL, BEL, SO and SI (charset shifts) and DEL: nothing.
            0x00 | 0x07 | 0x0e | 0x0f | 0x7f => {}
            0x18 | 0x1a => self.parser.state = State::Normal,
            0x1b => self.parser.state = State::Escape,
            _ => return false,
        }
        true
    }

    /// A raw byte inside a sequence.
    fn sequence_byte(&mut self, b: u8, d: &mut dyn Display, reply: &mut dyn FnMut(&[u8])) {
        if self.control(b, d) {
            return;
        }
        match self.parser.state {
            State::Escape => self.escape(b, d, reply),
            State::CsiEntry => self.csi_entry(b, d, reply),
            State::CsiParams => self.csi_param(b, d, reply),
            State::CsiIgnore => {
                if !(0x20..=0x3f).contains(&b) {
                    self.parser.state = State::Normal;
                }
            }
            State::OscEntry => {
                self.parser.state = match b {
                    b'P' => State::Palette(0),
                    b'0'..=b'9' => State::String,
                    // R resets the palette, which lives in the display.
                    _ => State::Normal,
                };
            }
            State::Palette(n) => {
                self.parser.state = if b.is_ascii_hexdigit() && n < 6 { State::Palette(n + 1) } else { State::Normal };
            }
            State::String | State::Normal => {}
            State::OneMore(intro) => {
                self.parser.state = State::Normal;
                if intro == b'#' && b == b'8' {
                    self.alignment_test(d);
                }
            }
        }
    }

    /// The byte after ESC.
    fn escape(&mut self, b: u8, d: &mut dyn Display, reply: &mut dyn FnMut(&[u8])) {
        self.parser.state = State::Normal;
        match b {
            b'[' => self.parser.state = State::CsiEntry,
            b']' => self.parser.state = State::OscEntry,
            b'P' | b'_' | b'^' => self.parser.state = State::String,
            b'(' | b')' | b'%' | b'#' => self.parser.state = State::OneMore(b),
            b'c' => self.reset(d),
            b'D' => self.line_feed(d),
            b'E' => {
                self.carriage_return();
                self.line_feed(d);
            }
            b'M' => self.reverse_index(d),
            b'H' => self.set_tab(),
            b'Z' => reply(DEVICE_ATTRIBUTES),
            b'7' => self.save_cursor(),
            b'8' => self.restore_cursor(),
            // ESC \ (a string's end), ESC = and ESC > (keypad modes)...
            _ => {}
        }
    }

    /// The first byte after ESC [.
    fn csi_entry(&mut self, b: u8, d: &mut dyn Display, reply: &mut dyn FnMut(&[u8])) {
        let p = &mut self.parser;
        p.params = [0; MAX_PARAMS];
        p.last = 0;
        p.private = 0;
        p.state = State::CsiParams;
        match b {
            b'[' => p.state = State::OneMore(b'['),
            b'?' | b'>' | b'=' | b'<' => p.private = b,
            _ => self.csi_param(b, d, reply),
        }
    }

    /// A parameter byte, or the final byte that runs the sequence.
    fn csi_param(&mut self, b: u8, d: &mut dyn Display, reply: &mut dyn FnMut(&[u8])) {
        let p = &mut self.parser;
        match b {
            b';' if p.last < MAX_PARAMS - 1 => p.last += 1,
            b'0'..=b'9' => {
                let v = &mut p.params[p.last];
                *v = v.saturating_mul(10).saturating_add(u32::from(b - b'0'));
            }
            0x20..=0x3f => p.state = State::CsiIgnore,
            _ => {
                p.state = State::Normal;
                self.csi_dispatch(b, d, reply);
            }
        }
    }

    /// Runs a CSI sequence. Of the private ones only the DEC modes ("?h",
    /// "?l") are taken.
    fn csi_dispatch(&mut self, fin: u8, d: &mut dyn Display, reply: &mut dyn FnMut(&[u8])) {
        let (params, count, private) = (self.parser.params, self.parser.last + 1, self.parser.private);
        match (private, fin) {
            (0 | b'?', b'h' | b'l') => {
                for &mode in &params[..count] {
                    self.set_mode(private == b'?', mode, fin == b'h');
                }
            }
            (0, b'm') => self.attr.sgr(&params[..count]),
            (0, b'n') => self.status_report(params[0], reply),
            (0, b'c') if params[0] == 0 => reply(DEVICE_ATTRIBUTES),
            (0, _) => self.csi_edit(fin, params[0], params[1], d),
            _ => {}
        }
    }

    /// The cursor-moving and editing CSI sequences; `p0` and `p1` are the
    /// first two parameters (0 when not given).
    fn csi_edit(&mut self, fin: u8, p0: u32, p1: u32, d: &mut dyn Display) {
        let (row, col) = self.cursor_position();
        let (row, col) = (row as isize, col as isize);
        // The count of moves and edits: 0 or none means 1.
        let n = p0.max(1) as usize;
        let dn = n as isize;
        match fin {
            b'@' => self.insert_chars(n, d),
            b'A' => self.goto(row - dn, col),
            b'B' | b'e' => self.goto(row + dn, col),
            b'C' | b'a' => self.goto(row, col + dn),
            b'D' => self.goto(row, col - dn),
            b'E' => self.goto(row + dn, 0),
            b'F' => self.goto(row - dn, 0),
            b'G' | b'`' => self.goto(row, from_one(p0) as isize),
            b'd' => self.goto_abs(from_one(p0), col as usize),
            b'H' | b'f' => self.goto_abs(from_one(p0), from_one(p1)),
            b'J' => self.erase_display(p0, d),
            b'K' => self.erase_line(p0, d),
            b'L' => self.insert_lines(n, d),
            b'M' => self.delete_lines(n, d),
            b'P' => self.delete_chars(n, d),
            b'X' => self.erase_chars(n, d),
            b'g' => self.clear_tab(p0),
            b'r' => self.set_region(p0, p1),
            b's' => self.save_cursor(),
            b'u' => self.restore_cursor(),
            // q (keyboard LEDs), ] (setterm's settings) and the rest.
            _ => {}
        }
    }

    /// DSR: 5 asks whether the terminal is well ("\e[0n"), 6 where the
    /// cursor is ("\e[row;colR").
    fn status_report(&self, what: u32, reply: &mut dyn FnMut(&[u8])) {
        match what {
            5 => reply(b"\x1b[0n"),
            6 => {
                let (row, col) = self.report_position();
                reply(format!("\x1b[{row};{col}R").as_bytes());
            }
            _ => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use super::super::mirror::Rig;
    use super::super::screen::{Cell, CellFlags};

    #[test]
    fn cursor_position_report() {
        let mut r = Rig::new(24, 80);
        assert_eq!(r.write(b"\x1b[6n"), b"\x1b[1;1R");
        assert_eq!(r.write(b"\x1b[12;40Habc\x1b[6n"), b"\x1b[12;43R");
        assert_eq!(r.write(b"\x1b[5n"), b"\x1b[0n");
        assert_eq!(r.write(b"\x1b[c\x1b[0c\x1bZ"), b"\x1b[?6c\x1b[?6c\x1b[?6c");
        // Private and unknown reports get no answer.
        assert_eq!(r.write(b"\x1b[?6n\x1b[>c\x1b[1c\x1b[7n"), b"");
    }

    #[test]
    fn sgr_through_the_parser() {
        let mut r = Rig::new(2, 10);
        r.write(b"\x1b[1;31;44mA\x1b[7mB\x1b[0mC\x1b[4;5;35mD\x1b[mE\x1b[2mF\x1b[38;5;4;48;5;11mG");
        let at = |c: usize| r.t.cell(0, c);
        assert_eq!(at(0), Cell { ch: 'A', fg: 9, bg: 4, flags: CellFlags::BOLD });
        assert_eq!(at(1), Cell { ch: 'B', fg: 4, bg: 9, flags: CellFlags::BOLD });
        assert_eq!(at(2), Cell { ch: 'C', ..Cell::BLANK });
        assert_eq!(at(3), Cell { ch: 'D', fg: 5, bg: 0, flags: CellFlags::UNDERLINE.with(CellFlags::BLINK) });
        assert_eq!(at(4), Cell { ch: 'E', ..Cell::BLANK });
        assert_eq!(at(5).flags, CellFlags::DIM);
        assert_eq!((at(6).fg, at(6).bg), (4, 11));
    }

    #[test]
    fn utf8_characters_and_invalid_bytes() {
        let mut r = Rig::new(2, 10);
        r.write("é€😀".as_bytes());
        assert_eq!((r.line(0).as_str(), r.cursor()), ("é€😀", (0, 3)));
        // A character split across writes.
        r.write(b"\xe2\x82");
        assert_eq!(r.cursor(), (0, 3));
        r.write(b"\xac");
        assert_eq!(r.line(0), "é€😀€");
        r.write(b"\r\n\xffa\x80\xc3(\xe2\x82\x1b[32mb");
        assert_eq!(r.line(1), "\u{fffd}a\u{fffd}\u{fffd}(\u{fffd}b");
        assert_eq!(r.t.cell(1, 6).fg, 2);
    }

    #[test]
    fn strings_and_charsets_are_consumed() {
        let mut r = Rig::new(1, 20);
        r.write(b"\x1b]0;title\x07a\x1b]2;t\x1b\\b\x1b]P0123456c\x1b]Rd\x1b(Be\x1b)0f\x1b%Gg\x1bPq\x1b\\h");
        assert_eq!(r.line(0), "abcdefgh");
        // Format effectors inside a string do nothing; CAN ends it.
        r.write(b"\x1b]0;a\r\n\x08\tb\x18i");
        assert_eq!((r.line(0).as_str(), r.cursor()), ("abcdefghi", (0, 9)));
        // Linux's function-key echo, ESC [ [ x.
        r.write(b"\x1b[[Aj");
        assert_eq!(r.line(0), "abcdefghij");
    }

    #[test]
    fn controls_inside_sequences() {
        let mut r = Rig::new(3, 20);
        // CAN and SUB abort; ESC restarts.
        r.write(b"\x1b[31\x18a\x1b[32\x1ab\x1b[33\x1b[34mc");
        assert_eq!(r.line(0), "abc");
        assert_eq!((r.t.cell(0, 0).fg, r.t.cell(0, 2).fg), (7, 4));
        // A line feed in the middle of a CSI acts, and the CSI goes on.
        r.write(b"\x1b[H\x1b[2\nC");
        assert_eq!(r.cursor(), (1, 2));
    }

    #[test]
    fn unknown_sequences_are_ignored() {
        let mut r = Rig::new(2, 40);
        r.write(b"\x1b[?1049h\x1b[?1h\x1b=\x1b[>0c\x1b[1 q\x1b[5;1:2m\x1b[0;1;2;3;4;5;6;7;8;9;10;11;12;13;14;15;16m");
        r.write(b"\x1b[?5h\x1b[3h\x1b[99z\x1b#3\x1bQ\x1b[?25;12l");
        assert_eq!((r.line(0).as_str(), r.cursor(), r.m.cursor.2), ("", (0, 0), false));
        r.write(b"a\x1b[?25h");
        assert_eq!((r.t.cell(0, 0), r.m.cursor.2), (Cell { ch: 'a', ..Cell::BLANK }, true));
        // C0 controls without a function and C1 characters print nothing.
        r.write(b"\x01\x02\x1f\x7f\xc2\x9b");
        assert_eq!((r.line(0).as_str(), r.cursor()), ("a", (0, 1)));
    }

    #[test]
    fn alignment_test_fills_with_e() {
        let mut r = Rig::new(2, 3);
        r.write(b"\x1b#8");
        assert_eq!([r.line(0), r.line(1)], ["EEE", "EEE"]);
    }

    #[test]
    fn newline_mode_returns_the_carriage() {
        let mut r = Rig::new(3, 5);
        r.write(b"ab\x1b[20h\ncd\x1b[20l\nx");
        assert_eq!([r.line(0), r.line(1), r.line(2)], ["ab", "cd", "  x"]);
    }

    /// xorshift64, for reproducible noise.
    fn noise(state: &mut u64) -> u64 {
        *state ^= *state << 13;
        *state ^= *state >> 7;
        *state ^= *state << 17;
        *state
    }

    #[test]
    fn random_bytes_never_break_the_screen() {
        // Half the bytes from the ones sequences are made of.
        const ALPHABET: &[u8] =
            b"\x1b\x1b\x1b[[[;;0123456789?@ABCDEFGHJKLMPXacdefghlmnrsu`]PZ78#(%\n\r\x08\t\x18\xc3\xe2";
        let mut seed = 0x2545_f491_4f6c_dd1d_u64;
        for (rows, cols) in [(1, 1), (1, 7), (6, 1), (2, 2), (5, 9), (24, 80)] {
            let mut r = Rig::new(rows, cols);
            let mut fed = 0;
            while fed < 100_000 {
                let len = (noise(&mut seed) % 64) as usize + 1;
                let chunk: Vec<u8> = (0..len)
                    .map(|_| {
                        let n = noise(&mut seed);
                        if n & 1 == 0 {
                            ALPHABET[(n >> 8) as usize % ALPHABET.len()]
                        } else {
                            (n >> 8) as u8
                        }
                    })
                    .collect();
                r.write(&chunk);
                let (row, col) = r.cursor();
                assert!(row < rows && col < cols, "cursor {row},{col} on {rows}x{cols}");
                fed += len;
            }
        }
    }
}
