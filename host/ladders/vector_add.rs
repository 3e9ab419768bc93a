//! `c = a + b`.

use super::CheckedOutput;
use crate::error::Result;
use crate::inputs;
use crate::registry::{
    Accepts, BlockSize, Case, Ceiling, InputSpec, Ladder, LadderMeta, StepInfo, Work,
};
use crate::runtime::{DeviceBuffer, Gpu, Launch};
use crate::shape::Shape;
use crate::verify::{Comparison, Tolerance};
use kernels_gpu::vector_add::{self as k, VectorAddParams};

/// The vector-add ladder (one step: the first kernel).
pub struct VectorAdd;

static STEPS: &[StepInfo] = &[StepInfo {
    ladder: "vector_add",
    id: 1,
    slug: "naive",
    symbol: k::vector_add_s01_naive::SYMBOL,
    symbols: &[k::vector_add_s01_naive::SYMBOL],
    technique: "one thread per element",
}];

const THREADS: u32 = 256;

static META: LadderMeta = LadderMeta {
    name: "vector_add",
    description: "c = a + b, f32",
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
    fn steps(&self) -> Vec<&'static StepInfo> {
        STEPS.iter().collect()
    }
    /// One bounds-checked thread per element: any block, launched with [`THREADS`].
    fn launch_block(&self, symbol: &str) -> Option<BlockSize> {
        STEPS
            .iter()
            .any(|s| s.symbols.contains(&symbol))
            .then_some(BlockSize {
                launch: THREADS,
                accepts: Accepts::Any,
            })
    }
    fn work(&self, shape: &Shape) -> Work {
        let n = shape.numel() as f64;
        Work {
            flops: n,
            bytes: 12.0 * n,
        }
    }
    fn prepare(&self, gpu: &Gpu, shape: &Shape, seed: u64) -> Result<Box<dyn Case>> {
        // Check the size before allocating host inputs for it.
        let n = super::n_u32(shape.numel(), self.name())? as usize;
        let a = inputs::uniform(n, seed, -1.0, 1.0);
        let b = inputs::uniform(n, seed ^ 1, -1.0, 1.0);
        self.prepare_from(gpu, shape, vec![a, b])
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
    fn prepare_from(
        &self,
        gpu: &Gpu,
        shape: &Shape,
        inputs: Vec<Vec<f32>>,
    ) -> Result<Box<dyn Case>> {
        let [a, b] = super::take_inputs::<2>(self, shape, inputs)?;
        let n = shape.numel();
        let reference = a
            .iter()
            .zip(&b)
            .map(|(&x, &y)| x as f64 + y as f64)
            .collect();
        Ok(Box::new(VectorAddCase {
            n: super::n_u32(n, "vector_add")?,
            shape: shape.clone(),
            a: DeviceBuffer::from_host(gpu, &a)?,
            b: DeviceBuffer::from_host(gpu, &b)?,
            c: DeviceBuffer::zeros(gpu, n)?,
            reference,
        }))
    }
}

struct VectorAddCase {
    n: u32,
    shape: Shape,
    a: DeviceBuffer<f32>,
    b: DeviceBuffer<f32>,
    c: DeviceBuffer<f32>,
    reference: Vec<f64>,
}

impl VectorAddCase {
    fn checked(&mut self) -> CheckedOutput<'_> {
        CheckedOutput {
            output: &mut self.c,
            reference: &self.reference,
            shape: self.shape.clone(),
            tolerance: Tolerance::F32,
        }
    }
}

impl Case for VectorAddCase {
    fn run(&mut self, gpu: &Gpu, step: &StepInfo) -> Result<()> {
        let p = VectorAddParams {
            a: self.a.ptr(),
            b: self.b.ptr(),
            c: self.c.ptr_mut(),
            n: self.n,
        };
        gpu.launch(step.symbol, Launch::cover(self.n as usize, THREADS), p)
    }
    fn verify(&mut self, gpu: &Gpu, step: &StepInfo) -> Result<Comparison> {
        super::verify_output(gpu, self, Self::checked, |c| c.run(gpu, step))
    }
    fn output(&mut self, gpu: &Gpu) -> Result<(Vec<usize>, Vec<f32>)> {
        Ok((self.shape.0.clone(), self.c.to_host(gpu)?))
    }
}
