//! Step 9 — autotuned tile parameters: step 8's double-buffered body instantiated for several
//! [`WarpTile`]s. `klab tune gemm --size MxNxK` times every variant on that size and stores the
//! winner; `klab run gemm/9` then launches the stored winner of the closest size. Without a
//! stored result it takes the largest tile (in the order of [`S09_VARIANTS`]) whose grid fills
//! at least ~90% of the SMs with one block each — for 4096³ that is [`S09_VARIANTS`]`[0]`
//! (= step 8's tile); for 1024³ (64 blocks of 128×128 on 132 SMs) a 128×64 tile.
//!
//! The `_lb2` variants carry `#[launch_bounds(256, 2)]`: 64 accumulators per thread at ≤ 128
//! registers, so 2 blocks (16 warps) fit on an SM (docs/ladders/gemm.md). They have 256
//! threads, so the untuned fallback (128-thread tiles only) never picks them.

use super::s08_double_buffered::double_buffered;
#[allow(unused_imports)]
use super::{GemmParams, S08_TILE, WarpTile};

/// 128×128×8, 4 warps of 64×64 (128 results per thread): step 8's tile, the default.
pub const S09_128X128X8_W64X64: WarpTile = S08_TILE;
/// 128×128×16, 4 warps of 64×64: step 8's tile with twice the work per barrier and twice the
/// prefetch registers.
pub const S09_128X128X16_W64X64: WarpTile = WarpTile { bk: 16, ..S08_TILE };
/// 256×128×8, 8 warps of 64×64 (256 threads): more reuse of `B` per block, 1 block per SM.
pub const S09_256X128X8_W64X64: WarpTile = WarpTile {
    bm: 256,
    bn: 128,
    bk: 8,
    wm: 64,
    wn: 64,
    wniter: 4,
    tm: 8,
    tn: 4,
};
/// 128×256×8, 8 warps of 64×64 (256 threads): more reuse of `A` per block, 48 KiB of stages.
pub const S09_128X256X8_W64X64: WarpTile = WarpTile {
    bm: 128,
    bn: 256,
    bk: 8,
    wm: 64,
    wn: 64,
    wniter: 4,
    tm: 8,
    tn: 4,
};
/// 128×256×16, 8 warps of 64×64 (256 threads): the 4096³ winner 128×256×8 with twice the
/// FFMAs per barrier and per prefetch (2048 per thread instead of 1024), 24 prefetch registers
/// (`A`: 2 chunks, `B`: 4) and 48.5 KiB of stages (over 48 KiB: opt-in dynamic smem).
pub const S09_128X256X16_W64X64: WarpTile = WarpTile {
    bk: 16,
    ..S09_128X256X8_W64X64
};
/// 256×128×16, 8 warps of 64×64 (256 threads): the transpose of 128×256×16 (`A`: 4 chunks,
/// `B`: 2), 48.5 KiB of stages.
pub const S09_256X128X16_W64X64: WarpTile = WarpTile {
    bk: 16,
    ..S09_256X128X8_W64X64
};
/// 128×128×8, 8 warps of 64×32 (256 threads, 64 results per thread): more warps per SM.
pub const S09_128X128X8_W64X32: WarpTile = WarpTile {
    bm: 128,
    bn: 128,
    bk: 8,
    wm: 64,
    wn: 32,
    wniter: 2,
    tm: 8,
    tn: 4,
};
/// 128×64×16, 4 warps of 64×32 (64 results per thread): twice the blocks of 128×128, for
/// mid-size problems (1024³: 128 blocks on 132 SMs instead of 64).
pub const S09_128X64X16_W64X32: WarpTile = WarpTile {
    bm: 128,
    bn: 64,
    bk: 16,
    wm: 64,
    wn: 32,
    wniter: 2,
    tm: 8,
    tn: 4,
};
/// 64×128×16, 4 warps of 32×64 (64 results per thread): the transpose of the 128×64 variant.
pub const S09_64X128X16_W32X64: WarpTile = WarpTile {
    bm: 64,
    bn: 128,
    bk: 16,
    wm: 32,
    wn: 64,
    wniter: 2,
    tm: 8,
    tn: 4,
};
/// 64×64×16, 4 warps of 32×32 (32 results per thread): many small blocks for small problems.
pub const S09_64X64X16_W32X32: WarpTile = WarpTile {
    bm: 64,
    bn: 64,
    bk: 16,
    wm: 32,
    wn: 32,
    wniter: 2,
    tm: 4,
    tn: 4,
};

/// 128×128×16, 8 warps of 64×32 (256 threads, 64 results per thread): 128×128×8 w64x32 with
/// twice the `FFMA`s per barrier.
pub const S09_128X128X16_W64X32: WarpTile = WarpTile {
    bk: 16,
    ..S09_128X128X8_W64X32
};
/// 128×128×8, 8 warps of 32×64 (256 threads, 64 results per thread): the transpose of the
/// 64×32-warp tile (per lane 8 × 8 with `WNITER = 2` along N: 2 + 4 `LDS.128` per `K` index).
pub const S09_128X128X8_W32X64: WarpTile = WarpTile {
    bm: 128,
    bn: 128,
    bk: 8,
    wm: 32,
    wn: 64,
    wniter: 2,
    tm: 8,
    tn: 4,
};
/// 128×128×16, 8 warps of 32×64 (256 threads, 64 results per thread).
pub const S09_128X128X16_W32X64: WarpTile = WarpTile {
    bk: 16,
    ..S09_128X128X8_W32X64
};

/// Every variant of step 9: `(kernel symbol, tile)`, the default first. The host registers all
/// of them as the step's symbols; the tuner picks among them.
pub const S09_VARIANTS: &[(&str, WarpTile)] = &[
    (gemm_s09_autotuned::SYMBOL, S09_128X128X8_W64X64),
    (
        gemm_s09_autotuned_256x128x8_w64x64::SYMBOL,
        S09_256X128X8_W64X64,
    ),
    (
        gemm_s09_autotuned_128x256x8_w64x64::SYMBOL,
        S09_128X256X8_W64X64,
    ),
    (
        gemm_s09_autotuned_128x128x8_w64x32::SYMBOL,
        S09_128X128X8_W64X32,
    ),
    (
        gemm_s09_autotuned_128x64x16_w64x32::SYMBOL,
        S09_128X64X16_W64X32,
    ),
    (
        gemm_s09_autotuned_64x64x16_w32x32::SYMBOL,
        S09_64X64X16_W32X32,
    ),
    // Appended later (earlier indices keep their meaning).
    (
        gemm_s09_autotuned_128x256x16_w64x64::SYMBOL,
        S09_128X256X16_W64X64,
    ),
    (
        gemm_s09_autotuned_256x128x16_w64x64::SYMBOL,
        S09_256X128X16_W64X64,
    ),
    (
        gemm_s09_autotuned_128x128x16_w64x64::SYMBOL,
        S09_128X128X16_W64X64,
    ),
    (
        gemm_s09_autotuned_64x128x16_w32x64::SYMBOL,
        S09_64X128X16_W32X64,
    ),
    // Launch bounds (256, 2): 2 blocks (16 warps) per SM, ≤ 128 registers per thread.
    (
        gemm_s09_autotuned_128x128x8_w64x32_lb2::SYMBOL,
        S09_128X128X8_W64X32,
    ),
    (
        gemm_s09_autotuned_128x128x16_w64x32_lb2::SYMBOL,
        S09_128X128X16_W64X32,
    ),
    (
        gemm_s09_autotuned_128x128x8_w32x64_lb2::SYMBOL,
        S09_128X128X8_W32X64,
    ),
    (
        gemm_s09_autotuned_128x128x16_w32x64_lb2::SYMBOL,
        S09_128X128X16_W32X64,
    ),
];

warptile_kernel! {
    /// Step 9, default variant (128×128×8, warps 64×64, 8×4 ×(1×4) per lane): step 8's body.
    gemm_s09_autotuned, double_buffered, S09_128X128X8_W64X64
}
warptile_kernel! {
    /// Step 9 variant 128×128×16, warps 64×64 (128 threads).
    gemm_s09_autotuned_128x128x16_w64x64, double_buffered, S09_128X128X16_W64X64
}
warptile_kernel! {
    /// Step 9 variant 256×128×8, warps 64×64 (256 threads).
    gemm_s09_autotuned_256x128x8_w64x64, double_buffered, S09_256X128X8_W64X64
}
warptile_kernel! {
    /// Step 9 variant 128×256×8, warps 64×64 (256 threads).
    gemm_s09_autotuned_128x256x8_w64x64, double_buffered, S09_128X256X8_W64X64
}
warptile_kernel! {
    /// Step 9 variant 128×128×8, warps 64×32 (256 threads).
    gemm_s09_autotuned_128x128x8_w64x32, double_buffered, S09_128X128X8_W64X32
}
warptile_kernel! {
    /// Step 9 variant 128×64×16, warps 64×32 (128 threads).
    gemm_s09_autotuned_128x64x16_w64x32, double_buffered, S09_128X64X16_W64X32
}
warptile_kernel! {
    /// Step 9 variant 64×128×16, warps 32×64 (128 threads).
    gemm_s09_autotuned_64x128x16_w32x64, double_buffered, S09_64X128X16_W32X64
}
warptile_kernel! {
    /// Step 9 variant 64×64×16, warps 32×32 (128 threads).
    gemm_s09_autotuned_64x64x16_w32x32, double_buffered, S09_64X64X16_W32X32
}
warptile_kernel! {
    /// Step 9 variant 128×256×16, warps 64×64 (256 threads, 48.5 KiB of dynamic smem).
    gemm_s09_autotuned_128x256x16_w64x64, double_buffered, S09_128X256X16_W64X64
}
warptile_kernel! {
    /// Step 9 variant 256×128×16, warps 64×64 (256 threads, 48.5 KiB of dynamic smem).
    gemm_s09_autotuned_256x128x16_w64x64, double_buffered, S09_256X128X16_W64X64
}
warptile_kernel! {
    #[launch_bounds(256, 2)]
    /// Step 9 variant 128×128×8, warps 64×32 (256 threads), launch bounds (256, 2): 2 blocks per
    /// SM, registers capped at 128.
    gemm_s09_autotuned_128x128x8_w64x32_lb2, double_buffered, S09_128X128X8_W64X32
}
warptile_kernel! {
    #[launch_bounds(256, 2)]
    /// Step 9 variant 128×128×16, warps 64×32 (256 threads), launch bounds (256, 2).
    gemm_s09_autotuned_128x128x16_w64x32_lb2, double_buffered, S09_128X128X16_W64X32
}
warptile_kernel! {
    #[launch_bounds(256, 2)]
    /// Step 9 variant 128×128×8, warps 32×64 (256 threads), launch bounds (256, 2).
    gemm_s09_autotuned_128x128x8_w32x64_lb2, double_buffered, S09_128X128X8_W32X64
}
warptile_kernel! {
    #[launch_bounds(256, 2)]
    /// Step 9 variant 128×128×16, warps 32×64 (256 threads), launch bounds (256, 2).
    gemm_s09_autotuned_128x128x16_w32x64_lb2, double_buffered, S09_128X128X16_W32X64
}

/// Every PTX entry of step 9, the default variant first (the step's symbols).
pub const S09_SYMBOLS: [&str; S09_VARIANTS.len()] = {
    let mut out = [""; S09_VARIANTS.len()];
    let mut i = 0;
    while i < out.len() {
        out[i] = S09_VARIANTS[i].0;
        i += 1;
    }
    out
};

/// Every variant's host kernel, for the CPU emulator: `S09_VARIANTS`' kernels, in its order
/// (checked by the registry's tests).
#[cfg(not(target_arch = "nvptx64"))]
pub const S09_EMULATED: [crate::emu::HostKernel; S09_VARIANTS.len()] = [
    gemm_s09_autotuned::EMULATED,
    gemm_s09_autotuned_256x128x8_w64x64::EMULATED,
    gemm_s09_autotuned_128x256x8_w64x64::EMULATED,
    gemm_s09_autotuned_128x128x8_w64x32::EMULATED,
    gemm_s09_autotuned_128x64x16_w64x32::EMULATED,
    gemm_s09_autotuned_64x64x16_w32x32::EMULATED,
    gemm_s09_autotuned_128x256x16_w64x64::EMULATED,
    gemm_s09_autotuned_256x128x16_w64x64::EMULATED,
    gemm_s09_autotuned_128x128x16_w64x64::EMULATED,
    gemm_s09_autotuned_64x128x16_w32x64::EMULATED,
    gemm_s09_autotuned_128x128x8_w64x32_lb2::EMULATED,
    gemm_s09_autotuned_128x128x16_w64x32_lb2::EMULATED,
    gemm_s09_autotuned_128x128x8_w32x64_lb2::EMULATED,
    gemm_s09_autotuned_128x128x16_w32x64_lb2::EMULATED,
];

step! {
    symbols: &S09_SYMBOLS,
    emulated: &S09_EMULATED,
    technique: "step 8 over several tile shapes, winner per size from `klab tune`",
    dtype: F32,
    accepts: Exactly,
    grid: Grid::Tuned,
}
