//! Device helpers shared by the bf16 GEMM steps: edge-safe loads of `A`/`B` elements and
//! 16-byte chunks, shared-memory tile layouts (plain or 128-byte swizzled), tile copies
//! (registers or `cp.async`), warp fragment loads with `ldmatrix`, the warp's mma sweep and the
//! `α·acc + β·C` epilogue.

use super::GemmBf16Params;
use crate::gpu::cp_async;
use crate::gpu::ldmatrix::{load_a_x4, load_b_x4_trans};
use crate::gpu::mma::{FragA, FragB, FragC};
use crate::gpu::shared::SharedPtr;
use crate::gpu::unroll::unroll;
use crate::half::{Bf16, Bf16x2, Bf16x8};
use crate::ptr::GlobalPtr;
use crate::swizzle::swizzle_128b;

/// Whether rows of `A` (stride `k` bf16) can be copied as 16-byte chunks: `k % 8 == 0` and a
/// 16-byte aligned base.
#[inline(always)]
pub fn a_vec_ok(p: &GemmBf16Params) -> bool {
    p.k % 8 == 0 && p.a.addr() % 16 == 0
}

/// Whether rows of `B` (stride `n` bf16) can be copied as 16-byte chunks.
#[inline(always)]
pub fn b_vec_ok(p: &GemmBf16Params) -> bool {
    p.n % 8 == 0 && p.b.addr() % 16 == 0
}

/// Whether pairs of `C` (stride `n` f32) can be read and written with 64-bit accesses.
#[inline(always)]
pub fn c_vec2_ok(p: &GemmBf16Params) -> bool {
    p.n % 2 == 0 && p.c.addr() % 8 == 0
}

/// The bits of element `(r, c)` of a `rows × cols` row-major bf16 matrix, 0 outside it.
#[inline(always)]
pub unsafe fn bits(x: GlobalPtr<Bf16>, rows: u32, cols: u32, r: u32, c: u32) -> u32 {
    if r < rows && c < cols {
        unsafe { x.load(r as usize * cols as usize + c as usize) }.to_bits() as u32
    } else {
        0
    }
}

/// Elements `(r, c)` and `(r, c + 1)` as one register (low half first), 0 outside.
#[inline(always)]
pub unsafe fn pair_along_row(x: GlobalPtr<Bf16>, rows: u32, cols: u32, r: u32, c: u32) -> u32 {
    unsafe { bits(x, rows, cols, r, c) | bits(x, rows, cols, r, c + 1) << 16 }
}

/// Elements `(r, c)` and `(r + 1, c)` as one register (low half first), 0 outside.
#[inline(always)]
pub unsafe fn pair_along_col(x: GlobalPtr<Bf16>, rows: u32, cols: u32, r: u32, c: u32) -> u32 {
    unsafe { bits(x, rows, cols, r, c) | bits(x, rows, cols, r + 1, c) << 16 }
}

/// Elements `(r, c .. c + 8)` (`c % 8 == 0`) of a `rows × cols` row-major bf16 matrix, zero
/// outside: one `ld.global.nc.v4.b32` when `vec` (`cols % 8 == 0`, aligned base) and the row is
/// inside, else eight guarded 16-bit loads.
#[inline(always)]
pub unsafe fn load_chunk(
    x: GlobalPtr<Bf16>,
    rows: u32,
    cols: u32,
    vec: bool,
    r: u32,
    c: u32,
) -> Bf16x8 {
    if vec {
        if r < rows && c < cols {
            unsafe { x.load_bf16x8((r as usize * cols as usize + c as usize) / 8) }
        } else {
            Bf16x8::default()
        }
    } else {
        let mut v = [Bf16x2::default(); 4];
        unroll::<4>(
            #[inline(always)]
            |j| {
                let c = c + 2 * j as u32;
                v[j] = Bf16x2::from_bits(unsafe { pair_along_row(x, rows, cols, r, c) });
            },
        );
        Bf16x8(v)
    }
}

/// Byte offset of 16-byte chunk `chunk` of row `row` in a shared tile with `ROW_BYTES`-long
/// rows: 128-byte XOR swizzled when `SWZ` (`crate::swizzle`), plain row-major otherwise.
#[inline(always)]
pub const fn chunk_offset<const ROW_BYTES: u32, const SWZ: bool>(row: u32, chunk: u32) -> u32 {
    if SWZ {
        swizzle_128b(row, chunk, ROW_BYTES)
    } else {
        row * ROW_BYTES + 16 * chunk
    }
}

/// Byte offset of bf16 element `(row, col)` in such a tile (`col % 8` kept within its chunk).
#[inline(always)]
pub const fn elem_offset<const ROW_BYTES: u32, const SWZ: bool>(row: u32, col: u32) -> u32 {
    chunk_offset::<ROW_BYTES, SWZ>(row, col / 8) + 2 * (col % 8)
}

/// The `(row, col)` of chunk `j` of thread `tid` when `THREADS` threads copy a tile `COLS`
/// elements wide: chunk `q = tid + THREADS·j`, row `q / (COLS/8)`, column `8·(q % (COLS/8))`
/// (a warp reads consecutive chunks of a row: coalesced).
#[inline(always)]
pub const fn chunk_of_thread<const COLS: u32, const THREADS: u32>(tid: u32, j: u32) -> (u32, u32) {
    let q = tid + THREADS * j;
    let per_row = COLS / 8;
    (q / per_row, 8 * (q % per_row))
}

/// Loads this thread's `N` chunks of the `ROWS×COLS` tile at `(row0, col0)` of `x` (a
/// `rows × cols` row-major matrix) into registers, zero outside ([`load_chunk`]).
#[inline(always)]
pub unsafe fn load_tile_regs<const COLS: u32, const THREADS: u32, const N: usize>(
    x: GlobalPtr<Bf16>,
    (rows, cols): (u32, u32),
    vec: bool,
    (row0, col0): (u32, u32),
    tid: u32,
    regs: &mut [Bf16x8; N],
) {
    unroll::<N>(
        #[inline(always)]
        |j| {
            let (r, c) = chunk_of_thread::<COLS, THREADS>(tid, j as u32);
            regs[j] = unsafe { load_chunk(x, rows, cols, vec, row0 + r, col0 + c) };
        },
    );
}

/// Stores chunks loaded by [`load_tile_regs`] into the shared tile at `base` (one
/// `st.shared.v4.b32` each).
#[inline(always)]
pub unsafe fn store_tile_regs<
    const COLS: u32,
    const ROW_BYTES: u32,
    const SWZ: bool,
    const THREADS: u32,
    const N: usize,
>(
    base: u32,
    tid: u32,
    regs: &[Bf16x8; N],
) {
    unroll::<N>(
        #[inline(always)]
        |j| {
            let (r, c) = chunk_of_thread::<COLS, THREADS>(tid, j as u32);
            let dst = SharedPtr::<Bf16>::from_addr(base + chunk_offset::<ROW_BYTES, SWZ>(r, c / 8));
            unsafe { dst.store_bf16x8(0, regs[j]) };
        },
    );
}

/// Starts copying this thread's `N` chunks of the `ROWS×COLS` tile at `(row0, col0)` of `x`
/// into the shared tile at `base` (chunk `(r, c)` at `base + chunk_offset::<ROW_BYTES, SWZ>(r,
/// c)`): see [`copy_tile_async_to`].
#[inline(always)]
pub unsafe fn copy_tile_async<
    const COLS: u32,
    const ROW_BYTES: u32,
    const SWZ: bool,
    const THREADS: u32,
    const N: usize,
>(
    x: GlobalPtr<Bf16>,
    dims: (u32, u32),
    vec: bool,
    origin: (u32, u32),
    base: u32,
    tid: u32,
) {
    unsafe {
        copy_tile_async_to::<COLS, THREADS, N>(x, dims, vec, origin, tid, |r, ch| {
            base + chunk_offset::<ROW_BYTES, SWZ>(r, ch)
        })
    }
}

/// Starts copying this thread's `N` chunks of the `ROWS×COLS` tile at `(row0, col0)` of `x` (a
/// `rows × cols` row-major matrix) into shared memory, chunk `ch` of tile row `r` to the
/// shared address `dst(r, ch)`: `cp.async.cg` 16 bytes each, zero-filled outside the matrix
/// (the source is then the matrix's base, and nothing is read), when `vec`; otherwise (rows not
/// 16-byte aligned) per chunk eight guarded 16-bit loads and one `st.shared.v4`, synchronous.
/// The caller commits the group.
#[inline(always)]
pub unsafe fn copy_tile_async_to<const COLS: u32, const THREADS: u32, const N: usize>(
    x: GlobalPtr<Bf16>,
    (rows, cols): (u32, u32),
    vec: bool,
    (row0, col0): (u32, u32),
    tid: u32,
    dst: impl Fn(u32, u32) -> u32,
) {
    // One uniform test, outside the chunks: each path is a straight run of copies.
    if vec {
        unroll::<N>(
            #[inline(always)]
            |j| {
                let (r, c) = chunk_of_thread::<COLS, THREADS>(tid, j as u32);
                let (gr, gc) = (row0 + r, col0 + c);
                let to = SharedPtr::<Bf16>::from_addr(dst(r, c / 8));
                // `cols % 8 == 0` here: a chunk is wholly inside or wholly outside.
                let inside = gr < rows && gc < cols;
                let src = if inside {
                    x.offset(gr as usize * cols as usize + gc as usize).addr()
                } else {
                    x.addr()
                };
                unsafe { cp_async::copy_cg_16_zfill(to, src, if inside { 16 } else { 0 }) };
            },
        );
    } else {
        unroll::<N>(
            #[inline(always)]
            |j| {
                let (r, c) = chunk_of_thread::<COLS, THREADS>(tid, j as u32);
                let to = SharedPtr::<Bf16>::from_addr(dst(r, c / 8));
                let v = unsafe { load_chunk(x, rows, cols, false, row0 + r, col0 + c) };
                unsafe { to.store_bf16x8(0, v) };
            },
        );
    }
}

/// The warp's `MI` A fragments (m16 tiles at rows `wm + 16i`) of k-step `ks` (columns
/// `16·ks ..`) from the shared `A` tile at `base`: one `ldmatrix.x4` each.
#[inline(always)]
pub unsafe fn load_a_frags<const ROW_BYTES: u32, const SWZ: bool, const MI: usize>(
    base: u32,
    lane: u32,
    wm: u32,
    ks: u32,
    out: &mut [FragA<Bf16>; MI],
) {
    unroll::<MI>(
        #[inline(always)]
        |i| {
            out[i] = unsafe {
                load_a_x4(lane, |r, c| {
                    base + elem_offset::<ROW_BYTES, SWZ>(wm + 16 * i as u32 + r, 16 * ks + c)
                })
            };
        },
    );
}

/// The warp's `NI` B fragments (n8 tiles at columns `wn + 8j`) of k-step `ks` (rows
/// `16·ks ..`) from the shared row-major `B` tile at `base`: one `ldmatrix.x4.trans` per pair.
#[inline(always)]
pub unsafe fn load_b_frags<const ROW_BYTES: u32, const SWZ: bool, const NI: usize>(
    base: u32,
    lane: u32,
    wn: u32,
    ks: u32,
    out: &mut [FragB<Bf16>; NI],
) {
    unroll::<NI>(
        #[inline(always)]
        |j| {
            if j % 2 == 0 {
                let (b0, b1) = unsafe {
                    load_b_x4_trans(lane, |k, n| {
                        base + elem_offset::<ROW_BYTES, SWZ>(16 * ks + k, wn + 8 * j as u32 + n)
                    })
                };
                out[j] = b0;
                out[j + 1] = b1;
            }
        },
    );
}

/// `acc[i][j] += a[i]·b[j]` for the warp's `MI × NI` mma tiles.
#[inline(always)]
pub fn mma_sweep<const MI: usize, const NI: usize>(
    acc: &mut [[FragC; NI]; MI],
    a: &[FragA<Bf16>; MI],
    b: &[FragB<Bf16>; NI],
) {
    unroll::<MI>(
        #[inline(always)]
        |i| {
            unroll::<NI>(
                #[inline(always)]
                |j| acc[i][j].mma(&a[i], &b[j]),
            )
        },
    );
}

/// `C[row, col .. col + 2] = α·v + β·C[...]`, the part inside `C`: one 64-bit load/store when
/// `vec2` and both are inside, guarded scalar accesses otherwise (`C` is not read when `β = 0`).
#[inline(always)]
pub unsafe fn store_pair(p: &GemmBf16Params, vec2: bool, row: u32, col: u32, v: [f32; 2]) {
    if row >= p.m || col >= p.n {
        return;
    }
    let i = row as usize * p.n as usize + col as usize;
    let mut out = [p.alpha * v[0], p.alpha * v[1]];
    if vec2 && col + 2 <= p.n {
        if p.beta != 0.0 {
            let old = unsafe { p.c.load_f32x2(i / 2) };
            out = [
                crate::gpu::math::fma(p.beta, old[0], out[0]),
                crate::gpu::math::fma(p.beta, old[1], out[1]),
            ];
        }
        unsafe { p.c.store_f32x2(i / 2, out) };
    } else {
        let inside = [true, col + 1 < p.n];
        unroll::<2>(
            #[inline(always)]
            |e| {
                if inside[e] {
                    let mut x = out[e];
                    if p.beta != 0.0 {
                        x = crate::gpu::math::fma(p.beta, unsafe { p.c.load(i + e) }, x);
                    }
                    unsafe { p.c.store(i + e, x) };
                }
            },
        );
    }
}

/// Writes the warp's `MI × NI` accumulator tiles (m16 tile `i` at row `row0 + 16i`, n8 tile
/// `j` at column `col0 + 8j`) as `α·acc + β·C`, guarded. Lane `g = lane/4`, `t = lane%4`
/// holds rows `g`, `g + 8`, columns `2t`, `2t + 1` of each tile (`FragC`): two pairs.
#[inline(always)]
pub unsafe fn epilogue<const MI: usize, const NI: usize>(
    p: &GemmBf16Params,
    acc: &[[FragC; NI]; MI],
    (row0, col0): (u32, u32),
    lane: u32,
) {
    let vec2 = c_vec2_ok(p);
    let (r, c) = FragC::coords(lane, 0);
    unroll::<MI>(
        #[inline(always)]
        |i| {
            unroll::<NI>(
                #[inline(always)]
                |j| {
                    let (row, col) = (row0 + 16 * i as u32 + r, col0 + 8 * j as u32 + c);
                    let f = acc[i][j].0;
                    unsafe {
                        store_pair(p, vec2, row, col, [f[0], f[1]]);
                        store_pair(p, vec2, row + 8, col, [f[2], f[3]]);
                    }
                },
            )
        },
    );
}
