//! Warp-level tensor-core matrix multiply-accumulate: `mma.sync.aligned.m16n8k16`, bf16 or f16
//! inputs, f32 accumulators (sm_80 and later), with its operand fragments as types.
//!
//! | call | PTX | SASS (sm_80 / sm_90) |
//! | --- | --- | --- |
//! | `FragC::mma(&mut c, &FragA<Bf16>, &FragB<Bf16>)` | `mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32` | `HMMA.16816.F32.BF16` |
//! | `FragC::mma(&mut c, &FragA<F16>, &FragB<F16>)` | `mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32` | `HMMA.16816.F32` |
//!
//! One instruction computes `D[16×8] = A[16×16]·B[16×8] + C[16×8]` for the whole warp: every
//! lane holds a piece of each operand (its *fragment*) in registers. The pieces, from the PTX
//! ISA ("Matrix Fragments for mma.m16n8k16 with floating point type"), with
//! `g = lane / 4` (the group) and `t = lane % 4` (the thread in the group):
//!
//! ```text
//! A (16×16, row = M, col = K), 4 registers of two halves, low half = lower column:
//!   a[0] = A[g    ][2t, 2t+1]     a[2] = A[g    ][2t+8, 2t+9]
//!   a[1] = A[g + 8][2t, 2t+1]     a[3] = A[g + 8][2t+8, 2t+9]
//! B (16×8, row = K, col = N), 2 registers of two halves, low half = lower row (k):
//!   b[0] = B[2t, 2t+1  ][g]       b[1] = B[2t+8, 2t+9][g]
//! C, D (16×8, f32), 4 registers:
//!   c[0] = C[g][2t]   c[1] = C[g][2t+1]   c[2] = C[g+8][2t]   c[3] = C[g+8][2t+1]
//! ```
//!
//! `.row.col` is the only layout for 16-bit inputs: A's pairs run along K within a row, B's
//! pairs run along K within a column (B is read "column-major"). [`super::ldmatrix`] loads
//! both from shared memory, B from a row-major `K×N` tile with `.trans`.
//!
//! **Convergence.** The instruction is warp-collective (`.sync.aligned`: all 32 lanes execute
//! the same `mma` together). The asm is `nomem, nostack` and deliberately **not** `pure`: a pure
//! asm may be sunk or duplicated into a lane-divergent branch by LLVM, which knows nothing of
//! convergence (docs/device-api.md, gotcha 3); non-pure asm has side effects LLVM keeps in
//! place. Still, call it where every lane of the warp does, never under a lane-dependent `if`.
//! (Not `llvm.nvvm.mma.*`: that intrinsic is not convergent, and LLVM was seen copying it into
//! both arms of a divergent branch.)

use crate::half::{Bf16, F16};
use core::arch::asm;
use core::marker::PhantomData;

/// The `A` operand of one `m16n8k16` mma: a 16×16 tile, eight halves of type `T` per lane in
/// four 32-bit registers (layout in the [module docs](self)).
#[repr(C)]
pub struct FragA<T> {
    pub regs: [u32; 4],
    _t: PhantomData<T>,
}

/// The `B` operand of one `m16n8k16` mma: a 16×8 (`K × N`) tile, four halves of type `T` per
/// lane in two 32-bit registers (layout in the [module docs](self)).
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
    #[inline(always)]
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
    ($t:ty, $ptx:literal) => {
        impl MmaInput for $t {
            #[inline(always)]
            fn mma_16816(d: &mut FragC, a: &FragA<Self>, b: &FragB<Self>) {
                let [a0, a1, a2, a3] = a.regs;
                let [b0, b1] = b.regs;
                let c = &mut d.0;
                // SAFETY: register-only; warp-collective, hence not `pure` (module docs).
                unsafe {
                    asm!(
                        concat!($ptx, " {{{d0}, {d1}, {d2}, {d3}}}, {{{a0}, {a1}, {a2}, {a3}}}, {{{b0}, {b1}}}, {{{d0}, {d1}, {d2}, {d3}}};"),
                        d0 = inout(reg32) c[0],
                        d1 = inout(reg32) c[1],
                        d2 = inout(reg32) c[2],
                        d3 = inout(reg32) c[3],
                        a0 = in(reg32) a0,
                        a1 = in(reg32) a1,
                        a2 = in(reg32) a2,
                        a3 = in(reg32) a3,
                        b0 = in(reg32) b0,
                        b1 = in(reg32) b1,
                        options(nomem, nostack),
                    )
                };
            }
        }
    };
}
mma_16816!(Bf16, "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32");
mma_16816!(F16, "mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32");
