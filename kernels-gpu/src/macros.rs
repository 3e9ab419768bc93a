/// Declares a kernel: `#[unsafe(no_mangle)] extern "ptx-kernel"` on nvptx, the same body as a
/// plain function on the host (run by the CPU emulator, `crate::emu`), and everywhere a module
/// of the same name holding its `SYMBOL` (and `LAUNCH_BOUNDS`; on the host `EMULATED`, the host
/// function), which the host registry refers to (so a renamed kernel is a compile error on the
/// host, not a failed lookup at run time).
///
/// ```ignore
/// kernel! {
///     /// What it does, thread mapping, bytes moved.
///     fn vector_add_s01_naive(p: VectorAddParams) { ... }
/// }
/// ```
///
/// **Launch bounds** (CUDA's `__launch_bounds__(T, B)`): an optional first attribute
/// `#[launch_bounds(T, B)]` (or `#[launch_bounds(T)]`), `T` and `B` constant expressions,
/// promises launches of at most `T` threads per block and asks for at least `B` resident blocks
/// per SM, so ptxas (and the driver's JIT) cap the registers at `65536 / (T·B)` per thread:
///
/// ```ignore
/// kernel! {
///     #[launch_bounds(256, 2)]
///     /// Docs after the bounds.
///     fn gemm_x(p: GemmParams) { ... }
/// }
/// ```
///
/// rustc cannot express it, so on nvptx the kernel also emits the module-level PTX comment
/// `// klab:launch_bounds gemm_x 256 2`, which build.rs (`build/launch_bounds.rs`) replaces by
/// `.maxntid 256, 1, 1` and `.minnctapersm 2` in the entry's header (docs/device-api.md).
///
/// **Architecture**: an optional attribute `#[arch(sm_90a)]`, before everything else, puts the
/// kernel into the sm_90a PTX module (compiled with `-C target-cpu=sm_90a`, where
/// `cfg(target_feature = "sm_90a")` holds) instead of the base one; its step then declares
/// `arch: Sm90a` ([`crate::step!`]). Every other kernel is compiled into the base module only.
///
/// ```ignore
/// kernel! {
///     #[arch(sm_90a)]
///     #[launch_bounds(384, 1)]
///     /// wgmma, TMA, setmaxnreg.
///     fn gemm_bf16_s05_wgmma(p: GemmBf16Params) { ... }
/// }
/// ```
#[macro_export]
macro_rules! kernel {
    // Internal: the symbol module (every target).
    (@symbol $name:ident, $bounds:expr, $arch:ident) => {
        #[allow(non_snake_case)]
        #[doc = concat!("Symbol of the kernel `", stringify!($name), "`.")]
        pub mod $name {
            /// The kernel's entry name in the PTX.
            pub const SYMBOL: &str = stringify!($name);
            /// `Some((max threads per block, min blocks per SM))` (0: no minimum) for a kernel
            /// declared with `#[launch_bounds]`: launches must not exceed the thread count.
            pub const LAUNCH_BOUNDS: Option<(u32, u32)> = $bounds;
            /// The kernel compiled for the host, which the CPU emulator runs (`crate::emu`).
            #[cfg(not(target_arch = "nvptx64"))]
            pub const EMULATED: $crate::emu::HostKernel = $crate::emu::HostKernel::new(
                SYMBOL,
                LAUNCH_BOUNDS,
                // SAFETY: the emulator passes a pointer to this kernel's parameter struct (it
                // checks the type at launch).
                |p| super::$name(unsafe { core::ptr::read_unaligned(p.cast()) }),
                $crate::emu::params_type_of(super::$name),
                $crate::emu::params_size_of(super::$name),
            );
            /// The architecture of the PTX module the kernel is compiled into.
            pub const ARCH: $crate::step::Arch = $crate::step::Arch::$arch;
        }
    };
    // Internal: the entry point, compiled only into the module of its architecture.
    (@entry [$($cfg:tt)*] $(#[$meta:meta])* fn $name:ident($p:ident : $params:ty) $body:block) => {
        $(#[$meta])*
        #[cfg($($cfg)*)]
        #[unsafe(no_mangle)]
        pub unsafe extern "ptx-kernel" fn $name($p: $params) $body

        // The same body for the host: one call per emulated thread (`<kernel>::EMULATED`).
        $(#[$meta])*
        #[cfg(not(target_arch = "nvptx64"))]
        fn $name($p: $params) $body
    };
    // Internal: after the architecture, the optional launch bounds.
    (@with $arch:ident [$($cfg:tt)*] #[launch_bounds($threads:expr, $blocks:expr)] $(#[$meta:meta])* fn $name:ident($p:ident : $params:ty) $body:block) => {
        $crate::kernel! { @symbol $name, Some(($threads, $blocks)), $arch }
        #[cfg($($cfg)*)]
        core::arch::global_asm!(
            concat!("// klab:launch_bounds ", stringify!($name), " {t} {b}"),
            t = const { let t: u32 = $threads; t },
            b = const { let b: u32 = $blocks; b },
        );
        $crate::kernel! { @entry [$($cfg)*] $(#[$meta])* fn $name($p: $params) $body }
    };
    (@with $arch:ident [$($cfg:tt)*] #[launch_bounds($threads:expr)] $(#[$meta:meta])* fn $name:ident($p:ident : $params:ty) $body:block) => {
        $crate::kernel! { @symbol $name, Some(($threads, 0)), $arch }
        #[cfg($($cfg)*)]
        core::arch::global_asm!(
            concat!("// klab:launch_bounds ", stringify!($name), " {t}"),
            t = const { let t: u32 = $threads; t },
        );
        $crate::kernel! { @entry [$($cfg)*] $(#[$meta])* fn $name($p: $params) $body }
    };
    (@with $arch:ident [$($cfg:tt)*] $(#[$meta:meta])* fn $name:ident($p:ident : $params:ty) $body:block) => {
        $crate::kernel! { @symbol $name, None, $arch }
        $crate::kernel! { @entry [$($cfg)*] $(#[$meta])* fn $name($p: $params) $body }
    };
    // `#[arch(sm_90a)]`: only in the sm_90a module (`target_feature = "sm_90a"`).
    (#[arch(sm_90a)] $($rest:tt)*) => {
        $crate::kernel! { @with Sm90a [all(target_arch = "nvptx64", target_feature = "sm_90a")] $($rest)* }
    };
    // Default: only in the base module (every nvptx build but the sm_90a one).
    ($($rest:tt)*) => {
        $crate::kernel! { @with Sm80 [all(target_arch = "nvptx64", not(target_feature = "sm_90a"))] $($rest)* }
    };
}

/// Declares a static shared-memory array private to the kernels that use it, and evaluates to a
/// [`crate::gpu::shared::SharedPtr`] to its first element. Accesses through it compile to
/// `ld.shared` / `st.shared` (SASS `LDS` / `STS`), not generic loads (docs/architecture.md §3).
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

/// Declares a static shared-memory array (host side): on the host the array is a region of the
/// emulated block's shared window, allocated on first use in a launch and checked on every
/// access (crate::emu). Same syntax and rules as the nvptx `shared_array!`.
#[cfg(not(target_arch = "nvptx64"))]
#[macro_export]
macro_rules! shared_array {
    ($name:ident : [$t:ty; $n:expr]) => {{
        #[allow(non_upper_case_globals)]
        static $name: $crate::emu::SharedDecl = $crate::emu::SharedDecl {
            name: stringify!($name),
            bytes: ($n) * core::mem::size_of::<$t>(),
        };
        $crate::gpu::shared::SharedPtr::<$t>::from_addr($crate::emu::shared_array(&$name))
    }};
}
