//! Running the benchmark on a device: ceilings first, then per ladder and shape every selected
//! step (verified, then timed) and the ladder's baselines (verified, then timed), all in one
//! run, into a [`BenchReport`]. What to run is decided by [`plan`], a pure function.

use super::ceilings::Ceilings;
use super::results::{
    BenchReport, DeviceRecord, LaunchRecord, ResultRow, RowKind, RowSpec, build_row, fill_relative,
    iso8601_utc,
};
use super::{L2Flush, TimingOptions, time_case};
use crate::error::{Error, Result};
use crate::inputs;
use crate::registry::{self, DType, Ladder, StepInfo, Target, verify};
use crate::runtime::Gpu;
use crate::shape::Shape;

/// One ladder's share of a benchmark run.
pub struct PlanEntry {
    pub ladder: &'static dyn Ladder,
    pub steps: Vec<&'static StepInfo>,
    pub shapes: Vec<Shape>,
    /// Whether the ladder's baselines are timed too (not when one `--step` was asked for).
    pub baselines: bool,
}

impl PlanEntry {
    /// What runs on one case of element type `dtype`: the selected steps of that type, then the
    /// baselines of that type (if baselines are timed).
    pub fn targets(&self, dtype: DType) -> Vec<Target<'static>> {
        let steps = self.steps.iter().filter(|s| s.dtype == dtype);
        let baselines = self
            .ladder
            .baselines()
            .iter()
            .filter(|b| self.baselines && b.dtype == dtype);
        steps
            .map(|&s| Target::Step(s))
            .chain(baselines.map(Target::Baseline))
            .collect()
    }
}

/// What to run: the named ladders (all if none), only step `step` of each (if given), at
/// `size` (else each ladder's bench shapes). Unknown ladders, or a step no selected ladder
/// has, are errors.
pub fn plan(ladders: &[String], step: Option<u32>, size: Option<&str>) -> Result<Vec<PlanEntry>> {
    let selected: Vec<&'static dyn Ladder> = if ladders.is_empty() {
        registry::all_ladders()
    } else {
        ladders
            .iter()
            .map(|name| registry::find_ladder(name))
            .collect::<Result<_>>()?
    };
    let mut out = Vec::new();
    for &l in &selected {
        let steps: Vec<_> = l
            .steps()
            .into_iter()
            .filter(|s| step.is_none_or(|id| s.id == id))
            .collect();
        if steps.is_empty() {
            continue;
        }
        let shapes = match size {
            Some(s) => vec![l.parse_shape(s)?],
            None => l.bench_shapes(),
        };
        out.push(PlanEntry {
            ladder: l,
            steps,
            shapes,
            baselines: step.is_none(),
        });
    }
    if out.is_empty() {
        let names: Vec<&str> = selected.iter().map(|l| l.name()).collect();
        return Err(Error::Usage(format!(
            "--step {}: no step of that number in {} (`klab list` shows the steps)",
            step.unwrap_or(0),
            names.join(", ")
        )));
    }
    Ok(out)
}

/// Number of progress units of a plan: one per ceiling, then one per timed kernel and shape.
pub fn plan_units(plan: &[PlanEntry]) -> u64 {
    crate::registry::Ceiling::ALL.len() as u64
        + plan
            .iter()
            .map(|e| {
                let b = if e.baselines {
                    e.ladder.baselines().len()
                } else {
                    0
                };
                ((e.steps.len() + b) * e.shapes.len()) as u64
            })
            .sum::<u64>()
}

/// The NVIDIA driver version from `/proc/driver/nvidia/version` text (`580.95.05`).
pub fn parse_nvidia_driver_version(text: &str) -> Option<String> {
    let line = text.lines().next()?;
    line.split_whitespace()
        .find(|t| {
            t.contains('.')
                && t.chars().all(|c| c.is_ascii_digit() || c == '.')
                && t.starts_with(|c: char| c.is_ascii_digit())
        })
        .map(str::to_string)
}

/// The commit of the benchmarked code: `KLAB_COMMIT` if set; else a `COMMIT` file beside the
/// executable (scripts/gpu-bundle.sh writes one, for GPU hosts without git or a checkout);
/// else `git rev-parse --short HEAD` in the current directory; else `unknown`.
pub fn git_commit() -> String {
    if let Ok(c) = std::env::var("KLAB_COMMIT")
        && !c.trim().is_empty()
    {
        return c.trim().to_string();
    }
    let beside_exe = std::env::current_exe()
        .ok()
        .and_then(|exe| std::fs::read_to_string(exe.with_file_name("COMMIT")).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty());
    if let Some(c) = beside_exe {
        return c;
    }
    std::process::Command::new("git")
        .args(["rev-parse", "--short", "HEAD"])
        .output()
        .ok()
        .filter(|o| o.status.success())
        .and_then(|o| String::from_utf8(o.stdout).ok())
        .map(|s| s.trim().to_string())
        .filter(|s| !s.is_empty())
        .unwrap_or_else(|| "unknown".into())
}

/// The device record of a run starting now.
pub fn device_record(gpu: &Gpu, quick: bool) -> DeviceRecord {
    let i = gpu.info();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0);
    let driver = std::fs::read_to_string("/proc/driver/nvidia/version")
        .ok()
        .and_then(|t| parse_nvidia_driver_version(&t))
        .unwrap_or_else(|| i.driver_version.clone());
    DeviceRecord {
        name: i.name.clone(),
        sm_count: i.sm_count,
        clock_mhz: i.clock_mhz,
        driver,
        cuda: i.driver_version.clone(),
        commit: git_commit(),
        time: iso8601_utc(now),
        arch: i.arch(),
        memory_clock_mhz: i.memory_clock_mhz,
        memory_bus_bits: i.memory_bus_bits,
        l2_bytes: i.l2_bytes,
        total_memory_bytes: i.total_memory_bytes,
        quick,
    }
}

/// Progress callbacks (the CLI draws a bar on stderr).
pub trait Progress {
    /// Starting `what`.
    fn start(&self, what: &str);
    /// One unit done.
    fn done(&self);
    /// A line to show beside the bar (a failure, a missing ceiling).
    fn note(&self, line: &str);
}

/// Runs the plan. Kernels that fail verification are timed and marked `verified: false`;
/// kernels whose run fails are reported through `progress.note` and left out. Returns the
/// report and the list of failures (empty when everything verified).
pub fn run(
    gpu: &Gpu,
    plan: &[PlanEntry],
    opts: &TimingOptions,
    quick: bool,
    progress: &dyn Progress,
) -> Result<(BenchReport, Vec<String>)> {
    let device = device_record(gpu, quick);
    let flush = L2Flush::new(gpu)?;
    progress.start("ceilings");
    let ceilings = Ceilings::measure(gpu, opts, &flush);
    for n in &ceilings.notes {
        progress.note(&format!("ceiling not measured: {n}"));
    }
    crate::registry::Ceiling::ALL
        .iter()
        .for_each(|_| progress.done());
    let mut rows: Vec<ResultRow> = Vec::new();
    let mut failures = Vec::new();
    // Steps the device cannot run (an sm_90a step elsewhere than on compute capability 9.0):
    // one line each, then left out.
    let mut skipped = std::collections::HashSet::new();
    for step in plan.iter().flat_map(|e| &e.steps) {
        if let Some(line) = gpu.skips(step) {
            progress.note(&line);
            skipped.insert(step.symbol);
        }
    }
    for entry in plan {
        let l = entry.ladder;
        for shape in &entry.shapes {
            // One case per element type: the f32 steps and baselines share one problem, the
            // bf16 ones another (the same random values, rounded).
            for dtype in l.dtypes() {
                let (targets, skip): (Vec<_>, Vec<_>) =
                    entry.targets(dtype).into_iter().partition(|t| match t {
                        Target::Step(s) => !skipped.contains(s.symbol),
                        Target::Baseline(_) => true,
                    });
                skip.iter().for_each(|_| progress.done());
                if targets.is_empty() {
                    continue;
                }
                let mut fail = |what: String, e: &Error| {
                    let line = format!("{what} at {shape}: {e}");
                    progress.note(&line);
                    failures.push(line);
                };
                let mut case = match l.prepare(gpu, shape, dtype, inputs::fresh_seed()) {
                    Ok(c) => c,
                    Err(e) => {
                        fail(format!("{} {} (prepare)", l.name(), dtype.name()), &e);
                        targets.iter().for_each(|_| progress.done());
                        continue;
                    }
                };
                for &target in &targets {
                    let (step, kernel, kind, baseline_kind) = match target {
                        Target::Step(s) => (s.id, s.symbol.to_string(), RowKind::Step, None),
                        Target::Baseline(b) => (
                            b.of_step,
                            b.label(l.name()),
                            RowKind::Baseline,
                            Some(b.kind),
                        ),
                    };
                    progress.start(&format!("{kernel} {shape}"));
                    gpu.forget_launches();
                    let verified = match verify(case.as_mut(), gpu, target) {
                        Ok(c) if c.passed() => Some(c.rel_norm),
                        Ok(c) => {
                            fail(kernel.clone(), &mismatch(&kernel, shape, c));
                            None
                        }
                        Err(e) => {
                            fail(kernel, &e);
                            progress.done();
                            continue;
                        }
                    };
                    match time_case(gpu, case.as_mut(), target, opts, Some(&flush)) {
                        Ok(stats) => {
                            let spec = RowSpec {
                                ladder: l.name().into(),
                                step,
                                kernel: kernel.clone(),
                                kind,
                                shape: shape.to_string(),
                                work: l.work(shape, dtype),
                                ceiling: l.ceiling(),
                                dtype,
                                baseline_kind,
                                verified,
                            };
                            let mut row = build_row(&spec, &stats, &ceilings);
                            row.launch = match target {
                                Target::Step(s) => step_launch(gpu, s),
                                Target::Baseline(_) => baseline_launch(gpu, &kernel),
                            };
                            rows.push(row);
                        }
                        Err(e) => fail(kernel, &e),
                    }
                    progress.done();
                }
            }
        }
    }
    fill_relative(&mut rows);
    Ok((
        BenchReport {
            device,
            ceilings,
            results: rows,
        },
        failures,
    ))
}

/// The launch of a step as recorded while it was verified and timed: its main symbol's, else
/// (a tuned variant of step 9) that of the other of its symbols launched last. The first
/// launch since the log was cleared: for a multi-pass reduction, the main pass, not the final
/// one-block pass.
fn step_launch(gpu: &Gpu, step: &StepInfo) -> Option<LaunchRecord> {
    if let Some(l) = gpu.first_launch(step.symbol) {
        return Some(LaunchRecord::of(&l, step.symbol, step.symbol));
    }
    gpu.latest_launched(|s| step.symbols.contains(&s))
        .map(|(s, l)| LaunchRecord::of(&l, &s, step.symbol))
}

/// The launch of a baseline: the symbol launched last that is not the L2 flush (none for
/// cuBLAS, whose kernels are not launched through [`Gpu`]).
fn baseline_launch(gpu: &Gpu, kernel: &str) -> Option<LaunchRecord> {
    gpu.latest_launched(|s| s != kernels_gpu::ceiling::ceiling_read_stream::SYMBOL)
        .map(|(s, l)| LaunchRecord::of(&l, &s, kernel))
}

fn mismatch(kernel: &str, shape: &Shape, c: crate::verify::Comparison) -> Error {
    Error::Mismatch {
        kernel: kernel.into(),
        shape: shape.to_string(),
        summary: c.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn plans_every_ladder_by_default_and_filters_by_step_and_size() {
        let all = plan(&[], None, None).unwrap();
        assert_eq!(all.len(), registry::all_ladders().len());
        assert!(all.iter().all(|e| e.baselines && !e.shapes.is_empty()));
        let one = plan(&["saxpy".into()], Some(2), Some("1000")).unwrap();
        assert_eq!(one.len(), 1);
        assert_eq!(one[0].steps.len(), 1);
        assert_eq!(one[0].shapes, vec![Shape::n(1000)]);
        assert!(!one[0].baselines);
        assert_eq!(
            plan_units(&one),
            1 + crate::registry::Ceiling::ALL.len() as u64
        );
        assert!(plan(&["nosuch".into()], None, None).is_err_and(|e| e.is_usage()));
        assert!(plan(&["saxpy".into()], Some(99), None).is_err_and(|e| e.is_usage()));
        assert!(plan(&["saxpy".into()], None, Some("abc")).is_err_and(|e| e.is_usage()));
    }

    #[test]
    fn reads_the_driver_version() {
        let t = "NVRM version: NVIDIA UNIX Open Kernel Module for x86_64  580.95.05  Release Build  (dvs-builder@U16-I3-B03-4-3)  Tue Sep 23 09:46:36 UTC 2025\nGCC version:  gcc version 12.3.0";
        assert_eq!(parse_nvidia_driver_version(t).as_deref(), Some("580.95.05"));
        assert_eq!(parse_nvidia_driver_version("nothing here"), None);
    }
}
