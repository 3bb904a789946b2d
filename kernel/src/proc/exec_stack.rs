//! The initial user stack of a new program, laid out exactly as Linux does
//! (System V x86_64 ABI): from the top, an 8-byte end marker, the file
//! name, the environment and argument strings, the platform string, 16
//! random bytes; then, 16-byte aligned, argc, argv[], NULL, envp[], NULL,
//! and the auxiliary vector ending with AT_NULL.

use alloc::vec::Vec;

use abi::auxv::*;
use abi::Errno;

use super::elf::LoadedImage;
use crate::mm::address_space::{AddressSpace, STACK_SIZE, STACK_TOP};

const PLATFORM: &[u8] = b"x86_64\0";
/// Linux limits argv+envp to a quarter of the stack limit.
const MAX_ARG_BYTES: usize = (STACK_SIZE / 4) as usize;
/// Linux's MAX_ARG_STRLEN (32 pages) for any one string.
const MAX_ARG_STRLEN: usize = 32 * 4096;

pub struct ExecArgs<'a> {
    pub argv: &'a [Vec<u8>],
    pub envp: &'a [Vec<u8>],
    pub execfn: &'a [u8],
}

impl ExecArgs<'_> {
    /// Bytes the strings and pointer tables take on the stack.
    pub fn size_on_stack(&self) -> u64 {
        let strings: usize = self.argv.iter().chain(self.envp).map(|s| s.len() + 1).sum();
        (strings + (self.argv.len() + self.envp.len()) * 8 + self.execfn.len() + 1024) as u64
    }
}

/// Writes the initial stack into `mm`; returns the initial stack pointer.
pub fn build(mm: &mut AddressSpace, args: &ExecArgs, image: &LoadedImage) -> Result<u64, Errno> {
    let strings_len: usize = args.argv.iter().chain(args.envp).map(|s| s.len() + 1).sum();
    if strings_len > MAX_ARG_BYTES || args.argv.iter().chain(args.envp).any(|s| s.len() + 1 > MAX_ARG_STRLEN) {
        return Err(Errno::E2BIG);
    }
    let mut top = STACK_TOP - 8;
    let execfn_addr = top - (args.execfn.len() + 1) as u64;
    top = execfn_addr;
    let strings_start = top - strings_len as u64;
    let mut pointers = Vec::with_capacity(args.argv.len() + args.envp.len());
    let mut strings = Vec::with_capacity(strings_len);
    for s in args.argv.iter().chain(args.envp) {
        pointers.push(strings_start + strings.len() as u64);
        strings.extend_from_slice(s);
        strings.push(0);
    }
    let platform_addr = strings_start - PLATFORM.len() as u64;
    let random_addr = platform_addr - 16;
    let table_top = random_addr & !15;

    let cred = crate::sched::current().cred.lock().clone();
    // AT_SYSINFO_EHDR comes first, as Linux's ARCH_DLINFO puts it.
    let vdso = (image.vdso != 0).then_some((AT_SYSINFO_EHDR, image.vdso));
    let auxv: Vec<(u64, u64)> = vdso
        .into_iter()
        .chain([
            (AT_HWCAP, u64::from(crate::arch::cpu_features().hwcap)),
            (AT_PAGESZ, 4096),
            (AT_CLKTCK, abi::USER_HZ),
            (AT_PHDR, image.phdr),
            (AT_PHENT, image.phent),
            (AT_PHNUM, image.phnum),
            (AT_BASE, image.interp_base),
            (AT_FLAGS, 0),
            (AT_ENTRY, image.program_entry),
            (AT_UID, u64::from(cred.uid)),
            (AT_EUID, u64::from(cred.euid)),
            (AT_GID, u64::from(cred.gid)),
            (AT_EGID, u64::from(cred.egid)),
            (AT_SECURE, 0),
            (AT_RANDOM, random_addr),
            (AT_EXECFN, execfn_addr),
            (AT_PLATFORM, platform_addr),
        ])
        .collect();
    let mut table: Vec<u64> = Vec::new();
    table.push(args.argv.len() as u64);
    table.extend_from_slice(&pointers[..args.argv.len()]);
    table.push(0);
    table.extend_from_slice(&pointers[args.argv.len()..]);
    table.push(0);
    for &(key, value) in &auxv {
        table.push(key);
        table.push(value);
    }
    table.extend_from_slice(&[AT_NULL, 0]);
    let sp = (table_top - (table.len() * 8) as u64) & !15;

    // What /proc shows of the new program (cmdline, environ, auxv, stat).
    let args_len: usize = args.argv.iter().map(|s| s.len() + 1).sum();
    let info = &mut mm.exec;
    info.arg_start = strings_start;
    info.arg_end = strings_start + args_len as u64;
    info.env_start = info.arg_end;
    info.env_end = strings_start + strings_len as u64;
    info.start_stack = sp;
    info.auxv = auxv;
    info.start_code = image.start_code;
    info.end_code = image.end_code;
    info.start_data = image.start_data;
    info.end_data = image.end_data;

    let mut random = [0u8; 16];
    crate::random::fill(&mut random);
    let table_bytes: Vec<u8> = table.iter().flat_map(|w| w.to_le_bytes()).collect();
    mm.write_bytes(sp, &table_bytes)?;
    mm.write_bytes(random_addr, &random)?;
    mm.write_bytes(platform_addr, PLATFORM)?;
    mm.write_bytes(strings_start, &strings)?;
    let mut execfn = args.execfn.to_vec();
    execfn.push(0);
    mm.write_bytes(execfn_addr, &execfn)?;
    mm.write_bytes(STACK_TOP - 8, &[0; 8])?;
    Ok(sp)
}
