//! Shared memory through 32-bit shared-window addresses, so accesses compile to `LDS` / `STS`.
//!
//! Static arrays: [`shared_array!`](crate::shared_array). Dynamic shared memory (size given at
//! launch): [`dynamic_shared`]. Why not a generic pointer from `cvta.shared`: ptxas then emits
//! generic `LD`/`ST`, 21% slower in the tiled SGEMM spike (DESIGN.md §3).
//!
//! | call | PTX | SASS |
//! | --- | --- | --- |
//! | `SharedPtr::<f32>::load` | `ld.shared.f32` | `LDS` |
//! | `SharedPtr::<f32>::store` | `st.shared.f32` | `STS` |
//! | `SharedPtr::<f32>::load_f32x4` | `ld.shared.v4.f32` | `LDS.128` |
//! | `SharedPtr::<f32>::store_f32x4` | `st.shared.v4.f32` | `STS.128` |

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
