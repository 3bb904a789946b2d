//! The console's terminal emulator: what Linux's own console (TERM=linux)
//! does with the bytes programs write to it, per console_codes(4). Pure
//! logic, no hardware: a `Terminal` keeps the screen's cells and tells a
//! `Display` (the framebuffer or VGA text renderer) what changed.
//!
//! - `screen`: the cell grid, the cursor, the scrolling region, the modes,
//!   and the operations the sequences perform (Linux's lf, ri, gotoxy,
//!   save_cur...), each reported to the display;
//! - `edit`: erasing, inserting and deleting, scrolling;
//! - `parser`: UTF-8 decoding and the escape/CSI state machine that drives
//!   the screen (Linux's do_con_write and do_con_trol);
//! - `display`: the screens a terminal is shown on: a pixel framebuffer
//!   (`fbcon`) or VGA text mode (`vgacon`);
//! - `driver`: tty1's device: output to the emulator and the screen,
//!   input from the keyboard and the emulator's answers;
//! - `attr`: character attributes (SGR) and the colors a cell is painted
//!   with;
//! - `utf8`: the UTF-8 decoder.
//!
//! Every character takes one cell: double-width and combining characters
//! are not treated specially.

pub mod attr;
pub mod display;
pub mod driver;
mod edit;
pub mod parser;
pub mod screen;
pub mod utf8;

#[cfg(test)]
mod mirror;
