#[allow(unused_imports)]
use super::{CHUNKS, SoftmaxParams};

kernel! {
    #[launch_bounds(crate::softmax::MAX_THREADS)]
    /// Step 5 — the row in registers: one read, 128-bit loads (block per row, for rows of
    /// more than 1024 columns).
    ///
    /// Changed from step 4: thread `t` of the block issues all its loads first — chunks
    /// `t, t + B, …` of 8 floats, two `LDG.E.128` each, at most [`CHUNKS`] = 4 (32 registers) —
    /// then the block reduces the maximum, each thread turns its 32 values into `exp(x − m)` in
    /// place, the block reduces the sum, and each thread writes its values times `1/s` with
    /// `STG.E.128`: each element crosses DRAM exactly once each way, and 128 bytes per thread
    /// are in flight before the first reduction. The host launches the fewest whole warps that
    /// hold the row ([`super::register_block_threads`]: 128 threads at 4096 columns, 1000 → 1024
    /// at 32000: a 32000-wide vocabulary row is 32 floats per thread in one block of 1024, so no
    /// cluster or multi-block split is needed). `#[launch_bounds(1024)]` caps the registers at
    /// 64 so a block of 1024 always launches.
    ///
    /// Past what it holds (rows longer than 32768 columns, or not whole 16-byte chunks: `cols`
    /// not a multiple of 8) it falls back inside the kernel to step 4's looped online pass
    /// ([`super::online_row`]), the choice uniform over the block.
    ///
    /// Bytes: `8·rows·cols` (the minimum). Expected: ≥ 90% of copy bandwidth at 4096² and
    /// 8192 × 32000 (a 1024-thread block per 128 KB row, two resident per SM).
    fn softmax_s05_registers(p: SoftmaxParams) {
        let scratch = [
            shared_array!(softmax_s05_m: [f32; 32]),
            shared_array!(softmax_s05_s: [f32; 32]),
        ];
        let cols = p.cols as usize;
        let r = crate::gpu::thread::block_idx_x() as usize;
        super::registers_row::<f32, CHUNKS, true>(
            p.x.offset(r * cols),
            p.y.offset(r * cols),
            cols,
            true,
            super::block_team(scratch),
        );
    }
}

kernel! {
    /// Step 5, short rows (at most 1024 columns) — the same row-in-registers body with a
    /// sub-warp team per row: the fewest lanes (a power of two) that hold the row at 4 chunks a
    /// lane (`lanes_per_row`: 32 at 1024 columns, 4 at 128, so 8 rows per warp and every lane
    /// with 4 chunks, eight `LDG.E.128` in flight), shuffles within the group only, no barrier;
    /// blocks of 256.
    fn softmax_s05_registers_warp(p: SoftmaxParams) {
        super::warp_rows!(p, CHUNKS, super::registers_row::<f32, CHUNKS, false>);
    }
}

step! {
    kernels: [softmax_s05_registers, softmax_s05_registers_warp],
    technique: "row in registers: one read, 128-bit loads; lanes per row by width up to 1024 columns",
    dtype: F32,
    accepts: WarpMultiple,
    grid: Grid::Registers { warp_threads: 256, warp_max_cols: 1024, chunks: CHUNKS as u32 },
}
