//! Shared memory through 32-bit shared-window addresses, so accesses compile to `LDS` / `STS`.
//!
//! Static arrays: [`shared_array!`](crate::shared_array). Dynamic shared memory (size given at
//! launch): [`dynamic_shared`]. Why not a generic pointer from `cvta.shared`: ptxas then emits
//! generic `LD`/`ST`, 21% slower in the tiled SGEMM spike (docs/architecture.md §3).
//!
//! | call | PTX | SASS |
//! | --- | --- | --- |
//! | `SharedPtr::<f32>::load` | `ld.shared.f32` | `LDS` |
//! | `SharedPtr::<f32>::store` | `st.shared.f32` | `STS` |
//! | `SharedPtr::<f32>::load_f32x4` | `ld.shared.v4.f32` | `LDS.128` |
//! | `SharedPtr::<f32>::store_f32x4` | `st.shared.v4.f32` | `STS.128` |
//! | `SharedPtr::<Bf16>::load` / `store` (and `F16`) | `ld.shared.b16` / `st.shared.b16` | `LDS.U16` / `STS.U16` |
//! | `SharedPtr::<Bf16x2>::load` / `store` (and `F16x2`, via [`Shared32`]) | `ld.shared.u32` / `st.shared.u32` | `LDS` / `STS` |
//!
//! ptxas merges adjacent scalar accesses of one thread into wider ones (four 16-bit stores to
//! consecutive, 8-byte aligned addresses become one `STS.64`).
//! | `SharedPtr::<Bf16>::load_bf16x8` / `<F16>::load_f16x8` | `ld.shared.v4.b32` | `LDS.128` |
//! | `SharedPtr::<Bf16>::store_bf16x8` / `<F16>::store_f16x8` | `st.shared.v4.b32` | `STS.128` |

use crate::half::{Bf16, Bf16x2, Bf16x8, F16, F16x2, F16x8};
use crate::ptr::F32x4;
use core::arch::{asm, global_asm};
use core::marker::PhantomData;

global_asm!(".extern .shared .align 16 .b8 KLAB_DYN_SMEM[];");

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

/// The block's dynamic shared memory (`extern __shared__`), sized by the launch's
/// `shared_mem_bytes`; 16-byte aligned.
#[inline(always)]
pub fn dynamic_shared<T>() -> SharedPtr<T> {
    let addr: u32;
    unsafe {
        asm!("mov.u32 {a}, KLAB_DYN_SMEM;", a = out(reg32) addr, options(pure, nomem, nostack))
    };
    SharedPtr::from_addr(addr)
}

/// A 32-bit value that shared loads and stores can move.
pub trait Shared32: Copy {
    /// `ld.shared.b32`.
    unsafe fn lds(addr: u32) -> Self;
    /// `st.shared.b32`.
    unsafe fn sts(addr: u32, v: Self);
}

macro_rules! shared32 {
    ($t:ty, $ptx:literal) => {
        impl Shared32 for $t {
            #[inline(always)]
            unsafe fn lds(addr: u32) -> Self {
                let v: $t;
                unsafe { asm!(concat!("ld.shared.", $ptx, " {v}, [{a}];"), v = out(reg32) v, a = in(reg32) addr, options(pure, readonly, nostack)) };
                v
            }
            #[inline(always)]
            unsafe fn sts(addr: u32, v: Self) {
                unsafe { asm!(concat!("st.shared.", $ptx, " [{a}], {v};"), v = in(reg32) v, a = in(reg32) addr, options(nostack)) };
            }
        }
    };
}
shared32!(f32, "f32");
shared32!(u32, "u32");
shared32!(i32, "s32");

impl<T: Shared32> SharedPtr<T> {
    /// Element `i` (`ld.shared`). Unsafe: `i` must be inside the array.
    #[inline(always)]
    pub unsafe fn load(self, i: u32) -> T {
        unsafe { T::lds(self.offset(i).addr) }
    }
    /// Writes element `i` (`st.shared`). Unsafe: `i` must be inside the array.
    #[inline(always)]
    pub unsafe fn store(self, i: u32, v: T) {
        unsafe { T::sts(self.offset(i).addr, v) }
    }
}

impl SharedPtr<f32> {
    /// Elements `i .. i+4` in one `ld.shared.v4.f32` (`LDS.128`); `i` must be a multiple of 4
    /// from a 16-byte aligned base.
    #[inline(always)]
    pub unsafe fn load_f32x4(self, i: u32) -> F32x4 {
        let a = self.offset(i).addr;
        let (x, y, z, w): (f32, f32, f32, f32);
        unsafe {
            asm!("ld.shared.v4.f32 {{{x}, {y}, {z}, {w}}}, [{a}];",
                x = out(reg32) x, y = out(reg32) y, z = out(reg32) z, w = out(reg32) w,
                a = in(reg32) a, options(pure, readonly, nostack))
        };
        F32x4([x, y, z, w])
    }
    /// Writes elements `i .. i+4` in one `st.shared.v4.f32` (`STS.128`).
    #[inline(always)]
    pub unsafe fn store_f32x4(self, i: u32, v: F32x4) {
        let a = self.offset(i).addr;
        let [x, y, z, w] = v.0;
        unsafe {
            asm!("st.shared.v4.f32 [{a}], {{{x}, {y}, {z}, {w}}};",
                x = in(reg32) x, y = in(reg32) y, z = in(reg32) z, w = in(reg32) w,
                a = in(reg32) a, options(nostack))
        };
    }
}

/// A pair of halves as a 32-bit value: the `u32` accesses of its bits (`ld.shared.u32`,
/// `st.shared.u32`).
macro_rules! shared32_bits {
    ($t:ty) => {
        impl Shared32 for $t {
            #[inline(always)]
            unsafe fn lds(addr: u32) -> Self {
                Self::from_bits(unsafe { u32::lds(addr) })
            }
            #[inline(always)]
            unsafe fn sts(addr: u32, v: Self) {
                unsafe { u32::sts(addr, v.to_bits()) }
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
            /// Element `i` (`ld.shared.b16`). Unsafe: `i` must be inside the array.
            #[inline(always)]
            pub unsafe fn load(self, i: u32) -> $t {
                let a = self.offset(i).addr;
                let v: u16;
                unsafe {
                    asm!("ld.shared.b16 {v}, [{a}];", v = out(reg16) v, a = in(reg32) a,
                        options(pure, readonly, nostack))
                };
                $t::from_bits(v)
            }
            /// Writes element `i` (`st.shared.b16`). Unsafe: `i` must be inside the array.
            #[inline(always)]
            pub unsafe fn store(self, i: u32, v: $t) {
                let a = self.offset(i).addr;
                unsafe {
                    asm!("st.shared.b16 [{a}], {v};", v = in(reg16) v.to_bits(), a = in(reg32) a,
                        options(nostack))
                };
            }
            #[doc = concat!("Elements `i .. i+8` in one `ld.shared.v4.b32` (`LDS.128`); `i` must ",
                "be a multiple of 8 from a 16-byte aligned base.")]
            #[inline(always)]
            pub unsafe fn $load8(self, i: u32) -> $t8 {
                let a = self.offset(i).addr;
                let (x, y, z, w): (u32, u32, u32, u32);
                unsafe {
                    asm!("ld.shared.v4.b32 {{{x}, {y}, {z}, {w}}}, [{a}];",
                        x = out(reg32) x, y = out(reg32) y, z = out(reg32) z, w = out(reg32) w,
                        a = in(reg32) a, options(pure, readonly, nostack))
                };
                $t8([x, y, z, w].map($t2::from_bits))
            }
            #[doc = concat!("Writes elements `i .. i+8` in one `st.shared.v4.b32` (`STS.128`); ",
                "`i` must be a multiple of 8 from a 16-byte aligned base.")]
            #[inline(always)]
            pub unsafe fn $store8(self, i: u32, v: $t8) {
                let a = self.offset(i).addr;
                let [x, y, z, w] = v.0.map(|p| p.to_bits());
                unsafe {
                    asm!("st.shared.v4.b32 [{a}], {{{x}, {y}, {z}, {w}}};",
                        x = in(reg32) x, y = in(reg32) y, z = in(reg32) z, w = in(reg32) w,
                        a = in(reg32) a, options(nostack))
                };
            }
        }
    };
}
shared_half!(Bf16, Bf16x2, Bf16x8, load_bf16x8, store_bf16x8);
shared_half!(F16, F16x2, F16x8, load_f16x8, store_f16x8);
