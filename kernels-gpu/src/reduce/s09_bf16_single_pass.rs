#[allow(unused_imports)]
use super::ReduceSinglePassParams;
#[allow(unused_imports)]
use crate::half::Bf16;

kernel! {
    #[launch_bounds(crate::reduce::GS_THREADS, crate::reduce::GS_BLOCKS_PER_SM)]
    /// Step 9 — step 8 over bf16 input: the same single pass, 8 elements per 128-bit load,
    /// f32 accumulation, f32 result.
    ///
    /// Changed from step 8: the input is bf16 (2 bytes per element), so each `LDG.E.128` of the
    /// grid-stride loop (`ld.global.nc.v4.b32`, four in flight per iteration) brings 8 values;
    /// each 32-bit pair is widened to two f32 exactly (`shl.b32` for element 0, `and.b32` with
    /// `0xffff0000` for element 1: a bf16 is the top half of an f32) and added as a tree of 8
    /// into four f32 accumulators. The unaligned head (input not 16-byte aligned: ≤ 7
    /// elements, as `ld.global.nc.b16`) and the tail (≤ 7) are scalar loops of the first
    /// threads. Then exactly step 8: shuffle block reduction, partial to `partials[blockIdx.x]`,
    /// `membar.gl`, `atom.global.add.u32`, and the last block reduces the f32 partials with
    /// `ld.global.cg` and resets the counter. NaN and infinities follow IEEE f32 addition.
    ///
    /// Launch bounds: the grid's own 256 threads and 4 blocks per SM (`.maxntid 256`,
    /// `.minnctapersm 4`, so up to 64 registers). Without them ptxas holds the kernel to 32
    /// registers and issues only two of the four loads before widening the first (the other
    /// two wait for it); with them it uses 40 and issues all four first, as the twin does.
    ///
    /// Bytes: 2 per element read (half of step 8), 8 per block. Work per byte doubles (8
    /// widenings and 8 adds per 16 bytes), still far below the SM's issue rate. Grid: as step 8
    /// (4 blocks of 256 per SM, 64 B in flight per thread, 64 KiB per SM), so the steady stream
    /// is as fast in bytes; the fixed costs (ramp-up, the last block's finish, a few µs) weigh
    /// twice as much in a run half as long. Expected at 64 Mi elements (128 MiB): ≈ 35.5 µs,
    /// ≈ 88% of copy bandwidth at 2 bytes per element.
    fn reduce_sum_s09_bf16_single_pass(p: ReduceSinglePassParams<Bf16>) {
        super::s08_single_pass::s08_body::<super::Sum, Bf16>(p)
    }
}

step! {
    kernel: reduce_sum_s09_bf16_single_pass,
    technique: "step 8 over bf16 input: 8 per 128-bit load, f32 accumulation and result",
    dtype: Bf16,
    accepts: WarpMultiple,
    grid: Grid::SinglePass { threads: GS_THREADS, blocks_per_sm: GS_BLOCKS_PER_SM },
}
