//! Attention forward, `O = softmax(Q·Kᵀ·scale [+ causal mask])·V` with `scale = 1/√d`, bf16
//! `Q`, `K`, `V`, `O` in the layout (batch, heads, seq, head_dim), f32 accumulation, and the
//! log-sum-exp of every query row (f32): the FlashAttention-style ladder (issue #15).
//!
//! **Shapes** are `BxHxSxD` (non-causal) or `BxHxSxDc` (causal), e.g. `4x32x4096x128c`; inside,
//! a shape has five dimensions, the fifth the causal flag (0 or 1), and prints as
//! `4x32x4096x128x1` (which parses too). `head_dim` is 64 or 128, `seq ≥ 1`; the query and key
//! lengths are the same (`seq_q ≠ seq_k` is not supported: [`launch_params`] rejects it).
//!
//! **Checks.** The float64 reference ([`reference::attention`]) is of the bf16-rounded inputs.
//! Up to [`FULL_CHECK_WORK`] multiply-adds every query row is checked; above (the benchmark
//! shapes: ~137 G multiply-adds per reference), a deterministic sample of [`SAMPLED_ROWS`] rows
//! spread evenly over batch·heads and the sequence, the first and the last row included, is
//! checked — the check's message says which. `O` and `lse` are both compared; both are
//! poisoned with NaN before every checked run.

use super::TwinKernel;
use crate::element::DType;
use crate::error::{Error, Result};
use crate::inputs;
use crate::ladder::{
    BaselineInfo, BaselineKind, BlockSize, Case, Ceiling, InputSpec, Ladder, LadderMeta, Output,
    StepInfo, StepTable, Steps, Target, Work,
};
use crate::ops::{self, Init, Op, OpCall, Workspace};
use crate::reference::attention as reference;
use crate::runtime::{DeviceBuffer, Gpu, Launch};
use crate::shape::Shape;
use crate::verify::{Comparison, Tolerance, compare};
use half::bf16;
use kernels_gpu::attention::{self as k, AttentionParams, Grid};
use kernels_gpu::{GlobalPtr, GlobalPtrMut};

/// The attention ladder.
pub struct Attention;

static STEPS: StepTable<Grid> = StepTable::new("attention", k::STEPS);

/// The step the CUDA C++ twin mirrors: the top mma.sync step.
pub const TWIN_OF_STEP: u32 = 4;

static BASELINES: &[BaselineInfo] = &[BaselineInfo {
    kind: BaselineKind::CudaCppTwin,
    of_step: TWIN_OF_STEP,
    dtype: DType::Bf16,
    description: "CUDA C++ twin of attention/4 (same tiles, swizzle, cp.async stages, online \
                  softmax; mma.sync, ldmatrix, ex2 as inline PTX), NVRTC",
}];

/// The CUDA C++ twin of step 4 (host/ladders/twins/attention.cu).
pub const TWIN_SOURCE: &str = include_str!("twins/attention.cu");
/// The twin's kernels, `head_dim` 64 then 128 (the order of the step's symbols).
pub const TWIN_SYMBOLS: [&str; 2] = ["attention_twin_s04", "attention_twin_s04_d128"];

static META: LadderMeta = LadderMeta {
    name: "attention",
    description: "O = softmax(Q K^T / sqrt(d) [causal]) V and the row log-sum-exp, bf16 in and out, BxHxSxD[c]",
    dims: 5,
    default_shape: &[4, 32, 4096, 128, 0],
    bench_shapes: &[
        &[4, 32, 4096, 128, 0],
        &[4, 32, 4096, 128, 1],
        &[8, 16, 2048, 64, 0],
        &[8, 16, 2048, 64, 1],
    ],
    ceiling: Ceiling::CublasBf16Tflops,
    chapter: "attention",
};

/// Above this many multiply-adds (`bh·seq²·d`) a check samples [`SAMPLED_ROWS`] query rows
/// instead of all.
pub const FULL_CHECK_WORK: usize = 1 << 28;
/// Query rows a sampled check compares.
pub const SAMPLED_ROWS: usize = 256;

/// One problem's dimensions.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Dims {
    pub batch: usize,
    pub heads: usize,
    pub seq: usize,
    pub head_dim: usize,
    pub causal: bool,
}

impl Dims {
    /// The dimensions of `shape`, or why it is not an attention shape.
    pub fn of(shape: &Shape) -> Result<Self> {
        let bad = |why: &str| Error::Shape {
            what: "attention".into(),
            shape: shape.to_string(),
            why: why.into(),
        };
        let [batch, heads, seq, head_dim, causal] = shape.0[..] else {
            return Err(bad("expected BxHxSxD or BxHxSxDc (causal)"));
        };
        if batch == 0 || heads == 0 || seq == 0 {
            return Err(bad("batch, heads and seq must be at least 1"));
        }
        if head_dim != 64 && head_dim != 128 {
            return Err(bad("head_dim must be 64 or 128"));
        }
        if causal > 1 {
            return Err(bad("the causal flag (fifth dimension) must be 0 or 1"));
        }
        if batch * heads > 65535 {
            return Err(bad("batch*heads is the grid's y dimension: at most 65535"));
        }
        if batch * heads * seq * head_dim > u32::MAX as usize {
            return Err(bad("more than 2^32 - 1 elements per tensor"));
        }
        Ok(Self {
            batch,
            heads,
            seq,
            head_dim,
            causal: causal == 1,
        })
    }
    /// batch·heads.
    pub fn bh(&self) -> usize {
        self.batch * self.heads
    }
    /// Elements of `Q` (and of `K`, `V`, `O`).
    pub fn numel(&self) -> usize {
        self.bh() * self.seq * self.head_dim
    }
    /// `1/√d`.
    pub fn scale(&self) -> f32 {
        1.0 / (self.head_dim as f32).sqrt()
    }
}

/// Parses `BxHxSxD`, `BxHxSxDc` (causal) or the five-dimension form `BxHxSxDxF` (`F` 0 or 1).
pub fn parse(text: &str) -> Result<Shape> {
    let t = text.trim();
    let (body, causal) = match t.strip_suffix(['c', 'C']) {
        Some(b) => (b, Some(1)),
        None => (t, None),
    };
    let parts: Vec<&str> = body.split(['x', 'X', ',']).collect();
    let shape = match (parts.len(), causal) {
        (4, c) => {
            let mut s = Shape::parse(body, 4, "attention")?.0;
            s.push(c.unwrap_or(0));
            Shape(s)
        }
        (5, None) if matches!(parts[4].trim(), "0" | "1") => {
            let mut s = Shape::parse(&parts[..4].join("x"), 4, "attention")?.0;
            s.push(parts[4].trim().parse().expect("0 or 1"));
            Shape(s)
        }
        _ => {
            return Err(Error::Shape {
                what: "attention".into(),
                shape: text.into(),
                why: "attention takes BxHxSxD, e.g. 4x32x4096x128, or BxHxSxDc for causal \
                      (4x32x4096x128c); a fifth dimension, if given, is the causal flag 0 or 1"
                    .into(),
            });
        }
    };
    Dims::of(&shape)?;
    Ok(shape)
}

/// The parameters of one launch on device pointers: what a caller outside the ladder (the
/// PyTorch op) needs to launch a fused step on its own tensors. `seq_q` must equal `seq_k`
/// (top-left aligned causal masking would otherwise be ambiguous: rejected), `head_dim` 64 or
/// 128; `scores` is step 1's workspace (`bh·seq_q·seq_k` f32), 0 for the fused steps.
#[allow(clippy::too_many_arguments)]
pub fn launch_params(
    (q, k, v, o, lse, scores): (u64, u64, u64, u64, u64, u64),
    bh: u32,
    seq_q: u32,
    seq_k: u32,
    head_dim: u32,
    scale: f32,
    causal: bool,
) -> Result<AttentionParams> {
    let bad = |why: String| Error::Shape {
        what: "attention".into(),
        shape: format!("bh {bh}, seq_q {seq_q}, seq_k {seq_k}, head_dim {head_dim}"),
        why,
    };
    if seq_q != seq_k {
        return Err(bad("seq_q != seq_k is not supported".into()));
    }
    if head_dim != 64 && head_dim != 128 {
        return Err(bad("head_dim must be 64 or 128".into()));
    }
    if bh == 0 || bh > 65535 || seq_q == 0 {
        return Err(bad("bh must be 1..=65535 and seq at least 1".into()));
    }
    if [q, k, v, o].iter().any(|a| a % 16 != 0) || lse % 4 != 0 {
        return Err(bad(
            "q, k, v, o must be 16-byte aligned, lse 4-byte aligned".into(),
        ));
    }
    Ok(AttentionParams {
        q: GlobalPtr::from_addr(q),
        k: GlobalPtr::from_addr(k),
        v: GlobalPtr::from_addr(v),
        o: GlobalPtrMut::from_addr(o),
        lse: GlobalPtrMut::from_addr(lse),
        scores: GlobalPtrMut::from_addr(scores),
        bh,
        seq_q,
        seq_k,
        head_dim,
        scale,
        causal: causal as u32,
    })
}

/// The launches of `step` (declared with `grid`) for `p`, in order: three for the naive step,
/// one for a fused step (its `head_dim` kernel).
pub fn launches(step: &StepInfo, grid: &Grid, p: &AttentionParams) -> Vec<(&'static str, Launch)> {
    let rows = p.bh * p.seq_q;
    match *grid {
        Grid::Naive { threads } => {
            let kb = p.seq_k.div_ceil(threads);
            vec![
                (step.symbols[0], Launch::linear(rows * kb, threads)),
                (
                    step.symbols[1],
                    Launch::linear(rows.div_ceil(threads / 32), threads),
                ),
                (
                    step.symbols[2],
                    Launch::linear((rows * p.head_dim).div_ceil(threads), threads),
                ),
            ]
        }
        Grid::Fused { .. } => {
            let t = grid.tile(p.head_dim).expect("head_dim checked: 64 or 128");
            let symbol = step.symbols[if p.head_dim == 64 { 0 } else { 1 }];
            let l = Launch::grid_2d((p.seq_q.div_ceil(t.bq), p.bh), (t.threads(), 1));
            vec![(symbol, l.with_smem(t.smem))]
        }
    }
}

/// Elementwise tolerance of `O` (bf16) against the f64 reference, for values `|v| ≤ vmax`:
/// `P` is rounded to bf16 before `P·V` (each weight within 2^-9 relative, so `O` within
/// 2^-9·max|v| of the product with unrounded weights, whose sum is `l`), then `O` is rounded
/// to bf16 (2^-9 relative); twice each for the f32 accumulation and `ex2.approx`.
pub fn o_tolerance(vmax: f64) -> Tolerance {
    Tolerance {
        atol: vmax / 256.0,
        rtol: 1.0 / 256.0,
    }
}

/// Tolerance of `lse` (f32): scores are f32 sums of `d` exact products, `l` an f32 sum of
/// exponentials of ~2 ulp (`ex2.approx`), `ln` by `lg2.approx`: about 1e-5 absolute at these
/// magnitudes; 1e-4 leaves room, and a missing key of `seq ≤ 1000` moves `lse` by more.
pub const LSE_TOLERANCE: Tolerance = Tolerance {
    atol: 1e-4,
    rtol: 1e-5,
};

/// The `(head, row)` pairs a check compares: all, or [`SAMPLED_ROWS`] spread evenly (first
/// and last included).
pub fn checked_rows(d: &Dims) -> Vec<(usize, usize)> {
    let total = d.bh() * d.seq;
    if d.bh() * d.seq * d.seq * d.head_dim <= FULL_CHECK_WORK || total <= SAMPLED_ROWS {
        return (0..total).map(|r| (r / d.seq, r % d.seq)).collect();
    }
    (0..SAMPLED_ROWS)
        .map(|i| i * (total - 1) / (SAMPLED_ROWS - 1))
        .map(|r| (r / d.seq, r % d.seq))
        .collect()
}

/// `O = softmax(Q·Kᵀ·scale [causal])·V` and the row log-sum-exp on caller-owned memory:
/// arguments `q`, `k`, `v`, `o` (bf16, `(batch·heads) × seq × head_dim`, densely packed),
/// `lse` (`batch·heads × seq` f32), then the workspace `scores` (step 1's
/// `bh·seq·seq` f32; 0 for the fused steps). Dims `[bh, seq, head_dim]` (`seq_q = seq_k =
/// seq`), scalars `scale` and `causal` (0 or 1).
pub struct AttentionOp;

impl Op for AttentionOp {
    fn name(&self) -> &'static str {
        "attention"
    }
    fn ladder(&self) -> &'static dyn Ladder {
        &Attention
    }
    fn args(&self) -> &'static [&'static str] {
        &["q", "k", "v", "o", "lse", "scores"]
    }
    fn scalars(&self) -> &'static [&'static str] {
        &["scale", "causal"]
    }
    fn unsupported_dims(&self, dims: &[usize]) -> Option<String> {
        let &[bh, seq, d] = dims else {
            return Some(format!(
                "needs 3 dimensions [bh, seq, head_dim], got {dims:?}"
            ));
        };
        if d != 64 && d != 128 {
            return Some(format!("head_dim {d}: the kernels take 64 or 128"));
        }
        if bh > 65535 {
            return Some(format!(
                "batch x heads = {bh}: the grid takes at most 65535"
            ));
        }
        let numel = bh as u128 * seq as u128 * d as u128;
        (numel > u32::MAX as u128).then(|| {
            format!("{numel} elements per tensor; the kernels index with u32 (at most 2^32 - 1)")
        })
    }
    fn workspace(&self, _gpu: &Gpu, step: &StepInfo, call: &OpCall) -> Result<Vec<Workspace>> {
        Ok(match STEPS.grid(step) {
            Grid::Naive { .. } => vec![Workspace {
                name: "scores",
                bytes: call.dims[0] * call.dims[1] * call.dims[1] * 4,
                init: Init::Uninit,
            }],
            Grid::Fused { .. } => Vec::new(),
        })
    }
    fn enqueue(&self, gpu: &Gpu, stream: u64, step: &StepInfo, call: &OpCall) -> Result<()> {
        let grid = STEPS.grid(step);
        let naive = matches!(grid, Grid::Naive { .. });
        ops::check_args(self, call, if naive { &[] } else { &["scores"] })?;
        if let Some(why) = self.unsupported_dims(call.dims) {
            return Err(Error::Usage(format!("attention: {why}")));
        }
        let a = call.args;
        let (bh, seq, d) = (
            call.dims[0] as u32,
            call.dims[1] as u32,
            call.dims[2] as u32,
        );
        let p = launch_params(
            (a[0], a[1], a[2], a[3], a[4], a[5]),
            bh,
            seq,
            seq,
            d,
            call.scalars[0],
            call.scalars[1] != 0.0,
        )?;
        for (symbol, l) in launches(step, grid, &p) {
            gpu.launch_on(stream, symbol, l, p)?;
        }
        Ok(())
    }
    fn symbol_for(&self, _gpu: &Gpu, step: &StepInfo, call: &OpCall) -> &'static str {
        match (STEPS.grid(step), call.dims.get(2)) {
            (Grid::Fused { .. }, Some(128)) => step.symbols[1],
            _ => step.symbols[0],
        }
    }
}

impl Ladder for Attention {
    fn meta(&self) -> &'static LadderMeta {
        &META
    }
    fn op(&self) -> Option<&'static dyn Op> {
        Some(&AttentionOp)
    }
    fn table(&self) -> &'static dyn Steps {
        &STEPS
    }
    fn dynamic_smem(&self, symbol: &str) -> Option<u32> {
        let s = STEPS.step_of_symbol(symbol)?;
        Some(match s.grid {
            Grid::Naive { .. } => 0,
            Grid::Fused { d64, d128 } => {
                if s.symbols[0] == symbol {
                    d64.smem
                } else {
                    d128.smem
                }
            }
        })
    }
    fn launch_block(&self, symbol: &str) -> Option<BlockSize> {
        let s = STEPS.step_of_symbol(symbol)?;
        let threads = match s.grid {
            Grid::Naive { threads } => threads,
            Grid::Fused { d64, .. } if s.symbols[0] == symbol => d64.threads(),
            Grid::Fused { d128, .. } => d128.threads(),
        };
        Some(super::block_size(s, threads))
    }
    /// Sequence 1, 17 (one partial tile), 64 (one full tile), 70 and 129 (a full tile and a
    /// tail), 200 (several tiles and a tail, two heads of batch 2), both head dimensions,
    /// causal and not.
    fn awkward_shapes(&self) -> Vec<Shape> {
        [
            [1, 1, 1, 64, 0],
            [1, 1, 1, 128, 1],
            [1, 2, 17, 64, 0],
            [1, 2, 17, 64, 1],
            [1, 1, 64, 128, 1],
            [1, 1, 70, 128, 0],
            [1, 1, 70, 128, 1],
            [1, 2, 129, 64, 1],
            [1, 2, 129, 64, 0],
            [2, 1, 200, 128, 0],
            [2, 1, 200, 128, 1],
        ]
        .into_iter()
        .map(|d| Shape(d.to_vec()))
        .collect()
    }
    fn parse_shape(&self, text: &str) -> Result<Shape> {
        parse(text)
    }
    /// Random draws of five sizes become: batch 1–2, heads 1–3, the drawn sequence length,
    /// head_dim 64 or 128, causal or not.
    fn shape_from_draw(&self, draw: Shape) -> Shape {
        let d = &draw.0;
        let pick = |i: usize| d.get(i).copied().unwrap_or(1);
        Shape(vec![
            1 + pick(0) % 2,
            1 + pick(1) % 3,
            pick(2).max(1),
            [64, 128][pick(3) % 2],
            pick(4) % 2,
        ])
    }
    /// `4·bh·s²·d` FLOPs (two products), halved when causal; bytes: `Q`, `K`, `V` read and `O`
    /// written once (bf16), `lse` written (f32).
    fn work(&self, shape: &Shape, _dtype: DType) -> Work {
        let Ok(d) = Dims::of(shape) else {
            return Work {
                flops: 0.0,
                bytes: 0.0,
            };
        };
        let full = 4.0 * d.bh() as f64 * (d.seq as f64).powi(2) * d.head_dim as f64;
        Work {
            flops: if d.causal { full / 2.0 } else { full },
            bytes: 8.0 * d.numel() as f64 + 4.0 * (d.bh() * d.seq) as f64,
        }
    }
    /// `q` uniform in [-2, 2) (scores spread enough that the running max moves), `k`, `v` in
    /// [-1, 1).
    fn random_inputs(&self, shape: &Shape, seed: u64) -> Result<Vec<Vec<f32>>> {
        let n = Dims::of(shape)?.numel();
        Ok(vec![
            inputs::uniform(n, seed, -2.0, 2.0),
            inputs::uniform(n, seed ^ 0x9e37_79b9, -1.0, 1.0),
            inputs::uniform(n, seed ^ 0x7f4a_7c15, -1.0, 1.0),
        ])
    }
    fn input_specs(&self, shape: &Shape) -> Vec<InputSpec> {
        let s = shape.0[..shape.0.len().min(4)].to_vec();
        ["q", "k", "v"]
            .into_iter()
            .map(|name| InputSpec {
                name,
                shape: s.clone(),
            })
            .collect()
    }
    fn shape_from_input(&self, array_shape: &[usize]) -> Result<Shape> {
        let mut s = array_shape.to_vec();
        s.push(0);
        let shape = Shape(s);
        Dims::of(&shape)?;
        Ok(shape)
    }
    fn case(
        &self,
        gpu: &Gpu,
        shape: &Shape,
        _dtype: DType,
        inputs: Vec<Vec<f32>>,
    ) -> Result<Box<dyn Case>> {
        let [q, k, v] = super::take_inputs::<3>(self, shape, inputs)?;
        Ok(Box::new(AttentionCase::new(gpu, shape, [q, k, v])?))
    }
    fn baselines(&self) -> &'static [BaselineInfo] {
        BASELINES
    }
}

/// One attention problem on the device, with its host inputs (bf16-rounded) for the lazy
/// reference.
pub struct AttentionCase {
    dims: Dims,
    q: DeviceBuffer<bf16>,
    k: DeviceBuffer<bf16>,
    v: DeviceBuffer<bf16>,
    o: DeviceBuffer<bf16>,
    lse: DeviceBuffer<f32>,
    /// Step 1's score workspace, allocated on its first run.
    scores: Option<DeviceBuffer<f32>>,
    host: [Vec<f32>; 3],
    /// `(o, lse)` of [`checked_rows`], computed on first use.
    reference: Option<(Vec<f64>, Vec<f64>)>,
    /// The twin's kernels (`head_dim` 64, 128), compiled on first use.
    twin: [TwinKernel; 2],
}

impl AttentionCase {
    fn new(gpu: &Gpu, shape: &Shape, inputs: [Vec<f32>; 3]) -> Result<Self> {
        let dims = Dims::of(shape)?;
        let round = |x: &[f32]| -> Vec<bf16> { x.iter().map(|&v| bf16::from_f32(v)).collect() };
        let [q, k, v] = inputs.map(|x| round(&x));
        let widen = |x: &[bf16]| -> Vec<f32> { x.iter().map(|v| v.to_f32()).collect() };
        Ok(Self {
            dims,
            q: DeviceBuffer::from_host(gpu, &q)?,
            k: DeviceBuffer::from_host(gpu, &k)?,
            v: DeviceBuffer::from_host(gpu, &v)?,
            o: DeviceBuffer::zeros(gpu, dims.numel())?,
            lse: DeviceBuffer::zeros(gpu, dims.bh() * dims.seq)?,
            scores: None,
            host: [widen(&q), widen(&k), widen(&v)],
            reference: None,
            twin: TWIN_SYMBOLS.map(|sym| TwinKernel::new("attention_twin", TWIN_SOURCE, sym)),
        })
    }

    fn params(&mut self) -> AttentionParams {
        let d = self.dims;
        let scores = self.scores.as_ref().map_or(0, |s| s.addr());
        launch_params(
            (
                self.q.addr(),
                self.k.addr(),
                self.v.addr(),
                self.o.addr(),
                self.lse.addr(),
                scores,
            ),
            d.bh() as u32,
            d.seq as u32,
            d.seq as u32,
            d.head_dim as u32,
            d.scale(),
            d.causal,
        )
        .expect("the shape was checked when the case was made")
    }

    fn reference(&mut self) -> &(Vec<f64>, Vec<f64>) {
        let d = self.dims;
        let [q, k, v] = &self.host;
        self.reference.get_or_insert_with(|| {
            let p = reference::Problem {
                q,
                k,
                v,
                bh: d.bh(),
                seq: d.seq,
                d: d.head_dim,
                scale: d.scale() as f64,
                causal: d.causal,
            };
            reference::rows(&p, &checked_rows(&d))
        })
    }
}

impl Case for AttentionCase {
    fn run(&mut self, gpu: &Gpu, target: Target<'_>) -> Result<()> {
        let (step, twin) = match target {
            Target::Step(s) if s.ladder == META.name => (s, false),
            Target::Baseline(b)
                if b.kind == BaselineKind::CudaCppTwin && b.dtype == DType::Bf16 =>
            {
                (STEPS.by_id(b.of_step).expect("the twin's step"), true)
            }
            _ => return Err(super::not_mine("attention", target)),
        };
        let grid = STEPS.grid(step);
        if matches!(grid, Grid::Naive { .. }) && self.scores.is_none() {
            let n = self.dims.bh() * self.dims.seq * self.dims.seq;
            self.scores = Some(DeviceBuffer::zeros(gpu, n)?);
        }
        let p = self.params();
        if twin {
            // The twin's step is fused: one launch, of its head_dim kernel.
            let [(_, l)] = launches(step, grid, &p)[..] else {
                unreachable!("a fused step launches one kernel")
            };
            let i = if p.head_dim == 64 { 0 } else { 1 };
            return self.twin[i].launch(gpu, l, p);
        }
        for (symbol, l) in launches(step, grid, &p) {
            gpu.launch(symbol, l, p)?;
        }
        Ok(())
    }
    fn poison(&mut self, gpu: &Gpu) -> Result<()> {
        self.o.poison(gpu)?;
        self.lse.poison(gpu)
    }
    /// `O` and `lse` of [`checked_rows`]; the first that fails is reported (its shape says
    /// whether the rows were all or a sample: `rows x d`).
    fn check(&mut self, gpu: &Gpu) -> Result<Comparison> {
        let d = self.dims;
        let rows = checked_rows(&d);
        let o = self.o.to_host(gpu)?;
        let lse = self.lse.to_host(gpu)?;
        let mut got_o = Vec::with_capacity(rows.len() * d.head_dim);
        let mut got_l = Vec::with_capacity(rows.len());
        for &(h, r) in &rows {
            let at = h * d.seq + r;
            got_o.extend_from_slice(&o[at * d.head_dim..][..d.head_dim]);
            got_l.push(lse[at]);
        }
        let vmax = self.host[2]
            .iter()
            .fold(0.0f64, |m, &x| m.max(x.abs() as f64));
        let sampled = rows.len() < d.bh() * d.seq;
        let (ref_o, ref_l) = self.reference().clone();
        let what = if sampled { SAMPLED_ROWS } else { rows.len() };
        let co = compare(
            &got_o,
            &ref_o,
            &Shape(vec![what, d.head_dim]),
            o_tolerance(vmax),
        );
        let cl = compare(&got_l, &ref_l, &Shape(vec![what]), LSE_TOLERANCE);
        Ok(if !co.passed() || cl.passed() { co } else { cl })
    }
    fn output(&mut self, gpu: &Gpu) -> Result<Output> {
        let d = self.dims;
        Ok(Output {
            shape: vec![d.batch, d.heads, d.seq, d.head_dim],
            dtype: DType::Bf16,
            values: self.o.to_host(gpu)?.iter().map(|x| x.to_f32()).collect(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shapes_parse_with_a_causal_suffix_and_print_as_five_dimensions() {
        assert_eq!(parse("4x32x4096x128").unwrap().0, [4, 32, 4096, 128, 0]);
        let c = parse("4x32x4096x128c").unwrap();
        assert_eq!(c.0, [4, 32, 4096, 128, 1]);
        assert_eq!(c.to_string(), "4x32x4096x128x1");
        assert_eq!(parse(&c.to_string()).unwrap(), c);
        assert_eq!(parse("1x2x4kx64").unwrap().0, [1, 2, 4096, 64, 0]);
        for bad in [
            "4x32x4096x96",
            "4x32x4096",
            "4x32x4096x128x2",
            "0x1x1x64",
            "1x1x1x64xc",
        ] {
            assert!(parse(bad).is_err(), "{bad}");
        }
        assert!(Attention.parse_shape("8x16x2048x64c").is_ok());
        assert!(Dims::of(&Shape(vec![65536, 1, 1, 64, 0])).is_err());
    }

    #[test]
    fn work_is_four_bhs2d_halved_when_causal() {
        let w = Attention.work(&Shape(vec![4, 32, 4096, 128, 0]), DType::Bf16);
        assert_eq!(w.flops, 4.0 * 128.0 * 4096.0 * 4096.0 * 128.0);
        let wc = Attention.work(&Shape(vec![4, 32, 4096, 128, 1]), DType::Bf16);
        assert_eq!(wc.flops * 2.0, w.flops);
        assert_eq!(
            w.bytes,
            8.0 * (128 * 4096 * 128) as f64 + 4.0 * (128 * 4096) as f64
        );
    }

    #[test]
    fn checks_cover_every_row_of_small_shapes_and_a_spread_sample_of_large_ones() {
        let small = Dims::of(&Shape(vec![2, 1, 200, 128, 1])).unwrap();
        assert_eq!(checked_rows(&small).len(), 400);
        let big = Dims::of(&Shape(vec![4, 32, 4096, 128, 0])).unwrap();
        let rows = checked_rows(&big);
        assert_eq!(rows.len(), SAMPLED_ROWS);
        assert_eq!(rows[0], (0, 0));
        assert_eq!(*rows.last().unwrap(), (127, 4095));
        assert!(
            rows.iter()
                .map(|r| r.0)
                .collect::<std::collections::BTreeSet<_>>()
                .len()
                > 100
        );
        // Every awkward shape is checked in full.
        for s in Attention.awkward_shapes() {
            let d = Dims::of(&s).unwrap();
            assert_eq!(checked_rows(&d).len(), d.bh() * d.seq, "{s}");
        }
    }

    #[test]
    fn random_draws_become_valid_shapes() {
        for draw in [[1, 1, 1, 1, 1], [1021, 600, 257, 33, 31], [2, 3, 4, 5, 6]] {
            let s = Attention.shape_from_draw(Shape(draw.to_vec()));
            assert!(Dims::of(&s).is_ok(), "{s}");
            assert_eq!(s.0[2], draw[2]);
        }
    }

    #[test]
    fn launches_cover_the_queries_with_the_declared_tiles() {
        let p = launch_params((0, 0, 0, 0, 0, 0), 6, 1000, 1000, 128, 0.1, true).unwrap();
        for s in Attention.steps() {
            let g = STEPS.grid(s);
            let ls = launches(s, g, &p);
            match *g {
                Grid::Naive { threads } => {
                    assert_eq!(ls.len(), 3);
                    assert_eq!(ls[0].1.grid.0, 6000 * 1000u32.div_ceil(threads));
                    assert!(ls[2].1.grid.0 * threads >= 6000 * 128);
                }
                Grid::Fused { d128, .. } => {
                    let [(sym, l)] = ls[..] else {
                        panic!("{}", s.symbol)
                    };
                    assert_eq!(sym, s.symbols[1]);
                    assert_eq!((l.grid.0, l.grid.1), (1000u32.div_ceil(d128.bq), 6));
                    assert_eq!((l.block.0, l.smem), (d128.threads(), d128.smem));
                    assert!(d128.smem <= 227 * 1024);
                    assert_eq!(Attention.dynamic_smem(sym), Some(d128.smem));
                    assert_eq!(Attention.launch_block(sym).unwrap().launch, d128.threads());
                }
            }
        }
        assert!(launch_params((0, 0, 0, 0, 0, 0), 6, 100, 99, 128, 0.1, false).is_err());
        assert!(launch_params((0, 0, 0, 0, 0, 0), 6, 100, 100, 96, 0.1, false).is_err());
        assert!(launch_params((8, 0, 0, 0, 0, 0), 6, 100, 100, 64, 0.1, false).is_err());
    }

    #[test]
    fn fused_kernels_keep_everything_in_registers_with_the_mma_counts_of_their_tiles() {
        // Per key tile: Q·Kᵀ (d/16)·(bk/8) mmas and P·V (bk/16)·(d/8): 64 at d64, 128 at d128
        // (bk = 64); ldmatrix: d/16 (Q, once) + (bk/16)·(d/16) (K) + (bk/16)·(d/16) (V).
        // Barriers: step 2 one before the loop and two per tile, the pipelined steps one and one.
        for s in Attention.steps() {
            for (i, sym) in s.symbols.iter().enumerate() {
                let text = crate::ptx::kernel_text(crate::ptx::PTX, sym).expect("in the PTX");
                assert!(
                    !text.contains(".local") && !text.contains("__local_depot"),
                    "{sym}"
                );
                let count = |i: &str| {
                    text.lines()
                        .filter(|l| l.trim_start().starts_with(i))
                        .count()
                };
                let mma = count("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32");
                let ldm = count("ldmatrix.sync");
                let bars = count("bar.sync") + count("barrier.sync");
                match STEPS.grid(s) {
                    Grid::Naive { .. } => assert_eq!((mma, ldm, bars), (0, 0, 0), "{sym}"),
                    Grid::Fused { .. } => {
                        let d = if i == 0 { 64 } else { 128 };
                        assert_eq!(mma, 64 * d / 64, "{sym}");
                        assert_eq!(ldm, d / 16 + 2 * 4 * (d / 16), "{sym}");
                        assert_eq!(bars, if s.id == 2 { 3 } else { 2 }, "{sym}");
                        assert_eq!(count("ex2.approx"), 34, "{sym}");
                    }
                }
            }
        }
    }

    #[test]
    fn step_4_at_d128_is_step_3s_kernel_under_another_name() {
        // Step 4's d128 tile is step 3's (chosen by the H200 run): the same PTX, so step 3's
        // measured time is step 4's at d128 (docs/perf-notes.md).
        let norm = |sym: &str| {
            let text = crate::ptx::kernel_text(crate::ptx::PTX, sym).expect("in the PTX");
            let text = text.replace(sym, "KERNEL");
            text.split("$L__BB")
                .enumerate()
                .map(|(i, part)| {
                    if i == 0 {
                        part.to_string()
                    } else {
                        part.trim_start_matches(|c: char| c.is_ascii_digit() || c == '_')
                            .to_string()
                    }
                })
                .collect::<Vec<_>>()
                .join("L")
        };
        assert_eq!(
            norm(k::attention_s04_tuned_d128::SYMBOL),
            norm(k::attention_s03_cp_async_d128::SYMBOL)
        );
        assert_eq!(k::s04_tile(128), k::s03_tile(128));
    }

    #[test]
    fn the_twin_is_of_step_4_and_declares_its_two_kernels() {
        let [b] = BASELINES else { panic!("one twin") };
        assert_eq!((b.kind, b.of_step), (BaselineKind::CudaCppTwin, 4));
        let s = STEPS.by_id(4).unwrap();
        assert_eq!(
            s.symbols,
            [
                k::attention_s04_tuned::SYMBOL,
                k::attention_s04_tuned_d128::SYMBOL
            ]
        );
        for sym in TWIN_SYMBOLS {
            assert!(
                TWIN_SOURCE.contains(&format!(" {sym}(AttentionParams p)")),
                "{sym}"
            );
        }
        // The same tiles as the step: 8 warps at d64, 4 at d128, 64-key tiles.
        assert!(TWIN_SOURCE.contains("pipelined<64, 8, 64>(p)"));
        assert!(TWIN_SOURCE.contains("pipelined<128, 4, 64>(p)"));
        // And the same launch bounds: (256, 2) on the d64 kernel, none on the d128 one.
        assert!(
            TWIN_SOURCE.contains("__launch_bounds__(256, 2) attention_twin_s04(AttentionParams p)")
        );
        assert_eq!(k::attention_s04_tuned::LAUNCH_BOUNDS, Some((256, 2)));
        assert_eq!(k::attention_s04_tuned_d128::LAUNCH_BOUNDS, None);
        let Grid::Fused { d64, d128 } = *STEPS.grid(s) else {
            panic!()
        };
        assert_eq!((d64.warps, d64.bk, d128.warps, d128.bk), (8, 64, 4, 64));
    }
}
