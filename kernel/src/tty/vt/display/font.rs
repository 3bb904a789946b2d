//! The console font: 8x16 glyphs of GNU Unifont, taken at build time from
//! grub-common's copy (see build.rs) for ASCII, Latin-1, box drawing and
//! block elements.

/// Entries of a little-endian code point and 16 rows, sorted.
static TABLE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/font.bin"));
const ENTRY: usize = 4 + GLYPH_HEIGHT;

pub const GLYPH_WIDTH: usize = 8;
pub const GLYPH_HEIGHT: usize = 16;

fn entry(i: usize) -> (u32, &'static [u8]) {
    let e = &TABLE[i * ENTRY..(i + 1) * ENTRY];
    (u32::from_le_bytes([e[0], e[1], e[2], e[3]]), &e[4..])
}

fn find(ch: char) -> Option<&'static [u8]> {
    let (mut lo, mut hi) = (0, TABLE.len() / ENTRY);
    while lo < hi {
        let mid = (lo + hi) / 2;
        let (code, rows) = entry(mid);
        match code.cmp(&u32::from(ch)) {
            core::cmp::Ordering::Equal => return Some(rows),
            core::cmp::Ordering::Less => lo = mid + 1,
            core::cmp::Ordering::Greater => hi = mid,
        }
    }
    None
}

/// The rows of `ch`'s glyph (bit 7 leftmost); a question mark for
/// characters the font lacks, blank rows for controls.
pub fn glyph(ch: char) -> &'static [u8] {
    const BLANK: [u8; GLYPH_HEIGHT] = [0; GLYPH_HEIGHT];
    if ch == ' ' || ch.is_control() {
        return &BLANK;
    }
    find(ch).or_else(|| find('?')).unwrap_or(&BLANK)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn table_is_sorted_and_has_ascii() {
        let n = TABLE.len() / ENTRY;
        assert!((1..n).all(|i| entry(i - 1).0 < entry(i).0));
        for c in '!'..='~' {
            assert!(find(c).is_some_and(|rows| rows.iter().any(|&r| r != 0)), "{c:?}");
        }
        assert!(find('é').is_some() && find('│').is_some());
    }

    #[test]
    fn missing_characters_show_a_question_mark() {
        assert_eq!(glyph('\u{4e2d}'), find('?').unwrap());
        assert!(glyph(' ').iter().all(|&r| r == 0));
    }
}
