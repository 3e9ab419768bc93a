//! `out = inᵀ` for a `rows × cols` matrix: exact comparison.

use super::{Checked, TwinKernel};
use crate::element::{DType, Element, round_to, to_f32};
use crate::error::Result;
use crate::inputs;
use crate::ladder::{
    BaselineInfo, BaselineKind, Case, Ceiling, InputSpec, Ladder, LadderMeta, Output, StepInfo,
    StepTable, Steps, Target, Work,
};
use crate::ops::{self, Op, OpCall};
use crate::reference;
use crate::runtime::{DeviceBuffer, Gpu, Launch};
use crate::shape::Shape;
use crate::verify::{Comparison, Tolerance};
use kernels_gpu::transpose::{self as k, Grid, TransposeParams};
use kernels_gpu::{GlobalPtr, GlobalPtrMut};

/// The transpose ladder.
pub struct Transpose;

static STEPS: StepTable<Grid> = StepTable::new("transpose", k::STEPS);

/// The CUDA C++ twins of the top steps: step 5, f32 (host/ladders/twins/transpose.cu), and
/// step 6, bf16 (host/ladders/twins/transpose_bf16.cu).
static BASELINES: &[BaselineInfo] = &[
    BaselineInfo {
        kind: BaselineKind::CudaCppTwin,
        of_step: 5,
        dtype: DType::F32,
        description: "CUDA C++ twin of transpose/5 (NVRTC): 64x65 shared tile, float4 loads/stores",
    },
    BaselineInfo {
        kind: BaselineKind::CudaCppTwin,
        of_step: 6,
        dtype: DType::Bf16,
        description: "CUDA C++ twin of transpose/6 (NVRTC): __nv_bfloat16, 128x128 tile of 8x8 patches transposed in registers, 16-byte loads/stores",
    },
];
const TWIN_SRC: &str = include_str!("twins/transpose.cu");
/// The bf16 twin's source (it includes `cuda_bf16.h`: a module of its own).
const TWIN_BF16_SRC: &str = include_str!("twins/transpose_bf16.cu");

/// The twin kernel for data of `dtype`, if the ladder has one.
fn twin(dtype: DType) -> Option<TwinKernel> {
    match dtype {
        DType::F32 => Some(TwinKernel::new(
            "transpose_twin",
            TWIN_SRC,
            "transpose_twin",
        )),
        DType::Bf16 => Some(TwinKernel::new(
            "transpose_twin_bf16",
            TWIN_BF16_SRC,
            "transpose_twin_bf16",
        )),
        DType::F16 => None,
    }
}

/// The 1-D grid of tiles of `grid` for a `rows × cols` input.
fn launch(grid: &Grid, rows: u32, cols: u32) -> Launch {
    let (tile, block) = (grid.tile, grid.block);
    let tiles = cols.div_ceil(tile.0) as u64 * rows.div_ceil(tile.1) as u64;
    Launch::grid_2d((tiles as u32, 1), block)
}

static META: LadderMeta = LadderMeta {
    name: "transpose",
    description: "out = in^T, rows x cols",
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
    fn table(&self) -> &'static dyn Steps {
        &STEPS
    }
    fn work(&self, shape: &Shape, dtype: DType) -> Work {
        Work {
            flops: 0.0,
            bytes: 2.0 * dtype.size() as f64 * shape.numel() as f64,
        }
    }
    fn baselines(&self) -> &'static [BaselineInfo] {
        BASELINES
    }
    fn random_inputs(&self, shape: &Shape, seed: u64) -> Result<Vec<Vec<f32>>> {
        // The kernels index with u32 dimensions; the element count must fit too.
        let n = super::n_u32(shape.numel(), self.name())? as usize;
        Ok(vec![inputs::uniform(n, seed, -1.0, 1.0)])
    }
    fn input_specs(&self, shape: &Shape) -> Vec<InputSpec> {
        vec![InputSpec {
            name: "x",
            shape: shape.0.clone(),
        }]
    }
    fn op(&self) -> Option<&'static dyn Op> {
        Some(&TransposeOp)
    }
    fn case(
        &self,
        gpu: &Gpu,
        shape: &Shape,
        dtype: DType,
        inputs: Vec<Vec<f32>>,
    ) -> Result<Box<dyn Case>> {
        let [x] = super::take_inputs::<1>(self, shape, inputs)?;
        crate::with_element!(dtype, T => Ok(Box::new(TransposeCase::<T>::new(gpu, shape, &x)?)))
    }
}

/// `out = xᵀ` on caller-owned memory: arguments `x` (`rows × cols`), `out` (`cols × rows`).
pub struct TransposeOp;

impl Op for TransposeOp {
    fn name(&self) -> &'static str {
        "transpose"
    }
    fn ladder(&self) -> &'static dyn Ladder {
        &Transpose
    }
    fn args(&self) -> &'static [&'static str] {
        &["x", "out"]
    }
    fn unsupported_dims(&self, dims: &[usize]) -> Option<String> {
        ops::dims_u32(dims, 2)
    }
    fn enqueue(&self, gpu: &Gpu, stream: u64, step: &StepInfo, call: &OpCall) -> Result<()> {
        ops::check_args(self, call, &[])?;
        let (rows, cols) = (call.dims[0] as u32, call.dims[1] as u32);
        let l = launch(STEPS.grid(step), rows, cols);
        crate::with_element!(call.dtype, T => {
            let p = TransposeParams::<<T as Element>::Device> {
                input: GlobalPtr::from_addr(call.args[0]),
                output: GlobalPtrMut::from_addr(call.args[1]),
                rows,
                cols,
            };
            gpu.launch_on(stream, step.symbol, l, p)
        })
    }
}

struct TransposeCase<T: Element> {
    rows: u32,
    cols: u32,
    input: DeviceBuffer<T>,
    out: Checked<T>,
    twin: Option<TwinKernel>,
}

impl<T: Element> TransposeCase<T> {
    fn new(gpu: &Gpu, shape: &Shape, x: &[f32]) -> Result<Self> {
        let (rows, cols) = (shape.0[0], shape.0[1]);
        let x: Vec<T> = round_to(x);
        let reference = reference::transpose(&to_f32(&x), rows, cols);
        Ok(Self {
            rows: rows as u32,
            cols: cols as u32,
            input: DeviceBuffer::from_host(gpu, &x)?,
            out: Checked::new(
                gpu,
                reference,
                Shape::rows_cols(cols, rows),
                Tolerance::EXACT,
            )?,
            twin: twin(T::DTYPE),
        })
    }
}

impl<T: Element> Case for TransposeCase<T> {
    fn refill(&mut self, gpu: &Gpu, inputs: Vec<Vec<f32>>) -> Result<()> {
        let (rows, cols) = (self.rows as usize, self.cols as usize);
        let [x] = crate::ladder::refill_inputs(inputs, [rows * cols])?;
        let fresh = Self::new(gpu, &Shape::rows_cols(rows, cols), &x)?;
        self.input.copy_from(gpu, &fresh.input)?;
        self.out.reference = fresh.out.reference;
        Ok(())
    }
    fn run(&mut self, gpu: &Gpu, target: Target<'_>) -> Result<()> {
        let p = TransposeParams {
            input: self.input.elems(),
            output: self.out.output.elems_mut(),
            rows: self.rows,
            cols: self.cols,
        };
        let (rows, cols) = (self.rows, self.cols);
        match target {
            Target::Step(step) if step.dtype == T::DTYPE => {
                gpu.launch(step.symbol, launch(STEPS.grid(step), rows, cols), p)
            }
            Target::Baseline(b) if b.dtype == T::DTYPE && b.kind == BaselineKind::CudaCppTwin => {
                let step = STEPS.by_id(b.of_step).expect("the twin's step");
                match &mut self.twin {
                    Some(twin) => twin.launch(gpu, launch(STEPS.grid(step), rows, cols), p),
                    None => Err(super::not_mine("transpose", target)),
                }
            }
            _ => Err(super::not_mine("transpose", target)),
        }
    }
    fn poison(&mut self, gpu: &Gpu) -> Result<()> {
        self.out.poison(gpu)
    }
    fn check(&mut self, gpu: &Gpu) -> Result<Comparison> {
        self.out.check(gpu)
    }
    fn output(&mut self, gpu: &Gpu) -> Result<Output> {
        self.out.output(gpu)
    }
}

#[cfg(test)]
mod tests {
    use kernels_gpu::transpose::{
        S06_BLOCK, S06_CHUNKS, S06_SCALAR_STRIDE, S06_SMEM_BYTES, S06_TILE, s06_chunk,
        s06_patch_column,
    };
    use std::collections::HashSet;

    /// `(tx, ty)` of the 32 lanes of warp `w` in step 6's 16 × 16 block.
    fn warp(w: u32) -> Vec<(u32, u32)> {
        (32 * w..32 * w + 32)
            .map(|t| (t % S06_BLOCK.0, t / S06_BLOCK.0))
            .collect()
    }

    #[test]
    fn step6_patch_column_is_the_transposed_patch() {
        // Element (row j, column c) of the patch has bits 8j + c; pair w of row j holds
        // columns 2w (low half) and 2w + 1 (high half).
        let a: [[u32; 4]; 8] = std::array::from_fn(|j| {
            std::array::from_fn(|w| ((8 * j + 2 * w + 1) << 16 | (8 * j + 2 * w)) as u32)
        });
        for c in 0..8 {
            let col = s06_patch_column(&a, c);
            for (k, pair) in col.iter().enumerate() {
                let (lo, hi) = (pair & 0xffff, pair >> 16);
                assert_eq!(
                    (lo, hi),
                    ((16 * k + c) as u32, (16 * k + 8 + c) as u32),
                    "c {c}, k {k}"
                );
            }
        }
    }

    #[test]
    fn step6_shared_accesses_are_conflict_free_and_inside_the_tile() {
        // A 128-bit shared access is served 8 lanes at a time: conflict-free when each group
        // of 8 consecutive lanes covers the 8 bank groups (16-byte chunks mod 8).
        let groups_ok = |chunks: &[u32]| {
            chunks
                .chunks(8)
                .all(|g| g.iter().map(|c| c % 8).collect::<HashSet<_>>().len() == 8)
        };
        let (mut written, mut read) = (HashSet::new(), HashSet::new());
        for w in 0..8 {
            let lanes = warp(w);
            for c in 0..8 {
                // Load phase: patch column c of thread (tx, ty) -> row 8tx + c, chunk ty.
                let sts: Vec<u32> = lanes
                    .iter()
                    .map(|&(tx, ty)| s06_chunk(8 * tx + c, ty))
                    .collect();
                assert!(groups_ok(&sts), "STS.128 of warp {w}, column {c}: {sts:?}");
                written.extend(sts);
            }
            for m in 0..8 {
                // Store phase: row ty + 16m, chunk tx.
                let lds: Vec<u32> = lanes
                    .iter()
                    .map(|&(tx, ty)| s06_chunk(ty + 16 * m, tx))
                    .collect();
                assert!(groups_ok(&lds), "LDS.128 of warp {w}, m {m}: {lds:?}");
                read.extend(lds);
            }
        }
        // Every (row, chunk) written once and read once, inside the array.
        assert_eq!(written.len() as u32, S06_TILE * S06_TILE / 8);
        assert_eq!(written, read);
        assert!(written.iter().all(|&c| c < S06_CHUNKS));
        const { assert!(16 * S06_CHUNKS <= S06_SMEM_BYTES) };
        // Scalar path: half index xs·130 + y (store) and y·130 + xs (load), xs = t % 128
        // consecutive across a warp, y = t / 128 + 2m the same: 32 distinct banks, or two lanes
        // in one word.
        const { assert!(2 * S06_TILE * S06_SCALAR_STRIDE <= S06_SMEM_BYTES) };
        for w in 0..8u32 {
            let ts: Vec<u32> = (32 * w..32 * w + 32).collect();
            for m in 0..S06_TILE / 2 {
                let banks = |f: &dyn Fn(u32, u32) -> u32| {
                    let words: HashSet<u32> = ts
                        .iter()
                        .map(|&t| f(t % S06_TILE, t / S06_TILE + 2 * m) / 2)
                        .collect();
                    let banks: HashSet<u32> = words.iter().map(|w| w % 32).collect();
                    words.len() == banks.len()
                };
                assert!(
                    banks(&|xs, y| xs * S06_SCALAR_STRIDE + y),
                    "scalar STS, warp {w}"
                );
                assert!(
                    banks(&|xs, y| y * S06_SCALAR_STRIDE + xs),
                    "scalar LDS, warp {w}"
                );
            }
        }
    }

    #[test]
    fn step6_twin_declares_the_same_tile() {
        let twin = include_str!("twins/transpose_bf16.cu");
        for line in [
            format!("#define TILE {S06_TILE}"),
            format!("#define SCALAR_STRIDE {S06_SCALAR_STRIDE}"),
            "return 16 * row + row / 8 + q;".to_string(),
            "const unsigned tx = threadIdx.x, ty = threadIdx.y, t = ty * 16 + tx".to_string(),
        ] {
            assert!(twin.contains(&line), "the bf16 twin lacks `{line}`");
        }
        assert_eq!(S06_BLOCK, (16, 16));
        assert_eq!(S06_SMEM_BYTES, 2 * 128 * 130);
    }
}
