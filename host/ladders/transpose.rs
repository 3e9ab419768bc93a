//! `out = inᵀ` for a `rows × cols` matrix: exact comparison.

use super::{Checked, TwinKernel};
use crate::element::{DType, Element, round_to, to_f32};
use crate::error::Result;
use crate::inputs;
use crate::ladder::{
    BaselineInfo, BaselineKind, BlockSize, Case, Ceiling, InputSpec, Ladder, LadderMeta, Output,
    StepInfo, StepTable, Target, Work,
};
use crate::reference;
use crate::runtime::{DeviceBuffer, Gpu, Launch};
use crate::shape::Shape;
use crate::verify::{Comparison, Tolerance};
use kernels_gpu::transpose::{self as k, Grid, TransposeParams};

/// The transpose ladder.
pub struct Transpose;

static STEPS: StepTable<Grid> = StepTable::new("transpose", k::STEPS);

/// The CUDA C++ twin of step 5, the top step (host/ladders/twins/transpose.cu).
static BASELINES: &[BaselineInfo] = &[BaselineInfo {
    kind: BaselineKind::CudaCppTwin,
    of_step: 5,
    dtype: DType::F32,
    description: "CUDA C++ twin of transpose/5 (NVRTC): 64x65 shared tile, float4 loads/stores",
}];
const TWIN_SRC: &str = include_str!("twins/transpose.cu");

/// The 1-D grid of tiles of `grid` for a `rows × cols` input.
fn launch(grid: &Grid, rows: u32, cols: u32) -> Launch {
    let (tile, block) = (grid.tile, grid.block);
    let tiles = cols.div_ceil(tile.0) as u64 * rows.div_ceil(tile.1) as u64;
    Launch::grid_2d((tiles as u32, 1), block)
}

static META: LadderMeta = LadderMeta {
    name: "transpose",
    description: "out = in^T, rows x cols",
    dims: 2,
    default_shape: &[8192, 8192],
    bench_shapes: &[&[8192, 8192]],
    ceiling: Ceiling::CopyGbps,
    chapter: "transpose",
};

impl Ladder for Transpose {
    fn meta(&self) -> &'static LadderMeta {
        &META
    }
    fn steps(&self) -> Vec<&'static StepInfo> {
        STEPS.steps()
    }
    fn launch_block(&self, symbol: &str) -> Option<BlockSize> {
        let s = STEPS.step_of_symbol(symbol)?;
        Some(super::block_size(s, s.grid.block.0 * s.grid.block.1))
    }
    fn work(&self, shape: &Shape, dtype: DType) -> Work {
        Work {
            flops: 0.0,
            bytes: 2.0 * dtype.size() as f64 * shape.numel() as f64,
        }
    }
    fn baselines(&self) -> &'static [BaselineInfo] {
        BASELINES
    }
    fn random_inputs(&self, shape: &Shape, seed: u64) -> Result<Vec<Vec<f32>>> {
        // The kernels index with u32 dimensions; the element count must fit too.
        let n = super::n_u32(shape.numel(), self.name())? as usize;
        Ok(vec![inputs::uniform(n, seed, -1.0, 1.0)])
    }
    fn input_specs(&self, shape: &Shape) -> Vec<InputSpec> {
        vec![InputSpec {
            name: "x",
            shape: shape.0.clone(),
        }]
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
        let [x] = super::take_inputs::<1>(self, shape, inputs)?;
        crate::with_element!(dtype, T => Ok(Box::new(TransposeCase::<T>::new(gpu, shape, &x)?)))
    }
}

struct TransposeCase<T: Element> {
    rows: u32,
    cols: u32,
    input: DeviceBuffer<T>,
    out: Checked<T>,
    twin: TwinKernel,
}

impl<T: Element> TransposeCase<T> {
    fn new(gpu: &Gpu, shape: &Shape, x: &[f32]) -> Result<Self> {
        let (rows, cols) = (shape.0[0], shape.0[1]);
        let x: Vec<T> = round_to(x);
        let reference = reference::transpose(&to_f32(&x), rows, cols);
        Ok(Self {
            rows: rows as u32,
            cols: cols as u32,
            input: DeviceBuffer::from_host(gpu, &x)?,
            out: Checked::new(
                gpu,
                reference,
                Shape::rows_cols(cols, rows),
                Tolerance::EXACT,
            )?,
            twin: TwinKernel::new("transpose_twin", TWIN_SRC, "transpose_twin"),
        })
    }
}

impl<T: Element> Case for TransposeCase<T> {
    fn run(&mut self, gpu: &Gpu, target: Target<'_>) -> Result<()> {
        let p = TransposeParams {
            input: self.input.elems(),
            output: self.out.output.elems_mut(),
            rows: self.rows,
            cols: self.cols,
        };
        let (rows, cols) = (self.rows, self.cols);
        match target {
            Target::Step(step) if step.dtype == T::DTYPE => {
                gpu.launch(step.symbol, launch(STEPS.grid(step), rows, cols), p)
            }
            Target::Baseline(b) if b.dtype == T::DTYPE && b.kind == BaselineKind::CudaCppTwin => {
                let step = STEPS.by_id(b.of_step).expect("the twin's step");
                self.twin
                    .launch(gpu, launch(STEPS.grid(step), rows, cols), p)
            }
            _ => Err(super::not_mine("transpose", target)),
        }
    }
    fn poison(&mut self, gpu: &Gpu) -> Result<()> {
        self.out.poison(gpu)
    }
    fn check(&mut self, gpu: &Gpu) -> Result<Comparison> {
        self.out.check(gpu)
    }
    fn output(&mut self, gpu: &Gpu) -> Result<Output> {
        self.out.output(gpu)
    }
}
