//! Host side of every ladder: the registry entries, CPU references and launch logic.
//! A new ladder is a file here plus one line in [`ALL`].

use crate::registry::Ladder;

pub mod gemm;
pub mod reduce;
pub mod saxpy;
pub mod vector_add;

/// Every ladder, in teaching order: the one list the registry reads.
pub static ALL: &[&dyn Ladder] = &[
    &vector_add::VectorAdd,
    &saxpy::Saxpy,
    &reduce::REDUCE_SUM,
    &reduce::REDUCE_MAX,
    &gemm::Gemm,
];

/// Shapes every 1-D ladder is checked on: 1, warp ± 1, a prime, a block ± 1, and 1000003.
pub fn awkward_1d() -> Vec<crate::shape::Shape> {
    [1, 31, 33, 255, 257, 1000, 4099, 1_000_003]
        .into_iter()
        .map(crate::shape::Shape::n)
        .collect()
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
