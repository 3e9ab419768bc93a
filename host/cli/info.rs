//! `klab info`.

use crate::error::Result;
use crate::ptx;
use crate::registry;
use crate::runtime::Gpu;

/// Prints the build facts, then the device (or why there is none). Exits 0 either way.
pub fn info() -> Result<()> {
    println!("kernel-lab {}", env!("CARGO_PKG_VERSION"));
    println!(
        "PTX:       {} (ISA {}), {} kernels, {} bytes",
        ptx::PTX_ARCH,
        ptx::isa_version(ptx::PTX).unwrap_or("?"),
        ptx::entry_names(ptx::PTX).len(),
        ptx::PTX.len()
    );
    println!(
        "PTX:       sm_90a (ISA {}), {} kernels, {} bytes (loaded on compute capability 9.0 only)",
        ptx::isa_version(ptx::PTX_SM90A).unwrap_or("?"),
        ptx::entry_names(ptx::PTX_SM90A).len(),
        ptx::PTX_SM90A.len()
    );
    println!(
        "kernels:   built by {} ({}; found as {})",
        ptx::KERNEL_RUSTC_VERSION,
        ptx::KERNEL_RUSTC,
        ptx::KERNEL_TOOLCHAIN_ORIGIN
    );
    println!(
        "registry:  {} ladders, {} steps",
        registry::all_ladders().len(),
        registry::all_steps().count()
    );
    match Gpu::open_default() {
        Ok(gpu) => {
            let i = gpu.info();
            println!(
                "device {}:  {} ({}), {} SMs at {} MHz",
                i.ordinal,
                i.name,
                i.arch(),
                i.sm_count,
                i.clock_mhz
            );
            println!(
                "memory:    {:.1} GiB, {}-bit bus at {} MHz, L2 {} MiB",
                i.total_memory_bytes as f64 / (1u64 << 30) as f64,
                i.memory_bus_bits,
                i.memory_clock_mhz,
                i.l2_bytes >> 20
            );
            println!(
                "per SM:    {} threads, {} registers, {} KiB shared (per block opt-in {} KiB)",
                i.max_threads_per_sm,
                i.regs_per_sm,
                i.smem_per_sm / 1024,
                i.smem_per_block_optin / 1024
            );
            println!("driver:    CUDA {}", i.driver_version);
        }
        Err(e) => println!("device:    none ({e})"),
    }
    Ok(())
}
