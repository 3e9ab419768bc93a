//! Self-test kernels of the device API: not a ladder, but each API family run once on the GPU
//! and checked against a CPU model in `tests/gpu/device_api.rs`. The half-precision ones are
//! in [`half`].

mod cluster;
mod grid_dep;
mod half;
mod hopper;
mod tensor_core;
pub use cluster::*;
pub use grid_dep::*;
pub use half::*;
pub use hopper::*;
pub use tensor_core::*;

use crate::gpu::{atomic, math, shared, sync_threads, thread, warp};
use crate::ptr::{GlobalPtr, GlobalPtrMut, KernelParams};

/// Arguments of every self-test kernel.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SelftestParams {
    pub input: GlobalPtr<f32>,
    pub out: GlobalPtrMut<f32>,
    pub out_u32: GlobalPtrMut<u32>,
    pub n: u32,
}
unsafe impl KernelParams for SelftestParams {}

/// Outputs per lane of `selftest_warp`: down, xor, idx, reduce_sum, reduce_max.
pub const WARP_F32_OUTPUTS: usize = 5;
/// Outputs per warp of `selftest_warp` (u32): ballot, any, all.
pub const WARP_U32_OUTPUTS: usize = 3;

kernel! {
    /// Warp API: every lane `l` of warp `w` holds `x = input[32w + l]` and writes
    /// `shuffle_down(x, 1)`, `shuffle_xor(x, 5)`, `shuffle_idx(x, 7)`, `reduce_sum(x)`,
    /// `reduce_max(x)` to `out[5·(32w + l) ..]`, and lane 0 writes `ballot(x > 0)`,
    /// `any(x > 0.9)`, `all(x > -0.9)` to `out_u32[3w ..]`. Launch whole warps (n a multiple of 32).
    fn selftest_warp(p: SelftestParams) {
        let i = thread::index_1d();
        if i >= p.n as usize {
            return;
        }
        let x = unsafe { p.input.load(i) };
        let vals = [warp::shuffle_down(x, 1), warp::shuffle_xor(x, 5), warp::shuffle_idx(x, 7), warp::reduce_sum(x), warp::reduce_max(x)];
        let (b, any, all) = (warp::ballot(x > 0.0), warp::any(x > 0.9), warp::all(x > -0.9));
        for (k, v) in vals.iter().enumerate() {
            unsafe { p.out.store(WARP_F32_OUTPUTS * i + k, *v) };
        }
        if thread::lane_id() == 0 {
            let w = i / 32;
            unsafe {
                p.out_u32.store(3 * w, b);
                p.out_u32.store(3 * w + 1, any as u32);
                p.out_u32.store(3 * w + 2, all as u32);
            }
        }
    }
}

kernel! {
    /// Atomics: every thread adds its input to `out[0]` and maxes it into `out[1]` (global);
    /// each block also sums and maxes into shared memory and thread 0 writes them to
    /// `out[2 + 2·block]`, `out[3 + 2·block]`; `out_u32[0]` counts threads with
    /// `atom.global.add.u32`. The host sets `out[0] = 0`, `out[1] = -inf` first.
    fn selftest_atomics(p: SelftestParams) {
        let acc = shared_array!(selftest_atomics_acc: [f32; 2]);
        let tid = thread::thread_idx_x();
        if tid == 0 {
            unsafe {
                acc.store(0, 0.0);
                acc.store(1, f32::NEG_INFINITY);
            }
        }
        sync_threads();
        let i = thread::index_1d();
        if i < p.n as usize {
            let x = unsafe { p.input.load(i) };
            unsafe {
                atomic::add_f32_global(p.out, 0, x);
                atomic::max_f32_global(p.out, 1, x);
                atomic::add_f32_shared(acc, 0, x);
                atomic::max_f32_shared(acc, 1, x);
                atomic::add_u32_global(p.out_u32, 0, 1);
            }
        }
        sync_threads();
        if tid == 0 {
            let b = thread::block_idx_x() as usize;
            unsafe {
                p.out.store(2 + 2 * b, acc.load(0));
                p.out.store(3 + 2 * b, acc.load(1));
            }
        }
    }
}

kernel! {
    /// Fast math: `out[4i ..] = exp_fast(x), log_fast(|x| + 0.1), rsqrt_fast(|x| + 0.1), tanh_fast(x)`.
    fn selftest_math(p: SelftestParams) {
        let i = thread::index_1d();
        if i < p.n as usize {
            let x = unsafe { p.input.load(i) };
            let a = math::fma(x.abs(), 1.0, 0.1);
            unsafe {
                p.out.store(4 * i, math::exp_fast(x));
                p.out.store(4 * i + 1, math::log_fast(a));
                p.out.store(4 * i + 2, math::rsqrt_fast(a));
                p.out.store(4 * i + 3, math::tanh_fast(x));
            }
        }
    }
}

kernel! {
    /// Dynamic shared memory and 128-bit accesses: each block of `T` threads loads `4T` floats
    /// with `load_f32x4` into dynamic shared memory (`4T · 4` bytes at launch) with
    /// `store_f32x4`, and writes them back reversed by groups of four through `load_f32x4` and
    /// `store_f32x4`: `out[4(blockT + t) ..] = in[4(blockT + T-1-t) ..]`. n is a multiple of 4T.
    fn selftest_smem_vec(p: SelftestParams) {
        let smem = shared::dynamic_shared::<f32>();
        let t = thread::thread_idx_x();
        let bt = thread::block_dim_x();
        let base = (thread::block_idx_x() * bt) as usize;
        unsafe { smem.store_f32x4(4 * t, p.input.load_f32x4(base + t as usize)) };
        sync_threads();
        let v = unsafe { smem.load_f32x4(4 * (bt - 1 - t)) };
        unsafe { p.out.store_f32x4(base + t as usize, v) };
    }
}
