//! Host side of every ladder: the registry entries, CPU references and launch logic.
//! A new ladder is a file here plus one line in [`ALL`].

use crate::element::Element;
use crate::error::{Error, Result};
use crate::ladder::{BlockSize, Ladder, Output, Step, Target};
use crate::runtime::{DeviceBuffer, Gpu};
use crate::shape::Shape;
use crate::verify::{Comparison, Tolerance, compare};

pub mod attention;
pub mod bias_gelu;
pub mod gemm;
pub mod gemm_bf16;
pub mod layernorm;
pub mod layernorm_backward;
pub mod reduce;
pub mod rmsnorm;
pub mod row_sum;
pub mod saxpy;
pub mod softmax;
pub mod transpose;
pub mod vector_add;

/// Every ladder, in teaching order: the one list the registry reads.
pub static ALL: &[&dyn Ladder] = &[
    &vector_add::VectorAdd,
    &saxpy::Saxpy,
    &reduce::REDUCE_SUM,
    &reduce::REDUCE_MAX,
    &row_sum::RowSum,
    &transpose::Transpose,
    &bias_gelu::BiasGelu,
    &gemm::Gemm,
    &gemm_bf16::GemmBf16,
    &layernorm::LayerNorm,
    &layernorm_backward::LayerNormBackward,
    &rmsnorm::RmsNorm,
    &softmax::Softmax,
    &softmax::SoftmaxBackward,
    &attention::Attention,
];

/// The awkward shapes of a ladder of `dims` dimensions (a ladder may override them).
pub fn awkward_shapes(dims: usize) -> Vec<crate::shape::Shape> {
    match dims {
        1 => awkward_1d(),
        2 => awkward_2d(),
        d => panic!("a {d}-D ladder must list its own awkward shapes (Ladder::awkward_shapes)"),
    }
}

/// Shapes every 1-D ladder is checked on: 1, warp ± 1, a prime, a block ± 1, and 1000003.
pub fn awkward_1d() -> Vec<crate::shape::Shape> {
    [1, 31, 33, 255, 257, 1000, 4099, 1_000_003]
        .into_iter()
        .map(crate::shape::Shape::n)
        .collect()
}

/// Shapes every 2-D ladder is checked on: 1×1, warp ± 1 both ways, tile ± 1, a 4-aligned
/// shape with partial tiles (f32 vector paths with edges), an 8-aligned one with partial
/// 64- and 128-tiles (the vector paths of 8-half vectors with edges), a large odd one, and
/// 1×N, N×1.
pub fn awkward_2d() -> Vec<crate::shape::Shape> {
    [
        (1, 1),
        (31, 33),
        (33, 31),
        (65, 63),
        (68, 132),
        (136, 264),
        (4097, 4099),
        (1, 1_000_003),
        (1_000_003, 1),
    ]
    .into_iter()
    .map(|(r, c)| crate::shape::Shape::rows_cols(r, c))
    .collect()
}

/// One CUDA C++ twin kernel of a case: compiled (NVRTC, cached per device) and looked up on
/// its first launch — which the benchmark's warm-up covers — then launched with no host work
/// but the launch itself.
pub struct TwinKernel {
    module: &'static str,
    source: &'static str,
    symbol: &'static str,
    function: Option<cudarc::driver::CudaFunction>,
}

impl TwinKernel {
    /// Kernel `symbol` of the twin module `module` with CUDA C++ `source`.
    pub const fn new(module: &'static str, source: &'static str, symbol: &'static str) -> Self {
        Self {
            module,
            source,
            symbol,
            function: None,
        }
    }

    /// Enqueues the kernel with the Rust step's parameter struct.
    pub fn launch<P: kernels_gpu::KernelParams>(
        &mut self,
        gpu: &crate::runtime::Gpu,
        launch: crate::runtime::Launch,
        params: P,
    ) -> crate::error::Result<()> {
        let f = match &self.function {
            Some(f) => f,
            None => {
                let twin = crate::baselines::Twin::compile(gpu, self.module, self.source)?;
                self.function.insert(twin.function(self.symbol)?)
            }
        };
        gpu.launch_function(f, self.symbol, launch, params)
    }
}

/// The CUDA C++ twins a case launches, one entry per twin of its element type in the
/// ladder's baselines, found by the step it is the twin of (ladders with a twin per step of
/// several: layernorm, layernorm_backward). `K` is what one twin launches (one kernel, or a
/// row and a column kernel).
pub struct StepTwins<K>(Vec<(u32, K)>);

impl<K> StepTwins<K> {
    /// The twins of `dtype` among `baselines`, each made by `kernels(of_step)` (steps it
    /// gives `None` for have no twin here).
    pub fn new(
        baselines: &[crate::ladder::BaselineInfo],
        dtype: crate::element::DType,
        kernels: impl Fn(u32) -> Option<K>,
    ) -> Self {
        Self(
            baselines
                .iter()
                .filter(|b| b.dtype == dtype && b.kind == crate::ladder::BaselineKind::CudaCppTwin)
                .filter_map(|b| Some((b.of_step, kernels(b.of_step)?)))
                .collect(),
        )
    }

    /// The twin of step `id`, if the case has one.
    pub fn of_step(&mut self, id: u32) -> Option<&mut K> {
        self.0.iter_mut().find(|(s, _)| *s == id).map(|(_, k)| k)
    }
}

/// A case's one output buffer, with its float64 reference, the shape mismatches are reported
/// in, and the tolerance: what a ladder with one output poisons, checks and returns.
pub struct Checked<T: Element> {
    pub output: DeviceBuffer<T>,
    pub reference: Vec<f64>,
    pub shape: Shape,
    pub tolerance: Tolerance,
}

impl<T: Element> Checked<T> {
    /// A zeroed output of `reference.len()` elements.
    pub fn new(gpu: &Gpu, reference: Vec<f64>, shape: Shape, tolerance: Tolerance) -> Result<Self> {
        Ok(Self {
            output: DeviceBuffer::zeros(gpu, reference.len())?,
            reference,
            shape,
            tolerance,
        })
    }
    /// Fills the output with the poison NaN ([`crate::ladder::Case::poison`]).
    pub fn poison(&mut self, gpu: &Gpu) -> Result<()> {
        self.output.poison(gpu)
    }
    /// Compares the output with the reference.
    pub fn check(&self, gpu: &Gpu) -> Result<Comparison> {
        Ok(compare(
            &self.output.to_host(gpu)?,
            &self.reference,
            &self.shape,
            self.tolerance,
        ))
    }
    /// The output, on the host.
    pub fn output(&self, gpu: &Gpu) -> Result<Output> {
        Ok(Output {
            shape: self.shape.0.clone(),
            dtype: T::DTYPE,
            values: crate::element::to_f32(&self.output.to_host(gpu)?),
        })
    }
}

/// The error for a target a case does not run (a baseline of another ladder or element type).
pub fn not_mine(ladder: &str, target: Target<'_>) -> Error {
    let what = match target {
        Target::Step(s) => format!("step {}", s.handle()),
        Target::Baseline(b) => format!("baseline {} ({})", b.name(), b.dtype.name()),
    };
    Error::Other(format!("a {ladder} case cannot run {what}"))
}

/// The [`BlockSize`] of a step's kernels launched with `threads` per block.
pub fn block_size<G>(step: &Step<G>, threads: u32) -> BlockSize {
    BlockSize {
        launch: threads,
        accepts: step.accepts,
    }
}

/// Elements for 256 MiB of f32: the working set of the memory-bound benchmarks.
pub const BENCH_N_256MIB: usize = 64 << 20;

/// `n` as the kernels' `u32` element count, or a shape error.
pub fn n_u32(n: usize, what: &str) -> crate::error::Result<u32> {
    u32::try_from(n).map_err(|_| crate::error::Error::Shape {
        what: what.into(),
        shape: n.to_string(),
        why: "more than 2^32 - 1 elements".into(),
    })
}

/// The `N` inputs of a `prepare_from` call, checked against the ladder's
/// [`Ladder::input_specs`] (count and lengths), so a caller's mistake is an error, not a panic.
pub fn take_inputs<const N: usize>(
    ladder: &dyn Ladder,
    shape: &crate::shape::Shape,
    inputs: Vec<Vec<f32>>,
) -> crate::error::Result<[Vec<f32>; N]> {
    let specs = ladder.input_specs(shape);
    let bad = |why: String| crate::error::Error::Shape {
        what: ladder.name().into(),
        shape: shape.to_string(),
        why,
    };
    if inputs.len() != specs.len() {
        return Err(bad(format!(
            "{} input(s) given, the ladder takes {}",
            inputs.len(),
            specs.len()
        )));
    }
    for (v, s) in inputs.iter().zip(&specs) {
        let want: usize = s.shape.iter().product();
        if v.len() != want {
            return Err(bad(format!(
                "input {} has {} elements, expected {want}",
                s.name,
                v.len()
            )));
        }
    }
    inputs
        .try_into()
        .map_err(|_| bad(format!("the ladder takes {N} inputs")))
}

#[cfg(test)]
mod tests {
    use kernels_gpu::bias_gelu::BiasGeluParams;
    use kernels_gpu::layernorm::LayerNormParams;
    use kernels_gpu::layernorm_backward::LayerNormBackwardParams;
    use kernels_gpu::reduce::{ReduceParams, ReduceSinglePassParams};
    use kernels_gpu::rmsnorm::RmsNormParams;
    use kernels_gpu::row_sum::RowSumParams;
    use kernels_gpu::saxpy::SaxpyParams;
    use kernels_gpu::transpose::TransposeParams;
    use kernels_gpu::{Bf16, F16};
    use std::mem::{offset_of, size_of};

    /// The CUDA C++ twins declare C structs with the same fields in the same order
    /// (pointers 8 bytes, `unsigned int` / `float` 4): these are the offsets they rely on.
    #[test]
    fn parameter_structs_have_the_layout_the_twins_declare() {
        assert_eq!(size_of::<ReduceSinglePassParams>(), 40);
        assert_eq!(offset_of!(ReduceSinglePassParams, partials), 8);
        assert_eq!(offset_of!(ReduceSinglePassParams, counter), 16);
        assert_eq!(offset_of!(ReduceSinglePassParams, output), 24);
        assert_eq!(offset_of!(ReduceSinglePassParams, n), 32);
        assert_eq!(size_of::<TransposeParams>(), 24);
        assert_eq!(offset_of!(TransposeParams, rows), 16);
        assert_eq!(offset_of!(TransposeParams, cols), 20);
        assert_eq!(size_of::<SaxpyParams>(), 24);
        assert_eq!(offset_of!(SaxpyParams, a), 16);
        assert_eq!(offset_of!(SaxpyParams, n), 20);
        assert_eq!(size_of::<ReduceParams>(), 24);
        assert_eq!(size_of::<RowSumParams>(), 24);
        // The bf16 twin's struct: the same fields, the input a `const __nv_bfloat16*`.
        assert_eq!(size_of::<ReduceSinglePassParams<Bf16>>(), 40);
        assert_eq!(offset_of!(ReduceSinglePassParams<Bf16>, partials), 8);
        assert_eq!(offset_of!(ReduceSinglePassParams<Bf16>, counter), 16);
        assert_eq!(offset_of!(ReduceSinglePassParams<Bf16>, output), 24);
        assert_eq!(offset_of!(ReduceSinglePassParams<Bf16>, n), 32);
        // row_sum's bf16 twin: two 8-byte pointers (input `const __nv_bfloat16*`), rows, cols.
        assert_eq!(size_of::<RowSumParams<Bf16>>(), 24);
        assert_eq!(offset_of!(RowSumParams<Bf16>, output), 8);
        assert_eq!(offset_of!(RowSumParams<Bf16>, rows), 16);
        assert_eq!(offset_of!(RowSumParams<Bf16>, cols), 20);
        assert_eq!(offset_of!(BiasGeluParams, rows), 32);
        // The bf16 twin's struct: four 8-byte pointers to __nv_bfloat16, rows, cols.
        type BiasGeluBf16 = BiasGeluParams<kernels_gpu::Bf16>;
        assert_eq!(size_of::<BiasGeluBf16>(), 40);
        assert_eq!(offset_of!(BiasGeluBf16, bias), 8);
        assert_eq!(offset_of!(BiasGeluBf16, tmp), 16);
        assert_eq!(offset_of!(BiasGeluBf16, y), 24);
        assert_eq!(offset_of!(BiasGeluBf16, rows), 32);
        assert_eq!(offset_of!(BiasGeluBf16, cols), 36);
        // The half-precision twins' structs: the same layout over 2-byte elements.
        assert_eq!(size_of::<SaxpyParams<Bf16>>(), 24);
        assert_eq!(offset_of!(SaxpyParams<Bf16>, a), 16);
        assert_eq!(offset_of!(SaxpyParams<Bf16>, n), 20);
        assert_eq!(size_of::<SaxpyParams<F16>>(), 24);
        assert_eq!(offset_of!(SaxpyParams<F16>, n), 20);
        assert_eq!(size_of::<TransposeParams<Bf16>>(), 24);
        assert_eq!(offset_of!(TransposeParams<Bf16>, output), 8);
        assert_eq!(offset_of!(TransposeParams<Bf16>, rows), 16);
        assert_eq!(offset_of!(TransposeParams<Bf16>, cols), 20);
        // The normalisation twins' structs (templates over float and __nv_bfloat16): six,
        // four or ten 8-byte pointers, then the u32/f32 scalars, padded to 8.
        for (size, rows, cols, last) in [
            (
                size_of::<LayerNormParams>(),
                offset_of!(LayerNormParams, rows),
                offset_of!(LayerNormParams, cols),
                offset_of!(LayerNormParams, eps),
            ),
            (
                size_of::<LayerNormParams<Bf16>>(),
                offset_of!(LayerNormParams<Bf16>, rows),
                offset_of!(LayerNormParams<Bf16>, cols),
                offset_of!(LayerNormParams<Bf16>, eps),
            ),
        ] {
            assert_eq!((size, rows, cols, last), (64, 48, 52, 56));
        }
        assert_eq!(offset_of!(LayerNormParams, rstd), 40);
        assert_eq!(size_of::<RmsNormParams>(), 48);
        assert_eq!(size_of::<RmsNormParams<Bf16>>(), 48);
        assert_eq!(offset_of!(RmsNormParams, rstd), 24);
        assert_eq!(offset_of!(RmsNormParams, rows), 32);
        assert_eq!(offset_of!(RmsNormParams<Bf16>, eps), 40);
        assert_eq!(size_of::<LayerNormBackwardParams>(), 96);
        assert_eq!(size_of::<LayerNormBackwardParams<Bf16>>(), 96);
        assert_eq!(offset_of!(LayerNormBackwardParams, mean), 24);
        assert_eq!(offset_of!(LayerNormBackwardParams, ws_gamma), 64);
        assert_eq!(offset_of!(LayerNormBackwardParams<Bf16>, rows), 80);
        assert_eq!(offset_of!(LayerNormBackwardParams<Bf16>, slots), 88);
        // attention's twin: six 8-byte pointers, bh, seq_q, seq_k, head_dim, scale, causal.
        use kernels_gpu::attention::AttentionParams;
        assert_eq!(size_of::<AttentionParams>(), 72);
        assert_eq!(offset_of!(AttentionParams, scores), 40);
        assert_eq!(offset_of!(AttentionParams, bh), 48);
        assert_eq!(offset_of!(AttentionParams, head_dim), 60);
        assert_eq!(offset_of!(AttentionParams, scale), 64);
        assert_eq!(offset_of!(AttentionParams, causal), 68);
    }

    #[test]
    fn twin_sources_declare_the_struct_and_kernels_the_hosts_launch() {
        let reduce = include_str!("twins/reduce.cu");
        assert!(reduce.contains("struct ReduceSinglePassParams"));
        assert!(reduce.contains("reduce_sum_twin") && reduce.contains("reduce_max_twin"));
        let reduce_bf16 = include_str!("twins/reduce_bf16.cu");
        assert!(reduce_bf16.contains("struct ReduceSinglePassParams"));
        assert!(reduce_bf16.contains("const __nv_bfloat16* __restrict__ input;"));
        assert!(reduce_bf16.contains(" reduce_sum_twin_bf16(ReduceSinglePassParams p)"));
        let row_sum_bf16 = include_str!("twins/row_sum_bf16.cu");
        assert!(row_sum_bf16.contains("struct RowSumParams"));
        assert!(row_sum_bf16.contains("const __nv_bfloat16* __restrict__ input;"));
        assert!(row_sum_bf16.contains("    float* output;"));
        assert!(row_sum_bf16.contains(" row_sum_twin_bf16(RowSumParams p)"));
        let transpose = include_str!("twins/transpose.cu");
        assert!(transpose.contains("struct TransposeParams"));
        assert!(transpose.contains("void transpose_twin("));
        let saxpy = include_str!("twins/saxpy.cu");
        assert!(saxpy.contains("struct SaxpyParams") && saxpy.contains("void saxpy_twin("));
        let bias_gelu = include_str!("twins/bias_gelu.cu");
        assert!(bias_gelu.contains("struct BiasGeluParams"));
        assert!(bias_gelu.contains("bias_gelu_twin_bf16(BiasGeluParams p)"));
        // The same GELU as the Rust kernel: tanh.approx.f32 as inline PTX, bf16 in memory.
        assert!(bias_gelu.contains("tanh.approx.f32") && bias_gelu.contains("__nv_bfloat16* y"));
        let saxpy_half = include_str!("twins/saxpy_half.cu");
        assert!(saxpy_half.contains("struct SaxpyParams"));
        assert!(saxpy_half.contains("void saxpy_twin_bf16(SaxpyParams<__nv_bfloat16> p)"));
        assert!(saxpy_half.contains("void saxpy_twin_f16(SaxpyParams<__half> p)"));
        let transpose_bf16 = include_str!("twins/transpose_bf16.cu");
        assert!(transpose_bf16.contains("struct TransposeParams"));
        assert!(transpose_bf16.contains("__nv_bfloat16* output"));
        assert!(transpose_bf16.contains("void transpose_twin_bf16("));
        let norm = include_str!("twins/layernorm.cu");
        for decl in [
            "struct LayerNormParams",
            "struct RmsNormParams",
            // layernorm_backward's twin kernels: from its baselines, in its own test
            // (`every_twin_in_the_baselines_is_declared_in_the_twin_source`).
            "struct LayerNormBackwardParams",
            " layernorm_twin(LayerNormParams<float> p)",
            " layernorm_twin_bf16(LayerNormParams<__nv_bfloat16> p)",
            " rmsnorm_twin(RmsNormParams<float> p)",
            " rmsnorm_twin_bf16(RmsNormParams<__nv_bfloat16> p)",
            " layernorm_twin_one_pass(LayerNormParams<float> p)",
            " layernorm_twin_bf16_one_pass(LayerNormParams<__nv_bfloat16> p)",
            " layernorm_twin_bf16_staged(LayerNormParams<__nv_bfloat16> p)",
        ] {
            assert!(norm.contains(decl), "layernorm.cu lacks {decl}");
        }
        // The same rsqrt as the Rust kernels, and their launch bounds: the forward twins (of
        // layernorm/5–6, 10–11, rmsnorm/3–4) 1024 as the strided steps, the backward row
        // kernels 512; layernorm/10–11's prefetch schedules (P, L) as the steps'.
        assert!(norm.contains("rsqrt.approx.ftz.f32") && norm.contains("div.full.f32"));
        use kernels_gpu::layernorm::{AHEAD_10, AHEAD_11, PREFETCH_10, PREFETCH_11};
        assert!(norm.contains(&format!(
            "norm_one_pass<float, CHUNKS, {PREFETCH_10}, {AHEAD_10}>"
        )));
        assert!(norm.contains(&format!(
            "norm_one_pass<__nv_bfloat16, CHUNKS, {PREFETCH_11}, {AHEAD_11}>"
        )));
        for k in [
            "layernorm_twin(",
            "layernorm_twin_bf16(",
            "layernorm_twin_one_pass(",
            "layernorm_twin_bf16_one_pass(",
            "rmsnorm_twin(",
            "rmsnorm_twin_bf16(",
        ] {
            assert!(
                norm.contains(&format!("__launch_bounds__(1024) {k}")),
                "{k}"
            );
        }
        // layernorm/13's twin: the step's launch bounds (1024, 2: 32 registers).
        assert!(norm.contains("__launch_bounds__(1024, 2) layernorm_twin_bf16_staged("));
        assert_eq!(norm.matches("__launch_bounds__(512)").count(), 2);
        // The strided steps' chunk count, and their one-block-per-row body.
        assert!(norm.contains("#define CHUNKS 4") && norm.contains("norm_strided<float, CHUNKS"));
        // layernorm_backward/4–5's and 8–9's twins: the steps' launch bounds (1024, the largest
        // team), chunks, block and team limit, the partials in dynamic shared memory (8–9's
        // prefetch of the next row group); /6–7's (long rows) the same launch bounds, block and
        // columns a thread; /10–11's (streamed) the same launch bounds, block, team limit and
        // row groups ahead (AHEAD) as the steps, /14–15's (in clusters) those of 10–11.
        assert_eq!(
            norm.matches("__launch_bounds__(1024) layernorm_backward_twin")
                .count(),
            12
        );
        assert!(norm.contains(&format!(
            "BW_STREAMED_BLOCK = {}, BW_STREAMED_MAX_TEAM = {};",
            kernels_gpu::layernorm_backward::STREAMED_BLOCK,
            kernels_gpu::layernorm_backward::STREAMED_MAX_TEAM
        )));
        use kernels_gpu::layernorm_backward as lnb;
        assert!(norm.contains(&format!(
            "BW_CLUSTER = {}, BW_SUM_CLUSTER = {};",
            lnb::CLUSTER,
            lnb::SUM_CLUSTER
        )));
        assert!(norm.contains(&format!(
            "cluster_rows<float, {}>(p, sc, xchg)",
            lnb::AHEAD_12
        )));
        assert!(norm.contains(&format!(
            "cluster_rows<__nv_bfloat16, {}>(p, sc, xchg)",
            lnb::AHEAD_13
        )));
        assert!(norm.contains(&format!(
            "streamed_rows<float, {}, BW_SUM_CLUSTER>(p, sc)",
            lnb::AHEAD_10
        )));
        assert!(norm.contains(&format!(
            "streamed_rows<__nv_bfloat16, {}, BW_SUM_CLUSTER>(p, sc)",
            lnb::AHEAD_11
        )));
        assert!(norm.contains(&format!("streamed_rows<float, {}>(p, sc)", lnb::AHEAD_10)));
        assert!(norm.contains(&format!(
            "streamed_rows<__nv_bfloat16, {}>(p, sc)",
            lnb::AHEAD_11
        )));
        assert!(norm.contains("prefetch.global.L2") && norm.contains("BW_CHUNKS, true>"));
        assert!(norm.contains(&format!(
            "BW_LONG_THREADS = {}, BW_LONG_COLS = {};",
            kernels_gpu::layernorm_backward::LONG_THREADS,
            kernels_gpu::layernorm_backward::LONG_COLS
        )));
        assert!(norm.contains(&format!(
            "BW_CHUNKS = {}, BW_BLOCK = {}, BW_MAX_TEAM = {};",
            kernels_gpu::layernorm_backward::CHUNKS,
            kernels_gpu::layernorm_backward::BLOCK,
            kernels_gpu::layernorm_backward::MAX_TEAM
        )));
        assert!(norm.contains("extern __shared__ float4 bw_smem4[];"));
    }

    /// The softmax twins declare `SoftmaxParams<T>` (two 8-byte pointers, rows, cols) and
    /// `SoftmaxBackwardParams<T>` (three pointers, rows, cols), and the kernels the host
    /// launches: a block and a warp kernel per element type, the block ones with the Rust
    /// steps' launch bounds (1024; softmax/8's twin (512, 2)).
    #[test]
    fn softmax_twins_declare_the_structs_and_kernels_the_host_launches() {
        use kernels_gpu::softmax::SoftmaxParams;
        use kernels_gpu::softmax_backward::SoftmaxBackwardParams;
        assert_eq!(size_of::<SoftmaxParams>(), 24);
        assert_eq!(size_of::<SoftmaxParams<Bf16>>(), 24);
        assert_eq!(offset_of!(SoftmaxParams<Bf16>, y), 8);
        assert_eq!(offset_of!(SoftmaxParams<Bf16>, rows), 16);
        assert_eq!(offset_of!(SoftmaxParams<Bf16>, cols), 20);
        assert_eq!(size_of::<SoftmaxBackwardParams<Bf16>>(), 32);
        assert_eq!(offset_of!(SoftmaxBackwardParams<Bf16>, dy), 8);
        assert_eq!(offset_of!(SoftmaxBackwardParams<Bf16>, dx), 16);
        assert_eq!(offset_of!(SoftmaxBackwardParams<Bf16>, rows), 24);
        assert_eq!(offset_of!(SoftmaxBackwardParams, cols), 28);
        let fwd = super::softmax::TWIN_SRC;
        assert!(fwd.contains("struct SoftmaxParams {\n    const T* __restrict__ x;\n    T* y;"));
        for k in [
            "__launch_bounds__(1024) softmax_twin_f32(SoftmaxParams<float> p)",
            " softmax_twin_f32_warp(SoftmaxParams<float> p)",
            "__launch_bounds__(512, 2) softmax_twin_bf16(SoftmaxParams<__nv_bfloat16> p)",
            " softmax_twin_bf16_warp(SoftmaxParams<__nv_bfloat16> p)",
        ] {
            assert!(fwd.contains(k), "{k}");
        }
        // The same exp and max as the Rust kernels.
        assert!(fwd.contains("ex2.approx.ftz.f32") && fwd.contains("max.NaN.f32"));
        let bwd = super::softmax::BACKWARD_TWIN_SRC;
        assert!(bwd.contains(
            "struct SoftmaxBackwardParams {\n    const T* __restrict__ y;\n    const T* __restrict__ dy;\n    T* dx;"
        ));
        for k in [
            "__launch_bounds__(1024) softmax_backward_twin_f32(SoftmaxBackwardParams<float> p)",
            " softmax_backward_twin_f32_warp(SoftmaxBackwardParams<float> p)",
            "__launch_bounds__(1024) softmax_backward_twin_bf16(SoftmaxBackwardParams<__nv_bfloat16> p)",
            " softmax_backward_twin_bf16_warp(SoftmaxBackwardParams<__nv_bfloat16> p)",
        ] {
            assert!(bwd.contains(k), "{k}");
        }
        // The chunk counts of the Rust steps.
        assert_eq!(kernels_gpu::softmax::CHUNKS, 4);
        assert!(fwd.contains("#define CHUNKS 4"));
        // softmax/8's: 8 packed chunks, blocks of at most 512 (the bf16 twin's launch bounds).
        assert_eq!(kernels_gpu::softmax::CHUNKS_8, 8);
        assert_eq!(kernels_gpu::softmax::MAX_THREADS_8, 512);
        assert!(
            fwd.contains("#define CHUNKS_8 8") && fwd.contains("registers_row_packed<CHUNKS_8")
        );
        assert_eq!(kernels_gpu::softmax_backward::CHUNKS, 2);
        assert!(
            bwd.contains("block_kernel_y<F32Elem, 2, 4>")
                && bwd.contains("block_kernel<Bf16Elem, 4>")
        );
        let attention = include_str!("twins/attention.cu");
        assert!(attention.contains("struct AttentionParams"));
        assert!(attention.contains("    unsigned bh, seq_q, seq_k, head_dim;\n    float scale;"));
        assert!(attention.contains(" attention_twin_s04(AttentionParams p)"));
        assert!(attention.contains(" attention_twin_s04_d128(AttentionParams p)"));
    }

    #[test]
    fn awkward_2d_shapes_include_1xn_nx1_and_a_large_odd_one() {
        let s = super::awkward_2d();
        assert!(s.iter().any(|s| s.0 == [1, 1_000_003]));
        assert!(s.iter().any(|s| s.0 == [1_000_003, 1]));
        assert!(s.iter().any(|s| s.0 == [4097, 4099]));
        // Partial tiles on the vector path of 8-half vectors (transpose/6's 128 × 128 tiles).
        assert!(
            s.iter().any(|s| s.0[0] % 8 == 0
                && s.0[1] % 8 == 0
                && s.0[0] % 128 != 0
                && s.0[1] % 128 != 0)
        );
    }
}
