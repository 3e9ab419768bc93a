//! What a ladder is, as the registry, the CLI, the benchmark and the tests see it: its steps
//! ([`StepInfo`], derived from the declarations beside the kernels), its baselines, its
//! problem ([`Ladder`]) and one prepared problem on the device ([`Case`]).
//!
//! The ladders (`host/ladders/`) implement these; the registry (`crate::registry`) lists the
//! ladders. Neither this module nor the ladders import the registry.

use crate::error::{Error, Result};
use crate::runtime::Gpu;
use crate::shape::Shape;
use crate::verify::Comparison;
pub use kernels_gpu::step::{Accepts, Arch, BlockThreads, DType, Step};
use serde::Serialize;
use std::sync::OnceLock;

/// One step of a ladder, as everything outside the ladder sees it.
#[derive(Debug, Clone, Copy)]
pub struct StepInfo {
    /// The ladder's name (`reduce_sum`).
    pub ladder: &'static str,
    /// The step number: never moves, never reused.
    pub id: u32,
    /// Short name (`warp_shuffle`).
    pub slug: &'static str,
    /// The kernel's PTX entry name (the first one launched, for multi-kernel steps).
    pub symbol: &'static str,
    /// Every PTX entry this step launches (including `symbol`).
    pub symbols: &'static [&'static str],
    /// The host kernels of `symbols`, in their order, for the CPU emulator.
    pub emulated: &'static [kernels_gpu::emu::HostKernel],
    /// What the step does differently from the one before.
    pub technique: &'static str,
    /// The element type of the step's data.
    pub dtype: DType,
    /// The oldest architecture the step runs on: the PTX module of its kernels. On a device
    /// without it ([`Arch::runs_on`]) the step is skipped, with one line saying so.
    pub arch: Arch,
    /// The step's position in its ladder's table: how the ladder finds its launch.
    pub index: usize,
    /// For a kernel graded in place of a registered step (an exercise's, `klab grade`): the
    /// symbol of that step, whose launch and host code run it. `None` for the steps themselves.
    pub stands_in_for: Option<&'static str>,
}

impl StepInfo {
    /// `ladder/id` (`reduce_sum/5`), the short handle the CLI accepts.
    pub fn handle(&self) -> String {
        format!("{}/{}", self.ladder, self.id)
    }

    /// Why the step does not run on a device of compute capability `cc` (`(9, 0)`) named
    /// `device`, if it does not: the one line the benchmark, the tests and `klab run` print
    /// when they skip it.
    pub fn unsupported_on(&self, cc: (i32, i32), device: &str) -> Option<String> {
        (!self.arch.runs_on(cc)).then(|| {
            format!(
                "{}: skipped: needs {} ({}), {device} is sm_{}{}",
                self.handle(),
                self.arch.name(),
                match self.arch {
                    Arch::Sm80 => "compute capability 8.0 or later",
                    Arch::Sm90a => "compute capability 9.0 exactly",
                },
                cc.0,
                cc.1
            )
        })
    }
}

/// `(id, slug)` of a step symbol `<ladder>_s<NN>_<slug>`, if it follows the convention.
pub fn parse_step_symbol(ladder: &str, symbol: &'static str) -> Option<(u32, &'static str)> {
    let rest = symbol.strip_prefix(ladder)?.strip_prefix("_s")?;
    let (digits, slug) = rest.split_at_checked(2)?;
    let slug = slug.strip_prefix('_')?;
    let ok = digits.bytes().all(|b| b.is_ascii_digit())
        && !slug.is_empty()
        && slug
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'_');
    ok.then(|| (digits.parse().ok(), slug))
        .and_then(|(id, s)| Some((id?, s)))
}

/// A ladder's step table: the declarations of kernels-gpu's `steps!` (each with the ladder's
/// own launch description `G`), and the [`StepInfo`]s derived from them on first use.
pub struct StepTable<G: 'static> {
    ladder: &'static str,
    steps: &'static [Step<G>],
    infos: OnceLock<Vec<StepInfo>>,
}

impl<G: Sync> StepTable<G> {
    /// The table of ladder `ladder` over kernels-gpu's `STEPS`.
    pub const fn new(ladder: &'static str, steps: &'static [Step<G>]) -> Self {
        Self {
            ladder,
            steps,
            infos: OnceLock::new(),
        }
    }

    /// Every step, in order. The symbols must follow `<ladder>_s<NN>_<slug>` with increasing
    /// numbers (the registry's tests check every table): a declaration that does not is a
    /// programming error, reported with the symbol.
    pub fn infos(&'static self) -> &'static [StepInfo] {
        self.infos.get_or_init(|| {
            self.steps
                .iter()
                .enumerate()
                .map(|(index, s)| {
                    let symbol = s.symbols[0];
                    let (id, slug) = parse_step_symbol(self.ladder, symbol).unwrap_or_else(|| {
                        panic!(
                            "step symbol {symbol} of ladder {} does not follow <ladder>_s<NN>_<slug>",
                            self.ladder
                        )
                    });
                    StepInfo {
                        ladder: self.ladder,
                        id,
                        slug,
                        symbol,
                        symbols: s.symbols,
                        emulated: s.emulated,
                        technique: s.technique,
                        dtype: s.dtype,
                        arch: s.arch,
                        index,
                        stands_in_for: None,
                    }
                })
                .collect()
        })
    }

    /// Every step, in order, as [`Ladder::steps`] returns them.
    pub fn steps(&'static self) -> Vec<&'static StepInfo> {
        self.infos().iter().collect()
    }

    /// How `step`, one of this table's, is launched.
    pub fn grid(&self, step: &StepInfo) -> &'static G {
        let s = &self.steps[step.index];
        assert!(
            step.ladder == self.ladder && s.symbols[0] == step.stands_in_for.unwrap_or(step.symbol),
            "{} is not step {} of {}",
            step.symbol,
            step.index,
            self.ladder
        );
        &s.grid
    }

    /// Step number `id` of this table (a twin's step), if there is one.
    pub fn by_id(&'static self, id: u32) -> Option<&'static StepInfo> {
        self.infos().iter().find(|s| s.id == id)
    }

    /// The declaration of the step that launches `symbol`, if any.
    pub fn step_of_symbol(&self, symbol: &str) -> Option<&'static Step<G>> {
        self.steps.iter().find(|s| s.symbols.contains(&symbol))
    }
}

/// A ladder's step table as the `Ladder` trait reads it, whatever its launch type: the steps,
/// and the block each kernel is launched with.
pub trait Steps: Sync {
    /// Every step, in order.
    fn steps(&'static self) -> Vec<&'static StepInfo>;
    /// The block kernel `symbol` is launched with and which others its code handles; `None`
    /// when no step launches it.
    fn launch_block(&'static self, symbol: &str) -> Option<BlockSize>;
}

impl<G: BlockThreads + Sync> Steps for StepTable<G> {
    fn steps(&'static self) -> Vec<&'static StepInfo> {
        StepTable::steps(self)
    }
    fn launch_block(&'static self, symbol: &str) -> Option<BlockSize> {
        let s = self.step_of_symbol(symbol)?;
        Some(BlockSize {
            launch: s.grid.threads(),
            accepts: s.accepts,
        })
    }
}

/// Which reference implementation a baseline is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BaselineKind {
    /// A vendor library call (cuBLAS).
    Cublas,
    /// The CUDA C++ twin of one step: the same algorithm compiled by NVRTC.
    CudaCppTwin,
}

impl BaselineKind {
    /// The name in kernel labels (`<ladder>_<name>`) and the JSON.
    pub fn name(self) -> &'static str {
        match self {
            BaselineKind::Cublas => "cublas",
            BaselineKind::CudaCppTwin => "cuda_cpp_twin",
        }
    }
    /// The kind a result row's kernel label names (`gemm_cublas`, `saxpy_cuda_cpp_twin_bf16`),
    /// for files from before the kind was recorded.
    pub fn of_label(kernel: &str) -> Option<Self> {
        [BaselineKind::Cublas, BaselineKind::CudaCppTwin]
            .into_iter()
            .find(|k| kernel.contains(&format!("_{}", k.name())))
    }
}

/// A reference implementation timed beside a ladder's steps in the same run.
#[derive(Debug, Clone, Copy)]
pub struct BaselineInfo {
    pub kind: BaselineKind,
    /// The step it is the twin of (0 for a library baseline that stands for all steps).
    pub of_step: u32,
    /// The element type of its data (a twin's is its step's).
    pub dtype: DType,
    /// One line: what it is.
    pub description: &'static str,
}

impl BaselineInfo {
    /// `cublas`, `cuda_cpp_twin`.
    pub fn name(&self) -> &'static str {
        self.kind.name()
    }
    /// The label of its result rows: `<ladder>_<name>`, with `_<dtype>` for half precision
    /// (`saxpy_cuda_cpp_twin_bf16`), so the f32 and bf16 twins of one ladder stay apart.
    pub fn label(&self, ladder: &str) -> String {
        match self.dtype {
            DType::F32 => format!("{ladder}_{}", self.name()),
            d => format!("{ladder}_{}_{}", self.name(), d.name()),
        }
    }
}

/// What a case runs: one of the ladder's steps, or one of its baselines.
#[derive(Debug, Clone, Copy)]
pub enum Target<'a> {
    Step(&'a StepInfo),
    Baseline(&'a BaselineInfo),
}

impl Target<'_> {
    /// The element type of the target's data.
    pub fn dtype(&self) -> DType {
        match self {
            Target::Step(s) => s.dtype,
            Target::Baseline(b) => b.dtype,
        }
    }
}

/// Minimum work of one problem: FLOPs and the fewest bytes that must cross device memory
/// (each input read once, each output written once).
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct Work {
    pub flops: f64,
    pub bytes: f64,
}

/// The thread block a kernel is launched with, and which other blocks its code is written for
/// (`klab occupancy`'s default and check of `--block`). Threads per block, every dimension
/// together.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockSize {
    /// Threads per block of the ladder's launch.
    pub launch: u32,
    /// Which block sizes the code handles.
    pub accepts: Accepts,
}

impl BlockSize {
    /// Why a block of `threads` does not suit the code, if it does not.
    pub fn rejects(&self, threads: u32) -> Option<String> {
        let launch = self.launch;
        match self.accepts {
            Accepts::Exactly if threads != launch => Some(format!(
                "its code is written for blocks of exactly {launch} threads"
            )),
            Accepts::PowerOfTwo { min } if !threads.is_power_of_two() || threads < min => {
                let from = if min > 1 {
                    format!(" of at least {min} threads")
                } else {
                    String::new()
                };
                Some(format!(
                    "its shared-memory tree needs a power of two{from} (it is launched with \
                     {launch})"
                ))
            }
            Accepts::WarpMultiple if !threads.is_multiple_of(32) => Some(format!(
                "it needs a multiple of 32 threads, whole warps (it is launched with {launch})"
            )),
            _ => None,
        }
    }
}

/// Which ceiling a ladder's throughput is a percentage of (measured in the same run).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ceiling {
    /// Device-to-device copy bandwidth (bytes read + written).
    #[default]
    CopyGbps,
    /// Read-only streaming bandwidth.
    ReadGbps,
    /// FP32 FMA throughput.
    FmaTflops,
    /// cuBLAS SGEMM throughput.
    CublasSgemmTflops,
    /// cuBLAS bf16 GEMM throughput (bf16 in, f32 accumulate and out: tensor cores).
    CublasBf16Tflops,
}

impl Ceiling {
    /// Every ceiling, in the order reports list them.
    pub const ALL: [Ceiling; 5] = [
        Ceiling::CopyGbps,
        Ceiling::ReadGbps,
        Ceiling::FmaTflops,
        Ceiling::CublasSgemmTflops,
        Ceiling::CublasBf16Tflops,
    ];
    /// The key of this ceiling in the benchmark JSON's `ceilings` object.
    pub fn key(self) -> &'static str {
        match self {
            Ceiling::CopyGbps => "copy_gbps",
            Ceiling::ReadGbps => "read_gbps",
            Ceiling::FmaTflops => "fma_tflops",
            Ceiling::CublasSgemmTflops => "cublas_sgemm_tflops",
            Ceiling::CublasBf16Tflops => "cublas_bf16_tflops",
        }
    }
    /// What reports call it (`% of copy bandwidth`).
    pub fn label(self) -> &'static str {
        match self {
            Ceiling::CopyGbps => "copy bandwidth",
            Ceiling::ReadGbps => "read bandwidth",
            Ceiling::FmaTflops => "FP32 FMA peak",
            Ceiling::CublasSgemmTflops => "cuBLAS SGEMM",
            Ceiling::CublasBf16Tflops => "cuBLAS bf16 GEMM",
        }
    }
    /// A short name with its unit, for one-line summaries (`copy`, `GB/s`).
    pub fn short(self) -> (&'static str, &'static str) {
        match self {
            Ceiling::CopyGbps => ("copy", "GB/s"),
            Ceiling::ReadGbps => ("read", "GB/s"),
            Ceiling::FmaTflops => ("FP32 FMA", "TFLOP/s"),
            Ceiling::CublasSgemmTflops => ("cuBLAS SGEMM", "TFLOP/s"),
            Ceiling::CublasBf16Tflops => ("cuBLAS bf16", "TFLOP/s"),
        }
    }
    /// Whether throughput is measured in GB/s (else TFLOP/s).
    pub fn is_bandwidth(self) -> bool {
        matches!(self, Ceiling::CopyGbps | Ceiling::ReadGbps)
    }
}

/// The static facts of a ladder, besides its steps: what the registry, the CLI and the
/// benchmark read. Shapes are dimension lists (`&[4096, 4096, 4096]`).
#[derive(Debug)]
pub struct LadderMeta {
    /// The ladder's name, also the folder of its kernels in kernels-gpu.
    pub name: &'static str,
    /// One line: what the ladder computes (element types are the steps').
    pub description: &'static str,
    /// Number of dimensions a shape has (1: `N`; 2: `rows x cols`; 3: `M x N x K`).
    pub dims: usize,
    /// The shape `klab run` uses without `--size`.
    pub default_shape: &'static [usize],
    /// The shapes the benchmark times (working set at least 256 MiB for memory-bound ladders).
    pub bench_shapes: &'static [&'static [usize]],
    /// What throughput is compared against.
    pub ceiling: Ceiling,
    /// The chapter of the guide that explains the ladder: `docs/ladders/<chapter>.md`, which
    /// holds its `<!-- klab:measured ladder=NAME -->` block (`klab report --docs`).
    pub chapter: &'static str,
}

/// An optimisation ladder: numbered steps computing one function.
pub trait Ladder: Sync {
    /// The ladder's static facts.
    fn meta(&self) -> &'static LadderMeta;
    /// The ladder's name, also the folder of its kernels in kernels-gpu.
    fn name(&self) -> &'static str {
        self.meta().name
    }
    /// One line: what the ladder computes.
    fn description(&self) -> &'static str {
        self.meta().description
    }
    /// The ladder's step table (kernels-gpu's `STEPS`, as a [`StepTable`]).
    fn table(&self) -> &'static dyn Steps;
    /// The steps, in order.
    fn steps(&self) -> Vec<&'static StepInfo> {
        self.table().steps()
    }
    /// The element types of the steps, each once, in the order of the steps.
    fn dtypes(&self) -> Vec<DType> {
        let mut out = Vec::new();
        for s in self.steps() {
            if !out.contains(&s.dtype) {
                out.push(s.dtype);
            }
        }
        out
    }
    /// Number of dimensions a shape has.
    fn dims(&self) -> usize {
        self.meta().dims
    }
    /// The shape `klab run` uses without `--size`.
    fn default_shape(&self) -> Shape {
        Shape(self.meta().default_shape.to_vec())
    }
    /// The shapes the benchmark times.
    fn bench_shapes(&self) -> Vec<Shape> {
        self.meta()
            .bench_shapes
            .iter()
            .map(|s| Shape(s.to_vec()))
            .collect()
    }
    /// Awkward shapes every step is verified on (1, primes, tile ± 1, ...).
    fn awkward_shapes(&self) -> Vec<Shape> {
        crate::ladders::awkward_shapes(self.dims())
    }
    /// Minimum FLOPs and bytes of one problem whose data is of `dtype`.
    fn work(&self, shape: &Shape, dtype: DType) -> Work;
    /// What throughput is compared against.
    fn ceiling(&self) -> Ceiling {
        self.meta().ceiling
    }
    /// Fresh random inputs of one problem (`seed`), as f32 values in the order of
    /// [`Ladder::input_specs`]; [`Ladder::prepare`] rounds them to the data's element type.
    /// Checks the shape first, so an impossible one allocates nothing.
    fn random_inputs(&self, shape: &Shape, seed: u64) -> Result<Vec<Vec<f32>>>;
    /// Allocates and fills one problem with fresh random inputs, for the steps and baselines
    /// of element type `dtype`.
    fn prepare(&self, gpu: &Gpu, shape: &Shape, dtype: DType, seed: u64) -> Result<Box<dyn Case>> {
        let inputs = self.random_inputs(shape, seed)?;
        self.prepare_from(gpu, shape, dtype, inputs)
    }
    /// Like [`Ladder::prepare`], with the given inputs (one per [`Ladder::input_specs`] entry,
    /// each of its shape, C order, as f32 values, rounded to `dtype`) instead of random ones.
    /// An element type the ladder has no steps of is a usage error.
    fn prepare_from(
        &self,
        gpu: &Gpu,
        shape: &Shape,
        dtype: DType,
        inputs: Vec<Vec<f32>>,
    ) -> Result<Box<dyn Case>> {
        has_steps_of(self.name(), &self.dtypes(), dtype)?;
        self.case(gpu, shape, dtype, inputs)
    }
    /// The case of [`Ladder::prepare_from`], for an element type the ladder has steps of.
    fn case(
        &self,
        gpu: &Gpu,
        shape: &Shape,
        dtype: DType,
        inputs: Vec<Vec<f32>>,
    ) -> Result<Box<dyn Case>>;
    /// The inputs of one problem of `shape`, in the order [`Ladder::prepare_from`] takes them:
    /// each one's name and its array shape (`klab run --input`).
    fn input_specs(&self, shape: &Shape) -> Vec<InputSpec>;
    /// The dynamic shared memory (bytes) kernel `symbol`, one of this ladder's entry points,
    /// is launched with, when that is known without a GPU or a shape (`klab occupancy`'s
    /// default `--smem`). Default: `None`, not known.
    fn dynamic_smem(&self, _symbol: &str) -> Option<u32> {
        None
    }
    /// The block kernel `symbol`, one of this ladder's entry points, is launched with, and
    /// which other blocks its code handles (`klab occupancy`'s default and check of
    /// `--block`). `None`: not one of this ladder's kernels.
    fn launch_block(&self, symbol: &str) -> Option<BlockSize> {
        self.table().launch_block(symbol)
    }
    /// Baselines timed beside the steps (default: none).
    fn baselines(&self) -> &'static [BaselineInfo] {
        &[]
    }
    /// The ladder's top step as an op on caller-owned memory and stream (the Python package's
    /// `kernel_lab.<op>`; [`crate::ops`]). Default: none.
    fn op(&self) -> Option<&'static dyn crate::ops::Op> {
        None
    }

    /// A shape of this ladder made from a random draw of [`Ladder::dims`] sizes (what the
    /// random-shape tests run); default: the draw itself. A ladder whose dimensions are
    /// constrained (attention: `head_dim` 64 or 128, a causal flag) maps the draw onto its
    /// shapes.
    fn shape_from_draw(&self, draw: Shape) -> Shape {
        draw
    }
    /// Parses a shape for this ladder.
    fn parse_shape(&self, text: &str) -> Result<Shape> {
        Shape::parse(text, self.dims(), self.name())
    }
    /// The problem shape implied by the first input's array shape (default: the array shape
    /// itself, with the ladder's number of dimensions). The other inputs are then checked
    /// against [`Ladder::input_specs`].
    fn shape_from_input(&self, array_shape: &[usize]) -> Result<Shape> {
        if array_shape.len() != self.dims() || array_shape.contains(&0) {
            return Err(Error::Shape {
                what: self.name().into(),
                shape: format!("{array_shape:?}"),
                why: format!(
                    "the first input must have {} non-empty dimension(s)",
                    self.dims()
                ),
            });
        }
        Ok(Shape(array_shape.to_vec()))
    }
}

/// A usage error unless `dtypes` (a ladder's) holds `dtype`.
pub fn has_steps_of(ladder: &str, dtypes: &[DType], dtype: DType) -> Result<()> {
    if dtypes.contains(&dtype) {
        return Ok(());
    }
    let have: Vec<&str> = dtypes.iter().map(|d| d.name()).collect();
    Err(Error::Usage(format!(
        "{ladder} has no {} steps (its steps are {})",
        dtype.name(),
        have.join(", ")
    )))
}

/// One input of a ladder's problem: its name (`x`) and array shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputSpec {
    pub name: &'static str,
    pub shape: Vec<usize>,
}

/// The output of a run, on the host: its array shape (empty for a scalar), its element type
/// in memory, and its values in C order (exact: every bf16 and f16 is an f32).
#[derive(Debug, Clone, PartialEq)]
pub struct Output {
    pub shape: Vec<usize>,
    pub dtype: DType,
    pub values: Vec<f32>,
}

/// One prepared problem: device inputs and outputs, and its float64 reference, for the steps
/// and baselines of one element type.
pub trait Case {
    /// Enqueues one complete run of `target` (all its launches) on the stream. No allocation,
    /// synchronisation or host work beyond the launches: this is what the benchmark times.
    fn run(&mut self, gpu: &Gpu, target: Target<'_>) -> Result<()>;
    /// Restores in-place state (accumulators, outputs that a step adds into) before a run.
    fn reset(&mut self, _gpu: &Gpu) -> Result<()> {
        Ok(())
    }
    /// Fills the outputs with NaN, so an element a kernel does not write fails the check. A
    /// case whose output is also an input (restored by [`Case::reset`]) leaves it: an element
    /// the kernel skips keeps its input value, which differs from the reference.
    fn poison(&mut self, gpu: &Gpu) -> Result<()>;
    /// Compares the outputs of the last run with the float64 reference.
    fn check(&mut self, gpu: &Gpu) -> Result<Comparison>;
    /// The output of the last run, copied to the host (`klab run --output`).
    fn output(&mut self, gpu: &Gpu) -> Result<Output>;
    /// Writes new inputs (one per [`Ladder::input_specs`] entry of the case's shape, as f32
    /// values, rounded to the case's element type) into the case's own input buffers and
    /// recomputes the reference; outputs and scratch buffers keep what the last run left.
    /// `klab grade` does this before its last run, so a kernel that keeps results between
    /// calls fails. Default: not supported (an error naming the case).
    fn refill(&mut self, _gpu: &Gpu, _inputs: Vec<Vec<f32>>) -> Result<()> {
        Err(Error::Other(
            "this ladder's case cannot take new inputs in place (Case::refill)".into(),
        ))
    }
}

/// The inputs of a [`Case::refill`] call: `n` of them, each of `lens[i]` values, or an error.
pub fn refill_inputs<const N: usize>(
    inputs: Vec<Vec<f32>>,
    lens: [usize; N],
) -> Result<[Vec<f32>; N]> {
    let got: Vec<usize> = inputs.iter().map(Vec::len).collect();
    if got != lens {
        return Err(Error::Other(format!(
            "refill: inputs of lengths {got:?}, the case takes {lens:?}"
        )));
    }
    Ok(inputs.try_into().expect("checked above"))
}

/// The one check of a step or baseline: restore the inputs, poison the outputs, run, compare
/// with the float64 reference.
pub fn verify(case: &mut dyn Case, gpu: &Gpu, target: Target<'_>) -> Result<Comparison> {
    case.reset(gpu)?;
    case.poison(gpu)?;
    case.run(gpu, target)?;
    case.check(gpu)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn step_symbols_parse_into_id_and_slug() {
        assert_eq!(
            parse_step_symbol("reduce_sum", "reduce_sum_s05_warp_shuffle"),
            Some((5, "warp_shuffle"))
        );
        assert_eq!(
            parse_step_symbol("gemm", "gemm_s09_autotuned"),
            Some((9, "autotuned"))
        );
        for bad in [
            "gemm_s9_x",
            "gemm_s09",
            "gemm_s09_",
            "gemm_x09_a",
            "gemm_s0a_b",
            "gem_s01_a",
        ] {
            assert_eq!(parse_step_symbol("gemm", bad), None, "{bad}");
        }
        assert_eq!(parse_step_symbol("gemm", "gemm_s01_Naive"), None);
    }
}
