//! `y = gelu(x + bias[col])` over an f32 `rows × cols` matrix (tanh-approximated GELU).

use super::CheckedOutput;
use crate::error::Result;
use crate::inputs;
use crate::registry::{Accepts, BlockSize, Case, Ceiling, Ladder, LadderMeta, StepInfo, Work};
use crate::runtime::{DeviceBuffer, Gpu, Launch};
use crate::shape::Shape;
use crate::verify::{Comparison, Tolerance};
use kernels_gpu::bias_gelu::{self as k, BiasGeluParams};

/// The bias + GELU fusion ladder.
pub struct BiasGelu;

/// How a step is launched.
#[derive(Debug, Clone, Copy)]
enum Kind {
    /// Two kernels (`symbols[0]` then `symbols[1]`), one thread per element each.
    TwoKernels,
    /// One kernel, one thread per element.
    Fused,
    /// One kernel, a grid-stride loop of 4-element vectors over `BLOCKS_PER_SM` per SM.
    GridStrideVectorized,
}

/// One step: what the registry shows, and how it is launched.
struct BiasGeluStep {
    info: StepInfo,
    kind: Kind,
}

static STEPS: &[BiasGeluStep] = &[
    BiasGeluStep {
        info: StepInfo {
            ladder: "bias_gelu",
            id: 1,
            slug: "two_kernels",
            symbol: k::bias_gelu_s01_two_kernels::SYMBOL,
            symbols: &[
                k::bias_gelu_s01_two_kernels::SYMBOL,
                k::bias_gelu_s01_two_kernels_gelu::SYMBOL,
            ],
            technique: "bias add writes a temporary, a second kernel applies GELU",
        },
        kind: Kind::TwoKernels,
    },
    BiasGeluStep {
        info: StepInfo {
            ladder: "bias_gelu",
            id: 2,
            slug: "fused",
            symbol: k::bias_gelu_s02_fused::SYMBOL,
            symbols: &[k::bias_gelu_s02_fused::SYMBOL],
            technique: "one kernel: no temporary (saves a write and a read)",
        },
        kind: Kind::Fused,
    },
    BiasGeluStep {
        info: StepInfo {
            ladder: "bias_gelu",
            id: 3,
            slug: "fused_vectorized",
            symbol: k::bias_gelu_s03_fused_vectorized::SYMBOL,
            symbols: &[k::bias_gelu_s03_fused_vectorized::SYMBOL],
            technique: "fused, grid-stride loop of 128-bit loads/stores",
        },
        kind: Kind::GridStrideVectorized,
    },
];

const THREADS: u32 = 256;
/// Blocks per SM of the grid-stride step.
const BLOCKS_PER_SM: u32 = 8;

/// GELU with the tanh approximation, in float64 (the reference).
pub fn gelu_tanh(v: f64) -> f64 {
    let k0 = (2.0 / std::f64::consts::PI).sqrt();
    0.5 * v * (1.0 + (k0 * (v + 0.044715 * v * v * v)).tanh())
}

/// `tanh.approx.f32` has a relative error of about 2⁻¹¹ (|tanh| ≤ 1, so ≤ 4.9e-4 absolute);
/// `0.5·v·tanh` scales it by `|v|/2` ≤ 2.5 for our inputs (`|x + bias| < 5`): ≤ 1.2e-3, plus
/// f32 rounding. atol 2e-3 keeps a margin and still catches a wrong bias column or a missing
/// term (those are ≥ 0.1 off for most elements).
pub const GELU_TOLERANCE: Tolerance = Tolerance {
    atol: 2e-3,
    rtol: 1e-3,
};

static META: LadderMeta = LadderMeta {
    name: "bias_gelu",
    description: "y = gelu_tanh(x + bias[col]), f32, rows x cols",
    dims: 2,
    default_shape: &[8192, 8192],
    bench_shapes: &[&[8192, 8192]],
    ceiling: Ceiling::CopyGbps,
    chapter: "elementwise",
};

impl Ladder for BiasGelu {
    fn meta(&self) -> &'static LadderMeta {
        &META
    }
    fn steps(&self) -> Vec<&'static StepInfo> {
        STEPS.iter().map(|s| &s.info).collect()
    }
    /// Every kernel (both of step 1's) is bounds-checked or a grid-stride loop: any block,
    /// launched with [`THREADS`].
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
        let (rows, cols) = (shape.0[0] as f64, shape.0[1] as f64);
        Work {
            // add, v², two FMAs, mul, tanh, half, FMA: ~8 per element.
            flops: 8.0 * rows * cols,
            bytes: 8.0 * rows * cols + 4.0 * cols,
        }
    }
    fn prepare(&self, gpu: &Gpu, shape: &Shape, seed: u64) -> Result<Box<dyn Case>> {
        let (rows, cols) = (shape.0[0], shape.0[1]);
        let n = rows * cols;
        let n32 = super::n_u32(n, "bias_gelu")?;
        let x = inputs::uniform(n, seed, -3.0, 3.0);
        let bias = inputs::uniform(cols, seed ^ 1, -1.0, 1.0);
        let reference = x
            .iter()
            .enumerate()
            .map(|(i, &v)| gelu_tanh(v as f64 + bias[i % cols] as f64))
            .collect();
        Ok(Box::new(BiasGeluCase {
            rows: rows as u32,
            cols: cols as u32,
            n: n32,
            shape: shape.clone(),
            x: DeviceBuffer::from_host(gpu, &x)?,
            bias: DeviceBuffer::from_host(gpu, &bias)?,
            tmp: DeviceBuffer::zeros(gpu, n)?,
            y: DeviceBuffer::zeros(gpu, n)?,
            reference,
        }))
    }
}

struct BiasGeluCase {
    rows: u32,
    cols: u32,
    n: u32,
    shape: Shape,
    x: DeviceBuffer<f32>,
    bias: DeviceBuffer<f32>,
    tmp: DeviceBuffer<f32>,
    y: DeviceBuffer<f32>,
    reference: Vec<f64>,
}

impl BiasGeluCase {
    fn checked(&mut self) -> CheckedOutput<'_> {
        CheckedOutput {
            output: &mut self.y,
            reference: &self.reference,
            shape: self.shape.clone(),
            tolerance: GELU_TOLERANCE,
        }
    }
}

impl Case for BiasGeluCase {
    fn run(&mut self, gpu: &Gpu, step: &StepInfo) -> Result<()> {
        let p = BiasGeluParams {
            x: self.x.ptr(),
            bias: self.bias.ptr(),
            tmp: self.tmp.ptr_mut(),
            y: self.y.ptr_mut(),
            rows: self.rows,
            cols: self.cols,
        };
        let s = STEPS
            .iter()
            .find(|s| s.info.id == step.id)
            .expect("step of this ladder");
        let n = self.n as usize;
        match s.kind {
            Kind::TwoKernels => {
                let l = Launch::cover(n, THREADS);
                gpu.launch(step.symbols[0], l, p)?;
                gpu.launch(step.symbols[1], l, p)
            }
            Kind::Fused => gpu.launch(step.symbol, Launch::cover(n, THREADS), p),
            Kind::GridStrideVectorized => {
                let full = n.div_ceil(4 * THREADS as usize).max(1);
                let sms = gpu.info().sm_count.max(1) as usize;
                let blocks = full.min(sms * BLOCKS_PER_SM as usize) as u32;
                gpu.launch(step.symbol, Launch::linear(blocks, THREADS), p)
            }
        }
    }
    fn verify(&mut self, gpu: &Gpu, step: &StepInfo) -> Result<Comparison> {
        // Step 1's temporary too, so a bias kernel that skips elements fails.
        self.tmp.poison(gpu)?;
        super::verify_output(gpu, self, Self::checked, |c| c.run(gpu, step))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn gelu_reference_matches_known_values() {
        assert_eq!(gelu_tanh(0.0), 0.0);
        assert!((gelu_tanh(1.0) - 0.841_192).abs() < 1e-5);
        assert!((gelu_tanh(-1.0) + 0.158_808).abs() < 1e-5);
        assert!((gelu_tanh(10.0) - 10.0).abs() < 1e-9);
    }
}
