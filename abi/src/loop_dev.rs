//! The loop block device (`linux/loop.h`): its ioctl numbers, flags and
//! status structures, and those of `/dev/loop-control`.

use bytemuck::{Pod, Zeroable};

/// Block device major of the loop devices; `/dev/loop-control` is misc
/// device 237.
pub const LOOP_MAJOR: u32 = 7;
pub const LOOP_CTRL_MINOR: u32 = 237;

pub const LOOP_SET_FD: usize = 0x4C00;
pub const LOOP_CLR_FD: usize = 0x4C01;
pub const LOOP_SET_STATUS: usize = 0x4C02;
pub const LOOP_GET_STATUS: usize = 0x4C03;
pub const LOOP_SET_STATUS64: usize = 0x4C04;
pub const LOOP_GET_STATUS64: usize = 0x4C05;
pub const LOOP_CHANGE_FD: usize = 0x4C06;
pub const LOOP_SET_CAPACITY: usize = 0x4C07;
pub const LOOP_SET_DIRECT_IO: usize = 0x4C08;
pub const LOOP_SET_BLOCK_SIZE: usize = 0x4C09;
pub const LOOP_CONFIGURE: usize = 0x4C0A;

pub const LOOP_CTL_ADD: usize = 0x4C80;
pub const LOOP_CTL_REMOVE: usize = 0x4C81;
pub const LOOP_CTL_GET_FREE: usize = 0x4C82;

pub const LO_FLAGS_READ_ONLY: u32 = 1;
pub const LO_FLAGS_AUTOCLEAR: u32 = 4;
pub const LO_FLAGS_PARTSCAN: u32 = 8;
pub const LO_FLAGS_DIRECT_IO: u32 = 16;
/// The flags LOOP_SET_STATUS may set, and those it may clear.
pub const LOOP_SET_STATUS_SETTABLE_FLAGS: u32 = LO_FLAGS_AUTOCLEAR | LO_FLAGS_PARTSCAN;
pub const LOOP_SET_STATUS_CLEARABLE_FLAGS: u32 = LO_FLAGS_AUTOCLEAR;
/// The flags LOOP_CONFIGURE accepts; any other is EINVAL.
pub const LOOP_CONFIGURE_SETTABLE_FLAGS: u32 =
    LO_FLAGS_READ_ONLY | LO_FLAGS_AUTOCLEAR | LO_FLAGS_PARTSCAN | LO_FLAGS_DIRECT_IO;

pub const LO_NAME_SIZE: usize = 64;
pub const LO_KEY_SIZE: usize = 32;

/// `struct loop_info64` (232 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct LoopInfo64 {
    pub lo_device: u64,
    pub lo_inode: u64,
    pub lo_rdevice: u64,
    pub lo_offset: u64,
    /// Bytes of the file the device covers; 0 for all of it.
    pub lo_sizelimit: u64,
    pub lo_number: u32,
    pub lo_encrypt_type: u32,
    pub lo_encrypt_key_size: u32,
    pub lo_flags: u32,
    pub lo_file_name: [u8; LO_NAME_SIZE],
    pub lo_crypt_name: [u8; LO_NAME_SIZE],
    pub lo_encrypt_key: [u8; LO_KEY_SIZE],
    pub lo_init: [u64; 2],
}

/// `struct loop_info` (168 bytes), the old form with narrow fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct LoopInfo {
    pub lo_number: i32,
    pub _pad0: u32,
    pub lo_device: u64,
    pub lo_inode: u64,
    pub lo_rdevice: u64,
    pub lo_offset: i32,
    pub lo_encrypt_type: i32,
    pub lo_encrypt_key_size: i32,
    pub lo_flags: i32,
    pub lo_name: [u8; LO_NAME_SIZE],
    pub lo_encrypt_key: [u8; LO_KEY_SIZE],
    pub lo_init: [u64; 2],
    pub reserved: [u8; 4],
    pub _pad1: u32,
}

/// `struct loop_config` (304 bytes), LOOP_CONFIGURE's argument.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Pod, Zeroable)]
#[repr(C)]
pub struct LoopConfig {
    pub fd: u32,
    pub block_size: u32,
    pub info: LoopInfo64,
    pub reserved: [u64; 8],
}

#[cfg(test)]
mod tests {
    use super::*;
    use core::mem::{offset_of, size_of};

    #[test]
    fn layouts_match_linux() {
        assert_eq!(size_of::<LoopInfo64>(), 232);
        assert_eq!(offset_of!(LoopInfo64, lo_number), 40);
        assert_eq!(offset_of!(LoopInfo64, lo_file_name), 56);
        assert_eq!(offset_of!(LoopInfo64, lo_init), 216);
        assert_eq!(size_of::<LoopInfo>(), 168);
        assert_eq!(offset_of!(LoopInfo, lo_offset), 32);
        assert_eq!(offset_of!(LoopInfo, lo_name), 48);
        assert_eq!(offset_of!(LoopInfo, reserved), 160);
        assert_eq!(size_of::<LoopConfig>(), 304);
        assert_eq!(offset_of!(LoopConfig, info), 8);
    }
}
