//! Theoretical occupancy (ptxas resources + tools::occupancy's model) agrees with the
//! driver's cuOccupancyMaxActiveBlocksPerMultiprocessor for every registered kernel.
//! The driver JIT-compiles the embedded PTX for the device, so ptxas assembles it for the
//! device's architecture too.

use kernel_lab::registry::{self, Arch};
use kernel_lab::runtime::Gpu;
use kernel_lab::tools::discover::{self, Tool};
use kernel_lab::tools::{occupancy, ptxas};

const BLOCKS: &[u32] = &[32, 64, 96, 128, 256, 512, 1024];

pub fn theoretical_occupancy_matches_the_driver_for_every_kernel(gpu: &Gpu) {
    if let Err(e) = discover::find(Tool::Ptxas) {
        if std::env::var("KLAB_ALLOW_NO_CUDA_TOOLS").is_ok_and(|v| v == "1") {
            eprintln!("theoretical_occupancy_matches_the_driver_for_every_kernel: skipped: {e}");
            return;
        }
        panic!("{e}");
    }
    let device_arch = gpu.info().arch();
    let limits = occupancy::arch_limits(&device_arch).unwrap_or_else(|e| panic!("{e}"));
    let mut failures = Vec::new();
    // Each module the device loads, assembled as the driver JITs it: the base module for the
    // device's architecture, the sm_90a module for sm_90a.
    for module in Gpu::module_archs(gpu.info().compute_capability) {
        let arch = match module {
            Arch::Sm80 => device_arch.clone(),
            Arch::Sm90a => Arch::Sm90a.name().to_string(),
        };
        let assembly = ptxas::embedded_module(module, &arch).unwrap_or_else(|e| panic!("{e}"));
        for symbol in registry::module_symbols(module) {
            let r = assembly.resources_of(symbol).unwrap();
            let f = gpu.function(symbol).unwrap();
            let driver_regs = f.num_regs().unwrap() as u32;
            for &block in BLOCKS {
                let driver = f
                    .occupancy_max_active_blocks_per_multiprocessor(block, 0, None)
                    .unwrap();
                let ours = occupancy::theoretical(
                    limits,
                    occupancy::Request {
                        block_threads: block,
                        registers: r.registers,
                        static_smem: r.smem_bytes,
                        dynamic_smem: 0,
                    },
                );
                if ours.blocks_per_sm != driver {
                    let with_driver_regs = occupancy::theoretical(
                        limits,
                        occupancy::Request {
                            registers: driver_regs,
                            ..ours.request
                        },
                    );
                    failures.push(format!(
                    "{symbol} block {block} on {arch}: ours {} blocks/SM (ptxas: {} regs, {} B smem), \
                     driver {driver} (JIT: {driver_regs} regs; our model with them: {})",
                    ours.blocks_per_sm,
                    r.registers,
                    r.smem_bytes,
                    with_driver_regs.blocks_per_sm
                ));
                }
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// The GPU tests of this module, run by the harness in main.rs.
pub const TESTS: &[crate::GpuTest] = &[(
    "theoretical_occupancy_matches_the_driver_for_every_kernel",
    theoretical_occupancy_matches_the_driver_for_every_kernel,
)];
