//! Atomics on global and shared memory.
//!
//! | call | PTX | SASS |
//! | --- | --- | --- |
//! | `add_f32_global` | `red.global.add.f32` | `RED.E.ADD.F32` |
//! | `add_u32_global` | `atom.global.add.u32` | `ATOMG.E.ADD` |
//! | `max_f32_global` | `atom.global.max.s32` / `atom.global.min.u32` | `ATOMG.E.MAX.S32` / `.MIN` |
//! | `add_f32_shared` | `red.shared.add.f32` | `ATOMS.ADD.F32` (or a CAS loop) |
//! | `max_f32_shared` | `atom.shared.max.s32` / `atom.shared.min.u32` | `ATOMS.MAX` |
//!
//! Float max has no PTX instruction; it uses the integer order of IEEE floats: for `v >= 0`
//! a signed max on the bits, for `v < 0` an unsigned min. Correct for any mix of signs
//! (NaN excluded) when the target starts at `-inf` or a real value.

use crate::ptr::GlobalPtrMut;
use core::arch::asm;

/// `*p[i] += v` with no result (a reduction, `red`).
#[inline(always)]
pub unsafe fn add_f32_global(p: GlobalPtrMut<f32>, i: usize, v: f32) {
    let a = p.offset(i).addr();
    unsafe {
        asm!("red.global.add.f32 [{a}], {v};", a = in(reg64) a, v = in(reg32) v, options(nostack))
    };
}

/// `old = p[i]; p[i] += v; old`.
#[inline(always)]
pub unsafe fn add_u32_global(p: GlobalPtrMut<u32>, i: usize, v: u32) -> u32 {
    let a = p.offset(i).addr();
    let old: u32;
    unsafe {
        asm!("atom.global.add.u32 {o}, [{a}], {v};", o = out(reg32) old, a = in(reg64) a, v = in(reg32) v, options(nostack))
    };
    old
}

/// `p[i] = max(p[i], v)` for floats (see the module doc for how).
#[inline(always)]
pub unsafe fn max_f32_global(p: GlobalPtrMut<f32>, i: usize, v: f32) {
    let a = p.offset(i).addr();
    let bits = v.to_bits();
    unsafe {
        if (bits as i32) >= 0 {
            asm!("red.global.max.s32 [{a}], {v};", a = in(reg64) a, v = in(reg32) bits as i32, options(nostack));
        } else {
            asm!("red.global.min.u32 [{a}], {v};", a = in(reg64) a, v = in(reg32) bits, options(nostack));
        }
    }
}

/// `shared[addr] += v` (`red.shared.add.f32`).
#[inline(always)]
pub unsafe fn add_f32_shared(p: crate::gpu::shared::SharedPtr<f32>, i: u32, v: f32) {
    let a = p.offset(i).addr();
    unsafe {
        asm!("red.shared.add.f32 [{a}], {v};", a = in(reg32) a, v = in(reg32) v, options(nostack))
    };
}

/// `shared[addr] = max(shared[addr], v)` for floats.
#[inline(always)]
pub unsafe fn max_f32_shared(p: crate::gpu::shared::SharedPtr<f32>, i: u32, v: f32) {
    let a = p.offset(i).addr();
    let bits = v.to_bits();
    unsafe {
        if (bits as i32) >= 0 {
            asm!("red.shared.max.s32 [{a}], {v};", a = in(reg32) a, v = in(reg32) bits as i32, options(nostack));
        } else {
            asm!("red.shared.min.u32 [{a}], {v};", a = in(reg32) a, v = in(reg32) bits, options(nostack));
        }
    }
}
