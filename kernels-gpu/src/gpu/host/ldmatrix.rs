//! `ldmatrix` in the emulator: the warp exchanges its lanes' row addresses (a `.sync.aligned`
//! collective: every lane of the warp must reach it), then each lane reads the rows its
//! registers take their elements from, with the emulator's checks (each row 16 bytes, 16-byte
//! aligned, inside a shared array, not racing). The layouts are `gpu/ldmatrix.rs`'s:
//!
//! ```text
//! plain:   r[i] = { M_i[l/4][2(l%4)],  M_i[l/4][2(l%4)+1] }
//! .trans:  r[i] = { M_i[2(l%4)][l/4],  M_i[2(l%4)+1][l/4] }
//! ```

use super::mma::{FragA, FragB};
use super::shared::words;
use crate::emu::ctx::{self, Op};
use core::panic::Location;

/// The 8 halves of the 16-byte row at `addr` (checked as one 16-byte shared load).
fn row(addr: u32, loc: &'static Location<'static>) -> [u16; 8] {
    let op = Op {
        call: "ldmatrix (a row)",
        ty: "b16",
        elem: 2,
    };
    let w = words(ctx::shared_load::<16>(addr, op, loc));
    core::array::from_fn(|k| (w[k / 2] >> (16 * (k % 2))) as u16)
}

/// `ldmatrix.sync.aligned.m8n8.xN[.trans].shared.b16`.
#[track_caller]
fn ldsm<const N: usize>(addr: u32, trans: bool) -> [u32; N] {
    let loc = Location::caller();
    let all = ctx::warp_gather(&[addr], loc);
    let l = ctx::lane() as usize;
    core::array::from_fn(|i| {
        let rows = |r: usize| all[8 * i + r][0];
        if trans {
            let (lo, hi) = (row(rows(2 * (l % 4)), loc), row(rows(2 * (l % 4) + 1), loc));
            lo[l / 4] as u32 | (hi[l / 4] as u32) << 16
        } else {
            let r = row(rows(l / 4), loc);
            r[2 * (l % 4)] as u32 | (r[2 * (l % 4) + 1] as u32) << 16
        }
    })
}

/// `ldmatrix.sync.aligned.m8n8.x1.shared.b16`: one 8×8 matrix (row addresses from lanes 0–7).
#[inline]
#[track_caller]
pub unsafe fn ldmatrix_x1(addr: u32) -> [u32; 1] {
    ldsm::<1>(addr, false)
}
/// `ldmatrix.sync.aligned.m8n8.x2.shared.b16`: two 8×8 matrices (lanes 0–15).
#[inline]
#[track_caller]
pub unsafe fn ldmatrix_x2(addr: u32) -> [u32; 2] {
    ldsm::<2>(addr, false)
}
/// `ldmatrix.sync.aligned.m8n8.x4.shared.b16`: four 8×8 matrices (all 32 lanes).
#[inline]
#[track_caller]
pub unsafe fn ldmatrix_x4(addr: u32) -> [u32; 4] {
    ldsm::<4>(addr, false)
}
/// `ldmatrix.sync.aligned.m8n8.x1.trans.shared.b16`.
#[inline]
#[track_caller]
pub unsafe fn ldmatrix_x1_trans(addr: u32) -> [u32; 1] {
    ldsm::<1>(addr, true)
}
/// `ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16`.
#[inline]
#[track_caller]
pub unsafe fn ldmatrix_x2_trans(addr: u32) -> [u32; 2] {
    ldsm::<2>(addr, true)
}
/// `ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16`.
#[inline]
#[track_caller]
pub unsafe fn ldmatrix_x4_trans(addr: u32) -> [u32; 4] {
    ldsm::<4>(addr, true)
}

/// The row lane `lane` points at when a warp loads a 16×16 tile as four 8×8 matrices in
/// fragment order: `(row, col) = (lane % 16, 8·(lane / 16))`.
#[inline(always)]
pub const fn x4_row_of_lane(lane: u32) -> (u32, u32) {
    (lane % 16, 8 * (lane / 16))
}

/// An mma A fragment (16×16) from a row-major tile in shared memory (`addr_of(row, col)`).
#[inline]
#[track_caller]
pub unsafe fn load_a_x4<T>(lane: u32, addr_of: impl Fn(u32, u32) -> u32) -> FragA<T> {
    let (r, c) = x4_row_of_lane(lane);
    FragA::from_regs(unsafe { ldmatrix_x4(addr_of(r, c)) })
}

/// An mma B fragment (16×8, `K × N`) from a row-major `K × N` tile (`addr_of(k, n)`).
#[inline]
#[track_caller]
pub unsafe fn load_b_x2_trans<T>(lane: u32, addr_of: impl Fn(u32, u32) -> u32) -> FragB<T> {
    let (k, _) = x4_row_of_lane(lane);
    FragB::from_regs(unsafe { ldmatrix_x2_trans(addr_of(k, 0)) })
}

/// Two mma B fragments, columns 0–7 and 8–15 of a row-major `K × N` 16×16 tile.
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
