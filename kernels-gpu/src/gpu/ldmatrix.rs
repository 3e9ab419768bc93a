//! `ldmatrix`: a warp loads one, two or four 8×8 matrices of 16-bit elements from shared
//! memory straight into the register layout of the mma fragments ([`super::mma`]), optionally
//! transposed (sm_75 and later).
//!
//! | call | PTX | SASS |
//! | --- | --- | --- |
//! | `ldmatrix_x1(addr)` | `ldmatrix.sync.aligned.m8n8.x1.shared.b16` | `LDSM.16.M88` |
//! | `ldmatrix_x2(addr)` | `ldmatrix.sync.aligned.m8n8.x2.shared.b16` | `LDSM.16.M88.2` |
//! | `ldmatrix_x4(addr)` | `ldmatrix.sync.aligned.m8n8.x4.shared.b16` | `LDSM.16.M88.4` |
//! | `ldmatrix_x1_trans(addr)` | `ldmatrix.sync.aligned.m8n8.x1.trans.shared.b16` | `LDSM.16.MT88` |
//! | `ldmatrix_x2_trans(addr)` | `ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16` | `LDSM.16.MT88.2` |
//! | `ldmatrix_x4_trans(addr)` | `ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16` | `LDSM.16.MT88.4` |
//! | `load_a_x4(tile)` / `load_b_x2_trans(tile)` / `load_b_x4_trans(tile)` | the above, with each lane's row address | as above |
//!
//! **Semantics** (PTX ISA, "Warp-level matrix load instruction: ldmatrix"). Each lane passes one
//! 32-bit shared-window address: lanes `8i .. 8i+8` give the addresses of the eight rows of
//! matrix `i` (each row 16 contiguous bytes, 16-byte aligned); for `.x1` only lanes 0–7 and for
//! `.x2` only lanes 0–15 are read (the others' addresses are ignored). Register `i` of lane `l`
//! then receives two elements of matrix `i` (`M[r][c]`: element `c` of the row lane `8i + r`
//! pointed at), low half first:
//!
//! ```text
//! plain:   r[i] = { M_i[l/4][2(l%4)],  M_i[l/4][2(l%4)+1] }
//! .trans:  r[i] = { M_i[2(l%4)][l/4],  M_i[2(l%4)+1][l/4] }
//! ```
//!
//! which is exactly an mma A fragment (`x4`: matrices = the 16×16 tile's quarters, top-left,
//! bottom-left, top-right, bottom-right) and, with `.trans` from a row-major `K×N` tile, an
//! mma B fragment (`x2`: `k` 0–7 then 8–15 of eight columns; `x4`: two B fragments, columns
//! 0–7 then 8–15). [`load_a_x4`], [`load_b_x2_trans`] and [`load_b_x4_trans`] compute each
//! lane's row address for those cases: lane `l` points at row `l % 16`, column `8·(l / 16)`.
//!
//! **Convergence.** Warp-collective: the asm is `readonly, nostack`, never `pure`
//! ([`super::mma`]'s module docs say why). Call it where the whole warp does.

use super::mma::{FragA, FragB};
use core::arch::asm;

/// `ldmatrix.sync.aligned.m8n8.x1[.trans].shared.b16`: one 8×8 matrix, rows from lanes 0–7.
macro_rules! ldsm {
    ($name:ident, $ptx:literal, 1) => {
        #[doc = concat!("`", $ptx, "`: one 8×8 matrix (row addresses from lanes 0–7).")]
        #[inline(always)]
        pub unsafe fn $name(addr: u32) -> [u32; 1] {
            let r0: u32;
            // SAFETY: the caller's: every lane's address is a 16-byte aligned shared row.
            unsafe {
                asm!(concat!($ptx, " {{{r0}}}, [{a}];"), r0 = out(reg32) r0, a = in(reg32) addr,
                    options(readonly, nostack))
            };
            [r0]
        }
    };
    ($name:ident, $ptx:literal, 2) => {
        #[doc = concat!("`", $ptx, "`: two 8×8 matrices (row addresses from lanes 0–15).")]
        #[inline(always)]
        pub unsafe fn $name(addr: u32) -> [u32; 2] {
            let (r0, r1): (u32, u32);
            // SAFETY: as above.
            unsafe {
                asm!(concat!($ptx, " {{{r0}, {r1}}}, [{a}];"), r0 = out(reg32) r0, r1 = out(reg32) r1,
                    a = in(reg32) addr, options(readonly, nostack))
            };
            [r0, r1]
        }
    };
    ($name:ident, $ptx:literal, 4) => {
        #[doc = concat!("`", $ptx, "`: four 8×8 matrices (row addresses from all 32 lanes).")]
        #[inline(always)]
        pub unsafe fn $name(addr: u32) -> [u32; 4] {
            let (r0, r1, r2, r3): (u32, u32, u32, u32);
            // SAFETY: as above.
            unsafe {
                asm!(concat!($ptx, " {{{r0}, {r1}, {r2}, {r3}}}, [{a}];"),
                    r0 = out(reg32) r0, r1 = out(reg32) r1, r2 = out(reg32) r2, r3 = out(reg32) r3,
                    a = in(reg32) addr, options(readonly, nostack))
            };
            [r0, r1, r2, r3]
        }
    };
}

ldsm!(ldmatrix_x1, "ldmatrix.sync.aligned.m8n8.x1.shared.b16", 1);
ldsm!(ldmatrix_x2, "ldmatrix.sync.aligned.m8n8.x2.shared.b16", 2);
ldsm!(ldmatrix_x4, "ldmatrix.sync.aligned.m8n8.x4.shared.b16", 4);
ldsm!(
    ldmatrix_x1_trans,
    "ldmatrix.sync.aligned.m8n8.x1.trans.shared.b16",
    1
);
ldsm!(
    ldmatrix_x2_trans,
    "ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16",
    2
);
ldsm!(
    ldmatrix_x4_trans,
    "ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16",
    4
);

/// The row lane `lane` points at when a warp loads a 16×16 tile as four 8×8 matrices in
/// fragment order: `(row, col) = (lane % 16, 8·(lane / 16))` (for `x2`, lanes 0–15: rows 0–15
/// of column 0).
#[inline(always)]
pub const fn x4_row_of_lane(lane: u32) -> (u32, u32) {
    (lane % 16, 8 * (lane / 16))
}

/// An mma A fragment (16×16, 16-bit elements) from a row-major tile in shared memory:
/// `addr_of(row, col)` is the shared address of element `(row, col)` of the 16×16 tile (so any
/// row stride or swizzle works; each 8-element row piece must be 16 contiguous, 16-byte aligned
/// bytes). One `ldmatrix.x4`.
#[inline(always)]
pub unsafe fn load_a_x4<T>(lane: u32, addr_of: impl Fn(u32, u32) -> u32) -> FragA<T> {
    let (r, c) = x4_row_of_lane(lane);
    FragA::from_regs(unsafe { ldmatrix_x4(addr_of(r, c)) })
}

/// An mma B fragment (16×8, `K × N`) from a row-major `K × N` tile in shared memory
/// (`addr_of(k, n)`: the address of element `(k, n)` of the 16×8 tile): one `ldmatrix.x2.trans`.
#[inline(always)]
pub unsafe fn load_b_x2_trans<T>(lane: u32, addr_of: impl Fn(u32, u32) -> u32) -> FragB<T> {
    let (k, _) = x4_row_of_lane(lane);
    FragB::from_regs(unsafe { ldmatrix_x2_trans(addr_of(k, 0)) })
}

/// Two mma B fragments, columns 0–7 and 8–15 of a row-major `K × N` 16×16 tile in shared
/// memory (`addr_of(k, n)`): one `ldmatrix.x4.trans`.
#[inline(always)]
pub unsafe fn load_b_x4_trans<T>(
    lane: u32,
    addr_of: impl Fn(u32, u32) -> u32,
) -> (FragB<T>, FragB<T>) {
    let (k, n) = x4_row_of_lane(lane);
    let [r0, r1, r2, r3] = unsafe { ldmatrix_x4_trans(addr_of(k, n)) };
    (FragB::from_regs([r0, r1]), FragB::from_regs([r2, r3]))
}
