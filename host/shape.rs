//! Problem shapes: `4096`, `4097x4099`, `1024x1024x1024` (row-major, the fast dimension last).

use crate::error::{Error, Result};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The dimensions of one problem, outermost first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shape(pub Vec<usize>);

impl Shape {
    /// A 1-D shape.
    pub fn n(n: usize) -> Self {
        Self(vec![n])
    }
    /// A 2-D shape `rows x cols`.
    pub fn rows_cols(rows: usize, cols: usize) -> Self {
        Self(vec![rows, cols])
    }
    /// Number of elements (product of the dimensions).
    pub fn numel(&self) -> usize {
        self.0.iter().product()
    }
    /// Parses `N`, `AxB` or `AxBxC`, with optional `k`/`M` suffixes (×1024, ×1024²), and checks
    /// the number of dimensions against `dims` (a 1-D ladder given `AxB` takes `A*B`). A text
    /// that does not parse is an [`Error::Shape`] saying which forms `what` takes
    /// ([`accepted_forms`]).
    pub fn parse(text: &str, dims: usize, what: &str) -> Result<Self> {
        let bad = |why: String| Error::Shape {
            what: what.to_string(),
            shape: text.to_string(),
            why,
        };
        let unparsed = |why: String| bad(format!("{why}; {what} takes {}", accepted_forms(dims)));
        let parts = text
            .split(['x', 'X', ','])
            .map(|p| dimension(p.trim()))
            .collect::<Result<Vec<usize>, String>>()
            .map_err(unparsed)?;
        // The element count must not wrap: a wrapped product would be a tiny (or empty)
        // problem that verifies trivially.
        let numel = parts
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .ok_or_else(|| bad("the number of elements overflows".into()))?;
        match (parts.len(), dims) {
            (a, b) if a == b => Ok(Self(parts)),
            (_, 1) => Ok(Self::n(numel)),
            (a, b) => Err(unparsed(format!("expected {b} dimensions, got {a}"))),
        }
    }
    /// The multi-dimensional index of flat index `i`.
    pub fn unflatten(&self, mut i: usize) -> Vec<usize> {
        let mut idx = vec![0; self.0.len()];
        for (k, d) in self.0.iter().enumerate().rev() {
            idx[k] = i % d;
            i /= d;
        }
        idx
    }
}

/// One dimension: a whole number with an optional `k`/`K` (×1024) or `M`/`m` (×1024²) suffix,
/// from 1 to `u32::MAX`; else why not.
fn dimension(p: &str) -> std::result::Result<usize, String> {
    let (num, mul) = match p.chars().last() {
        Some('k' | 'K') => (&p[..p.len() - 1], 1024),
        Some('M' | 'm') => (&p[..p.len() - 1], 1024 * 1024),
        _ => (p, 1),
    };
    let Ok(v) = num.parse::<usize>() else {
        // `16MB`, `16MiB`: sizes count elements, so the byte unit is one letter too many.
        let without_bytes = p
            .strip_suffix("iB")
            .or_else(|| p.strip_suffix(['B', 'b']))
            .filter(|d| dimension(d).is_ok());
        return Err(match without_bytes {
            Some(d) => format!(
                "{p:?} is not a whole number (did you mean {d}? sizes count elements, not bytes)"
            ),
            None => format!("{p:?} is not a whole number with an optional k or M suffix"),
        });
    };
    if v == 0 {
        return Err("every dimension must be at least 1".into());
    }
    match v.checked_mul(mul) {
        Some(d) if d <= u32::MAX as usize => Ok(d),
        _ => Err("a dimension is larger than the kernels' 32-bit sizes (4294967295)".into()),
    }
}

/// The forms a shape of `dims` dimensions is written in, with examples.
pub fn accepted_forms(dims: usize) -> String {
    let suffixes = "k = x1024, M = x1024^2";
    match dims {
        1 => format!("N elements, e.g. 16M or 1000003 ({suffixes}; AxB means A*B elements)"),
        2 => format!("ROWSxCOLS, e.g. 4096x4096 or 8kx8k ({suffixes})"),
        3 => format!("MxNxK, e.g. 4096x4096x4096 ({suffixes})"),
        d => format!(
            "{d} dimensions separated by x, e.g. {} ({suffixes})",
            vec!["64"; d].join("x")
        ),
    }
}

impl fmt::Display for Shape {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let s: Vec<String> = self.0.iter().map(|d| d.to_string()).collect();
        f.write_str(&s.join("x"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_prints() {
        assert_eq!(
            Shape::parse("4097x4099", 2, "t").unwrap(),
            Shape(vec![4097, 4099])
        );
        assert_eq!(Shape::parse("64M", 1, "t").unwrap(), Shape::n(64 << 20));
        assert_eq!(Shape::parse("3x5", 1, "t").unwrap(), Shape::n(15));
        assert_eq!(Shape(vec![2, 3]).to_string(), "2x3");
        assert!(Shape::parse("0", 1, "t").is_err());
        assert!(Shape::parse("abc", 1, "t").is_err());
        assert!(Shape::parse("2x3x4", 2, "t").is_err());
        assert!(
            Shape::parse("4097M", 1, "t").is_err(),
            "a dimension over u32"
        );
        assert!(
            Shape::parse("4095Mx4095Mx4095Mx4095M", 4, "t").is_err(),
            "product overflows"
        );
    }

    #[test]
    fn a_bad_size_says_which_forms_work() {
        let e = Shape::parse("16MB", 1, "saxpy").unwrap_err();
        assert!(e.is_usage());
        let e = e.to_string();
        assert!(e.contains("did you mean 16M?"), "{e}");
        assert!(e.contains("saxpy takes N elements, e.g. 16M"), "{e}");
        let e = Shape::parse("16MiB", 1, "saxpy").unwrap_err().to_string();
        assert!(e.contains("did you mean 16M?"), "{e}");
        let e = Shape::parse("4096x4096", 3, "gemm")
            .unwrap_err()
            .to_string();
        assert!(
            e.contains("expected 3 dimensions, got 2; gemm takes MxNxK, e.g. 4096x4096x4096"),
            "{e}"
        );
        let e = Shape::parse("abc", 2, "transpose").unwrap_err().to_string();
        assert!(e.contains("e.g. 4096x4096"), "{e}");
        assert!(!e.contains("did you mean"), "{e}");
    }

    #[test]
    fn unflattens_row_major() {
        assert_eq!(Shape(vec![3, 4]).unflatten(7), vec![1, 3]);
    }
}
