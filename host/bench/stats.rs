//! Order statistics of repeated timings.

use serde::{Deserialize, Serialize};

/// Median, 20th and 80th percentiles and minimum of a set of times (ms).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Stats {
    pub median_ms: f64,
    pub p20_ms: f64,
    pub p80_ms: f64,
    pub min_ms: f64,
    pub reps: usize,
}

impl Stats {
    /// Statistics of `times` (at least one value; NaN-free).
    pub fn from_times(times: &[f64]) -> Self {
        assert!(!times.is_empty(), "no timings");
        let mut t = times.to_vec();
        t.sort_by(f64::total_cmp);
        Self {
            median_ms: quantile(&t, 0.5),
            p20_ms: quantile(&t, 0.2),
            p80_ms: quantile(&t, 0.8),
            min_ms: t[0],
            reps: t.len(),
        }
    }
}

/// Linear-interpolated quantile of sorted values.
fn quantile(sorted: &[f64], q: f64) -> f64 {
    let pos = q * (sorted.len() - 1) as f64;
    let (lo, hi) = (pos.floor() as usize, pos.ceil() as usize);
    sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo as f64)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_of_known_values() {
        let s = Stats::from_times(&[5.0, 1.0, 3.0, 2.0, 4.0]);
        assert_eq!((s.median_ms, s.min_ms, s.reps), (3.0, 1.0, 5));
        assert!((s.p20_ms - 1.8).abs() < 1e-12 && (s.p80_ms - 4.2).abs() < 1e-12);
        assert_eq!(Stats::from_times(&[7.0]).median_ms, 7.0);
    }
}
