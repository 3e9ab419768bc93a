//! The registries: every ladder, its numbered steps, and how to run and check them.
//!
//! Each ladder (`host/ladders/<name>.rs`) holds the single list of its steps: id, slug, kernel
//! symbol (taken from kernels-gpu's `kernel!` declaration), technique, and the launch
//! configuration; and, as functions of the shape, the FLOPs and minimum bytes. The CLI, the
//! benchmark, the tests and the SASS tooling all iterate over [`all_ladders`]; nothing else
//! keeps a list of kernels.

use crate::error::{Error, Result};
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
/// or `ladder/slug` (`reduce_sum/warp_shuffle`). The error lists every registered kernel.
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
    Err(Error::UnknownKernel {
        name: name.to_string(),
        known: kernel_table(),
    })
}

/// A table of every registered kernel, one line each (`klab list`).
pub fn kernel_table() -> String {
    let mut out = String::new();
    for l in all_ladders() {
        for s in l.steps() {
            out.push_str(&format!(
                "  {:<18} {:<40} {}\n",
                s.handle(),
                s.symbol,
                s.technique
            ));
        }
    }
    out
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
        let err = find("nosuch").err().unwrap().to_string();
        assert!(err.contains(s.symbol), "{err}");
    }
}
