//! `klab occupancy <kernel> --block N [--smem BYTES] [--arch sm_90]`: theoretical occupancy
//! from ptxas's resource report; with a GPU, also the driver's answer.

use super::resolve::{Target, resolve};
use crate::error::{DriverContext, Result};
use crate::registry;
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
    /// Dynamic shared memory per block, bytes (default: what the ladder step launches with,
    /// e.g. gemm/7-9's shared-memory stages; else 0).
    #[arg(long)]
    pub smem: Option<u64>,
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
    let assembly = ptxas::kernel(&t.symbol, &arch)?;
    let r = assembly.resources_of(&t.symbol)?;
    let (smem, note) = dynamic_smem(&t, args.smem);
    let o = occupancy::theoretical(
        limits,
        occupancy::Request {
            block_threads: args.block,
            registers: r.registers,
            static_smem: r.smem_bytes,
            dynamic_smem: smem,
        },
    );
    println!("{} on {arch} (ptxas resources)", t.label());
    print!("{o}");
    if let Some(note) = note {
        println!("  note             {note}");
    }
    match (&gpu, device_arch) {
        (Some(gpu), Some(dev)) if dev == arch => {
            let f = gpu.function(&t.symbol)?;
            let n = f
                .occupancy_max_active_blocks_per_multiprocessor(args.block, smem as usize, None)
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

/// The dynamic shared memory to assume: `--smem` if given, else what the kernel's ladder
/// launches it with ([`crate::registry::Ladder::dynamic_smem`]), else 0. With a note saying
/// which default was taken when the kernel uses dynamic shared memory (`KLAB_DYN_SMEM` in its
/// PTX) and `--smem` was not given.
fn dynamic_smem(t: &Target, given: Option<u64>) -> (u64, Option<String>) {
    if let Some(bytes) = given {
        return (bytes, None);
    }
    let known = t
        .step
        .and_then(|s| registry::ladder(s.ladder))
        .and_then(|l| l.dynamic_smem(&t.symbol));
    match known {
        Some(bytes) => {
            let note = (bytes > 0).then(|| {
                format!(
                    "{bytes} B dynamic smem: what this kernel is launched with (--smem overrides)"
                )
            });
            (u64::from(bytes), note)
        }
        None if crate::ptx::kernel_text(crate::ptx::PTX, &t.symbol)
            .is_some_and(|text| text.contains("KLAB_DYN_SMEM")) =>
        {
            (
                0,
                Some(
                    "the kernel uses dynamic shared memory but the figure assumes --smem 0: \
                 pass --smem BYTES"
                        .into(),
                ),
            )
        }
        None => (0, None),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn smem_defaults_to_the_steps_launch_and_yields_to_the_flag() {
        for name in ["gemm/7", "gemm/8", "gemm/9"] {
            let t = resolve(name).unwrap();
            let (bytes, note) = dynamic_smem(&t, None);
            assert!(bytes >= 16 * 1024, "{name}: {bytes} B");
            assert!(note.is_some(), "{name}: says where the figure comes from");
            assert_eq!(dynamic_smem(&t, Some(123)), (123, None));
        }
        let naive = resolve("gemm/1").unwrap();
        assert_eq!(dynamic_smem(&naive, None), (0, None));
    }

    #[test]
    fn every_kernel_using_dynamic_smem_gets_a_default_or_a_note() {
        let mut seen = 0;
        for s in registry::all_steps() {
            for sym in s.symbols {
                let t = resolve(sym).unwrap();
                let text = crate::ptx::kernel_text(crate::ptx::PTX, sym).unwrap();
                if text.contains("KLAB_DYN_SMEM") {
                    seen += 1;
                    let (bytes, note) = dynamic_smem(&t, None);
                    assert!(note.is_some(), "{sym}");
                    assert!(bytes > 0 || note.unwrap().contains("--smem 0"), "{sym}");
                }
            }
        }
        assert!(seen >= 3, "gemm/7-9 use dynamic shared memory");
    }
}
