//! Softmax along the last dimension of a row-major `rows × cols` matrix,
//! `y[r][c] = exp(x[r][c] − m_r) / Σ_c' exp(x[r][c'] − m_r)` with `m_r = max_c x[r][c]`, f32 math
//! whatever the element type: the loop-fusion ladder (three kernels → one kernel with a block
//! per row → a warp per row → online softmax → the row in registers, one read, 128-bit loads),
//! of f32 data (steps 1–5) and of bf16 data (step 6).
//!
//! **Semantics (every step; torch's):** the maximum is NaN-propagating (`max.NaN.f32`), so a NaN
//! anywhere in a row makes the whole row NaN; a `+inf` makes the row NaN too (`+inf − +inf`);
//! a row of all `−inf` is NaN (`−inf − −inf`); a one-element row is `1` (or NaN for a non-finite
//! element). Subtracting the maximum first keeps `x + 1e4` exact in the exponent.
//!
//! `exp` is `ex2.approx.ftz.f32((x − m)·log2 e)` ([`exp_shifted`]): about 2 ulp relative, and
//! results below 2⁻¹²⁶ flushed to zero (an element more than 87 below its row's maximum); the
//! normalisation multiplies by `rcp.approx.ftz.f32(s)` (`gpu::math::rcp_fast`, ≈ 1 ulp).

steps! {
    s01_three_kernels,
    s02_block_smem,
    s03_warp_per_row,
    s04_online,
    s05_registers,
    s06_bf16_registers,
    s07_bf16_packed,
    s08_bf16_packed_512,
    s09_bf16_pipelined,
}

use crate::gpu::math::rcp_fast;
use crate::gpu::{math, shared::SharedPtr, sync_threads, thread, unroll::unroll, warp};
use crate::half::{Bf16, Bf16x8};
use crate::ptr::{F32x4, GlobalPtr, GlobalPtrMut, KernelParams};

/// How a softmax step is launched.
#[derive(Clone, Copy, Debug)]
pub enum Grid {
    /// Step 1's three kernels: max and sum one thread per row, the normalisation one thread
    /// per element; `threads` per block for each.
    ThreePass { threads: u32 },
    /// One block of `threads` per row.
    BlockPerRow { threads: u32 },
    /// One warp per row: `32 × rows` threads, `threads` per block.
    WarpPerRow { threads: u32 },
    /// The row in registers, two kernels: rows of at most `warp_max_cols` columns a group of
    /// [`lanes_per_row`] lanes each (the step's second kernel, blocks of `warp_threads`);
    /// longer rows one block each
    /// (its first kernel), of the fewest whole warps that hold the row at `chunks` chunks of
    /// 8 elements a thread ([`register_block_threads`]), between 64 and 1024 threads.
    Registers {
        warp_threads: u32,
        warp_max_cols: u32,
        chunks: u32,
    },
    /// As `Registers`, with the block kernel's largest block `max_threads` (its launch
    /// bounds) instead of [`MAX_THREADS`] ([`register_block_threads_max`]).
    RegistersMax {
        warp_threads: u32,
        warp_max_cols: u32,
        chunks: u32,
        max_threads: u32,
    },
    /// A block per `rows_per_block` rows (step 9): `⌈rows / rows_per_block⌉` blocks of
    /// [`register_block_threads_max`]`(cols, chunks, max_threads)` threads, block `b` taking rows
    /// `b, b + G, b + 2G, …` (`G` the grid), the next row's loads in flight while it finishes
    /// the current one; every row length by blocks (no warp kernel).
    Pipelined {
        chunks: u32,
        rows_per_block: u32,
        max_threads: u32,
    },
}

impl crate::step::BlockThreads for Grid {
    fn threads(&self) -> u32 {
        match *self {
            Grid::ThreePass { threads }
            | Grid::BlockPerRow { threads }
            | Grid::WarpPerRow { threads } => threads,
            // The block kernel's largest launch (its launch bounds).
            Grid::Registers { .. } => MAX_THREADS,
            Grid::RegistersMax { max_threads, .. } | Grid::Pipelined { max_threads, .. } => {
                max_threads
            }
        }
    }
}

/// Largest block of the register steps (their launch bounds).
pub const MAX_THREADS: u32 = 1024;
/// 8-element chunks a thread of the register steps holds (32 f32 registers: a row of
/// `32 × threads` columns, 32768 at 1024 threads).
pub const CHUNKS: usize = 4;

/// Threads per block of a register step's block kernel for rows of `cols` columns: the fewest
/// whole warps whose threads hold the row's `cols / 8` chunks at `chunks` each, at least 64
/// and at most 1024 (longer rows take the in-kernel looped fallback).
pub const fn register_block_threads(cols: u32, chunks: u32) -> u32 {
    let t = cols.div_ceil(8).div_ceil(chunks).div_ceil(32) * 32;
    if t < 64 {
        64
    } else if t > MAX_THREADS {
        MAX_THREADS
    } else {
        t
    }
}

/// Chunks of 8 a thread of step 8 holds, packed (32 registers): a row of 32768 columns at 512
/// threads.
pub const CHUNKS_8: usize = 8;
/// Step 8's largest block (its launch bounds, with 2 blocks per SM: at most 64 registers).
pub const MAX_THREADS_8: u32 = 512;

/// [`register_block_threads`] with at most `max` threads (a multiple of 32, at least 64).
pub const fn register_block_threads_max(cols: u32, chunks: u32, max: u32) -> u32 {
    let t = register_block_threads(cols, chunks);
    if t > max { max } else { t }
}

/// Arguments of the one-kernel softmax steps: `x` and `y` are `rows × cols`, row-major,
/// densely packed (row `r` starts at element `r·cols`). What a caller passes to launch the
/// top steps on its own device pointers.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SoftmaxParams<T = f32> {
    pub x: GlobalPtr<T>,
    pub y: GlobalPtrMut<T>,
    pub rows: u32,
    pub cols: u32,
}
unsafe impl<T: Copy> KernelParams for SoftmaxParams<T> {}

/// Arguments of step 1's three kernels: as [`SoftmaxParams`], plus the per-row temporaries
/// in global memory (`rows` values each) that carry the maximum and the sum between them.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SoftmaxThreePassParams {
    pub x: GlobalPtr<f32>,
    pub y: GlobalPtrMut<f32>,
    pub max: GlobalPtrMut<f32>,
    pub sum: GlobalPtrMut<f32>,
    pub rows: u32,
    pub cols: u32,
}
unsafe impl KernelParams for SoftmaxThreePassParams {}

/// `exp(x − m)` as `ex2.approx.ftz((x − m)·log2 e)`. `x − m` is exact when `x` is within a
/// factor of two of `m` (Sterbenz), so a large common offset (`x + 1e4`) costs nothing.
/// Non-finite cases as IEEE: `m = −inf` gives NaN for `x = −inf`, `+inf − +inf` is NaN.
#[inline(always)]
pub fn exp_shifted(x: f32, m: f32) -> f32 {
    math::exp2_fast((x - m) * core::f32::consts::LOG2_E)
}

/// `exp(a − m)` as a rescale factor of the online softmax, with `a ≤ m` (or NaN): exactly 1
/// when `a == m` (so two `−inf` maxima, the identity, give 1, not `exp(NaN)`); NaN when either
/// is NaN.
#[inline(always)]
pub fn rescale(a: f32, m: f32) -> f32 {
    if a == m { 1.0 } else { exp_shifted(a, m) }
}

/// One element into a running `(max, sum of exp(x − max))` pair (online softmax): the sum is
/// rescaled when the maximum grows. Keeps torch's semantics: a NaN makes both NaN (the max is
/// `max.NaN`, `rescale` of NaN is NaN); `+inf` makes the sum NaN (`exp(+inf − +inf)`); `−inf`
/// elements add 0, also while the maximum is still `−inf`.
#[inline(always)]
pub fn online_push(m: &mut f32, s: &mut f32, x: f32) {
    let m_new = math::max_nan(*m, x);
    let e = if m_new == f32::NEG_INFINITY {
        0.0
    } else {
        exp_shifted(x, m_new)
    };
    *s = math::fma(*s, rescale(*m, m_new), e);
    *m = m_new;
}

/// Two running `(max, sum)` pairs merged into one (the online softmax's combine).
#[inline(always)]
pub fn online_merge(m1: f32, s1: f32, m2: f32, s2: f32) -> (f32, f32) {
    let m = math::max_nan(m1, m2);
    (m, s1 * rescale(m1, m) + s2 * rescale(m2, m))
}

/// An element type of softmax data: f32 or bf16 in memory, f32 arithmetic. A "chunk" is the 8
/// values a thread holds together: [`VPC`](RowElem::VPC) 128-bit vectors of
/// [`VL`](RowElem::VL) elements (f32: two `F32x4`; bf16: one `Bf16x8`). A thread's vectors are
/// `size` apart in the row (`first`, `first + size`), so each load or store instruction of a
/// warp covers 32 consecutive 16-byte vectors: whole 32-byte sectors. (Two adjacent vectors
/// per thread — a 32-byte stride between lanes — used only half of each sector per instruction:
/// the H200 profile of the first run, docs/perf-notes.md.)
pub trait RowElem: Copy {
    /// Elements per 128-bit vector.
    const VL: usize;
    /// Vectors per chunk of 8 elements.
    const VPC: usize;
    /// A chunk as loaded, before widening (f32: 8 registers; bf16: 4, packed pairs).
    type Raw: Copy;
    /// Element `j`, as f32 (`ld.global.nc`).
    ///
    /// # Safety
    /// `j` is in bounds.
    unsafe fn load_f32(p: GlobalPtr<Self>, j: usize) -> f32;
    /// Writes `v`, rounded to the element type (bf16: to nearest even).
    ///
    /// # Safety
    /// `j` is in bounds.
    unsafe fn store_f32(p: GlobalPtrMut<Self>, j: usize, v: f32);
    /// The chunk of vectors `first + q·stride` (`q < VPC`) of `p`, each loaded (128-bit,
    /// non-coherent) when its index is below `nvec`, else `fill` in all its lanes (`fill` is
    /// 0 or ±inf: exact in bf16).
    ///
    /// # Safety
    /// `p` is 16-byte aligned and holds `nvec` vectors.
    unsafe fn load_chunk(
        p: GlobalPtr<Self>,
        first: usize,
        stride: usize,
        nvec: usize,
        fill: f32,
    ) -> Self::Raw;
    /// The chunk's eight elements as f32 (exact).
    fn unpack(r: Self::Raw) -> [f32; 8];
    /// Writes the vectors `first + q·stride` below `nvec` of a chunk from eight f32 values, in
    /// 128-bit stores.
    ///
    /// # Safety
    /// `p` is 16-byte aligned and holds `nvec` vectors.
    unsafe fn store_chunk(
        p: GlobalPtrMut<Self>,
        first: usize,
        stride: usize,
        nvec: usize,
        v: [f32; 8],
    );
}

impl RowElem for f32 {
    const VL: usize = 4;
    const VPC: usize = 2;
    type Raw = [F32x4; 2];
    #[inline(always)]
    unsafe fn load_f32(p: GlobalPtr<f32>, j: usize) -> f32 {
        unsafe { p.load(j) }
    }
    #[inline(always)]
    unsafe fn store_f32(p: GlobalPtrMut<f32>, j: usize, v: f32) {
        unsafe { p.store(j, v) }
    }
    #[inline(always)]
    unsafe fn load_chunk(
        p: GlobalPtr<f32>,
        first: usize,
        stride: usize,
        nvec: usize,
        fill: f32,
    ) -> [F32x4; 2] {
        let f = F32x4([fill; 4]);
        let second = first + stride;
        let a = if first < nvec {
            unsafe { p.load_f32x4(first) }
        } else {
            f
        };
        let b = if second < nvec {
            unsafe { p.load_f32x4(second) }
        } else {
            f
        };
        [a, b]
    }
    #[inline(always)]
    fn unpack(r: [F32x4; 2]) -> [f32; 8] {
        let ([a, b, c, d], [e, f, g, h]) = (r[0].0, r[1].0);
        [a, b, c, d, e, f, g, h]
    }
    #[inline(always)]
    unsafe fn store_chunk(
        p: GlobalPtrMut<f32>,
        first: usize,
        stride: usize,
        nvec: usize,
        v: [f32; 8],
    ) {
        let [a, b, c, d, e, f, g, h] = v;
        if first < nvec {
            unsafe { p.store_f32x4(first, F32x4([a, b, c, d])) };
        }
        if first + stride < nvec {
            unsafe { p.store_f32x4(first + stride, F32x4([e, f, g, h])) };
        }
    }
}

impl RowElem for Bf16 {
    const VL: usize = 8;
    const VPC: usize = 1;
    type Raw = Bf16x8;
    #[inline(always)]
    unsafe fn load_f32(p: GlobalPtr<Bf16>, j: usize) -> f32 {
        unsafe { p.load(j) }.to_f32()
    }
    #[inline(always)]
    unsafe fn store_f32(p: GlobalPtrMut<Bf16>, j: usize, v: f32) {
        unsafe { p.store(j, Bf16::from_f32(v)) }
    }
    #[inline(always)]
    unsafe fn load_chunk(
        p: GlobalPtr<Bf16>,
        first: usize,
        _stride: usize,
        nvec: usize,
        fill: f32,
    ) -> Bf16x8 {
        if first < nvec {
            unsafe { p.load_bf16x8(first) }
        } else {
            // 0 and ±inf are the top halves of their f32 bits.
            let h = fill.to_bits() >> 16;
            Bf16x8([crate::half::Bf16x2::from_bits(h | h << 16); 4])
        }
    }
    #[inline(always)]
    fn unpack(r: Bf16x8) -> [f32; 8] {
        let [p0, p1, p2, p3] = r.0;
        let ((a, b), (c, d)) = (p0.to_f32_lo_hi(), p1.to_f32_lo_hi());
        let ((e, f), (g, h)) = (p2.to_f32_lo_hi(), p3.to_f32_lo_hi());
        [a, b, c, d, e, f, g, h]
    }
    #[inline(always)]
    unsafe fn store_chunk(
        p: GlobalPtrMut<Bf16>,
        first: usize,
        _stride: usize,
        nvec: usize,
        v: [f32; 8],
    ) {
        use crate::half::Bf16x2;
        if first < nvec {
            let [a, b, c, d, e, f, g, h] = v;
            let out = Bf16x8([
                Bf16x2::pack_lo_hi(a, b),
                Bf16x2::pack_lo_hi(c, d),
                Bf16x2::pack_lo_hi(e, f),
                Bf16x2::pack_lo_hi(g, h),
            ]);
            unsafe { p.store_bf16x8(first, out) }
        }
    }
}

/// The threads that share one row: a warp (`BLOCK = false`: lanes `0..32`, shuffles only) or
/// the whole block (`BLOCK = true`: shuffles within each warp, one value per warp through
/// shared memory, then every warp reduces the per-warp values itself, so every thread gets the
/// result after one barrier).
#[derive(Clone, Copy)]
pub struct Team<const BLOCK: bool> {
    /// This thread's index in the team.
    pub tid: usize,
    /// Threads in the team.
    pub size: usize,
    /// 32 floats of shared memory per reduction of a row (block teams only); each reduction
    /// of one row uses its own, so no barrier is needed between them.
    pub scratch: [SharedPtr<f32>; 2],
}

impl<const BLOCK: bool> Team<BLOCK> {
    /// `v` reduced by `O` over the team; every thread gets it. Block teams use `scratch[k]`.
    #[inline(always)]
    pub fn all_reduce<O: crate::reduce::ReduceOp>(&self, v: f32, k: usize) -> f32 {
        if !BLOCK {
            return sub_warp_reduce::<O>(v, self.size as u32);
        }
        let v = O::warp(v);
        let (lane, w) = (thread::lane_id(), thread::warp_id());
        if lane == 0 {
            unsafe { self.scratch[k].store(w, v) };
        }
        sync_threads();
        let mut r = O::IDENTITY;
        if (lane as usize) < self.size / 32 {
            r = unsafe { self.scratch[k].load(lane) };
        }
        O::warp(r)
    }

    /// The running `(max, sum)` pairs merged over the team (online softmax); every thread
    /// gets the result. Block teams use both scratch arrays.
    #[inline(always)]
    pub fn all_merge(&self, m: f32, s: f32) -> (f32, f32) {
        if !BLOCK {
            return warp_merge_width(m, s, self.size as u32);
        }
        let (mut m, mut s) = warp_merge(m, s);
        let (lane, w) = (thread::lane_id(), thread::warp_id());
        if lane == 0 {
            unsafe {
                self.scratch[0].store(w, m);
                self.scratch[1].store(w, s);
            }
        }
        sync_threads();
        m = f32::NEG_INFINITY;
        s = 0.0;
        if (lane as usize) < self.size / 32 {
            unsafe {
                m = self.scratch[0].load(lane);
                s = self.scratch[1].load(lane);
            }
        }
        warp_merge(m, s)
    }
}

/// [`online_merge`] over the 32 lanes of a warp by a butterfly: every lane gets the result.
#[inline(always)]
pub fn warp_merge(m: f32, s: f32) -> (f32, f32) {
    warp_merge_width(m, s, 32)
}

/// [`online_merge`] over each aligned group of `width` lanes (a power of two ≤ 32) by a
/// butterfly of offsets `width/2 … 1`; every lane gets its group's result. `width` is the same
/// on every lane, so every lane runs every shuffle.
#[inline(always)]
pub fn warp_merge_width(mut m: f32, mut s: f32, width: u32) -> (f32, f32) {
    let mut offset = width / 2;
    while offset > 0 {
        let (m2, s2) = (warp::shuffle_xor(m, offset), warp::shuffle_xor(s, offset));
        (m, s) = online_merge(m, s, m2, s2);
        offset >>= 1;
    }
    (m, s)
}

/// `v` reduced by `O` over each aligned group of `width` lanes (a power of two ≤ 32), every
/// lane getting its group's result (`width` uniform over the warp).
#[inline(always)]
pub fn sub_warp_reduce<O: crate::reduce::ReduceOp>(mut v: f32, width: u32) -> f32 {
    let mut offset = width / 2;
    while offset > 0 {
        v = O::combine(v, warp::shuffle_xor(v, offset));
        offset >>= 1;
    }
    v
}

/// Online softmax of one row by a team (step 4's algorithm, and the register steps' fallback
/// for rows they cannot hold): one pass keeps a running `(max, sum)` per thread over the
/// columns `tid, tid + size, …`, the team merges the pairs, a second pass writes
/// `exp(x − m) / s`. Scalar loads: any length, any alignment.
#[inline(always)]
pub fn online_row<T: RowElem, const BLOCK: bool>(
    x: GlobalPtr<T>,
    y: GlobalPtrMut<T>,
    cols: usize,
    team: Team<BLOCK>,
) {
    let (mut m, mut s) = (f32::NEG_INFINITY, 0.0f32);
    let mut c = team.tid;
    while c < cols {
        online_push(&mut m, &mut s, unsafe { T::load_f32(x, c) });
        c += team.size;
    }
    let (m, s) = team.all_merge(m, s);
    let inv = rcp_fast(s);
    let mut c = team.tid;
    while c < cols {
        let e = exp_shifted(unsafe { T::load_f32(x, c) }, m);
        unsafe { T::store_f32(y, c, e * inv) };
        c += team.size;
    }
}

/// Whether a row of `cols` elements of `T` at `x` and `y` can take the 128-bit path: whole
/// 16-byte aligned chunks of 8 (so `cols % 8 == 0`, and every row starts aligned).
#[inline(always)]
pub fn chunked<T>(x: u64, y: u64, cols: usize) -> bool {
    cols % 8 == 0 && x % 16 == 0 && y % 16 == 0
}

/// Softmax of one row by a team with the row in registers (steps 5 and 6): thread `tid`
/// holds at most `C` chunks — the row's 128-bit vectors `tid + j·size` (`j < C·VPC`), all
/// loads issued before any is used, missing vectors filled with `−inf` (they add `exp(−inf) =
/// 0`; in a row that is NaN anyway they add NaN) — the team reduces the maximum, each thread
/// turns its values into `exp(x − m)` in place and the team reduces their sum, and each thread
/// writes its values times `1/s`: one read and one write of every element. Rows that are not
/// whole aligned chunks, or longer than `8·C·size`, take [`online_row`] (the choice is uniform
/// over the team, and over the warp). `active: false` (a warp kernel's lanes past the last
/// row) loads and stores nothing but runs the reductions.
#[inline(always)]
pub fn registers_row<T: RowElem, const C: usize, const BLOCK: bool>(
    x: GlobalPtr<T>,
    y: GlobalPtrMut<T>,
    cols: usize,
    active: bool,
    team: Team<BLOCK>,
) {
    // `cols` decides the path (the same for every team of a warp); an inactive team (past
    // the last row) takes part in the shuffles with no elements.
    let live = if active { cols } else { 0 };
    if !chunked::<T>(x.addr(), y.addr(), cols) || cols / 8 > C * team.size {
        online_row(x, y, live, team);
        return;
    }
    let nvec = live / T::VL;
    let first = |k: usize| team.tid + k * T::VPC * team.size;
    let mut raw = [unsafe { T::load_chunk(x, first(0), team.size, nvec, f32::NEG_INFINITY) }; C];
    unroll::<C>(
        #[inline(always)]
        |k| {
            if k > 0 {
                raw[k] = unsafe { T::load_chunk(x, first(k), team.size, nvec, f32::NEG_INFINITY) };
            }
        },
    );
    let mut v = [[0.0f32; 8]; C];
    let mut m = f32::NEG_INFINITY;
    unroll::<C>(
        #[inline(always)]
        |k| {
            v[k] = T::unpack(raw[k]);
            let [a, b, c, d, e, f, g, h] = v[k];
            let m4 = math::max_nan(math::max_nan(a, b), math::max_nan(c, d));
            let m8 = math::max_nan(math::max_nan(e, f), math::max_nan(g, h));
            m = math::max_nan(m, math::max_nan(m4, m8));
        },
    );
    let m = team.all_reduce::<crate::reduce::Max>(m, 0);
    let mut s = 0.0f32;
    unroll::<C>(
        #[inline(always)]
        |k| {
            let mut part = 0.0f32;
            unroll::<8>(
                #[inline(always)]
                |e| {
                    v[k][e] = exp_shifted(v[k][e], m);
                    part += v[k][e];
                },
            );
            s += part;
        },
    );
    let s = team.all_reduce::<crate::reduce::Sum>(s, 1);
    let inv = rcp_fast(s);
    unroll::<C>(
        #[inline(always)]
        |k| {
            let mut out = v[k];
            unroll::<8>(
                #[inline(always)]
                |e| out[e] *= inv,
            );
            unsafe { T::store_chunk(y, first(k), team.size, nvec, out) };
        },
    );
}

/// The block team of the calling block (one row per block).
#[inline(always)]
pub fn block_team(scratch: [SharedPtr<f32>; 2]) -> Team<true> {
    Team {
        tid: thread::thread_idx_x() as usize,
        size: thread::block_dim_x() as usize,
        scratch,
    }
}

/// Lanes that share one row in the register steps' warp kernels: the fewest, a power of two up
/// to 32, that hold the row's `cols / 8` chunks at `chunks` each (128 columns at 4 chunks: 4
/// lanes, 8 rows per warp). The kernels and the host's launch compute it alike.
pub const fn lanes_per_row(cols: u32, chunks: u32) -> u32 {
    let need = cols.div_ceil(8).div_ceil(chunks);
    let mut l = 1;
    while l < need && l < 32 {
        l *= 2;
    }
    l
}

/// The sub-warp team of the calling thread in a warp kernel over rows of `cols` columns: the
/// [`lanes_per_row`] lanes of its group, its row (`thread / lanes`), and the first row of its
/// warp (the whole warp is past the last row when that one is).
#[inline(always)]
pub fn warp_team(cols: u32, chunks: u32) -> (Team<false>, usize, usize) {
    let scratch = SharedPtr::from_addr(0);
    let lanes = lanes_per_row(cols, chunks) as usize;
    let g = thread::index_1d();
    (
        Team {
            tid: g % lanes,
            size: lanes,
            scratch: [scratch, scratch],
        },
        g / lanes,
        (g / 32) * (32 / lanes),
    )
}

/// A register step's warp kernel body (rows of at most its `warp_max_cols`): a sub-warp team
/// of `lanes_per_row(cols, chunks)` lanes per row running `$row` (a row function taking the
/// row's x, y, cols, whether the lane's row exists, and the team). A macro, not a function,
/// as softmax_backward's: the kernels' PTX stays what it was when each wrote this out.
macro_rules! warp_rows {
    ($p:expr, $chunks:expr, $row:expr) => {{
        let p = $p;
        let (team, r, warp_first) = crate::softmax::warp_team(p.cols, $chunks as u32);
        // Warp-uniform: a warp whose first row exists runs every shuffle with all its lanes.
        if warp_first < p.rows as usize {
            let active = r < p.rows as usize;
            let r = if active { r } else { warp_first };
            let cols = p.cols as usize;
            $row(
                p.x.offset(r * cols),
                p.y.offset(r * cols),
                cols,
                active,
                team,
            );
        }
    }};
}
pub(crate) use warp_rows;

/// The packed chunk `r` with its bits XORed with `isnan(v)`: `r` itself unless `v` is NaN, in
/// which case the row's output is NaN whatever the chunk holds (`v` is the row's maximum or
/// sum). Widening it after a reduction is a new value to the compilers, so they widen the
/// packed registers again in that pass instead of keeping the 32 f32 of an earlier widening
/// live through the barrier (which ptxas does even through an opaque `mov`).
#[inline(always)]
fn salted(r: Bf16x8, v: f32) -> Bf16x8 {
    let z = v.is_nan() as u32;
    let [a, b, c, d] = r.0;
    let f = |p: crate::half::Bf16x2| crate::half::Bf16x2::from_bits(p.to_bits() ^ z);
    Bf16x8([f(a), f(b), f(c), f(d)])
}

/// Softmax of one bf16 row by a team with the row in registers **packed** (step 7): as
/// [`registers_row`] (the same chunks `tid + k·size`, the same `−inf` fill, the same fallback
/// and reductions), but each thread keeps its chunks as loaded — 4 registers of bf16 pairs a
/// chunk instead of 8 f32 — and widens them (exactly) in each of its three passes: the maximum,
/// the sum of `exp(x − m)`, and the output `exp(x − m)·(1/s)`. So `exp` is evaluated twice per
/// element (the same `ex2.approx` of the same argument, so the sum and the output are
/// bit-identical to step 6's), in exchange for half the row registers.
#[inline(always)]
pub fn registers_row_packed<const C: usize, const BLOCK: bool>(
    x: GlobalPtr<Bf16>,
    y: GlobalPtrMut<Bf16>,
    cols: usize,
    active: bool,
    team: Team<BLOCK>,
) {
    let live = if active { cols } else { 0 };
    if !chunked::<Bf16>(x.addr(), y.addr(), cols) || cols / 8 > C * team.size {
        online_row(x, y, live, team);
        return;
    }
    let nvec = live / <Bf16 as RowElem>::VL;
    let raw = load_packed::<C>(x, team.tid, team.size, nvec);
    finish_packed::<C, BLOCK>(raw, y, nvec, team);
}

/// The `C` packed chunks of a bf16 row that thread `tid` of a team of `size` holds (the
/// vectors `tid + k·size`, all loads issued before any is used, missing vectors `−inf`):
/// [`registers_row_packed`]'s loads.
#[inline(always)]
pub fn load_packed<const C: usize>(
    x: GlobalPtr<Bf16>,
    tid: usize,
    size: usize,
    nvec: usize,
) -> [Bf16x8; C] {
    let first = |k: usize| tid + k * size;
    let fill = f32::NEG_INFINITY;
    let mut raw = [unsafe { <Bf16 as RowElem>::load_chunk(x, first(0), size, nvec, fill) }; C];
    unroll::<C>(
        #[inline(always)]
        |k| {
            if k > 0 {
                raw[k] = unsafe { <Bf16 as RowElem>::load_chunk(x, first(k), size, nvec, fill) };
            }
        },
    );
    raw
}

/// The rest of [`registers_row_packed`] once its chunks `raw` are loaded: the maximum, the sum
/// of `exp(x − m)` and the output, each pass widening the packed chunks again; the team's
/// reductions use `scratch[0]` then `scratch[1]`.
#[inline(always)]
pub fn finish_packed<const C: usize, const BLOCK: bool>(
    raw: [Bf16x8; C],
    y: GlobalPtrMut<Bf16>,
    nvec: usize,
    team: Team<BLOCK>,
) {
    let mut m = f32::NEG_INFINITY;
    unroll::<C>(
        #[inline(always)]
        |k| {
            let [a, b, c, d, e, f, g, h] = <Bf16 as RowElem>::unpack(raw[k]);
            let m4 = math::max_nan(math::max_nan(a, b), math::max_nan(c, d));
            let m8 = math::max_nan(math::max_nan(e, f), math::max_nan(g, h));
            m = math::max_nan(m, math::max_nan(m4, m8));
        },
    );
    let m = team.all_reduce::<crate::reduce::Max>(m, 0);
    let mut s = 0.0f32;
    unroll::<C>(
        #[inline(always)]
        |k| {
            let v = <Bf16 as RowElem>::unpack(salted(raw[k], m));
            let mut part = 0.0f32;
            unroll::<8>(
                #[inline(always)]
                |e| part += exp_shifted(v[e], m),
            );
            s += part;
        },
    );
    let s = team.all_reduce::<crate::reduce::Sum>(s, 1);
    let inv = rcp_fast(s);
    // The same maximum as `m + 0·s`, which neither LLVM nor ptxas folds (IEEE: `0·s` is NaN
    // for an infinite or NaN `s`): otherwise both keep the second pass's 32 `exp` values from
    // the first (the same expressions; an opaque `mov` is seen through by ptxas), and the row
    // is unpacked in registers again (60 registers, one block per SM at 32000). `s` is finite
    // or NaN, and a NaN `s` makes the output NaN anyway, so this is `m`.
    let m = math::fma(0.0, s, m);
    // The store indices from an opaque `tid` (as the normalisation kernels): recomputed here
    // rather than kept live through both reductions.
    let tid = crate::gpu::norm_reduce::opaque_u32(team.tid as u32) as usize;
    unroll::<C>(
        #[inline(always)]
        |k| {
            let mut out = <Bf16 as RowElem>::unpack(salted(raw[k], s));
            unroll::<8>(
                #[inline(always)]
                |e| out[e] = exp_shifted(out[e], m) * inv,
            );
            let j = tid + k * team.size;
            unsafe { <Bf16 as RowElem>::store_chunk(y, j, team.size, nvec, out) };
        },
    );
}

/// Rows `first_row, first_row + stride, …` below `rows` of a bf16 matrix by one block team,
/// **software-pipelined** (step 9): the next row's packed chunks are loaded (all `C` 128-bit
/// loads issued) before the current row's two reductions and its stores, so each block keeps
/// a row's loads in flight while it reduces and writes the one before. Per row the same
/// arithmetic as [`registers_row_packed`] (the same bits as steps 7 and 8). The reductions
/// alternate `scratch[0]` (max) and `scratch[1]` (sum), one barrier each: a thread writes a
/// scratch array again only after the barrier of the other one, which every thread reaches
/// after its last read of it, so no extra barrier between rows. Rows that are not whole
/// aligned chunks or longer than `8·C·size` take [`online_row`] per row, with a barrier after
/// each (its merge writes both arrays before its one barrier). The loop bounds are uniform
/// over the block.
#[inline(always)]
pub fn pipelined_rows_packed<const C: usize>(
    x: GlobalPtr<Bf16>,
    y: GlobalPtrMut<Bf16>,
    rows: usize,
    cols: usize,
    first_row: usize,
    stride: usize,
    team: Team<true>,
) {
    if !chunked::<Bf16>(x.addr(), y.addr(), cols) || cols / 8 > C * team.size {
        let mut r = first_row;
        while r < rows {
            online_row(x.offset(r * cols), y.offset(r * cols), cols, team);
            sync_threads();
            r += stride;
        }
        return;
    }
    let nvec = cols / <Bf16 as RowElem>::VL;
    let mut r = first_row;
    if r >= rows {
        return;
    }
    let mut cur = load_packed::<C>(x.offset(r * cols), team.tid, team.size, nvec);
    loop {
        let next_r = r + stride;
        let more = next_r < rows;
        // The last row loads nothing more (`nvec = 0`: every chunk is the fill).
        let next_nvec = if more { nvec } else { 0 };
        let next_x = x.offset(if more { next_r } else { r } * cols);
        let next = load_packed::<C>(next_x, team.tid, team.size, next_nvec);
        finish_packed::<C, true>(cur, y.offset(r * cols), nvec, team);
        if !more {
            break;
        }
        cur = next;
        r = next_r;
    }
}
