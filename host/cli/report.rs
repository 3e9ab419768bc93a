//! `klab report RESULTS.json --out DIR [--docs DOCS]...`: SVG charts from a benchmark run, and
//! the docs' measured tables (and the README's per-device summary) regenerated from it.

use super::compare::read_report;
use crate::bench::docs::{Provenance, ToolFacts, update_docs};
use crate::bench::report::write_report;
use crate::error::Result;
use std::path::PathBuf;

/// Arguments of `klab report`.
#[derive(clap::Args, Debug)]
pub struct ReportArgs {
    /// A `klab bench --json` file, or several runs of one device (merged: each kernel from the
    /// newest run that has it, e.g. a full run and a later `--ladder` run). A Python bench file
    /// (`python -m kernel_lab.bench --json`) adds python.md and python.svg: time ratios vs torch
    /// per op.
    #[arg(required = true)]
    pub results: Vec<PathBuf>,
    /// The directory the charts are written to (created if needed).
    #[arg(long)]
    pub out: PathBuf,
    /// Also regenerate the `<!-- klab:measured ladder=NAME -->` (and `klab:sass`,
    /// `klab:summary device=SLUG`) blocks of every markdown file under this directory, or of
    /// this one file (repeatable: `--docs docs --docs README.md`).
    #[arg(long)]
    pub docs: Vec<PathBuf>,
}

/// Writes `<ladder>.svg` per ladder and `roofline.svg`, and lists them.
pub fn report(args: &ReportArgs) -> Result<()> {
    // The Python package's bench files (`python -m kernel_lab.bench --json`) get their own
    // section: python.md and python.svg, ratios vs torch per op.
    let mut rust_runs = Vec::new();
    for p in &args.results {
        let text = std::fs::read_to_string(p).unwrap_or_default();
        match crate::bench::python::PyBench::parse(&text) {
            Some(b) => {
                for w in crate::bench::python::write(&b?, &args.out)? {
                    println!("{}", w.display());
                }
            }
            None => rust_runs.push(p),
        }
    }
    if rust_runs.is_empty() {
        return Ok(());
    }
    let runs = rust_runs
        .iter()
        .map(|p| read_report(p))
        .collect::<Result<Vec<_>>>()?;
    if let Some(other) = runs.iter().find(|r| r.device.name != runs[0].device.name) {
        return Err(crate::error::Error::Usage(format!(
            "klab report merges runs of one device: {} and {}",
            runs[0].device.name, other.device.name
        )));
    }
    let rep = super::compare::merge_runs(runs);
    for p in write_report(&rep, &args.out)? {
        println!("{}", p.display());
    }
    let facts = (!args.docs.is_empty()).then(|| ToolFacts::new(&rep.device.arch));
    for docs in &args.docs {
        let facts = facts.as_ref().expect("made when there are docs");
        let prov = Provenance {
            results: args
                .results
                .iter()
                .map(|p| {
                    p.file_name().map_or_else(
                        || p.display().to_string(),
                        |n| n.to_string_lossy().into_owned(),
                    )
                })
                .collect::<Vec<_>>()
                .join(" "),
            out: args.out.display().to_string(),
            docs: docs.display().to_string(),
        };
        let (updated, notes) = update_docs(&rep, docs, facts, &prov)?;
        for u in &updated {
            println!("{} ({})", u.path.display(), u.blocks.join(", "));
        }
        for n in notes {
            eprintln!("note: {n}");
        }
    }
    Ok(())
}
