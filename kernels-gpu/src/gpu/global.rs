//! Loads and stores through [`GlobalPtr`] / [`GlobalPtrMut`] in the global state space.
//!
//! | call | PTX | SASS |
//! | --- | --- | --- |
//! | `GlobalPtr::load` | `ld.global.nc.f32` | `LDG.E.CONSTANT` |
//! | `GlobalPtr::load_f32x4` | `ld.global.nc.v4.f32` | `LDG.E.128.CONSTANT` |
//! | `GlobalPtrMut::load` | `ld.global.f32` | `LDG.E` |
//! | `GlobalPtrMut::load_cg` | `ld.global.cg.f32` | `LDG.E.STRONG.GPU` / `.CG` |
//! | `GlobalPtrMut::store` | `st.global.f32` | `STG.E` |
//! | `GlobalPtrMut::store_f32x4` | `st.global.v4.f32` | `STG.E.128` |
//! | `GlobalPtrMut::load_f32x2` / `store_f32x2` | `ld.global.v2.f32` / `st.global.v2.f32` | `LDG.E.64` / `STG.E.64` |
//! | `GlobalPtr::<Bf16>::load` (and `F16`) | `ld.global.nc.b16` | `LDG.E.U16.CONSTANT` |
//! | `GlobalPtrMut::<Bf16>::load` / `store` (and `F16`) | `ld.global.b16` / `st.global.b16` | `LDG.E.U16` / `STG.E.U16` |
//! | `GlobalPtr::<Bf16x2>::load`, `GlobalPtrMut::<Bf16x2>::{load, load_cg, store}` (and `F16x2`, via [`Global32`]) | `ld.global.nc.u32`, `ld.global.u32`, `ld.global.cg.u32`, `st.global.u32` | `LDG.E.CONSTANT`, `LDG.E`, `LDG.E.STRONG.GPU`, `STG.E` |
//! | `GlobalPtr::<Bf16>::load_bf16x8` / `<F16>::load_f16x8` | `ld.global.nc.v4.b32` | `LDG.E.128.CONSTANT` |
//! | `GlobalPtrMut::<Bf16>::load_bf16x8` / `<F16>::load_f16x8` | `ld.global.v4.b32` | `LDG.E.128` |
//! | `GlobalPtrMut::<Bf16>::store_bf16x8` / `<F16>::store_f16x8` | `st.global.v4.b32` | `STG.E.128` |
//!
//! All are `unsafe`: the caller guarantees the index is in bounds of the allocation (and
//! 16-byte alignment for the vector forms).

use crate::half::{Bf16, Bf16x2, Bf16x8, F16, F16x2, F16x8};
use crate::ptr::{F32x4, GlobalPtr, GlobalPtrMut};
use core::arch::asm;

/// A 32-bit value that global loads and stores can move.
pub trait Global32: Copy {
    /// `ld.global.nc.b32`.
    unsafe fn ld_nc(addr: u64) -> Self;
    /// `ld.global.b32`.
    unsafe fn ld(addr: u64) -> Self;
    /// `st.global.b32`.
    unsafe fn st(addr: u64, v: Self);
    /// `ld.global.cg.b32` (L2 only).
    unsafe fn ld_cg(addr: u64) -> Self;
}

macro_rules! global32 {
    ($t:ty, $ptx:literal) => {
        impl Global32 for $t {
            #[inline(always)]
            unsafe fn ld_nc(addr: u64) -> Self {
                let v: $t;
                unsafe { asm!(concat!("ld.global.nc.", $ptx, " {v}, [{a}];"), v = out(reg32) v, a = in(reg64) addr, options(pure, readonly, nostack)) };
                v
            }
            #[inline(always)]
            unsafe fn ld(addr: u64) -> Self {
                let v: $t;
                unsafe { asm!(concat!("ld.global.", $ptx, " {v}, [{a}];"), v = out(reg32) v, a = in(reg64) addr, options(pure, readonly, nostack)) };
                v
            }
            #[inline(always)]
            unsafe fn ld_cg(addr: u64) -> Self {
                let v: $t;
                unsafe { asm!(concat!("ld.global.cg.", $ptx, " {v}, [{a}];"), v = out(reg32) v, a = in(reg64) addr, options(readonly, nostack)) };
                v
            }
            #[inline(always)]
            unsafe fn st(addr: u64, v: Self) {
                unsafe { asm!(concat!("st.global.", $ptx, " [{a}], {v};"), v = in(reg32) v, a = in(reg64) addr, options(nostack)) };
            }
        }
    };
}
global32!(f32, "f32");
global32!(u32, "u32");
global32!(i32, "s32");

impl<T> GlobalPtr<T> {
    /// Asks L2 for the line holding element `i` (`prefetch.global.L2`): no register, no
    /// wait, nothing returned; a later load of the line hits L2 if it arrived and stayed.
    #[inline(always)]
    pub unsafe fn prefetch_l2(self, i: usize) {
        let a = self.offset(i).addr();
        unsafe { asm!("prefetch.global.L2 [{a}];", a = in(reg64) a, options(nostack, readonly)) };
    }
}

impl<T: Global32> GlobalPtr<T> {
    /// Element `i`, read through the non-coherent (read-only) path.
    #[inline(always)]
    pub unsafe fn load(self, i: usize) -> T {
        unsafe { T::ld_nc(self.offset(i).addr()) }
    }
}

impl<T: Global32> GlobalPtrMut<T> {
    /// Element `i` (coherent load).
    #[inline(always)]
    pub unsafe fn load(self, i: usize) -> T {
        unsafe { T::ld(self.offset(i).addr()) }
    }
    /// Writes element `i`.
    #[inline(always)]
    pub unsafe fn store(self, i: usize, v: T) {
        unsafe { T::st(self.offset(i).addr(), v) }
    }
    /// Element `i`, cached in L2 only (`ld.global.cg`): never a stale L1 line, for data other
    /// blocks wrote during this launch (after a fence and an atomic handshake).
    #[inline(always)]
    pub unsafe fn load_cg(self, i: usize) -> T {
        unsafe { T::ld_cg(self.offset(i).addr()) }
    }
}

impl GlobalPtr<f32> {
    /// Elements `4*i .. 4*i+4` in one 128-bit non-coherent load (address must be 16-byte aligned).
    #[inline(always)]
    pub unsafe fn load_f32x4(self, i: usize) -> F32x4 {
        let a = self.offset(4 * i).addr();
        let (x, y, z, w): (f32, f32, f32, f32);
        unsafe {
            asm!("ld.global.nc.v4.f32 {{{x}, {y}, {z}, {w}}}, [{a}];",
                x = out(reg32) x, y = out(reg32) y, z = out(reg32) z, w = out(reg32) w,
                a = in(reg64) a, options(pure, readonly, nostack))
        };
        F32x4([x, y, z, w])
    }
}

impl GlobalPtrMut<f32> {
    /// Writes elements `4*i .. 4*i+4` in one 128-bit store (address must be 16-byte aligned).
    #[inline(always)]
    pub unsafe fn store_f32x4(self, i: usize, v: F32x4) {
        let a = self.offset(4 * i).addr();
        let [x, y, z, w] = v.0;
        unsafe {
            asm!("st.global.v4.f32 [{a}], {{{x}, {y}, {z}, {w}}};",
                x = in(reg32) x, y = in(reg32) y, z = in(reg32) z, w = in(reg32) w,
                a = in(reg64) a, options(nostack))
        };
    }
    /// Elements `4*i .. 4*i+4` in one 128-bit coherent load.
    #[inline(always)]
    pub unsafe fn load_f32x4(self, i: usize) -> F32x4 {
        let a = self.offset(4 * i).addr();
        let (x, y, z, w): (f32, f32, f32, f32);
        unsafe {
            asm!("ld.global.v4.f32 {{{x}, {y}, {z}, {w}}}, [{a}];",
                x = out(reg32) x, y = out(reg32) y, z = out(reg32) z, w = out(reg32) w,
                a = in(reg64) a, options(pure, readonly, nostack))
        };
        F32x4([x, y, z, w])
    }
}

impl GlobalPtrMut<f32> {
    /// Writes elements `2*i, 2*i+1` in one 64-bit store (`st.global.v2.f32`; the address must
    /// be 8-byte aligned).
    #[inline(always)]
    pub unsafe fn store_f32x2(self, i: usize, v: [f32; 2]) {
        let a = self.offset(2 * i).addr();
        let [x, y] = v;
        unsafe {
            asm!("st.global.v2.f32 [{a}], {{{x}, {y}}};", x = in(reg32) x, y = in(reg32) y,
                a = in(reg64) a, options(nostack))
        };
    }
    /// Elements `2*i, 2*i+1` in one 64-bit coherent load (`ld.global.v2.f32`).
    #[inline(always)]
    pub unsafe fn load_f32x2(self, i: usize) -> [f32; 2] {
        let a = self.offset(2 * i).addr();
        let (x, y): (f32, f32);
        unsafe {
            asm!("ld.global.v2.f32 {{{x}, {y}}}, [{a}];", x = out(reg32) x, y = out(reg32) y,
                a = in(reg64) a, options(pure, readonly, nostack))
        };
        [x, y]
    }
}

/// A pair of halves as a 32-bit value: the `u32` accesses of its bits
/// (`ld.global[.nc|.cg].u32`, `st.global.u32`).
macro_rules! global32_bits {
    ($t:ty) => {
        impl Global32 for $t {
            #[inline(always)]
            unsafe fn ld_nc(addr: u64) -> Self {
                Self::from_bits(unsafe { u32::ld_nc(addr) })
            }
            #[inline(always)]
            unsafe fn ld(addr: u64) -> Self {
                Self::from_bits(unsafe { u32::ld(addr) })
            }
            #[inline(always)]
            unsafe fn st(addr: u64, v: Self) {
                unsafe { u32::st(addr, v.to_bits()) }
            }
            #[inline(always)]
            unsafe fn ld_cg(addr: u64) -> Self {
                Self::from_bits(unsafe { u32::ld_cg(addr) })
            }
        }
    };
}
global32_bits!(Bf16x2);
global32_bits!(F16x2);

/// `ld.global.nc.v4.b32`: 16 bytes at a 16-byte aligned `addr`.
#[inline(always)]
unsafe fn ld_nc_v4_b32(addr: u64) -> [u32; 4] {
    let (x, y, z, w): (u32, u32, u32, u32);
    unsafe {
        asm!("ld.global.nc.v4.b32 {{{x}, {y}, {z}, {w}}}, [{a}];",
            x = out(reg32) x, y = out(reg32) y, z = out(reg32) z, w = out(reg32) w,
            a = in(reg64) addr, options(pure, readonly, nostack))
    };
    [x, y, z, w]
}

/// `ld.global.v4.b32`: 16 bytes at a 16-byte aligned `addr` (coherent).
#[inline(always)]
unsafe fn ld_v4_b32(addr: u64) -> [u32; 4] {
    let (x, y, z, w): (u32, u32, u32, u32);
    unsafe {
        asm!("ld.global.v4.b32 {{{x}, {y}, {z}, {w}}}, [{a}];",
            x = out(reg32) x, y = out(reg32) y, z = out(reg32) z, w = out(reg32) w,
            a = in(reg64) addr, options(pure, readonly, nostack))
    };
    [x, y, z, w]
}

/// `st.global.v4.b32`: 16 bytes to a 16-byte aligned `addr`.
#[inline(always)]
unsafe fn st_v4_b32(addr: u64, [x, y, z, w]: [u32; 4]) {
    unsafe {
        asm!("st.global.v4.b32 [{a}], {{{x}, {y}, {z}, {w}}};",
            x = in(reg32) x, y = in(reg32) y, z = in(reg32) z, w = in(reg32) w,
            a = in(reg64) addr, options(nostack))
    };
}

/// Scalar 16-bit accesses and 128-bit groups of eight for one half type.
macro_rules! global_half {
    ($t:ident, $t2:ident, $t8:ident, $load8:ident, $store8:ident) => {
        impl GlobalPtr<$t> {
            /// Element `i`, read through the non-coherent path (`ld.global.nc.b16`).
            #[inline(always)]
            pub unsafe fn load(self, i: usize) -> $t {
                let a = self.offset(i).addr();
                let v: u16;
                unsafe {
                    asm!("ld.global.nc.b16 {v}, [{a}];", v = out(reg16) v, a = in(reg64) a,
                        options(pure, readonly, nostack))
                };
                $t::from_bits(v)
            }
            #[doc = concat!("Elements `8*i .. 8*i+8` in one 128-bit non-coherent load ",
                "(`ld.global.nc.v4.b32`); the address must be 16-byte aligned.")]
            #[inline(always)]
            pub unsafe fn $load8(self, i: usize) -> $t8 {
                let v = unsafe { ld_nc_v4_b32(self.offset(8 * i).addr()) };
                $t8(v.map($t2::from_bits))
            }
        }

        impl GlobalPtrMut<$t> {
            /// Element `i` (coherent load, `ld.global.b16`).
            #[inline(always)]
            pub unsafe fn load(self, i: usize) -> $t {
                let a = self.offset(i).addr();
                let v: u16;
                unsafe {
                    asm!("ld.global.b16 {v}, [{a}];", v = out(reg16) v, a = in(reg64) a,
                        options(pure, readonly, nostack))
                };
                $t::from_bits(v)
            }
            /// Writes element `i` (`st.global.b16`).
            #[inline(always)]
            pub unsafe fn store(self, i: usize, v: $t) {
                let a = self.offset(i).addr();
                unsafe {
                    asm!("st.global.b16 [{a}], {v};", v = in(reg16) v.to_bits(), a = in(reg64) a,
                        options(nostack))
                };
            }
            #[doc = concat!("Elements `8*i .. 8*i+8` in one 128-bit coherent load ",
                "(`ld.global.v4.b32`); the address must be 16-byte aligned.")]
            #[inline(always)]
            pub unsafe fn $load8(self, i: usize) -> $t8 {
                let v = unsafe { ld_v4_b32(self.offset(8 * i).addr()) };
                $t8(v.map($t2::from_bits))
            }
            #[doc = concat!("Writes elements `8*i .. 8*i+8` in one 128-bit store ",
                "(`st.global.v4.b32`); the address must be 16-byte aligned.")]
            #[inline(always)]
            pub unsafe fn $store8(self, i: usize, v: $t8) {
                unsafe { st_v4_b32(self.offset(8 * i).addr(), v.0.map(|p| p.to_bits())) }
            }
        }
    };
}
global_half!(Bf16, Bf16x2, Bf16x8, load_bf16x8, store_bf16x8);
global_half!(F16, F16x2, F16x8, load_f16x8, store_f16x8);
