//! UTF-8 decoding of the console's output, byte by byte. As Linux's console
//! in UTF-8 mode, anything malformed shows as U+FFFD: a byte that cannot
//! start a sequence, a sequence cut short (the byte that cut it is then
//! decoded afresh, so an ESC in the middle of a character still starts an
//! escape sequence), an overlong encoding, a surrogate, or a value past
//! U+10FFFF.

pub const REPLACEMENT: char = '\u{fffd}';

/// What one byte completed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Step {
    /// The byte is part of a character not finished yet.
    More,
    /// A character (U+FFFD for a malformed sequence).
    Char(char),
    /// The sequence in progress broke off before this byte: show U+FFFD,
    /// then push the byte again.
    Broken,
}

#[derive(Clone, Copy, Default)]
pub struct Decoder {
    /// The bits gathered so far.
    value: u32,
    /// Continuation bytes still expected.
    need: u8,
    /// The smallest value this sequence's length may encode (shorter
    /// would be overlong).
    min: u32,
}

impl Decoder {
    pub const fn new() -> Decoder {
        Decoder { value: 0, need: 0, min: 0 }
    }

    pub fn push(&mut self, b: u8) -> Step {
        if self.need > 0 {
            return self.continuation(b);
        }
        match b {
            0x00..=0x7f => Step::Char(char::from(b)),
            0xc2..=0xdf => self.start(b & 0x1f, 1, 0x80),
            0xe0..=0xef => self.start(b & 0x0f, 2, 0x800),
            0xf0..=0xf4 => self.start(b & 0x07, 3, 0x1_0000),
            _ => Step::Char(REPLACEMENT),
        }
    }

    fn start(&mut self, bits: u8, need: u8, min: u32) -> Step {
        self.value = u32::from(bits);
        self.need = need;
        self.min = min;
        Step::More
    }

    fn continuation(&mut self, b: u8) -> Step {
        if b & 0xc0 != 0x80 {
            self.need = 0;
            return Step::Broken;
        }
        self.value = self.value << 6 | u32::from(b & 0x3f);
        self.need -= 1;
        if self.need > 0 {
            return Step::More;
        }
        if self.value < self.min {
            return Step::Char(REPLACEMENT);
        }
        // from_u32 refuses surrogates and values past U+10FFFF.
        Step::Char(char::from_u32(self.value).unwrap_or(REPLACEMENT))
    }
}

#[cfg(test)]
mod tests {
    use alloc::vec::Vec;

    use super::*;

    /// Decodes `bytes` the way the terminal does, pushing a byte again
    /// after a broken sequence.
    fn decode(bytes: &[u8]) -> Vec<char> {
        let mut d = Decoder::new();
        let mut out = Vec::new();
        for &b in bytes {
            let mut step = d.push(b);
            if step == Step::Broken {
                out.push(REPLACEMENT);
                step = d.push(b);
            }
            if let Step::Char(c) = step {
                out.push(c);
            }
        }
        out
    }

    #[test]
    fn decodes_every_length() {
        assert_eq!(decode("aé€😀".as_bytes()), ['a', 'é', '€', '😀']);
    }

    #[test]
    fn malformed_bytes_give_replacement() {
        // A lone continuation byte, an impossible lead byte, C0 (overlong).
        assert_eq!(decode(b"\x80a\xffb\xc0\xafc"), ['\u{fffd}', 'a', '\u{fffd}', 'b', '\u{fffd}', '\u{fffd}', 'c']);
    }

    #[test]
    fn cut_short_sequence_gives_replacement_then_the_byte() {
        assert_eq!(decode(b"\xe2\x82\x1b"), ['\u{fffd}', '\x1b']);
    }

    #[test]
    fn overlong_surrogate_and_too_large_are_rejected() {
        assert_eq!(decode(b"\xe0\x80\x80"), ['\u{fffd}']);
        assert_eq!(decode(b"\xed\xa0\x80"), ['\u{fffd}']);
        assert_eq!(decode(b"\xf4\x90\x80\x80"), ['\u{fffd}']);
    }
}
