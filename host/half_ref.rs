//! CPU references for half precision (bf16, f16): correctly rounded `fma`, `add` and `mul`,
//! the curated inputs that exercise their corner cases, and the bit-exact comparison the GPU
//! tests use. Conversions come straight from the `half` crate (`from_f32` rounds to nearest
//! even; `to_f32` is exact).
//!
//! **Why a model, not `half`'s arithmetic or an f64 fma.** The GPU's `fma.rn.bf16x2` rounds
//! `a·b + c` once. Computing it in f64 and then rounding to bf16 rounds twice, and that is
//! wrong when the f64 sum lands exactly on a bf16 halfway point that the exact sum is not on:
//! `7 · 39 + 2^-133` is `273 + 2^-133`, which is above the halfway point 273 between the bf16
//! neighbours 272 and 274, so the answer is 274; f64 rounds the sum to 273 and then ties go to
//! even, 272. (An f32 fma fails the same way.) This needs an exponent gap of more than 53 bits
//! between `a·b` and `c`, which bf16's f32-sized range allows. Besides, `half`'s own
//! `from_f64` is not correctly rounded (it drops the low 32 mantissa bits first).
//!
//! So [`fma_bf16`] / [`fma_f16`] round **to odd** twice and to nearest once: `a·b` is exact in
//! f64 (at most 22 significant bits); TwoSum gives `a·b + c = s + e` exactly; `s` rounded to
//! odd with `e` as the sticky bit, then to odd in f32, and only then to nearest even in the
//! half type. Rounding to odd into a format with at least two more bits never creates a tie
//! that was not there (Boldo and Melquiond), so the result is `a·b + c` rounded once. f32 has
//! 16 more bits than bf16 and 13 more than f16 at every magnitude, subnormals included.
//! The unit tests below check the model against exact integer arithmetic for f16 and against
//! hand-worked cases for bf16. `add` is `fma(a, 1, b)` and `mul` is `fma(a, b, -0)`, which are
//! exactly IEEE `a + b` and `a·b` (the `-0` keeps the sign of a zero product).

use half::{bf16, f16};

/// `a·b + c` rounded once to nearest even (ties to even, subnormals kept), as bf16.
pub fn fma_bf16(a: bf16, b: bf16, c: bf16) -> bf16 {
    bf16::from_f32(fma_to_odd_f32(a.to_f64(), b.to_f64(), c.to_f64()))
}

/// `a·b + c` rounded once to nearest even, as f16.
pub fn fma_f16(a: f16, b: f16, c: f16) -> f16 {
    f16::from_f32(fma_to_odd_f32(a.to_f64(), b.to_f64(), c.to_f64()))
}

/// `a + b` rounded to nearest even, as bf16.
pub fn add_bf16(a: bf16, b: bf16) -> bf16 {
    fma_bf16(a, bf16::ONE, b)
}

/// `a · b` rounded to nearest even, as bf16.
pub fn mul_bf16(a: bf16, b: bf16) -> bf16 {
    fma_bf16(a, b, bf16::NEG_ZERO)
}

/// `a + b` rounded to nearest even, as f16.
pub fn add_f16(a: f16, b: f16) -> f16 {
    fma_f16(a, f16::ONE, b)
}

/// `a · b` rounded to nearest even, as f16.
pub fn mul_f16(a: f16, b: f16) -> f16 {
    fma_f16(a, b, f16::NEG_ZERO)
}

/// `a·b + c` rounded to odd in f32, for `a`, `b`, `c` with at most 11 significant bits and
/// exponents within f32's range (any bf16 or f16): exact in f64 but for the sum, whose error
/// TwoSum recovers.
fn fma_to_odd_f32(a: f64, b: f64, c: f64) -> f32 {
    let p = a * b; // exact: at most 22 significant bits, |p| <= 2^256
    let s = p + c;
    if !s.is_finite() {
        // An infinite or NaN input (the products and sums of finite inputs stay finite in f64).
        return s as f32;
    }
    // TwoSum (Knuth): s + e == p + c exactly.
    let v = s - p;
    let e = (p - (s - v)) + (c - v);
    // To odd in f64: an inexact sum whose nearest value is even moves to the odd neighbour on
    // the side of the exact value.
    let t = if e != 0.0 && s.to_bits() & 1 == 0 {
        if e > 0.0 { s.next_up() } else { s.next_down() }
    } else {
        s
    };
    // To odd in f32.
    let f = t as f32;
    if f.is_infinite() {
        return f32::MAX.copysign(f); // beyond f32's range: the largest (odd) finite value
    }
    if f as f64 == t || f.to_bits() & 1 == 1 {
        f
    } else if t > f as f64 {
        f.next_up()
    } else {
        f.next_down()
    }
}

/// Whether a half result matches its reference: the same bits, or both NaN (the GPU returns a
/// canonical NaN, not the input's payload).
pub fn same_bf16(got: u16, want: u16) -> bool {
    got == want || (bf16::from_bits(got).is_nan() && bf16::from_bits(want).is_nan())
}

/// [`same_bf16`] for f16.
pub fn same_f16(got: u16, want: u16) -> bool {
    got == want || (f16::from_bits(got).is_nan() && f16::from_bits(want).is_nan())
}

/// bf16 values (bits) for exhaustive combinations: signed zeros, ±1, infinities, NaNs (quiet,
/// negative with payload, signalling), the smallest and largest subnormals and normals, and
/// 7 and 39, whose product 273 is a bf16 halfway point.
pub const BF16_SPECIALS: &[u16] = &[
    0x0000, 0x8000, 0x3f80, 0xbf80, 0x4000, 0x3f81, 0x3f7f, 0x3f00, 0x3fc0, 0x40e0, 0x421c, 0xc21c,
    0x7f80, 0xff80, 0x7fc0, 0xffc1, 0x7f81, 0x0001, 0x8001, 0x007f, 0x0080, 0x0081, 0x7f7f, 0xff7f,
    0x5f80, 0x1f80, 0x3400,
];

/// f16 values (bits), the same classes as [`BF16_SPECIALS`].
pub const F16_SPECIALS: &[u16] = &[
    0x0000, 0x8000, 0x3c00, 0xbc00, 0x4000, 0x3c01, 0x3bff, 0x3800, 0x3e00, 0x4700, 0x50e0, 0xd0e0,
    0x7c00, 0xfc00, 0x7e00, 0xfe01, 0x7c01, 0x0001, 0x8001, 0x03ff, 0x0400, 0x0401, 0x7bff, 0xfbff,
    0x5bff, 0x1400, 0x6000,
];

/// f32 inputs (bits) for the conversions to bf16 and f16, an even number of them, starting
/// with the pair `(1.0, 2.0)` (its packed bits show the pack order): zeros, infinities, NaNs
/// (one whose payload is only in the low 16 bits, which truncation would turn into inf), exact
/// ties and their neighbours for both types, overflow (bf16: from the tie above the largest
/// value; f16: from 65520), f32 subnormals, and f16's subnormal range and its ties.
pub const F32_CONVERSION_CASES: &[u32] = &[
    0x3f80_0000,
    0x4000_0000, // (1.0, 2.0)
    0x0000_0000,
    0x8000_0000,
    0x7f80_0000,
    0xff80_0000,
    0x7fc0_0000,
    0xffc0_0001,
    0x7f80_0001,
    0x7fbf_ffff, // zeros, infinities, NaNs
    0x3f80_8000,
    0x3f81_8000,
    0x3f80_8001,
    0x3f80_7fff,
    0xbf80_8000,
    0xbf81_8000,
    0x3f7f_ffff, // bf16 ties and their neighbours
    0x7f7f_ffff,
    0x7f7f_7fff,
    0x7f7f_8000,
    0xff7f_8000,
    0x7f7f_8001, // bf16 overflow
    0x0000_0001,
    0x0000_8000,
    0x0000_8001,
    0x0001_8000,
    0x007f_ffff,
    0x8000_8001,
    0x0040_0000,
    0x8000_0001, // f32 subnormals
    0x3f80_1000,
    0x3f80_3000,
    0x3f80_1001,
    0x477f_e000,
    0x477f_efff,
    0x477f_f000,
    0x477f_f001,
    0x4780_0000,
    0x5015_02f9,
    0xc77f_f000, // f16 ties and overflow
    0x3380_0000,
    0x3300_0000,
    0x3300_0001,
    0x33c0_0000,
    0x3880_0000,
    0x387f_e000,
    0x32ff_ffff,
    0x387f_f000, // f16 subnormals
];

#[cfg(test)]
mod tests {
    use super::*;
    use kernels_gpu::{Bf16, Bf16x2, Bf16x8, F16, F16x2, F16x8};
    use rand::rngs::SmallRng;
    use rand::{Rng, SeedableRng};

    fn b(bits: u16) -> bf16 {
        bf16::from_bits(bits)
    }

    #[test]
    fn the_model_rounds_once_where_an_f64_fma_rounds_twice() {
        let (seven, thirty_nine, tiny) = (bf16::from_f32(7.0), bf16::from_f32(39.0), b(0x0001));
        assert_eq!((seven.to_bits(), thirty_nine.to_bits()), (0x40e0, 0x421c));
        // 273 lies halfway between bf16 272 (0x4388, even) and 274 (0x4389).
        let fma = |c| fma_bf16(seven, thirty_nine, c).to_bits();
        assert_eq!(fma(tiny), 0x4389, "273 + 2^-133 is above the tie");
        assert_eq!(fma(b(0x8001)), 0x4388, "273 - 2^-133 is below the tie");
        assert_eq!(fma(bf16::ZERO), 0x4388, "an exact tie goes to even");
        let f64_then_bf16 = bf16::from_f32((7.0f64 * 39.0 + tiny.to_f64()) as f32);
        assert_eq!(f64_then_bf16.to_bits(), 0x4388, "f64 rounds twice");
        let f32_fma = bf16::from_f32(7.0f32.mul_add(39.0, tiny.to_f32()));
        assert_eq!(f32_fma.to_bits(), 0x4388, "an f32 fma rounds twice");
    }

    #[test]
    fn the_model_handles_overflow_underflow_zeros_and_nan() {
        let max = bf16::MAX;
        assert_eq!(fma_bf16(max, bf16::ONE, max).to_bits(), 0x7f80, "max + max");
        assert_eq!(
            fma_bf16(max, b(0x4000), -max).to_bits(),
            max.to_bits(),
            "2max - max"
        );
        // 1.5 · 2^-133 is halfway between subnormals 1 and 2 quanta: even is 2.
        assert_eq!(fma_bf16(b(0x0001), b(0x3fc0), bf16::ZERO).to_bits(), 0x0002);
        // 0.5 · 2^-133 is halfway between 0 and the smallest subnormal: even is 0.
        assert_eq!(mul_bf16(b(0x0001), b(0x3f00)).to_bits(), 0x0000);
        assert_eq!(mul_bf16(b(0x8001), b(0x3f00)).to_bits(), 0x8000);
        // Sign of exact zeros.
        assert_eq!(add_bf16(bf16::ONE, -bf16::ONE).to_bits(), 0x0000);
        assert_eq!(add_bf16(bf16::NEG_ZERO, bf16::NEG_ZERO).to_bits(), 0x8000);
        assert_eq!(mul_bf16(bf16::NEG_ZERO, bf16::ONE).to_bits(), 0x8000);
        assert_eq!(mul_bf16(bf16::ZERO, -bf16::ONE).to_bits(), 0x8000);
        assert!(fma_bf16(bf16::INFINITY, bf16::ZERO, bf16::ONE).is_nan());
        assert!(add_bf16(bf16::INFINITY, bf16::NEG_INFINITY).is_nan());
        assert!(fma_bf16(bf16::NAN, bf16::ONE, bf16::ONE).is_nan());
        assert_eq!(
            fma_f16(f16::MAX, f16::ONE, f16::from_f32(16.0)).to_bits(),
            0x7c00
        );
        assert_eq!(
            fma_f16(f16::MAX, f16::ONE, f16::from_f32(15.0)).to_bits(),
            0x7bff
        );
    }

    #[test]
    fn the_half_crate_conversions_round_to_nearest_even() {
        let bf = |x: u32| bf16::from_f32(f32::from_bits(x)).to_bits();
        let h = |x: f32| f16::from_f32(x).to_bits();
        assert_eq!(bf(0x3f80_8000), 0x3f80);
        assert_eq!(bf(0x3f81_8000), 0x3f82);
        assert_eq!(bf(0x3f80_8001), 0x3f81);
        assert_eq!(
            bf(0x7f7f_8000),
            0x7f80,
            "the tie above the largest bf16 overflows"
        );
        assert_eq!(bf(0x7f7f_7fff), 0x7f7f);
        assert_eq!(bf(0x0001_8000), 0x0002);
        assert!(bf16::from_f32(f32::from_bits(0x7f80_0001)).is_nan());
        assert_eq!(h(65504.0), 0x7bff);
        assert_eq!(h(65519.99), 0x7bff);
        assert_eq!(h(65520.0), 0x7c00, "65520 is the tie above 65504: overflow");
        assert_eq!(
            h(2f32.powi(-25)),
            0x0000,
            "half the smallest subnormal ties to 0"
        );
        assert_eq!(h(1.5 * 2f32.powi(-24)), 0x0002);
        assert_eq!(h(2f32.powi(-14) - 2f32.powi(-25)), 0x0400);
        assert_eq!(f16::from_bits(0x0001).to_f32(), 2f32.powi(-24));
    }

    /// f16's `a·b + c` from integers: every finite f16 is `m · 2^-24`, so the exact sum is an
    /// integer `S` times `2^-48` (|S| < 2^81), rounded here to nearest even by hand.
    fn exact_fma_f16(a: f16, b: f16, c: f16) -> f16 {
        if !(a.is_finite() && b.is_finite() && c.is_finite()) {
            return f16::from_f64(a.to_f64() * b.to_f64() + c.to_f64());
        }
        let units = |x: f16| (x.to_f64() * 2f64.powi(24)) as i128; // exact
        let s = units(a) * units(b) + (units(c) << 24);
        if s == 0 {
            let neg = (a.is_sign_negative() != b.is_sign_negative()) && c.is_sign_negative();
            return if neg { f16::NEG_ZERO } else { f16::ZERO };
        }
        let mag = s.unsigned_abs();
        let e = 127 - mag.leading_zeros() as i32 - 48; // 2^e <= |value| < 2^(e+1)
        let q = e.max(-14) - 10 + 48; // the f16 quantum at that magnitude, 2^q units
        let (mut r, rest) = (mag >> q, mag & ((1u128 << q) - 1));
        let half = 1u128 << (q - 1);
        if rest > half || (rest == half && r & 1 == 1) {
            r += 1;
        }
        let v = (r as f64) * 2f64.powi(q - 48);
        let v = if v > 65504.0 { f64::INFINITY } else { v };
        let v = if s < 0 { -v } else { v };
        if v == 0.0 {
            return if s < 0 { f16::NEG_ZERO } else { f16::ZERO };
        }
        f16::from_f64(v) // exact: v is an f16 value or infinite
    }

    #[test]
    fn f16_fma_matches_exact_integer_arithmetic() {
        let mut rng = SmallRng::seed_from_u64(0x05ee_df16);
        let specials: Vec<f16> = F16_SPECIALS.iter().map(|&x| f16::from_bits(x)).collect();
        let mut triples = Vec::new();
        for &a in &specials {
            for &b in &specials {
                for &c in &specials {
                    triples.push((a, b, c));
                }
            }
        }
        let mut random = || f16::from_bits(rng.random());
        for _ in 0..200_000 {
            triples.push((random(), random(), random()));
        }
        for (a, b, c) in triples {
            let (got, want) = (fma_f16(a, b, c), exact_fma_f16(a, b, c));
            assert!(
                same_f16(got.to_bits(), want.to_bits()),
                "fma({:#06x}, {:#06x}, {:#06x}): model {:#06x}, exact {:#06x}",
                a.to_bits(),
                b.to_bits(),
                c.to_bits(),
                got.to_bits(),
                want.to_bits()
            );
        }
    }

    #[test]
    fn add_and_mul_match_the_half_crate() {
        // `half` adds and multiplies in f32 and rounds once more; for + and × that double
        // rounding is harmless (f32 has more than twice the bits plus two), so it is a check.
        let mut rng = SmallRng::seed_from_u64(0x05ee_dadd);
        let mut pairs: Vec<(u16, u16)> = Vec::new();
        for &x in BF16_SPECIALS.iter().chain(F16_SPECIALS) {
            for &y in BF16_SPECIALS.iter().chain(F16_SPECIALS) {
                pairs.push((x, y));
            }
        }
        pairs.extend((0..200_000).map(|_| (rng.random(), rng.random())));
        for (x, y) in pairs {
            let (bx, by) = (bf16::from_bits(x), bf16::from_bits(y));
            let (hx, hy) = (f16::from_bits(x), f16::from_bits(y));
            let ctx = format!("{x:#06x}, {y:#06x}");
            assert!(
                same_bf16(add_bf16(bx, by).to_bits(), (bx + by).to_bits()),
                "bf16 add {ctx}"
            );
            assert!(
                same_bf16(mul_bf16(bx, by).to_bits(), (bx * by).to_bits()),
                "bf16 mul {ctx}"
            );
            assert!(
                same_f16(add_f16(hx, hy).to_bits(), (hx + hy).to_bits()),
                "f16 add {ctx}"
            );
            assert!(
                same_f16(mul_f16(hx, hy).to_bits(), (hx * hy).to_bits()),
                "f16 mul {ctx}"
            );
        }
    }

    #[test]
    fn device_types_have_the_half_crate_layout() {
        use std::mem::{align_of, size_of};
        assert_eq!((size_of::<Bf16>(), align_of::<Bf16>()), (2, 2));
        assert_eq!((size_of::<F16>(), align_of::<F16>()), (2, 2));
        assert_eq!((size_of::<Bf16x2>(), align_of::<Bf16x2>()), (4, 4));
        assert_eq!((size_of::<F16x2>(), align_of::<F16x2>()), (4, 4));
        assert_eq!((size_of::<Bf16x8>(), align_of::<Bf16x8>()), (16, 16));
        assert_eq!((size_of::<F16x8>(), align_of::<F16x8>()), (16, 16));
        let same = |ours: u16, theirs: u16| assert_eq!(ours, theirs);
        same(Bf16::ONE.to_bits(), bf16::ONE.to_bits());
        same(Bf16::NAN.to_bits(), bf16::NAN.to_bits());
        same(Bf16::INFINITY.to_bits(), bf16::INFINITY.to_bits());
        same(Bf16::NEG_INFINITY.to_bits(), bf16::NEG_INFINITY.to_bits());
        same(Bf16::MAX.to_bits(), bf16::MAX.to_bits());
        same(Bf16::NEG_ZERO.to_bits(), bf16::NEG_ZERO.to_bits());
        same(F16::ONE.to_bits(), f16::ONE.to_bits());
        same(F16::NAN.to_bits(), f16::NAN.to_bits());
        same(F16::INFINITY.to_bits(), f16::INFINITY.to_bits());
        same(F16::NEG_INFINITY.to_bits(), f16::NEG_INFINITY.to_bits());
        same(F16::MAX.to_bits(), f16::MAX.to_bits());
        same(F16::NEG_ZERO.to_bits(), f16::NEG_ZERO.to_bits());
        for x in 0..=u16::MAX {
            assert_eq!(
                Bf16::from_bits(x).is_nan(),
                bf16::from_bits(x).is_nan(),
                "{x:#06x}"
            );
            assert_eq!(
                F16::from_bits(x).is_nan(),
                f16::from_bits(x).is_nan(),
                "{x:#06x}"
            );
        }
        // Element 0 of a pair is its low half, which little-endian memory puts first.
        let (lo, hi) = (bf16::from_f32(1.0), bf16::from_f32(2.0));
        let pair = Bf16x2::new(Bf16::from_bits(lo.to_bits()), Bf16::from_bits(hi.to_bits()));
        assert_eq!(pair.to_bits(), 0x4000_3f80);
        assert_eq!((pair.lo().to_bits(), pair.hi().to_bits()), (0x3f80, 0x4000));
        let mut bytes = lo.to_le_bytes().to_vec();
        bytes.extend(hi.to_le_bytes());
        assert_eq!(pair.to_bits().to_le_bytes().to_vec(), bytes);
        let eight: [Bf16; 8] = std::array::from_fn(|k| Bf16::from_bits(k as u16 + 1));
        let v = Bf16x8::from_array(eight);
        assert_eq!(v.0[1].to_bits(), 0x0004_0003);
        assert_eq!(v.to_array().map(Bf16::to_bits), eight.map(Bf16::to_bits));
        let eight: [F16; 8] = std::array::from_fn(|k| F16::from_bits(0x100 * k as u16));
        let v = F16x8::from_array(eight);
        assert_eq!(v.0[3].to_bits(), 0x0700_0600);
        assert_eq!(v.to_array().map(F16::to_bits), eight.map(F16::to_bits));
        assert_eq!(F16x2::splat(F16::ONE).to_bits(), 0x3c00_3c00);
        assert_eq!(
            format!("{:?}", Bf16x2::splat(Bf16::ONE)),
            "Bf16x2(Bf16(0x3f80), Bf16(0x3f80))"
        );
    }
}
