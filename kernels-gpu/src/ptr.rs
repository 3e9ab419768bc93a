//! Pointers into global memory, shared by host and device.
//!
//! A parameter struct holds [`GlobalPtr`] (read-only input) and [`GlobalPtrMut`] (output) rather
//! than raw pointers: on the device their accessors emit `ld.global` / `ld.global.nc` /
//! `st.global` (SASS `LDG` / `STG`). A raw pointer inside a struct parameter is a *generic*
//! pointer to LLVM, which ptxas turns into generic `LD.E` / `ST.E` (checked, see docs/architecture.md §3).
//! On the host they are built from device addresses (`u64`), ours or an external framework's.

use core::marker::PhantomData;

/// Marker for a kernel's parameter struct: `#[repr(C)]`, `Copy`, plain data only (device
/// addresses and numbers), so that the host may push its bytes as the kernel's one parameter.
///
/// # Safety
/// Implement only for `#[repr(C)]` structs whose fields are all plain data with no padding that
/// the kernel reads.
pub unsafe trait KernelParams: Copy {}

/// Address of read-only data in global memory. Loads use the non-coherent path
/// (`ld.global.nc`, SASS `LDG.E.CONSTANT`): the data must not be written during the launch.
#[repr(transparent)]
pub struct GlobalPtr<T> {
    addr: u64,
    _t: PhantomData<*const T>,
}

/// Address of writable data in global memory (`ld.global` / `st.global`).
#[repr(transparent)]
pub struct GlobalPtrMut<T> {
    addr: u64,
    _t: PhantomData<*mut T>,
}

macro_rules! ptr_common {
    ($ty:ident) => {
        impl<T> Clone for $ty<T> {
            fn clone(&self) -> Self {
                *self
            }
        }
        impl<T> Copy for $ty<T> {}
        impl<T> core::fmt::Debug for $ty<T> {
            fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
                write!(f, concat!(stringify!($ty), "({:#x})"), self.addr)
            }
        }
        impl<T> $ty<T> {
            /// A pointer from a device address (from our buffers or an external framework).
            pub const fn from_addr(addr: u64) -> Self {
                Self {
                    addr,
                    _t: PhantomData,
                }
            }
            /// The device address.
            pub const fn addr(self) -> u64 {
                self.addr
            }
            /// The pointer `i` elements further on.
            #[inline(always)]
            pub const fn offset(self, i: usize) -> Self {
                Self::from_addr(self.addr + (i * core::mem::size_of::<T>()) as u64)
            }
            /// The same address seen as another element type: a `Bf16` array read as
            /// `Bf16x2` pairs, or a host buffer of `u16` bits passed as `Bf16`.
            #[inline(always)]
            pub const fn cast<U>(self) -> $ty<U> {
                $ty::from_addr(self.addr)
            }
        }
    };
}
ptr_common!(GlobalPtr);
ptr_common!(GlobalPtrMut);

impl<T> GlobalPtrMut<T> {
    /// The same address, read-only.
    pub const fn as_const(self) -> GlobalPtr<T> {
        GlobalPtr::from_addr(self.addr)
    }
}

/// Four `f32` in one 16-byte register group: the unit of 128-bit loads and stores.
#[repr(C, align(16))]
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct F32x4(pub [f32; 4]);
