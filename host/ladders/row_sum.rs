//! `out[r] = Σ_c in[r][c]` for a `rows × cols` matrix; the sums are f32 whatever the input's
//! element type (the accumulation type).

use super::{Checked, TwinKernel};
use crate::element::{DType, Element, round_to, to_f32};
use crate::error::Result;
use crate::inputs;
use crate::ladder::{
    BaselineInfo, BaselineKind, Case, Ceiling, InputSpec, Ladder, LadderMeta, Output, StepTable,
    Steps, Target, Work,
};
use crate::reference;
use crate::runtime::{DeviceBuffer, Gpu, Launch};
use crate::shape::Shape;
use crate::verify::Comparison;
use kernels_gpu::row_sum::{self as k, Grid, RowSumParams};

/// The row-sum ladder.
pub struct RowSum;

static STEPS: StepTable<Grid> = StepTable::new("row_sum", k::STEPS);

/// The CUDA C++ twin of the bf16 step 4 (host/ladders/twins/row_sum_bf16.cu).
static BASELINES: &[BaselineInfo] = &[BaselineInfo {
    kind: BaselineKind::CudaCppTwin,
    of_step: 4,
    dtype: DType::Bf16,
    description: "CUDA C++ twin of row_sum/4 (NVRTC, __nv_bfloat16): one block of 256 per row, \
                  uint4 __ldg loads of 8 (four in flight), scalar head and tail, f32 sums",
}];
/// Source of the bf16 twin (it includes `cuda_bf16.h`: a module of its own).
const TWIN_BF16_SRC: &str = include_str!("twins/row_sum_bf16.cu");

/// The twin kernel for input of `dtype`, if the ladder has one (bf16 only).
fn twin(dtype: DType) -> Option<TwinKernel> {
    match dtype {
        DType::Bf16 => Some(TwinKernel::new(
            "row_sum_twin_bf16",
            TWIN_BF16_SRC,
            "row_sum_twin_bf16",
        )),
        DType::F32 | DType::F16 => None,
    }
}

static META: LadderMeta = LadderMeta {
    name: "row_sum",
    description: "out[r] = sum of row r (f32 sums), rows x cols",
    dims: 2,
    default_shape: &[8192, 8192],
    bench_shapes: &[&[8192, 8192]],
    ceiling: Ceiling::CopyGbps,
    chapter: "reduction",
};

/// The launch of a step with `grid` over `rows` rows.
fn launch(grid: &Grid, rows: u32) -> Launch {
    match *grid {
        Grid::ThreadPerRow { threads } => Launch::cover(rows as usize, threads),
        Grid::WarpPerRow { threads } => Launch::cover(rows as usize * 32, threads),
        Grid::BlockPerRow { threads } => Launch::linear(rows, threads),
    }
}

impl Ladder for RowSum {
    fn meta(&self) -> &'static LadderMeta {
        &META
    }
    fn table(&self) -> &'static dyn Steps {
        &STEPS
    }
    fn work(&self, shape: &Shape, dtype: DType) -> Work {
        let (rows, cols) = (shape.0[0] as f64, shape.0[1] as f64);
        Work {
            flops: rows * cols,
            bytes: dtype.size() as f64 * rows * cols + 4.0 * rows,
        }
    }
    fn baselines(&self) -> &'static [BaselineInfo] {
        BASELINES
    }
    fn random_inputs(&self, shape: &Shape, seed: u64) -> Result<Vec<Vec<f32>>> {
        let n = super::n_u32(shape.numel(), self.name())? as usize;
        Ok(vec![inputs::uniform(n, seed, -1.0, 1.0)])
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
        crate::with_element!(dtype, T => Ok(Box::new(RowSumCase::<T>::new(gpu, shape, &x)?)))
    }
}

struct RowSumCase<T: Element> {
    rows: u32,
    cols: u32,
    input: DeviceBuffer<T>,
    sums: Checked<f32>,
    twin: Option<TwinKernel>,
}

impl<T: Element> RowSumCase<T> {
    fn new(gpu: &Gpu, shape: &Shape, x: &[f32]) -> Result<Self> {
        let (rows, cols) = (shape.0[0], shape.0[1]);
        let x: Vec<T> = round_to(x);
        let values = to_f32(&x);
        let max_l2 = values
            .chunks(cols)
            .map(reference::l2_norm)
            .fold(0.0, f64::max);
        // Step 1 adds a whole row sequentially: chains of `cols`.
        let tolerance = super::reduce::sum_tolerance(cols, cols, max_l2);
        Ok(Self {
            rows: rows as u32,
            cols: cols as u32,
            input: DeviceBuffer::from_host(gpu, &x)?,
            sums: Checked::new(
                gpu,
                reference::row_sums(&values, cols),
                Shape::n(rows),
                tolerance,
            )?,
            twin: twin(T::DTYPE),
        })
    }
}

impl<T: Element> Case for RowSumCase<T> {
    fn run(&mut self, gpu: &Gpu, target: Target<'_>) -> Result<()> {
        let (step, is_twin) = match target {
            Target::Step(s) if s.dtype == T::DTYPE => (s, false),
            // The one twin is step 4's (bf16), so only a bf16 case runs it.
            Target::Baseline(b) if b.dtype == T::DTYPE && b.kind == BaselineKind::CudaCppTwin => {
                (STEPS.by_id(b.of_step).expect("the twin's step"), true)
            }
            _ => return Err(super::not_mine("row_sum", target)),
        };
        let p = RowSumParams {
            input: self.input.elems(),
            output: self.sums.output.elems_mut(),
            rows: self.rows,
            cols: self.cols,
        };
        // The twin is launched with its step's own grid.
        let l = launch(STEPS.grid(step), self.rows);
        match (&mut self.twin, is_twin) {
            (_, false) => gpu.launch(step.symbol, l, p),
            (Some(kernel), true) => kernel.launch(gpu, l, p),
            (None, true) => Err(super::not_mine("row_sum", target)),
        }
    }
    fn poison(&mut self, gpu: &Gpu) -> Result<()> {
        self.sums.poison(gpu)
    }
    fn check(&mut self, gpu: &Gpu) -> Result<Comparison> {
        self.sums.check(gpu)
    }
    fn output(&mut self, gpu: &Gpu) -> Result<Output> {
        self.sums.output(gpu)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The one twin is of the bf16 step 4, launched with the step's own grid (one block of 256
    /// per row); its kernel is in its own module, and neither it nor the step has launch
    /// bounds (the twin must not get a register budget the step does not have).
    #[test]
    fn the_twin_is_of_the_bf16_step_with_its_grid_and_no_launch_bounds() {
        let [b] = BASELINES else {
            panic!("row_sum has one twin")
        };
        assert_eq!(
            (b.kind, b.of_step, b.dtype),
            (BaselineKind::CudaCppTwin, 4, DType::Bf16)
        );
        let step = STEPS.by_id(b.of_step).expect("the twin's step");
        assert_eq!(step.symbol, k::row_sum_s04_bf16_block_per_row::SYMBOL);
        assert_eq!(step.dtype, DType::Bf16);
        assert!(matches!(
            STEPS.grid(step),
            Grid::BlockPerRow { threads: 256 }
        ));
        assert_eq!(b.label("row_sum"), "row_sum_cuda_cpp_twin_bf16");
        let kernel = twin(DType::Bf16).expect("the bf16 twin kernel");
        assert_eq!(kernel.symbol, "row_sum_twin_bf16");
        assert!(kernel.source.contains(" row_sum_twin_bf16(RowSumParams p)"));
        assert!(!kernel.source.contains("__launch_bounds__"));
        assert_eq!(k::row_sum_s04_bf16_block_per_row::LAUNCH_BOUNDS, None);
        assert_eq!(
            crate::ptx::launch_bounds(crate::ptx::PTX, step.symbol),
            None
        );
        assert!(twin(DType::F32).is_none() && twin(DType::F16).is_none());
    }
}
