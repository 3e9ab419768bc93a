//! Reductions to one value: sum and max, one ladder each, whose steps come from the same
//! kernel files (`kernels-gpu/src/reduce`). The result is f32 whatever the input's element type
//! (the accumulation type).

use super::TwinKernel;
use crate::element::{DType, Element, round_to, to_f32};
use crate::error::{Error, Result};
use crate::inputs;
use crate::ladder::{
    BaselineInfo, BaselineKind, BlockSize, Case, Ceiling, InputSpec, Ladder, LadderMeta, Output,
    StepInfo, StepTable, Target, Work,
};
use crate::reference;
use crate::runtime::{DeviceBuffer, Gpu, Launch};
use crate::shape::Shape;
use crate::verify::{Comparison, Tolerance, compare};
use kernels_gpu::reduce::{self as k, Grid, ReduceParams, ReduceSinglePassParams};
use kernels_gpu::{GlobalPtr, GlobalPtrMut};

/// Which reduction.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Sum,
    Max,
}

/// A reduction ladder (`reduce_sum` or `reduce_max`).
pub struct ReduceLadder {
    op: Op,
    steps: &'static StepTable<Grid>,
    baselines: &'static [BaselineInfo],
    meta: &'static LadderMeta,
}

static SUM_STEPS: StepTable<Grid> = StepTable::new("reduce_sum", k::SUM_STEPS);
static MAX_STEPS: StepTable<Grid> = StepTable::new("reduce_max", k::MAX_STEPS);

/// The CUDA C++ twins of step 8 (host/ladders/twins/reduce.cu).
static SUM_BASELINES: &[BaselineInfo] = &[BaselineInfo {
    kind: BaselineKind::CudaCppTwin,
    of_step: 8,
    dtype: DType::F32,
    description: "CUDA C++ twin of reduce_sum/8 (NVRTC): same grid, float4 __ldg loads, last-block finish",
}];
static MAX_BASELINES: &[BaselineInfo] = &[BaselineInfo {
    kind: BaselineKind::CudaCppTwin,
    of_step: 8,
    dtype: DType::F32,
    description: "CUDA C++ twin of reduce_max/8 (NVRTC): same grid, float4 __ldg loads, last-block finish",
}];

/// Source of the reduction twins.
const TWIN_SRC: &str = include_str!("twins/reduce.cu");

static SUM_META: LadderMeta = LadderMeta {
    name: "reduce_sum",
    description: "sum of a vector (f32 accumulation and result)",
    dims: 1,
    default_shape: &[super::BENCH_N_256MIB],
    bench_shapes: &[&[super::BENCH_N_256MIB]],
    ceiling: Ceiling::CopyGbps,
    chapter: "reduction",
};

static MAX_META: LadderMeta = LadderMeta {
    name: "reduce_max",
    description: "maximum of a vector (NaN if any element is NaN)",
    ..SUM_META
};

/// The sum ladder.
pub static REDUCE_SUM: ReduceLadder = ReduceLadder {
    op: Op::Sum,
    steps: &SUM_STEPS,
    baselines: SUM_BASELINES,
    meta: &SUM_META,
};
/// The max ladder.
pub static REDUCE_MAX: ReduceLadder = ReduceLadder {
    op: Op::Max,
    steps: &MAX_STEPS,
    baselines: MAX_BASELINES,
    meta: &MAX_META,
};

/// Threads per block of a launch.
fn threads(grid: &Grid) -> u32 {
    match *grid {
        Grid::Tree { threads, .. }
        | Grid::GridStride { threads, .. }
        | Grid::SinglePass { threads, .. } => threads,
    }
}

impl ReduceLadder {
    /// A case over the given values, rounded to `dtype` (tests use exactly summable integers).
    pub fn prepare_values(&self, gpu: &Gpu, values: &[f32], dtype: DType) -> Result<Box<dyn Case>> {
        if !self.dtypes().contains(&dtype) {
            return Err(super::no_steps_of(self, dtype));
        }
        crate::with_element!(dtype, T => Ok(Box::new(ReduceCase::<T>::new(gpu, self, values)?)))
    }
}

/// Tolerance of an f32 sum of `n` values with 2-norm `l2`, computed as sequential chains of
/// at most `chain` additions per thread followed by a tree of depth log2(n). Rounding errors
/// of random sign grow like `eps · sqrt(chain) · ‖x‖₂` along a chain and `eps · ‖x‖₂` per tree
/// level, so `atol = 8 · eps · (log2 n + 1 + sqrt(chain)) · ‖x‖₂` (factor 8 of headroom). It
/// grows with n. Exactness on integer inputs is checked separately, with tolerance 0.
pub fn sum_tolerance(n: usize, chain: usize, l2: f64) -> Tolerance {
    let depth = (n.max(2) as f64).log2() + 1.0 + (chain.max(1) as f64).sqrt();
    Tolerance {
        atol: 8.0 * f32::EPSILON as f64 * depth * l2.max(1.0),
        rtol: 0.0,
    }
}

impl Ladder for ReduceLadder {
    fn meta(&self) -> &'static LadderMeta {
        self.meta
    }
    fn steps(&self) -> Vec<&'static StepInfo> {
        self.steps.steps()
    }
    fn launch_block(&self, symbol: &str) -> Option<BlockSize> {
        let s = self.steps.step_of_symbol(symbol)?;
        Some(super::block_size(s, threads(&s.grid)))
    }
    fn work(&self, shape: &Shape, dtype: DType) -> Work {
        let n = shape.numel() as f64;
        Work {
            flops: n,
            bytes: dtype.size() as f64 * n,
        }
    }
    fn random_inputs(&self, shape: &Shape, seed: u64) -> Result<Vec<Vec<f32>>> {
        let n = super::n_u32(shape.numel(), self.name())? as usize;
        Ok(vec![inputs::uniform(n, seed, -1.0, 1.0)])
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
        dtype: DType,
        inputs: Vec<Vec<f32>>,
    ) -> Result<Box<dyn Case>> {
        let [x] = super::take_inputs::<1>(self, shape, inputs)?;
        self.prepare_values(gpu, &x, dtype)
    }
    fn baselines(&self) -> &'static [BaselineInfo] {
        self.baselines
    }
}

/// One reduction problem on the device.
pub struct ReduceCase<T: Element> {
    n: u32,
    op: Op,
    steps: &'static StepTable<Grid>,
    input: DeviceBuffer<T>,
    ping: DeviceBuffer<f32>,
    pong: DeviceBuffer<f32>,
    /// The single-pass steps' block counter (0 between runs).
    counter: DeviceBuffer<u32>,
    /// A device 0, copied into `counter` by `reset`.
    zero: DeviceBuffer<u32>,
    result_in_pong: bool,
    reference: f64,
    tolerance: Tolerance,
    twin: Option<TwinKernel>,
}

impl<T: Element> ReduceCase<T> {
    fn new(gpu: &Gpu, ladder: &ReduceLadder, values: &[f32]) -> Result<Self> {
        let n = values.len();
        let x: Vec<T> = round_to(values);
        let values = to_f32(&x);
        let reference = match ladder.op {
            Op::Sum => reference::sum(&values),
            Op::Max => reference::max(&values),
        };
        let tolerance = match ladder.op {
            // The longest chain of any step: the grid-stride steps walk n / (≥ 132·1024 threads)
            // vectors into four accumulators; steps 1-6 add two values per thread.
            Op::Sum => sum_tolerance(n, n.div_ceil(1 << 17), reference::l2_norm(&values)),
            Op::Max => Tolerance::EXACT,
        };
        // The first pass of any step makes at most ceil(n / 64) partials (64 elements per block
        // is the smallest block slice of any step; a grid-stride grid is smaller still).
        let partials = n.div_ceil(64).max(1);
        Ok(Self {
            n: super::n_u32(n, ladder.name())?,
            op: ladder.op,
            steps: ladder.steps,
            input: DeviceBuffer::from_host(gpu, &x)?,
            ping: DeviceBuffer::zeros(gpu, partials)?,
            pong: DeviceBuffer::zeros(gpu, partials)?,
            counter: DeviceBuffer::zeros(gpu, 1)?,
            zero: DeviceBuffer::zeros(gpu, 1)?,
            result_in_pong: false,
            reference,
            tolerance,
            twin: None,
        })
    }

    /// Enqueues the single-pass launch of `symbol` (a step or the twin): result in `ping[0]`.
    fn launch_single_pass(
        &mut self,
        gpu: &Gpu,
        threads: u32,
        blocks_per_sm: u32,
        launch: impl FnOnce(&Gpu, Launch, ReduceSinglePassParams<T::Device>) -> Result<()>,
    ) -> Result<()> {
        let l = Launch::grid_stride(
            (self.n as usize).div_ceil(4),
            threads,
            blocks_per_sm,
            gpu.info().sm_count,
        );
        let p = ReduceSinglePassParams {
            input: self.input.elems(),
            partials: self.pong.ptr_mut(),
            counter: self.counter.ptr_mut(),
            output: self.ping.ptr_mut(),
            n: self.n,
        };
        self.result_in_pong = false;
        launch(gpu, l, p)
    }

    /// The input as f32 elements, for the multi-pass steps (which launch the same kernel again
    /// on the f32 partials, so their input must be f32 too).
    fn f32_input(&self, step: &StepInfo) -> Result<GlobalPtr<f32>> {
        if T::DTYPE != DType::F32 {
            return Err(Error::Other(format!(
                "{}: a multi-pass step reads its own f32 partials, so its input must be f32",
                step.symbol
            )));
        }
        Ok(GlobalPtr::from_addr(self.input.addr()))
    }

    fn run_step(&mut self, gpu: &Gpu, step: &StepInfo) -> Result<()> {
        match *self.steps.grid(step) {
            Grid::Tree {
                threads,
                per_thread,
            } => {
                let per_block = (threads * per_thread) as usize;
                let (ping, pong) = (self.ping.ptr_mut(), self.pong.ptr_mut());
                let mut src = self.f32_input(step)?;
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
            Grid::GridStride {
                threads,
                blocks_per_sm,
            } => {
                let l = Launch::grid_stride(
                    (self.n as usize).div_ceil(4),
                    threads,
                    blocks_per_sm,
                    gpu.info().sm_count,
                );
                let blocks = l.grid.0;
                let p = ReduceParams {
                    input: self.f32_input(step)?,
                    output: self.ping.ptr_mut(),
                    n: self.n,
                };
                gpu.launch(step.symbol, l, p)?;
                self.result_in_pong = false;
                if blocks > 1 {
                    let p = ReduceParams {
                        input: self.ping.ptr(),
                        output: self.pong.ptr_mut(),
                        n: blocks,
                    };
                    gpu.launch(step.symbol, Launch::linear(1, threads), p)?;
                    self.result_in_pong = true;
                }
                Ok(())
            }
            Grid::SinglePass {
                threads,
                blocks_per_sm,
            } => self.launch_single_pass(gpu, threads, blocks_per_sm, |gpu, l, p| {
                gpu.launch(step.symbol, l, p)
            }),
        }
    }

    /// The buffer holding the last run's result.
    fn result(&self) -> &DeviceBuffer<f32> {
        if self.result_in_pong {
            &self.pong
        } else {
            &self.ping
        }
    }

    /// The float64 reference value.
    pub fn reference(&self) -> f64 {
        self.reference
    }
}

impl<T: Element> Case for ReduceCase<T> {
    fn run(&mut self, gpu: &Gpu, target: Target<'_>) -> Result<()> {
        match target {
            Target::Step(step) if step.dtype == T::DTYPE => self.run_step(gpu, step),
            Target::Baseline(b) if b.dtype == T::DTYPE && b.kind == BaselineKind::CudaCppTwin => {
                let step = self.steps.by_id(b.of_step).expect("the twin's step");
                let Grid::SinglePass {
                    threads,
                    blocks_per_sm,
                } = *self.steps.grid(step)
                else {
                    unreachable!("the twins are of the single-pass step")
                };
                let op = self.op;
                let mut twin = self.twin.take().unwrap_or_else(|| {
                    let symbol = match op {
                        Op::Sum => "reduce_sum_twin",
                        Op::Max => "reduce_max_twin",
                    };
                    TwinKernel::new("reduce_twin", TWIN_SRC, symbol)
                });
                let r = self.launch_single_pass(gpu, threads, blocks_per_sm, |gpu, l, p| {
                    twin.launch(gpu, l, p)
                });
                self.twin = Some(twin);
                r
            }
            _ => Err(super::not_mine(self.steps.infos()[0].ladder, target)),
        }
    }
    fn reset(&mut self, gpu: &Gpu) -> Result<()> {
        self.counter.copy_from(gpu, &self.zero)
    }
    fn poison(&mut self, gpu: &Gpu) -> Result<()> {
        self.ping.poison(gpu)?;
        self.pong.poison(gpu)
    }
    fn check(&mut self, gpu: &Gpu) -> Result<Comparison> {
        let got = self.result().to_host(gpu)?[0];
        Ok(compare(
            &[got],
            &[self.reference],
            &Shape::n(1),
            self.tolerance,
        ))
    }
    /// The reduced value, as a 0-d array.
    fn output(&mut self, gpu: &Gpu) -> Result<Output> {
        Ok(Output {
            shape: Vec::new(),
            dtype: DType::F32,
            values: vec![self.result().to_host(gpu)?[0]],
        })
    }
}
