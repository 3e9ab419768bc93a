//! `klab sass <kernel> [--arch sm_90] [--diff <base>]`: resources, instruction mix and the
//! SASS listing of a kernel; with `--diff`, how the kernel differs from the base kernel: the
//! two summaries side by side (base first, deltas `kernel - base`) and a listing diff from the
//! base to the kernel (unified, or `--side-by-side`, or an HTML page with `--html`). `--mix`
//! adds the loops' instruction mix, `--source` interleaves the Rust source lines.

use super::resolve::resolve;
use crate::error::{Error, Result};
use crate::tools::{self, diff, html, lineinfo, loopmix, sass, summary::Summary};

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
    /// Also print every loop's instruction mix (a loop is a backward branch), the main loop
    /// (the most FFMA/HMMA/HGMMA) marked, and its hot path: what one interior iteration runs.
    #[arg(long)]
    pub mix: bool,
    /// With --diff: the two main loops' hot paths class by class, then the two listings in
    /// two aligned columns (`|` changed, `<` only in BASE, `>` only in KERNEL) instead of the
    /// unified diff.
    #[arg(long, requires = "diff")]
    pub side_by_side: bool,
    /// With --diff: also write a self-contained HTML page (no network, large font, for a
    /// projector): both summaries, both loop mixes and the two listings side by side.
    #[arg(long, value_name = "FILE", requires = "diff")]
    pub html: Option<std::path::PathBuf>,
    /// Interleave the listing with the Rust source lines of each instruction (builds the
    /// kernels once more, with line tables, into target/kernels-nvptx-lineinfo: docs/sass.md).
    #[arg(long, conflicts_with_all = ["diff", "summary_only"])]
    pub source: bool,
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
            if args.mix {
                print!("{}", loopmix::report(&k.lines));
            }
            if args.source {
                println!();
                print!(
                    "{}",
                    lineinfo::render(&lineinfo::kernel_listing(&t.symbol, &arch)?)
                );
            } else if !args.summary_only {
                println!();
                for l in &k.lines {
                    println!("{l}");
                }
            }
        }
        Some(base) => {
            let b = sass::kernel_sass(&base.symbol, &arch)?;
            let sb = Summary::of(&b);
            let title = format!("{} → {} on {arch}", base.label(), t.label());
            println!("{title}");
            let summaries =
                tools::summary::side_by_side(&sb, &sk, (&base.short_name(), &t.short_name()));
            print!("{summaries}");
            for (s, flags) in [(&sb, sb.red_flags()), (&sk, sk.red_flags())] {
                for f in flags {
                    println!("  warning ({}): {f}", s.symbol);
                }
            }
            let mixes = format!(
                "{}{}:\n{}{}:\n{}",
                loopmix::compare(&b.lines, &k.lines, (&base.short_name(), &t.short_name())),
                base.short_name(),
                loopmix::report(&b.lines),
                t.short_name(),
                loopmix::report(&k.lines)
            );
            if args.mix {
                print!("{mixes}");
            }
            if let Some(path) = &args.html {
                let rows = diff::aligned(&b.lines, &k.lines);
                let page = html::diff_page(&html::DiffPage {
                    title: &title,
                    blocks: vec![("Summary", summaries.clone()), ("Loops", mixes.clone())],
                    left: &base.label(),
                    right: &t.label(),
                    rows: &rows,
                });
                std::fs::write(path, page).map_err(|e| Error::File {
                    path: path.display().to_string(),
                    why: e.to_string(),
                })?;
                println!("(wrote {})", path.display());
            }
            if args.side_by_side && !args.summary_only {
                if !args.mix {
                    print!(
                        "{}",
                        loopmix::compare(&b.lines, &k.lines, (&base.short_name(), &t.short_name()))
                    );
                }
                println!();
                print!(
                    "{}",
                    diff::side_by_side(&base.label(), &b.lines, &t.label(), &k.lines, 60)
                );
            } else if !args.summary_only {
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
