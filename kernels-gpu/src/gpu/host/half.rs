//! Half precision in the emulator: the conversions and packed arithmetic of `gpu/half.rs`, bit
//! for bit. Conversions use the `half` crate (round to nearest even, subnormals kept) with the
//! GPU's canonical NaN (`0x7fff`); `fma`, `+` and `*` round `a·b + c` once, by rounding to odd
//! in f64 and f32 before the final rounding (the model of `kernel_lab::half_ref`), which the
//! GPU tests also check the GPU against.

use crate::half::{Bf16, Bf16x2, F16, F16x2};
use core::ops::{Add, Mul};

const CANONICAL_NAN: u16 = 0x7fff;

/// `a·b + c` rounded to odd in f32 (exact in f64 but for the sum, whose error TwoSum
/// recovers): rounding that to nearest in a half type rounds the exact value once.
fn fma_to_odd_f32(a: f64, b: f64, c: f64) -> f32 {
    let p = a * b;
    let s = p + c;
    if !s.is_finite() {
        return s as f32;
    }
    let v = s - p;
    let e = (p - (s - v)) + (c - v);
    let t = if e != 0.0 && s.to_bits() & 1 == 0 {
        if e > 0.0 { s.next_up() } else { s.next_down() }
    } else {
        s
    };
    let f = t as f32;
    if f.is_infinite() {
        return f32::MAX.copysign(f);
    }
    if f as f64 == t || f.to_bits() & 1 == 1 {
        f
    } else if t > f as f64 {
        f.next_up()
    } else {
        f.next_down()
    }
}

fn bf16_bits(x: f32) -> u16 {
    if x.is_nan() {
        CANONICAL_NAN
    } else {
        half::bf16::from_f32(x).to_bits()
    }
}

fn f16_bits(x: f32) -> u16 {
    if x.is_nan() {
        CANONICAL_NAN
    } else {
        half::f16::from_f32(x).to_bits()
    }
}

fn bf16_f64(b: u16) -> f64 {
    f32::from_bits((b as u32) << 16) as f64
}

fn f16_f64(b: u16) -> f64 {
    half::f16::from_bits(b).to_f64()
}

impl Bf16 {
    /// `cvt.rn.bf16.f32`: `x` rounded to nearest even (overflow: ±inf; NaN: the canonical NaN).
    #[inline]
    pub fn from_f32(x: f32) -> Self {
        Self::from_bits(bf16_bits(x))
    }
    /// The value as `f32`, exactly.
    #[inline]
    pub fn to_f32(self) -> f32 {
        f32::from_bits((self.to_bits() as u32) << 16)
    }
}

impl Bf16x2 {
    /// Both rounded to nearest even, `lo` in the low half (element 0 in memory).
    #[inline]
    pub fn pack_lo_hi(lo: f32, hi: f32) -> Self {
        Self::new(Bf16::from_f32(lo), Bf16::from_f32(hi))
    }
    /// Both halves as `f32`, exactly: `(lo, hi)`.
    #[inline]
    pub fn to_f32_lo_hi(self) -> (f32, f32) {
        let b = self.to_bits();
        (f32::from_bits(b << 16), f32::from_bits(b & 0xffff_0000))
    }
    /// `fma.rn.bf16x2`: `self·b + c` per half, fused (rounded once).
    #[inline]
    pub fn fma(self, b: Self, c: Self) -> Self {
        let one = |x: Bf16, y: Bf16, z: Bf16| {
            let r = fma_to_odd_f32(
                bf16_f64(x.to_bits()),
                bf16_f64(y.to_bits()),
                bf16_f64(z.to_bits()),
            );
            Bf16::from_bits(bf16_bits(r))
        };
        Self::new(
            one(self.lo(), b.lo(), c.lo()),
            one(self.hi(), b.hi(), c.hi()),
        )
    }
}

/// `a + b` per half, rounded once (`fma.rn.bf16x2 d, a, 1.0, b` on sm_80).
impl Add for Bf16x2 {
    type Output = Self;
    #[inline]
    fn add(self, b: Self) -> Self {
        self.fma(Self::splat(Bf16::ONE), b)
    }
}

/// `a · b` per half, rounded once (`fma.rn.bf16x2 d, a, b, -0.0` on sm_80).
impl Mul for Bf16x2 {
    type Output = Self;
    #[inline]
    fn mul(self, b: Self) -> Self {
        self.fma(b, Self::splat(Bf16::NEG_ZERO))
    }
}

impl F16 {
    /// `cvt.rn.f16.f32`: `x` rounded to nearest even (overflow, from 65520 up: ±inf).
    #[inline]
    pub fn from_f32(x: f32) -> Self {
        Self::from_bits(f16_bits(x))
    }
    /// `cvt.f32.f16`: the value as `f32`, exactly.
    #[inline]
    pub fn to_f32(self) -> f32 {
        half::f16::from_bits(self.to_bits()).to_f32()
    }
    /// As Rust's `f16` (a bit cast); its arithmetic is the host's.
    #[inline]
    pub fn to_f16(self) -> f16 {
        f16::from_bits(self.to_bits())
    }
    /// From Rust's `f16` (a bit cast).
    #[inline]
    pub fn from_f16(x: f16) -> Self {
        Self::from_bits(x.to_bits())
    }
}

impl F16x2 {
    /// Both rounded to nearest even, `lo` in the low half.
    #[inline]
    pub fn pack_lo_hi(lo: f32, hi: f32) -> Self {
        Self::new(F16::from_f32(lo), F16::from_f32(hi))
    }
    /// Both halves as `f32`, exactly: `(lo, hi)`.
    #[inline]
    pub fn to_f32_lo_hi(self) -> (f32, f32) {
        (self.lo().to_f32(), self.hi().to_f32())
    }
    /// `fma.rn.f16x2`: `self·b + c` per half, fused (rounded once).
    #[inline]
    pub fn fma(self, b: Self, c: Self) -> Self {
        let one = |x: F16, y: F16, z: F16| {
            let r = fma_to_odd_f32(
                f16_f64(x.to_bits()),
                f16_f64(y.to_bits()),
                f16_f64(z.to_bits()),
            );
            F16::from_bits(f16_bits(r))
        };
        Self::new(
            one(self.lo(), b.lo(), c.lo()),
            one(self.hi(), b.hi(), c.hi()),
        )
    }
}

/// `add.rn.f16x2`: `a + b` per half, rounded once.
impl Add for F16x2 {
    type Output = Self;
    #[inline]
    fn add(self, b: Self) -> Self {
        self.fma(Self::splat(F16::ONE), b)
    }
}

/// `mul.rn.f16x2`: `a · b` per half, rounded once.
impl Mul for F16x2 {
    type Output = Self;
    #[inline]
    fn mul(self, b: Self) -> Self {
        self.fma(b, Self::splat(F16::NEG_ZERO))
    }
}
