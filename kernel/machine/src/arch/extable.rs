//! The exception table: pairs of (instruction that may fault on user memory,
//! where to continue instead), emitted by the user-copy routines.

extern "C" {
    static __ex_table_start: [u64; 0];
    static __ex_table_end: [u64; 0];
}

pub fn fixup_for(rip: u64) -> Option<u64> {
    // SAFETY: the linker script places the .ex_table section between these
    // symbols; it is read-only data made of (u64, u64) pairs.
    let table: &[u64] = unsafe {
        let start = core::ptr::addr_of!(__ex_table_start) as *const u64;
        let end = core::ptr::addr_of!(__ex_table_end) as *const u64;
        core::slice::from_raw_parts(start, end.offset_from(start) as usize)
    };
    table.chunks_exact(2).find(|pair| pair[0] == rip).map(|pair| pair[1])
}
