//! `klab profile <kernel> [--size S]`: Nsight Compute on one launch, summarised.

use crate::error::{Error, Result};
use crate::registry;
use crate::tools::ncu;

/// Arguments of `klab profile`.
#[derive(clap::Args, Debug)]
pub struct ProfileArgs {
    /// Kernel symbol, `ladder/step` or `ladder/slug` (`klab list`).
    pub kernel: String,
    /// Problem shape, as for `klab run`.
    #[arg(long)]
    pub size: Option<String>,
    /// Also print ncu's raw CSV.
    #[arg(long)]
    pub raw: bool,
}

/// Runs `ncu ... klab run <kernel>` and prints the summary of the profiled launch.
pub fn profile(args: &ProfileArgs) -> Result<()> {
    let (ladder, step) = registry::find(&args.kernel)?;
    if let Some(s) = &args.size {
        ladder.parse_shape(s)?;
    }
    let handle = step.handle();
    let out = ncu::profile(step.symbol, &handle, args.size.as_deref())?;
    if args.raw {
        println!("{out}");
    }
    let launches = ncu::parse_csv(&out)?;
    let launch = launches.first().ok_or_else(|| Error::Tool {
        tool: "ncu".into(),
        why: format!("no launch of {} in the CSV", step.symbol),
    })?;
    print!("{}", ncu::ProfileSummary::of(launch));
    Ok(())
}
