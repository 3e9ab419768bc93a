#[allow(unused_imports)]
use super::BiasGeluParams;
use crate::gpu::{Bf16, Bf16x2, Bf16x8, thread};

/// Elements of 2 bytes before the first 16-byte boundary at or after `addr` (at most `n`):
/// the scalar head of a bf16 array (`addr` is even, so `0..=7`).
#[inline(always)]
fn aligned_head_2b(addr: u64, n: usize) -> usize {
    let mis = (addr % 16) as usize;
    let head = if mis == 0 { 0 } else { (16 - mis) / 2 };
    if head < n { head } else { n }
}

kernel! {
    #[launch_bounds(256, 8)]
    /// Step 4 — step 3 in bf16: `x`, `bias` and `y` are bf16, the GELU is computed in f32
    /// (the same [`super::gelu`]: `tanh.approx.f32`, two FMAs) and rounded once to bf16
    /// (`cvt.rn.bf16x2.f32`, nearest even). A grid-stride loop over 8-element groups of the flat
    /// matrix with `LDG.E.128` of `x` and `STG.E.128` of `y` (16 bytes = 8 halves).
    ///
    /// Changed from step 3: half the bytes per element, twice the elements per 16-byte access,
    /// and launch bounds (256, 8): the grid is sized for 8 resident blocks of 256 threads per SM,
    /// so the kernel must fit 32 registers (ptxas 13.5 needs exactly 32 with or without the cap;
    /// the cap holds the driver's JIT to it too).
    ///
    /// Mapping as in step 3: group `i` is elements `head + 8i .. head + 8i + 8`, two groups in
    /// flight per thread (`i`, `i + stride`); a group may straddle two rows (any `cols`, e.g. 33
    /// or 1), so its first column is `(head + 8i) % cols` (a 32-bit remainder, once per group)
    /// and the column then advances with a wrap, `bias` read per element (scalar
    /// `LDG.E.U16`, L1 hits: `2·cols` bytes). `x` and `y` misaligned by the same amount: a
    /// scalar head (≤ 7 elements) up to the first 16-byte boundary and a scalar tail (≤ 7);
    /// misaligned differently: scalar loop throughout. A bf16 array is 2-byte aligned, so the
    /// head is `(16 − addr % 16) / 2`.
    ///
    /// Bytes: 4 per element (read x, write y; + `2·cols` for the bias). Expected: ≥ 90% of
    /// copy bandwidth at 8192² (268 MB, floor 63 µs at 4265 GB/s), half step 3's time.
    fn bias_gelu_s04_bf16_fused_vectorized(p: BiasGeluParams<Bf16>) {
        let cols = p.cols as usize;
        let n = p.rows as usize * cols;
        let stride = thread::grid_stride_1d();
        let gid = thread::index_1d();
        // bias[c] as f32 (exact).
        let bias = |c: usize| unsafe { p.bias.load(c) }.to_f32();
        let scalar = |i: usize| {
            let v = unsafe { p.x.load(i) }.to_f32() + bias((i as u32 % p.cols) as usize);
            unsafe { p.y.store(i, Bf16::from_f32(super::gelu(v))) }
        };
        if p.x.addr() % 16 != p.y.addr() % 16 {
            let mut i = gid;
            while i < n {
                scalar(i);
                i += stride;
            }
            return;
        }
        let head = aligned_head_2b(p.x.addr(), n);
        let nvec = (n - head) / 8;
        let (xv, yv) = (p.x.offset(head), p.y.offset(head));
        // bias_gelu of the group `i` whose x values are `v`.
        let group = |i: usize, v: Bf16x8| {
            // 32-bit remainder (n < 2^32): a 64-bit one is a slow software division. The
            // column stays 32-bit too (one compare and select per element, not two each).
            let mut c = (head + 8 * i) as u32 % p.cols;
            let mut next = || {
                let b = bias(c as usize);
                c += 1;
                if c == p.cols {
                    c = 0;
                }
                b
            };
            let mut out = [Bf16x2::default(); 4];
            let mut k = 0;
            while k < 4 {
                let (lo, hi) = v.0[k].to_f32_lo_hi();
                let g0 = super::gelu(lo + next());
                let g1 = super::gelu(hi + next());
                out[k] = Bf16x2::pack_lo_hi(g0, g1);
                k += 1;
            }
            Bf16x8(out)
        };
        // Two groups per iteration: both 16-byte loads are issued before either is used.
        let mut i = gid;
        while i + stride < nvec {
            let (v0, v1) = unsafe { (xv.load_bf16x8(i), xv.load_bf16x8(i + stride)) };
            unsafe {
                yv.store_bf16x8(i, group(i, v0));
                yv.store_bf16x8(i + stride, group(i + stride, v1));
            }
            i += 2 * stride;
        }
        if i < nvec {
            let v = unsafe { xv.load_bf16x8(i) };
            unsafe { yv.store_bf16x8(i, group(i, v)) };
        }
        // Head and tail (≤ 7 elements each): the first threads.
        let mut j = gid;
        while j < head {
            scalar(j);
            j += stride;
        }
        let mut j = head + 8 * nvec + gid;
        while j < n {
            scalar(j);
            j += stride;
        }
    }
}

step! {
    kernel: bias_gelu_s04_bf16_fused_vectorized,
    technique: "bf16 in memory, f32 math: fused grid-stride loop of 128-bit loads/stores of 8 halves",
    dtype: Bf16,
    accepts: Any,
    grid: Grid::Stride { threads: 256, blocks_per_sm: 8, per_thread: 8 },
}
