//! The gradients of layer normalisation, given the forward's saved per-row `mean` and `rstd`
//! (f32): with `x̂ = (x − mean)·rstd` and `g = dy·γ`,
//! `dx = rstd·(g − (Σg + x̂·Σg·x̂)/cols)` per row (two row sums), and per column
//! `dγ = Σ_rows dy·x̂`, `dβ = Σ_rows dy` (a reduction across rows). Step 1 is f32, thread per
//! row and thread per column; step 2 (f32) and step 3 (bf16 dy, x, γ, dx, dγ, dβ; f32 math)
//! fuse dγ/dβ partial sums into the dx pass and finish them with a small second kernel. Steps
//! 4 (f32) and 5 (bf16) put dy and x in the forward's strided register layout and the dγ/dβ
//! partials in shared memory ([`strided_rows`], [`sum_columns`]); steps 8 (f32) and 9
//! (bf16) prefetch the next rows into L2 before the current rows' loads, sums and dx
//! ([`prefetched_rows`]). Every step is deterministic: a fixed order of additions for a given
//! launch.

steps! {
    s01_thread_per_row,
    s02_fused,
    s03_bf16_fused,
    s04_strided,
    s05_bf16_strided,
    s06_long_rows,
    s07_bf16_long_rows,
    // Steps 8 and 9: steps 4 and 5 with the next rows prefetched into L2.
    s08_prefetched,
    s09_bf16_prefetched,
    // Steps 10 and 11: dy and x streamed into shared memory by cp.async, partials in registers.
    s10_streamed,
    s11_bf16_streamed,
    // Steps 12 and 13: steps 10 and 11 with a row split over a cluster of 4 CTAs (sm_90).
    s12_clustered,
    s13_bf16_clustered,
    // Steps 14 and 15: steps 10 and 11 with the partials added across a cluster of 2 (sm_90).
    s14_cluster_summed,
    s15_bf16_cluster_summed,
}

use crate::gpu::shared::SharedPtr;
use crate::gpu::unroll::unroll;
use crate::gpu::{sync_threads, thread, warp};
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
    /// Steps 4 and 5. Kernel 1: 1-D blocks of `G` teams of `S` threads ([`team_of`]: a team
    /// per row, `S` the fewest threads that hold the row at `chunks` chunks of 8 of dy and of
    /// x each, a power of two up to 32, else whole warps up to 1024; `G = max(1, block / S)`),
    /// `⌈rows / G⌉` blocks but at most `slots_per_sm` per SM, block `b` walking the row groups
    /// `b, b + grid, …`; dynamic shared memory `G·cols·8` bytes (each team's dγ/dβ partials);
    /// every block writes one workspace row. Rows [`team_of`] does not take: blocks of
    /// [`FALLBACK_THREADS`], one per SM, no dynamic shared memory ([`looped_rows`]).
    /// Kernel 2: blocks of 32 × 32 threads, 32 columns each ([`sum_columns`]).
    Strided {
        chunks: u32,
        block: u32,
        slots_per_sm: u32,
    },
    /// Steps 6 and 7 (long rows). Kernel 1: blocks of [`LONG_THREADS`], one per SM (at most
    /// one per row), block `b` walking rows `b, b + grid, …`; dynamic shared memory
    /// [`long_smem`] bytes (the dβ partials of the columns the block's threads own); every
    /// block writes one workspace row ([`long_rows`]). Rows it does not hold take the same
    /// blocks without shared memory ([`looped_rows`]). Kernel 2: [`sum_columns`]. `lanes`:
    /// elements per 128-bit vector (f32 4, bf16 8).
    Long { lanes: u32 },
    /// Steps 10 and 11 (rows of up to 8192 columns). Kernel 1: 1-D blocks of `G` teams of
    /// `S` threads ([`streamed_team`]: a team per row, one chunk of 8 columns a thread, `S` a
    /// power of two, `S·G` = 512 or one team of 1024), `⌈rows / G⌉` blocks but at most two per
    /// SM (one for teams of 1024), block `b` walking the row groups `b, b + grid, …`; dynamic
    /// shared memory [`streamed_smem`] (`stages` stages of dy, x, mean and rstd); every block
    /// writes one workspace row ([`streamed_rows`]). Rows it does not hold: blocks of
    /// [`STREAMED_MAX_TEAM`], one per SM, no shared memory ([`looped_rows`]). Kernel 2:
    /// [`sum_columns`]. `lanes`: elements per 128-bit vector. Steps 14–15 (`cluster` =
    /// [`SUM_CLUSTER`], sm_90): the same blocks launched in clusters of `cluster`, as many as the
    /// device holds at once, one workspace row per cluster ([`streamed_cluster_rows`]); 1 for
    /// steps 10–11 (no cluster).
    Streamed {
        lanes: u32,
        stages: u32,
        cluster: u32,
    },
    /// Steps 12 and 13 (rows of up to 32768 columns, sm_90). Kernel 1: clusters of
    /// [`CLUSTER`] 1-D blocks of `S` threads ([`cluster_team`]), one cluster per row at a time,
    /// as many clusters as the device holds at once (at most one block per SM: the caller
    /// passes that count times [`CLUSTER`] as the SM count), cluster `k` walking rows
    /// `k, k + clusters, …`; dynamic shared memory [`cluster_smem`]; every cluster writes one
    /// workspace row ([`cluster_rows`]). Rows it does not hold: the same clusters of blocks of
    /// [`STREAMED_MAX_TEAM`], rank 0 of each taking the cluster's rows ([`looped_rows_of`]).
    /// Kernel 2: [`sum_columns`].
    Clustered { lanes: u32, stages: u32 },
}

/// Chunks of 8 elements of dy and of x a thread of steps 4 and 5 holds (f32: 32 registers,
/// bf16 packed: 16).
pub const CHUNKS: usize = 2;
/// Threads per block steps 4 and 5 aim at (`G = BLOCK / S` rows of short teams a block).
pub const BLOCK: u32 = 512;
/// Threads a team of steps 4 and 5 may have (a block of its own).
pub const MAX_TEAM: u32 = 1024;
/// Threads per block of steps 4 and 5 on rows they do not hold in registers.
pub const FALLBACK_THREADS: u32 = 1024;
/// Columns of the workspace kernel 2 of steps 4 and 5 adds per block (`blockDim.x`), and its
/// slot lanes (`blockDim.y`).
pub const SUM_COLUMNS: u32 = 32;
pub const SUM_LANES: u32 = 32;

/// The team of steps 4 and 5 for rows of `cols` columns at `chunks` chunks of 8 a thread and
/// `block` threads a block: `(S, G)`, `S` threads per row (the fewest that hold `cols / 8`
/// chunks at `chunks` each: a power of two up to 32, else a multiple of 32), `G` rows per
/// block (`max(1, block / S)`). `None` when the row is not whole chunks of 8 or needs more
/// than [`MAX_TEAM`] threads: those rows take the looped fallback. The kernels and the
/// host's launch compute it alike.
pub const fn team_of(cols: u32, chunks: u32, block: u32) -> Option<(u32, u32)> {
    if cols == 0 || cols % 8 != 0 {
        return None;
    }
    let need = (cols / 8).div_ceil(chunks);
    let s = if need <= 32 {
        need.next_power_of_two()
    } else {
        need.div_ceil(32) * 32
    };
    if s > MAX_TEAM {
        return None;
    }
    // `block / s` without a division (ptxas would call a 16-bit division subroutine, and the
    // kernel's SASS would then depend on its module): a shift for a power of two, else a
    // count of at most `block / 32` steps.
    let g = if s >= block {
        1
    } else if s <= 32 {
        block >> s.trailing_zeros()
    } else {
        let mut g = 1;
        while (g + 1) * s <= block {
            g += 1;
        }
        g
    };
    Some((s, g))
}

impl crate::step::BlockThreads for Grid {
    fn threads(&self) -> u32 {
        match *self {
            Grid::ThreadPerRowThenColumn { threads } => threads,
            Grid::Fused { block, .. } => block,
            // The largest launch (the kernels' launch bounds).
            Grid::Strided { .. } => MAX_TEAM,
            Grid::Long { .. } => LONG_THREADS,
            Grid::Streamed { .. } | Grid::Clustered { .. } => STREAMED_MAX_TEAM,
        }
    }
}

// Host launch arithmetic: not compiled into the PTX modules.
#[cfg(not(target_arch = "nvptx64"))]
impl Grid {
    /// Blocks per thread-block cluster of kernel 1: [`CLUSTER`] for steps 12–13, else 1 (no
    /// cluster).
    pub fn cluster(&self) -> u32 {
        match *self {
            Grid::Clustered { .. } => CLUSTER,
            Grid::Streamed { cluster, .. } => cluster,
            _ => 1,
        }
    }

    /// Whether kernel 2 is a programmatic dependent launch of kernel 1 (steps 14–15: its
    /// kernel waits in `griddepcontrol.wait`, [`sum_columns_after`]).
    pub fn dependent_columns(&self) -> bool {
        matches!(*self, Grid::Streamed { cluster, .. } if cluster > 1)
    }

    /// Blocks of kernel 1 per SM that [`Grid::slots`] assumes over rows of `cols` (two for
    /// steps 10–11 and 14–15's teams of up to 512 threads, else one).
    pub fn blocks_per_sm(&self, cols: usize) -> usize {
        match *self {
            Grid::Streamed { lanes, .. } => match streamed_team(cols as u32) {
                Some((s, g, _)) if streamed_fits(cols as u32, lanes) && s * g <= STREAMED_BLOCK => {
                    2
                }
                _ => 1,
            },
            _ => 1,
        }
    }

    /// Kernel 1's block `(tx, ty)` over rows of `cols` elements of `lanes` per vector (the
    /// forward's rule).
    pub fn rows_block(&self, cols: usize, lanes: usize) -> (u32, u32) {
        match *self {
            Grid::ThreadPerRowThenColumn { threads } => (threads, 1),
            Grid::Long { .. } => (LONG_THREADS, 1),
            Grid::Streamed { lanes, .. } => match streamed_team(cols as u32) {
                Some((s, g, _)) if streamed_fits(cols as u32, lanes) => (s * g, 1),
                _ => (STREAMED_MAX_TEAM, 1),
            },
            Grid::Clustered { lanes, .. } if cluster_fits(cols as u32, lanes) => {
                (cluster_team(cols as u32).0, 1)
            }
            Grid::Clustered { .. } => (STREAMED_MAX_TEAM, 1),
            Grid::Strided { chunks, block, .. } => match team_of(cols as u32, chunks, block) {
                Some((s, g)) => (s * g, 1),
                None => (FALLBACK_THREADS, 1),
            },
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
            Grid::Long { .. } => rows.min(sm_count.max(1)).max(1),
            // Steps 14–15: one workspace row per cluster of `cluster` blocks.
            Grid::Streamed { lanes, cluster, .. } => match streamed_team(cols as u32) {
                Some((_, g, _)) if streamed_fits(cols as u32, lanes) => {
                    let per_sm = self.blocks_per_sm(cols);
                    rows.div_ceil(g as usize)
                        .min(per_sm * sm_count.max(1))
                        .max(1)
                        .div_ceil(cluster as usize)
                }
                _ => rows.min((sm_count / cluster as usize).max(1)).max(1),
            },
            // One workspace row a cluster; `sm_count` is the resident clusters × CLUSTER.
            Grid::Clustered { .. } => rows.min(sm_count / CLUSTER as usize).max(1),
            Grid::Strided {
                chunks,
                block,
                slots_per_sm,
            } => {
                let (g, per_sm) = match team_of(cols as u32, chunks, block) {
                    Some((_, g)) => (g as usize, slots_per_sm as usize),
                    None => (1, 1),
                };
                rows.div_ceil(g).min(per_sm * sm_count.max(1)).max(1)
            }
            Grid::Fused { slots_per_sm, .. } => {
                let ty = self.rows_block(cols, lanes).1 as usize;
                let cap = (slots_per_sm as usize * sm_count.max(1)).div_ceil(ty);
                rows.div_ceil(ty).min(cap).max(1) * ty
            }
        }
    }

    /// Dynamic shared memory of kernel 1 (bytes): steps 4 and 5 keep `G·cols` f32 partials of
    /// dγ and of dβ, steps 6 and 7 [`long_smem`]; 0 for the other grids and for rows the
    /// steps do not hold.
    pub fn smem(&self, cols: usize) -> u32 {
        match *self {
            Grid::Strided { chunks, block, .. } => match team_of(cols as u32, chunks, block) {
                Some((_, g)) => g * cols as u32 * 8,
                None => 0,
            },
            Grid::Long { lanes } => long_smem(cols as u32, lanes),
            Grid::Streamed { lanes, stages, .. } => streamed_smem(cols as u32, lanes, stages),
            Grid::Clustered { lanes, stages } => cluster_smem(cols as u32, lanes, stages),
            _ => 0,
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

/// The sums of `a` and of `b` over this thread's team of `s` threads (aligned groups of
/// lanes when `s ≤ 32`, else `s / 32` whole warps), every thread of the team getting both:
/// shuffles within each warp; for teams of several warps one value pair per warp through
/// `scratch` (two arrays of 32 floats), one `bar.sync`, and every warp adds its team's pairs
/// in the same order (deterministic). `s` is uniform over the block, so every thread reaches
/// the barrier or none does. The caller alternates two scratch pairs between consecutive
/// rows: a warp may write the next row's pair only after the next barrier, which every warp
/// reaches only after reading this row's. `K` tells the instances apart: 0 for steps 4–7,
/// 1 for steps 8 and 9 (with one instance for all four, LLVM compiled steps 4 and 5
/// differently once steps 8 and 9 called it too; their PTX must stay as it was).
#[inline(always)]
fn team_sums<const K: u32>(a: f32, b: f32, s: usize, scratch: [SharedPtr<f32>; 2]) -> (f32, f32) {
    use crate::reduce::Sum;
    let w = if s < 32 { s as u32 } else { 32 };
    let a = crate::softmax::sub_warp_reduce::<Sum>(a, w);
    let b = crate::softmax::sub_warp_reduce::<Sum>(b, w);
    if s <= 32 {
        return (a, b);
    }
    let (lane, wid) = (thread::lane_id(), thread::warp_id());
    if lane == 0 {
        unsafe {
            scratch[0].store(wid, a);
            scratch[1].store(wid, b);
        }
    }
    sync_threads();
    let per = (s / 32) as u32;
    let first = wid / per * per;
    let (mut ra, mut rb) = (0.0f32, 0.0f32);
    if lane < per {
        unsafe {
            ra = scratch[0].load(first + lane);
            rb = scratch[1].load(first + lane);
        }
    }
    (warp::reduce_sum(ra), warp::reduce_sum(rb))
}

/// Steps 4 and 5's fallback (rows the teams do not take: longer than 16384 columns, not
/// whole chunks of 8, or misaligned pointers): the whole 1-D block takes a row, block `b` rows
/// `b, b + grid, …`; thread `t` the vectors `t, t + B, …` of `LANES` elements (128-bit loads
/// when `cols` is a multiple of `LANES` and the pointers are aligned, else scalars), the two
/// row sums ([`team_sums`] over the block), then the row again (from L1/L2) for dx, the
/// partials of the thread's columns read-modify-written in the block's workspace row (the
/// thread owns them: no races). The loop's indices come from opaque copies each row: held
/// across it, ptxas spilled them at 64 registers. Steps 8 and 9 take it too, with `K = 1`
/// (steps 4 and 5: `K = 0`), the instance of [`team_sums`] it calls.
#[inline(always)]
fn looped_rows<T, const K: u32>(p: LayerNormBackwardParams<T>, scratch: [[SharedPtr<f32>; 2]; 2])
where
    T: NormIo + crate::softmax::RowElem,
{
    looped_rows_of::<T, K, 1>(p, scratch)
}

/// [`looped_rows`] over the blocks' own rows (`CLUSTER_OF = 1`), or (steps 12–15's fallback)
/// over one block per cluster of `CLUSTER_OF`: the block of rank 0 of cluster `k` takes rows
/// `k, k + clusters, …` and writes workspace row `k`; the other ranks return at once.
#[inline(always)]
fn looped_rows_of<T, const K: u32, const CLUSTER_OF: u32>(
    p: LayerNormBackwardParams<T>,
    scratch: [[SharedPtr<f32>; 2]; 2],
) where
    T: NormIo + crate::softmax::RowElem,
{
    let clustered = CLUSTER_OF > 1;
    if clustered && thread::block_idx_x() % CLUSTER_OF != 0 {
        return;
    }
    let lanes = <T as NormIo>::LANES;
    let (rows, cols) = (p.rows, p.cols);
    let t = thread::thread_idx_x() as usize;
    let bt = thread::block_dim_x() as usize;
    let cu = cols as usize;
    let vector =
        cu % lanes == 0 && aligned16(&[p.dy.addr(), p.x.addr(), p.gamma.addr(), p.dx.addr()]);
    let slot = if clustered {
        thread::block_idx_x() / CLUSTER_OF
    } else {
        thread::block_idx_x()
    };
    let (wg, wb) = (
        p.ws_gamma.offset(slot as usize * cu),
        p.ws_beta.offset(slot as usize * cu),
    );
    let mut c = t;
    while c < cu {
        unsafe {
            wg.store(c, 0.0);
            wb.store(c, 0.0);
        }
        c += bt;
    }
    let mut row = slot;
    let mut parity = 0u32;
    // Block-uniform: every thread runs the same rows (the sums hold a barrier).
    while row < rows {
        // Recomputed per row from opaque copies, not held across the loop.
        let op = crate::gpu::norm_reduce::opaque_u32;
        let t = op(thread::thread_idx_x()) as usize;
        let cu = op(cols) as usize;
        let nvec = cu.div_ceil(lanes);
        let (m, rs) = unsafe { (p.mean.load(row as usize), p.rstd.load(row as usize)) };
        let at = row as usize * cu;
        let (dyr, xr, dxr) = (p.dy.offset(at), p.x.offset(at), p.dx.offset(at));
        // Vector `i` of dy, x and γ (`lanes` elements; 128-bit loads on the vector path, else
        // the `valid` leading ones as scalars).
        let vectors = #[inline(always)]
        |i: usize, valid: usize| unsafe {
            (
                <T as NormIo>::load(dyr, i, valid, vector),
                <T as NormIo>::load(xr, i, valid, vector),
                <T as NormIo>::load(p.gamma, i, valid, vector),
            )
        };
        let (mut a, mut b) = (0.0f32, 0.0f32);
        let mut i = t;
        while i < nvec {
            let valid = cu - lanes * i;
            let (d, x, g) = vectors(i, valid);
            unroll::<8>(
                #[inline(always)]
                |j| {
                    if j < lanes && j < valid {
                        let gv = T::lane(d, j) * T::lane(g, j);
                        a += gv;
                        b = crate::gpu::math::fma(gv, (T::lane(x, j) - m) * rs, b);
                    }
                },
            );
            i += bt;
        }
        let pair = if parity == 0 { scratch[0] } else { scratch[1] };
        let (a, b) = team_sums::<K>(a, b, bt, pair);
        let a = crate::gpu::norm_reduce::div_full(a, cols as f32);
        let b = crate::gpu::norm_reduce::div_full(b, cols as f32);
        let mut i = t;
        while i < nvec {
            let valid = cu - lanes * i;
            let (d, x, g) = vectors(i, valid);
            let mut f = [0.0f32; 8];
            unroll::<8>(
                #[inline(always)]
                |j| {
                    if j < lanes && j < valid {
                        let (dj, c) = (T::lane(d, j), lanes * i + j);
                        let xhat = (T::lane(x, j) - m) * rs;
                        f[j] = rs * (dj * T::lane(g, j) - crate::gpu::math::fma(xhat, b, a));
                        unsafe {
                            wg.store(c, crate::gpu::math::fma(dj, xhat, wg.load(c)));
                            wb.store(c, wb.load(c) + dj);
                        }
                    }
                },
            );
            unsafe { <T as NormIo>::store(dxr, i, f, valid, vector) };
            i += bt;
        }
        parity ^= 1;
        row += if clustered {
            thread::grid_dim_x() / CLUSTER_OF
        } else {
            thread::grid_dim_x()
        };
    }
}

/// The shared-memory index (in f32, a multiple of 4) of lanes `4·h .. 4·h + 4` of vector `v`
/// in a team's partials of `nvec` vectors: plane `h` (bf16 vectors have two planes of 4
/// lanes, f32 one), so the threads of a warp touch consecutive 16-byte words (`LDS.128`
/// without bank conflicts).
#[inline(always)]
fn plane(h: usize, v: u32, nvec: u32) -> u32 {
    (h as u32 * nvec + v) * 4
}

/// Kernel 1 of steps 4 and 5 ([`Grid::Strided`]): team `g` of the block (threads
/// `g·S .. g·S + S`, [`team_of`]) takes rows `(b + k·grid)·G + g`. Per row, thread `tid` of
/// the team loads its `C` chunks of dy and of x — the row's 128-bit vectors `tid + j·S`
/// (softmax's layout: f32 two `F32x4` a chunk, bf16 one `Bf16x8` kept packed), all loads
/// before any use — and γ in the same layout; the team sums `Σg` and `Σg·x̂` ([`team_sums`],
/// one barrier for teams of several warps), then writes dx and adds `dy·x̂`, `dy` into the
/// team's partials in shared memory (`cols` f32 each for dγ and dβ, `dynamic_shared`):
/// thread `tid` owns its vectors' partials across the block's rows, so plain `LDS.128` /
/// `STS.128`, no atomics and no barrier for them. At the end (one barrier) thread `t` adds
/// the `G` teams' partials of columns `4t, 4t + 4B, …` in team order and writes the block's
/// workspace row; [`sum_columns`] adds the rows. Rows [`team_of`] does not take, and
/// pointers not 16-byte aligned, take [`looped_rows`] (the row read twice; partials
/// read-modify-written in the block's workspace row), uniformly over the block.
#[inline(always)]
pub(crate) fn strided_rows<T, const C: usize>(
    p: LayerNormBackwardParams<T>,
    block: u32,
    scratch: [[SharedPtr<f32>; 2]; 2],
) where
    T: NormIo + crate::softmax::RowElem,
{
    use crate::softmax::RowElem;
    let cols = p.cols;
    let plan = team_of(p.cols, C as u32, block);
    let aligned = aligned16(&[p.dy.addr(), p.x.addr(), p.gamma.addr(), p.dx.addr()]);
    let s = match plan {
        Some((s, _)) if aligned => s,
        _ => return looped_rows::<T, 0>(p, scratch),
    };
    // Index arithmetic in u32 (the element count fits: the host checks `rows·cols < 2³²`):
    // half the registers of usize.
    let vl = <T as RowElem>::VL;
    let vpc = T::VPC;
    let halves = vl / 4;
    let nvec = cols / vl as u32;
    // Through an opaque move: with `threadIdx.x < 1024` known, LLVM narrows `t / s` to a
    // 16-bit division, which ptxas makes a subroutine call.
    let t = crate::gpu::norm_reduce::opaque_u32(thread::thread_idx_x());
    let (team, tid) = (t / s, t % s);
    let smem = crate::gpu::shared::dynamic_shared::<f32>();
    let acc_g = smem.offset(team * 2 * cols);
    let acc_b = acc_g.offset(cols);
    // Vector `q` of chunk `k` of this thread: `tid + (k·VPC + q)·S`.
    let vec_of = |tid: u32, k: usize, q: usize| tid + (k * vpc + q) as u32 * s;

    // The team's partials of this thread's vectors start at 0.
    let zero = crate::ptr::F32x4([0.0; 4]);
    unroll::<C>(
        #[inline(always)]
        |k| {
            unroll::<2>(
                #[inline(always)]
                |q| {
                    let v = vec_of(tid, k, q);
                    if q < vpc && v < nvec {
                        unroll::<2>(
                            #[inline(always)]
                            |h| {
                                if h < halves {
                                    unsafe {
                                        acc_g.store_f32x4(plane(h, v, nvec), zero);
                                        acc_b.store_f32x4(plane(h, v, nvec), zero);
                                    }
                                }
                            },
                        );
                    }
                },
            );
        },
    );

    let rows = p.rows;
    let mut it = 0u32;
    // Block-uniform: every thread runs the same iterations (the team sums may hold a barrier).
    loop {
        // The team, the thread's place in it and its vectors' offsets, recomputed each row
        // from opaque copies of `cols` and `threadIdx.x` (a few dozen integer ops) instead of
        // hoisted out of the loop and kept live beside the row's 32 registers (they spilled
        // at 64 registers). Only the row counter `it` is carried.
        let op = crate::gpu::norm_reduce::opaque_u32;
        let (s, g) = team_of(op(cols), C as u32, block).unwrap_or((32, 1));
        let base = (thread::block_idx_x() + it * thread::grid_dim_x()) * g;
        if base >= rows {
            break;
        }
        let parity = it & 1;
        let t = op(thread::thread_idx_x());
        let (team, tid) = (t / s, t % s);
        let vec_of = |tid: u32, k: usize, q: usize| tid + (k * vpc + q) as u32 * s;
        let row = base + team;
        let live = row < rows;
        let r = if live { row } else { 0 };
        let nv = if live { nvec } else { 0 };
        let (m, rs) = unsafe { (p.mean.load(r as usize), p.rstd.load(r as usize)) };
        let at = (r * cols) as usize;
        let (dyr, xr, dxr) = (p.dy.offset(at), p.x.offset(at), p.dx.offset(at));
        let (su, nvu) = (s as usize, nv as usize);
        let first = |k: usize| vec_of(tid, k, 0) as usize;
        let mut dyv = [unsafe { T::load_chunk(dyr, first(0), su, nvu, 0.0) }; C];
        let mut xv = [unsafe { T::load_chunk(xr, first(0), su, nvu, 0.0) }; C];
        unroll::<C>(
            #[inline(always)]
            |k| {
                if k > 0 {
                    dyv[k] = unsafe { T::load_chunk(dyr, first(k), su, nvu, 0.0) };
                    xv[k] = unsafe { T::load_chunk(xr, first(k), su, nvu, 0.0) };
                }
            },
        );
        // Σg and Σg·x̂ (g = dy·γ). Missing vectors are zeros in dy and γ, so g = 0 there; x̂
        // of their zero x is finite unless mean or rstd is not (then every x̂ of the row is NaN
        // and so are the sums anyway): no masks.
        let (mut a, mut b) = (0.0f32, 0.0f32);
        unroll::<C>(
            #[inline(always)]
            |k| {
                let (d, xx) = (T::unpack(dyv[k]), T::unpack(xv[k]));
                let gg = T::unpack(unsafe { T::load_chunk(p.gamma, first(k), su, nvu, 0.0) });
                unroll::<8>(
                    #[inline(always)]
                    |e| {
                        let gv = d[e] * gg[e];
                        a += gv;
                        b = crate::gpu::math::fma(gv, (xx[e] - m) * rs, b);
                    },
                );
            },
        );
        // A select, not an index (a runtime index into the array would put it on the stack).
        let pair = if parity == 0 { scratch[0] } else { scratch[1] };
        let (a, b) = team_sums::<0>(a, b, s as usize, pair);
        let a = crate::gpu::norm_reduce::div_full(a, cols as f32);
        let b = crate::gpu::norm_reduce::div_full(b, cols as f32);

        // dx, and the partials. The vectors' indices again, from an opaque copy of the
        // thread's index: recomputed here rather than kept live through the reduction.
        // The team's layout again from opaque copies (not kept through the reduction).
        let s = match team_of(op(cols), C as u32, block) {
            Some((s, _)) => s,
            None => 32,
        };
        let t3 = op(thread::thread_idx_x());
        let tid3 = t3 % s;
        let acc_g = smem.offset(t3 / s * 2 * cols);
        let acc_b = acc_g.offset(cols);
        let vec_of = |tid: u32, k: usize, q: usize| tid + (k * vpc + q) as u32 * s;
        // One 128-bit vector at a time (f32: 4 lanes, bf16: 8), so only its γ, dx and
        // partials are live beside the row's registers.
        unroll::<C>(
            #[inline(always)]
            |k| {
                let (d, xx) = (T::unpack(dyv[k]), T::unpack(xv[k]));
                unroll::<2>(
                    #[inline(always)]
                    |q| {
                        let v = vec_of(tid3, k, q);
                        if q < vpc && v < nv {
                            let gg = unsafe { <T as NormIo>::load(p.gamma, v as usize, vl, true) };
                            let o = q * vl;
                            let mut out = [0.0f32; 8];
                            unroll::<8>(
                                #[inline(always)]
                                |j| {
                                    if j < vl {
                                        let xhat = (xx[o + j] - m) * rs;
                                        out[j] = rs
                                            * (d[o + j] * T::lane(gg, j)
                                                - crate::gpu::math::fma(xhat, b, a));
                                    }
                                },
                            );
                            unsafe { <T as NormIo>::store(dxr, v as usize, out, vl, true) };
                            unroll::<2>(
                                #[inline(always)]
                                |h| {
                                    if h < halves {
                                        let i = plane(h, v, nvec);
                                        unsafe {
                                            let mut cg = acc_g.load_f32x4(i);
                                            let mut cb = acc_b.load_f32x4(i);
                                            unroll::<4>(
                                                #[inline(always)]
                                                |j| {
                                                    let e = o + 4 * h + j;
                                                    let xhat = (xx[e] - m) * rs;
                                                    cg.0[j] =
                                                        crate::gpu::math::fma(d[e], xhat, cg.0[j]);
                                                    cb.0[j] += d[e];
                                                },
                                            );
                                            acc_g.store_f32x4(i, cg);
                                            acc_b.store_f32x4(i, cb);
                                        }
                                    }
                                },
                            );
                        }
                    },
                );
            },
        );
        it += 1;
    }

    // The teams' partials added in team order, as the block's workspace row (what this needs
    // recomputed, again not kept live through the loop).
    sync_threads();
    let op = crate::gpu::norm_reduce::opaque_u32;
    let cols = op(cols);
    let g = match team_of(cols, C as u32, block) {
        Some((_, g)) => g,
        None => 1,
    };
    let nvec = cols / vl as u32;
    let t = op(thread::thread_idx_x());
    let slot = thread::block_idx_x();
    let (wg, wb) = (
        p.ws_gamma.offset((slot * cols) as usize),
        p.ws_beta.offset((slot * cols) as usize),
    );
    let bt = thread::block_dim_x();
    let mut i = t;
    while i < cols / 4 {
        // Word `i` of the planes: vector `v`, lanes `4·h ..`.
        let (h, v) = (i / nvec, i % nvec);
        let c = (v * vl as u32 + 4 * h) as usize;
        let (mut sg, mut sb) = (zero, zero);
        let mut k = 0;
        while k < g {
            let tg = smem.offset(k * 2 * cols);
            let (x, y) = unsafe { (tg.load_f32x4(4 * i), tg.offset(cols).load_f32x4(4 * i)) };
            unroll::<4>(
                #[inline(always)]
                |j| {
                    sg.0[j] += x.0[j];
                    sb.0[j] += y.0[j];
                },
            );
            k += 1;
        }
        unroll::<4>(
            #[inline(always)]
            |j| unsafe {
                wg.store(c + j, sg.0[j]);
                wb.store(c + j, sb.0[j]);
            },
        );
        i += bt;
    }
}

/// Zeroes this thread's vectors' partials (dγ and dβ) in its team's shared-memory planes:
/// the vectors `tid + j·S` of its `C` chunks below `nvec` (the team of `S` threads: thread
/// `threadIdx.x / S`'s rows' partials start at `2·cols` f32 per team).
#[inline(always)]
fn zero_partials<T: crate::softmax::RowElem, const C: usize>(cols: u32, s: u32, nvec: u32) {
    let vpc = T::VPC;
    let halves = T::VL / 4;
    let t = crate::gpu::norm_reduce::opaque_u32(thread::thread_idx_x());
    let (team, tid) = (t / s, t % s);
    let acc_g = crate::gpu::shared::dynamic_shared::<f32>().offset(team * 2 * cols);
    let acc_b = acc_g.offset(cols);
    let zero = crate::ptr::F32x4([0.0; 4]);
    unroll::<C>(
        #[inline(always)]
        |k| {
            unroll::<2>(
                #[inline(always)]
                |q| {
                    let v = tid + (k * vpc + q) as u32 * s;
                    if q < vpc && v < nvec {
                        unroll::<2>(
                            #[inline(always)]
                            |h| {
                                if h < halves {
                                    unsafe {
                                        acc_g.store_f32x4(plane(h, v, nvec), zero);
                                        acc_b.store_f32x4(plane(h, v, nvec), zero);
                                    }
                                }
                            },
                        );
                    }
                },
            );
        },
    );
}

/// This thread's shares of `Σg` and `Σg·x̂` (g = dy·γ) over its `C` chunks of dy and x,
/// γ loaded in the same layout (`first(k)`, stride `su`, `nvu` vectors). Missing vectors are
/// zeros in dy and γ, so g = 0 there; x̂ of their zero x is finite unless mean or rstd is
/// not (then every x̂ of the row is NaN and so are the sums anyway): no masks.
#[inline(always)]
#[allow(clippy::too_many_arguments)]
fn chunk_sums<T, const C: usize>(
    dyv: &[T::Raw; C],
    xv: &[T::Raw; C],
    gamma: GlobalPtr<T>,
    first: impl Fn(usize) -> usize,
    su: usize,
    nvu: usize,
    m: f32,
    rs: f32,
) -> (f32, f32)
where
    T: crate::softmax::RowElem,
{
    let (mut a, mut b) = (0.0f32, 0.0f32);
    unroll::<C>(
        #[inline(always)]
        |k| {
            let (d, xx) = (T::unpack(dyv[k]), T::unpack(xv[k]));
            let gg = T::unpack(unsafe { T::load_chunk(gamma, first(k), su, nvu, 0.0) });
            unroll::<8>(
                #[inline(always)]
                |e| {
                    let gv = d[e] * gg[e];
                    a += gv;
                    b = crate::gpu::math::fma(gv, (xx[e] - m) * rs, b);
                },
            );
        },
    );
    (a, b)
}

/// dx of this thread's vectors of a row (`nv` of them: 0 for a row beyond `rows`), and their
/// `dy·x̂`, `dy` added into its team's partials; `stats` is `[mean, rstd, Σg/n, Σg·x̂/n]`.
/// The team's layout from opaque copies of `cols` and `threadIdx.x` (recomputed here, not
/// kept live through the reduction). One 128-bit vector at a time (f32: 4 lanes, bf16: 8),
/// so only its γ, dx and partials are live beside the row's registers.
#[inline(always)]
fn dx_and_partials<T, const C: usize>(
    p: &LayerNormBackwardParams<T>,
    block: u32,
    dyv: &[T::Raw; C],
    xv: &[T::Raw; C],
    stats: [f32; 4],
    nv: u32,
    dxr: GlobalPtrMut<T>,
) where
    T: NormIo + crate::softmax::RowElem,
{
    use crate::softmax::RowElem;
    let [m, rs, a, b] = stats;
    let op = crate::gpu::norm_reduce::opaque_u32;
    let cols = p.cols;
    let (vl, vpc) = (<T as RowElem>::VL, T::VPC);
    let halves = vl / 4;
    let nvec = cols / vl as u32;
    let s = match team_of(op(cols), C as u32, block) {
        Some((s, _)) => s,
        None => 32,
    };
    let t3 = op(thread::thread_idx_x());
    let tid3 = t3 % s;
    let acc_g = crate::gpu::shared::dynamic_shared::<f32>().offset(t3 / s * 2 * cols);
    let acc_b = acc_g.offset(cols);
    let vec_of = |tid: u32, k: usize, q: usize| tid + (k * vpc + q) as u32 * s;
    unroll::<C>(
        #[inline(always)]
        |k| {
            let (d, xx) = (T::unpack(dyv[k]), T::unpack(xv[k]));
            unroll::<2>(
                #[inline(always)]
                |q| {
                    let v = vec_of(tid3, k, q);
                    if q < vpc && v < nv {
                        let gg = unsafe { <T as NormIo>::load(p.gamma, v as usize, vl, true) };
                        let o = q * vl;
                        let mut out = [0.0f32; 8];
                        unroll::<8>(
                            #[inline(always)]
                            |j| {
                                if j < vl {
                                    let xhat = (xx[o + j] - m) * rs;
                                    out[j] = rs
                                        * (d[o + j] * T::lane(gg, j)
                                            - crate::gpu::math::fma(xhat, b, a));
                                }
                            },
                        );
                        unsafe { <T as NormIo>::store(dxr, v as usize, out, vl, true) };
                        unroll::<2>(
                            #[inline(always)]
                            |h| {
                                if h < halves {
                                    let i = plane(h, v, nvec);
                                    unsafe {
                                        let mut cg = acc_g.load_f32x4(i);
                                        let mut cb = acc_b.load_f32x4(i);
                                        unroll::<4>(
                                            #[inline(always)]
                                            |j| {
                                                let e = o + 4 * h + j;
                                                let xhat = (xx[e] - m) * rs;
                                                cg.0[j] =
                                                    crate::gpu::math::fma(d[e], xhat, cg.0[j]);
                                                cb.0[j] += d[e];
                                            },
                                        );
                                        acc_g.store_f32x4(i, cg);
                                        acc_b.store_f32x4(i, cb);
                                    }
                                }
                            },
                        );
                    }
                },
            );
        },
    );
}

/// The teams' partials added in team order, as the block's workspace row (one barrier
/// first; what this needs recomputed from opaque copies, not kept live through the rows).
#[inline(always)]
fn block_partials_to_workspace<T, const C: usize>(p: &LayerNormBackwardParams<T>, block: u32)
where
    T: NormIo + crate::softmax::RowElem,
{
    sync_threads();
    let op = crate::gpu::norm_reduce::opaque_u32;
    let cols = op(p.cols);
    let g = match team_of(cols, C as u32, block) {
        Some((_, g)) => g,
        None => 1,
    };
    teams_to_workspace(p, cols, g);
}

/// The partials of `g` teams (each `2·cols` f32 of dynamic shared memory, dγ then dβ, in
/// [`plane`] order) added in team order, as the block's workspace row. The caller has passed
/// a barrier since the teams wrote them.
#[inline(always)]
fn teams_to_workspace<T>(p: &LayerNormBackwardParams<T>, cols: u32, g: u32)
where
    T: NormIo + crate::softmax::RowElem,
{
    use crate::softmax::RowElem;
    let vl = <T as RowElem>::VL;
    let smem = crate::gpu::shared::dynamic_shared::<f32>();
    let zero = crate::ptr::F32x4([0.0; 4]);
    let op = crate::gpu::norm_reduce::opaque_u32;
    let nvec = cols / vl as u32;
    let t = op(thread::thread_idx_x());
    let slot = thread::block_idx_x();
    let (wg, wb) = (
        p.ws_gamma.offset((slot * cols) as usize),
        p.ws_beta.offset((slot * cols) as usize),
    );
    let bt = thread::block_dim_x();
    let mut i = t;
    while i < cols / 4 {
        // Word `i` of the planes: vector `v`, lanes `4·h ..`.
        let (h, v) = (i / nvec, i % nvec);
        let c = (v * vl as u32 + 4 * h) as usize;
        let (mut sg, mut sb) = (zero, zero);
        let mut k = 0;
        while k < g {
            let tg = smem.offset(k * 2 * cols);
            let (x, y) = unsafe { (tg.load_f32x4(4 * i), tg.offset(cols).load_f32x4(4 * i)) };
            unroll::<4>(
                #[inline(always)]
                |j| {
                    sg.0[j] += x.0[j];
                    sb.0[j] += y.0[j];
                },
            );
            k += 1;
        }
        unroll::<4>(
            #[inline(always)]
            |j| unsafe {
                wg.store(c + j, sg.0[j]);
                wb.store(c + j, sb.0[j]);
            },
        );
        i += bt;
    }
}

/// Kernel 2 of steps 4 and 5: blocks of [`SUM_COLUMNS`] × [`SUM_LANES`] threads; thread
/// `(cx, y)` adds column `32·blockIdx.x + cx` of the workspace rows `y, y + 32, …` in
/// order (four loads in flight), the block adds its 32 lanes' sums in lane order through
/// shared memory, and lane 0 stores dγ, dβ (rounded to `T`): deterministic, and 32 times
/// the threads of [`sum_slots`] on the same columns (a short row's 4 blocks, a 4096-column
/// row's 128, each thread about `slots / 32` rows deep).
#[inline(always)]
pub(crate) fn sum_columns<T: NormIo>(p: LayerNormBackwardParams<T>, red: [SharedPtr<f32>; 2]) {
    let (cx, y) = (thread::thread_idx_x(), thread::thread_idx_y());
    let (nx, ny) = (thread::block_dim_x(), thread::block_dim_y() as usize);
    let cols = p.cols as usize;
    let c = (thread::block_idx_x() * nx + cx) as usize;
    let slots = p.slots as usize;
    let (mut g, mut b) = (0.0f32, 0.0f32);
    if c < cols {
        let mut s = y as usize;
        while s + 3 * ny < slots {
            let at = |k: usize| (s + k * ny) * cols + c;
            unsafe {
                let gs = [0, 1, 2, 3].map(|k| p.ws_gamma.load(at(k)));
                let bs = [0, 1, 2, 3].map(|k| p.ws_beta.load(at(k)));
                g = g + gs[0] + gs[1] + gs[2] + gs[3];
                b = b + bs[0] + bs[1] + bs[2] + bs[3];
            }
            s += 4 * ny;
        }
        while s < slots {
            unsafe {
                g += p.ws_gamma.load(s * cols + c);
                b += p.ws_beta.load(s * cols + c);
            }
            s += ny;
        }
    }
    let at = y * nx + cx;
    unsafe {
        red[0].store(at, g);
        red[1].store(at, b);
    }
    sync_threads();
    if y == 0 && c < cols {
        let (mut g, mut b) = (0.0f32, 0.0f32);
        let mut k = 0;
        while k < ny as u32 {
            unsafe {
                g += red[0].load(k * nx + cx);
                b += red[1].load(k * nx + cx);
            }
            k += 1;
        }
        let mut f = [0.0f32; 8];
        f[0] = g;
        unsafe { T::store(p.dgamma.cast::<T>().offset(c), 0, f, 1, false) };
        f[0] = b;
        unsafe { T::store(p.dbeta.cast::<T>().offset(c), 0, f, 1, false) };
    }
}

// ---- Steps 6 and 7: rows longer than 16384 columns ----

/// Threads per block of steps 6 and 7 (one block per SM at ≤ 64 registers).
pub const LONG_THREADS: u32 = 1024;
/// Columns a thread of steps 6 and 7 holds dγ partials of in registers (f32: 8 vectors of 4,
/// bf16: 4 of 8): rows of up to `32·1024 = 32768` columns.
pub const LONG_COLS: u32 = 32;

/// Whether steps 6 and 7 hold rows of `cols` columns at `lanes` per 128-bit vector (whole
/// vectors, at most [`LONG_COLS`] columns per thread); the kernel also needs 16-byte aligned
/// pointers. The kernels and the host compute it alike.
pub const fn long_fits(cols: u32, lanes: u32) -> bool {
    cols != 0 && cols % lanes == 0 && cols <= LONG_COLS * LONG_THREADS
}

/// Dynamic shared memory of kernel 1 of steps 6 and 7 (bytes): the dβ partials of `k` rounds
/// of vectors (`k = ⌈cols / lanes / 1024⌉`), every round `lanes / 4` planes of 1024 words of
/// 16 bytes (word `t` thread `t`'s): `k·lanes·4096`, 128 KiB at 32000 columns (f32 and bf16).
/// 0 for rows the steps do not hold ([`long_fits`]).
pub const fn long_smem(cols: u32, lanes: u32) -> u32 {
    if !long_fits(cols, lanes) {
        return 0;
    }
    (cols / lanes).div_ceil(LONG_THREADS) * lanes * 4 * LONG_THREADS
}

/// Kernel 1 of steps 6 and 7 ([`Grid::Long`]): the whole block takes a row, block `b` rows
/// `b, b + grid, …`; thread `t` owns the row's 128-bit vectors `t + 1024·k` (`k < K`,
/// `K·LANES =` [`LONG_COLS`]). Per row: pass 1 loads its vectors of dy, x and γ and sums `Σg`,
/// `Σg·x̂` ([`team_sums`] over the block, alternating scratch pairs, one barrier); pass 2
/// re-reads them (the row was just read: from L2; γ from L1/L2), writes dx and adds `dy·x̂`
/// into the thread's dγ partials in registers (`K` vectors: 32 f32) and `dy` into its dβ
/// partials in dynamic shared memory (plane `k·LANES/4 + h`, word `t`: consecutive 16-byte
/// words across a warp, `LDS.128`/`STS.128`, the thread's own: no atomics, no barrier). At
/// the end every thread writes its columns of the block's workspace row; [`sum_columns`]
/// adds the rows in slot order (deterministic). Rows [`long_fits`] does not take, and
/// misaligned pointers, take [`looped_rows`] uniformly over the block.
#[inline(always)]
pub(crate) fn long_rows<T, const K: usize>(
    p: LayerNormBackwardParams<T>,
    scratch: [[SharedPtr<f32>; 2]; 2],
) where
    T: NormIo + crate::softmax::RowElem,
{
    let lanes = <T as NormIo>::LANES;
    let aligned = aligned16(&[p.dy.addr(), p.x.addr(), p.gamma.addr(), p.dx.addr()]);
    if !(aligned && long_fits(p.cols, lanes as u32)) {
        return looped_rows::<T, 0>(p, scratch);
    }
    let halves = lanes / 4;
    let smem = crate::gpu::shared::dynamic_shared::<f32>();
    let zero = crate::ptr::F32x4([0.0; 4]);
    let nvec = p.cols / lanes as u32;
    let t = thread::thread_idx_x();
    // Word of plane `h` of round `k` of thread `t` (in f32).
    let word = |k: usize, h: usize, t: u32| ((k * halves + h) as u32 * LONG_THREADS + t) * 4;
    unroll::<K>(
        #[inline(always)]
        |k| {
            if t + k as u32 * LONG_THREADS < nvec {
                unroll::<2>(
                    #[inline(always)]
                    |h| {
                        if h < halves {
                            unsafe { smem.store_f32x4(word(k, h, t), zero) };
                        }
                    },
                );
            }
        },
    );
    let mut acc = [[0.0f32; 8]; K];
    let mut it = 0u32;
    // Block-uniform: every thread runs the same rows (the sums hold a barrier). Only the
    // row counter `it` is carried (the row and the scratch parity come from it): one more
    // loop-carried register spilled at 64 beside the 32 of partials.
    loop {
        let row = thread::block_idx_x() + it * thread::grid_dim_x();
        if row >= p.rows {
            break;
        }
        let parity = it & 1;
        // Recomputed per row from opaque copies, not held across the loop beside the
        // 32 registers of partials.
        let op = crate::gpu::norm_reduce::opaque_u32;
        let t = op(thread::thread_idx_x());
        let cols = op(p.cols);
        let nvec = cols / lanes as u32;
        let (m, rs) = unsafe { (p.mean.load(row as usize), p.rstd.load(row as usize)) };
        // Vector indices into the rows in u32 (the host checks `rows·cols < 2³²`): one
        // register beside the parameters' bases, not three 64-bit row pointers.
        let at = row * nvec;
        // dy and x's vector `e` (of the whole matrix) and γ's vector `v`: 128-bit loads.
        let vectors = #[inline(always)]
        |e: usize, v: usize| unsafe {
            (
                <T as NormIo>::load(p.dy, e, lanes, true),
                <T as NormIo>::load(p.x, e, lanes, true),
                <T as NormIo>::load(p.gamma, v, lanes, true),
            )
        };
        let (mut a, mut b) = (0.0f32, 0.0f32);
        unroll::<K>(
            #[inline(always)]
            |k| {
                let v = t + k as u32 * LONG_THREADS;
                if v < nvec {
                    let e = (at + v) as usize;
                    let (d, xx, gg) = vectors(e, v as usize);
                    unroll::<8>(
                        #[inline(always)]
                        |j| {
                            if j < lanes {
                                let gv = T::lane(d, j) * T::lane(gg, j);
                                a += gv;
                                b = crate::gpu::math::fma(gv, (T::lane(xx, j) - m) * rs, b);
                            }
                        },
                    );
                }
            },
        );
        let pair = if parity == 0 { scratch[0] } else { scratch[1] };
        let (a, b) = team_sums::<0>(a, b, LONG_THREADS as usize, pair);
        let a = crate::gpu::norm_reduce::div_full(a, cols as f32);
        let b = crate::gpu::norm_reduce::div_full(b, cols as f32);
        let t = op(thread::thread_idx_x());
        unroll::<K>(
            #[inline(always)]
            |k| {
                let v = t + k as u32 * LONG_THREADS;
                if v < nvec {
                    let e = (at + v) as usize;
                    let (d, xx, gg) = vectors(e, v as usize);
                    let mut out = [0.0f32; 8];
                    unroll::<8>(
                        #[inline(always)]
                        |j| {
                            if j < lanes {
                                let dj = T::lane(d, j);
                                let xhat = (T::lane(xx, j) - m) * rs;
                                out[j] =
                                    rs * (dj * T::lane(gg, j) - crate::gpu::math::fma(xhat, b, a));
                                acc[k][j] = crate::gpu::math::fma(dj, xhat, acc[k][j]);
                            }
                        },
                    );
                    unsafe { <T as NormIo>::store(p.dx, e, out, lanes, true) };
                    unroll::<2>(
                        #[inline(always)]
                        |h| {
                            if h < halves {
                                let i = word(k, h, t);
                                unsafe {
                                    let mut cb = smem.load_f32x4(i);
                                    unroll::<4>(
                                        #[inline(always)]
                                        |j| cb.0[j] += T::lane(d, 4 * h + j),
                                    );
                                    smem.store_f32x4(i, cb);
                                }
                            }
                        },
                    );
                }
            },
        );
        it += 1;
    }

    // The thread's columns of the block's workspace row: dγ from registers, dβ from its own
    // shared-memory words (no barrier).
    let op = crate::gpu::norm_reduce::opaque_u32;
    let (t, cols) = (op(thread::thread_idx_x()), op(p.cols));
    let nvec = cols / lanes as u32;
    let slot = (thread::block_idx_x() * cols) as usize;
    let (wg, wb) = (p.ws_gamma.offset(slot), p.ws_beta.offset(slot));
    unroll::<K>(
        #[inline(always)]
        |k| {
            let v = t + k as u32 * LONG_THREADS;
            if v < nvec {
                unroll::<2>(
                    #[inline(always)]
                    |h| {
                        if h < halves {
                            let c = v as usize * lanes + 4 * h;
                            let cb = unsafe { smem.load_f32x4(word(k, h, t)) };
                            unroll::<4>(
                                #[inline(always)]
                                |j| unsafe {
                                    wg.store(c + j, acc[k][4 * h + j]);
                                    wb.store(c + j, cb.0[j]);
                                },
                            );
                        }
                    },
                );
            }
        },
    );
}

/// Kernel 1 of steps 8 and 9 ([`Grid::Strided`], the team layout of steps 4 and 5):
/// [`strided_rows`] with the next row group prefetched. Before loading its row of the
/// current row group, every thread asks L2 for its vectors of dy and x in its team's row of
/// the block's next row group (`prefetch.global.L2`: no registers, nothing to wait for), so
/// DRAM serves the next rows while the block reduces and writes the current ones (steps 4
/// and 5 ran load → team sums → dx one after the other, with nothing in flight during the
/// last two), and the next rows' loads hit L2. The same registers, partials in shared
/// memory, epilogue and fallback as [`strided_rows`].
#[inline(always)]
pub(crate) fn prefetched_rows<T, const C: usize>(
    p: LayerNormBackwardParams<T>,
    block: u32,
    scratch: [[SharedPtr<f32>; 2]; 2],
) where
    T: NormIo + crate::softmax::RowElem,
{
    use crate::softmax::RowElem;
    let cols = p.cols;
    let plan = team_of(p.cols, C as u32, block);
    let aligned = aligned16(&[p.dy.addr(), p.x.addr(), p.gamma.addr(), p.dx.addr()]);
    let s = match plan {
        Some((s, _)) if aligned => s,
        _ => return looped_rows::<T, 1>(p, scratch),
    };
    let (vl, vpc) = (<T as RowElem>::VL, T::VPC);
    let nvec = cols / vl as u32;
    zero_partials::<T, C>(cols, s, nvec);

    let rows = p.rows;
    let mut it = 0u32;
    // Block-uniform: every thread runs the same iterations (the team sums may hold a barrier).
    loop {
        // As [`strided_rows`]: the layout from opaque copies each row, only `it` carried.
        let op = crate::gpu::norm_reduce::opaque_u32;
        let (s, g) = team_of(op(cols), C as u32, block).unwrap_or((32, 1));
        let base = (thread::block_idx_x() + it * thread::grid_dim_x()) * g;
        if base >= rows {
            break;
        }
        let t = op(thread::thread_idx_x());
        let (team, tid) = (t / s, t % s);
        let vec_of = |k: usize, q: usize| tid + (k * vpc + q) as u32 * s;
        let ahead = base + thread::grid_dim_x() * g + team;
        if ahead < rows {
            let at = (ahead * cols) as usize;
            let (dyn_, xn) = (p.dy.offset(at), p.x.offset(at));
            unroll::<C>(
                #[inline(always)]
                |k| {
                    unroll::<2>(
                        #[inline(always)]
                        |q| {
                            let v = vec_of(k, q);
                            if q < vpc && v < nvec {
                                let e = v as usize * vl;
                                unsafe {
                                    dyn_.prefetch_l2(e);
                                    xn.prefetch_l2(e);
                                }
                            }
                        },
                    );
                },
            );
        }
        let row = base + team;
        let live = row < rows;
        let r = if live { row } else { 0 };
        let nv = if live { nvec } else { 0 };
        let (m, rs) = unsafe { (p.mean.load(r as usize), p.rstd.load(r as usize)) };
        let at = (r * cols) as usize;
        let (dyr, xr, dxr) = (p.dy.offset(at), p.x.offset(at), p.dx.offset(at));
        let (su, nvu) = (s as usize, nv as usize);
        let first = |k: usize| vec_of(k, 0) as usize;
        let mut dyv = [unsafe { T::load_chunk(dyr, first(0), su, nvu, 0.0) }; C];
        let mut xv = [unsafe { T::load_chunk(xr, first(0), su, nvu, 0.0) }; C];
        unroll::<C>(
            #[inline(always)]
            |k| {
                if k > 0 {
                    dyv[k] = unsafe { T::load_chunk(dyr, first(k), su, nvu, 0.0) };
                    xv[k] = unsafe { T::load_chunk(xr, first(k), su, nvu, 0.0) };
                }
            },
        );
        let (a, b) = chunk_sums::<T, C>(&dyv, &xv, p.gamma, first, su, nvu, m, rs);
        // A select, not an index (a runtime index into the array would put it on the stack).
        let pair = if it & 1 == 0 { scratch[0] } else { scratch[1] };
        let (a, b) = team_sums::<1>(a, b, s as usize, pair);
        let a = crate::gpu::norm_reduce::div_full(a, cols as f32);
        let b = crate::gpu::norm_reduce::div_full(b, cols as f32);
        dx_and_partials::<T, C>(&p, block, &dyv, &xv, [m, rs, a, b], nv, dxr);
        it += 1;
    }
    block_partials_to_workspace::<T, C>(&p, block);
}

/// Threads per block steps 10 and 11 aim at (two blocks per SM); a team of more (rows of
/// more than 4096 columns) is a block of its own, one per SM.
pub const STREAMED_BLOCK: u32 = 512;
/// Threads a team of steps 10 and 11 may have: 8 columns each, rows of up to 8192 columns.
pub const STREAMED_MAX_TEAM: u32 = 1024;

/// Row groups steps 10 (f32) and 11 (bf16) copy ahead of the one they reduce (their stages:
/// one more): 2 × 36 KiB and 3 × 20 KiB in flight a block at 4096 columns.
pub const AHEAD_10: u32 = 2;
pub const AHEAD_11: u32 = 3;

/// The team of steps 10 and 11 for rows of `cols` columns: `(S, G, log₂S)`, `S` the power of
/// two of threads that holds the row at one chunk of 8 columns a thread, `G = max(1, 512 / S)`
/// rows a block. A power of two, so a thread's team and place in it are a shift and a mask.
/// `None` for empty rows and rows of more than 8192 columns. The kernels and the host compute
/// it alike.
pub const fn streamed_team(cols: u32) -> Option<(u32, u32, u32)> {
    if cols == 0 || cols > 8 * STREAMED_MAX_TEAM {
        return None;
    }
    let need = cols.div_ceil(8);
    let lg = 32 - (need - 1).leading_zeros();
    let g = if (1 << lg) >= STREAMED_BLOCK {
        1
    } else {
        STREAMED_BLOCK >> lg
    };
    Some((1 << lg, g, lg))
}

/// f32 words of one stage of steps 10 and 11 for teams of `s` threads, `g` a block, vectors
/// of `lanes` elements: each team's dy then x (`s` threads × 8 elements, the team's padded
/// row), then two words per thread (its row's mean and rstd). A multiple of 4 (16 bytes).
pub const fn stage_words(s: u32, g: u32, lanes: u32) -> u32 {
    g * 2 * s * 8 * (16 / lanes) / 4 + 2 * s * g
}

/// Whether steps 10 and 11 hold rows of `cols` columns at `lanes` per 128-bit vector
/// ([`streamed_team`], whole vectors); the kernels also need 16-byte aligned pointers.
pub const fn streamed_fits(cols: u32, lanes: u32) -> bool {
    streamed_team(cols).is_some() && cols % lanes == 0
}

/// Dynamic shared memory of kernel 1 of steps 10 and 11 (bytes): `stages` stages
/// ([`stage_words`]), or the teams' partials at the end (`G·cols·8`) if more; 0 for rows the
/// steps do not hold. At 4096 columns: f32 3 × 36 KiB, bf16 4 × 20 KiB a block.
pub const fn streamed_smem(cols: u32, lanes: u32, stages: u32) -> u32 {
    match streamed_team(cols) {
        Some((s, g, _)) if cols % lanes == 0 => {
            let staged = stages * stage_words(s, g, lanes) * 4;
            let partials = g * cols * 8;
            if staged > partials { staged } else { partials }
        }
        _ => 0,
    }
}

/// Kernel 1 of steps 10 and 11 ([`Grid::Streamed`]): persistent blocks (two per SM, one for
/// rows of more than 4096 columns) of `G` teams of `S` threads ([`streamed_team`]), team `g`
/// taking rows `(b + k·grid)·G + g`, thread `tid` of a team owning the row's 128-bit vectors
/// `tid + q·S` (one chunk of 8 columns: f32 `q < 2`, bf16 `q < 1`), γ of them in registers
/// for all rows. dy and x never pass through registers on their way in: each thread copies
/// its own vectors of the row group `AHEAD` groups ahead into a stage of dynamic shared
/// memory (`cp.async.cg`, 16 bytes each) — the first lane of each warp's share of the row
/// also the row's mean and rstd into its two words of the stage (`cp.async.ca`, 4 bytes) —
/// then waits for the oldest group (`cp.async.wait_group AHEAD`) and reads its vectors back
/// (`LDS.128`; the statistics through a shuffle from that lane). A thread reads only what it
/// copied, so the stages need no barrier; the only one per row group is the team sum
/// of `Σg`, `Σg·x̂` ([`team_sums`], teams of several warps, alternating scratch pairs). The
/// stage a thread refills is the one it read the previous group from. dx is stored from
/// registers; `dy·x̂` and `dy` go into the thread's 16 f32 partials in registers. At the end
/// the partials go through shared memory in the teams' planes and are added in team order
/// into the block's workspace row ([`teams_to_workspace_by_columns`]); [`sum_columns`] adds
/// the rows. Rows it does not hold ([`streamed_fits`]) and misaligned pointers take [`looped_rows`],
/// uniformly over the block.
#[inline(always)]
pub(crate) fn streamed_rows<T, const AHEAD: u32>(
    p: LayerNormBackwardParams<T>,
    scratch: [[SharedPtr<f32>; 2]; 2],
) where
    T: NormIo + crate::softmax::RowElem,
{
    streamed_rows_then::<T, AHEAD>(
        p,
        scratch,
        #[inline(always)]
        |p, scratch| looped_rows::<T, 0>(p, scratch),
        #[inline(always)]
        |p, cols, g| teams_to_workspace_by_columns::<T>(p, cols, g),
    )
}

/// [`streamed_rows`] with its fallback (rows it does not hold, misaligned pointers) and its
/// epilogue (the teams' partials, in their planes of shared memory, into the workspace:
/// `epilogue(&p, cols, G)`) given: steps 10–11 write a workspace row per block, steps 14–15
/// one per cluster ([`cluster_teams_to_workspace`]).
#[inline(always)]
fn streamed_rows_then<T, const AHEAD: u32>(
    p: LayerNormBackwardParams<T>,
    scratch: [[SharedPtr<f32>; 2]; 2],
    fallback: impl FnOnce(LayerNormBackwardParams<T>, [[SharedPtr<f32>; 2]; 2]),
    epilogue: impl FnOnce(&LayerNormBackwardParams<T>, u32, u32),
) where
    T: NormIo + crate::softmax::RowElem,
{
    use crate::gpu::cp_async;
    let lanes = <T as NormIo>::LANES;
    let vpc = 8 / lanes;
    let aligned = aligned16(&[p.dy.addr(), p.x.addr(), p.gamma.addr(), p.dx.addr()]);
    if !(aligned && streamed_fits(p.cols, lanes as u32)) {
        return fallback(p, scratch);
    }
    let stages = AHEAD + 1;
    let smem = crate::gpu::shared::dynamic_shared::<f32>();
    // The thread's place, fixed for all rows: its team and vectors, where a stage keeps them
    // (f32 words from the stage's start: dy, then x `xo` further) and its statistics words.
    let (cols, rows) = (p.cols, p.rows);
    let (s, g, lg) = streamed_team(cols).unwrap_or((32, 1, 5));
    let t = thread::thread_idx_x();
    let (team, tid) = (t >> lg, t & (s - 1));
    let nvec = cols / lanes as u32;
    let words = stage_words(s, g, lanes as u32);
    let dyo = team * 2 * s * vpc as u32 * 4 + 4 * tid;
    let xo = s * vpc as u32 * 4;
    let so = words - 2 * s * g + 2 * t;
    let row0 = thread::block_idx_x() * g + team;
    let stride = thread::grid_dim_x() * g;
    let has = |q: usize| q < vpc && tid + q as u32 * s < nvec;
    // The lanes of a warp that share a row (the team, or the whole warp), and whether this
    // thread is their first: it alone copies the row's mean and rstd, and shuffles them to the
    // others (32 lanes copying the same word made the copies a third of the loop's `LDGSTS`).
    let w = if s < 32 { s } else { 32 };
    let lead = t & (w - 1) == 0;
    let mut gam = [T::ZERO; 2];
    unroll::<2>(
        #[inline(always)]
        |q| {
            if has(q) {
                let v = (tid + q as u32 * s) as usize;
                gam[q] = unsafe { <T as NormIo>::load(p.gamma, v, lanes, true) };
            }
        },
    );
    // Group `it`'s copies (an empty group past the last row: the count stays uniform).
    let copy = #[inline(always)]
    |it: u32| {
        let row = row0 + it * stride;
        if row < rows {
            let st = smem.offset(it % stages * words);
            unroll::<2>(
                #[inline(always)]
                |q| {
                    if has(q) {
                        let v = tid + q as u32 * s;
                        let e = ((row * nvec + v) as usize) * lanes;
                        let w = dyo + q as u32 * 4 * s;
                        unsafe {
                            cp_async::copy_cg_16(st.offset(w), p.dy.offset(e).addr());
                            cp_async::copy_cg_16(st.offset(w + xo), p.x.offset(e).addr());
                        }
                    }
                },
            );
            if lead {
                unsafe {
                    cp_async::copy_ca::<4, f32>(st.offset(so), p.mean.offset(row as usize).addr());
                    cp_async::copy_ca::<4, f32>(
                        st.offset(so + 1),
                        p.rstd.offset(row as usize).addr(),
                    );
                }
            }
        }
        cp_async::commit_group();
    };
    let mut k = 0;
    while k < AHEAD {
        copy(k);
        k += 1;
    }

    // dγ and dβ partials of the thread's columns: lane `q·LANES + j` of vector `q`.
    let mut acc = [[0.0f32; 8]; 2];
    let mut it = 0u32;
    // Block-uniform: every thread runs the same groups (the team sums may hold a barrier).
    while (thread::block_idx_x() + it * thread::grid_dim_x()) * g < rows {
        copy(it + AHEAD);
        cp_async::wait_group::<AHEAD>();
        let row = row0 + it * stride;
        let live = row < rows;
        let st = smem.offset(it % stages * words);
        let (m, rs) = if live && lead {
            unsafe { (st.load(so), st.load(so + 1)) }
        } else {
            (0.0, 0.0)
        };
        let first = thread::lane_id() & !(w - 1);
        let (m, rs) = (warp::shuffle_idx(m, first), warp::shuffle_idx(rs, first));
        let mut dyv = [T::ZERO; 2];
        let mut xv = [T::ZERO; 2];
        let (mut a, mut b) = (0.0f32, 0.0f32);
        unroll::<2>(
            #[inline(always)]
            |q| {
                if live && has(q) {
                    let w = dyo + q as u32 * 4 * s;
                    unsafe {
                        dyv[q] = T::load_shared(st, w);
                        xv[q] = T::load_shared(st, w + xo);
                    }
                    unroll::<8>(
                        #[inline(always)]
                        |j| {
                            if j < lanes {
                                let gv = T::lane(dyv[q], j) * T::lane(gam[q], j);
                                a += gv;
                                b = crate::gpu::math::fma(gv, (T::lane(xv[q], j) - m) * rs, b);
                            }
                        },
                    );
                }
            },
        );
        // A select, not an index (a runtime index into the array would put it on the stack).
        let pair = if it & 1 == 0 { scratch[0] } else { scratch[1] };
        let (a, b) = team_sums::<0>(a, b, s as usize, pair);
        let a = crate::gpu::norm_reduce::div_full(a, cols as f32);
        let b = crate::gpu::norm_reduce::div_full(b, cols as f32);
        unroll::<2>(
            #[inline(always)]
            |q| {
                if live && has(q) {
                    let mut out = [0.0f32; 8];
                    unroll::<8>(
                        #[inline(always)]
                        |j| {
                            if j < lanes {
                                let d = T::lane(dyv[q], j);
                                let xhat = (T::lane(xv[q], j) - m) * rs;
                                out[j] = rs
                                    * (d * T::lane(gam[q], j) - crate::gpu::math::fma(xhat, b, a));
                                let c = q * lanes + j;
                                acc[0][c] = crate::gpu::math::fma(d, xhat, acc[0][c]);
                                acc[1][c] += d;
                            }
                        },
                    );
                    let e = (row * nvec + tid + q as u32 * s) as usize;
                    unsafe { <T as NormIo>::store(p.dx, e, out, lanes, true) };
                }
            },
        );
        it += 1;
    }

    // The partials into the teams' planes (the stages are free once every copy landed and
    // every thread has read its last one), then added in team order into the workspace row.
    cp_async::wait_all();
    sync_threads();
    let acc_g = smem.offset(team * 2 * cols);
    let acc_b = acc_g.offset(cols);
    unroll::<2>(
        #[inline(always)]
        |q| {
            if has(q) {
                let v = tid + q as u32 * s;
                unroll::<2>(
                    #[inline(always)]
                    |h| {
                        if 4 * h < lanes {
                            let c = q * lanes + 4 * h;
                            let part = |a: &[f32; 8]| {
                                crate::ptr::F32x4([a[c], a[c + 1], a[c + 2], a[c + 3]])
                            };
                            unsafe {
                                acc_g.store_f32x4(plane(h, v, nvec), part(&acc[0]));
                                acc_b.store_f32x4(plane(h, v, nvec), part(&acc[1]));
                            }
                        }
                    },
                );
            }
        },
    );
    sync_threads();
    epilogue(&p, cols, g);
}

/// [`teams_to_workspace`] walking the row's columns rather than the planes' words: thread `t`
/// adds columns `4t .. 4t + 4` (then `+ 4·blockDim`, …) of the `g` teams in team order and
/// stores them as one 128-bit store, so a warp writes 512 consecutive bytes of the workspace
/// row (by plane word, bf16's two planes put a warp's scalar stores 32 bytes apart: four
/// times the sectors, ncu 0a7b8a7: 34% of the kernel's, all in the blocks' last moments).
/// `cols` is a multiple of 4 and the workspace 16-byte aligned.
#[inline(always)]
fn teams_to_workspace_by_columns<T>(p: &LayerNormBackwardParams<T>, cols: u32, g: u32)
where
    T: NormIo + crate::softmax::RowElem,
{
    use crate::softmax::RowElem;
    let vl = <T as RowElem>::VL as u32;
    let smem = crate::gpu::shared::dynamic_shared::<f32>();
    let nvec = cols / vl;
    let row = (thread::block_idx_x() * cols) as usize;
    let (wg, wb) = (p.ws_gamma.offset(row), p.ws_beta.offset(row));
    let mut q = thread::thread_idx_x();
    while q < cols / 4 {
        // Columns `4q ..`: vector `v`, plane `h` of the teams' partials.
        let (v, h) = (4 * q / vl, 4 * q % vl / 4);
        let i = plane(h as usize, v, nvec);
        let (mut sg, mut sb) = (crate::ptr::F32x4([0.0; 4]), crate::ptr::F32x4([0.0; 4]));
        let mut k = 0;
        while k < g {
            let tg = smem.offset(k * 2 * cols);
            let (x, y) = unsafe { (tg.load_f32x4(i), tg.offset(cols).load_f32x4(i)) };
            unroll::<4>(
                #[inline(always)]
                |j| {
                    sg.0[j] += x.0[j];
                    sb.0[j] += y.0[j];
                },
            );
            k += 1;
        }
        unsafe {
            wg.store_f32x4(q as usize, sg);
            wb.store_f32x4(q as usize, sb);
        }
        q += thread::block_dim_x();
    }
}

// ---- Steps 14 and 15: steps 10 and 11 with the partials added across a cluster (sm_90) ----

/// Kernel 2 of steps 14 and 15: [`sum_columns`] launched as a programmatic dependent of
/// kernel 1 (PDL, `Launch::with_programmatic`: launched while kernel 1 runs, so no launch gap),
/// waiting for kernel 1's whole grid and its memory (`griddepcontrol.wait`) before it reads
/// the workspace.
#[cfg(any(not(target_arch = "nvptx64"), target_feature = "sm_90a"))]
#[inline(always)]
pub(crate) fn sum_columns_after<T: NormIo>(
    p: LayerNormBackwardParams<T>,
    red: [SharedPtr<f32>; 2],
) {
    crate::gpu::grid_dep::wait_prerequisites();
    sum_columns::<T>(p, red)
}

/// Blocks per cluster of steps 14 and 15: two, so the device holds every cluster at two
/// 512-thread blocks an SM (in clusters of 4 it held 62 of 66 at 4096 columns, H200, 7af3e7d:
/// 248 blocks of 264, kernel 1 7% slower than step 10's).
pub const SUM_CLUSTER: u32 = 2;

/// Kernel 1 of steps 14 and 15 ([`Grid::Streamed`] with `cluster` = [`SUM_CLUSTER`]): the
/// rows of [`streamed_rows`], block by block as in steps 10–11, but the blocks launched in
/// clusters of [`SUM_CLUSTER`], whose dγ/dβ partials are added together through distributed
/// shared memory before they leave the SMs ([`cluster_teams_to_workspace`]): one workspace row
/// per cluster, half of steps 10–11's (264 → 132 rows at 4096 columns on the H200: 8.7 → 4.3
/// MB written here and read by [`sum_columns`]). Rows it does not hold and misaligned pointers
/// take [`looped_rows_of`] on one block per cluster (the same workspace rows).
#[cfg(any(not(target_arch = "nvptx64"), target_feature = "sm_90a"))]
#[inline(always)]
pub(crate) fn streamed_cluster_rows<T, const AHEAD: u32>(
    p: LayerNormBackwardParams<T>,
    scratch: [[SharedPtr<f32>; 2]; 2],
) where
    T: NormIo + crate::softmax::RowElem,
{
    // Kernel 2 (a programmatic dependent launch) may launch now: its blocks take the SMs as
    // this grid's leave them and wait in `griddepcontrol.wait` for the whole of it.
    crate::gpu::grid_dep::launch_dependents();
    streamed_rows_then::<T, AHEAD>(
        p,
        scratch,
        #[inline(always)]
        |p, scratch| looped_rows_of::<T, 0, SUM_CLUSTER>(p, scratch),
        #[inline(always)]
        |p, cols, g| cluster_teams_to_workspace::<T>(p, cols, g),
    )
}

/// The epilogue of steps 14 and 15: [`teams_to_workspace_by_columns`] over the blocks of a
/// cluster. With several teams a block (`G > 1`, short rows) thread `t` first adds quads
/// `t, t + blockDim, …` of its block's `G` teams in team order into team 0's planes (its own
/// words: no barrier between the reads and the writes). A cluster barrier (release/acquire)
/// makes every block's sums visible to its peers; block `r` then takes the `r`-th part of the
/// row's column quads, adds quad `q` of the blocks' sums in rank order (the same order for
/// every launch) through `ld.shared::cluster.v4.f32`, and stores it to the cluster's workspace
/// row as one 128-bit store; a second cluster barrier keeps every block's shared memory alive
/// until its peers have read it.
#[cfg(any(not(target_arch = "nvptx64"), target_feature = "sm_90a"))]
#[inline(always)]
fn cluster_teams_to_workspace<T>(p: &LayerNormBackwardParams<T>, cols: u32, g: u32)
where
    T: NormIo + crate::softmax::RowElem,
{
    use crate::gpu::cluster;
    use crate::ptr::F32x4;
    use crate::softmax::RowElem;
    let vl = <T as RowElem>::VL as u32;
    let smem = crate::gpu::shared::dynamic_shared::<f32>();
    let nvec = cols / vl;
    let quads = cols / 4;
    let add = #[inline(always)]
    |s: &mut F32x4, x: F32x4| {
        unroll::<4>(
            #[inline(always)]
            |j| s.0[j] += x.0[j],
        )
    };
    // Quad `q`'s index in the planes (vector `v`, plane `h`).
    let at = #[inline(always)]
    |q: u32| plane((4 * q % vl / 4) as usize, 4 * q / vl, nvec);
    if g > 1 {
        let mut q = thread::thread_idx_x();
        while q < quads {
            let i = at(q);
            let (mut sg, mut sb) = unsafe { (smem.load_f32x4(i), smem.offset(cols).load_f32x4(i)) };
            let mut k = 1;
            while k < g {
                let tg = smem.offset(k * 2 * cols);
                unsafe {
                    add(&mut sg, tg.load_f32x4(i));
                    add(&mut sb, tg.offset(cols).load_f32x4(i));
                }
                k += 1;
            }
            unsafe {
                smem.store_f32x4(i, sg);
                smem.offset(cols).store_f32x4(i, sb);
            }
            q += thread::block_dim_x();
        }
    }
    cluster::cluster_sync();
    let row = ((thread::block_idx_x() / SUM_CLUSTER) * cols) as usize;
    let (wg, wb) = (p.ws_gamma.offset(row), p.ws_beta.offset(row));
    let per = quads.div_ceil(SUM_CLUSTER);
    let rank = cluster::cluster_ctarank();
    let end = ((rank + 1) * per).min(quads);
    let mut q = rank * per + thread::thread_idx_x();
    while q < end {
        let i = at(q);
        let (mut sg, mut sb) = (F32x4([0.0; 4]), F32x4([0.0; 4]));
        unroll::<{ SUM_CLUSTER as usize }>(
            #[inline(always)]
            |r| {
                let peer = cluster::map_shared_rank(smem, r as u32);
                unsafe {
                    add(&mut sg, peer.load_f32x4(i));
                    add(&mut sb, peer.offset(cols).load_f32x4(i));
                }
            },
        );
        unsafe {
            wg.store_f32x4(q as usize, sg);
            wb.store_f32x4(q as usize, sb);
        }
        q += thread::block_dim_x();
    }
    cluster::cluster_sync();
}

// ---- Steps 12 and 13: a cluster of CTAs per row (sm_90) ----

/// CTAs per row of steps 12 and 13: a thread-block cluster of 4 along x, each CTA a quarter of
/// the row (8000 of 32000 columns: 64 KiB of f32 dy and x a stage).
pub const CLUSTER: u32 = 4;
/// Row groups steps 12 (f32) and 13 (bf16) copy ahead of the one they reduce.
pub const AHEAD_12: u32 = 2;
pub const AHEAD_13: u32 = 3;

/// The columns each CTA of steps 12 and 13 takes: `⌈cols / CLUSTER⌉` rounded up to whole
/// chunks of 8 (rank `r` columns `r·w .. min(cols, (r + 1)·w)`, the last ranks fewer or none).
pub const fn slice_cols(cols: u32) -> u32 {
    cols.div_ceil(CLUSTER).div_ceil(8) * 8
}

/// Whether steps 12 and 13 hold rows of `cols` columns at `lanes` per vector: whole vectors,
/// slices of at most 8192 columns (rows up to 32768); the kernels also need 16-byte aligned
/// pointers.
pub const fn cluster_fits(cols: u32, lanes: u32) -> bool {
    cols != 0 && cols % lanes == 0 && slice_cols(cols) <= 8 * STREAMED_MAX_TEAM
}

/// The CTA of steps 12 and 13: `(S, log₂S)`, the power of two of threads (at least 32) that
/// holds a slice at 8 columns a thread (one team, `G = 1`). Rows of no columns take 32.
pub const fn cluster_team(cols: u32) -> (u32, u32) {
    let need = slice_cols(cols).div_ceil(8);
    let lg = 32 - (need - 1).leading_zeros();
    // At least a warp (and at least `CLUSTER` threads: thread `j` writes CTA `j`'s slot).
    let lg = if lg < 5 { 5 } else { lg };
    (1 << lg, lg)
}

/// Dynamic shared memory of kernel 1 of steps 12 and 13 (bytes): `stages` stages of one team
/// ([`stage_words`]); 0 for rows they do not hold. 32000 columns: f32 3 × 72 KiB, bf16
/// 4 × 40 KiB.
pub const fn cluster_smem(cols: u32, lanes: u32, stages: u32) -> u32 {
    if !cluster_fits(cols, lanes) {
        return 0;
    }
    stages * stage_words(cluster_team(cols).0, 1, lanes) * 4
}

/// Kernel 1 of steps 12 and 13 ([`Grid::Clustered`]): [`streamed_rows`] with a row split over a
/// cluster of [`CLUSTER`] CTAs (one per SM). Cluster `k` takes rows `k, k + clusters, …`; its
/// CTA of rank `r` owns the slice `r·w ..` ([`slice_cols`]), one team of `S` threads
/// ([`cluster_team`]), thread `tid` the slice's vectors `tid + q·S`, γ and its 16 partials in
/// registers, dy and x streamed into its stages `AHEAD` row groups ahead as in steps 10–11.
/// Per row, after the CTA's sums ([`team_sums`]) thread `j < CLUSTER` stores the pair into
/// slot `r` of CTA `j`'s exchange array (`st.shared::cluster`; two buffers by row parity), the
/// cluster arrives, every thread adds `dy·x̂`, `dy` into its partials (they do not need the
/// sums), waits, and adds the `CLUSTER` pairs in rank order (the same order in every CTA: the
/// same sums), then writes dx. At the end each thread writes its columns of the cluster's
/// workspace row (`slots` = clusters) as 128-bit stores; one cluster barrier before the first
/// row, so no CTA writes a peer that has not started. Nothing of the row is read twice and
/// no CTA holds more than a quarter of it. Rows it does not hold ([`cluster_fits`]) and
/// misaligned pointers take [`looped_rows_of`] on one CTA per cluster.
#[cfg(any(not(target_arch = "nvptx64"), target_feature = "sm_90a"))]
#[inline(always)]
pub(crate) fn cluster_rows<T, const AHEAD: u32>(
    p: LayerNormBackwardParams<T>,
    scratch: [[SharedPtr<f32>; 2]; 2],
    xchg: SharedPtr<f32>,
) where
    T: NormIo + crate::softmax::RowElem,
{
    use crate::gpu::{cluster, cp_async};
    let lanes = <T as NormIo>::LANES;
    let vpc = 8 / lanes;
    let aligned = aligned16(&[p.dy.addr(), p.x.addr(), p.gamma.addr(), p.dx.addr()]);
    if !(aligned && cluster_fits(p.cols, lanes as u32)) {
        return looped_rows_of::<T, 0, CLUSTER>(p, scratch);
    }
    let stages = AHEAD + 1;
    let smem = crate::gpu::shared::dynamic_shared::<f32>();
    let (cols, rows) = (p.cols, p.rows);
    let (s, _) = cluster_team(cols);
    let rank = cluster::cluster_ctarank();
    let w = slice_cols(cols);
    let first = rank * w;
    // This CTA's vectors of a row (0 for ranks past the row's end) and their first's index.
    let mine = if first < cols {
        (if cols - first < w { cols - first } else { w }) / lanes as u32
    } else {
        0
    };
    let at = first / lanes as u32;
    let t = thread::thread_idx_x();
    let tid = t;
    let nvec = cols / lanes as u32;
    let words = stage_words(s, 1, lanes as u32);
    let dyo = 4 * tid;
    let xo = s * vpc as u32 * 4;
    let so = words - 2 * s + 2 * t;
    let cl = thread::block_idx_x() / CLUSTER;
    let stride = thread::grid_dim_x() / CLUSTER;
    let has = |q: usize| q < vpc && tid + q as u32 * s < mine;
    let lw = if s < 32 { s } else { 32 };
    let lead = t & (lw - 1) == 0;
    let mut gam = [T::ZERO; 2];
    unroll::<2>(
        #[inline(always)]
        |q| {
            if has(q) {
                let v = (at + tid + q as u32 * s) as usize;
                gam[q] = unsafe { <T as NormIo>::load(p.gamma, v, lanes, true) };
            }
        },
    );
    let copy = #[inline(always)]
    |it: u32| {
        let row = cl + it * stride;
        if row < rows {
            let st = smem.offset(it % stages * words);
            unroll::<2>(
                #[inline(always)]
                |q| {
                    if has(q) {
                        let e = ((row * nvec + at + tid + q as u32 * s) as usize) * lanes;
                        let w = dyo + q as u32 * 4 * s;
                        unsafe {
                            cp_async::copy_cg_16(st.offset(w), p.dy.offset(e).addr());
                            cp_async::copy_cg_16(st.offset(w + xo), p.x.offset(e).addr());
                        }
                    }
                },
            );
            if lead {
                unsafe {
                    cp_async::copy_ca::<4, f32>(st.offset(so), p.mean.offset(row as usize).addr());
                    cp_async::copy_ca::<4, f32>(
                        st.offset(so + 1),
                        p.rstd.offset(row as usize).addr(),
                    );
                }
            }
        }
        cp_async::commit_group();
    };
    let mut k = 0;
    while k < AHEAD {
        copy(k);
        k += 1;
    }
    // Every CTA of the cluster has started before any writes a peer's exchange buffer (a
    // CTA's shared memory exists only once it runs: compute-sanitizer's racecheck flagged the
    // first row's DSMEM stores without this).
    cluster::cluster_arrive_relaxed();
    cluster::cluster_wait();
    let mut acc = [[0.0f32; 8]; 2];
    let mut it = 0u32;
    // Cluster-uniform: every thread of every CTA runs the same rows (barriers inside).
    while cl + it * stride < rows {
        copy(it + AHEAD);
        cp_async::wait_group::<AHEAD>();
        let row = cl + it * stride;
        let st = smem.offset(it % stages * words);
        let (m, rs) = if lead {
            unsafe { (st.load(so), st.load(so + 1)) }
        } else {
            (0.0, 0.0)
        };
        let src = thread::lane_id() & !(lw - 1);
        let (m, rs) = (warp::shuffle_idx(m, src), warp::shuffle_idx(rs, src));
        let mut dyv = [T::ZERO; 2];
        let mut xv = [T::ZERO; 2];
        let (mut a, mut b) = (0.0f32, 0.0f32);
        unroll::<2>(
            #[inline(always)]
            |q| {
                if has(q) {
                    let w = dyo + q as u32 * 4 * s;
                    unsafe {
                        dyv[q] = T::load_shared(st, w);
                        xv[q] = T::load_shared(st, w + xo);
                    }
                    unroll::<8>(
                        #[inline(always)]
                        |j| {
                            if j < lanes {
                                let gv = T::lane(dyv[q], j) * T::lane(gam[q], j);
                                a += gv;
                                b = crate::gpu::math::fma(gv, (T::lane(xv[q], j) - m) * rs, b);
                            }
                        },
                    );
                }
            },
        );
        let pair = if it & 1 == 0 { scratch[0] } else { scratch[1] };
        let (a, b) = team_sums::<0>(a, b, s as usize, pair);
        // The CTA's pair into slot `rank` of every CTA's exchange buffer of this parity.
        let buf = (it & 1) * 2 * CLUSTER;
        if t < CLUSTER {
            unsafe {
                let peer = cluster::map_shared_rank(xchg, t);
                peer.store(buf + 2 * rank, a);
                peer.store(buf + 2 * rank + 1, b);
            }
        }
        cluster::cluster_arrive();
        // The partials need no row sums: added while the cluster's pairs arrive.
        unroll::<2>(
            #[inline(always)]
            |q| {
                if has(q) {
                    unroll::<8>(
                        #[inline(always)]
                        |j| {
                            if j < lanes {
                                let d = T::lane(dyv[q], j);
                                let xhat = (T::lane(xv[q], j) - m) * rs;
                                let c = q * lanes + j;
                                acc[0][c] = crate::gpu::math::fma(d, xhat, acc[0][c]);
                                acc[1][c] += d;
                            }
                        },
                    );
                }
            },
        );
        cluster::cluster_wait();
        let (mut a, mut b) = (0.0f32, 0.0f32);
        unroll::<8>(
            #[inline(always)]
            |j| {
                if (j as u32) < CLUSTER {
                    unsafe {
                        a += xchg.load(buf + 2 * j as u32);
                        b += xchg.load(buf + 2 * j as u32 + 1);
                    }
                }
            },
        );
        let a = crate::gpu::norm_reduce::div_full(a, cols as f32);
        let b = crate::gpu::norm_reduce::div_full(b, cols as f32);
        unroll::<2>(
            #[inline(always)]
            |q| {
                if has(q) {
                    let mut out = [0.0f32; 8];
                    unroll::<8>(
                        #[inline(always)]
                        |j| {
                            if j < lanes {
                                let d = T::lane(dyv[q], j);
                                let xhat = (T::lane(xv[q], j) - m) * rs;
                                out[j] = rs
                                    * (d * T::lane(gam[q], j) - crate::gpu::math::fma(xhat, b, a));
                            }
                        },
                    );
                    let e = (row * nvec + at + tid + q as u32 * s) as usize;
                    unsafe { <T as NormIo>::store(p.dx, e, out, lanes, true) };
                }
            },
        );
        it += 1;
    }
    // The thread's columns of the cluster's workspace row, as 128-bit stores.
    let base = (cl * cols) as usize;
    let (wg, wb) = (p.ws_gamma.offset(base), p.ws_beta.offset(base));
    unroll::<2>(
        #[inline(always)]
        |q| {
            if has(q) {
                let c0 = ((at + tid + q as u32 * s) as usize) * lanes;
                unroll::<2>(
                    #[inline(always)]
                    |h| {
                        if 4 * h < lanes {
                            let c = q * lanes + 4 * h;
                            let part = |a: &[f32; 8]| {
                                crate::ptr::F32x4([a[c], a[c + 1], a[c + 2], a[c + 3]])
                            };
                            unsafe {
                                wg.store_f32x4(c0 / 4 + h, part(&acc[0]));
                                wb.store_f32x4(c0 / 4 + h, part(&acc[1]));
                            }
                        }
                    },
                );
            }
        },
    );
}
