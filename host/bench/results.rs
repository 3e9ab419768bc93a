//! The benchmark's data: one row per timed kernel (step or baseline) at one shape, the
//! measured ceilings and the device. Built from timings by pure functions, so everything but
//! the measuring itself is tested without a GPU. This is the JSON schema other tools read:
//! extend it, never rename a field.

use super::Stats;
use super::ceilings::{Ceilings, gbps, tflops};
use crate::registry::{BaselineKind, Ceiling, DType, Work};
use serde::{Deserialize, Serialize};

/// The whole benchmark output (`klab bench --json`).
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct BenchReport {
    pub device: DeviceRecord,
    pub ceilings: Ceilings,
    pub results: Vec<ResultRow>,
}

impl BenchReport {
    /// Parses `klab bench --json` output, filling what files written before a field existed
    /// lack ([`BenchReport::fill_legacy`]).
    pub fn from_json(text: &str) -> serde_json::Result<Self> {
        let mut rep: Self = serde_json::from_str(text)?;
        rep.fill_legacy();
        Ok(rep)
    }

    /// Fills what files written before a field existed lack: a baseline row's kind, from its
    /// kernel label (`gemm_cublas`).
    pub fn fill_legacy(&mut self) {
        for r in &mut self.results {
            if r.kind == RowKind::Baseline && r.baseline_kind.is_none() {
                r.baseline_kind = BaselineKind::of_label(&r.kernel);
            }
        }
    }
}

/// The device, the software and the run.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct DeviceRecord {
    pub name: String,
    pub sm_count: i32,
    pub clock_mhz: i32,
    /// The NVIDIA driver version (`580.95.05`), or the CUDA driver API version if unknown.
    pub driver: String,
    /// The CUDA version the driver supports (`13.0`).
    pub cuda: String,
    /// The git commit of the benchmarked code (short hash), or `unknown`.
    pub commit: String,
    /// When the run started, UTC, ISO 8601.
    pub time: String,
    /// `sm_90`.
    pub arch: String,
    pub memory_clock_mhz: i32,
    pub memory_bus_bits: i32,
    pub l2_bytes: i32,
    pub total_memory_bytes: usize,
    /// Whether this was a `--quick` run (few repetitions: not for comparisons).
    pub quick: bool,
}

/// Whether a row is one of our steps or a baseline.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RowKind {
    #[default]
    Step,
    Baseline,
}

/// One timed kernel at one shape.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(default)]
pub struct ResultRow {
    pub ladder: String,
    /// The step id; for a baseline row, the step it is the twin of (0: the whole ladder).
    pub step: u32,
    /// The PTX symbol, or for a baseline `<ladder>_<baseline name>` (`gemm_cublas`).
    pub kernel: String,
    pub kind: RowKind,
    /// `N`, `RxC` or `MxNxK`.
    pub shape: String,
    pub dtype: String,
    pub median_ms: f64,
    pub p20_ms: f64,
    pub p80_ms: f64,
    pub min_ms: f64,
    pub reps: usize,
    /// Minimum FLOPs of one problem.
    pub flops: f64,
    /// Minimum bytes of one problem.
    pub bytes: f64,
    /// `bytes / median`, GB/s (null when the problem moves no bytes).
    pub gbps: Option<f64>,
    /// `flops / median`, TFLOP/s (null when the problem has no FLOPs).
    pub tflops: Option<f64>,
    /// Throughput as a percentage (0-100) of the ceiling named in `ceiling`.
    pub pct_of_ceiling: Option<f64>,
    /// The ceiling it is a percentage of (its key in `ceilings`: `copy_gbps`).
    pub ceiling: Ceiling,
    /// The ladder's first step's median over this one's (same shape).
    pub speedup_vs_step1: Option<f64>,
    /// The baseline this row is compared with (its `kernel`).
    pub baseline: Option<String>,
    /// Baseline median over this row's median: above 1, we are faster.
    pub baseline_ratio: Option<f64>,
    /// Whether the kernel was checked against the float64 reference in this run and passed.
    pub verified: bool,
    /// The relative error norm of that check.
    pub rel_err: Option<f64>,
    /// The launch configuration of the row's kernel as last launched while it was timed
    /// (null if unknown: cuBLAS, or files written before this field existed).
    pub launch: Option<LaunchRecord>,
    /// For a baseline row, which reference it is (absent in files from before it was recorded:
    /// [`BenchReport::fill_legacy`] derives it from the kernel label).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub baseline_kind: Option<BaselineKind>,
}

/// A kernel's launch configuration as the benchmark recorded it.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(default)]
pub struct LaunchRecord {
    pub grid: [u32; 3],
    pub block: [u32; 3],
    /// Dynamic shared memory per block, bytes.
    pub smem: u32,
    /// The symbol actually launched, when it differs from the row's `kernel` (a tuned variant
    /// of step 9, a twin's C++ kernel); absent otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub symbol: Option<String>,
    /// The thread-block cluster, for a launch in clusters (`Launch::with_cluster`); absent
    /// otherwise.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub cluster: Option<[u32; 3]>,
    /// `true` for a programmatic dependent launch (`Launch::with_programmatic`); absent
    /// otherwise.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub programmatic: bool,
}

impl LaunchRecord {
    /// The record of `launch` of `symbol`, for a row whose kernel is `kernel`.
    pub fn of(launch: &crate::runtime::Launch, symbol: &str, kernel: &str) -> Self {
        let t = |(x, y, z): (u32, u32, u32)| [x, y, z];
        Self {
            grid: t(launch.grid),
            block: t(launch.block),
            smem: launch.smem,
            symbol: (symbol != kernel).then(|| symbol.to_string()),
            cluster: (launch.cluster != (1, 1, 1)).then(|| t(launch.cluster)),
            programmatic: launch.programmatic,
        }
    }

    /// Threads per block.
    pub fn threads(&self) -> u32 {
        self.block.iter().product()
    }

    /// The symbol launched: [`Self::symbol`], else `kernel`.
    pub fn symbol_or<'a>(&'a self, kernel: &'a str) -> &'a str {
        self.symbol.as_deref().unwrap_or(kernel)
    }
}

impl ResultRow {
    /// `ladder kernel shape step`: how [`crate::bench::compare`] matches rows between runs and
    /// `klab report` merges them. The step tells apart the baselines that share a kernel label
    /// (layernorm_backward's CUDA C++ twins, one per step: `layernorm_backward_cuda_cpp_twin`).
    pub fn key(&self) -> (String, String, String, u32) {
        (
            self.ladder.clone(),
            self.kernel.clone(),
            self.shape.clone(),
            self.step,
        )
    }
}

/// What a row is, before its timing: the part the harness knows from the registry.
#[derive(Debug, Clone)]
pub struct RowSpec {
    pub ladder: String,
    pub step: u32,
    pub kernel: String,
    pub kind: RowKind,
    pub shape: String,
    pub work: Work,
    pub ceiling: Ceiling,
    /// The element type of the kernel's data.
    pub dtype: DType,
    /// For a baseline row, which reference it is.
    pub baseline_kind: Option<BaselineKind>,
    /// `Some(rel_err)` when verified and passed.
    pub verified: Option<f64>,
}

/// Percentage of `ceiling` reached by a kernel with these throughputs.
pub fn pct_of_ceiling(
    ceiling: Ceiling,
    gbps: Option<f64>,
    tflops: Option<f64>,
    ceilings: &Ceilings,
) -> Option<f64> {
    let limit = ceilings.get(ceiling).filter(|&c| c > 0.0)?;
    let achieved = if ceiling.is_bandwidth() { gbps } else { tflops }?;
    Some(100.0 * achieved / limit)
}

/// A result row from its spec and timing (relative fields are filled by [`fill_relative`]).
pub fn build_row(spec: &RowSpec, stats: &Stats, ceilings: &Ceilings) -> ResultRow {
    let ms = stats.median_ms;
    let g = (spec.work.bytes > 0.0 && ms > 0.0).then(|| gbps(spec.work.bytes, ms));
    let t = (spec.work.flops > 0.0 && ms > 0.0).then(|| tflops(spec.work.flops, ms));
    ResultRow {
        ladder: spec.ladder.clone(),
        step: spec.step,
        kernel: spec.kernel.clone(),
        kind: spec.kind,
        shape: spec.shape.clone(),
        dtype: spec.dtype.name().into(),
        median_ms: ms,
        p20_ms: stats.p20_ms,
        p80_ms: stats.p80_ms,
        min_ms: stats.min_ms,
        reps: stats.reps,
        flops: spec.work.flops,
        bytes: spec.work.bytes,
        gbps: g,
        tflops: t,
        pct_of_ceiling: pct_of_ceiling(spec.ceiling, g, t, ceilings),
        ceiling: spec.ceiling,
        speedup_vs_step1: None,
        baseline: None,
        baseline_ratio: None,
        verified: spec.verified.is_some(),
        rel_err: spec.verified,
        launch: None,
        baseline_kind: spec.baseline_kind,
    }
}

/// Fills `speedup_vs_step1`, `baseline` and `baseline_ratio` of every row, per ladder and
/// shape: step 1 is the ladder's lowest-numbered step row; a step's baseline is the ladder's
/// library baseline (step 0) if it has one, else its first baseline row of the step's element
/// type (a bf16 step is compared with the bf16 twin, not the f32 one), as the docs tables do.
pub fn fill_relative(rows: &mut [ResultRow]) {
    let groups: Vec<(String, String)> = {
        let mut g: Vec<(String, String)> = rows
            .iter()
            .map(|r| (r.ladder.clone(), r.shape.clone()))
            .collect();
        g.sort();
        g.dedup();
        g
    };
    for (ladder, shape) in groups {
        let in_group = |r: &ResultRow| r.ladder == ladder && r.shape == shape;
        let first = rows
            .iter()
            .filter(|r| in_group(r) && r.kind == RowKind::Step)
            .min_by_key(|r| r.step)
            .map(|r| r.median_ms);
        let baselines: Vec<(u32, String, String, f64)> = rows
            .iter()
            .filter(|r| in_group(r) && r.kind == RowKind::Baseline)
            .map(|r| (r.step, r.dtype.clone(), r.kernel.clone(), r.median_ms))
            .collect();
        for r in rows.iter_mut().filter(|r| in_group(r)) {
            r.speedup_vs_step1 = first.and_then(|f| ratio(f, r.median_ms));
            let baseline = baselines
                .iter()
                .filter(|(step, dtype, ..)| *step == 0 || *dtype == r.dtype)
                .min_by_key(|(step, ..)| *step != 0);
            if r.kind == RowKind::Step
                && let Some((_, _, name, ms)) = baseline
            {
                r.baseline = Some(name.clone());
                r.baseline_ratio = ratio(*ms, r.median_ms);
            }
        }
    }
}

fn ratio(num: f64, den: f64) -> Option<f64> {
    (num > 0.0 && den > 0.0).then(|| num / den)
}

/// Seconds since the Unix epoch as ISO 8601 UTC (`2026-11-24T21:05:00Z`).
pub fn iso8601_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    // Howard Hinnant's civil_from_days.
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn stats(ms: f64) -> Stats {
        Stats {
            median_ms: ms,
            p20_ms: ms * 0.9,
            p80_ms: ms * 1.1,
            min_ms: ms * 0.8,
            reps: 10,
        }
    }

    fn spec(step: u32, kind: RowKind, kernel: &str) -> RowSpec {
        RowSpec {
            ladder: "saxpy".into(),
            step,
            kernel: kernel.into(),
            kind,
            shape: "1000".into(),
            work: Work {
                flops: 2e9,
                bytes: 12e9,
            },
            ceiling: Ceiling::CopyGbps,
            dtype: DType::F32,
            baseline_kind: (kind == RowKind::Baseline).then_some(BaselineKind::CudaCppTwin),
            verified: Some(1e-7),
        }
    }

    #[test]
    fn a_half_precision_step_is_rated_against_its_own_twin() {
        let c = Ceilings::default();
        let row = |step, kind, kernel: &str, dtype, ms| {
            let mut sp = spec(step, kind, kernel);
            sp.dtype = dtype;
            build_row(&sp, &stats(ms), &c)
        };
        let mut rows = vec![
            row(1, RowKind::Step, "s1", DType::F32, 4.0),
            row(3, RowKind::Step, "s3", DType::F32, 2.0),
            row(4, RowKind::Step, "s4", DType::Bf16, 1.0),
            row(3, RowKind::Baseline, "twin", DType::F32, 2.0),
            row(4, RowKind::Baseline, "twin_bf16", DType::Bf16, 1.1),
        ];
        fill_relative(&mut rows);
        assert_eq!(rows[1].baseline.as_deref(), Some("twin"));
        assert_eq!(rows[2].baseline.as_deref(), Some("twin_bf16"));
        assert!((rows[2].baseline_ratio.unwrap() - 1.1).abs() < 1e-12);
        assert!((rows[2].speedup_vs_step1.unwrap() - 4.0).abs() < 1e-12);
        assert_eq!(rows[3].baseline, None);
    }

    #[test]
    fn row_throughput_and_percent_of_ceiling() {
        let c = Ceilings {
            copy_gbps: Some(3000.0),
            ..Default::default()
        };
        let r = build_row(&spec(1, RowKind::Step, "k1"), &stats(5.0), &c);
        assert!((r.gbps.unwrap() - 2400.0).abs() < 1e-9);
        assert!((r.tflops.unwrap() - 0.4).abs() < 1e-12);
        assert!((r.pct_of_ceiling.unwrap() - 80.0).abs() < 1e-9);
        assert_eq!((r.ceiling.key(), r.verified), ("copy_gbps", true));
        assert_eq!(r.min_ms, 4.0);
        // No ceiling measured: no percentage; no flops: no TFLOP/s.
        let mut s = spec(1, RowKind::Step, "k1");
        s.work.flops = 0.0;
        s.verified = None;
        let r = build_row(&s, &stats(5.0), &Ceilings::default());
        assert_eq!(
            (r.pct_of_ceiling, r.tflops, r.verified),
            (None, None, false)
        );
        // A compute ceiling uses TFLOP/s.
        let c = Ceilings {
            fma_tflops: Some(0.8),
            ..Default::default()
        };
        assert_eq!(
            pct_of_ceiling(Ceiling::FmaTflops, Some(1.0), Some(0.4), &c),
            Some(50.0)
        );
    }

    #[test]
    fn speedups_and_baseline_ratios_per_ladder_and_shape() {
        let c = Ceilings::default();
        let mut rows = vec![
            build_row(&spec(2, RowKind::Step, "k2"), &stats(2.0), &c),
            build_row(&spec(1, RowKind::Step, "k1"), &stats(8.0), &c),
            build_row(
                &spec(2, RowKind::Baseline, "saxpy_cuda_cpp_twin"),
                &stats(3.0),
                &c,
            ),
            build_row(&spec(0, RowKind::Baseline, "saxpy_cublas"), &stats(4.0), &c),
        ];
        let mut other = build_row(&spec(1, RowKind::Step, "k1"), &stats(1.0), &c);
        other.shape = "7".into();
        rows.push(other);
        fill_relative(&mut rows);
        assert_eq!(rows[0].speedup_vs_step1, Some(4.0));
        assert_eq!(rows[1].speedup_vs_step1, Some(1.0));
        // The library baseline (step 0) is preferred over the twin.
        assert_eq!(rows[0].baseline.as_deref(), Some("saxpy_cublas"));
        assert_eq!(rows[0].baseline_ratio, Some(2.0));
        assert_eq!(rows[1].baseline_ratio, Some(0.5));
        assert_eq!(rows[2].baseline, None);
        assert_eq!(rows[2].speedup_vs_step1, Some(8.0 / 3.0));
        // Another shape is its own group, with no baseline.
        assert_eq!(
            (rows[4].speedup_vs_step1, rows[4].baseline_ratio),
            (Some(1.0), None)
        );

        // Twins only: each step gets the twin of its element type.
        let row = |step, kind, kernel: &str, dtype: &str, ms| {
            let mut r = build_row(&spec(step, kind, kernel), &stats(ms), &c);
            r.dtype = dtype.into();
            r
        };
        let mut rows = vec![
            row(3, RowKind::Step, "saxpy_s03", "f32", 2.0),
            row(4, RowKind::Step, "saxpy_s04", "bf16", 1.0),
            row(3, RowKind::Baseline, "saxpy_cuda_cpp_twin", "f32", 2.0),
            row(
                4,
                RowKind::Baseline,
                "saxpy_cuda_cpp_twin_bf16",
                "bf16",
                1.25,
            ),
        ];
        fill_relative(&mut rows);
        assert_eq!(rows[0].baseline.as_deref(), Some("saxpy_cuda_cpp_twin"));
        assert_eq!(rows[0].baseline_ratio, Some(1.0));
        assert_eq!(
            rows[1].baseline.as_deref(),
            Some("saxpy_cuda_cpp_twin_bf16")
        );
        assert_eq!(rows[1].baseline_ratio, Some(1.25));
    }

    #[test]
    fn utc_timestamps() {
        assert_eq!(iso8601_utc(0), "1970-01-01T00:00:00Z");
        assert_eq!(iso8601_utc(951_782_400), "2000-02-29T00:00:00Z");
        assert_eq!(iso8601_utc(1_795_554_300), "2026-11-24T21:05:00Z");
    }

    #[test]
    fn json_keeps_the_schema_and_reads_partial_rows() {
        let r = build_row(
            &spec(1, RowKind::Step, "k1"),
            &stats(5.0),
            &Ceilings::default(),
        );
        let v = serde_json::to_value(&r).unwrap();
        for key in [
            "ladder",
            "step",
            "kernel",
            "shape",
            "dtype",
            "median_ms",
            "p20_ms",
            "p80_ms",
            "min_ms",
            "gbps",
            "tflops",
            "pct_of_ceiling",
            "ceiling",
            "speedup_vs_step1",
            "baseline",
            "baseline_ratio",
            "verified",
            "flops",
            "bytes",
        ] {
            assert!(v.get(key).is_some(), "missing {key}");
        }
        assert!(v["tflops"].is_number() && v["pct_of_ceiling"].is_null());
        let back: ResultRow =
            serde_json::from_str(r#"{"ladder":"a","kernel":"k","shape":"4","median_ms":1.5}"#)
                .unwrap();
        assert_eq!(back.median_ms, 1.5);
        assert_eq!(back.launch, None);
        // The launch: null when unknown, an object when recorded (symbol only if different).
        assert!(v["launch"].is_null());
        let l = crate::runtime::Launch::grid_2d((4, 2), (32, 8)).with_smem(1024);
        let mut r = r;
        r.launch = Some(LaunchRecord::of(&l, "k1", "k1"));
        let v = serde_json::to_value(&r).unwrap();
        assert_eq!(
            v["launch"],
            serde_json::json!({"grid": [4, 2, 1], "block": [32, 8, 1], "smem": 1024})
        );
        let back: ResultRow = serde_json::from_value(v).unwrap();
        assert_eq!(back, r);
        assert_eq!(back.launch.as_ref().unwrap().threads(), 256);
        let other = LaunchRecord::of(&l, "k1_variant", "k1");
        assert_eq!(other.symbol_or("k1"), "k1_variant");
    }
}
