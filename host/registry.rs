//! The registries: every ladder, its numbered steps, and how to run and check them.
//!
//! Each ladder (`host/ladders/<name>.rs`) holds the single list of its steps: id, slug, kernel
//! symbol (taken from kernels-gpu's `kernel!` declaration), technique, and the launch
//! configuration; and, as functions of the shape, the FLOPs and minimum bytes. The CLI, the
//! benchmark, the tests and the SASS tooling all iterate over [`all_ladders`]; nothing else
//! keeps a list of kernels.

use crate::error::{Error, Known, Result};
use crate::runtime::Gpu;
use crate::shape::Shape;
use crate::verify::Comparison;
use serde::Serialize;

/// One step of a ladder, as everything outside the ladder sees it.
#[derive(Debug, Clone, Copy, Serialize)]
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
    /// What the step does differently from the one before.
    pub technique: &'static str,
}

impl StepInfo {
    /// `ladder/id` (`reduce_sum/5`), the short handle the CLI accepts.
    pub fn handle(&self) -> String {
        format!("{}/{}", self.ladder, self.id)
    }
}

/// A reference implementation timed beside a ladder's steps in the same run: cuBLAS, or the
/// CUDA C++ twin of a step (same algorithm, compiled with NVRTC).
#[derive(Debug, Clone, Copy, Serialize)]
pub struct BaselineInfo {
    /// `cublas` or `cuda_cpp_twin`.
    pub name: &'static str,
    /// The step it is the twin of (0 for a library baseline that stands for all steps).
    pub of_step: u32,
    /// One line: what it is.
    pub description: &'static str,
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

/// Which block sizes (threads per block) a kernel's code handles, besides the device limit.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Accepts {
    /// Only its launch's: tile shapes or a const generic fix the block in the code.
    Exactly,
    /// Powers of two from `min`: a shared-memory tree halves `blockDim`.
    PowerOfTwo { min: u32 },
    /// Multiples of 32: one warp per item, or one value per warp in a block reduction.
    WarpMultiple,
    /// Any: the code reads `blockDim` and checks its bounds.
    Any,
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

/// Which ceiling a ladder's throughput is a percentage of.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Ceiling {
    /// Device-to-device copy bandwidth (bytes read + written).
    CopyGbps,
    /// Read-only streaming bandwidth.
    ReadGbps,
    /// FP32 FMA throughput.
    FmaTflops,
    /// cuBLAS SGEMM throughput.
    CublasSgemmTflops,
}

impl Ceiling {
    /// The key of this ceiling in the benchmark JSON's `ceilings` object.
    pub fn key(self) -> &'static str {
        match self {
            Ceiling::CopyGbps => "copy_gbps",
            Ceiling::ReadGbps => "read_gbps",
            Ceiling::FmaTflops => "fma_tflops",
            Ceiling::CublasSgemmTflops => "cublas_sgemm_tflops",
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
    /// One line: what the ladder computes.
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
    /// The steps, in order (each ladder keeps them in one static table, with its launch
    /// configuration beside each [`StepInfo`]).
    fn steps(&self) -> Vec<&'static StepInfo>;
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
    /// Minimum FLOPs and bytes of one problem.
    fn work(&self, shape: &Shape) -> Work;
    /// What throughput is compared against.
    fn ceiling(&self) -> Ceiling {
        self.meta().ceiling
    }
    /// Allocates and fills the inputs of one problem with fresh random values (`seed`).
    fn prepare(&self, gpu: &Gpu, shape: &Shape, seed: u64) -> Result<Box<dyn Case>>;
    /// The dynamic shared memory (bytes) kernel `symbol`, one of this ladder's entry points,
    /// is launched with, when that is known without a GPU or a shape (`klab occupancy`'s
    /// default `--smem`). Default: `None`, not known.
    fn dynamic_smem(&self, _symbol: &str) -> Option<u32> {
        None
    }
    /// The block kernel `symbol`, one of this ladder's entry points, is launched with, and
    /// which others its code accepts ([`BlockSize`]; `klab occupancy`'s default `--block`).
    /// Default: `None`, not known.
    fn launch_block(&self, _symbol: &str) -> Option<BlockSize> {
        None
    }
    /// Baselines timed beside the steps (default: none).
    fn baselines(&self) -> &'static [BaselineInfo] {
        &[]
    }
    /// Parses a shape for this ladder.
    fn parse_shape(&self, text: &str) -> Result<Shape> {
        Shape::parse(text, self.dims(), self.name())
    }
    /// The inputs of one problem of `shape`, in the order [`Ladder::prepare_from`] takes them:
    /// each one's name and its array shape (`klab run --input`). Default: none, meaning the
    /// ladder does not take input files.
    fn input_specs(&self, _shape: &Shape) -> Vec<InputSpec> {
        Vec::new()
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
    /// Like [`Ladder::prepare`], with the given inputs (one per [`Ladder::input_specs`] entry,
    /// each of its shape, C order) instead of random ones.
    fn prepare_from(
        &self,
        _gpu: &Gpu,
        _shape: &Shape,
        _inputs: Vec<Vec<f32>>,
    ) -> Result<Box<dyn Case>> {
        Err(Error::Other(format!(
            "ladder {} does not take input files yet (Ladder::prepare_from)",
            self.name()
        )))
    }
}

/// One input of a ladder's problem: its name (`x`) and array shape.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InputSpec {
    pub name: &'static str,
    pub shape: Vec<usize>,
}

/// One prepared problem: device inputs and outputs, and its CPU reference.
pub trait Case {
    /// Enqueues one complete run of `step` (all its launches) on the stream. No allocation,
    /// synchronisation or host work beyond the launches: this is what the benchmark times.
    fn run(&mut self, gpu: &Gpu, step: &StepInfo) -> Result<()>;
    /// Restores in-place state (accumulators, outputs that a step adds into) before a run.
    fn reset(&mut self, _gpu: &Gpu) -> Result<()> {
        Ok(())
    }
    /// Poisons the outputs with NaN, runs `step`, and compares with the float64 reference.
    fn verify(&mut self, gpu: &Gpu, step: &StepInfo) -> Result<Comparison>;
    /// Enqueues one run of a baseline (one of the ladder's [`Ladder::baselines`]).
    fn run_baseline(&mut self, _gpu: &Gpu, baseline: &BaselineInfo) -> Result<()> {
        Err(Error::Other(format!(
            "this ladder has no baseline {}",
            baseline.name
        )))
    }
    /// Poisons the outputs, runs the baseline, and compares with the reference.
    fn verify_baseline(&mut self, _gpu: &Gpu, baseline: &BaselineInfo) -> Result<Comparison> {
        Err(Error::Other(format!(
            "this ladder has no baseline {}",
            baseline.name
        )))
    }
    /// The output of the last run, copied to the host: its array shape (empty for a scalar)
    /// and its elements in C order (`klab run --output`).
    fn output(&mut self, _gpu: &Gpu) -> Result<(Vec<usize>, Vec<f32>)> {
        Err(Error::Other(
            "this ladder cannot return its output yet (Case::output)".into(),
        ))
    }
}

/// Every ladder, in teaching order.
pub fn all_ladders() -> Vec<&'static dyn Ladder> {
    crate::ladders::ALL.to_vec()
}

/// The guide's ladder chapters (`docs/ladders/<chapter>.md`), each once, in teaching order.
pub fn chapters() -> Vec<&'static str> {
    let mut out: Vec<&'static str> = Vec::new();
    for l in all_ladders() {
        if !out.contains(&l.meta().chapter) {
            out.push(l.meta().chapter);
        }
    }
    out
}

/// Every step of every ladder.
pub fn all_steps() -> impl Iterator<Item = &'static StepInfo> {
    crate::ladders::ALL.iter().flat_map(|l| l.steps())
}

/// PTX entry points that are not ladder steps: the ceiling kernels the benchmark measures
/// the hardware with (kernels-gpu/src/ceiling) and the device-API self-tests
/// (kernels-gpu/src/selftest).
pub fn aux_symbols() -> &'static [&'static str] {
    use kernels_gpu::ceiling as c;
    use kernels_gpu::selftest as t;
    &[
        c::ceiling_read_stream::SYMBOL,
        c::ceiling_fma_throughput::SYMBOL,
        t::selftest_warp::SYMBOL,
        t::selftest_atomics::SYMBOL,
        t::selftest_math::SYMBOL,
        t::selftest_smem_vec::SYMBOL,
        t::selftest_half_from_f32::SYMBOL,
        t::selftest_half_to_f32::SYMBOL,
        t::selftest_half_arith::SYMBOL,
        t::selftest_half_vec::SYMBOL,
    ]
}

/// Every registered PTX entry point: every step's, then [`aux_symbols`].
pub fn all_symbols() -> impl Iterator<Item = &'static str> {
    all_steps()
        .flat_map(|s| s.symbols.iter().copied())
        .chain(aux_symbols().iter().copied())
}

/// The ladder of the given name.
pub fn ladder(name: &str) -> Option<&'static dyn Ladder> {
    crate::ladders::ALL
        .iter()
        .copied()
        .find(|l| l.name() == name)
}

/// Finds a step by kernel symbol (`reduce_sum_s05_warp_shuffle`), `ladder/id` (`reduce_sum/5`)
/// or `ladder/slug` (`reduce_sum/warp_shuffle`). Otherwise [`Error::Unknown`], with the closest
/// kernels or, when none is close, every one.
pub fn find(name: &str) -> Result<(&'static dyn Ladder, &'static StepInfo)> {
    for l in crate::ladders::ALL.iter().copied() {
        for s in l.steps() {
            let by_handle = name.split_once('/').is_some_and(|(lad, rest)| {
                lad == s.ladder
                    && (rest == s.slug || rest.parse::<u32>().is_ok_and(|id| id == s.id))
            });
            if s.symbol == name || by_handle {
                return Ok((l, s));
            }
        }
    }
    Err(unknown_kernel(name, known_kernels()))
}

/// The unknown-kernel error for `name` among `known` (from [`known_kernels`], perhaps with
/// more entry points).
pub fn unknown_kernel(name: &str, known: Vec<Known>) -> Error {
    let everything = format!("`klab list` shows all {} kernels", all_steps().count());
    Error::unknown("kernel", name, &known, &everything)
}

/// Every registered step by its names (`ladder/step`, `ladder/slug`, symbol), with its
/// [`kernel_line`].
pub fn known_kernels() -> Vec<Known> {
    all_steps()
        .map(|s| Known {
            names: vec![
                s.handle(),
                format!("{}/{}", s.ladder, s.slug),
                s.symbol.to_string(),
            ],
            line: kernel_line(s),
            listed: true,
        })
        .collect()
}

/// The ladder of the given name, or [`Error::Unknown`] listing the closest ladders (or all).
pub fn find_ladder(name: &str) -> Result<&'static dyn Ladder> {
    ladder(name).ok_or_else(|| {
        let known: Vec<Known> = all_ladders()
            .into_iter()
            .map(|l| Known {
                names: vec![l.name().to_string()],
                line: format!("  {:<18} {}", l.name(), l.description()),
                listed: true,
            })
            .collect();
        Error::unknown("ladder", name, &known, "`klab list` shows every ladder")
    })
}

/// One kernel's line in `klab list` and in error messages: handle, symbol, technique.
pub fn kernel_line(s: &StepInfo) -> String {
    format!("  {:<18} {:<40} {}", s.handle(), s.symbol, s.technique)
}

/// Checks that the symbol follows `<ladder>_s<NN>_<slug>` (STYLE.md: predictable symbols).
pub fn symbol_follows_convention(s: &StepInfo) -> bool {
    s.symbol == format!("{}_s{:02}_{}", s.ladder, s.id, s.slug)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn steps_are_numbered_in_order_with_unique_symbols_and_slugs() {
        let mut symbols = std::collections::HashSet::new();
        for l in all_ladders() {
            let steps = l.steps();
            assert!(!steps.is_empty(), "{} has no steps", l.name());
            for w in steps.windows(2) {
                assert!(w[0].id < w[1].id, "{}: step ids must increase", l.name());
            }
            let mut slugs = std::collections::HashSet::new();
            for s in &steps {
                assert_eq!(s.ladder, l.name());
                assert!(
                    symbol_follows_convention(s),
                    "{} does not follow <ladder>_s<NN>_<slug>",
                    s.symbol
                );
                assert!(
                    s.symbols.contains(&s.symbol),
                    "{}: symbols must include the main symbol",
                    s.symbol
                );
                assert!(slugs.insert(s.slug), "{}: slug {} reused", l.name(), s.slug);
                assert!(
                    symbols.insert(s.symbol),
                    "symbol {} registered twice",
                    s.symbol
                );
            }
        }
    }

    #[test]
    fn every_ladder_has_its_measured_block_in_its_chapter() {
        let docs = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("docs/ladders");
        if !docs.is_dir() {
            eprintln!(
                "every_ladder_has_its_measured_block_in_its_chapter: skipped: no source checkout ({} is absent)",
                docs.display()
            );
            return;
        }
        for l in all_ladders() {
            let path = docs.join(format!("{}.md", l.meta().chapter));
            let text = std::fs::read_to_string(&path)
                .unwrap_or_else(|e| panic!("{}: {}: {e}", l.name(), path.display()));
            let marker = format!("<!-- klab:measured ladder={} -->", l.name());
            assert!(text.contains(&marker), "{} has no {marker}", path.display());
        }
    }

    #[test]
    fn every_step_kernel_has_a_launch_block_its_code_accepts() {
        for l in all_ladders() {
            for s in l.steps() {
                for sym in s.symbols {
                    let b = l
                        .launch_block(sym)
                        .unwrap_or_else(|| panic!("{sym}: no launch block"));
                    assert!((1..=1024).contains(&b.launch), "{sym}: {b:?}");
                    assert_eq!(b.rejects(b.launch), None, "{sym}: {b:?}");
                    if let Some((max, _)) = crate::ptx::launch_bounds(crate::ptx::PTX, sym) {
                        assert!(b.launch <= max, "{sym}: {b:?} over .maxntid {max}");
                    }
                    // A kernel that never reads blockDim (%ntid) is written for one block.
                    let text = crate::ptx::kernel_text(crate::ptx::PTX, sym).unwrap();
                    if !text.contains("%ntid") {
                        assert_eq!(b.accepts, Accepts::Exactly, "{sym} never reads %ntid");
                    }
                }
            }
        }
        assert_eq!(
            crate::ladders::saxpy::Saxpy.launch_block("gemm_s01_naive"),
            None
        );
    }

    #[test]
    fn block_rules_reject_what_the_code_cannot_run() {
        let b = |accepts| BlockSize {
            launch: 256,
            accepts,
        };
        assert!(b(Accepts::Exactly).rejects(128).is_some());
        assert!(b(Accepts::PowerOfTwo { min: 64 }).rejects(32).is_some());
        assert!(b(Accepts::PowerOfTwo { min: 64 }).rejects(96).is_some());
        assert_eq!(b(Accepts::PowerOfTwo { min: 64 }).rejects(1024), None);
        assert!(b(Accepts::WarpMultiple).rejects(100).is_some());
        assert_eq!(b(Accepts::WarpMultiple).rejects(96), None);
        assert_eq!(b(Accepts::Any).rejects(7), None);
    }

    #[test]
    fn every_registered_symbol_is_in_the_embedded_ptx() {
        let missing = crate::ptx::missing_entries(crate::ptx::PTX, all_symbols());
        assert!(missing.is_empty(), "missing from the PTX: {missing:?}");
    }

    #[test]
    fn find_accepts_symbol_handle_and_slug_and_lists_kernels_otherwise() {
        let s = all_steps().next().unwrap();
        assert_eq!(find(s.symbol).unwrap().1.symbol, s.symbol);
        assert_eq!(find(&s.handle()).unwrap().1.symbol, s.symbol);
        assert_eq!(
            find(&format!("{}/{}", s.ladder, s.slug)).unwrap().1.symbol,
            s.symbol
        );
        let err = find("nosuch").err().unwrap();
        assert!(err.is_usage());
        let err = err.to_string();
        assert!(
            err.contains("known kernels:") && err.contains(s.symbol),
            "{err}"
        );
        assert_eq!(err.lines().count(), 1 + all_steps().count(), "{err}");
    }

    #[test]
    fn a_misspelt_kernel_gets_a_suggestion_and_a_short_list() {
        let err = find("saxpi/1").err().unwrap().to_string();
        assert!(
            err.starts_with("no kernel named \"saxpi/1\"; did you mean saxpy/1?"),
            "{err}"
        );
        assert!(err.contains("saxpy_s01_naive"), "{err}");
        assert!(
            !err.contains("gemm_s01_naive"),
            "only the close ones: {err}"
        );
        assert!(err.lines().count() <= 7, "{err}");
        let by_symbol = find("saxpy_s01_naiv").err().unwrap().to_string();
        assert!(
            by_symbol.contains("did you mean saxpy_s01_naive?"),
            "{by_symbol}"
        );
    }

    #[test]
    fn an_unknown_ladder_lists_ladders_not_kernels() {
        let err = find_ladder("saxpi").err().unwrap().to_string();
        assert!(
            err.contains("no ladder named \"saxpi\"; did you mean saxpy?"),
            "{err}"
        );
        assert!(!err.contains("saxpy_s01_naive"), "{err}");
        let err = find_ladder("zzz").err().unwrap().to_string();
        assert!(err.contains("known ladders:"), "{err}");
        for l in all_ladders() {
            assert!(err.contains(l.name()), "{err}");
        }
        assert!(!err.contains("saxpy/1"), "ladders, not kernels: {err}");
        assert_eq!(find_ladder("gemm").unwrap().name(), "gemm");
    }
}
