//! `klab compare BASELINE NEW.json [--threshold PCT]`: the regression gate. BASELINE is a
//! `klab bench --json` file, or a folder of them (`docs/results`), in which case the newest
//! run on a device of the same name as NEW's is the baseline (the GPU CI gate: docs/ci.md).

use crate::bench::compare::{compare as compare_runs, render};
use crate::bench::results::BenchReport;
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// Arguments of `klab compare`.
#[derive(clap::Args, Debug)]
pub struct CompareArgs {
    /// The reference run (`klab bench --json`), or a folder of runs: then the newest one on
    /// a device of the same name as NEW's.
    pub baseline: PathBuf,
    /// The run to check.
    pub new: PathBuf,
    /// A kernel whose median grew by more than this percentage fails the comparison.
    #[arg(long, default_value_t = 5.0)]
    pub threshold: f64,
}

/// Reads a `klab bench --json` file.
pub fn read_report(path: &Path) -> Result<BenchReport> {
    let file_err = |why: String| Error::File {
        path: path.display().to_string(),
        why,
    };
    let text = std::fs::read_to_string(path).map_err(|e| file_err(format!("cannot read: {e}")))?;
    if crate::bench::python::PyBench::parse(&text).is_some() {
        // Its `device` would pass for a run's: keep it out of comparisons and merges.
        return Err(file_err(format!(
            "a Python bench file ({}): `klab report` reads it, `klab compare` does not",
            crate::bench::python::SCHEMA
        )));
    }
    BenchReport::from_json(&text).map_err(|e| file_err(format!("not benchmark JSON: {e}")))
}

/// Prints the per-kernel table; a regression is an error (a failure: exit 1).
pub fn compare(args: &CompareArgs) -> Result<()> {
    if args.threshold.is_nan() || args.threshold < 0.0 {
        return Err(Error::Usage(format!(
            "--threshold {} must be a percentage >= 0",
            args.threshold
        )));
    }
    let new = read_report(&args.new)?;
    let (baseline, old) = if args.baseline.is_dir() {
        let (path, old) = newest_run_on(&args.baseline, &new.device.name)?;
        println!(
            "baseline: the committed runs of this device in {}, each kernel from the newest run that has it (newest: {}, {}, commit {}, {})",
            args.baseline.display(),
            path.display(),
            old.device.name,
            old.device.commit,
            old.device.time
        );
        (path, old)
    } else {
        (args.baseline.clone(), read_report(&args.baseline)?)
    };
    let c = compare_runs(&old, &new, args.threshold);
    print!("{}", render(&c));
    if c.has_regressions() {
        Err(Error::Other(format!(
            "{} kernel(s) slower than {} by more than {}%, or no longer verified",
            c.deltas.iter().filter(|d| d.regressed).count(),
            baseline.display(),
            args.threshold
        )))
    } else {
        Ok(())
    }
}

/// Runs of one device merged: each row (ladder, kernel, shape, step) from the newest run (by its
/// recorded start time) that has it, in the order of the runs, newest first; the device record
/// and ceilings are the newest run's (each row keeps the percentages of its own run).
pub fn merge_runs(mut runs: Vec<BenchReport>) -> BenchReport {
    runs.sort_by(|a, b| b.device.time.cmp(&a.device.time));
    let mut iter = runs.into_iter();
    let mut merged = iter.next().unwrap_or_default();
    for older in iter {
        for r in older.results {
            if !merged.results.iter().any(|m| m.key() == r.key()) {
                merged.results.push(r);
            }
        }
    }
    merged
}

/// The baseline of a device from the runs in `dir`: every run on a device named `device`,
/// merged so that each kernel (ladder, kernel, shape) comes from the newest run (by its
/// recorded start time) that has it — a run of one ladder (`klab bench --ladder gemm_bf16`)
/// then refreshes that ladder's rows without hiding the others. Returns the newest run's path
/// and the merged report (its device record is the newest run's). Files that are not
/// benchmark JSON are passed over; no run of that device is an error naming the devices there.
pub fn newest_run_on(dir: &Path, device: &str) -> Result<(PathBuf, BenchReport)> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::File {
        path: dir.display().to_string(),
        why: format!("cannot list: {e}"),
    })?;
    let mut found: Vec<String> = Vec::new();
    let mut runs: Vec<(PathBuf, BenchReport)> = Vec::new();
    for path in entries.flatten().map(|e| e.path()) {
        if path.extension().is_none_or(|x| x != "json") {
            continue;
        }
        let Ok(rep) = read_report(&path) else {
            continue;
        };
        if rep.device.name != device {
            found.push(rep.device.name.clone());
            continue;
        }
        runs.push((path, rep));
    }
    runs.sort_by(|a, b| b.1.device.time.cmp(&a.1.device.time));
    let newest = runs.first().map(|(path, _)| path.clone());
    let best = newest.map(|path| (path, merge_runs(runs.into_iter().map(|(_, r)| r).collect())));
    best.ok_or_else(|| {
        found.sort();
        found.dedup();
        Error::File {
            path: dir.display().to_string(),
            why: format!(
                "no benchmark run on {device:?} to compare with (runs there: {}); commit one first (docs/ci.md)",
                if found.is_empty() { "none".to_string() } else { found.join(", ") }
            ),
        }
    })
}

#[cfg(test)]
mod python_bench_tests {
    #[test]
    fn a_python_bench_file_is_not_a_run_to_compare_or_merge() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("py.json");
        std::fs::write(&path, include_str!("../bench/testdata/python-bench.json")).unwrap();
        let e = super::read_report(&path).unwrap_err().to_string();
        assert!(e.contains("`klab compare` does not"), "{e}");
        // a directory holding only it has no run of the device
        assert!(super::newest_run_on(dir.path(), "NVIDIA H200").is_err());
    }
}
