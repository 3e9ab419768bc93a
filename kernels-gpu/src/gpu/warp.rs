//! Warp-level primitives over the full warp (`membermask = 0xffffffff`): every lane must call.
//!
//! | call | PTX | SASS |
//! | --- | --- | --- |
//! | `shuffle_down` / `shuffle_xor` / `shuffle_idx` | `shfl.sync.{down,bfly,idx}.b32` | `SHFL.{DOWN,BFLY,IDX}` |
//! | `ballot` / `any` / `all` | `vote.sync.{ballot,any,all}` | `VOTE` |
//! | `reduce_sum` / `reduce_max` | 5 × `shfl.sync.bfly` + `add` / `max.NaN` | 5 × `SHFL.BFLY` |
//!
//! These are LLVM NVVM intrinsics, not inline asm, because they are *convergent*: the
//! optimiser must not move them into a branch that only some lanes take. Checked: the same
//! shuffles written as `pure` inline asm were sunk by LLVM into an `if lane == 0` block, and
//! the block reduction returned garbage on the H100 (docs/perf-notes.md, foundation).

#[allow(improper_ctypes)]
unsafe extern "C" {
    #[link_name = "llvm.nvvm.shfl.sync.down.f32"]
    fn shfl_down_f32(mask: u32, v: f32, delta: u32, clamp: u32) -> f32;
    #[link_name = "llvm.nvvm.shfl.sync.bfly.f32"]
    fn shfl_bfly_f32(mask: u32, v: f32, lane_mask: u32, clamp: u32) -> f32;
    #[link_name = "llvm.nvvm.shfl.sync.idx.f32"]
    fn shfl_idx_f32(mask: u32, v: f32, src: u32, clamp: u32) -> f32;
    #[link_name = "llvm.nvvm.vote.ballot.sync"]
    fn vote_ballot(mask: u32, pred: bool) -> u32;
    #[link_name = "llvm.nvvm.vote.any.sync"]
    fn vote_any(mask: u32, pred: bool) -> bool;
    #[link_name = "llvm.nvvm.vote.all.sync"]
    fn vote_all(mask: u32, pred: bool) -> bool;
}

const FULL: u32 = 0xffff_ffff;

/// `shfl.sync.down.b32`: the value of lane `lane + delta` (own value past the end).
#[inline(always)]
pub fn shuffle_down(v: f32, delta: u32) -> f32 {
    unsafe { shfl_down_f32(FULL, v, delta, 0x1f) }
}

/// `shfl.sync.bfly.b32`: the value of lane `lane ^ lane_mask` (a butterfly exchange).
#[inline(always)]
pub fn shuffle_xor(v: f32, lane_mask: u32) -> f32 {
    unsafe { shfl_bfly_f32(FULL, v, lane_mask, 0x1f) }
}

/// `shfl.sync.idx.b32`: the value of lane `src` (a broadcast when all lanes pass one `src`).
#[inline(always)]
pub fn shuffle_idx(v: f32, src: u32) -> f32 {
    unsafe { shfl_idx_f32(FULL, v, src, 0x1f) }
}

/// `vote.sync.ballot.b32`: bit `i` set where lane `i`'s predicate holds.
#[inline(always)]
pub fn ballot(pred: bool) -> u32 {
    unsafe { vote_ballot(FULL, pred) }
}

/// `vote.sync.any.pred`: true on every lane if the predicate holds on any lane.
#[inline(always)]
pub fn any(pred: bool) -> bool {
    unsafe { vote_any(FULL, pred) }
}

/// `vote.sync.all.pred`: true on every lane if the predicate holds on all lanes.
#[inline(always)]
pub fn all(pred: bool) -> bool {
    unsafe { vote_all(FULL, pred) }
}

/// Sum over the warp by a butterfly (offsets 16, 8, 4, 2, 1): every lane gets the total.
#[inline(always)]
pub fn reduce_sum(mut v: f32) -> f32 {
    let mut offset = 16;
    while offset > 0 {
        v += shuffle_xor(v, offset);
        offset >>= 1;
    }
    v
}

/// Maximum over the warp by a butterfly: every lane gets the maximum, NaN if any lane holds
/// NaN (`max.NaN.f32`, as `torch.max`).
#[inline(always)]
pub fn reduce_max(mut v: f32) -> f32 {
    let mut offset = 16;
    while offset > 0 {
        v = super::math::max_nan(v, shuffle_xor(v, offset));
        offset >>= 1;
    }
    v
}
