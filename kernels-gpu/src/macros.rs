/// Declares a kernel: `#[unsafe(no_mangle)] extern "ptx-kernel"` on nvptx, and everywhere a
/// module of the same name holding its `SYMBOL`, which the host registry refers to (so a
/// renamed kernel is a compile error on the host, not a failed lookup at run time).
///
/// ```ignore
/// kernel! {
///     /// What it does, thread mapping, bytes moved.
///     fn vector_add_s01_naive(p: VectorAddParams) { ... }
/// }
/// ```
#[macro_export]
macro_rules! kernel {
    ($(#[$meta:meta])* fn $name:ident($p:ident : $params:ty) $body:block) => {
        #[allow(non_snake_case)]
        #[doc = concat!("Symbol of the kernel `", stringify!($name), "`.")]
        pub mod $name {
            /// The kernel's entry name in the PTX.
            pub const SYMBOL: &str = stringify!($name);
        }
        $(#[$meta])*
        #[cfg(target_arch = "nvptx64")]
        #[unsafe(no_mangle)]
        pub unsafe extern "ptx-kernel" fn $name($p: $params) $body
    };
}

/// Declares a static shared-memory array private to the kernels that use it, and evaluates to a
/// [`crate::gpu::shared::SharedPtr`] to its first element. Accesses through it compile to
/// `ld.shared` / `st.shared` (SASS `LDS` / `STS`), not generic loads (DESIGN.md §3).
///
/// The name becomes a PTX symbol and must be unique in the crate: use `<kernel>_<array>`.
/// An array declared inside a generic function exists once, whatever the instantiation.
///
/// ```ignore
/// let tile = shared_array!(transpose_s02_tile: [f32; 32 * 33]);
/// ```
#[cfg(target_arch = "nvptx64")]
#[macro_export]
macro_rules! shared_array {
    ($name:ident : [$t:ty; $n:expr]) => {{
        #[allow(non_snake_case)]
        mod $name {
            #[allow(unused_imports)]
            use super::*;
            core::arch::global_asm!(
                concat!(".shared .align 16 .b8 ", stringify!($name), "[{bytes}];"),
                bytes = const ($n) * core::mem::size_of::<$t>()
            );
        }
        let addr: u32;
        // SAFETY: only takes the 32-bit shared-window address of the symbol declared above.
        unsafe {
            core::arch::asm!(
                concat!("mov.u32 {a}, ", stringify!($name), ";"),
                a = out(reg32) addr,
                options(pure, nomem, nostack)
            );
        }
        $crate::gpu::shared::SharedPtr::<$t>::from_addr(addr)
    }};
}
