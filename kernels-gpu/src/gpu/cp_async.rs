//! Asynchronous copies from global to shared memory (`cp.async`, sm_80 and later): a thread
//! starts a 4-, 8- or 16-byte copy that completes in the background, groups its copies, and
//! later waits until at most `N` of its groups are still in flight. No registers are used for
//! the data, so loads of the next tile overlap compute on the current one.
//!
//! | call | PTX | SASS |
//! | --- | --- | --- |
//! | `copy_cg_16(dst, src)` | `cp.async.cg.shared.global [d], [s], 16` | `LDGSTS.E.BYPASS.128` |
//! | `copy_cg_16_zfill(dst, src, bytes)` | `cp.async.cg.shared.global [d], [s], 16, bytes` | `LDGSTS.E.BYPASS.128` (+ a predicate / zero-fill) |
//! | `copy_ca::<4 \| 8 \| 16>(dst, src)` | `cp.async.ca.shared.global [d], [s], 4 \| 8 \| 16` | `LDGSTS.E[.64 \| .128]` |
//! | `copy_ca_zfill::<B>(dst, src, bytes)` | `cp.async.ca.shared.global [d], [s], B, bytes` | `LDGSTS.E...` |
//! | `commit_group()` | `cp.async.commit_group` | `LDGDEPBAR` |
//! | `wait_group::<N>()` | `cp.async.wait_group N` | `DEPBAR.LE SB0, N` |
//! | `wait_all()` | `cp.async.wait_all` | `DEPBAR.LE SB0, 0` |
//!
//! `.cg` caches in L2 only (the usual choice for tiles read once per block: no L1 pollution)
//! and exists only for 16 bytes; `.ca` also caches in L1. The `_zfill` forms copy the first
//! `bytes` (0 ..= size) bytes of the source and write zeros to the rest of the destination: the
//! way to load a tile's edge without a branch (`bytes = 0` reads nothing, but the source
//! address should still be a valid one, e.g. the matrix's base).
//!
//! **Ordering.** A copy's data is in shared memory for *this* thread once `wait_group` says its
//! group is done; other threads of the block see it after a following `sync_threads`. The
//! usual pipeline: issue stage `s + S - 1`, `commit_group`, `wait_group::<S - 1>` (stage `s` is
//! done), `sync_threads`, compute on stage `s`. All asm here may touch memory (no `nomem`), so
//! the compiler keeps shared loads after the wait. Not warp-collective: lanes may copy
//! different amounts or none, and each lane's groups are its own.

use super::shared::SharedPtr;
use core::arch::asm;

/// `cp.async.cg.shared.global [dst], [src], 16`: 16 bytes from global address `src` to
/// shared `dst`, through L2 only. Both 16-byte aligned.
#[inline(always)]
pub unsafe fn copy_cg_16<T>(dst: SharedPtr<T>, src: u64) {
    unsafe {
        asm!("cp.async.cg.shared.global [{d}], [{s}], 16;", d = in(reg32) dst.addr(), s = in(reg64) src,
            options(nostack))
    };
}

/// `cp.async.cg.shared.global [dst], [src], 16, bytes`: the first `bytes` (0..=16) bytes from
/// `src`, zeros for the rest of the 16 at `dst`. Both 16-byte aligned.
#[inline(always)]
pub unsafe fn copy_cg_16_zfill<T>(dst: SharedPtr<T>, src: u64, bytes: u32) {
    unsafe {
        asm!("cp.async.cg.shared.global [{d}], [{s}], 16, {n};", d = in(reg32) dst.addr(),
            s = in(reg64) src, n = in(reg32) bytes, options(nostack))
    };
}

/// `cp.async.ca.shared.global [dst], [src], B` for `B` = 4, 8 or 16 bytes (L1 and L2);
/// both aligned to `B`.
#[inline(always)]
pub unsafe fn copy_ca<const B: u32, T>(dst: SharedPtr<T>, src: u64) {
    const {
        assert!(
            B == 4 || B == 8 || B == 16,
            "cp.async copies 4, 8 or 16 bytes"
        )
    };
    unsafe {
        asm!("cp.async.ca.shared.global [{d}], [{s}], {b};", d = in(reg32) dst.addr(),
            s = in(reg64) src, b = const B, options(nostack))
    };
}

/// `cp.async.ca.shared.global [dst], [src], B, bytes`: the first `bytes` (0..=B) bytes from
/// `src`, zeros for the rest of the `B` at `dst` (`B` = 4, 8 or 16).
#[inline(always)]
pub unsafe fn copy_ca_zfill<const B: u32, T>(dst: SharedPtr<T>, src: u64, bytes: u32) {
    const {
        assert!(
            B == 4 || B == 8 || B == 16,
            "cp.async copies 4, 8 or 16 bytes"
        )
    };
    unsafe {
        asm!("cp.async.ca.shared.global [{d}], [{s}], {b}, {n};", d = in(reg32) dst.addr(),
            s = in(reg64) src, b = const B, n = in(reg32) bytes, options(nostack))
    };
}

/// `cp.async.commit_group`: the copies this thread issued since the last commit form a group.
#[inline(always)]
pub fn commit_group() {
    // SAFETY: no operands; orders this thread's async copies.
    unsafe { asm!("cp.async.commit_group;", options(nostack)) };
}

/// `cp.async.wait_group N`: waits until at most `N` of this thread's committed groups are still
/// in flight (`N = 0`: all done). Then `sync_threads` makes the data visible to the block.
#[inline(always)]
pub fn wait_group<const N: u32>() {
    // SAFETY: no operands; a wait (memory is "clobbered": later shared loads stay after it).
    unsafe { asm!("cp.async.wait_group {n};", n = const N, options(nostack)) };
}

/// `cp.async.wait_all`: waits for all of this thread's copies (committed or not).
#[inline(always)]
pub fn wait_all() {
    // SAFETY: as `wait_group`.
    unsafe { asm!("cp.async.wait_all;", options(nostack)) };
}
