//! N_TTY, Linux's line discipline: what each received byte does (flow
//! control, signals, CR/NL translation, canonical editing, echo), the input
//! buffer, and how reads take from it. Facts from Linux's n_tty.c and
//! termios(3); the code is this kernel's own.
//!
//! The buffer holds 4096 entries: a byte plus flags. In canonical mode the
//! bytes before `canon_head` are finished lines, each ending at an entry
//! flagged LINE_END (the newline, EOL, EOL2, or an EOF marker that reads
//! do not return); the bytes after it are the line being edited. In
//! non-canonical mode every byte is readable at once.

use abi::signal::{SIGINT, SIGQUIT, SIGTSTP};
use abi::*;

use super::output::{is_cntrl, is_continuation, Columns, Sink};

pub const BUF_SIZE: usize = 4096;
const MASK: usize = BUF_SIZE - 1;
const LINE_END: u16 = 0x100;
const EOF_MARK: u16 = 0x200;

/// What a received byte asks of the tty beyond the buffer.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Action {
    None,
    /// The buffer is full: the byte was not taken; offer it again later.
    Full,
    /// INTR, QUIT or SUSP: the signal for the foreground process group.
    Signal(i32),
}

pub struct Ldisc {
    buf: [u16; BUF_SIZE],
    read_tail: usize,
    canon_head: usize,
    read_head: usize,
    /// The previous byte was LNEXT: take this one literally.
    lnext: bool,
    /// Inside an ECHOPRT erase ("\abc/").
    erasing: bool,
    pub cols: Columns,
    /// Output stopped by STOP (^S) or by TCOOFF (`tco_stopped`).
    pub stopped: bool,
    pub tco_stopped: bool,
}

/// `c` is the control character at `index`, which is not disabled (0).
fn is_char(t: &Termios, c: u8, index: usize) -> bool {
    t.c_cc[index] != 0 && c == t.c_cc[index]
}

impl Ldisc {
    pub const fn new() -> Ldisc {
        Ldisc {
            buf: [0; BUF_SIZE],
            read_tail: 0,
            canon_head: 0,
            read_head: 0,
            lnext: false,
            erasing: false,
            cols: Columns { column: 0, canon_column: 0 },
            stopped: false,
            tco_stopped: false,
        }
    }

    fn byte(&self, at: usize) -> u8 {
        self.buf[at & MASK] as u8
    }

    fn count(&self) -> usize {
        self.read_head.wrapping_sub(self.read_tail)
    }

    fn put(&mut self, c: u8, flags: u16) {
        self.buf[self.read_head & MASK] = u16::from(c) | flags;
        self.read_head = self.read_head.wrapping_add(1);
    }

    /// Ends a canonical line with `c` (flags say whether it is EOF).
    fn put_line_end(&mut self, c: u8, flags: u16) {
        self.put(c, LINE_END | flags);
        self.canon_head = self.read_head;
    }

    /// Room for one more byte. As Linux, 4095 bytes fit; a canonical line
    /// that fills the buffer keeps its last byte replaced by the newest,
    /// so that a newline can still end it.
    fn make_room(&mut self, icanon: bool) -> bool {
        let count = self.count();
        if count < BUF_SIZE - 1 {
            return true;
        }
        if icanon && self.canon_head == self.read_tail {
            if count == BUF_SIZE {
                self.read_head = self.read_head.wrapping_sub(1);
            }
            return true;
        }
        false
    }

    /// Discards all input (TCIFLUSH, the flush of a signal character,
    /// hangup).
    pub fn flush(&mut self) {
        self.read_tail = self.read_head;
        self.canon_head = self.read_head;
        self.lnext = false;
        self.erasing = false;
    }

    /// Output start and stop, as Linux's start_tty and stop_tty.
    pub fn stop(&mut self) {
        self.stopped = true;
    }

    pub fn start(&mut self) {
        if !self.tco_stopped {
            self.stopped = false;
        }
    }

    // Echo helpers (Linux's echo_char, echo_char_raw, finish_erasing).

    fn echo_raw(&mut self, t: &Termios, c: u8, out: &mut dyn Sink) {
        self.cols.output(t, c, out);
    }

    fn echo_char(&mut self, t: &Termios, c: u8, out: &mut dyn Sink) {
        if t.c_lflag & ECHOCTL != 0 && is_cntrl(c) && c != b'\t' {
            self.cols.output_caret(c, out);
        } else {
            self.cols.output(t, c, out);
        }
    }

    fn finish_erasing(&mut self, t: &Termios, out: &mut dyn Sink) {
        if self.erasing {
            self.echo_raw(t, b'/', out);
            self.erasing = false;
        }
    }

    /// Echoes the first byte of a line: remember where the line began.
    fn echo_set_canon_col(&mut self) {
        if self.canon_head == self.read_head {
            self.cols.canon_column = self.cols.column;
        }
    }

    /// Processes one received byte.
    pub fn receive(&mut self, t: &Termios, mut c: u8, out: &mut dyn Sink) -> Action {
        let (iflag, lflag) = (t.c_iflag, t.c_lflag);
        let icanon = lflag & ICANON != 0;
        if !self.make_room(icanon) {
            return Action::Full;
        }
        if iflag & ISTRIP != 0 {
            c &= 0x7f;
        }
        if iflag & IUCLC != 0 && lflag & IEXTEN != 0 {
            c = c.to_ascii_lowercase();
        }
        if self.lnext {
            self.lnext = false;
            self.receive_plain(t, c, out, true);
            return Action::None;
        }
        if iflag & IXON != 0 {
            if is_char(t, c, VSTART) {
                self.start();
                return Action::None;
            }
            if is_char(t, c, VSTOP) {
                self.stop();
                return Action::None;
            }
        }
        if lflag & ISIG != 0 {
            let sig = [(VINTR, SIGINT), (VQUIT, SIGQUIT), (VSUSP, SIGTSTP)]
                .into_iter()
                .find_map(|(i, s)| is_char(t, c, i).then_some(s));
            if let Some(sig) = sig {
                return self.signal_char(t, c, sig, out);
            }
        }
        if self.stopped && !self.tco_stopped && iflag & IXON != 0 && iflag & IXANY != 0 {
            self.start();
        }
        if c == b'\r' {
            if iflag & IGNCR != 0 {
                return Action::None;
            }
            if iflag & ICRNL != 0 {
                c = b'\n';
            }
        } else if c == b'\n' && iflag & INLCR != 0 {
            c = b'\r';
        }
        if icanon && self.receive_canon_special(t, c, out) {
            return Action::None;
        }
        self.receive_plain(t, c, out, false);
        Action::None
    }

    /// INTR, QUIT, SUSP: flush (unless NOFLSH), restart output, echo.
    fn signal_char(&mut self, t: &Termios, c: u8, sig: i32, out: &mut dyn Sink) -> Action {
        if t.c_lflag & NOFLSH == 0 {
            self.flush();
            out.flush();
        }
        if t.c_iflag & IXON != 0 {
            self.start();
        }
        if t.c_lflag & ECHO != 0 {
            self.echo_char(t, c, out);
        }
        Action::Signal(sig)
    }

    /// A byte stored as data, echoed if ECHO (literal: after LNEXT).
    fn receive_plain(&mut self, t: &Termios, c: u8, out: &mut dyn Sink, literal: bool) {
        if literal && self.stopped && !self.tco_stopped && t.c_iflag & IXON != 0 && t.c_iflag & IXANY != 0 {
            self.start();
        }
        if t.c_lflag & ECHO != 0 {
            self.finish_erasing(t, out);
            if c == b'\n' && !literal {
                self.echo_raw(t, b'\n', out);
            } else {
                self.echo_set_canon_col();
                self.echo_char(t, c, out);
            }
        }
        if c == 0xff && t.c_iflag & PARMRK != 0 {
            self.put(c, 0);
        }
        self.put(c, 0);
    }

    /// The editing and line-ending characters of canonical mode; true if
    /// `c` was one of them.
    fn receive_canon_special(&mut self, t: &Termios, c: u8, out: &mut dyn Sink) -> bool {
        let lflag = t.c_lflag;
        let iexten = lflag & IEXTEN != 0;
        let echo = lflag & ECHO != 0;
        if is_char(t, c, VERASE) || is_char(t, c, VKILL) || (iexten && is_char(t, c, VWERASE)) {
            self.eraser(t, c, out);
            return true;
        }
        if iexten && is_char(t, c, VLNEXT) {
            self.lnext = true;
            if echo {
                self.finish_erasing(t, out);
                if lflag & ECHOCTL != 0 {
                    self.echo_raw(t, b'^', out);
                    self.echo_raw(t, 0x08, out);
                }
            }
            return true;
        }
        if iexten && echo && is_char(t, c, VREPRINT) {
            self.finish_erasing(t, out);
            self.echo_char(t, c, out);
            self.echo_raw(t, b'\n', out);
            let mut at = self.canon_head;
            while at != self.read_head {
                let b = self.byte(at);
                self.echo_char(t, b, out);
                at = at.wrapping_add(1);
            }
            return true;
        }
        if c == b'\n' {
            if echo || lflag & ECHONL != 0 {
                self.echo_raw(t, b'\n', out);
            }
            self.put_line_end(c, 0);
            return true;
        }
        if is_char(t, c, VEOF) {
            self.put_line_end(0, EOF_MARK);
            return true;
        }
        if is_char(t, c, VEOL) || (iexten && is_char(t, c, VEOL2)) {
            if echo {
                self.echo_set_canon_col();
                self.echo_char(t, c, out);
            }
            if c == 0xff && t.c_iflag & PARMRK != 0 {
                self.put(c, 0);
            }
            self.put_line_end(c, 0);
            return true;
        }
        false
    }

    /// ERASE, WERASE and KILL on the line being edited, with their echoes
    /// (Linux's eraser).
    fn eraser(&mut self, t: &Termios, c: u8, out: &mut dyn Sink) {
        #[derive(PartialEq)]
        enum Kind {
            Erase,
            Werase,
            Kill,
        }
        let lflag = t.c_lflag;
        let echo = lflag & ECHO != 0;
        if self.read_head == self.canon_head {
            return;
        }
        let kind = if is_char(t, c, VERASE) {
            Kind::Erase
        } else if is_char(t, c, VWERASE) {
            Kind::Werase
        } else {
            if !echo {
                self.read_head = self.canon_head;
                return;
            }
            if lflag & ECHOK == 0 || lflag & ECHOKE == 0 || lflag & ECHOE == 0 {
                self.read_head = self.canon_head;
                self.finish_erasing(t, out);
                self.echo_char(t, t.c_cc[VKILL], out);
                if lflag & ECHOK != 0 {
                    self.echo_raw(t, b'\n', out);
                }
                return;
            }
            Kind::Kill
        };
        let mut seen_alnums = 0;
        while self.read_head != self.canon_head {
            // One character, with its UTF-8 continuation bytes.
            let mut head = self.read_head;
            let mut ch;
            loop {
                head = head.wrapping_sub(1);
                ch = self.byte(head);
                if !(is_continuation(t, ch) && head != self.canon_head) {
                    break;
                }
            }
            if is_continuation(t, ch) {
                break;
            }
            if kind == Kind::Werase {
                if ch.is_ascii_alphanumeric() || ch == b'_' {
                    seen_alnums += 1;
                } else if seen_alnums > 0 {
                    break;
                }
            }
            let cnt = self.read_head.wrapping_sub(head);
            self.read_head = head;
            if echo {
                self.echo_erase(t, kind == Kind::Erase, ch, head, cnt, out);
            }
            if kind == Kind::Erase {
                break;
            }
        }
        if self.read_head == self.canon_head && echo {
            self.finish_erasing(t, out);
        }
    }

    /// The echo of one erased character `ch` (at `head`, `cnt` bytes).
    fn echo_erase(&mut self, t: &Termios, plain_erase: bool, ch: u8, head: usize, cnt: usize, out: &mut dyn Sink) {
        let lflag = t.c_lflag;
        if lflag & ECHOPRT != 0 {
            if !self.erasing {
                self.echo_raw(t, b'\\', out);
                self.erasing = true;
            }
            self.echo_char(t, ch, out);
            for i in 1..cnt {
                let b = self.byte(head.wrapping_add(i));
                self.echo_raw(t, b, out);
                self.cols.column = self.cols.column.saturating_sub(1);
            }
        } else if plain_erase && lflag & ECHOE == 0 {
            self.echo_char(t, t.c_cc[VERASE], out);
        } else if ch == b'\t' {
            // Columns taken since the line began or the previous tab.
            let mut chars = 0u32;
            let mut after_tab = false;
            let mut at = self.read_head;
            while at != self.canon_head {
                at = at.wrapping_sub(1);
                let b = self.byte(at);
                if b == b'\t' {
                    after_tab = true;
                    break;
                } else if is_cntrl(b) {
                    if lflag & ECHOCTL != 0 {
                        chars += 2;
                    }
                } else if !is_continuation(t, b) {
                    chars += 1;
                }
            }
            self.cols.erase_tab(chars, after_tab, out);
        } else {
            let ctl = is_cntrl(ch);
            let times = usize::from(ctl && lflag & ECHOCTL != 0) + usize::from(!ctl || lflag & ECHOCTL != 0);
            for _ in 0..times {
                for b in [0x08, b' ', 0x08] {
                    self.echo_raw(t, b, out);
                }
            }
        }
    }

    /// The switch between canonical and non-canonical mode (Linux's
    /// n_tty_set_termios): leaving canonical mode makes every byte
    /// readable; entering it with bytes pending makes them one line.
    pub fn set_mode(&mut self, was_canon: bool, now_canon: bool) {
        if was_canon == now_canon {
            return;
        }
        let mut at = self.read_tail;
        while at != self.read_head {
            self.buf[at & MASK] &= 0xff;
            at = at.wrapping_add(1);
        }
        if now_canon && self.count() > 0 {
            let last = self.read_head.wrapping_sub(1) & MASK;
            self.buf[last] |= LINE_END;
            self.canon_head = self.read_head;
        } else {
            self.canon_head = self.read_tail;
        }
        self.erasing = false;
        self.lnext = false;
    }

    /// Whether a read would find input: a finished line in canonical
    /// mode, else at least one byte (for poll with MIN > 0 and TIME 0, at
    /// least MIN bytes, as Linux's input_available_p).
    pub fn input_available(&self, t: &Termios, for_poll: bool) -> bool {
        if t.c_lflag & ICANON != 0 {
            return self.canon_head != self.read_tail;
        }
        let (min, time) = (usize::from(t.c_cc[VMIN]), t.c_cc[VTIME]);
        let amount = if for_poll && time == 0 && min > 0 { min } else { 1 };
        self.count() >= amount
    }

    /// Takes up to one line (canonical mode). None when no line is ready;
    /// Some(0) for an end-of-file line.
    pub fn read_canon(&mut self, out: &mut [u8]) -> Option<usize> {
        if self.canon_head == self.read_tail {
            return None;
        }
        let mut end = self.read_tail;
        while end != self.canon_head && self.buf[end & MASK] & LINE_END == 0 {
            end = end.wrapping_add(1);
        }
        let eof = self.buf[end & MASK] & EOF_MARK != 0;
        let line = end.wrapping_sub(self.read_tail) + usize::from(!eof);
        let n = line.min(out.len());
        for (i, b) in out[..n].iter_mut().enumerate() {
            *b = self.byte(self.read_tail.wrapping_add(i));
        }
        self.read_tail = if n == line { end.wrapping_add(1) } else { self.read_tail.wrapping_add(n) };
        Some(n)
    }

    /// Takes what is there, up to `out.len()` bytes (non-canonical mode).
    pub fn read_raw(&mut self, out: &mut [u8]) -> usize {
        let n = self.count().min(out.len());
        for (i, b) in out[..n].iter_mut().enumerate() {
            *b = self.byte(self.read_tail.wrapping_add(i));
        }
        self.read_tail = self.read_tail.wrapping_add(n);
        if self.canon_head.wrapping_sub(self.read_tail) > BUF_SIZE {
            self.canon_head = self.read_tail;
        }
        n
    }

    /// FIONREAD: finished lines without their EOF markers (canonical), or
    /// every byte.
    pub fn readable_bytes(&self, t: &Termios) -> usize {
        if t.c_lflag & ICANON == 0 {
            return self.count();
        }
        let mut n = 0;
        let mut at = self.read_tail;
        while at != self.canon_head {
            if self.buf[at & MASK] & EOF_MARK == 0 {
                n += 1;
            }
            at = at.wrapping_add(1);
        }
        n
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use super::*;

    /// Collects what the line discipline echoes.
    #[derive(Default)]
    struct Echo(Vec<u8>);

    impl Sink for Echo {
        fn put(&mut self, bytes: &[u8]) {
            self.0.extend_from_slice(bytes);
        }
        fn flush(&mut self) {
            self.0.clear();
        }
    }

    fn type_in(l: &mut Ldisc, t: &Termios, bytes: &[u8], echo: &mut Echo) -> Vec<Action> {
        bytes.iter().map(|&b| l.receive(t, b, echo)).collect()
    }

    fn read_line(l: &mut Ldisc) -> Option<Vec<u8>> {
        let mut out = [0u8; 64];
        l.read_canon(&mut out).map(|n| out[..n].to_vec())
    }

    #[test]
    fn canonical_line_is_readable_only_after_newline() {
        let (mut l, t, mut echo) = (Ldisc::new(), Termios::sane(), Echo::default());
        type_in(&mut l, &t, b"ls", &mut echo);
        assert!(!l.input_available(&t, false));
        type_in(&mut l, &t, b"\r", &mut echo);
        assert!(l.input_available(&t, false));
        assert_eq!(read_line(&mut l).as_deref(), Some(&b"ls\n"[..]), "ICRNL turns CR into NL");
        assert_eq!(echo.0, b"ls\r\n", "echo with ONLCR");
    }

    #[test]
    fn erase_and_kill_edit_the_line() {
        let (mut l, t, mut echo) = (Ldisc::new(), Termios::sane(), Echo::default());
        type_in(&mut l, &t, b"abc\x7fd\n", &mut echo);
        assert_eq!(read_line(&mut l).as_deref(), Some(&b"abd\n"[..]));
        type_in(&mut l, &t, b"junk\x15ok\n", &mut echo);
        assert_eq!(read_line(&mut l).as_deref(), Some(&b"ok\n"[..]));
    }

    #[test]
    fn intr_raises_sigint_and_flushes_the_line() {
        let (mut l, t, mut echo) = (Ldisc::new(), Termios::sane(), Echo::default());
        let actions = type_in(&mut l, &t, b"half\x03", &mut echo);
        assert_eq!(actions.last(), Some(&Action::Signal(SIGINT)));
        type_in(&mut l, &t, b"x\n", &mut echo);
        assert_eq!(read_line(&mut l).as_deref(), Some(&b"x\n"[..]));
    }

    #[test]
    fn eof_at_line_start_reads_as_zero_bytes() {
        let (mut l, t, mut echo) = (Ldisc::new(), Termios::sane(), Echo::default());
        type_in(&mut l, &t, b"\x04", &mut echo);
        assert_eq!(read_line(&mut l).as_deref(), Some(&b""[..]));
    }

    #[test]
    fn raw_mode_bytes_are_readable_at_once() {
        let (mut l, mut t, mut echo) = (Ldisc::new(), Termios::sane(), Echo::default());
        t.c_lflag &= !(ICANON | ECHO);
        l.set_mode(true, false);
        type_in(&mut l, &t, b"q", &mut echo);
        let mut out = [0u8; 8];
        assert_eq!(l.read_raw(&mut out), 1);
        assert_eq!(out[0], b'q');
        assert!(echo.0.is_empty(), "no echo without ECHO");
    }
}
