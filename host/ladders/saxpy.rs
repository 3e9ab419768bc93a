//! `y = a·x + y`, in place.

use super::TwinKernel;
use crate::error::Result;
use crate::inputs;
use crate::registry::{
    Accepts, BaselineInfo, BlockSize, Case, Ceiling, InputSpec, Ladder, LadderMeta, StepInfo, Work,
};
use crate::runtime::{DeviceBuffer, Gpu, Launch};
use crate::shape::Shape;
use crate::verify::{Comparison, Tolerance, compare};
use kernels_gpu::saxpy::{self as k, SaxpyParams};

/// The SAXPY ladder.
pub struct Saxpy;

/// How a step's grid is sized.
#[derive(Debug, Clone, Copy)]
enum Grid {
    /// One thread per element.
    OnePerElement,
    /// A fixed grid of `BLOCKS_PER_SM` blocks per SM, one element per thread and iteration.
    Stride,
    /// As `Stride`, four elements (one 128-bit vector) per thread and iteration.
    StrideVec4,
}

/// One step: what the registry shows, and how its grid is sized.
struct SaxpyStep {
    info: StepInfo,
    grid: Grid,
}

static STEPS: &[SaxpyStep] = &[
    SaxpyStep {
        info: StepInfo {
            ladder: "saxpy",
            id: 1,
            slug: "naive",
            symbol: k::saxpy_s01_naive::SYMBOL,
            symbols: &[k::saxpy_s01_naive::SYMBOL],
            technique: "one thread per element",
        },
        grid: Grid::OnePerElement,
    },
    SaxpyStep {
        info: StepInfo {
            ladder: "saxpy",
            id: 2,
            slug: "grid_stride",
            symbol: k::saxpy_s02_grid_stride::SYMBOL,
            symbols: &[k::saxpy_s02_grid_stride::SYMBOL],
            technique: "grid-stride loop over a fixed grid",
        },
        grid: Grid::Stride,
    },
    SaxpyStep {
        info: StepInfo {
            ladder: "saxpy",
            id: 3,
            slug: "vectorized",
            symbol: k::saxpy_s03_vectorized::SYMBOL,
            symbols: &[k::saxpy_s03_vectorized::SYMBOL],
            technique: "grid-stride loop of 128-bit loads/stores, scalar head and tail",
        },
        grid: Grid::StrideVec4,
    },
];

/// The CUDA C++ twin of step 3 (host/ladders/twins/saxpy.cu).
static BASELINES: &[BaselineInfo] = &[BaselineInfo {
    name: "cuda_cpp_twin",
    of_step: 3,
    description: "CUDA C++ twin of saxpy/3 (NVRTC): float4 grid-stride loop, scalar head and tail",
}];
const TWIN_SRC: &str = include_str!("twins/saxpy.cu");

const THREADS: u32 = 256;
/// Blocks per SM of the grid-stride steps.
const BLOCKS_PER_SM: u32 = 8;

/// The launch of `step` for `n` elements on `gpu`.
fn launch_for(step: &StepInfo, n: usize, gpu: &Gpu) -> Launch {
    let grid = STEPS
        .iter()
        .find(|s| s.info.id == step.id)
        .expect("a saxpy step")
        .grid;
    match grid {
        Grid::OnePerElement => Launch::cover(n, THREADS),
        Grid::StrideVec4 => vectorized_launch(n, gpu),
        Grid::Stride => {
            let full = n.div_ceil(THREADS as usize) as u32;
            Launch::linear(
                full.min(gpu.info().sm_count as u32 * BLOCKS_PER_SM),
                THREADS,
            )
        }
    }
}

/// The grid of the vectorised step (and its twin): `BLOCKS_PER_SM` per SM, but no more than
/// one 4-element vector per thread.
fn vectorized_launch(n: usize, gpu: &Gpu) -> Launch {
    let full = n.div_ceil(4 * THREADS as usize).max(1);
    Launch::linear(
        full.min(gpu.info().sm_count.max(1) as usize * BLOCKS_PER_SM as usize) as u32,
        THREADS,
    )
}

/// The SAXPY constant used by every check.
const A: f32 = 1.5;

static META: LadderMeta = LadderMeta {
    name: "saxpy",
    description: "y = a*x + y, f32, in place",
    dims: 1,
    default_shape: &[1 << 24],
    bench_shapes: &[&[super::BENCH_N_256MIB]],
    ceiling: Ceiling::CopyGbps,
    chapter: "elementwise",
};

impl Ladder for Saxpy {
    fn meta(&self) -> &'static LadderMeta {
        &META
    }
    fn steps(&self) -> Vec<&'static StepInfo> {
        STEPS.iter().map(|s| &s.info).collect()
    }
    /// Every grid kind is bounds-checked (or a grid-stride loop): any block, launched with
    /// [`THREADS`].
    fn launch_block(&self, symbol: &str) -> Option<BlockSize> {
        STEPS
            .iter()
            .any(|s| s.info.symbols.contains(&symbol))
            .then_some(BlockSize {
                launch: THREADS,
                accepts: Accepts::Any,
            })
    }
    fn work(&self, shape: &Shape) -> Work {
        let n = shape.numel() as f64;
        Work {
            flops: 2.0 * n,
            bytes: 12.0 * n,
        }
    }
    fn baselines(&self) -> &'static [BaselineInfo] {
        BASELINES
    }
    fn prepare(&self, gpu: &Gpu, shape: &Shape, seed: u64) -> Result<Box<dyn Case>> {
        // Check the size before allocating host inputs for it.
        let n = super::n_u32(shape.numel(), self.name())? as usize;
        // |a·x| >= 0.75, so an element the kernel skips (it keeps y0) cannot pass the check.
        let x = inputs::uniform(n, seed, 0.5, 1.5);
        let y0 = inputs::uniform(n, seed ^ 1, -1.0, 1.0);
        self.prepare_from(gpu, shape, vec![x, y0])
    }
    fn input_specs(&self, shape: &Shape) -> Vec<InputSpec> {
        let n = vec![shape.numel()];
        vec![
            InputSpec {
                name: "x",
                shape: n.clone(),
            },
            InputSpec {
                name: "y",
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
        let [x, y0] = super::take_inputs::<2>(self, shape, inputs)?;
        let n = shape.numel();
        let reference = x
            .iter()
            .zip(&y0)
            .map(|(&x, &y)| A as f64 * x as f64 + y as f64)
            .collect();
        Ok(Box::new(SaxpyCase {
            n: super::n_u32(n, "saxpy")?,
            shape: shape.clone(),
            x: DeviceBuffer::from_host(gpu, &x)?,
            y: DeviceBuffer::from_host(gpu, &y0)?,
            y0: DeviceBuffer::from_host(gpu, &y0)?,
            reference,
            twin: TwinKernel::new("saxpy_twin", TWIN_SRC, "saxpy_twin"),
        }))
    }
}

struct SaxpyCase {
    n: u32,
    shape: Shape,
    x: DeviceBuffer<f32>,
    y: DeviceBuffer<f32>,
    y0: DeviceBuffer<f32>,
    reference: Vec<f64>,
    twin: TwinKernel,
}

impl SaxpyCase {
    fn params(&mut self) -> SaxpyParams {
        SaxpyParams {
            x: self.x.ptr(),
            y: self.y.ptr_mut(),
            a: A,
            n: self.n,
        }
    }
    fn compare(&self, gpu: &Gpu) -> Result<Comparison> {
        Ok(compare(
            &self.y.to_host(gpu)?,
            &self.reference,
            &self.shape,
            Tolerance::F32,
        ))
    }
}

impl Case for SaxpyCase {
    fn run(&mut self, gpu: &Gpu, step: &StepInfo) -> Result<()> {
        let p = self.params();
        gpu.launch(step.symbol, launch_for(step, self.n as usize, gpu), p)
    }
    fn reset(&mut self, gpu: &Gpu) -> Result<()> {
        self.y.copy_from(gpu, &self.y0)
    }
    fn verify(&mut self, gpu: &Gpu, step: &StepInfo) -> Result<Comparison> {
        // In place: y is the input too, so it is restored (not poisoned); a missed element
        // keeps y0, which differs from the reference by a*x.
        self.reset(gpu)?;
        self.run(gpu, step)?;
        self.compare(gpu)
    }
    fn run_baseline(&mut self, gpu: &Gpu, baseline: &BaselineInfo) -> Result<()> {
        if baseline.name != "cuda_cpp_twin" {
            return Err(super::unknown_baseline("saxpy", baseline.name));
        }
        let p = self.params();
        let l = vectorized_launch(self.n as usize, gpu);
        self.twin.launch(gpu, l, p)
    }
    fn verify_baseline(&mut self, gpu: &Gpu, baseline: &BaselineInfo) -> Result<Comparison> {
        self.reset(gpu)?;
        self.run_baseline(gpu, baseline)?;
        self.compare(gpu)
    }
    fn output(&mut self, gpu: &Gpu) -> Result<(Vec<usize>, Vec<f32>)> {
        Ok((self.shape.0.clone(), self.y.to_host(gpu)?))
    }
}
