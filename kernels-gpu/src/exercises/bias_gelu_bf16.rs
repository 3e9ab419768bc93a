//! Exercise `bias-gelu-bf16`: given bias_gelu/3, write bias_gelu/4.
//!
//! **Your file.** Write the kernel below, set [`IMPLEMENTED`] to `true`, then
//! `cargo run -q -- grade bias-gelu-bf16` (docs/course/exercises.md). Until then the grader says
//! "not implemented" and exits 1. The file is always built: it must compile (the stub does).
//!
//! **What to write:** bias_gelu/3 (kernels-gpu/src/bias_gelu/s03_fused_vectorized.rs) on bf16
//! data: eight bf16 per 128-bit access, GELU in f32, rounded to bf16 on the store.
//!
//! **How it is launched:** bias_gelu/4's launch: `Grid::Stride { threads: 256, blocks_per_sm: 8, per_thread: 8 }`.
//! The grader runs your kernel through that step's own host code with the same parameter
//! struct, on fresh random inputs at awkward shapes, and checks it against the float64
//! reference (`klab grade bias-gelu-bf16 --solution` grades the ladder's own step instead).
#[allow(unused_imports)]
use crate::bias_gelu::BiasGeluParams;
#[allow(unused_imports)]
use crate::half::Bf16;
#[allow(unused_imports)]
use crate::gpu::{math, sync_threads, thread, warp};

/// Set to `true` when the kernel below is written (the grader reads it).
pub const IMPLEMENTED: bool = false;

kernel! {
    /// Your kernel (the stub does nothing: replace its body).
    fn exercise_bias_gelu_bf16(p: BiasGeluParams<Bf16>) {
        let _ = p;
    }
}
