#[allow(unused_imports)]
use super::BiasGeluParams;
use crate::gpu::thread;

kernel! {
    /// Step 1, first kernel — `tmp[i] = x[i] + bias[i % cols]`, one thread per element.
    ///
    /// The unfused baseline: what two framework ops (`x + bias`, then `gelu`) cost. Bytes of
    /// the step (both kernels): read x (4), write tmp (4), read tmp (4), write y (4) = 16 per
    /// element (bias is `cols` floats, cached). Expected: at copy bandwidth each kernel is
    /// memory-bound, so the step takes ~16/8 = 2× the fused step.
    fn bias_gelu_s01_two_kernels(p: BiasGeluParams) {
        let i = thread::index_1d();
        let n = p.rows as usize * p.cols as usize;
        if i < n {
            let c = (i as u32 % p.cols) as usize; // 32-bit remainder: n < 2^32
            unsafe { p.tmp.store(i, p.x.load(i) + p.bias.load(c)) };
        }
    }
}

kernel! {
    /// Step 1, second kernel — `y[i] = gelu(tmp[i])`, one thread per element.
    fn bias_gelu_s01_two_kernels_gelu(p: BiasGeluParams) {
        let i = thread::index_1d();
        let n = p.rows as usize * p.cols as usize;
        if i < n {
            unsafe { p.y.store(i, super::gelu(p.tmp.as_const().load(i))) };
        }
    }
}

step! {
    kernels: [bias_gelu_s01_two_kernels, bias_gelu_s01_two_kernels_gelu],
    technique: "bias add writes a temporary, a second kernel applies GELU",
    dtype: F32,
    accepts: Any,
    grid: Grid::TwoKernels { threads: 256 },
}
