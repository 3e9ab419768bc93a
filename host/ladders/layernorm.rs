//! Layer normalisation over the last dimension, `rows × cols`: `y = (x − mean)·rstd·γ + β`
//! with the per-row `mean` and `rstd` as extra outputs (f32 whatever the element type, as
//! torch's `native_layer_norm`), `eps = 1e-5`. Also the pieces the rmsnorm and
//! layernorm_backward ladders share: the launch of a [`Grid`], the tolerances, and checking
//! several outputs.

use super::{Checked, TwinKernel};
use crate::element::{DType, Element, round_to, to_f32};
use crate::error::Result;
use crate::inputs;
use crate::ladder::{
    BaselineInfo, BaselineKind, Case, Ceiling, InputSpec, Ladder, LadderMeta, Output, StepInfo,
    StepTable, Steps, Target, Work,
};
use crate::ops::{self, Op, OpCall};
use crate::reference;
use crate::runtime::{DeviceBuffer, Gpu, Launch};
use crate::shape::Shape;
use crate::verify::{Comparison, Tolerance};
use kernels_gpu::layernorm::{self as k, Grid, LayerNormParams};
use kernels_gpu::{GlobalPtr, GlobalPtrMut};

/// The layernorm forward ladder.
pub struct LayerNorm;

static STEPS: StepTable<Grid> = StepTable::new("layernorm", k::STEPS);

/// The CUDA C++ twins of the top f32 and bf16 steps (host/ladders/twins/layernorm.cu).
static BASELINES: &[BaselineInfo] = &[
    BaselineInfo {
        kind: BaselineKind::CudaCppTwin,
        of_step: 5,
        dtype: DType::F32,
        description: "CUDA C++ twin of layernorm/5 (NVRTC): block per row by width, 4 chunks of \
                      two float4 strided by the block, two-pass variance, launch bounds 1024",
    },
    BaselineInfo {
        kind: BaselineKind::CudaCppTwin,
        of_step: 6,
        dtype: DType::Bf16,
        description: "CUDA C++ twin of layernorm/6 (NVRTC, __nv_bfloat16): block per row by \
                      width, 4 uint4 of 8 strided by the block kept packed, f32 math",
    },
    BaselineInfo {
        kind: BaselineKind::CudaCppTwin,
        of_step: 10,
        dtype: DType::F32,
        description: "CUDA C++ twin of layernorm/10 (NVRTC): layernorm/5's layout, one-pass \
                      shifted statistics (one barrier), gamma/beta one chunk ahead",
    },
    BaselineInfo {
        kind: BaselineKind::CudaCppTwin,
        of_step: 11,
        dtype: DType::Bf16,
        description: "CUDA C++ twin of layernorm/11 (NVRTC, __nv_bfloat16): layernorm/6's \
                      layout, one-pass shifted statistics, gamma/beta two chunks ahead",
    },
    BaselineInfo {
        kind: BaselineKind::CudaCppTwin,
        of_step: 13,
        dtype: DType::Bf16,
        description: "CUDA C++ twin of layernorm/13 (NVRTC, __nv_bfloat16): layernorm/6's \
                      layout, the row staged in shared memory by cp.async, launch bounds (1024, 2)",
    },
];

/// The twin kernel of layernorm step `id` (the [`BASELINES`] entry of that step), if any.
fn twin_symbol(id: u32) -> Option<&'static str> {
    Some(match id {
        5 => "layernorm_twin",
        6 => "layernorm_twin_bf16",
        10 => "layernorm_twin_one_pass",
        11 => "layernorm_twin_bf16_one_pass",
        13 => "layernorm_twin_bf16_staged",
        _ => return None,
    })
}

/// The one source of the normalisation twins (it includes `cuda_bf16.h`: a module of its own).
pub const TWIN_SRC: &str = include_str!("twins/layernorm.cu");
/// The twins' module name.
pub const TWIN_MODULE: &str = "layernorm_twins";

/// The twin kernel `symbol` of the normalisation twins' module.
pub fn twin_kernel(symbol: &'static str) -> TwinKernel {
    TwinKernel::new(TWIN_MODULE, TWIN_SRC, symbol)
}

/// Which step a case runs for `target` (its own step, or the step a twin of its element type
/// is of) and whether it is the twin.
pub fn step_of<'a, G: Sync>(
    table: &'static StepTable<G>,
    ladder: &str,
    dtype: DType,
    target: Target<'a>,
) -> Result<(&'a StepInfo, bool)> {
    match target {
        Target::Step(s) if s.dtype == dtype => Ok((s, false)),
        Target::Baseline(b) if b.dtype == dtype && b.kind == BaselineKind::CudaCppTwin => table
            .by_id(b.of_step)
            .map(|s| (s, true))
            .ok_or_else(|| super::not_mine(ladder, target)),
        _ => Err(super::not_mine(ladder, target)),
    }
}

/// torch's default `eps` for `layer_norm` (and what rmsnorm uses here).
pub const EPS: f32 = 1e-5;

static META: LadderMeta = LadderMeta {
    name: "layernorm",
    description: "y = (x - mean) * rstd * gamma + beta per row, with mean and rstd (f32), rows x cols",
    dims: 2,
    default_shape: &[4096, 4096],
    bench_shapes: super::softmax::BENCH_SHAPES,
    ceiling: Ceiling::CopyGbps,
    chapter: "layernorm",
};

/// The awkward shapes of the normalisation ladders: the 2-D ones, rows longer than the
/// register steps hold (512 threads × 64 elements: 32768), small enough for the emulator
/// (2 × 70001; 2 × 40008 on the 128-bit path) and as the issue names it (3 × 100003), and
/// 17 short rows of 128.
pub fn norm_awkward_shapes() -> Vec<Shape> {
    let mut s = super::awkward_2d();
    s.push(Shape::rows_cols(2, 70_001));
    s.push(Shape::rows_cols(2, 40_008));
    s.push(Shape::rows_cols(3, 100_003));
    s.push(Shape::rows_cols(17, 128));
    s
}

/// The launch of a normalisation step with `grid` over `rows × cols` elements of `dtype`.
pub fn launch(grid: &Grid, rows: usize, cols: usize, dtype: DType) -> Launch {
    match *grid {
        Grid::ThreadPerRow { threads } => Launch::cover(rows, threads),
        Grid::BlockPerRow { threads } => Launch::linear(rows as u32, threads),
        Grid::Rows { .. } => {
            let (tx, ty) = grid
                .rows_block(cols, 16 / dtype.size())
                .expect("a Rows grid");
            Launch::grid_2d((rows.div_ceil(ty as usize) as u32, 1), (tx, ty))
        }
        Grid::Registers { chunks } => Launch::linear(
            rows as u32,
            kernels_gpu::softmax::register_block_threads(cols as u32, chunks),
        ),
        Grid::Pipelined {
            chunks,
            rows_per_block,
            max_threads,
        } => Launch::linear(
            (rows as u32).div_ceil(rows_per_block),
            kernels_gpu::softmax::register_block_threads_max(cols as u32, chunks, max_threads),
        ),
        Grid::ShortRows {
            chunks,
            warp_threads,
            warp_max_cols,
        } if cols as u32 <= warp_max_cols => {
            // `32 / lanes` rows per warp, as softmax's warp kernels.
            let rows_per_warp =
                (32 / kernels_gpu::softmax::lanes_per_row(cols as u32, chunks)) as usize;
            Launch::cover(rows.div_ceil(rows_per_warp) * 32, warp_threads)
        }
        Grid::ShortRows { chunks, .. } => Launch::linear(
            rows as u32,
            kernels_gpu::softmax::register_block_threads(cols as u32, chunks),
        ),
        Grid::Staged { chunks } => {
            let threads = kernels_gpu::softmax::register_block_threads(cols as u32, chunks);
            Launch::linear(rows as u32, threads).with_smem(kernels_gpu::layernorm::staged_smem(
                cols as u32,
                chunks,
                threads,
            ))
        }
        Grid::Streamed { chunks, sms } => {
            let threads = kernels_gpu::softmax::register_block_threads(cols as u32, chunks);
            let blocks = kernels_gpu::layernorm::streamed_blocks(rows as u32, threads, sms);
            Launch::linear(blocks, threads).with_smem(kernels_gpu::layernorm::streamed_smem(
                cols as u32,
                chunks,
                threads,
            ))
        }
    }
}

/// Which layernorm step the op and [`launch_forward`] take, by element type and row length,
/// from the H200 runs (klab bench, µs; docs/results/h200-2026-12-01-d17062e-norm-softmax.json
/// and h200-2026-12-01-41cb9d6-fwd.json; the chapter's table "Which step for which shape"):
/// layernorm/8 (bf16, sub-warp teams) for rows of at most 1024 columns (its short-row path),
/// layernorm/6 for bf16 rows up to 8192 columns and /13 (the row staged in shared memory)
/// beyond (b135a58: h200-2026-12-02-b135a58-dirty-layernorm-*.json); f32: layernorm/9
/// (sub-warp teams up to 512 columns, twice step 5's threads beyond) up to 1024 columns, /5 up
/// to 16384, /10 (one-pass statistics) beyond (35288c1, a38c0a8, a4328c4: % of copy;
/// h200-2026-12-01-35288c1-layernorm.json, h200-2026-12-01-a4328c4-layernorm-s*.json).
pub const PREFERRED: &[ops::Preferred] = &[
    ops::Preferred {
        dtype: DType::Bf16,
        max_cols: 1024,
        step: 8,
        evidence: "a38c0a8: 4096x1024 48.5% (8) / 42.7% (6); 32768x128 50.8% / 11.6%",
    },
    ops::Preferred {
        dtype: DType::Bf16,
        max_cols: 8192,
        step: 6,
        evidence: "41cb9d6: 4096x4096 19.65 (6) / 19.84 (7); 4096x1024 9.12 / 10.46; \
                   32768x128 34.30 / 34.50 / 37.57 (4); b135a58: 4096x4096 80.3% (6) / 79.6% (13)",
    },
    ops::Preferred {
        dtype: DType::Bf16,
        max_cols: usize::MAX,
        step: 13,
        evidence: "b135a58: 8192x32000 90.4% (13) / 86.4% (11) / 82.0% (6); \
                   2048x16384 85.2% (13) / 83.5% (6) / 83.8% (11)",
    },
    ops::Preferred {
        dtype: DType::F32,
        max_cols: 1024,
        step: 9,
        evidence: "35288c1: 32768x128 68.6% (9) / 17.3% (5); 4096x1024 66.2% / 61.2%",
    },
    ops::Preferred {
        dtype: DType::F32,
        max_cols: 16384,
        step: 5,
        evidence: "41cb9d6: 4096x1024 12.96 (5) / 18.82 (3); 32768x128 45.79 / 46.66; \
                   d17062e: 4096x4096 94.0%; a4328c4: 4096x4096 93.7% (10); \
                   2048x16384 92.1% (5) / 89.0% (12)",
    },
    ops::Preferred {
        dtype: DType::F32,
        max_cols: usize::MAX,
        step: 10,
        evidence: "a4328c4: 8192x32000 91.6% (10) / 91.8% (12) / 88.1% (5): 10 and 12 tie, \
                   10 is the simpler kernel (no persistent blocks, no spill)",
    },
];

/// The launch of the CUDA C++ twin of `dtype` of `baselines` (a norm ladder's) over
/// `rows × cols`: its step's grid (what the cases launch; the twins' CPU emulation takes it
/// from here).
pub fn twin_launch_in(
    table: &'static StepTable<Grid>,
    baselines: &[BaselineInfo],
    dtype: DType,
    rows: usize,
    cols: usize,
) -> Option<Launch> {
    let b = baselines.iter().find(|b| b.dtype == dtype)?;
    Some(launch(
        table.grid(table.by_id(b.of_step)?),
        rows,
        cols,
        dtype,
    ))
}

/// [`twin_launch_in`] of layernorm's twins.
pub fn twin_launch(dtype: DType, rows: usize, cols: usize) -> Option<Launch> {
    twin_launch_in(&STEPS, BASELINES, dtype, rows, cols)
}

/// The step of `dtype` of a step table that `rules` prefer for rows of `cols` columns (else
/// its last step of `dtype`, the top step), and its launch over `rows × cols`: what a caller
/// with its own device pointers launches (`gpu.launch(step.symbol, launch, params)`).
pub fn top_step(
    table: &'static StepTable<Grid>,
    rules: &[ops::Preferred],
    dtype: DType,
    rows: usize,
    cols: usize,
) -> Option<(&'static StepInfo, Launch)> {
    let step = ops::rule_or_top(table.infos(), rules, dtype, cols)?;
    Some((step, launch(table.grid(step), rows, cols, dtype)))
}

/// Launches layernorm's top forward step of the element type `T` on a caller's device
/// pointers (`p.rows`, `p.cols`, `p.eps` as given).
pub fn launch_forward<T: Element>(gpu: &Gpu, p: LayerNormParams<T::Device>) -> Result<()> {
    launch_preferred(gpu, &META, &STEPS, PREFERRED, T::DTYPE, (p.rows, p.cols), p)
}

/// Launches the step of `dtype` of a norm ladder's `table` that [`top_step`] picks for
/// `rows × cols` (its `rules`, else the top step) with the parameters `p`.
pub fn launch_preferred<P: kernels_gpu::KernelParams>(
    gpu: &Gpu,
    meta: &LadderMeta,
    table: &'static StepTable<Grid>,
    rules: &[ops::Preferred],
    dtype: DType,
    (rows, cols): (u32, u32),
    p: P,
) -> Result<()> {
    let (step, l) =
        top_step(table, rules, dtype, rows as usize, cols as usize).ok_or_else(|| {
            crate::error::Error::Usage(format!("{} has no {} step", meta.name, dtype.name()))
        })?;
    gpu.launch(step.symbol, l, p)
}

/// The tolerance of a normalised output `y` (stored as `dtype`), from the rows' data: f32
/// rounding of `(x − mean)·rstd·γ + β` is relative to the terms before they cancel
/// (`64·ε·(rstd·|γ|·max|x − mean| + |β|)`), and the f32 mean of a row is off by up to about
/// `(log₂n + √n)·ε·max|x|` (sums of `n` values of a large offset: x + 1e4), which `y` sees
/// times `rstd·|γ|`; the f32 sum of the `n` squares is off by a relative `λ·√n·ε` (the
/// probabilistic bound of a sum of `n` terms, λ = 8 here), half of which reaches `rstd` and so
/// `x̂·γ` (a serial sum, layernorm/1, at 10⁶ columns on the H200: 4.4e-4 in `y`, where the
/// first two terms allowed 3.4e-4; 1.8e-4 relative in `rstd`).
/// `rtol` is the element type's (bf16: the rounding of `y`).
pub fn y_tolerance(
    dtype: DType,
    x: &[f32],
    gamma: &[f32],
    beta: Option<&[f32]>,
    mean: &[f64],
    rstd: &[f64],
) -> Tolerance {
    let cols = gamma.len();
    let eps = f32::EPSILON as f64;
    let absmax = |v: &[f32]| v.iter().fold(0.0f64, |m, &v| m.max((v as f64).abs()));
    let (gmax, bmax) = (absmax(gamma), beta.map_or(0.0, absmax));
    let growth = (cols as f64).log2() + (cols as f64).sqrt();
    let mut atol = 64.0 * eps * bmax.max(1.0);
    for ((row, &m), &s) in x.chunks(cols).zip(mean).zip(rstd) {
        let dev = row.iter().fold(0.0f64, |a, &v| a.max((v as f64 - m).abs()));
        let row_atol =
            eps * s * gmax * (64.0 * dev + growth * absmax(row) + 4.0 * (cols as f64).sqrt() * dev);
        if row_atol.is_finite() {
            atol = atol.max(row_atol + 64.0 * eps * bmax);
        }
    }
    Tolerance {
        atol,
        rtol: Tolerance::elementwise(dtype).rtol,
    }
}

/// The tolerance of the f32 `mean` output: the f32 sum's error, `(log₂n + √n)·ε·max|x|`.
pub fn mean_tolerance(x: &[f32], cols: usize) -> Tolerance {
    let xmax = x
        .iter()
        .filter(|v| v.is_finite())
        .fold(0.0f64, |m, &v| m.max((v as f64).abs()));
    let growth = (cols as f64).log2() + (cols as f64).sqrt();
    Tolerance {
        atol: f32::EPSILON as f64 * (growth * xmax).max(1.0),
        rtol: 1e-5,
    }
}

/// The tolerance of the f32 `rstd` output: `rsqrt.approx` is within 2 ulp and a two-pass
/// f32 variance within a few; an error `δ` of the f32 mean adds `δ²` to the variance, a
/// relative `(δ·rstd)²/2` to rstd (δ as in [`mean_tolerance`]: it matters at x + 1e4); the f32
/// sum of squares' relative `8·√n·ε` adds half of that (long rows: a serial sum at 10⁶ columns,
/// layernorm/1 on the H200, was 1.8e-4 off).
pub fn rstd_tolerance(x: &[f32], cols: usize, rstd: &[f64]) -> Tolerance {
    let growth = (cols as f64).log2() + (cols as f64).sqrt();
    let mut rtol = 1e-4f64 + 4.0 * (cols as f64).sqrt() * f32::EPSILON as f64;
    for (row, &s) in x.chunks(cols).zip(rstd) {
        let xmax = row.iter().fold(0.0f64, |m, &v| m.max((v as f64).abs()));
        let d = growth * f32::EPSILON as f64 * xmax * s;
        if d.is_finite() {
            rtol = rtol.max(1e-4 + d * d);
        }
    }
    Tolerance { atol: 0.0, rtol }
}

/// The first comparison that failed, else the first (the main output's): a case with
/// several outputs reports one.
pub fn first_failed(cs: Vec<Comparison>) -> Comparison {
    let i = cs.iter().position(|c| !c.passed()).unwrap_or(0);
    cs.into_iter().nth(i).expect("at least one comparison")
}

/// `y = (x − mean)·rstd·γ + β` per row on caller-owned memory: arguments `x` (`rows × cols`),
/// `gamma`, `beta` (`cols`), `y` (`rows × cols`), `mean`, `rstd` (`rows` f32); scalar `eps`.
pub struct LayerNormOp;

impl Op for LayerNormOp {
    fn name(&self) -> &'static str {
        "layer_norm"
    }
    fn ladder(&self) -> &'static dyn Ladder {
        &LayerNorm
    }
    fn args(&self) -> &'static [&'static str] {
        &["x", "gamma", "beta", "y", "mean", "rstd"]
    }
    fn scalars(&self) -> &'static [&'static str] {
        &["eps"]
    }
    fn unsupported_dims(&self, dims: &[usize]) -> Option<String> {
        ops::dims_u32(dims, 2)
    }
    fn preferred(&self) -> &'static [ops::Preferred] {
        PREFERRED
    }
    fn enqueue(&self, gpu: &Gpu, stream: u64, step: &StepInfo, call: &OpCall) -> Result<()> {
        ops::check_args(self, call, &[])?;
        let (rows, cols) = (call.dims[0], call.dims[1]);
        let l = launch(STEPS.grid(step), rows, cols, call.dtype);
        crate::with_element!(call.dtype, T => {
            let p = LayerNormParams::<<T as Element>::Device> {
                x: GlobalPtr::from_addr(call.args[0]),
                gamma: GlobalPtr::from_addr(call.args[1]),
                beta: GlobalPtr::from_addr(call.args[2]),
                y: GlobalPtrMut::from_addr(call.args[3]),
                mean: GlobalPtrMut::from_addr(call.args[4]),
                rstd: GlobalPtrMut::from_addr(call.args[5]),
                rows: rows as u32,
                cols: cols as u32,
                eps: call.scalars[0],
            };
            gpu.launch_on(stream, step.symbol, l, p)
        })
    }
}

impl Ladder for LayerNorm {
    fn meta(&self) -> &'static LadderMeta {
        &META
    }
    fn op(&self) -> Option<&'static dyn Op> {
        Some(&LayerNormOp)
    }
    fn table(&self) -> &'static dyn Steps {
        &STEPS
    }
    fn baselines(&self) -> &'static [BaselineInfo] {
        BASELINES
    }
    fn awkward_shapes(&self) -> Vec<Shape> {
        norm_awkward_shapes()
    }
    fn work(&self, shape: &Shape, dtype: DType) -> Work {
        let (rows, cols) = (shape.0[0] as f64, shape.0[1] as f64);
        let e = dtype.size() as f64;
        Work {
            // sum, (x − m)², then (x − m)·rstd·γ + β: ~7 per element.
            flops: 7.0 * rows * cols,
            bytes: e * (2.0 * rows * cols + 2.0 * cols) + 8.0 * rows,
        }
    }
    fn random_inputs(&self, shape: &Shape, seed: u64) -> Result<Vec<Vec<f32>>> {
        let n = super::n_u32(shape.numel(), self.name())? as usize;
        let cols = shape.0[1];
        Ok(vec![
            inputs::uniform(n, seed, -1.0, 1.0),
            inputs::uniform(cols, seed ^ 1, 0.5, 1.5),
            inputs::uniform(cols, seed ^ 2, -1.0, 1.0),
        ])
    }
    fn input_specs(&self, shape: &Shape) -> Vec<InputSpec> {
        vec![
            InputSpec {
                name: "x",
                shape: shape.0.clone(),
            },
            InputSpec {
                name: "gamma",
                shape: vec![shape.0[1]],
            },
            InputSpec {
                name: "beta",
                shape: vec![shape.0[1]],
            },
        ]
    }
    fn case(
        &self,
        gpu: &Gpu,
        shape: &Shape,
        dtype: DType,
        inputs: Vec<Vec<f32>>,
    ) -> Result<Box<dyn Case>> {
        let [x, gamma, beta] = super::take_inputs::<3>(self, shape, inputs)?;
        crate::with_element!(dtype, T => Ok(Box::new(LayerNormCase::<T>::new(gpu, shape, &x, &gamma, &beta)?)))
    }
}

struct LayerNormCase<T: Element> {
    rows: usize,
    cols: usize,
    x: DeviceBuffer<T>,
    gamma: DeviceBuffer<T>,
    beta: DeviceBuffer<T>,
    y: Checked<T>,
    mean: Checked<f32>,
    rstd: Checked<f32>,
    /// The twins of the element type's steps, by step (compiled at their first launch).
    twins: super::StepTwins<TwinKernel>,
}

impl<T: Element> LayerNormCase<T> {
    fn new(gpu: &Gpu, shape: &Shape, x: &[f32], gamma: &[f32], beta: &[f32]) -> Result<Self> {
        let (rows, cols) = (shape.0[0], shape.0[1]);
        let (x, gamma, beta): (Vec<T>, Vec<T>, Vec<T>) =
            (round_to(x), round_to(gamma), round_to(beta));
        let (xv, gv, bv) = (to_f32(&x), to_f32(&gamma), to_f32(&beta));
        let (y, mean, rstd) = reference::norm_rows(&xv, &gv, Some(&bv), EPS as f64);
        let tol = y_tolerance(T::DTYPE, &xv, &gv, Some(&bv), &mean, &rstd);
        let rtol = rstd_tolerance(&xv, cols, &rstd);
        Ok(Self {
            rows,
            cols,
            x: DeviceBuffer::from_host(gpu, &x)?,
            gamma: DeviceBuffer::from_host(gpu, &gamma)?,
            beta: DeviceBuffer::from_host(gpu, &beta)?,
            y: Checked::new(gpu, y, shape.clone(), tol)?,
            mean: Checked::new(gpu, mean, Shape::n(rows), mean_tolerance(&xv, cols))?,
            rstd: Checked::new(gpu, rstd, Shape::n(rows), rtol)?,
            twins: super::StepTwins::new(BASELINES, T::DTYPE, |id| {
                twin_symbol(id).map(twin_kernel)
            }),
        })
    }
}

impl<T: Element> Case for LayerNormCase<T> {
    fn run(&mut self, gpu: &Gpu, target: Target<'_>) -> Result<()> {
        let (step, is_twin) = step_of(&STEPS, "layernorm", T::DTYPE, target)?;
        let p = LayerNormParams {
            x: self.x.elems(),
            gamma: self.gamma.elems(),
            beta: self.beta.elems(),
            y: self.y.output.elems_mut(),
            mean: self.mean.output.elems_mut(),
            rstd: self.rstd.output.elems_mut(),
            rows: self.rows as u32,
            cols: self.cols as u32,
            eps: EPS,
        };
        // The twin is launched with its step's own grid.
        let l = launch(STEPS.grid(step), self.rows, self.cols, T::DTYPE);
        if !is_twin {
            return gpu.launch(step.symbol, l, p);
        }
        match self.twins.of_step(step.id) {
            Some(kernel) => kernel.launch(gpu, l, p),
            None => Err(super::not_mine("layernorm", target)),
        }
    }
    fn poison(&mut self, gpu: &Gpu) -> Result<()> {
        self.y.poison(gpu)?;
        self.mean.poison(gpu)?;
        self.rstd.poison(gpu)
    }
    fn check(&mut self, gpu: &Gpu) -> Result<Comparison> {
        Ok(first_failed(vec![
            self.y.check(gpu)?,
            self.mean.check(gpu)?,
            self.rstd.check(gpu)?,
        ]))
    }
    fn output(&mut self, gpu: &Gpu) -> Result<Output> {
        self.y.output(gpu)
    }
}

/// Inputs of the special-value checks, `(what, shape, x)`: rows holding NaN, +inf, both
/// infinities, all −inf (torch gives NaN rows for all of these), a constant row (variance 0:
/// `y = β`), rows with an offset of 1e4, rows of one element, and a 1 × 1.
pub fn special_value_inputs() -> Vec<(String, Shape, Vec<f32>)> {
    let cols = 37;
    let base = crate::inputs::uniform(8 * cols, 7, -1.0, 1.0);
    let mut x = base.clone();
    x[cols + 3] = f32::NAN;
    x[2 * cols + 5] = f32::INFINITY;
    x[3 * cols] = f32::NEG_INFINITY;
    x[3 * cols + 1] = f32::INFINITY;
    x[4 * cols..5 * cols].fill(f32::NEG_INFINITY);
    x[5 * cols..6 * cols].fill(0.75);
    for v in &mut x[6 * cols..8 * cols] {
        *v += 1e4;
    }
    let offset: Vec<f32> = crate::inputs::uniform(64 * 1000, 8, -1.0, 1.0)
        .into_iter()
        .map(|v| v + 1e4)
        .collect();
    vec![
        (
            "rows of NaN, +inf, ±inf, all -inf, a constant, +1e4".into(),
            Shape::rows_cols(8, cols),
            x,
        ),
        ("x + 1e4".into(), Shape::rows_cols(64, 1000), offset),
        (
            "rows of one element".into(),
            Shape::rows_cols(5, 1),
            vec![3.0, -1e4, 0.0, f32::INFINITY, f32::NAN],
        ),
        ("1 x 1".into(), Shape::rows_cols(1, 1), vec![-2.5]),
    ]
}

/// Runs every step of the layernorm, rmsnorm and layernorm_backward ladders on
/// [`special_value_inputs`] (backward: with random dy) and
/// checks them against the f64 reference (NaN rows must be NaN, finite rows must match), and
/// that the check can fail: the single-pass variance `Σx²/n − mean²` in f32 fails it on the
/// `x + 1e4` input. Used by the GPU tests and by the emulator's.
pub fn check_special_values(gpu: &Gpu) -> std::result::Result<(), String> {
    let ladders: [&dyn Ladder; 3] = [
        &LayerNorm,
        &super::rmsnorm::RmsNorm,
        &super::layernorm_backward::LayerNormBackward,
    ];
    for ladder in ladders {
        for (what, shape, x) in special_value_inputs() {
            let cols = shape.0[1];
            for step in ladder.steps() {
                let gamma = crate::inputs::uniform(cols, 1, 0.5, 1.5);
                let inputs = match ladder.input_specs(&shape).len() {
                    2 => vec![x.clone(), gamma],
                    _ if ladder.name() == "layernorm_backward" => {
                        let dy = crate::inputs::uniform(x.len(), 3, -1.0, 1.0);
                        vec![dy, x.clone(), gamma]
                    }
                    _ => vec![x.clone(), gamma, crate::inputs::uniform(cols, 2, -1.0, 1.0)],
                };
                let at = format!("{} on {what} ({shape})", step.symbol);
                let mut case = ladder
                    .prepare_from(gpu, &shape, step.dtype, inputs)
                    .map_err(|e| format!("{at}: {e}"))?;
                let c = crate::ladder::verify(case.as_mut(), gpu, Target::Step(step))
                    .map_err(|e| format!("{at}: {e}"))?;
                if !c.passed() {
                    return Err(format!("{at}: {c}"));
                }
                // layernorm (y) and its backward (dx): a row with a NaN or an infinity is NaN
                // throughout (its mean or variance is); rmsnorm: a row with a NaN is, and with
                // an infinity only the infinite elements are (rstd = 0, inf·0 = NaN).
                let rms = ladder.name() == "rmsnorm";
                let y = case.output(gpu).map_err(|e| e.to_string())?.values;
                for (r, (xr, yr)) in x.chunks(cols).zip(y.chunks(cols)).enumerate() {
                    let has_nan = xr.iter().any(|v| v.is_nan());
                    let has_inf = xr.iter().any(|v| v.is_infinite());
                    for (c, (xv, yv)) in xr.iter().zip(yr).enumerate() {
                        let want_nan = has_nan || (has_inf && (!rms || xv.is_infinite()));
                        if yv.is_nan() != want_nan {
                            return Err(format!("{at}: y[{r}][{c}] = {yv} (x = {xv})"));
                        }
                    }
                }
            }
        }
    }
    // The check catches the single-pass formula.
    let (_, shape, x) = special_value_inputs().swap_remove(1);
    let cols = shape.0[1];
    let (gamma, beta) = (vec![1.0f32; cols], vec![0.0f32; cols]);
    let (want, mean, rstd) = reference::norm_rows(&x, &gamma, Some(&beta), EPS as f64);
    let naive: Vec<f32> = x
        .chunks(cols)
        .flat_map(|row| {
            let n = cols as f32;
            let m = row.iter().sum::<f32>() / n;
            let var = row.iter().map(|v| v * v).sum::<f32>() / n - m * m;
            let s = 1.0 / (var + EPS).sqrt();
            row.iter().map(move |v| (v - m) * s).collect::<Vec<_>>()
        })
        .collect();
    let tol = y_tolerance(DType::F32, &x, &gamma, Some(&beta), &mean, &rstd);
    let c = crate::verify::compare(&naive, &want, &shape, tol);
    if c.passed() {
        return Err(format!(
            "the single-pass variance passes the x + 1e4 check: {c}"
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The cases' twin tables: each element type finds the twin of each of its steps that
    /// has one (5 and 10 for f32, 6 and 11 for bf16), and no other step's.
    #[test]
    fn each_step_with_a_twin_finds_its_own_kernel() {
        let mut f32 = super::super::StepTwins::new(BASELINES, DType::F32, twin_symbol);
        assert_eq!(f32.of_step(5).copied(), Some("layernorm_twin"));
        assert_eq!(f32.of_step(10).copied(), Some("layernorm_twin_one_pass"));
        assert_eq!(f32.of_step(6), None);
        assert_eq!(f32.of_step(9), None);
        let mut bf16 = super::super::StepTwins::new(BASELINES, DType::Bf16, twin_symbol);
        assert_eq!(bf16.of_step(6).copied(), Some("layernorm_twin_bf16"));
        assert_eq!(
            bf16.of_step(11).copied(),
            Some("layernorm_twin_bf16_one_pass")
        );
        assert_eq!(bf16.of_step(10), None);
        // layernorm_backward: a twin for each of steps 2–9, by element type.
        use super::super::layernorm_backward as lb;
        for (dtype, ids) in [(DType::F32, [2, 4, 6, 8]), (DType::Bf16, [3, 5, 7, 9])] {
            let mut t = lb::step_twins_of(dtype, Some);
            for id in 1..=9 {
                assert_eq!(
                    t.of_step(id).copied(),
                    ids.contains(&id).then_some(id),
                    "{id}"
                );
            }
        }
    }

    /// The register steps' block shapes: about 4 vectors per thread, a warp per row for short
    /// rows (8 rows per block), 1024 threads at most.
    #[test]
    fn rows_grid_picks_threads_per_row_from_the_row_length() {
        let g = Grid::Rows {
            vecs: 4,
            max_tx: 1024,
            block: 256,
        };
        assert_eq!(g.rows_block(4096, 4), Some((256, 1)));
        assert_eq!(g.rows_block(4096, 8), Some((128, 2)));
        assert_eq!(g.rows_block(1024, 4), Some((64, 4)));
        assert_eq!(g.rows_block(128, 4), Some((32, 8)));
        assert_eq!(g.rows_block(32000, 4), Some((1024, 1)));
        let g = Grid::Rows {
            vecs: 4,
            max_tx: 512,
            block: 256,
        };
        assert_eq!(g.rows_block(32000, 4), Some((512, 1)));
        assert_eq!(g.rows_block(32000, 8), Some((512, 1)));
        assert_eq!(g.rows_block(1, 4), Some((32, 8)));
        let l = launch(&g, 32768, 128, DType::F32);
        assert_eq!((l.grid, l.block), ((4096, 1, 1), (32, 8, 1)));
    }

    /// The steps the measured rules pick (layernorm f32 /9 up to 1024 columns and /5 beyond,
    /// bf16 /8 up to 1024 and /6 beyond; rmsnorm f32 /7 up to 1024 and /3 beyond, bf16 /6, /5
    /// up to 8192 and /4 beyond), launched with their grids: a block per row
    /// of softmax's register width (128 threads at 4096 columns, 1024 at 32000, 64 at least),
    /// rmsnorm/5 a block per 5 rows.
    #[test]
    fn the_rules_pick_the_measured_steps_with_their_grids() {
        use super::super::rmsnorm::PREFERRED as RMS_RULES;
        use kernels_gpu::rmsnorm as r;
        static RMS: StepTable<Grid> = StepTable::new("rmsnorm", r::STEPS);
        let (step, l) = top_step(&STEPS, PREFERRED, DType::Bf16, 4096, 4096).expect("a bf16 step");
        assert_eq!(step.symbol, k::layernorm_s06_bf16_strided::SYMBOL);
        assert_eq!((l.grid, l.block), ((4096, 1, 1), (128, 1, 1)));
        let (step, l) = top_step(&STEPS, PREFERRED, DType::F32, 8192, 32000).expect("an f32 step");
        assert_eq!(step.symbol, k::layernorm_s10_one_pass::SYMBOL);
        assert_eq!((l.grid, l.block), ((8192, 1, 1), (1024, 1, 1)));
        let (step, _) = top_step(&STEPS, PREFERRED, DType::F32, 2048, 16384).expect("an f32 step");
        assert_eq!(step.symbol, k::layernorm_s05_strided::SYMBOL);
        let (step, _) = top_step(&STEPS, PREFERRED, DType::Bf16, 8192, 32000).expect("bf16");
        assert_eq!(step.symbol, k::layernorm_s13_bf16_staged::SYMBOL);
        let (step, _) = top_step(&STEPS, PREFERRED, DType::Bf16, 2048, 16384).expect("bf16");
        assert_eq!(step.symbol, k::layernorm_s13_bf16_staged::SYMBOL);
        let (step, _) = top_step(&STEPS, PREFERRED, DType::Bf16, 2048, 8192).expect("bf16");
        assert_eq!(step.symbol, k::layernorm_s06_bf16_strided::SYMBOL);
        // f32 up to 1024 columns: layernorm/9 (teams of 8 lanes at 128 columns, 32 rows a
        // 256-thread block; past 512 columns a block of `norm_strided` at 2 chunks a row).
        let (step, l) = top_step(&STEPS, PREFERRED, DType::F32, 17, 128).expect("an f32 step");
        assert_eq!(step.symbol, k::layernorm_s09_short_rows::SYMBOL);
        assert_eq!((l.grid, l.block), ((1, 1, 1), (256, 1, 1)));
        let (_, l) = top_step(&STEPS, PREFERRED, DType::F32, 32768, 128).expect("an f32 step");
        assert_eq!((l.grid, l.block), ((1024, 1, 1), (256, 1, 1)));
        let (step, l) = top_step(&STEPS, PREFERRED, DType::F32, 4096, 1024).expect("an f32 step");
        assert_eq!(step.symbol, k::layernorm_s09_short_rows::SYMBOL);
        assert_eq!((l.grid, l.block), ((4096, 1, 1), (64, 1, 1)));
        let (step, _) = top_step(&STEPS, PREFERRED, DType::F32, 4096, 1032).expect("an f32 step");
        assert_eq!(step.symbol, k::layernorm_s05_strided::SYMBOL);
        let (step, l) = top_step(&RMS, RMS_RULES, DType::F32, 32768, 128).expect("an f32 step");
        assert_eq!(step.symbol, r::rmsnorm_s07_short_rows::SYMBOL);
        assert_eq!((l.grid, l.block), ((1024, 1, 1), (256, 1, 1)));
        // The rules' short rows (layernorm/8), and with no rules the last step of the dtype
        // (layernorm/13 for bf16: step 6's grid and the row's 2·cols bytes of shared memory,
        // none for a row the fallback takes). layernorm/8's grid: a block per row at 4096
        // columns, 4 lanes a row (8 rows a warp) at 128.
        let (step, _) = top_step(&STEPS, PREFERRED, DType::Bf16, 32768, 128).expect("bf16");
        assert_eq!(step.symbol, k::layernorm_s08_bf16_short_rows::SYMBOL);
        let (step, l) = top_step(&STEPS, &[], DType::Bf16, 4096, 4096).expect("a bf16 step");
        assert_eq!(step.symbol, k::layernorm_s13_bf16_staged::SYMBOL);
        assert_eq!((l.grid, l.block, l.smem), ((4096, 1, 1), (128, 1, 1), 8192));
        let (_, l) = top_step(&STEPS, &[], DType::Bf16, 8192, 32000).expect("a bf16 step");
        assert_eq!((l.block, l.smem), ((1024, 1, 1), 64000));
        let (_, l) = top_step(&STEPS, &[], DType::Bf16, 3, 4099).expect("a bf16 step");
        assert_eq!(l.smem, 0);
        let s8 = STEPS.grid(STEPS.by_id(8).unwrap());
        let l = launch(s8, 4096, 4096, DType::Bf16);
        assert_eq!((l.grid, l.block), ((4096, 1, 1), (128, 1, 1)));
        let l = launch(s8, 32768, 128, DType::Bf16);
        assert_eq!((l.grid, l.block), ((512, 1, 1), (256, 1, 1)));
        let l = launch(s8, 4096, 1024, DType::Bf16);
        assert_eq!(
            (l.grid, l.block),
            ((512, 1, 1), (256, 1, 1)),
            "32 lanes a row"
        );
        let l = launch(s8, 7, 1032, DType::Bf16);
        assert_eq!(
            (l.grid, l.block),
            ((7, 1, 1), (64, 1, 1)),
            "past 1024: a block a row"
        );
        // layernorm/7: 6 rows a block.
        let s7 = STEPS.grid(STEPS.by_id(7).unwrap());
        let l = launch(s7, 4096, 4096, DType::Bf16);
        assert_eq!((l.grid, l.block), ((683, 1, 1), (128, 1, 1)));
        let (step, l) = top_step(&RMS, RMS_RULES, DType::F32, 4096, 4096).expect("an f32 step");
        assert_eq!(step.symbol, r::rmsnorm_s03_strided::SYMBOL);
        assert_eq!(l.block, (128, 1, 1));
        let (step, l) = top_step(&RMS, RMS_RULES, DType::Bf16, 32768, 128).expect("a bf16 step");
        assert_eq!(step.symbol, r::rmsnorm_s06_bf16_short_rows::SYMBOL);
        assert_eq!((l.grid, l.block), ((512, 1, 1), (256, 1, 1)));
        let (step, l) = top_step(&RMS, RMS_RULES, DType::Bf16, 4096, 4096).expect("a bf16 step");
        assert_eq!(step.symbol, r::rmsnorm_s05_bf16_pipelined::SYMBOL);
        assert_eq!(l.block, (128, 1, 1));
        let (step, _) = top_step(&RMS, RMS_RULES, DType::Bf16, 8192, 32000).expect("a bf16 step");
        assert_eq!(step.symbol, r::rmsnorm_s04_bf16_strided::SYMBOL);
    }

    /// layernorm/12's persistent grid: every SM of an H200 full at 64 registers a thread (132
    /// blocks of 1024 at 32000 columns, 8 × 132 of 128 at 4096), at most a block a row, and
    /// the row's bytes of dynamic shared memory only where the 128-bit path takes the row.
    #[test]
    fn the_streamed_grid_fills_the_sms_and_stages_one_row() {
        let g = STEPS.grid(STEPS.by_id(12).unwrap());
        let l = launch(g, 8192, 32000, DType::F32);
        assert_eq!(
            (l.grid, l.block, l.smem),
            ((132, 1, 1), (1024, 1, 1), 128_000)
        );
        let l = launch(g, 4096, 4096, DType::F32);
        assert_eq!(
            (l.grid, l.block, l.smem),
            ((1056, 1, 1), (128, 1, 1), 16_384)
        );
        let l = launch(g, 7, 1032, DType::F32);
        assert_eq!((l.grid, l.block, l.smem), ((7, 1, 1), (64, 1, 1), 4128));
        // Not whole chunks of 8, or longer than 32768: the looped fallback, nothing staged.
        assert_eq!(launch(g, 33, 4099, DType::F32).smem, 0);
        assert_eq!(launch(g, 2, 40_008, DType::F32).smem, 0);
        assert_eq!(launch(g, 0, 128, DType::F32).grid, (1, 1, 1));
    }

    /// The ops consult the same rules: `step_for` by the row length, for every dtype.
    #[test]
    fn the_ops_choose_their_step_by_the_row_length() {
        use crate::ops::find;
        let pick = |op: &str, d, dims: &[usize]| {
            find(op)
                .unwrap()
                .step_for(d, (9, 0), dims)
                .unwrap()
                .handle()
        };
        assert_eq!(
            pick("layer_norm", DType::Bf16, &[32768, 128]),
            "layernorm/8"
        );
        assert_eq!(
            pick("layer_norm", DType::Bf16, &[4096, 4096]),
            "layernorm/6"
        );
        assert_eq!(
            pick("layer_norm", DType::F32, &[8192, 32000]),
            "layernorm/10"
        );
        assert_eq!(
            pick("layer_norm", DType::Bf16, &[8192, 32000]),
            "layernorm/13"
        );
        assert_eq!(pick("rms_norm", DType::Bf16, &[32768, 128]), "rmsnorm/6");
        assert_eq!(pick("rms_norm", DType::Bf16, &[4096, 4096]), "rmsnorm/5");
        assert_eq!(
            pick("layer_norm_backward", DType::F32, &[4096, 4096]),
            "layernorm_backward/14"
        );
        assert_eq!(
            pick("layer_norm_backward", DType::Bf16, &[4096, 4096]),
            "layernorm_backward/15"
        );
        // Step 12 (a cluster per row) on sm_90; on sm_80 the next rule, step 6.
        assert_eq!(
            pick("layer_norm_backward", DType::F32, &[8192, 32000]),
            "layernorm_backward/12"
        );
        assert_eq!(
            find("layer_norm_backward")
                .unwrap()
                .step_for(DType::F32, (8, 0), &[8192, 32000])
                .unwrap()
                .handle(),
            "layernorm_backward/6"
        );
        assert_eq!(
            pick("layer_norm_backward", DType::Bf16, &[8192, 32000]),
            "layernorm_backward/7"
        );
        assert_eq!(
            pick("layer_norm_backward", DType::F32, &[64, 40000]),
            "layernorm_backward/2"
        );
        assert_eq!(pick("rms_norm", DType::Bf16, &[8192, 32000]), "rmsnorm/4");
        assert_eq!(pick("rms_norm", DType::F32, &[32768, 128]), "rmsnorm/7");
        assert_eq!(pick("rms_norm", DType::F32, &[4096, 4096]), "rmsnorm/3");
        assert_eq!(pick("layer_norm", DType::F32, &[4096, 1024]), "layernorm/9");
        assert_eq!(pick("softmax", DType::Bf16, &[32768, 128]), "softmax/6");
        assert_eq!(pick("softmax", DType::Bf16, &[4096, 4096]), "softmax/6");
        assert_eq!(pick("softmax", DType::Bf16, &[8192, 32000]), "softmax/8");
        assert_eq!(pick("softmax", DType::F32, &[4096, 4096]), "softmax/5");
        // Without dims an op still names its top (last) step.
        assert_eq!(
            find("softmax")
                .unwrap()
                .step(DType::Bf16, (9, 0))
                .unwrap()
                .handle(),
            "softmax/9"
        );
    }
}
