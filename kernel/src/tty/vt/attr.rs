//! Character attributes, set by SGR ("CSI ... m"), and the colors a cell
//! is painted with.
//!
//! Colors are the 16 of the console's palette, as ANSI numbers them: 0
//! black, 1 red, 2 green, 3 yellow (brown), 4 blue, 5 magenta, 6 cyan, 7
//! white (light grey), and 8..=15 their bright variants. The 256-color and
//! 24-bit forms (38;5;n, 38;2;r;g;b and 48's likewise) become the nearest
//! of these 16, as Linux's console also reduces them: indices 0..=15 are
//! kept as they are; the others are turned into RGB (xterm's 6x6x6 cube
//! and grey ramp) and matched to the VGA palette by squared distance.

use super::screen::{Cell, CellFlags};

pub const DEFAULT_FG: u8 = 7;
pub const DEFAULT_BG: u8 = 0;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Intensity {
    Normal,
    Bold,
    Half,
}

/// The attributes the next printed character gets.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Attr {
    pub fg: u8,
    pub bg: u8,
    pub intensity: Intensity,
    pub underline: bool,
    pub blink: bool,
    pub reverse: bool,
}

/// The VGA palette's RGB values, in ANSI order.
const PALETTE: [(u8, u8, u8); 16] = [
    (0x00, 0x00, 0x00),
    (0xaa, 0x00, 0x00),
    (0x00, 0xaa, 0x00),
    (0xaa, 0x55, 0x00),
    (0x00, 0x00, 0xaa),
    (0xaa, 0x00, 0xaa),
    (0x00, 0xaa, 0xaa),
    (0xaa, 0xaa, 0xaa),
    (0x55, 0x55, 0x55),
    (0xff, 0x55, 0x55),
    (0x55, 0xff, 0x55),
    (0xff, 0xff, 0x55),
    (0x55, 0x55, 0xff),
    (0xff, 0x55, 0xff),
    (0x55, 0xff, 0xff),
    (0xff, 0xff, 0xff),
];

/// The palette color nearest to an RGB value.
pub fn nearest(r: u8, g: u8, b: u8) -> u8 {
    let dist = |&(pr, pg, pb): &(u8, u8, u8)| {
        let d = |x: u8, y: u8| (i32::from(x) - i32::from(y)).pow(2);
        d(r, pr) + d(g, pg) + d(b, pb)
    };
    let (index, _) = PALETTE.iter().enumerate().min_by_key(|(_, c)| dist(c)).unwrap_or((0, &PALETTE[0]));
    index as u8
}

/// One of xterm's 256 colors as a palette index.
pub fn from_256(n: u32) -> u8 {
    const LEVELS: [u8; 6] = [0x00, 0x5f, 0x87, 0xaf, 0xd7, 0xff];
    match n {
        0..=15 => n as u8,
        16..=231 => {
            let i = (n - 16) as usize;
            nearest(LEVELS[i / 36], LEVELS[i / 6 % 6], LEVELS[i % 6])
        }
        _ => {
            let grey = (8 + 10 * (n.min(255) - 232)) as u8;
            nearest(grey, grey, grey)
        }
    }
}

/// The argument of 38 or 48 at the start of `rest`: "5;n" or "2;r;g;b".
/// Returns the color, if complete, and how many parameters it took (as
/// Linux: an unknown or incomplete form takes only its first).
fn extended_color(rest: &[u32]) -> (Option<u8>, usize) {
    let byte = |v: u32| v.min(255) as u8;
    match *rest {
        [5, n, ..] => (Some(from_256(n)), 2),
        [2, r, g, b, ..] => (Some(nearest(byte(r), byte(g), byte(b))), 4),
        [] => (None, 0),
        _ => (None, 1),
    }
}

impl Attr {
    pub const DEFAULT: Attr = Attr {
        fg: DEFAULT_FG,
        bg: DEFAULT_BG,
        intensity: Intensity::Normal,
        underline: false,
        blink: false,
        reverse: false,
    };

    /// The cell for `ch` printed with these attributes: bold shows as the
    /// bright foreground (as on Linux's VGA and framebuffer consoles), and
    /// reverse video swaps the colors here, so a display paints `fg` on
    /// `bg` as they come.
    pub fn cell(&self, ch: char) -> Cell {
        let mut flags = CellFlags::NONE;
        let mut fg = self.fg;
        match self.intensity {
            Intensity::Bold => {
                flags = flags.with(CellFlags::BOLD);
                fg |= 8;
            }
            Intensity::Half => flags = flags.with(CellFlags::DIM),
            Intensity::Normal => {}
        }
        if self.underline {
            flags = flags.with(CellFlags::UNDERLINE);
        }
        if self.blink {
            flags = flags.with(CellFlags::BLINK);
        }
        let (fg, bg) = if self.reverse { (self.bg, fg) } else { (fg, self.bg) };
        Cell { ch, fg, bg, flags }
    }

    /// What erasing fills with: a space in the current colors, not
    /// reversed and without other attributes (Linux's video_erase_char).
    pub fn blank(&self) -> Cell {
        Cell { ch: ' ', fg: self.fg, bg: self.bg, flags: CellFlags::NONE }
    }

    /// Applies SGR's parameters in order.
    pub fn sgr(&mut self, params: &[u32]) {
        let mut i = 0;
        while i < params.len() {
            i += 1 + self.sgr_one(params[i], &params[i + 1..]);
        }
    }

    /// One SGR parameter; returns how many of the following ones it took.
    fn sgr_one(&mut self, p: u32, rest: &[u32]) -> usize {
        match p {
            0 => *self = Attr::DEFAULT,
            1 => self.intensity = Intensity::Bold,
            2 => self.intensity = Intensity::Half,
            4 => self.underline = true,
            5 => self.blink = true,
            7 => self.reverse = true,
            21 | 22 => self.intensity = Intensity::Normal,
            24 => self.underline = false,
            25 => self.blink = false,
            27 => self.reverse = false,
            30..=37 => self.fg = (p - 30) as u8,
            39 => self.fg = DEFAULT_FG,
            40..=47 => self.bg = (p - 40) as u8,
            49 => self.bg = DEFAULT_BG,
            90..=97 => self.fg = (p - 90) as u8 + 8,
            100..=107 => self.bg = (p - 100) as u8 + 8,
            38 | 48 => {
                let (color, taken) = extended_color(rest);
                if let Some(c) = color {
                    if p == 38 {
                        self.fg = c;
                    } else {
                        self.bg = c;
                    }
                }
                return taken;
            }
            _ => {}
        }
        0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn after(params: &[u32]) -> Attr {
        let mut a = Attr::DEFAULT;
        a.sgr(params);
        a
    }

    #[test]
    fn basic_colors_and_reset() {
        let a = after(&[1, 31, 44]);
        assert_eq!((a.fg, a.bg, a.intensity), (1, 4, Intensity::Bold));
        assert_eq!(after(&[1, 31, 44, 0]), Attr::DEFAULT);
        assert_eq!(after(&[31, 39]).fg, DEFAULT_FG);
        assert_eq!(after(&[41, 49]).bg, DEFAULT_BG);
    }

    #[test]
    fn bright_colors() {
        let a = after(&[92, 103]);
        assert_eq!((a.fg, a.bg), (10, 11));
    }

    #[test]
    fn bold_brightens_and_reverse_swaps() {
        let c = after(&[1, 32, 40]).cell('x');
        assert_eq!((c.fg, c.bg), (10, 0));
        assert!(c.flags.contains(CellFlags::BOLD));
        let c = after(&[7, 33, 44]).cell('x');
        assert_eq!((c.fg, c.bg), (4, 3));
        assert_eq!(after(&[7, 27]).cell('x'), Cell { ch: 'x', ..Cell::BLANK });
    }

    #[test]
    fn blank_keeps_background_not_reverse() {
        let b = after(&[7, 4, 45]).blank();
        assert_eq!(b, Cell { ch: ' ', fg: 7, bg: 5, flags: CellFlags::NONE });
    }

    #[test]
    fn extended_colors_map_to_the_palette() {
        assert_eq!(after(&[38, 5, 9]).fg, 9);
        assert_eq!(after(&[38, 5, 196]).fg, 1);
        assert_eq!(after(&[38, 5, 231]).fg, 15);
        assert_eq!(after(&[38, 5, 232]).fg, 0);
        assert_eq!(after(&[48, 2, 0, 0, 0xff]).bg, 4);
        assert_eq!(after(&[48, 2, 0x60, 0x60, 0xff]).bg, 12);
        assert_eq!(after(&[38, 2, 0x50, 0x50, 0x50]).fg, 8);
        // The parameters a color took are not read as attributes.
        let a = after(&[38, 5, 1, 4]);
        assert_eq!((a.fg, a.underline), (1, true));
        assert_eq!(after(&[38, 2, 1, 1]).intensity, Intensity::Bold);
        assert_eq!(after(&[38]), Attr::DEFAULT);
    }

    #[test]
    fn normal_intensity_and_attribute_resets() {
        let a = after(&[1, 4, 5, 7, 22, 24, 25, 27]);
        assert_eq!(a, Attr::DEFAULT);
        assert_eq!(after(&[2, 21]).intensity, Intensity::Normal);
    }
}
