//! /dev/loop-control (misc device 237): LOOP_CTL_GET_FREE gives the
//! number of an unbound device, making one if every device is bound;
//! LOOP_CTL_ADD makes a given one; LOOP_CTL_REMOVE takes an unused one
//! away. Other requests are ENOSYS, as Linux's loop_control_ioctl says.

use alloc::boxed::Box;

use abi::loop_dev::{LOOP_CTL_ADD, LOOP_CTL_GET_FREE, LOOP_CTL_REMOVE, LOOP_MAJOR};
use abi::{makedev, Errno, OpenFlags};

use super::{add, unused_index, DEVICES, MAX_INDEX};
use crate::fs::file::File;

struct LoopControl;

impl File for LoopControl {
    fn ioctl(&self, cmd: u32, arg: u64) -> Result<usize, Errno> {
        // The argument is an int to Linux.
        let index = arg as i32;
        match cmd as usize {
            LOOP_CTL_ADD if index < 0 => add(unused_index()?).map(|i| i as usize),
            LOOP_CTL_ADD if index as u32 > MAX_INDEX => Err(Errno::EINVAL),
            LOOP_CTL_ADD => add(index as u32).map(|i| i as usize),
            LOOP_CTL_REMOVE if index < 0 => Err(Errno::EINVAL),
            LOOP_CTL_REMOVE => remove(index as u32).map(|_| 0),
            LOOP_CTL_GET_FREE => get_free().map(|i| i as usize),
            _ => Err(Errno::ENOSYS),
        }
    }
}

fn get_free() -> Result<u32, Errno> {
    let free = DEVICES.lock().iter().find(|(_, (dev, _))| dev.binding.lock().is_none()).map(|(&i, _)| i);
    match free {
        Some(index) => Ok(index),
        None => add(unused_index()?),
    }
}

/// Removes an unbound device nothing holds: ENODEV without it, EBUSY
/// while bound or open.
fn remove(index: u32) -> Result<(), Errno> {
    let mut devices = DEVICES.lock();
    let (dev, disk) = devices.get(&index).ok_or(Errno::ENODEV)?;
    if dev.binding.lock().is_some() || disk.holders() > 0 {
        return Err(Errno::EBUSY);
    }
    devices.remove(&index);
    drop(devices);
    crate::block::remove(LOOP_MAJOR, index);
    crate::fs::devfs::remove_node(alloc::format!("loop{index}").as_bytes(), makedev(LOOP_MAJOR, index));
    Ok(())
}

pub fn open(_major: u32, _minor: u32, _flags: OpenFlags) -> Result<Box<dyn File>, Errno> {
    Ok(Box::new(LoopControl))
}
