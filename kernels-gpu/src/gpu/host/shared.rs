//! Shared memory in the emulator: `SharedPtr` holds a 32-bit address in the block's emulated
//! shared window (as on the GPU), and every access is checked: inside an array, aligned, not
//! racing with another thread's access since the last barrier, and reading bytes some thread of
//! the block wrote (else a warning). Same API as `gpu/shared.rs`.

use crate::emu::ctx::{self, Op};
use crate::half::{Bf16, Bf16x2, Bf16x8, F16, F16x2, F16x8};
use crate::ptr::F32x4;
use core::marker::PhantomData;
use core::panic::Location;

/// A typed address in the shared-memory window (4 bytes, not 8: shared addresses are 32-bit).
#[repr(transparent)]
pub struct SharedPtr<T> {
    addr: u32,
    _t: PhantomData<*mut T>,
}

impl<T> Clone for SharedPtr<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for SharedPtr<T> {}

impl<T> SharedPtr<T> {
    /// From a shared-window address (as produced by [`shared_array!`](crate::shared_array)).
    #[inline(always)]
    pub const fn from_addr(addr: u32) -> Self {
        Self {
            addr,
            _t: PhantomData,
        }
    }
    /// The shared-window address.
    #[inline(always)]
    pub const fn addr(self) -> u32 {
        self.addr
    }
    /// The pointer `i` elements further on.
    #[inline(always)]
    pub const fn offset(self, i: u32) -> Self {
        Self::from_addr(self.addr + i * core::mem::size_of::<T>() as u32)
    }
    /// The same address seen as another element type (e.g. `f32` tile read as `F32x4`).
    #[inline(always)]
    pub const fn cast<U>(self) -> SharedPtr<U> {
        SharedPtr::from_addr(self.addr)
    }
}

/// The block's dynamic shared memory, sized by the launch's `shared_mem_bytes`; 16-byte aligned.
#[inline]
pub fn dynamic_shared<T>() -> SharedPtr<T> {
    SharedPtr::from_addr(ctx::dynamic_shared())
}

fn op<T>(call: &'static str, elem: usize) -> Op {
    Op {
        call,
        ty: core::any::type_name::<T>(),
        elem,
    }
}

/// A 32-bit value that shared loads and stores can move.
pub trait Shared32: Copy {
    /// `ld.shared.b32`.
    #[track_caller]
    unsafe fn lds(addr: u32) -> Self;
    /// `st.shared.b32`.
    #[track_caller]
    unsafe fn sts(addr: u32, v: Self);
}

macro_rules! shared32 {
    ($t:ty) => {
        impl Shared32 for $t {
            #[inline]
            #[track_caller]
            unsafe fn lds(addr: u32) -> Self {
                let b =
                    ctx::shared_load::<4>(addr, op::<$t>("SharedPtr::load", 4), Location::caller());
                <$t>::from_le_bytes(b)
            }
            #[inline]
            #[track_caller]
            unsafe fn sts(addr: u32, v: Self) {
                ctx::shared_store::<4>(
                    addr,
                    v.to_le_bytes(),
                    op::<$t>("SharedPtr::store", 4),
                    Location::caller(),
                )
            }
        }
    };
}
shared32!(f32);
shared32!(u32);
shared32!(i32);

impl<T: Shared32> SharedPtr<T> {
    /// Element `i` (`ld.shared`). Unsafe on the GPU: `i` must be inside the array (the
    /// emulator checks).
    #[inline]
    #[track_caller]
    pub unsafe fn load(self, i: u32) -> T {
        unsafe { T::lds(self.offset(i).addr) }
    }
    /// Writes element `i` (`st.shared`).
    #[inline]
    #[track_caller]
    pub unsafe fn store(self, i: u32, v: T) {
        unsafe { T::sts(self.offset(i).addr, v) }
    }
}

/// Four 32-bit words from 16 little-endian bytes.
pub(crate) fn words(b: [u8; 16]) -> [u32; 4] {
    core::array::from_fn(|k| {
        u32::from_le_bytes([b[4 * k], b[4 * k + 1], b[4 * k + 2], b[4 * k + 3]])
    })
}

/// 16 little-endian bytes from four 32-bit words.
pub(crate) fn bytes(w: [u32; 4]) -> [u8; 16] {
    core::array::from_fn(|k| w[k / 4].to_le_bytes()[k % 4])
}

impl SharedPtr<f32> {
    /// Elements `i .. i+4` in one `ld.shared.v4.f32`; `i` must be a multiple of 4 from a
    /// 16-byte aligned base (checked).
    #[inline]
    #[track_caller]
    pub unsafe fn load_f32x4(self, i: u32) -> F32x4 {
        let b = ctx::shared_load::<16>(
            self.offset(i).addr,
            op::<f32>("SharedPtr::load_f32x4", 4),
            Location::caller(),
        );
        F32x4(words(b).map(f32::from_bits))
    }
    /// Writes elements `i .. i+4` in one `st.shared.v4.f32`.
    #[inline]
    #[track_caller]
    pub unsafe fn store_f32x4(self, i: u32, v: F32x4) {
        let b = bytes(v.0.map(f32::to_bits));
        ctx::shared_store::<16>(
            self.offset(i).addr,
            b,
            op::<f32>("SharedPtr::store_f32x4", 4),
            Location::caller(),
        )
    }
}

macro_rules! shared32_bits {
    ($t:ty) => {
        impl Shared32 for $t {
            #[inline]
            #[track_caller]
            unsafe fn lds(addr: u32) -> Self {
                let b =
                    ctx::shared_load::<4>(addr, op::<$t>("SharedPtr::load", 2), Location::caller());
                Self::from_bits(u32::from_le_bytes(b))
            }
            #[inline]
            #[track_caller]
            unsafe fn sts(addr: u32, v: Self) {
                ctx::shared_store::<4>(
                    addr,
                    v.to_bits().to_le_bytes(),
                    op::<$t>("SharedPtr::store", 2),
                    Location::caller(),
                )
            }
        }
    };
}
shared32_bits!(Bf16x2);
shared32_bits!(F16x2);

/// Scalar 16-bit accesses and 128-bit groups of eight for one half type.
macro_rules! shared_half {
    ($t:ident, $t2:ident, $t8:ident, $load8:ident, $store8:ident) => {
        impl SharedPtr<$t> {
            /// Element `i` (`ld.shared.b16`).
            #[inline]
            #[track_caller]
            pub unsafe fn load(self, i: u32) -> $t {
                let b = ctx::shared_load::<2>(self.offset(i).addr, op::<$t>("SharedPtr::load", 2), Location::caller());
                $t::from_bits(u16::from_le_bytes(b))
            }
            /// Writes element `i` (`st.shared.b16`).
            #[inline]
            #[track_caller]
            pub unsafe fn store(self, i: u32, v: $t) {
                ctx::shared_store::<2>(self.offset(i).addr, v.to_bits().to_le_bytes(), op::<$t>("SharedPtr::store", 2), Location::caller())
            }
            #[doc = concat!("Elements `i .. i+8` in one `ld.shared.v4.b32`; `i` must be a multiple of 8 ",
                "from a 16-byte aligned base (checked).")]
            #[inline]
            #[track_caller]
            pub unsafe fn $load8(self, i: u32) -> $t8 {
                let b = ctx::shared_load::<16>(self.offset(i).addr, op::<$t>(concat!("SharedPtr::", stringify!($load8)), 2), Location::caller());
                $t8(words(b).map($t2::from_bits))
            }
            #[doc = concat!("Writes elements `i .. i+8` in one `st.shared.v4.b32`.")]
            #[inline]
            #[track_caller]
            pub unsafe fn $store8(self, i: u32, v: $t8) {
                let b = bytes(v.0.map(|p| p.to_bits()));
                ctx::shared_store::<16>(self.offset(i).addr, b, op::<$t>(concat!("SharedPtr::", stringify!($store8)), 2), Location::caller())
            }
        }
    };
}
shared_half!(Bf16, Bf16x2, Bf16x8, load_bf16x8, store_bf16x8);
shared_half!(F16, F16x2, F16x8, load_f16x8, store_f16x8);
