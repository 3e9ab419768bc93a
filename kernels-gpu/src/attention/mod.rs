//! Fused attention forward, FlashAttention style (issue #15): `O = softmax(Q·Kᵀ·scale [+ causal
//! mask])·V` per (batch, head), bf16 `Q`, `K`, `V`, `O` in the layout `(batch, heads, seq,
//! head_dim)` contiguous, f32 accumulation, and the natural-log sum of exponentials of every
//! query row (`lse`, f32, what a backward pass needs). `head_dim` is 64 or 128; any sequence
//! length ≥ 1 (the tails of query and key tiles are masked). Causal masking keeps key `j` for
//! query `i` when `j ≤ i` (top-left aligned; the host launches only `seq_q == seq_k`).
//!
//! One file per step: (1) naive, three kernels with the scores materialised in a float32
//! workspace; (2) fused, one block per (batch·head, 64-row query tile), `mma.sync` for both
//! products, online softmax in registers; (3) `cp.async` double-buffered, swizzled K/V tiles,
//! `exp2` with the scale folded in, causal tiles above the diagonal skipped; (4) tiles tuned
//! per head dimension. Every step takes the one [`AttentionParams`] struct.

steps! {
    s01_naive,
    s02_fused_mma,
    s03_cp_async,
    s04_tuned,
}

pub(crate) mod common;

use crate::half::Bf16;
use crate::ptr::{GlobalPtr, GlobalPtrMut, KernelParams};

/// Arguments of every attention kernel. `q`, `o`: `bh × seq_q × head_dim`; `k`, `v`:
/// `bh × seq_k × head_dim` (bf16, densely packed, `bh` = batch·heads); `lse`: `bh × seq_q`
/// f32; `scores`: step 1's f32 workspace of `bh × seq_q × seq_k` (unused, may be null, for the
/// fused steps). `causal` is 0 or 1. The CUDA C++ twin declares the same layout (six 8-byte
/// addresses, four `u32`, an `f32`, a `u32`: 72 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct AttentionParams {
    pub q: GlobalPtr<Bf16>,
    pub k: GlobalPtr<Bf16>,
    pub v: GlobalPtr<Bf16>,
    pub o: GlobalPtrMut<Bf16>,
    pub lse: GlobalPtrMut<f32>,
    pub scores: GlobalPtrMut<f32>,
    pub bh: u32,
    pub seq_q: u32,
    pub seq_k: u32,
    pub head_dim: u32,
    pub scale: f32,
    pub causal: u32,
}
unsafe impl KernelParams for AttentionParams {}

/// The tile of a fused step for one head dimension: a block of `warps` warps owns `bq = 16 ·
/// warps` query rows (16 per warp) and walks the keys `bk` at a time, with `smem` bytes of
/// dynamic shared memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tile {
    pub bq: u32,
    pub bk: u32,
    pub warps: u32,
    pub smem: u32,
}

impl Tile {
    /// Threads per block.
    pub const fn threads(&self) -> u32 {
        32 * self.warps
    }
}

/// How an attention step is launched.
#[derive(Debug, Clone, Copy)]
pub enum Grid {
    /// Three kernels (the step's symbols in order): scores, one thread per (row, key), `threads`
    /// keys of one row per block; softmax, one warp per row, `threads / 32` rows per block;
    /// `P·V`, one thread per output element, `threads` per block.
    Naive { threads: u32 },
    /// One block per (query tile, batch·head): grid `(ceil(seq_q / bq), bh)`. The step's first
    /// symbol is its `head_dim = 64` kernel, the second its `head_dim = 128` kernel.
    Fused { d64: Tile, d128: Tile },
}

impl Grid {
    /// The tile of a fused step for `head_dim` (64 or 128).
    pub const fn tile(&self, head_dim: u32) -> Option<Tile> {
        match *self {
            Grid::Naive { .. } => None,
            Grid::Fused { d64, d128 } => match head_dim {
                64 => Some(d64),
                128 => Some(d128),
                _ => None,
            },
        }
    }
}

impl crate::step::BlockThreads for Grid {
    /// The `head_dim = 64` kernel's block (the host's `launch_block` tells the two apart).
    fn threads(&self) -> u32 {
        match *self {
            Grid::Naive { threads } => threads,
            Grid::Fused { d64, .. } => d64.threads(),
        }
    }
}
