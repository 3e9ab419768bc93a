//! `klab ptx <kernel>`: one kernel's PTX from the embedded module.

use crate::error::{Error, Result};
use crate::{ptx, registry};

/// Arguments of `klab ptx`.
#[derive(clap::Args, Debug)]
pub struct PtxArgs {
    /// Kernel symbol, `ladder/step` or `ladder/slug` (`klab list`).
    pub kernel: String,
}

/// Prints the kernel's PTX (with the module header so it assembles on its own).
pub fn ptx(args: &PtxArgs) -> Result<()> {
    let (_, step) = registry::find(&args.kernel)?;
    for symbol in step.symbols {
        let text = ptx::kernel_text(ptx::PTX, symbol)
            .ok_or_else(|| Error::MissingSymbols(vec![symbol.to_string()]))?;
        print!("{text}");
    }
    Ok(())
}
