//! Tensor-core GEMM in bf16, `C = α·A·B + β·C`: `A` (`M×K`) and `B` (`K×N`) bf16 row-major,
//! products accumulated in f32 by `mma.sync` (or `wgmma`), `C` (`M×N`) f32 row-major, any `M`,
//! `N`, `K ≥ 1` (issue #11).
//!
//! One file per step: (1) mma.sync with fragments gathered from global memory; (2) shared-memory
//! tiles read with `ldmatrix`; (3) a `cp.async` multi-stage pipeline; (4) 128-byte XOR swizzle,
//! 64×64 warp tiles and double-buffered fragments; sm_90a steps with wgmma follow. Every step
//! takes the one [`GemmBf16Params`] struct.
//!
//! **Edges.** Every step is correct for any shape: tile loads zero-fill what lies outside `A`
//! or `B` (so the mma loop never branches on the edge) and every store of `C` is guarded.
//! 16-byte copies of `A` need `K % 8 == 0` and a 16-byte aligned base (`B`: `N % 8 == 0`);
//! otherwise the same tile is loaded with guarded 16-bit loads (a uniform branch,
//! [`common`]). Pairs of `C` are stored with 64-bit accesses where `N` is even and the base
//! 8-byte aligned. `β = 0` never reads `C`.

/// `d` is non-zero and divides `x`.
const fn divides(d: u32, x: u32) -> bool {
    d != 0 && x.is_multiple_of(d)
}

steps! {
    s01_mma_naive,
    s02_smem_ldmatrix,
    s03_cp_async,
    s04_swizzled_warptile,
    s05_wgmma,
    s06_tma_warpspecialized,
}

/// How a bf16 GEMM step is launched.
#[derive(Debug, Clone, Copy)]
pub enum Grid {
    /// A block of `threads` computes a `bm × bn` tile of `C` (grid x along N, y along M), with
    /// `smem` bytes of dynamic shared memory.
    Tiles {
        bm: u32,
        bn: u32,
        threads: u32,
        smem: u32,
    },
    /// As `Tiles`, with [`GemmBf16TmaParams`]: the host builds the two tensor maps (TMA needs
    /// 16-byte row strides: `K % 8 == 0`, `N % 8 == 0`) and otherwise launches the step's second
    /// kernel (step 5's) with its own `Tiles` grid.
    Tma {
        bm: u32,
        bn: u32,
        threads: u32,
        smem: u32,
    },
}

mod common;

use crate::half::Bf16;
use crate::ptr::{GlobalPtr, GlobalPtrMut, KernelParams};

/// Arguments of every bf16 GEMM kernel: `C[m×n] = alpha·A[m×k]·B[k×n] + beta·C`, `A` and `B`
/// bf16, `C` f32, all row-major and densely packed (leading dimensions `k`, `n`, `n`). The
/// CUDA C++ twin declares the same layout (three 8-byte addresses, three `u32`, two `f32`: 44
/// bytes, padded to 48).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct GemmBf16Params {
    pub a: GlobalPtr<Bf16>,
    pub b: GlobalPtr<Bf16>,
    pub c: GlobalPtrMut<f32>,
    pub m: u32,
    pub n: u32,
    pub k: u32,
    pub alpha: f32,
    pub beta: f32,
}
unsafe impl KernelParams for GemmBf16Params {}

/// Arguments of the TMA kernels: the GEMM's, and the global address of two 128-byte tensor
/// maps (`cuTensorMapEncodeTiled`, 64-byte aligned): `A`'s at `tmaps`, `B`'s at `tmaps + 128`.
/// `A`'s: bf16, dimensions `{k, m}`, row stride `2k` bytes, box `{64, 128}`; `B`'s: dimensions
/// `{n, k}`, row stride `2n` bytes, box `{64, 64}`; both `SWIZZLE_128B`, zero fill.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct GemmBf16TmaParams {
    pub gemm: GemmBf16Params,
    pub tmaps: GlobalPtr<u8>,
}
unsafe impl KernelParams for GemmBf16TmaParams {}

/// The tile shape of a shared-memory step (2–4): a block of `warps_m × warps_n` warps computes
/// a `bm × bn` tile of `C`, `bk` deep per stage; each warp a `wm × wn` sub-tile of
/// `(wm/16) × (wn/8)` mma tiles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct MmaTile {
    pub bm: u32,
    pub bn: u32,
    pub bk: u32,
    pub wm: u32,
    pub wn: u32,
    /// Shared-memory stages (1: load, barrier, compute, barrier).
    pub stages: u32,
}

impl MmaTile {
    /// Warps per block.
    pub const fn warps(&self) -> u32 {
        (self.bm / self.wm) * (self.bn / self.wn)
    }
    /// Threads per block.
    pub const fn threads(&self) -> u32 {
        32 * self.warps()
    }
    /// m16 mma tiles per warp.
    pub const fn mi(&self) -> usize {
        (self.wm / 16) as usize
    }
    /// n8 mma tiles per warp.
    pub const fn ni(&self) -> usize {
        (self.wn / 8) as usize
    }
    /// 16-byte chunks of the `A` tile (`bm × bk`) each thread copies per stage.
    pub const fn a_chunks(&self) -> usize {
        (self.bm * self.bk / 8 / self.threads()) as usize
    }
    /// 16-byte chunks of the `B` tile (`bk × bn`) each thread copies per stage.
    pub const fn b_chunks(&self) -> usize {
        (self.bk * self.bn / 8 / self.threads()) as usize
    }
    /// Bytes of one stage: the `A` tile then the `B` tile, bf16.
    pub const fn stage_bytes(&self) -> u32 {
        2 * (self.bm * self.bk + self.bk * self.bn)
    }
    /// Dynamic shared memory of a launch: every stage.
    pub const fn smem_bytes(&self) -> u32 {
        self.stages * self.stage_bytes()
    }
    /// Whether the parameters tile exactly (checked at compile time for each step).
    pub const fn is_valid(&self) -> bool {
        divides(self.wm, self.bm)
            && divides(self.wn, self.bn)
            && divides(16, self.wm)
            && divides(16, self.wn)
            && divides(16, self.bk)
            && divides(self.threads(), self.bm * self.bk / 8)
            && divides(self.threads(), self.bk * self.bn / 8)
            && self.a_chunks() >= 1
            && self.b_chunks() >= 1
            && self.threads() <= 1024
            && self.stages >= 1
    }
}

impl crate::step::BlockThreads for Grid {
    fn threads(&self) -> u32 {
        match *self {
            Grid::Tiles { threads, .. } | Grid::Tma { threads, .. } => threads,
        }
    }
}
