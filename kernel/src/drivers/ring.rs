//! A fixed-size byte ring for drivers: filled by an interrupt handler,
//! emptied by the deferred work (or the other way round for output). It
//! never allocates; its owner locks it.

pub struct ByteRing<const N: usize> {
    buf: [u8; N],
    /// Bytes ever pushed and popped; their difference is the fill.
    head: usize,
    tail: usize,
}

impl<const N: usize> ByteRing<N> {
    pub const fn new() -> Self {
        ByteRing { buf: [0; N], head: 0, tail: 0 }
    }

    pub fn len(&self) -> usize {
        self.head.wrapping_sub(self.tail)
    }

    pub fn room(&self) -> usize {
        N - self.len()
    }

    /// False (and the byte dropped) when the ring is full.
    pub fn push(&mut self, b: u8) -> bool {
        if self.room() == 0 {
            return false;
        }
        self.buf[self.head % N] = b;
        self.head = self.head.wrapping_add(1);
        true
    }

    pub fn pop(&mut self) -> Option<u8> {
        if self.len() == 0 {
            return None;
        }
        let b = self.buf[self.tail % N];
        self.tail = self.tail.wrapping_add(1);
        Some(b)
    }

    /// Copies the oldest bytes into `out` without taking them.
    pub fn peek(&self, out: &mut [u8]) -> usize {
        let n = out.len().min(self.len());
        for (i, b) in out[..n].iter_mut().enumerate() {
            *b = self.buf[self.tail.wrapping_add(i) % N];
        }
        n
    }

    /// Drops the oldest `n` bytes (at most all).
    pub fn discard(&mut self, n: usize) {
        self.tail = self.tail.wrapping_add(n.min(self.len()));
    }

    pub fn clear(&mut self) {
        self.tail = self.head;
    }
}
