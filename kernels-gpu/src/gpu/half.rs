//! Half precision on the device: conversions to and from `f32`, and packed (two-lane)
//! arithmetic on [`Bf16x2`] / [`F16x2`]. The types themselves are shared with the host
//! ([`crate::half`]); loads and stores are in [`super::global`] and [`super::shared`].
//!
//! | call | PTX | SASS (ptxas 13.5, sm_80 / sm_90) |
//! | --- | --- | --- |
//! | `Bf16::from_f32` | `cvt.rn.bf16.f32` | `F2FP.BF16.PACK_AB` / `F2FP.BF16.F32.PACK_AB` |
//! | `Bf16::to_f32` | `shl.b32` (exact: a bf16 is the top half of an `f32`) | `IMAD.U32 d, x, 0x10000` |
//! | `Bf16x2::pack_lo_hi(lo, hi)` | `cvt.rn.bf16x2.f32 d, hi, lo` | `F2FP.BF16.PACK_AB` / `F2FP.BF16.F32.PACK_AB` |
//! | `Bf16x2::to_f32_lo_hi` | `shl.b32`, `and.b32` (exact) | `IMAD.U32`, `LOP3` |
//! | `Bf16x2::fma` | `fma.rn.bf16x2` | `HFMA2.BF16_V2` / `HFMA2.MMA.BF16_V2` |
//! | `Bf16x2 + Bf16x2` | `fma.rn.bf16x2 d, a, 1.0, b` | `HFMA2.BF16_V2 d, a, 1, 1, b` / `HFMA2.MMA.BF16_V2` |
//! | `Bf16x2 * Bf16x2` | `fma.rn.bf16x2 d, a, b, -0.0` | `HFMA2.BF16_V2 d, a, b, -RZ` / `HMUL2.BF16_V2` |
//! | `F16::from_f32` | `cvt.rn.f16.f32` | `F2FP.PACK_AB` / `F2FP.F16.F32.PACK_AB` |
//! | `F16::to_f32` | `cvt.f32.f16` | `HADD2.F32 d, -RZ, h.H0_H0` |
//! | `F16x2::pack_lo_hi(lo, hi)` | `cvt.rn.f16x2.f32 d, hi, lo` | `F2FP.PACK_AB` / `F2FP.F16.F32.PACK_AB` |
//! | `F16x2::to_f32_lo_hi` | split (`cvt.u16.u32`, `mov.b32 {_, hi}`), 2 × `cvt.f32.f16` | 2 × `HADD2.F32` (`.H0_H0`, `.H1_H1`) |
//! | `F16x2::fma` | `fma.rn.f16x2` | `HFMA2` (or `HFMA2.MMA`) |
//! | `F16x2 + F16x2` / `F16x2 * F16x2` | `add.rn.f16x2` / `mul.rn.f16x2` | `HADD2` / `HMUL2` |
//! | `F16::to_f16` / `F16::from_f16` | none: bits to Rust's `f16`, whose `+`, `*`, `mul_add`, `as f32` give `add.rn.f16`, `mul.rn.f16`, `fma.rn.f16`, `cvt.f32.f16` | `HADD2`, `HMUL2`, `HFMA2`, `HADD2.F32` (ptxas may pair two scalar ops into one) |
//!
//! **Rounding.** Every conversion to a half type and every arithmetic operation rounds once,
//! to nearest with ties to even (`.rn`), with subnormals kept (no `.ftz`): overflow gives ±inf,
//! results below half the smallest subnormal give ±0, NaN stays NaN (payload not kept). `fma`
//! is fused: `a·b + c` computed exactly, then rounded once. Conversions to `f32` are exact.
//! The explicit `.rn` also keeps ptxas from contracting a `mul` and an `add` into an `fma`.
//!
//! **Pack order.** `cvt.rn.bf16x2.f32 d, a, b` puts `a` in the **high** half of `d`; the
//! functions here take `(lo, hi)` and pass them swapped, so `pack_lo_hi(x0, x1)` stored to
//! memory gives `[x0, x1]`.
//!
//! **Why bf16 add and mul are fmas.** `add.rn.bf16x2` / `mul.rn.bf16x2` need sm_90 and PTX ISA
//! 7.8; our PTX targets sm_80 (ISA 7.0), where `fma.rn.bf16x2` exists. `a·1 + b` and
//! `a·b + (-0)` are exactly `a + b` and `a·b` rounded once (the `-0` keeps the sign of a zero
//! product), as CUDA's `cuda_bf16.h` does on sm_80. Likewise `cvt.f32.bf16` needs ISA 7.1, and
//! a shift is exact anyway.
//!
//! Halves travel to inline asm as their bits (`u16` in `reg16`, pairs as `u32` in `reg32`):
//! Rust's `f16` has no asm register class on nvptx, and bf16 has no Rust type. None of these
//! operations is collective, so the asm is `pure, nomem`: LLVM may move, merge or drop it.

use crate::half::{Bf16, Bf16x2, F16, F16x2};
use core::arch::asm;
use core::ops::{Add, Mul};

/// `cvt.rn.bf16x2.f32 d, hi, lo` / `cvt.rn.f16x2.f32 d, hi, lo`, as bits.
macro_rules! cvt_x2 {
    ($ptx:literal, $lo:expr, $hi:expr) => {{
        let d: u32;
        // SAFETY: a register-only conversion; `a` (high half) is `hi`, `b` (low half) is `lo`.
        unsafe {
            asm!(concat!($ptx, " {d}, {a}, {b};"), d = out(reg32) d, a = in(reg32) $hi, b = in(reg32) $lo,
                options(pure, nomem, nostack))
        };
        d
    }};
}

/// A packed three-operand op `op d, a, b, c` on 32-bit registers, as bits.
macro_rules! packed3 {
    ($ptx:literal, $a:expr, $b:expr, $c:expr) => {{
        let d: u32;
        // SAFETY: register-only arithmetic.
        unsafe {
            asm!(concat!($ptx, " {d}, {a}, {b}, {c};"), d = out(reg32) d, a = in(reg32) $a, b = in(reg32) $b,
                c = in(reg32) $c, options(pure, nomem, nostack))
        };
        d
    }};
}

/// A packed two-operand op `op d, a, b` on 32-bit registers, as bits.
macro_rules! packed2 {
    ($ptx:literal, $a:expr, $b:expr) => {{
        let d: u32;
        // SAFETY: register-only arithmetic.
        unsafe {
            asm!(concat!($ptx, " {d}, {a}, {b};"), d = out(reg32) d, a = in(reg32) $a, b = in(reg32) $b,
                options(pure, nomem, nostack))
        };
        d
    }};
}

impl Bf16 {
    /// `cvt.rn.bf16.f32`: `x` rounded to nearest even (overflow: ±inf; NaN: a NaN).
    #[inline(always)]
    pub fn from_f32(x: f32) -> Self {
        let d: u16;
        // SAFETY: a register-only conversion.
        unsafe {
            asm!("cvt.rn.bf16.f32 {d}, {x};", d = out(reg16) d, x = in(reg32) x, options(pure, nomem, nostack))
        };
        Self::from_bits(d)
    }
    /// The value as `f32`, exactly: the bits shifted into the top half (`shl.b32`).
    #[inline(always)]
    pub fn to_f32(self) -> f32 {
        f32::from_bits((self.to_bits() as u32) << 16)
    }
}

impl Bf16x2 {
    /// `cvt.rn.bf16x2.f32 d, hi, lo`: both rounded to nearest even, `lo` in the low half
    /// (element 0 in memory).
    #[inline(always)]
    pub fn pack_lo_hi(lo: f32, hi: f32) -> Self {
        Self::from_bits(cvt_x2!("cvt.rn.bf16x2.f32", lo, hi))
    }
    /// Both halves as `f32`, exactly: `(lo, hi)` (`shl.b32`, `and.b32`).
    #[inline(always)]
    pub fn to_f32_lo_hi(self) -> (f32, f32) {
        let b = self.to_bits();
        (f32::from_bits(b << 16), f32::from_bits(b & 0xffff_0000))
    }
    /// `fma.rn.bf16x2`: `self·b + c` per half, fused (rounded once).
    #[inline(always)]
    pub fn fma(self, b: Self, c: Self) -> Self {
        Self::from_bits(packed3!(
            "fma.rn.bf16x2",
            self.to_bits(),
            b.to_bits(),
            c.to_bits()
        ))
    }
}

/// `fma.rn.bf16x2 d, a, 1.0, b`: `a + b` per half, rounded once (sm_80 has no `add.bf16x2`).
impl Add for Bf16x2 {
    type Output = Self;
    #[inline(always)]
    fn add(self, b: Self) -> Self {
        self.fma(Self::splat(Bf16::ONE), b)
    }
}

/// `fma.rn.bf16x2 d, a, b, -0.0`: `a · b` per half, rounded once (sm_80 has no `mul.bf16x2`).
impl Mul for Bf16x2 {
    type Output = Self;
    #[inline(always)]
    fn mul(self, b: Self) -> Self {
        self.fma(b, Self::splat(Bf16::NEG_ZERO))
    }
}

impl F16 {
    /// `cvt.rn.f16.f32`: `x` rounded to nearest even (overflow, from 65520 up: ±inf).
    #[inline(always)]
    pub fn from_f32(x: f32) -> Self {
        let d: u16;
        // SAFETY: a register-only conversion.
        unsafe {
            asm!("cvt.rn.f16.f32 {d}, {x};", d = out(reg16) d, x = in(reg32) x, options(pure, nomem, nostack))
        };
        Self::from_bits(d)
    }
    /// `cvt.f32.f16`: the value as `f32`, exactly.
    #[inline(always)]
    pub fn to_f32(self) -> f32 {
        let d: f32;
        // SAFETY: a register-only conversion.
        unsafe {
            asm!("cvt.f32.f16 {d}, {h};", d = out(reg32) d, h = in(reg16) self.to_bits(), options(pure, nomem, nostack))
        };
        d
    }
    /// As Rust's `f16`, whose arithmetic compiles to `add.rn.f16`, `mul.rn.f16`, `fma.rn.f16`
    /// (`mul_add`) and `cvt`: scalar f16 math in ordinary Rust. A bit cast, no instruction.
    #[inline(always)]
    pub fn to_f16(self) -> f16 {
        f16::from_bits(self.to_bits())
    }
    /// From Rust's `f16` (a bit cast).
    #[inline(always)]
    pub fn from_f16(x: f16) -> Self {
        Self::from_bits(x.to_bits())
    }
}

impl F16x2 {
    /// `cvt.rn.f16x2.f32 d, hi, lo`: both rounded to nearest even, `lo` in the low half.
    #[inline(always)]
    pub fn pack_lo_hi(lo: f32, hi: f32) -> Self {
        Self::from_bits(cvt_x2!("cvt.rn.f16x2.f32", lo, hi))
    }
    /// Both halves as `f32`, exactly: `(lo, hi)` (two `cvt.f32.f16`).
    #[inline(always)]
    pub fn to_f32_lo_hi(self) -> (f32, f32) {
        (self.lo().to_f32(), self.hi().to_f32())
    }
    /// `fma.rn.f16x2`: `self·b + c` per half, fused (rounded once).
    #[inline(always)]
    pub fn fma(self, b: Self, c: Self) -> Self {
        Self::from_bits(packed3!(
            "fma.rn.f16x2",
            self.to_bits(),
            b.to_bits(),
            c.to_bits()
        ))
    }
}

/// `add.rn.f16x2`: `a + b` per half, rounded once.
impl Add for F16x2 {
    type Output = Self;
    #[inline(always)]
    fn add(self, b: Self) -> Self {
        Self::from_bits(packed2!("add.rn.f16x2", self.to_bits(), b.to_bits()))
    }
}

/// `mul.rn.f16x2`: `a · b` per half, rounded once.
impl Mul for F16x2 {
    type Output = Self;
    #[inline(always)]
    fn mul(self, b: Self) -> Self {
        Self::from_bits(packed2!("mul.rn.f16x2", self.to_bits(), b.to_bits()))
    }
}
