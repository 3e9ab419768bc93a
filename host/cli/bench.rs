//! `klab bench [--ladder L]... [--step N] [--size S] [--json F] [--csv F] [--markdown F]
//! [--quick]`: ceilings, then every selected step verified and timed, with the ladders'
//! baselines; a table on stdout, a progress bar on stderr, data files on request.

use crate::bench::TimingOptions;
use crate::bench::render;
use crate::bench::results::BenchReport;
use crate::bench::runner::{self, Progress};
use crate::error::{Error, Result};
use crate::npy::write_atomic;
use crate::runtime::Gpu;
use indicatif::{ProgressBar, ProgressStyle};
use std::path::{Path, PathBuf};

/// Arguments of `klab bench`.
#[derive(clap::Args, Debug)]
pub struct BenchArgs {
    /// Only this ladder (repeatable; default: every ladder).
    #[arg(long = "ladder", value_name = "LADDER")]
    pub ladders: Vec<String>,
    /// Only this step number of each selected ladder (baselines are then skipped).
    #[arg(long)]
    pub step: Option<u32>,
    /// Only this shape (default: each ladder's benchmark shapes).
    #[arg(long)]
    pub size: Option<String>,
    /// Writes the results as JSON (the schema in docs/benchmarking.md).
    #[arg(long, value_name = "FILE")]
    pub json: Option<PathBuf>,
    /// Writes the results as CSV.
    #[arg(long, value_name = "FILE")]
    pub csv: Option<PathBuf>,
    /// Writes the results as a Markdown report.
    #[arg(long, value_name = "FILE")]
    pub markdown: Option<PathBuf>,
    /// Few repetitions (a smoke test; marked `quick` in the JSON, not for comparisons).
    #[arg(long)]
    pub quick: bool,
}

struct Bar(ProgressBar);

impl Progress for Bar {
    fn start(&self, what: &str) {
        self.0.set_message(what.to_string());
    }
    fn done(&self) {
        self.0.inc(1);
    }
    fn note(&self, line: &str) {
        self.0.println(format!("klab bench: {line}"));
    }
}

/// Writes every requested output file of `rep`.
pub fn write_outputs(
    rep: &BenchReport,
    json: Option<&Path>,
    csv: Option<&Path>,
    markdown: Option<&Path>,
) -> Result<()> {
    if let Some(p) = json {
        let text = serde_json::to_string_pretty(rep)
            .map_err(|e| Error::Other(format!("serialising the results: {e}")))?;
        write_atomic(p, (text + "\n").as_bytes())?;
    }
    if let Some(p) = csv {
        write_atomic(p, render::csv(rep).as_bytes())?;
    }
    if let Some(p) = markdown {
        write_atomic(p, render::markdown(rep).as_bytes())?;
    }
    Ok(())
}

/// Runs the benchmark; exits non-zero (after writing the outputs) if any kernel failed.
pub fn bench(args: &BenchArgs) -> Result<()> {
    let plan = runner::plan(&args.ladders, args.step, args.size.as_deref())?;
    let gpu =
        Gpu::open_default().map_err(|e| super::no_gpu_hint(e, "klab run <kernel> --emulate"))?;
    let opts = if args.quick {
        TimingOptions::quick()
    } else {
        TimingOptions::default()
    };
    let bar = ProgressBar::new(runner::plan_units(&plan));
    bar.set_style(
        ProgressStyle::with_template("{bar:30} {pos}/{len} {elapsed} {msg}")
            .expect("valid progress template"),
    );
    let progress = Bar(bar);
    let (rep, failures) = runner::run(&gpu, &plan, &opts, args.quick, &progress)?;
    progress.0.finish_and_clear();
    print!("{}", render::table(&rep));
    write_outputs(
        &rep,
        args.json.as_deref(),
        args.csv.as_deref(),
        args.markdown.as_deref(),
    )?;
    if failures.is_empty() {
        Ok(())
    } else {
        Err(Error::Other(format!(
            "{} kernel(s) failed: {}",
            failures.len(),
            failures.join("; ")
        )))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::bench::results::ResultRow;

    #[test]
    fn outputs_are_written_and_the_json_reads_back() {
        let dir = tempfile::tempdir().unwrap();
        let mut rep = BenchReport::default();
        rep.device.name = "test".into();
        rep.ceilings.copy_gbps = Some(3000.0);
        rep.results.push(ResultRow {
            ladder: "saxpy".into(),
            kernel: "saxpy_s01_naive".into(),
            shape: "8".into(),
            median_ms: 1.0,
            gbps: Some(2.0),
            verified: true,
            ..Default::default()
        });
        let (j, c, m) = (
            dir.path().join("r.json"),
            dir.path().join("r.csv"),
            dir.path().join("r.md"),
        );
        write_outputs(&rep, Some(&j), Some(&c), Some(&m)).unwrap();
        assert_eq!(super::super::compare::read_report(&j).unwrap(), rep);
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(&j).unwrap()).unwrap();
        assert!(v["results"][0]["tflops"].is_null() && v["ceilings"]["read_gbps"].is_null());
        assert_eq!(std::fs::read_to_string(&c).unwrap().lines().count(), 2);
        assert!(std::fs::read_to_string(&m).unwrap().contains("## saxpy"));
    }
}
