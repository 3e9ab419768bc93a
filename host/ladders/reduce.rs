//! Reductions of f32 to one value: sum and max, one ladder each, sharing the step table.

use crate::error::Result;
use crate::inputs;
use crate::registry::{Case, Ceiling, InputSpec, Ladder, StepInfo, Work};
use crate::runtime::{DeviceBuffer, Gpu, Launch};
use crate::shape::Shape;
use crate::verify::{Comparison, Tolerance, compare};
use kernels_gpu::reduce::{self as k, ReduceParams};
use kernels_gpu::{GlobalPtr, GlobalPtrMut};

/// How a step covers the input.
#[derive(Debug, Clone, Copy)]
pub enum Mode {
    /// Each block reduces `threads * per_thread` consecutive elements to one partial; the host
    /// launches again on the partials until one value is left.
    Tree { threads: u32, per_thread: u32 },
}

/// One step of a reduction ladder: what the registry shows, and how it launches.
pub struct ReduceStep {
    pub info: StepInfo,
    pub mode: Mode,
}

/// Which reduction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Sum,
    Max,
}

/// A reduction ladder (`reduce_sum` or `reduce_max`).
pub struct ReduceLadder {
    op: Op,
    steps: &'static [ReduceStep],
}

macro_rules! reduce_step {
    ($ladder:literal, $id:literal, $slug:literal, $sym:ident, $tech:literal, $mode:expr) => {
        ReduceStep {
            info: StepInfo {
                ladder: $ladder,
                id: $id,
                slug: $slug,
                symbol: k::$sym::SYMBOL,
                symbols: &[k::$sym::SYMBOL],
                technique: $tech,
            },
            mode: $mode,
        }
    };
}

static SUM_STEPS: &[ReduceStep] = &[reduce_step!(
    "reduce_sum",
    5,
    "warp_shuffle",
    reduce_sum_s05_warp_shuffle,
    "add during load, shared tree to 64, last warp with shuffles",
    Mode::Tree {
        threads: 256,
        per_thread: 2
    }
)];

static MAX_STEPS: &[ReduceStep] = &[reduce_step!(
    "reduce_max",
    5,
    "warp_shuffle",
    reduce_max_s05_warp_shuffle,
    "max during load, shared tree to 64, last warp with shuffles",
    Mode::Tree {
        threads: 256,
        per_thread: 2
    }
)];

/// The sum ladder.
pub static REDUCE_SUM: ReduceLadder = ReduceLadder {
    op: Op::Sum,
    steps: SUM_STEPS,
};
/// The max ladder.
pub static REDUCE_MAX: ReduceLadder = ReduceLadder {
    op: Op::Max,
    steps: MAX_STEPS,
};

impl ReduceLadder {
    /// A case over the given values (tests use exactly summable integers).
    pub fn prepare_values(&self, gpu: &Gpu, values: &[f32]) -> Result<ReduceCase> {
        let n = values.len();
        let reference = match self.op {
            Op::Sum => values.iter().map(|&v| v as f64).sum(),
            Op::Max => values
                .iter()
                .fold(f64::NEG_INFINITY, |m, &v| m.max(v as f64)),
        };
        let l2 = values
            .iter()
            .map(|&v| (v as f64) * (v as f64))
            .sum::<f64>()
            .sqrt();
        let tolerance = match self.op {
            Op::Sum => sum_tolerance(n, l2),
            Op::Max => Tolerance::EXACT,
        };
        // The first pass of any step makes at most ceil(n / 64) partials (64 elements per block
        // is the smallest block slice of any step).
        let partials = n.div_ceil(64).max(1);
        Ok(ReduceCase {
            n: super::n_u32(n, self.name())?,
            input: DeviceBuffer::from_host(gpu, values)?,
            ping: DeviceBuffer::zeros(gpu, partials)?,
            pong: DeviceBuffer::zeros(gpu, partials)?,
            result_in_pong: false,
            reference,
            tolerance,
            steps: self.steps,
        })
    }
}

/// Tolerance of an f32 sum of `n` values with 2-norm `l2`: a tree of depth log2(n) plus a
/// sequential chain per thread; rounding errors of random sign grow like
/// `eps · (log2 n + 1) · ‖x‖₂` in practice, with a factor 8 of headroom. It grows with n.
/// (Exactness on integer inputs is checked separately, with tolerance 0.)
pub fn sum_tolerance(n: usize, l2: f64) -> Tolerance {
    let depth = (n.max(2) as f64).log2() + 1.0;
    Tolerance {
        atol: 8.0 * f32::EPSILON as f64 * depth * l2.max(1.0),
        rtol: 0.0,
    }
}

impl Ladder for ReduceLadder {
    fn name(&self) -> &'static str {
        match self.op {
            Op::Sum => "reduce_sum",
            Op::Max => "reduce_max",
        }
    }
    fn description(&self) -> &'static str {
        match self.op {
            Op::Sum => "sum of an f32 vector",
            Op::Max => "maximum of an f32 vector",
        }
    }
    fn steps(&self) -> Vec<&'static StepInfo> {
        self.steps.iter().map(|s| &s.info).collect()
    }
    fn dims(&self) -> usize {
        1
    }
    fn default_shape(&self) -> Shape {
        Shape::n(super::BENCH_N_256MIB)
    }
    fn bench_shapes(&self) -> Vec<Shape> {
        vec![Shape::n(super::BENCH_N_256MIB)]
    }
    fn awkward_shapes(&self) -> Vec<Shape> {
        super::awkward_1d()
    }
    fn work(&self, shape: &Shape) -> Work {
        let n = shape.numel() as f64;
        Work {
            flops: n,
            bytes: 4.0 * n,
        }
    }
    fn ceiling(&self) -> Ceiling {
        Ceiling::CopyGbps
    }
    fn prepare(&self, gpu: &Gpu, shape: &Shape, seed: u64) -> Result<Box<dyn Case>> {
        let values = inputs::uniform(shape.numel(), seed, -1.0, 1.0);
        Ok(Box::new(self.prepare_values(gpu, &values)?))
    }
    fn input_specs(&self, shape: &Shape) -> Vec<InputSpec> {
        vec![InputSpec {
            name: "x",
            shape: vec![shape.numel()],
        }]
    }
    fn prepare_from(
        &self,
        gpu: &Gpu,
        shape: &Shape,
        inputs: Vec<Vec<f32>>,
    ) -> Result<Box<dyn Case>> {
        let [x] = super::take_inputs::<1>(self, shape, inputs)?;
        Ok(Box::new(self.prepare_values(gpu, &x)?))
    }
}

/// One reduction problem on the device.
pub struct ReduceCase {
    n: u32,
    input: DeviceBuffer<f32>,
    ping: DeviceBuffer<f32>,
    pong: DeviceBuffer<f32>,
    result_in_pong: bool,
    reference: f64,
    tolerance: Tolerance,
    steps: &'static [ReduceStep],
}

impl Case for ReduceCase {
    fn run(&mut self, gpu: &Gpu, step: &StepInfo) -> Result<()> {
        let rs = self
            .steps
            .iter()
            .find(|s| s.info.id == step.id)
            .expect("step of this ladder");
        match rs.mode {
            Mode::Tree {
                threads,
                per_thread,
            } => {
                let per_block = (threads * per_thread) as usize;
                let (ping, pong) = (self.ping.ptr_mut(), self.pong.ptr_mut());
                let mut src: GlobalPtr<f32> = self.input.ptr();
                let mut n = self.n as usize;
                let mut into_pong = false;
                loop {
                    let blocks = n.div_ceil(per_block);
                    let dst: GlobalPtrMut<f32> = if into_pong { pong } else { ping };
                    let p = ReduceParams {
                        input: src,
                        output: dst,
                        n: n as u32,
                    };
                    gpu.launch(step.symbol, Launch::linear(blocks as u32, threads), p)?;
                    if blocks == 1 {
                        self.result_in_pong = into_pong;
                        return Ok(());
                    }
                    src = dst.as_const();
                    n = blocks;
                    into_pong = !into_pong;
                }
            }
        }
    }
    fn verify(&mut self, gpu: &Gpu, step: &StepInfo) -> Result<Comparison> {
        self.ping.poison(gpu)?;
        self.pong.poison(gpu)?;
        self.run(gpu, step)?;
        let out = if self.result_in_pong {
            &self.pong
        } else {
            &self.ping
        };
        let got = out.to_host(gpu)?[0];
        Ok(compare(
            &[got],
            &[self.reference],
            &Shape::n(1),
            self.tolerance,
        ))
    }
    /// The reduced value, as a 0-d array.
    fn output(&mut self, gpu: &Gpu) -> Result<(Vec<usize>, Vec<f32>)> {
        let out = if self.result_in_pong {
            &self.pong
        } else {
            &self.ping
        };
        Ok((Vec::new(), vec![out.to_host(gpu)?[0]]))
    }
}

impl ReduceCase {
    /// The float64 reference value.
    pub fn reference(&self) -> f64 {
        self.reference
    }
}
