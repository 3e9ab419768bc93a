//! Exercise `bank-conflicts`: given transpose/2, write transpose/3.
//!
//! **Your file.** Write the kernel below, set [`IMPLEMENTED`] to `true`, then
//! `cargo run -q -- grade bank-conflicts` (docs/course/exercises.md). Until then the grader says
//! "not implemented" and exits 1. The file is always built: it must compile (the stub does).
//!
//! **What to write:** transpose/2 (kernels-gpu/src/transpose/s02_smem_tile.rs) without its 32-way
//! bank conflicts on the column read of the shared tile (pad the tile: a row stride of 33
//! words puts column `k` of row `t` in bank `(t + k) mod 32`). `output` is `cols × rows`.
//!
//! **How it is launched:** transpose/3's launch: a 1-D grid of 32 × 32 tiles (`tile_of_block`), blocks of 32 × 8
//! threads (each thread moves 4 elements of its tile).
//! The grader runs your kernel through that step's own host code with the same parameter
//! struct, on fresh random inputs at awkward shapes, and checks it against the float64
//! reference (`klab grade bank-conflicts --solution` grades the ladder's own step instead).
#[allow(unused_imports)]
use crate::transpose::TransposeParams;
#[allow(unused_imports)]
use crate::gpu::{math, sync_threads, thread, warp};

/// Set to `true` when the kernel below is written (the grader reads it).
pub const IMPLEMENTED: bool = false;

kernel! {
    /// Your kernel (the stub does nothing: replace its body).
    fn exercise_bank_conflicts(p: TransposeParams) {
        let _ = p;
    }
}
