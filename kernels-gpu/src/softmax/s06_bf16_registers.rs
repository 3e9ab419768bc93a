#[allow(unused_imports)]
use super::{CHUNKS, SoftmaxParams};
#[allow(unused_imports)]
use crate::half::Bf16;

kernel! {
    #[launch_bounds(crate::softmax::MAX_THREADS)]
    /// Step 6 — step 5 over bf16 data: 8 halves per 128-bit load, f32 math, bf16 out.
    ///
    /// Changed from step 5: a chunk of 8 is one `LDG.E.128` (`ld.global.nc.v4.b32`), widened
    /// to f32 exactly (`shl`/`and` of each pair), and written back as one `STG.E.128` of
    /// `cvt.rn.bf16x2.f32` pairs (round to nearest even). The same 4 chunks per thread (32 f32
    /// registers after widening), the same launch rule and fallback.
    ///
    /// Bytes: `4·rows·cols` (half of step 5's). Expected: ≥ 90% of copy bandwidth at 4096²
    /// and 8192 × 32000; at 4096² a row is 8 KB, 128 threads of 4 chunks (one load each), so
    /// the blocks are short-lived and many are resident.
    fn softmax_s06_bf16_registers(p: SoftmaxParams<Bf16>) {
        let scratch = [
            shared_array!(softmax_s06_m: [f32; 32]),
            shared_array!(softmax_s06_s: [f32; 32]),
        ];
        let cols = p.cols as usize;
        let r = crate::gpu::thread::block_idx_x() as usize;
        super::registers_row::<Bf16, CHUNKS, true>(
            p.x.offset(r * cols),
            p.y.offset(r * cols),
            cols,
            true,
            super::block_team(scratch),
        );
    }
}

kernel! {
    /// Step 6, short rows (at most 1024 columns): a sub-warp team per row, as step 5's second
    /// kernel.
    fn softmax_s06_bf16_registers_warp(p: SoftmaxParams<Bf16>) {
        super::warp_rows!(p, CHUNKS, super::registers_row::<Bf16, CHUNKS, false>);
    }
}

step! {
    kernels: [softmax_s06_bf16_registers, softmax_s06_bf16_registers_warp],
    technique: "step 5 over bf16: 8 per 128-bit load, f32 math, bf16 out",
    dtype: Bf16,
    accepts: WarpMultiple,
    grid: Grid::Registers { warp_threads: 256, warp_max_cols: 1024, chunks: CHUNKS as u32 },
}
