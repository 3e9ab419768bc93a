//! `klab run <kernel> [--size N] [--input A.npy]... [--output OUT.npy] [--emulate]`.

use crate::bench::{L2Flush, TimingOptions, time_case};
use crate::error::{Error, Result};
use crate::inputs;
use crate::npy;
use crate::npy_inputs;
use crate::registry::{self, Target};
use crate::runtime::Gpu;
use std::path::PathBuf;

/// Arguments of `klab run`.
#[derive(clap::Args, Debug)]
pub struct RunArgs {
    /// Kernel symbol (`reduce_sum_s05_warp_shuffle`), `ladder/step` (`reduce_sum/5`) or
    /// `ladder/slug`. `klab list` shows them all.
    pub kernel: String,
    /// Problem shape: `N`, `RxC` or `MxNxK`; suffixes k and M multiply by 1024 and 1024².
    #[arg(long)]
    pub size: Option<String>,
    /// Seed of the random inputs (default: fresh; `KLAB_SEED` also works).
    #[arg(long)]
    pub seed: Option<u64>,
    /// Input arrays (`.npy`, C order: `<f4` f32, `<f2` f16, or `<u2` holding bf16 bits), in
    /// the ladder's input order, instead of random inputs; each is rounded to the step's element
    /// type, and the shape comes from the files (then `--size` must not be given).
    #[arg(long = "input", value_name = "FILE.npy")]
    pub inputs: Vec<PathBuf>,
    /// Writes the kernel's output here (`.npy` of its element type: `<u2` bits for bf16),
    /// through a temporary file and a rename.
    #[arg(long, value_name = "FILE.npy")]
    pub output: Option<PathBuf>,
    /// Runs the kernel on the CPU emulator instead of a GPU: verified against the same
    /// reference, with bounds, race and barrier checks, and no timing (docs/emulator.md).
    /// `KLAB_EMU_SEED` picks the interleaving. Without `--size`, the shape is a small awkward
    /// one (4099, 68x132, 128x256x8).
    #[arg(long)]
    pub emulate: bool,
    /// Verifies only: one checked launch, no timing (what `compute-sanitizer` runs).
    #[arg(long)]
    pub no_timing: bool,
}

/// Verifies the kernel against its CPU reference, then times it. A step the device cannot
/// run (an sm_90a step elsewhere than on compute capability 9.0, or on the emulator one that
/// uses what it does not model: wgmma, TMA, mbarrier) is skipped with one line, exit status 0.
pub fn run(args: &RunArgs) -> Result<()> {
    let (ladder, step) = registry::find(&args.kernel)?;
    let from_files = if args.inputs.is_empty() {
        None
    } else {
        if args.size.is_some() {
            return Err(Error::Usage(
                "--size and --input exclude each other: the shape comes from the input files"
                    .into(),
            ));
        }
        Some(npy_inputs::read_inputs(ladder, &args.inputs)?)
    };
    let shape = match (&from_files, &args.size) {
        (Some((shape, _)), _) => shape.clone(),
        (None, Some(s)) => ladder.parse_shape(s)?,
        (None, None) if args.emulate => emulator_shape(ladder),
        (None, None) => ladder.default_shape(),
    };
    let gpu = if args.emulate {
        Gpu::emulator()
    } else {
        Gpu::open_default()
            .map_err(|e| super::no_gpu_hint(e, &format!("klab run {} --emulate", args.kernel)))?
    };
    // The emulator runs the sm_90a steps it models (clusters, PDL) and stops at the first
    // instruction it does not (wgmma, TMA, mbarrier): that step is then skipped, as below.
    let try_sm90a = gpu.is_emulated() && step.arch == crate::ladder::Arch::Sm90a;
    if let Some(line) = gpu.skips(step).filter(|_| !try_sm90a) {
        // Not a failure: the step exists, this device cannot run it.
        println!("{line}");
        return Ok(());
    }
    let seed = args.seed.unwrap_or_else(inputs::fresh_seed);
    let dtype = step.dtype;
    let work = ladder.work(&shape, dtype);
    let source = match &from_files {
        Some(_) => "inputs from files".to_string(),
        None => format!("seed {seed}"),
    };
    println!(
        "{} ({}, {}) on {}, shape {shape}, {source}",
        step.symbol,
        step.handle(),
        dtype.name(),
        gpu.info().name
    );
    let at = |e: Error| e.context(format!("{} at {shape}", step.symbol));
    let mut case = match from_files {
        Some((_, data)) => ladder.prepare_from(&gpu, &shape, dtype, data),
        None => ladder.prepare(&gpu, &shape, dtype, seed),
    }
    .map_err(at)?;
    let check = match registry::verify(case.as_mut(), &gpu, Target::Step(step)) {
        Err(e) if try_sm90a => match crate::testing::skip_reason_in(&e.to_string()) {
            Some(why) => {
                println!(
                    "{}: skipped: {}",
                    step.handle(),
                    why.trim_start_matches(": ")
                );
                return Ok(());
            }
            None => return Err(at(e)),
        },
        r => r.map_err(at)?,
    };
    if let Some(emu) = gpu.as_emulator() {
        for w in emu.take_warnings() {
            eprintln!("{w}");
        }
    }
    if !check.passed() {
        return Err(Error::Mismatch {
            kernel: step.symbol.into(),
            shape: shape.to_string(),
            summary: check.to_string(),
        });
    }
    println!(
        "verified:  max |d| = {:.3e}, ||d||/||ref|| = {:.3e} (tolerance {:.1e} + {:.1e}*|ref|)",
        check.max_abs_err, check.rel_norm, check.tolerance.atol, check.tolerance.rtol
    );
    if args.no_timing && !gpu.is_emulated() {
        println!("no timing (--no-timing)");
        return write_output(args, case.as_mut(), &gpu, step, &shape);
    }
    if gpu.is_emulated() {
        println!(
            "emulated: no timing (seed of the interleaving {}; KLAB_EMU_SEED changes it)",
            gpu.as_emulator().map_or(0, |e| e.options().seed)
        );
        return write_output(args, case.as_mut(), &gpu, step, &shape);
    }
    let flush = L2Flush::new(&gpu)?;
    let stats = time_case(
        &gpu,
        case.as_mut(),
        Target::Step(step),
        &TimingOptions::default(),
        Some(&flush),
    )
    .map_err(at)?;
    let ms = stats.median_ms;
    println!(
        "time:      median {ms:.4} ms (p20 {:.4}, p80 {:.4}, min {:.4}; {} reps, L2 flushed)",
        stats.p20_ms, stats.p80_ms, stats.min_ms, stats.reps
    );
    println!(
        "throughput: {:.1} GB/s, {:.3} TFLOP/s (minimum bytes {:.0}, FLOPs {:.0})",
        work.bytes / ms / 1e6,
        work.flops / ms / 1e9,
        work.bytes,
        work.flops
    );
    write_output(args, case.as_mut(), &gpu, step, &shape)
}

/// The largest of the ladder's awkward shapes of at most 2^18 elements (4099, 68x132,
/// 128x256x8): `klab run --emulate`'s default, since the GPU default (2^24 elements) takes
/// seconds to minutes in the emulator.
fn emulator_shape(ladder: &dyn crate::registry::Ladder) -> crate::shape::Shape {
    ladder
        .awkward_shapes()
        .into_iter()
        .filter(|s| s.numel() <= 1 << 18)
        .max_by_key(|s| s.numel())
        .unwrap_or_else(|| ladder.default_shape())
}

/// `--output`: one more run of the step, its output written as `.npy`.
fn write_output(
    args: &RunArgs,
    case: &mut dyn crate::registry::Case,
    gpu: &Gpu,
    step: &crate::registry::StepInfo,
    shape: &crate::shape::Shape,
) -> Result<()> {
    let at = |e: Error| e.context(format!("{} at {shape}", step.symbol));
    if let Some(out) = &args.output {
        case.reset(gpu).map_err(at)?;
        case.run(gpu, Target::Step(step)).map_err(at)?;
        let o = case.output(gpu).map_err(at)?;
        npy::write(out, &o.shape, &o.values, o.dtype)?;
        println!(
            "output:    {} ({} {}, shape {}, stored as {})",
            out.display(),
            o.values.len(),
            o.dtype.name(),
            npy::shape_text(&o.shape),
            npy::descr(o.dtype)
        );
    }
    Ok(())
}
