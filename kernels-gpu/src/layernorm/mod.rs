//! Layer normalisation over the last dimension of a row-major `rows × cols` matrix:
//! `y = (x − mean)·rstd·γ + β` with `rstd = 1/√(var + eps)` (biased variance, as torch's
//! `native_layer_norm`), outputs `y` and the per-row `mean` and `rstd` (f32 whatever the
//! element type). Steps 1–3 are f32; step 4 is bf16 in memory (x, γ, β, y) with f32 math.
//!
//! Steps 1–9 compute the variance in **two passes** (`Σ(x − mean)²` after the mean), never
//! as `Σx² − (Σx)²/n`: that single-pass formula cancels catastrophically on rows with a large
//! offset (x + 1e4: `Σx²/n ≈ 1e8`, its f32 rounding error ≈ 6 is larger than a variance of
//! 1/3). Two passes over a row held in registers (steps 3, 4) cost no extra memory traffic.
//! Steps 10–12 take one pass of sums **shifted by the row's first element** (`Σ(x − x₀)`,
//! `Σ(x − x₀)²`: one block reduction, [`norm_one_pass`]), which keeps that offset out of the
//! sums (`x − x₀` is exact there); only a first element far from the mean costs accuracy.
//!
//! The register body ([`norm_rows`]) is shared with the rmsnorm ladder (`RMS = true`: no mean,
//! `rstd = 1/√(mean(x²) + eps)`, no β).

steps! {
    s01_thread_per_row,
    s02_block_per_row,
    s03_registers,
    s04_bf16_registers,
    s05_strided,
    s06_bf16_strided,
    s07_bf16_pipelined,
    s08_bf16_short_rows,
    s09_short_rows,
    s10_one_pass,
    s11_bf16_one_pass,
    s12_streamed,
    s13_bf16_staged,
}

use crate::gpu::shared::SharedPtr;
use crate::gpu::{sync_threads, thread, unroll::unroll, warp};
use crate::half::{Bf16, Bf16x2, Bf16x8};
use crate::ptr::{F32x4, GlobalPtr, GlobalPtrMut, KernelParams};

/// How a normalisation step is launched.
#[derive(Clone, Copy, Debug)]
pub enum Grid {
    /// One thread per row: `rows` threads, `threads` per block.
    ThreadPerRow { threads: u32 },
    /// One 1-D block of `threads` per row.
    BlockPerRow { threads: u32 },
    /// Blocks of `(tx, ty)` threads, `ty` rows per block, `tx` threads per row: `tx` is the
    /// multiple of 32 that gives each thread about `vecs` 128-bit vectors of the row
    /// (`⌈cols / (lanes·vecs)⌉` rounded up to 32, clamped to `32..=max_tx`), and
    /// `ty = max(1, block / tx)` (short rows share a block: a warp per row at 128 columns).
    /// `lanes` is 4 for f32, 8 for bf16; the kernel holds up to its register capacity `R`
    /// vectors per thread and re-reads only what does not fit.
    Rows { vecs: u32, max_tx: u32, block: u32 },
    /// One 1-D block per row of the fewest whole warps that hold the row at `chunks` chunks of
    /// 8 elements a thread (`softmax::register_block_threads`, the softmax register steps'
    /// rule: 128 threads at 4096 columns, 1024 at 32000), between 64 and 1024 threads; each
    /// thread's vectors are strided by the block.
    Registers { chunks: u32 },
    /// As softmax's `Grid::Pipelined` (layernorm step 7, rmsnorm step 5): `⌈rows /
    /// rows_per_block⌉` blocks of `register_block_threads_max(cols, chunks, max_threads)`
    /// threads, block `b` taking rows `b, b + G, …`.
    Pipelined {
        chunks: u32,
        rows_per_block: u32,
        max_threads: u32,
    },
    /// Layernorm step 8, rmsnorm step 6: rows of at most `warp_max_cols` columns a group of
    /// `softmax::lanes_per_row(cols, chunks)` lanes each (blocks of `warp_threads`), longer
    /// rows one block each as [`Grid::Registers`]; one kernel, which takes the path by `cols`.
    ShortRows {
        chunks: u32,
        warp_threads: u32,
        warp_max_cols: u32,
    },
    /// Layernorm step 12: persistent blocks of `register_block_threads(cols, chunks)` threads,
    /// as many as [`streamed_blocks`] (`sms` SMs full at 64 registers a thread, at most
    /// `rows`), block `b` taking rows `b, b + G, …`, with `cols` elements of dynamic shared
    /// memory (the next row's staging buffer; 0 when the row takes the looped fallback).
    Streamed { chunks: u32, sms: u32 },
    /// Layernorm step 13: as [`Grid::Registers`], with the row's [`staged_smem`] bytes of
    /// dynamic shared memory (bf16).
    Staged { chunks: u32 },
}

impl crate::step::BlockThreads for Grid {
    fn threads(&self) -> u32 {
        match *self {
            Grid::ThreadPerRow { threads } | Grid::BlockPerRow { threads } => threads,
            Grid::Rows { block, .. } => block,
            // The largest launch (the kernels' launch bounds).
            Grid::Registers { .. } => crate::softmax::MAX_THREADS,
            Grid::Pipelined { max_threads, .. } => max_threads,
            Grid::ShortRows { .. } => crate::softmax::MAX_THREADS,
            Grid::Streamed { .. } | Grid::Staged { .. } => crate::softmax::MAX_THREADS,
        }
    }
}

// Host launch arithmetic: not compiled into the PTX modules.
#[cfg(not(target_arch = "nvptx64"))]
impl Grid {
    /// The block `(tx, ty)` of a [`Grid::Rows`] launch over rows of `cols` elements of
    /// `lanes` per 128-bit vector (None for the other grids).
    pub fn rows_block(&self, cols: usize, lanes: usize) -> Option<(u32, u32)> {
        match *self {
            Grid::Rows {
                vecs,
                max_tx,
                block,
            } => {
                let nvec = cols.div_ceil(lanes);
                let want = nvec.div_ceil(vecs as usize).div_ceil(32) * 32;
                let tx = want.clamp(32, max_tx as usize) as u32;
                Some((tx, (block / tx).max(1)))
            }
            _ => None,
        }
    }
}

/// Arguments of the layernorm forward kernels: `x`, `y` are `rows × cols`, `gamma`, `beta`
/// have `cols` values, `mean`, `rstd` have `rows`. What a caller (the Python custom op) fills
/// with its own device pointers.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct LayerNormParams<T = f32> {
    pub x: GlobalPtr<T>,
    pub gamma: GlobalPtr<T>,
    pub beta: GlobalPtr<T>,
    pub y: GlobalPtrMut<T>,
    pub mean: GlobalPtrMut<f32>,
    pub rstd: GlobalPtrMut<f32>,
    pub rows: u32,
    pub cols: u32,
    pub eps: f32,
}
unsafe impl<T: Copy> KernelParams for LayerNormParams<T> {}

/// The sum of `v` over the threads of this thread's row of a `(tx, ty)` block (`tx` a
/// multiple of 32, ≤ 32 warps in the block): shuffles within each warp, one value per warp
/// through `warps` (32 floats of shared memory), then every warp of the row adds the row's
/// partials in the same order, so every thread gets the same bits (deterministic). Two
/// `bar.sync`: after the partials are written and after they are read (the next call may
/// overwrite them). Every thread of the block must call it.
#[inline(always)]
pub(crate) fn row_sum(v: f32, warps: SharedPtr<f32>) -> f32 {
    let v = warp::reduce_sum(v);
    let per_row = thread::block_dim_x() / 32;
    let first = thread::thread_idx_y() * per_row;
    let lane = thread::lane_id();
    if lane == 0 {
        unsafe { warps.store(first + thread::thread_idx_x() / 32, v) };
    }
    sync_threads();
    let mut r = 0.0f32;
    if lane < per_row {
        r = unsafe { warps.load(first + lane) };
    }
    let r = warp::reduce_sum(r);
    sync_threads();
    r
}

/// An element type the normalisation kernels read and write: `LANES` per 128-bit vector,
/// f32 arithmetic whatever the storage.
pub(crate) trait NormIo: Copy {
    /// Elements per 128-bit vector (f32: 4, bf16: 8).
    const LANES: usize;
    /// One vector in registers.
    type V: Copy;
    /// A vector of zeros.
    const ZERO: Self::V;
    /// Vector `i` of `p` (elements `LANES·i ..`): one 128-bit load when `vector`, else the
    /// `valid` (≥ 1) leading elements as scalars and zeros after them.
    unsafe fn load(p: GlobalPtr<Self>, i: usize, valid: usize, vector: bool) -> Self::V;
    /// Element `j` of a vector, as f32.
    fn lane(v: Self::V, j: usize) -> f32;
    /// Writes `f[0..LANES]` as vector `i` of `p` (rounded to the element type): one 128-bit
    /// store when `vector`, else its `valid` leading elements as scalars.
    unsafe fn store(p: GlobalPtrMut<Self>, i: usize, f: [f32; 8], valid: usize, vector: bool);
    /// The vector at f32 word `w` of shared memory (16-byte aligned): one `LDS.128`.
    unsafe fn load_shared(s: SharedPtr<f32>, w: u32) -> Self::V;
}

impl NormIo for f32 {
    const LANES: usize = 4;
    type V = F32x4;
    const ZERO: F32x4 = F32x4([0.0; 4]);
    #[inline(always)]
    unsafe fn load(p: GlobalPtr<f32>, i: usize, valid: usize, vector: bool) -> F32x4 {
        if vector {
            unsafe { p.load_f32x4(i) }
        } else {
            let mut v = [0.0f32; 4];
            unroll::<4>(
                #[inline(always)]
                |j| {
                    if j < valid {
                        v[j] = unsafe { p.load(4 * i + j) };
                    }
                },
            );
            F32x4(v)
        }
    }
    #[inline(always)]
    fn lane(v: F32x4, j: usize) -> f32 {
        v.0[j]
    }
    #[inline(always)]
    unsafe fn load_shared(s: SharedPtr<f32>, w: u32) -> F32x4 {
        unsafe { s.load_f32x4(w) }
    }
    #[inline(always)]
    unsafe fn store(p: GlobalPtrMut<f32>, i: usize, f: [f32; 8], valid: usize, vector: bool) {
        if vector {
            unsafe { p.store_f32x4(i, F32x4([f[0], f[1], f[2], f[3]])) }
        } else {
            unroll::<4>(
                #[inline(always)]
                |j| {
                    if j < valid {
                        unsafe { p.store(4 * i + j, f[j]) };
                    }
                },
            );
        }
    }
}

impl NormIo for Bf16 {
    const LANES: usize = 8;
    type V = Bf16x8;
    const ZERO: Bf16x8 = Bf16x8([Bf16x2::from_bits(0); 4]);
    #[inline(always)]
    unsafe fn load(p: GlobalPtr<Bf16>, i: usize, valid: usize, vector: bool) -> Bf16x8 {
        if vector {
            unsafe { p.load_bf16x8(i) }
        } else {
            let mut v = [Bf16::from_bits(0); 8];
            unroll::<8>(
                #[inline(always)]
                |j| {
                    if j < valid {
                        v[j] = unsafe { p.load(8 * i + j) };
                    }
                },
            );
            Bf16x8::from_array(v)
        }
    }
    #[inline(always)]
    fn lane(v: Bf16x8, j: usize) -> f32 {
        let (lo, hi) = v.0[j / 2].to_f32_lo_hi();
        if j % 2 == 0 { lo } else { hi }
    }
    #[inline(always)]
    unsafe fn load_shared(s: SharedPtr<f32>, w: u32) -> Bf16x8 {
        unsafe { s.cast::<Bf16>().load_bf16x8(2 * w) }
    }
    #[inline(always)]
    unsafe fn store(p: GlobalPtrMut<Bf16>, i: usize, f: [f32; 8], valid: usize, vector: bool) {
        if vector {
            let v = Bf16x8([
                Bf16x2::pack_lo_hi(f[0], f[1]),
                Bf16x2::pack_lo_hi(f[2], f[3]),
                Bf16x2::pack_lo_hi(f[4], f[5]),
                Bf16x2::pack_lo_hi(f[6], f[7]),
            ]);
            unsafe { p.store_bf16x8(i, v) }
        } else {
            unroll::<8>(
                #[inline(always)]
                |j| {
                    if j < valid {
                        unsafe { p.store(8 * i + j, Bf16::from_f32(f[j])) };
                    }
                },
            );
        }
    }
}

/// Whether every address is 16-byte aligned (the 128-bit path needs that besides
/// `cols % LANES == 0`; buffers from `cuMemAlloc` are 256-byte aligned, a caller's slices
/// may not be).
#[inline(always)]
pub(crate) fn aligned16(addrs: &[u64]) -> bool {
    let mut all = 0u64;
    for a in addrs {
        all |= a;
    }
    all % 16 == 0
}

/// Whether a row of `n` elements takes the 128-bit chunk path of the register steps (`C`
/// chunks of 8 a thread of a team of `size`): `x` and `y` chunked
/// ([`crate::softmax::chunked`]), γ and β 16-byte aligned, and the row at most `8·C·size`
/// long. Otherwise the step's looped fallback.
#[inline(always)]
fn chunks_fit<T, const C: usize>(
    x: GlobalPtr<T>,
    y: GlobalPtrMut<T>,
    gamma: GlobalPtr<T>,
    beta: GlobalPtr<T>,
    n: usize,
    size: usize,
) -> bool {
    crate::softmax::chunked::<T>(x.addr(), y.addr(), n)
        && aligned16(&[gamma.addr(), beta.addr()])
        && n / 8 <= C * size
}

/// The sum of the valid lanes of vector `i` (`valid` = elements of the row from it on, ≥ 1)
/// of `(v − shift)²` when `SQ`, of `v` otherwise.
#[inline(always)]
pub(crate) fn lanes_sum<T: NormIo, const SQ: bool>(
    v: T::V,
    shift: f32,
    valid: usize,
    full: bool,
) -> f32 {
    let mut s = 0.0f32;
    unroll::<8>(
        #[inline(always)]
        |j| {
            if j < T::LANES && (full || j < valid) {
                let d = T::lane(v, j) - shift;
                s += if SQ { d * d } else { d };
            }
        },
    );
    s
}

/// The register body of layernorm steps 3 and 4 and of rmsnorm: rows of a `(tx, ty)` block
/// ([`Grid::Rows`]), row `blockIdx.x·ty + threadIdx.y`. On the 128-bit path (`cols` a
/// multiple of `LANES`, 16-byte aligned pointers) each thread keeps vectors
/// `t, t + tx, …, t + (R−1)·tx` of its row in registers (one read of x); vectors beyond
/// `R·tx` (rows longer than the block holds: > 32768 elements at tx = 512 and R = 16 f32 or
/// R = 8 bf16) are re-read in
/// each pass, as is the whole row on the scalar path (other `cols`: the loads of a pass hit
/// L1/L2, and the register loop stays free of masks). Pass 1: mean (skipped for RMS). Pass 2: `Σ(x − mean)²` from the registers
/// (two-pass variance). Pass 3: `y` from the registers, γ and β read as 128-bit vectors.
/// Threads of a row slot past the last row take part in the barriers with no columns.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn norm_rows<T: NormIo, const R: usize, const RMS: bool>(
    x: GlobalPtr<T>,
    gamma: GlobalPtr<T>,
    beta: GlobalPtr<T>,
    y: GlobalPtrMut<T>,
    mean_out: GlobalPtrMut<f32>,
    rstd_out: GlobalPtrMut<f32>,
    rows: u32,
    cols: u32,
    eps: f32,
    warps: SharedPtr<f32>,
) {
    let lanes = T::LANES;
    let tx = thread::block_dim_x() as usize;
    let t = thread::thread_idx_x() as usize;
    let row = (thread::block_idx_x() * thread::block_dim_y() + thread::thread_idx_y()) as usize;
    let live = row < rows as usize;
    let cols = cols as usize;
    let n = if live { cols } else { 0 };
    let r = if live { row } else { 0 };
    let nvec = n.div_ceil(lanes);
    let vector = cols % lanes == 0 && aligned16(&[x.addr(), gamma.addr(), beta.addr(), y.addr()]);
    let (xr, yr) = (x.offset(r * cols), y.offset(r * cols));

    // Vectors held in registers: all of the 128-bit path's up to R per thread, none of the
    // scalar path's; `rest` is where the re-read loops start.
    let nreg = if vector { nvec } else { 0 };
    let rest = if vector { t + R * tx } else { t };

    // Pass 1: load the row's vectors into registers, sum them.
    let mut v = [T::ZERO; R];
    let mut s = 0.0f32;
    unroll::<R>(
        #[inline(always)]
        |k| {
            let i = t + k * tx;
            if i < nreg {
                v[k] = unsafe { T::load(xr, i, lanes, true) };
                if !RMS {
                    s += lanes_sum::<T, false>(v[k], 0.0, lanes, true);
                }
            }
        },
    );
    let mut i = rest;
    if !RMS {
        while i < nvec {
            let valid = n - lanes * i;
            s +=
                lanes_sum::<T, false>(unsafe { T::load(xr, i, valid, vector) }, 0.0, valid, vector);
            i += tx;
        }
    }
    let mean = if RMS {
        0.0
    } else {
        crate::gpu::norm_reduce::div_full(row_sum(s, warps), cols as f32)
    };

    // Pass 2: Σ(x − mean)² (RMS: Σx²), from the registers.
    let mut q = 0.0f32;
    unroll::<R>(
        #[inline(always)]
        |k| {
            let i = t + k * tx;
            if i < nreg {
                q += lanes_sum::<T, true>(v[k], mean, lanes, true);
            }
        },
    );
    i = rest;
    while i < nvec {
        let valid = n - lanes * i;
        q += lanes_sum::<T, true>(
            unsafe { T::load(xr, i, valid, vector) },
            mean,
            valid,
            vector,
        );
        i += tx;
    }
    let var = crate::gpu::norm_reduce::div_full(row_sum(q, warps), cols as f32);
    let rstd = crate::gpu::math::rsqrt_fast(var + eps);

    // Pass 3: y = (x − mean)·rstd·γ + β (RMS: x·rstd·γ).
    let write = #[inline(always)]
    |i: usize, xv: T::V, vector: bool| {
        let valid = n - lanes * i;
        let g = unsafe { T::load(gamma, i, valid, vector) };
        let b = if RMS {
            T::ZERO
        } else {
            unsafe { T::load(beta, i, valid, vector) }
        };
        let mut f = [0.0f32; 8];
        unroll::<8>(
            #[inline(always)]
            |j| {
                if j < lanes {
                    let xhat = (T::lane(xv, j) - mean) * rstd;
                    f[j] = if RMS {
                        xhat * T::lane(g, j)
                    } else {
                        crate::gpu::math::fma(xhat, T::lane(g, j), T::lane(b, j))
                    };
                }
            },
        );
        unsafe { T::store(yr, i, f, valid, vector) };
    };
    // The register vectors' indices again, from an opaque copy of threadIdx.x: recomputed
    // here rather than kept live through both reductions.
    let t3 = crate::gpu::norm_reduce::opaque_u32(t as u32) as usize;
    unroll::<R>(
        #[inline(always)]
        |k| {
            let i = t3 + k * tx;
            if i < nreg {
                write(i, v[k], true);
            }
        },
    );
    i = rest;
    while i < nvec {
        write(i, unsafe { T::load(xr, i, n - lanes * i, vector) }, vector);
        i += tx;
    }
    if live && t == 0 {
        if !RMS {
            unsafe { mean_out.store(row, mean) };
        }
        unsafe { rstd_out.store(row, rstd) };
    }
}

/// The register body of layernorm steps 5 and 6 and rmsnorm steps 3 and 4: one row per block
/// ([`Grid::Registers`]), softmax's layout ([`crate::softmax::registers_row`]). Thread `t` of
/// a block of `B` holds `C` chunks of 8 elements, the row's 128-bit vectors `t + j·B`
/// (`j < C·VPC`: f32 two `F32x4` per chunk, bf16 one `Bf16x8` kept packed), all loads issued
/// before any is used, missing vectors read as 0: every warp instruction covers 32
/// consecutive 16-byte vectors (whole sectors). Then the mean (one block reduction, skipped
/// for RMS), `Σ(x − mean)²` over the vectors that exist, from the registers (the second
/// reduction: the two-pass variance), and `y` with γ and β read per chunk in the same layout.
/// Each reduction uses its own 32 floats of `scratch` (one barrier each, no reuse within the
/// block). Rows that are not whole aligned chunks, or longer than `8·C·B` (32768 at C = 4),
/// take [`norm_rows`] with no register vectors (three looped passes), the choice uniform
/// over the block.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn norm_strided<T, const C: usize, const RMS: bool>(
    x: GlobalPtr<T>,
    gamma: GlobalPtr<T>,
    beta: GlobalPtr<T>,
    y: GlobalPtrMut<T>,
    mean_out: GlobalPtrMut<f32>,
    rstd_out: GlobalPtrMut<f32>,
    rows: u32,
    cols: u32,
    eps: f32,
    scratch: [SharedPtr<f32>; 2],
) where
    T: NormIo + crate::softmax::RowElem,
{
    use crate::softmax::RowElem;
    let row = thread::block_idx_x() as usize;
    // Uniform over the block (a launch over 0 rows still has one block).
    if row >= rows as usize {
        return;
    }
    let team = crate::softmax::block_team(scratch);
    let n = cols as usize;
    let fits = chunks_fit::<_, C>(x, y, gamma, beta, n, team.size);
    if !fits {
        norm_rows::<T, 0, RMS>(
            x, gamma, beta, y, mean_out, rstd_out, rows, cols, eps, scratch[0],
        );
        return;
    }
    let (xr, yr) = (x.offset(row * n), y.offset(row * n));
    let nvec = n / <T as RowElem>::VL;
    let size = team.size;
    let first = |k: usize| team.tid + k * T::VPC * size;
    let mut raw = [unsafe { T::load_chunk(xr, first(0), size, nvec, 0.0) }; C];
    unroll::<C>(
        #[inline(always)]
        |k| {
            if k > 0 {
                raw[k] = unsafe { T::load_chunk(xr, first(k), size, nvec, 0.0) };
            }
        },
    );

    norm_row_finish::<T, C, RMS, true>(
        |k| raw[k],
        gamma,
        beta,
        yr,
        mean_out,
        rstd_out,
        row,
        n,
        eps,
        true,
        team,
    );
}

/// The body of layernorm step 13 (bf16): [`norm_strided`]'s block per row and arithmetic, the
/// row **staged in shared memory** instead of registers. Each thread copies its own vectors
/// (`tid + k·size`) into the block's `2·cols` bytes of dynamic shared memory with
/// `cp.async.cg` (16 bytes each, no registers), waits for its own copies
/// (`cp.async.wait_all`: it reads back only what it copied, so no barrier), and each of
/// [`norm_row_finish`]'s three passes reads its chunks back (`LDS.128`): the barriers of the
/// two reductions keep the compiler from holding them in registers. So the row costs no
/// registers, the kernel fits 32 (`launch_bounds(1024, 2)`), and an SM holds two blocks of
/// 1024 threads (two 64 KB rows in flight at 32000 columns) where step 6 holds one. Rows that
/// are not whole aligned chunks or longer than `8·C·size` take [`norm_row_scalar`] (three
/// looped passes by the block; no staging, the launch gives them no shared memory).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn norm_staged<const C: usize>(
    x: GlobalPtr<Bf16>,
    gamma: GlobalPtr<Bf16>,
    beta: GlobalPtr<Bf16>,
    y: GlobalPtrMut<Bf16>,
    mean_out: GlobalPtrMut<f32>,
    rstd_out: GlobalPtrMut<f32>,
    rows: u32,
    cols: u32,
    eps: f32,
    scratch: [SharedPtr<f32>; 2],
) {
    use crate::gpu::cp_async;
    let row = thread::block_idx_x() as usize;
    // Uniform over the block (a launch over 0 rows still has one block).
    if row >= rows as usize {
        return;
    }
    let team = crate::softmax::block_team(scratch);
    let n = cols as usize;
    let fits = chunks_fit::<_, C>(x, y, gamma, beta, n, team.size);
    let (xr, yr) = (x.offset(row * n), y.offset(row * n));
    if !fits {
        norm_row_scalar::<Bf16, false, true>(
            xr, gamma, beta, yr, mean_out, rstd_out, row, n, eps, true, team,
        );
        return;
    }
    let (nvec, size) = (n / 8, team.size);
    let stage = crate::gpu::shared::dynamic_shared::<Bf16>();
    unroll::<C>(
        #[inline(always)]
        |k| {
            let i = team.tid + k * size;
            if i < nvec {
                unsafe {
                    cp_async::copy_cg_16(stage.offset((8 * i) as u32), xr.offset(8 * i).addr())
                };
            }
        },
    );
    cp_async::wait_all();
    let chunk = |k: usize| {
        let i = team.tid + k * size;
        if i < nvec {
            unsafe { stage.load_bf16x8((8 * i) as u32) }
        } else {
            Bf16x8([Bf16x2::from_bits(0); 4])
        }
    };
    norm_row_finish::<Bf16, C, false, true>(
        chunk, gamma, beta, yr, mean_out, rstd_out, row, n, eps, true, team,
    );
}

/// The dynamic shared memory (bytes) of layernorm step 13 over rows of `cols` bf16 at `chunks`
/// chunks a thread of `threads`: the row's `2·cols` bytes when the 128-bit path takes it, else
/// 0 — half of step 12's [`streamed_smem`] (f32 rows).
pub const fn staged_smem(cols: u32, chunks: u32, threads: u32) -> u32 {
    streamed_smem(cols, chunks, threads) / 2
}

/// One row's normalisation from its chunks `raw(k)` (the vectors `tid + k·VPC·size` of a
/// team, 0 where missing; bf16 kept packed; steps 5–9 pass their registers, step 13 reads
/// shared memory in each pass) — [`norm_strided`]'s arithmetic after its loads: the
/// mean (reduced through `scratch[0]` by a block team, skipped for RMS; missing vectors are
/// zeros, they add nothing), `Σ(x − mean)²` over the elements that exist (through
/// `scratch[1]`), `y = (x − mean)·rstd·γ + β` with γ and β read per chunk in the same layout
/// (L2 resident); the team's thread 0 writes the row's mean and rstd. `live: false` (a warp
/// team past the last row) stores nothing but takes part in the reductions.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn norm_row_finish<T, const C: usize, const RMS: bool, const BLOCK: bool>(
    raw: impl Fn(usize) -> <T as crate::softmax::RowElem>::Raw,
    gamma: GlobalPtr<T>,
    beta: GlobalPtr<T>,
    yr: GlobalPtrMut<T>,
    mean_out: GlobalPtrMut<f32>,
    rstd_out: GlobalPtrMut<f32>,
    row: usize,
    cols: usize,
    eps: f32,
    live: bool,
    team: crate::softmax::Team<BLOCK>,
) where
    T: NormIo + crate::softmax::RowElem,
{
    use crate::softmax::RowElem;
    let nvec = if live { cols / <T as RowElem>::VL } else { 0 };
    let size = team.size;
    // Whether element `e` of chunk `k` exists (its vector is below `nvec`).
    let exists =
        |k: usize, e: usize| team.tid + k * T::VPC * size + (e / <T as RowElem>::VL) * size < nvec;
    let mean = if RMS {
        0.0
    } else {
        let mut s = 0.0f32;
        unroll::<C>(
            #[inline(always)]
            |k| {
                let v = T::unpack(raw(k));
                let mut part = 0.0f32;
                unroll::<8>(
                    #[inline(always)]
                    |e| part += v[e],
                );
                s += part;
            },
        );
        crate::gpu::norm_reduce::div_full(team.all_reduce::<crate::reduce::Sum>(s, 0), cols as f32)
    };
    let mut q = 0.0f32;
    unroll::<C>(
        #[inline(always)]
        |k| {
            let v = T::unpack(raw(k));
            let mut part = 0.0f32;
            unroll::<8>(
                #[inline(always)]
                |e| {
                    let d = if exists(k, e) { v[e] - mean } else { 0.0 };
                    part = crate::gpu::math::fma(d, d, part);
                },
            );
            q += part;
        },
    );
    let var =
        crate::gpu::norm_reduce::div_full(team.all_reduce::<crate::reduce::Sum>(q, 1), cols as f32);
    let rstd = crate::gpu::math::rsqrt_fast(var + eps);
    let t3 = crate::gpu::norm_reduce::opaque_u32(team.tid as u32) as usize;
    // The vectors' indices again, from an opaque copy of threadIdx.x: recomputed here rather
    // than kept live (as addresses) through both reductions.
    let first = |k: usize| t3 + k * T::VPC * size;
    unroll::<C>(
        #[inline(always)]
        |k| {
            let v = T::unpack(raw(k));
            let g = T::unpack(unsafe { T::load_chunk(gamma, first(k), size, nvec, 0.0) });
            let b = if RMS {
                [0.0f32; 8]
            } else {
                T::unpack(unsafe { T::load_chunk(beta, first(k), size, nvec, 0.0) })
            };
            let mut out = [0.0f32; 8];
            unroll::<8>(
                #[inline(always)]
                |e| {
                    let xhat = (v[e] - mean) * rstd;
                    out[e] = if RMS {
                        xhat * g[e]
                    } else {
                        crate::gpu::math::fma(xhat, g[e], b[e])
                    };
                },
            );
            unsafe { T::store_chunk(yr, first(k), size, nvec, out) };
        },
    );
    if live && team.tid == 0 {
        if !RMS {
            unsafe { mean_out.store(row, mean) };
        }
        unsafe { rstd_out.store(row, rstd) };
    }
}

/// One row by a team with scalar loads, any length and alignment (the fallback of
/// [`norm_pipelined`] and [`norm_short_rows`]): three looped passes (mean through `scratch[0]`
/// by a block team, skipped for RMS; `Σ(x − mean)²` through `scratch[1]`; `y`), the row
/// re-read in each. `live: false`: no columns, no stores, the reductions still run.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn norm_row_scalar<T, const RMS: bool, const BLOCK: bool>(
    xr: GlobalPtr<T>,
    gamma: GlobalPtr<T>,
    beta: GlobalPtr<T>,
    yr: GlobalPtrMut<T>,
    mean_out: GlobalPtrMut<f32>,
    rstd_out: GlobalPtrMut<f32>,
    row: usize,
    cols: usize,
    eps: f32,
    live: bool,
    team: crate::softmax::Team<BLOCK>,
) where
    T: crate::softmax::RowElem,
{
    let n = if live { cols } else { 0 };
    let load = |p: GlobalPtr<T>, c: usize| unsafe { T::load_f32(p, c) };
    let mean = if RMS {
        0.0
    } else {
        let mut s = 0.0f32;
        let mut c = team.tid;
        while c < n {
            s += load(xr, c);
            c += team.size;
        }
        crate::gpu::norm_reduce::div_full(team.all_reduce::<crate::reduce::Sum>(s, 0), cols as f32)
    };
    let mut q = 0.0f32;
    let mut c = team.tid;
    while c < n {
        let d = load(xr, c) - mean;
        q = crate::gpu::math::fma(d, d, q);
        c += team.size;
    }
    let var =
        crate::gpu::norm_reduce::div_full(team.all_reduce::<crate::reduce::Sum>(q, 1), cols as f32);
    let rstd = crate::gpu::math::rsqrt_fast(var + eps);
    let mut c = team.tid;
    while c < n {
        let xhat = (load(xr, c) - mean) * rstd;
        let out = if RMS {
            xhat * load(gamma, c)
        } else {
            crate::gpu::math::fma(xhat, load(gamma, c), load(beta, c))
        };
        unsafe { T::store_f32(yr, c, out) };
        c += team.size;
    }
    if live && team.tid == 0 {
        if !RMS {
            unsafe { mean_out.store(row, mean) };
        }
        unsafe { rstd_out.store(row, rstd) };
    }
}

/// The body of layernorm step 7 and rmsnorm step 5: rows `b, b + G, …` (`b` the block, `G`
/// the grid) of a bf16 matrix by one block, software-pipelined as softmax step 9
/// ([`crate::softmax::pipelined_rows_packed`]): the next row's packed chunks are loaded before
/// the current row's reductions and stores. Layernorm's two reductions alternate `scratch[0]`
/// and `scratch[1]` (no barrier between rows needed: a thread writes one array again only
/// after the other's barrier, which follows every thread's last read of it); rmsnorm's one
/// reduction swaps the two arrays each row for the same reason. Rows that are not whole
/// aligned chunks or longer than `8·C·size` take [`norm_row_scalar`], a barrier after each.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn norm_pipelined<const C: usize, const RMS: bool>(
    x: GlobalPtr<Bf16>,
    gamma: GlobalPtr<Bf16>,
    beta: GlobalPtr<Bf16>,
    y: GlobalPtrMut<Bf16>,
    mean_out: GlobalPtrMut<f32>,
    rstd_out: GlobalPtrMut<f32>,
    rows: u32,
    cols: u32,
    eps: f32,
    scratch: [SharedPtr<f32>; 2],
) {
    let mut team = crate::softmax::block_team(scratch);
    let (rows, n) = (rows as usize, cols as usize);
    let stride = thread::grid_dim_x() as usize;
    let mut r = thread::block_idx_x() as usize;
    let fits = chunks_fit::<_, C>(x, y, gamma, beta, n, team.size);
    if !fits {
        while r < rows {
            norm_row_scalar::<Bf16, RMS, true>(
                x.offset(r * n),
                gamma,
                beta,
                y.offset(r * n),
                mean_out,
                rstd_out,
                r,
                n,
                eps,
                true,
                team,
            );
            sync_threads();
            r += stride;
        }
        return;
    }
    if r >= rows {
        return;
    }
    let nvec = n / 8;
    let (tid, size) = (team.tid, team.size);
    let load = |xr: GlobalPtr<Bf16>, nvec: usize| {
        let mut raw = [Bf16x8([Bf16x2::from_bits(0); 4]); C];
        unroll::<C>(
            #[inline(always)]
            |k| {
                use crate::softmax::RowElem;
                raw[k] = unsafe { Bf16::load_chunk(xr, tid + k * size, size, nvec, 0.0) };
            },
        );
        raw
    };
    let mut cur = load(x.offset(r * n), nvec);
    loop {
        let next_r = r + stride;
        let more = next_r < rows;
        let next = load(
            x.offset(if more { next_r } else { r } * n),
            if more { nvec } else { 0 },
        );
        norm_row_finish::<Bf16, C, RMS, true>(
            |k| cur[k],
            gamma,
            beta,
            y.offset(r * n),
            mean_out,
            rstd_out,
            r,
            n,
            eps,
            true,
            team,
        );
        if !more {
            break;
        }
        if RMS {
            team.scratch = [team.scratch[1], team.scratch[0]];
        }
        cur = next;
        r = next_r;
    }
}

/// Rows of at most [`SHORT_MAX_COLS`] columns by sub-warp teams (layernorm steps 8 (bf16) and
/// 9 (f32), rmsnorm steps 6 and 7): softmax's warp kernels' layout ([`crate::softmax::warp_team`]) —
/// the fewest lanes, a power of two, that hold the row at `C` chunks a lane (4 lanes at 128
/// columns: 8 rows a warp) — shuffles only, no shared memory, no barrier. Each lane loads its
/// `C` chunks (all issued before the first use), then [`norm_row_finish`]; rows that are
/// not whole aligned chunks take [`norm_row_scalar`]. A warp whose first row exists runs every
/// shuffle with all its lanes (lanes past the last row with no columns).
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn norm_short_rows<T, const C: usize, const RMS: bool>(
    x: GlobalPtr<T>,
    gamma: GlobalPtr<T>,
    beta: GlobalPtr<T>,
    y: GlobalPtrMut<T>,
    mean_out: GlobalPtrMut<f32>,
    rstd_out: GlobalPtrMut<f32>,
    rows: u32,
    cols: u32,
    eps: f32,
) where
    T: NormIo + crate::softmax::RowElem,
{
    use crate::softmax::RowElem;
    let (team, r, warp_first) = crate::softmax::warp_team(cols, C as u32);
    if warp_first >= rows as usize {
        return;
    }
    let live = r < rows as usize;
    let r = if live { r } else { warp_first };
    let n = cols as usize;
    let (xr, yr) = (x.offset(r * n), y.offset(r * n));
    let fits = chunks_fit::<_, C>(x, y, gamma, beta, n, team.size);
    if !fits {
        norm_row_scalar::<T, RMS, false>(
            xr, gamma, beta, yr, mean_out, rstd_out, r, n, eps, live, team,
        );
        return;
    }
    let nvec = if live { n / <T as RowElem>::VL } else { 0 };
    let first = |k: usize| team.tid + k * T::VPC * team.size;
    let mut raw = [unsafe { T::load_chunk(xr, first(0), team.size, nvec, 0.0) }; C];
    unroll::<C>(
        #[inline(always)]
        |k| {
            if k > 0 {
                raw[k] = unsafe { T::load_chunk(xr, first(k), team.size, nvec, 0.0) };
            }
        },
    );
    norm_row_finish::<T, C, RMS, false>(
        |k| raw[k],
        gamma,
        beta,
        yr,
        mean_out,
        rstd_out,
        r,
        n,
        eps,
        live,
        team,
    );
}

/// The longest rows [`norm_short_rows`] takes (1024 columns: 32 lanes of 4 chunks); longer rows
/// take a block per row.
pub const SHORT_MAX_COLS: u32 = 1024;

/// Chunks of 8 a lane or thread of the f32 short-row steps (layernorm/9, rmsnorm/7): 2, half
/// the bf16 steps' 4, so that a lane's row (16 f32 in registers) and the reductions fit 64
/// registers under launch bounds 1024 (at 4 chunks ptxas spilled 8–36 B).
pub const SHORT_CHUNKS_F32: usize = 2;

/// The longest rows the f32 short-row steps give a sub-warp team (512 columns: 32 lanes of
/// [`SHORT_CHUNKS_F32`] chunks); longer rows take a block per row.
pub const SHORT_MAX_COLS_F32: u32 = 512;

/// `(Σa, Σb)` over a block team in one barrier: both values shuffled down each warp, one pair
/// per warp through `team.scratch[0]` and `[1]`, then every warp reduces the pairs itself (in
/// the same order: every thread gets the same bits). What [`norm_one_pass`]'s two sums share
/// instead of two [`crate::softmax::Team::all_reduce`] (two barriers). Every thread of the
/// block must call it.
#[inline(always)]
fn block_sum2(a: f32, b: f32, team: &crate::softmax::Team<true>) -> (f32, f32) {
    let (a, b) = (warp::reduce_sum(a), warp::reduce_sum(b));
    let (lane, w) = (thread::lane_id(), thread::warp_id());
    if lane == 0 {
        unsafe {
            team.scratch[0].store(w, a);
            team.scratch[1].store(w, b);
        }
    }
    sync_threads();
    let (mut ra, mut rb) = (0.0f32, 0.0f32);
    if (lane as usize) < team.size / 32 {
        unsafe {
            ra = team.scratch[0].load(lane);
            rb = team.scratch[1].load(lane);
        }
    }
    (warp::reduce_sum(ra), warp::reduce_sum(rb))
}

/// `(Σ(x − k), Σ(x − k)²)` over this thread's chunks `raw` of the elements that `exists(chunk,
/// element)` says are in the row (layernorm steps 10–12).
#[inline(always)]
fn shifted_sums<T: crate::softmax::RowElem, const C: usize>(
    raw: &[T::Raw; C],
    shift: f32,
    exists: impl Fn(usize, usize) -> bool,
) -> (f32, f32) {
    let (mut s, mut q) = (0.0f32, 0.0f32);
    unroll::<C>(
        #[inline(always)]
        |k| {
            let v = T::unpack(raw[k]);
            let (mut ps, mut pq) = (0.0f32, 0.0f32);
            unroll::<8>(
                #[inline(always)]
                |e| {
                    let d = if exists(k, e) { v[e] - shift } else { 0.0 };
                    ps += d;
                    pq = crate::gpu::math::fma(d, d, pq);
                },
            );
            s += ps;
            q += pq;
        },
    );
    (s, q)
}

/// `(mean − k, rstd)` of a row of `n` from its block sums `s = Σ(x − k)`, `q = Σ(x − k)²`:
/// `var = max(q/n − (s/n)², 0)` (`m2 < 0` is false for NaN: a NaN row keeps its NaN variance).
#[inline(always)]
fn one_pass_stats(s: f32, q: f32, n: usize, eps: f32) -> (f32, f32) {
    let dm = crate::gpu::norm_reduce::div_full(s, n as f32);
    let m2 = crate::gpu::norm_reduce::div_full(q, n as f32) - dm * dm;
    let var = if m2 < 0.0 { 0.0 } else { m2 };
    (dm, crate::gpu::math::rsqrt_fast(var + eps))
}

/// `y = ((x − k) − dm)·rstd·γ + β` of this thread's chunks `raw`, chunk `k` at the vectors
/// `first(k) + q·size` below `nvec`: γ and β of chunks `< P` are in `g`, `b` already, chunk 0's
/// is loaded first when `P = 0`, chunk `j ≥ max(P, 1)`'s after chunk `max(j − L, 0)`'s store.
#[inline(always)]
#[allow(clippy::type_complexity)]
fn one_pass_write<T: crate::softmax::RowElem, const C: usize, const P: usize, const L: usize>(
    raw: &[T::Raw; C],
    mut g: [T::Raw; C],
    mut b: [T::Raw; C],
    (gamma, beta, yr, size, nvec): (GlobalPtr<T>, GlobalPtr<T>, GlobalPtrMut<T>, usize, usize),
    first: impl Fn(usize) -> usize,
    (shift, dm, rstd): (f32, f32, f32),
) {
    if P == 0 {
        g[0] = unsafe { T::load_chunk(gamma, first(0), size, nvec, 0.0) };
        b[0] = unsafe { T::load_chunk(beta, first(0), size, nvec, 0.0) };
    }
    unroll::<C>(
        #[inline(always)]
        |k| {
            let (v, gk, bk) = (T::unpack(raw[k]), T::unpack(g[k]), T::unpack(b[k]));
            let mut out = [0.0f32; 8];
            unroll::<8>(
                #[inline(always)]
                |e| {
                    let xhat = ((v[e] - shift) - dm) * rstd;
                    out[e] = crate::gpu::math::fma(xhat, gk[e], bk[e]);
                },
            );
            unsafe { T::store_chunk(yr, first(k), size, nvec, out) };
            unroll::<C>(
                #[inline(always)]
                |j| {
                    if j >= P && j > k && j.saturating_sub(L) == k {
                        g[j] = unsafe { T::load_chunk(gamma, first(j), size, nvec, 0.0) };
                        b[j] = unsafe { T::load_chunk(beta, first(j), size, nvec, 0.0) };
                    }
                },
            );
        },
    );
}

/// The body of layernorm steps 10 (f32) and 11 (bf16): [`norm_strided`]'s layout (a block per
/// row, thread `t` holding the chunks `t + k·VPC·size`, `k < C`, all loads issued before the
/// first use) with one block reduction instead of two and γ, β loaded ahead of their use.
///
/// - Statistics in one pass, shifted: `k = x[row, 0]` (one scalar load beside the row's), the
///   block sums `S = Σ(x − k)` and `Q = Σ(x − k)²` in one reduction ([`block_sum2`], one
///   barrier), `mean = k + S/n`, `var = max(Q/n − (S/n)², 0)` (NaN kept). The shift keeps the
///   cancellation to `ε·(var + (mean − k)²)/var`: `x − k` is exact for rows of a large offset
///   (x + 1e4: Sterbenz), a constant row gives 0; only a first element many σ from the mean
///   costs accuracy (100σ: ≈ 6e-4 relative in var, 3e-4 in rstd).
/// - γ and β of the first `P` chunks are loaded right after x (their L2 latency under x's DRAM
///   latency and the reduction; `P = 0`: chunk 0's right after the reduction); chunk
///   `j ≥ max(P, 1)`'s after chunk `max(j − L, 0)`'s store, into the registers that store
///   freed, instead of one 128-bit vector's after the previous vector's store (step 5's SASS:
///   8 serial γ/β round trips at 32000 columns, one block per SM, nothing else to hide them).
///   ptxas has the last word: under 64 registers it sinks prefetches it cannot hold, and with
///   f32's `P = 1` it issued x's loads in four groups instead (layernorm/10 uses `P = 0`).
/// - `y = ((x − k) − S/n)·rstd·γ + β`.
///
/// Rows that are not whole aligned chunks or longer than `8·C·size` take [`norm_rows`] with no
/// register vectors (three looped passes, two-pass variance), uniformly over the block.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn norm_one_pass<T, const C: usize, const P: usize, const L: usize>(
    x: GlobalPtr<T>,
    gamma: GlobalPtr<T>,
    beta: GlobalPtr<T>,
    y: GlobalPtrMut<T>,
    mean_out: GlobalPtrMut<f32>,
    rstd_out: GlobalPtrMut<f32>,
    rows: u32,
    cols: u32,
    eps: f32,
    scratch: [SharedPtr<f32>; 2],
) where
    T: NormIo + crate::softmax::RowElem,
{
    use crate::softmax::RowElem;
    const { assert!(P <= C && L >= 1) };
    let row = thread::block_idx_x() as usize;
    // Uniform over the block (a launch over 0 rows still has one block).
    if row >= rows as usize {
        return;
    }
    let team = crate::softmax::block_team(scratch);
    let n = cols as usize;
    let fits = chunks_fit::<_, C>(x, y, gamma, beta, n, team.size);
    if !fits {
        norm_rows::<T, 0, false>(
            x, gamma, beta, y, mean_out, rstd_out, rows, cols, eps, scratch[0],
        );
        return;
    }
    let (xr, yr) = (x.offset(row * n), y.offset(row * n));
    let nvec = n / <T as RowElem>::VL;
    let size = team.size;
    let first = |k: usize| team.tid + k * T::VPC * size;
    let mut raw = [unsafe { T::load_chunk(xr, first(0), size, nvec, 0.0) }; C];
    unroll::<C>(
        #[inline(always)]
        |k| {
            if k > 0 {
                raw[k] = unsafe { T::load_chunk(xr, first(k), size, nvec, 0.0) };
            }
        },
    );
    let shift = unsafe { T::load_f32(xr, 0) };
    // γ and β by chunk; slots P.. are placeholders until their loads below.
    let (mut g, mut b) = ([raw[0]; C], [raw[0]; C]);
    unroll::<C>(
        #[inline(always)]
        |k| {
            if k < P {
                g[k] = unsafe { T::load_chunk(gamma, first(k), size, nvec, 0.0) };
                b[k] = unsafe { T::load_chunk(beta, first(k), size, nvec, 0.0) };
            }
        },
    );

    // Whether element `e` of chunk `k` exists (its vector is below `nvec`).
    let exists = |k: usize, e: usize| first(k) + (e / <T as RowElem>::VL) * size < nvec;
    let (s, q) = shifted_sums::<T, C>(&raw, shift, exists);
    let (s, q) = block_sum2(s, q, &team);
    let (dm, rstd) = one_pass_stats(s, q, n, eps);

    // The vectors' indices again, from an opaque copy of threadIdx.x (as norm_row_finish).
    let t3 = crate::gpu::norm_reduce::opaque_u32(team.tid as u32) as usize;
    let first = |k: usize| t3 + k * T::VPC * size;
    let io = (gamma, beta, yr, size, nvec);
    one_pass_write::<T, C, P, L>(&raw, g, b, io, first, (shift, dm, rstd));
    if team.tid == 0 {
        unsafe {
            mean_out.store(row, shift + dm);
            rstd_out.store(row, rstd);
        }
    }
}

/// The H200's SM count: what layernorm step 12's grid ([`Grid::Streamed`]) is sized for. On a
/// GPU of fewer SMs the same grid is simply more than one wave (every block still loops over
/// its rows); of more, some SMs idle.
pub const STREAMED_SMS: u32 = 132;

/// Blocks of a [`Grid::Streamed`] launch of `threads` a block over `rows`: every SM of `sms`
/// full at 64 registers a thread (`65536 / (64·threads)` blocks each: 1 of 1024, 8 of 128),
/// at most `rows`, at least 1.
pub const fn streamed_blocks(rows: u32, threads: u32, sms: u32) -> u32 {
    let per_sm = 65536 / (64 * threads);
    let per_sm = if per_sm == 0 { 1 } else { per_sm };
    let b = sms * per_sm;
    let b = if b > rows { rows } else { b };
    if b == 0 { 1 } else { b }
}

/// The dynamic shared memory (bytes) of layernorm step 12 over rows of `cols` f32 at `chunks`
/// chunks a thread of `threads`: the row's `4·cols` bytes when the 128-bit path takes it
/// (`cols % 8 == 0`, `cols / 8 ≤ chunks·threads`), else 0 (the looped fallback stages
/// nothing).
pub const fn streamed_smem(cols: u32, chunks: u32, threads: u32) -> u32 {
    if cols % 8 == 0 && cols / 8 <= chunks * threads {
        4 * cols
    } else {
        0
    }
}

/// The body of layernorm step 12 (f32): [`norm_one_pass`]'s arithmetic (one-pass shifted
/// statistics, one barrier; γ, β one chunk ahead) by persistent blocks, rows `b, b + G, …`,
/// with the **next row streamed into shared memory** (`cp.async.cg`, 16 bytes a vector, no
/// registers) while the current one is reduced and written: each thread copies the vectors it
/// will read itself (`tid + j·size`, at their row offsets in the block's `4·cols` bytes of
/// dynamic shared memory), so only its own `cp.async.wait_all` orders them — no barrier. The
/// copy of row `r + G` is issued after row `r`'s vectors are read back into registers and
/// summed (the same thread's reads of the same addresses come first). Row `r`'s first element
/// (the shift) is loaded with its copy. The two reductions of consecutive rows use two pairs
/// of `scratch` arrays in turn: a warp writes a pair again only after the other pair's barrier,
/// which every warp reaches after reading this pair.
///
/// Why: at 32000 columns one block of 1024 threads fills an SM, so while it reduces and
/// writes a row (γ and β from L2, a barrier) nothing of the next row is asked of DRAM; here
/// 128 KB of it is in flight meanwhile.
///
/// Rows that are not whole aligned chunks or longer than `8·C·size` take [`norm_row_scalar`]
/// row by row (a barrier after each), uniformly over the block.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
pub(crate) fn norm_streamed<const C: usize>(
    x: GlobalPtr<f32>,
    gamma: GlobalPtr<f32>,
    beta: GlobalPtr<f32>,
    y: GlobalPtrMut<f32>,
    mean_out: GlobalPtrMut<f32>,
    rstd_out: GlobalPtrMut<f32>,
    rows: u32,
    cols: u32,
    eps: f32,
    scratch: [SharedPtr<f32>; 4],
) {
    use crate::gpu::cp_async;
    let mut team = crate::softmax::block_team([scratch[0], scratch[1]]);
    let (rows, n) = (rows as usize, cols as usize);
    let stride = thread::grid_dim_x() as usize;
    let mut r = thread::block_idx_x() as usize;
    let fits = chunks_fit::<_, C>(x, y, gamma, beta, n, team.size);
    if !fits {
        while r < rows {
            norm_row_scalar::<f32, false, true>(
                x.offset(r * n),
                gamma,
                beta,
                y.offset(r * n),
                mean_out,
                rstd_out,
                r,
                n,
                eps,
                true,
                team,
            );
            sync_threads();
            r += stride;
        }
        return;
    }
    if r >= rows {
        return;
    }
    let nvec = n / 4;
    let size = team.size;
    let stage = crate::gpu::shared::dynamic_shared::<f32>();
    // This thread's vectors of a row: `tid + (2k + q)·size` (chunk k, half q), f32's
    // `RowElem::load_chunk` layout. Each use takes `tid` from its own opaque copy of
    // threadIdx.x: the vectors' addresses are recomputed there (an integer multiply-add each),
    // not hoisted out of the row loop and kept live across it (at 64 registers they spilled).
    let copy_row = |xr: GlobalPtr<f32>| {
        let tid = crate::gpu::norm_reduce::opaque_u32(team.tid as u32) as usize;
        unroll::<C>(
            #[inline(always)]
            |k| {
                unroll::<2>(
                    #[inline(always)]
                    |q| {
                        let i = tid + (2 * k + q) * size;
                        if i < nvec {
                            unsafe {
                                cp_async::copy_cg_16(
                                    stage.offset((4 * i) as u32),
                                    xr.offset(4 * i).addr(),
                                )
                            };
                        }
                    },
                );
            },
        );
        cp_async::commit_group();
    };
    copy_row(x.offset(r * n));
    let mut shift = unsafe { x.load(r * n) };
    loop {
        cp_async::wait_all();
        let tid = crate::gpu::norm_reduce::opaque_u32(team.tid as u32) as usize;
        let exists = |k: usize, e: usize| tid + (2 * k + e / 4) * size < nvec;
        let mut raw = [[F32x4([0.0; 4]); 2]; C];
        unroll::<C>(
            #[inline(always)]
            |k| {
                unroll::<2>(
                    #[inline(always)]
                    |q| {
                        let i = tid + (2 * k + q) * size;
                        if i < nvec {
                            raw[k][q] = unsafe { stage.load_f32x4((4 * i) as u32) };
                        }
                    },
                );
            },
        );
        let (s, q) = shifted_sums::<f32, C>(&raw, shift, exists);
        let next = r + stride;
        let more = next < rows;
        let mut next_shift = 0.0f32;
        if more {
            copy_row(x.offset(next * n));
            next_shift = unsafe { x.load(next * n) };
        }
        let (s, q) = block_sum2(s, q, &team);
        let (dm, rstd) = one_pass_stats(s, q, n, eps);
        let t3 = crate::gpu::norm_reduce::opaque_u32(team.tid as u32) as usize;
        let first = |k: usize| t3 + 2 * k * size;
        // γ and β chunk by chunk, each one chunk ahead (chunk 0's after the reduction).
        let io = (gamma, beta, y.offset(r * n), size, nvec);
        one_pass_write::<f32, C, 0, 1>(&raw, raw, raw, io, first, (shift, dm, rstd));
        if t3 == 0 {
            unsafe {
                mean_out.store(r, shift + dm);
                rstd_out.store(r, rstd);
            }
        }
        if !more {
            break;
        }
        team.scratch = if team.scratch[0].addr() == scratch[0].addr() {
            [scratch[2], scratch[3]]
        } else {
            [scratch[0], scratch[1]]
        };
        r = next;
        shift = next_shift;
    }
}
