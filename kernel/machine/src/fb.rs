//! The display the boot loader left set up (multiboot2's framebuffer tag):
//! a linear framebuffer of pixels, or VGA text mode's cells. `Screen` owns
//! its memory, reached through the direct map, and draws on it with
//! bounds-checked operations only.

use core::sync::atomic::{AtomicBool, Ordering};

use crate::boot::{Framebuffer, FramebufferKind};
use crate::mm::phys::phys_to_virt;

/// The loader's display, owned once.
pub struct Screen {
    virt: u64,
    len: usize,
    info: Framebuffer,
    /// Bytes per pixel (pixel framebuffers), 2 for text cells.
    unit: usize,
}

static TAKEN: AtomicBool = AtomicBool::new(false);

/// Why the loader's display cannot be used.
#[derive(Clone, Copy, Debug)]
pub enum ScreenError {
    /// The loader set none up (PVH, or a loader that left text mode
    /// undescribed).
    None,
    AlreadyTaken,
    /// A pixel depth other than 16, 24 or 32 bits.
    Depth(u8),
    /// Not wholly inside the direct map, or overlapping usable RAM.
    Placement(u64),
}

impl core::fmt::Display for ScreenError {
    fn fmt(&self, f: &mut core::fmt::Formatter) -> core::fmt::Result {
        match self {
            ScreenError::None => write!(f, "the loader described no framebuffer"),
            ScreenError::AlreadyTaken => write!(f, "the framebuffer has an owner"),
            ScreenError::Depth(d) => write!(f, "{d} bits per pixel is not supported"),
            ScreenError::Placement(a) => write!(f, "framebuffer at {a:#x} is not device memory in the direct map"),
        }
    }
}

impl Screen {
    /// The framebuffer `BootInfo` describes, to its only owner.
    pub fn take() -> Result<Screen, ScreenError> {
        let boot = crate::boot::boot_info().ok_or(ScreenError::None)?;
        let info = boot.framebuffer.ok_or(ScreenError::None)?;
        let unit = match info.kind {
            FramebufferKind::EgaText => 2,
            FramebufferKind::Rgb { .. } if matches!(info.bpp, 16 | 24 | 32) => usize::from(info.bpp / 8),
            FramebufferKind::Rgb { .. } => return Err(ScreenError::Depth(info.bpp)),
        };
        let len = info.pitch as usize * info.height as usize;
        let end = info.addr.checked_add(len as u64).ok_or(ScreenError::Placement(info.addr))?;
        let in_ram = boot.memory_regions().iter().any(|r| r.usable && info.addr < r.start + r.len && r.start < end);
        let row_fits = info.width as usize * unit <= info.pitch as usize;
        if in_ram || end > crate::mm::direct_map_end() || !row_fits || len == 0 {
            return Err(ScreenError::Placement(info.addr));
        }
        if TAKEN.swap(true, Ordering::AcqRel) {
            return Err(ScreenError::AlreadyTaken);
        }
        Ok(Screen { virt: phys_to_virt(info.addr), len, info, unit })
    }

    pub fn info(&self) -> &Framebuffer {
        &self.info
    }

    pub fn is_text(&self) -> bool {
        self.info.kind == FramebufferKind::EgaText
    }

    /// The device's pixel value for colour 0xRRGGBB.
    pub fn pixel(&self, rgb: u32) -> u32 {
        let FramebufferKind::Rgb { red, green, blue } = self.info.kind else { return 0 };
        let channel = |value: u32, (pos, size): (u8, u8)| {
            let size = u32::from(size.min(8));
            (value >> (8 - size)) << pos
        };
        channel(rgb >> 16 & 0xff, red) | channel(rgb >> 8 & 0xff, green) | channel(rgb & 0xff, blue)
    }

    fn offset(&self, x: usize, y: usize) -> usize {
        y * self.info.pitch as usize + x * self.unit
    }

    fn put(&mut self, at: usize, value: u32) {
        assert!(at + self.unit <= self.len, "framebuffer write at {at:#x} out of range");
        let p = self.virt + at as u64;
        // SAFETY: `take` checked the range is the loader's device memory in
        // the direct map, owned by this `Screen` alone; the assert keeps
        // the write inside it.
        unsafe {
            match self.unit {
                4 => core::ptr::write_volatile(p as *mut u32, value),
                2 => core::ptr::write_volatile(p as *mut u16, value as u16),
                _ => {
                    core::ptr::write_volatile(p as *mut u16, value as u16);
                    core::ptr::write_volatile((p + 2) as *mut u8, (value >> 16) as u8);
                }
            }
        }
    }

    /// Fills a rectangle of pixels (clipped to the screen).
    pub fn fill(&mut self, x: usize, y: usize, w: usize, h: usize, pixel: u32) {
        let (x_end, y_end) = ((x + w).min(self.width()), (y + h).min(self.height()));
        for row in y..y_end {
            for col in x..x_end {
                self.put(self.offset(col, row), pixel);
            }
        }
    }

    /// Draws an 8-pixel-wide bitmap (bit 7 leftmost, a byte per row) at
    /// (x, y), set bits in `fg`, clear ones in `bg` (clipped).
    pub fn draw_bitmap(&mut self, x: usize, y: usize, rows: &[u8], fg: u32, bg: u32) {
        for (dy, &bits) in rows.iter().enumerate() {
            if y + dy >= self.height() {
                break;
            }
            for dx in 0..8.min(self.width().saturating_sub(x)) {
                let value = if bits & (0x80 >> dx) != 0 { fg } else { bg };
                self.put(self.offset(x + dx, y + dy), value);
            }
        }
    }

    /// Moves `count` whole rows (of pixels, or of text cells) from row
    /// `from` to row `to`; the ranges may overlap.
    pub fn move_rows(&mut self, to: usize, from: usize, count: usize) {
        let pitch = self.info.pitch as usize;
        let bytes = count * pitch;
        assert!(from.max(to) * pitch + bytes <= self.len, "framebuffer row move out of range");
        // SAFETY: both ranges lie inside the owned device memory (the
        // assert); `copy` allows overlap.
        unsafe {
            core::ptr::copy(
                (self.virt + (from * pitch) as u64) as *const u8,
                (self.virt + (to * pitch) as u64) as *mut u8,
                bytes,
            )
        }
    }

    /// Text mode: the cell at (row, col) becomes `character` with VGA
    /// attribute `attribute` (background << 4 | foreground).
    pub fn put_cell(&mut self, row: usize, col: usize, character: u8, attribute: u8) {
        if row < self.height() && col < self.width() {
            self.put(self.offset(col, row), u32::from(u16::from(attribute) << 8 | u16::from(character)));
        }
    }

    /// In pixels, or in characters for text mode.
    pub fn width(&self) -> usize {
        self.info.width as usize
    }

    pub fn height(&self) -> usize {
        self.info.height as usize
    }
}
