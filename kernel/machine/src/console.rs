//! Where fatal reports go (kernel exceptions, panics): a writer the kernel
//! registers (its serial console driver), taken without locks, since the
//! code that failed may hold them.

use core::fmt::{self, Write};

use spin::Once;

static WRITER: Once<fn(&[u8])> = Once::new();

/// Sets the console writer for fatal reports (once, at boot).
pub fn set_emergency_writer(writer: fn(&[u8])) {
    WRITER.call_once(|| writer);
}

/// Writes a report to the console; dropped before a writer is registered.
pub fn emergency_write(args: fmt::Arguments) {
    struct Console(fn(&[u8]));
    impl Write for Console {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            (self.0)(s.as_bytes());
            Ok(())
        }
    }
    if let Some(&writer) = WRITER.get() {
        let _ = Console(writer).write_fmt(args);
    }
}
