//! `klab report RESULTS.json --out DIR`: SVG charts from a benchmark run.

use super::compare::read_report;
use crate::bench::report::write_report;
use crate::error::Result;
use std::path::PathBuf;

/// Arguments of `klab report`.
#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// A `klab bench --json` file.
    pub results: PathBuf,
    /// The directory the charts are written to (created if needed).
    #[arg(long)]
    pub out: PathBuf,
}

/// Writes `<ladder>.svg` per ladder and `roofline.svg`, and lists them.
pub fn report(args: &ReportArgs) -> Result<()> {
    let rep = read_report(&args.results)?;
    for p in write_report(&rep, &args.out)? {
        println!("{}", p.display());
    }
    Ok(())
}
