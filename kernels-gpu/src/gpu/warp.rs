//! Warp-level primitives over the full warp (`membermask = 0xffffffff`): every lane must call.
//!
//! | call | PTX | SASS |
//! | --- | --- | --- |
//! | `shuffle_down` / `shuffle_xor` / `shuffle_idx` | `shfl.sync.{down,bfly,idx}.b32` | `SHFL.{DOWN,BFLY,IDX}` |
//! | `ballot` / `any` / `all` | `vote.sync.{ballot,any,all}` | `VOTE` |
//! | `reduce_sum` / `reduce_max` | 5 × `shfl.sync.bfly` + add/max | 5 × `SHFL.BFLY` |

use core::arch::asm;

macro_rules! shfl {
    ($(#[$m:meta])* $name:ident, $mode:literal, $clamp:literal) => {
        $(#[$m])*
        #[inline(always)]
        pub fn $name(v: f32, lane_arg: u32) -> f32 {
            let r: f32;
            unsafe {
                asm!(concat!("shfl.sync.", $mode, ".b32 {r}, {v}, {b}, ", $clamp, ", 0xffffffff;"),
                    r = out(reg32) r, v = in(reg32) v, b = in(reg32) lane_arg, options(pure, nomem, nostack))
            };
            r
        }
    };
}

shfl!(
    /// `shfl.sync.down.b32`: the value of lane `lane + delta` (own value past the end).
    shuffle_down, "down", "0x1f"
);
shfl!(
    /// `shfl.sync.bfly.b32`: the value of lane `lane ^ mask` (a butterfly exchange).
    shuffle_xor, "bfly", "0x1f"
);
shfl!(
    /// `shfl.sync.idx.b32`: the value of lane `src` (a broadcast when all lanes pass one `src`).
    shuffle_idx, "idx", "0x1f"
);

/// `vote.sync.ballot.b32`: bit `i` set where lane `i`'s predicate holds.
#[inline(always)]
pub fn ballot(pred: bool) -> u32 {
    let r: u32;
    unsafe {
        asm!("{{ .reg .pred p; setp.ne.u32 p, {x}, 0; vote.sync.ballot.b32 {r}, p, 0xffffffff; }}",
            r = out(reg32) r, x = in(reg32) pred as u32, options(pure, nomem, nostack))
    };
    r
}

/// `vote.sync.any.pred`: true on every lane if the predicate holds on any lane.
#[inline(always)]
pub fn any(pred: bool) -> bool {
    let r: u32;
    unsafe {
        asm!("{{ .reg .pred p, q; setp.ne.u32 p, {x}, 0; vote.sync.any.pred q, p, 0xffffffff; selp.u32 {r}, 1, 0, q; }}",
            r = out(reg32) r, x = in(reg32) pred as u32, options(pure, nomem, nostack))
    };
    r != 0
}

/// `vote.sync.all.pred`: true on every lane if the predicate holds on all lanes.
#[inline(always)]
pub fn all(pred: bool) -> bool {
    let r: u32;
    unsafe {
        asm!("{{ .reg .pred p, q; setp.ne.u32 p, {x}, 0; vote.sync.all.pred q, p, 0xffffffff; selp.u32 {r}, 1, 0, q; }}",
            r = out(reg32) r, x = in(reg32) pred as u32, options(pure, nomem, nostack))
    };
    r != 0
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

/// Maximum over the warp by a butterfly: every lane gets the maximum.
#[inline(always)]
pub fn reduce_max(mut v: f32) -> f32 {
    let mut offset = 16;
    while offset > 0 {
        v = v.max(shuffle_xor(v, offset));
        offset >>= 1;
    }
    v
}
