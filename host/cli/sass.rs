//! `klab sass <kernel> [--arch sm_90] [--diff <base>]`: resources, instruction mix and the
//! SASS listing of a kernel; with `--diff`, how the kernel differs from the base kernel: the
//! two summaries side by side (base first, deltas `kernel - base`) and a listing diff from the
//! base to the kernel.

use super::resolve::resolve;
use crate::error::Result;
use crate::tools::{self, diff, sass, summary::Summary};

/// Arguments of `klab sass`.
#[derive(clap::Args, Debug)]
pub struct SassArgs {
    /// Kernel symbol, `ladder/step` or `ladder/slug` (`klab list`), or any PTX entry point.
    pub kernel: String,
    /// GPU architecture to assemble for (default: sm_90; sm_90a for the kernels of the sm_90a
    /// module, which assemble for nothing else).
    #[arg(long)]
    pub arch: Option<String>,
    /// The base to compare KERNEL with, read from BASE to KERNEL: the summaries side by side
    /// (BASE's column first, every delta KERNEL - BASE) and a unified listing diff (`-` lines
    /// only in BASE, `+` lines only in KERNEL). `klab sass gemm/8 --diff gemm/7` shows what
    /// step 8 changed.
    #[arg(long, value_name = "BASE")]
    pub diff: Option<String>,
    /// Print only the summary, not the listing.
    #[arg(long)]
    pub summary_only: bool,
}

/// Prints the summary and listing, or the comparison.
pub fn sass(args: &SassArgs) -> Result<()> {
    // Every name and flag is checked before the (slow) assembly.
    let t = resolve(&args.kernel)?;
    let base = args.diff.as_deref().map(resolve).transpose()?;
    let arch = args
        .arch
        .clone()
        .unwrap_or_else(|| t.default_arch(tools::DEFAULT_ARCH));
    t.check_arch(&arch)?;
    if let Some(b) = &base {
        b.check_arch(&arch)?;
    }
    let k = sass::kernel_sass(&t.symbol, &arch)?;
    let sk = Summary::of(&k);
    match &base {
        None => {
            print!("{sk}");
            if !args.summary_only {
                println!();
                for l in &k.lines {
                    println!("{l}");
                }
            }
        }
        Some(base) => {
            let b = sass::kernel_sass(&base.symbol, &arch)?;
            let sb = Summary::of(&b);
            println!("{} → {} on {arch}", base.label(), t.label());
            print!(
                "{}",
                tools::summary::side_by_side(&sb, &sk, (&base.short_name(), &t.short_name()))
            );
            for (s, flags) in [(&sb, sb.red_flags()), (&sk, sk.red_flags())] {
                for f in flags {
                    println!("  warning ({}): {f}", s.symbol);
                }
            }
            if !args.summary_only {
                println!();
                let d = diff::unified(&base.label(), &b.lines, &t.label(), &k.lines, 3);
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
