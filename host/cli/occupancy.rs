//! `klab occupancy <kernel> [--block N] [--smem BYTES] [--arch sm_90]`: theoretical occupancy
//! from ptxas's resource report; with a GPU, also the driver's answer. `--block` defaults to
//! the kernel's launch and must be a block the kernel can be launched with.

use super::resolve::{Target, resolve};
use crate::error::{DriverContext, Error, Result};
use crate::registry;
use crate::runtime::{Gpu, driver_present};
use crate::tools::{self, occupancy, ptxas};

/// Arguments of `klab occupancy`.
#[derive(clap::Args, Debug)]
pub struct OccupancyArgs {
    /// Kernel symbol, `ladder/step` or `ladder/slug` (`klab list`), or any PTX entry point.
    pub kernel: String,
    /// Threads per block (default: what the ladder step launches with). Must be one the
    /// kernel can run: 1 to 1024, within its launch bounds, and of the sizes its code is
    /// written for (a tiled step: exactly its own).
    #[arg(long)]
    pub block: Option<u32>,
    /// Dynamic shared memory per block, bytes (default: what the ladder step launches with,
    /// e.g. gemm/7-9's shared-memory stages; else 0).
    #[arg(long)]
    pub smem: Option<u64>,
    /// GPU architecture (default: the device's, else sm_90; sm_90a, the only one, for the
    /// kernels of the sm_90a module).
    #[arg(long)]
    pub arch: Option<String>,
}

/// Prints the occupancy table, and the driver's value when a GPU is present.
pub fn occupancy(args: &OccupancyArgs) -> Result<()> {
    let t = resolve(&args.kernel)?;
    if let Some(arch) = &args.arch {
        t.check_arch(arch)?;
        occupancy::arch_limits(arch).map_err(|e| Error::Usage(format!("--arch {arch}: {e}")))?;
    }
    let gpu = if driver_present() {
        Gpu::open_default().ok()
    } else {
        None
    };
    let device_arch = gpu.as_ref().map(|g| g.info().arch());
    // A kernel of the sm_90a module assembles only for sm_90a (the H100's and H200's sm_90).
    let arch = args
        .arch
        .clone()
        .unwrap_or_else(|| t.default_arch(device_arch.as_deref().unwrap_or(tools::DEFAULT_ARCH)));
    let limits = occupancy::arch_limits(&arch)?;
    let (block, block_note) = block_threads(&t, args.block, limits)?;
    let assembly = ptxas::kernel(&t.symbol, &arch)?;
    let r = assembly.resources_of(&t.symbol)?;
    let (smem, smem_note) = dynamic_smem(&t, args.smem);
    let o = occupancy::theoretical(
        limits,
        occupancy::Request {
            block_threads: block,
            registers: r.registers,
            static_smem: r.smem_bytes,
            dynamic_smem: smem,
        },
    );
    println!("{} on {arch} (ptxas resources)", t.label());
    print!("{o}");
    for note in [block_note, smem_note].into_iter().flatten() {
        println!("  note             {note}");
    }
    // sm_90a is the sm_90 device with its arch-specific features.
    let same = |dev: &str| dev == arch || format!("{dev}a") == arch;
    match (&gpu, device_arch) {
        (Some(gpu), Some(dev)) if same(&dev) && gpu.function(&t.symbol).is_ok() => {
            let f = gpu.function(&t.symbol)?;
            let n = f
                .occupancy_max_active_blocks_per_multiprocessor(block, smem as usize, None)
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

/// The threads per block to assume: `--block` if given, else what the kernel's ladder launches
/// it with ([`crate::registry::Ladder::launch_block`]), with a note saying so. A block the
/// kernel cannot be launched with is [`Error::Usage`]: 0 threads, more than the architecture
/// allows, more than its launch bounds (`.maxntid`), or a size its code is not written for.
fn block_threads(
    t: &Target,
    given: Option<u32>,
    limits: &occupancy::ArchLimits,
) -> Result<(u32, Option<String>)> {
    let known = t
        .step
        .and_then(|s| registry::ladder(s.ladder))
        .and_then(|l| l.launch_block(&t.symbol))
        .or_else(|| crate::grade::launch_block(&t.symbol));
    let Some(threads) = given else {
        return match known {
            Some(b) => Ok((
                b.launch,
                Some(format!(
                    "{} threads per block: what this kernel is launched with (--block overrides)",
                    b.launch
                )),
            )),
            None => Err(Error::Usage(format!(
                "{}: no ladder step launches it, so there is no default block: pass --block N",
                t.label()
            ))),
        };
    };
    let bad = |why: String| Err(Error::Usage(format!("--block {threads}: {why}")));
    let max = limits.max_threads_per_block;
    if threads == 0 {
        return bad("a block has at least 1 thread".into());
    }
    if threads > max {
        return bad(format!(
            "{} allows at most {max} threads per block",
            limits.arch
        ));
    }
    if let Some((bound, _)) = crate::ptx::launch_bounds(t.module_text(), &t.symbol)
        && threads > bound
    {
        return bad(format!(
            "{} has launch bounds .maxntid {bound}: at most {bound} threads per block",
            t.label()
        ));
    }
    match known.and_then(|b| b.rejects(threads)) {
        Some(why) => bad(format!("{}: {why}", t.label())),
        None => Ok((threads, None)),
    }
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
        None if crate::ptx::kernel_text(t.module_text(), &t.symbol)
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
    fn block_defaults_to_the_steps_launch_and_rejects_what_cannot_launch() {
        let sm90 = occupancy::arch_limits("sm_90").unwrap();
        let block = |name: &str, given| block_threads(&resolve(name).unwrap(), given, sm90);
        let (threads, note) = block("saxpy/1", None).unwrap();
        assert_eq!(threads, 256);
        assert!(note.unwrap().contains("--block overrides"));
        assert_eq!(block("gemm/7", None).unwrap().0, 128);
        assert_eq!(block("transpose/5", None).unwrap().0, 256);
        assert_eq!(block("saxpy/1", Some(96)).unwrap(), (96, None));
        assert_eq!(block("reduce_sum/5", Some(512)).unwrap(), (512, None));
        for (name, threads, why) in [
            ("saxpy/1", 0, "at least 1 thread"),
            ("saxpy/1", 2048, "at most 1024 threads per block"),
            ("saxpy/1", 4096, "at most 1024 threads per block"),
            ("gemm/7", 256, "exactly 128 threads"),
            ("reduce_sum/6", 128, "exactly 256 threads"),
            ("reduce_sum/5", 32, "power of two of at least 64 threads"),
            ("reduce_sum/3", 100, "power of two"),
            ("row_sum/2", 100, "multiple of 32"),
            (
                "gemm_s09_autotuned_128x128x8_w64x32_lb2",
                512,
                ".maxntid 256",
            ),
        ] {
            let e = block(name, Some(threads)).unwrap_err();
            assert!(e.is_usage(), "{name} {threads}: {e}");
            let e = e.to_string();
            assert!(
                e.starts_with(&format!("--block {threads}: ")) && e.contains(why),
                "{name} {threads}: {e}"
            );
        }
        let aux = resolve("ceiling_read_stream").unwrap();
        assert!(block_threads(&aux, None, sm90).unwrap_err().is_usage());
        assert_eq!(block_threads(&aux, Some(1024), sm90).unwrap().0, 1024);
    }

    #[test]
    fn every_kernel_using_dynamic_smem_gets_a_default_or_a_note() {
        let mut seen = 0;
        for s in registry::all_steps() {
            for sym in s.symbols {
                let t = resolve(sym).unwrap();
                let text = crate::ptx::kernel_text(t.module_text(), sym).unwrap();
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
