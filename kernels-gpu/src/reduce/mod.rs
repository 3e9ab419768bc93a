//! Reductions (sum and max) with f32 accumulation and result: the reduction ladders. Each
//! step of steps 1–8 is one generic body over [`ReduceOp`], instantiated as `reduce_sum_sNN_*`
//! and `reduce_max_sNN_*`; step 9 is the sum of bf16 input (step 8's body over [`Bf16`]).
//!
//! Steps 1–7 reduce each block's slice to one partial in `output[blockIdx.x]`; the host
//! launches them again on the partials until one value is left. The single-pass steps 8 and 9
//! finish in one launch (the last block to finish reduces the partials).

/// The reduction step files, in order. Each file of `both` declares a sum step and a max step
/// ([`reduce_steps!`]); each file of `sum_only` declares a sum step alone (`step!`, as `STEP`).
/// The sum files, `both` then `sum_only`, make [`SUM_STEPS`]; the `both` files' max steps make
/// [`MAX_STEPS`] (so reduce_max has no step of a sum-only file). Adding a step is its file and
/// its name in one of the lists.
macro_rules! reduce_step_files {
    (both: [$($file:ident),+ $(,)?], sum_only: [$($sum:ident),* $(,)?] $(,)?) => {
        $(
            mod $file;
            #[allow(unused_imports)]
            pub use $file::*;
        )+
        $(
            mod $sum;
            #[allow(unused_imports)]
            pub use $sum::*;
        )*
        /// The sum ladder's steps, in order (read by the host registry).
        #[cfg(not(target_arch = "nvptx64"))]
        pub static SUM_STEPS: &[crate::step::Step<Grid>] = &[$($file::STEP,)+ $($sum::STEP,)*];
        /// The max ladder's steps, in order: the max kernels of the files that have one.
        #[cfg(not(target_arch = "nvptx64"))]
        pub static MAX_STEPS: &[crate::step::Step<Grid>] = &[$($file::MAX_STEP),+];
    };
}

reduce_step_files! {
    both: [
        s01_interleaved,
        s02_strided_index,
        s03_sequential,
        s04_add_during_load,
        s05_warp_shuffle,
        s06_unrolled,
        s07_vectorized,
        s08_single_pass,
    ],
    sum_only: [
        s09_bf16_single_pass,
    ],
}

/// Threads per block of the grid-stride steps, and resident blocks per SM they launch.
pub const GS_THREADS: u32 = 256;
/// Resident blocks per SM of the grid-stride steps.
pub const GS_BLOCKS_PER_SM: u32 = 4;

/// How a reduction step covers the input.
#[derive(Debug, Clone, Copy)]
pub enum Grid {
    /// Each block reduces `threads * per_thread` consecutive elements to one partial; the host
    /// launches again on the partials until one value is left.
    Tree { threads: u32, per_thread: u32 },
    /// A fixed grid (`blocks_per_sm` per SM, fewer for small inputs) walks the input with a
    /// grid-stride loop of 128-bit loads; one more launch of a single block reduces the
    /// partials.
    GridStride { threads: u32, blocks_per_sm: u32 },
    /// As `GridStride`, but the last block finishes: one launch ([`ReduceSinglePassParams`]).
    SinglePass { threads: u32, blocks_per_sm: u32 },
}

use crate::half::Bf16;
use crate::ptr::{GlobalPtr, GlobalPtrMut, KernelParams};

/// Largest block size the shared tiles of steps 1–4 and 6 hold.
pub const MAX_THREADS: u32 = 1024;

/// Arguments of the reduction kernels: `output[block] = reduce(input[block's slice])`.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ReduceParams<T = f32> {
    pub input: GlobalPtr<T>,
    pub output: GlobalPtrMut<f32>,
    pub n: u32,
}
unsafe impl<T: Copy> KernelParams for ReduceParams<T> {}

/// Arguments of the single-pass reduction (step 8): every block writes its partial to
/// `partials[blockIdx.x]` and bumps `counter`; the last block reduces the partials into
/// `output[0]` and sets `counter` back to 0. `partials` holds at least `gridDim.x` values and
/// `counter` must be 0 at launch.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct ReduceSinglePassParams<T = f32> {
    pub input: GlobalPtr<T>,
    pub partials: GlobalPtrMut<f32>,
    pub counter: GlobalPtrMut<u32>,
    pub output: GlobalPtrMut<f32>,
    pub n: u32,
}
unsafe impl<T: Copy> KernelParams for ReduceSinglePassParams<T> {}

/// A reduction operator: an identity and an associative, commutative combine.
pub trait ReduceOp {
    /// The identity (`0` for sum, `-inf` for max).
    const IDENTITY: f32;
    /// Combines two values.
    fn combine(a: f32, b: f32) -> f32;
    /// Combines over the 32 lanes of a warp (every lane gets the result).
    fn warp(v: f32) -> f32;
}

/// Sum.
pub struct Sum;
/// Maximum.
pub struct Max;

impl ReduceOp for Sum {
    const IDENTITY: f32 = 0.0;
    #[inline(always)]
    fn combine(a: f32, b: f32) -> f32 {
        a + b
    }
    #[inline(always)]
    fn warp(v: f32) -> f32 {
        crate::gpu::warp::reduce_sum(v)
    }
}

impl ReduceOp for Max {
    const IDENTITY: f32 = f32::NEG_INFINITY;
    /// NaN-propagating maximum (`max.NaN.f32` on the GPU), as `torch.max`: one NaN input makes
    /// the result NaN. (`f32::max` — PTX `max.f32` — returns the other operand instead.)
    #[inline(always)]
    fn combine(a: f32, b: f32) -> f32 {
        max_nan(a, b)
    }
    #[inline(always)]
    fn warp(v: f32) -> f32 {
        crate::gpu::warp::reduce_max(v)
    }
}

/// `max(a, b)`, NaN if either is NaN: `max.NaN.f32` (sm_80+) on the GPU.
#[inline(always)]
pub fn max_nan(a: f32, b: f32) -> f32 {
    #[cfg(target_arch = "nvptx64")]
    {
        crate::gpu::math::max_nan(a, b)
    }
    #[cfg(not(target_arch = "nvptx64"))]
    {
        if a.is_nan() || b.is_nan() {
            f32::NAN
        } else {
            a.max(b)
        }
    }
}

/// Number of leading elements of `n` values of type `T` at device address `addr` that come
/// before the first 16-byte boundary (at most `n`): they are read as scalars, the rest in
/// 128-bit loads. `addr` is a multiple of the element size, so the head is 0..=3 f32
/// (`addr % 16` is 0, 4, 8 or 12) or 0..=7 bf16 (`addr % 16` even).
#[inline(always)]
pub fn aligned_head_of<T>(addr: u64, n: usize) -> usize {
    let mis = (addr % 16) as usize;
    let head = if mis == 0 {
        0
    } else {
        (16 - mis) / core::mem::size_of::<T>()
    };
    if head < n { head } else { n }
}

/// Number of leading elements of `n` f32 at device address `addr` that come before the first
/// 16-byte boundary (0..=3, at most `n`): they are read as scalars, the rest as `F32x4`.
/// f32 data is always 4-byte aligned, so `addr % 16` is 0, 4, 8 or 12.
#[inline(always)]
pub fn aligned_head(addr: u64, n: usize) -> usize {
    aligned_head_of::<f32>(addr, n)
}

/// An element type the grid-stride reductions read, accumulating in f32 whatever the input:
/// one 128-bit load holds [`LANES`](ReduceInput::LANES) elements (f32: four, an `F32x4`;
/// bf16: eight, a `Bf16x8`), each widened to f32 exactly.
pub trait ReduceInput: Copy {
    /// Elements per 128-bit load.
    const LANES: usize;
    /// What one 128-bit load returns.
    type Vector: Copy;
    /// Elements `LANES·i .. LANES·i + LANES` of `p` in one 128-bit load (`LDG.E.128`).
    ///
    /// # Safety
    /// The vector is in bounds and 16-byte aligned.
    unsafe fn load_vector(p: GlobalPtr<Self>, i: usize) -> Self::Vector;
    /// Element `j` of `p`, as f32.
    ///
    /// # Safety
    /// `j` is in bounds.
    unsafe fn load_f32(p: GlobalPtr<Self>, j: usize) -> f32;
    /// `acc` combined with a tree of the vector's lanes.
    fn combine_vector<O: ReduceOp>(acc: f32, v: Self::Vector) -> f32;
    /// `strided_partial` over elements of this type (device only).
    fn strided_partial<O: ReduceOp>(
        input: GlobalPtr<Self>,
        n: usize,
        start: usize,
        stride: usize,
    ) -> f32;
}

/// The body of `ReduceInput::strided_partial`, written once and expanded in each impl, where
/// `Self` is a concrete type: a default method (or a free function generic over the element
/// type) is optimised before the element type is known, which leaves its loads and combines to
/// be inlined later and in another order — and changed the f32 steps' PTX (register order).
macro_rules! strided_partial_impl {
    () => {
        #[inline(always)]
        fn strided_partial<O: ReduceOp>(
            input: GlobalPtr<Self>,
            n: usize,
            start: usize,
            stride: usize,
        ) -> f32 {
            let head = aligned_head_of::<Self>(input.addr(), n);
            let nvec = (n - head) / Self::LANES;
            let vec = input.offset(head);
            let (mut a0, mut a1, mut a2, mut a3) =
                (O::IDENTITY, O::IDENTITY, O::IDENTITY, O::IDENTITY);
            let mut i = start;
            // Four independent 128-bit loads per iteration: 64 bytes in flight per thread.
            while i + 3 * stride < nvec {
                // SAFETY: i + 3·stride < nvec, so every vector lies in
                // input[head .. head + LANES·nvec].
                let (x0, x1, x2, x3) = unsafe {
                    (
                        Self::load_vector(vec, i),
                        Self::load_vector(vec, i + stride),
                        Self::load_vector(vec, i + 2 * stride),
                        Self::load_vector(vec, i + 3 * stride),
                    )
                };
                a0 = Self::combine_vector::<O>(a0, x0);
                a1 = Self::combine_vector::<O>(a1, x1);
                a2 = Self::combine_vector::<O>(a2, x2);
                a3 = Self::combine_vector::<O>(a3, x3);
                i += 4 * stride;
            }
            while i < nvec {
                a0 = Self::combine_vector::<O>(a0, unsafe { Self::load_vector(vec, i) });
                i += stride;
            }
            // Head and tail: fewer than LANES elements each, taken by the first threads (a
            // loop, so that even a launch of fewer threads than that covers them).
            let tail = head + Self::LANES * nvec;
            let mut j = start;
            while j < head {
                a1 = O::combine(a1, unsafe { Self::load_f32(input, j) });
                j += stride;
            }
            let mut j = start;
            while j < n - tail {
                a2 = O::combine(a2, unsafe { Self::load_f32(input, tail + j) });
                j += stride;
            }
            O::combine(O::combine(a0, a1), O::combine(a2, a3))
        }
    };
}

/// f32: four per load, `ld.global.nc.v4.f32`.
impl ReduceInput for f32 {
    const LANES: usize = 4;
    type Vector = crate::ptr::F32x4;
    #[inline(always)]
    unsafe fn load_vector(p: GlobalPtr<f32>, i: usize) -> crate::ptr::F32x4 {
        unsafe { p.load_f32x4(i) }
    }
    #[inline(always)]
    unsafe fn load_f32(p: GlobalPtr<f32>, j: usize) -> f32 {
        unsafe { p.load(j) }
    }
    #[inline(always)]
    fn combine_vector<O: ReduceOp>(acc: f32, x: crate::ptr::F32x4) -> f32 {
        let [a, b, c, d] = x.0;
        O::combine(acc, O::combine(O::combine(a, b), O::combine(c, d)))
    }
    strided_partial_impl!();
}

/// bf16: eight per load, `ld.global.nc.v4.b32`; each pair widened exactly (`shl.b32` for the
/// low half, `and.b32` for the high one: a bf16 is the top half of an f32).
impl ReduceInput for Bf16 {
    const LANES: usize = 8;
    type Vector = crate::half::Bf16x8;
    #[inline(always)]
    unsafe fn load_vector(p: GlobalPtr<Bf16>, i: usize) -> crate::half::Bf16x8 {
        unsafe { p.load_bf16x8(i) }
    }
    #[inline(always)]
    unsafe fn load_f32(p: GlobalPtr<Bf16>, j: usize) -> f32 {
        unsafe { p.load(j) }.to_f32()
    }
    #[inline(always)]
    fn combine_vector<O: ReduceOp>(acc: f32, x: crate::half::Bf16x8) -> f32 {
        let [p0, p1, p2, p3] = x.0;
        let ((a, b), (c, d)) = (p0.to_f32_lo_hi(), p1.to_f32_lo_hi());
        let ((e, f), (g, h)) = (p2.to_f32_lo_hi(), p3.to_f32_lo_hi());
        let lo = O::combine(O::combine(a, b), O::combine(c, d));
        let hi = O::combine(O::combine(e, f), O::combine(g, h));
        O::combine(acc, O::combine(lo, hi))
    }
    strided_partial_impl!();
}

/// One thread's share of `reduce(input[0..n])` when `total` threads (`stride`) walk the input
/// from `start`: the 16-byte aligned middle in 128-bit loads (`LDG.E.128`: four f32 or eight
/// bf16 each), four loads in flight per iteration; the unaligned head and the tail (each
/// shorter than one vector) as scalars by the first threads; f32 accumulators whatever `T`.
/// Used by reduction steps 7–9 (grid-stride) and by `row_sum` steps 3 and 4 (block-stride over
/// one row).
#[inline(always)]
pub(crate) fn strided_partial<O: ReduceOp, T: ReduceInput>(
    input: GlobalPtr<T>,
    n: usize,
    start: usize,
    stride: usize,
) -> f32 {
    T::strided_partial::<O>(input, n, start, stride)
}

/// Reduces one value per thread over a 1-D block whose size is a multiple of 32 (≤ 1024):
/// shuffles within each warp, one value per warp through `warps` (32 floats of shared memory),
/// and a last shuffle round in warp 0. The result is valid in warp 0 (thread 0 stores it).
/// Contains one `bar.sync`; a caller that reuses `warps` must put a barrier in between.
#[inline(always)]
pub(crate) fn block_reduce<O: ReduceOp>(v: f32, warps: crate::gpu::shared::SharedPtr<f32>) -> f32 {
    use crate::gpu::{sync_threads, thread};
    let v = O::warp(v);
    let (lane, warp) = (thread::lane_id(), thread::warp_id());
    if lane == 0 {
        unsafe { warps.store(warp, v) };
    }
    sync_threads();
    let mut r = O::IDENTITY;
    if warp == 0 {
        if lane < thread::block_dim_x() / 32 {
            r = unsafe { warps.load(lane) };
        }
        r = O::warp(r);
    }
    r
}

/// Declares the sum and max kernels of one step from its generic body.
macro_rules! reduce_kernels {
    ($body:ident, $params:ty, $sum:ident, $max:ident, $doc:literal) => {
        kernel! {
            #[doc = $doc]
            #[doc = ""]
            #[doc = "Sum: identity 0, `+`."]
            fn $sum(p: $params) {
                $body::<super::Sum>(p)
            }
        }
        kernel! {
            #[doc = $doc]
            #[doc = ""]
            #[doc = "Max: identity `-inf`, NaN-propagating `max.NaN.f32` (exact whatever the order; NaN if any input is NaN)."]
            fn $max(p: $params) {
                $body::<super::Max>(p)
            }
        }
    };
}
pub(crate) use reduce_kernels;

/// Declares a reduction file's two steps, one per ladder: `STEP` of reduce_sum (kernel `sum`)
/// and `MAX_STEP` of reduce_max (kernel `max`), with the same technique and launch. The host
/// tables are [`SUM_STEPS`] and [`MAX_STEPS`].
macro_rules! reduce_steps {
    (sum: $sum:ident, max: $max:ident, technique: $t:expr, accepts: $a:expr, grid: $g:expr $(,)?) => {
        step! { name: STEP, symbols: &[$sum::SYMBOL], technique: $t, dtype: F32, accepts: $a, grid: $g }
        step! { name: MAX_STEP, symbols: &[$max::SYMBOL], technique: $t, dtype: F32, accepts: $a, grid: $g }
    };
}
pub(crate) use reduce_steps;

impl crate::step::BlockThreads for Grid {
    fn threads(&self) -> u32 {
        match *self {
            Grid::Tree { threads, .. }
            | Grid::GridStride { threads, .. }
            | Grid::SinglePass { threads, .. } => threads,
        }
    }
}
