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
            "baseline: {} ({}, commit {}, {})",
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

/// The newest `klab bench --json` run in `dir` (by its recorded start time) on a device named
/// `device`. Files that are not benchmark JSON are passed over; no run of that device is an
/// error naming the devices that are there.
pub fn newest_run_on(dir: &Path, device: &str) -> Result<(PathBuf, BenchReport)> {
    let entries = std::fs::read_dir(dir).map_err(|e| Error::File {
        path: dir.display().to_string(),
        why: format!("cannot list: {e}"),
    })?;
    let mut found: Vec<String> = Vec::new();
    let mut best: Option<(PathBuf, BenchReport)> = None;
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
        if best
            .as_ref()
            .is_none_or(|(_, b)| rep.device.time > b.device.time)
        {
            best = Some((path, rep));
        }
    }
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
