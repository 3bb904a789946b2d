//! Inode numbers taken ahead of the entry (`reserve_ino`, as the kernel
//! numbers a new in-memory inode before it has a name): used later, or
//! never, the image stays consistent.

mod common;

use common::*;
use kestrelfs::inode::*;
use kestrelfs::{Compression, Error, NewInode};

#[test]
fn reserved_numbers_are_used_later_or_skipped() {
    let mut fs = format(1024, Compression::NONE);
    let root = fs.root();
    let skipped = fs.reserve_ino().unwrap();
    let used = fs.reserve_ino().unwrap();
    assert!(used > skipped);
    let file = fs.create(root, b"file", &NewInode { ino: Some(used), ..NewInode::new(S_IFREG | 0o644, 0, 0) }).unwrap();
    assert_eq!(file, used);
    let link = NewInode { ino: Some(fs.reserve_ino().unwrap()), ..NewInode::new(S_IFLNK | 0o777, 1, 2) };
    let sym = fs.symlink_with(root, b"sym", b"file", &link).unwrap();
    assert_eq!(sym, link.ino.unwrap());
    // A number not reserved, or already used, is refused.
    let bogus = NewInode { ino: Some(used), ..NewInode::new(S_IFREG | 0o644, 0, 0) };
    assert_eq!(fs.create(root, b"again", &bogus), Err(Error::InvalidArgument));
    let bogus = NewInode { ino: Some(500), ..NewInode::new(S_IFREG | 0o644, 0, 0) };
    assert_eq!(fs.create(root, b"far", &bogus), Err(Error::InvalidArgument));
    // The next plain create takes a number past every reserved one.
    let next = fs.create(root, b"next", &NewInode::new(S_IFREG | 0o644, 0, 0)).unwrap();
    assert!(next > sym);
    fs.sync().unwrap();
    let mut dev = fs.into_device();
    assert_clean(&mut dev);
    let mut fs = open(dev);
    let found = fs.lookup(root, b"sym").unwrap();
    assert_eq!(fs.readlink(found).unwrap(), b"file");
    assert_eq!(fs.inode(sym).unwrap().uid, 1);
}
