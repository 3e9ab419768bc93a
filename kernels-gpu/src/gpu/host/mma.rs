//! Host twin of `gpu/mma.rs` (the fragment types and their layouts, the same code); the
//! warp-collective `mma.sync` itself is not emulated: it stops the launch with
//! `not emulated: mma.sync m16n8k16 (tensor cores)`.

use crate::half::{Bf16, F16};
use core::marker::PhantomData;

/// The `A` operand of one `m16n8k16` mma: a 16×16 tile, eight halves of type `T` per lane in
/// four 32-bit registers (layout in `gpu/mma.rs`).
#[repr(C)]
pub struct FragA<T> {
    pub regs: [u32; 4],
    _t: PhantomData<T>,
}

/// The `B` operand of one `m16n8k16` mma: a 16×8 (`K × N`) tile, four halves of type `T` per
/// lane in two 32-bit registers (layout in `gpu/mma.rs`).
#[repr(C)]
pub struct FragB<T> {
    pub regs: [u32; 2],
    _t: PhantomData<T>,
}

/// The `C`/`D` accumulator of one `m16n8k16` mma: a 16×8 tile of f32, four per lane (layout in
/// the [module docs](self)).
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub struct FragC(pub [f32; 4]);

impl<T> Clone for FragA<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for FragA<T> {}
impl<T> Clone for FragB<T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T> Copy for FragB<T> {}

impl<T> FragA<T> {
    /// A fragment from its four registers (each two halves, low half = lower column).
    #[inline(always)]
    pub const fn from_regs(regs: [u32; 4]) -> Self {
        Self {
            regs,
            _t: PhantomData,
        }
    }
    /// The all-zero fragment.
    #[inline(always)]
    pub const fn zero() -> Self {
        Self::from_regs([0; 4])
    }
    /// `(row, col)` in the 16×16 tile of half `h` (0 low, 1 high) of register `r` (0..4) of
    /// lane `lane`.
    #[inline(always)]
    pub const fn coords(lane: u32, r: u32, h: u32) -> (u32, u32) {
        let (g, t) = (lane / 4, lane % 4);
        (g + 8 * (r & 1), 2 * t + h + 8 * (r >> 1))
    }
}

impl<T> FragB<T> {
    /// A fragment from its two registers (each two halves, low half = lower `k`).
    #[inline(always)]
    pub const fn from_regs(regs: [u32; 2]) -> Self {
        Self {
            regs,
            _t: PhantomData,
        }
    }
    /// The all-zero fragment.
    #[inline(always)]
    pub const fn zero() -> Self {
        Self::from_regs([0; 2])
    }
    /// `(k, n)` in the 16×8 tile of half `h` (0 low, 1 high) of register `r` (0..2) of lane
    /// `lane`.
    #[inline(always)]
    pub const fn coords(lane: u32, r: u32, h: u32) -> (u32, u32) {
        let (g, t) = (lane / 4, lane % 4);
        (2 * t + h + 8 * r, g)
    }
}

impl FragC {
    /// `(row, col)` in the 16×8 tile of element `i` (0..4) of lane `lane`.
    #[inline(always)]
    pub const fn coords(lane: u32, i: u32) -> (u32, u32) {
        let (g, t) = (lane / 4, lane % 4);
        (g + 8 * (i >> 1), 2 * t + (i & 1))
    }

    /// `self = a·b + self` (`mma.sync.aligned.m16n8k16.row.col.f32.T.T.f32`, SASS `HMMA.16816`)
    /// for the whole warp. Every lane of the warp must call it together.
    #[inline]
    #[track_caller]
    pub fn mma<T: MmaInput>(&mut self, a: &FragA<T>, b: &FragB<T>) {
        T::mma_16816(self, a, b)
    }
}

/// The input types of `mma.sync m16n8k16` with f32 accumulators: [`Bf16`] and [`F16`].
pub trait MmaInput: Sized + sealed::Sealed {
    /// `d = a·b + d`.
    fn mma_16816(d: &mut FragC, a: &FragA<Self>, b: &FragB<Self>);
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::half::Bf16 {}
    impl Sealed for crate::half::F16 {}
}

macro_rules! mma_16816 {
    ($t:ty) => {
        impl MmaInput for $t {
            #[inline]
            #[track_caller]
            fn mma_16816(_d: &mut FragC, _a: &FragA<Self>, _b: &FragB<Self>) {
                crate::emu::not_emulated("mma.sync m16n8k16 (tensor cores)")
            }
        }
    };
}
mma_16816!(Bf16);
mma_16816!(F16);
