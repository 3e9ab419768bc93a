//! Comparing two benchmark runs (`klab compare`): per kernel (ladder + kernel + shape), the
//! new median over the old one; a kernel slower by more than the threshold is a regression.
//! Kernels present in only one run are listed, not failures.

use super::results::{BenchReport, ResultRow};

/// One kernel present in both runs.
#[derive(Debug, Clone, PartialEq)]
pub struct Delta {
    pub ladder: String,
    pub kernel: String,
    pub shape: String,
    pub old_ms: f64,
    pub new_ms: f64,
    /// `new / old`: above 1, the kernel got slower.
    pub ratio: f64,
    /// Slower by more than the threshold, or verified in the old run and not in the new one.
    pub regressed: bool,
    /// Verified in the old run but not in the new one: a broken kernel, whatever its time.
    pub lost_verification: bool,
}

/// The comparison of two runs.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Comparison {
    pub threshold_pct: f64,
    pub deltas: Vec<Delta>,
    /// `ladder kernel shape` of kernels only in the old run.
    pub only_old: Vec<String>,
    /// ... and only in the new run.
    pub only_new: Vec<String>,
}

impl Comparison {
    /// Whether any kernel regressed.
    pub fn has_regressions(&self) -> bool {
        self.deltas.iter().any(|d| d.regressed)
    }
}

fn label(r: &ResultRow) -> String {
    format!("{} {} {}", r.ladder, r.kernel, r.shape)
}

/// Compares `new` with `old`: a kernel regressed when `new/old − 1 > threshold_pct / 100`, or
/// when it was verified in `old` and is not in `new` (a fast wrong kernel is no improvement).
pub fn compare(old: &BenchReport, new: &BenchReport, threshold_pct: f64) -> Comparison {
    let mut c = Comparison {
        threshold_pct,
        ..Default::default()
    };
    for n in &new.results {
        match old.results.iter().find(|o| o.key() == n.key()) {
            Some(o) => {
                let ratio = if o.median_ms > 0.0 {
                    n.median_ms / o.median_ms
                } else {
                    f64::NAN
                };
                let lost_verification = o.verified && !n.verified;
                let slower = ratio.is_finite() && (ratio - 1.0) * 100.0 > threshold_pct;
                c.deltas.push(Delta {
                    ladder: n.ladder.clone(),
                    kernel: n.kernel.clone(),
                    shape: n.shape.clone(),
                    old_ms: o.median_ms,
                    new_ms: n.median_ms,
                    ratio,
                    regressed: slower || lost_verification,
                    lost_verification,
                });
            }
            None => c.only_new.push(label(n)),
        }
    }
    for o in &old.results {
        if !new.results.iter().any(|n| n.key() == o.key()) {
            c.only_old.push(label(o));
        }
    }
    c
}

/// The comparison as a table, with the verdict on the last line.
pub fn render(c: &Comparison) -> String {
    let mut rows = vec![[
        "ladder".to_string(),
        "kernel".into(),
        "shape".into(),
        "old_ms".into(),
        "new_ms".into(),
        "new/old".into(),
        "".into(),
    ]];
    for d in &c.deltas {
        let verdict = if d.lost_verification {
            "NOT VERIFIED"
        } else if d.regressed {
            "SLOWER"
        } else if d.ratio < 1.0 - c.threshold_pct / 100.0 {
            "faster"
        } else {
            ""
        };
        rows.push([
            d.ladder.clone(),
            d.kernel.clone(),
            d.shape.clone(),
            format!("{:.4}", d.old_ms),
            format!("{:.4}", d.new_ms),
            format!("{:.3}", d.ratio),
            verdict.into(),
        ]);
    }
    let mut w = [0usize; 7];
    for r in &rows {
        for (w, c) in w.iter_mut().zip(r) {
            *w = (*w).max(c.len());
        }
    }
    let mut out = String::new();
    for r in &rows {
        let cells: Vec<String> = r
            .iter()
            .zip(w)
            .enumerate()
            .map(|(i, (c, w))| {
                if i < 3 || i == 6 {
                    format!("{c:<w$}")
                } else {
                    format!("{c:>w$}")
                }
            })
            .collect();
        out += cells.join("  ").trim_end();
        out.push('\n');
    }
    for k in &c.only_old {
        out += &format!("only in the baseline run: {k}\n");
    }
    for k in &c.only_new {
        out += &format!("only in the new run: {k}\n");
    }
    let n = c.deltas.iter().filter(|d| d.regressed).count();
    out += &if n == 0 {
        format!("ok: no kernel slower by more than {}%\n", c.threshold_pct)
    } else {
        format!(
            "FAIL: {n} kernel(s) slower by more than {}%\n",
            c.threshold_pct
        )
    };
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rep(rows: &[(&str, f64)]) -> BenchReport {
        BenchReport {
            results: rows
                .iter()
                .map(|(k, ms)| ResultRow {
                    ladder: "l".into(),
                    kernel: k.to_string(),
                    shape: "8".into(),
                    median_ms: *ms,
                    ..Default::default()
                })
                .collect(),
            ..Default::default()
        }
    }

    #[test]
    fn flags_kernels_slower_than_the_threshold_only() {
        let old = rep(&[("a", 1.0), ("b", 1.0), ("c", 1.0), ("gone", 1.0)]);
        let new = rep(&[("a", 1.04), ("b", 1.2), ("c", 0.5), ("fresh", 1.0)]);
        let c = compare(&old, &new, 5.0);
        let regressed: Vec<&str> = c
            .deltas
            .iter()
            .filter(|d| d.regressed)
            .map(|d| d.kernel.as_str())
            .collect();
        assert_eq!(regressed, ["b"]);
        assert!(c.has_regressions());
        assert_eq!(c.only_old, ["l gone 8"]);
        assert_eq!(c.only_new, ["l fresh 8"]);
        let t = render(&c);
        assert!(t.contains("SLOWER") && t.contains("faster") && t.contains("FAIL: 1"));
        assert!(!compare(&old, &new, 25.0).has_regressions());
    }

    #[test]
    fn the_shape_is_part_of_the_key() {
        let old = rep(&[("a", 1.0)]);
        let mut new = rep(&[("a", 9.0)]);
        new.results[0].shape = "16".into();
        let c = compare(&old, &new, 5.0);
        assert!(c.deltas.is_empty() && !c.has_regressions());
        assert!(render(&c).contains("ok: no kernel"));
    }

    #[test]
    fn a_kernel_that_lost_its_verification_regressed_even_if_faster() {
        let mut old = rep(&[("a", 1.0)]);
        old.results[0].verified = true;
        let mut new = rep(&[("a", 0.5)]);
        new.results[0].verified = false;
        let c = compare(&old, &new, 5.0);
        assert!(c.deltas[0].lost_verification && c.has_regressions());
        assert!(render(&c).contains("NOT VERIFIED"));
    }
}
