//! Exercise `mixed-precision`: given saxpy/3, write saxpy/4.
//!
//! **Your file.** Write the kernel below, set [`IMPLEMENTED`] to `true`, then
//! `cargo run -q -- grade mixed-precision` (docs/course/exercises.md). Until then the grader says
//! "not implemented" and exits 1. The file is always built: it must compile (the stub does).
//!
//! **What to write:** saxpy/3 (kernels-gpu/src/saxpy/s03_vectorized.rs) on bf16 data: eight bf16
//! per 128-bit load (`load_bf16x8`/`store_bf16x8`), each pair widened to f32 exactly,
//! `fma` in f32, rounded back to bf16 (`Bf16x2::pack_lo_hi`: mind the order); a scalar head
//! up to the first 16-byte boundary and a scalar tail.
//!
//! **How it is launched:** saxpy/4's launch: `Grid::Stride { threads: 256, blocks_per_sm: 8, per_thread: 8 }`.
//! The grader runs your kernel through that step's own host code with the same parameter
//! struct, on fresh random inputs at awkward shapes, and checks it against the float64
//! reference (`klab grade mixed-precision --solution` grades the ladder's own step instead).
#[allow(unused_imports)]
use crate::saxpy::SaxpyParams;
#[allow(unused_imports)]
use crate::half::Bf16;
#[allow(unused_imports)]
use crate::gpu::{math, sync_threads, thread, warp};

/// Set to `true` when the kernel below is written (the grader reads it).
pub const IMPLEMENTED: bool = false;

kernel! {
    /// Your kernel (the stub does nothing: replace its body).
    fn exercise_mixed_precision(p: SaxpyParams<Bf16>) {
        let _ = p;
    }
}
