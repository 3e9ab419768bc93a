//! `klab occupancy <kernel> --block N [--smem BYTES] [--arch sm_90]`: theoretical occupancy
//! from ptxas's resource report; with a GPU, also the driver's answer.

use super::resolve::resolve;
use crate::error::{DriverContext, Result};
use crate::runtime::{Gpu, driver_present};
use crate::tools::{self, occupancy, ptxas};

/// Arguments of `klab occupancy`.
#[derive(clap::Args, Debug)]
pub struct OccupancyArgs {
    /// Kernel symbol, `ladder/step` or `ladder/slug` (`klab list`), or any PTX entry point.
    pub kernel: String,
    /// Threads per block.
    #[arg(long)]
    pub block: u32,
    /// Dynamic shared memory per block, bytes.
    #[arg(long, default_value_t = 0)]
    pub smem: u64,
    /// GPU architecture (default: the device's, else sm_90).
    #[arg(long)]
    pub arch: Option<String>,
}

/// Prints the occupancy table, and the driver's value when a GPU is present.
pub fn occupancy(args: &OccupancyArgs) -> Result<()> {
    let t = resolve(&args.kernel)?;
    let gpu = if driver_present() {
        Gpu::open_default().ok()
    } else {
        None
    };
    let device_arch = gpu.as_ref().map(|g| g.info().arch());
    let arch = args
        .arch
        .clone()
        .or_else(|| device_arch.clone())
        .unwrap_or_else(|| tools::DEFAULT_ARCH.to_string());
    let limits = occupancy::arch_limits(&arch)?;
    let assembly = ptxas::embedded(&arch)?;
    let r = assembly.resources_of(&t.symbol)?;
    let o = occupancy::theoretical(
        limits,
        occupancy::Request {
            block_threads: args.block,
            registers: r.registers,
            static_smem: r.smem_bytes,
            dynamic_smem: args.smem,
        },
    );
    println!("{} on {arch} (ptxas resources)", t.label());
    print!("{o}");
    match (&gpu, device_arch) {
        (Some(gpu), Some(dev)) if dev == arch => {
            let f = gpu.function(&t.symbol)?;
            let n = f
                .occupancy_max_active_blocks_per_multiprocessor(
                    args.block,
                    args.smem as usize,
                    None,
                )
                .during("cuOccupancyMaxActiveBlocksPerMultiprocessor")?;
            let regs = f.num_regs().during("cuFuncGetAttribute(NUM_REGS)")?;
            println!(
                "  driver           {n} blocks/SM on {} ({regs} registers/thread after JIT){}",
                gpu.info().name,
                if n == o.blocks_per_sm {
                    ""
                } else {
                    "  <- differs from the theoretical value"
                }
            );
        }
        (Some(_), Some(dev)) => println!("  driver           (not asked: the device is {dev})"),
        _ => println!("  driver           (no GPU)"),
    }
    Ok(())
}
