//! The gradients of layer normalisation over the last dimension, `rows × cols`: inputs dy,
//! x, γ and the forward's saved f32 `mean`, `rstd` (computed here from x in f64 and rounded
//! to f32, as the forward returns them); outputs dx (`rows × cols`), dγ and dβ (`cols`, in
//! the element type, as torch).

use super::layernorm::{first_failed, norm_awkward_shapes};
use super::{Checked, TwinKernel};
use crate::element::{DType, Element, round_to, to_f32};
use crate::error::Result;
use crate::inputs;
use crate::ladder::{
    BaselineInfo, BaselineKind, Case, Ceiling, InputSpec, Ladder, LadderMeta, Output, StepInfo,
    StepTable, Steps, Target, Work,
};
use crate::ops::{self, Init, Op, OpCall, Workspace};
use crate::reference;
use crate::runtime::{DeviceBuffer, Gpu, Launch};
use crate::shape::Shape;
use crate::verify::{Comparison, Tolerance};
use kernels_gpu::layernorm_backward::{self as k, Grid, LayerNormBackwardParams};
use kernels_gpu::{GlobalPtr, GlobalPtrMut};

/// The layernorm backward ladder.
pub struct LayerNormBackward;

static STEPS: StepTable<Grid> = StepTable::new("layernorm_backward", k::STEPS);

/// The CUDA C++ twins of the fused, strided and long-row steps, both kernels
/// (host/ladders/twins/layernorm.cu).
static BASELINES: &[BaselineInfo] = &[
    BaselineInfo {
        kind: BaselineKind::CudaCppTwin,
        of_step: 2,
        dtype: DType::F32,
        description: "CUDA C++ twin of layernorm_backward/2 (NVRTC): dy, x as float4 in \
                      registers, per-slot dgamma/dbeta partials, then the column sum",
    },
    BaselineInfo {
        kind: BaselineKind::CudaCppTwin,
        of_step: 3,
        dtype: DType::Bf16,
        description: "CUDA C++ twin of layernorm_backward/3 (NVRTC, __nv_bfloat16)",
    },
    BaselineInfo {
        kind: BaselineKind::CudaCppTwin,
        of_step: 4,
        dtype: DType::F32,
        description: "CUDA C++ twin of layernorm_backward/4 (NVRTC): a team per row, dy, x as \
                      float4 strided by the team, dgamma/dbeta partials in dynamic shared \
                      memory, a workspace row per block, the 32x32 column sum",
    },
    BaselineInfo {
        kind: BaselineKind::CudaCppTwin,
        of_step: 5,
        dtype: DType::Bf16,
        description: "CUDA C++ twin of layernorm_backward/5 (NVRTC, __nv_bfloat16)",
    },
    BaselineInfo {
        kind: BaselineKind::CudaCppTwin,
        of_step: 6,
        dtype: DType::F32,
        description: "CUDA C++ twin of layernorm_backward/6 (NVRTC): a 1024-thread block per \
                      row and SM, dgamma partials in registers, dbeta partials in dynamic \
                      shared memory, a workspace row per block, the 32x32 column sum",
    },
    BaselineInfo {
        kind: BaselineKind::CudaCppTwin,
        of_step: 7,
        dtype: DType::Bf16,
        description: "CUDA C++ twin of layernorm_backward/7 (NVRTC, __nv_bfloat16)",
    },
    BaselineInfo {
        kind: BaselineKind::CudaCppTwin,
        of_step: 8,
        dtype: DType::F32,
        description: "CUDA C++ twin of layernorm_backward/8 (NVRTC): the twin of step 4 with \
                      the block's next row group prefetched into L2 (prefetch.global.L2)",
    },
    BaselineInfo {
        kind: BaselineKind::CudaCppTwin,
        of_step: 9,
        dtype: DType::Bf16,
        description: "CUDA C++ twin of layernorm_backward/9 (NVRTC, __nv_bfloat16)",
    },
    BaselineInfo {
        kind: BaselineKind::CudaCppTwin,
        of_step: 10,
        dtype: DType::F32,
        description: "CUDA C++ twin of layernorm_backward/10 (NVRTC): dy, x, mean, rstd \
                      cp.async-copied into shared-memory stages two row groups ahead, \
                      dgamma/dbeta partials in registers, the 32x32 column sum",
    },
    BaselineInfo {
        kind: BaselineKind::CudaCppTwin,
        of_step: 11,
        dtype: DType::Bf16,
        description: "CUDA C++ twin of layernorm_backward/11 (NVRTC, __nv_bfloat16)",
    },
    BaselineInfo {
        kind: BaselineKind::CudaCppTwin,
        of_step: 12,
        dtype: DType::F32,
        description: "CUDA C++ twin of layernorm_backward/12 (NVRTC, sm_90): a row split over \
                      a cluster of 4 CTAs, each streaming its quarter by cp.async, the row sums \
                      exchanged through st.shared::cluster and one cluster barrier a row",
    },
    BaselineInfo {
        kind: BaselineKind::CudaCppTwin,
        of_step: 13,
        dtype: DType::Bf16,
        description: "CUDA C++ twin of layernorm_backward/13 (NVRTC, sm_90, __nv_bfloat16)",
    },
    BaselineInfo {
        kind: BaselineKind::CudaCppTwin,
        of_step: 14,
        dtype: DType::F32,
        description: "CUDA C++ twin of layernorm_backward/14 (NVRTC, sm_90): the twin of step \
                      10 in clusters of 2 CTAs, the partials added across the cluster through \
                      ld.shared::cluster, a workspace row per cluster, the column sum a \
                      programmatic dependent launch",
    },
    BaselineInfo {
        kind: BaselineKind::CudaCppTwin,
        of_step: 15,
        dtype: DType::Bf16,
        description: "CUDA C++ twin of layernorm_backward/15 (NVRTC, sm_90, __nv_bfloat16)",
    },
];

/// The twin table of `dtype` over [`BASELINES`], each twin made by `kernels(step id)`.
pub fn step_twins_of<K>(dtype: DType, kernels: impl Fn(u32) -> Option<K>) -> super::StepTwins<K> {
    super::StepTwins::new(BASELINES, dtype, kernels)
}

/// The twin kernels (rows, then columns) of step `id`, if it has a twin.
fn twin_of(id: u32) -> Option<[TwinKernel; 2]> {
    use super::layernorm::twin_kernel;
    let [a, b] = twin_symbols(id)?;
    Some([twin_kernel(a), twin_kernel(b)])
}

/// The symbols of step `id`'s twin kernels in host/ladders/twins/layernorm.cu (rows, then
/// columns), if it has a twin.
fn twin_symbols(id: u32) -> Option<[&'static str; 2]> {
    Some(match id {
        2 => ["layernorm_backward_twin", "layernorm_backward_twin_columns"],
        3 => [
            "layernorm_backward_twin_bf16",
            "layernorm_backward_twin_bf16_columns",
        ],
        4 => [
            "layernorm_backward_twin_strided",
            "layernorm_backward_twin_strided_columns",
        ],
        5 => [
            "layernorm_backward_twin_bf16_strided",
            "layernorm_backward_twin_bf16_strided_columns",
        ],
        6 => [
            "layernorm_backward_twin_long_rows",
            "layernorm_backward_twin_long_rows_columns",
        ],
        7 => [
            "layernorm_backward_twin_bf16_long_rows",
            "layernorm_backward_twin_bf16_long_rows_columns",
        ],
        8 => [
            "layernorm_backward_twin_prefetched",
            "layernorm_backward_twin_prefetched_columns",
        ],
        9 => [
            "layernorm_backward_twin_bf16_prefetched",
            "layernorm_backward_twin_bf16_prefetched_columns",
        ],
        10 => [
            "layernorm_backward_twin_streamed",
            "layernorm_backward_twin_streamed_columns",
        ],
        11 => [
            "layernorm_backward_twin_bf16_streamed",
            "layernorm_backward_twin_bf16_streamed_columns",
        ],
        12 => [
            "layernorm_backward_twin_clustered",
            "layernorm_backward_twin_clustered_columns",
        ],
        13 => [
            "layernorm_backward_twin_bf16_clustered",
            "layernorm_backward_twin_bf16_clustered_columns",
        ],
        14 => [
            "layernorm_backward_twin_cluster_summed",
            "layernorm_backward_twin_cluster_summed_columns",
        ],
        15 => [
            "layernorm_backward_twin_bf16_cluster_summed",
            "layernorm_backward_twin_bf16_cluster_summed_columns",
        ],
        _ => return None,
    })
}

static META: LadderMeta = LadderMeta {
    name: "layernorm_backward",
    description: "dx, dgamma, dbeta of layernorm from dy, x, gamma, mean, rstd, rows x cols",
    dims: 2,
    default_shape: &[4096, 4096],
    bench_shapes: super::softmax::BENCH_SHAPES,
    ceiling: Ceiling::CopyGbps,
    chapter: "layernorm",
};

/// The launches of a backward step over `rows × cols` of `dtype` on `sm_count` SMs: kernel
/// 1's, kernel 2's, and the workspace rows (`slots`) the params must say and the workspaces
/// hold (`slots × cols` f32 each).
pub fn launches(
    grid: &Grid,
    rows: usize,
    cols: usize,
    dtype: DType,
    sm_count: usize,
) -> (Launch, Launch, usize) {
    let lanes = 16 / dtype.size();
    match *grid {
        Grid::ThreadPerRowThenColumn { threads } => (
            Launch::cover(rows, threads),
            Launch::cover(cols, threads),
            0,
        ),
        Grid::Fused { threads, .. } => {
            let (tx, ty) = grid.rows_block(cols, lanes);
            let slots = grid.slots(rows, cols, lanes, sm_count);
            (
                Launch::grid_2d(((slots / ty as usize) as u32, 1), (tx, ty)),
                Launch::cover(cols, threads),
                slots,
            )
        }
        // Steps 4–15: one workspace row per block (steps 12–15: per cluster of blocks), the
        // same column sum.
        Grid::Strided { .. }
        | Grid::Long { .. }
        | Grid::Streamed { .. }
        | Grid::Clustered { .. } => {
            let (b, _) = grid.rows_block(cols, lanes);
            let slots = grid.slots(rows, cols, lanes, sm_count);
            let c = grid.cluster();
            let columns = Launch::grid_2d(
                (cols.div_ceil(k::SUM_COLUMNS as usize).max(1) as u32, 1),
                (k::SUM_COLUMNS, k::SUM_LANES),
            );
            (
                Launch::linear(slots as u32 * c, b)
                    .with_smem(grid.smem(cols))
                    .with_cluster(c),
                // Steps 14–15: kernel 2 launched while kernel 1 runs (it waits for it).
                if grid.dependent_columns() {
                    columns.with_programmatic()
                } else {
                    columns
                },
                slots,
            )
        }
    }
}

/// The SM count [`launches`] takes for `step` over rows of `cols` on `gpu`: for the steps in
/// clusters (12–15) the clusters the device holds at once ([`Gpu::resident_clusters`] for
/// their launch) times the blocks a cluster has ([`Grid::cluster`]) over the blocks an SM
/// holds ([`Grid::blocks_per_sm`]), so the persistent grid is one wave; else the SMs.
pub fn grid_sms(gpu: &Gpu, step: &StepInfo, cols: usize) -> usize {
    let sm = gpu.info().sm_count as usize;
    let g = STEPS.grid(step);
    if g.cluster() == 1 {
        return sm;
    }
    let (a, _, _) = launches(g, sm, cols, step.dtype, sm);
    match gpu.resident_clusters(step.symbols[0], a) {
        Ok(n) => (n * g.cluster() as usize / g.blocks_per_sm(cols)).min(sm),
        Err(_) => sm,
    }
}

/// Which backward step the op and [`launch_backward`] take, by element type and row length,
/// from the H200 runs named in each rule (klab bench, % of copy; the chapter's "Which backward
/// step for which shape"): steps 14–15 up to 8192 columns (sm_90; below it steps 10–11, bf16
/// rows of 128 step 5), 4–5 up to 16384, f32 12 (sm_90; below it 6) and bf16 7 up to 32768,
/// 2–3 beyond.
/// The first rule whose step runs on the device wins ([`ops::preferred_step`]).
pub const PREFERRED: &[ops::Preferred] = &[
    // Steps 14–15 (steps 10–11 in clusters of 2, the partials summed in the cluster, kernel 2
    // a programmatic dependent launch; sm_90, elsewhere the next rules):
    // docs/results/h200-2026-12-01-eb0e0c9-*.json (the same run timed steps 10–11 and 5).
    ops::Preferred {
        dtype: DType::F32,
        max_cols: 8192,
        step: 14,
        evidence: "eb0e0c9: 4096x1024 57.8% (14) / 57.9% (10); 4096x4096 84.5% / 81.5%; \
                   32768x128 61.4% / 59.4%",
    },
    ops::Preferred {
        dtype: DType::Bf16,
        max_cols: 8192,
        step: 15,
        evidence: "eb0e0c9: 4096x1024 33.7% (15) / 33.1% (11); 4096x4096 61.4% / 60.0%; \
                   32768x128 37.5% / 34.1% (5: 36.7%)",
    },
    // Steps 10–11 (dy and x streamed by cp.async, partials in registers; rows up to 8192):
    // docs/results/h200-2026-12-01-1a24c3b-*.json (the same run timed steps 4–5).
    ops::Preferred {
        dtype: DType::F32,
        max_cols: 8192,
        step: 10,
        evidence: "1a24c3b: 4096x1024 56.7% (10) / 46.8% (4); 4096x4096 80.5% / 71.0%; \
                   32768x128 59.1% / 53.5%",
    },
    ops::Preferred {
        dtype: DType::F32,
        max_cols: 16384,
        step: 4,
        evidence: "a38c0a8: 4096x1024 48.5% (4) / 16.8% (2); 4096x4096 70.8% / 47.6%; \
                   32768x128 55.8% / 4.3%",
    },
    // Step 12 (a cluster of 4 CTAs a row, sm_90; the op skips it on other devices and takes
    // the next rule): docs/results/h200-2026-12-01-0fe428a-*.json.
    ops::Preferred {
        dtype: DType::F32,
        max_cols: 32768,
        step: 12,
        evidence: "0fe428a: 8192x32000 77.4% (12) / 62.6% (6)",
    },
    // Steps 6–7 (rows up to 32768 columns in a 1024-thread block, dγ partials in registers):
    // docs/results/h200-2026-12-01-9f877d8-lnbl-*.json; longer rows stay with steps 2–3
    // (steps 6–7 would take the looped fallback there).
    ops::Preferred {
        dtype: DType::F32,
        max_cols: 32768,
        step: 6,
        evidence: "9f877d8: 8192x32000 62.5% (6) / 32.8% (2); torch 1.77 ms vs 1.18 ms",
    },
    ops::Preferred {
        dtype: DType::F32,
        max_cols: usize::MAX,
        step: 2,
        evidence: "a38c0a8: 8192x32000 32.8% (2) / 21.1% (4)",
    },
    // bf16 rows of 128: step 5 and 11 tie (16.3 / 16.7 µs, 1a24c3b); 5 as before.
    ops::Preferred {
        dtype: DType::Bf16,
        max_cols: 128,
        step: 5,
        evidence: "1a24c3b: 32768x128 36.6% (5) / 35.8% (11)",
    },
    ops::Preferred {
        dtype: DType::Bf16,
        max_cols: 8192,
        step: 11,
        evidence: "1a24c3b: 4096x1024 32.5% (11) / 28.8% (5); 4096x4096 59.6% / 39.7%",
    },
    ops::Preferred {
        dtype: DType::Bf16,
        max_cols: 16384,
        step: 5,
        evidence: "a38c0a8: 4096x1024 28.9% (5) / 10.1% (3); 4096x4096 39.8% / 28.7%; \
                   32768x128 34.7% / 3.6%",
    },
    // Step 13 measured slower than 7 at 8192 x 32000 (53.2% / 60.1%, 0fe428a): no rule.
    ops::Preferred {
        dtype: DType::Bf16,
        max_cols: 32768,
        step: 7,
        evidence: "9f877d8: 8192x32000 60.1% (7) / 10.5% (3); torch 1.04 ms vs 0.61 ms",
    },
    ops::Preferred {
        dtype: DType::Bf16,
        max_cols: usize::MAX,
        step: 3,
        evidence: "a38c0a8: 8192x32000 10.5% (3) / 7.6% (5)",
    },
];

/// The backward step of `dtype` that [`PREFERRED`] picks for rows of `cols` columns (else
/// the top step), its two launches over `rows × cols` on `gpu`, and the
/// workspace rows it needs: what a caller with its own device pointers launches (kernel 1
/// `step.symbols[0]`, then kernel 2 `step.symbols[1]`, both with the same params, whose
/// `slots` is the returned count and whose `ws_gamma`, `ws_beta` hold `slots × cols` f32).
pub fn top_step(
    gpu: &Gpu,
    dtype: DType,
    rows: usize,
    cols: usize,
) -> Option<(&'static StepInfo, Launch, Launch, usize)> {
    // The op's choice: the first rule whose step runs on this device (step 12 needs sm_90).
    let cc = gpu.info().compute_capability;
    let step = LayerNormBackwardOp
        .step_for(dtype, cc, &[rows, cols])
        .ok()?;
    let (a, b, slots) = launches(
        STEPS.grid(step),
        rows,
        cols,
        dtype,
        grid_sms(gpu, step, cols),
    );
    Some((step, a, b, slots))
}

/// Launches the preferred backward step of `T` ([`top_step`]) on a caller's pointers; `p.slots` is set here (the
/// workspaces must hold [`top_step`]'s count × cols f32 each, which this checks against
/// `ws_len`, their length in f32 values).
pub fn launch_backward<T: Element>(
    gpu: &Gpu,
    mut p: LayerNormBackwardParams<T::Device>,
    ws_len: usize,
) -> Result<()> {
    let (rows, cols) = (p.rows as usize, p.cols as usize);
    let (step, a, b, slots) = top_step(gpu, T::DTYPE, rows, cols).ok_or_else(|| {
        crate::error::Error::Usage(format!(
            "layernorm_backward has no {} step",
            T::DTYPE.name()
        ))
    })?;
    if slots * cols > ws_len {
        return Err(crate::error::Error::Usage(format!(
            "layernorm_backward needs workspaces of {slots} x {cols} f32, got {ws_len}"
        )));
    }
    p.slots = slots as u32;
    gpu.launch(step.symbols[0], a, p)?;
    gpu.launch(step.symbols[1], b, p)
}

/// dx, dγ, dβ on caller-owned memory: arguments `dy`, `x` (`rows × cols`), `gamma` (`cols`),
/// `mean`, `rstd` (`rows` f32, the forward's), `dx` (`rows × cols`), `dgamma`, `dbeta`
/// (`cols`), then the workspaces `ws_gamma`, `ws_beta` (`slots × cols` f32 each, zeroed:
/// [`launches`]' slot count on this device; the first step needs none and takes 0).
pub struct LayerNormBackwardOp;

impl Op for LayerNormBackwardOp {
    fn name(&self) -> &'static str {
        "layer_norm_backward"
    }
    fn ladder(&self) -> &'static dyn Ladder {
        &LayerNormBackward
    }
    fn args(&self) -> &'static [&'static str] {
        &[
            "dy", "x", "gamma", "mean", "rstd", "dx", "dgamma", "dbeta", "ws_gamma", "ws_beta",
        ]
    }
    fn unsupported_dims(&self, dims: &[usize]) -> Option<String> {
        ops::dims_u32(dims, 2)
    }
    fn preferred(&self) -> &'static [ops::Preferred] {
        PREFERRED
    }
    fn workspace(&self, gpu: &Gpu, step: &StepInfo, call: &OpCall) -> Result<Vec<Workspace>> {
        let (rows, cols) = (call.dims[0], call.dims[1]);
        let sm = grid_sms(gpu, step, cols);
        let slots = launches(STEPS.grid(step), rows, cols, call.dtype, sm).2;
        if slots == 0 {
            return Ok(Vec::new());
        }
        Ok(["ws_gamma", "ws_beta"]
            .into_iter()
            .map(|name| Workspace {
                name,
                bytes: slots * cols * 4,
                init: Init::Zeroed,
            })
            .collect())
    }
    fn enqueue(&self, gpu: &Gpu, stream: u64, step: &StepInfo, call: &OpCall) -> Result<()> {
        let (rows, cols) = (call.dims.first().copied(), call.dims.get(1).copied());
        let (rows, cols) = (rows.unwrap_or(0), cols.unwrap_or(0));
        let sm = grid_sms(gpu, step, cols);
        let (a, b, slots) = launches(STEPS.grid(step), rows, cols, call.dtype, sm);
        let no_ws: &[&str] = if slots == 0 {
            &["ws_gamma", "ws_beta"]
        } else {
            &[]
        };
        ops::check_args(self, call, no_ws)?;
        crate::with_element!(call.dtype, T => {
            let p = LayerNormBackwardParams::<<T as Element>::Device> {
                dy: GlobalPtr::from_addr(call.args[0]),
                x: GlobalPtr::from_addr(call.args[1]),
                gamma: GlobalPtr::from_addr(call.args[2]),
                mean: GlobalPtr::from_addr(call.args[3]),
                rstd: GlobalPtr::from_addr(call.args[4]),
                dx: GlobalPtrMut::from_addr(call.args[5]),
                dgamma: GlobalPtrMut::from_addr(call.args[6]),
                dbeta: GlobalPtrMut::from_addr(call.args[7]),
                ws_gamma: GlobalPtrMut::from_addr(call.args[8]),
                ws_beta: GlobalPtrMut::from_addr(call.args[9]),
                rows: rows as u32,
                cols: cols as u32,
                slots: slots as u32,
            };
            gpu.launch_on(stream, step.symbols[0], a, p)?;
            gpu.launch_on(stream, step.symbols[1], b, p)
        })
    }
}

impl Ladder for LayerNormBackward {
    fn meta(&self) -> &'static LadderMeta {
        &META
    }
    fn op(&self) -> Option<&'static dyn Op> {
        Some(&LayerNormBackwardOp)
    }
    fn table(&self) -> &'static dyn Steps {
        &STEPS
    }
    fn baselines(&self) -> &'static [BaselineInfo] {
        BASELINES
    }
    /// Kernel 1 of steps 4 and 5 at the default shape's 4096 columns (`G·cols·8`: 64 KiB).
    fn dynamic_smem(&self, symbol: &str) -> Option<u32> {
        let s = STEPS.step_of_symbol(symbol)?;
        let cols = META.default_shape[1];
        Some(if s.symbols[0] == symbol {
            s.grid.smem(cols)
        } else {
            0
        })
    }
    fn awkward_shapes(&self) -> Vec<Shape> {
        norm_awkward_shapes()
    }
    fn work(&self, shape: &Shape, dtype: DType) -> Work {
        let (rows, cols) = (shape.0[0] as f64, shape.0[1] as f64);
        let e = dtype.size() as f64;
        Work {
            // x̂, g, two sums, dx (~4), two partials: ~11 per element.
            flops: 11.0 * rows * cols,
            // dy, x read, dx written; γ read, dγ, dβ written; mean, rstd read.
            bytes: e * (3.0 * rows * cols + 3.0 * cols) + 8.0 * rows,
        }
    }
    fn random_inputs(&self, shape: &Shape, seed: u64) -> Result<Vec<Vec<f32>>> {
        let n = super::n_u32(shape.numel(), self.name())? as usize;
        let cols = shape.0[1];
        Ok(vec![
            inputs::uniform(n, seed, -1.0, 1.0),
            inputs::uniform(n, seed ^ 1, -1.0, 1.0),
            inputs::uniform(cols, seed ^ 2, 0.5, 1.5),
        ])
    }
    fn input_specs(&self, shape: &Shape) -> Vec<InputSpec> {
        vec![
            InputSpec {
                name: "dy",
                shape: shape.0.clone(),
            },
            InputSpec {
                name: "x",
                shape: shape.0.clone(),
            },
            InputSpec {
                name: "gamma",
                shape: vec![shape.0[1]],
            },
        ]
    }
    fn case(
        &self,
        gpu: &Gpu,
        shape: &Shape,
        dtype: DType,
        inputs: Vec<Vec<f32>>,
    ) -> Result<Box<dyn Case>> {
        let [dy, x, gamma] = super::take_inputs::<3>(self, shape, inputs)?;
        crate::with_element!(dtype, T => Ok(Box::new(BackwardCase::<T>::new(gpu, shape, &dy, &x, &gamma)?)))
    }
}

struct BackwardCase<T: Element> {
    rows: usize,
    cols: usize,
    dy: DeviceBuffer<T>,
    x: DeviceBuffer<T>,
    gamma: DeviceBuffer<T>,
    mean: DeviceBuffer<f32>,
    rstd: DeviceBuffer<f32>,
    ws_gamma: DeviceBuffer<f32>,
    ws_beta: DeviceBuffer<f32>,
    dx: Checked<T>,
    dgamma: Checked<T>,
    dbeta: Checked<T>,
    /// The twins' two kernels (rows, then columns), by step id.
    twins: super::StepTwins<[TwinKernel; 2]>,
}

/// The largest workspace any step needs over `rows × cols` of `dtype` on `sm_count` SMs.
fn workspace_len(rows: usize, cols: usize, dtype: DType, sm_count: usize) -> usize {
    STEPS
        .infos()
        .iter()
        .filter(|s| s.dtype == dtype)
        .map(|s| launches(STEPS.grid(s), rows, cols, dtype, sm_count).2 * cols)
        .max()
        .unwrap_or(0)
        .max(1)
}

impl<T: Element> BackwardCase<T> {
    fn new(gpu: &Gpu, shape: &Shape, dy: &[f32], x: &[f32], gamma: &[f32]) -> Result<Self> {
        let (rows, cols) = (shape.0[0], shape.0[1]);
        let (dy, x, gamma): (Vec<T>, Vec<T>, Vec<T>) = (round_to(dy), round_to(x), round_to(gamma));
        let (dyv, xv, gv) = (to_f32(&dy), to_f32(&x), to_f32(&gamma));
        let (_, mean, rstd) =
            reference::norm_rows(&xv, &gv, Some(&gv), super::layernorm::EPS as f64);
        let mean: Vec<f32> = mean.iter().map(|&v| v as f32).collect();
        let rstd: Vec<f32> = rstd.iter().map(|&v| v as f32).collect();
        let (dx, dgamma, dbeta) = reference::layer_norm_backward(&dyv, &xv, &mean, &rstd, &gv);
        let eps = f32::EPSILON as f64;
        let growth = (cols as f64).log2() + (cols as f64).sqrt();
        let gmax = gv.iter().fold(0.0f64, |m, &v| m.max((v as f64).abs()));
        // dx = rstd·(g − (Σg + x̂·Σg·x̂)/n): f32 rounding relative to rstd·|g|·(1 + |x̂|),
        // the row sums' error growing as log₂n + √n.
        let mut atol = 1e-6f64;
        for r in 0..rows {
            let s = rstd[r] as f64;
            let row = |v: &[f32]| {
                v[r * cols..(r + 1) * cols]
                    .iter()
                    .fold(0.0f64, |m, &v| m.max((v as f64).abs()))
            };
            let xhat = xv[r * cols..(r + 1) * cols]
                .iter()
                .fold(0.0f64, |m, &v| m.max(((v - mean[r]) as f64 * s).abs()));
            let t = eps * s * row(&dyv) * gmax * (1.0 + xhat) * (64.0 + 4.0 * growth);
            if t.is_finite() {
                atol = atol.max(t);
            }
        }
        let rtol = Tolerance::elementwise(T::DTYPE).rtol;
        // dγ, dβ: sums over the rows (step 1 sequentially: chains of `rows`).
        // Per-column ‖terms‖₂ of both sums, row by row (the matrix is row-major).
        let (mut sq_g, mut sq_b) = (vec![0.0f64; cols], vec![0.0f64; cols]);
        for r in 0..rows {
            let (m, st) = (mean[r], rstd[r] as f64);
            for c in 0..cols {
                let d = dyv[r * cols + c] as f64;
                sq_g[c] += (d * ((xv[r * cols + c] - m) as f64 * st)).powi(2);
                sq_b[c] += d * d;
            }
        }
        let max_sqrt = |v: &[f64]| v.iter().fold(0.0f64, |a, &x| a.max(x.sqrt()));
        let (l2_g, l2_b) = (max_sqrt(&sq_g), max_sqrt(&sq_b));
        let sum_tol = |l2: f64| Tolerance {
            rtol,
            ..super::reduce::sum_tolerance(rows, rows, l2)
        };
        let sm_count = gpu.info().sm_count as usize;
        let ws = workspace_len(rows, cols, T::DTYPE, sm_count);
        Ok(Self {
            rows,
            cols,
            dy: DeviceBuffer::from_host(gpu, &dy)?,
            x: DeviceBuffer::from_host(gpu, &x)?,
            gamma: DeviceBuffer::from_host(gpu, &gamma)?,
            mean: DeviceBuffer::from_host(gpu, &mean)?,
            rstd: DeviceBuffer::from_host(gpu, &rstd)?,
            ws_gamma: DeviceBuffer::zeros(gpu, ws)?,
            ws_beta: DeviceBuffer::zeros(gpu, ws)?,
            dx: Checked::new(gpu, dx, shape.clone(), Tolerance { atol, rtol })?,
            dgamma: Checked::new(gpu, dgamma, Shape::n(cols), sum_tol(l2_g))?,
            dbeta: Checked::new(gpu, dbeta, Shape::n(cols), sum_tol(l2_b))?,
            twins: step_twins_of(T::DTYPE, twin_of),
        })
    }
}

impl<T: Element> Case for BackwardCase<T> {
    fn run(&mut self, gpu: &Gpu, target: Target<'_>) -> Result<()> {
        let (step, is_twin) =
            super::layernorm::step_of(&STEPS, "layernorm_backward", T::DTYPE, target)?;
        let sm_count = grid_sms(gpu, step, self.cols);
        let (a, b, slots) = launches(STEPS.grid(step), self.rows, self.cols, T::DTYPE, sm_count);
        let p = LayerNormBackwardParams {
            dy: self.dy.elems(),
            x: self.x.elems(),
            gamma: self.gamma.elems(),
            mean: self.mean.ptr(),
            rstd: self.rstd.ptr(),
            dx: self.dx.output.elems_mut(),
            dgamma: self.dgamma.output.elems_mut(),
            dbeta: self.dbeta.output.elems_mut(),
            ws_gamma: self.ws_gamma.ptr_mut(),
            ws_beta: self.ws_beta.ptr_mut(),
            rows: self.rows as u32,
            cols: self.cols as u32,
            slots: slots as u32,
        };
        if !is_twin {
            gpu.launch(step.symbols[0], a, p)?;
            return gpu.launch(step.symbols[1], b, p);
        }
        // The twin is launched with its step's own grids.
        match self.twins.of_step(step.id) {
            Some([rows, columns]) => {
                rows.launch(gpu, a, p)?;
                columns.launch(gpu, b, p)
            }
            None => Err(super::not_mine("layernorm_backward", target)),
        }
    }
    fn poison(&mut self, gpu: &Gpu) -> Result<()> {
        self.dx.poison(gpu)?;
        self.dgamma.poison(gpu)?;
        self.dbeta.poison(gpu)?;
        // The workspaces too: a partial a slot does not write would show.
        self.ws_gamma.poison(gpu)?;
        self.ws_beta.poison(gpu)
    }
    fn check(&mut self, gpu: &Gpu) -> Result<Comparison> {
        Ok(first_failed(vec![
            self.dx.check(gpu)?,
            self.dgamma.check(gpu)?,
            self.dbeta.check(gpu)?,
        ]))
    }
    fn output(&mut self, gpu: &Gpu) -> Result<Output> {
        self.dx.output(gpu)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The fused steps' row slots: about two per SM, a multiple of the rows per block, never
    /// more than the rows need.
    #[test]
    fn fused_grid_has_about_two_row_slots_per_sm() {
        let g = Grid::Fused {
            vecs: 4,
            max_tx: 512,
            block: 256,
            slots_per_sm: 2,
            threads: 256,
        };
        let (a, b, slots) = launches(&g, 4096, 4096, DType::F32, 132);
        assert_eq!((a.grid, a.block, slots), ((264, 1, 1), (256, 1, 1), 264));
        assert_eq!(b.grid, (16, 1, 1));
        let (a, _, slots) = launches(&g, 4096, 4096, DType::Bf16, 132);
        assert_eq!((a.grid, a.block, slots), ((132, 1, 1), (128, 2, 1), 264));
        // Step 3 (bf16) holds 2 vectors per thread: 256 threads per 4096-column row.
        // Step 2 (f32) holds up to 3, launched with 2 per thread: 512 threads per 4096-column
        // row, one slot per SM.
        let g2 = STEPS.grid(STEPS.by_id(2).expect("step 2"));
        let (a, _, slots) = launches(g2, 4096, 4096, DType::F32, 132);
        assert_eq!((a.grid, a.block, slots), ((132, 1, 1), (512, 1, 1), 132));
        let g3 = STEPS.grid(STEPS.by_id(3).expect("step 3"));
        let (a, _, slots) = launches(g3, 4096, 4096, DType::Bf16, 132);
        assert_eq!((a.grid, a.block, slots), ((264, 1, 1), (256, 1, 1), 264));
        let (a, _, slots) = launches(&g, 3, 128, DType::F32, 132);
        assert_eq!((a.grid, a.block, slots), ((1, 1, 1), (32, 8, 1), 8));
    }

    /// Steps 4 and 5: a team per row (256 threads at 4096 columns, 64 at 1024, 8 at 128),
    /// blocks of 512 threads (2 rows of 4096 at a time), at most 2 blocks per SM, one workspace
    /// row per block, `G·cols·8` bytes of shared memory; rows longer than 16384 columns or not
    /// whole chunks of 8 take blocks of 1024, one per SM, no shared memory.
    #[test]
    fn strided_steps_launch_teams_per_row_and_a_workspace_row_per_block() {
        for id in [4, 5, 8, 9] {
            let step = STEPS.by_id(id).expect("step");
            let g = STEPS.grid(step);
            let dt = step.dtype;
            let (a, b, slots) = launches(g, 4096, 4096, dt, 132);
            assert_eq!(
                (a.grid, a.block, a.smem, slots),
                ((264, 1, 1), (512, 1, 1), 65536, 264)
            );
            assert_eq!((b.grid, b.block), ((128, 1, 1), (32, 32, 1)));
            let (a, _, slots) = launches(g, 4096, 1024, dt, 132);
            assert_eq!(
                (a.grid, a.block, a.smem, slots),
                ((264, 1, 1), (512, 1, 1), 65536, 264)
            );
            let (a, b, slots) = launches(g, 32768, 128, dt, 132);
            assert_eq!(
                (a.grid, a.block, a.smem, slots),
                ((264, 1, 1), (512, 1, 1), 65536, 264)
            );
            assert_eq!(b.grid, (4, 1, 1));
            // Few rows: no more blocks than row groups.
            let (a, _, slots) = launches(g, 3, 128, dt, 132);
            assert_eq!((a.grid, a.block, slots), ((1, 1, 1), (512, 1, 1), 1));
            let (a, _, slots) = launches(g, 100, 16384, dt, 132);
            assert_eq!(
                (a.grid, a.block, a.smem, slots),
                ((100, 1, 1), (1024, 1, 1), 131072, 100)
            );
            for cols in [32000, 4099, 16392] {
                let (a, _, slots) = launches(g, 8192, cols, dt, 132);
                assert_eq!(
                    (a.grid, a.block, a.smem, slots),
                    ((132, 1, 1), (1024, 1, 1), 0, 132)
                );
            }
        }
        assert_eq!(k::team_of(4096, 2, 512), Some((256, 2)));
        assert_eq!(k::team_of(1024, 2, 512), Some((64, 8)));
        assert_eq!(k::team_of(128, 2, 512), Some((8, 64)));
        assert_eq!(k::team_of(8, 2, 512), Some((1, 512)));
        assert_eq!(k::team_of(800, 2, 512), Some((64, 8)));
        assert_eq!(k::team_of(1608, 2, 512), Some((128, 4)));
        assert_eq!(k::team_of(12296, 2, 512), Some((800, 1)));
        assert_eq!(k::team_of(4100, 2, 512), None);
        assert_eq!(k::team_of(0, 2, 512), None);
    }

    /// Steps 6 and 7: blocks of 1024, one per SM (never more than the rows), one workspace
    /// row per block, the dβ partials of `⌈cols / lanes / 1024⌉` rounds in shared memory
    /// (128 KiB at 32000 columns for both element types); rows they do not hold (not whole
    /// vectors, longer than 32768 columns) get the same blocks and no shared memory.
    #[test]
    fn long_row_steps_launch_a_block_per_sm_and_a_workspace_row_per_block() {
        for (id, lanes) in [(6, 4), (7, 8)] {
            let step = STEPS.by_id(id).expect("step");
            let g = STEPS.grid(step);
            let dt = step.dtype;
            assert_eq!(16 / dt.size(), lanes);
            let (a, b, slots) = launches(g, 8192, 32000, dt, 132);
            assert_eq!(
                (a.grid, a.block, a.smem, slots),
                ((132, 1, 1), (1024, 1, 1), 131072, 132)
            );
            assert_eq!((b.grid, b.block), ((1000, 1, 1), (32, 32, 1)));
            let (a, _, slots) = launches(g, 5, 16392, dt, 132);
            let rounds = (16392 / lanes).div_ceil(1024) as u32;
            assert_eq!(
                (a.grid, a.block, a.smem, slots),
                ((5, 1, 1), (1024, 1, 1), rounds * lanes as u32 * 4096, 5)
            );
            for cols in [20001, 32776] {
                let (a, _, slots) = launches(g, 8192, cols, dt, 132);
                assert_eq!(
                    (a.grid, a.block, a.smem, slots),
                    ((132, 1, 1), (1024, 1, 1), 0, 132)
                );
            }
        }
        // The rules on an sm_90 device: 14–15 up to 8192 columns, 4–5 up to 16384, 12 (f32) / 7
        // (bf16) up to 32768, 2–3 beyond; on sm_80 14–15's rows take 10–11 (bf16 rows of 128:
        // 5) and step 12's 6.
        let pick = |dt, cc, cols| {
            ops::preferred_step(&LayerNormBackward, PREFERRED, dt, cc, cols).map(|s| s.id)
        };
        for (cols, f32_step, bf16_step, f32_sm80, bf16_sm80) in [
            (128, 14, 15, 10, 5),
            (4096, 14, 15, 10, 11),
            (8192, 14, 15, 10, 11),
            (16384, 4, 5, 4, 5),
            (32000, 12, 7, 6, 7),
            (32768, 12, 7, 6, 7),
            (40000, 2, 3, 2, 3),
        ] {
            assert_eq!(pick(DType::F32, (9, 0), cols), Some(f32_step), "{cols}");
            assert_eq!(pick(DType::Bf16, (9, 0), cols), Some(bf16_step), "{cols}");
            assert_eq!(pick(DType::F32, (8, 0), cols), Some(f32_sm80), "{cols}");
            assert_eq!(pick(DType::Bf16, (8, 0), cols), Some(bf16_sm80), "{cols}");
        }
        assert!(k::long_fits(32768, 4) && k::long_fits(32768, 8));
        assert!(!k::long_fits(32772, 4) && !k::long_fits(20004, 8) && !k::long_fits(0, 4));
    }

    #[test]
    fn streamed_steps_launch_two_blocks_of_512_per_sm_with_their_stages() {
        for (id, lanes, stages) in [(10, 4, k::AHEAD_10 + 1), (11, 8, k::AHEAD_11 + 1)] {
            let step = STEPS.by_id(id).expect("step");
            let g = STEPS.grid(step);
            let dt = step.dtype;
            assert_eq!(16 / dt.size(), lanes);
            // (rows, cols) -> (blocks, threads, S, G): a power-of-two team per row, 512
            // threads a block (one team of 1024 beyond 4096 columns, one block per SM).
            for (rows, cols, blocks, threads, s, gg) in [
                (4096, 4096, 264, 512, 512, 1),
                (32768, 128, 264, 512, 16, 32),
                (4096, 1024, 264, 512, 128, 4),
                (9, 1200, 5, 512, 256, 2),
                (100, 8192, 100, 1024, 1024, 1),
                (3, 8, 1, 512, 1, 512),
            ] {
                if cols % lanes != 0 {
                    continue;
                }
                assert_eq!(
                    k::streamed_team(cols as u32).map(|t| (t.0, t.1)),
                    Some((s, gg))
                );
                let (a, b, slots) = launches(g, rows, cols, dt, 132);
                let words = k::stage_words(s, gg, lanes as u32);
                let smem = (stages * words * 4).max(gg * cols as u32 * 8);
                assert_eq!(
                    (a.grid, a.block, a.smem, slots),
                    ((blocks, 1, 1), (threads, 1, 1), smem, blocks as usize),
                    "{rows}x{cols}"
                );
                assert_eq!(b.block, (32, 32, 1));
                // Two blocks fit an SM's 227 KiB where the team is 512 threads or fewer.
                assert!(
                    smem <= if threads <= 512 {
                        113 * 1024
                    } else {
                        227 * 1024
                    }
                );
            }
            // Rows the steps do not hold: the looped fallback, one block of 1024 per SM.
            for cols in [8200, 32000, 4098] {
                let (a, _, slots) = launches(g, 8192, cols, dt, 132);
                assert_eq!(
                    (a.grid, a.block, a.smem, slots),
                    ((132, 1, 1), (1024, 1, 1), 0, 132),
                    "{cols}"
                );
            }
        }
        assert_eq!(k::streamed_team(0), None);
        assert_eq!(k::streamed_team(8193), None);
        assert!(
            k::streamed_fits(8192, 8) && !k::streamed_fits(4098, 4) && k::streamed_fits(4100, 4)
        );
    }

    #[test]
    fn clustered_steps_launch_a_cluster_of_four_per_row_and_a_workspace_row_per_cluster() {
        for (id, lanes, stages) in [(12, 4, k::AHEAD_12 + 1), (13, 8, k::AHEAD_13 + 1)] {
            let step = STEPS.by_id(id).expect("step");
            let g = STEPS.grid(step);
            let dt = step.dtype;
            assert_eq!(16 / dt.size(), lanes);
            // 32 clusters of 4 resident (the caller's SM count: 128): 8000 columns a CTA.
            let (a, b, slots) = launches(g, 8192, 32000, dt, 128);
            let words = k::stage_words(1024, 1, lanes as u32);
            assert_eq!(k::slice_cols(32000), 8000);
            assert_eq!(
                (a.grid, a.block, a.smem, a.cluster, slots),
                ((128, 1, 1), (1024, 1, 1), stages * words * 4, (4, 1, 1), 32)
            );
            assert!(a.smem <= 227 * 1024, "{}", a.smem);
            assert_eq!((b.grid, b.block), ((1000, 1, 1), (32, 32, 1)));
            // Fewer rows than clusters: a cluster a row. Short rows: a warp a CTA at least.
            let (a, _, slots) = launches(g, 5, 96, dt, 132);
            assert_eq!(
                (a.grid, a.block, a.cluster, slots),
                ((20, 1, 1), (32, 1, 1), (4, 1, 1), 5)
            );
            assert_eq!(k::cluster_team(96), (32, 5));
            assert_eq!(k::cluster_team(32768), (1024, 10));
            // Rows they do not hold: the same clusters of 1024, rank 0 taking the rows.
            for cols in [32776, 4098] {
                let (a, _, slots) = launches(g, 8192, cols, dt, 132);
                assert_eq!(
                    (a.grid, a.block, a.smem, a.cluster, slots),
                    ((132, 1, 1), (1024, 1, 1), 0, (4, 1, 1), 33),
                    "{cols}"
                );
            }
        }
        assert!(k::cluster_fits(32768, 4) && k::cluster_fits(32000, 8));
        assert!(!k::cluster_fits(32776, 4) && !k::cluster_fits(0, 4) && !k::cluster_fits(36, 8));
    }

    /// Steps 14–15: steps 10–11's blocks in clusters of 2, one workspace row per cluster.
    #[test]
    fn cluster_summed_steps_launch_steps_10_11s_blocks_in_clusters_and_a_workspace_row_each() {
        for (id, of, lanes) in [(14, 10, 4usize), (15, 11, 8)] {
            let step = STEPS.by_id(id).expect("step");
            let base = STEPS.by_id(of).expect("step");
            let (g, gb) = (STEPS.grid(step), STEPS.grid(base));
            let dt = step.dtype;
            assert_eq!((16 / dt.size(), dt), (lanes, base.dtype));
            assert_eq!((g.cluster(), gb.cluster()), (k::SUM_CLUSTER, 1));
            // 4096 columns: a team of 512 a block, two blocks an SM. The caller's SM count
            // for 132 resident clusters of 2 is 132 (grid_sms: 132 · 2 / 2).
            assert_eq!(g.blocks_per_sm(4096), 2);
            let (a, b, slots) = launches(g, 4096, 4096, dt, 132);
            let (a10, b10, slots10) = launches(gb, 4096, 4096, dt, 132);
            assert_eq!(
                (a.grid, a.block, a.smem, a.cluster, slots),
                (a10.grid, a10.block, a10.smem, (2, 1, 1), 132)
            );
            assert_eq!((a10.grid, slots10), ((264, 1, 1), 264));
            assert_eq!((b.grid, b.block), (b10.grid, b10.block));
            assert!(b.programmatic && !b10.programmatic && !a.programmatic);
            // One row: one cluster, its second block idle.
            let (a, _, slots) = launches(g, 1, 4096, dt, 132);
            assert_eq!((a.grid, a.cluster, slots), ((2, 1, 1), (2, 1, 1), 1));
            // Rows of 128: teams of 16, 32 rows a block; 1024 row groups, the blocks
            // capped at 264, in 132 clusters.
            let (a, _, slots) = launches(g, 32768, 128, dt, 132);
            assert_eq!((a.grid, a.block, slots), ((264, 1, 1), (512, 1, 1), 132));
            // Rows they do not hold: one block of 1024 an SM, rank 0 of each cluster working.
            assert_eq!(g.blocks_per_sm(8200), 1);
            let (a, _, slots) = launches(g, 8192, 8200, dt, 132);
            assert_eq!(
                (a.grid, a.block, a.smem, a.cluster, slots),
                ((132, 1, 1), (1024, 1, 1), 0, (2, 1, 1), 66)
            );
        }
    }

    /// Every twin in [`BASELINES`] names two kernels that layernorm.cu declares with the
    /// params of its element type.
    #[test]
    fn every_twin_in_the_baselines_is_declared_in_the_twin_source() {
        let src = super::super::layernorm::TWIN_SRC;
        for b in BASELINES {
            let [rows, columns] = twin_symbols(b.of_step).expect("a twin's kernels");
            let t = match b.dtype {
                DType::F32 => "float",
                _ => "__nv_bfloat16",
            };
            for k in [rows, columns] {
                let decl = format!(" {k}(LayerNormBackwardParams<{t}> p)");
                assert!(src.contains(&decl), "layernorm.cu lacks {decl}");
            }
        }
    }
}
