//! Device helpers shared by the GEMM steps: edge-safe tile loads and the `α·acc + β·C`
//! epilogue. Loads zero-fill outside the matrix, so the inner product never branches;
//! 128-bit accesses only where the row stride and the base allow them.

use super::GemmParams;
use crate::gpu::F32x4;
use crate::gpu::math::fma;
use crate::ptr::GlobalPtr;

/// Whether rows of `A` (stride `k`) can be read with 128-bit loads: `k % 4 == 0` and a
/// 16-byte aligned base.
#[inline(always)]
pub fn a_vec_ok(p: &GemmParams) -> bool {
    p.k % 4 == 0 && p.a.addr() % 16 == 0
}

/// Whether rows of `B` (stride `n`) can be read with 128-bit loads.
#[inline(always)]
pub fn b_vec_ok(p: &GemmParams) -> bool {
    p.n % 4 == 0 && p.b.addr() % 16 == 0
}

/// Whether rows of `C` (stride `n`) can be read and written with 128-bit accesses.
#[inline(always)]
pub fn c_vec_ok(p: &GemmParams) -> bool {
    p.n % 4 == 0 && p.c.addr() % 16 == 0
}

/// Element `(row, col)` of a `rows × cols` row-major matrix, or 0 outside it.
#[inline(always)]
pub unsafe fn load1(x: GlobalPtr<f32>, rows: u32, cols: u32, row: u32, col: u32) -> f32 {
    if row < rows && col < cols {
        unsafe { x.load(row as usize * cols as usize + col as usize) }
    } else {
        0.0
    }
}

/// Elements `(row, col .. col + 4)` of a `rows × cols` row-major matrix, 0 outside it. One
/// `ld.global.nc.v4.f32` when `vec` (stride and base allow it: `col % 4 == 0` is the caller's)
/// and the chunk is inside; four guarded scalar loads otherwise.
#[inline(always)]
pub unsafe fn load4(
    x: GlobalPtr<f32>,
    rows: u32,
    cols: u32,
    vec: bool,
    row: u32,
    col: u32,
) -> F32x4 {
    if vec && row < rows && col + 4 <= cols {
        unsafe { x.load_f32x4((row as usize * cols as usize + col as usize) / 4) }
    } else {
        let mut v = [0.0f32; 4];
        if row < rows {
            let base = row as usize * cols as usize + col as usize;
            for (j, e) in v.iter_mut().enumerate() {
                if col + (j as u32) < cols {
                    *e = unsafe { x.load(base + j) };
                }
            }
        }
        F32x4(v)
    }
}

/// `C[row, col] = α·acc + β·C[row, col]` if inside `C` (`C` is not read when `β = 0`).
#[inline(always)]
pub unsafe fn store1(p: &GemmParams, row: u32, col: u32, acc: f32) {
    if row < p.m && col < p.n {
        let i = row as usize * p.n as usize + col as usize;
        let mut v = p.alpha * acc;
        if p.beta != 0.0 {
            v = fma(p.beta, unsafe { p.c.load(i) }, v);
        }
        unsafe { p.c.store(i, v) };
    }
}

/// `C[row, col .. col + 4] = α·acc + β·C[...]`, the part inside `C`: one 128-bit load and
/// store when `vec` (`n % 4 == 0`, aligned base; `col % 4 == 0` is the caller's) and the row
/// is inside, guarded scalar accesses otherwise.
#[inline(always)]
pub unsafe fn store4(p: &GemmParams, vec: bool, row: u32, col: u32, acc: [f32; 4]) {
    if row >= p.m {
        return;
    }
    if vec && col + 4 <= p.n {
        let i4 = (row as usize * p.n as usize + col as usize) / 4;
        let mut v = [0.0f32; 4];
        for j in 0..4 {
            v[j] = p.alpha * acc[j];
        }
        if p.beta != 0.0 {
            let old = unsafe { p.c.load_f32x4(i4) };
            for j in 0..4 {
                v[j] = fma(p.beta, old.0[j], v[j]);
            }
        }
        unsafe { p.c.store_f32x4(i4, F32x4(v)) };
    } else {
        for (j, &a) in acc.iter().enumerate() {
            unsafe { store1(p, row, col + j as u32, a) };
        }
    }
}
