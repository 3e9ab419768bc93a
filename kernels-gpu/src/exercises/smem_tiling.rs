//! Exercise `smem-tiling`: given gemm/2, write gemm/3.
//!
//! **Your file.** Write the kernel below, set [`IMPLEMENTED`] to `true`, then
//! `cargo run -q -- grade smem-tiling` (docs/course/exercises.md). Until then the grader says
//! "not implemented" and exits 1. The file is always built: it must compile (the stub does).
//!
//! **What to write:** gemm/2 (kernels-gpu/src/gemm/s02_coalesced.rs) with 32 × 32 tiles of A and
//! B staged in shared memory (`shared_array!`): each block loads a tile of each, syncs, does
//! 32 multiply-adds per thread from shared memory, syncs, and moves on along k. Edges
//! (m, n, k not multiples of 32) must load zeros.
//!
//! **How it is launched:** gemm/3's launch (the same as gemm/2's): `Grid::ColMajorThreads`, blocks of 32 × 32
//! threads, grid `(ceil(n / 32), ceil(m / 32))`.
//! The grader runs your kernel through that step's own host code with the same parameter
//! struct, on fresh random inputs at awkward shapes, and checks it against the float64
//! reference (`klab grade smem-tiling --solution` grades the ladder's own step instead).
#[allow(unused_imports)]
use crate::gemm::GemmParams;
#[allow(unused_imports)]
use crate::gpu::{math, sync_threads, thread, warp};

/// Set to `true` when the kernel below is written (the grader reads it).
pub const IMPLEMENTED: bool = false;

kernel! {
    /// Your kernel (the stub does nothing: replace its body).
    fn exercise_smem_tiling(p: GemmParams) {
        let _ = p;
    }
}
