#[allow(unused_imports)]
use super::{FMA_CHAINS, FMA_UNROLL, FmaThroughputParams};
use crate::gpu::{math::fma, thread};

kernel! {
    /// FP32 FMA-throughput ceiling: [`FMA_CHAINS`] independent chains `x = x·a + b` held in
    /// registers, [`FMA_UNROLL`] FMAs each per iteration, `iters` iterations; no memory traffic
    /// but one store per thread of the chains' sum (so nothing is dead code).
    ///
    /// FLOPs: `2 · FMA_CHAINS · FMA_UNROLL · iters` per thread (`fma_throughput_flops`).
    fn ceiling_fma_throughput(p: FmaThroughputParams) {
        let t = thread::index_1d();
        let mut x = [0.0f32; FMA_CHAINS as usize];
        let mut c = 0;
        while c < FMA_CHAINS as usize {
            x[c] = (t as u32 ^ c as u32) as f32 * 1e-3;
            c += 1;
        }
        let mut it = 0;
        while it < p.iters {
            let mut u = 0;
            while u < FMA_UNROLL {
                let mut c = 0;
                while c < FMA_CHAINS as usize {
                    x[c] = fma(x[c], p.a, p.b);
                    c += 1;
                }
                u += 1;
            }
            it += 1;
        }
        let mut s = 0.0f32;
        let mut c = 0;
        while c < FMA_CHAINS as usize {
            s += x[c];
            c += 1;
        }
        unsafe { p.out.store(t, s) };
    }
}
