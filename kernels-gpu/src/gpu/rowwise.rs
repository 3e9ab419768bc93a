//! Helpers of the row-wise ladders (softmax; layernorm and rmsnorm may add theirs here).
//!
//! | call | PTX | SASS |
//! | --- | --- | --- |
//! | `rcp_fast` | `rcp.approx.ftz.f32` | `MUFU.RCP` |

use core::arch::asm;

/// `rcp.approx.ftz.f32`: `1 / x`, about 1 ulp (CUDA's `__frcp_rn` is exact; this is the
/// `__fdividef` path). One `MUFU.RCP` instead of IEEE division's Newton steps and slow-path
/// call; `1/0 = +inf`, `1/inf = 0`, `1/NaN = NaN` as IEEE.
#[inline(always)]
pub fn rcp_fast(x: f32) -> f32 {
    let r: f32;
    unsafe {
        asm!("rcp.approx.ftz.f32 {r}, {x};", r = out(reg32) r, x = in(reg32) x, options(pure, nomem, nostack))
    };
    r
}
