//! Where the build artifacts are: the kernel image, the initramfs, the
//! test programs, the kestrelfs tool and the root disk image. Environment
//! variables override the defaults under `<workspace root>/build/`.

use std::path::{Path, PathBuf};

/// The workspace root, two levels above this crate (`tests/harness`).
pub fn workspace_root() -> PathBuf {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest
        .parent()
        .and_then(Path::parent)
        .expect("tests/harness lies two levels below the workspace root")
        .to_path_buf()
}

/// `<workspace root>/build`, where `scripts/build` puts its outputs.
pub fn build_dir() -> PathBuf {
    workspace_root().join("build")
}

/// `$name` if set and non-empty, else `default`.
fn from_env(name: &str, default: PathBuf) -> PathBuf {
    match std::env::var_os(name) {
        Some(v) if !v.is_empty() => PathBuf::from(v),
        _ => default,
    }
}

/// The kernel image: `$KERNEL_ELF`, default `build/kernel.elf`.
pub fn kernel_elf() -> PathBuf {
    from_env("KERNEL_ELF", build_dir().join("kernel.elf"))
}

/// The GRUB image `scripts/iso` makes: `$KESTREL_ISO`, default
/// `build/kestrel.iso`.
pub fn iso() -> PathBuf {
    from_env("KESTREL_ISO", build_dir().join("kestrel.iso"))
}

/// The initramfs: `$INITRAMFS`, default `build/initramfs.cpio`.
pub fn initramfs() -> PathBuf {
    from_env("INITRAMFS", build_dir().join("initramfs.cpio"))
}

/// The host tool for kestrelfs images: `$KESTREL_FS`, default
/// `build/kestrel-fs`.
pub fn kestrel_fs() -> PathBuf {
    from_env("KESTREL_FS", build_dir().join("kestrel-fs"))
}

/// The root disk image `scripts/build` makes: `$ROOTFS_IMG`, default
/// `build/rootfs.img`.
pub fn rootfs_image() -> PathBuf {
    from_env("ROOTFS_IMG", build_dir().join("rootfs.img"))
}

/// The host copies of the programs in the initramfs: `$PROGRAMS_DIR`,
/// default `build/programs`.
pub fn programs_dir() -> PathBuf {
    from_env("PROGRAMS_DIR", build_dir().join("programs"))
}

/// Panics, telling how to produce it, unless `path` is an existing file.
pub fn require_file(path: &Path, what: &str, env_var: &str) {
    if !path.is_file() {
        panic!("{what} {} does not exist: run scripts/build first (or set {env_var} to its path)", path.display());
    }
}

/// The host copy of test program `name` (see [`programs_dir`]); panics with a
/// hint if it is missing.
pub fn program(name: &str) -> PathBuf {
    let p = programs_dir().join(name);
    require_file(&p, "the test program", "PROGRAMS_DIR");
    p
}
