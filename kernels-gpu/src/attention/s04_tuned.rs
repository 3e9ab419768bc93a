#[allow(unused_imports)]
use super::{AttentionParams, Grid, Tile};
use super::s03_cp_async::{pipelined, pipelined_smem};

/// Step 4's tile for head dimension `d`, chosen by the first H200 run (docs/perf-notes.md):
/// at d64 128 query rows per block (8 warps of 16), at d128 step 3's 64 rows (4 warps), which
/// ran at 300 TFLOP/s against 247 for 128 rows; 64-key tiles and two K/V stages at both.
pub const fn s04_tile(d: u32) -> Tile {
    let bq = if d == 64 { 128 } else { 64 };
    Tile {
        bq,
        bk: 64,
        warps: bq / 16,
        smem: pipelined_smem(d, bq, 64),
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
    /// Step 4 — tuned tile, `head_dim = 128`: step 3's 64 query rows, 4 warps, 64-key tiles,
    /// 80 KiB of shared memory, 226 registers: 2 blocks (8 warps) per SM. Measured on the H200
    /// against 128 rows and 8 warps (one block of 256 threads per SM, 183 registers, 96 KiB):
    /// 3.66 ms against 4.45 at b4 h32 s4096 d128. ncu on the 128-row kernel: 12.5% occupancy (8
    /// warps, limited by registers and shared memory), "no eligible warp" 68% of cycles, stalls
    /// split between shared-memory (MIO) scoreboard waits and fixed-latency dependencies: with
    /// one block per SM every barrier idles the whole SM, where two blocks of 4 warps overlap
    /// one block's barrier and copies with the other's mmas.
    fn attention_s04_tuned_d128(p: AttentionParams) {
        unsafe { pipelined::<128, 4, 128, 64, 8, 16, 8, 4, 8, 8>(&p) }
    }
}

step! {
    kernels: [attention_s04_tuned, attention_s04_tuned_d128],
    technique: "tile by head_dim: 128 rows / 8 warps at d64 (launch bounds 256, 2), 64 / 4 at d128",
    dtype: Bf16,
    accepts: Exactly,
    grid: Grid::Fused { d64: s04_tile(64), d128: s04_tile(128) },
}
