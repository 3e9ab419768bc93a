//! `klab sass <kernel> [--arch sm_90] [--diff <other>]`: resources, instruction mix and the
//! SASS listing of a kernel; with `--diff`, two summaries side by side and a listing diff.

use super::resolve::{check_arch, resolve};
use crate::error::Result;
use crate::tools::{self, diff, sass, summary::Summary};

/// Arguments of `klab sass`.
#[derive(clap::Args, Debug)]
pub struct SassArgs {
    /// Kernel symbol, `ladder/step` or `ladder/slug` (`klab list`), or any PTX entry point.
    pub kernel: String,
    /// GPU architecture to assemble for.
    #[arg(long, default_value = tools::DEFAULT_ARCH)]
    pub arch: String,
    /// Another kernel to compare with: summaries side by side and a unified listing diff.
    #[arg(long, value_name = "OTHER_KERNEL")]
    pub diff: Option<String>,
    /// Print only the summary, not the listing.
    #[arg(long)]
    pub summary_only: bool,
}

/// Prints the summary and listing, or the comparison.
pub fn sass(args: &SassArgs) -> Result<()> {
    // Every name and flag is checked before the (slow) assembly.
    let t = resolve(&args.kernel)?;
    let other = args.diff.as_deref().map(resolve).transpose()?;
    check_arch(&args.arch)?;
    let a = sass::kernel_sass(&t.symbol, &args.arch)?;
    let sa = Summary::of(&a);
    match &other {
        None => {
            print!("{sa}");
            if !args.summary_only {
                println!();
                for l in &a.lines {
                    println!("{l}");
                }
            }
        }
        Some(other) => {
            let b = sass::kernel_sass(&other.symbol, &args.arch)?;
            let sb = Summary::of(&b);
            print!("{}", tools::summary::side_by_side(&sa, &sb));
            for (s, flags) in [(&sa, sa.red_flags()), (&sb, sb.red_flags())] {
                for f in flags {
                    println!("  warning ({}): {f}", s.symbol);
                }
            }
            if !args.summary_only {
                println!();
                let d = diff::unified(&a.symbol, &a.lines, &b.symbol, &b.lines, 3);
                if d.is_empty() {
                    println!("(listings are identical after normalisation)");
                } else {
                    print!("{d}");
                }
            }
        }
    }
    for other in t.companions() {
        println!("(this step also launches {other}: klab sass {other})");
    }
    Ok(())
}
