//! Host side of every ladder: the registry entries, CPU references and launch logic.
//! A new ladder is a file here plus one line in [`ALL`].

use crate::registry::Ladder;

pub mod bias_gelu;
pub mod reduce;
pub mod row_sum;
pub mod saxpy;
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
];

/// Shapes every 1-D ladder is checked on: 1, warp ± 1, a prime, a block ± 1, and 1000003.
pub fn awkward_1d() -> Vec<crate::shape::Shape> {
    [1, 31, 33, 255, 257, 1000, 4099, 1_000_003]
        .into_iter()
        .map(crate::shape::Shape::n)
        .collect()
}

/// Shapes every 2-D ladder is checked on: 1×1, warp ± 1 both ways, tile ± 1, a 4-aligned
/// shape with partial tiles (vector paths with edges), a large odd one, and 1×N, N×1.
pub fn awkward_2d() -> Vec<crate::shape::Shape> {
    [
        (1, 1),
        (31, 33),
        (33, 31),
        (65, 63),
        (68, 132),
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

/// The error for a baseline name a ladder does not have.
pub fn unknown_baseline(ladder: &str, name: &str) -> crate::error::Error {
    crate::error::Error::Other(format!("{ladder} has no baseline {name}"))
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
