//! `out[r] = Σ_c in[r][c]` for a `rows × cols` matrix; the sums are f32 whatever the input's
//! element type (the accumulation type).

use super::Checked;
use crate::element::{DType, Element, round_to, to_f32};
use crate::error::Result;
use crate::inputs;
use crate::ladder::{
    Case, Ceiling, InputSpec, Ladder, LadderMeta, Output, StepTable, Steps, Target, Work,
};
use crate::reference;
use crate::runtime::{DeviceBuffer, Gpu, Launch};
use crate::shape::Shape;
use crate::verify::Comparison;
use kernels_gpu::row_sum::{self as k, Grid, RowSumParams};

/// The row-sum ladder.
pub struct RowSum;

static STEPS: StepTable<Grid> = StepTable::new("row_sum", k::STEPS);

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
        })
    }
}

impl<T: Element> Case for RowSumCase<T> {
    fn run(&mut self, gpu: &Gpu, target: Target<'_>) -> Result<()> {
        let Target::Step(step) = target else {
            return Err(super::not_mine("row_sum", target));
        };
        if step.dtype != T::DTYPE {
            return Err(super::not_mine("row_sum", target));
        }
        let p = RowSumParams {
            input: self.input.elems(),
            output: self.sums.output.elems_mut(),
            rows: self.rows,
            cols: self.cols,
        };
        gpu.launch(step.symbol, launch(STEPS.grid(step), self.rows), p)
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
