//! Barriers and fences.
//!
//! Barriers are *convergent*: every thread of the block (or warp) must reach the same one.
//! They are LLVM NVVM intrinsics, which LLVM knows to be convergent, not inline asm: an asm
//! barrier could be duplicated into divergent branches by the optimiser.

use core::arch::asm;

#[allow(improper_ctypes)]
unsafe extern "C" {
    #[link_name = "llvm.nvvm.bar.warp.sync"]
    fn bar_warp_sync(mask: u32);
}

/// `bar.sync 0` (`llvm.nvvm.barrier0`, CUDA's `__syncthreads()`): every thread of the block
/// waits here; shared-memory writes before it are visible to the block after it. Must be
/// reached by all threads of the block. No memory access moves across it.
#[inline(always)]
pub fn sync_threads() {
    // SAFETY: a block barrier; the intrinsic is convergent and may touch any memory.
    unsafe { core::arch::nvptx::_syncthreads() }
}

/// `bar.warp.sync 0xffffffff` (`__syncwarp()`): the warp's threads reconverge.
#[inline(always)]
pub fn sync_warp() {
    unsafe { bar_warp_sync(0xffff_ffff) }
}

/// `membar.gl` (`__threadfence()`): this thread's global writes are ordered before later
/// ones as seen by the whole device (used by last-block-finishes reductions).
#[inline(always)]
pub fn thread_fence() {
    unsafe { asm!("membar.gl;", options(nostack)) }
}
