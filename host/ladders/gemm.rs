//! `C = α·A·B + β·C`, f32, row-major, any `M × N × K`: the GEMM ladder (issue #4).
//!
//! Nine steps after siboehm's SGEMM_CUDA, measured against cuBLAS SGEMM (TF32 off) and the CUDA
//! C++ twin of step 9 in the same run. Checks use `α = 1.25`, `β = −0.5` and a random `C`, so
//! every element of `C` is both read and written: an element a kernel skips keeps its old value
//! and fails. The float64 reference (nalgebra, row blocks on all cores) is computed the first
//! time a case is verified, then cached.

use crate::baselines::{Sgemm, Twin};
use crate::element::DType;
use crate::error::{Error, Result};
use crate::inputs;
use crate::ladder::{
    BaselineInfo, BaselineKind, BlockSize, Case, Ceiling, InputSpec, Ladder, LadderMeta, Output,
    StepInfo, StepTable, Steps, Target, Work,
};
use crate::ops::{self, Op, OpCall};
use crate::reference;
use crate::runtime::{DeviceBuffer, Gpu, Launch};
use crate::shape::Shape;
use crate::tuning::{DeviceKey, DeviceMatch, TuneFile, tune_path};
use crate::verify::{Comparison, Tolerance, compare};
use cudarc::driver::CudaFunction;
use kernels_gpu::BlockThreads;
use kernels_gpu::gemm::{self as k, GemmParams, Grid, WarpTile};
use kernels_gpu::{GlobalPtr, GlobalPtrMut};
use std::collections::HashMap;
use std::sync::Mutex;

/// `α` of every check and benchmark.
pub const ALPHA: f32 = 1.25;
/// `β` of every check and benchmark (non-zero: `C` is an input too).
pub const BETA: f32 = -0.5;

/// The GEMM ladder.
pub struct Gemm;

static STEPS: StepTable<Grid> = StepTable::new("gemm", k::STEPS);

static BASELINES: &[BaselineInfo] = &[
    BaselineInfo {
        kind: BaselineKind::Cublas,
        of_step: 0,
        dtype: DType::F32,
        description: "cuBLAS SGEMM, FP32 FFMA (CUBLAS_PEDANTIC_MATH: no TF32)",
    },
    BaselineInfo {
        kind: BaselineKind::CudaCppTwin,
        of_step: 9,
        dtype: DType::F32,
        description: "CUDA C++ twin of step 9 (same tiles and variant choice), NVRTC",
    },
];

/// The CUDA C++ twin of steps 8/9: one template, one `extern "C"` kernel per step-9 variant.
pub const TWIN_SOURCE: &str = include_str!("twins/gemm.cu");

/// The twin's entry for a step-9 variant symbol: `gemm_s09_autotuned*` → `gemm_twin_s09*`.
pub fn twin_symbol(s09_symbol: &str) -> String {
    s09_symbol.replacen("gemm_s09_autotuned", "gemm_twin_s09", 1)
}

fn cdiv(a: usize, b: usize) -> u32 {
    a.div_ceil(b) as u32
}

/// The launch of a warp-tiled kernel with `tile` on an `m × n` output.
pub fn warp_launch(tile: &WarpTile, stages: u32, m: usize, n: usize) -> Launch {
    Launch::grid_2d(
        (cdiv(n, tile.bn), cdiv(m, tile.bm)),
        (tile.threads() as u32, 1),
    )
    .with_smem(tile.smem_bytes(stages as usize) as u32)
}

/// Shared-memory stages of every step-9 variant (double-buffered, like step 8).
const S09_STAGES: u32 = 2;

/// Index in [`k::S09_VARIANTS`] of a variant symbol.
pub fn s09_variant_index(symbol: &str) -> Option<usize> {
    k::S09_VARIANTS.iter().position(|(s, _)| *s == symbol)
}

/// The step-9 variant for `shape` on `device`: the stored winner of the closest size tuned on
/// that device or on the same chip ([`crate::tuning`]), else [`s09_untuned_choice`]. A
/// malformed tune file is reported on stderr and ignored. `KLAB_GEMM_S09_VARIANT=<symbol>`
/// overrides both (to reproduce a variant's numbers, or to plant a slowdown for the
/// regression gate: docs/ci.md).
/// Returns the variant's index and where the choice came from (printed when step 9 runs).
pub fn s09_choice(shape: &Shape, device: &DeviceKey) -> (usize, String) {
    if let Some(forced) = std::env::var("KLAB_GEMM_S09_VARIANT")
        .ok()
        .filter(|v| !v.is_empty())
    {
        match s09_variant_index(&forced) {
            Some(i) => return (i, "forced by KLAB_GEMM_S09_VARIANT".into()),
            None => eprintln!(
                "klab: ignoring KLAB_GEMM_S09_VARIANT={forced}: not a gemm/9 variant (klab tune gemm lists them)"
            ),
        }
    }
    let tuned = match TuneFile::load_with_builtin(&tune_path()) {
        Ok(f) => f
            .closest("gemm", 9, device, &shape.0, |s| {
                s09_variant_index(s).is_some()
            })
            .and_then(|(e, how)| {
                let size = Shape(e.size.clone());
                let why = match how {
                    DeviceMatch::SameName => format!("tuned at {size} on this device"),
                    DeviceMatch::SameChip => format!(
                        "tuned at {size} on {}, the same chip (sm_{}{}, {} SMs)",
                        e.device,
                        device.compute_capability[0],
                        device.compute_capability[1],
                        device.sm_count
                    ),
                };
                Some((s09_variant_index(&e.symbol)?, why))
            }),
        Err(e) => {
            eprintln!("klab: ignoring the tune file: {e}");
            None
        }
    };
    tuned.unwrap_or_else(|| {
        let i = s09_untuned_choice(shape.0[0], shape.0[1], device.sm_count.max(1) as usize);
        (
            i,
            "no tune entry for this device or chip: built-in choice".into(),
        )
    })
}

/// Without a tuning result: among the 128-thread variants, in the order of
/// [`k::S09_VARIANTS`] (largest tile first), the first whose grid gives at least 90% of the SMs
/// a block (so that small problems do not leave most SMs idle); the smallest tile (the first
/// of that area) when none does. For 4096² outputs that is the default (index 0).
pub fn s09_untuned_choice(m: usize, n: usize, sm_count: usize) -> usize {
    let candidates: Vec<usize> = k::S09_VARIANTS
        .iter()
        .enumerate()
        .filter(|(_, (_, t))| t.threads() == 128)
        .map(|(i, _)| i)
        .collect();
    let blocks = |t: &WarpTile| m.div_ceil(t.bm) * n.div_ceil(t.bn);
    candidates
        .iter()
        .copied()
        .find(|&i| 10 * blocks(&k::S09_VARIANTS[i].1) >= 9 * sm_count)
        .unwrap_or_else(|| {
            *candidates
                .iter()
                .min_by_key(|&&i| {
                    let t = &k::S09_VARIANTS[i].1;
                    t.bm * t.bn
                })
                .expect("128-thread variants exist")
        })
}

/// The launch of `step` on an `m × n` output, and the symbol it launches (step 9: variant
/// `s09` of [`k::S09_VARIANTS`]).
pub fn launch_of(step: &StepInfo, m: usize, n: usize, s09: usize) -> (&'static str, Launch) {
    let sym = step.symbol;
    match *STEPS.grid(step) {
        Grid::RowMajorThreads => (
            sym,
            Launch::grid_2d((cdiv(m, 32), cdiv(n, 32)), k::BLOCK_32X32),
        ),
        Grid::ColMajorThreads => (
            sym,
            Launch::grid_2d((cdiv(n, 32), cdiv(m, 32)), k::BLOCK_32X32),
        ),
        Grid::Tile1d => (
            sym,
            Launch::grid_2d(
                (cdiv(n, k::S04_BN as usize), cdiv(m, k::S04_BM as usize)),
                (k::S04_THREADS, 1),
            ),
        ),
        Grid::Tile2d => (
            sym,
            Launch::grid_2d(
                (cdiv(n, k::S05_BN as usize), cdiv(m, k::S05_BM as usize)),
                (k::S05_THREADS, 1),
            ),
        ),
        Grid::Warp { tile, stages } => (sym, warp_launch(&tile, stages, m, n)),
        Grid::Tuned => {
            let (s, tile) = k::S09_VARIANTS[s09];
            (s, warp_launch(&tile, S09_STAGES, m, n))
        }
    }
}

/// `c = a·b` (f32, row-major, `α = 1`, `β = 0`: `c` is only written) on caller-owned memory:
/// arguments `a` (`m × k`), `b` (`k × n`), `c` (`m × n`); dims `[m, n, k]`.
pub struct GemmOp;

/// The step-9 variant of each `(m, n, k)` and device an op has run, chosen once
/// ([`s09_choice`] reads the tune file).
static OP_VARIANTS: Mutex<Option<VariantCache>> = Mutex::new(None);

/// `(dims, device name)` → index in [`k::S09_VARIANTS`].
type VariantCache = HashMap<(Vec<usize>, String), usize>;

impl GemmOp {
    fn variant(gpu: &Gpu, dims: &[usize]) -> usize {
        let key = (dims.to_vec(), gpu.info().name.clone());
        let mut cache = OP_VARIANTS.lock().unwrap_or_else(|e| e.into_inner());
        *cache
            .get_or_insert_with(HashMap::new)
            .entry(key)
            .or_insert_with(|| s09_choice(&Shape(dims.to_vec()), &DeviceKey::of(gpu.info())).0)
    }
}

impl Op for GemmOp {
    fn name(&self) -> &'static str {
        "gemm"
    }
    fn ladder(&self) -> &'static dyn Ladder {
        &Gemm
    }
    fn args(&self) -> &'static [&'static str] {
        &["a", "b", "c"]
    }
    fn unsupported_dims(&self, dims: &[usize]) -> Option<String> {
        if dims.len() != 3 {
            return ops::dims_u32(dims, 3);
        }
        let (m, n, kk) = (dims[0], dims[1], dims[2]);
        ops::dims_u32(&[m, kk], 2)
            .or_else(|| ops::dims_u32(&[kk, n], 2))
            .or_else(|| ops::dims_u32(&[m, n], 2))
    }
    fn symbol_for(&self, gpu: &Gpu, step: &StepInfo, call: &OpCall) -> &'static str {
        launch_of(
            step,
            call.dims[0],
            call.dims[1],
            Self::variant(gpu, call.dims),
        )
        .0
    }
    fn enqueue(&self, gpu: &Gpu, stream: u64, step: &StepInfo, call: &OpCall) -> Result<()> {
        ops::check_args(self, call, &[])?;
        let (m, n, kk) = (call.dims[0], call.dims[1], call.dims[2]);
        let (sym, l) = launch_of(step, m, n, Self::variant(gpu, call.dims));
        let p = GemmParams {
            a: GlobalPtr::from_addr(call.args[0]),
            b: GlobalPtr::from_addr(call.args[1]),
            c: GlobalPtrMut::from_addr(call.args[2]),
            m: m as u32,
            n: n as u32,
            k: kk as u32,
            alpha: 1.0,
            beta: 0.0,
        };
        gpu.launch_on(stream, sym, l, p)
    }
}

/// Elementwise tolerance for an f32 GEMM with inner dimension `k`: rounding errors of the
/// `k`-long FMA chain grow like `eps·k·|a·b|` (≤ `eps·k` here, inputs in [−1, 1]), with
/// headroom; plus the epilogue's `β·C` rounding. A missed product term (~0.25) or a skipped
/// element fails by orders of magnitude.
pub fn tolerance(k: usize) -> Tolerance {
    let eps = f32::EPSILON as f64;
    Tolerance {
        atol: eps * (2.0 * ALPHA.abs() as f64 * k as f64 + 4.0 * BETA.abs() as f64 + 4.0),
        rtol: 4.0 * eps,
    }
}

/// `(m, n, k)` of a GEMM shape of ladder `what`, each product of two fitting the kernels' `u32`
/// indices (shared with `gemm_bf16`).
pub(super) fn dims_of(what: &str, shape: &Shape) -> Result<(usize, usize, usize)> {
    let (m, n, kk) = match shape.0[..] {
        [m, n, k] => (m, n, k),
        _ => {
            return Err(Error::Shape {
                what: what.into(),
                shape: shape.to_string(),
                why: "expected MxNxK".into(),
            });
        }
    };
    for (d, name) in [(m * kk, "M*K"), (kk * n, "K*N"), (m * n, "M*N")] {
        super::n_u32(d, &format!("{what} {name}"))?;
    }
    Ok((m, n, kk))
}

fn dims(shape: &Shape) -> Result<(usize, usize, usize)> {
    dims_of("gemm", shape)
}

/// The random inputs of a GEMM of ladder `what`: `A`, `B`, `C0` uniform in [−1, 1].
pub(super) fn random_abc(what: &str, shape: &Shape, seed: u64) -> Result<Vec<Vec<f32>>> {
    let (m, n, kk) = dims_of(what, shape)?;
    Ok(vec![
        inputs::uniform(m * kk, seed, -1.0, 1.0),
        inputs::uniform(kk * n, seed ^ 1, -1.0, 1.0),
        inputs::uniform(m * n, seed ^ 2, -1.0, 1.0),
    ])
}

/// The inputs `a` (`M×K`), `b` (`K×N`) and `c` (`M×N`) of a GEMM shape.
pub(super) fn abc_specs(shape: &Shape) -> Vec<InputSpec> {
    let (m, n, kk) = (shape.0[0], shape.0[1], shape.0[2]);
    vec![
        InputSpec {
            name: "a",
            shape: vec![m, kk],
        },
        InputSpec {
            name: "b",
            shape: vec![kk, n],
        },
        InputSpec {
            name: "c",
            shape: vec![m, n],
        },
    ]
}

/// Why a GEMM ladder takes no input files yet.
pub(super) fn no_input_files(what: &str, array_shape: &[usize]) -> Error {
    Error::Usage(format!(
        "{what} takes no input files yet: the problem shape MxNxK needs two of them (a is {array_shape:?})"
    ))
}

impl Gemm {
    /// A case with fresh random inputs (`A`, `B`, `C0` uniform in [−1, 1]).
    pub fn prepare_gemm(&self, gpu: &Gpu, shape: &Shape, seed: u64) -> Result<GemmCase> {
        let [a, b, c0] = super::take_inputs::<3>(self, shape, self.random_inputs(shape, seed)?)?;
        GemmCase::new(gpu, shape, a, b, c0)
    }
}

static META: LadderMeta = LadderMeta {
    name: "gemm",
    description: "C = alpha*A*B + beta*C, row-major, any MxNxK",
    dims: 3,
    default_shape: &[4096, 4096, 4096],
    bench_shapes: &[&[4096, 4096, 4096], &[1024, 1024, 1024]],
    ceiling: Ceiling::CublasSgemmTflops,
    chapter: "gemm",
};

impl Ladder for Gemm {
    fn meta(&self) -> &'static LadderMeta {
        &META
    }
    fn op(&self) -> Option<&'static dyn Op> {
        Some(&GemmOp)
    }
    fn table(&self) -> &'static dyn Steps {
        &STEPS
    }
    /// Steps 7 and 8 and every step-9 variant launch with their tile's stages in dynamic
    /// shared memory (independent of the shape); the other steps with none.
    fn dynamic_smem(&self, symbol: &str) -> Option<u32> {
        if let Some(i) = s09_variant_index(symbol) {
            return Some(warp_launch(&k::S09_VARIANTS[i].1, S09_STAGES, 1, 1).smem);
        }
        Some(match STEPS.step_of_symbol(symbol)?.grid {
            Grid::Warp { tile, stages } => warp_launch(&tile, stages, 1, 1).smem,
            _ => 0,
        })
    }
    /// Steps 1 and 2 take any block; the tiled steps and every step-9 variant exactly their
    /// tile's threads.
    fn launch_block(&self, symbol: &str) -> Option<BlockSize> {
        let s = STEPS.step_of_symbol(symbol)?;
        let threads = match s09_variant_index(symbol) {
            Some(i) => k::S09_VARIANTS[i].1.threads() as u32,
            None => s.grid.threads(),
        };
        Some(super::block_size(s, threads))
    }
    fn awkward_shapes(&self) -> Vec<Shape> {
        [
            [1, 1, 1],
            [17, 33, 65],
            [1000, 1, 1000],
            [1, 4097, 3],
            [129, 127, 9],
            [128, 256, 8],
            [4097, 4095, 4099],
        ]
        .into_iter()
        .map(|d| Shape(d.to_vec()))
        .collect()
    }
    fn work(&self, shape: &Shape, dtype: DType) -> Work {
        let (m, n, kk) = (shape.0[0] as f64, shape.0[1] as f64, shape.0[2] as f64);
        Work {
            flops: 2.0 * m * n * kk,
            bytes: dtype.size() as f64 * (m * kk + kk * n + 2.0 * m * n),
        }
    }
    fn random_inputs(&self, shape: &Shape, seed: u64) -> Result<Vec<Vec<f32>>> {
        random_abc("gemm", shape, seed)
    }
    fn input_specs(&self, shape: &Shape) -> Vec<InputSpec> {
        abc_specs(shape)
    }
    fn shape_from_input(&self, array_shape: &[usize]) -> Result<Shape> {
        Err(no_input_files("gemm", array_shape))
    }
    fn case(
        &self,
        gpu: &Gpu,
        shape: &Shape,
        _dtype: DType,
        inputs: Vec<Vec<f32>>,
    ) -> Result<Box<dyn Case>> {
        let [a, b, c0] = super::take_inputs::<3>(self, shape, inputs)?;
        Ok(Box::new(GemmCase::new(gpu, shape, a, b, c0)?))
    }
    fn baselines(&self) -> &'static [BaselineInfo] {
        BASELINES
    }
}

/// One GEMM problem on the device, with its host inputs for the lazy reference.
pub struct GemmCase {
    dims: (usize, usize, usize),
    a_dev: DeviceBuffer<f32>,
    b_dev: DeviceBuffer<f32>,
    c_dev: DeviceBuffer<f32>,
    c0_dev: DeviceBuffer<f32>,
    host: (Vec<f32>, Vec<f32>, Vec<f32>),
    reference: Option<Vec<f64>>,
    s09: usize,
    /// Where the step-9 variant choice came from (tune entry, chip match, heuristic).
    s09_why: String,
    blas: Option<Sgemm>,
    /// The twin's kernel for step-9 variant `.0`: its name and function.
    twin: Option<(usize, String, CudaFunction)>,
    /// Whether the step-9 variant in use was reported (see [`Case::run`]).
    announced: bool,
}

impl GemmCase {
    fn new(gpu: &Gpu, shape: &Shape, a: Vec<f32>, b: Vec<f32>, c0: Vec<f32>) -> Result<Self> {
        let (m, n, kk) = dims(shape)?;
        let (s09, s09_why) = s09_choice(shape, &DeviceKey::of(gpu.info()));
        Ok(GemmCase {
            dims: (m, n, kk),
            a_dev: DeviceBuffer::from_host(gpu, &a)?,
            b_dev: DeviceBuffer::from_host(gpu, &b)?,
            c_dev: DeviceBuffer::from_host(gpu, &c0)?,
            c0_dev: DeviceBuffer::from_host(gpu, &c0)?,
            host: (a, b, c0),
            reference: None,
            s09,
            s09_why,
            blas: None,
            twin: None,
            announced: false,
        })
    }

    fn params(&mut self) -> GemmParams {
        let (m, n, kk) = self.dims;
        GemmParams {
            a: self.a_dev.ptr(),
            b: self.b_dev.ptr(),
            c: self.c_dev.ptr_mut(),
            m: m as u32,
            n: n as u32,
            k: kk as u32,
            alpha: ALPHA,
            beta: BETA,
        }
    }

    /// The launch of `step` for this case's shape, and the symbol it launches.
    pub fn launch_for(&self, step: &StepInfo) -> (&'static str, Launch) {
        let (m, n, _) = self.dims;
        launch_of(step, m, n, self.s09)
    }

    /// Which step-9 variant this case runs (index in [`k::S09_VARIANTS`]).
    pub fn s09_variant(&self) -> usize {
        self.s09
    }

    /// Makes step 9 run variant `i` of [`k::S09_VARIANTS`] (the tuner's handle).
    pub fn set_s09_variant(&mut self, i: usize) {
        assert!(i < k::S09_VARIANTS.len(), "no step-9 variant {i}");
        self.s09 = i;
        self.announced = true;
    }

    /// The float64 reference, computed on first use.
    pub fn reference(&mut self) -> &[f64] {
        let (m, n, kk) = self.dims;
        let (a, b, c0) = &self.host;
        self.reference
            .get_or_insert_with(|| reference::gemm(m, n, kk, ALPHA as f64, a, b, BETA as f64, c0))
    }

    fn run_step(&mut self, gpu: &Gpu, step: &StepInfo) -> Result<()> {
        let (sym, launch) = self.launch_for(step);
        if sym != step.symbol && !self.announced {
            // Step 9 launches a variant other than its main symbol: say which, once per case
            // (the first run is a warm-up or a verification, never a timed one).
            self.announced = true;
            let (m, n, kk) = self.dims;
            eprintln!(
                "{}: running variant {sym} for {m}x{n}x{kk} ({})",
                step.handle(),
                self.s09_why
            );
        }
        let p = self.params();
        gpu.launch(sym, launch, p)
    }

    fn run_baseline(&mut self, gpu: &Gpu, baseline: &BaselineInfo) -> Result<()> {
        let (m, n, kk) = self.dims;
        match baseline.kind {
            BaselineKind::Cublas => {
                if self.blas.is_none() {
                    self.blas = Some(Sgemm::new(gpu)?);
                }
                let blas = self.blas.as_ref().expect("created above");
                blas.run(
                    m,
                    n,
                    kk,
                    ALPHA,
                    &self.a_dev,
                    &self.b_dev,
                    BETA,
                    &mut self.c_dev,
                )
            }
            BaselineKind::CudaCppTwin => {
                // The twin's function for the current variant is looked up once and kept, so
                // a timed launch does no host work beyond the launch (as for the Rust steps).
                let (sym, tile) = k::S09_VARIANTS[self.s09];
                if self.twin.as_ref().is_none_or(|(v, _, _)| *v != self.s09) {
                    let twin = Twin::compile(gpu, "gemm_twin", TWIN_SOURCE)?;
                    let name = twin_symbol(sym);
                    let f = twin.function(&name)?;
                    self.twin = Some((self.s09, name, f));
                }
                let p = self.params();
                let (_, name, f) = self.twin.as_ref().expect("looked up above");
                gpu.launch_function(f, name, warp_launch(&tile, S09_STAGES, m, n), p)
            }
        }
    }
}

impl Case for GemmCase {
    /// New A, B and C0 (the reference is recomputed on its next use); `c_dev` keeps the last
    /// run's C until `reset` copies C0 in.
    fn refill(&mut self, gpu: &Gpu, inputs: Vec<Vec<f32>>) -> Result<()> {
        let (m, n, kk) = self.dims;
        let [a, b, c0] = crate::ladder::refill_inputs(inputs, [m * kk, kk * n, m * n])?;
        self.a_dev.upload(gpu, &a)?;
        self.b_dev.upload(gpu, &b)?;
        self.c0_dev.upload(gpu, &c0)?;
        self.host = (a, b, c0);
        self.reference = None;
        Ok(())
    }
    fn run(&mut self, gpu: &Gpu, target: Target<'_>) -> Result<()> {
        match target {
            Target::Step(step) if step.dtype == DType::F32 => self.run_step(gpu, step),
            Target::Baseline(b) if b.dtype == DType::F32 => self.run_baseline(gpu, b),
            _ => Err(super::not_mine("gemm", target)),
        }
    }
    fn reset(&mut self, gpu: &Gpu) -> Result<()> {
        self.c_dev.copy_from(gpu, &self.c0_dev)
    }
    /// C is an input (β ≠ 0), so it is restored by `reset` rather than poisoned: an element the
    /// kernel does not write keeps C0, which is far from α·A·B + β·C0.
    fn poison(&mut self, _gpu: &Gpu) -> Result<()> {
        Ok(())
    }
    fn check(&mut self, gpu: &Gpu) -> Result<Comparison> {
        let got = self.c_dev.to_host(gpu)?;
        let tol = tolerance(self.dims.2);
        let shape = Shape(vec![self.dims.0, self.dims.1]);
        Ok(compare(&got, self.reference(), &shape, tol))
    }
    fn output(&mut self, gpu: &Gpu) -> Result<Output> {
        Ok(Output {
            shape: vec![self.dims.0, self.dims.1],
            dtype: DType::F32,
            values: self.c_dev.to_host(gpu)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_step_9_variant_is_valid_and_has_a_twin_kernel() {
        assert_eq!(k::S09_SYMBOLS[0], k::gemm_s09_autotuned::SYMBOL);
        for (sym, tile) in k::S09_VARIANTS {
            assert!(tile.is_valid(), "{sym}");
            assert!(tile.smem_bytes(2) <= 99 * 1024, "{sym}");
            let twin = twin_symbol(sym);
            // A variant with launch bounds has a twin with the same `__launch_bounds__`.
            let want = match crate::ptx::launch_bounds(crate::ptx::PTX, sym) {
                None => format!("KLAB_TWIN({twin},"),
                Some((threads, blocks)) => {
                    assert_eq!(threads as usize, tile.threads(), "{sym}");
                    format!("KLAB_TWIN_LB({twin}, {blocks},")
                }
            };
            assert!(TWIN_SOURCE.contains(&want), "twins/gemm.cu lacks {want}...");
        }
    }

    #[test]
    fn the_bounded_variants_ask_for_two_blocks_of_256_threads() {
        for sym in [
            k::gemm_s09_autotuned_128x128x8_w64x32_lb2::SYMBOL,
            k::gemm_s09_autotuned_128x128x16_w64x32_lb2::SYMBOL,
            k::gemm_s09_autotuned_128x128x8_w32x64_lb2::SYMBOL,
            k::gemm_s09_autotuned_128x128x16_w32x64_lb2::SYMBOL,
        ] {
            assert_eq!(
                crate::ptx::launch_bounds(crate::ptx::PTX, sym),
                Some((256, 2)),
                "{sym}"
            );
            assert!(
                s09_variant_index(sym).is_some(),
                "{sym} is not in S09_VARIANTS"
            );
        }
        assert_eq!(
            k::gemm_s09_autotuned_128x128x8_w64x32_lb2::LAUNCH_BOUNDS,
            Some((256, 2))
        );
        assert_eq!(
            crate::ptx::launch_bounds(crate::ptx::PTX, k::S09_SYMBOLS[0]),
            None
        );
        assert_eq!(k::gemm_s09_autotuned::LAUNCH_BOUNDS, None);
    }

    #[test]
    fn untuned_choice_is_the_default_for_big_and_a_smaller_tile_for_small_problems() {
        assert_eq!(s09_untuned_choice(4096, 4096, 132), 0);
        let small = k::S09_VARIANTS[s09_untuned_choice(1024, 1024, 132)].1;
        assert!(
            1024usize.div_ceil(small.bm) * 1024usize.div_ceil(small.bn) >= 119,
            "{small:?}"
        );
        let tiny = k::S09_VARIANTS[s09_untuned_choice(1, 1, 132)].1;
        assert_eq!((tiny.bm, tiny.bn), (64, 64));
    }

    #[test]
    fn no_gemm_kernel_uses_local_memory_in_its_ptx() {
        // Register tiles must be SSA values before ptxas sees them: a `.local` array here (e.g.
        // from a `[0.0; 128]` store loop or a rolled loop over the tile) leaves it to ptxas to
        // promote, or to spill the accumulators to local memory.
        for s in Gemm.steps() {
            for sym in s.symbols {
                let text = crate::ptx::kernel_text(crate::ptx::PTX, sym).expect("kernel in PTX");
                assert!(
                    !text.contains(".local"),
                    "{sym} uses local memory in its PTX"
                );
            }
        }
    }

    #[test]
    fn tolerance_grows_with_k() {
        assert!(tolerance(4099).atol > 100.0 * tolerance(1).atol);
        assert!(tolerance(4099).atol < 2e-3);
    }
}
