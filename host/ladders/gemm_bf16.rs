//! `C = α·A·B + β·C` with `A`, `B` bf16 and `C` f32, f32 accumulation, row-major, any
//! `M × N × K`: the tensor-core GEMM ladder (issue #11).
//!
//! Steps: mma.sync with fragments from global, shared tiles + ldmatrix, a cp.async pipeline,
//! swizzle + 64×64 warp tiles (sm_80 module); wgmma, then TMA + mbarriers + warp
//! specialisation (sm_90a module, skipped elsewhere); measured against cuBLAS (`cublasGemmEx`, bf16
//! inputs, f32 output and compute) and the CUDA C++ twin of step 4, in the same run. Checks use
//! `α = 1.25`, `β = −0.5` and a random f32 `C`, so every element of `C` is read and written
//! (an element a kernel skips keeps its old value and fails). The float64 reference is of the
//! bf16-rounded inputs (what the kernels multiply; products of bf16 are exact in f32), computed
//! the first time a case is verified.

use super::TwinKernel;
use crate::baselines::GemmBf16Blas;
use crate::element::DType;
use crate::error::Result;
use crate::ladder::{
    BaselineInfo, BaselineKind, Case, Ceiling, InputSpec, Ladder, LadderMeta, Output, StepInfo,
    StepTable, Steps, Target, Work,
};
use crate::ops::{self, Init, Op, OpCall, Workspace};
use crate::reference;
use crate::runtime::{DeviceBuffer, Gpu, Launch};
use crate::shape::Shape;
use crate::verify::{Comparison, Tolerance, compare};
use half::bf16;
use kernels_gpu::gemm_bf16::{self as k, GemmBf16Params, Grid};
use kernels_gpu::{GlobalPtr, GlobalPtrMut};

/// `α` of every check and benchmark.
pub const ALPHA: f32 = 1.25;
/// `β` of every check and benchmark (non-zero: `C` is an input too).
pub const BETA: f32 = -0.5;

/// The bf16 tensor-core GEMM ladder.
pub struct GemmBf16;

static STEPS: StepTable<Grid> = StepTable::new("gemm_bf16", k::STEPS);

/// The step the CUDA C++ twin mirrors: the top mma.sync step.
pub const TWIN_OF_STEP: u32 = 4;

static BASELINES: &[BaselineInfo] = &[
    BaselineInfo {
        kind: BaselineKind::Cublas,
        of_step: 0,
        dtype: DType::Bf16,
        description: "cuBLAS cublasGemmEx: bf16 A and B, f32 C, CUBLAS_COMPUTE_32F, default algorithm (tensor cores)",
    },
    BaselineInfo {
        kind: BaselineKind::CudaCppTwin,
        of_step: TWIN_OF_STEP,
        dtype: DType::Bf16,
        description: "CUDA C++ twin of gemm_bf16/4 (same tiles, swizzle, pipeline; mma.sync and ldmatrix as inline PTX), NVRTC",
    },
];

/// The CUDA C++ twin of step 4 (host/ladders/twins/gemm_bf16.cu).
pub const TWIN_SOURCE: &str = include_str!("twins/gemm_bf16.cu");
/// The twin's kernel.
pub const TWIN_SYMBOL: &str = "gemm_bf16_twin_s04";

static META: LadderMeta = LadderMeta {
    name: "gemm_bf16",
    description: "C = alpha*A*B + beta*C, A and B bf16, f32 accumulate, C f32, row-major, any MxNxK",
    dims: 3,
    default_shape: &[4096, 4096, 4096],
    bench_shapes: &[&[4096, 4096, 4096], &[2048, 2048, 2048]],
    ceiling: Ceiling::CublasBf16Tflops,
    chapter: "gemm_bf16",
};

/// The launch of a step declared with `grid` on an `m × n` output.
pub fn launch(grid: &Grid, m: usize, n: usize) -> Launch {
    match *grid {
        Grid::Tiles {
            bm,
            bn,
            threads,
            smem,
        }
        | Grid::Tma {
            bm,
            bn,
            threads,
            smem,
        } => Launch::grid_2d(
            (
                n.div_ceil(bn as usize) as u32,
                m.div_ceil(bm as usize) as u32,
            ),
            (threads, 1),
        )
        .with_smem(smem),
    }
}

/// `c = a·b` (`a`, `b` bf16, `c` f32, row-major, `α = 1`, `β = 0`: `c` is only written) on
/// caller-owned memory: arguments `a` (`m × k`), `b` (`k × n`), `c` (`m × n`) and `tmaps` (the
/// TMA tensor maps of a TMA step, [`Op::workspace`]'s bytes; 0 launches the step's declared
/// fallback kernel instead); dims `[m, n, k]`.
pub struct GemmBf16Op;

impl GemmBf16Op {
    /// Whether the TMA can read `a` and `b` of `call` with `step`: a TMA step, row strides of
    /// 16-byte multiples, 16-byte aligned bases, a device that encodes tensor maps.
    fn uses_tma(gpu: &Gpu, step: &StepInfo, call: &OpCall) -> bool {
        let (n, kk) = (call.dims[1], call.dims[2]);
        matches!(STEPS.grid(step), Grid::Tma { .. })
            && !gpu.is_emulated()
            && kk % 8 == 0
            && n % 8 == 0
            && call.args.len() >= 2
            && call.args[..2].iter().all(|a| a % 16 == 0)
    }

    /// The kernel and its declared grid that `step` launches for `call` (`tma`: whether the
    /// tensor maps are there).
    fn kernel(step: &StepInfo, tma: bool) -> (&'static str, &'static Grid) {
        match STEPS.grid(step) {
            Grid::Tma { .. } if !tma => {
                let fallback = step.symbols[1];
                let declared = STEPS
                    .step_of_symbol(fallback)
                    .expect("the fallback is a step's kernel");
                (fallback, &declared.grid)
            }
            grid => (step.symbol, grid),
        }
    }
}

impl Op for GemmBf16Op {
    fn name(&self) -> &'static str {
        "gemm_bf16"
    }
    fn ladder(&self) -> &'static dyn Ladder {
        &GemmBf16
    }
    fn args(&self) -> &'static [&'static str] {
        &["a", "b", "c", "tmaps"]
    }
    fn unsupported_dims(&self, dims: &[usize]) -> Option<String> {
        super::gemm::GemmOp.unsupported_dims(dims)
    }
    fn workspace(&self, gpu: &Gpu, step: &StepInfo, call: &OpCall) -> Result<Vec<Workspace>> {
        if !Self::uses_tma(gpu, step, call) {
            return Ok(Vec::new());
        }
        let (m, n, kk) = (call.dims[0], call.dims[1], call.dims[2]);
        let a = crate::runtime::tma::encode_2d_bf16(call.args[0], (m, kk), (128, 64))?;
        let b = crate::runtime::tma::encode_2d_bf16(call.args[1], (kk, n), (64, 64))?;
        Ok(vec![Workspace {
            name: "tmaps",
            bytes: a.len() + b.len(),
            init: Init::Bytes(a.iter().chain(&b).copied().collect()),
        }])
    }
    fn symbol_for(&self, gpu: &Gpu, step: &StepInfo, call: &OpCall) -> &'static str {
        Self::kernel(step, Self::uses_tma(gpu, step, call)).0
    }
    fn enqueue(&self, gpu: &Gpu, stream: u64, step: &StepInfo, call: &OpCall) -> Result<()> {
        ops::check_args(self, call, &["tmaps"])?;
        let (m, n, kk) = (call.dims[0], call.dims[1], call.dims[2]);
        let tmaps = call.args[3];
        let tma = tmaps != 0 && Self::uses_tma(gpu, step, call);
        let (symbol, grid) = Self::kernel(step, tma);
        let p = GemmBf16Params {
            a: GlobalPtr::from_addr(call.args[0]),
            b: GlobalPtr::from_addr(call.args[1]),
            c: GlobalPtrMut::from_addr(call.args[2]),
            m: m as u32,
            n: n as u32,
            k: kk as u32,
            alpha: 1.0,
            beta: 0.0,
        };
        let l = launch(grid, m, n);
        if tma {
            let tp = k::GemmBf16TmaParams {
                gemm: p,
                tmaps: GlobalPtr::from_addr(tmaps),
            };
            gpu.launch_on(stream, symbol, l, tp)
        } else {
            gpu.launch_on(stream, symbol, l, p)
        }
    }
}

/// Elementwise tolerance for a bf16-input GEMM with inner dimension `k`, against the f64
/// product of the bf16-rounded inputs: products are exact in f32, so only the f32
/// accumulation rounds (tensor cores may truncate each partial sum, so twice the f32 GEMM
/// ladder's `2·eps·k`), plus the epilogue's `β·C`. A missed product term (~0.25) or a skipped
/// element fails by orders of magnitude.
pub fn tolerance(k: usize) -> Tolerance {
    let eps = f32::EPSILON as f64;
    Tolerance {
        atol: eps * (4.0 * ALPHA.abs() as f64 * k as f64 + 4.0 * BETA.abs() as f64 + 4.0),
        rtol: 4.0 * eps,
    }
}

fn dims(shape: &Shape) -> Result<(usize, usize, usize)> {
    super::gemm::dims_of("gemm_bf16", shape)
}

impl Ladder for GemmBf16 {
    fn meta(&self) -> &'static LadderMeta {
        &META
    }
    fn table(&self) -> &'static dyn Steps {
        &STEPS
    }
    fn op(&self) -> Option<&'static dyn Op> {
        Some(&GemmBf16Op)
    }
    fn dynamic_smem(&self, symbol: &str) -> Option<u32> {
        match STEPS.step_of_symbol(symbol)?.grid {
            Grid::Tiles { smem, .. } | Grid::Tma { smem, .. } => Some(smem),
        }
    }
    /// 1, primes, each step's tile ± 1 (32×16, 128×128, 128×256), `K` not a multiple of 8
    /// (the guarded-load path; step 6's fallback to step 5), `K` a multiple of 8 but not of 32
    /// or 64 (a zero-filled last k-tile), `N` odd (scalar `C` stores), TMA boxes hanging over
    /// every edge (8×8×8, 200×264×72), more k-tiles than twice the stages (the mbarrier phases
    /// wrap: 136×264×1032), and a large odd shape.
    fn awkward_shapes(&self) -> Vec<Shape> {
        [
            [1, 1, 1],
            [17, 33, 65],
            [1000, 1, 1000],
            [1, 4097, 3],
            [31, 15, 16],
            [33, 17, 48],
            [127, 255, 63],
            [129, 257, 65],
            [128, 256, 64],
            [256, 512, 200],
            [255, 513, 136],
            [251, 241, 13],
            [8, 8, 8],
            [200, 264, 72],
            [136, 264, 1032],
            [1031, 1029, 1033],
        ]
        .into_iter()
        .map(|d| Shape(d.to_vec()))
        .collect()
    }
    /// `2·M·N·K` FLOPs; bytes: `A` and `B` once (bf16), `C` read and written once (f32).
    fn work(&self, shape: &Shape, _dtype: DType) -> Work {
        let (m, n, kk) = (shape.0[0] as f64, shape.0[1] as f64, shape.0[2] as f64);
        Work {
            flops: 2.0 * m * n * kk,
            bytes: 2.0 * (m * kk + kk * n) + 8.0 * m * n,
        }
    }
    fn random_inputs(&self, shape: &Shape, seed: u64) -> Result<Vec<Vec<f32>>> {
        super::gemm::random_abc("gemm_bf16", shape, seed)
    }
    fn input_specs(&self, shape: &Shape) -> Vec<InputSpec> {
        super::gemm::abc_specs(shape)
    }
    fn shape_from_input(&self, array_shape: &[usize]) -> Result<Shape> {
        Err(super::gemm::no_input_files("gemm_bf16", array_shape))
    }
    /// `a` and `b` rounded to bf16 (`dtype` must be bf16, the steps'); `c` stays f32.
    fn case(
        &self,
        gpu: &Gpu,
        shape: &Shape,
        _dtype: DType,
        inputs: Vec<Vec<f32>>,
    ) -> Result<Box<dyn Case>> {
        let [a, b, c0] = super::take_inputs::<3>(self, shape, inputs)?;
        Ok(Box::new(GemmBf16Case::new(gpu, shape, &a, &b, c0)?))
    }
    fn baselines(&self) -> &'static [BaselineInfo] {
        BASELINES
    }
}

/// One bf16 GEMM problem on the device, with its host inputs (bf16-rounded, as f32) for the
/// lazy reference.
pub struct GemmBf16Case {
    dims: (usize, usize, usize),
    a_dev: DeviceBuffer<bf16>,
    b_dev: DeviceBuffer<bf16>,
    c_dev: DeviceBuffer<f32>,
    c0_dev: DeviceBuffer<f32>,
    host: (Vec<f32>, Vec<f32>, Vec<f32>),
    reference: Option<Vec<f64>>,
    blas: Option<GemmBf16Blas>,
    twin: TwinKernel,
    /// The tensor maps of `A` and `B` (256 bytes), built the first time a TMA step runs.
    tmaps: Option<DeviceBuffer<u8>>,
}

impl GemmBf16Case {
    fn new(gpu: &Gpu, shape: &Shape, a: &[f32], b: &[f32], c0: Vec<f32>) -> Result<Self> {
        let (m, n, kk) = dims(shape)?;
        let a: Vec<bf16> = a.iter().map(|&x| bf16::from_f32(x)).collect();
        let b: Vec<bf16> = b.iter().map(|&x| bf16::from_f32(x)).collect();
        Ok(Self {
            dims: (m, n, kk),
            a_dev: DeviceBuffer::from_host(gpu, &a)?,
            b_dev: DeviceBuffer::from_host(gpu, &b)?,
            c_dev: DeviceBuffer::from_host(gpu, &c0)?,
            c0_dev: DeviceBuffer::from_host(gpu, &c0)?,
            host: (
                a.iter().map(|x| x.to_f32()).collect(),
                b.iter().map(|x| x.to_f32()).collect(),
                c0,
            ),
            reference: None,
            blas: None,
            twin: TwinKernel::new("gemm_bf16_twin", TWIN_SOURCE, TWIN_SYMBOL),
            tmaps: None,
        })
    }

    /// Whether the TMA can read `A` and `B`: row strides of 16-byte multiples.
    pub fn tma_ok(&self) -> bool {
        let (_, n, kk) = self.dims;
        kk % 8 == 0 && n % 8 == 0
    }

    /// The device address of the two tensor maps (`A`'s, then `B`'s; `GemmBf16TmaParams`),
    /// encoded and uploaded on first use.
    fn tmaps(&mut self, gpu: &Gpu) -> Result<u64> {
        if gpu.is_emulated() {
            // The driver encodes tensor maps; the emulator has no TMA (docs/emulator.md).
            return Err(crate::error::Error::NotEmulated(
                "TMA tensor maps (cuTensorMapEncodeTiled; tensor cores)".into(),
            ));
        }
        if self.tmaps.is_none() {
            let (m, n, kk) = self.dims;
            let a = crate::runtime::tma::encode_2d_bf16(self.a_dev.addr(), (m, kk), (128, 64))?;
            let b = crate::runtime::tma::encode_2d_bf16(self.b_dev.addr(), (kk, n), (64, 64))?;
            let bytes: Vec<u8> = a.iter().chain(&b).copied().collect();
            self.tmaps = Some(DeviceBuffer::from_host(gpu, &bytes)?);
        }
        Ok(self.tmaps.as_ref().expect("built above").addr())
    }

    /// Launches `step` (its TMA kernel, or the step-5 kernel where the TMA cannot read the
    /// operands).
    fn run_step(&mut self, gpu: &Gpu, step: &StepInfo) -> Result<()> {
        let (m, n, _) = self.dims;
        let grid = STEPS.grid(step);
        let p = self.params();
        match grid {
            Grid::Tiles { .. } => gpu.launch(step.symbol, launch(grid, m, n), p),
            Grid::Tma { .. } if self.tma_ok() => {
                let tmaps = kernels_gpu::GlobalPtr::from_addr(self.tmaps(gpu)?);
                let tp = k::GemmBf16TmaParams { gemm: p, tmaps };
                gpu.launch(step.symbol, launch(grid, m, n), tp)
            }
            Grid::Tma { .. } => {
                let fallback = step.symbols[1];
                let declared = STEPS
                    .step_of_symbol(fallback)
                    .expect("the fallback is a step's kernel");
                gpu.launch(fallback, launch(&declared.grid, m, n), p)
            }
        }
    }

    fn params(&mut self) -> GemmBf16Params {
        let (m, n, kk) = self.dims;
        GemmBf16Params {
            a: self.a_dev.elems(),
            b: self.b_dev.elems(),
            c: self.c_dev.ptr_mut(),
            m: m as u32,
            n: n as u32,
            k: kk as u32,
            alpha: ALPHA,
            beta: BETA,
        }
    }

    /// The float64 reference, computed on first use.
    pub fn reference(&mut self) -> &[f64] {
        let (m, n, kk) = self.dims;
        let (a, b, c0) = &self.host;
        self.reference
            .get_or_insert_with(|| reference::gemm(m, n, kk, ALPHA as f64, a, b, BETA as f64, c0))
    }
}

impl Case for GemmBf16Case {
    fn run(&mut self, gpu: &Gpu, target: Target<'_>) -> Result<()> {
        let (m, n, kk) = self.dims;
        match target {
            Target::Step(step) if step.dtype == DType::Bf16 && step.ladder == META.name => {
                self.run_step(gpu, step)
            }
            Target::Baseline(b) if b.dtype == DType::Bf16 => match b.kind {
                BaselineKind::Cublas => {
                    if self.blas.is_none() {
                        self.blas = Some(GemmBf16Blas::new(gpu)?);
                    }
                    let blas = self.blas.as_ref().expect("created above");
                    blas.run(
                        (m, n, kk),
                        ALPHA,
                        &self.a_dev,
                        &self.b_dev,
                        BETA,
                        &mut self.c_dev,
                    )
                }
                BaselineKind::CudaCppTwin => {
                    let step = STEPS.by_id(b.of_step).expect("the twin's step");
                    let l = launch(STEPS.grid(step), m, n);
                    let p = self.params();
                    self.twin.launch(gpu, l, p)
                }
            },
            _ => Err(super::not_mine("gemm_bf16", target)),
        }
    }
    fn reset(&mut self, gpu: &Gpu) -> Result<()> {
        self.c_dev.copy_from(gpu, &self.c0_dev)
    }
    /// C is an input (β ≠ 0), so it is restored by `reset` rather than poisoned: an element the
    /// kernel does not write keeps C0, which is far from α·A·B + β·C0.
    fn poison(&mut self, _gpu: &Gpu) -> Result<()> {
        Ok(())
    }
    fn check(&mut self, gpu: &Gpu) -> Result<Comparison> {
        let got = self.c_dev.to_host(gpu)?;
        let tol = tolerance(self.dims.2);
        let shape = Shape(vec![self.dims.0, self.dims.1]);
        Ok(compare(&got, self.reference(), &shape, tol))
    }
    fn output(&mut self, gpu: &Gpu) -> Result<Output> {
        Ok(Output {
            shape: vec![self.dims.0, self.dims.1],
            dtype: DType::F32,
            values: self.c_dev.to_host(gpu)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use kernels_gpu::swizzle::{swizzle_128b, swizzle_128b_u16};

    #[test]
    fn every_step_kernel_is_free_of_local_memory_and_exact_in_its_collectives() {
        // Register tiles must be SSA values before ptxas sees them; and each mma / ldmatrix
        // call site is one instruction (none duplicated into divergent branches): the counts
        // follow from each step's tiles.
        let expect = |sym: &str| -> (usize, usize) {
            // (mma.sync, ldmatrix) in the PTX.
            match sym {
                s if s == k::gemm_bf16_s01_mma_naive::SYMBOL => (1, 0),
                s if s == k::gemm_bf16_s02_smem_ldmatrix::SYMBOL => (32, 12),
                s if s == k::gemm_bf16_s03_cp_async::SYMBOL => (32, 12),
                // Fast loop: 4 k-steps × 32 mmas; ldmatrix: 4 (A, before the loop) + per k-tile
                // 3·4 (A of the next k-steps) + 4·4 (B pairs) + 4 (A of the next k-tile) = 36.
                // Edge loop: 4 × 32 mmas; 4 × (4 + 4) ldmatrix = 32.
                s if s == k::gemm_bf16_s04_swizzled_warptile::SYMBOL => (256, 68),
                s => panic!("no expectation for {s}"),
            }
        };
        // The sm_90a steps: 4 wgmmas per 64-deep k-tile, no mma.sync, no ldmatrix.
        for s in GemmBf16
            .steps()
            .into_iter()
            .filter(|s| s.arch == crate::ladder::Arch::Sm90a)
        {
            if s.symbol == k::gemm_bf16_s06_tma_warpspecialized::SYMBOL {
                let text = crate::ptx::kernel_text(crate::ptx::PTX_SM90A, s.symbol).unwrap();
                let count = |i: &str| text.lines().filter(|l| l.contains(i)).count();
                // 1 + 4 TMA boxes per k-tile (LLVM may unroll the one producer thread's loop);
                // one setmaxnreg each way; the launch bounds that setmaxnreg needs.
                let boxes = count("cp.async.bulk.tensor.2d");
                assert!(boxes >= 5 && boxes % 5 == 0, "{boxes} TMA copies:\n{text}");
                assert_eq!(count("setmaxnreg.dec.sync.aligned.u32 40"), 1);
                assert_eq!(count("setmaxnreg.inc.sync.aligned.u32 232"), 1);
                assert_eq!(
                    crate::ptx::launch_bounds(crate::ptx::PTX_SM90A, s.symbol),
                    Some((384, 1))
                );
            }
            let text =
                crate::ptx::kernel_text(crate::ptx::PTX_SM90A, s.symbol).expect("in the PTX");
            assert!(
                !text.contains(".local") && !text.contains("__local_depot"),
                "{}",
                s.symbol
            );
            let count = |i: &str| text.lines().filter(|l| l.contains(i)).count();
            assert_eq!(
                count("wgmma.mma_async.sync.aligned.m64n256k16.f32.bf16.bf16"),
                4,
                "{}",
                s.symbol
            );
            assert_eq!(count("mma.sync") + count("ldmatrix"), 0, "{}", s.symbol);
            // One block barrier, not copied into divergent arms (docs/device-api.md, gotcha 5).
            assert_eq!(count("bar.sync"), 1, "{}", s.symbol);
        }
        for s in GemmBf16
            .steps()
            .into_iter()
            .filter(|s| s.arch == crate::ladder::Arch::Sm80)
        {
            let text = crate::ptx::kernel_text(crate::ptx::PTX, s.symbol).expect("in the PTX");
            assert!(
                !text.contains(".local") && !text.contains("__local_depot"),
                "{} uses local memory in its PTX",
                s.symbol
            );
            let count = |i: &str| {
                text.lines()
                    .filter(|l| l.trim_start().starts_with(i))
                    .count()
            };
            assert_eq!(
                (
                    count("mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32"),
                    count("ldmatrix.sync")
                ),
                expect(s.symbol),
                "{}",
                s.symbol
            );
        }
    }

    #[test]
    fn launches_cover_the_output_with_the_declared_blocks() {
        for s in GemmBf16.steps() {
            let g = STEPS.grid(s);
            let (Grid::Tiles {
                bm,
                bn,
                threads,
                smem,
            }
            | Grid::Tma {
                bm,
                bn,
                threads,
                smem,
            }) = *g;
            let l = launch(g, 1000, 3000);
            assert_eq!(l.grid.0 * bn, 3000u32.div_ceil(bn) * bn, "{}", s.symbol);
            assert!(l.grid.1 * bm >= 1000 && (l.grid.1 - 1) * bm < 1000);
            assert_eq!((l.block.0, l.smem), (threads, smem));
            assert!(smem <= 227 * 1024, "{}: {smem} B", s.symbol);
            assert_eq!(GemmBf16.dynamic_smem(s.symbol), Some(smem));
        }
        assert_eq!(k::S04_TILE.smem_bytes(), 3 * 48 * 1024);
        assert_eq!(k::S03_TILE.smem_bytes(), 4 * 16 * 1024);
    }

    #[test]
    fn tolerance_grows_with_k_and_work_counts_bf16_inputs_and_an_f32_c() {
        assert!(tolerance(4096).atol > 1000.0 * tolerance(1).atol);
        assert!(tolerance(4096).atol < 5e-3);
        let w = GemmBf16.work(&Shape(vec![2, 3, 4]), DType::Bf16);
        assert_eq!(w.flops, 48.0);
        assert_eq!(w.bytes, 2.0 * (8.0 + 12.0) + 8.0 * 6.0);
        let awkward = GemmBf16.awkward_shapes();
        assert!(awkward.iter().any(|s| s.0[2] % 8 != 0));
        assert!(awkward.iter().any(|s| s.0[2] % 8 == 0 && s.0[2] % 64 != 0));
        assert!(awkward.iter().any(|s| s.0 == [1, 1, 1]));
    }

    /// The bank group (0..8) of a 16-byte chunk at byte offset `off`.
    fn group(off: u32) -> u32 {
        (off / 16) % 8
    }

    #[test]
    fn eight_rows_at_one_logical_chunk_hit_eight_bank_groups() {
        // What ldmatrix reads at once: 8 rows, one 16-byte chunk each.
        for row_bytes in [128, 256, 512] {
            for c in 0..row_bytes / 16 {
                for first in [0, 8, 16, 40] {
                    let mut seen = [false; 8];
                    for r in first..first + 8 {
                        seen[group(swizzle_128b(r, c, row_bytes)) as usize] = true;
                    }
                    assert!(
                        seen.iter().all(|&s| s),
                        "rows {first}.. chunk {c}: {seen:?}"
                    );
                }
            }
        }
    }

    #[test]
    fn a_swizzled_row_is_a_permutation_of_its_chunks() {
        for row_bytes in [128, 256, 512] {
            for r in 0..16 {
                let mut chunks: Vec<u32> = (0..row_bytes / 16)
                    .map(|c| swizzle_128b(r, c, row_bytes))
                    .collect();
                assert!(chunks.iter().all(|&o| o / row_bytes == r));
                chunks.sort();
                let want: Vec<u32> = (0..row_bytes / 16)
                    .map(|c| r * row_bytes + 16 * c)
                    .collect();
                assert_eq!(chunks, want);
            }
        }
        assert_eq!(swizzle_128b_u16(3, 9, 128), 3 * 128 + 16 * (1 ^ 3) + 2);
        assert_eq!(swizzle_128b(0, 5, 128), 80);
    }

    #[test]
    fn step_4_lane_offsets_are_the_swizzle_of_each_ldmatrix_row() {
        // Step 4 computes its ldmatrix addresses as `row offset + 16·((2x) ^ c0)` with
        // `c0 = (lane / 16) ^ (lane % 8)` (s04_swizzled_warptile.rs, LaneOffsets): it must equal
        // the swizzle of the row and chunk each lane points at, for every warp position.
        let t = k::S04_TILE;
        let (a_row, b_row) = (2 * t.bk, 2 * t.bn);
        for lane in 0..32u32 {
            let (r, h) = (lane % 16, lane / 16);
            let c0 = h ^ (lane % 8);
            for wm in (0..t.bm).step_by(t.wm as usize) {
                for wn in (0..t.bn).step_by(t.wn as usize) {
                    for i in 0..t.wm / 16 {
                        for ks in 0..t.bk / 16 {
                            let fast = (wm + r) * a_row + 16 * ((2 * ks) ^ c0) + 16 * a_row * i;
                            let want = swizzle_128b_u16(wm + 16 * i + r, 16 * ks + 8 * h, a_row);
                            assert_eq!(fast, want, "A lane {lane} wm {wm} i {i} ks {ks}");
                        }
                    }
                    for jj in 0..t.wn / 16 {
                        for ks in 0..t.bk / 16 {
                            let fast = r * b_row + 2 * wn + 16 * ((2 * jj) ^ c0) + 16 * b_row * ks;
                            let want = swizzle_128b_u16(16 * ks + r, wn + 16 * jj + 8 * h, b_row);
                            assert_eq!(fast, want, "B lane {lane} wn {wn} jj {jj} ks {ks}");
                        }
                    }
                }
            }
        }
    }
}
