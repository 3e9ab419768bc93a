//! Barriers and fences in the emulator.

use crate::emu::ctx::{self, WarpKind, WarpOp};
use core::panic::Location;

/// `bar.sync 0` (`__syncthreads()`): the emulated thread waits until every thread of the block
/// reaches this same call; the emulator reports a barrier some threads skip (or exit before),
/// or threads waiting at different ones, as a divergent barrier.
#[inline]
#[track_caller]
pub fn sync_threads() {
    ctx::barrier(Location::caller())
}

/// `bar.warp.sync 0xffffffff` (`__syncwarp()`): the warp's lanes meet here; it orders their
/// shared-memory accesses for the race check.
#[inline]
#[track_caller]
pub fn sync_warp() {
    ctx::warp(WarpOp {
        kind: WarpKind::Sync,
        mask: u32::MAX,
        value: 0,
        arg: 0,
        loc: Location::caller(),
        src: core::ptr::null(),
        dst: core::ptr::null_mut(),
    });
}

/// `membar.gl` (`__threadfence()`): nothing to do, the emulator's memory is sequentially
/// consistent (every access is seen by every later one, in any block).
#[inline]
pub fn thread_fence() {}
