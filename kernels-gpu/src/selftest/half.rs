//! Self-tests of the half-precision API (`gpu::half`, and the `Bf16` / `F16` loads and stores
//! of `gpu::global` and `gpu::shared`): conversions, pack order, packed arithmetic, 8-half
//! vector accesses. `tests/gpu/device_api/half_precision.rs` checks them against the `half`
//! crate and an exact CPU model (`kernel_lab::half_ref`).

use crate::half::{Bf16, F16};
use crate::ptr::{GlobalPtr, GlobalPtrMut, KernelParams};
use crate::{
    gpu::{shared, sync_threads, thread, unroll::unroll},
    half::{Bf16x2, Bf16x8, F16x2, F16x8},
};

/// Arguments of the half-precision self-tests; each kernel's doc says which buffers it uses,
/// their lengths and layouts, and what `n` counts.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct HalfSelftestParams {
    pub f32_in: GlobalPtr<f32>,
    pub f32_out: GlobalPtrMut<f32>,
    pub bf16_in: GlobalPtr<Bf16>,
    pub bf16_out: GlobalPtrMut<Bf16>,
    pub f16_in: GlobalPtr<F16>,
    pub f16_out: GlobalPtrMut<F16>,
    pub n: u32,
}
unsafe impl KernelParams for HalfSelftestParams {}

kernel! {
    /// f32 → half (`n` even, one thread per input): `bf16_out[i] = Bf16::from_f32(x[i])` and
    /// `f16_out[i] = F16::from_f32(x[i])` for `i < n`; threads `j < n/2` also store
    /// `Bf16x2::pack_lo_hi(x[2j], x[2j+1])` (and `F16x2`) as one 32-bit pair at elements
    /// `n + 2j, n + 2j + 1`, so the pack order shows in memory: `out[n + k]` must equal `out[k]`.
    /// Outputs: `2n` elements each.
    fn selftest_half_from_f32(p: HalfSelftestParams) {
        let (i, n) = (thread::index_1d(), p.n as usize);
        if i >= n {
            return;
        }
        let x = unsafe { p.f32_in.load(i) };
        unsafe {
            p.bf16_out.store(i, Bf16::from_f32(x));
            p.f16_out.store(i, F16::from_f32(x));
        }
        if i < n / 2 {
            let (lo, hi) = unsafe { (p.f32_in.load(2 * i), p.f32_in.load(2 * i + 1)) };
            unsafe {
                p.bf16_out.cast::<Bf16x2>().store(n / 2 + i, Bf16x2::pack_lo_hi(lo, hi));
                p.f16_out.cast::<F16x2>().store(n / 2 + i, F16x2::pack_lo_hi(lo, hi));
            }
        }
    }
}

kernel! {
    /// half → f32 (`n` even, one thread per input element of `bf16_in` and of `f16_in`):
    /// `f32_out[i] = bf16_in[i].to_f32()`, `f32_out[n + i] = f16_in[i].to_f32()`; threads
    /// `j < n/2` load pair `j` as one 32-bit `Bf16x2` / `F16x2` and write `to_f32_lo_hi()` to
    /// `f32_out[2n + 2j ..]` / `f32_out[3n + 2j ..]`; `f32_out[4n + i]` is `f16_in[i]` converted
    /// by Rust's `f16` (`to_f16() as f32`). Output: `5n` floats.
    fn selftest_half_to_f32(p: HalfSelftestParams) {
        let (i, n) = (thread::index_1d(), p.n as usize);
        if i >= n {
            return;
        }
        let (b, h) = unsafe { (p.bf16_in.load(i), p.f16_in.load(i)) };
        unsafe {
            p.f32_out.store(i, b.to_f32());
            p.f32_out.store(n + i, h.to_f32());
            p.f32_out.store(4 * n + i, h.to_f16() as f32);
        }
        if i < n / 2 {
            let b2 = unsafe { p.bf16_in.cast::<Bf16x2>().load(i) };
            let h2 = unsafe { p.f16_in.cast::<F16x2>().load(i) };
            let ((b0, b1), (h0, h1)) = (b2.to_f32_lo_hi(), h2.to_f32_lo_hi());
            unsafe {
                p.f32_out.store(2 * n + 2 * i, b0);
                p.f32_out.store(2 * n + 2 * i + 1, b1);
                p.f32_out.store(3 * n + 2 * i, h0);
                p.f32_out.store(3 * n + 2 * i + 1, h1);
            }
        }
    }
}

kernel! {
    /// Packed arithmetic (one thread per pair, `n` pairs per operand): with `a, b, c` pair `i`
    /// of `bf16_in` viewed as `Bf16x2` at pair indices `i`, `n + i`, `2n + i`, writes pairs
    /// `a.fma(b, c)`, `a + b`, `a * b` at pair indices `i`, `n + i`, `2n + i` of `bf16_out`.
    /// The same for `F16x2` from `f16_in` to `f16_out`, plus pair `3n + i`: the fma done per half
    /// by Rust's `f16::mul_add`. Inputs `6n` elements; outputs `6n` (bf16) and `8n` (f16).
    fn selftest_half_arith(p: HalfSelftestParams) {
        let (i, n) = (thread::index_1d(), p.n as usize);
        if i >= n {
            return;
        }
        let (bi, bo) = (p.bf16_in.cast::<Bf16x2>(), p.bf16_out.cast::<Bf16x2>());
        let (a, b, c) = unsafe { (bi.load(i), bi.load(n + i), bi.load(2 * n + i)) };
        unsafe {
            bo.store(i, a.fma(b, c));
            bo.store(n + i, a + b);
            bo.store(2 * n + i, a * b);
        }
        let (hi, ho) = (p.f16_in.cast::<F16x2>(), p.f16_out.cast::<F16x2>());
        let (a, b, c) = unsafe { (hi.load(i), hi.load(n + i), hi.load(2 * n + i)) };
        let native =
            |a: F16, b: F16, c: F16| F16::from_f16(a.to_f16().mul_add(b.to_f16(), c.to_f16()));
        unsafe {
            ho.store(i, a.fma(b, c));
            ho.store(n + i, a + b);
            ho.store(2 * n + i, a * b);
            let per_half = F16x2::new(native(a.lo(), b.lo(), c.lo()), native(a.hi(), b.hi(), c.hi()));
            ho.store(3 * n + i, per_half);
        }
    }
}

/// Output layout of [`selftest_half_vec`], in elements, for `n` vectors: regions A (the input
/// reversed within each block), B (the next thread's A), C (the next thread's input) and D
/// (the next thread's B) start at these offsets, `8n` elements each; the 8-element gaps
/// before, between and after them stay untouched.
pub const fn half_vec_regions(n: usize) -> [usize; 4] {
    [24, 32 + 8 * n, 40 + 16 * n, 48 + 24 * n]
}

/// Length of [`selftest_half_vec`]'s output buffers for `n` vectors (a gap after D too).
pub const fn half_vec_out_len(n: usize) -> usize {
    56 + 32 * n
}

/// One half type's part of `selftest_half_vec`.
macro_rules! vec_roundtrip {
    ($t:ident, $t2:ident, $t8:ident, $input:expr, $out:expr, $smem:expr,
     $load8:ident, $store8:ident, $n:expr) => {{
        let (t, bt, g, n) = (
            thread::thread_idx_x(),
            thread::block_dim_x(),
            thread::index_1d(),
            $n,
        );
        let [ra, rb, rc, rd] = half_vec_regions(n);
        let smem = $smem;
        // The next thread of the block, and its vector index.
        let s = if t + 1 == bt { 0 } else { t + 1 };
        let gs = g - t as usize + s as usize;
        // 1. 128-bit: global (non-coherent) -> shared, reversed within the block.
        let v = unsafe { $input.offset(8).$load8(g) };
        unsafe { smem.$store8(8 * (bt - 1 - t), v) };
        sync_threads();
        // 2. 128-bit: shared -> global (region A).
        let out_a = $out.offset(ra);
        unsafe { out_a.$store8(g, smem.$load8(8 * t)) };
        sync_threads();
        // 3. A coherent 128-bit load of the next thread's region-A vector, written before the
        //    barrier (not this thread's own store, which ptxas would forward), copied to B.
        //    Scalar shared stores: each thread writes its own `v` back into its own slot,
        //    elements 0..4 with 16-bit stores, 4..8 as two 32-bit pairs. (No branches in this
        //    kernel: rustc's MIR jump threading copies a barrier into both arms of an `if c`
        //    followed by another `if c` after the barrier, and a barrier under divergence is
        //    undefined.)
        unsafe { $out.offset(rb).$store8(g, out_a.$load8(gs)) };
        let h = v.to_array();
        unroll::<4>(
            #[inline(always)]
            |k| unsafe { smem.store(8 * t + k as u32, h[k]) },
        );
        unroll::<2>(
            #[inline(always)]
            |k| unsafe { smem.cast::<$t2>().store(4 * t + 2 + k as u32, v.0[2 + k]) },
        );
        sync_threads();
        // 4. Scalar shared loads of the next thread's slot (elements 0..4 as pairs, 4..8 with
        //    16-bit loads), written to C with 16-bit global stores.
        let mut e = [$t::ZERO; 8];
        unroll::<2>(
            #[inline(always)]
            |k| {
                let pair = unsafe { smem.cast::<$t2>().load(4 * s + k as u32) };
                e[2 * k] = pair.lo();
                e[2 * k + 1] = pair.hi();
            },
        );
        unroll::<4>(
            #[inline(always)]
            |k| e[4 + k] = unsafe { smem.load(8 * s + 4 + k as u32) },
        );
        let out_c = $out.offset(rc);
        unroll::<8>(
            #[inline(always)]
            |k| unsafe { out_c.store(8 * g + k, e[k]) },
        );
        // Scalar coherent global loads of the next thread's region-B vector (written before the
        //    last barrier; elements 0..4 with 16-bit loads, 4..8 as pairs), copied to D.
        let out_b = $out.offset(rb);
        let mut d = [$t::ZERO; 8];
        unroll::<4>(
            #[inline(always)]
            |k| d[k] = unsafe { out_b.load(8 * gs + k) },
        );
        unroll::<2>(
            #[inline(always)]
            |k| {
                let pair = unsafe { out_b.cast::<$t2>().load(4 * gs + 2 + k) };
                d[4 + 2 * k] = pair.lo();
                d[5 + 2 * k] = pair.hi();
            },
        );
        unsafe { $out.offset(rd).$store8(g, $t8::from_array(d)) };
    }};
}

kernel! {
    /// 8-half vectors and scalar halves through global and shared memory, for `Bf16` and `F16`
    /// alike. Launch exactly `n` threads (`n` vectors) in blocks of `T`, with `32·T`
    /// bytes of dynamic shared memory. Thread `t` of block `b` (`g = bT + t`) loads input vector
    /// `g` from `in + 8` (an offset of one vector: `in` has `8n + 16` elements) with the
    /// non-coherent 128-bit load, stores it to shared slot `T-1-t`, then writes slot `t` to
    /// region A (vector `g`, from `out + 24`) with a 128-bit store. After a barrier it reads the
    /// next thread's (`s = (t+1) % T`) region-A vector with the coherent 128-bit load and
    /// writes it to region B, and rewrites its own shared slot with its input vector by scalar
    /// stores (16-bit for elements 0..4, pairs for 4..8); after another, it copies slot `s`,
    /// read by scalar loads (pairs for 0..4, 16-bit for 4..8), to region C by 16-bit global
    /// stores, and the next thread's region-B vector, read by coherent scalar global loads
    /// (16-bit for 0..4, pairs for 4..8), to region D by a 128-bit store. Regions:
    /// [`half_vec_regions`]; output length [`half_vec_out_len`].
    fn selftest_half_vec(p: HalfSelftestParams) {
        let n = p.n as usize;
        let bt = thread::block_dim_x();
        // Dynamic shared memory: T bf16 slots of 16 bytes, then T f16 slots.
        let (smem_b, smem_h) = (shared::dynamic_shared::<Bf16>(), shared::dynamic_shared::<F16>().offset(8 * bt));
        vec_roundtrip!(Bf16, Bf16x2, Bf16x8, p.bf16_in, p.bf16_out, smem_b, load_bf16x8, store_bf16x8, n);
        vec_roundtrip!(F16, F16x2, F16x8, p.f16_in, p.f16_out, smem_h, load_f16x8, store_f16x8, n);
    }
}
