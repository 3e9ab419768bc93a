//! `out[r] = Σ_c in[r][c]` for an f32 `rows × cols` matrix.

use super::CheckedOutput;
use crate::error::Result;
use crate::inputs;
use crate::registry::{Accepts, BlockSize, Case, Ceiling, Ladder, LadderMeta, StepInfo, Work};
use crate::runtime::{DeviceBuffer, Gpu, Launch};
use crate::shape::Shape;
use crate::verify::{Comparison, Tolerance};
use kernels_gpu::row_sum::{self as k, RowSumParams};

/// The row-sum ladder.
pub struct RowSum;

/// How a step is launched: what sums one row.
#[derive(Debug, Clone, Copy)]
enum PerRow {
    /// One thread per row: `rows` threads.
    Thread,
    /// One warp per row: `32 × rows` threads.
    Warp,
    /// One block per row: `rows` blocks.
    Block,
}

/// One step: what the registry shows, and how it is launched.
struct RowSumStep {
    info: StepInfo,
    kind: PerRow,
}

macro_rules! step {
    ($id:literal, $slug:literal, $sym:ident, $tech:literal, $kind:expr) => {
        RowSumStep {
            info: StepInfo {
                ladder: "row_sum",
                id: $id,
                slug: $slug,
                symbol: k::$sym::SYMBOL,
                symbols: &[k::$sym::SYMBOL],
                technique: $tech,
            },
            kind: $kind,
        }
    };
}

static STEPS: &[RowSumStep] = &[
    step!(
        1,
        "thread_per_row",
        row_sum_s01_thread_per_row,
        "one thread per row (uncoalesced)",
        PerRow::Thread
    ),
    step!(
        2,
        "warp_per_row",
        row_sum_s02_warp_per_row,
        "one warp per row, coalesced, shuffle reduction",
        PerRow::Warp
    ),
    step!(
        3,
        "block_per_row",
        row_sum_s03_block_per_row,
        "one block per row, 128-bit loads, block reduction",
        PerRow::Block
    ),
];

const THREADS: u32 = 256;

static META: LadderMeta = LadderMeta {
    name: "row_sum",
    description: "out[r] = sum of row r, f32, rows x cols",
    dims: 2,
    default_shape: &[8192, 8192],
    bench_shapes: &[&[8192, 8192]],
    ceiling: Ceiling::CopyGbps,
    chapter: "reduction",
};

impl Ladder for RowSum {
    fn meta(&self) -> &'static LadderMeta {
        &META
    }
    fn steps(&self) -> Vec<&'static StepInfo> {
        STEPS.iter().map(|s| &s.info).collect()
    }
    /// Every step launches [`THREADS`]; a warp per row and a block reduction need whole warps.
    fn launch_block(&self, symbol: &str) -> Option<BlockSize> {
        let s = STEPS.iter().find(|s| s.info.symbol == symbol)?;
        Some(BlockSize {
            launch: THREADS,
            accepts: match s.kind {
                PerRow::Thread => Accepts::Any,
                PerRow::Warp | PerRow::Block => Accepts::WarpMultiple,
            },
        })
    }
    fn work(&self, shape: &Shape) -> Work {
        let (rows, cols) = (shape.0[0] as f64, shape.0[1] as f64);
        Work {
            flops: rows * cols,
            bytes: 4.0 * rows * cols + 4.0 * rows,
        }
    }
    fn prepare(&self, gpu: &Gpu, shape: &Shape, seed: u64) -> Result<Box<dyn Case>> {
        let (rows, cols) = (shape.0[0], shape.0[1]);
        super::n_u32(rows * cols, "row_sum")?;
        let input = inputs::uniform(rows * cols, seed, -1.0, 1.0);
        let mut reference = Vec::with_capacity(rows);
        let mut max_l2 = 0.0f64;
        for row in input.chunks(cols) {
            reference.push(row.iter().map(|&v| v as f64).sum());
            let l2 = row.iter().map(|&v| (v as f64).powi(2)).sum::<f64>().sqrt();
            max_l2 = max_l2.max(l2);
        }
        Ok(Box::new(RowSumCase {
            rows: rows as u32,
            cols: cols as u32,
            input: DeviceBuffer::from_host(gpu, &input)?,
            output: DeviceBuffer::zeros(gpu, rows)?,
            reference,
            // Step 1 adds a whole row sequentially: chains of `cols`.
            tolerance: super::reduce::sum_tolerance(cols, cols, max_l2),
        }))
    }
}

struct RowSumCase {
    rows: u32,
    cols: u32,
    input: DeviceBuffer<f32>,
    output: DeviceBuffer<f32>,
    reference: Vec<f64>,
    tolerance: Tolerance,
}

impl RowSumCase {
    fn checked(&mut self) -> CheckedOutput<'_> {
        CheckedOutput {
            output: &mut self.output,
            reference: &self.reference,
            shape: Shape::n(self.rows as usize),
            tolerance: self.tolerance,
        }
    }
}

impl Case for RowSumCase {
    fn run(&mut self, gpu: &Gpu, step: &StepInfo) -> Result<()> {
        let p = RowSumParams {
            input: self.input.ptr(),
            output: self.output.ptr_mut(),
            rows: self.rows,
            cols: self.cols,
        };
        let s = STEPS
            .iter()
            .find(|s| s.info.id == step.id)
            .expect("step of this ladder");
        let rows = self.rows as usize;
        let launch = match s.kind {
            PerRow::Thread => Launch::cover(rows, THREADS),
            PerRow::Warp => Launch::cover(rows * 32, THREADS),
            PerRow::Block => Launch::linear(self.rows, THREADS),
        };
        gpu.launch(step.symbol, launch, p)
    }
    fn verify(&mut self, gpu: &Gpu, step: &StepInfo) -> Result<Comparison> {
        super::verify_output(gpu, self, Self::checked, |c| c.run(gpu, step))
    }
}
