//! Atomics on global and shared memory in the emulator: one read-modify-write at a time (only
//! one emulated thread runs at a time), with the GPU's integer tricks for the float maximum, so
//! the results are bit for bit the GPU's. Shared atomics do not race with each other, but do
//! with plain accesses of other threads between the same barriers.

use crate::emu::ctx::{self, Op};
use crate::gpu::shared::SharedPtr;
use crate::ptr::GlobalPtrMut;
use core::panic::Location;

fn op(call: &'static str, ty: &'static str) -> Op {
    Op { call, ty, elem: 4 }
}

/// The float max of `atom.max.s32` / `atom.min.u32` on the bits (module doc of `gpu/atomic.rs`).
fn max_bits(old: u32, v: f32) -> u32 {
    let bits = v.to_bits();
    if (bits as i32) >= 0 {
        (old as i32).max(bits as i32) as u32
    } else {
        old.min(bits)
    }
}

/// `*p[i] += v` with no result (a reduction, `red`).
#[inline]
#[track_caller]
pub unsafe fn add_f32_global(p: GlobalPtrMut<f32>, i: usize, v: f32) {
    ctx::global_atomic(
        p.offset(i).addr(),
        op("atomic::add_f32_global", "f32"),
        Location::caller(),
        |o| (f32::from_bits(o) + v).to_bits(),
    );
}

/// `old = p[i]; p[i] += v; old`.
#[inline]
#[track_caller]
pub unsafe fn add_u32_global(p: GlobalPtrMut<u32>, i: usize, v: u32) -> u32 {
    ctx::global_atomic(
        p.offset(i).addr(),
        op("atomic::add_u32_global", "u32"),
        Location::caller(),
        |o| o.wrapping_add(v),
    )
}

/// `p[i] = max(p[i], v)` for floats.
#[inline]
#[track_caller]
pub unsafe fn max_f32_global(p: GlobalPtrMut<f32>, i: usize, v: f32) {
    ctx::global_atomic(
        p.offset(i).addr(),
        op("atomic::max_f32_global", "f32"),
        Location::caller(),
        |o| max_bits(o, v),
    );
}

/// `shared[addr] += v` (`red.shared.add.f32`).
#[inline]
#[track_caller]
pub unsafe fn add_f32_shared(p: SharedPtr<f32>, i: u32, v: f32) {
    ctx::shared_atomic(
        p.offset(i).addr(),
        op("atomic::add_f32_shared", "f32"),
        Location::caller(),
        |o| (f32::from_bits(o) + v).to_bits(),
    );
}

/// `shared[addr] = max(shared[addr], v)` for floats.
#[inline]
#[track_caller]
pub unsafe fn max_f32_shared(p: SharedPtr<f32>, i: u32, v: f32) {
    ctx::shared_atomic(
        p.offset(i).addr(),
        op("atomic::max_f32_shared", "f32"),
        Location::caller(),
        |o| max_bits(o, v),
    );
}
