//! The grade's review card: what a reviewer reads next to the timings — registers, spills,
//! shared memory, theoretical occupancy at the step's launch, and how the SASS instruction mix
//! differs from the baseline step's. Everything comes from ptxas and nvdisasm over the
//! embedded PTX (`klab sass`, `klab occupancy`), so it needs no GPU.

use crate::error::Result;
use crate::ladder::{Ladder, StepInfo};
use crate::runtime::Gpu;
use crate::tools::{self, occupancy, sass, summary::Summary};
use serde::Serialize;

/// One kernel's resources (ptxas -v).
#[derive(Debug, Clone, Serialize)]
pub struct Resources {
    pub kernel: String,
    pub registers: u32,
    pub spill_stores: u64,
    pub spill_loads: u64,
    pub stack_frame: u64,
    pub smem_bytes: u64,
    pub barriers: u32,
    pub instructions: usize,
}

/// Theoretical occupancy of the answer at its launch.
#[derive(Debug, Clone, Serialize)]
pub struct Occupancy {
    pub block_threads: u32,
    pub dynamic_smem: u64,
    pub blocks_per_sm: u32,
    pub active_warps: u32,
    pub max_warps: u32,
    pub percent: f64,
    pub limited_by: Vec<&'static str>,
}

/// One instruction class's count in the baseline and in the answer.
#[derive(Debug, Clone, Serialize)]
pub struct MixRow {
    pub class: String,
    pub baseline: usize,
    pub answer: usize,
}

/// The review card.
#[derive(Debug, Clone, Serialize)]
pub struct Review {
    /// The architecture the PTX was assembled for.
    pub arch: String,
    pub answer: Resources,
    pub baseline: Resources,
    pub occupancy: Option<Occupancy>,
    /// Every class either kernel has, in `klab sass`'s order.
    pub mix: Vec<MixRow>,
    /// Warnings worth a reviewer's look (generic loads, local memory, spills).
    pub red_flags: Vec<String>,
}

fn resources(s: &Summary) -> Resources {
    Resources {
        kernel: s.symbol.clone(),
        registers: s.registers,
        spill_stores: s.spill_stores,
        spill_loads: s.spill_loads,
        stack_frame: s.stack_frame,
        smem_bytes: s.smem_bytes,
        barriers: s.barriers,
        instructions: s.mix.total,
    }
}

/// The review of `answer` beside `baseline` (its first kernel), assembled for the device's
/// architecture, or sm_90 without a GPU.
pub fn review(
    ladder: &dyn Ladder,
    answer: &StepInfo,
    baseline: &StepInfo,
    gpu: &Gpu,
) -> Result<Review> {
    let arch = if gpu.is_emulated() {
        tools::DEFAULT_ARCH.to_string()
    } else {
        gpu.info().arch()
    };
    let ka = sass::kernel_sass(answer.symbol, &arch)?;
    let kb = sass::kernel_sass(baseline.symbol, &arch)?;
    let (a, b) = (Summary::of(&ka), Summary::of(&kb));
    // Memory fences are no class of `klab sass`'s mix; the single-pass exercise needs one.
    let fences = |k: &sass::KernelSass| {
        k.instructions()
            .iter()
            .filter(|i| i.base() == "MEMBAR")
            .count()
    };
    let (fa, fb) = (fences(&ka), fences(&kb));
    let launched_as = answer.stands_in_for.unwrap_or(answer.symbol);
    let occupancy = match (
        ladder.launch_block(launched_as),
        occupancy::arch_limits(&arch),
    ) {
        (Some(block), Ok(limits)) => {
            let dynamic_smem = u64::from(ladder.dynamic_smem(launched_as).unwrap_or(0));
            let o = occupancy::theoretical(
                limits,
                occupancy::Request {
                    block_threads: block.launch,
                    registers: a.registers,
                    static_smem: a.smem_bytes,
                    dynamic_smem,
                },
            );
            Some(Occupancy {
                block_threads: block.launch,
                dynamic_smem,
                blocks_per_sm: o.blocks_per_sm,
                active_warps: o.active_warps,
                max_warps: o.max_warps,
                percent: 100.0 * o.fraction(),
                limited_by: o.limiting(),
            })
        }
        _ => None,
    };
    let mut classes: Vec<&'static str> = b.mix.rows().into_iter().map(|(c, _)| c).collect();
    for (c, _) in a.mix.rows() {
        if !classes.contains(&c) {
            classes.push(c);
        }
    }
    classes.sort_by_key(|c| tools::summary::CLASSES.iter().position(|k| k == c));
    let mix = classes
        .into_iter()
        .map(|c| MixRow {
            class: c.to_string(),
            baseline: b.mix.get(c),
            answer: a.mix.get(c),
        })
        .chain((fa + fb > 0).then(|| MixRow {
            class: "MEMBAR".into(),
            baseline: fb,
            answer: fa,
        }))
        .collect();
    Ok(Review {
        arch,
        red_flags: a.red_flags(),
        answer: resources(&a),
        baseline: resources(&b),
        occupancy,
        mix,
    })
}

impl std::fmt::Display for Review {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (a, b) = (&self.answer, &self.baseline);
        writeln!(f, "review ({}, from ptxas and nvdisasm)", self.arch)?;
        writeln!(f, "  {:<16} {:<12} {:<12} change", "", "baseline", "answer")?;
        let row = |f: &mut std::fmt::Formatter<'_>, what: &str, x: u64, y: u64| {
            writeln!(f, "  {what:<16} {x:<12} {y:<12} {:+}", y as i64 - x as i64)
        };
        row(f, "registers", b.registers.into(), a.registers.into())?;
        row(
            f,
            "spill bytes",
            b.spill_stores + b.spill_loads,
            a.spill_stores + a.spill_loads,
        )?;
        row(f, "stack frame B", b.stack_frame, a.stack_frame)?;
        row(f, "shared mem B", b.smem_bytes, a.smem_bytes)?;
        row(
            f,
            "instructions",
            b.instructions as u64,
            a.instructions as u64,
        )?;
        for m in &self.mix {
            row(
                f,
                &format!("  {}", m.class),
                m.baseline as u64,
                m.answer as u64,
            )?;
        }
        if let Some(o) = &self.occupancy {
            writeln!(
                f,
                "  occupancy        {:.0}% ({} blocks of {} threads per SM, {}/{} warps; limited by {})",
                o.percent,
                o.blocks_per_sm,
                o.block_threads,
                o.active_warps,
                o.max_warps,
                o.limited_by.join(", ")
            )?;
        }
        for flag in &self.red_flags {
            writeln!(f, "  warning: {flag}")?;
        }
        Ok(())
    }
}
