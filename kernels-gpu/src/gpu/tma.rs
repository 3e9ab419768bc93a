//! Hopper's tensor memory accelerator and transaction barriers (sm_90a module only, behind
//! `cfg(target_feature = "sm_90a")`): one thread starts the copy of a whole 2-D box of a
//! matrix into shared memory, described by a tensor map the host built
//! (`cuTensorMapEncodeTiled`: element type, sizes, strides, box, swizzle); the copy reports its
//! bytes to an mbarrier, which threads wait on by phase parity.
//!
//! | call | PTX | SASS |
//! | --- | --- | --- |
//! | `Mbarrier::init(count)`, `init_if(on, count)` | `mbarrier.init.shared::cta.b64` (`@p` for `init_if`) | `SYNCS.EXCH.64` |
//! | `fence_mbarrier_init()` | `fence.mbarrier_init.release.cluster` | `FENCE.VIEW.ASYNC.S` (or none) |
//! | `Mbarrier::arrive()` | `mbarrier.arrive.shared::cta.b64` | `SYNCS.ARRIVE.TRANS64` |
//! | `Mbarrier::arrive_expect_tx(bytes)` | `mbarrier.arrive.expect_tx.shared::cta.b64` | `SYNCS.ARRIVE.TRANS64` |
//! | `Mbarrier::wait(parity)` | a loop of `mbarrier.try_wait.parity.shared::cta.b64` | `SYNCS.PHASECHK.TRANS64.TRYWAIT` |
//! | `load_2d(dst, map, (c0, c1), bar)` | `cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes` | `UTMALDG.2D` |
//!
//! **Phases.** An mbarrier counts arrivals (and, with `expect_tx`, bytes) towards the current
//! phase; when both reach zero the phase completes and the next begins. `wait(parity)` returns
//! once the phase of that parity has completed: on a fresh barrier `wait(1)` returns at once
//! (the phase "before" phase 0 counts as complete) and `wait(0)` waits for phase 0. A ring of
//! stages therefore waits for round `r` of a stage with parity `r & 1` (consumers, on "full")
//! and `(r & 1) ^ 1` (producers, on "empty": round 0 passes at once).
//!
//! **Copies.** Coordinates are in elements, innermost (contiguous) dimension first; elements
//! outside the tensor are written as zeros (no read), so a box hanging over an edge needs no
//! guard. With `CU_TENSOR_MAP_SWIZZLE_128B` and a 128-byte inner box, the box lands as rows of
//! 128 bytes with chunk `c` of row `r` at chunk `c ^ (r % 8)` (`crate::swizzle`), given a
//! 1024-byte aligned destination. The tensor map lives in global memory (written before the
//! launch); no fence is needed for it. All asm here has side effects (no `pure`, no `nomem`).

use core::arch::asm;

/// An mbarrier: 8 bytes of shared memory, 8-byte aligned, at a 32-bit shared address.
#[derive(Clone, Copy)]
pub struct Mbarrier(pub u32);

impl Mbarrier {
    /// `mbarrier.init.shared::cta.b64 [bar], count`: a fresh barrier expecting `count`
    /// arrivals per phase. One thread, then `fence_mbarrier_init` and a block barrier.
    #[inline(always)]
    pub unsafe fn init(self, count: u32) {
        unsafe {
            asm!("mbarrier.init.shared::cta.b64 [{b}], {c};", b = in(reg32) self.0, c = in(reg32) count,
                options(nostack))
        };
    }

    /// `init(count)` by the threads whose `on` is true, the test inside the asm
    /// (`@p mbarrier.init`): no Rust branch on a thread index before the barrier that follows,
    /// which rustc's MIR jump threading could otherwise copy into both arms of a later test of
    /// the same index (docs/device-api.md, gotcha 5).
    #[inline(always)]
    pub unsafe fn init_if(self, on: bool, count: u32) {
        unsafe {
            asm!(
                "{{ .reg .pred p; setp.ne.u32 p, {on}, 0; @p mbarrier.init.shared::cta.b64 [{b}], {c}; }}",
                on = in(reg32) on as u32, b = in(reg32) self.0, c = in(reg32) count, options(nostack)
            )
        };
    }

    /// `mbarrier.arrive.shared::cta.b64`: one arrival on the current phase.
    #[inline(always)]
    pub unsafe fn arrive(self) {
        unsafe {
            asm!("mbarrier.arrive.shared::cta.b64 _, [{b}];", b = in(reg32) self.0, options(nostack))
        };
    }

    /// `mbarrier.arrive.expect_tx.shared::cta.b64`: one arrival, and `bytes` more bytes the
    /// current phase waits for (the copies that name this barrier complete them).
    #[inline(always)]
    pub unsafe fn arrive_expect_tx(self, bytes: u32) {
        unsafe {
            asm!("mbarrier.arrive.expect_tx.shared::cta.b64 _, [{b}], {n};", b = in(reg32) self.0,
                n = in(reg32) bytes, options(nostack))
        };
    }

    /// `mbarrier.try_wait.parity.shared::cta.b64`: whether the phase of parity `parity` has
    /// completed (waiting a while in hardware first).
    #[inline(always)]
    pub unsafe fn try_wait(self, parity: u32) -> bool {
        let ok: u32;
        unsafe {
            asm!(
                "{{ .reg .pred p; mbarrier.try_wait.parity.shared::cta.b64 p, [{b}], {ph}; selp.u32 {ok}, 1, 0, p; }}",
                ok = out(reg32) ok, b = in(reg32) self.0, ph = in(reg32) parity, options(nostack)
            )
        };
        ok != 0
    }

    /// Waits until the phase of parity `parity` has completed (module docs).
    #[inline(always)]
    pub unsafe fn wait(self, parity: u32) {
        while !unsafe { self.try_wait(parity) } {}
    }
}

/// `fence.mbarrier_init.release.cluster`: makes `init`s visible (to the async proxy too)
/// before the block barrier that follows them.
#[inline(always)]
pub fn fence_mbarrier_init() {
    // SAFETY: no operands; a fence.
    unsafe { asm!("fence.mbarrier_init.release.cluster;", options(nostack)) };
}

/// `cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes`: copies the
/// box at element coordinates `(c0, c1)` (inner dimension first) of the tensor described by
/// the tensor map at global address `map` to shared address `dst`, completing its bytes on
/// `bar`. One thread issues it.
#[inline(always)]
pub unsafe fn load_2d(dst: u32, map: u64, (c0, c1): (i32, i32), bar: Mbarrier) {
    unsafe {
        asm!(
            "cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes [{d}], [{m}, {{{c0}, {c1}}}], [{b}];",
            d = in(reg32) dst, m = in(reg64) map, c0 = in(reg32) c0, c1 = in(reg32) c1,
            b = in(reg32) bar.0, options(nostack)
        )
    };
}
