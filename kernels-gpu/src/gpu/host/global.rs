//! Loads and stores through [`GlobalPtr`] / [`GlobalPtrMut`] in the emulator: the address must
//! lie inside a live allocation of the emulated memory and be aligned to the access size, or
//! the launch stops with an error naming the buffer, the element index and the kernel's line.
//! Same API as `gpu/global.rs`; `ld.global.nc`, `ld.global` and `ld.global.cg` all read the
//! one sequentially consistent memory (the emulator has no caches).

use super::shared::{bytes, words};
use crate::emu::ctx::{self, Op};
use crate::half::{Bf16, Bf16x2, Bf16x8, F16, F16x2, F16x8};
use crate::ptr::{F32x4, GlobalPtr, GlobalPtrMut};
use core::panic::Location;

fn op<T>(call: &'static str, elem: usize) -> Op {
    Op {
        call,
        ty: core::any::type_name::<T>(),
        elem,
    }
}

/// A 32-bit value that global loads and stores can move.
pub trait Global32: Copy {
    /// `ld.global.nc.b32`.
    #[track_caller]
    unsafe fn ld_nc(addr: u64) -> Self;
    /// `ld.global.b32`.
    #[track_caller]
    unsafe fn ld(addr: u64) -> Self;
    /// `st.global.b32`.
    #[track_caller]
    unsafe fn st(addr: u64, v: Self);
    /// `ld.global.cg.b32` (L2 only).
    #[track_caller]
    unsafe fn ld_cg(addr: u64) -> Self;
}

macro_rules! global32 {
    ($t:ty, $elem:expr, $from:expr, $to:expr) => {
        impl Global32 for $t {
            #[inline]
            #[track_caller]
            unsafe fn ld_nc(addr: u64) -> Self {
                $from(u32::from_le_bytes(ctx::global_load::<4>(
                    addr,
                    op::<$t>("GlobalPtr::load", $elem),
                    Location::caller(),
                )))
            }
            #[inline]
            #[track_caller]
            unsafe fn ld(addr: u64) -> Self {
                $from(u32::from_le_bytes(ctx::global_load::<4>(
                    addr,
                    op::<$t>("GlobalPtrMut::load", $elem),
                    Location::caller(),
                )))
            }
            #[inline]
            #[track_caller]
            unsafe fn ld_cg(addr: u64) -> Self {
                $from(u32::from_le_bytes(ctx::global_load::<4>(
                    addr,
                    op::<$t>("GlobalPtrMut::load_cg", $elem),
                    Location::caller(),
                )))
            }
            #[inline]
            #[track_caller]
            unsafe fn st(addr: u64, v: Self) {
                ctx::global_store::<4>(
                    addr,
                    $to(v).to_le_bytes(),
                    op::<$t>("GlobalPtrMut::store", $elem),
                    Location::caller(),
                )
            }
        }
    };
}
global32!(f32, 4, f32::from_bits, f32::to_bits);
global32!(u32, 4, core::convert::identity, core::convert::identity);
global32!(i32, 4, |b: u32| b as i32, |v: i32| v as u32);
global32!(Bf16x2, 2, Bf16x2::from_bits, Bf16x2::to_bits);
global32!(F16x2, 2, F16x2::from_bits, F16x2::to_bits);

impl<T> GlobalPtr<T> {
    /// A hint on the GPU (`prefetch.global.L2`); nothing to do here (no cache to fill).
    #[inline]
    pub unsafe fn prefetch_l2(self, i: usize) {
        let _ = (self, i);
    }
}

impl<T: Global32> GlobalPtr<T> {
    /// Element `i`, read through the non-coherent (read-only) path.
    #[inline]
    #[track_caller]
    pub unsafe fn load(self, i: usize) -> T {
        unsafe { T::ld_nc(self.offset(i).addr()) }
    }
}

impl<T: Global32> GlobalPtrMut<T> {
    /// Element `i` (coherent load).
    #[inline]
    #[track_caller]
    pub unsafe fn load(self, i: usize) -> T {
        unsafe { T::ld(self.offset(i).addr()) }
    }
    /// Writes element `i`.
    #[inline]
    #[track_caller]
    pub unsafe fn store(self, i: usize, v: T) {
        unsafe { T::st(self.offset(i).addr(), v) }
    }
    /// Element `i`, cached in L2 only on the GPU (`ld.global.cg`); a plain load here.
    #[inline]
    #[track_caller]
    pub unsafe fn load_cg(self, i: usize) -> T {
        unsafe { T::ld_cg(self.offset(i).addr()) }
    }
}

impl GlobalPtr<f32> {
    /// Elements `4*i .. 4*i+4` in one 128-bit non-coherent load (16-byte aligned: checked).
    #[inline]
    #[track_caller]
    pub unsafe fn load_f32x4(self, i: usize) -> F32x4 {
        let b = ctx::global_load::<16>(
            self.offset(4 * i).addr(),
            op::<f32>("GlobalPtr::load_f32x4", 4),
            Location::caller(),
        );
        F32x4(words(b).map(f32::from_bits))
    }
}

impl GlobalPtrMut<f32> {
    /// Writes elements `4*i .. 4*i+4` in one 128-bit store (16-byte aligned: checked).
    #[inline]
    #[track_caller]
    pub unsafe fn store_f32x4(self, i: usize, v: F32x4) {
        let b = bytes(v.0.map(f32::to_bits));
        ctx::global_store::<16>(
            self.offset(4 * i).addr(),
            b,
            op::<f32>("GlobalPtrMut::store_f32x4", 4),
            Location::caller(),
        )
    }
    /// Elements `4*i .. 4*i+4` in one 128-bit coherent load.
    #[inline]
    #[track_caller]
    pub unsafe fn load_f32x4(self, i: usize) -> F32x4 {
        let b = ctx::global_load::<16>(
            self.offset(4 * i).addr(),
            op::<f32>("GlobalPtrMut::load_f32x4", 4),
            Location::caller(),
        );
        F32x4(words(b).map(f32::from_bits))
    }
}

impl GlobalPtrMut<f32> {
    /// Writes elements `2*i, 2*i+1` in one 64-bit store (8-byte aligned: checked).
    #[inline]
    #[track_caller]
    pub unsafe fn store_f32x2(self, i: usize, v: [f32; 2]) {
        let [x, y] = v.map(|f| f.to_bits().to_le_bytes());
        ctx::global_store::<8>(
            self.offset(2 * i).addr(),
            [x[0], x[1], x[2], x[3], y[0], y[1], y[2], y[3]],
            op::<f32>("GlobalPtrMut::store_f32x2", 2),
            Location::caller(),
        )
    }
    /// Elements `2*i, 2*i+1` in one 64-bit coherent load.
    #[inline]
    #[track_caller]
    pub unsafe fn load_f32x2(self, i: usize) -> [f32; 2] {
        let b = ctx::global_load::<8>(
            self.offset(2 * i).addr(),
            op::<f32>("GlobalPtrMut::load_f32x2", 2),
            Location::caller(),
        );
        let w = |k: usize| f32::from_le_bytes([b[k], b[k + 1], b[k + 2], b[k + 3]]);
        [w(0), w(4)]
    }
}

/// Scalar 16-bit accesses and 128-bit groups of eight for one half type.
macro_rules! global_half {
    ($t:ident, $t2:ident, $t8:ident, $load8:ident, $store8:ident) => {
        impl GlobalPtr<$t> {
            /// Element `i`, read through the non-coherent path (`ld.global.nc.b16`).
            #[inline]
            #[track_caller]
            pub unsafe fn load(self, i: usize) -> $t {
                let b = ctx::global_load::<2>(
                    self.offset(i).addr(),
                    op::<$t>("GlobalPtr::load", 2),
                    Location::caller(),
                );
                $t::from_bits(u16::from_le_bytes(b))
            }
            #[doc = concat!("Elements `8*i .. 8*i+8` in one 128-bit non-coherent load ",
                                                                "(16-byte aligned: checked).")]
            #[inline]
            #[track_caller]
            pub unsafe fn $load8(self, i: usize) -> $t8 {
                let b = ctx::global_load::<16>(
                    self.offset(8 * i).addr(),
                    op::<$t>(concat!("GlobalPtr::", stringify!($load8)), 2),
                    Location::caller(),
                );
                $t8(words(b).map($t2::from_bits))
            }
        }

        impl GlobalPtrMut<$t> {
            /// Element `i` (coherent load, `ld.global.b16`).
            #[inline]
            #[track_caller]
            pub unsafe fn load(self, i: usize) -> $t {
                let b = ctx::global_load::<2>(
                    self.offset(i).addr(),
                    op::<$t>("GlobalPtrMut::load", 2),
                    Location::caller(),
                );
                $t::from_bits(u16::from_le_bytes(b))
            }
            /// Writes element `i` (`st.global.b16`).
            #[inline]
            #[track_caller]
            pub unsafe fn store(self, i: usize, v: $t) {
                ctx::global_store::<2>(
                    self.offset(i).addr(),
                    v.to_bits().to_le_bytes(),
                    op::<$t>("GlobalPtrMut::store", 2),
                    Location::caller(),
                )
            }
            #[doc = concat!("Elements `8*i .. 8*i+8` in one 128-bit coherent load.")]
            #[inline]
            #[track_caller]
            pub unsafe fn $load8(self, i: usize) -> $t8 {
                let b = ctx::global_load::<16>(
                    self.offset(8 * i).addr(),
                    op::<$t>(concat!("GlobalPtrMut::", stringify!($load8)), 2),
                    Location::caller(),
                );
                $t8(words(b).map($t2::from_bits))
            }
            #[doc = concat!("Writes elements `8*i .. 8*i+8` in one 128-bit store.")]
            #[inline]
            #[track_caller]
            pub unsafe fn $store8(self, i: usize, v: $t8) {
                let b = bytes(v.0.map(|p| p.to_bits()));
                ctx::global_store::<16>(
                    self.offset(8 * i).addr(),
                    b,
                    op::<$t>(concat!("GlobalPtrMut::", stringify!($store8)), 2),
                    Location::caller(),
                )
            }
        }
    };
}
global_half!(Bf16, Bf16x2, Bf16x8, load_bf16x8, store_bf16x8);
global_half!(F16, F16x2, F16x8, load_f16x8, store_f16x8);
