//! Reductions of f32 to one value: sum and max, one ladder each, sharing the step table.

use super::TwinKernel;
use crate::error::Result;
use crate::inputs;
use crate::registry::{
    Accepts, BaselineInfo, BlockSize, Case, Ceiling, InputSpec, Ladder, LadderMeta, StepInfo, Work,
};
use crate::runtime::{DeviceBuffer, Gpu, Launch};
use crate::shape::Shape;
use crate::verify::{Comparison, Tolerance, compare};
use kernels_gpu::reduce::{self as k, ReduceParams, ReduceSinglePassParams};
use kernels_gpu::{GlobalPtr, GlobalPtrMut};

/// How a step covers the input.
#[derive(Debug, Clone, Copy)]
pub enum Mode {
    /// Each block reduces `threads * per_thread` consecutive elements to one partial; the host
    /// launches again on the partials until one value is left.
    Tree { threads: u32, per_thread: u32 },
    /// A fixed grid (`blocks_per_sm` per SM, fewer for small inputs) walks the input with a
    /// grid-stride loop of 128-bit loads; one more launch of a single block reduces the
    /// partials.
    GridStride { threads: u32, blocks_per_sm: u32 },
    /// As `GridStride`, but the last block finishes: one launch
    /// ([`kernels_gpu::reduce::ReduceSinglePassParams`]).
    SinglePass { threads: u32, blocks_per_sm: u32 },
}

/// One step of a reduction ladder: what the registry shows, how it launches, and which other
/// block sizes its code handles.
pub struct ReduceStep {
    pub info: StepInfo,
    pub mode: Mode,
    pub accepts: Accepts,
}

impl Mode {
    /// Threads per block of every launch of the step.
    pub fn threads(&self) -> u32 {
        match *self {
            Mode::Tree { threads, .. }
            | Mode::GridStride { threads, .. }
            | Mode::SinglePass { threads, .. } => threads,
        }
    }
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
    baselines: &'static [BaselineInfo],
}

macro_rules! reduce_step {
    ($ladder:literal, $id:literal, $slug:literal, $sym:ident, $tech:literal, $mode:expr, $accepts:expr) => {
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
            accepts: $accepts,
        }
    };
}

/// One table per operator, generated from one list: step `id`, slug, kernel of each op,
/// technique, mode, accepted block sizes.
macro_rules! reduce_tables {
    ($(($id:literal, $slug:literal, $sum:ident, $max:ident, $tech:literal, $mode:expr, $accepts:expr)),* $(,)?) => {
        static SUM_STEPS: &[ReduceStep] = &[$(reduce_step!("reduce_sum", $id, $slug, $sum, $tech, $mode, $accepts)),*];
        static MAX_STEPS: &[ReduceStep] = &[$(reduce_step!("reduce_max", $id, $slug, $max, $tech, $mode, $accepts)),*];
    };
}

/// Threads per block of the grid-stride steps, and resident blocks per SM they launch.
const GS_THREADS: u32 = 256;
const GS_BLOCKS_PER_SM: u32 = 4;

reduce_tables![
    (
        1,
        "interleaved",
        reduce_sum_s01_interleaved,
        reduce_max_s01_interleaved,
        "interleaved addressing, divergent tid % 2s branch",
        Mode::Tree {
            threads: 256,
            per_thread: 1
        },
        Accepts::PowerOfTwo { min: 1 }
    ),
    (
        2,
        "strided_index",
        reduce_sum_s02_strided_index,
        reduce_max_s02_strided_index,
        "strided index 2*s*tid: no divergence, bank conflicts",
        Mode::Tree {
            threads: 256,
            per_thread: 1
        },
        Accepts::PowerOfTwo { min: 1 }
    ),
    (
        3,
        "sequential",
        reduce_sum_s03_sequential,
        reduce_max_s03_sequential,
        "sequential addressing: conflict-free shared tree",
        Mode::Tree {
            threads: 256,
            per_thread: 1
        },
        Accepts::PowerOfTwo { min: 1 }
    ),
    (
        4,
        "add_during_load",
        reduce_sum_s04_add_during_load,
        reduce_max_s04_add_during_load,
        "two elements per thread, combined during the load",
        Mode::Tree {
            threads: 256,
            per_thread: 2
        },
        Accepts::PowerOfTwo { min: 1 }
    ),
    (
        5,
        "warp_shuffle",
        reduce_sum_s05_warp_shuffle,
        reduce_max_s05_warp_shuffle,
        "add during load, shared tree to 64, last warp with shuffles",
        Mode::Tree {
            threads: 256,
            per_thread: 2
        },
        Accepts::PowerOfTwo { min: 64 }
    ),
    (
        6,
        "unrolled",
        reduce_sum_s06_unrolled,
        reduce_max_s06_unrolled,
        "block size as a const generic: tree fully unrolled",
        Mode::Tree {
            threads: k::S06_THREADS,
            per_thread: 2
        },
        Accepts::Exactly
    ),
    (
        7,
        "vectorized",
        reduce_sum_s07_vectorized,
        reduce_max_s07_vectorized,
        "grid-stride loop of 128-bit loads, shuffle block reduction",
        Mode::GridStride {
            threads: GS_THREADS,
            blocks_per_sm: GS_BLOCKS_PER_SM
        },
        Accepts::WarpMultiple
    ),
    (
        8,
        "single_pass",
        reduce_sum_s08_single_pass,
        reduce_max_s08_single_pass,
        "one launch: last block (atomic counter + fence) reduces the partials",
        Mode::SinglePass {
            threads: GS_THREADS,
            blocks_per_sm: GS_BLOCKS_PER_SM
        },
        Accepts::WarpMultiple
    ),
];

/// The CUDA C++ twins of step 8 (host/ladders/twins/reduce.cu).
static SUM_BASELINES: &[BaselineInfo] = &[BaselineInfo {
    name: "cuda_cpp_twin",
    of_step: 8,
    description: "CUDA C++ twin of reduce_sum/8 (NVRTC): same grid, float4 __ldg loads, last-block finish",
}];
static MAX_BASELINES: &[BaselineInfo] = &[BaselineInfo {
    name: "cuda_cpp_twin",
    of_step: 8,
    description: "CUDA C++ twin of reduce_max/8 (NVRTC): same grid, float4 __ldg loads, last-block finish",
}];

/// Source of the reduction twins.
const TWIN_SRC: &str = include_str!("twins/reduce.cu");

static SUM_META: LadderMeta = LadderMeta {
    name: "reduce_sum",
    description: "sum of an f32 vector",
    dims: 1,
    default_shape: &[super::BENCH_N_256MIB],
    bench_shapes: &[&[super::BENCH_N_256MIB]],
    ceiling: Ceiling::CopyGbps,
    chapter: "reduction",
};

static MAX_META: LadderMeta = LadderMeta {
    name: "reduce_max",
    description: "maximum of an f32 vector",
    ..SUM_META
};

/// The sum ladder.
pub static REDUCE_SUM: ReduceLadder = ReduceLadder {
    op: Op::Sum,
    steps: SUM_STEPS,
    baselines: SUM_BASELINES,
};
/// The max ladder.
pub static REDUCE_MAX: ReduceLadder = ReduceLadder {
    op: Op::Max,
    steps: MAX_STEPS,
    baselines: MAX_BASELINES,
};

impl ReduceLadder {
    /// A case over the given values (tests use exactly summable integers).
    pub fn prepare_values(&self, gpu: &Gpu, values: &[f32]) -> Result<ReduceCase> {
        let n = values.len();
        let reference = match self.op {
            Op::Sum => values.iter().map(|&v| v as f64).sum(),
            // NaN-propagating, as torch.max (f64::max would skip a NaN).
            Op::Max => values.iter().fold(f64::NEG_INFINITY, |m, &v| {
                if m.is_nan() || v.is_nan() {
                    f64::NAN
                } else {
                    m.max(v as f64)
                }
            }),
        };
        let l2 = values
            .iter()
            .map(|&v| (v as f64) * (v as f64))
            .sum::<f64>()
            .sqrt();
        let tolerance = match self.op {
            // The longest chain of any step: the grid-stride steps walk n / (≥ 132·1024 threads)
            // vectors into four accumulators; steps 1-6 add two values per thread.
            Op::Sum => sum_tolerance(n, n.div_ceil(1 << 17), l2),
            Op::Max => Tolerance::EXACT,
        };
        // The first pass of any step makes at most ceil(n / 64) partials (64 elements per block
        // is the smallest block slice of any step; a grid-stride grid is smaller still).
        let partials = n.div_ceil(64).max(1);
        Ok(ReduceCase {
            n: super::n_u32(n, self.name())?,
            op: self.op,
            input: DeviceBuffer::from_host(gpu, values)?,
            ping: DeviceBuffer::zeros(gpu, partials)?,
            pong: DeviceBuffer::zeros(gpu, partials)?,
            counter: DeviceBuffer::zeros(gpu, 1)?,
            zero: DeviceBuffer::zeros(gpu, 1)?,
            result_in_pong: false,
            reference,
            tolerance,
            steps: self.steps,
            twin: None,
        })
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
        match self.op {
            Op::Sum => &SUM_META,
            Op::Max => &MAX_META,
        }
    }
    fn steps(&self) -> Vec<&'static StepInfo> {
        self.steps.iter().map(|s| &s.info).collect()
    }
    fn launch_block(&self, symbol: &str) -> Option<BlockSize> {
        let s = self.steps.iter().find(|s| s.info.symbol == symbol)?;
        Some(BlockSize {
            launch: s.mode.threads(),
            accepts: s.accepts,
        })
    }
    fn work(&self, shape: &Shape) -> Work {
        let n = shape.numel() as f64;
        Work {
            flops: n,
            bytes: 4.0 * n,
        }
    }
    fn prepare(&self, gpu: &Gpu, shape: &Shape, seed: u64) -> Result<Box<dyn Case>> {
        // Check the size before allocating host inputs for it.
        let n = super::n_u32(shape.numel(), self.name())? as usize;
        let values = inputs::uniform(n, seed, -1.0, 1.0);
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
    fn baselines(&self) -> &'static [BaselineInfo] {
        self.baselines
    }
}

/// One reduction problem on the device.
pub struct ReduceCase {
    n: u32,
    op: Op,
    input: DeviceBuffer<f32>,
    ping: DeviceBuffer<f32>,
    pong: DeviceBuffer<f32>,
    /// The single-pass steps' block counter (0 between runs).
    counter: DeviceBuffer<u32>,
    /// A device 0, copied into `counter` by `reset`.
    zero: DeviceBuffer<u32>,
    result_in_pong: bool,
    reference: f64,
    tolerance: Tolerance,
    steps: &'static [ReduceStep],
    twin: Option<TwinKernel>,
}

/// Blocks of a grid-stride launch over `n` elements: `blocks_per_sm` per SM, but no more than
/// there are 4-element vectors for every thread.
fn grid_stride_blocks(gpu: &Gpu, n: usize, threads: u32, blocks_per_sm: u32) -> u32 {
    let full = n.div_ceil(4 * threads as usize).max(1);
    full.min((gpu.info().sm_count.max(1) as u32 * blocks_per_sm) as usize) as u32
}

impl ReduceCase {
    /// Enqueues the single-pass launch of `symbol` (a step or the twin): result in `ping[0]`.
    fn launch_single_pass(
        &mut self,
        gpu: &Gpu,
        threads: u32,
        blocks_per_sm: u32,
        launch: impl FnOnce(&Gpu, Launch, ReduceSinglePassParams) -> Result<()>,
    ) -> Result<()> {
        let blocks = grid_stride_blocks(gpu, self.n as usize, threads, blocks_per_sm);
        let p = ReduceSinglePassParams {
            input: self.input.ptr(),
            partials: self.pong.ptr_mut(),
            counter: self.counter.ptr_mut(),
            output: self.ping.ptr_mut(),
            n: self.n,
        };
        self.result_in_pong = false;
        launch(gpu, Launch::linear(blocks, threads), p)
    }

    /// Poisons the outputs, zeroes the counter, runs, and compares `out[0]` with the reference.
    fn check(
        &mut self,
        gpu: &Gpu,
        run: impl FnOnce(&mut Self, &Gpu) -> Result<()>,
    ) -> Result<Comparison> {
        self.ping.poison(gpu)?;
        self.pong.poison(gpu)?;
        self.reset(gpu)?;
        run(self, gpu)?;
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
            Mode::GridStride {
                threads,
                blocks_per_sm,
            } => {
                let blocks = grid_stride_blocks(gpu, self.n as usize, threads, blocks_per_sm);
                let p = ReduceParams {
                    input: self.input.ptr(),
                    output: self.ping.ptr_mut(),
                    n: self.n,
                };
                gpu.launch(step.symbol, Launch::linear(blocks, threads), p)?;
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
            Mode::SinglePass {
                threads,
                blocks_per_sm,
            } => self.launch_single_pass(gpu, threads, blocks_per_sm, |gpu, l, p| {
                gpu.launch(step.symbol, l, p)
            }),
        }
    }
    fn reset(&mut self, gpu: &Gpu) -> Result<()> {
        self.counter.copy_from(gpu, &self.zero)
    }
    fn verify(&mut self, gpu: &Gpu, step: &StepInfo) -> Result<Comparison> {
        self.check(gpu, |case, gpu| case.run(gpu, step))
    }
    fn run_baseline(&mut self, gpu: &Gpu, baseline: &BaselineInfo) -> Result<()> {
        if baseline.name != "cuda_cpp_twin" {
            return Err(super::unknown_baseline(self.op_name(), baseline.name));
        }
        let mut twin = self.twin.take().unwrap_or_else(|| {
            let symbol = match self.op {
                Op::Sum => "reduce_sum_twin",
                Op::Max => "reduce_max_twin",
            };
            TwinKernel::new("reduce_twin", TWIN_SRC, symbol)
        });
        let r = self.launch_single_pass(gpu, GS_THREADS, GS_BLOCKS_PER_SM, |gpu, l, p| {
            twin.launch(gpu, l, p)
        });
        self.twin = Some(twin);
        r
    }
    fn verify_baseline(&mut self, gpu: &Gpu, baseline: &BaselineInfo) -> Result<Comparison> {
        self.check(gpu, |case, gpu| case.run_baseline(gpu, baseline))
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
    fn op_name(&self) -> &'static str {
        match self.op {
            Op::Sum => "reduce_sum",
            Op::Max => "reduce_max",
        }
    }
    /// The float64 reference value.
    pub fn reference(&self) -> f64 {
        self.reference
    }
}
