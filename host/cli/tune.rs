//! `klab tune gemm --size MxNxK`: times every variant of the ladder's tunable step on one size
//! (each verified first), prints a table, and stores the winner in the tune file
//! ([`crate::tuning`]), which later runs of that step use for the closest size.

use crate::bench::{L2Flush, TimingOptions, time_case};
use crate::error::{Error, Result};
use crate::inputs;
use crate::ladders::gemm::{self, Gemm};
use crate::registry::{self, BaselineKind, DType, Ladder, Target, verify};
use crate::runtime::Gpu;
use crate::tuning::{DeviceKey, TuneEntry, TuneFile, tune_path};
use kernels_gpu::gemm::S09_VARIANTS;

/// Arguments of `klab tune`.
#[derive(clap::Args, Debug)]
pub struct TuneArgs {
    /// The ladder to tune (only `gemm` has tunable variants: step 9).
    pub ladder: String,
    /// Problem shape `MxNxK` (default: the ladder's default shape).
    #[arg(long)]
    pub size: Option<String>,
    /// Seed of the random inputs (default: fresh; `KLAB_SEED` also works).
    #[arg(long)]
    pub seed: Option<u64>,
}

/// Verifies and times every step-9 variant, prints the table, stores the winner.
pub fn tune(args: &TuneArgs) -> Result<()> {
    if registry::find_ladder(&args.ladder)?.name() != "gemm" {
        return Err(Error::Usage(format!(
            "only gemm has tunable variants (step 9), not {}",
            args.ladder
        )));
    }
    let (ladder, step) = registry::find("gemm/9")?;
    let shape = match &args.size {
        Some(s) => ladder.parse_shape(s)?,
        None => ladder.default_shape(),
    };
    let gpu = Gpu::open_default()?;
    let seed = args.seed.unwrap_or_else(inputs::fresh_seed);
    let work = ladder.work(&shape, DType::F32);
    println!(
        "tuning {} on {}, shape {shape}, seed {seed}: {} variants",
        step.handle(),
        gpu.info().name,
        S09_VARIANTS.len()
    );
    let mut case = Gemm.prepare_gemm(&gpu, &shape, seed)?;
    let flush = L2Flush::new(&gpu)?;
    let opts = TimingOptions::default();
    let cublas = Gemm
        .baselines()
        .iter()
        .find(|b| b.kind == BaselineKind::Cublas)
        .expect("gemm registers cublas");
    // Timed by the same loop as the variants (warm-up, reset and L2 flush outside the events,
    // median of repetitions).
    let cublas_ms = match time_case(
        &gpu,
        &mut case,
        Target::Baseline(cublas),
        &opts,
        Some(&flush),
    ) {
        Ok(s) => Some(s.median_ms),
        Err(e) => {
            println!("cuBLAS not timed: {e}");
            None
        }
    };
    println!(
        "{:<42} {:>12} {:>7} {:>6} {:>10} {:>9} {:>8}",
        "variant", "tile", "warps", "thr", "median ms", "TFLOP/s", "%cuBLAS"
    );
    let mut best: Option<(usize, f64)> = None;
    for (i, (sym, tile)) in S09_VARIANTS.iter().enumerate() {
        case.set_s09_variant(i);
        let tile_s = format!("{}x{}x{}", tile.bm, tile.bn, tile.bk);
        let warps_s = format!("{}x{}", tile.wm, tile.wn);
        let check = verify(&mut case, &gpu, Target::Step(step))?;
        if !check.passed() {
            println!("{sym:<42} {tile_s:>12} {warps_s:>7} FAILED verification: {check}");
            continue;
        }
        let stats = time_case(&gpu, &mut case, Target::Step(step), &opts, Some(&flush))?;
        let ms = stats.median_ms;
        let pct = cublas_ms.map_or("-".to_string(), |c| format!("{:.1}", 100.0 * c / ms));
        println!(
            "{sym:<42} {tile_s:>12} {warps_s:>7} {:>6} {ms:>10.4} {:>9.2} {pct:>8}",
            tile.threads(),
            work.flops / ms / 1e9
        );
        if best.is_none_or(|(_, b)| ms < b) {
            best = Some((i, ms));
        }
    }
    if let Some(c) = cublas_ms {
        println!(
            "{:<42} {:>12} {:>7} {:>6} {c:>10.4} {:>9.2} {:>8}",
            "cublas",
            "-",
            "-",
            "-",
            work.flops / c / 1e9,
            "100.0"
        );
    }
    let Some((winner, ms)) = best else {
        return Err(Error::Mismatch {
            kernel: step.symbol.into(),
            shape: shape.to_string(),
            summary: "no variant passed verification".into(),
        });
    };
    // The file step 9 reads: `KLAB_TUNE_FILE`, else `./klab-tune.json`.
    let path = tune_path();
    let mut file = TuneFile::load(&path)?;
    let symbol = S09_VARIANTS[winner].0;
    let key = DeviceKey::of(gpu.info());
    file.insert(TuneEntry {
        ladder: "gemm".into(),
        step: step.id,
        size: shape.0.clone(),
        symbol: symbol.into(),
        median_ms: ms,
        tflops: work.flops / ms / 1e9,
        device: key.name.clone(),
        compute_capability: Some(key.compute_capability),
        sm_count: Some(key.sm_count),
        l2_bytes: Some(key.l2_bytes),
    });
    file.save(&path)?;
    println!(
        "winner: {symbol} ({ms:.4} ms); stored in {} (twin: {})",
        path.display(),
        gemm::twin_symbol(symbol)
    );
    Ok(())
}
