#[allow(unused_imports)]
use super::{AttentionParams, Grid, Tile};
use super::s03_cp_async::{pipelined, pipelined_smem};

/// Step 4's tile for head dimension `d`: 128 query rows per block (8 warps of 16), 64-key
/// tiles, two K/V stages.
pub const fn s04_tile(d: u32) -> Tile {
    Tile {
        bq: 128,
        bk: 64,
        warps: 8,
        smem: pipelined_smem(d, 128, 64),
    }
}

kernel! {
    #[launch_bounds(256, 2)]
    /// Step 4 — tuned tile, `head_dim = 64`: step 3's code with 128-row query tiles (8 warps),
    /// so each `K`/`V` tile copied to shared memory serves twice the rows: half the shared and
    /// L2 traffic per FLOP (128 FLOP per L2 byte) and half the blocks. Launch bounds (256, 2):
    /// ptxas keeps it at 128 registers (143 without), no spills, so 2 blocks (16 warps) per SM;
    /// 48 KiB of shared memory each.
    ///
    /// Expect 1.1–1.3× step 3 at d64 (12 warps per SM there, and 64-row tiles leave the
    /// per-tile overhead — softmax, barrier, address math — large next to 64·64·64·4 FLOP).
    fn attention_s04_tuned(p: AttentionParams) {
        unsafe { pipelined::<64, 8, 256, 64, 4, 8, 8, 4, 4, 2>(&p) }
    }
}

kernel! {
    /// Step 4 — tuned tile, `head_dim = 128`: 128 query rows, 8 warps, 64-key tiles, 96 KiB of
    /// shared memory. 183 registers (the 64 f32 of `O`, 32 of `Q`, 32 of `S`): one block of
    /// 256 threads per SM, 8 warps, as step 3's two blocks of 4; what changes is half the K/V
    /// copies per FLOP. No launch bounds: at 128 registers it would spill.
    fn attention_s04_tuned_d128(p: AttentionParams) {
        unsafe { pipelined::<128, 8, 256, 64, 8, 16, 8, 4, 8, 4>(&p) }
    }
}

step! {
    kernels: [attention_s04_tuned, attention_s04_tuned_d128],
    technique: "tuned tiles: 128-row query tiles, 8 warps, two swizzled K/V stages",
    dtype: Bf16,
    accepts: Exactly,
    grid: Grid::Fused { d64: s04_tile(64), d128: s04_tile(128) },
}
