//! The `klab` command line: one module per subcommand, errors become one clear line and a
//! non-zero exit ([`exit_code`]: 2 for a mistake in what was asked, 1 for a failure while
//! doing it; [`EXIT_STATUS`] is the rule as `klab --help` states it).

mod bench;
pub(crate) mod compare;
mod doctor;
mod grade;
mod info;
mod list;
mod occupancy;
mod profile;
mod ptx;
mod report;
mod resolve;
mod run;
mod sass;
mod tune;

use crate::error::Error;
use clap::{Parser, Subcommand};
use std::process::ExitCode;

/// The exit-status rule, as `klab --help` ends with it.
pub const EXIT_STATUS: &str = "\
Exit status:
  0  success
  1  failure: no GPU or CUDA driver, a CUDA error, a kernel that fails verification, a
     missing or failing tool (ptxas, nvdisasm, ncu), a file that cannot be read or written;
     and `klab compare` finding a regression
  2  usage error: an unknown kernel, ladder or architecture, a bad shape (--size), a bad or
     conflicting flag value, arguments that do not parse";

/// kernel-lab: GPU kernels in Rust, verified and measured.
#[derive(Parser, Debug)]
#[command(name = "klab", version, about, long_about = None, after_help = EXIT_STATUS)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

/// The subcommands.
#[derive(Subcommand, Debug)]
pub enum Command {
    /// The device, the driver, and how the kernels were built (works without a GPU).
    Info,
    /// Whether this machine can build, inspect and run kernel-lab, and how to fix what it
    /// cannot; exit 1 unless both README commands can run (works without a GPU).
    Doctor(doctor::DoctorArgs),
    /// Every registered kernel, ladder by ladder.
    List,
    /// Run one kernel, verify it against the CPU reference, and time it.
    Run(run::RunArgs),
    /// Measure the ceilings, then verify and time every step and baseline (or a selection).
    Bench(bench::BenchArgs),
    /// Compare two `klab bench --json` runs; exit 1 if a kernel got slower than the threshold.
    Compare(compare::CompareArgs),
    /// SVG charts of a `klab bench --json` run: percent of ceiling per ladder, and a roofline.
    Report(report::ReportArgs),
    /// One kernel's PTX from the embedded module (works without a GPU).
    Ptx(ptx::PtxArgs),
    /// One kernel's SASS: resources, instruction mix and listing, or with `--diff BASE` how it
    /// differs from BASE (needs ptxas and nvdisasm, not a GPU).
    Sass(sass::SassArgs),
    /// Theoretical occupancy from ptxas's resource report (and the driver's, with a GPU).
    Occupancy(occupancy::OccupancyArgs),
    /// Nsight Compute on one launch of a kernel, summarised (needs a GPU and ncu).
    Profile(profile::ProfileArgs),
    /// Time every variant of a tunable step (gemm/9) on one size and store the winner.
    Tune(tune::TuneArgs),
    /// Grade a learner's kernel for a course exercise or challenge: correctness on fresh
    /// inputs (again after repeated runs), speed-up vs the baseline step on a GPU, and a review
    /// card (docs/course/exercises.md); exit 1 unless it passes.
    Grade(grade::GradeArgs),
}

/// A missing GPU (`NoDriver`, `NoDevice`) with what runs without one: `instead`, a command on
/// the CPU emulator. Other errors pass unchanged.
pub(crate) fn no_gpu_hint(e: Error, instead: &str) -> Error {
    match e {
        Error::NoDriver | Error::NoDevice(_) => Error::Other(format!(
            "{e}; without a GPU, `{instead}` verifies the kernel on the CPU emulator (no timing, \
             docs/emulator.md)"
        )),
        other => other,
    }
}

/// Runs the CLI with the process arguments.
pub fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Info => info::info(),
        Command::Doctor(args) => doctor::doctor(&args),
        Command::List => list::list(),
        Command::Run(args) => run::run(&args),
        Command::Bench(args) => bench::bench(&args),
        Command::Compare(args) => compare::compare(&args),
        Command::Report(args) => report::report(&args),
        Command::Ptx(args) => ptx::ptx(&args),
        Command::Sass(args) => sass::sass(&args),
        Command::Occupancy(args) => occupancy::occupancy(&args),
        Command::Profile(args) => profile::profile(&args),
        Command::Tune(args) => tune::tune(&args),
        Command::Grade(args) => grade::grade(&args),
    };
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("klab: {e}");
            ExitCode::from(exit_code(&e))
        }
    }
}

/// The exit status of a failed command: 2 for usage errors ([`Error::is_usage`]: unknown
/// names, bad shapes, bad flag values; clap's own parse errors exit 2 too), 1 for every other
/// failure (no GPU, CUDA errors, failed verification, missing tools, I/O, regressions).
pub fn exit_code(e: &Error) -> u8 {
    if e.is_usage() { 2 } else { 1 }
}
