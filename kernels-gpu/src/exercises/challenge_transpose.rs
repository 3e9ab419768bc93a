//! Challenge `challenge-transpose`: the reference solution is transpose/5, the baseline transpose/3.
//!
//! **Your file.** Write the kernel below, set [`IMPLEMENTED`] to `true`, then
//! `cargo run -q -- grade challenge-transpose` (docs/course/exercises.md). Until then the grader says
//! "not implemented" and exits 1. The file is always built: it must compile (the stub does).
//!
//! **What to write:** `output[c][r] = input[r][c]` (f32, `output` is `cols × rows`) at 85% of copy
//! bandwidth or more: docs/course/challenge.md, challenges/challenge-transpose.toml.
//!
//! **How it is launched:** transpose/5's launch: a 1-D grid of 64 × 64 tiles (`tile_of_block(cols, 64)`), blocks
//! of 8 × 32 threads.
//! The grader runs your kernel through that step's own host code with the same parameter
//! struct, on fresh random inputs at awkward shapes, and checks it against the float64
//! reference (`klab grade challenge-transpose --solution` grades the ladder's own step instead).
#[allow(unused_imports)]
use crate::transpose::TransposeParams;
#[allow(unused_imports)]
use crate::gpu::{math, sync_threads, thread, warp};

/// Set to `true` when the kernel below is written (the grader reads it).
pub const IMPLEMENTED: bool = false;

kernel! {
    /// Your kernel (the stub does nothing: replace its body).
    fn exercise_challenge_transpose(p: TransposeParams) {
        let _ = p;
    }
}
