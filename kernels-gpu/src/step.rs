//! A step's declaration, written beside its kernel: which PTX entries it launches, what it
//! does differently, the element type of its data, and how the host launches it. The ladder's
//! `mod.rs` lists its step files once ([`steps!`]), which makes the table the host registry
//! reads; the registry derives the ladder, the step number and the slug from the symbol
//! (`<ladder>_s<NN>_<slug>`) and checks them when it loads.
//!
//! ```ignore
//! // kernels-gpu/src/saxpy/s03_vectorized.rs
//! kernel! { fn saxpy_s03_vectorized(p: SaxpyParams) { ... } }
//! step! {
//!     kernel: saxpy_s03_vectorized,
//!     technique: "grid-stride loop of 128-bit loads/stores, scalar head and tail",
//!     dtype: F32,
//!     accepts: Any,
//!     grid: Grid::Stride { threads: 256, blocks_per_sm: 8, per_thread: 4 },
//! }
//! ```
//!
//! Declarations are host data: they are compiled out of the device build, so they never reach
//! the PTX.

/// The element type of a step's inputs and outputs in memory (arithmetic may be wider: the
/// bf16 steps compute in f32).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum DType {
    F32,
    Bf16,
    F16,
}

impl DType {
    /// Every element type, in the order `klab list` shows them.
    pub const ALL: [DType; 3] = [DType::F32, DType::Bf16, DType::F16];

    /// Bytes per element.
    pub const fn size(self) -> usize {
        match self {
            DType::F32 => 4,
            DType::Bf16 | DType::F16 => 2,
        }
    }

    /// The name in listings, JSON and file names: `f32`, `bf16`, `f16`.
    pub const fn name(self) -> &'static str {
        match self {
            DType::F32 => "f32",
            DType::Bf16 => "bf16",
            DType::F16 => "f16",
        }
    }
}

/// The oldest GPU architecture a step's kernels run on, and so the PTX module they are
/// compiled into. build.rs compiles kernels-gpu twice: the **base module** (`kernels.ptx`,
/// `-C target-cpu=sm_80` unless `KLAB_PTX_ARCH` says otherwise), which the driver JIT-compiles
/// for Ampere, Hopper and later; and the **sm_90a module** (`kernels_sm90a.ptx`,
/// `-C target-cpu=sm_90a`, PTX ISA 8.0), which holds only the kernels declared
/// `kernel! { #[arch(sm_90a)] ... }` and runs only on compute capability 9.0 (arch-specific
/// features such as `wgmma`, `setmaxnreg` are not forward compatible).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Arch {
    /// Ampere and later (the base module): `mma.sync`, `ldmatrix`, `cp.async`.
    #[default]
    Sm80,
    /// Hopper only (the sm_90a module): `wgmma`, TMA, `setmaxnreg`.
    Sm90a,
}

impl Arch {
    /// Every architecture, in the order of their modules.
    pub const ALL: [Arch; 2] = [Arch::Sm80, Arch::Sm90a];

    /// The name in listings and on command lines: `sm_80`, `sm_90a`.
    pub const fn name(self) -> &'static str {
        match self {
            Arch::Sm80 => "sm_80",
            Arch::Sm90a => "sm_90a",
        }
    }

    /// Whether a device of compute capability `(major, minor)` runs kernels of this arch:
    /// 8.0 and later for sm_80 PTX; exactly 9.0 for sm_90a.
    pub const fn runs_on(self, (major, minor): (i32, i32)) -> bool {
        match self {
            Arch::Sm80 => major >= 8,
            Arch::Sm90a => major == 9 && minor == 0,
        }
    }
}

/// Which block sizes (threads per block) a kernel's code handles, besides the device limit
/// (`klab occupancy` checks `--block` against it).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepts {
    /// Only its launch's: tile shapes or a const generic fix the block in the code.
    Exactly,
    /// Powers of two from `min`: a shared-memory tree halves `blockDim`.
    PowerOfTwo { min: u32 },
    /// Multiples of 32: one warp per item, or one value per warp in a block reduction.
    WarpMultiple,
    /// Any: the code reads `blockDim` and checks its bounds.
    Any,
}

/// A ladder's launch description knows its block size (threads per block, every dimension
/// together): what `klab occupancy` defaults `--block` to.
pub trait BlockThreads {
    /// Threads per block of the launch.
    fn threads(&self) -> u32;
}

/// One step as declared beside its kernel; `G` is the ladder's own description of how the
/// host launches it (its `Grid` type).
#[derive(Debug)]
pub struct Step<G: 'static> {
    /// Every PTX entry the step launches; the first is the step's own, `<ladder>_s<NN>_<slug>`.
    pub symbols: &'static [&'static str],
    /// The same kernels compiled for the host, in the order of `symbols`: what the CPU
    /// emulator runs for each symbol.
    #[cfg(not(target_arch = "nvptx64"))]
    pub emulated: &'static [crate::emu::HostKernel],
    /// What the step does differently from the one before.
    pub technique: &'static str,
    /// The element type of its data.
    pub dtype: DType,
    /// Which blocks its code handles.
    pub accepts: Accepts,
    /// How the host launches it.
    pub grid: G,
    /// The oldest architecture its kernels run on (the module they are in).
    pub arch: Arch,
}

/// Declares the step of the file it stands in, as the constant `STEP` that the ladder's
/// [`steps!`] table collects. `kernel: NAME` for a step of one kernel, `kernels: [A, B]` for a
/// step that launches several (the first names the step), or `symbols: EXPR, emulated: EXPR`
/// for lists made elsewhere (the tuned GEMM's variants: their symbols and their host kernels,
/// `<kernel>::EMULATED`, in the same order); `symbols: &[A::SYMBOL, …]` alone derives the host
/// kernels. `dtype` is a [`DType`] variant, `accepts` an [`Accepts`] one; `grid` is an
/// expression of the ladder's `Grid` type (the ladder module's items are in scope).
/// `name: NAME` declares the constant under another name than `STEP` (the reductions declare a
/// sum and a max step per file). An optional last field `arch: Sm90a` (an [`Arch`] variant;
/// default `Sm80`) says which architecture the step needs: its kernels must be declared
/// `kernel! { #[arch(sm_90a)] ... }`, which puts them in the sm_90a module, and the host skips
/// the step on other devices.
#[macro_export]
macro_rules! step {
    (@arch) => {
        $crate::step::Arch::Sm80
    };
    (@arch $arch:ident) => {
        $crate::step::Arch::$arch
    };
    (kernel: $k:ident, $($rest:tt)*) => {
        $crate::step! { name: STEP, symbols: &[$k::SYMBOL], $($rest)* }
    };
    (kernels: [$($k:ident),+ $(,)?], $($rest:tt)*) => {
        $crate::step! { name: STEP, symbols: &[$($k::SYMBOL),+], $($rest)* }
    };
    (symbols: &[$($k:ident::SYMBOL),+ $(,)?], $($rest:tt)*) => {
        $crate::step! { name: STEP, symbols: &[$($k::SYMBOL),+], $($rest)* }
    };
    (symbols: $syms:expr, emulated: $emu:expr, $($rest:tt)*) => {
        $crate::step! { name: STEP, symbols: $syms, emulated: $emu, $($rest)* }
    };
    (
        name: $name:ident,
        symbols: $syms:expr,
        emulated: $emu:expr,
        technique: $tech:expr,
        dtype: $dtype:ident,
        accepts: $accepts:expr,
        grid: $grid:expr
        $(, arch: $arch:ident)? $(,)?
    ) => {
        /// This file's step, collected by the ladder's step table.
        #[cfg(not(target_arch = "nvptx64"))]
        pub(super) const $name: $crate::step::Step<super::Grid> = $crate::step::Step {
            symbols: $syms,
            emulated: $emu,
            technique: $tech,
            dtype: $crate::step::DType::$dtype,
            accepts: {
                #[allow(unused_imports)]
                use $crate::step::Accepts::*;
                $accepts
            },
            grid: {
                #[allow(unused_imports)]
                use super::*;
                $grid
            },
            arch: $crate::step!(@arch $($arch)?),
        };
    };
    (name: $name:ident, symbols: &[$($k:ident::SYMBOL),+ $(,)?], $($rest:tt)*) => {
        $crate::step! {
            name: $name,
            symbols: &[$($k::SYMBOL),+],
            emulated: &[$($k::EMULATED),+],
            $($rest)*
        }
    };
}

/// Declares a ladder's step files, in order, and the ladder's step table `STEPS` (host only):
/// `steps! { s01_naive, s02_grid_stride }` is `mod s01_naive; pub use s01_naive::*; …` and
/// `pub static STEPS = [s01_naive::STEP, s02_grid_stride::STEP]`. Adding a step is its file and
/// its name here.
#[macro_export]
macro_rules! steps {
    ($($file:ident),+ $(,)?) => {
        $(
            mod $file;
            #[allow(unused_imports)]
            pub use $file::*;
        )+
        /// The ladder's steps, in order (read by the host registry).
        #[cfg(not(target_arch = "nvptx64"))]
        pub static STEPS: &[$crate::step::Step<Grid>] = &[$($file::STEP),+];
    };
}
