//! `mma.sync.aligned.m16n8k16` in the emulator: the same fragment types and layouts as
//! `gpu/mma.rs` (its module doc has them), computed by the warp together: every lane passes its
//! fragments (a `.sync.aligned` exchange, which every lane of the warp must reach), rebuilds the
//! 16×16 `A` and 16×8 `B` tiles from the documented coordinates, and computes its four
//! elements of `D = A·B + C`.
//!
//! **Precision.** The 16 products of a dot product are exact in f64 and summed there with `C`,
//! then rounded once to f32. The tensor cores' own order and intermediate rounding of the
//! accumulation are not specified (and not modelled), so GPU results can differ in the last
//! bits of f32.

use crate::emu::ctx;
use crate::half::{Bf16, F16};
use core::marker::PhantomData;
use core::panic::Location;

/// The `A` operand of one `m16n8k16` mma: a 16×16 tile, eight halves of type `T` per lane in
/// four registers.
#[repr(C)]
pub struct FragA<T> {
    pub regs: [u32; 4],
    _t: PhantomData<T>,
}

/// The `B` operand of one `m16n8k16` mma: a 16×8 (`K × N`) tile, four halves per lane.
#[repr(C)]
pub struct FragB<T> {
    pub regs: [u32; 2],
    _t: PhantomData<T>,
}

/// The `C` / `D` operand: a 16×8 tile of f32, four per lane.
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
    /// From the four registers as `ldmatrix.x4` returns them.
    #[inline(always)]
    pub const fn from_regs(regs: [u32; 4]) -> Self {
        Self {
            regs,
            _t: PhantomData,
        }
    }
    /// All zeros.
    #[inline(always)]
    pub const fn zero() -> Self {
        Self::from_regs([0; 4])
    }
    /// `(row, col)` of the element in half `h` of register `r` of lane `lane`.
    #[inline(always)]
    pub const fn coords(lane: u32, r: u32, h: u32) -> (u32, u32) {
        let (g, t) = (lane / 4, lane % 4);
        (g + 8 * (r & 1), 2 * t + h + 8 * (r >> 1))
    }
}

impl<T> FragB<T> {
    /// From the two registers as `ldmatrix.x2.trans` returns them.
    #[inline(always)]
    pub const fn from_regs(regs: [u32; 2]) -> Self {
        Self {
            regs,
            _t: PhantomData,
        }
    }
    /// All zeros.
    #[inline(always)]
    pub const fn zero() -> Self {
        Self::from_regs([0; 2])
    }
    /// `(k, n)` of the element in half `h` of register `r` of lane `lane`.
    #[inline(always)]
    pub const fn coords(lane: u32, r: u32, h: u32) -> (u32, u32) {
        let (g, t) = (lane / 4, lane % 4);
        (2 * t + h + 8 * r, g)
    }
}

impl FragC {
    /// `(row, col)` of accumulator `i` of lane `lane`.
    #[inline(always)]
    pub const fn coords(lane: u32, i: u32) -> (u32, u32) {
        let (g, t) = (lane / 4, lane % 4);
        (g + 8 * (i >> 1), 2 * t + (i & 1))
    }

    /// `self = a·b + self` for the warp's 16×8 tile (`mma.sync.aligned.m16n8k16.row.col`): every
    /// lane of the warp must call it together.
    #[inline]
    #[track_caller]
    pub fn mma<T: MmaInput>(&mut self, a: &FragA<T>, b: &FragB<T>) {
        T::mma_16816(self, a, b)
    }
}

/// An input type of the tensor-core mma: [`Bf16`] or [`F16`].
pub trait MmaInput: Sized + sealed::Sealed {
    /// `d = a·b + d`.
    #[track_caller]
    fn mma_16816(d: &mut FragC, a: &FragA<Self>, b: &FragB<Self>);
    /// The value of a half's bits.
    #[doc(hidden)]
    fn value(bits: u16) -> f64;
}

mod sealed {
    pub trait Sealed {}
    impl Sealed for crate::half::Bf16 {}
    impl Sealed for crate::half::F16 {}
}

/// The emulated mma: the warp's fragments exchanged, then this lane's four results.
#[track_caller]
fn mma_16816<T: MmaInput>(d: &mut FragC, a: &FragA<T>, b: &FragB<T>) {
    let c = d.0.map(f32::to_bits);
    let mine = [
        a.regs[0], a.regs[1], a.regs[2], a.regs[3], b.regs[0], b.regs[1], c[0], c[1], c[2], c[3],
    ];
    let all = ctx::warp_gather(&mine, Location::caller());
    let half = |reg: u32, h: u32| T::value((reg >> (16 * h)) as u16);
    let mut am = [[0f64; 16]; 16];
    let mut bm = [[0f64; 8]; 16];
    for (lane, w) in all.iter().enumerate() {
        let lane = lane as u32;
        for r in 0..4 {
            for h in 0..2 {
                let (row, col) = FragA::<T>::coords(lane, r, h);
                am[row as usize][col as usize] = half(w[r as usize], h);
            }
        }
        for r in 0..2 {
            for h in 0..2 {
                let (k, n) = FragB::<T>::coords(lane, r, h);
                bm[k as usize][n as usize] = half(w[4 + r as usize], h);
            }
        }
    }
    let lane = ctx::lane();
    for i in 0..4 {
        let (row, col) = FragC::coords(lane, i);
        let mut acc = d.0[i as usize] as f64;
        for k in 0..16 {
            acc += am[row as usize][k] * bm[k][col as usize];
        }
        d.0[i as usize] = acc as f32;
    }
}

impl MmaInput for Bf16 {
    #[inline]
    #[track_caller]
    fn mma_16816(d: &mut FragC, a: &FragA<Self>, b: &FragB<Self>) {
        mma_16816(d, a, b)
    }
    fn value(bits: u16) -> f64 {
        f32::from_bits((bits as u32) << 16) as f64
    }
}

impl MmaInput for F16 {
    #[inline]
    #[track_caller]
    fn mma_16816(d: &mut FragC, a: &FragA<Self>, b: &FragB<Self>) {
        mma_16816(d, a, b)
    }
    fn value(bits: u16) -> f64 {
        half::f16::from_bits(bits).to_f64()
    }
}
