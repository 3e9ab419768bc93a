//! Softmax along the last dimension of a `rows × cols` matrix (`softmax`), and its backward
//! pass `dx = y ⊙ (dy − Σ dy⊙y)` (`softmax_backward`); f32 math whatever the element type.
//!
//! [`forward_launch`] and [`backward_launch`] give a caller with its own device pointers (the
//! Python package) the top step's kernel and launch for a shape; the parameter structs are
//! `kernels_gpu::softmax::SoftmaxParams` and `kernels_gpu::softmax_backward::SoftmaxBackwardParams`.

use super::{Checked, TwinKernel};
use crate::element::{DType, Element, round_to, to_f32};
use crate::error::{Error, Result};
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
use kernels_gpu::softmax::{
    self as k, Grid, SoftmaxParams, SoftmaxThreePassParams, register_block_threads,
};
use kernels_gpu::softmax_backward::{self as kb, SoftmaxBackwardParams};
use kernels_gpu::{GlobalPtr, GlobalPtrMut};

/// The softmax ladder.
pub struct Softmax;
/// The softmax backward ladder.
pub struct SoftmaxBackward;

static STEPS: StepTable<Grid> = StepTable::new("softmax", k::STEPS);
static BACKWARD_STEPS: StepTable<kb::Grid> = StepTable::new("softmax_backward", kb::STEPS);

/// The CUDA C++ twins of the top f32 and bf16 steps (host/ladders/twins/softmax.cu).
static BASELINES: &[BaselineInfo] = &[
    BaselineInfo {
        kind: BaselineKind::CudaCppTwin,
        of_step: 5,
        dtype: DType::F32,
        description: "CUDA C++ twin of softmax/5 (NVRTC): row in registers, 4 chunks of two \
                      float4 __ldg per thread, ex2.approx, warp per row up to 1024 columns",
    },
    BaselineInfo {
        kind: BaselineKind::CudaCppTwin,
        of_step: 8,
        dtype: DType::Bf16,
        description: "CUDA C++ twin of softmax/8 (NVRTC, __nv_bfloat16): row packed in \
                      registers, 8 uint4 __ldg of 8 per thread, launch bounds (512, 2), ex2 twice",
    },
];
/// The CUDA C++ twins of the top f32 and bf16 backward steps
/// (host/ladders/twins/softmax_backward.cu).
static BACKWARD_BASELINES: &[BaselineInfo] = &[
    BaselineInfo {
        kind: BaselineKind::CudaCppTwin,
        of_step: 4,
        dtype: DType::F32,
        description: "CUDA C++ twin of softmax_backward/4 (NVRTC): y and dy in registers \
                      (2 chunks each); 16384-32768 columns y only (4 chunks), dy re-read",
    },
    BaselineInfo {
        kind: BaselineKind::CudaCppTwin,
        of_step: 3,
        dtype: DType::Bf16,
        description: "CUDA C++ twin of softmax_backward/3 (NVRTC, __nv_bfloat16): y and dy \
                      packed in registers (4 chunks each)",
    },
];
/// The CUDA C++ source of the forward twins: the shared element and team helpers
/// (twins/softmax_rows.cuh), then twins/softmax.cu.
pub const TWIN_SRC: &str = concat!(
    include_str!("twins/softmax_rows.cuh"),
    include_str!("twins/softmax.cu")
);
/// The CUDA C++ source of the backward twins: the same helpers, then
/// twins/softmax_backward.cu.
pub const BACKWARD_TWIN_SRC: &str = concat!(
    include_str!("twins/softmax_rows.cuh"),
    include_str!("twins/softmax_backward.cu")
);

/// The benchmark's shapes (issue 14's four, for every row-wise ladder: softmax, layernorm, rmsnorm
/// and their backward): 4096 × 1024, 4096², a 32000-wide vocabulary and short rows.
pub const BENCH_SHAPES: &[&[usize]] =
    &[&[4096, 1024], &[4096, 4096], &[8192, 32000], &[32768, 128]];

static META: LadderMeta = LadderMeta {
    name: "softmax",
    description: "y = softmax(x) along the last dim (f32 math), rows x cols",
    dims: 2,
    default_shape: &[4096, 4096],
    bench_shapes: BENCH_SHAPES,
    ceiling: Ceiling::CopyGbps,
    chapter: "softmax",
};

static BACKWARD_META: LadderMeta = LadderMeta {
    name: "softmax_backward",
    description: "dx = y * (dy - sum(dy * y)) along the last dim (f32 math), rows x cols",
    dims: 2,
    default_shape: &[4096, 4096],
    bench_shapes: BENCH_SHAPES,
    ceiling: Ceiling::CopyGbps,
    chapter: "softmax",
};

/// Shapes every step is checked on: 1×1, 1×N, N×1, primes, warp ± 1, the register steps'
/// edges (a warp's 1024 columns, the block kernels' 64-thread minimum, 32000 in one block of
/// 1024, 33000: aligned but longer than a block holds), a row longer than any block handles
/// (1 × 100003), and the large odd 4097 × 4099 and 1_000_003 × 1 (too large for the
/// emulator, which leaves them out).
fn awkward() -> Vec<Shape> {
    [
        (1, 1),
        (1, 7),
        (1000, 1),
        (31, 33),
        (33, 31),
        (65, 63),
        (257, 128),
        (67, 1000),
        (9, 1024),
        (9, 1032),
        (3, 4096),
        (2, 32000),
        (2, 33000),
        (1, 100_003),
        (4097, 4099),
        (1_000_003, 1),
    ]
    .into_iter()
    .map(|(r, c)| Shape::rows_cols(r, c))
    .collect()
}

/// Which kernel of a step (its index in the step's symbols) and which launch cover a
/// `rows × cols` problem, for every grid but step 1's three kernels.
fn launch(grid: &Grid, rows: u32, cols: u32) -> (usize, Launch) {
    match *grid {
        Grid::ThreePass { threads } => (0, Launch::cover(rows as usize, threads)),
        Grid::BlockPerRow { threads } => (0, Launch::linear(rows, threads)),
        Grid::WarpPerRow { threads } => (0, Launch::cover(rows as usize * 32, threads)),
        Grid::Registers {
            warp_threads,
            warp_max_cols,
            chunks,
        } => registers_launch(rows, cols, warp_threads, warp_max_cols, chunks),
        Grid::RegistersMax {
            warp_threads,
            warp_max_cols,
            chunks,
            max_threads,
        } => {
            let (i, l) = registers_launch(rows, cols, warp_threads, warp_max_cols, chunks);
            if i == 0 {
                let t = k::register_block_threads_max(cols, chunks, max_threads);
                (0, Launch::linear(rows, t))
            } else {
                (i, l)
            }
        }
        Grid::Pipelined {
            chunks,
            rows_per_block,
            max_threads,
        } => (
            0,
            Launch::linear(
                rows.div_ceil(rows_per_block),
                k::register_block_threads_max(cols, chunks, max_threads),
            ),
        ),
    }
}

/// The register steps' rule (both ladders): up to `warp_max_cols` columns the warp kernel (the
/// second), a group of `lanes_per_row(cols, chunks)` lanes per row (32 at 1024 columns, 4 at
/// 128); longer rows a block per row (the first kernel) of the fewest warps that hold the row
/// at `chunks` chunks of 8 a thread.
fn registers_launch(
    rows: u32,
    cols: u32,
    warp_threads: u32,
    warp_max_cols: u32,
    chunks: u32,
) -> (usize, Launch) {
    if cols <= warp_max_cols {
        // `32 / lanes` rows per warp.
        let rows_per_warp = (32 / k::lanes_per_row(cols, chunks)) as usize;
        let threads = (rows as usize).div_ceil(rows_per_warp) * 32;
        (1, Launch::cover(threads, warp_threads))
    } else {
        (
            0,
            Launch::linear(rows, register_block_threads(cols, chunks)),
        )
    }
}

/// Which softmax step the op and [`forward_launch`] take, by element type and row length,
/// from the H200 runs (klab bench, µs; docs/results/h200-2026-12-01-d17062e-norm-softmax.json
/// and h200-2026-12-01-41cb9d6-fwd.json; the chapter's table "Which step for which shape").
/// bf16 between 4096 and 32000 columns is not measured: step 6 up to 8192 (where it still
/// holds ≥ 4 rows an SM, as at 4096), step 8 beyond.
pub const PREFERRED: &[ops::Preferred] = &[
    ops::Preferred {
        dtype: DType::Bf16,
        max_cols: 8192,
        step: 6,
        evidence: "41cb9d6: 4096x4096 17.95 (6) / 18.59 (7) / 18.62 (8) / 20.13 (9); \
                   4096x1024 7.68 / 8.61 / 9.09 / 11.49; 32768x128 7.65 / 8.58 / 9.95 / 38.40",
    },
    ops::Preferred {
        dtype: DType::Bf16,
        max_cols: usize::MAX,
        step: 8,
        evidence: "d17062e: 8192x32000 97.2% of copy (8) / 77.9% (6); 41cb9d6: 18.9% (9)",
    },
    ops::Preferred {
        dtype: DType::F32,
        max_cols: usize::MAX,
        step: 5,
        evidence: "d17062e: 97.7% (4096x4096), 98.2% (8192x32000), 71.5% (32768x128)",
    },
];

/// The forward step for `dtype` at rows of `cols` columns ([`PREFERRED`]; softmax/5 for f32,
/// softmax/6 or /8 for bf16): its kernel symbol and launch for a `rows × cols` problem, to
/// launch with a `SoftmaxParams { x, y, rows, cols }` of the caller's densely packed device
/// pointers.
pub fn forward_launch(dtype: DType, rows: u32, cols: u32) -> Result<(&'static str, Launch)> {
    if dtype == DType::F16 {
        return Err(Error::Usage("softmax has no f16 steps".into()));
    }
    let step = ops::rule_or_top(STEPS.infos(), PREFERRED, dtype, cols as usize)
        .expect("softmax has f32 and bf16 steps");
    let (i, l) = launch(STEPS.grid(step), rows, cols);
    Ok((step.symbols[i], l))
}

/// The CUDA C++ twin of `dtype`'s launch over `rows × cols`: its kernel (0 the block kernel,
/// 1 the warp kernel) and the grid of the step it is of (what `SoftmaxCase::run` launches; the
/// twins' CPU emulation takes it from here).
pub fn twin_launch(dtype: DType, rows: u32, cols: u32) -> Option<(usize, Launch)> {
    let b = BASELINES.iter().find(|b| b.dtype == dtype)?;
    Some(launch(STEPS.grid(STEPS.by_id(b.of_step)?), rows, cols))
}

/// The top backward step of `dtype` (`softmax_backward/4` for f32, `/3` for bf16): its kernel
/// symbol and launch, to launch with a `SoftmaxBackwardParams { y, dy, dx, rows, cols }`.
pub fn backward_launch(dtype: DType, rows: u32, cols: u32) -> Result<(&'static str, Launch)> {
    let id = match dtype {
        DType::F32 => 4,
        DType::Bf16 => 3,
        DType::F16 => return Err(Error::Usage("softmax_backward has no f16 steps".into())),
    };
    let step = BACKWARD_STEPS.by_id(id).expect("the top step");
    let (i, l) = backward_grid_launch(BACKWARD_STEPS.grid(step), rows, cols);
    Ok((step.symbols[i], l))
}

/// [`twin_launch`] of the backward twins.
pub fn backward_twin_launch(dtype: DType, rows: u32, cols: u32) -> Option<(usize, Launch)> {
    let b = BACKWARD_BASELINES.iter().find(|b| b.dtype == dtype)?;
    let step = BACKWARD_STEPS.by_id(b.of_step)?;
    Some(backward_grid_launch(BACKWARD_STEPS.grid(step), rows, cols))
}

fn backward_grid_launch(grid: &kb::Grid, rows: u32, cols: u32) -> (usize, Launch) {
    match *grid {
        kb::Grid::BlockPerRow { threads } => (0, Launch::linear(rows, threads)),
        kb::Grid::Registers {
            warp_threads,
            warp_max_cols,
            chunks,
        } => registers_launch(rows, cols, warp_threads, warp_max_cols, chunks),
    }
}

/// The forward tolerance for data of `dtype` in rows of `cols`: `ex2.approx` (≈ 2 ulp) and the
/// rounding of `(x − m)·log2 e` (|x − m| ≤ 8 for the random inputs: ≤ 5e-7 in the exponent)
/// give ≈ 1e-6 relative per element; the row sum's rounding error grows with its chains —
/// step 1's is one chain of `cols` additions, whose error is about `ε·√cols` relative for
/// random terms — so `rtol = 1e-5 + 4ε·√cols` (1.0e-4 at 32000 columns). The output is then
/// divided by the sum, so an error in the sum is an error of the same relative size in
/// every element. A bf16 output adds its rounding (two ulps, [`Tolerance::BF16`]). `atol`
/// only covers `ex2.approx.ftz`'s flush of results below 2⁻¹²⁶. A wrong maximum, a missing
/// element or an unnormalised row is off by far more.
pub fn softmax_tolerance(dtype: DType, cols: usize) -> Tolerance {
    let sum = 1e-5 + 4.0 * f32::EPSILON as f64 * (cols as f64).sqrt();
    Tolerance {
        atol: 1e-30,
        rtol: sum
            + match dtype {
                DType::F32 => 0.0,
                d => Tolerance::elementwise(d).rtol,
            },
    }
}

impl Ladder for Softmax {
    fn meta(&self) -> &'static LadderMeta {
        &META
    }
    fn op(&self) -> Option<&'static dyn Op> {
        Some(&SoftmaxOp)
    }
    fn table(&self) -> &'static dyn Steps {
        &STEPS
    }
    fn work(&self, shape: &Shape, dtype: DType) -> Work {
        let (rows, cols) = (shape.0[0] as f64, shape.0[1] as f64);
        Work {
            // max, subtract, scale, ex2, add, multiply: ~6 per element.
            flops: 6.0 * rows * cols,
            bytes: 2.0 * dtype.size() as f64 * rows * cols,
        }
    }
    fn baselines(&self) -> &'static [BaselineInfo] {
        BASELINES
    }
    fn awkward_shapes(&self) -> Vec<Shape> {
        awkward()
    }
    fn random_inputs(&self, shape: &Shape, seed: u64) -> Result<Vec<Vec<f32>>> {
        let n = super::n_u32(shape.numel(), self.name())? as usize;
        Ok(vec![inputs::uniform(n, seed, -4.0, 4.0)])
    }
    fn input_specs(&self, shape: &Shape) -> Vec<InputSpec> {
        vec![InputSpec {
            name: "x",
            shape: shape.0.clone(),
        }]
    }
    fn case(
        &self,
        gpu: &Gpu,
        shape: &Shape,
        dtype: DType,
        inputs: Vec<Vec<f32>>,
    ) -> Result<Box<dyn Case>> {
        let [x] = super::take_inputs::<1>(self, shape, inputs)?;
        crate::with_element!(dtype, T => Ok(Box::new(SoftmaxCase::<T>::new(gpu, shape, &x)?)))
    }
}

/// `y = softmax(x)` along rows on caller-owned memory: arguments `x`, `y` (`rows × cols`,
/// densely packed). The step's kernel for the shape as [`launch`] picks it (the register
/// steps: warp kernel up to their `warp_max_cols`, else a block per row); step 1's three
/// kernels need per-row temporaries and are not offered (a top step is never step 1).
pub struct SoftmaxOp;

impl Op for SoftmaxOp {
    fn name(&self) -> &'static str {
        "softmax"
    }
    fn ladder(&self) -> &'static dyn Ladder {
        &Softmax
    }
    fn args(&self) -> &'static [&'static str] {
        &["x", "y"]
    }
    fn unsupported_dims(&self, dims: &[usize]) -> Option<String> {
        ops::dims_u32(dims, 2)
    }
    fn preferred(&self) -> &'static [ops::Preferred] {
        PREFERRED
    }
    fn enqueue(&self, gpu: &Gpu, stream: u64, step: &StepInfo, call: &OpCall) -> Result<()> {
        ops::check_args(self, call, &[])?;
        let (rows, cols) = (call.dims[0] as u32, call.dims[1] as u32);
        let grid = STEPS.grid(step);
        if matches!(grid, Grid::ThreePass { .. }) {
            return Err(Error::Usage(format!(
                "softmax: {} needs per-row temporaries; the op launches one-kernel steps",
                step.handle()
            )));
        }
        let (i, l) = launch(grid, rows, cols);
        crate::with_element!(call.dtype, T => {
            let p = SoftmaxParams::<<T as Element>::Device> {
                x: GlobalPtr::from_addr(call.args[0]),
                y: GlobalPtrMut::from_addr(call.args[1]),
                rows,
                cols,
            };
            gpu.launch_on(stream, step.symbols[i], l, p)
        })
    }
    fn symbol_for(&self, _gpu: &Gpu, step: &StepInfo, call: &OpCall) -> &'static str {
        let grid = STEPS.grid(step);
        if matches!(grid, Grid::ThreePass { .. }) || call.dims.len() != 2 {
            return step.symbol;
        }
        step.symbols[launch(grid, call.dims[0] as u32, call.dims[1] as u32).0]
    }
}

/// `dx = y ⊙ (dy − Σ dy⊙y)` along rows on caller-owned memory: arguments `y`, `dy`, `dx`
/// (`rows × cols`, densely packed).
pub struct SoftmaxBackwardOp;

impl Op for SoftmaxBackwardOp {
    fn name(&self) -> &'static str {
        "softmax_backward"
    }
    fn ladder(&self) -> &'static dyn Ladder {
        &SoftmaxBackward
    }
    fn args(&self) -> &'static [&'static str] {
        &["y", "dy", "dx"]
    }
    fn unsupported_dims(&self, dims: &[usize]) -> Option<String> {
        ops::dims_u32(dims, 2)
    }
    fn enqueue(&self, gpu: &Gpu, stream: u64, step: &StepInfo, call: &OpCall) -> Result<()> {
        ops::check_args(self, call, &[])?;
        let (rows, cols) = (call.dims[0] as u32, call.dims[1] as u32);
        let (i, l) = backward_grid_launch(BACKWARD_STEPS.grid(step), rows, cols);
        crate::with_element!(call.dtype, T => {
            let p = SoftmaxBackwardParams::<<T as Element>::Device> {
                y: GlobalPtr::from_addr(call.args[0]),
                dy: GlobalPtr::from_addr(call.args[1]),
                dx: GlobalPtrMut::from_addr(call.args[2]),
                rows,
                cols,
            };
            gpu.launch_on(stream, step.symbols[i], l, p)
        })
    }
    fn symbol_for(&self, _gpu: &Gpu, step: &StepInfo, call: &OpCall) -> &'static str {
        if call.dims.len() != 2 {
            return step.symbol;
        }
        let grid = BACKWARD_STEPS.grid(step);
        step.symbols[backward_grid_launch(grid, call.dims[0] as u32, call.dims[1] as u32).0]
    }
}

/// The twin kernels (block and warp per row) of the top step of `dtype` in `source`.
fn twin_pair(module: &'static str, source: &'static str, dtype: DType) -> Option<[TwinKernel; 2]> {
    let (block, warp) = match (module, dtype) {
        ("softmax_twin", DType::F32) => ("softmax_twin_f32", "softmax_twin_f32_warp"),
        ("softmax_twin", DType::Bf16) => ("softmax_twin_bf16", "softmax_twin_bf16_warp"),
        ("softmax_backward_twin", DType::F32) => (
            "softmax_backward_twin_f32",
            "softmax_backward_twin_f32_warp",
        ),
        ("softmax_backward_twin", DType::Bf16) => (
            "softmax_backward_twin_bf16",
            "softmax_backward_twin_bf16_warp",
        ),
        _ => return None,
    };
    Some([
        TwinKernel::new(module, source, block),
        TwinKernel::new(module, source, warp),
    ])
}

/// What a case runs: a step, or the twin of one (with the step's own grid).
fn resolve<'a>(
    ladder: &str,
    table: fn(u32) -> Option<&'static StepInfo>,
    dtype: DType,
    target: Target<'a>,
) -> Result<(&'static StepInfo, bool)> {
    match target {
        Target::Step(s) if s.dtype == dtype => {
            Ok((table(s.id).expect("a step of the table"), false))
        }
        Target::Baseline(b) if b.dtype == dtype && b.kind == BaselineKind::CudaCppTwin => {
            Ok((table(b.of_step).expect("the twin's step"), true))
        }
        _ => Err(super::not_mine(ladder, target)),
    }
}

fn forward_step(id: u32) -> Option<&'static StepInfo> {
    STEPS.by_id(id)
}
fn backward_step(id: u32) -> Option<&'static StepInfo> {
    BACKWARD_STEPS.by_id(id)
}

struct SoftmaxCase<T: Element> {
    rows: u32,
    cols: u32,
    x: DeviceBuffer<T>,
    y: Checked<T>,
    max: DeviceBuffer<f32>,
    sum: DeviceBuffer<f32>,
    twins: Option<[TwinKernel; 2]>,
}

impl<T: Element> SoftmaxCase<T> {
    fn new(gpu: &Gpu, shape: &Shape, x: &[f32]) -> Result<Self> {
        let (rows, cols) = (shape.0[0], shape.0[1]);
        let x: Vec<T> = round_to(x);
        let reference = reference::softmax_rows(&to_f32(&x), cols);
        Ok(Self {
            rows: rows as u32,
            cols: cols as u32,
            x: DeviceBuffer::from_host(gpu, &x)?,
            y: Checked::new(
                gpu,
                reference,
                shape.clone(),
                softmax_tolerance(T::DTYPE, cols),
            )?,
            max: DeviceBuffer::zeros(gpu, rows)?,
            sum: DeviceBuffer::zeros(gpu, rows)?,
            twins: twin_pair("softmax_twin", TWIN_SRC, T::DTYPE),
        })
    }
}

impl<T: Element> Case for SoftmaxCase<T> {
    fn run(&mut self, gpu: &Gpu, target: Target<'_>) -> Result<()> {
        let (step, is_twin) = resolve("softmax", forward_step, T::DTYPE, target)?;
        let grid = STEPS.grid(step);
        if let Grid::ThreePass { threads } = *grid {
            // Step 1 (f32 only): max, sum, normalise.
            let p = SoftmaxThreePassParams {
                x: self.x.elems().cast(),
                y: self.y.output.elems_mut().cast(),
                max: self.max.elems_mut(),
                sum: self.sum.elems_mut(),
                rows: self.rows,
                cols: self.cols,
            };
            let per_row = Launch::cover(self.rows as usize, threads);
            gpu.launch(step.symbols[0], per_row, p)?;
            gpu.launch(step.symbols[1], per_row, p)?;
            let n = self.rows as usize * self.cols as usize;
            return gpu.launch(step.symbols[2], Launch::cover(n, threads), p);
        }
        let p = SoftmaxParams {
            x: self.x.elems(),
            y: self.y.output.elems_mut(),
            rows: self.rows,
            cols: self.cols,
        };
        let (i, l) = launch(grid, self.rows, self.cols);
        match (&mut self.twins, is_twin) {
            (_, false) => gpu.launch(step.symbols[i], l, p),
            (Some(t), true) => t[i].launch(gpu, l, p),
            (None, true) => Err(super::not_mine("softmax", target)),
        }
    }
    /// The output and step 1's temporaries.
    fn poison(&mut self, gpu: &Gpu) -> Result<()> {
        self.max.poison(gpu)?;
        self.sum.poison(gpu)?;
        self.y.poison(gpu)
    }
    fn check(&mut self, gpu: &Gpu) -> Result<Comparison> {
        self.y.check(gpu)
    }
    fn output(&mut self, gpu: &Gpu) -> Result<Output> {
        self.y.output(gpu)
    }
}

/// The backward tolerance for rows of `cols` whose `y` is at most `y_max`: the dot
/// `Σ dy·y` (|dy| ≤ 1, Σ y ≈ 1, so |dot| ≤ 1) is off by about `ε·√cols` (random rounding over
/// its chains), which reaches `dx` as `y·δ` — an absolute error of `y_max·4ε·√cols` — plus
/// a few roundings relative to `dx` (`rtol` 1e-5; bf16 output: two ulps more).
pub fn backward_tolerance(dtype: DType, cols: usize, y_max: f64) -> Tolerance {
    Tolerance {
        atol: y_max * 4.0 * f32::EPSILON as f64 * (cols as f64).sqrt() + 1e-30,
        rtol: 1e-5
            + match dtype {
                DType::F32 => 0.0,
                d => Tolerance::elementwise(d).rtol,
            },
    }
}

impl Ladder for SoftmaxBackward {
    fn meta(&self) -> &'static LadderMeta {
        &BACKWARD_META
    }
    fn op(&self) -> Option<&'static dyn Op> {
        Some(&SoftmaxBackwardOp)
    }
    fn table(&self) -> &'static dyn Steps {
        &BACKWARD_STEPS
    }
    fn work(&self, shape: &Shape, dtype: DType) -> Work {
        let (rows, cols) = (shape.0[0] as f64, shape.0[1] as f64);
        Work {
            // FMA for the dot, subtract and multiply: 4 per element.
            flops: 4.0 * rows * cols,
            bytes: 3.0 * dtype.size() as f64 * rows * cols,
        }
    }
    fn baselines(&self) -> &'static [BaselineInfo] {
        BACKWARD_BASELINES
    }
    fn awkward_shapes(&self) -> Vec<Shape> {
        awkward()
    }
    /// `y` a softmax of random rows (positive, each row summing to 1), `dy` uniform in
    /// [−1, 1].
    fn random_inputs(&self, shape: &Shape, seed: u64) -> Result<Vec<Vec<f32>>> {
        let n = super::n_u32(shape.numel(), self.name())? as usize;
        let x = inputs::uniform(n, seed, -4.0, 4.0);
        let y = reference::softmax_rows(&x, shape.0[1])
            .into_iter()
            .map(|v| v as f32)
            .collect();
        Ok(vec![y, inputs::uniform(n, seed ^ 1, -1.0, 1.0)])
    }
    fn input_specs(&self, shape: &Shape) -> Vec<InputSpec> {
        vec![
            InputSpec {
                name: "y",
                shape: shape.0.clone(),
            },
            InputSpec {
                name: "dy",
                shape: shape.0.clone(),
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
        let [y, dy] = super::take_inputs::<2>(self, shape, inputs)?;
        crate::with_element!(dtype, T => Ok(Box::new(BackwardCase::<T>::new(gpu, shape, &y, &dy)?)))
    }
}

struct BackwardCase<T: Element> {
    rows: u32,
    cols: u32,
    y: DeviceBuffer<T>,
    dy: DeviceBuffer<T>,
    dx: Checked<T>,
    twins: Option<[TwinKernel; 2]>,
}

impl<T: Element> BackwardCase<T> {
    fn new(gpu: &Gpu, shape: &Shape, y: &[f32], dy: &[f32]) -> Result<Self> {
        let (rows, cols) = (shape.0[0], shape.0[1]);
        let (y, dy): (Vec<T>, Vec<T>) = (round_to(y), round_to(dy));
        let (yf, dyf) = (to_f32(&y), to_f32(&dy));
        let y_max = yf.iter().fold(0.0f64, |m, &v| m.max(v.abs() as f64));
        let reference = reference::softmax_backward_rows(&yf, &dyf, cols);
        Ok(Self {
            rows: rows as u32,
            cols: cols as u32,
            y: DeviceBuffer::from_host(gpu, &y)?,
            dy: DeviceBuffer::from_host(gpu, &dy)?,
            dx: Checked::new(
                gpu,
                reference,
                shape.clone(),
                backward_tolerance(T::DTYPE, cols, y_max),
            )?,
            twins: twin_pair("softmax_backward_twin", BACKWARD_TWIN_SRC, T::DTYPE),
        })
    }
}

impl<T: Element> Case for BackwardCase<T> {
    fn run(&mut self, gpu: &Gpu, target: Target<'_>) -> Result<()> {
        let (step, is_twin) = resolve("softmax_backward", backward_step, T::DTYPE, target)?;
        let p = SoftmaxBackwardParams {
            y: self.y.elems(),
            dy: self.dy.elems(),
            dx: self.dx.output.elems_mut(),
            rows: self.rows,
            cols: self.cols,
        };
        let (i, l) = backward_grid_launch(BACKWARD_STEPS.grid(step), self.rows, self.cols);
        match (&mut self.twins, is_twin) {
            (_, false) => gpu.launch(step.symbols[i], l, p),
            (Some(t), true) => t[i].launch(gpu, l, p),
            (None, true) => Err(super::not_mine("softmax_backward", target)),
        }
    }
    fn poison(&mut self, gpu: &Gpu) -> Result<()> {
        self.dx.poison(gpu)
    }
    fn check(&mut self, gpu: &Gpu) -> Result<Comparison> {
        self.dx.check(gpu)
    }
    fn output(&mut self, gpu: &Gpu) -> Result<Output> {
        self.dx.output(gpu)
    }
}

/// Inputs that plant torch's special cases, each with what it is, its shape, the values and
/// which rows must come out all NaN: a NaN, a `+inf`, a `−inf` (a finite row with a 0 there),
/// a row of all `−inf` (NaN), a row that is `−inf` but for one element (exactly 1 there), a
/// row of `x + 1e4` (the same as `x`), one-element rows — on 1×1, N×1, a prime width (the
/// scalar paths), the register steps' warp and block paths (128, 4096, 32000 columns) and a
/// row longer than any block holds (1 × 100003).
pub fn special_value_cases(seed: u64) -> Vec<(String, Shape, Vec<f32>, Vec<bool>)> {
    let mut out = Vec::new();
    for (x, what) in [
        (f32::NAN, "NaN"),
        (f32::INFINITY, "+inf"),
        (f32::NEG_INFINITY, "-inf"),
        (0.5, "0.5"),
    ] {
        out.push((
            format!("1x1 [{what}]"),
            Shape::rows_cols(1, 1),
            vec![x],
            vec![!x.is_finite()],
        ));
    }
    for (rows, cols) in [
        (1000, 1),
        (9, 37),
        (9, 128),
        (9, 4096),
        (9, 32000),
        (1, 100_003),
    ] {
        let shape = Shape::rows_cols(rows, cols);
        let mut x = inputs::uniform(rows * cols, seed ^ (rows * cols) as u64, -4.0, 4.0);
        let mut nan_rows = vec![false; rows];
        let mut plant = |r: usize, f: &mut dyn FnMut(&mut [f32]) -> bool| {
            if r < rows {
                nan_rows[r] = f(&mut x[r * cols..(r + 1) * cols]);
            }
        };
        let last = cols - 1;
        plant(0, &mut |row| {
            row[cols / 2] = f32::NAN;
            true
        });
        plant(1, &mut |row| {
            row[last] = f32::INFINITY;
            true
        });
        plant(2, &mut |row| {
            row[0] = f32::NEG_INFINITY;
            cols == 1
        });
        plant(3, &mut |row| {
            row.fill(f32::NEG_INFINITY);
            true
        });
        plant(4, &mut |row| {
            row.fill(f32::NEG_INFINITY);
            row[last / 3] = 2.0;
            false
        });
        plant(5, &mut |row| {
            row.iter_mut().for_each(|v| *v += 1e4);
            false
        });
        if rows == 1 {
            // The one long row: a −inf and the offset together (no NaN).
            x = inputs::uniform(cols, seed ^ 7, -4.0, 4.0);
            x[7] = f32::NEG_INFINITY;
            x.iter_mut().for_each(|v| *v += 1e4);
            nan_rows[0] = false;
        }
        out.push((format!("{shape} with planted rows"), shape, x, nan_rows));
    }
    out
}

/// Every step of the softmax ladder (and, on a GPU, its twins) on [`special_value_cases`]:
/// each passes the comparison with the f64 reference (which matches NaN by NaN and ±inf by
/// itself), and exactly the rows that must be NaN are NaN throughout.
pub fn check_special_values(gpu: &Gpu, seed: u64) -> std::result::Result<(), String> {
    let twins = if gpu.is_emulated() {
        &[][..]
    } else {
        BASELINES
    };
    for (what, shape, x, nan_rows) in special_value_cases(seed) {
        let steps = Softmax.steps();
        let targets = steps
            .iter()
            .map(|s| Target::Step(s))
            .chain(twins.iter().map(Target::Baseline));
        for target in targets {
            let name = match target {
                Target::Step(s) => s.symbol.to_string(),
                Target::Baseline(b) => b.label("softmax"),
            };
            let mut case = Softmax
                .prepare_from(gpu, &shape, target.dtype(), vec![x.clone()])
                .map_err(|e| format!("{name} on {what}: {e}"))?;
            let c = crate::ladder::verify(case.as_mut(), gpu, target)
                .map_err(|e| format!("{name} on {what}: {e}"))?;
            if !c.passed() {
                return Err(format!("{name} on {what} (seed {seed}): {c}"));
            }
            let y = case.output(gpu).map_err(|e| e.to_string())?.values;
            let cols = shape.0[1];
            for (r, &want) in nan_rows.iter().enumerate() {
                let row = &y[r * cols..(r + 1) * cols];
                let all_nan = row.iter().all(|v| v.is_nan());
                let any_nan = row.iter().any(|v| v.is_nan());
                if all_nan != want || (!want && any_nan) {
                    return Err(format!(
                        "{name} on {what}: row {r} should {}be NaN; got {:?}…",
                        if want { "" } else { "not " },
                        &row[..row.len().min(4)]
                    ));
                }
            }
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The register steps' grid at the benchmark shapes: a warp per row up to 1024 columns
    /// (blocks of 256 = 8 rows), else one block per row of the fewest warps that hold it (128
    /// threads at 4096 columns, 1024 at 32000); what `forward_launch` and `backward_launch`
    /// hand a caller.
    #[test]
    fn the_top_steps_pick_warp_or_block_per_row_by_width() {
        let f = |d, r, c| forward_launch(d, r, c).unwrap();
        // 128 columns: 4 lanes a row, 8 rows a warp.
        assert_eq!(
            f(DType::F32, 32768, 128),
            ("softmax_s05_registers_warp", Launch::linear(512, 256))
        );
        assert_eq!(
            f(DType::F32, 4096, 1024),
            ("softmax_s05_registers_warp", Launch::linear(512, 256))
        );
        assert_eq!(
            f(DType::F32, 4096, 4096),
            ("softmax_s05_registers", Launch::linear(4096, 128))
        );
        assert_eq!(
            f(DType::Bf16, 8192, 32000),
            ("softmax_s08_bf16_packed_512", Launch::linear(8192, 512))
        );
        // bf16 by the measured rule (`PREFERRED`): step 6 up to 8192 columns (128 threads at
        // 4096, 4 lanes a row at 128), step 8 beyond (512 threads × 8 packed chunks).
        assert_eq!(
            f(DType::Bf16, 4096, 4096),
            ("softmax_s06_bf16_registers", Launch::linear(4096, 128))
        );
        assert_eq!(
            f(DType::Bf16, 32768, 128),
            ("softmax_s06_bf16_registers_warp", Launch::linear(512, 256))
        );
        assert_eq!(
            f(DType::Bf16, 4096, 8192).0,
            "softmax_s06_bf16_registers",
            "8192 columns: still step 6"
        );
        assert_eq!(
            f(DType::Bf16, 4096, 8200).0,
            "softmax_s08_bf16_packed_512",
            "past 8192 columns: step 8"
        );
        assert_eq!(f(DType::Bf16, 1, 100_003).1, Launch::linear(1, 512));
        // Past 32768 columns: the most threads, and the kernel's looped fallback.
        assert_eq!(f(DType::F32, 1, 100_003).1, Launch::linear(1, 1024));
        assert!(forward_launch(DType::F16, 1, 1).is_err());
        // Step 9 (no rule picks it): a block per 5 rows, `G = ⌈rows / 5⌉`, of the register
        // width capped at its launch bounds (896).
        let s9 = STEPS.grid(STEPS.by_id(9).unwrap());
        assert_eq!(launch(s9, 4096, 4096), (0, Launch::linear(820, 128)));
        assert_eq!(launch(s9, 8192, 32000), (0, Launch::linear(1639, 896)));
        assert_eq!(launch(s9, 32768, 128), (0, Launch::linear(6554, 64)));
        let b = |d, r, c| backward_launch(d, r, c).unwrap();
        // 128 columns at 2 chunks a lane: 8 lanes a row, 4 rows a warp.
        assert_eq!(
            b(DType::F32, 32768, 128),
            (
                "softmax_backward_s04_y_registers_warp",
                Launch::linear(1024, 256)
            )
        );
        assert_eq!(
            b(DType::F32, 4096, 4096),
            (
                "softmax_backward_s04_y_registers",
                Launch::linear(4096, 256)
            )
        );
        // 32000 columns: step 2's grid (1024 threads), y held at 4 chunks a thread.
        assert_eq!(
            b(DType::F32, 8192, 32000),
            (
                "softmax_backward_s04_y_registers",
                Launch::linear(8192, 1024)
            )
        );
        assert_eq!(
            b(DType::Bf16, 8192, 32000),
            (
                "softmax_backward_s03_bf16_registers",
                Launch::linear(8192, 1024)
            )
        );
        // The twins are of the top steps, with their element types.
        for b in BASELINES {
            assert_eq!(STEPS.by_id(b.of_step).unwrap().dtype, b.dtype);
        }
        for b in BACKWARD_BASELINES {
            assert_eq!(BACKWARD_STEPS.by_id(b.of_step).unwrap().dtype, b.dtype);
        }
        assert_eq!(STEPS.by_id(5).unwrap().dtype, DType::F32);
        assert_eq!(STEPS.by_id(6).unwrap().dtype, DType::Bf16);
        assert_eq!(BACKWARD_STEPS.by_id(3).unwrap().dtype, DType::Bf16);
    }
}
