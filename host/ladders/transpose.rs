//! `out = inᵀ` for an f32 `rows × cols` matrix: exact comparison.

use super::{CheckedOutput, TwinKernel};
use crate::error::Result;
use crate::inputs;
use crate::registry::{
    Accepts, BaselineInfo, BlockSize, Case, Ceiling, Ladder, LadderMeta, StepInfo, Work,
};
use crate::runtime::{DeviceBuffer, Gpu, Launch};
use crate::shape::Shape;
use crate::verify::{Comparison, Tolerance};
use kernels_gpu::transpose::{self as k, TransposeParams};

/// The transpose ladder.
pub struct Transpose;

/// One step: what the registry shows, and its tile and block.
struct TransposeStep {
    info: StepInfo,
    /// Width and height of the input patch one block covers.
    tile: (u32, u32),
    /// Block dimensions (x, y).
    block: (u32, u32),
}

macro_rules! step {
    ($id:literal, $slug:literal, $sym:ident, $tech:literal, $tile:expr, $block:expr) => {
        TransposeStep {
            info: StepInfo {
                ladder: "transpose",
                id: $id,
                slug: $slug,
                symbol: k::$sym::SYMBOL,
                symbols: &[k::$sym::SYMBOL],
                technique: $tech,
            },
            tile: $tile,
            block: $block,
        }
    };
}

static STEPS: &[TransposeStep] = &[
    step!(
        1,
        "naive",
        transpose_s01_naive,
        "one thread per element: coalesced reads, strided writes",
        k::S01_TILE,
        k::S01_TILE
    ),
    step!(
        2,
        "smem_tile",
        transpose_s02_smem_tile,
        "32x32 shared tile, block 32x8: coalesced both ways, 32-way bank conflicts",
        (k::TILE, k::TILE),
        (k::TILE, k::BLOCK_ROWS)
    ),
    step!(
        3,
        "padded",
        transpose_s03_padded,
        "tile padded to 33 columns: no bank conflicts",
        (k::TILE, k::TILE),
        (k::TILE, k::BLOCK_ROWS)
    ),
    step!(
        4,
        "vectorized_4x4",
        transpose_s04_vectorized_4x4,
        "4x4 per thread in registers, 128-bit loads and stores, no shared memory",
        (k::S04_TILE, k::S04_TILE),
        k::S04_BLOCK
    ),
    step!(
        5,
        "smem_vectorized",
        transpose_s05_smem_vectorized,
        "64x64 padded shared tile, block 8x32: LDG.128 in, STG.128 out, conflict-free LDS/STS",
        (k::S05_TILE, k::S05_TILE),
        k::S05_BLOCK
    ),
];

/// The CUDA C++ twin of step 5, the top step (host/ladders/twins/transpose.cu).
static BASELINES: &[BaselineInfo] = &[BaselineInfo {
    name: "cuda_cpp_twin",
    of_step: 5,
    description: "CUDA C++ twin of transpose/5 (NVRTC): 64x65 shared tile, float4 loads/stores",
}];
const TWIN_SRC: &str = include_str!("twins/transpose.cu");

/// The 1-D grid of tiles for `(rows, cols)` and `step`.
fn launch_for(tile: (u32, u32), block: (u32, u32), rows: u32, cols: u32) -> Launch {
    let tiles = cols.div_ceil(tile.0) as u64 * rows.div_ceil(tile.1) as u64;
    Launch::grid_2d((tiles as u32, 1), block)
}

static META: LadderMeta = LadderMeta {
    name: "transpose",
    description: "out = in^T, f32, rows x cols",
    dims: 2,
    default_shape: &[8192, 8192],
    bench_shapes: &[&[8192, 8192]],
    ceiling: Ceiling::CopyGbps,
    chapter: "transpose",
};

impl Ladder for Transpose {
    fn meta(&self) -> &'static LadderMeta {
        &META
    }
    fn steps(&self) -> Vec<&'static StepInfo> {
        STEPS.iter().map(|s| &s.info).collect()
    }
    /// Each step's tile and block are constants of its code: exactly its block.
    fn launch_block(&self, symbol: &str) -> Option<BlockSize> {
        let s = STEPS.iter().find(|s| s.info.symbol == symbol)?;
        Some(BlockSize {
            launch: s.block.0 * s.block.1,
            accepts: Accepts::Exactly,
        })
    }
    fn work(&self, shape: &Shape) -> Work {
        Work {
            flops: 0.0,
            bytes: 8.0 * shape.numel() as f64,
        }
    }
    fn prepare(&self, gpu: &Gpu, shape: &Shape, seed: u64) -> Result<Box<dyn Case>> {
        let (rows, cols) = (shape.0[0], shape.0[1]);
        // The kernels index with u32 dimensions; the element count must fit too.
        super::n_u32(rows * cols, "transpose")?;
        let input = inputs::uniform(rows * cols, seed, -1.0, 1.0);
        let mut reference = vec![0.0f64; rows * cols];
        for r in 0..rows {
            for c in 0..cols {
                reference[c * rows + r] = input[r * cols + c] as f64;
            }
        }
        Ok(Box::new(TransposeCase {
            rows: rows as u32,
            cols: cols as u32,
            input: DeviceBuffer::from_host(gpu, &input)?,
            output: DeviceBuffer::zeros(gpu, rows * cols)?,
            reference,
            twin: TwinKernel::new("transpose_twin", TWIN_SRC, "transpose_twin"),
        }))
    }
    fn baselines(&self) -> &'static [BaselineInfo] {
        BASELINES
    }
}

struct TransposeCase {
    rows: u32,
    cols: u32,
    input: DeviceBuffer<f32>,
    output: DeviceBuffer<f32>,
    reference: Vec<f64>,
    twin: TwinKernel,
}

impl TransposeCase {
    fn params(&mut self) -> TransposeParams {
        TransposeParams {
            input: self.input.ptr(),
            output: self.output.ptr_mut(),
            rows: self.rows,
            cols: self.cols,
        }
    }
    fn checked(&mut self) -> CheckedOutput<'_> {
        CheckedOutput {
            output: &mut self.output,
            reference: &self.reference,
            shape: Shape::rows_cols(self.cols as usize, self.rows as usize),
            tolerance: Tolerance::EXACT,
        }
    }
}

impl Case for TransposeCase {
    fn run(&mut self, gpu: &Gpu, step: &StepInfo) -> Result<()> {
        let s = STEPS
            .iter()
            .find(|s| s.info.id == step.id)
            .expect("step of this ladder");
        let p = self.params();
        gpu.launch(
            step.symbol,
            launch_for(s.tile, s.block, self.rows, self.cols),
            p,
        )
    }
    fn verify(&mut self, gpu: &Gpu, step: &StepInfo) -> Result<Comparison> {
        super::verify_output(gpu, self, Self::checked, |c| c.run(gpu, step))
    }
    fn run_baseline(&mut self, gpu: &Gpu, baseline: &BaselineInfo) -> Result<()> {
        if baseline.name != "cuda_cpp_twin" {
            return Err(super::unknown_baseline("transpose", baseline.name));
        }
        let p = self.params();
        let l = launch_for(
            (k::S05_TILE, k::S05_TILE),
            k::S05_BLOCK,
            self.rows,
            self.cols,
        );
        self.twin.launch(gpu, l, p)
    }
    fn verify_baseline(&mut self, gpu: &Gpu, baseline: &BaselineInfo) -> Result<Comparison> {
        super::verify_output(gpu, self, Self::checked, |c| c.run_baseline(gpu, baseline))
    }
}
