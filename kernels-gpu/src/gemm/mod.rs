//! Single-precision GEMM, `C = α·A·B + β·C`, row-major, any `M`, `N`, `K`: the GEMM ladder.
//!
//! One file per step, siboehm's SGEMM_CUDA as the model (naive → coalescing → shared-memory
//! tiling → 1-D and 2-D register blocking → 128-bit loads → warp tiling → double buffering →
//! tuned tile parameters). Every step takes the one [`GemmParams`] struct.
//!
//! Edges: every step is correct for any shape. Tiled steps zero-fill the parts of a tile that
//! lie outside `A` or `B` (so the inner loop never branches) and guard every store of `C`.
//! 128-bit global accesses are used only where the row stride allows them (`K % 4 == 0` for `A`,
//! `N % 4 == 0` for `B` and `C`, and 16-byte aligned bases), otherwise the same tile is loaded
//! with scalar loads (a uniform runtime branch, see [`common`]).
//!
//! `β = 0` never reads `C` (BLAS semantics: `C` may hold NaN then).

/// `d` is non-zero and divides `x`.
const fn divides(d: usize, x: usize) -> bool {
    d != 0 && x.is_multiple_of(d)
}

/// Instantiates a warp-tiled body for one [`WarpTile`] constant as a `kernel!`, passing every
/// derived size as a const generic (stable Rust cannot size arrays by expressions of const
/// generics) and checking the parameters at compile time. An optional first attribute
/// `#[launch_bounds(T, B)]` is passed on to `kernel!` (`T` must be the tile's thread count).
#[cfg_attr(not(target_arch = "nvptx64"), allow(unused_macros))]
macro_rules! warptile_kernel {
    (#[launch_bounds($t:expr, $b:expr)] $(#[$meta:meta])* $name:ident, $body:ident, $cfg:path) => {
        const _: () = assert!($cfg.is_valid(), concat!("invalid tile parameters for ", stringify!($name)));
        const _: () = assert!(
            $cfg.threads() == $t as usize,
            concat!("launch bounds of ", stringify!($name), " differ from its tile's thread count")
        );
        kernel! {
            #[launch_bounds($t, $b)]
            $(#[$meta])*
            fn $name(p: GemmParams) {
                warptile_kernel!(@call $body, $cfg, p)
            }
        }
    };
    ($(#[$meta:meta])* $name:ident, $body:ident, $cfg:path) => {
        const _: () = assert!($cfg.is_valid(), concat!("invalid tile parameters for ", stringify!($name)));
        kernel! {
            $(#[$meta])*
            fn $name(p: GemmParams) {
                warptile_kernel!(@call $body, $cfg, p)
            }
        }
    };
    (@call $body:ident, $cfg:path, $p:ident) => {
        $body::<
            { $cfg.bm }, { $cfg.bn }, { $cfg.bk }, { $cfg.wm }, { $cfg.wn },
            { $cfg.wniter }, { $cfg.tm }, { $cfg.tn }, { $cfg.wmiter() },
            { $cfg.threads() }, { $cfg.acc() }, { $cfg.wmiter() * $cfg.tm },
            { $cfg.wniter * $cfg.tn }, { $cfg.a_chunks() }, { $cfg.b_chunks() },
        >($p)
    };
}

steps! {
    s01_naive,
    s02_coalesced,
    s03_smem_tiled,
    s04_blocktile_1d,
    s05_blocktile_2d,
    s06_vectorized,
    s07_warptile,
    s08_double_buffered,
    s09_autotuned,
}

/// How a GEMM step is launched.
#[derive(Debug, Clone, Copy)]
pub enum Grid {
    /// 32×32 blocks, x along M (step 1).
    RowMajorThreads,
    /// 32×32 blocks, x along N (steps 2, 3).
    ColMajorThreads,
    /// Step 4: 64×64 tiles, 512 threads.
    Tile1d,
    /// Steps 5, 6: 128×128 tiles, 256 threads.
    Tile2d,
    /// Steps 7, 8: a warp-tiled kernel with `stages` shared-memory buffers.
    Warp { tile: WarpTile, stages: u32 },
    /// Step 9: one of [`S09_VARIANTS`], chosen per case (tuned winner or the default).
    Tuned,
}

mod common;

use crate::ptr::{GlobalPtr, GlobalPtrMut, KernelParams};

/// Arguments of every GEMM kernel: `C[m×n] = alpha·A[m×k]·B[k×n] + beta·C`, all row-major and
/// densely packed (leading dimensions `k`, `n`, `n`). The CUDA C++ twin declares the same
/// layout (three 8-byte addresses, three `u32`, two `f32`: 44 bytes, padded to 48).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct GemmParams {
    pub a: GlobalPtr<f32>,
    pub b: GlobalPtr<f32>,
    pub c: GlobalPtrMut<f32>,
    pub m: u32,
    pub n: u32,
    pub k: u32,
    pub alpha: f32,
    pub beta: f32,
}
unsafe impl KernelParams for GemmParams {}

/// Tile parameters of the warp-tiled kernels (steps 7–9), in siboehm's names.
///
/// A block of `threads()` threads computes a `bm × bn` tile of `C`, stepping through `K` by
/// `bk`. Each warp owns a `wm × wn` sub-tile, which it covers in `wmiter() × wniter` steps of
/// `(wm / wmiter()) × (wn / wniter)`; in each, every lane computes a `tm × tn` register tile.
/// `A` is kept transposed in shared memory (`bk` rows of `bm + 4` floats: the pad of 4 keeps
/// 16-byte alignment and spreads the transposing stores over the banks), `B` as is (`bk × bn`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WarpTile {
    pub bm: usize,
    pub bn: usize,
    pub bk: usize,
    pub wm: usize,
    pub wn: usize,
    pub wniter: usize,
    pub tm: usize,
    pub tn: usize,
}

impl WarpTile {
    /// Threads per block: one warp per `wm × wn` sub-tile.
    pub const fn threads(&self) -> usize {
        (self.bm / self.wm) * (self.bn / self.wn) * 32
    }
    /// Warp sub-tile steps along M.
    pub const fn wmiter(&self) -> usize {
        (self.wm * self.wn) / (32 * self.tm * self.tn * self.wniter)
    }
    /// Accumulators per thread (`wmiter·tm · wniter·tn`).
    pub const fn acc(&self) -> usize {
        self.wmiter() * self.tm * self.wniter * self.tn
    }
    /// 4-float chunks of the `A` tile each thread loads per `bk` step.
    pub const fn a_chunks(&self) -> usize {
        self.bm * self.bk / 4 / self.threads()
    }
    /// 4-float chunks of the `B` tile each thread loads per `bk` step.
    pub const fn b_chunks(&self) -> usize {
        self.bk * self.bn / 4 / self.threads()
    }
    /// Row stride (floats) of the transposed `A` tile in shared memory.
    pub const fn a_stride(&self) -> usize {
        self.bm + 4
    }
    /// Floats of one shared-memory stage (`A` tile then `B` tile).
    pub const fn stage_floats(&self) -> usize {
        self.bk * self.a_stride() + self.bk * self.bn
    }
    /// Dynamic shared memory of a launch with `stages` buffers.
    pub const fn smem_bytes(&self, stages: usize) -> usize {
        stages * self.stage_floats() * 4
    }
    /// Whether the parameters tile exactly (checked at compile time for every instantiation).
    pub const fn is_valid(&self) -> bool {
        let t = self.threads();
        divides(self.wm, self.bm)
            && divides(self.wn, self.bn)
            && divides(4, self.bk)
            && divides(4, self.tm)
            && divides(4, self.tn)
            && divides(self.wniter, self.wn)
            && self.wmiter() >= 1
            && divides(self.wmiter(), self.wm)
            && divides(32 * self.tm * self.tn * self.wniter, self.wm * self.wn)
            && ((self.wm / self.wmiter()) / self.tm) * ((self.wn / self.wniter) / self.tn) == 32
            && divides(self.tm, self.wm / self.wmiter())
            && divides(self.tn, self.wn / self.wniter)
            && t <= 1024
            && self.tm <= 16
            && self.tn <= 16
            && divides(t, self.bm * self.bk / 4)
            && divides(t, self.bk * self.bn / 4)
            && self.a_chunks() >= 1
            && self.b_chunks() >= 1
    }
}

/// The 32×32 thread block of steps 1–3.
pub const BLOCK_32X32: (u32, u32) = (32, 32);

impl crate::step::BlockThreads for Grid {
    /// For step 9, its default variant's (each variant is launched with its own tile's).
    fn threads(&self) -> u32 {
        match self {
            Grid::RowMajorThreads | Grid::ColMajorThreads => BLOCK_32X32.0 * BLOCK_32X32.1,
            Grid::Tile1d => S04_THREADS,
            Grid::Tile2d => S05_THREADS,
            Grid::Warp { tile, .. } => tile.threads() as u32,
            Grid::Tuned => S09_VARIANTS[0].1.threads() as u32,
        }
    }
}
