//! What a terminal asks of the device under it (Linux's tty_operations):
//! the serial port's driver (`serial`), or the virtual terminal on the
//! screen and keyboard (`vt::console`).

pub trait TtyDriver: Sync {
    /// Queues processed output. The caller checked `write_room` first.
    fn write(&self, bytes: &[u8]);
    /// Bytes `write` takes now.
    fn write_room(&self) -> usize;
    /// Output queued and not yet sent (TIOCOUTQ, tcdrain).
    fn chars_in_buffer(&self) -> usize;
    /// Discards queued output (TCOFLUSH, the flush of ^C, hangup).
    fn flush_buffer(&self);
    /// Output stopped or restarted (^S/^Q, TCOOFF/TCOON).
    fn set_stopped(&self, stopped: bool);
    /// Sends one byte ahead of queued output (TCIOFF/TCION).
    fn send_xchar(&self, byte: u8);
    /// Deferred work: hands received input to the line discipline while
    /// it takes it.
    fn process_input(&self);
    /// True when the device has input or room the deferred work has not
    /// seen yet.
    fn work_pending(&self) -> bool;
    /// Takes the device's "work to do" flag (always true when polled).
    fn take_work(&self) -> bool;
    /// TCIFLUSH: input held by the device and the driver is discarded.
    fn discard_input(&self);
}
