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
    /// the number of dimensions against `dims` (a 1-D ladder given `AxB` takes `A*B`).
    pub fn parse(text: &str, dims: usize, what: &str) -> Result<Self> {
        let bad = |why: &str| Error::Shape {
            what: what.to_string(),
            shape: text.to_string(),
            why: why.to_string(),
        };
        let parts: Result<Vec<usize>> = text
            .split(['x', 'X', ','])
            .map(|p| {
                let p = p.trim();
                let (num, mul) = match p.chars().last() {
                    Some('k' | 'K') => (&p[..p.len() - 1], 1024),
                    Some('M' | 'm') => (&p[..p.len() - 1], 1024 * 1024),
                    _ => (p, 1),
                };
                let v: usize = num
                    .parse()
                    .map_err(|_| bad(&format!("{p:?} is not a whole number")))?;
                if v == 0 {
                    return Err(bad("every dimension must be at least 1"));
                }
                match v.checked_mul(mul) {
                    Some(d) if d <= u32::MAX as usize => Ok(d),
                    _ => Err(bad(
                        "a dimension is larger than the kernels' 32-bit sizes (4294967295)",
                    )),
                }
            })
            .collect();
        let parts = parts?;
        // The element count must not wrap: a wrapped product would be a tiny (or empty)
        // problem that verifies trivially.
        let numel = parts
            .iter()
            .try_fold(1usize, |a, &d| a.checked_mul(d))
            .ok_or_else(|| bad("the number of elements overflows"))?;
        match (parts.len(), dims) {
            (a, b) if a == b => Ok(Self(parts)),
            (_, 1) => Ok(Self::n(numel)),
            (a, b) => Err(bad(&format!("expected {b} dimensions, got {a}"))),
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
    fn unflattens_row_major() {
        assert_eq!(Shape(vec![3, 4]).unflatten(7), vec![1, 3]);
    }
}
