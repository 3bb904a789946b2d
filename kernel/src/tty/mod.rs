//! Terminals.

#![deny(unsafe_code)]

pub mod console;
