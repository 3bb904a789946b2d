//! Input devices.

pub mod i8042;
pub mod keymap;
