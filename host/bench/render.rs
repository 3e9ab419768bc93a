//! Tables from benchmark data: the terminal table, CSV and Markdown (pure functions).

use super::results::{BenchReport, ResultRow, RowKind};

const COLUMNS: [&str; 14] = [
    "ladder",
    "step",
    "kernel",
    "shape",
    "median_ms",
    "p20_ms",
    "p80_ms",
    "min_ms",
    "GB/s",
    "TFLOP/s",
    "%ceil",
    "vs step1",
    "vs baseline",
    "verified",
];

fn opt(v: Option<f64>, digits: usize) -> String {
    v.map_or_else(|| "-".into(), |v| format!("{v:.digits$}"))
}

/// The cells of one row, formatted for people.
fn cells(r: &ResultRow) -> Vec<String> {
    let step = match r.kind {
        RowKind::Step => r.step.to_string(),
        RowKind::Baseline => "base".into(),
    };
    vec![
        r.ladder.clone(),
        step,
        r.kernel.clone(),
        r.shape.clone(),
        format!("{:.4}", r.median_ms),
        format!("{:.4}", r.p20_ms),
        format!("{:.4}", r.p80_ms),
        format!("{:.4}", r.min_ms),
        opt(r.gbps, 1),
        opt(r.tflops, 3),
        opt(r.pct_of_ceiling, 1),
        opt(r.speedup_vs_step1, 2)
            + if r.speedup_vs_step1.is_some() {
                "x"
            } else {
                ""
            },
        opt(r.baseline_ratio, 2) + if r.baseline_ratio.is_some() { "x" } else { "" },
        if r.verified { "yes" } else { "NO" }.into(),
    ]
}

fn ceilings_line(rep: &BenchReport) -> String {
    let c = &rep.ceilings;
    let bf16 = c
        .cublas_bf16_tflops
        .map(|v| format!(", cuBLAS bf16 {v:.1} TFLOP/s"))
        .unwrap_or_default();
    format!(
        "ceilings: copy {} GB/s, read {} GB/s, FP32 FMA {} TFLOP/s, cuBLAS SGEMM {} TFLOP/s{bf16}",
        opt(c.copy_gbps, 0),
        opt(c.read_gbps, 0),
        opt(c.fma_tflops, 1),
        opt(c.cublas_sgemm_tflops, 1)
    )
}

/// An aligned plain-text table for the terminal, headed by the device and the ceilings.
pub fn table(rep: &BenchReport) -> String {
    let rows: Vec<Vec<String>> = rep.results.iter().map(cells).collect();
    let mut width: Vec<usize> = COLUMNS.iter().map(|c| c.len()).collect();
    for r in &rows {
        for (w, c) in width.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count());
        }
    }
    let line = |cells: Vec<String>| {
        let padded: Vec<String> = cells
            .iter()
            .zip(&width)
            .enumerate()
            .map(|(i, (c, w))| {
                if i < 4 {
                    format!("{c:<w$}")
                } else {
                    format!("{c:>w$}")
                }
            })
            .collect();
        padded.join("  ").trim_end().to_string() + "\n"
    };
    let mut out = format!(
        "{}\n{}\n\n",
        device_line(rep, &rep.device.commit),
        ceilings_line(rep)
    );
    out += &line(COLUMNS.iter().map(|c| c.to_string()).collect());
    for r in rows {
        out += &line(r);
    }
    out
}

/// The device header of a report (no newline): name, SMs, clock, driver, CUDA, `commit` as
/// the caller formats it, and the time of the run.
fn device_line(rep: &BenchReport, commit: &str) -> String {
    let d = &rep.device;
    format!(
        "{} ({} SMs, {} MHz), driver {}, CUDA {}, commit {commit}, {}",
        d.name, d.sm_count, d.clock_mhz, d.driver, d.cuda, d.time
    )
}

/// One CSV field, quoted when it needs to be.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

fn num(v: Option<f64>) -> String {
    v.map_or_else(String::new, |v| format!("{v}"))
}

/// CSV with the JSON result fields as columns (empty where null).
pub fn csv(rep: &BenchReport) -> String {
    let mut out = String::from(
        "ladder,step,kernel,kind,shape,dtype,median_ms,p20_ms,p80_ms,min_ms,reps,flops,bytes,\
         gbps,tflops,pct_of_ceiling,ceiling,speedup_vs_step1,baseline,baseline_ratio,verified\n",
    );
    for r in &rep.results {
        let kind = match r.kind {
            RowKind::Step => "step",
            RowKind::Baseline => "baseline",
        };
        let f = [
            csv_field(&r.ladder),
            r.step.to_string(),
            csv_field(&r.kernel),
            kind.into(),
            csv_field(&r.shape),
            csv_field(&r.dtype),
            format!("{}", r.median_ms),
            format!("{}", r.p20_ms),
            format!("{}", r.p80_ms),
            format!("{}", r.min_ms),
            r.reps.to_string(),
            format!("{}", r.flops),
            format!("{}", r.bytes),
            num(r.gbps),
            num(r.tflops),
            num(r.pct_of_ceiling),
            csv_field(r.ceiling.key()),
            num(r.speedup_vs_step1),
            r.baseline.as_deref().map(csv_field).unwrap_or_default(),
            num(r.baseline_ratio),
            r.verified.to_string(),
        ];
        out += &f.join(",");
        out.push('\n');
    }
    out
}

/// A Markdown report: device, ceilings, and one table per ladder.
pub fn markdown(rep: &BenchReport) -> String {
    let mut out = format!(
        "# kernel-lab benchmark\n\n{}\n\n{}\n",
        device_line(rep, &format!("`{}`", rep.device.commit)),
        ceilings_line(rep).replacen("ceilings", "Ceilings", 1)
    );
    let mut ladders: Vec<&str> = rep.results.iter().map(|r| r.ladder.as_str()).collect();
    ladders.dedup();
    let mut seen = Vec::new();
    for l in ladders {
        if seen.contains(&l) {
            continue;
        }
        seen.push(l);
        out += &format!("\n## {l}\n\n| {} |\n", COLUMNS[1..].join(" | "));
        out += &format!("|{}\n", " --- |".repeat(COLUMNS.len() - 1));
        for r in rep.results.iter().filter(|r| r.ladder == l) {
            let c = cells(r);
            let c: Vec<String> = c[1..].iter().map(|s| s.replace('|', "\\|")).collect();
            out += &format!("| {} |\n", c.join(" | "));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::ceilings::Ceilings;

    fn sample() -> BenchReport {
        let row = |step: u32, kernel: &str, kind: RowKind, ms: f64| ResultRow {
            ladder: "saxpy".into(),
            step,
            kernel: kernel.into(),
            kind,
            shape: "67108864".into(),
            dtype: "f32".into(),
            median_ms: ms,
            p20_ms: ms,
            p80_ms: ms,
            min_ms: ms,
            reps: 10,
            flops: 1.34e8,
            bytes: 8.05e8,
            gbps: Some(805.0 / ms),
            tflops: Some(0.134 / ms),
            pct_of_ceiling: Some(26.8 / ms),
            ceiling: crate::ladder::Ceiling::CopyGbps,
            speedup_vs_step1: Some(0.5 / ms),
            baseline: None,
            baseline_ratio: None,
            verified: kind == RowKind::Step,
            rel_err: Some(1e-7),
            launch: None,
            baseline_kind: (kind == RowKind::Baseline)
                .then_some(crate::ladder::BaselineKind::CudaCppTwin),
        };
        BenchReport {
            ceilings: Ceilings {
                copy_gbps: Some(3000.0),
                ..Default::default()
            },
            results: vec![
                row(1, "saxpy_s01_naive", RowKind::Step, 0.5),
                row(2, "saxpy_s02_grid_stride", RowKind::Step, 0.4),
                row(0, "saxpy, \"twin\"", RowKind::Baseline, 0.45),
            ],
            ..Default::default()
        }
    }

    #[test]
    fn table_has_a_line_per_row_and_aligned_columns() {
        let t = table(&sample());
        assert!(t.contains("copy 3000 GB/s") && t.contains("cuBLAS SGEMM - TFLOP/s"));
        let lines: Vec<&str> = t.lines().skip(3).collect();
        assert_eq!(lines.len(), 4);
        assert!(lines[1].contains("saxpy_s01_naive") && lines[1].contains("1.00x"));
        assert!(lines[2].contains("1.25x") && lines[3].contains("base"));
        assert!(lines[3].trim_end().ends_with("NO"));
    }

    #[test]
    fn csv_quotes_and_leaves_nulls_empty() {
        let c = csv(&sample());
        let lines: Vec<&str> = c.lines().collect();
        assert_eq!(lines.len(), 4);
        assert_eq!(lines[0].split(',').count(), 21);
        assert!(lines[3].contains("\"saxpy, \"\"twin\"\"\""));
        assert!(lines[1].contains(",copy_gbps,1,,,true"), "{}", lines[1]);
    }

    #[test]
    fn markdown_has_a_table_per_ladder() {
        let m = markdown(&sample());
        assert!(m.contains("## saxpy"));
        assert_eq!(m.lines().filter(|l| l.starts_with("| ")).count(), 5);
        assert!(m.contains("| --- |"));
    }
}
