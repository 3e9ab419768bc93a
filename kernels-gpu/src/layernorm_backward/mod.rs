//! The gradients of layer normalisation, given the forward's saved per-row `mean` and `rstd`
//! (f32): with `x̂ = (x − mean)·rstd` and `g = dy·γ`,
//! `dx = rstd·(g − (Σg + x̂·Σg·x̂)/cols)` per row (two row sums), and per column
//! `dγ = Σ_rows dy·x̂`, `dβ = Σ_rows dy` (a reduction across rows). Step 1 is f32, thread per
//! row and thread per column; step 2 (f32) and step 3 (bf16 dy, x, γ, dx, dγ, dβ; f32 math)
//! fuse dγ/dβ partial sums into the dx pass and finish them with a small second kernel. Every
//! step is deterministic: a fixed order of additions for a given launch.

steps! {
    s01_thread_per_row,
    s02_fused,
    s03_bf16_fused,
}

use crate::gpu::thread;
use crate::gpu::unroll::unroll;
use crate::layernorm::{NormIo, aligned16, row_sum};
use crate::ptr::{GlobalPtr, GlobalPtrMut, KernelParams};

/// How a backward step is launched.
#[derive(Clone, Copy, Debug)]
pub enum Grid {
    /// Kernel 1: one thread per row (dx); kernel 2: one thread per column (dγ, dβ over all
    /// rows); `threads` per block for both.
    ThreadPerRowThenColumn { threads: u32 },
    /// Kernel 1: blocks of `(tx, ty)` as layernorm's `Rows { vecs, max_tx, block }`, a grid of
    /// `⌈slots / ty⌉` blocks, `slots = min(rows rounded up to ty, slots_per_sm·SMs)` row slots
    /// each walking rows `slot, slot + slots, …` and keeping its columns' dγ/dβ partial sums;
    /// every slot writes its partials to a row of the workspace. Kernel 2: one thread per
    /// column (`threads` per block) adds the slots' partials in slot order.
    Fused {
        vecs: u32,
        max_tx: u32,
        block: u32,
        slots_per_sm: u32,
        threads: u32,
    },
}

impl crate::step::BlockThreads for Grid {
    fn threads(&self) -> u32 {
        match *self {
            Grid::ThreadPerRowThenColumn { threads } => threads,
            Grid::Fused { block, .. } => block,
        }
    }
}

// Host launch arithmetic: not compiled into the PTX modules.
#[cfg(not(target_arch = "nvptx64"))]
impl Grid {
    /// Kernel 1's block `(tx, ty)` over rows of `cols` elements of `lanes` per vector (the
    /// forward's rule).
    pub fn rows_block(&self, cols: usize, lanes: usize) -> (u32, u32) {
        match *self {
            Grid::ThreadPerRowThenColumn { threads } => (threads, 1),
            Grid::Fused {
                vecs,
                max_tx,
                block,
                ..
            } => crate::layernorm::Grid::Rows {
                vecs,
                max_tx,
                block,
            }
            .rows_block(cols, lanes)
            .expect("a Rows grid"),
        }
    }

    /// Row slots of kernel 1 (the workspace's rows) for `rows` rows on `sm_count` SMs: a
    /// multiple of `ty`, at most `slots_per_sm·SMs` rounded up to `ty`, at most `rows` rounded
    /// up to `ty`. 0 for the step-1 grid (no workspace).
    pub fn slots(&self, rows: usize, cols: usize, lanes: usize, sm_count: usize) -> usize {
        match *self {
            Grid::ThreadPerRowThenColumn { .. } => 0,
            Grid::Fused { slots_per_sm, .. } => {
                let ty = self.rows_block(cols, lanes).1 as usize;
                let cap = (slots_per_sm as usize * sm_count.max(1)).div_ceil(ty);
                rows.div_ceil(ty).min(cap).max(1) * ty
            }
        }
    }
}

/// Arguments of the backward kernels (both kernels of a step take the same struct). `dy`,
/// `x`, `dx` are `rows × cols`; `gamma`, `dgamma`, `dbeta` have `cols` values; `mean`,
/// `rstd` have `rows` (the forward's outputs). `ws_gamma` and `ws_beta` hold
/// `slots × cols` f32 partial sums (steps 2 and 3; `slots` from [`Grid::slots`]; unused by
/// step 1, which takes `slots = 0`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
pub struct LayerNormBackwardParams<T = f32> {
    pub dy: GlobalPtr<T>,
    pub x: GlobalPtr<T>,
    pub gamma: GlobalPtr<T>,
    pub mean: GlobalPtr<f32>,
    pub rstd: GlobalPtr<f32>,
    pub dx: GlobalPtrMut<T>,
    pub dgamma: GlobalPtrMut<T>,
    pub dbeta: GlobalPtrMut<T>,
    pub ws_gamma: GlobalPtrMut<f32>,
    pub ws_beta: GlobalPtrMut<f32>,
    pub rows: u32,
    pub cols: u32,
    pub slots: u32,
}
unsafe impl<T: Copy> KernelParams for LayerNormBackwardParams<T> {}

/// Kernel 2 of steps 2 and 3: thread `c` adds column `c` of the `slots` partial rows of both
/// workspaces, in slot order (deterministic), and stores dγ[c], dβ[c] (rounded to `T`).
/// Reads `2·4·slots·cols` bytes, coalesced across the threads.
#[inline(always)]
pub(crate) fn sum_slots<T: NormIo>(p: LayerNormBackwardParams<T>) {
    let c = thread::index_1d();
    let cols = p.cols as usize;
    if c < cols {
        let (mut g, mut b) = (0.0f32, 0.0f32);
        let mut s = 0;
        while s < p.slots as usize {
            unsafe {
                g += p.ws_gamma.load(s * cols + c);
                b += p.ws_beta.load(s * cols + c);
            }
            s += 1;
        }
        let mut f = [0.0f32; 8];
        f[0] = g;
        unsafe { T::store(p.dgamma.cast::<T>().offset(c), 0, f, 1, false) };
        f[0] = b;
        unsafe { T::store(p.dbeta.cast::<T>().offset(c), 0, f, 1, false) };
    }
}

/// Kernel 1 of steps 2 and 3 (see [`Grid::Fused`]): for each of its slot's rows, thread `t`
/// of the row's `tx` holds vectors `t, t + tx, …` (up to `R`) of dy and x in registers (one
/// read of each; γ, mean, rstd from L1/L2), the block sums `Σg` and `Σg·x̂` ([`row_sum`]),
/// the thread writes dx and adds `dy·x̂`, `dy` into register partials of its columns. Columns
/// beyond the registers (long rows, or the scalar path) are re-read and their partials kept
/// in the slot's workspace row (read-modify-write by the one thread that owns the column).
/// At the end every slot writes its register partials to its workspace row.
#[inline(always)]
pub(crate) fn fused_rows<T: NormIo, const R: usize>(
    p: LayerNormBackwardParams<T>,
    warps: crate::gpu::shared::SharedPtr<f32>,
) {
    let lanes = T::LANES;
    let tx = thread::block_dim_x() as usize;
    let ty = thread::block_dim_y() as usize;
    let t = thread::thread_idx_x() as usize;
    let slot = thread::block_idx_x() as usize * ty + thread::thread_idx_y() as usize;
    let stride = thread::grid_dim_x() as usize * ty;
    let (rows, cols) = (p.rows as usize, p.cols as usize);
    let nvec = cols.div_ceil(lanes);
    let vector =
        cols % lanes == 0 && aligned16(&[p.dy.addr(), p.x.addr(), p.gamma.addr(), p.dx.addr()]);
    let nreg = if vector { nvec } else { 0 };
    let rest = if vector { t + R * tx } else { t };
    let (wg, wb) = (
        p.ws_gamma.offset(slot * cols),
        p.ws_beta.offset(slot * cols),
    );

    // The slot's workspace columns beyond the registers start at 0.
    let mut i = rest;
    while i < nvec {
        let valid = cols - lanes * i;
        unroll::<8>(
            #[inline(always)]
            |j| {
                if j < lanes && j < valid {
                    unsafe {
                        wg.store(lanes * i + j, 0.0);
                        wb.store(lanes * i + j, 0.0);
                    }
                }
            },
        );
        i += tx;
    }
    let mut acc_g = [[0.0f32; 8]; R];
    let mut acc_b = [[0.0f32; 8]; R];

    let mut base = thread::block_idx_x() as usize * ty;
    // Block-uniform: every thread of the block runs the same iterations (barriers inside).
    while base < rows {
        let row = base + thread::thread_idx_y() as usize;
        let live = row < rows;
        let r = if live { row } else { 0 };
        let n = if live { cols } else { 0 };
        let nv = n.div_ceil(lanes);
        let nr = if live { nreg } else { 0 };
        let (m, s) = unsafe { (p.mean.load(r), p.rstd.load(r)) };
        let (dyr, xr, dxr) = (
            p.dy.offset(r * cols),
            p.x.offset(r * cols),
            p.dx.offset(r * cols),
        );

        let mut dyv = [T::ZERO; R];
        let mut xv = [T::ZERO; R];
        let (mut a, mut b) = (0.0f32, 0.0f32);
        // Σg and Σg·x̂ over lanes j < valid of vector i.
        let sums = #[inline(always)]
        |d: T::V, xx: T::V, gg: T::V, valid: usize, a: &mut f32, b: &mut f32| {
            unroll::<8>(
                #[inline(always)]
                |j| {
                    if j < lanes && j < valid {
                        let g = T::lane(d, j) * T::lane(gg, j);
                        *a += g;
                        *b += g * ((T::lane(xx, j) - m) * s);
                    }
                },
            );
        };
        unroll::<R>(
            #[inline(always)]
            |k| {
                let i = t + k * tx;
                if i < nr {
                    dyv[k] = unsafe { T::load(dyr, i, lanes, true) };
                    xv[k] = unsafe { T::load(xr, i, lanes, true) };
                    let gg = unsafe { T::load(p.gamma, i, lanes, true) };
                    sums(dyv[k], xv[k], gg, lanes, &mut a, &mut b);
                }
            },
        );
        let mut i = rest;
        while i < nv {
            let valid = n - lanes * i;
            let (d, xx, gg) = unsafe {
                (
                    T::load(dyr, i, valid, vector),
                    T::load(xr, i, valid, vector),
                    T::load(p.gamma, i, valid, vector),
                )
            };
            sums(d, xx, gg, valid, &mut a, &mut b);
            i += tx;
        }
        let a = crate::gpu::norm_reduce::div_full(row_sum(a, warps), cols as f32);
        let b = crate::gpu::norm_reduce::div_full(row_sum(b, warps), cols as f32);

        // dx, and the column partials.
        let t3 = crate::gpu::norm_reduce::opaque_u32(t as u32) as usize;
        let grad = #[inline(always)]
        |i: usize,
                    d: T::V,
                    xx: T::V,
                    valid: usize,
                    vec: bool,
                    ag: &mut [f32; 8],
                    ab: &mut [f32; 8]| {
            let gg = unsafe { T::load(p.gamma, i, valid, vec) };
            let mut f = [0.0f32; 8];
            unroll::<8>(
                #[inline(always)]
                |j| {
                    if j < lanes && j < valid {
                        let xhat = (T::lane(xx, j) - m) * s;
                        let dyj = T::lane(d, j);
                        f[j] = s * (dyj * T::lane(gg, j) - crate::gpu::math::fma(xhat, b, a));
                        ag[j] = crate::gpu::math::fma(dyj, xhat, ag[j]);
                        ab[j] += dyj;
                    }
                },
            );
            unsafe { T::store(dxr, i, f, valid, vec) };
        };
        unroll::<R>(
            #[inline(always)]
            |k| {
                let i = t3 + k * tx;
                if i < nr {
                    grad(i, dyv[k], xv[k], lanes, true, &mut acc_g[k], &mut acc_b[k]);
                }
            },
        );
        let mut i = rest;
        while i < nv {
            let valid = n - lanes * i;
            let (d, xx) = unsafe {
                (
                    T::load(dyr, i, valid, vector),
                    T::load(xr, i, valid, vector),
                )
            };
            let (mut ag, mut ab) = ([0.0f32; 8], [0.0f32; 8]);
            unroll::<8>(
                #[inline(always)]
                |j| {
                    if j < lanes && j < valid {
                        unsafe {
                            ag[j] = wg.load(lanes * i + j);
                            ab[j] = wb.load(lanes * i + j);
                        }
                    }
                },
            );
            grad(i, d, xx, valid, vector, &mut ag, &mut ab);
            unroll::<8>(
                #[inline(always)]
                |j| {
                    if j < lanes && j < valid {
                        unsafe {
                            wg.store(lanes * i + j, ag[j]);
                            wb.store(lanes * i + j, ab[j]);
                        }
                    }
                },
            );
            i += tx;
        }
        base += stride;
    }

    // The register partials to the slot's workspace row (every slot, live or not).
    unroll::<R>(
        #[inline(always)]
        |k| {
            let i = t + k * tx;
            if i < nreg {
                unroll::<8>(
                    #[inline(always)]
                    |j| {
                        if j < lanes {
                            unsafe {
                                wg.store(lanes * i + j, acc_g[k][j]);
                                wb.store(lanes * i + j, acc_b[k][j]);
                            }
                        }
                    },
                );
            }
        },
    );
}
