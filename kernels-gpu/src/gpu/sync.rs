//! Barriers and fences.

use core::arch::asm;

/// `bar.sync 0`: every thread of the block waits here; shared-memory writes before it are
/// visible to the block after it. Must be reached by all threads of the block.
#[inline(always)]
pub fn sync_threads() {
    // SAFETY: a block barrier; the asm is a memory clobber so no access moves across it.
    unsafe { asm!("bar.sync 0;", options(nostack)) }
}

/// `bar.warp.sync 0xffffffff`: the warp's threads reconverge.
#[inline(always)]
pub fn sync_warp() {
    unsafe { asm!("bar.warp.sync 0xffffffff;", options(nostack)) }
}

/// `membar.gl` (`__threadfence()`): this thread's global writes are ordered before later
/// ones as seen by the whole device (used by last-block-finishes reductions).
#[inline(always)]
pub fn thread_fence() {
    unsafe { asm!("membar.gl;", options(nostack)) }
}
