//! Theoretical occupancy from a kernel's resources and the architecture's limits, computed
//! the way CUDA's `cuda_occupancy.h` does (registers allocated per warp in units of 256 and
//! per SM sub-partition; shared memory per block plus 1 KiB reserved, in units of 128 B).

use crate::error::{Error, Result};

/// Per-SM limits of one architecture (CUDA C Programming Guide, "Compute Capabilities").
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ArchLimits {
    pub arch: &'static str,
    pub regs_per_sm: u32,
    /// Registers are allocated to a warp in multiples of this.
    pub reg_alloc_unit: u32,
    pub max_regs_per_thread: u32,
    pub max_regs_per_block: u32,
    /// Register file partitions (one per warp scheduler).
    pub sub_partitions: u32,
    pub max_warps_per_sm: u32,
    pub max_blocks_per_sm: u32,
    pub max_threads_per_block: u32,
    /// Shared memory an SM can give to blocks (the largest carveout), bytes.
    pub smem_per_sm: u32,
    /// Largest shared memory of one block (with the opt-in attribute), bytes.
    pub max_smem_per_block: u32,
    /// Shared memory the system reserves per block, bytes.
    pub reserved_smem_per_block: u32,
    /// Shared memory is allocated in multiples of this.
    pub smem_alloc_unit: u32,
}

const fn limits(
    arch: &'static str,
    max_warps_per_sm: u32,
    max_blocks_per_sm: u32,
    smem_kib: u32,
) -> ArchLimits {
    ArchLimits {
        arch,
        regs_per_sm: 65536,
        reg_alloc_unit: 256,
        max_regs_per_thread: 255,
        max_regs_per_block: 65536,
        sub_partitions: 4,
        max_warps_per_sm,
        max_blocks_per_sm,
        max_threads_per_block: 1024,
        smem_per_sm: smem_kib * 1024,
        max_smem_per_block: (smem_kib - 1) * 1024,
        reserved_smem_per_block: 1024,
        smem_alloc_unit: 128,
    }
}

/// The architectures kernel-lab knows: A100 (sm_80), consumer Ampere (sm_86), Ada (sm_89),
/// Hopper (sm_90).
pub const ARCHES: &[ArchLimits] = &[
    limits("sm_80", 64, 32, 164),
    limits("sm_86", 48, 16, 100),
    limits("sm_89", 48, 24, 100),
    limits("sm_90", 64, 32, 228),
];

/// The limits of `arch` (`sm_90a` counts as `sm_90`).
pub fn arch_limits(arch: &str) -> Result<&'static ArchLimits> {
    // Drop a feature suffix after the digits (`sm_90a`, `sm_100f`).
    let base = arch
        .rfind(|c: char| c.is_ascii_digit())
        .map_or(arch, |i| &arch[..=i]);
    ARCHES.iter().find(|l| l.arch == base).ok_or_else(|| {
        Error::Other(format!(
            "no occupancy limits for {arch}; known: {}",
            ARCHES.iter().map(|l| l.arch).collect::<Vec<_>>().join(", ")
        ))
    })
}

/// What a kernel asks of an SM per block.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Request {
    pub block_threads: u32,
    pub registers: u32,
    pub static_smem: u64,
    pub dynamic_smem: u64,
}

/// Blocks per SM allowed by each resource, and the result.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Occupancy {
    pub arch: &'static str,
    pub request: Request,
    pub by_warps: u32,
    pub by_blocks: u32,
    pub by_registers: u32,
    pub by_smem: u32,
    /// Resident blocks per SM: the smallest of the above.
    pub blocks_per_sm: u32,
    pub warps_per_block: u32,
    pub active_warps: u32,
    pub max_warps: u32,
    /// Registers allocated to one warp, and shared memory to one block (bytes).
    pub regs_per_warp: u32,
    pub smem_per_block: u64,
}

impl Occupancy {
    /// Active warps over the SM's maximum, 0..=1.
    pub fn fraction(&self) -> f64 {
        f64::from(self.active_warps) / f64::from(self.max_warps)
    }

    /// The resources that set [`Self::blocks_per_sm`].
    pub fn limiting(&self) -> Vec<&'static str> {
        [
            ("warps", self.by_warps),
            ("blocks", self.by_blocks),
            ("registers", self.by_registers),
            ("shared memory", self.by_smem),
        ]
        .into_iter()
        .filter(|(_, n)| *n == self.blocks_per_sm)
        .map(|(name, _)| name)
        .collect()
    }
}

fn round_up(x: u64, unit: u64) -> u64 {
    x.div_ceil(unit) * unit
}

/// Theoretical occupancy of `req` on `l` (no partitioned global caching, the default carveout).
pub fn theoretical(l: &ArchLimits, req: Request) -> Occupancy {
    let warps_per_block = req.block_threads.div_ceil(32);
    let fits_block = req.block_threads > 0 && req.block_threads <= l.max_threads_per_block;

    let by_warps = if fits_block {
        l.max_warps_per_sm / warps_per_block
    } else {
        0
    };
    let by_blocks = l.max_blocks_per_sm;

    let regs_per_warp = round_up(u64::from(req.registers) * 32, u64::from(l.reg_alloc_unit)) as u32;
    let regs_per_block = u64::from(regs_per_warp) * u64::from(warps_per_block);
    let regs_checked = u64::from(regs_per_warp)
        * round_up(u64::from(warps_per_block), u64::from(l.sub_partitions));
    let by_registers = if !fits_block
        || regs_checked > u64::from(l.max_regs_per_block)
        || regs_per_block > u64::from(l.max_regs_per_block)
        || req.registers > l.max_regs_per_thread
    {
        0
    } else {
        // No registers at all (an empty kernel): registers do not limit.
        ((l.regs_per_sm / l.sub_partitions).checked_div(regs_per_warp))
            .map_or(u32::MAX, |per_partition| {
                per_partition * l.sub_partitions / warps_per_block
            })
    };

    let smem_per_block = round_up(
        req.static_smem + req.dynamic_smem + u64::from(l.reserved_smem_per_block),
        u64::from(l.smem_alloc_unit),
    );
    let by_smem = if req.static_smem + req.dynamic_smem > u64::from(l.max_smem_per_block) {
        0
    } else {
        (u64::from(l.smem_per_sm) / smem_per_block) as u32
    };

    let blocks_per_sm = by_warps.min(by_blocks).min(by_registers).min(by_smem);
    Occupancy {
        arch: l.arch,
        request: req,
        by_warps,
        by_blocks,
        by_registers,
        by_smem,
        blocks_per_sm,
        warps_per_block,
        active_warps: blocks_per_sm * warps_per_block,
        max_warps: l.max_warps_per_sm,
        regs_per_warp,
        smem_per_block,
    }
}

impl std::fmt::Display for Occupancy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let r = &self.request;
        let lim = |n: u32| {
            if n == u32::MAX {
                "unlimited".to_string()
            } else {
                n.to_string()
            }
        };
        writeln!(
            f,
            "  block            {} threads ({} warps), {} registers/thread, {} B static + {} B dynamic smem",
            r.block_threads, self.warps_per_block, r.registers, r.static_smem, r.dynamic_smem
        )?;
        writeln!(f, "  blocks per SM by resource ({}):", self.arch)?;
        writeln!(f, "    warps          {}", lim(self.by_warps))?;
        writeln!(f, "    blocks         {}", lim(self.by_blocks))?;
        writeln!(
            f,
            "    registers      {}   ({} registers per warp allocated)",
            lim(self.by_registers),
            self.regs_per_warp
        )?;
        writeln!(
            f,
            "    shared memory  {}   ({} B per block incl. 1 KiB reserved)",
            lim(self.by_smem),
            self.smem_per_block
        )?;
        if r.static_smem + r.dynamic_smem > 48 * 1024 {
            writeln!(
                f,
                "    note: over 48 KiB of shared memory per block needs the opt-in attribute \
                 CU_FUNC_ATTRIBUTE_MAX_DYNAMIC_SHARED_SIZE_BYTES at launch"
            )?;
        }
        writeln!(
            f,
            "  occupancy        {} blocks/SM, {} of {} warps = {:.1}% (limited by {})",
            self.blocks_per_sm,
            self.active_warps,
            self.max_warps,
            100.0 * self.fraction(),
            self.limiting().join(", ")
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn occ(arch: &str, block: u32, regs: u32, smem: u64) -> Occupancy {
        theoretical(
            arch_limits(arch).unwrap(),
            Request {
                block_threads: block,
                registers: regs,
                static_smem: smem,
                dynamic_smem: 0,
            },
        )
    }

    #[test]
    fn small_kernels_are_limited_by_warps_or_blocks() {
        let o = occ("sm_90", 256, 16, 0);
        assert_eq!((o.blocks_per_sm, o.limiting()), (8, vec!["warps"]));
        assert_eq!(o.fraction(), 1.0);
        let o = occ("sm_90", 32, 16, 0);
        assert_eq!((o.blocks_per_sm, o.limiting()), (32, vec!["blocks"]));
        assert_eq!(occ("sm_86", 32, 16, 0).blocks_per_sm, 16);
        assert_eq!(occ("sm_89", 64, 16, 0).blocks_per_sm, 24);
        assert_eq!(occ("sm_89", 256, 16, 0).blocks_per_sm, 6);
    }

    #[test]
    fn registers_follow_cuda_occupancy_header() {
        // 128 regs x 64 threads: 4096 regs/warp, 16384/4096 = 4 warps per sub-partition,
        // x4 = 16 warps per SM = 8 blocks of 2 warps.
        let o = occ("sm_90", 64, 128, 0);
        assert_eq!((o.by_registers, o.blocks_per_sm), (8, 8));
        assert_eq!(o.limiting(), vec!["registers"]);
        // 40 regs -> 1280 regs/warp; 16384/1280 = 12 per partition, 48 per SM: 256-thread
        // blocks (8 warps) -> 6.
        assert_eq!(occ("sm_90", 256, 40, 0).by_registers, 6);
        // 255 registers x 1024 threads exceeds the per-block register file.
        assert_eq!(occ("sm_90", 1024, 255, 0).blocks_per_sm, 0);
        assert_eq!(occ("sm_90", 1024, 64, 0).blocks_per_sm, 1);
        assert_eq!(occ("sm_90", 2048, 16, 0).blocks_per_sm, 0);
    }

    #[test]
    fn agrees_with_the_driver_on_an_h100() {
        // cuOccupancyMaxActiveBlocksPerMultiprocessor on the H100 (driver 580, CUDA 13.0),
        // for kernels of the embedded PTX with these (JIT) registers and static smem, at block
        // sizes 32, 64, 96, 128, 256, 512, 1024 and no dynamic smem.
        let measured: &[(u32, u64, [u32; 7])] = &[
            (12, 4096, [32, 32, 21, 16, 8, 4, 2]),
            (16, 0, [32, 32, 21, 16, 8, 4, 2]),
            (31, 128, [32, 32, 21, 16, 8, 4, 2]),
            (32, 0, [32, 32, 21, 16, 8, 4, 2]),
            (24, 4224, [32, 32, 21, 16, 8, 4, 2]),
            (34, 128, [32, 24, 16, 12, 6, 3, 1]),
            (34, 144, [32, 24, 16, 12, 6, 3, 1]),
        ];
        for (regs, smem, driver) in measured {
            for (block, want) in [32, 64, 96, 128, 256, 512, 1024].iter().zip(driver) {
                let o = occ("sm_90", *block, *regs, *smem);
                assert_eq!(
                    o.blocks_per_sm, *want,
                    "{regs} regs, {smem} B, block {block}"
                );
            }
        }
    }

    #[test]
    fn shared_memory_counts_the_reserved_kilobyte() {
        // 48 KiB + 1 KiB reserved = 49 KiB per block: 228/49 = 4 on sm_90, 164/49 = 3 on sm_80.
        assert_eq!(occ("sm_90", 128, 32, 48 * 1024).by_smem, 4);
        assert_eq!(occ("sm_80", 128, 32, 48 * 1024).by_smem, 3);
        let o = occ("sm_90", 128, 32, 4096);
        assert_eq!(o.smem_per_block, 5120);
        assert_eq!(occ("sm_90", 128, 32, 228 * 1024).blocks_per_sm, 0);
        assert_eq!(arch_limits("sm_90a").unwrap().arch, "sm_90");
        assert!(arch_limits("sm_70").is_err());
    }
}
