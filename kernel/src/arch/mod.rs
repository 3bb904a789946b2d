//! Architecture support. Only x86_64 exists.

pub mod x86_64;

pub use x86_64::features::cpu_features;
pub use x86_64::*;
