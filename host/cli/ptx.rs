//! `klab ptx <kernel>`: one kernel's PTX from the embedded module.

use super::resolve::resolve;
use crate::error::{Error, Result};
use crate::ptx;

/// Arguments of `klab ptx`.
#[derive(clap::Args, Debug)]
pub struct PtxArgs {
    /// Kernel symbol, `ladder/step` or `ladder/slug` (`klab list`), or any PTX entry point.
    pub kernel: String,
}

/// Prints the kernel's PTX (with the module header so it assembles on its own), from the module
/// that holds it: the base module, or the sm_90a one (`.target sm_90a`).
pub fn ptx(args: &PtxArgs) -> Result<()> {
    let t = resolve(&args.kernel)?;
    let text = ptx::kernel_text(t.module_text(), &t.symbol)
        .ok_or_else(|| Error::MissingSymbols(vec![t.symbol.clone()]))?;
    print!("{text}");
    for other in t.companions() {
        eprintln!("klab: this step also launches {other} (klab ptx {other})");
    }
    Ok(())
}
