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
    /// Summarise a saved `ncu --csv --page raw` output instead of running ncu (no GPU needed).
    #[arg(long, value_name = "FILE")]
    pub from_csv: Option<std::path::PathBuf>,
}

/// Runs `ncu ... klab run <kernel>` and prints the summary of the profiled launch.
pub fn profile(args: &ProfileArgs) -> Result<()> {
    let (ladder, step) = registry::find(&args.kernel)?;
    if let Some(s) = &args.size {
        ladder.parse_shape(s)?;
    }
    let out = match &args.from_csv {
        Some(path) => std::fs::read_to_string(path).map_err(|e| Error::File {
            path: path.display().to_string(),
            why: e.to_string(),
        })?,
        None => ncu::profile(
            &ncu::kernel_filter(step.symbols),
            &step.handle(),
            args.size.as_deref(),
        )?,
    };
    if args.raw {
        println!("{out}");
    }
    let launches = ncu::parse_csv(&out)?;
    let launch = launches
        .iter()
        .find(|l| {
            l.get("Kernel Name")
                .is_some_and(|k| step.symbols.contains(&k.value.as_str()))
        })
        .or(launches.first())
        .ok_or_else(|| Error::Tool {
            tool: "ncu".into(),
            why: format!("no launch of {} in the CSV", step.symbol),
        })?;
    print!("{}", ncu::ProfileSummary::of(launch));
    Ok(())
}
