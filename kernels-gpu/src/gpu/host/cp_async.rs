//! Host twin of `gpu/cp_async.rs`: `cp.async` is not emulated (it stops the launch with
//! `not emulated: cp.async (tensor cores)`); it feeds the tensor-core steps only.

use super::shared::SharedPtr;

/// `cp.async.cg` of 16 bytes: not emulated.
#[inline]
#[track_caller]
pub unsafe fn copy_cg_16<T>(_dst: SharedPtr<T>, _src: u64) {
    crate::emu::not_emulated("cp.async.cg (tensor cores)")
}

/// `cp.async.cg` of 16 bytes with zero fill: not emulated.
#[inline]
#[track_caller]
pub unsafe fn copy_cg_16_zfill<T>(_dst: SharedPtr<T>, _src: u64, _bytes: u32) {
    crate::emu::not_emulated("cp.async.cg (tensor cores)")
}

/// `cp.async.ca` of `B` bytes: not emulated.
#[inline]
#[track_caller]
pub unsafe fn copy_ca<const B: u32, T>(_dst: SharedPtr<T>, _src: u64) {
    crate::emu::not_emulated("cp.async.ca (tensor cores)")
}

/// `cp.async.ca` of `B` bytes with zero fill: not emulated.
#[inline]
#[track_caller]
pub unsafe fn copy_ca_zfill<const B: u32, T>(_dst: SharedPtr<T>, _src: u64, _bytes: u32) {
    crate::emu::not_emulated("cp.async.ca (tensor cores)")
}

/// `cp.async.commit_group`: not emulated.
#[inline]
#[track_caller]
pub fn commit_group() {
    crate::emu::not_emulated("cp.async.commit_group (tensor cores)")
}

/// `cp.async.wait_group N`: not emulated.
#[inline]
#[track_caller]
pub fn wait_group<const N: u32>() {
    crate::emu::not_emulated("cp.async.wait_group (tensor cores)")
}

/// `cp.async.wait_all`: not emulated.
#[inline]
#[track_caller]
pub fn wait_all() {
    crate::emu::not_emulated("cp.async.wait_all (tensor cores)")
}
