//! `y = gelu(x + bias[col])` over a `rows × cols` matrix (tanh-approximated GELU, f32 math).

use super::Checked;
use crate::element::{DType, Element, round_to, to_f32};
use crate::error::Result;
use crate::inputs;
use crate::ladder::{
    BlockSize, Case, Ceiling, InputSpec, Ladder, LadderMeta, Output, StepInfo, StepTable, Target,
    Work,
};
use crate::reference;
use crate::runtime::{DeviceBuffer, Gpu, Launch};
use crate::shape::Shape;
use crate::verify::{Comparison, Tolerance};
use kernels_gpu::bias_gelu::{self as k, BiasGeluParams, Grid};

/// The bias + GELU fusion ladder.
pub struct BiasGelu;

static STEPS: StepTable<Grid> = StepTable::new("bias_gelu", k::STEPS);

/// `tanh.approx.f32` has a relative error of about 2⁻¹¹ (|tanh| ≤ 1, so ≤ 4.9e-4 absolute);
/// `0.5·v·tanh` scales it by `|v|/2` ≤ 2.5 for our inputs (`|x + bias| < 5`): ≤ 1.2e-3, plus
/// f32 rounding. atol 2e-3 keeps a margin and still catches a wrong bias column or a missing
/// term (those are ≥ 0.1 off for most elements). A half-precision output adds its rounding
/// ([`Tolerance::elementwise`]'s relative term).
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

/// Threads per block of a launch.
fn threads(grid: &Grid) -> u32 {
    match *grid {
        Grid::TwoKernels { threads }
        | Grid::OnePerElement { threads }
        | Grid::Stride { threads, .. } => threads,
    }
}

impl Ladder for BiasGelu {
    fn meta(&self) -> &'static LadderMeta {
        &META
    }
    fn steps(&self) -> Vec<&'static StepInfo> {
        STEPS.steps()
    }
    fn launch_block(&self, symbol: &str) -> Option<BlockSize> {
        let s = STEPS.step_of_symbol(symbol)?;
        Some(super::block_size(s, threads(&s.grid)))
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
    fn prepare_from(
        &self,
        gpu: &Gpu,
        shape: &Shape,
        dtype: DType,
        inputs: Vec<Vec<f32>>,
    ) -> Result<Box<dyn Case>> {
        if !self.dtypes().contains(&dtype) {
            return Err(super::no_steps_of(self, dtype));
        }
        let [x, bias] = super::take_inputs::<2>(self, shape, inputs)?;
        crate::with_element!(dtype, T => Ok(Box::new(BiasGeluCase::<T>::new(gpu, shape, &x, &bias)?)))
    }
}

struct BiasGeluCase<T: Element> {
    rows: u32,
    cols: u32,
    x: DeviceBuffer<T>,
    bias: DeviceBuffer<T>,
    tmp: DeviceBuffer<T>,
    y: Checked<T>,
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
        })
    }
}

impl<T: Element> Case for BiasGeluCase<T> {
    fn run(&mut self, gpu: &Gpu, target: Target<'_>) -> Result<()> {
        let step = match target {
            Target::Step(s) if s.dtype == T::DTYPE => s,
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
        match *STEPS.grid(step) {
            Grid::TwoKernels { threads } => {
                let l = Launch::cover(n, threads);
                gpu.launch(step.symbols[0], l, p)?;
                gpu.launch(step.symbols[1], l, p)
            }
            Grid::OnePerElement { threads } => {
                gpu.launch(step.symbol, Launch::cover(n, threads), p)
            }
            Grid::Stride {
                threads,
                blocks_per_sm,
                per_thread,
            } => {
                let units = n.div_ceil(per_thread as usize);
                let l = Launch::grid_stride(units, threads, blocks_per_sm, gpu.info().sm_count);
                gpu.launch(step.symbol, l, p)
            }
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
