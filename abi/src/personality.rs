//! personality(2)'s flags that change what the kernel does.

/// uname reports a 2.6 release.
pub const UNAME26: u32 = 0x002_0000;
/// Readable mappings are executable too.
pub const READ_IMPLIES_EXEC: u32 = 0x040_0000;
/// select, pselect6 and ppoll leave their timeout argument alone.
pub const STICKY_TIMEOUTS: u32 = 0x400_0000;
