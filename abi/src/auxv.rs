//! ELF auxiliary-vector keys (`AT_*`), placed after `envp` on a new
//! process's stack as `(key, value)` pairs of `u64`, ending with `AT_NULL`.

/// End of the vector.
pub const AT_NULL: u64 = 0;
/// Entry to be ignored.
pub const AT_IGNORE: u64 = 1;
/// File descriptor of the program (when the kernel hands over an fd).
pub const AT_EXECFD: u64 = 2;
/// Address of the program headers in memory.
pub const AT_PHDR: u64 = 3;
/// Size of one program header.
pub const AT_PHENT: u64 = 4;
/// Number of program headers.
pub const AT_PHNUM: u64 = 5;
/// Page size.
pub const AT_PAGESZ: u64 = 6;
/// Load address of the interpreter (0 for static programs).
pub const AT_BASE: u64 = 7;
pub const AT_FLAGS: u64 = 8;
/// The program's entry point.
pub const AT_ENTRY: u64 = 9;
pub const AT_NOTELF: u64 = 10;
pub const AT_UID: u64 = 11;
pub const AT_EUID: u64 = 12;
pub const AT_GID: u64 = 13;
pub const AT_EGID: u64 = 14;
/// Address of a string naming the platform ("x86_64").
pub const AT_PLATFORM: u64 = 15;
/// CPU feature bits (on x86, CPUID leaf 1 EDX).
pub const AT_HWCAP: u64 = 16;
/// Frequency of `times()` ticks.
pub const AT_CLKTCK: u64 = 17;
/// Non-zero for set-uid style "secure" execution.
pub const AT_SECURE: u64 = 23;
pub const AT_BASE_PLATFORM: u64 = 24;
/// Address of 16 random bytes (libc seeds stack protector and pointer
/// guard from them).
pub const AT_RANDOM: u64 = 25;
pub const AT_HWCAP2: u64 = 26;
pub const AT_RSEQ_FEATURE_SIZE: u64 = 27;
pub const AT_RSEQ_ALIGN: u64 = 28;
pub const AT_HWCAP3: u64 = 29;
pub const AT_HWCAP4: u64 = 30;
/// Address of the path name the program was executed by.
pub const AT_EXECFN: u64 = 31;
/// Address of the vDSO's ELF header (omit the entry if there is no vDSO).
pub const AT_SYSINFO_EHDR: u64 = 33;
/// Minimal signal-stack size the kernel requires for signal delivery.
pub const AT_MINSIGSTKSZ: u64 = 51;
