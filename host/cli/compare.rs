//! `klab compare BASELINE.json NEW.json [--threshold PCT]`: the regression gate.

use crate::bench::compare::{compare as compare_runs, render};
use crate::bench::results::BenchReport;
use crate::error::{Error, Result};
use std::path::{Path, PathBuf};

/// Arguments of `klab compare`.
#[derive(clap::Args, Debug)]
pub struct CompareArgs {
    /// The reference run (`klab bench --json`).
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
    serde_json::from_str(&text).map_err(|e| file_err(format!("not benchmark JSON: {e}")))
}

/// Prints the per-kernel table; a regression is an error (a failure: exit 1).
pub fn compare(args: &CompareArgs) -> Result<()> {
    if args.threshold.is_nan() || args.threshold < 0.0 {
        return Err(Error::Usage(format!(
            "--threshold {} must be a percentage >= 0",
            args.threshold
        )));
    }
    let old = read_report(&args.baseline)?;
    let new = read_report(&args.new)?;
    let c = compare_runs(&old, &new, args.threshold);
    print!("{}", render(&c));
    if c.has_regressions() {
        Err(Error::Other(format!(
            "{} kernel(s) slower than {} by more than {}%",
            c.deltas.iter().filter(|d| d.regressed).count(),
            args.baseline.display(),
            args.threshold
        )))
    } else {
        Ok(())
    }
}
