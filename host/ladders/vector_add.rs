//! `c = a + b`.

use super::Checked;
use crate::element::{DType, round_to};
use crate::error::Result;
use crate::inputs;
use crate::ladder::{
    Case, Ceiling, InputSpec, Ladder, LadderMeta, Output, StepTable, Steps, Target, Work,
};
use crate::reference;
use crate::runtime::{DeviceBuffer, Gpu, Launch};
use crate::shape::Shape;
use crate::verify::{Comparison, Tolerance};
use kernels_gpu::BlockThreads;
use kernels_gpu::vector_add::{self as k, Grid, VectorAddParams};

/// The vector-add ladder (one step: the first kernel).
pub struct VectorAdd;

static STEPS: StepTable<Grid> = StepTable::new("vector_add", k::STEPS);

static META: LadderMeta = LadderMeta {
    name: "vector_add",
    description: "c = a + b",
    dims: 1,
    default_shape: &[1 << 24],
    bench_shapes: &[&[super::BENCH_N_256MIB]],
    ceiling: Ceiling::CopyGbps,
    chapter: "elementwise",
};

impl Ladder for VectorAdd {
    fn meta(&self) -> &'static LadderMeta {
        &META
    }
    fn table(&self) -> &'static dyn Steps {
        &STEPS
    }
    fn work(&self, shape: &Shape, dtype: DType) -> Work {
        let n = shape.numel() as f64;
        Work {
            flops: n,
            bytes: 3.0 * dtype.size() as f64 * n,
        }
    }
    fn random_inputs(&self, shape: &Shape, seed: u64) -> Result<Vec<Vec<f32>>> {
        let n = super::n_u32(shape.numel(), self.name())? as usize;
        Ok(vec![
            inputs::uniform(n, seed, -1.0, 1.0),
            inputs::uniform(n, seed ^ 1, -1.0, 1.0),
        ])
    }
    fn input_specs(&self, shape: &Shape) -> Vec<InputSpec> {
        let n = vec![shape.numel()];
        vec![
            InputSpec {
                name: "a",
                shape: n.clone(),
            },
            InputSpec {
                name: "b",
                shape: n,
            },
        ]
    }
    fn case(
        &self,
        gpu: &Gpu,
        shape: &Shape,
        _dtype: DType,
        inputs: Vec<Vec<f32>>,
    ) -> Result<Box<dyn Case>> {
        let [a, b] = super::take_inputs::<2>(self, shape, inputs)?;
        let (a, b): (Vec<f32>, Vec<f32>) = (round_to(&a), round_to(&b));
        let reference = reference::add(&a, &b);
        Ok(Box::new(VectorAddCase {
            n: super::n_u32(shape.numel(), self.name())?,
            a: DeviceBuffer::from_host(gpu, &a)?,
            b: DeviceBuffer::from_host(gpu, &b)?,
            c: Checked::new(gpu, reference, shape.clone(), Tolerance::F32)?,
        }))
    }
}

struct VectorAddCase {
    n: u32,
    a: DeviceBuffer<f32>,
    b: DeviceBuffer<f32>,
    c: Checked<f32>,
}

impl Case for VectorAddCase {
    fn run(&mut self, gpu: &Gpu, target: Target<'_>) -> Result<()> {
        let Target::Step(step) = target else {
            return Err(super::not_mine("vector_add", target));
        };
        let p = VectorAddParams {
            a: self.a.elems(),
            b: self.b.elems(),
            c: self.c.output.elems_mut(),
            n: self.n,
        };
        let launch = Launch::cover(self.n as usize, STEPS.grid(step).threads());
        gpu.launch(step.symbol, launch, p)
    }
    fn poison(&mut self, gpu: &Gpu) -> Result<()> {
        self.c.poison(gpu)
    }
    fn check(&mut self, gpu: &Gpu) -> Result<Comparison> {
        self.c.check(gpu)
    }
    fn output(&mut self, gpu: &Gpu) -> Result<Output> {
        self.c.output(gpu)
    }
}
