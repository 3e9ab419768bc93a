//! The one comparator: `|gpu − ref| ≤ atol + rtol·|ref|` elementwise, plus the relative norm
//! `‖gpu − ref‖ / ‖ref‖`. NaN never passes where the reference is a number; where the
//! reference itself is NaN or ±inf (the function's value on such inputs, as torch computes
//! it), only that same value passes. Mismatches are reported with index and shape.

use crate::element::{DType, Element};
use crate::shape::Shape;
use serde::Serialize;
use std::fmt;

/// Elementwise tolerance.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Tolerance {
    pub atol: f64,
    pub rtol: f64,
}

impl Tolerance {
    /// Exact equality (e.g. max reductions, transposes, copies).
    pub const EXACT: Self = Self {
        atol: 0.0,
        rtol: 0.0,
    };
    /// fp32 elementwise arithmetic of a few operations.
    pub const F32: Self = Self {
        atol: 1e-6,
        rtol: 1e-5,
    };
    /// A few operations in f32, the result rounded to bf16 (8 significant bits: half an ulp
    /// is 2^-9 ≈ 2.0e-3 relative): two ulps of headroom.
    pub const BF16: Self = Self {
        atol: 1e-6,
        rtol: 8e-3,
    };
    /// A few operations in f32, the result rounded to f16 (11 significant bits: half an ulp
    /// is 2^-11 ≈ 4.9e-4 relative; subnormals below 6.1e-5 are spaced 6e-8 apart).
    pub const F16: Self = Self {
        atol: 1e-6,
        rtol: 2e-3,
    };

    /// Elementwise arithmetic in f32 with the result stored as `dtype`.
    pub const fn elementwise(dtype: DType) -> Self {
        match dtype {
            DType::F32 => Self::F32,
            DType::Bf16 => Self::BF16,
            DType::F16 => Self::F16,
        }
    }
}

/// One element that failed.
#[derive(Debug, Clone, Serialize)]
pub struct Mismatch {
    pub index: Vec<usize>,
    pub got: f32,
    pub want: f64,
}

/// The outcome of one comparison.
#[derive(Debug, Clone, Serialize)]
pub struct Comparison {
    pub shape: Shape,
    pub tolerance: Tolerance,
    pub elements: usize,
    pub failed: usize,
    pub nan: usize,
    pub max_abs_err: f64,
    pub rel_norm: f64,
    pub first: Vec<Mismatch>,
}

/// How many mismatches a report lists.
const REPORTED: usize = 5;

impl Comparison {
    /// True when no element failed (NaN counts as failed) and the lengths matched.
    pub fn passed(&self) -> bool {
        self.failed == 0 && self.nan == 0
    }
}

impl fmt::Display for Comparison {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}/{} elements outside |d| <= {:.1e} + {:.1e}*|ref| ({} NaN); max |d| = {:.3e}, ||d||/||ref|| = {:.3e}",
            self.failed,
            self.elements,
            self.tolerance.atol,
            self.tolerance.rtol,
            self.nan,
            self.max_abs_err,
            self.rel_norm
        )?;
        for m in &self.first {
            write!(
                f,
                "\n  at {:?} of {}: got {} want {}",
                m.index, self.shape, m.got, m.want
            )?;
        }
        Ok(())
    }
}

/// Compares `got` (of any element type) with the float64 reference `want`, laid out in
/// `shape`.
pub fn compare<T: Element>(got: &[T], want: &[f64], shape: &Shape, tol: Tolerance) -> Comparison {
    let mut c = Comparison {
        shape: shape.clone(),
        tolerance: tol,
        elements: want.len(),
        failed: 0,
        nan: 0,
        max_abs_err: 0.0,
        rel_norm: 0.0,
        first: Vec::new(),
    };
    if got.len() != want.len() {
        c.failed = want.len().max(got.len());
        return c;
    }
    let (mut diff2, mut ref2) = (0.0f64, 0.0f64);
    for (i, (&raw, &w)) in got.iter().zip(want).enumerate() {
        let g = raw.to_f32();
        let g64 = g as f64;
        if !w.is_finite() {
            // A NaN or infinite reference is matched exactly (NaN by NaN, but never by the
            // poison pattern of an element the kernel did not write), outside the norms.
            let same = if w.is_nan() {
                g.is_nan() && !raw.is_poison()
            } else {
                g64 == w
            };
            if !same {
                c.failed += 1;
                if c.first.len() < REPORTED {
                    c.first.push(Mismatch {
                        index: shape.unflatten(i),
                        got: g,
                        want: w,
                    });
                }
            }
            continue;
        }
        let d = (g64 - w).abs();
        let ok = d <= tol.atol + tol.rtol * w.abs();
        if g.is_nan() {
            c.nan += 1;
        }
        if !ok || g.is_nan() {
            c.failed += 1;
            if c.first.len() < REPORTED {
                c.first.push(Mismatch {
                    index: shape.unflatten(i),
                    got: g,
                    want: w,
                });
            }
        }
        if d.is_finite() {
            c.max_abs_err = c.max_abs_err.max(d);
            diff2 += d * d;
        } else {
            c.max_abs_err = f64::INFINITY;
            diff2 = f64::INFINITY;
        }
        ref2 += w * w;
    }
    c.rel_norm = if ref2 > 0.0 {
        (diff2 / ref2).sqrt()
    } else {
        diff2.sqrt()
    };
    c
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_within_tolerance_and_fails_outside() {
        let s = Shape::n(3);
        let ok = compare(
            &[1.0, 2.0, 3.0],
            &[1.0, 2.0 + 1e-7, 3.0],
            &s,
            Tolerance::F32,
        );
        assert!(ok.passed(), "{ok}");
        let bad = compare(&[1.0, 2.5, 3.0], &[1.0, 2.0, 3.0], &s, Tolerance::F32);
        assert!(!bad.passed());
        assert_eq!(bad.first[0].index, vec![1]);
    }

    #[test]
    fn nan_never_passes_even_with_infinite_tolerance() {
        let tol = Tolerance {
            atol: f64::INFINITY,
            rtol: f64::INFINITY,
        };
        let c = compare(&[f32::NAN], &[1.0], &Shape::n(1), tol);
        assert!(!c.passed());
        assert_eq!(c.nan, 1);
    }

    #[test]
    fn a_nan_or_infinite_reference_is_matched_exactly() {
        let s = Shape::n(3);
        let want = [f64::NAN, f64::INFINITY, f64::NEG_INFINITY];
        let ok = compare(
            &[f32::NAN, f32::INFINITY, f32::NEG_INFINITY],
            &want,
            &s,
            Tolerance::F32,
        );
        assert!(ok.passed(), "{ok}");
        assert!(ok.rel_norm.is_finite() && ok.max_abs_err == 0.0, "{ok}");
        let loose = Tolerance {
            atol: f64::INFINITY,
            rtol: f64::INFINITY,
        };
        let poison = f32::from_bits(u32::MAX);
        for got in [
            [1.0, f32::INFINITY, f32::NEG_INFINITY],
            [poison, f32::INFINITY, f32::NEG_INFINITY],
            [f32::NAN, f32::MAX, f32::NEG_INFINITY],
            [f32::NAN, f32::INFINITY, f32::NAN],
        ] {
            let c = compare(&got, &want, &s, loose);
            assert_eq!(c.failed, 1, "{got:?}: {c}");
        }
    }

    #[test]
    fn reports_multi_dimensional_indices_and_length_mismatch() {
        let c = compare(
            &[0.0; 6],
            &[0.0, 0.0, 0.0, 0.0, 1.0, 0.0],
            &Shape(vec![2, 3]),
            Tolerance::EXACT,
        );
        assert_eq!(c.first[0].index, vec![1, 1]);
        assert!(c.to_string().contains("[1, 1] of 2x3"));
        assert!(!compare(&[0.0; 2], &[0.0; 3], &Shape::n(3), Tolerance::EXACT).passed());
    }
}
