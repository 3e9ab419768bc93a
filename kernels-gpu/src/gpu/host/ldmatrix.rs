//! Host twin of `gpu/ldmatrix.rs`: `ldmatrix` is not emulated (`not emulated: ldmatrix.x4
//! (tensor cores)`); the lane-to-row helpers are the same code.

use super::mma::{FragA, FragB};

/// `ldmatrix.sync.aligned.m8n8`: a warp collective over shared memory, not emulated.
macro_rules! ldsm {
    ($name:ident, $n:literal, $what:literal) => {
        #[doc = concat!("`", $what, "`: not emulated (stops the launch).")]
        #[inline]
        #[track_caller]
        pub unsafe fn $name(_addr: u32) -> [u32; $n] {
            crate::emu::not_emulated(concat!($what, " (tensor cores)"))
        }
    };
}

ldsm!(ldmatrix_x1, 1, "ldmatrix.x1");
ldsm!(ldmatrix_x2, 2, "ldmatrix.x2");
ldsm!(ldmatrix_x4, 4, "ldmatrix.x4");
ldsm!(ldmatrix_x1_trans, 1, "ldmatrix.x1.trans");
ldsm!(ldmatrix_x2_trans, 2, "ldmatrix.x2.trans");
ldsm!(ldmatrix_x4_trans, 4, "ldmatrix.x4.trans");

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
#[inline]
#[track_caller]
pub unsafe fn load_a_x4<T>(lane: u32, addr_of: impl Fn(u32, u32) -> u32) -> FragA<T> {
    let (r, c) = x4_row_of_lane(lane);
    FragA::from_regs(unsafe { ldmatrix_x4(addr_of(r, c)) })
}

/// An mma B fragment (16×8, `K × N`) from a row-major `K × N` tile in shared memory
/// (`addr_of(k, n)`: the address of element `(k, n)` of the 16×8 tile): one `ldmatrix.x2.trans`.
#[inline]
#[track_caller]
pub unsafe fn load_b_x2_trans<T>(lane: u32, addr_of: impl Fn(u32, u32) -> u32) -> FragB<T> {
    let (k, _) = x4_row_of_lane(lane);
    FragB::from_regs(unsafe { ldmatrix_x2_trans(addr_of(k, 0)) })
}

/// Two mma B fragments, columns 0–7 and 8–15 of a row-major `K × N` 16×16 tile in shared
/// memory (`addr_of(k, n)`): one `ldmatrix.x4.trans`.
#[inline]
#[track_caller]
pub unsafe fn load_b_x4_trans<T>(
    lane: u32,
    addr_of: impl Fn(u32, u32) -> u32,
) -> (FragB<T>, FragB<T>) {
    let (k, n) = x4_row_of_lane(lane);
    let [r0, r1, r2, r3] = unsafe { ldmatrix_x4_trans(addr_of(k, n)) };
    (FragB::from_regs([r0, r1]), FragB::from_regs([r2, r3]))
}
