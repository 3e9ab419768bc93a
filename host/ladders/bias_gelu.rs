//! `y = gelu(x + bias[col])` over a `rows × cols` matrix (tanh-approximated GELU, f32 math).

use super::{Checked, TwinKernel};
use crate::element::{DType, Element, round_to, to_f32};
use crate::error::Result;
use crate::inputs;
use crate::ladder::{
    BaselineInfo, BaselineKind, Case, Ceiling, InputSpec, Ladder, LadderMeta, Output, StepInfo,
    StepTable, Steps, Target, Work,
};
use crate::ops::{self, Init, Op, OpCall, Workspace};
use crate::reference;
use crate::runtime::{DeviceBuffer, Gpu, Launch};
use crate::shape::Shape;
use crate::verify::{Comparison, Tolerance};
use kernels_gpu::bias_gelu::{self as k, BiasGeluParams, Grid};
use kernels_gpu::{GlobalPtr, GlobalPtrMut};

/// The bias + GELU fusion ladder.
pub struct BiasGelu;

static STEPS: StepTable<Grid> = StepTable::new("bias_gelu", k::STEPS);

/// The CUDA C++ twin of step 4 (host/ladders/twins/bias_gelu.cu).
static BASELINES: &[BaselineInfo] = &[BaselineInfo {
    kind: BaselineKind::CudaCppTwin,
    of_step: 4,
    dtype: DType::Bf16,
    description: "CUDA C++ twin of bias_gelu/4 (NVRTC, __nv_bfloat16): 8-half uint4 grid-stride \
                  loop, f32 math with tanh.approx.f32, scalar head and tail",
}];
const TWIN_SRC: &str = include_str!("twins/bias_gelu.cu");

/// `tanh.approx.f32` has a relative error of about 2⁻¹¹ (|tanh| ≤ 1, so ≤ 4.9e-4 absolute);
/// `0.5·v·tanh` scales it by `|v|/2` ≤ 2.5 for our inputs (`|x + bias| < 5`): ≤ 1.2e-3, plus
/// f32 rounding. atol 2e-3 keeps a margin and still catches a wrong bias column or a missing
/// term (those are ≥ 0.1 off for most elements). A half-precision output adds its rounding
/// ([`Tolerance::elementwise`]'s relative term): for bf16 the f32 result `g'` (within 1.2e-3
/// of the reference `g`, which is computed from the bf16-rounded `x` and `bias`) is rounded
/// once to nearest, off by ≤ 2⁻⁹·|g'| ≤ 2.0e-3·|g| + 2.4e-6, so the error is
/// ≤ 1.2e-3 + 2.0e-3·|g| against the allowed 2e-3 + 9e-3·|g| (bf16's rtol 8e-3 keeps two
/// ulps of headroom); a wrong column or term is still ≥ 0.1 off.
pub fn gelu_tolerance(dtype: DType) -> Tolerance {
    Tolerance {
        atol: 2e-3,
        rtol: 1e-3 + Tolerance::elementwise(dtype).rtol,
    }
}

static META: LadderMeta = LadderMeta {
    name: "bias_gelu",
    description: "y = gelu_tanh(x + bias[col]), rows x cols",
    dims: 2,
    default_shape: &[8192, 8192],
    bench_shapes: &[&[8192, 8192]],
    ceiling: Ceiling::CopyGbps,
    chapter: "elementwise",
};

/// The launch of a step with `grid` over `n` elements on `gpu` (for both kernels of a
/// two-kernel step).
fn launch(grid: &Grid, n: usize, gpu: &Gpu) -> Launch {
    match *grid {
        Grid::TwoKernels { threads } | Grid::OnePerElement { threads } => Launch::cover(n, threads),
        Grid::Stride {
            threads,
            blocks_per_sm,
            per_thread,
        } => Launch::grid_stride(
            n.div_ceil(per_thread as usize),
            threads,
            blocks_per_sm,
            gpu.info().sm_count,
        ),
    }
}

impl Ladder for BiasGelu {
    fn meta(&self) -> &'static LadderMeta {
        &META
    }
    fn table(&self) -> &'static dyn Steps {
        &STEPS
    }
    fn work(&self, shape: &Shape, dtype: DType) -> Work {
        let (rows, cols) = (shape.0[0] as f64, shape.0[1] as f64);
        let e = dtype.size() as f64;
        Work {
            // add, v², two FMAs, mul, tanh, half, FMA: ~8 per element.
            flops: 8.0 * rows * cols,
            bytes: 2.0 * e * rows * cols + e * cols,
        }
    }
    fn baselines(&self) -> &'static [BaselineInfo] {
        BASELINES
    }
    fn random_inputs(&self, shape: &Shape, seed: u64) -> Result<Vec<Vec<f32>>> {
        let n = super::n_u32(shape.numel(), self.name())? as usize;
        Ok(vec![
            inputs::uniform(n, seed, -3.0, 3.0),
            inputs::uniform(shape.0[1], seed ^ 1, -1.0, 1.0),
        ])
    }
    fn input_specs(&self, shape: &Shape) -> Vec<InputSpec> {
        vec![
            InputSpec {
                name: "x",
                shape: shape.0.clone(),
            },
            InputSpec {
                name: "bias",
                shape: vec![shape.0[1]],
            },
        ]
    }
    fn op(&self) -> Option<&'static dyn Op> {
        Some(&BiasGeluOp)
    }
    fn case(
        &self,
        gpu: &Gpu,
        shape: &Shape,
        dtype: DType,
        inputs: Vec<Vec<f32>>,
    ) -> Result<Box<dyn Case>> {
        let [x, bias] = super::take_inputs::<2>(self, shape, inputs)?;
        crate::with_element!(dtype, T => Ok(Box::new(BiasGeluCase::<T>::new(gpu, shape, &x, &bias)?)))
    }
}

/// `y = gelu_tanh(x + bias[col])` on caller-owned memory: arguments `x` (`rows × cols`),
/// `bias` (`cols`), `y` (`rows × cols`), and `tmp` (`rows × cols`, for a two-kernel step only;
/// else not read, and may be 0).
pub struct BiasGeluOp;

impl Op for BiasGeluOp {
    fn name(&self) -> &'static str {
        "bias_gelu"
    }
    fn ladder(&self) -> &'static dyn Ladder {
        &BiasGelu
    }
    fn args(&self) -> &'static [&'static str] {
        &["x", "bias", "y", "tmp"]
    }
    fn unsupported_dims(&self, dims: &[usize]) -> Option<String> {
        ops::dims_u32(dims, 2)
    }
    fn workspace(&self, _gpu: &Gpu, step: &StepInfo, call: &OpCall) -> Result<Vec<Workspace>> {
        Ok(match STEPS.grid(step) {
            Grid::TwoKernels { .. } => vec![Workspace {
                name: "tmp",
                bytes: call.dims.iter().product::<usize>() * call.dtype.size(),
                init: Init::Uninit,
            }],
            Grid::OnePerElement { .. } | Grid::Stride { .. } => Vec::new(),
        })
    }
    fn enqueue(&self, gpu: &Gpu, stream: u64, step: &StepInfo, call: &OpCall) -> Result<()> {
        let grid = STEPS.grid(step);
        let two = matches!(grid, Grid::TwoKernels { .. });
        ops::check_args(self, call, if two { &[] } else { &["tmp"] })?;
        let (rows, cols) = (call.dims[0], call.dims[1]);
        let l = launch(grid, rows * cols, gpu);
        crate::with_element!(call.dtype, T => {
            let p = BiasGeluParams::<<T as Element>::Device> {
                x: GlobalPtr::from_addr(call.args[0]),
                bias: GlobalPtr::from_addr(call.args[1]),
                y: GlobalPtrMut::from_addr(call.args[2]),
                tmp: GlobalPtrMut::from_addr(call.args[3]),
                rows: rows as u32,
                cols: cols as u32,
            };
            for symbol in if two { step.symbols } else { &step.symbols[..1] } {
                gpu.launch_on(stream, symbol, l, p)?;
            }
            Ok(())
        })
    }
}

struct BiasGeluCase<T: Element> {
    rows: u32,
    cols: u32,
    x: DeviceBuffer<T>,
    bias: DeviceBuffer<T>,
    tmp: DeviceBuffer<T>,
    y: Checked<T>,
    twin: TwinKernel,
}

impl<T: Element> BiasGeluCase<T> {
    fn new(gpu: &Gpu, shape: &Shape, x: &[f32], bias: &[f32]) -> Result<Self> {
        let (x, bias): (Vec<T>, Vec<T>) = (round_to(x), round_to(bias));
        let reference = reference::bias_gelu(&to_f32(&x), &to_f32(&bias));
        Ok(Self {
            rows: shape.0[0] as u32,
            cols: shape.0[1] as u32,
            tmp: DeviceBuffer::zeros(gpu, x.len())?,
            x: DeviceBuffer::from_host(gpu, &x)?,
            bias: DeviceBuffer::from_host(gpu, &bias)?,
            y: Checked::new(gpu, reference, shape.clone(), gelu_tolerance(T::DTYPE))?,
            twin: TwinKernel::new("bias_gelu_twin_bf16", TWIN_SRC, "bias_gelu_twin_bf16"),
        })
    }
}

impl<T: Element> Case for BiasGeluCase<T> {
    /// New x and bias; `y` and `tmp` keep what the last run left.
    fn refill(&mut self, gpu: &Gpu, inputs: Vec<Vec<f32>>) -> Result<()> {
        let (rows, cols) = (self.rows as usize, self.cols as usize);
        let [x, bias] = crate::ladder::refill_inputs(inputs, [rows * cols, cols])?;
        let fresh = Self::new(gpu, &Shape::rows_cols(rows, cols), &x, &bias)?;
        self.x.copy_from(gpu, &fresh.x)?;
        self.bias.copy_from(gpu, &fresh.bias)?;
        self.y.reference = fresh.y.reference;
        Ok(())
    }
    fn run(&mut self, gpu: &Gpu, target: Target<'_>) -> Result<()> {
        let (step, twin) = match target {
            Target::Step(s) if s.dtype == T::DTYPE => (s, false),
            // The one twin is step 4's (bf16), so only a bf16 case runs it.
            Target::Baseline(b) if b.dtype == T::DTYPE && b.kind == BaselineKind::CudaCppTwin => {
                (STEPS.by_id(b.of_step).expect("the twin's step"), true)
            }
            _ => return Err(super::not_mine("bias_gelu", target)),
        };
        let p = BiasGeluParams {
            x: self.x.elems(),
            bias: self.bias.elems(),
            tmp: self.tmp.elems_mut(),
            y: self.y.output.elems_mut(),
            rows: self.rows,
            cols: self.cols,
        };
        let n = self.rows as usize * self.cols as usize;
        let grid = STEPS.grid(step);
        let l = launch(grid, n, gpu);
        match grid {
            _ if twin => self.twin.launch(gpu, l, p),
            Grid::TwoKernels { .. } => {
                gpu.launch(step.symbols[0], l, p)?;
                gpu.launch(step.symbols[1], l, p)
            }
            Grid::OnePerElement { .. } | Grid::Stride { .. } => gpu.launch(step.symbol, l, p),
        }
    }
    /// The output and step 1's temporary, so a bias kernel that skips elements fails too.
    fn poison(&mut self, gpu: &Gpu) -> Result<()> {
        self.tmp.poison(gpu)?;
        self.y.poison(gpu)
    }
    fn check(&mut self, gpu: &Gpu) -> Result<Comparison> {
        self.y.check(gpu)
    }
    fn output(&mut self, gpu: &Gpu) -> Result<Output> {
        self.y.output(gpu)
    }
}
