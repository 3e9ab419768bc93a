//! The Python package's benchmark (`python -m kernel_lab.bench --json`, docs/python.md):
//! kernel_lab's ops, PyTorch and the Triton twins per op, shape and dtype, timed in one
//! process. `klab report` recognises its JSON (schema [`SCHEMA`]) and writes the "python"
//! section beside the Rust bench's charts: a table and a chart of time ratios vs torch.

use crate::error::{Error, Result};
use crate::npy::write_atomic;
use plotters::prelude::*;
use serde::Deserialize;
use std::path::{Path, PathBuf};

/// The `schema` field of the Python bench's JSON.
pub const SCHEMA: &str = "kernel_lab.python_bench/1";

/// One run of the Python bench.
#[derive(Debug, Clone, Deserialize)]
pub struct PyBench {
    pub schema: String,
    pub created: String,
    pub commit: Option<String>,
    pub device: PyDevice,
    pub rows: Vec<PyRow>,
}

/// The device of a Python bench run.
#[derive(Debug, Clone, Deserialize)]
pub struct PyDevice {
    pub name: String,
    pub compute_capability: Vec<i32>,
    pub sm_count: i32,
}

/// One candidate at one op, shape and dtype.
#[derive(Debug, Clone, Deserialize)]
pub struct PyRow {
    pub op: String,
    pub shape: Vec<usize>,
    pub dtype: String,
    /// `kernel_lab`, `torch` or `triton`.
    pub candidate: String,
    pub verified: bool,
    /// `events` or `graph` (absent when not timed).
    pub method: Option<String>,
    pub median_ms: Option<f64>,
    pub p10_ms: Option<f64>,
    pub p90_ms: Option<f64>,
    /// One eager call, host included (runs before the graph-replay rule have none).
    pub eager_median_ms: Option<f64>,
    pub gbps: Option<f64>,
    pub tflops: Option<f64>,
    /// torch's median time / this candidate's (> 1: faster than torch).
    pub vs_torch: Option<f64>,
    /// kernel_lab's `explain`: the step it launched.
    pub kernel: Option<String>,
    pub error: Option<String>,
}

impl PyBench {
    /// Parses a Python bench JSON; `None` when the text is not one (another schema).
    pub fn parse(text: &str) -> Option<Result<Self>> {
        let v: serde_json::Value = serde_json::from_str(text).ok()?;
        if v.get("schema").and_then(|s| s.as_str()) != Some(SCHEMA) {
            return None;
        }
        Some(
            serde_json::from_value(v)
                .map_err(|e| Error::Other(format!("a {SCHEMA} file that does not parse: {e}"))),
        )
    }

    /// The (op, shape, dtype) groups, in the order of the rows.
    fn groups(&self) -> Vec<(String, Vec<usize>, String)> {
        let mut out: Vec<(String, Vec<usize>, String)> = Vec::new();
        for r in &self.rows {
            let k = (r.op.clone(), r.shape.clone(), r.dtype.clone());
            if !out.contains(&k) {
                out.push(k);
            }
        }
        out
    }

    fn row(&self, g: &(String, Vec<usize>, String), candidate: &str) -> Option<&PyRow> {
        self.rows
            .iter()
            .find(|r| r.op == g.0 && r.shape == g.1 && r.dtype == g.2 && r.candidate == candidate)
    }
}

fn shape_text(shape: &[usize]) -> String {
    shape
        .iter()
        .map(|d| d.to_string())
        .collect::<Vec<_>>()
        .join("x")
}

/// One cell: the time ratio vs torch, "FAILED" for an unverified candidate, "-" when absent.
fn ratio_cell(r: Option<&PyRow>) -> String {
    match r {
        None => "-".into(),
        Some(r) if !r.verified => "FAILED".into(),
        Some(r) => r.vs_torch.map_or("-".into(), |v| format!("{v:.3}")),
    }
}

fn time_cell(r: Option<&PyRow>) -> String {
    match r.and_then(|r| r.median_ms.map(|m| (m, r))) {
        None => "-".into(),
        Some((m, r)) => format!("{:.1} us ({})", m * 1e3, r.method.as_deref().unwrap_or("?")),
    }
}

/// The markdown table of a run: per op, shape and dtype, each candidate's median time and the
/// ratios vs torch (torch's time / the candidate's: above 1 is faster than torch).
pub fn table(b: &PyBench) -> String {
    let mut s = format!(
        "Python bench on {} (sm_{}, {} SMs), commit `{}`, {}: median time per call and time \
         ratio vs torch (torch's time / the candidate's; > 1 is faster than torch). Every \
         candidate verified against the torch reference first; `graph` rows time CUDA-graph \
         replays, `events` rows eager calls, the L2 flushed before each; the last column is \
         one eager kernel_lab call, host included.\n\n",
        b.device.name,
        b.device
            .compute_capability
            .iter()
            .map(|c| c.to_string())
            .collect::<String>(),
        b.device.sm_count,
        b.commit.as_deref().unwrap_or("unknown"),
        b.created
    );
    s.push_str(
        "| op | shape | dtype | kernel_lab step | kernel_lab | torch | Triton | kernel_lab / torch | Triton / torch | kernel_lab eager call |\n",
    );
    s.push_str("| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |\n");
    for g in b.groups() {
        let kl = b.row(&g, "kernel_lab");
        let step = kl
            .and_then(|r| r.kernel.as_deref())
            .and_then(|k| k.strip_prefix("kernel: "))
            .and_then(|k| k.split_whitespace().next())
            .map_or("-".to_string(), |k| format!("`{k}`"));
        let eager = kl
            .and_then(|r| r.eager_median_ms)
            .map_or("-".to_string(), |m| format!("{:.1} us", m * 1e3));
        s.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n",
            g.0,
            shape_text(&g.1),
            g.2,
            step,
            time_cell(kl),
            time_cell(b.row(&g, "torch")),
            time_cell(b.row(&g, "triton")),
            ratio_cell(kl),
            ratio_cell(b.row(&g, "triton")),
            eager,
        ));
    }
    let bad = b.rows.iter().filter(|r| !r.verified).count();
    s.push_str(&format!(
        "\n{} of {} candidates verified.\n",
        b.rows.len() - bad,
        b.rows.len()
    ));
    s
}

fn plot_err(e: impl std::fmt::Debug) -> Error {
    Error::Other(format!("drawing a chart: {e:?}"))
}

/// The SVG of the ratios vs torch: per op, shape and dtype, one bar for kernel_lab and one for
/// Triton (a line at 1: torch).
pub fn chart(b: &PyBench) -> Result<String> {
    let groups = b.groups();
    let bars: Vec<(usize, f64, bool)> = groups
        .iter()
        .enumerate()
        .flat_map(|(i, g)| {
            ["kernel_lab", "triton"]
                .into_iter()
                .enumerate()
                .filter_map(move |(j, c)| {
                    let r = b.row(g, c)?;
                    Some((2 * i + j, r.vs_torch?, j == 0))
                })
        })
        .collect();
    let top = bars.iter().map(|b| b.1).fold(1.0f64, f64::max) * 1.1;
    let labels: Vec<String> = groups
        .iter()
        .map(|g| format!("{} {} {}", g.0, shape_text(&g.1), g.2))
        .collect();
    let n = (2 * groups.len()).max(1) as i32;
    let mut svg = String::new();
    {
        let root = SVGBackend::with_string(&mut svg, (1100, 560)).into_drawing_area();
        root.fill(&WHITE).map_err(plot_err)?;
        let mut chart = ChartBuilder::on(&root)
            .caption(
                format!(
                    "{}: time ratio vs torch (blue kernel_lab, grey Triton; > 1 faster)",
                    b.device.name
                ),
                ("sans-serif", 20),
            )
            .margin(16)
            .x_label_area_size(60)
            .y_label_area_size(56)
            .build_cartesian_2d((0..n).into_segmented(), 0.0..top)
            .map_err(plot_err)?;
        chart
            .configure_mesh()
            .disable_x_mesh()
            .x_labels(groups.len().max(1) * 2)
            .x_label_formatter(&|v| match v {
                SegmentValue::CenterOf(i) if i % 2 == 0 => {
                    labels.get(*i as usize / 2).cloned().unwrap_or_default()
                }
                _ => String::new(),
            })
            .x_label_style(("sans-serif", 10))
            .y_desc("torch time / candidate time")
            .draw()
            .map_err(plot_err)?;
        chart
            .draw_series(bars.iter().map(|&(x, v, ours)| {
                let color = if ours {
                    RGBColor(31, 119, 180)
                } else {
                    RGBColor(150, 150, 150)
                };
                Rectangle::new(
                    [
                        (SegmentValue::Exact(x as i32), 0.0),
                        (SegmentValue::Exact(x as i32 + 1), v),
                    ],
                    color.filled(),
                )
            }))
            .map_err(plot_err)?;
        chart
            .draw_series(LineSeries::new(
                [(SegmentValue::Exact(0), 1.0), (SegmentValue::Exact(n), 1.0)],
                BLACK,
            ))
            .map_err(plot_err)?;
        root.present().map_err(plot_err)?;
    }
    Ok(svg)
}

/// Writes `python.md` (the table) and `python.svg` (the chart) into `dir`; returns the paths.
pub fn write(b: &PyBench, dir: &Path) -> Result<Vec<PathBuf>> {
    std::fs::create_dir_all(dir).map_err(|e| Error::File {
        path: dir.display().to_string(),
        why: format!("cannot create the directory: {e}"),
    })?;
    let md = dir.join("python.md");
    write_atomic(&md, table(b).as_bytes())?;
    let svg = dir.join("python.svg");
    write_atomic(&svg, chart(b)?.as_bytes())?;
    Ok(vec![md, svg])
}

#[cfg(test)]
mod tests {
    use super::*;

    const FIXTURE: &str = include_str!("testdata/python-bench.json");

    #[test]
    fn a_python_bench_file_is_recognised_and_other_json_is_not() {
        assert!(PyBench::parse(FIXTURE).is_some());
        assert!(PyBench::parse(include_str!("testdata/sample-h100.json")).is_none());
        assert!(PyBench::parse("not json").is_none());
        let broken = FIXTURE.replace("\"rows\"", "\"rowz\"");
        assert!(PyBench::parse(&broken).unwrap().is_err());
    }

    #[test]
    fn the_table_has_one_line_per_op_shape_and_dtype_with_ratios_vs_torch() {
        let b = PyBench::parse(FIXTURE).unwrap().unwrap();
        let t = table(&b);
        assert!(t.contains(
            "| gemm_bf16 | 4096x4096x4096 | bfloat16 | `gemm_bf16/6` | 300.0 us (events) | 200.0 us (events) | 250.0 us (events) | 0.667 | 0.800 | 310.0 us |"
        ), "{t}");
        assert!(
            t.contains(
                "| softmax | 8192x8192 | bfloat16 | - | - | 50.0 us (graph) | - | - | FAILED | - |"
            ),
            "{t}"
        );
        assert!(t.contains("4 of 5 candidates verified."), "{t}");
        let svg = chart(&b).unwrap();
        assert!(svg.starts_with("<svg") && svg.contains("time ratio vs torch"));
        let dir = tempfile::tempdir().unwrap();
        let written = write(&b, dir.path()).unwrap();
        assert_eq!(written.len(), 2);
        assert!(written.iter().all(|p| p.exists()));
    }
}
