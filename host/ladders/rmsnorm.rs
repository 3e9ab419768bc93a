//! RMS normalisation over the last dimension, `rows × cols`: `y = x·rstd·γ` with
//! `rstd = 1/√(mean(x²) + eps)` as an extra output (f32), `eps = 1e-5`. Launches, tolerances
//! and awkward shapes are layernorm's.

use super::layernorm::{EPS, first_failed, launch, norm_awkward_shapes, y_tolerance};
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
use crate::runtime::{DeviceBuffer, Gpu};
use crate::shape::Shape;
use crate::verify::Comparison;
use kernels_gpu::rmsnorm::{self as k, Grid, RmsNormParams};
use kernels_gpu::{GlobalPtr, GlobalPtrMut};

/// The rmsnorm forward ladder.
pub struct RmsNorm;

static STEPS: StepTable<Grid> = StepTable::new("rmsnorm", k::STEPS);

/// The CUDA C++ twins of the f32 and bf16 steps (host/ladders/twins/layernorm.cu).
static BASELINES: &[BaselineInfo] = &[
    BaselineInfo {
        kind: BaselineKind::CudaCppTwin,
        of_step: 3,
        dtype: DType::F32,
        description: "CUDA C++ twin of rmsnorm/3 (NVRTC): layernorm/5's twin without the mean",
    },
    BaselineInfo {
        kind: BaselineKind::CudaCppTwin,
        of_step: 4,
        dtype: DType::Bf16,
        description: "CUDA C++ twin of rmsnorm/4 (NVRTC, __nv_bfloat16): layernorm/6's twin \
                      without the mean",
    },
];

static META: LadderMeta = LadderMeta {
    name: "rmsnorm",
    description: "y = x * rstd * gamma per row, rstd = 1/sqrt(mean(x^2) + eps) (f32), rows x cols",
    dims: 2,
    default_shape: &[4096, 4096],
    bench_shapes: super::softmax::BENCH_SHAPES,
    ceiling: Ceiling::CopyGbps,
    chapter: "layernorm",
};

/// Which rmsnorm step the op and [`launch_forward`] take, by element type and row length, from
/// the H200 runs (klab bench, µs; docs/results/h200-2026-12-01-d17062e-norm-softmax.json and
/// h200-2026-12-01-41cb9d6-fwd.json; the chapter's table "Which step for which shape").
/// rmsnorm/6 (sub-warp teams) up to 1024 columns; rmsnorm/5's block kernel takes the looped
/// fallback above 28672 columns: rmsnorm/4 there. f32: rmsnorm/7 (sub-warp teams up to 512
/// columns) up to 1024 columns, rmsnorm/3 beyond (h200-2026-12-01-35288c1-rmsnorm.json).
pub const PREFERRED: &[ops::Preferred] = &[
    ops::Preferred {
        dtype: DType::Bf16,
        max_cols: 1024,
        step: 6,
        evidence: "a38c0a8: 4096x1024 50.9% (6) / 46.6% (5) / 45.9% (4); \
                   32768x128 52.9% / 16.5% / 15.5%",
    },
    ops::Preferred {
        dtype: DType::Bf16,
        max_cols: 8192,
        step: 5,
        evidence: "41cb9d6: 32768x128 24.13 (5) / 25.79 (4) / 29.12 (2); \
                   4096x1024 8.51 / 8.61 / 9.41; 4096x4096 18.53 / 18.59 / 25.18",
    },
    ops::Preferred {
        dtype: DType::Bf16,
        max_cols: usize::MAX,
        step: 4,
        evidence: "d17062e: 8192x32000 91.4% (4) / 88.8% (2)",
    },
    ops::Preferred {
        dtype: DType::F32,
        max_cols: 1024,
        step: 7,
        evidence: "35288c1: 32768x128 70.5% (7) / 26.4% (3); 4096x1024 70.1% / 66.5%",
    },
    ops::Preferred {
        dtype: DType::F32,
        max_cols: usize::MAX,
        step: 3,
        evidence: "41cb9d6: 32768x128 29.79 (3) / 38.78 (1); 4096x1024 11.74 / 15.30; \
                   4096x4096 32.78 / 50.34; d17062e: 8192x32000 98.5% / 77.1%",
    },
];

/// The launch of rmsnorm's CUDA C++ twin of `dtype` over `rows × cols` (its step's grid).
pub fn twin_launch(dtype: DType, rows: usize, cols: usize) -> Option<crate::runtime::Launch> {
    super::layernorm::twin_launch_in(&STEPS, BASELINES, dtype, rows, cols)
}

/// Launches rmsnorm's top forward step of the element type `T` on a caller's device pointers.
pub fn launch_forward<T: Element>(gpu: &Gpu, p: RmsNormParams<T::Device>) -> Result<()> {
    super::layernorm::launch_preferred(gpu, &META, &STEPS, PREFERRED, T::DTYPE, (p.rows, p.cols), p)
}

/// `y = x·rstd·γ` per row on caller-owned memory: arguments `x` (`rows × cols`), `gamma`
/// (`cols`), `y` (`rows × cols`), `rstd` (`rows` f32); scalar `eps`. Forward only (no
/// rmsnorm backward kernel: the Python op's backward is a torch formula).
pub struct RmsNormOp;

impl Op for RmsNormOp {
    fn name(&self) -> &'static str {
        "rms_norm"
    }
    fn ladder(&self) -> &'static dyn Ladder {
        &RmsNorm
    }
    fn args(&self) -> &'static [&'static str] {
        &["x", "gamma", "y", "rstd"]
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
            let p = RmsNormParams::<<T as Element>::Device> {
                x: GlobalPtr::from_addr(call.args[0]),
                gamma: GlobalPtr::from_addr(call.args[1]),
                y: GlobalPtrMut::from_addr(call.args[2]),
                rstd: GlobalPtrMut::from_addr(call.args[3]),
                rows: rows as u32,
                cols: cols as u32,
                eps: call.scalars[0],
            };
            gpu.launch_on(stream, step.symbol, l, p)
        })
    }
}

impl Ladder for RmsNorm {
    fn meta(&self) -> &'static LadderMeta {
        &META
    }
    fn op(&self) -> Option<&'static dyn Op> {
        Some(&RmsNormOp)
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
            // x², then x·rstd·γ: ~4 per element.
            flops: 4.0 * rows * cols,
            bytes: e * (2.0 * rows * cols + cols) + 4.0 * rows,
        }
    }
    fn random_inputs(&self, shape: &Shape, seed: u64) -> Result<Vec<Vec<f32>>> {
        let n = super::n_u32(shape.numel(), self.name())? as usize;
        Ok(vec![
            inputs::uniform(n, seed, -1.0, 1.0),
            inputs::uniform(shape.0[1], seed ^ 1, 0.5, 1.5),
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
        ]
    }
    fn case(
        &self,
        gpu: &Gpu,
        shape: &Shape,
        dtype: DType,
        inputs: Vec<Vec<f32>>,
    ) -> Result<Box<dyn Case>> {
        let [x, gamma] = super::take_inputs::<2>(self, shape, inputs)?;
        crate::with_element!(dtype, T => Ok(Box::new(RmsNormCase::<T>::new(gpu, shape, &x, &gamma)?)))
    }
}

struct RmsNormCase<T: Element> {
    rows: usize,
    cols: usize,
    x: DeviceBuffer<T>,
    gamma: DeviceBuffer<T>,
    y: Checked<T>,
    rstd: Checked<f32>,
    twin: Option<TwinKernel>,
}

impl<T: Element> RmsNormCase<T> {
    fn new(gpu: &Gpu, shape: &Shape, x: &[f32], gamma: &[f32]) -> Result<Self> {
        let (rows, cols) = (shape.0[0], shape.0[1]);
        let (x, gamma): (Vec<T>, Vec<T>) = (round_to(x), round_to(gamma));
        let (xv, gv) = (to_f32(&x), to_f32(&gamma));
        let (y, mean, rstd) = reference::norm_rows(&xv, &gv, None, EPS as f64);
        let tol = y_tolerance(T::DTYPE, &xv, &gv, None, &mean, &rstd);
        let rtol = super::layernorm::rstd_tolerance(&xv, cols, &rstd);
        Ok(Self {
            rows,
            cols,
            x: DeviceBuffer::from_host(gpu, &x)?,
            gamma: DeviceBuffer::from_host(gpu, &gamma)?,
            y: Checked::new(gpu, y, shape.clone(), tol)?,
            rstd: Checked::new(gpu, rstd, Shape::n(rows), rtol)?,
            twin: match T::DTYPE {
                DType::F32 => Some(super::layernorm::twin_kernel("rmsnorm_twin")),
                DType::Bf16 => Some(super::layernorm::twin_kernel("rmsnorm_twin_bf16")),
                DType::F16 => None,
            },
        })
    }
}

impl<T: Element> Case for RmsNormCase<T> {
    fn run(&mut self, gpu: &Gpu, target: Target<'_>) -> Result<()> {
        let (step, is_twin) = super::layernorm::step_of(&STEPS, "rmsnorm", T::DTYPE, target)?;
        let p = RmsNormParams {
            x: self.x.elems(),
            gamma: self.gamma.elems(),
            y: self.y.output.elems_mut(),
            rstd: self.rstd.output.elems_mut(),
            rows: self.rows as u32,
            cols: self.cols as u32,
            eps: EPS,
        };
        let l = launch(STEPS.grid(step), self.rows, self.cols, T::DTYPE);
        match (&mut self.twin, is_twin) {
            (_, false) => gpu.launch(step.symbol, l, p),
            (Some(kernel), true) => kernel.launch(gpu, l, p),
            (None, true) => Err(super::not_mine("rmsnorm", target)),
        }
    }
    fn poison(&mut self, gpu: &Gpu) -> Result<()> {
        self.y.poison(gpu)?;
        self.rstd.poison(gpu)
    }
    fn check(&mut self, gpu: &Gpu) -> Result<Comparison> {
        Ok(first_failed(vec![
            self.y.check(gpu)?,
            self.rstd.check(gpu)?,
        ]))
    }
    fn output(&mut self, gpu: &Gpu) -> Result<Output> {
        self.y.output(gpu)
    }
}
