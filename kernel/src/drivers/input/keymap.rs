//! The PC keyboard's scan codes as the bytes a terminal reads: what Linux's
//! console keyboard sends with its default US keymap (defkeymap).
//!
//! The input is scan code set 1, what the i8042 controller delivers with
//! translation on (the default, and what QEMU's `sendkey` produces): one
//! byte per key press, the same with bit 7 set on release, 0xE0 before
//! the keys a PC/AT keyboard lacked (arrows, the editing block, right Ctrl
//! and Alt, keypad Enter and /), and for Pause the six bytes E1 1D 45 E1
//! 9D C5 and no release.
//!
//! As Linux: Alt sends ESC before the key (its "meta sends escape" mode);
//! Ctrl turns a key into its control character by the key, whatever Shift
//! says; Caps Lock shifts letters only; the keypad gives digits with Num
//! Lock on, editing keys with it off; keypad and editing keys ignore Alt
//! and Ctrl. Unlike Linux, right Alt is Alt (Linux's US map makes it
//! AltGr, which types nothing more there), Alt with F1..F12 sends the key
//! (Linux switches consoles; there is one), and Scroll Lock only toggles
//! its LED (Linux holds output).

/// The editing keys, as Linux's console sends them.
const UP: &[u8] = b"\x1b[A";
const DOWN: &[u8] = b"\x1b[B";
const RIGHT: &[u8] = b"\x1b[C";
const LEFT: &[u8] = b"\x1b[D";
const HOME: &[u8] = b"\x1b[1~";
const INSERT: &[u8] = b"\x1b[2~";
const DELETE: &[u8] = b"\x1b[3~";
const END: &[u8] = b"\x1b[4~";
const PAGE_UP: &[u8] = b"\x1b[5~";
const PAGE_DOWN: &[u8] = b"\x1b[6~";
/// Keypad 5 with Num Lock off.
const KEYPAD_5: &[u8] = b"\x1b[G";
const PAUSE: &[u8] = b"\x1b[P";

/// F1..F20: F1..F12 plain, Shift+F1..F10 give F11..F20.
const FUNCTION: [&[u8]; 20] = [
    b"\x1b[[A",
    b"\x1b[[B",
    b"\x1b[[C",
    b"\x1b[[D",
    b"\x1b[[E",
    b"\x1b[17~",
    b"\x1b[18~",
    b"\x1b[19~",
    b"\x1b[20~",
    b"\x1b[21~",
    b"\x1b[23~",
    b"\x1b[24~",
    b"\x1b[25~",
    b"\x1b[26~",
    b"\x1b[28~",
    b"\x1b[29~",
    b"\x1b[31~",
    b"\x1b[32~",
    b"\x1b[33~",
    b"\x1b[34~",
];

const ESC: u8 = 0x1b;
const RELEASE: u8 = 0x80;

/// The LED bits of the keyboard's 0xED command.
pub const LED_SCROLL: u8 = 1 << 0;
pub const LED_NUM: u8 = 1 << 1;
pub const LED_CAPS: u8 = 1 << 2;

/// A character key of the US layout: its character without and with
/// Shift.
fn us_layout(key: u8) -> Option<(u8, u8)> {
    let row = |plain: &[u8], shifted: &[u8], first: u8| {
        let i = usize::from(key - first);
        Some((plain[i], shifted[i]))
    };
    match key {
        0x02..=0x0d => row(b"1234567890-=", b"!@#$%^&*()_+", 0x02),
        0x10..=0x1b => row(b"qwertyuiop[]", b"QWERTYUIOP{}", 0x10),
        0x1e..=0x29 => row(b"asdfghjkl;'`", b"ASDFGHJKL:\"~", 0x1e),
        0x2b..=0x35 => row(b"\\zxcvbnm,./", b"|ZXCVBNM<>?", 0x2b),
        0x39 => Some((b' ', b' ')),
        // The key left of Z on 102-key keyboards.
        0x56 => Some((b'<', b'>')),
        _ => None,
    }
}

/// Ctrl with the key whose unshifted character is `plain`, as defkeymap
/// has it (Ctrl+2 and Ctrl+space are NUL, Ctrl+3..7 the other controls
/// above 0x1a, Ctrl+8 and Ctrl+/ DEL...). None for keys Ctrl leaves alone.
fn control(plain: u8) -> Option<u8> {
    Some(match plain {
        b'a'..=b'z' => plain & 0x1f,
        b'2' | b' ' | b'`' => 0,
        b'3' | b'[' => 0x1b,
        b'4' | b'\\' => 0x1c,
        b'5' | b']' => 0x1d,
        b'6' => 0x1e,
        b'7' | b'-' => 0x1f,
        b'8' | b'/' => 0x7f,
        b'\'' => 0x07,
        _ => return None,
    })
}

/// A lock key: it toggles when pressed, not again while it repeats.
#[derive(Clone, Copy)]
struct Lock {
    on: bool,
    held: bool,
}

impl Lock {
    const OFF: Lock = Lock { on: false, held: false };

    fn key(&mut self, down: bool) {
        if down && !self.held {
            self.on = !self.on;
        }
        self.held = down;
    }
}

/// A left and a right modifier key.
#[derive(Clone, Copy)]
struct Pair {
    left: bool,
    right: bool,
}

impl Pair {
    const UP: Pair = Pair { left: false, right: false };

    fn down(self) -> bool {
        self.left || self.right
    }
}

pub struct Keyboard {
    shift: Pair,
    ctrl: Pair,
    alt: Pair,
    caps: Lock,
    num: Lock,
    scroll: Lock,
    /// The previous byte was 0xE0.
    extended: bool,
    /// Bytes of an E1 group still to come (Pause's), and its first.
    e1_left: u8,
    e1_first: u8,
}

impl Default for Keyboard {
    fn default() -> Keyboard {
        Keyboard::new()
    }
}

impl Keyboard {
    /// No key down, every lock off (Linux's default LEDs).
    pub const fn new() -> Keyboard {
        Keyboard {
            shift: Pair::UP,
            ctrl: Pair::UP,
            alt: Pair::UP,
            caps: Lock::OFF,
            num: Lock::OFF,
            scroll: Lock::OFF,
            extended: false,
            e1_left: 0,
            e1_first: 0,
        }
    }

    /// Feeds one byte from the controller; calls `out` with the bytes the
    /// key press produces (none for releases and modifiers).
    pub fn feed(&mut self, scancode: u8, out: &mut dyn FnMut(&[u8])) {
        if self.e1_left > 0 {
            self.e1_byte(scancode, out);
            return;
        }
        match scancode {
            0xe0 => self.extended = true,
            0xe1 => {
                self.extended = false;
                self.e1_left = 2;
            }
            _ => {
                let extended = core::mem::replace(&mut self.extended, false);
                let key = scancode & !RELEASE;
                let down = scancode & RELEASE == 0;
                if !self.modifier(key, extended, down) && down {
                    self.press(key, extended, out);
                }
            }
        }
    }

    /// The LEDs to show (bit 0 scroll, bit 1 num, bit 2 caps: the PS/2 0xED
    /// command's byte) after the last feed.
    pub fn leds(&self) -> u8 {
        let bit = |lock: Lock, led: u8| if lock.on { led } else { 0 };
        bit(self.scroll, LED_SCROLL) | bit(self.num, LED_NUM) | bit(self.caps, LED_CAPS)
    }

    /// The two bytes after E1: 1D 45 is Pause pressed, 9D C5 its release.
    fn e1_byte(&mut self, b: u8, out: &mut dyn FnMut(&[u8])) {
        self.e1_left -= 1;
        if self.e1_left == 1 {
            self.e1_first = b;
        } else if self.e1_first == 0x1d && b == 0x45 {
            out(PAUSE);
        }
    }

    /// Shift, Ctrl, Alt and the locks; false if `key` is none of them.
    /// The shifts the keyboard fakes around extended keys (E0 2A, E0 AA,
    /// E0 36, E0 B6) and Ctrl+Break (E0 46) are ignored.
    fn modifier(&mut self, key: u8, extended: bool, down: bool) -> bool {
        match (extended, key) {
            (false, 0x2a) => self.shift.left = down,
            (false, 0x36) => self.shift.right = down,
            (false, 0x1d) => self.ctrl.left = down,
            (true, 0x1d) => self.ctrl.right = down,
            (false, 0x38) => self.alt.left = down,
            (true, 0x38) => self.alt.right = down,
            (false, 0x3a) => self.caps.key(down),
            (false, 0x45) => self.num.key(down),
            (false, 0x46) => self.scroll.key(down),
            (true, 0x2a | 0x36 | 0x46) => {}
            _ => return false,
        }
        true
    }

    /// A key pressed (or repeating) that is not a modifier.
    fn press(&self, key: u8, extended: bool, out: &mut dyn FnMut(&[u8])) {
        if extended {
            if let Some(seq) = extended_key(key) {
                out(seq);
            }
            return;
        }
        match key {
            0x01 => self.send(ESC, out),
            0x0e => self.send(if self.ctrl.down() { 0x08 } else { 0x7f }, out),
            0x0f => self.send(b'\t', out),
            0x1c => self.send(b'\r', out),
            0x37 => out(b"*"),
            0x4a => out(b"-"),
            0x4e => out(b"+"),
            0x3b..=0x44 => out(FUNCTION[usize::from(key - 0x3b) + if self.shift.down() { 10 } else { 0 }]),
            0x57 => out(FUNCTION[10]),
            0x58 => out(FUNCTION[11]),
            0x47..=0x53 => self.keypad(key, out),
            _ => {
                if let Some(c) = self.character(key) {
                    self.send(c, out);
                }
            }
        }
    }

    /// A character key with Shift, Caps Lock and Ctrl applied.
    fn character(&self, key: u8) -> Option<u8> {
        let (plain, shifted) = us_layout(key)?;
        if self.ctrl.down() {
            if let Some(c) = control(plain) {
                return Some(c);
            }
        }
        let shift = self.shift.down() != (self.caps.on && plain.is_ascii_lowercase());
        Some(if shift { shifted } else { plain })
    }

    /// A byte from the main keys: Alt puts ESC before it.
    fn send(&self, c: u8, out: &mut dyn FnMut(&[u8])) {
        if self.alt.down() {
            out(&[ESC, c]);
        } else {
            out(&[c]);
        }
    }

    /// The keypad's 7 8 9 / 4 5 6 / 1 2 3 / 0 . keys: digits with Num Lock
    /// on, the editing keys printed under them with it off.
    fn keypad(&self, key: u8, out: &mut dyn FnMut(&[u8])) {
        let (digit, editing): (&[u8], &[u8]) = match key {
            0x47 => (b"7", HOME),
            0x48 => (b"8", UP),
            0x49 => (b"9", PAGE_UP),
            0x4b => (b"4", LEFT),
            0x4c => (b"5", KEYPAD_5),
            0x4d => (b"6", RIGHT),
            0x4f => (b"1", END),
            0x50 => (b"2", DOWN),
            0x51 => (b"3", PAGE_DOWN),
            0x52 => (b"0", INSERT),
            0x53 => (b".", DELETE),
            _ => return,
        };
        out(if self.num.on { digit } else { editing });
    }
}

/// The keys after E0; None for those that send nothing (Print Screen,
/// the Windows and menu keys, multimedia keys).
fn extended_key(key: u8) -> Option<&'static [u8]> {
    Some(match key {
        0x1c => b"\r",
        0x35 => b"/",
        0x47 => HOME,
        0x48 => UP,
        0x49 => PAGE_UP,
        0x4b => LEFT,
        0x4d => RIGHT,
        0x4f => END,
        0x50 => DOWN,
        0x51 => PAGE_DOWN,
        0x52 => INSERT,
        0x53 => DELETE,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use super::*;

    /// Feeds the scan codes; returns all the bytes produced.
    fn keys(kb: &mut Keyboard, codes: &[u8]) -> Vec<u8> {
        let mut bytes = Vec::new();
        for &c in codes {
            kb.feed(c, &mut |b: &[u8]| bytes.extend_from_slice(b));
        }
        bytes
    }

    fn fresh(codes: &[u8]) -> Vec<u8> {
        keys(&mut Keyboard::new(), codes)
    }

    const SHIFT: u8 = 0x2a;
    const CTRL: u8 = 0x1d;
    const ALT: u8 = 0x38;
    const CAPS: u8 = 0x3a;
    const NUM: u8 = 0x45;

    #[test]
    fn letters_digits_and_punctuation() {
        assert_eq!(fresh(&[0x1e, 0x9e, 0x30, 0xb0, 0x02, 0x0c, 0x1a, 0x35, 0x39]), b"ab1-[/ ");
        assert_eq!(fresh(&[SHIFT, 0x1e, 0x02, 0x0c, 0x1a, 0x35, 0x28, 0x29]), b"A!_{?\"~");
    }

    #[test]
    fn shift_release_and_the_other_shift() {
        let mut kb = Keyboard::new();
        assert_eq!(keys(&mut kb, &[SHIFT, 0x1e, SHIFT | RELEASE, 0x1e]), b"Aa");
        assert_eq!(keys(&mut kb, &[SHIFT, 0x36, SHIFT | RELEASE, 0x1e, 0x36 | RELEASE, 0x1e]), b"Aa");
    }

    #[test]
    fn caps_lock_shifts_letters_only() {
        let mut kb = Keyboard::new();
        assert_eq!(keys(&mut kb, &[CAPS, CAPS | RELEASE, 0x1e, 0x02]), b"A1");
        assert_eq!(kb.leds(), LED_CAPS);
        assert_eq!(keys(&mut kb, &[SHIFT, 0x1e, 0x02, SHIFT | RELEASE]), b"a!");
        // A held Caps Lock repeats its make code; it toggles once.
        assert_eq!(keys(&mut kb, &[CAPS, CAPS, CAPS, CAPS | RELEASE, 0x1e]), b"a");
        assert_eq!(kb.leds(), 0);
    }

    #[test]
    fn control_characters() {
        assert_eq!(fresh(&[CTRL, 0x2e]), [0x03]);
        assert_eq!(fresh(&[0xe0, CTRL, 0x2e, 0xe0, CTRL | RELEASE, 0x2e]), [0x03, b'c']);
        assert_eq!(fresh(&[CTRL, SHIFT, 0x2e]), [0x03]);
        // Space, [ \ ] 6 (^) - (_), 2 (@) and Backspace.
        let expected = [0x00, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f, 0x00, 0x08];
        assert_eq!(fresh(&[CTRL, 0x39, 0x1a, 0x2b, 0x1b, 0x07, 0x0c, 0x03, 0x0e]), expected);
        assert_eq!(fresh(&[CTRL, SHIFT, 0x07, 0x0c, 0x03]), [0x1e, 0x1f, 0x00]);
        // Keys Ctrl leaves alone.
        assert_eq!(fresh(&[CTRL, 0x0b, 0x33]), b"0,");
    }

    #[test]
    fn special_keys() {
        assert_eq!(fresh(&[0x1c, 0x0e, 0x0f, 0x01, 0xe0, 0x1c, 0xe0, 0x35, 0x37, 0x4a, 0x4e]), b"\r\x7f\t\x1b\r/*-+");
        assert_eq!(fresh(&[CTRL, 0x0e]), [0x08]);
        assert_eq!(fresh(&[0x3b, 0x3f, 0x40, 0x44, 0x57, 0x58]), b"\x1b[[A\x1b[[E\x1b[17~\x1b[21~\x1b[23~\x1b[24~");
        assert_eq!(fresh(&[SHIFT, 0x3b, 0x3c]), b"\x1b[23~\x1b[24~");
    }

    #[test]
    fn arrows_and_editing_keys() {
        let codes = [0x48, 0x50, 0x4d, 0x4b, 0x47, 0x52, 0x53, 0x4f, 0x49, 0x51];
        let all: Vec<u8> = codes.iter().flat_map(|&c| [0xe0, c, 0xe0, c | RELEASE]).collect();
        let expected = b"\x1b[A\x1b[B\x1b[C\x1b[D\x1b[1~\x1b[2~\x1b[3~\x1b[4~\x1b[5~\x1b[6~";
        assert_eq!(fresh(&all), expected);
        // With Num Lock on they are still the editing keys.
        assert_eq!(fresh(&[NUM, NUM | RELEASE, 0xe0, 0x48]), b"\x1b[A");
    }

    #[test]
    fn alt_sends_escape_first() {
        assert_eq!(fresh(&[ALT, 0x2d]), b"\x1bx");
        assert_eq!(fresh(&[0xe0, ALT, SHIFT, 0x2d]), b"\x1bX");
        assert_eq!(fresh(&[ALT, CTRL, 0x2e]), [0x1b, 0x03]);
        assert_eq!(fresh(&[ALT, 0x2d, ALT | RELEASE, 0x2d]), b"\x1bxx");
    }

    #[test]
    fn releases_and_modifiers_produce_nothing() {
        let releases: Vec<u8> = (0x01..0x59).map(|c| c | RELEASE).collect();
        assert_eq!(fresh(&releases), b"");
        assert_eq!(fresh(&[SHIFT, CTRL, ALT, 0xe0, CTRL, 0xe0, ALT, CAPS, NUM, 0x46]), b"");
        // Unknown codes, extended ones included, and controller replies.
        assert_eq!(fresh(&[0x00, 0x54, 0x59, 0x7f, 0xe0, 0x5b, 0xe0, 0x37, 0xfa, 0xfe, 0xee]), b"");
    }

    #[test]
    fn numpad_with_and_without_num_lock() {
        let pad = [0x47, 0x48, 0x49, 0x4b, 0x4c, 0x4d, 0x4f, 0x50, 0x51, 0x52, 0x53];
        let mut kb = Keyboard::new();
        let editing = b"\x1b[1~\x1b[A\x1b[5~\x1b[D\x1b[G\x1b[C\x1b[4~\x1b[B\x1b[6~\x1b[2~\x1b[3~";
        assert_eq!(keys(&mut kb, &pad), editing);
        assert_eq!(keys(&mut kb, &[NUM, NUM | RELEASE]), b"");
        assert_eq!(kb.leds(), LED_NUM);
        assert_eq!(keys(&mut kb, &pad), b"7894561230.");
    }

    #[test]
    fn fake_shifts_and_pause() {
        let mut kb = Keyboard::new();
        assert_eq!(keys(&mut kb, &[0xe0, 0x2a, 0xe0, 0x48, 0xe0, 0xc8, 0xe0, 0xaa, 0x1e]), b"\x1b[Aa");
        assert_eq!(keys(&mut kb, &[0xe1, 0x1d, 0x45, 0xe1, 0x9d, 0xc5, 0x1e]), b"\x1b[Pa");
        // Ctrl+Break does not toggle Scroll Lock.
        assert_eq!(keys(&mut kb, &[0xe0, 0x46, 0xe0, 0xc6]), b"");
        assert_eq!(kb.leds(), 0);
        assert_eq!(keys(&mut kb, &[0x46, 0xc6]), b"");
        assert_eq!(kb.leds(), LED_SCROLL);
    }
}
