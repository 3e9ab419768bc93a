//! Warp-level primitives over the full warp (`membermask = 0xffffffff`), emulated: each lane
//! suspends until every lane of the mask that has not exited is there, then each gets its
//! result (`shfl.sync` with clamp 31: a source lane past 31 gives the lane's own value; reading
//! a lane that exited or is not in the block is reported, the GPU returns garbage).

use crate::emu::ctx::{self, WarpKind, WarpOp};
use core::panic::Location;

const FULL: u32 = 0xffff_ffff;

#[track_caller]
fn collective(kind: WarpKind, value: u32, arg: u32) -> u32 {
    ctx::warp(WarpOp {
        kind,
        mask: FULL,
        value,
        arg,
        loc: Location::caller(),
        src: core::ptr::null(),
        dst: core::ptr::null_mut(),
    })
}

/// `shfl.sync.down.b32`: the value of lane `lane + delta` (own value past the end).
#[inline]
#[track_caller]
pub fn shuffle_down(v: f32, delta: u32) -> f32 {
    f32::from_bits(collective(WarpKind::ShflDown, v.to_bits(), delta))
}

/// `shfl.sync.bfly.b32`: the value of lane `lane ^ lane_mask` (a butterfly exchange).
#[inline]
#[track_caller]
pub fn shuffle_xor(v: f32, lane_mask: u32) -> f32 {
    f32::from_bits(collective(WarpKind::ShflXor, v.to_bits(), lane_mask))
}

/// `shfl.sync.idx.b32`: the value of lane `src` (a broadcast when all lanes pass one `src`).
#[inline]
#[track_caller]
pub fn shuffle_idx(v: f32, src: u32) -> f32 {
    f32::from_bits(collective(WarpKind::ShflIdx, v.to_bits(), src))
}

/// `vote.sync.ballot.b32`: bit `i` set where lane `i`'s predicate holds.
#[inline]
#[track_caller]
pub fn ballot(pred: bool) -> u32 {
    collective(WarpKind::Ballot, pred as u32, 0)
}

/// `vote.sync.any.pred`: true on every lane if the predicate holds on any lane.
#[inline]
#[track_caller]
pub fn any(pred: bool) -> bool {
    collective(WarpKind::Any, pred as u32, 0) != 0
}

/// `vote.sync.all.pred`: true on every lane if the predicate holds on all lanes.
#[inline]
#[track_caller]
pub fn all(pred: bool) -> bool {
    collective(WarpKind::All, pred as u32, 0) != 0
}

/// Sum over the warp by a butterfly (offsets 16, 8, 4, 2, 1): every lane gets the total, in the
/// GPU's order of additions.
#[inline]
#[track_caller]
pub fn reduce_sum(mut v: f32) -> f32 {
    let mut offset = 16;
    while offset > 0 {
        v += shuffle_xor(v, offset);
        offset >>= 1;
    }
    v
}

/// Maximum over the warp by a butterfly: every lane gets the maximum, NaN if any lane holds
/// NaN (`max.NaN.f32`).
#[inline]
#[track_caller]
pub fn reduce_max(mut v: f32) -> f32 {
    let mut offset = 16;
    while offset > 0 {
        v = super::math::max_nan(v, shuffle_xor(v, offset));
        offset >>= 1;
    }
    v
}
