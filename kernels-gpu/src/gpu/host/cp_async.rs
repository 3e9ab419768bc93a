//! `cp.async` in the emulator: each copy is done when it is issued (a checked global read and a
//! checked shared write by the issuing thread), so `commit_group`, `wait_group` and `wait_all`
//! have nothing to wait for. Not modelled: a read of the destination before the `wait_group`
//! that covers it (on a GPU it may see the old bytes) is not reported.

use super::shared::SharedPtr;
use crate::emu::ctx::{self, Op};
use core::panic::Location;

fn op(call: &'static str) -> Op {
    Op {
        call,
        ty: "bytes",
        elem: 1,
    }
}

/// `B` bytes from `src`, of which the first `n` are read and the rest are zeros.
#[track_caller]
fn copy<const B: usize, T>(dst: SharedPtr<T>, src: u64, n: usize, call: &'static str) {
    let loc = Location::caller();
    let bytes = ctx::global_load_partial::<B>(src, n.min(B), B, op(call), loc);
    ctx::shared_store::<B>(dst.addr(), bytes, op(call), loc);
}

/// `cp.async.cg.shared.global [dst], [src], 16`.
#[inline]
#[track_caller]
pub unsafe fn copy_cg_16<T>(dst: SharedPtr<T>, src: u64) {
    copy::<16, T>(dst, src, 16, "cp_async::copy_cg_16");
}

/// `cp.async.cg.shared.global [dst], [src], 16, bytes`: zeros after the first `bytes`.
#[inline]
#[track_caller]
pub unsafe fn copy_cg_16_zfill<T>(dst: SharedPtr<T>, src: u64, bytes: u32) {
    copy::<16, T>(dst, src, bytes as usize, "cp_async::copy_cg_16_zfill");
}

/// `cp.async.ca.shared.global [dst], [src], B` for `B` = 4, 8 or 16 bytes.
#[inline]
#[track_caller]
pub unsafe fn copy_ca<const B: u32, T>(dst: SharedPtr<T>, src: u64) {
    unsafe { copy_ca_zfill::<B, T>(dst, src, B) }
}

/// `cp.async.ca.shared.global [dst], [src], B, bytes`: zeros after the first `bytes`.
#[inline]
#[track_caller]
pub unsafe fn copy_ca_zfill<const B: u32, T>(dst: SharedPtr<T>, src: u64, bytes: u32) {
    const {
        assert!(
            B == 4 || B == 8 || B == 16,
            "cp.async copies 4, 8 or 16 bytes"
        )
    };
    let n = bytes as usize;
    match B {
        4 => copy::<4, T>(dst, src, n, "cp_async::copy_ca"),
        8 => copy::<8, T>(dst, src, n, "cp_async::copy_ca"),
        _ => copy::<16, T>(dst, src, n, "cp_async::copy_ca"),
    }
}

/// `cp.async.commit_group`: nothing to group, every copy is done.
#[inline]
pub fn commit_group() {}

/// `cp.async.wait_group N`: nothing to wait for.
#[inline]
pub fn wait_group<const N: u32>() {}

/// `cp.async.wait_all`: nothing to wait for.
#[inline]
pub fn wait_all() {}
