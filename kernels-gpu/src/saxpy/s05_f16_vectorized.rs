#[allow(unused_imports)]
use super::SaxpyParams;
#[allow(unused_imports)]
use crate::half::F16;

kernel! {
    /// Step 5 — step 4's body for f16 (IEEE binary16) `x` and `y`: the same 128-bit grid-stride
    /// loop of 8 halves per vector, `a` and the arithmetic in f32.
    ///
    /// Changed from step 4: only the element type. Widening is `cvt.f32.f16` (SASS
    /// `HADD2.F32`, exact) instead of a shift, rounding `cvt.rn.f16x2.f32` (`F2FP…PACK_AB`),
    /// to nearest even with subnormals kept. f16 has 11 significant bits (bf16: 8), so the
    /// result is 8× more precise and its range ends at 65504.
    ///
    /// Bytes: 6 per element, as step 4. Expected: step 4's time (±2%): the same accesses,
    /// the conversions are not on the critical path of a memory-bound loop.
    fn saxpy_s05_f16_vectorized(p: SaxpyParams<F16>) {
        super::s04_bf16_vectorized::half_vectorized(p)
    }
}

step! {
    kernel: saxpy_s05_f16_vectorized,
    technique: "step 4's body for f16 data: 128-bit loads/stores of 8 halves, f32 math",
    dtype: F16,
    accepts: Any,
    grid: Grid::Stride { threads: 256, blocks_per_sm: 8, per_thread: 8 },
}
