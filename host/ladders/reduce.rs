//! Reductions to one value: sum and max, one ladder each, whose steps come from the same
//! kernel files (`kernels-gpu/src/reduce`). The result is f32 whatever the input's element type
//! (the accumulation type).

use super::TwinKernel;
use crate::element::{DType, Element, round_to, to_f32};
use crate::error::{Error, Result};
use crate::inputs;
use crate::ladder::{
    BaselineInfo, BaselineKind, Case, Ceiling, InputSpec, Ladder, LadderMeta, Output, StepInfo,
    StepTable, Steps, Target, Work,
};
use crate::ops::{self, Init, Op as ExternalOp, OpCall, Workspace};
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

/// The CUDA C++ twins of step 8 (host/ladders/twins/reduce.cu) and of the bf16 step 9
/// (host/ladders/twins/reduce_bf16.cu).
static SUM_BASELINES: &[BaselineInfo] = &[
    BaselineInfo {
        kind: BaselineKind::CudaCppTwin,
        of_step: 8,
        dtype: DType::F32,
        description: "CUDA C++ twin of reduce_sum/8 (NVRTC): same grid, float4 __ldg loads, last-block finish",
    },
    BaselineInfo {
        kind: BaselineKind::CudaCppTwin,
        of_step: 9,
        dtype: DType::Bf16,
        description: "CUDA C++ twin of reduce_sum/9 (NVRTC): __nv_bfloat16 input, same grid, 128-bit __ldg loads of 8, f32 accumulation, last-block finish",
    },
];
static MAX_BASELINES: &[BaselineInfo] = &[BaselineInfo {
    kind: BaselineKind::CudaCppTwin,
    of_step: 8,
    dtype: DType::F32,
    description: "CUDA C++ twin of reduce_max/8 (NVRTC): same grid, float4 __ldg loads, last-block finish",
}];

/// Source of the f32 reduction twins.
const TWIN_SRC: &str = include_str!("twins/reduce.cu");
/// Source of the bf16 sum twin (a module of its own: it includes `cuda_bf16.h`).
const TWIN_BF16_SRC: &str = include_str!("twins/reduce_bf16.cu");

/// The CUDA C++ twin kernel of `op` over input of `dtype`, if there is one (the baselines
/// above are exactly these).
fn twin_kernel(op: Op, dtype: DType) -> Option<TwinKernel> {
    match (op, dtype) {
        (Op::Sum, DType::F32) => Some(TwinKernel::new("reduce_twin", TWIN_SRC, "reduce_sum_twin")),
        (Op::Max, DType::F32) => Some(TwinKernel::new("reduce_twin", TWIN_SRC, "reduce_max_twin")),
        (Op::Sum, DType::Bf16) => Some(TwinKernel::new(
            "reduce_twin_bf16",
            TWIN_BF16_SRC,
            "reduce_sum_twin_bf16",
        )),
        _ => None,
    }
}

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

impl ReduceLadder {
    /// A case over the given values, rounded to `dtype` (tests use exactly summable integers).
    pub fn prepare_values(&self, gpu: &Gpu, values: &[f32], dtype: DType) -> Result<Box<dyn Case>> {
        crate::ladder::has_steps_of(self.name(), &self.dtypes(), dtype)?;
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
    fn table(&self) -> &'static dyn Steps {
        self.steps
    }
    fn op(&self) -> Option<&'static dyn ExternalOp> {
        match self.op {
            Op::Sum => Some(&SUM_OP),
            Op::Max => None,
        }
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
    fn case(
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

/// The launch of a single-pass step over `n` elements of `dtype`: one unit per 128-bit
/// vector, 4 f32 or 8 bf16 (the grid is capped long before large n). Its block count is the
/// number of partials.
fn single_pass_launch(
    n: usize,
    dtype: DType,
    threads: u32,
    blocks_per_sm: u32,
    gpu: &Gpu,
) -> Launch {
    Launch::grid_stride(
        n.div_ceil(16 / dtype.size()),
        threads,
        blocks_per_sm,
        gpu.info().sm_count,
    )
}

/// `out[0] = Σ x` (f32) on caller-owned memory, with a single-pass step: arguments `x` (`n`
/// elements), `out` (one f32), `partials` (one f32 per block) and `counter` (one u32, zero
/// before the first launch; the kernel sets it back to zero).
pub struct ReduceSumOp;

impl ReduceSumOp {
    /// The single-pass geometry of `step`, or why the op cannot launch it.
    fn single_pass(step: &StepInfo) -> Result<(u32, u32)> {
        match *SUM_STEPS.grid(step) {
            Grid::SinglePass {
                threads,
                blocks_per_sm,
            } => Ok((threads, blocks_per_sm)),
            _ => Err(Error::Other(format!(
                "{}: the reduce_sum op launches single-pass steps only",
                step.handle()
            ))),
        }
    }
}

impl ExternalOp for ReduceSumOp {
    fn name(&self) -> &'static str {
        "reduce_sum"
    }
    fn ladder(&self) -> &'static dyn Ladder {
        &REDUCE_SUM
    }
    fn args(&self) -> &'static [&'static str] {
        &["x", "out", "partials", "counter"]
    }
    fn unsupported_dims(&self, dims: &[usize]) -> Option<String> {
        ops::dims_u32(dims, 1)
    }
    fn workspace(&self, gpu: &Gpu, step: &StepInfo, call: &OpCall) -> Result<Vec<Workspace>> {
        let (threads, per_sm) = Self::single_pass(step)?;
        let l = single_pass_launch(call.dims[0], call.dtype, threads, per_sm, gpu);
        Ok(vec![
            Workspace {
                name: "partials",
                bytes: 4 * l.grid.0 as usize,
                init: Init::Uninit,
            },
            Workspace {
                name: "counter",
                bytes: 4,
                init: Init::Zeroed,
            },
        ])
    }
    fn enqueue(&self, gpu: &Gpu, stream: u64, step: &StepInfo, call: &OpCall) -> Result<()> {
        ops::check_args(self, call, &[])?;
        let (threads, per_sm) = Self::single_pass(step)?;
        let n = call.dims[0];
        let l = single_pass_launch(n, call.dtype, threads, per_sm, gpu);
        crate::with_element!(call.dtype, T => {
            let p = ReduceSinglePassParams::<<T as Element>::Device> {
                input: GlobalPtr::from_addr(call.args[0]),
                output: GlobalPtrMut::from_addr(call.args[1]),
                partials: GlobalPtrMut::from_addr(call.args[2]),
                counter: GlobalPtrMut::from_addr(call.args[3]),
                n: n as u32,
            };
            gpu.launch_on(stream, step.symbol, l, p)
        })
    }
}

/// The reduce_sum op.
static SUM_OP: ReduceSumOp = ReduceSumOp;

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
    /// The input rounded to `T`, its float64 reference and the tolerance of the check.
    fn reference_of(op: Op, values: &[f32]) -> (Vec<T>, f64, Tolerance) {
        let n = values.len();
        let x: Vec<T> = round_to(values);
        let values = to_f32(&x);
        let reference = match op {
            Op::Sum => reference::sum(&values),
            Op::Max => reference::max(&values),
        };
        let tolerance = match op {
            // The longest chain of any step: the grid-stride steps walk n / (≥ 132·1024 threads)
            // vectors into four accumulators; steps 1-6 add two values per thread.
            Op::Sum => sum_tolerance(n, n.div_ceil(1 << 17), reference::l2_norm(&values)),
            Op::Max => Tolerance::EXACT,
        };
        (x, reference, tolerance)
    }

    fn new(gpu: &Gpu, ladder: &ReduceLadder, values: &[f32]) -> Result<Self> {
        let n = values.len();
        let (x, reference, tolerance) = Self::reference_of(ladder.op, values);
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
        let l = single_pass_launch(self.n as usize, T::DTYPE, threads, blocks_per_sm, gpu);
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
    /// New input; the partials, the counter and the result keep what the last run left.
    fn refill(&mut self, gpu: &Gpu, inputs: Vec<Vec<f32>>) -> Result<()> {
        let [x] = crate::ladder::refill_inputs(inputs, [self.n as usize])?;
        let (x, reference, tolerance) = Self::reference_of(self.op, &x);
        self.input.upload(gpu, &x)?;
        (self.reference, self.tolerance) = (reference, tolerance);
        Ok(())
    }
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
                let mut twin = match self.twin.take() {
                    Some(t) => t,
                    None => twin_kernel(self.op, T::DTYPE)
                        .ok_or_else(|| super::not_mine(self.steps.infos()[0].ladder, target))?,
                };
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ladder::Ladder;

    /// Every twin baseline is of a single-pass step of its own element type, and has a twin
    /// kernel whose source declares its symbol; f32 keeps the step-8 twins it had.
    #[test]
    fn every_twin_is_of_a_single_pass_step_of_its_dtype_and_has_its_kernel() {
        for ladder in [&REDUCE_SUM, &REDUCE_MAX] {
            for b in ladder.baselines() {
                let step = ladder.steps.by_id(b.of_step).expect("the twin's step");
                assert_eq!(step.dtype, b.dtype, "{}: {b:?}", ladder.name());
                assert!(
                    matches!(ladder.steps.grid(step), Grid::SinglePass { .. }),
                    "{}",
                    step.symbol
                );
                let twin = twin_kernel(ladder.op, b.dtype).expect("a twin kernel");
                assert!(
                    twin.source
                        .contains(&format!(" {}(ReduceSinglePassParams p)", twin.symbol)),
                    "{}",
                    twin.symbol
                );
            }
        }
        let f32_twins = |l: &ReduceLadder| {
            l.baselines()
                .iter()
                .filter(|b| b.dtype == DType::F32)
                .map(|b| b.of_step)
                .collect::<Vec<_>>()
        };
        assert_eq!(f32_twins(&REDUCE_SUM), [8]);
        assert_eq!(f32_twins(&REDUCE_MAX), [8]);
        assert!(twin_kernel(Op::Max, DType::Bf16).is_none());
    }

    /// Step 9 carries its grid as launch bounds (so ptxas keeps its four loads in flight),
    /// and its twin the same `__launch_bounds__`; the f32 steps and twins have none.
    #[test]
    fn the_bf16_step_and_its_twin_have_the_grids_launch_bounds() {
        let sym = k::reduce_sum_s09_bf16_single_pass::SYMBOL;
        let want = (k::GS_THREADS, k::GS_BLOCKS_PER_SM);
        assert_eq!(crate::ptx::launch_bounds(crate::ptx::PTX, sym), Some(want));
        assert_eq!(
            k::reduce_sum_s09_bf16_single_pass::LAUNCH_BOUNDS,
            Some(want)
        );
        let twin = format!("__launch_bounds__({}, {})", want.0, want.1);
        assert!(TWIN_BF16_SRC.contains(&format!("{twin} reduce_sum_twin_bf16(")));
        assert!(!TWIN_SRC.contains("__launch_bounds__"));
        for s in ["reduce_sum_s08_single_pass", "reduce_max_s08_single_pass"] {
            assert_eq!(crate::ptx::launch_bounds(crate::ptx::PTX, s), None, "{s}");
        }
    }

    /// Step 9 is reduce_sum's alone (the sum-only list of `reduce_step_files!`): bf16, single
    /// pass, with reduce_sum's bf16 twin; reduce_max stops at step 8, all f32.
    #[test]
    fn the_bf16_step_is_the_sums_alone() {
        let s9 = REDUCE_SUM.steps.by_id(9).expect("reduce_sum/9");
        assert_eq!(s9.symbol, "reduce_sum_s09_bf16_single_pass");
        assert_eq!(s9.dtype, DType::Bf16);
        assert!(matches!(
            REDUCE_SUM.steps.grid(s9),
            Grid::SinglePass {
                threads: k::GS_THREADS,
                blocks_per_sm: k::GS_BLOCKS_PER_SM
            }
        ));
        assert_eq!(REDUCE_SUM.dtypes(), [DType::F32, DType::Bf16]);
        assert_eq!(REDUCE_MAX.steps().len(), 8);
        assert_eq!(REDUCE_MAX.dtypes(), [DType::F32]);
        assert!(
            REDUCE_SUM
                .baselines()
                .iter()
                .any(|b| b.of_step == 9 && b.dtype == DType::Bf16)
        );
    }
}
