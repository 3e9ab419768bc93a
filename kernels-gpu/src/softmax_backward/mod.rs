//! The softmax backward pass along the last dimension: `dx = y ⊙ (dy − Σ_c dy⊙y)` per row of
//! row-major `rows × cols` matrices `y` (the forward output) and `dy`, f32 math whatever the
//! element type: two passes over the row (step 1) → the row in registers, 128-bit loads
//! (steps 2 and 3, f32 and bf16) → f32 rows past 16384 columns with `y` alone in registers
//! (step 4). NaN or ±inf in a row's `y ⊙ dy` make the row's dot NaN or
//! ±inf, which reaches every element of that row (as torch).

steps! {
    s01_two_pass,
    s02_registers,
    s03_bf16_registers,
    s04_y_registers,
}

use crate::gpu::{thread, unroll::unroll};
use crate::ptr::{GlobalPtr, GlobalPtrMut, KernelParams};
use crate::reduce::Sum;
use crate::softmax::{RowElem, Team, chunked};

pub use crate::softmax::MAX_THREADS;

/// 8-element chunks of each of `y` and `dy` a thread of the register steps holds: 2 (bf16
/// packed, 8 registers each; f32, 16), so a row of `16 × threads` columns.
pub const CHUNKS: usize = 2;

/// How a backward step is launched.
#[derive(Clone, Copy, Debug)]
pub enum Grid {
    /// One block of `threads` per row.
    BlockPerRow { threads: u32 },
    /// As `softmax::Grid::Registers`: a warp per row up to `warp_max_cols` columns (the step's
    /// second kernel, blocks of `warp_threads`), else a block per row of
    /// `softmax::register_block_threads(cols, chunks)` threads (its first kernel).
    Registers {
        warp_threads: u32,
        warp_max_cols: u32,
        chunks: u32,
    },
}

impl crate::step::BlockThreads for Grid {
    fn threads(&self) -> u32 {
        match *self {
            Grid::BlockPerRow { threads } => threads,
            Grid::Registers { .. } => MAX_THREADS,
        }
    }
}

/// Arguments of the backward kernels: `y`, `dy` and `dx` are `rows × cols`, row-major,
/// densely packed. What a caller passes to launch the top steps on its own device pointers.
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct SoftmaxBackwardParams<T = f32> {
    pub y: GlobalPtr<T>,
    pub dy: GlobalPtr<T>,
    pub dx: GlobalPtrMut<T>,
    pub rows: u32,
    pub cols: u32,
}
unsafe impl<T: Copy> KernelParams for SoftmaxBackwardParams<T> {}

/// `Σ a[e]·b[e]` over a chunk, one FMA chain (a thread's share of the dot `Σ y·dy`).
#[inline(always)]
fn dot_part(a: [f32; 8], b: [f32; 8]) -> f32 {
    let mut part = 0.0f32;
    unroll::<8>(
        #[inline(always)]
        |e| part = crate::gpu::math::fma(a[e], b[e], part),
    );
    part
}

/// `dx = y·(dy − dot)` over a chunk.
#[inline(always)]
fn grad(y: [f32; 8], dy: [f32; 8], dot: f32) -> [f32; 8] {
    let mut out = [0.0f32; 8];
    unroll::<8>(
        #[inline(always)]
        |e| out[e] = y[e] * (dy[e] - dot),
    );
    out
}

/// The backward pass of one row by a team, two passes (step 1, and the register steps'
/// fallback): `Σ dy·y` over the thread's share of the row — when the rows are whole aligned
/// chunks, 128-bit vectors `tid + j·size` (each instruction of a warp 32 consecutive vectors),
/// else scalars `tid, tid + size, …` — the team's sum, then `dx = y·(dy − dot)` reading both
/// again (from L1/L2 when the row stayed there).
#[inline(always)]
pub fn two_pass_row<T: RowElem, const BLOCK: bool>(
    y: GlobalPtr<T>,
    dy: GlobalPtr<T>,
    dx: GlobalPtrMut<T>,
    cols: usize,
    team: Team<BLOCK>,
) {
    let vector = chunked::<T>(y.addr(), dy.addr(), cols) && dx.addr() % 16 == 0;
    let nvec = cols / T::VL;
    let step = T::VPC * team.size;
    let load = |p: GlobalPtr<T>, first: usize| {
        T::unpack(unsafe { T::load_chunk(p, first, team.size, nvec, 0.0) })
    };
    let mut acc = 0.0f32;
    if vector {
        let mut first = team.tid;
        while first < nvec {
            let (a, b) = (load(y, first), load(dy, first));
            acc += dot_part(a, b);
            first += step;
        }
    } else {
        let mut c = team.tid;
        while c < cols {
            acc = crate::gpu::math::fma(
                unsafe { T::load_f32(y, c) },
                unsafe { T::load_f32(dy, c) },
                acc,
            );
            c += team.size;
        }
    }
    let dot = team.all_reduce::<Sum>(acc, 0);
    if vector {
        let mut first = team.tid;
        while first < nvec {
            let (a, b) = (load(y, first), load(dy, first));
            unsafe { T::store_chunk(dx, first, team.size, nvec, grad(a, b, dot)) };
            first += step;
        }
    } else {
        let mut c = team.tid;
        while c < cols {
            let (a, b) = unsafe { (T::load_f32(y, c), T::load_f32(dy, c)) };
            unsafe { T::store_f32(dx, c, a * (b - dot)) };
            c += team.size;
        }
    }
}

/// The backward pass of one row by a team with both rows in registers (steps 2 and 3): each
/// thread loads its chunks of `y` and `dy` (at most `C` each: the 128-bit vectors
/// `tid + j·size`, missing ones 0; kept as loaded, so bf16 stays packed), the team sums
/// `dy·y`, each thread writes `y·(dy − dot)`: one read of each input, one write. Rows that are
/// not whole aligned chunks or longer than `8·C·size` take [`two_pass_row`]; an inactive team
/// (`active: false`, past the last row) moves nothing but runs the reduction.
#[inline(always)]
pub fn registers_row<T: RowElem, const C: usize, const BLOCK: bool>(
    y: GlobalPtr<T>,
    dy: GlobalPtr<T>,
    dx: GlobalPtrMut<T>,
    cols: usize,
    active: bool,
    team: Team<BLOCK>,
) {
    // As `softmax::registers_row`: `cols` decides the path, an inactive team has no elements.
    let live = if active { cols } else { 0 };
    if !(chunked::<T>(y.addr(), dy.addr(), cols) && dx.addr() % 16 == 0) || cols / 8 > C * team.size
    {
        two_pass_row(y, dy, dx, live, team);
        return;
    }
    let nvec = live / T::VL;
    let first = |k: usize| team.tid + k * T::VPC * team.size;
    let load =
        |p: GlobalPtr<T>, k: usize| unsafe { T::load_chunk(p, first(k), team.size, nvec, 0.0) };
    let (mut ry, mut rdy) = ([load(y, 0); C], [load(dy, 0); C]);
    unroll::<C>(
        #[inline(always)]
        |k| {
            if k > 0 {
                ry[k] = load(y, k);
                rdy[k] = load(dy, k);
            }
        },
    );
    let mut acc = 0.0f32;
    unroll::<C>(
        #[inline(always)]
        |k| {
            // Chunks wholly past the row are skipped (their zeros add nothing).
            if first(k) < nvec {
                let (a, b) = (T::unpack(ry[k]), T::unpack(rdy[k]));
                acc += dot_part(a, b);
            }
        },
    );
    let dot = team.all_reduce::<Sum>(acc, 0);
    unroll::<C>(
        #[inline(always)]
        |k| {
            if first(k) < nvec {
                let (a, b) = (T::unpack(ry[k]), T::unpack(rdy[k]));
                unsafe { T::store_chunk(dx, first(k), team.size, nvec, grad(a, b, dot)) };
            }
        },
    );
}

/// The backward pass of one row by a team holding only `y` in registers (step 4's long rows):
/// each thread loads its chunks of `y` (at most `C`: the 128-bit vectors `tid + j·size`,
/// missing ones 0) and streams the same chunks of `dy` into the dot, the team sums it, then
/// each thread reads its `dy` chunks again — from L2, where the row's `dy` was read a moment
/// before — and writes `y·(dy − dot)` from the registers: one DRAM read of each input, `dy`
/// twice from L2, `y` held (32 f32 registers at `C = 4`: a row of `32 × size` columns). The
/// second pass's indices come from an opaque `tid`, so neither compiler keeps the first pass's
/// `dy` live through the reduction (that would be 64 values). The caller checks the row is
/// whole aligned chunks (as [`registers_row`]) and at most `8·C·size` long; `C` is even.
#[inline(always)]
pub fn y_registers_row<T: RowElem, const C: usize, const BLOCK: bool>(
    y: GlobalPtr<T>,
    dy: GlobalPtr<T>,
    dx: GlobalPtrMut<T>,
    cols: usize,
    team: Team<BLOCK>,
) {
    let nvec = cols / T::VL;
    let first = |k: usize| team.tid + k * T::VPC * team.size;
    let mut ry = [unsafe { T::load_chunk(y, first(0), team.size, nvec, 0.0) }; C];
    unroll::<C>(
        #[inline(always)]
        |k| {
            if k > 0 {
                ry[k] = unsafe { T::load_chunk(y, first(k), team.size, nvec, 0.0) };
            }
        },
    );
    // `dy` two chunks at a time (4 loads in flight a thread, 16 registers), each pair loaded
    // before either is used.
    let mut acc = 0.0f32;
    unroll::<C>(
        #[inline(always)]
        |k| {
            if k % 2 == 0 {
                let load = |k: usize| unsafe { T::load_chunk(dy, first(k), team.size, nvec, 0.0) };
                let pair = [load(k), load(k + 1)];
                unroll::<2>(
                    #[inline(always)]
                    |h| {
                        let (a, b) = (T::unpack(ry[k + h]), T::unpack(pair[h]));
                        acc += dot_part(a, b);
                    },
                );
            }
        },
    );
    let dot = team.all_reduce::<Sum>(acc, 0);
    let tid = crate::gpu::norm_reduce::opaque_u32(team.tid as u32) as usize;
    let first = |k: usize| tid + k * T::VPC * team.size;
    unroll::<C>(
        #[inline(always)]
        |k| {
            if first(k) < nvec {
                let a = T::unpack(ry[k]);
                let b = T::unpack(unsafe { T::load_chunk(dy, first(k), team.size, nvec, 0.0) });
                unsafe { T::store_chunk(dx, first(k), team.size, nvec, grad(a, b, dot)) };
            }
        },
    );
}

/// A register step's warp kernel body (rows of at most its `warp_max_cols`): a sub-warp team
/// of `lanes_per_row(cols, C)` lanes per row running [`registers_row`] at `C` chunks of `T`.
/// A macro, not a function: the kernels' PTX is what it was when each wrote this out (an
/// inlined function lays the branches out differently).
macro_rules! warp_rows {
    ($p:expr, $t:ty, $c:expr) => {{
        let p = $p;
        let (team, r, warp_first) = crate::softmax::warp_team(p.cols, $c as u32);
        // Warp-uniform: a warp whose first row exists runs every shuffle with all its lanes.
        if warp_first < p.rows as usize {
            let active = r < p.rows as usize;
            let off = if active { r } else { warp_first } * p.cols as usize;
            super::registers_row::<$t, { $c }, false>(
                p.y.offset(off),
                p.dy.offset(off),
                p.dx.offset(off),
                p.cols as usize,
                active,
                team,
            );
        }
    }};
}
pub(crate) use warp_rows;

/// The row of the calling block (block kernels) and its team.
#[inline(always)]
pub(crate) fn block_row(scratch: crate::gpu::shared::SharedPtr<f32>) -> (Team<true>, usize) {
    (
        crate::softmax::block_team([scratch, scratch]),
        thread::block_idx_x() as usize,
    )
}
