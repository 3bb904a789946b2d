//! Helpers shared by the layout tests.

/// Size of field `$f` of type `$t`, without needing a value of `$t`.
#[macro_export]
macro_rules! field_size {
    ($t:ty, $f:ident) => {{
        fn size<T, F>(_: fn(&T) -> &F) -> usize {
            ::core::mem::size_of::<F>()
        }
        size::<$t, _>(|s| &s.$f)
    }};
}

/// Asserts that the named fields have the same offset and size in both
/// types.
#[macro_export]
macro_rules! same_fields {
    ($ours:ty, $theirs:ty, [$($f:ident),* $(,)?]) => {{
        $(
            assert_eq!(
                ::core::mem::offset_of!($ours, $f),
                ::core::mem::offset_of!($theirs, $f),
                concat!("offset of ", stringify!($ours), ".", stringify!($f)),
            );
            assert_eq!(
                $crate::field_size!($ours, $f),
                $crate::field_size!($theirs, $f),
                concat!("size of ", stringify!($ours), ".", stringify!($f)),
            );
        )*
    }};
}

/// Asserts equal size and alignment, then [`same_fields!`].
#[macro_export]
macro_rules! same_layout {
    ($ours:ty, $theirs:ty, [$($f:ident),* $(,)?]) => {{
        assert_eq!(
            ::core::mem::size_of::<$ours>(),
            ::core::mem::size_of::<$theirs>(),
            concat!("size of ", stringify!($ours)),
        );
        assert_eq!(
            ::core::mem::align_of::<$ours>(),
            ::core::mem::align_of::<$theirs>(),
            concat!("alignment of ", stringify!($ours)),
        );
        $crate::same_fields!($ours, $theirs, [$($f),*]);
    }};
}

/// Asserts fixed `(field, offset, size)` triples for a type.
#[macro_export]
macro_rules! fixed_fields {
    ($t:ty, [$(($f:ident, $off:expr, $size:expr)),* $(,)?]) => {{
        $(
            assert_eq!(
                ::core::mem::offset_of!($t, $f),
                $off,
                concat!("offset of ", stringify!($t), ".", stringify!($f)),
            );
            assert_eq!(
                $crate::field_size!($t, $f),
                $size,
                concat!("size of ", stringify!($t), ".", stringify!($f)),
            );
        )*
    }};
}

/// Asserts `module::NAME == libc::NAME as $ty` for each name. The
/// `$via => $ty` form casts through `$via` first, to compare a C `int` flag
/// word's bit pattern with a wider unsigned constant.
#[macro_export]
macro_rules! same_consts {
    ($module:path, $via:ty => $ty:ty, [$($name:ident),* $(,)?]) => {{
        use $module as m;
        $(
            assert_eq!(m::$name, libc::$name as $via as $ty, stringify!($name));
        )*
    }};
    ($module:path, $ty:ty, [$($name:ident),* $(,)?]) => {{
        use $module as m;
        $(
            assert_eq!(m::$name, libc::$name as $ty, stringify!($name));
        )*
    }};
}
