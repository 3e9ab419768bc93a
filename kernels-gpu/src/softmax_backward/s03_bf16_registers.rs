#[allow(unused_imports)]
use super::SoftmaxBackwardParams;
#[allow(unused_imports)]
use crate::half::Bf16;

/// bf16 chunks stay packed in registers (4 per chunk), so twice step 2's chunks fit: 4 of
/// each input, 32 registers, a row of 32768 columns at 1024 threads.
pub const BF16_CHUNKS: usize = 4;

kernel! {
    #[launch_bounds(crate::softmax::MAX_THREADS)]
    /// Step 3 — step 2 over bf16: 8 halves per 128-bit load, kept packed, f32 math, bf16 out.
    ///
    /// Changed from step 2: a chunk is one `LDG.E.128` and stays packed (4 registers), widened
    /// to f32 (exact) when used, so a thread holds 4 chunks of each input in 32 registers and a
    /// 32000-wide row fits one block of 1024: one read, one write at every benchmark shape.
    /// The block size is the fewest warps at 4 chunks a thread.
    ///
    /// Bytes: `6·rows·cols`. Expected: ≥ 85% of copy bandwidth at 4096² and 8192 × 32000.
    fn softmax_backward_s03_bf16_registers(p: SoftmaxBackwardParams<Bf16>) {
        let (team, r) = super::block_row(shared_array!(softmax_backward_s03_w: [f32; 32]));
        let off = r * p.cols as usize;
        super::registers_row::<Bf16, BF16_CHUNKS, true>(
            p.y.offset(off),
            p.dy.offset(off),
            p.dx.offset(off),
            p.cols as usize,
            true,
            team,
        );
    }
}

kernel! {
    /// Step 3, short rows (at most 1024 columns): a sub-warp team per row.
    fn softmax_backward_s03_bf16_registers_warp(p: SoftmaxBackwardParams<Bf16>) {
        super::warp_rows!(p, Bf16, BF16_CHUNKS);
    }
}

step! {
    kernels: [softmax_backward_s03_bf16_registers, softmax_backward_s03_bf16_registers_warp],
    technique: "step 2 over bf16: packed in registers (a 32000 row fits), f32 math",
    dtype: Bf16,
    accepts: WarpMultiple,
    grid: Grid::Registers { warp_threads: 256, warp_max_cols: 1024, chunks: BF16_CHUNKS as u32 },
}
